//! `bsc validate --format sarif`: diagnostics as a SARIF 2.1.0 log, the
//! format code-scanning services (GitHub's among them) and editors read.
//! One run; the tool's rules are the codes that occur, each result points
//! at its file (a URI relative to the working directory) and region.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde_json::{Value, json};

use super::{Diagnostic, Hidden, Severity, shorten};

/// The SARIF log of `diags`; `hidden` (a file's diagnostics past the
/// first 100) become notes of the invocation, as `--format github` gives
/// them as notices.
pub fn render(diags: &[Diagnostic], hidden: &[Hidden]) -> String {
    // Rules in code order; a result names its rule by id and index.
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for d in diags {
        rules.insert(d.code, 0);
    }
    for (i, index) in rules.values_mut().enumerate() {
        *index = i;
    }
    let rule_objects: Vec<Value> = rules.keys().map(|code| rule(code)).collect();
    let cwd = std::env::current_dir().ok();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| result(d, rules[d.code], cwd.as_deref()))
        .collect();
    let notes: Vec<Value> = hidden
        .iter()
        .map(|h| json!({"level": "note", "message": {"text": h.note()}}))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "bsc",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_objects,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notes,
            }],
            // Columns count characters, as in the human and JSON output.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    s.push('\n');
    s
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(code: &str) -> Value {
    let default = if code.starts_with('W') {
        "warning"
    } else {
        "error"
    };
    let mut r = json!({
        "id": code,
        "defaultConfiguration": {"level": default},
    });
    // The explanation `bsc explain-code` prints: code scanning shows it
    // as the rule's help.
    if let Some(e) = crate::codes::get(code) {
        r["shortDescription"] = json!({"text": e.title});
        r["help"] = json!({"text": e.body, "markdown": e.body});
    }
    r
}

fn result(d: &Diagnostic, rule_index: usize, cwd: Option<&Path>) -> Value {
    let mut text = shorten(&d.message).into_owned();
    if let Some(h) = &d.hint {
        text.push_str("\nhelp: ");
        text.push_str(&shorten(h));
    }
    let mut r = json!({
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": {"text": text},
    });
    if let Some(src) = &d.source {
        // Standard input has no URI: the location says what it was.
        let artifact = if src.name == crate::source::STDIN_NAME {
            json!({"description": {"text": "standard input"}})
        } else {
            json!({"uri": uri(&src.path, cwd)})
        };
        let mut physical = json!({"artifactLocation": artifact});
        if let (Some((line, col)), Some((end_line, end_col))) = (d.line_col(), d.end_line_col()) {
            physical["region"] = json!({
                "startLine": line,
                "startColumn": col,
                "endLine": end_line,
                "endColumn": end_col,
            });
        }
        let mut location = json!({"physicalLocation": physical});
        if let Some(label) = &d.label {
            location["message"] = json!({"text": shorten(label)});
        }
        r["locations"] = json!([location]);
    }
    r
}

/// A path as a URI reference: relative to the working directory when it
/// is under it (`scorecards/crm.toml`), else an absolute `file://` URI;
/// every byte but unreserved characters percent-encoded.
pub fn uri(path: &Path, cwd: Option<&Path>) -> String {
    let (path, absolute) = if path.is_absolute() {
        match cwd.and_then(|c| path.strip_prefix(c).ok()) {
            Some(rel) => (rel, false),
            None => (path, true),
        }
    } else {
        (path, false)
    };
    let segments: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(encode(&s.to_string_lossy())),
            Component::ParentDir => Some("..".to_string()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect();
    let joined = segments.join("/");
    if absolute {
        format!("file:///{joined}")
    } else {
        joined
    }
}

fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_working_directory_and_encoded() {
        let cwd = Path::new("/home/u/repo");
        assert_eq!(
            uri(Path::new("./cards/crm.toml"), Some(cwd)),
            "cards/crm.toml"
        );
        assert_eq!(
            uri(Path::new("/home/u/repo/cards/a b.toml"), Some(cwd)),
            "cards/a%20b.toml"
        );
        assert_eq!(
            uri(Path::new("/tmp/x.toml"), Some(cwd)),
            "file:///tmp/x.toml"
        );
        assert_eq!(uri(Path::new("../up.toml"), Some(cwd)), "../up.toml");
        // A colon in the first segment would read as a scheme.
        assert_eq!(uri(Path::new("c:d.toml"), Some(cwd)), "c%3Ad.toml");
        assert_eq!(uri(Path::new("绩效.toml"), None), "%E7%BB%A9%E6%95%88.toml");
    }
}
