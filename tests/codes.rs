//! Every diagnostic code bsc can emit has its explanation in
//! docs/codes.md (what `bsc explain-code` prints), and the document
//! explains no code that bsc no longer emits.

use std::collections::BTreeSet;
use std::path::Path;

/// Code literals (`"E012"`, `"W003"`) in the Rust files under `dir`.
fn codes_in(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("src/ readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            codes_in(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source is UTF-8");
            let b = text.as_bytes();
            for i in 0..b.len().saturating_sub(5) {
                if b[i] == b'"'
                    && matches!(b[i + 1], b'E' | b'W')
                    && b[i + 2..i + 5].iter().all(u8::is_ascii_digit)
                    && b[i + 5] == b'"'
                {
                    found.insert(text[i + 1..i + 5].to_string());
                }
            }
        }
    }
}

fn documented() -> BTreeSet<String> {
    bsc::codes::all()
        .iter()
        .map(|e| e.code.to_string())
        .collect()
}

#[test]
fn every_code_in_src_is_explained() {
    let mut used = BTreeSet::new();
    codes_in(Path::new("src"), &mut used);
    assert!(used.len() > 60, "only {} codes found in src/", used.len());
    let documented = documented();
    let missing: Vec<&String> = used.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "codes used in src/ without an entry in docs/codes.md: {missing:?}"
    );
}

#[test]
fn every_explained_code_is_used() {
    let mut used = BTreeSet::new();
    codes_in(Path::new("src"), &mut used);
    let documented = documented();
    let stale: Vec<&String> = documented.difference(&used).collect();
    assert!(
        stale.is_empty(),
        "docs/codes.md explains codes no longer in src/: {stale:?}"
    );
}

#[test]
fn the_diagnostics_table_lists_the_documented_codes() {
    let readme = std::fs::read_to_string("docs/diagnostics.md").expect("docs/diagnostics.md");
    let table: BTreeSet<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|c| {
            c.len() == 4 && c.starts_with(['E', 'W']) && c[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .map(String::from)
        .collect();
    assert_eq!(
        table,
        documented(),
        "docs/diagnostics.md's code table and docs/codes.md differ"
    );
}

#[test]
fn each_entry_has_a_heading_once() {
    let all = bsc::codes::all();
    assert_eq!(all.len(), documented().len(), "a code has two entries");
    for e in all {
        assert!(
            e.body.len() > 80,
            "{}: the explanation is too short to help: {:?}",
            e.code,
            e.body
        );
    }
}
