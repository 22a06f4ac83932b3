//! The long explanation of every diagnostic code: `docs/codes.md`,
//! compiled in and parsed once, so the documentation, `bsc explain-code`
//! and the rules of `--format sarif` say the same thing.

use std::sync::OnceLock;

const TEXT: &str = include_str!("../docs/codes.md");

/// One code's entry: the heading `## E012: title` and the text under it.
#[derive(Debug)]
pub struct Entry {
    pub code: &'static str,
    /// One line: what the code means.
    pub title: &'static str,
    /// Markdown paragraphs: what triggers it and how to fix it.
    pub body: &'static str,
}

/// Every documented code, in the order of the document.
pub fn all() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| parse(TEXT))
}

/// The entry of a code (`E012`, `w003`: case does not matter).
pub fn get(code: &str) -> Option<&'static Entry> {
    all().iter().find(|e| e.code.eq_ignore_ascii_case(code))
}

/// The entry of a code, or the usage error to print for an unknown one
/// (with "did you mean" when a documented code is close).
pub fn resolve(code: &str) -> Result<&'static Entry, String> {
    if let Some(e) = get(code) {
        return Ok(e);
    }
    let upper = code.to_ascii_uppercase();
    let shown = crate::diag::echo(code);
    let hint = crate::diag::did_you_mean(&upper, all().iter().map(|e| e.code))
        .map_or(String::new(), |h| format!("; {h}"));
    Err(format!(
        "unknown diagnostic code `{shown}`{hint} (codes are E or W and three digits, as printed in a diagnostic: `error[E012]`)"
    ))
}

/// Whether a code is a warning's (`W...`); errors are `E...`.
pub fn is_warning(code: &str) -> bool {
    code.starts_with(['W', 'w'])
}

fn parse(text: &'static str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut rest = text;
    // Each entry runs from its heading to the next `## ` heading.
    while let Some(at) = rest.find("\n## ") {
        rest = &rest[at + 1..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let heading = &rest["## ".len()..line_end];
        let body_start = (line_end + 1).min(rest.len());
        let body_end = rest[body_start..]
            .find("\n## ")
            .map_or(rest.len(), |i| body_start + i + 1);
        if let Some((code, title)) = heading.split_once(": ") {
            entries.push(Entry {
                code: code.trim(),
                title: title.trim(),
                body: rest[body_start..body_end].trim(),
            });
        }
        rest = &rest[body_end.saturating_sub(1)..];
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_have_a_code_a_title_and_a_body() {
        let all = all();
        assert!(all.len() > 60, "{}", all.len());
        for e in all {
            assert!(
                e.code.len() == 4 && e.code[1..].chars().all(|c| c.is_ascii_digit()),
                "{}",
                e.code
            );
            assert!(e.code.starts_with(['E', 'W']), "{}", e.code);
            assert!(!e.title.is_empty() && !e.body.is_empty(), "{}", e.code);
            assert!(!e.body.contains("\n## "), "{}", e.code);
        }
        let e012 = get("e012").expect("E012 documented");
        assert_eq!(e012.title, "direction contradicts baseline and target");
        assert!(e012.body.starts_with("`direction = \"higher\"`"));
        // The last entry ends at the end of the file.
        assert!(TEXT.trim_end().ends_with(all.last().expect("entries").body));
    }

    #[test]
    fn parses_headings_and_bodies() {
        let e = parse("# T\n\nintro\n\n## E001: one\n\nbody one\n\n## W002: two\n\nbody\ntwo\n");
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].code, e[0].title, e[0].body),
            ("E001", "one", "body one")
        );
        assert_eq!(
            (e[1].code, e[1].title, e[1].body),
            ("W002", "two", "body\ntwo")
        );
    }
}
