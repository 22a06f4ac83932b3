//! `bsc report`: render the evaluation of the last measurements file as a
//! management report, to stdout or atomically to a file.

use std::path::Path;

use crate::cli::{Exit, Lang, ReportArgs, ReportFormat};
use crate::report::{self, Format, Options};
use crate::score;

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

pub fn run(args: &ReportArgs) -> Exit {
    if let Some(out) = &args.output {
        let inputs = std::iter::once(&args.scorecard).chain(&args.measurements);
        for input in inputs {
            if same_file(out, input) {
                return Exit::Usage(format!("refusing to overwrite input file `{}` with the report", out.display()));
            }
        }
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
    let opts = Options {
        format: match args.format {
            ReportFormat::Html => Format::Html,
            ReportFormat::Md => Format::Markdown,
        },
        lang: match args.lang {
            Lang::En => report::Lang::En,
            Lang::Zh => report::Lang::Zh,
        },
        templates: args.templates.as_deref(),
        generated_at: args.timestamp.then(crate::output::utc_now),
    };
    let text = match report::render(&card, &eval, current, previous, &opts) {
        Ok(t) => t,
        // A broken template is a usage error of the templates given.
        Err(e) => return Exit::Usage(e.to_string()),
    };
    match &args.output {
        Some(path) => match crate::output::write_atomic(path, text.as_bytes()) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                Exit::Ok
            }
            Err(e) => Exit::Usage(e),
        },
        None => {
            print!("{text}");
            Exit::Ok
        }
    }
}
