//! Portfolio benchmark: evaluating a long-format CSV end to end against
//! merely parsing it with the same reader.
//!
//! ```text
//! cargo run --release --example gen -- --units 10000 --indicators 100
//! cargo run --release --example bench_portfolio -- target/portfolio-bench/data-10000x100x1.csv
//! ```
//!
//! Prints the median (and fastest) of `--runs` runs of:
//! - `parse`: every record read by the portfolio's CSV reader and discarded
//!   (for a workbook, `.xlsx` and the like: every sheet read by calamine into
//!   a range of cells, what any Rust program reading the workbook does)
//!   (timed again before each run below, and each ratio is to the parses
//!   taken in turn with that run's: on a shared machine both then meet the
//!   same load);
//! - `parse+decode`: the same, plus UTF-8 checks of the key fields and the
//!   exact decimal of every value (what reading means before any scoring);
//! - `evaluate <format>`: `bsc evaluate --data` in-process, output to a
//!   sink (the scorecard is loaded once, outside the timing).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser, Debug)]
struct Args {
    /// The CSV written by the `gen` example.
    #[arg(default_value = "target/portfolio-bench/data-10000x100x1.csv")]
    data: PathBuf,
    /// The scorecard (default: `card.toml` beside the data).
    #[arg(long)]
    card: Option<PathBuf>,
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Also time JSON Lines output (about 25 kB of JSON per unit).
    #[arg(long)]
    jsonl: bool,
    /// Time only these (decode, csv, table, json, jsonl; the parse always),
    /// e.g. under a profiler.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// One tab-separated line per evaluation instead (`format`, paired parse
    /// median ms, evaluate median ms, ratio, parse fastest ms, evaluate
    /// fastest ms), for drivers such as `bench_grid`.
    #[arg(long)]
    tsv: bool,
}

/// Median and fastest of a set of timings.
fn summary(mut t: Vec<Duration>) -> (Duration, Duration) {
    t.sort();
    (t[t.len() / 2], t[0])
}

fn once(f: &mut impl FnMut()) -> Duration {
    let s = Instant::now();
    f();
    s.elapsed()
}

/// `runs` timings of `f`, each after a timing of `parse`: the medians and
/// fastest of both.
fn paired(
    runs: usize,
    parse: &mut impl FnMut(),
    mut f: impl FnMut(),
) -> ((Duration, Duration), (Duration, Duration)) {
    let (p, t): (Vec<Duration>, Vec<Duration>) =
        (0..runs).map(|_| (once(parse), once(&mut f))).unzip();
    (summary(p), summary(t))
}

fn main() {
    let a = Args::parse();
    let card_path = a
        .card
        .clone()
        .unwrap_or_else(|| a.data.with_file_name("card.toml"));
    if !a.data.exists() {
        eprintln!(
            "{} not found: run `cargo run --release --example gen -- --units 10000 --indicators 100` first",
            a.data.display()
        );
        std::process::exit(2);
    }
    let mut diags = bsc::diag::Diagnostics::default();
    let card = bsc::read_scorecard(&card_path, &mut diags)
        .expect("scorecard readable")
        .and_then(|c| c.scorecard)
        .expect("scorecard valid");
    let size = std::fs::metadata(&a.data).expect("data readable").len();
    let workbook = a
        .data
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "xlsx" | "xlsm" | "xlsb" | "xls" | "ods"));
    let header = format!(
        "{} ({:.1} MB), {} runs, {} threads",
        a.data.display(),
        size as f64 / 1e6,
        a.runs,
        rayon::current_num_threads()
    );
    if a.tsv {
        eprintln!("{header}");
    } else {
        println!("{header}");
    }

    let report = |name: &str, (med, min): (Duration, Duration), base: Option<Duration>| {
        if a.tsv {
            return;
        }
        let ratio = base.map_or_else(String::new, |b| {
            format!("  {:.2}x parse", med.as_secs_f64() / b.as_secs_f64())
        });
        println!(
            "{name:<24} median {:>8.1} ms  fastest {:>8.1} ms{ratio}",
            med.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3
        );
    };

    let mut parse = || {
        if workbook {
            read_workbook(&a.data);
        } else {
            bsc::data::long_csv::parse_only(&a.data).expect("parse");
        }
    };
    let wanted = |name: &str| a.only.is_empty() || a.only.iter().any(|o| o == name);
    let mut parsed = false;
    if wanted("decode") && !workbook {
        let (p, d) = paired(a.runs, &mut parse, || decode(&a.data));
        report("parse", p, None);
        report("parse+decode", d, Some(p.0));
        parsed = true;
    }

    let mut formats = vec![
        ("csv", bsc::portfolio::Format::Csv),
        ("table", bsc::portfolio::Format::Table),
        ("json (buffered)", bsc::portfolio::Format::Json),
    ];
    if a.jsonl || a.only.iter().any(|o| o == "jsonl") {
        formats.push(("jsonl", bsc::portfolio::Format::Jsonl));
    }
    for (name, format) in formats {
        if !wanted(name.split(' ').next().unwrap_or(name)) {
            continue;
        }
        let opts = bsc::portfolio::Options {
            selection: bsc::portfolio::Selection::Latest,
            format,
            progress: false,
            color: false,
            keep: false,
            year_ago: false,
            decimals: None,
        };
        let (p, t) = paired(a.runs, &mut parse, || {
            let mut sink = std::io::sink();
            bsc::portfolio::evaluate(&card, &a.data, &opts, &mut sink).expect("evaluates");
        });
        report("parse", p, None);
        report(&format!("evaluate {name}"), t, Some(p.0));
        if a.tsv {
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "{}\t{:.3}\t{:.3}\t{:.4}\t{:.3}\t{:.3}",
                name.split(' ').next().unwrap_or(name),
                ms(p.0),
                ms(t.0),
                t.0.as_secs_f64() / p.0.as_secs_f64(),
                ms(p.1),
                ms(t.1)
            );
        }
        parsed = true;
    }
    if !parsed {
        let (p, _) = paired(a.runs, &mut parse, || {});
        report("parse", p, None);
    }
}

/// A workbook's `parse`: every sheet read by calamine into a range of cells.
fn read_workbook(data: &std::path::Path) {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(data).expect("workbook");
    let mut cells = 0usize;
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("sheet");
        cells += range.used_cells().count();
    }
    std::hint::black_box(cells);
}

/// `parse+decode`: the parse, plus UTF-8 checks of the key fields and the
/// exact decimal of every value.
fn decode(data: &std::path::Path) {
    let mut rdr = bsc::data::long_csv::reader_builder()
        .from_path(data)
        .expect("open");
    let mut rec = csv::ByteRecord::new();
    let mut n = 0usize;
    while rdr.read_byte_record(&mut rec).expect("record") {
        for f in [0, 1, 2] {
            n += std::str::from_utf8(&rec[f]).map_or(0, |s| s.trim().len());
        }
        if let Ok(v) = std::str::from_utf8(&rec[3]) {
            n += bsc::data::rows::decimal_text(v).map_or(0, |d| d.scale() as usize);
        }
    }
    std::hint::black_box(n);
}
