//! Diagnostics as data: every problem found in a scorecard or measurements
//! file, with a stable code, the offending span, a plain-words message and a
//! hint; plus the three renderings `bsc validate` offers (human, json,
//! github).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet, renderer::DecorStyle};
use serde::Serialize;

use crate::source::Source;

pub mod junit;
pub mod sarif;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding. `code` is stable across releases (documented in the README).
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// Short text shown under the caret.
    pub label: Option<String>,
    /// How to fix it, in plain words.
    pub hint: Option<String>,
    pub source: Option<Source>,
    pub span: Option<Range<usize>>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            label: None,
            hint: None,
            source: None,
            span: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, source: &Source, span: Range<usize>) -> Self {
        self.source = Some(source.clone());
        self.span = Some(span);
        self
    }

    pub fn in_file(mut self, source: &Source) -> Self {
        self.source = Some(source.clone());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn hint_opt(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// 1-based (line, column) of the span start, when there is one.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let source = self.source.as_ref()?;
        let span = self.span.as_ref()?;
        Some(source.line_col(span.start))
    }

    /// 1-based (line, column) just past the span's last character (the
    /// end is exclusive, as in SARIF); the start for an empty span.
    pub fn end_line_col(&self) -> Option<(usize, usize)> {
        let source = self.source.as_ref()?;
        let span = self.span.as_ref()?;
        Some(source.line_col(span.end.max(span.start)))
    }

    pub fn file_name(&self) -> Option<&str> {
        self.source.as_ref().map(|s| s.name.as_str())
    }
}

/// How many diagnostics of one file are kept and shown: past this a file
/// is hopeless anyway, and keeping (and rendering) every one of a million
/// bad rows would cost more memory and time than the file itself. The
/// rest are counted, so the totals and the exit code stay right. The same
/// number `--data` keeps.
pub const MAX_PER_FILE: usize = 100;

/// Collects diagnostics during loading and validation, so that one run
/// reports every problem instead of stopping at the first.
///
/// Of each file only the first [`MAX_PER_FILE`] in source order are kept;
/// the others are counted.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
    /// Per file (in the order first seen): how many are kept in `items`,
    /// and the errors and warnings dropped past the cap.
    files: Vec<FileCount>,
    /// Edit-distance work left for "did you mean" in this run: with many
    /// misspelt names and many ids, searching each name among all ids
    /// is quadratic, and the hints past the first few hundred are not shown.
    suggest_budget: Option<usize>,
    /// `--allow` / `--deny`: which warnings to drop or make errors.
    policy: Policy,
    /// Where an allowed diagnostic goes: [`Diagnostics::push_mut`] hands
    /// back the diagnostic for its caller to finish, dropped or not.
    discarded: Option<Diagnostic>,
}

/// Per-code severity from `--allow CODE` and `--deny CODE`: an allowed
/// warning is dropped, a denied one becomes an error. Errors cannot be
/// allowed (the command refuses that before any file is read).
#[derive(Debug, Default, Clone)]
pub struct Policy {
    pub allow: Vec<&'static str>,
    pub deny: Vec<&'static str>,
}

impl Policy {
    /// The severity a diagnostic is reported with, or `None` to drop it.
    fn apply(&self, d: &Diagnostic) -> Option<Severity> {
        match d.severity {
            Severity::Warning if self.allow.contains(&d.code) => None,
            Severity::Warning if self.deny.contains(&d.code) => Some(Severity::Error),
            s => Some(s),
        }
    }
}

/// Candidate characters compared by [`Diagnostics::did_you_mean`] in one
/// run: far more than any real file needs, and a bound on a hostile one.
const SUGGEST_BUDGET: usize = 20_000_000;

#[derive(Debug, Default, Clone)]
struct FileCount {
    name: String,
    kept: usize,
    hidden_errors: usize,
    hidden_warnings: usize,
}

/// What a file's diagnostics past [`MAX_PER_FILE`] were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden {
    pub file: String,
    pub errors: usize,
    pub warnings: usize,
}

impl Hidden {
    /// `12 more errors and 1 more warning not shown in data.csv`
    pub fn note(&self) -> String {
        let part =
            |n: usize, what: &str| format!("{n} more {what}{}", if n == 1 { "" } else { "s" });
        let what = match (self.errors, self.warnings) {
            (e, 0) => part(e, "error"),
            (0, w) => part(w, "warning"),
            (e, w) => format!("{} and {}", part(e, "error"), part(w, "warning")),
        };
        format!("{what} not shown in {}", self.file)
    }
}

impl Diagnostics {
    /// An empty collection that reports by `policy`.
    pub fn with_policy(policy: Policy) -> Self {
        Diagnostics {
            policy,
            ..Diagnostics::default()
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.push_mut(d);
    }

    /// [`did_you_mean`] within this run's budget: once it is spent, no
    /// more suggestions (the same ones on every run, as the search order is).
    pub fn did_you_mean<'a>(
        &mut self,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<String> {
        self.closest(word, candidates)
            .map(|c| format!("did you mean `{c}`?"))
    }

    /// Whether this run's "did you mean" budget is spent: a search that
    /// found nothing may then have missed a close name.
    pub fn suggestions_spent(&self) -> bool {
        self.suggest_budget == Some(0)
    }

    /// [`closest`] within this run's budget.
    pub fn closest<'a>(
        &mut self,
        word: &str,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Option<&'a str> {
        let budget = self.suggest_budget.get_or_insert(SUGGEST_BUDGET);
        closest_within(word, candidates, budget)
    }

    /// Adds a diagnostic and gives it back for the caller to finish.
    ///
    /// A file's kept diagnostics grow to twice the cap before the later
    /// ones are dropped, so keeping the first in source order costs a sort
    /// per [`MAX_PER_FILE`] pushes, not one per push.
    pub fn push_mut(&mut self, mut d: Diagnostic) -> &mut Diagnostic {
        match self.policy.apply(&d) {
            Some(severity) => d.severity = severity,
            None => return self.discarded.insert(d),
        }
        if let Some(name) = d.file_name() {
            let i = match self.files.iter().rposition(|f| f.name == name) {
                Some(i) => i,
                None => {
                    self.files.push(FileCount {
                        name: name.to_string(),
                        ..FileCount::default()
                    });
                    self.files.len() - 1
                }
            };
            if self.files[i].kept >= 2 * MAX_PER_FILE {
                self.trim(i);
            }
            self.files[i].kept += 1;
        }
        self.items.push(d);
        self.items.last_mut().expect("just pushed")
    }

    /// Keeps the first [`MAX_PER_FILE`] of file `i` in source order (the
    /// order [`Diagnostics::sort`] shows them in) and counts the rest.
    fn trim(&mut self, i: usize) {
        let name = self.files[i].name.clone();
        let mut theirs: Vec<(usize, usize)> = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, d)| d.file_name() == Some(name.as_str()))
            .map(|(at, d)| (d.span.as_ref().map_or(0, |s| s.start), at))
            .collect();
        theirs.sort_unstable();
        let mut drop = vec![false; self.items.len()];
        for &(_, at) in &theirs[MAX_PER_FILE.min(theirs.len())..] {
            drop[at] = true;
        }
        let f = &mut self.files[i];
        let mut at = 0;
        self.items.retain(|d| {
            let gone = drop[at];
            at += 1;
            if gone {
                if d.is_error() {
                    f.hidden_errors += 1;
                } else {
                    f.hidden_warnings += 1;
                }
            }
            !gone
        });
        f.kept = f.kept.min(MAX_PER_FILE);
    }

    /// Per file, what was dropped past the cap (files with nothing hidden
    /// are left out).
    pub fn hidden(&self) -> Vec<Hidden> {
        self.files
            .iter()
            .filter(|f| f.hidden_errors + f.hidden_warnings > 0)
            .map(|f| Hidden {
                file: f.name.clone(),
                errors: f.hidden_errors,
                warnings: f.hidden_warnings,
            })
            .collect()
    }

    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// Every error found, shown or not.
    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
            + self.files.iter().map(|f| f.hidden_errors).sum::<usize>()
    }

    /// Every warning found, shown or not.
    pub fn warning_count(&self) -> usize {
        self.items.iter().filter(|d| !d.is_error()).count()
            + self.files.iter().map(|f| f.hidden_warnings).sum::<usize>()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for f in other.files {
            match self.files.iter_mut().find(|g| g.name == f.name) {
                Some(g) => {
                    g.hidden_errors += f.hidden_errors;
                    g.hidden_warnings += f.hidden_warnings;
                }
                None => self.files.push(FileCount { kept: 0, ..f }),
            }
        }
        for d in other.items {
            self.push(d);
        }
    }

    /// Source order within each file; files keep the order they were read
    /// in. Each file is cut to its first [`MAX_PER_FILE`].
    pub fn sort(&mut self) {
        for i in 0..self.files.len() {
            if self.files[i].kept > MAX_PER_FILE {
                self.trim(i);
            }
        }
        let files: std::collections::HashMap<&str, usize> = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str(), i))
            .collect();
        let keys: Vec<(usize, usize)> = self
            .items
            .iter()
            .map(|d| {
                let file = d
                    .file_name()
                    .and_then(|n| files.get(n).copied())
                    .unwrap_or(usize::MAX);
                (file, d.span.as_ref().map_or(0, |s| s.start))
            })
            .collect();
        let mut order: Vec<usize> = (0..self.items.len()).collect();
        order.sort_by_key(|&i| keys[i]);
        let mut items: Vec<Option<Diagnostic>> = self.items.drain(..).map(Some).collect();
        self.items = order
            .into_iter()
            .map(|i| items[i].take().expect("each once"))
            .collect();
    }

    /// The human rendering of every kept diagnostic, each file's
    /// "N more not shown" note after its last one. Call after
    /// [`Diagnostics::sort`].
    pub fn render_human(&self, color: bool) -> String {
        let hidden = self.hidden();
        if hidden.is_empty() {
            return render_human(&self.items, color);
        }
        let mut out = String::new();
        let mut rest = &self.items[..];
        for h in &hidden {
            // The items up to and including this file's last one.
            let end = rest
                .iter()
                .rposition(|d| d.file_name() == Some(h.file.as_str()))
                .map_or(0, |i| i + 1);
            out.push_str(&render_human(&rest[..end], color));
            let _ = writeln!(out, "note: {}", h.note());
            rest = &rest[end..];
            if !rest.is_empty() {
                out.push('\n');
            }
        }
        out.push_str(&render_human(rest, color));
        out
    }

    /// [`render_github`] of every kept diagnostic, then a notice per file
    /// with diagnostics not shown.
    pub fn render_github(&self) -> String {
        let mut out = render_github(&self.items);
        for h in self.hidden() {
            let _ = writeln!(
                out,
                "::notice file={},title=bsc::{}",
                escape_property(&h.file),
                escape_data(&h.note())
            );
        }
        out
    }
}

/// Ids and names longer than this are not compared for "did you mean":
/// edit distance costs the product of the lengths, and no one mistypes a
/// 50 kB id.
const MAX_SUGGEST_LEN: usize = 64;

/// "did you mean `x`?" for the closest candidate within edit distance 2.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut unbounded = usize::MAX;
    closest_within(word, candidates, &mut unbounded)
}

/// [`closest`], spending at most `budget` units of work (a unit per
/// candidate byte looked at, and per cell of an edit-distance table);
/// `None` once the budget runs out.
fn closest_within<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    budget: &mut usize,
) -> Option<&'a str> {
    let n = word.chars().count();
    if n > MAX_SUGGEST_LEN {
        return None;
    }
    // A spent budget stays spent, whatever the next search would cost.
    let mut spend = |units: usize| {
        *budget = budget.checked_sub(units).unwrap_or(0);
        (*budget > 0).then_some(())
    };
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // Lengths more than 2 apart are more than 2 edits apart: skipped
        // before the quadratic comparison (the byte length first, a cheap bound).
        if c.len() > 4 * (MAX_SUGGEST_LEN + 2) {
            spend(1)?;
            continue;
        }
        spend(c.len() + 1)?;
        let m = c.chars().count();
        if m.abs_diff(n) > 2 {
            continue;
        }
        spend(n * m)?;
        let d = strsim::levenshtein(word, c);
        if d <= 2 && d < n.max(m) && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Longest user value echoed in a message, in characters.
pub const MAX_ECHO: usize = 80;

/// A user's value as echoed in a message: cut to [`MAX_ECHO`] characters
/// with `…`, so that a 50 kB value does not make a 50 kB message (the
/// snippet under the message still points at the whole value). For values
/// that may hold spaces; [`shorten`] already cuts those that do not.
pub fn echo(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(MAX_ECHO) {
        None => value.into(),
        Some((cut, _)) => format!("{}…", &value[..cut]).into(),
    }
}

/// A message, label or hint as shown: every run of more than
/// [`MAX_ECHO`] characters without a space or a quote (an id, a key, a
/// number: what messages echo between backticks or quotes) is cut to
/// [`MAX_ECHO`] with `…`. No words of bsc's own are that long, so only
/// echoed values are ever cut, wherever they are echoed.
pub fn shorten(text: &str) -> Cow<'_, str> {
    let breaks = |c: char| c.is_whitespace() || c == '`' || c == '"';
    let mut run = 0;
    if !text.chars().any(|c| {
        run = if breaks(c) { 0 } else { run + 1 };
        run > MAX_ECHO
    }) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len().min(4096));
    let mut run = 0;
    for c in text.chars() {
        if breaks(c) {
            if run > MAX_ECHO {
                out.push('…');
            }
            run = 0;
            out.push(c);
        } else {
            run += 1;
            if run <= MAX_ECHO {
                out.push(c);
            }
        }
    }
    if run > MAX_ECHO {
        out.push('…');
    }
    out.into()
}

/// Renders diagnostics rustc-style, with the source line and a caret.
pub fn render_human(diags: &[Diagnostic], color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Ascii);
    let mut out = String::new();
    for d in diags {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.primary_title(shorten(&d.message)).id(d.code);
        let excerpt = match (&d.source, &d.span) {
            (Some(src), Some(span)) => Some(Excerpt::new(src, span)),
            _ => None,
        };
        let mut group = match (&d.source, &excerpt) {
            (Some(src), Some(ex)) => {
                let mut ann = AnnotationKind::Primary.span(ex.span.clone());
                if let Some(label) = &d.label {
                    ann = ann.label(shorten(label));
                }
                title.element(
                    Snippet::source(ex.text.as_ref())
                        .line_start(ex.first_line)
                        .path(src.name.as_str())
                        .annotation(ann),
                )
            }
            (Some(src), None) => title.element(annotate_snippets::Origin::path(src.name.as_str())),
            _ => annotate_snippets::Group::with_title(title),
        };
        if let Some(hint) = &d.hint {
            group = group.element(Level::HELP.message(shorten(hint)));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    out
}

/// The lines a span touches, cut out of its file: the renderer scans all
/// the text it is given, so handing it the whole file made every
/// diagnostic cost the file's size.
struct Excerpt<'a> {
    text: Cow<'a, str>,
    /// 1-based number of the excerpt's first line.
    first_line: usize,
    /// The span, relative to the excerpt and on character boundaries.
    span: Range<usize>,
}

impl<'a> Excerpt<'a> {
    fn new(src: &'a crate::source::SourceFile, span: &Range<usize>) -> Self {
        let text = &src.text;
        let start = crate::source::floor_char_boundary(text, span.start.min(text.len()));
        let mut end = span.end.clamp(start, text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let first = src.line_index(start);
        let from = src.line_range(first).start;
        // A span starting on a line break starts at its line's end.
        let start = start.min(src.line_range(first).end);
        // A span ending just past a line break ends on that line.
        let last = src.line_index(end.saturating_sub(1).max(start));
        let to = src.line_range(last).end.max(start);
        let end = end.clamp(start, to);
        let cut = &text[from..to];
        // The renderer knows `\n` and `\r\n`; a lone `\r` inside a
        // multi-line span becomes `\n` (one byte for one, so offsets hold).
        let cut = if cut.contains('\r') {
            let b = cut.as_bytes();
            let fixed: String = cut
                .char_indices()
                .map(|(i, c)| {
                    if c == '\r' && b.get(i + 1) != Some(&b'\n') {
                        '\n'
                    } else {
                        c
                    }
                })
                .collect();
            fixed.into()
        } else {
            cut.into()
        };
        Excerpt {
            text: cut,
            first_line: first + 1,
            span: start - from..end - from,
        }
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    /// Where the span ends: the line, and the column just past its last
    /// character (exclusive).
    end_line: Option<usize>,
    end_column: Option<usize>,
    severity: Severity,
    code: &'a str,
    message: Cow<'a, str>,
    hint: Option<Cow<'a, str>>,
}

/// A JSON array with one object per diagnostic.
pub fn render_json(diags: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| {
            let lc = d.line_col();
            let end = d.end_line_col();
            JsonDiagnostic {
                file: d.file_name(),
                line: lc.map(|x| x.0),
                column: lc.map(|x| x.1),
                end_line: end.map(|x| x.0),
                end_column: end.map(|x| x.1),
                severity: d.severity,
                code: d.code,
                message: shorten(&d.message),
                hint: d.hint.as_deref().map(shorten),
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).expect("diagnostics serialise");
    s.push('\n');
    s
}

/// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).
pub fn render_github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some(f) = d.file_name() {
            props.push(format!("file={}", escape_property(f)));
        }
        if let Some((l, c)) = d.line_col() {
            props.push(format!("line={l}"));
            props.push(format!("col={c}"));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("bsc {}", d.code))
        ));
        let mut msg = shorten(&d.message).into_owned();
        if let Some(h) = &d.hint {
            msg.push_str("\nhelp: ");
            msg.push_str(&shorten(h));
        }
        let _ = writeln!(out, "::{kind} {}::{}", props.join(","), escape_data(&msg));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_need_a_close_match() {
        assert_eq!(closest("wieght", ["weight", "name"]), Some("weight"));
        assert_eq!(closest("colour", ["weight", "name"]), None);
        // A one-letter key is not "close" to every other one-letter key.
        assert_eq!(closest("x", ["y"]), None);
    }

    #[test]
    fn long_or_distant_words_get_no_suggestion() {
        let long_a = "a".repeat(65);
        let long_b = format!("{}b", "a".repeat(64));
        assert_eq!(closest(&long_a, [long_b.as_str()]), None);
        // 64 characters is still compared.
        let a64 = "a".repeat(64);
        let b64 = format!("{}b", "a".repeat(63));
        assert_eq!(closest(&a64, [b64.as_str()]), Some(b64.as_str()));
        assert_eq!(closest("abc", ["abcdef"]), None);
    }

    #[test]
    fn a_spent_budget_gives_no_suggestion() {
        let mut diags = Diagnostics {
            suggest_budget: Some(5),
            ..Diagnostics::default()
        };
        assert_eq!(diags.did_you_mean("wieght", ["weight"]), None);
        let mut diags = Diagnostics::default();
        assert_eq!(
            diags.did_you_mean("wieght", ["weight"]).as_deref(),
            Some("did you mean `weight`?")
        );
    }

    #[test]
    fn long_runs_are_cut_and_words_kept() {
        let id = "x".repeat(200);
        let msg = format!("unknown id `{id}` here");
        let cut = format!("unknown id `{}…` here", "x".repeat(MAX_ECHO));
        assert_eq!(shorten(&msg), cut);
        let plain = "give each id once per unit and period: `csat`, \"12%\"";
        assert!(matches!(shorten(plain), Cow::Borrowed(_)));
        assert_eq!(echo("short"), "short");
        assert_eq!(echo(&"y ".repeat(100)).chars().count(), MAX_ECHO + 1);
    }

    fn file(text: &str) -> crate::source::Source {
        named("f.csv", text)
    }

    fn named(name: &str, text: &str) -> crate::source::Source {
        crate::source::SourceFile::new(std::path::Path::new(name), text.to_string())
    }

    #[test]
    fn each_file_keeps_its_first_diagnostics_in_source_order() {
        let src = file(&"x\n".repeat(1000));
        let other = named("g.csv", "y\n");
        let mut diags = Diagnostics::default();
        // Pushed last line first: the kept ones are still the first lines.
        for line in (0..1000).rev() {
            let d = if line % 10 == 0 {
                Diagnostic::warning("W001", "w")
            } else {
                Diagnostic::error("E001", "e")
            };
            diags.push(d.at(&src, 2 * line..2 * line + 1));
        }
        diags.push(Diagnostic::error("E002", "other").at(&other, 0..1));
        diags.sort();
        assert_eq!(diags.items.len(), MAX_PER_FILE + 1);
        assert_eq!(diags.items[0].line_col(), Some((1, 1)));
        assert_eq!(diags.items[MAX_PER_FILE - 1].line_col(), Some((100, 1)));
        assert_eq!(diags.error_count(), 901);
        assert_eq!(diags.warning_count(), 100);
        let hidden = diags.hidden();
        assert_eq!(
            hidden,
            vec![Hidden {
                file: "f.csv".into(),
                errors: 810,
                warnings: 90
            }]
        );
        assert_eq!(
            hidden[0].note(),
            "810 more errors and 90 more warnings not shown in f.csv"
        );
        let out = diags.render_human(false);
        let note = out.find("note: 810 more errors").expect("note shown");
        // After f.csv's last diagnostic, before the other file's.
        assert!(out[..note].contains("f.csv:100:1"));
        assert!(out[note..].contains("error[E002]: other"));
    }

    #[test]
    fn snippets_show_the_span_line_of_a_cr_only_file() {
        let src = file("id,value\rbogus,1\rother,2\r");
        let d = Diagnostic::error("E031", "unknown")
            .at(&src, 17..22)
            .label("here");
        let out = render_human(&[d], false);
        assert!(out.contains(" --> f.csv:3:1\n"), "{out}");
        assert!(out.contains("3 | other,2\n"), "{out}");
        assert!(!out.contains("bogus"), "{out}");
    }

    #[test]
    fn multi_line_spans_break_at_lone_crs_too() {
        let src = file("a\rb = [\r1,\r]\rc");
        let d = Diagnostic::error("E023", "bad").at(&src, 2..12);
        let out = render_human(&[d], false);
        assert!(out.contains(" --> f.csv:2:1\n"), "{out}");
        assert!(out.contains("2 | / b = [\n"), "{out}");
        assert!(out.contains("4 | | ]\n"), "{out}");
        assert!(!out.contains('\r'), "{out}");
    }

    #[test]
    fn github_escapes_separators() {
        let d = Diagnostic::error("E001", "bad\nthing 100%");
        let out = render_github(&[d]);
        assert_eq!(out, "::error title=bsc E001::bad%0Athing 100%25\n");
    }
}
