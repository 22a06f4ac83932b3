//! Portfolio evaluation end to end (`bsc evaluate --data`): many units and
//! periods from long-format CSV and workbooks, roll-ups, rankings, and the
//! errors of bad rows. The data is in `tests/fixtures/portfolio/`; the
//! workbooks are written here with rust_xlsxwriter, a real spreadsheet
//! library, so calamine reads what Excel-compatible tools produce.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/portfolio")
        .join(name)
}

fn bsc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("bsc runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("UTF-8 output")
}

/// Runs `bsc evaluate CARD --data DATA ARGS...`.
fn run_evaluate(card: &Path, data: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "evaluate",
        card.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    bsc(&all)
}

/// [`run_evaluate`], expecting success: its output.
fn evaluate(card: &Path, data: &Path, args: &[&str]) -> String {
    let out = run_evaluate(card, data, args);
    assert!(
        out.status.success(),
        "{args:?} on {} failed:\n{}",
        data.display(),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn json(card: &Path, data: &Path, args: &[&str]) -> Vec<Value> {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    match serde_json::from_str(&evaluate(card, data, &a)).expect("JSON output") {
        Value::Array(v) => v,
        other => panic!("not an array: {other}"),
    }
}

fn indicator<'a>(unit: &'a Value, id: &str) -> &'a Value {
    unit["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

/// A JSON number exactly as printed (full precision, never a float).
fn num(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => panic!("not a number: {other}"),
    }
}

fn units(v: &[Value]) -> Vec<&str> {
    v.iter().map(|u| u["unit"].as_str().unwrap()).collect()
}

#[test]
fn three_units_three_periods() {
    let (card, data) = (fixture("card.toml"), fixture("three-units.csv"));
    // JSON: one SPEC §8 object per unit, in input order, for the latest period
    // with the one before for trends.
    let all = json(&card, &data, &[]);
    assert_eq!(units(&all), ["East", "West", "North"]);
    for u in &all {
        assert_eq!(u["period"], "2026-Q3");
        assert_eq!(u["scorecard"]["id"], "branch-performance");
    }
    let east = &all[0];
    assert_eq!(num(&indicator(east, "revenue")["actual"]), "500");
    assert_eq!(num(&indicator(east, "revenue")["previous_actual"]), "400");
    assert_eq!(num(&indicator(east, "conversion")["actual"]), "0.01"); // 2 / 200
    assert_eq!(
        num(&indicator(east, "conversion")["previous_actual"]),
        "0.3"
    ); // 30 / 100

    // JSON Lines: the same objects, one per line, same order.
    let lines = evaluate(&card, &data, &["--format", "jsonl"]);
    let parsed: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed, all);

    // CSV: a ranking by composite, with every perspective.
    let csv = evaluate(&card, &data, &["--format", "csv"]);
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0],
        [
            "rank",
            "unit",
            "composite",
            "status",
            "coverage",
            "financial",
            "customer",
            "internal_process",
            "learning_growth"
        ]
    );
    assert_eq!(rows.len(), 4);
    let ranked: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[0], r[1])).collect();
    assert_eq!(ranked, [("1", "North"), ("2", "East"), ("3", "West")]);
    // The composite column is the JSON composite, digit for digit.
    for r in &rows[1..] {
        let u = all.iter().find(|u| u["unit"] == r[1]).unwrap();
        assert_eq!(r[2], num(&u["composite"]["score"]));
        assert_eq!(r[5], num(&u["perspectives"][0]["score"]));
    }

    // Table: the same ranking, rounded, with the trend against 2026-Q2.
    let table = evaluate(&card, &data, &[]);
    assert!(
        table.starts_with("Branch performance — 3 units, period 2026-Q3, trend against 2026-Q2\n"),
        "{table}"
    );
    let order: Vec<&str> = table
        .lines()
        .skip(3)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(order, ["North", "East", "West"]);

    // An earlier period: its own previous period, and no later data leaks in.
    let q2 = json(&card, &data, &["--period", "2026-Q2"]);
    assert_eq!(num(&indicator(&q2[0], "revenue")["actual"]), "400");
    assert_eq!(num(&indicator(&q2[0], "revenue")["previous_actual"]), "300");
    let q1 = json(&card, &data, &["--period", "2026-Q1"]);
    assert!(
        indicator(&q1[0], "revenue")
            .get("previous_actual")
            .is_none(),
        "no period before 2026-Q1"
    );
}

/// Each unit of a portfolio run scores exactly as `bsc evaluate` does on
/// that unit's own measurements files.
#[test]
fn units_match_single_evaluations() {
    let (card, data) = (fixture("card.toml"), fixture("three-units.csv"));
    let all = json(&card, &data, &[]);
    let csv = std::fs::read_to_string(&data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for unit in ["East", "West", "North"] {
        let mut files = Vec::new();
        for period in ["2026-Q2", "2026-Q3"] {
            let mut toml = format!("period = \"{period}\"\nunit = \"{unit}\"\n\n[values]\n");
            for l in csv.lines().skip(1) {
                let f: Vec<&str> = l.split(',').collect();
                if f[0] == period && f[1] == unit {
                    toml.push_str(&format!("{} = \"{}\"\n", f[2], f[3]));
                }
            }
            let path = dir.path().join(format!("{unit}-{period}.toml"));
            std::fs::write(&path, toml).unwrap();
            files.push(path);
        }
        let out = bsc(&[
            "evaluate",
            card.to_str().unwrap(),
            files[0].to_str().unwrap(),
            files[1].to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let single: Value = serde_json::from_slice(&out.stdout).unwrap();
        let portfolio = all.iter().find(|u| u["unit"] == unit).unwrap();
        assert_eq!(&single, portfolio, "{unit}");
    }
}

/// Year to date: flows are summed, levels averaged, states take the last
/// value, and rates are computed from the rolled-up inputs — not the mean
/// of the quarterly rates.
#[test]
fn ytd_rollup_computes_rates_from_rolled_up_inputs() {
    let (card, data) = (fixture("card.toml"), fixture("three-units.csv"));
    let all = json(&card, &data, &["--from", "2026-Q1", "--to", "2026-Q3"]);
    let east = &all[0];
    assert_eq!(east["unit"], "East");
    assert_eq!(east["period"], "2026-Q1..2026-Q3");

    // conversion = won / leads: (10 + 30 + 2) / (100 + 100 + 200) = 42 / 400.
    let conv = indicator(east, "conversion");
    assert_eq!(num(&conv["actual"]), "0.105");
    assert_eq!(num(&conv["score"]), "55"); // 100 * (0.105 - 0.05) / (0.15 - 0.05)
    // The mean of the quarterly rates would be (0.1 + 0.3 + 0.01) / 3 = 0.13666…,
    // scoring 86.67: a different answer, and the wrong one.
    let mean_of_rates = (10.0 / 100.0 + 30.0 / 100.0 + 2.0 / 200.0) / 3.0;
    assert!((mean_of_rates - 0.105f64).abs() > 0.03);

    // The year's churn is the year's losses over the customers at its start:
    // lost summed (10 + 30 + 20 = 60), customers first (150).
    let churn = indicator(east, "churn");
    assert_eq!(num(&churn["actual"]), "0.4");
    assert_eq!(num(&churn["score"]), "25"); // 100 * (0.4 - 0.5) / (0.1 - 0.5)
    // Over the average customer count (650 / 3) it would be 0.2769…, and
    // the mean of the quarterly rates (0.0667, 0.15, 0.0667) 0.0944.

    assert_eq!(num(&indicator(east, "revenue")["actual"]), "1200"); // sum
    // Its target is in force in each quarter and sums too (SPEC §10):
    // 1200 of 3 x 1500 = 4500.
    assert_eq!(num(&indicator(east, "revenue")["target"]), "4500");
    assert_eq!(
        num(&indicator(east, "revenue")["score"]),
        "26.666666666666666666666666667"
    );
    assert_eq!(num(&indicator(east, "csat")["actual"]), "4.2"); // (4.2 + 4.4 + 4.0) / 3
    assert_eq!(num(&indicator(east, "cycle_days")["actual"]), "35"); // last
    assert_eq!(num(&indicator(east, "training_hours")["actual"]), "30"); // sum
    // Three periods need three before them for a previous span: none here.
    assert!(conv.get("previous_actual").is_none());

    // --from alone runs to the latest period; a one-period span is that period.
    assert_eq!(json(&card, &data, &["--from", "2026-Q1"]), all);
    let one = json(&card, &data, &["--from", "2026-Q3", "--to", "2026-Q3"]);
    assert_eq!(one, json(&card, &data, &[]));
    // A roll-up of two periods has the two before it... when the data has them.
    let h2 = json(&card, &data, &["--from", "2026-Q2"]);
    assert_eq!(h2[0]["period"], "2026-Q2..2026-Q3");
    assert!(
        indicator(&h2[0], "revenue")
            .get("previous_actual")
            .is_none()
    );
}

#[test]
fn grouped_and_interleaved_files_agree() {
    let card = fixture("card.toml");
    let (grouped, interleaved) = (
        fixture("three-units.csv"),
        fixture("three-units-by-period.csv"),
    );
    for args in format_and_span_args(&["table", "csv", "json", "jsonl"]) {
        assert_eq!(
            evaluate(&card, &grouped, &args),
            evaluate(&card, &interleaved, &args),
            "{args:?}"
        );
    }
}

/// `--format F` for each of `formats`, alone and with each of the spans
/// the layouts' tests compare: the latest period, one period, a roll-up.
fn format_and_span_args(formats: &[&'static str]) -> Vec<Vec<&'static str>> {
    let spans: [&[&str]; 3] = [&[], &["--from", "2026-Q1"], &["--period", "2026-Q2"]];
    formats
        .iter()
        .flat_map(|&format| {
            spans
                .iter()
                .map(move |span| [&["--format", format][..], span].concat())
        })
        .collect()
}

#[test]
fn sum_over_a_missing_period_is_missing() {
    let card = fixture("card.toml");
    let csv = std::fs::read_to_string(fixture("three-units.csv")).unwrap();
    // West reports no revenue and no csat for 2026-Q2.
    let holed: String = csv
        .lines()
        .filter(|l| !(l.starts_with("2026-Q2,West,revenue") || l.starts_with("2026-Q2,West,csat")))
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("holed.csv");
    std::fs::write(&data, holed).unwrap();
    let all = json(&card, &data, &["--from", "2026-Q1"]);
    let west = all.iter().find(|u| u["unit"] == "West").unwrap();
    let revenue = indicator(west, "revenue");
    assert_eq!(revenue["actual"], Value::Null);
    assert_eq!(revenue["reason"], "no value for 2026-Q2");
    assert_eq!(revenue["missing"], true);
    // An average uses the periods that have a value: (3.6 + 3.9) / 2.
    assert_eq!(num(&indicator(west, "csat")["actual"]), "3.75");
}

#[test]
fn units_without_rows_in_the_period_are_noted() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("closed.csv");
    std::fs::write(
        &data,
        "period,unit,id,value\n2026-Q1,Closed,revenue,10\n2026-Q2,Open,revenue,20\n",
    )
    .unwrap();
    let out = run_evaluate(&card, &data, &["--format", "csv"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).lines().count(),
        2,
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("note: 1 unit without rows in 2026-Q2 not evaluated: Closed"),
        "{}",
        text(&out.stderr)
    );
}

/// Writes the fixture's rows as a workbook: one long sheet, or a sheet per
/// period. Numbers are written as numbers, labels as text.
fn workbook(
    path: &Path,
    per_period: bool,
    tweak: impl Fn(&str, &str, &str, &str) -> Option<String>,
) {
    use rust_xlsxwriter::Workbook;
    let csv = std::fs::read_to_string(fixture("three-units.csv")).unwrap();
    let rows: Vec<Vec<String>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let mut wb = Workbook::new();
    let sheets: Vec<Option<&str>> = if per_period {
        vec![Some("2026-Q1"), Some("2026-Q2"), Some("2026-Q3")]
    } else {
        vec![None]
    };
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(sheet.unwrap_or("Data")).unwrap();
        let head: &[&str] = if per_period {
            &["unit", "id", "value"]
        } else {
            &["period", "unit", "id", "value"]
        };
        for (c, h) in head.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in (1..).zip(rows.iter().filter(|row| sheet.is_none_or(|s| row[0] == s))) {
            let mut cells: Vec<&str> = row.iter().map(String::as_str).collect();
            if per_period {
                cells.remove(0);
            }
            let n = cells.len();
            for (c, v) in cells.iter().enumerate() {
                let replaced = (c == n - 1)
                    .then(|| tweak(&row[0], &row[1], &row[2], v))
                    .flatten();
                match (replaced, v.parse::<f64>()) {
                    (Some(s), _) => ws.write_string(r, c as u16, s).map(|_| ()).unwrap(),
                    (None, Ok(f)) if c == n - 1 => {
                        ws.write_number(r, c as u16, f).map(|_| ()).unwrap()
                    }
                    _ => ws.write_string(r, c as u16, *v).map(|_| ()).unwrap(),
                }
            }
        }
    }
    wb.save(path).unwrap();
}

#[test]
fn workbooks_read_like_csv() {
    let (card, data) = (fixture("card.toml"), fixture("three-units.csv"));
    let dir = tempfile::tempdir().unwrap();
    let (long, per_period) = (
        dir.path().join("long.xlsx"),
        dir.path().join("quarters.xlsx"),
    );
    workbook(&long, false, |_, _, _, _| None);
    workbook(&per_period, true, |_, _, _, _| None);
    for args in [
        &["--format", "json"][..],
        &["--format", "csv", "--from", "2026-Q1"][..],
    ] {
        let from_csv = evaluate(&card, &data, args);
        assert_eq!(
            evaluate(&card, &long, args),
            from_csv,
            "long layout {args:?}"
        );
        assert_eq!(
            evaluate(&card, &per_period, args),
            from_csv,
            "sheet per period {args:?}"
        );
    }
}

#[test]
fn workbook_errors_name_sheet_and_cell() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("bad.xlsx");
    // Row 5 of the sheet is East's 2026-Q1 `lost`; row 3 is `won`.
    workbook(&book, false, |p, u, id, _| match (p, u, id) {
        ("2026-Q1", "East", "lost") => Some("n/a".into()),
        ("2026-Q1", "East", "won") => Some("12%".into()),
        _ => None,
    });
    let out = bsc(&[
        "evaluate",
        card.to_str().unwrap(),
        "--data",
        book.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("sheet `Data`, cell D3 (column `value`): value for `won` \"12%\" is not a decimal number"), "{err}");
    assert!(err.contains("sheet `Data`, cell D5 (column `value`): value for `lost` \"n/a\" is not a decimal number"), "{err}");
    assert!(err.contains("bad.xlsx"), "{err}");
    assert!(err.contains("failed: 2 errors"), "{err}");

    // A sheet per period: a duplicate names the sheet, the cell and the first row.
    let book = dir.path().join("dup.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("2026-Q3").unwrap();
    for (r, row) in [
        ["unit", "id", "value"],
        ["East", "revenue", "1"],
        ["East", "csat", "4"],
        ["East", "revenue", "2"],
        ["", "csat", "3"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    wb.save(&book).unwrap();
    let out = bsc(&[
        "evaluate",
        card.to_str().unwrap(),
        "--data",
        book.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("sheet `2026-Q3`, cell B4 (column `id`): `revenue` is given twice for unit `East` in period `2026-Q3` (first given on sheet `2026-Q3` row 2)"),
        "{err}"
    );
    assert!(
        err.contains("sheet `2026-Q3`, cell A5 (column `unit`): the unit is empty"),
        "{err}"
    );
}

#[test]
fn bad_rows_are_reported_with_rows_and_columns() {
    let (card, data) = (fixture("card.toml"), fixture("bad-rows.csv"));
    for format in ["table", "csv", "json", "jsonl"] {
        let out = bsc(&[
            "evaluate",
            card.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(
            out.stdout.is_empty(),
            "{format}: nothing is printed from a bad file"
        );
        let err = text(&out.stderr);
        for expected in [
            "error[E031]: row 3, column `id`: `revnue` is not an indicator or input of scorecard `branch-performance`",
            "did you mean `revenue`?",
            "error[E035]: row 5, column `value`: value for `won` \"12%\" is not a decimal number",
            "error[E038]: row 6, column `unit`: the unit is empty",
            "error[E037]: row 7, column `id`: `csat` is given twice for unit `East` in period `2026-Q3` (first given on row 4)",
            "error[E032]: row 8, column `id`: `conversion` is a computed indicator",
            "error[E036]: row 9: the row has 5 fields; the header has 4",
            "bad-rows.csv:5:18",
            "failed: 6 errors in",
        ] {
            assert!(
                err.contains(expected),
                "{format}: missing {expected:?} in\n{err}"
            );
        }
    }
}

#[test]
fn bad_headers_and_usage() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    let run = |data: &Path, extra: &[&str]| {
        let mut a = vec![
            "evaluate",
            card.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        bsc(&a)
    };
    let out = run(
        &write("h.csv", "period,unit,idd,value\n2026-Q1,A,revenue,1\n"),
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown column `idd`")
            && err.contains("did you mean `id`?")
            && err.contains("no id column"),
        "{err}"
    );

    let out = run(&write("empty.csv", ""), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the file is empty"));
    let out = run(&write("header-only.csv", "period,unit,id,value\n"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("the file has no data rows"));

    // Usage errors exit 2.
    let data = fixture("three-units.csv");
    let out = run(&data, &["--period", "2027-Q1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("period `2027-Q1` is not in the data; it has 2026-Q1, 2026-Q2, 2026-Q3"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        run(&data, &["--from", "2026-Q3", "--to", "2026-Q1"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&data, &["--period", "2026-Q1", "--from", "2026-Q1"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&dir.path().join("missing.csv"), &[]).status.code(),
        Some(2)
    );
    assert_eq!(run(&write("data.txt", "x"), &[]).status.code(), Some(2));
    let out = bsc(&["evaluate", card.to_str().unwrap(), "--from", "2026-Q1"]);
    assert_eq!(out.status.code(), Some(2), "--from needs --data");
    let out = bsc(&[
        "evaluate",
        card.to_str().unwrap(),
        "m.toml",
        "--data",
        data.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "measurements files and --data exclude each other"
    );
    // A file that is not a workbook is a data error, not a crash.
    let out = run(&write("fake.xlsx", "not a zip"), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot be read as a workbook"));
}

#[test]
fn jsonl_streams_units_in_input_order() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("many.csv");
    // 300 units, grouped, in descending name order (not sorted), all alike.
    let mut csv = String::from("period,unit,id,value\n");
    for u in (0..300).rev() {
        for (id, v) in [("revenue", 500), ("won", 12), ("leads", 100), ("csat", 4)] {
            csv.push_str(&format!("2026-Q1,u{u:03},{id},{v}\n"));
        }
    }
    std::fs::write(&data, csv).unwrap();
    let lines = evaluate(&card, &data, &["--format", "jsonl"]);
    let names: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["unit"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: Vec<String> = (0..300).rev().map(|u| format!("u{u:03}")).collect();
    assert_eq!(names, expected);
    // The ranking does not depend on the input order: ties broken by name.
    let csv = evaluate(&card, &data, &["--format", "csv"]);
    let first: Vec<&str> = csv
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(first, ["u000", "u001", "u002"]);
}

#[test]
fn missing_error_policy_names_the_units() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("strict.toml");
    let text_card = std::fs::read_to_string(fixture("card.toml"))
        .unwrap()
        .replace(
            "name = \"Branch performance\"",
            "name = \"Branch performance\"\nmissing = \"error\"",
        );
    std::fs::write(&card, text_card).unwrap();
    let data = fixture("three-units.csv");
    let ok = evaluate(&card, &data, &["--format", "csv"]);
    assert_eq!(ok.lines().count(), 4);
    let holed = dir.path().join("holed.csv");
    let csv = std::fs::read_to_string(&data).unwrap();
    std::fs::write(
        &holed,
        csv.lines()
            .filter(|l| !l.starts_with("2026-Q3,West,leads"))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    for format in ["csv", "json", "jsonl"] {
        let out = bsc(&[
            "evaluate",
            card.to_str().unwrap(),
            "--data",
            holed.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let err = text(&out.stderr);
        assert!(
            err.contains("1 unit lacks scores") && err.contains("West: conversion (needs leads)"),
            "{err}"
        );
    }
}

/// The library entry point a portfolio report uses: the same evaluations as
/// `--format json`, with each unit's previous composite.
#[test]
fn evaluations_for_reports_match_json() {
    let (card_path, data) = (fixture("card.toml"), fixture("three-units.csv"));
    let mut diags = bsc::diag::Diagnostics::default();
    let card = bsc::read_scorecard(&card_path, &mut diags)
        .unwrap()
        .and_then(|c| c.scorecard)
        .unwrap();
    let (plan, units) =
        bsc::portfolio::evaluations(&card, &data, bsc::portfolio::Selection::Latest, false)
            .unwrap();
    assert_eq!(plan.label(&plan.current), "2026-Q3");
    let as_json: Vec<Value> = units
        .iter()
        .map(|u| serde_json::to_value(&u.evaluation).unwrap())
        .collect();
    assert_eq!(as_json, json(&card_path, &data, &[]));
    let q2 = json(&card_path, &data, &["--period", "2026-Q2"]);
    for (u, before) in units.iter().zip(&q2) {
        let prev = u
            .previous_composite
            .expect("a previous period")
            .expect("a composite");
        assert_eq!(
            prev.normalize().to_string(),
            num(&before["composite"]["score"])
        );
    }
}

/// The data's `note` column: kept for the evaluated span (the latest note
/// of each id in a roll-up), shown in a unit's full report, and read from
/// workbooks too; a note cell that is not text is an error at its cell.
#[test]
fn notes_from_data_files_reach_the_unit_report() {
    let card = fixture("card.toml");
    let csv = std::fs::read_to_string(fixture("three-units.csv")).unwrap();
    let mut rows = String::from("period,unit,id,value,note\n");
    for line in csv.lines().skip(1) {
        let note = match line {
            l if l.starts_with("2026-Q1,East,revenue,") => "Q1: outside the span",
            l if l.starts_with("2026-Q2,East,revenue,") => "Q2: superseded by Q3",
            l if l.starts_with("2026-Q3,East,revenue,") => "Two **key accounts** signed",
            l if l.starts_with("2026-Q3,West,revenue,") => "West's own note",
            _ => "",
        };
        rows.push_str(&format!("{line},{note}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("notes.csv");
    std::fs::write(&data, &rows).unwrap();
    let card_s = card.to_str().unwrap();
    let report = |data: &Path, args: &[&str]| {
        let mut all = vec!["report", card_s, "--data", data.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = bsc(&all);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let md = report(&data, &["--unit", "East", "--format", "md"]);
    assert!(md.contains("Two **key accounts** signed"), "{md}");
    assert!(!md.contains("superseded") && !md.contains("outside the span"));
    assert!(!md.contains("West's own note"));
    let html = report(&data, &["--unit", "East"]);
    assert!(
        html.contains("Two <strong>key accounts</strong> signed"),
        "{html}"
    );
    // A roll-up shows the latest note of its span.
    let h2 = report(
        &data,
        &["--unit", "East", "--format", "md", "--from", "2026-Q2"],
    );
    assert!(h2.contains("Two **key accounts** signed") && !h2.contains("superseded"));
    let h1 = report(
        &data,
        &["--unit", "East", "--format", "md", "--to", "2026-Q2"],
    );
    assert!(h1.contains("Q2: superseded by Q3") && !h1.contains("key accounts"));
    // The portfolio report shows each unit's notes in its section.
    let ranked = report(&data, &["--format", "md"]);
    let east = ranked
        .split("\n## ")
        .find(|s| s.starts_with("East"))
        .unwrap();
    let west = ranked
        .split("\n## ")
        .find(|s| s.starts_with("West"))
        .unwrap();
    assert!(
        east.contains("> **revenue** — Two **key accounts** signed"),
        "{east}"
    );
    assert!(
        west.contains("West's own note") && !west.contains("key accounts"),
        "{west}"
    );
    assert!(
        report(&data, &[])
            .contains("<strong>revenue</strong> — <p>Two <strong>key accounts</strong> signed</p>")
    );

    // The same from a workbook with a note column.
    let book = dir.path().join("notes.xlsx");
    long_workbook(&book, &rows, None);
    assert_eq!(report(&book, &["--unit", "East", "--format", "md"]), md);
    // A note cell holding a date is an error at that cell.
    long_workbook(&book, &rows, Some((5, 4)));
    let out = bsc(&["evaluate", card_s, "--data", book.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("the note is a date; it must be text"), "{err}");
    assert!(err.contains("E6"), "names the note's cell: {err}");
}

/// CSV `rows` as a one-sheet workbook (values as numbers), with a date in
/// the cell at `date` (0-based row, column) if given.
fn long_workbook(path: &Path, rows: &str, date: Option<(u32, u16)>) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in (0u32..).zip(rows.lines()) {
        for (c, cell) in (0u16..).zip(line.split(',')) {
            match cell.parse::<f64>() {
                Ok(f) if c == 3 && r > 0 => ws.write_number(r, c, f).map(|_| ()).unwrap(),
                _ if cell.is_empty() => {}
                _ => ws.write_string(r, c, cell).map(|_| ()).unwrap(),
            }
        }
    }
    if let Some((r, c)) = date {
        let day = ExcelDateTime::from_ymd(2026, 9, 30).unwrap();
        let fmt = Format::new().set_num_format("yyyy-mm-dd");
        ws.write_datetime_with_format(r, c, &day, &fmt).unwrap();
    }
    wb.save(path).unwrap();
}

/// A long file of `units` units over `periods` (all eight ids each), by
/// unit or by period; `tweak` may change any line (0-based, header = 0).
fn long_csv(
    path: &Path,
    units: usize,
    periods: &[&str],
    by_unit: bool,
    tweak: &dyn Fn(usize, String) -> String,
) {
    let ids = [
        ("revenue", 300),
        ("won", 10),
        ("leads", 100),
        ("lost", 10),
        ("customers", 150),
        ("csat", 4),
        ("cycle_days", 45),
        ("training_hours", 10),
    ];
    let mut rows = Vec::new();
    let row = |u: usize, p: usize, (id, base): (&str, i32)| {
        // Values that differ by unit and period, so rankings are not ties.
        let v = base + ((u * 7 + p * 3) % 11) as i32;
        format!("{},unit-{u:05},{id},{v}.{}", periods[p], u % 10)
    };
    if by_unit {
        for u in 0..units {
            for p in 0..periods.len() {
                rows.extend(ids.iter().map(|&i| row(u, p, i)));
            }
        }
    } else {
        for p in 0..periods.len() {
            for u in 0..units {
                rows.extend(ids.iter().map(|&i| row(u, p, i)));
            }
        }
    }
    let text: Vec<String> = std::iter::once("period,unit,id,value".to_string())
        .chain(rows)
        .enumerate()
        .map(|(i, l)| tweak(i, l))
        .collect();
    std::fs::write(path, text.join("\n") + "\n").unwrap();
}

/// What `bsc evaluate --format csv` did with a file, in process (on
/// every core): whether it read it once, whether it scored units while
/// reading.
fn ranking_done(card: &Path, data: &Path) -> bsc::portfolio::Done {
    let mut diags = bsc::diag::Diagnostics::default();
    let card = bsc::read_scorecard(card, &mut diags)
        .unwrap()
        .and_then(|c| c.scorecard)
        .expect("card valid");
    let opts = bsc::portfolio::Options {
        selection: bsc::portfolio::Selection::Latest,
        format: bsc::portfolio::Format::Csv,
        progress: false,
        color: false,
        keep: false,
        year_ago: false,
        decimals: None,
    };
    match bsc::portfolio::evaluate(&card, data, &opts, &mut std::io::sink()) {
        Ok(done) => done,
        Err(e) => panic!("{e:?}"),
    }
}

/// Whether `bsc evaluate --format csv` reads the file once.
fn one_pass(card: &Path, data: &Path) -> bool {
    ranking_done(card, data).one_pass
}

/// Large grouped files are read once, on a guess at their periods taken
/// from their first and last rows (`csv::guess`); reading checks it, and
/// where it is wrong the run starts again with a first pass. Every case
/// here must give what the same rows give in an interleaved file.
#[test]
fn one_pass_over_large_files_agrees_with_a_first_pass() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let quarters = ["2026-Q1", "2026-Q2", "2026-Q3"];
    let same = |_: usize, l: String| l;
    // 1,500 units x 3 periods x 8 ids: about 1 MB, several parts.
    let (grouped, interleaved) = (dir.path().join("g.csv"), dir.path().join("i.csv"));
    long_csv(&grouped, 1500, &quarters, true, &same);
    long_csv(&interleaved, 1500, &quarters, false, &same);
    assert!(std::fs::metadata(&grouped).unwrap().len() > 1 << 20);
    let agree = |a: &Path, b: &Path, why: &str| {
        for args in [
            &["--format", "csv"][..],
            &["--format", "table", "--period", "2026-Q2"][..],
            &["--format", "csv", "--from", "2026-Q1"][..],
        ] {
            assert_eq!(
                evaluate(&card, a, args),
                evaluate(&card, b, args),
                "{why}: {args:?}"
            );
        }
    };
    agree(&grouped, &interleaved, "the guess holds");
    assert!(one_pass(&card, &grouped), "a grouped file is read once");
    // Grouped by period, its middle quarter is in neither end: a first pass.
    assert!(!one_pass(&card, &interleaved));
    // With two quarters both ends hold them all: read once, in stretches.
    let two = dir.path().join("two.csv");
    long_csv(&two, 1500, &quarters[..2], false, &same);
    assert!(one_pass(&card, &two), "two quarters grouped by period");
    let two_g = dir.path().join("two-g.csv");
    long_csv(&two_g, 1500, &quarters[..2], true, &same);
    agree(&two_g, &two, "two quarters");

    // A period that only units in the middle have: the guess misses it.
    let later = |u: usize| (600..700).contains(&u);
    let with_q4 = |path: &Path, by_unit| {
        long_csv(path, 1500, &quarters, by_unit, &|_, l: String| {
            let unit: usize = l
                .split(',')
                .nth(1)
                .and_then(|u| u.strip_prefix("unit-"))
                .map_or(0, |u| u.parse().unwrap());
            if later(unit) && l.starts_with("2026-Q3") {
                l.replacen("2026-Q3", "2026-Q4", 1)
            } else {
                l
            }
        })
    };
    let (g4, i4) = (dir.path().join("g4.csv"), dir.path().join("i4.csv"));
    with_q4(&g4, true);
    with_q4(&i4, false);
    let ranking = evaluate(&card, &g4, &["--format", "csv"]);
    // The latest period is 2026-Q4: only the hundred units that have it.
    assert_eq!(ranking.lines().count(), 1 + 100, "{ranking}");
    agree(&g4, &i4, "a period missing from the guess");
    assert!(!one_pass(&card, &g4), "the guess failed");

    // A quoted field in the middle of the file: quotes may hold line
    // breaks, so cuts found without a parser are not trusted.
    let quoted = dir.path().join("q.csv");
    long_csv(&quoted, 1500, &quarters, true, &|i, l| {
        if i == 18_000 {
            let (head, value) = l.rsplit_once(',').unwrap();
            format!("{head},\"{value}\"")
        } else {
            l
        }
    });
    agree(&quoted, &interleaved, "a quoted value");
    assert!(!one_pass(&card, &quoted), "the guess failed");

    // A unit's rows in two places far apart: not grouped after all.
    let split = dir.path().join("s.csv");
    long_csv(&split, 1500, &quarters, true, &|_, l| {
        l.replace("unit-01200", "unit-00300")
    });
    let split_i = dir.path().join("si.csv");
    long_csv(&split_i, 1500, &quarters, false, &|_, l| {
        l.replace("unit-01200", "unit-00300")
    });
    let out = run_evaluate(&card, &split, &["--format", "csv"]);
    let out_i = run_evaluate(&card, &split_i, &["--format", "csv"]);
    // Its rows repeat ids per period: duplicates, reported, exit 1.
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("`revenue` is given twice for unit `unit-00300`"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out_i.status.code(), Some(1));
}

/// Problems in a file read in parts on a guess name the rows where they
/// are in the whole file, not in the part.
#[test]
fn one_pass_errors_name_rows_of_the_whole_file() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.csv");
    // Rows 5,001 and 30,001 (lines counted from 1, header included).
    long_csv(
        &data,
        1500,
        &["2026-Q1", "2026-Q2", "2026-Q3"],
        true,
        &|i, l| match i {
            5_000 | 30_000 => {
                let (head, _) = l.rsplit_once(',').unwrap();
                format!("{head},n/a")
            }
            _ => l,
        },
    );
    let out = run_evaluate(&card, &data, &["--format", "csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let lines = std::fs::read_to_string(&data).unwrap();
    let lines: Vec<&str> = lines.lines().collect();
    for row in [5_001, 30_001] {
        assert!(lines[row - 1].ends_with(",n/a"));
        assert!(
            err.contains(&format!("row {row}, column `value`")),
            "row {row}:\n{err}"
        );
        assert!(
            err.contains(&format!("bad.csv:{row}:")),
            "row {row}:\n{err}"
        );
    }
    assert!(err.contains("failed: 2 errors"), "{err}");
}

/// A row missing its value column, a comma that splits a UTF-8 sequence
/// (`d5 2c ae`: the fields joined are valid UTF-8) and an invalid byte, in
/// files read in parts on a guess, with a first pass, and with `\r` alone
/// ending lines: each is an error at its own row, in the whole file's
/// numbering, and none takes the others' positions. No panic.
#[test]
fn hostile_rows_in_large_files_are_errors_at_their_rows() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bad.csv");
    for (by_unit, cr_only) in [(true, false), (false, false), (true, true)] {
        long_csv(
            &data,
            1500,
            &["2026-Q1", "2026-Q2", "2026-Q3"],
            by_unit,
            &|i, l| {
                let (head, _) = l.rsplit_once(',').unwrap();
                match i {
                    5_000 => head.to_string(),
                    20_000 => {
                        let (key, _) = head.rsplit_once(',').unwrap();
                        format!("{key},reSPLIT1")
                    }
                    30_000 => format!("{head},1BAD"),
                    _ => l,
                }
            },
        );
        let mut bytes = std::fs::read(&data).unwrap();
        let patch = |bytes: &mut Vec<u8>, from: &[u8], to: &[u8]| {
            let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
            bytes.splice(at..at + from.len(), to.iter().copied());
        };
        patch(&mut bytes, b"SPLIT", &[0xd5, b',', 0xae]);
        patch(&mut bytes, b"BAD", &[0xff]);
        if cr_only {
            bytes
                .iter_mut()
                .filter(|b| **b == b'\n')
                .for_each(|b| *b = b'\r');
        }
        std::fs::write(&data, &bytes).unwrap();
        let why = format!("by unit {by_unit}, CR only {cr_only}");
        let out = run_evaluate(&card, &data, &["--format", "csv"]);
        assert_eq!(out.status.code(), Some(1), "{why}");
        let err = text(&out.stderr);
        for (row, what) in [
            (5_001, ": the row has 3 fields; the header has 4"),
            (20_001, ", field 3: not valid UTF-8"),
            (30_001, ", field 4: not valid UTF-8"),
        ] {
            let message = format!("row {row}{what}");
            assert!(err.contains(&message), "{why}: {message}:\n{err}");
            if !cr_only {
                // Where the file has a line break, the snippet header
                // names the row's line too.
                assert!(
                    err.contains(&format!("bad.csv:{row}:")),
                    "{why}: {row}:\n{err}"
                );
            }
        }
        assert!(err.contains("failed: 3 errors"), "{why}: {err}");
        assert!(!err.contains("panicked"), "{why}: {err}");
    }
}

/// A workbook with `target` and `baseline` columns gives each unit its own
/// targets as the CSV does (SPEC §10): numbers as numbers, a band as the
/// text `low..high`, empty cells as "not given".
#[test]
fn workbook_targets_match_the_csv() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/evaluate/plan.in");
    let (card, csv) = (dir.join("card.toml"), dir.join("regions.csv"));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in (0u32..).zip(text.lines()) {
        for (c, v) in (0u16..).zip(line.split(',')) {
            match v.parse::<f64>() {
                _ if v.is_empty() => {}
                Ok(f) if r > 0 && c >= 3 => ws.write_number(r, c, f).map(|_| ()).unwrap(),
                _ => ws.write_string(r, c, v).map(|_| ()).unwrap(),
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("regions.xlsx");
    wb.save(&book).unwrap();
    let from_csv = json(&card, &csv, &[]);
    let from_book = json(&card, &book, &[]);
    assert_eq!(from_book, from_csv);
    let east = &from_book[0];
    assert_eq!(east["unit"], "East");
    assert_eq!(num(&indicator(east, "revenue")["target"]), "120");
    assert_eq!(indicator(east, "csat")["target"].to_string(), "[4,4.5]");
    assert_eq!(num(&indicator(east, "churn")["baseline"]), "0.16");
}

/// The rows of [`long_csv`] (1,500 units, three quarters, eight ids) in
/// the three layouts a data file comes in: grouped by unit, grouped by
/// period, and shuffled (a fixed permutation). With `notes`, a `note`
/// column, filled on every seventh row (in Chinese on some), which takes
/// every row off the quick path.
fn layouts(dir: &Path, notes: bool) -> [PathBuf; 3] {
    let quarters = ["2026-Q1", "2026-Q2", "2026-Q3"];
    let note = |i: usize, l: String| match (notes, i) {
        (false, _) => l,
        (true, 0) => format!("{l},note"),
        (true, i) if i % 7 == 0 => format!("{l},备注 {i}"),
        (true, i) if i % 7 == 3 => format!("{l},note {i}"),
        (true, _) => format!("{l},"),
    };
    let paths = ["unit", "period", "shuffled"].map(|l| dir.join(format!("{l}-{notes}.csv")));
    let same = |_: usize, l: String| l;
    long_csv(&paths[0], 1500, &quarters, true, &same);
    // The notes go with the rows (numbered in the file grouped by unit),
    // so every layout holds the same rows.
    let by_unit = std::fs::read_to_string(&paths[0]).unwrap();
    let mut rows: Vec<String> = by_unit
        .lines()
        .enumerate()
        .map(|(i, l)| note(i, l.to_string()))
        .collect();
    std::fs::write(&paths[0], rows.join("\n") + "\n").unwrap();
    let header = rows.remove(0);
    let period_of = |l: &String| l.split(',').next().unwrap().to_string();
    let mut by_period = rows.clone();
    by_period.sort_by_key(period_of); // stable: units stay in order
    // Fisher-Yates with a fixed linear congruential sequence.
    let mut shuffled = rows;
    let mut x: u64 = 42;
    for i in (1..shuffled.len()).rev() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        shuffled.swap(i, (x >> 33) as usize % (i + 1));
    }
    for (path, body) in paths[1..].iter().zip([by_period, shuffled]) {
        let all: Vec<String> = std::iter::once(header.clone()).chain(body).collect();
        std::fs::write(path, all.join("\n") + "\n").unwrap();
    }
    assert!(std::fs::metadata(&paths[2]).unwrap().len() > 1 << 20);
    paths
}

/// Every layout of the same rows gives the same output, byte for byte:
/// files grouped by unit are read in parts scored as units end, files
/// grouped by period and shuffled ones in stretches (one per core) whose
/// units are joined, and a ranking must not tell them apart. Units are
/// listed in the order of their first row, so the shuffled file's JSON,
/// JSON Lines and csv-long list the same units in another order.
#[test]
fn every_layout_gives_the_same_output() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    for notes in [false, true] {
        let [unit, period, shuffled] = layouts(dir.path(), notes);
        for args in format_and_span_args(&["csv", "table", "json", "jsonl", "csv-long"]) {
            let format = args[1];
            let by_unit = evaluate(&card, &unit, &args);
            let why = format!("notes {notes}, {args:?}");
            assert_eq!(by_unit, evaluate(&card, &period, &args), "{why}");
            let s = evaluate(&card, &shuffled, &args);
            match format {
                "csv" | "table" => assert_eq!(by_unit, s, "{why}"),
                "json" => {
                    let sorted = |t: &str| {
                        let mut v: Vec<Value> = serde_json::from_str(t).unwrap();
                        v.sort_by(|a, b| a["unit"].as_str().cmp(&b["unit"].as_str()));
                        v
                    };
                    assert_eq!(sorted(&by_unit), sorted(&s), "{why}");
                }
                _ => {
                    let sorted = |t: &str| {
                        let mut v: Vec<&str> = t.lines().collect();
                        v.sort();
                        v.join("\n")
                    };
                    assert_eq!(sorted(&by_unit), sorted(&s), "{why}");
                }
            }
        }
        if notes {
            // The notes of the evaluated quarter reached the output.
            let rows = evaluate(&card, &shuffled, &["--format", "csv-long"]);
            assert!(rows.contains("备注 "), "no note in the csv-long rows");
        }
    }
}

/// A value given twice in a shuffled file, the second time far from the
/// first (in another stretch): reported at its row, as a one-core reading
/// reports it, and nothing is written.
#[test]
fn duplicates_across_stretches_are_reported_at_their_row() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let [_, _, shuffled] = layouts(dir.path(), false);
    let text_of = std::fs::read_to_string(&shuffled).unwrap();
    let mut lines: Vec<&str> = text_of.lines().collect();
    let n = lines.len();
    // The second line again, near the end (line n - 1 of the new file).
    let again = lines[1];
    lines.insert(n - 2, again);
    std::fs::write(&shuffled, lines.join("\n") + "\n").unwrap();
    let out = run_evaluate(&card, &shuffled, &["--format", "csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    let fields: Vec<&str> = again.split(',').collect();
    assert!(
        err.contains(&format!(
            "`{}` is given twice for unit `{}` in period `{}`",
            fields[2], fields[1], fields[0]
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(":{}:", n - 1)),
        "line {}: {err}",
        n - 1
    );
}

/// `bsc evaluate` with `threads` worker threads (`RAYON_NUM_THREADS`): on
/// one, every file is read row by row on one core, as it always was.
fn run_on(card: &Path, data: &Path, args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(["evaluate", card.to_str().unwrap(), "--data"])
        .arg(data)
        .args(args)
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("bsc runs")
}

/// Whether a CSV ranking of `data` scored units while the file was still
/// being read.
fn streamed(card: &Path, data: &Path) -> bool {
    ranking_done(card, data).streamed
}

/// A file grouped by period, each period's rows grouped by unit, is read a
/// period (or part of one) per core, all at once, and each unit is scored
/// as soon as it has been read in every period (`read_periods`). Whatever such a file holds,
/// the output is what one core reading it row by row gives, byte for
/// byte, and so are the errors: on two, three and four threads (a period
/// per stretch, or two stretches per period), with two or three periods,
/// with units that are in some periods only, periods of unequal size, a
/// value given twice, and a period whose units are not grouped.
#[test]
fn periods_read_apart_agree_with_one_core() {
    let card = fixture("card.toml");
    let dir = tempfile::tempdir().unwrap();
    let quarters = ["2026-Q1", "2026-Q2", "2026-Q3"];
    let unit_of =
        |l: &str| -> Option<usize> { l.split(',').nth(1)?.strip_prefix("unit-")?.parse().ok() };
    // 1,500 units x 8 ids, grouped by period; `edit` then changes the lines.
    let write = |name: &str, periods: usize, edit: &dyn Fn(Vec<String>) -> Vec<String>| {
        let path = dir.path().join(name);
        long_csv(&path, 1500, &quarters[..periods], false, &|_, l| l);
        let lines = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
        std::fs::write(&path, edit(lines).join("\n") + "\n").unwrap();
        path
    };
    let same = |l: Vec<String>| l;
    // Units 100-199 begin only in the second quarter (listed after every
    // unit of the first), and units 300-399 end after the first: whole
    // only once every stretch is read.
    let gaps = |l: Vec<String>| {
        l.into_iter()
            .filter(|l| match unit_of(l) {
                Some(u) if (100..200).contains(&u) => !l.starts_with("2026-Q1"),
                Some(u) if (300..400).contains(&u) => l.starts_with("2026-Q1"),
                _ => true,
            })
            .collect()
    };
    // The first quarter has units 0-299 only: runs of unequal size are
    // read as a shuffled file is, in stretches joined at the end.
    let uneven = |l: Vec<String>| {
        l.into_iter()
            .filter(|l| !l.starts_with("2026-Q1") || unit_of(l).is_none_or(|u| u < 300))
            .collect()
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Read a period at a time where every run can be read at once, on as
    // many cores as there are stretches (`long_csv::period_blocks`).
    let good = [
        (write("two.csv", 2, &same), cores.is_multiple_of(2)),
        (write("three.csv", 3, &same), cores.is_multiple_of(3)),
        (write("gaps.csv", 2, &gaps), cores.is_multiple_of(2)),
        (write("gaps3.csv", 3, &gaps), cores.is_multiple_of(3)),
        (write("uneven.csv", 2, &uneven), false),
    ];
    for (data, apart) in &good {
        let name = data.file_name().unwrap().to_string_lossy();
        assert_eq!(streamed(&card, data), *apart, "{name} on {cores} cores");
        for args in format_and_span_args(&["csv", "table", "json", "jsonl", "csv-long"]) {
            let one = run_on(&card, data, &args, "1");
            assert!(
                one.status.success(),
                "{name} {args:?}: {}",
                text(&one.stderr)
            );
            // Two quarters on four threads: each run in two stretches.
            let threads: &[&str] = if args.len() == 2 {
                &["2", "3", "4"]
            } else {
                &["2"]
            };
            for t in threads {
                let out = run_on(&card, data, &args, t);
                assert_eq!(
                    text(&out.stdout),
                    text(&one.stdout),
                    "{name} {args:?} on {t} threads"
                );
                assert!(out.status.success());
            }
        }
    }

    // A row of the first quarter among the second's, in its unit's rows:
    // the pair is given in both stretches. One core reports it.
    let twice = write("twice.csv", 2, &|mut l: Vec<String>| {
        let first = l
            .iter()
            .position(|l| l.starts_with("2026-Q1,unit-00700,"))
            .unwrap();
        let second = l
            .iter()
            .position(|l| l.starts_with("2026-Q2,unit-00700,"))
            .unwrap();
        let row = l[first].clone();
        l.insert(second + 3, row);
        l
    });
    // A unit's row moved to the end of its period: that period's units are
    // not grouped. On two threads its stretch finds it out; on four the
    // period is read in two stretches, each grouped, and the unit is met
    // again after it was whole.
    let moved = write("moved.csv", 2, &|mut l: Vec<String>| {
        let at = l
            .iter()
            .position(|l| l.starts_with("2026-Q2,unit-00700,"))
            .unwrap();
        let row = l.remove(at);
        l.push(row);
        l
    });
    assert!(
        !streamed(&card, &moved),
        "moved.csv is not read a period at a time"
    );
    for data in [&twice, &moved] {
        for args in [&["--format", "csv"][..], &["--format", "json"]] {
            let one = run_on(&card, data, args, "1");
            for t in ["2", "4"] {
                let out = run_on(&card, data, args, t);
                let why = format!("{data:?} {args:?} on {t} threads");
                assert_eq!(text(&out.stdout), text(&one.stdout), "{why}");
                assert_eq!(text(&out.stderr), text(&one.stderr), "{why}");
                assert_eq!(out.status.code(), one.status.code(), "{why}");
            }
        }
    }
    let err = text(&run_on(&card, &twice, &["--format", "csv"], "2").stderr);
    assert!(
        err.contains("is given twice for unit `unit-00700` in period `2026-Q1`"),
        "{err}"
    );
}
