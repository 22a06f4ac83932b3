//! `bsc validate --format junit`: a JUnit XML report, which CI systems
//! (GitLab, Jenkins, Azure Pipelines) show as a test list. Each file
//! checked is a test suite with one test case; each error is a failure of
//! that case, and warnings are the case's output.

use std::fmt::Write as _;

use super::{Diagnostic, Hidden, shorten};

/// `files`: every file checked, in the order read (a clean file is a
/// passing case); a diagnostic of another file (one skipped by the walk)
/// or of none adds a suite of its own. With `warnings_fail`
/// (`--deny-warnings`, which makes the run fail on them) warnings are
/// failures too, so the report agrees with the exit code.
pub fn render(
    files: &[String],
    diags: &[Diagnostic],
    hidden: &[Hidden],
    warnings_fail: bool,
) -> String {
    let fails = |d: &Diagnostic| d.is_error() || warnings_fail;
    let mut names: Vec<&str> = files.iter().map(String::as_str).collect();
    for d in diags {
        let name = d.file_name().unwrap_or("bsc");
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let of = |name: &str| -> Vec<&Diagnostic> {
        diags
            .iter()
            .filter(|d| d.file_name().unwrap_or("bsc") == name)
            .collect()
    };
    let total_failures = diags.iter().filter(|d| fails(d)).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"bsc validate\" tests=\"{}\" failures=\"{total_failures}\" errors=\"0\">",
        names.len()
    );
    for name in names {
        let mine = of(name);
        let failures = mine.iter().filter(|d| fails(d)).count();
        let file = xml(name);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{file}\" tests=\"1\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
        );
        let _ = write!(
            out,
            "    <testcase name=\"{file}\" classname=\"bsc.validate\" file=\"{file}\""
        );
        let warnings: Vec<&&Diagnostic> = mine.iter().filter(|d| !fails(d)).collect();
        let note = hidden.iter().find(|h| h.file == name).map(Hidden::note);
        if mine.is_empty() && note.is_none() {
            out.push_str("/>\n  </testsuite>\n");
            continue;
        }
        out.push_str(">\n");
        for d in mine.iter().filter(|d| fails(d)) {
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                d.code,
                xml(&shorten(&d.message)),
                xml(&describe(d))
            );
        }
        if !warnings.is_empty() || note.is_some() {
            let mut text = String::new();
            for d in warnings {
                text.push_str(&describe(d));
                text.push('\n');
            }
            if let Some(n) = note {
                let _ = writeln!(text, "note: {n}");
            }
            let _ = writeln!(out, "      <system-out>{}</system-out>", xml(&text));
        }
        out.push_str("    </testcase>\n  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// `file:line:col: error[E012]: message` and the hint, as a failure's text.
fn describe(d: &Diagnostic) -> String {
    let kind = if d.is_error() { "error" } else { "warning" };
    let mut s = String::new();
    if let Some(f) = d.file_name() {
        s.push_str(f);
        if let Some((l, c)) = d.line_col() {
            let _ = write!(s, ":{l}:{c}");
        }
        s.push_str(": ");
    }
    let _ = write!(s, "{kind}[{}]: {}", d.code, shorten(&d.message));
    if let Some(h) = &d.hint {
        let _ = write!(s, "\nhelp: {}", shorten(h));
    }
    s
}

/// Text as XML character data or an attribute value: the five special
/// characters escaped, and characters XML 1.0 cannot hold (most control
/// characters, which a user's value may contain) replaced by U+FFFD.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_and_control_characters_are_escaped() {
        assert_eq!(
            xml("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
    }

    #[test]
    fn a_clean_file_is_a_passing_case_and_each_error_a_failure() {
        let src =
            crate::source::SourceFile::new(std::path::Path::new("bad.toml"), "x = 1\n".into());
        let diags = vec![
            Diagnostic::error("E001", "one").at(&src, 0..1),
            Diagnostic::error("E002", "two").at(&src, 4..5),
            Diagnostic::warning("W001", "three").in_file(&src),
        ];
        let out = render(&["good.toml".into(), "bad.toml".into()], &diags, &[], false);
        assert!(
            out.contains(
                "<testcase name=\"good.toml\" classname=\"bsc.validate\" file=\"good.toml\"/>"
            ),
            "{out}"
        );
        assert_eq!(out.matches("<failure ").count(), 2, "{out}");
        assert!(out.contains("tests=\"2\" failures=\"2\""), "{out}");
        assert!(
            out.contains("<system-out>bad.toml: warning[W001]: three\n</system-out>"),
            "{out}"
        );
        // Denied warnings fail the case, as they fail the run.
        let out = render(&["bad.toml".into()], &diags, &[], true);
        assert_eq!(out.matches("<failure ").count(), 3, "{out}");
        assert!(!out.contains("<system-out>"), "{out}");
    }
}
