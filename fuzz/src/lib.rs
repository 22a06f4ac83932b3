//! What the fuzz targets share: fixed scorecards, every way the CLI prints
//! an evaluation, in-memory files for the path-based data readers, and the
//! check that no live HTML reaches a report.
//!
//! Everything here calls the library the way `src/commands` does; nothing
//! writes a file or starts a process.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bsc::data::measurements::Measurements;
use bsc::diag::{self, Diagnostics};
use bsc::model::Scorecard;
use bsc::portfolio::output::{self, Style, Summary};
use bsc::report;
use bsc::score::Evaluation;
use bsc::source::{Source, SourceFile};
use rust_decimal::Decimal;

/// The CRM example: perspectives, objectives, formulas, inputs, notes.
pub const CRM: &str = include_str!("../../scorecards/crm.toml");
/// Its Q3 measurements (values and Markdown notes).
pub const CRM_Q3: &str = include_str!("../../scorecards/crm-2026-Q3.toml");
/// The portfolio tests' card: aggregates, formulas over rolled-up inputs.
pub const BRANCH: &str = include_str!("../../tests/fixtures/portfolio/card.toml");

/// A source in memory under a display name (its extension picks the
/// measurements format); bytes that are not UTF-8 are replaced, so the
/// parsers still see text.
pub fn source(name: &str, bytes: &[u8]) -> Source {
    SourceFile::new(Path::new(name), String::from_utf8_lossy(bytes).into_owned())
}

/// Loads and validates a scorecard as `bsc validate` does, and prints its
/// diagnostics in every output format.
pub fn check(name: &str, bytes: &[u8]) -> Option<Scorecard> {
    let src = source(name, bytes);
    let mut diags = Diagnostics::default();
    let card = bsc::check_scorecard(&src, &mut diags);
    // A card with only loader errors (an unknown key) still comes back, so
    // that `validate --measurements` can check the data against it too; the
    // CLI scores nothing while there are errors, and neither does this.
    assert!(
        card.is_some() || diags.has_errors(),
        "no card without an error saying why"
    );
    let ok = !diags.has_errors();
    render_diags(&mut diags);
    card.filter(|_| ok)
}

/// Prints diagnostics the three ways the CLI can.
pub fn render_diags(diags: &mut Diagnostics) {
    diags.sort();
    let _ = diag::render_human(&diags.items, false);
    let _ = diag::render_human(&diags.items, true);
    let _ = diag::render_json(&diags.items);
    let _ = diag::render_github(&diags.items);
}

fn fixed(cell: &'static OnceLock<Scorecard>, name: &str, text: &str) -> &'static Scorecard {
    cell.get_or_init(|| check(name, text.as_bytes()).expect("the embedded card is valid"))
}

/// The CRM example card, validated once.
pub fn crm() -> &'static Scorecard {
    static CARD: OnceLock<Scorecard> = OnceLock::new();
    fixed(&CARD, "crm.toml", CRM)
}

/// The portfolio card, validated once.
pub fn branch() -> &'static Scorecard {
    static CARD: OnceLock<Scorecard> = OnceLock::new();
    fixed(&CARD, "card.toml", BRANCH)
}

/// The CRM Q3 measurements, loaded once.
pub fn crm_q3() -> &'static Measurements {
    static M: OnceLock<Measurements> = OnceLock::new();
    M.get_or_init(|| {
        let mut diags = Diagnostics::default();
        let src = source("crm-2026-Q3.toml", CRM_Q3.as_bytes());
        bsc::data::measurements::load(&src, crm(), None, &mut diags)
            .expect("the embedded values are valid")
    })
}

/// Awkward values for measurements: zero, signs, the extremes of a
/// 28-digit decimal, repeating quotients.
pub const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.5",
    "100",
    "3",
    "-7.25",
    "0.0000000000000000000000000001",
    "79228162514264337593543950335",
    "-79228162514264337593543950335",
    "33.333333333333333333333333333",
    "12345678901234567890.12345678",
];

pub fn value(i: usize) -> Decimal {
    VALUES[i % VALUES.len()].parse().expect("valid decimal")
}

/// Measurements with a value for every id a file may give (indicators
/// without a formula, and inputs), the `k`-th id taking `pick(k)`.
pub fn all_values(card: &Scorecard, period: &str, pick: impl Fn(usize) -> Decimal) -> Measurements {
    let ids = card
        .indicators
        .iter()
        .filter(|i| i.formula.is_none())
        .map(|i| &i.id)
        .chain(card.inputs.iter().map(|i| &i.id));
    Measurements {
        origin: format!("{period}.toml"),
        period: period.into(),
        unit: None,
        values: ids
            .enumerate()
            .map(|(k, id)| (id.clone(), pick(k)))
            .collect(),
        notes: HashMap::new(),
        ..Default::default()
    }
}

/// Scores a period (with a previous one for trends) and prints the result
/// every way `bsc evaluate` can; with `reports`, also both reports.
pub fn evaluate_and_print(
    card: &Scorecard,
    current: &Measurements,
    previous: Option<&Measurements>,
    reports: bool,
) {
    // `missing = "error"` with a gap is an expected refusal, not a bug.
    let Ok(mut e) = bsc::evaluator::evaluate(card, current, previous) else {
        return;
    };
    // Where the initiatives stand after the files' check-ins (SPEC §14),
    // and the require_note warnings, as `evaluate` works them out.
    let files: Vec<&[bsc::data::measurements::CheckIn]> = previous
        .into_iter()
        .chain([current])
        .map(|m| m.check_ins.as_slice())
        .collect();
    let end = current
        .period_end
        .or_else(|| bsc::data::period::end_of(&current.period));
    e.initiatives = bsc::score::follow_up::follow_up(card, &files, files.len() - 1, end);
    let _ = bsc::commands::note_warnings(card, &e, &current.notes, current.source.as_ref(), None);
    print_evaluation(card, &e);
    if reports {
        let plain = without_markdown(card);
        let previous = previous.map(|p| p.period.as_str());
        for format in [report::Format::Html, report::Format::Markdown] {
            let r = render_report(card, &e, &current.notes, previous, format);
            let reference = render_report(&plain, &e, &HashMap::new(), previous, format);
            if let (Ok(text), Ok(reference)) = (r, reference) {
                assert_no_live_html(&text, &reference, format);
            }
        }
    }
}

/// `--format json`, `jsonl`, `csv` and `table` of one evaluation.
pub fn print_evaluation(card: &Scorecard, e: &Evaluation) {
    let _ = output::json_line(e, Vec::new());
    let _ = output::json_element(e, Vec::new());
    let mut csv = Vec::new();
    output::write_csv(
        card,
        &[&Summary::of_evaluation(card, e, Style::Exact)],
        &mut csv,
    )
    .expect("writing to memory cannot fail");
    let _ = bsc::table::render(card, e, &[bsc::table::Column::Owner], false);
    let _ = bsc::table::render(card, e, &[], true);
}

/// `bsc report` of one evaluation with the built-in templates.
pub fn render_report(
    card: &Scorecard,
    e: &Evaluation,
    notes: &HashMap<String, String>,
    previous: Option<&str>,
    format: report::Format,
) -> Result<String, report::ReportError> {
    let opts = report::Options {
        format,
        lang: report::Lang::En,
        templates: None,
        generated_at: None,
        year_ago: false,
    };
    report::render(card, e, notes, previous, &opts)
}

/// An anonymous in-memory file (memfd) holding `bytes`, with a path the
/// readers can open (`/proc/self/fd/N`); gone when dropped.
pub struct MemFile {
    _file: File,
    pub path: PathBuf,
}

pub fn mem_file(bytes: &[u8]) -> MemFile {
    // SAFETY: memfd_create takes a NUL-terminated name and flags; the
    // returned descriptor is owned by the `File` alone.
    let mut file = unsafe {
        let fd = libc::memfd_create(c"bsc-fuzz".as_ptr(), libc::MFD_CLOEXEC);
        assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
        File::from_raw_fd(fd)
    };
    file.write_all(bytes).expect("write to memfd");
    let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    MemFile { _file: file, path }
}

// ------------------------------------------------------------- live HTML

/// Elements that run code, load something, or change the page around them.
const LIVE_ELEMENTS: &[&str] = &[
    "script", "img", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
    "style", "link", "meta", "base", "form", "input", "button", "video", "audio", "source",
    "template", "textarea", "select", "noscript",
];

/// URL schemes that run code when followed or loaded.
const LIVE_SCHEMES: &[&str] = &["javascript:", "vbscript:", "data:text/html"];

/// Decodes the character references a browser would in an attribute
/// value (enough of them to unmask `jav&#x61;script:`), drops the
/// whitespace and control characters browsers skip in a URL's scheme, and
/// lowercases it.
fn attribute_url(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            let end = rest[1..].find(|c: char| !c.is_ascii_alphanumeric() && c != '#');
            let (name, after) = match end {
                Some(n) => (&rest[1..1 + n], &rest[1 + n..]),
                None => (&rest[1..], ""),
            };
            let decoded = if let Some(num) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                u32::from_str_radix(num, 16).ok().and_then(char::from_u32)
            } else if let Some(num) = name.strip_prefix('#') {
                num.parse::<u32>().ok().and_then(char::from_u32)
            } else {
                match name.to_ascii_lowercase().as_str() {
                    "colon" => Some(':'),
                    "tab" => Some('\t'),
                    "newline" => Some('\n'),
                    "amp" => Some('&'),
                    _ => None,
                }
            };
            match decoded {
                Some(d) => {
                    out.push(d);
                    rest = after.strip_prefix(';').unwrap_or(after);
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Live HTML in an HTML document: elements from [`LIVE_ELEMENTS`], event
/// handler attributes (`on…=`), and attribute values with a scheme from
/// [`LIVE_SCHEMES`]. Text and attribute values are escaped in what bsc and
/// pulldown-cmark write, so every `<` starts markup.
pub fn live_html(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(p) = html[i..].find('<') {
        i += p + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let close = html[i..].starts_with('/');
        if close {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
            i += 1;
        }
        if start == i || !b[start].is_ascii_alphabetic() {
            continue; // `<` that starts no tag (a browser shows it as text)
        }
        let tag = html[start..i].to_ascii_lowercase();
        if !close && LIVE_ELEMENTS.contains(&tag.as_str()) {
            found.push(format!("<{tag}> element"));
        }
        // Attributes, up to the tag's end.
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                break;
            }
            let n0 = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/')
            {
                i += 1;
            }
            let name = html[n0..i].to_ascii_lowercase();
            if name.len() > 2 && name.starts_with("on") {
                found.push(format!("`{name}` attribute on <{tag}>"));
            }
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= b.len() || b[i] != b'=' {
                continue;
            }
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let v0 = i + 1;
                    let v1 = html[v0..].find(q as char).map_or(b.len(), |e| v0 + e);
                    i = (v1 + 1).min(b.len());
                    &html[v0..v1]
                }
                _ => {
                    let v0 = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    &html[v0..i]
                }
            };
            let url = attribute_url(value);
            if let Some(s) = LIVE_SCHEMES.iter().find(|s| url.starts_with(**s)) {
                found.push(format!("`{s}` in `{name}` on <{tag}>"));
            }
        }
    }
    found
}

/// The card without its user Markdown (descriptions): rendered with no
/// notes, the reference for what the templates themselves put in a report.
pub fn without_markdown(card: &Scorecard) -> Scorecard {
    let mut plain = card.clone();
    plain.description = None;
    plain
        .perspectives
        .iter_mut()
        .for_each(|p| p.description = None);
    plain
        .objectives
        .iter_mut()
        .for_each(|o| o.description = None);
    plain
        .indicators
        .iter_mut()
        .for_each(|i| i.description = None);
    plain.inputs.iter_mut().for_each(|i| i.description = None);
    plain
}

/// Panics when a rendered report holds live HTML that the same report
/// without user Markdown (`reference`) lacks: the templates' own `<style>`,
/// `<meta>` and `<svg>` are theirs, anything more came from user text. An
/// HTML report is checked directly, a Markdown report as a Markdown viewer
/// would render it.
pub fn assert_no_live_html(text: &str, reference: &str, format: report::Format) {
    let (html, base, what) = match format {
        report::Format::Html => (text.to_string(), reference.to_string(), "HTML report"),
        report::Format::Markdown => (
            markdown_to_html(text),
            markdown_to_html(reference),
            "Markdown report (as HTML)",
        ),
    };
    let mut own = live_html(&base);
    let added: Vec<String> = live_html(&html)
        .into_iter()
        .filter(|f| match own.iter().position(|o| o == f) {
            Some(i) => {
                own.swap_remove(i);
                false
            }
            None => true,
        })
        .collect();
    assert!(
        added.is_empty(),
        "live HTML from user text in the {what}: {added:?}"
    );
}

/// Markdown to HTML the way common viewers do (raw HTML passes through).
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::new();
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    html::push_html(&mut out, Parser::new_ext(md, opts));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_html_finds_the_usual_tricks() {
        assert!(live_html("<p>a &lt;script&gt; b</p><a href=\"https://x\">x</a>").is_empty());
        assert_eq!(live_html("<SCRIPT>x</script>").len(), 1);
        assert_eq!(live_html("<p><img src=x></p>").len(), 1);
        assert_eq!(live_html("<div onmouseover='x'>").len(), 1);
        assert_eq!(live_html("<a href=\"jav&#x61;script&colon;x\">").len(), 1);
        assert_eq!(live_html("<a href=' javascript:x'>").len(), 1);
    }

    #[test]
    fn markdown_html_passes_through_for_the_check() {
        assert_eq!(
            live_html(&markdown_to_html("x <iframe src=y></iframe>")).len(),
            1
        );
        assert!(live_html(&markdown_to_html("x `<iframe>` y")).is_empty());
    }
}
