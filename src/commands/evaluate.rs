//! `bsc evaluate`: score the latest period of the measurements files (or
//! `--period`), with the one before it for trends; or, with `--data`,
//! every unit of a long-format data file (a ranking, or one SPEC §8
//! object per unit). To stdout, or atomically to a file (`-o`).

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::ValueEnum;

use crate::cli::{EvalFormat, EvaluateArgs, Exit};
use crate::export::{self, Unit};
use crate::output::WithBom;
use crate::portfolio::{self, output};

pub fn run(args: &EvaluateArgs) -> Exit {
    let format = match format_of(args) {
        Ok(f) => f,
        Err(e) => return e,
    };
    if let Err(e) = check_flags(args, format) {
        return e;
    }
    if let Err(e) =
        super::refuse_overwriting_inputs(args.output.as_deref(), &args.inputs, "the results")
    {
        return e;
    }
    if let Some(data) = &args.inputs.data {
        return run_portfolio(args, format, data);
    }
    let run = match super::evaluate_files(&args.inputs) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let (card, eval) = (&run.card, &run.evaluation);
    let unit = Unit {
        evaluation: eval,
        notes: &run.notes,
    };
    let mut bytes = Vec::new();
    if args.bom {
        bytes.extend_from_slice(crate::output::BOM);
    }
    match format {
        EvalFormat::Json => {
            export::json::write(eval, true, 0, &mut bytes);
            bytes.push(b'\n');
        }
        EvalFormat::Jsonl => bytes.extend(output::json_line(eval, Vec::new())),
        EvalFormat::Csv => {
            let style = match args.decimals {
                Some(n) => output::Style::Decimals(n),
                None => output::Style::Exact,
            };
            output::write_csv(
                card,
                &[&output::Summary::of_evaluation(card, eval, style)],
                &mut bytes,
            )
            .expect("writing to memory cannot fail");
        }
        EvalFormat::CsvLong => export::csv_long::write(
            card,
            &[unit],
            run.compared_with.as_deref(),
            args.decimals,
            &mut bytes,
        )
        .expect("writing to memory cannot fail"),
        EvalFormat::Xlsx => {
            match export::xlsx::workbook(card, &[unit], run.compared_with.as_deref(), args.decimals)
            {
                Ok(b) => bytes = b,
                Err(m) => return Exit::Usage(m),
            }
        }
        EvalFormat::Table => {
            bytes.extend(crate::table::render(card, eval, &args.columns, color(args)).into_bytes())
        }
    }
    crate::output::deliver(args.output.as_deref(), &bytes)
}

/// Whether to colour a table: as `--color` says for standard output; a
/// file only when asked (`--color always`, `CLICOLOR_FORCE`).
fn color(args: &EvaluateArgs) -> bool {
    match args.output {
        Some(_) => super::use_color(false),
        None => super::stdout_color(),
    }
}

/// `--format`, else what `-o`'s extension says, else the terminal table.
fn format_of(args: &EvaluateArgs) -> Result<EvalFormat, Exit> {
    if let Some(f) = args.format {
        return Ok(f);
    }
    let Some(out) = &args.output else {
        return Ok(EvalFormat::Table);
    };
    super::format_from_extension(
        out,
        &[
            ("txt", EvalFormat::Table),
            ("json", EvalFormat::Json),
            ("jsonl", EvalFormat::Jsonl),
            ("csv", EvalFormat::Csv),
            ("xlsx", EvalFormat::Xlsx),
        ],
        EvalFormat::Table,
        super::Named {
            what: "output",
            extensions: "`.txt`, `.json`, `.jsonl`, `.csv` or `.xlsx`",
            formats: "table|json|jsonl|csv|csv-long|xlsx",
        },
    )
}

/// `table`, `csv-long`...: the value `--format` takes.
fn name(f: EvalFormat) -> String {
    f.to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

/// Flags that do nothing with the chosen format are usage errors, not
/// silently ignored; a workbook is not written to a terminal.
fn check_flags(args: &EvaluateArgs, format: EvalFormat) -> Result<(), Exit> {
    if !args.columns.is_empty() && (format != EvalFormat::Table || args.inputs.data.is_some()) {
        return Err(Exit::Usage(
            "--columns chooses columns of the terminal table of one unit; JSON, JSONL, CSV, csv-long and xlsx always carry every field, and --data prints a ranking: remove --columns".into(),
        ));
    }
    let csv = matches!(format, EvalFormat::Csv | EvalFormat::CsvLong);
    if args.decimals.is_some() && !csv && format != EvalFormat::Xlsx {
        return Err(Exit::Usage(format!(
            "--decimals rounds scores in csv and csv-long output (and sets the decimals xlsx shows); --format {} does not take it ({}): remove --decimals, or give --format csv|csv-long|xlsx",
            name(format),
            if format == EvalFormat::Table {
                "the table shows the card's `precision`"
            } else {
                "JSON keeps every digit"
            }
        )));
    }
    if args.bom && !csv {
        return Err(Exit::Usage(format!(
            "--bom starts csv and csv-long output with a UTF-8 byte order mark; --format {} does not take it: remove --bom, or give --format csv|csv-long",
            name(format)
        )));
    }
    if format == EvalFormat::Xlsx && args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(xlsx_on_terminal());
    }
    Ok(())
}

fn xlsx_on_terminal() -> Exit {
    Exit::Usage(
        "--format xlsx writes a binary workbook, which a terminal cannot show: give -o FILE.xlsx, or redirect standard output (`> results.xlsx`)".into(),
    )
}

fn run_portfolio(args: &EvaluateArgs, format: EvalFormat, data: &Path) -> Exit {
    let (card, _) =
        match super::load_run(&args.inputs.scorecard, &[], None, args.inputs.deny_warnings) {
            Ok(x) => x,
            Err(e) => return e,
        };
    let opts = portfolio::Options {
        selection: args.inputs.selection(),
        format: match format {
            EvalFormat::Table => portfolio::Format::Table,
            // A workbook is made of every unit's evaluation, kept.
            EvalFormat::Json | EvalFormat::Xlsx => portfolio::Format::Json,
            EvalFormat::Jsonl => portfolio::Format::Jsonl,
            EvalFormat::Csv => portfolio::Format::Csv,
            EvalFormat::CsvLong => portfolio::Format::CsvLong,
        },
        progress: true,
        color: color(args),
        keep: format == EvalFormat::Xlsx,
        year_ago: args.inputs.compare == crate::cli::Compare::YearAgo,
        decimals: args.decimals,
    };
    if format == EvalFormat::Xlsx || args.output.is_some() {
        // The whole result, then one write (a workbook is made whole; a
        // file is replaced atomically).
        let mut buf = WithBom::new(Vec::new(), args.bom);
        let done = match portfolio::evaluate(&card, data, &opts, &mut buf) {
            Ok(d) => d,
            Err(f) => return super::portfolio_failure(f, data),
        };
        skipped_note(&done);
        let bytes = if format == EvalFormat::Xlsx {
            let units: Vec<Unit> = done
                .evaluations
                .iter()
                .map(|u| Unit {
                    evaluation: &u.evaluation,
                    notes: &u.notes,
                })
                .collect();
            let previous = done.plan.previous.as_ref().map(|p| done.plan.label(p));
            match export::xlsx::workbook(&card, &units, previous.as_deref(), args.decimals) {
                Ok(b) => b,
                Err(m) => return Exit::Usage(m),
            }
        } else {
            buf.inner
        };
        return crate::output::deliver(args.output.as_deref(), &bytes);
    }
    // Small: it gathers a ranking's rows, while a unit's JSON text (tens
    // of kilobytes, each one write) is larger and goes past it uncopied;
    // at 64 KiB the main thread copied every JSON byte once more, a tenth
    // of a `--format json` run.
    let mut out = WithBom::new(
        std::io::BufWriter::with_capacity(1 << 13, crate::output::Stdout::lock()),
        args.bom,
    );
    let result = portfolio::evaluate(&card, data, &opts, &mut out);
    let _ = out.flush();
    // A write error wins over the message the run made of it; failures of
    // the data itself were found before anything was written.
    if let Some(exit) = out.inner.get_ref().failed()
        && matches!(result, Ok(_) | Err(portfolio::Failure::Usage(_)))
    {
        return exit;
    }
    match result {
        Ok(done) => {
            skipped_note(&done);
            Exit::Ok
        }
        Err(f) => super::portfolio_failure(f, data),
    }
}

/// Names the units that have rows only outside the evaluated span.
fn skipped_note(done: &portfolio::Done) {
    if done.skipped_total == 0 {
        return;
    }
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
