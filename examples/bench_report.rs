//! Timed benchmark of report rendering (issue: "well under 50 ms" for 200
//! indicators).
//!
//!     cargo run --release --example bench_report
//!
//! Generates a 200-indicator scorecard (4 perspectives × 5 objectives × 10
//! indicators) with two periods of measurements and Markdown notes, then
//! times `report::render` to HTML and to Markdown (evaluation excluded and
//! included), printing median and mean per report.

use std::hint::black_box;
use std::path::Path;

mod common;
use common::{Shape, measurements, report, scorecard_text, time};

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
    let q2 = measurements(shape, 7, "2026-Q2");
    let q3 = measurements(shape, 11, "2026-Q3");
    let eval = bsc::evaluator::evaluate(&card, &q3, Some(&q2)).expect("renormalize never fails");
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
        };
        let bytes = bsc::report::render(&card, &eval, &q3.notes, Some(&q2.period), &opts)
            .expect("renders")
            .len();
        let s = time(iters, || {
            bsc::report::render(&card, &eval, &q3.notes, Some(&q2.period), &opts).expect("renders")
        });
        report(&format!("render {name} ({} KiB)", bytes / 1024), iters, &s);
        let s = time(iters, || {
            let e = bsc::evaluator::evaluate(&card, &q3, Some(&q2)).expect("evaluates");
            black_box(
                bsc::report::render(&card, &e, &q3.notes, Some(&q2.period), &opts)
                    .expect("renders"),
            )
        });
        report(&format!("evaluate + render {name}"), iters, &s);
    }
}
