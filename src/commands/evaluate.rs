//! `bsc evaluate`: score the last measurements file, with the one before it
//! for trends; or, with `--data`, every unit of a long-format data file
//! (a ranking, or one SPEC §8 object per unit).

use std::io::Write;
use std::path::Path;

use crate::cli::{EvalFormat, EvaluateArgs, Exit};
use crate::portfolio::{self, Failure, Selection, output};
use crate::score;

pub fn run(args: &EvaluateArgs) -> Exit {
    if let Some(data) = &args.data {
        return run_portfolio(args, data);
    }
    let (card, periods) = match super::load_run(&args.scorecard, &args.measurements, args.period.as_deref()) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (current, previous) = match periods.as_slice() {
        [.., prev, cur] => (cur, Some(prev)),
        [cur] => (cur, None),
        [] => return Exit::Usage("no measurements given".into()),
    };
    let eval = match score::evaluate(&card, current, previous) {
        Ok(e) => e,
        Err(m) => return super::report_missing(&m),
    };
    match args.format {
        EvalFormat::Json => println!("{}", serde_json::to_string_pretty(&eval).expect("evaluation serialises")),
        EvalFormat::Jsonl => print!("{}", String::from_utf8(output::json_line(&eval)).expect("JSON is UTF-8")),
        EvalFormat::Csv => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = output::write_csv(&card, &[output::Summary::of_evaluation(&card, &eval, output::Style::Exact)], &mut out) {
                return Exit::Usage(format!("cannot write the output: {e}"));
            }
        }
        EvalFormat::Table => print!("{}", crate::table::render(&card, &eval, current, super::stdout_color())),
    }
    Exit::Ok
}

fn run_portfolio(args: &EvaluateArgs, data: &Path) -> Exit {
    let (card, _) = match super::load_run(&args.scorecard, &[], None) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let selection = match (&args.period, &args.from, &args.to) {
        (Some(p), _, _) => Selection::Period(p.clone()),
        (None, None, None) => Selection::Latest,
        (None, from, to) => Selection::Span { from: from.clone(), to: to.clone() },
    };
    let opts = portfolio::Options {
        selection,
        format: match args.format {
            EvalFormat::Table => portfolio::Format::Table,
            EvalFormat::Json => portfolio::Format::Json,
            EvalFormat::Jsonl => portfolio::Format::Jsonl,
            EvalFormat::Csv => portfolio::Format::Csv,
        },
        progress: true,
        color: super::stdout_color(),
        keep: false,
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = portfolio::evaluate(&card, data, &opts, &mut out);
    let flushed = out.flush();
    match result {
        Ok(done) => {
            if let Err(e) = flushed {
                return Exit::Usage(format!("cannot write the output: {e}"));
            }
            if done.skipped_total > 0 {
                let more = done.skipped_total - done.skipped.len();
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                eprintln!(
                    "note: {} unit{} without rows in {} not evaluated: {}{more}",
                    done.skipped_total,
                    if done.skipped_total == 1 { "" } else { "s" },
                    done.plan.label(&done.plan.current),
                    done.skipped.join(", ")
                );
            }
            Exit::Ok
        }
        Err(Failure::Usage(m)) => Exit::Usage(m),
        Err(Failure::Invalid { diagnostics, more }) => {
            eprint!("{}", crate::diag::render_human(&diagnostics, super::stderr_color()));
            let total = diagnostics.len() + more;
            if more > 0 {
                eprintln!("note: {more} more errors not shown");
            }
            eprintln!("failed: {total} error{} in {}", if total == 1 { "" } else { "s" }, data.display());
            Exit::Invalid
        }
        Err(Failure::Missing { units, more }) => {
            let total = units.len() + more;
            eprintln!(
                "error: scorecard requires every indicator (missing = \"error\"), but {total} unit{} lack{} scores:",
                if total == 1 { "" } else { "s" },
                if total == 1 { "s" } else { "" }
            );
            for (unit, m) in &units {
                let ids: Vec<String> = m.missing.iter().map(|(id, reason)| format!("{id} ({reason})")).collect();
                eprintln!("  {unit}: {}", ids.join(", "));
            }
            if more > 0 {
                eprintln!("  and {more} more units");
            }
            Exit::Invalid
        }
    }
}
