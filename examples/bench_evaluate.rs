//! Timed benchmark of the evaluator.
//!
//!     cargo run --release --example bench_evaluate
//!
//! Generates a scorecard of 1,000 indicators (4 perspectives x 25
//! objectives x 10 indicators: linear both ways, band, curve, and formulas
//! over inputs and other indicators) with two periods of measurements in
//! memory, then times
//!   (a) load + validate of the scorecard text (`bsc::check_scorecard`),
//!   (b) `evaluator::evaluate` of one period, and with a previous period,
//! printing the median and mean per iteration in microseconds; and finally
//! `bsc validate scorecards/crm.toml` end to end (spawning the release
//! binary 200 times), printing the median in milliseconds.
//!
//! Pass a number to scale the iteration counts (e.g. `-- 0.1` for a quick run).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;
use common::{Shape, long_formula_card_text, measurements, report, scorecard_text, time, us};

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
            eprintln!(
                "warning: `cargo build --release --bin bsc` failed; using whatever binary is there"
            );
        }
    }
    bin.exists().then_some(bin)
}

type Checked = (Option<bsc::model::Scorecard>, bsc::diag::Diagnostics);

/// Loads and validates a scorecard's text, as `bsc validate` does.
fn check_text(path: &Path, text: &str) -> Checked {
    let src = bsc::source::SourceFile::new(path, text.to_string());
    let mut diags = bsc::diag::Diagnostics::default();
    let card = bsc::check_scorecard(&src, &mut diags);
    (card, diags)
}

/// The card of a generated text, which must validate.
fn valid((card, diags): Checked, what: &str) -> bsc::model::Scorecard {
    card.unwrap_or_else(|| {
        eprint!("{}", bsc::diag::render_human(&diags.items, false));
        panic!("{what} does not validate");
    })
}

fn main() {
    let scale: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1.0);
    let iters = |n: usize| ((n as f64 * scale) as usize).max(5);
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with `cargo run --release --example bench_evaluate`");
    }

    let shape = Shape {
        objectives_per_perspective: 25,
    };
    let text = scorecard_text(shape);
    let path = Path::new("bench.toml");
    let load = || check_text(path, &text);
    let loaded = load();
    let diagnostics = loaded.1.items.len();
    let card = valid(loaded, "the generated scorecard");
    let formulas = card
        .indicators
        .iter()
        .filter(|i| i.formula.is_some())
        .count();
    let q2 = measurements(shape, 7, "2026-Q2");
    let q3 = measurements(shape, 11, "2026-Q3");
    let check = bsc::evaluator::evaluate(&card, &q3, Some(&q2)).expect("renormalize never fails");
    let missing = check.indicators.iter().filter(|i| i.missing).count();
    println!(
        "generated scorecard: {} perspectives, {} objectives, {} indicators ({} computed), {} inputs; {} KiB of TOML, {} diagnostics",
        card.perspectives.len(),
        card.objectives.len(),
        card.indicators.len(),
        formulas,
        card.inputs.len(),
        text.len() / 1024,
        diagnostics
    );
    println!(
        "measurements: {} values per period; composite {} (coverage {}), {} indicators missing",
        q3.values.len(),
        check
            .composite
            .score
            .map_or("-".into(), |s| bsc::format::score(s, 2)),
        bsc::format::share(check.composite.coverage),
        missing
    );
    println!();

    let n = iters(200);
    report("(a) load + validate (1,000 indicators)", n, &time(n, load));
    // The same card with long formulas (SPEC §13) in its 300 computed indicators.
    let long = long_formula_card_text(shape);
    let load_long = || check_text(path, &long);
    let long_card = valid(load_long(), "the generated long-formula scorecard");
    let long_formulas: Vec<usize> = long_card
        .indicators
        .iter()
        .filter_map(|i| i.formula.as_ref().map(|f| f.text.len()))
        .collect();
    report(
        &format!(
            "(a) load + validate, {} long formulas ({} KiB)",
            long_formulas.len(),
            long.len() / 1024
        ),
        n,
        &time(n, load_long),
    );
    let n = iters(2000);
    report(
        "(b) evaluate, one period",
        n,
        &time(n, || bsc::evaluator::evaluate(&card, &q3, None)),
    );
    report(
        "(b) evaluate, with previous period",
        n,
        &time(n, || bsc::evaluator::evaluate(&card, &q3, Some(&q2))),
    );
    let n = iters(500);
    report(
        "    evaluate + JSON (serde_json, pretty)",
        n,
        &time(n, || {
            let e = bsc::evaluator::evaluate(&card, &q3, Some(&q2)).expect("renormalize");
            serde_json::to_string_pretty(&e).expect("serialises")
        }),
    );
    report(
        "    evaluate + terminal table",
        n,
        &time(n, || {
            let e = bsc::evaluator::evaluate(&card, &q3, Some(&q2)).expect("renormalize");
            bsc::table::render(&card, &e, &[], false)
        }),
    );

    let n = iters(500);
    report(
        "(b) evaluate, long formulas, with previous",
        n,
        &time(n, || bsc::evaluator::evaluate(&long_card, &q3, Some(&q2))),
    );

    // The long-formula card as a file, for timing `bsc validate` end to end.
    let dir = std::env::temp_dir();
    let (plain_path, long_path) = (
        dir.join("bsc-bench-card.toml"),
        dir.join("bsc-bench-long-formulas.toml"),
    );
    if std::fs::write(&plain_path, &text).is_ok() && std::fs::write(&long_path, &long).is_ok() {
        println!(
            "wrote {} and {} (time `bsc validate` on them)",
            plain_path.display(),
            long_path.display()
        );
    }

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
        None => println!(
            "`bsc validate` end to end: skipped (no release binary; run `cargo build --release` first)"
        ),
    }
}
