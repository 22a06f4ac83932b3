//! `bsc evaluate`: score the latest period of the measurements files (or
//! `--period`), with the one before it for trends; or, with `--data`,
//! every unit of a long-format data file (a ranking, or one SPEC §8
//! object per unit).

use std::io::Write;
use std::path::Path;

use crate::cli::{EvalFormat, EvaluateArgs, Exit};
use crate::portfolio::{self, output};

pub fn run(args: &EvaluateArgs) -> Exit {
    if let Some(data) = &args.inputs.data {
        return run_portfolio(args, data);
    }
    if let Err(e) = super::data_only_flags(&args.inputs, None) {
        return e;
    }
    let run = match super::evaluate_files(
        &args.inputs.scorecard,
        &args.inputs.measurements,
        args.inputs.period.as_deref(),
    ) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (card, eval) = (&run.card, &run.evaluation);
    match args.format {
        EvalFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(eval).expect("evaluation serialises")
        ),
        EvalFormat::Jsonl => print!(
            "{}",
            String::from_utf8(output::json_line(eval)).expect("JSON is UTF-8")
        ),
        EvalFormat::Csv => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = output::write_csv(
                card,
                &[&output::Summary::of_evaluation(
                    card,
                    eval,
                    output::Style::Exact,
                )],
                &mut out,
            ) {
                return Exit::Usage(format!("cannot write the output: {e}"));
            }
        }
        EvalFormat::Table => print!(
            "{}",
            crate::table::render(card, eval, super::stdout_color())
        ),
    }
    Exit::Ok
}

fn run_portfolio(args: &EvaluateArgs, data: &Path) -> Exit {
    let (card, _) = match super::load_run(&args.inputs.scorecard, &[], None) {
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
