//! Inputs that used to cost quadratic time or unbounded memory in
//! diagnostics and validation (issue 12, item 12). Speed is not timed
//! here; what is asserted is what keeps the work bounded and the output
//! right: at most 100 diagnostics shown per file with an exact "N more"
//! note, the full error count, CR-only files at the right line, long
//! values cut in messages.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bsc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("bsc runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

fn crm() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scorecards/crm.toml")
        .display()
        .to_string()
}

/// A measurements CSV of `n` unknown ids, rows ended by `end`.
fn bogus_rows(dir: &Path, n: usize, end: &str) -> PathBuf {
    let mut text = format!("id,value{end}");
    for i in 0..n {
        text.push_str(&format!("bogus_{i},1{end}"));
    }
    let path = dir.join("2026-Q3.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_cr_only_file_with_thousands_of_bad_rows_shows_the_first_hundred() {
    let dir = tempfile::tempdir().unwrap();
    let csv = bogus_rows(dir.path(), 3000, "\r");
    let csv = csv.to_str().unwrap();
    let (code, stdout, stderr) = bsc(&["evaluate", &crm(), csv]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr.matches("error[E031]").count(), 100);
    // Each row on its own line: the header is line 1.
    assert!(stderr.contains(&format!(" --> {csv}:2:1\n")), "{stderr}");
    assert!(stderr.contains("2 | bogus_0,1\n"), "{stderr}");
    assert!(stderr.contains(&format!(" --> {csv}:101:1\n")), "{stderr}");
    assert!(!stderr.contains("bogus_100`"), "the 101st is not shown");
    assert!(
        stderr.ends_with(&format!(
            "note: 2900 more errors not shown in {csv}\nfailed: 3000 errors\n"
        )),
        "{}",
        &stderr[stderr.len().saturating_sub(300)..]
    );
    // Snippets are one line each, not the whole file.
    assert!(stderr.lines().all(|l| l.len() < 200));
}

#[test]
fn validate_caps_every_format_and_counts_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let csv = bogus_rows(dir.path(), 250, "\n");
    let csv = csv.to_str().unwrap();
    let card = crm();
    let args = |format: &'static str| {
        vec![
            "validate",
            card.as_str(),
            "--measurements",
            csv,
            "--format",
            format,
        ]
    };

    let (code, _, stderr) = bsc(&args("human"));
    assert_eq!(code, 1);
    assert_eq!(stderr.matches("error[E031]").count(), 100);
    assert!(
        stderr.ends_with(&format!(
            "note: 150 more errors not shown in {csv}\nfailed: 2 files checked, 250 errors, 0 warnings\n"
        )),
        "{stderr}"
    );

    let (code, stdout, _) = bsc(&args("json"));
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let items = json.as_array().unwrap();
    assert_eq!(items.len(), 100);
    assert_eq!(items[99]["line"], 101);

    let (code, stdout, _) = bsc(&args("github"));
    assert_eq!(code, 1);
    assert_eq!(stdout.matches("::error ").count(), 100);
    assert!(
        stdout.ends_with(&format!(
            "\n::notice file={csv},title=bsc::150 more errors not shown in {csv}\n"
        )),
        "{stdout}"
    );
}

#[test]
fn long_ids_are_cut_in_messages_and_hints() {
    let dir = tempfile::tempdir().unwrap();
    let a = "a".repeat(50_000);
    let b = "b".repeat(50_000);
    let card = format!(
        r#"[scorecard]
id = "x"
name = "x"

[[perspectives]]
id = "customer"
name = "Customer"

[[objectives]]
id = "{a}"
perspective = "customer"
name = "o"

[[indicators]]
id = "i"
name = "i"
objective = "{b}"
direction = "higher"
baseline = 0
target = 1
"#
    );
    let path = dir.path().join("card.toml");
    std::fs::write(&path, card).unwrap();
    let (code, _, stderr) = bsc(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    let cut_a = format!("`{}…`", "a".repeat(80));
    let cut_b = format!("`{}…`", "b".repeat(80));
    assert!(
        stderr.contains(&format!("error[E021]: objective {cut_a} has no indicators")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "error[E007]: indicator `i` names unknown objective {cut_b}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("objective = \"{}…\"", "a".repeat(80))));
    assert!(stderr.lines().all(|l| l.len() < 400), "{stderr}");
    assert!(stderr.ends_with("2 errors, 3 warnings\n"), "{stderr}");
}

#[test]
fn many_misspelt_references_are_all_counted() {
    // 3000 indicators, each naming an objective one letter off a real one:
    // every one an error, with a hint while the suggestion budget lasts.
    let dir = tempfile::tempdir().unwrap();
    let mut card = String::from(
        "[scorecard]\nid = \"x\"\nname = \"x\"\n\n[[perspectives]]\nid = \"customer\"\nname = \"C\"\n",
    );
    let n = 3000;
    for i in 0..n {
        card.push_str(&format!(
            "\n[[objectives]]\nid = \"obj{i}\"\nperspective = \"customer\"\nname = \"o\"\n"
        ));
    }
    for i in 0..n {
        card.push_str(&format!(
            "\n[[indicators]]\nid = \"i{i}\"\nname = \"i\"\nobjective = \"obx{i}\"\ndirection = \"higher\"\nbaseline = 0\ntarget = 1\n"
        ));
    }
    let path = dir.path().join("card.toml");
    std::fs::write(&path, card).unwrap();
    let path = path.to_str().unwrap();
    let (code, _, stderr) = bsc(&["validate", path]);
    assert_eq!(code, 1);
    // The 3 perspective warnings come first, then the first 97 errors.
    assert_eq!(stderr.matches("error[E007]").count(), 97);
    assert!(stderr.contains("did you mean `obj0`?"), "{stderr}");
    // No objective is reported empty: each was meant by a misspelt name,
    // even where the suggestion budget could no longer say which.
    assert!(
        stderr.ends_with(&format!(
            "note: {} more errors not shown in {path}\nfailed: 1 file checked, {n} errors, 3 warnings\n",
            n - 97
        )),
        "{}",
        &stderr[stderr.len().saturating_sub(400)..]
    );
}

#[test]
fn one_bad_byte_leaves_the_other_rows_their_positions() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/portfolio");
    let dir = tempfile::tempdir().unwrap();
    let mut data =
        b"period,unit,id,value\n2026-Q3,East,revenue,300\n2026-Q3,East,revnue,12\n".to_vec();
    data.extend_from_slice(b"2026-Q3,We\xffst,revenue,1\n");
    let path = dir.path().join("data.csv");
    std::fs::write(&path, data).unwrap();
    let path = path.to_str().unwrap();
    let card = fixtures.join("card.toml");
    let (code, _, stderr) = bsc(&[
        "evaluate",
        card.to_str().unwrap(),
        "--data",
        path,
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&format!(" --> {path}:3:14\n")), "{stderr}");
    assert!(stderr.contains("3 | 2026-Q3,East,revnue,12\n"), "{stderr}");
}

#[test]
fn cr_only_data_rows_are_numbered_by_line() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/portfolio");
    let text = std::fs::read_to_string(fixtures.join("bad-rows.csv")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    std::fs::write(&path, text.replace('\n', "\r")).unwrap();
    let path = path.to_str().unwrap();
    let card = fixtures.join("card.toml");
    let (code, _, stderr) = bsc(&[
        "evaluate",
        card.to_str().unwrap(),
        "--data",
        path,
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, 1, "{stderr}");
    // The same rows as in the LF file (tests/cmd/portfolio/bad-rows).
    assert!(
        stderr.contains("error[E031]: row 3, column `id`: `revnue` is not an indicator"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!(" --> {path}:3:14\n")), "{stderr}");
    assert!(
        stderr.contains("in period `2026-Q3` (first given on row 4)"),
        "{stderr}"
    );
    assert!(stderr.contains("error[E036]: row 9: the row has 5 fields"));
    assert!(!stderr.contains("row 1,"), "{stderr}");
}
