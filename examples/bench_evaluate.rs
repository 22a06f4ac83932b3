//! Timed benchmark of the evaluator.
//!
//!     cargo run --release --example bench_evaluate
//!
//! Generates a scorecard of 1,000 indicators (4 perspectives x 25
//! objectives x 10 indicators: linear both ways, band, curve, and formulas
//! over inputs and other indicators) with two periods of measurements in
//! memory, then times
//!   (a) load + validate of the scorecard text (`bsc::check_scorecard`),
//!   (b) `score::evaluate` of one period, and with a previous period,
//! printing the median and mean per iteration in microseconds; and finally
//! `bsc validate scorecards/crm.toml` end to end (spawning the release
//! binary 200 times), printing the median in milliseconds.
//!
//! Pass a number to scale the iteration counts (e.g. `-- 0.1` for a quick run).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

use bsc::measure::Measurements;

const PERSPECTIVES: [&str; 4] = ["financial", "customer", "internal_process", "learning_growth"];
const OBJECTIVES_PER_PERSPECTIVE: usize = 25;
const INDICATORS_PER_OBJECTIVE: usize = 10;

/// The scorecard text. In each objective, indicators 0..7 are measured
/// (linear higher, linear lower, band, curve, in turn), indicator 7 divides
/// two inputs, 8 multiplies three, and 9 reads indicators 0 and 1 of its own
/// objective plus an input.
fn scorecard_text() -> String {
    let mut t = String::new();
    t.push_str("[scorecard]\nid = \"bench\"\nname = \"Benchmark scorecard\"\nmax_score = 120\nmissing = \"renormalize\"\n");
    for (pi, p) in PERSPECTIVES.iter().enumerate() {
        let _ = writeln!(t, "\n[[perspectives]]\nid = \"{p}\"\nweight = {}", [30, 30, 20, 20][pi]);
    }
    for (pi, p) in PERSPECTIVES.iter().enumerate() {
        for o in 0..OBJECTIVES_PER_PERSPECTIVE {
            let _ = writeln!(t, "\n[[objectives]]\nid = \"o{pi}-{o}\"\nperspective = \"{p}\"\nweight = {}", 1 + o % 4);
            if o > 0 {
                let _ = writeln!(t, "drives = [\"o{pi}-{}\"]", o - 1);
            }
        }
    }
    for pi in 0..PERSPECTIVES.len() {
        for o in 0..OBJECTIVES_PER_PERSPECTIVE {
            let base = format!("p{pi}_o{o}");
            for k in 0..INDICATORS_PER_OBJECTIVE {
                let _ = writeln!(
                    t,
                    "\n[[indicators]]\nid = \"{base}_k{k}\"\nname = \"Indicator {k} of objective {o}\"\nobjective = \"o{pi}-{o}\"\nweight = {}",
                    1 + k % 3
                );
                match k {
                    7 => {
                        let _ = writeln!(t, "unit = \"%\"\nformula = \"{base}_a / {base}_b\"\nbaseline = 0.25\ntarget = 0.10");
                    }
                    8 => {
                        let _ = writeln!(t, "formula = \"{base}_a * {base}_c * 0.4 - {base}_b\"\nbaseline = 600\ntarget = 1500\ndirection = \"higher\"");
                    }
                    9 => {
                        let _ = writeln!(t, "formula = \"max({base}_k0, {base}_k1) + abs({base}_c - 50) / 10\"\nbaseline = 40\ntarget = 90");
                    }
                    _ => match k % 4 {
                        0 => {
                            let _ = writeln!(t, "baseline = 50\ntarget = 80\ndirection = \"higher\"\nmax_score = 110");
                        }
                        1 => {
                            let _ = writeln!(t, "unit = \"days\"\nbaseline = 60\ntarget = 30\ndirection = \"lower\"");
                        }
                        2 => {
                            let _ = writeln!(t, "scoring = \"band\"\ntarget = [1, 4]\ntolerance = 8");
                        }
                        _ => {
                            let _ = writeln!(t, "scoring = \"curve\"\npoints = [[-20, 0], [0, 40], [30, 80], [50, 100]]");
                        }
                    },
                }
            }
        }
    }
    for pi in 0..PERSPECTIVES.len() {
        for o in 0..OBJECTIVES_PER_PERSPECTIVE {
            for x in ["a", "b", "c"] {
                let _ = writeln!(t, "\n[[inputs]]\nid = \"p{pi}_o{o}_{x}\"");
            }
        }
    }
    t
}

/// One period's values; `seed` varies them. About 2% of measured
/// indicators are left out so that renormalisation is exercised.
fn measurements(seed: i64, period: &str) -> Measurements {
    let mut values = HashMap::new();
    let mut n: i64 = seed;
    let mut next = || {
        n = (n * 1_103_515_245 + 12_345) % 2_147_483_648;
        n
    };
    for pi in 0..PERSPECTIVES.len() {
        for o in 0..OBJECTIVES_PER_PERSPECTIVE {
            let base = format!("p{pi}_o{o}");
            for k in 0..7 {
                let r = next();
                if r % 50 == 0 {
                    continue;
                }
                let v = match k % 4 {
                    0 => Decimal::new(400 + r % 500, 1),  // 40.0 .. 89.9
                    1 => Decimal::new(200 + r % 500, 1),  // 20.0 .. 69.9
                    2 => Decimal::new(r % 120, 1),        // 0.0 .. 11.9
                    _ => Decimal::new(r % 800 - 300, 1),  // -30.0 .. 49.9
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
        notes: HashMap::new(),
    }
}

struct Stats {
    median: Duration,
    mean: Duration,
    min: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let n = samples.len();
    let median = if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2 };
    let mean = samples.iter().sum::<Duration>() / n as u32;
    Stats { median, mean, min: samples[0] }
}

/// Runs `f` a few times to warm up, then `iters` timed times.
fn time<T>(iters: usize, mut f: impl FnMut() -> T) -> Stats {
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

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(what: &str, iters: usize, s: &Stats) {
    println!(
        "{what:<44} {iters:>6} iterations   median {:>10.1} µs   mean {:>10.1} µs   min {:>10.1} µs",
        us(s.median),
        us(s.mean),
        us(s.min)
    );
}

/// The release `bsc` binary next to this example (target/release/bsc),
/// built first so the figure is for the current sources.
fn release_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?; // target/release/examples -> target/release
    let bin = dir.join(format!("bsc{}", std::env::consts::EXE_SUFFIX));
    if let Some(cargo) = std::env::var_os("CARGO") {
        let status = Command::new(cargo)
            .args(["build", "--release", "--quiet", "--bin", "bsc"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("warning: `cargo build --release --bin bsc` failed; using whatever binary is there");
        }
    }
    bin.exists().then_some(bin)
}

fn main() {
    let scale: f64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1.0);
    let iters = |n: usize| ((n as f64 * scale) as usize).max(5);
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with `cargo run --release --example bench_evaluate`");
    }

    let text = scorecard_text();
    let path = Path::new("bench.toml");
    let load = || {
        let src = bsc::source::SourceFile::new(path, text.clone());
        let mut diags = bsc::diag::Diagnostics::default();
        let card = bsc::check_scorecard(&src, &mut diags);
        (card, diags)
    };
    let (card, diags) = load();
    let Some(card) = card else {
        eprint!("{}", bsc::diag::render_human(&diags.items, false));
        panic!("the generated scorecard does not validate");
    };
    let formulas = card.indicators.iter().filter(|i| i.formula.is_some()).count();
    let q2 = measurements(7, "2026-Q2");
    let q3 = measurements(11, "2026-Q3");
    let check = bsc::score::evaluate(&card, &q3, Some(&q2)).expect("renormalize never fails");
    let missing = check.indicators.iter().filter(|i| i.missing).count();
    println!(
        "generated scorecard: {} perspectives, {} objectives, {} indicators ({} computed), {} inputs; {} KiB of TOML, {} diagnostics",
        card.perspectives.len(),
        card.objectives.len(),
        card.indicators.len(),
        formulas,
        card.inputs.len(),
        text.len() / 1024,
        diags.items.len()
    );
    println!(
        "measurements: {} values per period; composite {} (coverage {}), {} indicators missing",
        q3.values.len(),
        check.composite.score.map_or("-".into(), |s| bsc::format::score(s, 2)),
        bsc::format::share(check.composite.coverage),
        missing
    );
    println!();

    let n = iters(200);
    report("(a) load + validate (1,000 indicators)", n, &time(n, load));
    let n = iters(2000);
    report("(b) evaluate, one period", n, &time(n, || bsc::score::evaluate(&card, &q3, None)));
    report("(b) evaluate, with previous period", n, &time(n, || bsc::score::evaluate(&card, &q3, Some(&q2))));
    let n = iters(500);
    report("    evaluate + JSON (serde_json, pretty)", n, &time(n, || {
        let e = bsc::score::evaluate(&card, &q3, Some(&q2)).expect("renormalize");
        serde_json::to_string_pretty(&e).expect("serialises")
    }));
    report("    evaluate + terminal table", n, &time(n, || {
        let e = bsc::score::evaluate(&card, &q3, Some(&q2)).expect("renormalize");
        bsc::table::render(&card, &e, &q3, false)
    }));

    println!();
    let crm = Path::new(env!("CARGO_MANIFEST_DIR")).join("scorecards/crm.toml");
    match release_binary() {
        Some(bin) => {
            let runs = iters(200);
            let run = || {
                let out = Command::new(&bin)
                    .arg("validate")
                    .arg(&crm)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .expect("spawn bsc");
                assert!(out.success(), "bsc validate scorecards/crm.toml failed");
            };
            let s = time(runs, run);
            println!(
                "{:<44} {runs:>6} runs         median {:>10.2} ms   mean {:>10.2} ms   min {:>10.2} ms",
                "`bsc validate scorecards/crm.toml` (process)",
                us(s.median) / 1000.0,
                us(s.mean) / 1000.0,
                us(s.min) / 1000.0
            );
        }
        None => println!("`bsc validate` end to end: skipped (no release binary; run `cargo build --release` first)"),
    }
}
