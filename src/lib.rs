//! bsc — balanced-scorecard evaluation engine, as a library.
//!
//! The `bsc` command is a thin layer over four steps that other Rust code
//! can call the same way: check a scorecard ([`check_scorecard`] or
//! [`read_scorecard`]), read a period's measurements
//! ([`read_measurements`]), evaluate them ([`evaluate`], exact decimal
//! scores shaped as the JSON output, [`score::Evaluation`]), and render a
//! report ([`render_report`]). Problems come back as [`diag::Diagnostics`]
//! (file, line, column, code, message, hint), never as panics.
//!
//! ```
//! use bsc::diag::Diagnostics;
//! use bsc::source::SourceFile;
//! use std::path::Path;
//!
//! let mut diags = Diagnostics::default();
//! let card_text = include_str!("../scorecards/crm.toml").to_string();
//! let card = SourceFile::new(Path::new("crm.toml"), card_text);
//! let card = bsc::check_scorecard(&card, &mut diags).expect("the example is valid");
//!
//! let q2 = SourceFile::new(Path::new("q2.toml"), include_str!("../scorecards/crm-2026-Q2.toml").into());
//! let q3 = SourceFile::new(Path::new("q3.toml"), include_str!("../scorecards/crm-2026-Q3.toml").into());
//! let q2 = bsc::read_measurements(&q2, &card, &mut diags).expect("valid");
//! let q3 = bsc::read_measurements(&q3, &card, &mut diags).expect("valid");
//!
//! let e = bsc::evaluate(&card, &q3, Some(&q2)).expect("nothing is required to be present");
//! assert_eq!(e.period, "2026-Q3");
//! // Exact: CLV is 100 × 12 × 3 × 0.4 − 200 = 1240.
//! assert_eq!(e.indicators[0].actual.unwrap().to_string(), "1240");
//! assert_eq!(e.composite.status.as_str(), "amber");
//!
//! let md = bsc::render_report(&card, &e, &q3.notes, Some("2026-Q2"), bsc::report::Format::Markdown)
//!     .expect("the built-in templates render");
//! assert!(md.starts_with("# CRM performance"));
//! assert!(diags.items.is_empty());
//! ```
//!
//! Inside, data flows one way: `load` reads files into format types
//! keeping spans, `validate` turns them into a [`model::Scorecard`]
//! (collecting every diagnostic), `data` reads what was measured
//! (measurements files, long CSV, workbooks) into one store, [`score`]
//! computes exact decimal scores (`evaluator` scores a unit's data over a
//! run's periods, `portfolio` many units), and [`report`] renders them.
//! Those inner modules are public for the command, the tests and the
//! benchmarks, but hidden from these docs: they change without notice.

// Diagnostics and notes on stderr that never panic: std's `eprint!` and
// `eprintln!` panic when stderr is a full disk or a closed pipe, and a run
// that cannot say why it failed must still end with its exit code.
// Defined before the modules, these shadow std's macros in the whole crate.
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[doc(hidden)]
pub mod ahp;
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod codes;
#[doc(hidden)]
pub mod commands;
#[doc(hidden)]
pub mod data;
pub mod diag;
#[doc(hidden)]
pub mod evaluator;
pub mod explain;
#[doc(hidden)]
pub mod export;
#[doc(hidden)]
pub mod format;
#[doc(hidden)]
pub mod formula;
#[doc(hidden)]
pub mod load;
#[doc(hidden)]
pub mod markdown;
pub mod model;
#[doc(hidden)]
pub mod output;
#[doc(hidden)]
pub mod portfolio;
#[doc(hidden)]
pub mod raw;
pub mod report;
pub mod score;
pub mod source;
#[doc(hidden)]
pub mod table;
#[doc(hidden)]
pub mod validate;

use std::path::Path;

use diag::Diagnostics;
use source::Source;

/// A scorecard read and checked: the model when it is valid, and every
/// diagnostic found either way.
pub struct Checked {
    pub source: Source,
    pub scorecard: Option<model::Scorecard>,
}

/// Loads and validates a scorecard from its source text.
pub fn check_scorecard(src: &Source, diags: &mut Diagnostics) -> Option<model::Scorecard> {
    let root = load::parse_toml(src, diags)?;
    check_parsed_scorecard(src, &root, diags)
}

/// Loads and validates a scorecard whose TOML is already parsed.
pub fn check_parsed_scorecard(
    src: &Source,
    root: &toml::Spanned<toml::de::DeTable>,
    diags: &mut Diagnostics,
) -> Option<model::Scorecard> {
    let mut w = load::Walker { src, diags };
    let raw = load::scorecard_from_toml(root, &mut w)?;
    let before = diags.error_count();
    let card = validate::validate(&raw, src, diags);
    debug_assert!(card.is_some() == (diags.error_count() == before));
    card
}

/// A period's measurements (TOML, or CSV when the name ends in `.csv`)
/// checked against `card`: `None` when any error was found (each in
/// `diags`, with its line and column).
pub fn read_measurements(
    src: &Source,
    card: &model::Scorecard,
    diags: &mut Diagnostics,
) -> Option<data::measurements::Measurements> {
    data::measurements::load(src, card, None, diags)
}

/// Scores `current` against `card`, with `previous` (an earlier period)
/// for changes and trends. `Err` only under `missing = "error"`, naming
/// every indicator without a score and why.
pub fn evaluate(
    card: &model::Scorecard,
    current: &data::measurements::Measurements,
    previous: Option<&data::measurements::Measurements>,
) -> Result<score::Evaluation, score::MissingData> {
    evaluator::evaluate(card, current, previous)
}

/// A management report of `e` in English, HTML or Markdown, with the
/// period's `notes` (Markdown, by indicator id) and the label of the
/// period compared with.
pub fn render_report(
    card: &model::Scorecard,
    e: &score::Evaluation,
    notes: &std::collections::HashMap<String, String>,
    compared_with: Option<&str>,
    format: report::Format,
) -> Result<String, report::ReportError> {
    let opts = report::Options {
        format,
        lang: report::Lang::En,
        templates: None,
        generated_at: None,
        year_ago: false,
    };
    report::render(card, e, notes, compared_with, &opts)
}

/// Reads, loads and validates a scorecard file. `Err` only for I/O.
pub fn read_scorecard(
    path: &Path,
    diags: &mut Diagnostics,
) -> Result<Option<Checked>, load::IoError> {
    match load::read_source(path)? {
        Ok(src) => {
            let scorecard = check_scorecard(&src, diags);
            Ok(Some(Checked {
                source: src,
                scorecard,
            }))
        }
        Err(d) => {
            diags.push(d);
            Ok(None)
        }
    }
}
