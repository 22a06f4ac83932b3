//! One module per subcommand; each is a short function over the library.

pub mod completions;
pub mod evaluate;
pub mod explain;
pub mod explain_code;
pub mod init;
pub mod man;
pub mod report;
pub mod schema;
pub mod template;
pub mod validate;

use std::io::IsTerminal;

/// The run's `--color` (set once by `cli::run`, read where output is drawn).
static COLOR: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

pub fn set_color(choice: crate::cli::ColorChoice) {
    use crate::cli::ColorChoice;
    let n = match choice {
        ColorChoice::Auto => 0,
        ColorChoice::Always => 1,
        ColorChoice::Never => 2,
    };
    COLOR.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// Whether to colour a stream: `--color always` / `never` decide;
/// `auto` colours a terminal, never when NO_COLOR is set (no-color.org),
/// always when CLICOLOR_FORCE is (and NO_COLOR is not), and not when
/// CLICOLOR=0 (bixense.com/clicolors).
pub fn use_color(stream_is_terminal: bool) -> bool {
    use crate::cli::ColorChoice;
    let choice = match COLOR.load(std::sync::atomic::Ordering::Relaxed) {
        1 => ColorChoice::Always,
        2 => ColorChoice::Never,
        _ => ColorChoice::Auto,
    };
    decide(choice, stream_is_terminal, |k| std::env::var_os(k))
}

fn decide(
    choice: crate::cli::ColorChoice,
    terminal: bool,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> bool {
    use crate::cli::ColorChoice;
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto
            if set("CLICOLOR_FORCE") && env("CLICOLOR_FORCE").is_some_and(|v| v != "0") =>
        {
            true
        }
        ColorChoice::Auto if env("CLICOLOR").is_some_and(|v| v == "0") => false,
        ColorChoice::Auto => terminal,
    }
}

pub fn stderr_color() -> bool {
    use_color(std::io::stderr().is_terminal())
}

pub fn stdout_color() -> bool {
    use_color(std::io::stdout().is_terminal())
}

use std::path::{Path, PathBuf};

use crate::cli::Exit;
use crate::data::measurements::{self, Loaded, Measurements};
use crate::data::period::{Plan, Selection, cmp_periods};
use crate::diag::{self, Diagnostic, Diagnostics};
use crate::evaluator::Evaluator;
use crate::model::Scorecard;
use crate::source::Source;

/// Loads a scorecard and its measurements files for `evaluate` and
/// `report`, ordered by period (SPEC §3) and cut at the evaluated one:
/// `--period` when given, else the latest. Diagnostics (errors and
/// warnings) go to stderr; any error ends the command with exit 1, an
/// unreadable file with exit 2, and so does any warning under
/// `--deny-warnings` (`deny`).
pub fn load_run(
    scorecard: &Path,
    measurements: &[PathBuf],
    period: Option<&str>,
    deny: bool,
) -> Result<(Scorecard, Vec<Measurements>), Exit> {
    let mut diags = Diagnostics::default();
    let card = read_card(scorecard, measurements, &mut diags)?;
    let mut periods = Vec::new();
    if let Some(card) = &card {
        let loaded = read_measurements(card, measurements, period, &mut diags)?;
        if !diags.has_errors() {
            periods = order_periods(loaded, period, &mut diags);
        }
    }
    diags.sort();
    if !diags.items.is_empty() {
        eprint!("{}", diags.render_human(stderr_color()));
    }
    match card {
        Some(_) if deny && !diags.has_errors() && diags.warning_count() > 0 => {
            Err(warnings_denied(diags.warning_count()))
        }
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

fn read(path: &Path) -> Result<Result<Source, diag::Diagnostic>, Exit> {
    crate::load::read_source(path).map_err(|e| Exit::Usage(e.to_string()))
}

/// The scorecard, checked; a measurements file in its place is named as
/// such (E069) instead of being reported key by key as a bad scorecard.
fn read_card(
    path: &Path,
    measurements: &[PathBuf],
    diags: &mut Diagnostics,
) -> Result<Option<Scorecard>, Exit> {
    let src = match read(path)? {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return Ok(None);
        }
    };
    let Some(mark) = measurements::measurements_marker(&src) else {
        return Ok(crate::check_scorecard(&src, diags));
    };
    // Which of the other arguments is the scorecard, to show the order.
    let card = measurements.iter().find(|m| {
        read(m)
            .ok()
            .and_then(Result::ok)
            .is_some_and(|s| measurements::scorecard_marker(&s).is_some())
    });
    let hint = match card {
        Some(c) => format!(
            "the scorecard comes first, then the measurements files: `{} {}`",
            c.display(),
            src.name
        ),
        None => format!(
            "give the scorecard file first, then the measurements files: `card.toml {}`",
            src.name
        ),
    };
    diags.push(
        Diagnostic::error(
            "E069",
            format!("`{}` is a measurements file, not a scorecard", src.name),
        )
        .at(&src, mark)
        .label("this makes it a measurements file")
        .hint(hint),
    );
    Ok(None)
}

/// Reads each measurements file once; the same file named twice (E065)
/// and a scorecard among them (E069) are errors.
fn read_measurements(
    card: &Scorecard,
    paths: &[PathBuf],
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Result<Vec<Loaded>, Exit> {
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    let mut loaded = Vec::new();
    for path in paths {
        let canonical = path.canonicalize().ok();
        if let Some(c) = &canonical
            && let Some((_, first)) = seen.iter().find(|(s, _)| s == c)
        {
            diags.push(
                Diagnostic::error(
                    "E065",
                    format!(
                        "`{}` and `{}` are the same file",
                        first.display(),
                        path.display()
                    ),
                )
                .hint("give each measurements file once"),
            );
            continue;
        }
        if let Some(c) = canonical {
            seen.push((c, path));
        }
        let src = match read(path)? {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if let Some(mark) = measurements::scorecard_marker(&src) {
            diags.push(
                Diagnostic::error(
                    "E069",
                    format!("`{}` is a scorecard, not a measurements file", src.name),
                )
                .at(&src, mark)
                .label("a scorecard table")
                .hint("give one scorecard, first, then only measurements files"),
            );
            continue;
        }
        if let Some(l) = measurements::load_file(&src, card, period, diags) {
            loaded.push(l);
        }
    }
    Ok(loaded)
}

fn unit_words(unit: Option<&str>) -> String {
    unit.map_or_else(
        || "has no unit".to_string(),
        |u| format!("is for unit `{u}`"),
    )
}

/// Orders files by period label (SPEC §3) and keeps those up to the
/// evaluated period. Two files of one period (E066), files of different
/// units (E067) and a `--period` no file has (E068) are errors.
fn order_periods(
    mut files: Vec<Loaded>,
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Vec<Measurements> {
    // Stable, so the message about two files of one period names them in
    // the order they were given.
    files.sort_by(|a, b| cmp_periods(&a.measurements.period, &b.measurements.period));
    let at = |d: diag::Diagnostic, f: &Loaded, span: &Option<std::ops::Range<usize>>| match span {
        Some(s) => d.at(&f.source, s.clone()),
        None => d.in_file(&f.source),
    };
    let mut errors = false;
    if let Some(first) = files.first() {
        for f in &files[1..] {
            let (u, v) = (&first.measurements.unit, &f.measurements.unit);
            if u != v {
                errors = true;
                let (located, span) = if f.unit_span.is_some() {
                    (f, &f.unit_span)
                } else {
                    (first, &first.unit_span)
                };
                diags.push(
                    at(
                        Diagnostic::error(
                            "E067",
                            format!(
                                "`{}` {} but `{}` {}",
                                f.source.name,
                                unit_words(v.as_deref()),
                                first.source.name,
                                unit_words(u.as_deref())
                            ),
                        ),
                        located,
                        span,
                    )
                    .label("unit")
                    .hint("evaluate one business unit per call; for many units, use one long-format file with --data"),
                );
            }
        }
    }
    for w in files.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if a.measurements.period == b.measurements.period {
            errors = true;
            let how = if b.period_stated {
                ""
            } else {
                " (from --period or its file name)"
            };
            diags.push(
                at(
                    Diagnostic::error(
                        "E066",
                        format!(
                            "`{}` and `{}` are both for period {}{how}",
                            a.source.name, b.source.name, b.measurements.period
                        ),
                    ),
                    b,
                    &b.period_span,
                )
                .label("same period")
                .hint("give one file per period; fix the `period` of the one that is mislabelled"),
            );
        }
    }
    if let Some(p) = period
        && !files.iter().any(|f| f.measurements.period == p)
    {
        errors = true;
        let stated: Vec<String> = files
            .iter()
            .map(|f| format!("`{}` is for {}", f.source.name, f.measurements.period))
            .collect();
        let d = Diagnostic::error(
            "E068",
            format!(
                "--period {p} is not the period of any measurements file given: {}",
                stated.join(", ")
            ),
        )
        .label("the file's own period")
        .hint("drop --period to evaluate the latest file, or give the file of that period; --period only labels CSV files whose names hold no period");
        diags.push(match files.as_slice() {
            [f] => at(d, f, &f.period_span),
            _ => d,
        });
    }
    if errors {
        return Vec::new();
    }
    let end = period.map_or(files.len(), |p| {
        files
            .iter()
            .position(|f| f.measurements.period == p)
            .map_or(files.len(), |i| i + 1)
    });
    files.truncate(end);
    files.into_iter().map(|f| f.measurements).collect()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// `-o` must never replace one of the run's own inputs (`--force` or not):
/// `what` names what would have been written over it.
pub fn refuse_input_overwrite<'a>(
    out: &Path,
    inputs: impl IntoIterator<Item = &'a PathBuf>,
    what: &str,
) -> Result<(), Exit> {
    match inputs.into_iter().find(|input| same_file(out, input)) {
        Some(_) => Err(Exit::Usage(format!(
            "refusing to overwrite input file `{}` with {what}",
            out.display()
        ))),
        None => Ok(()),
    }
}

/// A file that exists is replaced only with `--force` (`init`, `template`).
pub fn refuse_existing(path: &Path, force: bool) -> Result<(), Exit> {
    if !force && path.exists() {
        return Err(Exit::Usage(format!(
            "`{}` already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    Ok(())
}

/// `--unit` chooses among the units of a long-format data file; given
/// without `--data` it would silently do nothing, so it is a usage error.
/// (`--from`/`--to` roll up measurements files as they do long data.)
pub fn data_only_flags(inputs: &crate::cli::Inputs, unit: Option<&str>) -> Result<(), Exit> {
    if inputs.data.is_none() && unit.is_some() {
        return Err(Exit::Usage(
            "--unit works only with --data (a long-format file of many units); measurements files are one unit: remove --unit, or pass the data with --data FILE".into(),
        ));
    }
    Ok(())
}

/// What a `-o` whose extension names no format is told: the output
/// (`report`), the extensions to use and the `--format` values.
pub struct Named {
    pub what: &'static str,
    pub extensions: &'static str,
    pub formats: &'static str,
}

/// The format `-o`'s extension names (`formats`: lower-case extensions),
/// `default` for a file without one. Any other extension is a usage error,
/// not a guess.
pub fn format_from_extension<F: Copy>(
    out: &Path,
    formats: &[(&str, F)],
    default: F,
    named: Named,
) -> Result<F, Exit> {
    let Some(ext) = out
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
    else {
        return Ok(default);
    };
    match formats.iter().find(|(e, _)| *e == ext) {
        Some((_, f)) => Ok(*f),
        None => Err(Exit::Usage(format!(
            "cannot tell the {} format from `-o {}` (`.{ext}`): name the file {}, or give --format {}",
            named.what,
            out.display(),
            named.extensions,
            named.formats
        ))),
    }
}

/// `-o` naming one of the run's input files is a usage error: a run never
/// replaces what it reads. `what` names the output (`the report`).
pub fn refuse_overwriting_inputs(
    out: Option<&Path>,
    inputs: &crate::cli::Inputs,
    what: &str,
) -> Result<(), Exit> {
    let Some(out) = out else { return Ok(()) };
    let all = std::iter::once(&inputs.scorecard)
        .chain(&inputs.measurements)
        .chain(&inputs.data);
    refuse_input_overwrite(out, all, what)
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

/// `--deny-warnings` and there were warnings (already printed): exit 1.
pub fn warnings_denied(n: usize) -> Exit {
    eprintln!(
        "failed: {n} warning{} (warnings denied by --deny-warnings)",
        if n == 1 { "" } else { "s" }
    );
    Exit::Invalid
}

/// W030 (SPEC §14, `require_note`): an indicator at or below the card's
/// level that neither a note nor an active initiative explains. Located in
/// `file`, the evaluated period's measurements file, where the note goes;
/// with long data, `data` names the file whose `note` column takes it.
pub fn note_warnings(
    card: &Scorecard,
    e: &crate::score::Evaluation,
    notes: &std::collections::HashMap<String, String>,
    file: Option<&Source>,
    data: Option<&Path>,
) -> Vec<Diagnostic> {
    use crate::score::follow_up::unexplained;
    let level = match card.require_note {
        Some(crate::model::NoteLevel::Amber) => "amber",
        _ => "red",
    };
    unexplained(card, e, notes)
        .into_iter()
        .map(|i| {
            let ind = &card.indicators[i];
            let r = &e.indicators[i];
            let through = ind.objective.map_or_else(String::new, |o| {
                format!(" or its objective `{}`", card.objectives[o].id)
            });
            let named = if ind.name == ind.id {
                String::new()
            } else {
                format!(" ({})", ind.name)
            };
            let add = match (file, data) {
                (_, Some(d)) => format!(
                    "write why, and what is done, in the `note` column of `{}`'s row in `{}`",
                    ind.id,
                    d.display()
                ),
                (Some(f), _) if measurements::is_csv(&f.name) => format!(
                    "write why, and what is done, in the `note` column of `{}`'s row",
                    ind.id
                ),
                _ => format!(
                    "add `{} = \"why, and what is done\"` under `[notes]`",
                    ind.id
                ),
            };
            let d = Diagnostic::warning(
                "W030",
                format!(
                    "indicator `{}`{named} is {} in {} with no note and no active initiative",
                    ind.id,
                    r.status.as_str(),
                    e.period
                ),
            )
            .hint(format!(
                "the card asks for one (`require_note = \"{level}\"`): {add}, or link an active initiative to `{}`{through}",
                ind.id
            ));
            match file {
                Some(f) => d.in_file(f),
                None => d,
            }
        })
        .collect()
}

/// The card's initiatives after the check-ins of `files` (ordered by
/// period, those of `plan`), at the end of the evaluated span: its last
/// file's `period_end`, else the end its label names.
pub fn follow_up(
    card: &Scorecard,
    files: &[Measurements],
    plan: &Plan,
) -> Vec<crate::score::follow_up::InitiativeResult> {
    let upto = &files[..plan.current.end.min(files.len())];
    let end = upto.last().and_then(|m| {
        m.period_end
            .or_else(|| crate::data::period::end_of(&m.period))
    });
    let check_ins: Vec<&[crate::data::measurements::CheckIn]> =
        upto.iter().map(|m| m.check_ins.as_slice()).collect();
    crate::score::follow_up::follow_up(card, &check_ins, plan.current.start, end)
}

/// A scorecard with its measurements evaluated: the evaluated period, and
/// the one before it for trends.
pub struct FileRun {
    pub card: Scorecard,
    /// The files' periods in order, up to the evaluated one.
    pub plan: Plan,
    /// Notes of the evaluated period by id.
    pub notes: std::collections::HashMap<String, String>,
    pub evaluation: crate::score::Evaluation,
    /// The period (or span) the `previous_*` values are of.
    pub compared_with: Option<String>,
}

/// Loads, checks and evaluates, for `evaluate` and `report`: the files
/// become one unit's observations, scored by the evaluator that scores
/// each unit of long data.
pub fn evaluate_files(inputs: &crate::cli::Inputs) -> Result<FileRun, Exit> {
    let selection = &inputs.selection();
    let deny = inputs.deny_warnings;
    let period = match selection {
        Selection::Period(p) => Some(p.as_str()),
        _ => None,
    };
    let (card, periods) = load_run(&inputs.scorecard, &inputs.measurements, period, deny)?;
    let labels: Vec<String> = periods.iter().map(|m| m.period.clone()).collect();
    let plan = match selection {
        // A roll-up of the files' periods, as of long data's (SPEC §10).
        Selection::Span { .. } => Plan::new(labels, selection)
            .map_err(|m| Exit::Usage(m.replace("the data", "the measurements files")))?,
        // The files are cut at the evaluated period: it is the last.
        _ => Plan::last_of(labels).ok_or_else(|| Exit::Usage("no measurements given".into()))?,
    }
    .looking_back(card.max_lag);
    let block = measurements::observations(&card, &periods, &plan);
    let unit = periods.last().and_then(|m| m.unit.as_deref());
    let evaluator = Evaluator::new(&card, &plan);
    let mut evaluation = evaluator
        .evaluate(&block, unit)
        .map_err(|m| report_missing(&m))?;
    let notes = evaluator.notes(&block);
    let mut compared_with = plan.previous.as_ref().map(|p| plan.label(p));
    if inputs.compare == crate::cli::Compare::YearAgo {
        let (label, other) = year_ago(&card, &periods, &plan)?;
        evaluation.compare_with(&other);
        compared_with = Some(label);
    }
    evaluation.compared_with.clone_from(&compared_with);
    if plan.current.len() == 1 {
        evaluation.history = history(&card, &periods[..plan.current.end]);
    }
    evaluation.initiatives = follow_up(&card, &periods, &plan);
    let last = periods.get(plan.current.end.saturating_sub(1));
    let warnings = note_warnings(
        &card,
        &evaluation,
        &notes,
        last.and_then(|m| m.source.as_ref()),
        None,
    );
    if !warnings.is_empty() {
        eprint!("{}", diag::render_human(&warnings, stderr_color()));
        if deny {
            return Err(warnings_denied(warnings.len()));
        }
    }
    Ok(FileRun {
        card,
        plan,
        notes,
        evaluation,
        compared_with,
    })
}

/// How many periods a history shows at most (SPEC §15).
pub const HISTORY: usize = 8;

/// The files' span `span` evaluated on its own (its formulas reading the
/// files before it), for a history or a comparison.
fn evaluate_span(
    card: &Scorecard,
    files: &[Measurements],
    span: std::ops::Range<usize>,
) -> crate::score::Evaluation {
    let labels: Vec<String> = files[..span.end].iter().map(|m| m.period.clone()).collect();
    let plan = Plan {
        periods: labels,
        current: span,
        previous: None,
        back: 0,
    }
    .looking_back(card.max_lag);
    let block = measurements::observations(card, &files[..plan.current.end], &plan);
    let unit = files.last().and_then(|m| m.unit.as_deref());
    Evaluator::new(card, &plan).evaluate_unchecked(&block, unit)
}

/// The last [`HISTORY`] periods of `files` (the evaluated one last), when
/// there are more than two (SPEC §8: a trend needs only two).
fn history(card: &Scorecard, files: &[Measurements]) -> Vec<crate::score::HistoryPoint> {
    if files.len() <= 2 {
        return Vec::new();
    }
    let first = files.len().saturating_sub(HISTORY);
    (first..files.len())
        .map(|k| crate::score::HistoryPoint::of(&evaluate_span(card, files, k..k + 1)))
        .collect()
}

/// `--compare year-ago`: the same span one year earlier (`2026-Q3` ->
/// `2025-Q3`), evaluated on its own; a usage error naming the files when
/// none of them is for it.
fn year_ago(
    card: &Scorecard,
    files: &[Measurements],
    plan: &Plan,
) -> Result<(String, crate::score::Evaluation), Exit> {
    use crate::data::period::year_ago;
    let first = &plan.periods[plan.current.start];
    let last = &plan.periods[plan.current.end - 1];
    let wanted = (|| Some((year_ago(first)?, year_ago(last)?)))();
    let Some((from, to)) = wanted else {
        return Err(Exit::Usage(format!(
            "--compare year-ago needs period labels with a calendar (YYYY-Qn, YYYY-Hn, YYYY-MM or YYYY), not `{first}`"
        )));
    };
    let label = if from == to {
        from.clone()
    } else {
        format!("{from}..{to}")
    };
    let at = |p: &str| files.iter().position(|m| m.period == p);
    match (at(&from), at(&to)) {
        (Some(a), Some(b)) if b + 1 - a == plan.current.len() => {
            Ok((label, evaluate_span(card, files, a..b + 1)))
        }
        _ => {
            let given: Vec<&str> = files.iter().map(|m| m.period.as_str()).collect();
            Err(Exit::Usage(format!(
                "--compare year-ago compares {} with {label}, but no measurements files cover it (periods given: {}); add the files of {label}, or drop --compare",
                plan.label(&plan.current),
                given.join(", ")
            )))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::decide;
    use crate::cli::ColorChoice::{Always, Auto, Never};

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<std::ffi::OsString> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.into())
    }

    #[test]
    fn the_flag_wins_then_no_color_then_clicolor_force_then_the_terminal() {
        assert!(decide(Always, false, env(&[("NO_COLOR", "1")])));
        assert!(!decide(Never, true, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(decide(Auto, true, env(&[])));
        assert!(!decide(Auto, false, env(&[])));
        assert!(!decide(Auto, true, env(&[("NO_COLOR", "1")])));
        // An empty NO_COLOR is not set.
        assert!(decide(Auto, true, env(&[("NO_COLOR", "")])));
        assert!(decide(Auto, false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!decide(Auto, false, env(&[("CLICOLOR_FORCE", "0")])));
        assert!(!decide(
            Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")])
        ));
        assert!(!decide(Auto, true, env(&[("CLICOLOR", "0")])));
    }
}
