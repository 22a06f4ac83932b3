//! The portfolio benchmark over a grid of layouts: rows grouped by unit,
//! grouped by period or shuffled, × 1, 2 or 4 periods × output formats ×
//! portfolio sizes, plus a workbook row (`--data book.xlsx` against calamine
//! reading the same workbook). Each cell is the median evaluation, the median
//! of the parses paired with it, and their ratio (see `bench_portfolio`).
//!
//! ```text
//! cargo build --release --example gen --example bench_portfolio --example bench_grid
//! target/release/examples/bench_grid --units 10000 --periods 1,2 --formats csv,json
//! ```
//!
//! It runs the `gen` and `bench_portfolio` examples built beside it, one
//! process per data file, and writes the data under `--out` (the largest
//! file, 40,000 units × 4 periods, is about 500 MB).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Portfolio benchmark over layouts × periods × formats × sizes")]
struct Args {
    /// Portfolio sizes, in units.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 40_000])]
    units: Vec<usize>,
    /// Periods in the file (the latest is evaluated, the one before it gives trends).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 4])]
    periods: Vec<usize>,
    /// Row layouts: unit (grouped by unit), period (grouped by period), shuffled.
    #[arg(long, value_delimiter = ',', default_values = ["unit", "period", "shuffled"])]
    layouts: Vec<String>,
    /// Output formats of `bsc evaluate --data`.
    #[arg(long, value_delimiter = ',', default_values = ["table", "csv", "jsonl", "json"])]
    formats: Vec<String>,
    /// Rows per unit and period.
    #[arg(long, default_value_t = 100)]
    indicators: usize,
    /// Runs per cell (the medians are of these).
    #[arg(long, default_value_t = 11)]
    runs: usize,
    /// Rows of the workbook row (units = rows / indicators, one period,
    /// grouped by unit); 0 leaves the row out.
    #[arg(long, default_value_t = 100_000)]
    xlsx_rows: usize,
    /// Only the workbook row.
    #[arg(long)]
    xlsx_only: bool,
    /// Directory for the generated card and data.
    #[arg(long, default_value = "target/portfolio-bench/grid")]
    out: PathBuf,
    /// Keep the data files (by default each is removed once measured).
    #[arg(long)]
    keep: bool,
}

fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let path = exe.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        eprintln!(
            "{} not found: build it first (cargo build --release --example gen --example bench_portfolio --example bench_grid)",
            path.display()
        );
        std::process::exit(2);
    }
    path
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("starts");
    if !out.status.success() {
        eprintln!(
            "{cmd:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(1);
    }
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

struct Grid {
    gen_exe: PathBuf,
    bench: PathBuf,
    args: Args,
}

impl Grid {
    /// Generates one data file, times it, prints its rows, removes it.
    fn cell(&self, label: &str, units: usize, periods: usize, layout: &str, xlsx: bool) {
        let a = &self.args;
        let name = format!(
            "data-{units}x{}x{periods}-{layout}.{}",
            a.indicators,
            if xlsx { "xlsx" } else { "csv" }
        );
        let mut gen_cmd = Command::new(&self.gen_exe);
        gen_cmd
            .args(["--units", &units.to_string()])
            .args(["--indicators", &a.indicators.to_string()])
            .args(["--periods", &periods.to_string()])
            .args(["--order", layout])
            .arg("--out")
            .arg(&a.out)
            .args(["--name", &name]);
        if xlsx {
            gen_cmd.arg("--xlsx");
        }
        run(&mut gen_cmd);
        let data: PathBuf = a.out.join(&name);
        let tsv = run(Command::new(&self.bench)
            .arg(&data)
            .args(["--runs", &a.runs.to_string()])
            .arg("--tsv")
            .arg("--only")
            .arg(a.formats.join(",")));
        let mb = std::fs::metadata(&data).map_or(0.0, |m| m.len() as f64 / 1e6);
        for line in tsv.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let [format, parse, eval, ratio, ..] = f[..] else {
                continue;
            };
            let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
            let (eval, parse, ratio) = (num(eval), num(parse), num(ratio));
            println!(
                "| {label} | {units} | {layout} | {periods} | {mb:.1} | {format} | {eval:.1} | {parse:.1} | {ratio:.2} |"
            );
        }
        if !a.keep {
            let _ = std::fs::remove_file(&data);
        }
    }
}

/// A library source newer than `exe`, if any. `bench_portfolio` links the
/// library in, so `cargo build --release` after a change (which rebuilds
/// `bsc`, not the examples) would leave the grid measuring the code as it
/// was, with nothing to show it.
fn newer_source(exe: &Path) -> Option<PathBuf> {
    let built = std::fs::metadata(exe).and_then(|m| m.modified()).ok()?;
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                dirs.push(entry.path());
            } else if meta.modified().is_ok_and(|t| t > built) {
                return Some(entry.path());
            }
        }
    }
    None
}

fn main() {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out).expect("output directory");
    let grid = Grid {
        gen_exe: sibling("gen"),
        bench: sibling("bench_portfolio"),
        args,
    };
    if let Some(src) = newer_source(&grid.bench) {
        eprintln!(
            "{} was changed after {} was built: rebuild the examples first (cargo build --release --example gen --example bench_portfolio --example bench_grid)",
            src.display(),
            grid.bench.display()
        );
        std::process::exit(2);
    }
    let a = &grid.args;
    let start = Instant::now();
    println!(
        "medians of {} runs; {} threads; load average at start {}",
        a.runs,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    println!();
    println!("| data | units | layout | periods | MB | format | evaluate ms | parse ms | ratio |");
    println!("|---|---:|---|---:|---:|---|---:|---:|---:|");
    if !a.xlsx_only {
        for &units in &a.units {
            for layout in &a.layouts {
                for &periods in &a.periods {
                    grid.cell("csv", units, periods, layout, false);
                }
            }
        }
    }
    if a.xlsx_rows > 0 {
        let units = (a.xlsx_rows / a.indicators.max(20)).max(1);
        grid.cell("xlsx", units, 1, "unit", true);
    }
    println!();
    println!(
        "{:.0} s in all; load average at end {}",
        start.elapsed().as_secs_f64(),
        loadavg()
    );
}
