//! `bsc evaluate`: score the latest period of the measurements files (or
//! `--period`), with the one before it for trends; or, with `--data`,
//! every unit of a long-format data file (a ranking, or one SPEC §8
//! object per unit).

use std::io::Write;
use std::path::Path;

use crate::cli::{EvalFormat, EvaluateArgs, Exit};
use crate::portfolio::{self, output};

pub fn run(args: &EvaluateArgs) -> Exit {
    if !args.columns.is_empty() && (args.format != EvalFormat::Table || args.inputs.data.is_some())
    {
        return Exit::Usage(
            "--columns chooses columns of the terminal table of one unit; JSON, JSONL and CSV always carry every field, and --data prints a ranking: remove --columns".into(),
        );
    }
    if let Some(data) = &args.inputs.data {
        return run_portfolio(args, data);
    }
    if let Err(e) = super::data_only_flags(&args.inputs, None) {
        return e;
    }
    let run = match super::evaluate_files(&args.inputs) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (card, eval) = (&run.card, &run.evaluation);
    let bytes = match args.format {
        EvalFormat::Json => {
            let mut v = serde_json::to_vec_pretty(eval).expect("evaluation serialises");
            v.push(b'\n');
            v
        }
        EvalFormat::Jsonl => output::json_line(eval),
        EvalFormat::Csv => {
            let mut v = Vec::new();
            output::write_csv(
                card,
                &[&output::Summary::of_evaluation(
                    card,
                    eval,
                    output::Style::Exact,
                )],
                &mut v,
            )
            .expect("writing to memory cannot fail");
            v
        }
        EvalFormat::Table => {
            crate::table::render(card, eval, &args.columns, super::stdout_color()).into_bytes()
        }
    };
    crate::output::print(&bytes)
}

fn run_portfolio(args: &EvaluateArgs, data: &Path) -> Exit {
    let (card, _) =
        match super::load_run(&args.inputs.scorecard, &[], None, args.inputs.deny_warnings) {
            Ok(x) => x,
            Err(e) => return e,
        };
    let selection = args.inputs.selection();
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
        year_ago: args.inputs.compare == crate::cli::Compare::YearAgo,
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, crate::output::Stdout::lock());
    let result = portfolio::evaluate(&card, data, &opts, &mut out);
    let _ = out.flush();
    // A write error wins over the message the run made of it; failures of
    // the data itself were found before anything was written.
    if let Some(exit) = out.get_ref().failed()
        && matches!(result, Ok(_) | Err(portfolio::Failure::Usage(_)))
    {
        return exit;
    }
    match result {
        Ok(done) => {
            if done.skipped_total > 0 {
                let more = done.skipped_total - done.skipped.len();
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
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
        Err(f) => super::portfolio_failure(f, data),
    }
}
