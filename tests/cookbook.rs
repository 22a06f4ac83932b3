//! `docs/cookbook.md` is documentation users copy, so every value it states
//! is checked here by running `bsc` on the matching case in
//! `tests/cmd/cookbook/<kpi>.in/`.
//!
//! The doc marks each recipe with fenced TOML blocks and one result line:
//!
//! ````text
//! ```toml
//! # kpi: nps — card.toml
//! [[indicators]] ...            the recipe: indicators, inputs, [constants]
//! ```
//! ```toml
//! # nps: q3.toml                measurements (`q2.toml` when prev() is used)
//! period = "2026-Q3"
//! [values] ...
//! ```
//! Expected: **nps = 36**        exact (`≈` instead of `=`: an approximation)
//! ````
//!
//! The test checks that the doc and the cases agree both ways (every recipe
//! has a case and every case a recipe; what the doc shows is what the case
//! files say), that the doc covers the KPIs a CRM cookbook must have, and
//! that `bsc evaluate ... --format json` gives the documented `actual`:
//! digit for digit when exact, to 1e-20 relative for an approximation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use rust_decimal::Decimal;

/// The KPIs the cookbook promises (ids of the indicator in each recipe).
const REQUIRED: &[&str] = &[
    "nps",
    "csat",
    "ces",
    "churn_rate",
    "annualised_churn",
    "retention_rate",
    "nrr",
    "clv_simple",
    "clv_subscription",
    "clv_discounted",
    "cac",
    "cac_payback_months",
    "ltv_cac",
    "marketing_roi",
    "funnel_conversion",
    "crm_adoption",
    "data_completeness",
    "crm_roi",
    "revenue_growth",
    "pct_of_target",
];

#[derive(Default)]
struct Recipe {
    /// The `# kpi:` block: the card excerpt.
    card: Option<String>,
    /// `q2.toml`, `q3.toml` blocks by file name.
    measurements: BTreeMap<String, String>,
    /// The documented value and whether it is an approximation.
    expected: Vec<(String, bool)>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cases_dir() -> PathBuf {
    root().join("tests/cmd/cookbook")
}

/// Reads the recipes of the cookbook, in the order the doc gives them.
/// Panics on a marker it cannot read, so a typo in the doc is not a recipe
/// that silently goes untested.
fn recipes(doc: &str) -> Vec<(String, Recipe)> {
    let mut out: Vec<(String, Recipe)> = Vec::new();
    let mut lines = doc.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let line_no = n + 1;
        if line.trim_end() == "```toml" {
            let Some((_, first)) = lines.next() else {
                break;
            };
            let mut body = String::new();
            for (_, l) in lines.by_ref() {
                if l.trim_end() == "```" {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            if let Some(rest) = first.strip_prefix("# kpi: ") {
                let id = rest.split_whitespace().next().unwrap_or("").to_string();
                assert!(
                    !out.iter().any(|(k, _)| *k == id),
                    "docs/cookbook.md:{line_no}: recipe `{id}` appears twice"
                );
                out.push((
                    id,
                    Recipe {
                        card: Some(body),
                        ..Recipe::default()
                    },
                ));
            } else if let Some((id, file)) = first
                .strip_prefix("# ")
                .and_then(|r| r.split_once(": "))
                .filter(|(_, f)| f.trim() == "q2.toml" || f.trim() == "q3.toml")
            {
                let (last, recipe) = out.last_mut().unwrap_or_else(|| {
                    panic!("docs/cookbook.md:{line_no}: measurements before any `# kpi:` block")
                });
                assert_eq!(
                    last, id,
                    "docs/cookbook.md:{line_no}: measurements of `{id}` inside the recipe of `{last}`"
                );
                recipe.measurements.insert(file.trim().to_string(), body);
            }
        } else if line.starts_with("Expected") {
            let (_, rest) = line
                .split_once("**")
                .unwrap_or_else(|| panic!("docs/cookbook.md:{line_no}: no `**id = value**`"));
            let inner = rest
                .strip_suffix("**")
                .unwrap_or_else(|| panic!("docs/cookbook.md:{line_no}: the line must end in `**`"));
            let (id, value, approx) = if let Some((id, v)) = inner.split_once(" ≈ ") {
                (id, v, true)
            } else if let Some((id, v)) = inner.split_once(" = ") {
                (id, v, false)
            } else {
                panic!("docs/cookbook.md:{line_no}: expected `**id = value**` or `**id ≈ value**`")
            };
            let (last, recipe) = out.last_mut().unwrap_or_else(|| {
                panic!("docs/cookbook.md:{line_no}: a result before any `# kpi:` block")
            });
            assert_eq!(
                last,
                id.trim(),
                "docs/cookbook.md:{line_no}: the result of `{}` inside the recipe of `{last}`",
                id.trim()
            );
            Decimal::from_str(value.trim()).unwrap_or_else(|e| {
                panic!("docs/cookbook.md:{line_no}: `{value}` is not a decimal: {e}")
            });
            recipe.expected.push((value.trim().to_string(), approx));
        }
    }
    out
}

fn parse_toml(text: &str, what: &str) -> toml::Table {
    text.parse()
        .unwrap_or_else(|e| panic!("{what}: not valid TOML: {e}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The ids that `tests/cmd/cookbook/` has cases or case folders for.
fn case_ids() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut cases = BTreeSet::new();
    let mut folders = BTreeSet::new();
    for entry in std::fs::read_dir(cases_dir()).expect("tests/cmd/cookbook exists") {
        let path = entry.expect("readable entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(id) = name.strip_suffix(".in") {
            folders.insert(id.to_string());
        } else if let Some(id) = name.strip_suffix(".toml") {
            cases.insert(id.to_string());
        }
    }
    (cases, folders)
}

/// Every entry of the doc's array of tables `key` (matched by `id`) is in
/// the file, with the same value for every key the doc shows.
fn check_entries(
    problems: &mut Vec<String>,
    kpi: &str,
    key: &str,
    doc: &toml::Table,
    file: &toml::Table,
) {
    let Some(doc_entries) = doc.get(key).and_then(|v| v.as_array()) else {
        return;
    };
    let file_entries = file.get(key).and_then(|v| v.as_array());
    for entry in doc_entries {
        let id = entry.get("id").and_then(|v| v.as_str()).unwrap_or("?");
        let found = file_entries.and_then(|es| {
            es.iter()
                .find(|e| e.get("id").and_then(|v| v.as_str()) == Some(id))
        });
        let Some(found) = found else {
            problems.push(format!(
                "{kpi}: the doc's [[{key}]] `{id}` is not in {kpi}.in/card.toml"
            ));
            continue;
        };
        for (k, v) in entry.as_table().into_iter().flatten() {
            if found.get(k) != Some(v) {
                problems.push(format!(
                    "{kpi}: [[{key}]] `{id}`: the doc says {k} = {v}, card.toml says {}",
                    found
                        .get(k)
                        .map_or("nothing".to_string(), |f| f.to_string())
                ));
            }
        }
    }
}

/// Every key of the doc's table `key` has the same value in the file.
fn check_table(
    problems: &mut Vec<String>,
    what: &str,
    key: &str,
    doc: &toml::Table,
    file: &toml::Table,
) {
    let Some(doc_table) = doc.get(key).and_then(|v| v.as_table()) else {
        return;
    };
    let file_table = file.get(key).and_then(|v| v.as_table());
    for (k, v) in doc_table {
        let f = file_table.and_then(|t| t.get(k));
        if f != Some(v) {
            problems.push(format!(
                "{what}: the doc says [{key}] {k} = {v}, the file says {}",
                f.map_or("nothing".to_string(), |f| f.to_string())
            ));
        }
    }
}

/// Relative agreement to 1e-20, in decimals (no binary float in between).
fn agrees(actual: Decimal, expected: Decimal) -> bool {
    let Some(diff) = actual.checked_sub(expected) else {
        return false;
    };
    match diff
        .abs()
        .checked_mul(Decimal::from_i128_with_scale(10i128.pow(20), 0))
    {
        Some(scaled) => scaled <= expected.abs(),
        None => false,
    }
}

/// Runs the case as `tests/cli.rs` would and returns the indicator's
/// `actual` as JSON text (full precision), or a description of what went wrong.
fn run_case(kpi: &str, args: &[String]) -> Result<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(args)
        .current_dir(cases_dir().join(format!("{kpi}.in")))
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run bsc: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("bsc exits with {}: {}", out.status, stderr.trim()));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("the output is not JSON: {e}"))?;
    let ind = json["indicators"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["id"] == kpi))
        .ok_or_else(|| format!("no indicator `{kpi}` in the output"))?;
    match &ind["actual"] {
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("actual is {other}, reason {}", ind["reason"])),
    }
}

#[test]
fn cookbook_values_are_what_bsc_computes() {
    let doc = read(&root().join("docs/cookbook.md"));
    let recipes = recipes(&doc);
    let mut problems: Vec<String> = Vec::new();

    // Doc and cases cannot drift apart, and the doc covers the promised KPIs.
    let documented: BTreeSet<String> = recipes.iter().map(|(k, _)| k.clone()).collect();
    let (cases, folders) = case_ids();
    for id in documented.symmetric_difference(&cases) {
        problems.push(if documented.contains(id) {
            format!("{id}: documented, but there is no tests/cmd/cookbook/{id}.toml")
        } else {
            format!("{id}: tests/cmd/cookbook/{id}.toml has no recipe in docs/cookbook.md")
        });
    }
    for id in documented.symmetric_difference(&folders) {
        problems.push(if documented.contains(id) {
            format!("{id}: documented, but there is no tests/cmd/cookbook/{id}.in/")
        } else {
            format!("{id}: tests/cmd/cookbook/{id}.in/ has no recipe in docs/cookbook.md")
        });
    }
    for id in REQUIRED {
        if !documented.contains(*id) {
            problems.push(format!("{id}: the cookbook must have this KPI"));
        }
    }

    for (kpi, recipe) in &recipes {
        let dir = cases_dir().join(format!("{kpi}.in"));
        if !dir.is_dir() {
            continue; // reported above
        }
        // What the doc shows is what the case's files say.
        let card_doc = parse_toml(
            recipe.card.as_deref().unwrap_or(""),
            &format!("{kpi}: the doc's card block"),
        );
        let card_file = parse_toml(
            &read(&dir.join("card.toml")),
            &format!("{kpi}.in/card.toml"),
        );
        match card_doc.get("indicators").and_then(|v| v.as_array()) {
            Some(inds)
                if inds.iter().any(|i| {
                    i.get("id").and_then(|v| v.as_str()) == Some(kpi.as_str())
                        && i.get("formula").is_some()
                }) => {}
            _ => problems.push(format!(
                "{kpi}: the doc's card block has no computed indicator `{kpi}`"
            )),
        }
        check_entries(&mut problems, kpi, "indicators", &card_doc, &card_file);
        check_entries(&mut problems, kpi, "inputs", &card_doc, &card_file);
        check_table(
            &mut problems,
            &format!("{kpi}.in/card.toml"),
            "constants",
            &card_doc,
            &card_file,
        );

        let mut files: Vec<String> = Vec::new();
        for name in ["q2.toml", "q3.toml"] {
            let path = dir.join(name);
            match (recipe.measurements.get(name), path.is_file()) {
                (Some(text), true) => {
                    let what = format!("{kpi}.in/{name}");
                    let doc_m = parse_toml(text, &format!("{kpi}: the doc's {name} block"));
                    let file_m = parse_toml(&read(&path), &what);
                    for (k, v) in &doc_m {
                        if let toml::Value::Table(_) = v {
                            check_table(&mut problems, &what, k, &doc_m, &file_m);
                        } else if file_m.get(k) != Some(v) {
                            problems.push(format!("{what}: the doc says {k} = {v}"));
                        }
                    }
                    files.push(name.to_string());
                }
                (None, false) => {}
                (Some(_), false) => {
                    problems.push(format!("{kpi}: the doc shows {name}, the case has none"))
                }
                (None, true) => problems.push(format!(
                    "{kpi}: the case has {name}, the doc does not show it"
                )),
            }
        }
        if !files.contains(&"q3.toml".to_string()) {
            problems.push(format!("{kpi}: no q3.toml (the evaluated quarter)"));
        }

        // The case runs exactly these files, as JSON.
        let mut want_args = vec!["evaluate".to_string(), "card.toml".to_string()];
        want_args.extend(files);
        want_args.extend(["--format".to_string(), "json".to_string()]);
        let case_path = cases_dir().join(format!("{kpi}.toml"));
        if case_path.is_file() {
            let case = parse_toml(&read(&case_path), &format!("{kpi}.toml"));
            let args: Vec<String> = case
                .get("args")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            if args != want_args {
                problems.push(format!("{kpi}.toml: args {args:?}, expected {want_args:?}"));
            }
        }

        // The documented value is what bsc computes.
        let [(expected, approx)] = recipe.expected.as_slice() else {
            problems.push(format!(
                "{kpi}: needs exactly one `Expected: **{kpi} = value**` line, has {}",
                recipe.expected.len()
            ));
            continue;
        };
        match run_case(kpi, &want_args) {
            Err(e) => problems.push(format!("{kpi}: {e}")),
            Ok(actual) if !approx => {
                if actual != *expected {
                    problems.push(format!(
                        "{kpi}: bsc gives {actual}, the doc says {expected}"
                    ));
                }
            }
            Ok(actual) => {
                let ok = Decimal::from_str(&actual)
                    .map(|a| agrees(a, Decimal::from_str(expected).unwrap()))
                    .unwrap_or(false);
                if !ok {
                    problems.push(format!(
                        "{kpi}: bsc gives {actual}, the doc says ≈ {expected} (1e-20 relative)"
                    ));
                }
            }
        }
    }

    assert!(
        problems.is_empty(),
        "docs/cookbook.md and tests/cmd/cookbook disagree with bsc:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn approximate_agreement_is_relative_1e_20() {
    let d = |s: &str| Decimal::from_str(s).unwrap();
    assert!(agrees(
        d("0.0184234701262483263736686340"),
        d("0.018423470126248326373668634")
    ));
    assert!(agrees(d("1.00000000000000000001"), d("1")));
    assert!(!agrees(d("1.000000000000000000011"), d("1")));
    assert!(!agrees(
        d("0.0184234701262483"),
        d("0.018423470126248326373668634")
    ));
}
