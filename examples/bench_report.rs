//! Timed benchmark of report rendering (issue: "well under 50 ms" for 200
//! indicators; with 8 periods of history, under 10 ms).
//!
//!     cargo run --release --example bench_report
//!
//! Generates a 200-indicator scorecard (4 perspectives × 5 objectives × 10
//! indicators) with eight quarters of measurements and Markdown notes, then
//! times `report::render` to HTML and to Markdown with the history of all
//! eight (evaluation excluded and included), printing median and mean per
//! report. It also writes the card and the quarters to
//! /tmp/bsc-bench-report/ so the whole command can be timed:
//!
//!     farm-bench -n 31 'target/release/bsc report /tmp/bsc-bench-report/card.toml /tmp/bsc-bench-report/2*.toml -o /tmp/bsc-bench-report/r.html'

use std::hint::black_box;
use std::path::Path;

mod common;
use common::{Shape, measurements, report, scorecard_text, time};

fn card_text(shape: Shape) -> String {
    scorecard_text(shape)
}

/// The card and quarters as files, for timing the whole command.
fn write_files(card: &str, quarters: &[bsc::data::measurements::Measurements]) {
    let dir = Path::new("/tmp/bsc-bench-report");
    std::fs::create_dir_all(dir).expect("temp dir");
    std::fs::write(dir.join("card.toml"), card).expect("card written");
    for q in quarters {
        let mut text = format!(
            "scorecard = \"bench\"\nperiod = \"{}\"\n\n[values]\n",
            q.period
        );
        let mut ids: Vec<_> = q.values.iter().collect();
        ids.sort();
        for (id, v) in ids {
            text.push_str(&format!("{id} = {v}\n"));
        }
        text.push_str("\n[notes]\n");
        let mut notes: Vec<_> = q.notes.iter().collect();
        notes.sort();
        for (id, n) in notes {
            text.push_str(&format!("{id} = {n:?}\n"));
        }
        std::fs::write(dir.join(format!("{}.toml", q.period)), text).expect("quarter written");
    }
}

use bsc::report::{Format, Lang, Options};

fn main() {
    let scale: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1.0);
    let iters = ((200.0 * scale) as usize).max(5);
    let shape = Shape {
        objectives_per_perspective: 5,
    };
    let src = bsc::source::SourceFile::new(Path::new("bench.toml"), scorecard_text(shape));
    let mut diags = bsc::diag::Diagnostics::default();
    let card = bsc::check_scorecard(&src, &mut diags).expect("generated scorecard is valid");
    let quarters: Vec<_> = (0..8)
        .map(|k| {
            let label = format!("{}-Q{}", 2025 + k / 4, k % 4 + 1);
            measurements(shape, 7 + 4 * k as i64, &label)
        })
        .collect();
    write_files(&card_text(shape), &quarters);
    let (q2, q3) = (&quarters[6], &quarters[7]);
    // What `bsc report` computes for a history: each quarter on its own.
    let evaluate = || {
        let mut e = bsc::evaluator::evaluate(&card, q3, Some(q2)).expect("renormalize never fails");
        e.history = (0..quarters.len())
            .map(|k| {
                let previous = k.checked_sub(1).map(|p| &quarters[p]);
                let e = bsc::evaluator::evaluate(&card, &quarters[k], previous).expect("evaluates");
                bsc::score::HistoryPoint::of(&e)
            })
            .collect();
        e
    };
    let eval = evaluate();
    println!(
        "scorecard: {} indicators, {} objectives",
        card.indicators.len(),
        card.objectives.len()
    );

    for (name, format) in [("html", Format::Html), ("md", Format::Markdown)] {
        let opts = Options {
            format,
            lang: Lang::En,
            templates: None,
            generated_at: None,
            year_ago: false,
        };
        let bytes = bsc::report::render(&card, &eval, &q3.notes, Some(&q2.period), &opts)
            .expect("renders")
            .len();
        let s = time(iters, || {
            bsc::report::render(&card, &eval, &q3.notes, Some(&q2.period), &opts).expect("renders")
        });
        report(&format!("render {name} ({} KiB)", bytes / 1024), iters, &s);
        let s = time(iters, || {
            let e = evaluate();
            black_box(
                bsc::report::render(&card, &e, &q3.notes, Some(&q2.period), &opts)
                    .expect("renders"),
            )
        });
        report(&format!("evaluate + render {name}"), iters, &s);
    }
}
