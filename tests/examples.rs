//! The shipped examples in `scorecards/` are documentation users copy, so
//! they must stay clean: every scorecard validates with no diagnostic at
//! all (warnings included), and every measurements file validates against
//! the scorecard it names with `scorecard = "id"`. A new example that is
//! broken, or that is neither a scorecard nor a measurements file, fails
//! here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use bsc::diag::{Diagnostics, render_human};
use bsc::model::Scorecard;
use bsc::source::Source;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scorecards")
}

fn read(path: &Path) -> Source {
    match bsc::load::read_source(path) {
        Ok(Ok(src)) => src,
        Ok(Err(d)) => panic!("{}", render_human(&[d], false)),
        Err(e) => panic!("{e}"),
    }
}

/// What a TOML example is, from its top-level `scorecard` key: a table for
/// a scorecard, a string (the scorecard id) for measurements.
enum Kind {
    Scorecard,
    Measurements(String),
}

fn kind(src: &Source) -> Kind {
    let table: toml::Table = src
        .text
        .parse()
        .unwrap_or_else(|e| panic!("{}: not valid TOML: {e}", src.name));
    match table.get("scorecard") {
        Some(toml::Value::Table(_)) => Kind::Scorecard,
        Some(toml::Value::String(id)) => Kind::Measurements(id.clone()),
        _ => panic!(
            "{}: an example must be a scorecard (`[scorecard]` table) or a measurements file \
             naming its scorecard (`scorecard = \"id\"`)",
            src.name
        ),
    }
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("scorecards/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml" || e == "csv"))
        .collect();
    files.sort();
    files
}

fn clean_or_report(diags: &Diagnostics, what: &str, failures: &mut Vec<String>) {
    if !diags.items.is_empty() {
        failures.push(format!("{what}:\n{}", render_human(&diags.items, false)));
    }
}

#[test]
fn every_example_validates_without_any_diagnostic() {
    let mut cards: HashMap<String, (String, Scorecard)> = HashMap::new();
    let mut measurements: Vec<(Source, String)> = Vec::new();
    let mut failures: Vec<String> = Vec::new();

    for path in example_files() {
        let src = read(&path);
        if path.extension().is_some_and(|e| e == "csv") {
            panic!(
                "{}: CSV examples cannot name their scorecard; use TOML with `scorecard = \"id\"`",
                src.name
            );
        }
        match kind(&src) {
            Kind::Scorecard => {
                let mut diags = Diagnostics::default();
                let card = bsc::check_scorecard(&src, &mut diags);
                clean_or_report(&diags, &src.name, &mut failures);
                if let Some(card) = card {
                    if let Some((other, _)) = cards.get(&card.id) {
                        failures.push(format!(
                            "{} and {other} both declare scorecard id `{}`",
                            src.name, card.id
                        ));
                    }
                    cards.insert(card.id.clone(), (src.name.clone(), card));
                }
            }
            Kind::Measurements(id) => measurements.push((src, id)),
        }
    }

    assert!(
        cards.len() >= 2,
        "expected the shipped example scorecards, found {}",
        cards.len()
    );
    assert!(
        !measurements.is_empty(),
        "expected example measurements files"
    );

    for (src, id) in &measurements {
        let Some((_, card)) = cards.get(id) else {
            failures.push(format!(
                "{}: names scorecard `{id}`, which no valid example declares",
                src.name
            ));
            continue;
        };
        let mut diags = Diagnostics::default();
        let m = bsc::measure::load(src, card, None, &mut diags);
        clean_or_report(&diags, &src.name, &mut failures);
        if let Some(m) = m {
            assert!(!m.values.is_empty(), "{}: no values", src.name);
        }
    }

    assert!(
        failures.is_empty(),
        "broken examples:\n\n{}",
        failures.join("\n")
    );
}

#[test]
fn bsc_validate_deny_warnings_accepts_the_examples_directory() {
    let out = Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(["validate", "--deny-warnings", "scorecards/"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("bsc runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "bsc validate failed:\n{stderr}");
    let files = example_files().len();
    assert!(
        stderr.contains(&format!("ok: {files} files checked, no problems")),
        "every example should be checked, cleanly:\n{stderr}"
    );
}
