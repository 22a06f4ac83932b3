//! `bsc validate`: every scorecard and measurements file under the given
//! paths, checked in one run, diagnostics in the chosen format.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cli::{DiagFormat, Exit, ValidateArgs};
use crate::data::measurements;
use crate::diag::{self, Diagnostic, Diagnostics};
use crate::load;
use crate::model::Scorecard;
use crate::source::Source;

/// The `scorecard = "id"` a measurements file names, with the value's span.
type Named = (String, std::ops::Range<usize>);

/// What a TOML file turned out to be.
enum Kind {
    Scorecard,
    Measurements(Option<Named>),
    Other,
}

fn classify(root: &toml::Spanned<toml::de::DeTable>) -> Kind {
    let t = root.get_ref();
    match t.get("scorecard").map(|v| v.get_ref()) {
        Some(toml::de::DeValue::Table(_)) => Kind::Scorecard,
        Some(toml::de::DeValue::String(s)) => {
            let span = t.get("scorecard").map_or(0..0, |v| v.span());
            Kind::Measurements(Some((s.to_string(), span)))
        }
        _ if t.contains_key("period") || t.contains_key("values") => Kind::Measurements(None),
        // Scorecard content without its `[scorecard]` table: say that.
        _ if ["perspectives", "objectives", "indicators", "inputs", "ahp"]
            .iter()
            .any(|k| t.contains_key(*k)) =>
        {
            Kind::Scorecard
        }
        _ => Kind::Other,
    }
}

/// Whether a file parses as TOML with a `[scorecard]` table.
fn has_scorecard_table(src: &Source) -> bool {
    toml::de::DeTable::parse(&src.text).is_ok_and(|t| {
        matches!(
            t.get_ref().get("scorecard").map(|v| v.get_ref()),
            Some(toml::de::DeValue::Table(_))
        )
    })
}

/// The `--exclude` globs as ignore rules of a walk from `dir`: gitignore
/// syntax relative to `dir` (`drafts/`, `*.draft.toml`, `/old/**`). An
/// invalid glob is a usage error.
fn excludes(dir: &Path, globs: &[String]) -> Result<ignore::overrides::Override, String> {
    let mut b = ignore::overrides::OverrideBuilder::new(dir);
    for g in globs {
        // In an override, a glob selects; `!glob` ignores.
        b.add(&format!("!{g}")).map_err(|e| {
            let why = e.to_string().replace(&format!("'!{g}'"), &format!("'{g}'"));
            format!("--exclude `{}` is not a valid glob: {why}", diag::echo(g))
        })?;
    }
    b.build().map_err(|e| format!("--exclude: {e}"))
}

/// `*.toml` files under a directory, sorted so output is deterministic.
/// Hidden directories and `target` are skipped, and so is whatever a
/// `.gitignore`, `.ignore` or `.bscignore` file (gitignore syntax; in the
/// directory or above it) or an `--exclude` glob names. Symbolic links to
/// directories are not followed (they loop, or lead out of the tree; one
/// inside it is walked anyway), and a `*.toml` that is not a regular file
/// (a FIFO would block the read) is skipped: each with a W015 note.
fn walk(
    dir: &Path,
    exclude: &[String],
    out: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
) -> Result<(), String> {
    let skipped = |name: &std::ffi::OsStr| {
        let name = name.to_string_lossy();
        name.starts_with('.') || name == "target"
    };
    let entries = ignore::WalkBuilder::new(dir)
        // Only the filters wanted: the user's global gitignore would make
        // the result depend on the machine.
        .standard_filters(false)
        .git_ignore(true)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .add_custom_ignore_filename(".bscignore")
        .overrides(excludes(dir, exclude)?)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |e| {
            e.depth() == 0 || !(e.file_type().is_some_and(|t| t.is_dir()) && skipped(e.file_name()))
        })
        .build();
    for entry in entries {
        let entry = entry.map_err(|e| {
            let error = match e.io_error() {
                Some(io) => std::io::Error::new(io.kind(), io.to_string()),
                None => std::io::Error::other(e.to_string()),
            };
            load::IoError {
                path: walk_error_path(&e).unwrap_or(dir).display().to_string(),
                error,
            }
            .to_string()
        })?;
        // A line of an ignore file that cannot be read as a glob: the
        // rest of the file still applies; say which line was dropped.
        if let Some(e) = entry.error() {
            eprintln!("warning: {e}");
        }
        let path = entry.path();
        let is_toml = path.extension().is_some_and(|e| e == "toml");
        let Some(kind) = entry.file_type() else {
            continue;
        };
        // What a link points to; a dangling link is skipped like a FIFO.
        let target = if kind.is_symlink() {
            std::fs::metadata(path).ok().map(|m| m.file_type())
        } else {
            Some(kind)
        };
        let mut hint = None;
        let note = match target {
            Some(t) if t.is_file() => {
                if is_toml {
                    out.push(path.to_path_buf());
                }
                continue;
            }
            Some(t) if t.is_dir() => {
                if !kind.is_symlink() || skipped(entry.file_name()) {
                    continue;
                }
                hint = Some("to check the directory it points to, name that directory");
                "symbolic link to a directory not followed"
            }
            _ if !is_toml => continue,
            Some(t) => &format!("skipped: not a regular file ({})", load::kind_name(t)),
            None => "skipped: a symbolic link to nothing",
        };
        let src = crate::source::SourceFile::new(path, String::new());
        let d = Diagnostic::warning("W015", note).in_file(&src);
        diags.push(d.hint_opt(hint.map(String::from)));
    }
    Ok(())
}

/// The path an error of the walk is about, when it names one.
fn walk_error_path(e: &ignore::Error) -> Option<&Path> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// `--allow` and `--deny` as a policy of known codes. An unknown code, an
/// error allowed, or a code both allowed and denied is a usage error.
fn policy(args: &ValidateArgs) -> Result<diag::Policy, String> {
    let mut p = diag::Policy::default();
    for (flag, codes, into) in [
        ("--allow", &args.allow, &mut p.allow),
        ("--deny", &args.deny, &mut p.deny),
    ] {
        for c in codes {
            let e = crate::codes::resolve(c).map_err(|m| format!("{flag}: {m}"))?;
            if flag == "--allow" && !crate::codes::is_warning(e.code) {
                return Err(format!(
                    "--allow {}: {} is an error ({}), and errors cannot be allowed: fix what it reports (only warnings, W codes, can be allowed)",
                    e.code, e.code, e.title
                ));
            }
            into.push(e.code);
        }
    }
    if let Some(c) = p.allow.iter().find(|c| p.deny.contains(c)) {
        return Err(format!(
            "{c} is both allowed and denied: give it to one of --allow and --deny"
        ));
    }
    Ok(p)
}

pub fn run(args: &ValidateArgs) -> Exit {
    let mut diags = match policy(args) {
        Ok(p) => Diagnostics::with_policy(p),
        Err(m) => return Exit::Usage(m),
    };
    // A bad glob is a usage error even when no directory is walked.
    if let Err(m) = excludes(Path::new("."), &args.exclude) {
        return Exit::Usage(m);
    }
    // (path, explicitly named?)
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    for p in &args.paths {
        if crate::source::is_stdin(p) {
            files.push((p.clone(), true));
        } else if p.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = walk(p, &args.exclude, &mut found, &mut diags) {
                return Exit::Usage(e);
            }
            files.extend(found.into_iter().map(|f| (f, false)));
        } else if p.exists() {
            files.push((p.clone(), true));
        } else {
            return Exit::Usage(format!(
                "cannot read `{}`: no such file or directory",
                p.display()
            ));
        }
    }

    let mut cards: Vec<(Source, Option<Scorecard>)> = Vec::new();
    // Scorecard id -> the file that declared it first: measurements name
    // their scorecard by id, so two cards with one id cannot be told apart.
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut pending: Vec<(Source, Option<Named>, bool)> = Vec::new();
    // The files checked, by name, in the order read (JUnit has a test case per file).
    let mut checked: Vec<String> = Vec::new();
    for (path, explicit) in &files {
        let src = match load::read_source(path) {
            Err(e) => return Exit::Usage(e.to_string()),
            Ok(Err(d)) => {
                checked.push(d.file_name().unwrap_or_default().to_string());
                diags.push(d);
                continue;
            }
            Ok(Ok(src)) => src,
        };
        // A CSV file can only be measurements: parsed as TOML it would give
        // an error per line. It is paired with the scorecard like a TOML
        // measurements file that does not name its card.
        if measurements::is_csv(&src.name) {
            checked.push(src.name.clone());
            pending.push((src.clone(), None, *explicit));
            continue;
        }
        // Parsed once: a syntax error is reported here, and the file counts
        // as an invalid scorecard (its measurements are not checked).
        let Some(root) = load::parse_toml(&src, &mut diags) else {
            checked.push(src.name.clone());
            cards.push((src.clone(), None));
            continue;
        };
        match classify(&root) {
            Kind::Scorecard => {
                checked.push(src.name.clone());
                let card = crate::check_parsed_scorecard(&src, &root, &mut diags);
                if let Some(c) = &card
                    && let Some(first) = ids.get(&c.id)
                {
                    let span = match root.get_ref().get("scorecard").map(|v| v.get_ref()) {
                        Some(toml::de::DeValue::Table(t)) => t.get("id").map(|v| v.span()),
                        _ => None,
                    };
                    diags.push(
                        Diagnostic::error(
                            "E042",
                            format!("scorecard id `{}` is already the id of `{first}`", c.id),
                        )
                        .at(&src, span.unwrap_or(0..0))
                        .label("same id")
                        .hint("give each scorecard its own id: measurements files name their scorecard by id"),
                    );
                } else if let Some(c) = &card {
                    ids.insert(c.id.clone(), src.name.clone());
                }
                cards.push((src.clone(), card));
            }
            Kind::Measurements(id) => {
                checked.push(src.name.clone());
                pending.push((src.clone(), id, *explicit));
            }
            Kind::Other if *explicit => {
                checked.push(src.name.clone());
                let what = if src.text.trim().is_empty() {
                    "file is empty"
                } else {
                    "file is neither a scorecard nor a measurements file"
                };
                diags.push(
                    Diagnostic::error("E040", what)
                        .at(&src, 0..0)
                        .hint("a scorecard starts with a `[scorecard]` table; a measurements file has `period` and `[values]`"),
                );
            }
            Kind::Other => {}
        }
    }

    if !args.measurements.is_empty() {
        let mut sources = Vec::new();
        for m in &args.measurements {
            match load::read_source(m) {
                Err(e) => return Exit::Usage(e.to_string()),
                Ok(Err(d)) => {
                    checked.push(d.file_name().unwrap_or_default().to_string());
                    diags.push(d);
                }
                // `--measurements` takes several values, so a scorecard
                // written after it lands here: say so rather than report
                // its keys as unknown.
                Ok(Ok(src)) if has_scorecard_table(&src) => {
                    return Exit::Usage(format!(
                        "`{}` is a scorecard, not a measurements file: put scorecards before `--measurements` (e.g. `bsc validate card.toml --measurements 2026-Q3.toml`)",
                        src.name
                    ));
                }
                Ok(Ok(src)) => sources.push(src),
            }
        }
        if cards.len() != 1 {
            return Exit::Usage(format!(
                "--measurements needs exactly one scorecard, but {} were given",
                cards.len()
            ));
        }
        for src in &sources {
            checked.push(src.name.clone());
            if let Some(card) = &cards[0].1
                && let Some(m) = measurements::load(src, card, None, &mut diags)
            {
                follow_up_warnings(card, &m, &mut diags);
            }
        }
    }

    let n_files = checked.len();
    if n_files == 0 {
        let where_ = args
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Exit::Usage(format!(
            "no scorecard or measurements files found in {where_}"
        ));
    }

    let by_id: HashMap<&str, &Option<Scorecard>> = cards
        .iter()
        .filter_map(|(src, c)| {
            c.as_ref().map(|c| {
                (
                    c.id.as_str(),
                    &cards
                        .iter()
                        .find(|(s, _)| s.name == src.name)
                        .expect("present")
                        .1,
                )
            })
        })
        .collect();
    let valid_cards: Vec<&Scorecard> = cards.iter().filter_map(|(_, c)| c.as_ref()).collect();
    let invalid_cards = cards.len() - valid_cards.len();
    for (src, id, explicit) in &pending {
        let card = match id {
            Some((id, _)) => by_id.get(id.as_str()).and_then(|c| c.as_ref()),
            None if valid_cards.len() == 1 => Some(valid_cards[0]),
            None => None,
        };
        match card {
            Some(card) => {
                if let Some(m) = measurements::load(src, card, None, &mut diags) {
                    follow_up_warnings(card, &m, &mut diags);
                }
            }
            // Its scorecard is invalid and already reported; nothing more to say.
            None if invalid_cards > 0 => {}
            None if measurements::is_csv(&src.name) => {
                diags.push(
                    Diagnostic::error(
                        "E070",
                        "a CSV measurements file does not name its scorecard, so it cannot be checked alone",
                    )
                    .in_file(src)
                    .hint(format!(
                        "check it against its scorecard: `bsc validate card.toml --measurements {}`",
                        src.name
                    )),
                );
            }
            None => {
                let msg = match id {
                    Some((id, _)) => format!(
                        "no scorecard with id `{id}` was found to check these measurements against"
                    ),
                    None => "cannot tell which scorecard these measurements are for".to_string(),
                };
                let ids: Vec<&str> = valid_cards.iter().map(|c| c.id.as_str()).collect();
                let hint = id
                    .as_ref()
                    .and_then(|(id, _)| diag::did_you_mean(id, ids.iter().copied()))
                    .unwrap_or_else(|| {
                        "add `scorecard = \"<id>\"` and pass the scorecard file too".into()
                    });
                let d = if *explicit {
                    Diagnostic::error("E041", msg)
                } else {
                    Diagnostic::warning("W010", msg)
                };
                let span = id.as_ref().map_or(0..0, |(_, span)| span.clone());
                diags.push(d.at(src, span).hint(hint));
            }
        }
    }

    diags.sort();
    let errors = diags.error_count();
    let warnings = diags.warning_count();
    match args.format {
        DiagFormat::Human => {
            eprint!("{}", diags.render_human(super::stderr_color()));
            let files_word = if n_files == 1 { "file" } else { "files" };
            if errors + warnings == 0 {
                eprintln!("ok: {n_files} {files_word} checked, no problems");
            } else {
                let denied = errors == 0 && args.deny_warnings;
                eprintln!(
                    "{}: {n_files} {files_word} checked, {errors} error{}, {warnings} warning{}{}",
                    if errors > 0 || denied { "failed" } else { "ok" },
                    if errors == 1 { "" } else { "s" },
                    if warnings == 1 { "" } else { "s" },
                    if denied {
                        " (warnings denied by --deny-warnings)"
                    } else {
                        ""
                    },
                );
            }
        }
        DiagFormat::Json | DiagFormat::Github | DiagFormat::Sarif | DiagFormat::Junit => {
            let text = match args.format {
                DiagFormat::Json => diag::render_json(&diags.items),
                DiagFormat::Sarif => diag::sarif::render(&diags.items, &diags.hidden()),
                DiagFormat::Junit => {
                    diag::junit::render(&checked, &diags.items, &diags.hidden(), args.deny_warnings)
                }
                _ => diags.render_github(),
            };
            if let exit @ Exit::Output(_) = crate::output::print(text.as_bytes()) {
                return exit;
            }
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        Exit::Invalid
    } else {
        Exit::Ok
    }
}

/// `require_note` (SPEC §14) for one measurements file, evaluated on its
/// own: its notes and check-ins are all a lone file has to explain itself.
fn follow_up_warnings(card: &Scorecard, m: &measurements::Measurements, diags: &mut Diagnostics) {
    if card.require_note.is_none() {
        return;
    }
    let Ok(mut e) = crate::evaluator::evaluate(card, m, None) else {
        // `missing = "error"` with values missing: `evaluate` says so.
        return;
    };
    let end = m
        .period_end
        .or_else(|| crate::data::period::end_of(&m.period));
    e.initiatives = crate::score::follow_up::follow_up(card, &[m.check_ins.as_slice()], 0, end);
    for d in super::note_warnings(card, &e, &m.notes, m.source.as_ref(), None) {
        diags.push(d);
    }
}
