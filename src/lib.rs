//! bsc — balanced-scorecard evaluation engine.
//!
//! Data flows one way: [`load`] reads files into format types keeping
//! spans, [`validate`] turns them into a [`model::Scorecard`] (collecting
//! every diagnostic), [`data`] reads what was measured (measurements
//! files, long CSV, workbooks) into one store, [`score`] computes exact
//! decimal scores ([`evaluator`] scores a unit's data over a run's
//! periods, [`portfolio`] many units), and `report` renders them.

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

pub mod ahp;
pub mod cli;
pub mod codes;
pub mod commands;
pub mod data;
pub mod diag;
pub mod evaluator;
pub mod format;
pub mod formula;
pub mod load;
pub mod markdown;
pub mod model;
pub mod output;
pub mod portfolio;
pub mod raw;
pub mod report;
pub mod score;
pub mod source;
pub mod table;
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
