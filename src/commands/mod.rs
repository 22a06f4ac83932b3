//! One module per subcommand; each is a short function over the library.

pub mod evaluate;
pub mod init;
pub mod report;
pub mod schema;
pub mod validate;

use std::io::IsTerminal;

/// Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
pub fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn stderr_color() -> bool {
    use_color(std::io::stderr().is_terminal())
}

pub fn stdout_color() -> bool {
    use_color(std::io::stdout().is_terminal())
}

use std::path::{Path, PathBuf};

use crate::cli::Exit;
use crate::diag::{self, Diagnostics};
use crate::measure::Measurements;
use crate::model::Scorecard;

/// Loads a scorecard and its measurements files for `evaluate` and
/// `report`. Diagnostics (errors and warnings) go to stderr; any error
/// ends the command with exit 1, an unreadable file with exit 2.
pub fn load_run(
    scorecard: &Path,
    measurements: &[PathBuf],
    period: Option<&str>,
) -> Result<(Scorecard, Vec<Measurements>), Exit> {
    let mut diags = Diagnostics::default();
    let checked =
        crate::read_scorecard(scorecard, &mut diags).map_err(|e| Exit::Usage(e.to_string()))?;
    let card = checked.and_then(|c| c.scorecard);
    let mut periods = Vec::new();
    if let Some(card) = &card {
        for (i, m) in measurements.iter().enumerate() {
            let src = match crate::load::read_source(m).map_err(|e| Exit::Usage(e.to_string()))? {
                Ok(s) => s,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            // --period names the evaluated (last) file's period.
            let p = if i + 1 == measurements.len() {
                period
            } else {
                None
            };
            if let Some(ms) = crate::measure::load(&src, card, p, &mut diags) {
                periods.push(ms);
            }
        }
    }
    diags.sort();
    if !diags.items.is_empty() {
        eprint!("{}", diags.render_human(stderr_color()));
    }
    match card {
        Some(card) if !diags.has_errors() => Ok((card, periods)),
        _ => {
            eprintln!(
                "failed: {} error{}",
                diags.error_count(),
                if diags.error_count() == 1 { "" } else { "s" }
            );
            Err(Exit::Invalid)
        }
    }
}

/// Prints the ids that `missing = "error"` found without a score.
pub fn report_missing(m: &crate::score::MissingData) -> Exit {
    let n = m.missing.len();
    let verb = if n == 1 {
        "indicator has"
    } else {
        "indicators have"
    };
    eprintln!(
        "error: scorecard requires every indicator (missing = \"error\"), but {n} {verb} no score:"
    );
    for (id, reason) in &m.missing {
        eprintln!("  {id}: {reason}");
    }
    Exit::Invalid
}

/// A scorecard with its measurements evaluated: the last file is the
/// period, the one before it gives trends.
pub struct FileRun {
    pub card: Scorecard,
    pub current: Measurements,
    pub previous: Option<Measurements>,
    pub evaluation: crate::score::Evaluation,
}

/// Loads, checks and evaluates, for `evaluate` and `report`.
pub fn evaluate_files(
    scorecard: &Path,
    measurements: &[PathBuf],
    period: Option<&str>,
) -> Result<FileRun, Exit> {
    let (card, mut periods) = load_run(scorecard, measurements, period)?;
    let current = periods
        .pop()
        .ok_or_else(|| Exit::Usage("no measurements given".into()))?;
    let previous = periods.pop();
    let evaluation = crate::score::evaluate(&card, &current, previous.as_ref())
        .map_err(|m| report_missing(&m))?;
    Ok(FileRun {
        card,
        current,
        previous,
        evaluation,
    })
}

/// Prints why a portfolio run failed and gives its exit code.
pub fn portfolio_failure(f: crate::portfolio::Failure, data: &Path) -> Exit {
    use crate::portfolio::Failure;
    match f {
        Failure::Usage(m) => Exit::Usage(m),
        Failure::Invalid { diagnostics, more } => {
            eprint!("{}", diag::render_human(&diagnostics, stderr_color()));
            let total = diagnostics.len() + more;
            if more > 0 {
                eprintln!("note: {more} more errors not shown");
            }
            eprintln!(
                "failed: {total} error{} in {}",
                if total == 1 { "" } else { "s" },
                data.display()
            );
            Exit::Invalid
        }
        Failure::Missing { units, more } => {
            let total = units.len() + more;
            eprintln!(
                "error: scorecard requires every indicator (missing = \"error\"), but {total} unit{} lack{} scores:",
                if total == 1 { "" } else { "s" },
                if total == 1 { "s" } else { "" }
            );
            for (unit, m) in &units {
                let ids: Vec<String> = m
                    .missing
                    .iter()
                    .map(|(id, reason)| format!("{id} ({reason})"))
                    .collect();
                eprintln!("  {unit}: {}", ids.join(", "));
            }
            if more > 0 {
                eprintln!("  and {more} more units");
            }
            Exit::Invalid
        }
    }
}
