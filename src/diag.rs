//! Diagnostics as data: every problem found in a scorecard or measurements
//! file, with a stable code, the offending span, a plain-words message and a
//! hint; plus the three renderings `bsc validate` offers (human, json,
//! github).

use std::fmt::Write as _;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet, renderer::DecorStyle};
use serde::Serialize;

use crate::source::Source;

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

    pub fn file_name(&self) -> Option<&str> {
        self.source.as_ref().map(|s| s.name.as_str())
    }
}

/// Collects diagnostics during loading and validation, so that one run
/// reports every problem instead of stopping at the first.
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Source order within each file; files keep the order they were read in.
    pub fn sort(&mut self) {
        let mut files: Vec<String> = Vec::new();
        for d in &self.items {
            if let Some(n) = d.file_name()
                && !files.iter().any(|f| f == n)
            {
                files.push(n.to_string());
            }
        }
        self.items.sort_by_key(|d| {
            let file = d
                .file_name()
                .and_then(|n| files.iter().position(|f| f == n))
                .unwrap_or(usize::MAX);
            (file, d.span.as_ref().map_or(0, |s| s.start))
        });
    }
}

/// "did you mean `x`?" for the closest candidate within edit distance 2.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2 && *d < word.chars().count().max(c.chars().count()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
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
        let title = level.primary_title(d.message.as_str()).id(d.code);
        let mut group = match (&d.source, &d.span) {
            (Some(src), Some(span)) => {
                let mut ann = AnnotationKind::Primary.span(clamp_span(&src.text, span));
                if let Some(label) = &d.label {
                    ann = ann.label(label.as_str());
                }
                title.element(
                    Snippet::source(src.text.as_str())
                        .path(src.name.as_str())
                        .annotation(ann),
                )
            }
            (Some(src), None) => title.element(annotate_snippets::Origin::path(src.name.as_str())),
            _ => annotate_snippets::Group::with_title(title),
        };
        if let Some(hint) = &d.hint {
            group = group.element(Level::HELP.message(hint.as_str()));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    out
}

/// A span that lies on character boundaries inside the text, so the
/// renderer never slices through a multi-byte character.
fn clamp_span(text: &str, span: &Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    severity: Severity,
    code: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

/// A JSON array with one object per diagnostic.
pub fn render_json(diags: &[Diagnostic]) -> String {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| {
            let lc = d.line_col();
            JsonDiagnostic {
                file: d.file_name(),
                line: lc.map(|x| x.0),
                column: lc.map(|x| x.1),
                severity: d.severity,
                code: d.code,
                message: &d.message,
                hint: d.hint.as_deref(),
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
        let mut msg = d.message.clone();
        if let Some(h) = &d.hint {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
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
    fn github_escapes_separators() {
        let d = Diagnostic::error("E001", "bad\nthing 100%");
        let out = render_github(&[d]);
        assert_eq!(out, "::error title=bsc E001::bad%0Athing 100%25\n");
    }
}
