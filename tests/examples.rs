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
        let m = bsc::data::measurements::load(src, card, None, &mut diags);
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

/// The measurements files of each example scorecard (by the id they name),
/// in file-name order: what `bsc evaluate` is run on in the README.
fn examples_with_measurements() -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut cards: Vec<(String, PathBuf)> = Vec::new();
    let mut measurements: Vec<(String, PathBuf)> = Vec::new();
    for path in example_files() {
        match kind(&read(&path)) {
            Kind::Scorecard => {
                let table: toml::Table = read(&path).text.parse().unwrap();
                let id = table["scorecard"]["id"].as_str().unwrap().to_owned();
                cards.push((id, path));
            }
            Kind::Measurements(id) => measurements.push((id, path)),
        }
    }
    cards
        .into_iter()
        .map(|(id, card)| {
            let files = measurements
                .iter()
                .filter(|(m, _)| *m == id)
                .map(|(_, p)| p.clone())
                .collect();
            (card, files)
        })
        .collect()
}

/// Issue 12: the corporate example printed an empty composite at 100 %
/// coverage and nothing noticed. Whatever the arithmetic, a node with a
/// scored child has a score, and so has the composite when coverage > 0.
#[test]
fn every_example_scores_every_node_that_has_a_scored_child() {
    let mut failures = Vec::new();
    let examples = examples_with_measurements();
    assert!(examples.len() >= 4, "expected the four example scorecards");
    for (card, files) in examples {
        assert!(!files.is_empty(), "{}: no measurements", card.display());
        let out = Command::new(env!("CARGO_BIN_EXE_bsc"))
            .arg("evaluate")
            .arg(&card)
            .args(&files)
            .args(["--format", "json"])
            .env("NO_COLOR", "1")
            .output()
            .expect("bsc runs");
        let name = card.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        let scored = |x: &serde_json::Value| x["score"].is_number();
        let indicators = v["indicators"].as_array().unwrap();
        let objectives = v["objectives"].as_array().unwrap();
        for o in objectives {
            let child = indicators
                .iter()
                .any(|i| i["objective"] == o["id"] && scored(i));
            if child && !scored(o) {
                failures.push(format!("{name}: objective {} has no score", o["id"]));
            }
        }
        for p in v["perspectives"].as_array().unwrap() {
            let child = objectives
                .iter()
                .any(|o| o["perspective"] == p["id"] && scored(o))
                || indicators
                    .iter()
                    .any(|i| i["perspective"] == p["id"] && i["objective"].is_null() && scored(i));
            if child && !scored(p) {
                failures.push(format!("{name}: perspective {} has no score", p["id"]));
            }
        }
        let coverage = v["composite"]["coverage"].as_f64().expect("coverage");
        if coverage > 0.0 && !scored(&v["composite"]) {
            failures.push(format!(
                "{name}: composite has no score at coverage {coverage}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Long-format examples (`scorecards/data/<card>-*.csv`, for the card
/// `scorecards/<card>.toml`) evaluate cleanly, every unit with a composite
/// and every perspective scored: the regional targets in them are valid.
#[test]
fn every_long_format_example_scores_every_unit() {
    let dir = examples_dir().join("data");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("scorecards/data/ exists") {
        let path = entry.expect("readable entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let card = examples_dir().join(format!("{}.toml", name.split('-').next().unwrap()));
        let out = Command::new(env!("CARGO_BIN_EXE_bsc"))
            .arg("evaluate")
            .arg(&card)
            .arg("--data")
            .arg(&path)
            .args(["--format", "json"])
            .env("NO_COLOR", "1")
            .output()
            .expect("bsc runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{name}:\n{stderr}"
        );
        let units: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        for u in units.as_array().expect("an array of units") {
            assert!(u["composite"]["score"].is_number(), "{name}: {}", u["unit"]);
            for p in u["perspectives"].as_array().unwrap() {
                assert!(p["score"].is_number(), "{name}: {} {}", u["unit"], p["id"]);
            }
        }
        seen += 1;
    }
    assert!(seen > 0, "no long-format example in {}", dir.display());
}
