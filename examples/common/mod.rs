//! Synthetic scorecards and a small timing harness shared by the
//! benchmarks (`bench_evaluate`, `bench_report`).

// Each benchmark uses a different part of this module.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use bsc::data::measurements::Measurements;

pub const PERSPECTIVES: [&str; 4] = [
    "financial",
    "customer",
    "internal_process",
    "learning_growth",
];

/// How big a generated scorecard is: 4 perspectives × this many objectives
/// × 10 indicators (25 gives 1,000 indicators, 5 gives 200).
#[derive(Clone, Copy)]
pub struct Shape {
    pub objectives_per_perspective: usize,
}

const INDICATORS_PER_OBJECTIVE: usize = 10;

/// The scorecard text. In each objective, indicators 0..7 are measured
/// (linear higher, linear lower, band, curve, in turn), indicator 7 divides
/// two inputs, 8 multiplies three, and 9 reads indicators 0 and 1 of its own
/// objective plus an input.
pub fn scorecard_text(shape: Shape) -> String {
    let mut t = String::new();
    t.push_str("[scorecard]\nid = \"bench\"\nname = \"Benchmark scorecard\"\nmax_score = 120\nmissing = \"renormalize\"\n");
    for (pi, p) in PERSPECTIVES.iter().enumerate() {
        let _ = writeln!(
            t,
            "\n[[perspectives]]\nid = \"{p}\"\nweight = {}",
            [30, 30, 20, 20][pi]
        );
    }
    for (pi, p) in PERSPECTIVES.iter().enumerate() {
        for o in 0..shape.objectives_per_perspective {
            let _ = writeln!(
                t,
                "\n[[objectives]]\nid = \"o{pi}-{o}\"\nperspective = \"{p}\"\nweight = {}",
                1 + o % 4
            );
            if o > 0 {
                let _ = writeln!(t, "drives = [\"o{pi}-{}\"]", o - 1);
            }
        }
    }
    for pi in 0..PERSPECTIVES.len() {
        for o in 0..shape.objectives_per_perspective {
            let base = format!("p{pi}_o{o}");
            for k in 0..INDICATORS_PER_OBJECTIVE {
                let _ = writeln!(
                    t,
                    "\n[[indicators]]\nid = \"{base}_k{k}\"\nname = \"Indicator {k} of objective {o}\"\nobjective = \"o{pi}-{o}\"\nweight = {}",
                    1 + k % 3
                );
                match k {
                    7 => {
                        let _ = writeln!(
                            t,
                            "unit = \"%\"\nformula = \"{base}_a / {base}_b\"\nbaseline = 0.25\ntarget = 0.10"
                        );
                    }
                    8 => {
                        let _ = writeln!(
                            t,
                            "formula = \"{base}_a * {base}_c * 0.4 - {base}_b\"\nbaseline = 600\ntarget = 1500\ndirection = \"higher\""
                        );
                    }
                    9 => {
                        let _ = writeln!(
                            t,
                            "formula = \"max({base}_k0, {base}_k1) + abs({base}_c - 50) / 10\"\nbaseline = 40\ntarget = 90"
                        );
                    }
                    _ => match k % 4 {
                        0 => {
                            let _ = writeln!(
                                t,
                                "baseline = 50\ntarget = 80\ndirection = \"higher\"\nmax_score = 110"
                            );
                        }
                        1 => {
                            let _ = writeln!(
                                t,
                                "unit = \"days\"\nbaseline = 60\ntarget = 30\ndirection = \"lower\""
                            );
                        }
                        2 => {
                            let _ =
                                writeln!(t, "scoring = \"band\"\ntarget = [1, 4]\ntolerance = 8");
                        }
                        _ => {
                            let _ = writeln!(
                                t,
                                "scoring = \"curve\"\npoints = [[-20, 0], [0, 40], [30, 80], [50, 100]]"
                            );
                        }
                    },
                }
            }
        }
    }
    for pi in 0..PERSPECTIVES.len() {
        for o in 0..shape.objectives_per_perspective {
            for x in ["a", "b", "c"] {
                let _ = writeln!(t, "\n[[inputs]]\nid = \"p{pi}_o{o}_{x}\"");
            }
        }
    }
    t
}

/// [`scorecard_text`] with its 300 computed indicators given long formulas
/// of the v2 language (SPEC §13) instead of one-liners: `if`, `and`,
/// `not`, comparisons, `pow`, `sqrt`, `ln`, `exp`, `round`, `floor`,
/// `coalesce`, `target`, `baseline`, `prev`, `lag` and constants, about 250
/// to 300 characters each: what validating a consultant's card with real
/// KPI formulas costs.
pub fn long_formula_card_text(shape: Shape) -> String {
    let text = scorecard_text(shape);
    let mut out = String::with_capacity(text.len() * 2);
    out.push_str("[constants]\nmonths = 12\ndiscount_rate = 0.1\n\n");
    for line in text.lines() {
        let Some(old) = line.strip_prefix("formula = \"") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        // `p{pi}_o{o}_a / ...`: the objective's prefix, then which formula.
        let from = old.find('p').unwrap_or(0);
        let b = old[from..].split('_').take(2).collect::<Vec<_>>().join("_");
        let formula = if old.starts_with(&format!("{b}_a / ")) {
            format!(
                "if({b}_a > 0 and {b}_b > 0 and not {b}_c < 0, \
                 1 - pow(1 - min(max({b}_a / ({b}_a + {b}_b), 0), 0.99), months), \
                 coalesce(prev({b}_a) / prev({b}_b), lag({b}_a, 2) / lag({b}_b, 2), 0)) \
                 + round(sqrt(abs({b}_c)) / 1000, 6) - ln(1 + abs({b}_c)) / 100000"
            )
        } else if old.starts_with(&format!("{b}_a * ")) {
            format!(
                "{b}_a * {b}_c * 0.4 * (1 - pow(1 - discount_rate, 3)) / discount_rate \
                 - {b}_b + if({b}_k0 >= target({b}_k0), {b}_k0 / target({b}_k0), \
                 ({b}_k0 - baseline({b}_k0)) / (target({b}_k0) - baseline({b}_k0))) \
                 * exp(-abs({b}_c) / 1000) + floor(max({b}_k0 - prev({b}_k0), 0))"
            )
        } else {
            format!(
                "max({b}_k0, {b}_k1) + abs({b}_c - 50) / 10 \
                 + if({b}_k0 > {b}_k1 or {b}_c == 0, min({b}_k0, {b}_k1, {b}_c) * 0.5, \
                 coalesce(lag({b}_k1, 2), {b}_k1) / 2) + round(({b}_a + {b}_b + {b}_c) / 3, 2) \
                 - ceil(abs({b}_k1 - {b}_k0) / 100) + pow({b}_c / 100, 2)"
            )
        };
        out.push_str(&format!("formula = \"{formula}\"\n"));
    }
    out
}

/// One period's values; `seed` varies them. About 2% of measured
/// indicators are left out so that renormalisation is exercised.
pub fn measurements(shape: Shape, seed: i64, period: &str) -> Measurements {
    let mut values = HashMap::new();
    let mut n: i64 = seed;
    let mut next = || {
        n = (n * 1_103_515_245 + 12_345) % 2_147_483_648;
        n
    };
    for pi in 0..PERSPECTIVES.len() {
        for o in 0..shape.objectives_per_perspective {
            let base = format!("p{pi}_o{o}");
            for k in 0..7 {
                let r = next();
                if r % 50 == 0 {
                    continue;
                }
                let v = match k % 4 {
                    0 => Decimal::new(400 + r % 500, 1), // 40.0 .. 89.9
                    1 => Decimal::new(200 + r % 500, 1), // 20.0 .. 69.9
                    2 => Decimal::new(r % 120, 1),       // 0.0 .. 11.9
                    _ => Decimal::new(r % 800 - 300, 1), // -30.0 .. 49.9
                };
                values.insert(format!("{base}_k{k}"), v);
            }
            values.insert(format!("{base}_a"), Decimal::new(20 + next() % 60, 0));
            values.insert(format!("{base}_b"), Decimal::new(250 + next() % 100, 0));
            values.insert(format!("{base}_c"), Decimal::new(20 + next() % 60, 0));
        }
    }
    Measurements {
        origin: format!("{period}.toml"),
        period: period.into(),
        unit: None,
        values,
        // A Markdown note on every fifth objective's first indicator, as
        // consultants write them, so reports render notes too.
        notes: (0..PERSPECTIVES.len())
            .flat_map(|pi| (0..shape.objectives_per_perspective).step_by(5).map(move |o| (pi, o)))
            .map(|(pi, o)| (format!("p{pi}_o{o}_k0"), format!("Moved after the **{period}** campaign; see [the plan](https://example.com/{pi}/{o}).")))
            .collect(),
        ..Default::default()
    }
}

pub struct Stats {
    pub median: Duration,
    pub mean: Duration,
    pub min: Duration,
}

pub fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let n = samples.len();
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    let mean = samples.iter().sum::<Duration>() / n as u32;
    Stats {
        median,
        mean,
        min: samples[0],
    }
}

/// Runs `f` a few times to warm up, then `iters` timed times.
pub fn time<T>(iters: usize, mut f: impl FnMut() -> T) -> Stats {
    for _ in 0..(iters / 10).max(3) {
        black_box(f());
    }
    let samples = (0..iters)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    stats(samples)
}

pub fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

pub fn report(what: &str, iters: usize, s: &Stats) {
    println!(
        "{what:<44} {iters:>6} iterations   median {:>10.1} µs   mean {:>10.1} µs   min {:>10.1} µs",
        us(s.median),
        us(s.mean),
        us(s.min)
    );
}
