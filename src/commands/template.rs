//! `bsc template`: a blank measurements file for one period of a card
//! (made by [`crate::export::template`]), to standard output or
//! atomically to `-o`, never over an existing file without `--force`.

use std::io::IsTerminal;
use std::path::Path;

use crate::cli::{Exit, TemplateArgs, TemplateFormat};
use crate::data::measurements::{is_csv, period_from_file_name};
use crate::export::template::{csv, toml, xlsx};

/// `--format`, else what `-o`'s extension says, else TOML. An extension
/// that is none of the three is a usage error, not a guess.
fn format_of(args: &TemplateArgs) -> Result<TemplateFormat, Exit> {
    if let Some(f) = args.format {
        return Ok(f);
    }
    let Some(out) = &args.output else {
        return Ok(TemplateFormat::Toml);
    };
    super::format_from_extension(
        out,
        &[
            ("toml", TemplateFormat::Toml),
            ("csv", TemplateFormat::Csv),
            ("xlsx", TemplateFormat::Xlsx),
        ],
        TemplateFormat::Toml,
        super::Named {
            what: "template",
            extensions: "`.toml`, `.csv` or `.xlsx`",
            formats: "toml|csv|xlsx",
        },
    )
}

/// A CSV file takes its period from its name: say so when the name given
/// would read as another period.
fn csv_name_note(out: &Path, period: &str) {
    let name = out.to_string_lossy();
    let read_as = period_from_file_name(&name);
    if is_csv(&name) && read_as != period {
        let stem = out
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        // A calendar label can end the name; a label of one's own is read
        // only from the whole name.
        let suffixed = format!("{stem}-{period}.csv");
        let better = if period_from_file_name(&suffixed) == period {
            suffixed
        } else {
            format!("{period}.csv")
        };
        eprintln!(
            "note: a CSV measurements file takes its period from its name, and `{}` reads as period `{read_as}`: name it `{better}`, or give `--period {period}` when you evaluate it",
            out.display()
        );
    }
}

pub fn run(args: &TemplateArgs) -> Exit {
    if let Err(m) = crate::data::period::check_label(&args.period) {
        return Exit::Usage(format!("--period: {m}"));
    }
    let format = match format_of(args) {
        Ok(f) => f,
        Err(e) => return e,
    };
    match &args.output {
        Some(out) => {
            let checks = super::refuse_input_overwrite(out, [&args.scorecard], "the template")
                .and_then(|()| super::refuse_existing(out, args.force));
            if let Err(e) = checks {
                return e;
            }
        }
        None if format == TemplateFormat::Xlsx && std::io::stdout().is_terminal() => {
            return Exit::Usage(
                "a workbook is binary: write it to a file with `-o FILE.xlsx` (or redirect standard output)".into(),
            );
        }
        None => {}
    }
    let (card, _) = match super::load_run(&args.scorecard, &[], None, false) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let bytes = match format {
        TemplateFormat::Toml => toml(&card, &args.period).into_bytes(),
        TemplateFormat::Csv => csv(&card),
        TemplateFormat::Xlsx => match xlsx(&card, &args.period) {
            Ok(b) => b,
            Err(e) => return Exit::Usage(e),
        },
    };
    let exit = crate::output::deliver(args.output.as_deref(), &bytes);
    if let (Exit::Ok, Some(out), TemplateFormat::Csv) = (&exit, &args.output, format) {
        csv_name_note(out, &args.period);
    }
    exit
}
