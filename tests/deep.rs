//! Deep and long input never aborts bsc (SPEC §13, §16): formulas nested
//! past the limit are error E060 at the right place, long chains of
//! operands evaluate on every thread (`--data` scores units on rayon's
//! threads, whose stacks are smaller than the main thread's), and deeply
//! nested TOML is a syntax error. Each case runs the real binary on files
//! generated into a temporary directory: a stack overflow kills the process
//! with a signal, which no in-process test could report.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// A scorecard whose `revenue` is computed by `formula` (from the inputs
/// `price` and `units`), with `extra` appended.
fn card(formula: &str, extra: &str) -> String {
    format!(
        r#"[scorecard]
id = "deep"
name = "Deep"

[[perspectives]]
id = "financial"

[[perspectives]]
id = "customer"

[[perspectives]]
id = "internal_process"

[[perspectives]]
id = "learning_growth"

[[indicators]]
id = "revenue"
perspective = "financial"
formula = "{formula}"
baseline = 0
target = 1000000

[[indicators]]
id = "csat"
perspective = "customer"
baseline = 3
target = 5

[[indicators]]
id = "cycle_time"
perspective = "internal_process"
baseline = 30
target = 20

[[indicators]]
id = "training"
perspective = "learning_growth"
baseline = 4
target = 16

[[inputs]]
id = "price"

[[inputs]]
id = "units"
{extra}"#
    )
}

/// Line (1-based) of the `formula` key in [`card`].
const FORMULA_LINE: usize = 20;
/// Column (1-based) of the formula's first character in [`card`].
const FORMULA_COL: usize = r#"formula = ""#.len() + 1;

const MEASUREMENTS: &str = r#"period = "2026-Q3"

[values]
price = 2
units = 3
csat = 4
cycle_time = 25
training = 10
"#;

/// `period,unit,id,value` rows for `units` units over two periods; unit `k`
/// has `price = k + 1`, so each unit's formula gives a different value.
fn long_csv(units: usize) -> String {
    let mut s = String::from("period,unit,id,value\n");
    for period in ["2026-Q2", "2026-Q3"] {
        for k in 0..units {
            for (id, v) in [
                ("price", k + 1),
                ("units", 3),
                ("csat", 4),
                ("cycle_time", 25),
                ("training", 10),
            ] {
                s.push_str(&format!("{period},U{k},{id},{v}\n"));
            }
        }
    }
    s
}

/// Runs bsc in `dir`, so diagnostics name files as given.
fn bsc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("bsc runs")
}

/// Asserts the exit code; a process killed by a signal (a stack overflow
/// aborts) has none, and says so.
fn assert_exit(out: &Output, code: i32, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: {} (killed by a signal if no code)\n{}",
        out.status,
        &stderr[..stderr.len().min(2000)]
    );
    stderr
}

/// A temporary directory holding `card.toml`, `2026-Q3.toml` and `data.csv`.
fn files(card_text: &str, measurements: &str, units: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("card.toml"), card_text).unwrap();
    std::fs::write(dir.path().join("2026-Q3.toml"), measurements).unwrap();
    std::fs::write(dir.path().join("data.csv"), long_csv(units)).unwrap();
    dir
}

/// Every command that loads the scorecard.
const COMMANDS: [&[&str]; 5] = [
    &["validate", "card.toml"],
    &["evaluate", "card.toml", "2026-Q3.toml"],
    &["report", "card.toml", "2026-Q3.toml", "--format", "md"],
    &["evaluate", "card.toml", "--data", "data.csv"],
    &[
        "report",
        "card.toml",
        "--data",
        "data.csv",
        "--format",
        "md",
    ],
];

/// Every command fails with E060 at `offset` (a byte offset in the formula).
fn assert_too_deep(formula: &str, offset: usize) {
    let dir = files(&card(formula, ""), MEASUREMENTS, 8);
    let at = format!("card.toml:{FORMULA_LINE}:{}", FORMULA_COL + offset);
    for args in COMMANDS {
        let stderr = assert_exit(&bsc(dir.path(), args), 1, &format!("{args:?}"));
        assert!(
            stderr.contains(
                "error[E060]: formula of indicator `revenue` nests deeper than 64 levels"
            ),
            "{args:?}:\n{stderr}"
        );
        assert!(stderr.contains(&at), "{args:?}: not at {at}:\n{stderr}");
    }
}

#[test]
fn ten_thousand_parentheses_are_e060_at_the_65th() {
    let n = 10_000;
    let formula = format!("price * {}units{}", "(".repeat(n), ")".repeat(n));
    assert_too_deep(&formula, "price * ".len() + 64);
}

#[test]
fn thirty_thousand_unary_minuses_are_e060_at_the_65th() {
    let formula = format!("{}price", "- ".repeat(30_000));
    assert_too_deep(&formula, 2 * 64);
}

#[test]
fn nested_calls_are_e060_at_the_65th_call() {
    let n = 1_000;
    let formula = format!("{}price{}", "max(units, ".repeat(n), ")".repeat(n));
    assert_too_deep(&formula, "max(units, ".len() * 64);
}

/// 64 levels of every kind: `max(units, -(price * (...)))` opens four.
fn sixty_four_levels() -> String {
    format!(
        "{}price{}",
        "max(units, -(price * (".repeat(16),
        ")))".repeat(16)
    )
}

#[test]
fn sixty_four_levels_evaluate_on_every_thread() {
    let dir = files(&card(&sixty_four_levels(), ""), MEASUREMENTS, 16);
    for args in COMMANDS {
        assert_exit(&bsc(dir.path(), args), 0, &format!("{args:?}"));
    }
    let out = bsc(
        dir.path(),
        &["evaluate", "card.toml", "2026-Q3.toml", "--format", "json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(revenue(&v)["actual"].to_string(), "3");
    let out = bsc(
        dir.path(),
        &[
            "evaluate",
            "card.toml",
            "--data",
            "data.csv",
            "--format",
            "json",
        ],
    );
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    // max(3, -(price * x)) is 3 at every level, for every positive price.
    assert_eq!(all.len(), 16);
    for unit in &all {
        assert_eq!(revenue(unit)["actual"].to_string(), "3");
    }
    // One level more is one too many, reported where it is crossed: at the
    // innermost `(`, the last character before `price`.
    let deeper = format!("-{}", sixty_four_levels());
    assert_too_deep(&deeper, deeper.find("(price)").unwrap());
}

fn revenue(unit: &Value) -> &Value {
    unit["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "revenue")
        .expect("revenue in the output")
}

#[test]
fn thirty_thousand_term_sum_evaluates_on_every_path() {
    let n = 30_000;
    // price + price + ... + units: (n - 1) prices and one units.
    let formula = format!("{} + units", vec!["price"; n - 1].join(" + "));
    let units = 16;
    let dir = files(&card(&formula, ""), MEASUREMENTS, units);
    for args in COMMANDS {
        assert_exit(&bsc(dir.path(), args), 0, &format!("{args:?}"));
    }

    let out = bsc(
        dir.path(),
        &["evaluate", "card.toml", "2026-Q3.toml", "--format", "json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        revenue(&v)["actual"].to_string(),
        (2 * (n - 1) + 3).to_string()
    );

    let out = bsc(
        dir.path(),
        &[
            "evaluate",
            "card.toml",
            "--data",
            "data.csv",
            "--format",
            "json",
        ],
    );
    assert_exit(&out, 0, "evaluate --data --format json");
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.len(), units);
    for (k, unit) in all.iter().enumerate() {
        assert_eq!(unit["unit"], format!("U{k}"));
        let expected = (k + 1) * (n - 1) + 3;
        assert_eq!(revenue(unit)["actual"].to_string(), expected.to_string());
        assert_eq!(
            revenue(unit)["previous_actual"].to_string(),
            expected.to_string()
        );
    }
}

#[test]
fn long_products_and_differences_evaluate_left_to_right() {
    let n = 30_000;
    // units - price - price - ...: 3 - 2 * (n - 1).
    let formula = format!("units - {}", vec!["price"; n - 1].join(" - "));
    let dir = files(&card(&formula, ""), MEASUREMENTS, 4);
    let out = bsc(
        dir.path(),
        &[
            "evaluate",
            "card.toml",
            "--data",
            "data.csv",
            "--format",
            "json",
        ],
    );
    assert_exit(&out, 0, "difference");
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for (k, unit) in all.iter().enumerate() {
        let expected = 3 - (k as i64 + 1) * (n as i64 - 1);
        assert_eq!(revenue(unit)["actual"].to_string(), expected.to_string());
    }

    // price * 1 * 1 * ... / units: a product overflows only if it should.
    let formula = format!("price * {} / units", vec!["1"; n].join(" * "));
    let dir = files(&card(&formula, ""), MEASUREMENTS, 4);
    let out = bsc(
        dir.path(),
        &["evaluate", "card.toml", "2026-Q3.toml", "--format", "json"],
    );
    assert_exit(&out, 0, "product");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 2 / 3, rounded once, at the end.
    assert_eq!(
        revenue(&v)["actual"].to_string(),
        "0.6666666666666666666666666667"
    );
}

#[test]
fn deeply_nested_toml_is_a_syntax_error() {
    let n = 10_000;
    let arrays = format!("\nx = {}{}\n", "[".repeat(n), "]".repeat(n));
    let tables = format!("\ny = {}1{}\n", "{a = ".repeat(n), "}".repeat(n));
    // The nesting starts on the line after the card's last line.
    let line = card("price", "").lines().count() + 2;
    for extra in [&arrays, &tables] {
        let dir = files(&card("price * units", extra), MEASUREMENTS, 4);
        for args in COMMANDS {
            let stderr = assert_exit(&bsc(dir.path(), args), 1, &format!("{args:?}"));
            assert!(stderr.contains("error[E001]"), "{args:?}:\n{stderr}");
            assert!(
                stderr.contains(&format!("card.toml:{line}:")),
                "{args:?}: not on line {line}:\n{stderr}"
            );
        }
        // The same nesting in a measurements file.
        let dir = files(
            &card("price * units", ""),
            &format!("{MEASUREMENTS}{extra}"),
            4,
        );
        let args = ["evaluate", "card.toml", "2026-Q3.toml"];
        let stderr = assert_exit(&bsc(dir.path(), &args), 1, "measurements");
        assert!(stderr.contains("error[E001]"), "{stderr}");
        let line = MEASUREMENTS.lines().count() + 2;
        assert!(
            stderr.contains(&format!("2026-Q3.toml:{line}:")),
            "not on line {line}:\n{stderr}"
        );
    }
}
