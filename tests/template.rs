//! `bsc template` asks for exactly the values a card needs, and what a
//! data owner sends back reads as it is: for every bundled scorecard, the
//! TOML and CSV templates filled in by plain text substitution validate
//! and score every indicator; the TOML template filled with an example
//! quarter's values scores as that quarter's file does; the workbook
//! reads back (calamine) with its header, ids and names in order.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bsc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("bsc runs")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scorecards")
}

/// Every bundled scorecard (a TOML file with a `[scorecard]` table).
fn cards() -> Vec<PathBuf> {
    let mut cards: Vec<PathBuf> = std::fs::read_dir(examples())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            let table: toml::Table = std::fs::read_to_string(p).unwrap().parse().unwrap();
            table.get("scorecard").is_some_and(toml::Value::is_table)
        })
        .collect();
    cards.sort();
    assert!(cards.len() >= 6, "the bundled scorecards: {cards:?}");
    cards
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The evaluation of `card` with `files`, as JSON.
fn evaluate(card: &Path, files: &[&Path]) -> serde_json::Value {
    let mut args = vec!["evaluate", s(card)];
    args.extend(files.iter().map(|f| s(f)));
    args.extend(["--format", "json"]);
    let out = bsc(&args);
    serde_json::from_str(&ok(&out, &format!("evaluate {args:?}"))).unwrap()
}

/// A score for every indicator, nothing left out.
fn assert_full(e: &serde_json::Value, what: &str) {
    assert_eq!(e["composite"]["coverage"], 1, "{what}: coverage");
    for i in e["indicators"].as_array().unwrap() {
        assert!(
            i["score"].is_number(),
            "{what}: {} has no score: {i}",
            i["id"]
        );
    }
}

#[test]
fn filled_in_templates_validate_and_score_every_indicator() {
    let dir = tempfile::tempdir().unwrap();
    for card in cards() {
        let name = card.file_stem().unwrap().to_str().unwrap();
        // TOML: each blank `id = ""` becomes `id = 1`.
        let toml = ok(
            &bsc(&["template", s(&card), "--period", "2026-Q4"]),
            &format!("{name}: toml template"),
        );
        let blanks = toml.matches(" = \"\"\n").count();
        assert!(blanks > 3, "{name}: {blanks} blanks");
        let filled = toml.replace(" = \"\"\n", " = 1\n");
        let path = dir.path().join(format!("{name}-filled.toml"));
        std::fs::write(&path, &filled).unwrap();
        ok(
            &bsc(&["validate", s(&card), "--measurements", s(&path)]),
            &format!("{name}: validate the filled TOML"),
        );
        let e = evaluate(&card, &[&path]);
        assert_eq!(e["period"], "2026-Q4");
        assert_full(&e, &format!("{name} (TOML)"));

        // CSV: each row's empty value (the last but one field) becomes 1.
        let csv = ok(
            &bsc(&[
                "template",
                s(&card),
                "--period",
                "2026-Q4",
                "--format",
                "csv",
            ]),
            &format!("{name}: csv template"),
        );
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("id,name,unit,value,note"));
        let mut filled = String::from("id,name,unit,value,note\n");
        for line in lines {
            let row = line.strip_suffix(",,").expect("empty value and note");
            filled.push_str(&format!("{row},1,\n"));
        }
        assert_eq!(
            csv.lines().count() - 1,
            blanks,
            "{name}: CSV and TOML ask alike"
        );
        let path = dir.path().join(format!("{name}-2026-Q4.csv"));
        std::fs::write(&path, &filled).unwrap();
        ok(
            &bsc(&["validate", s(&card), "--measurements", s(&path)]),
            &format!("{name}: validate the filled CSV"),
        );
        let from_csv = evaluate(&card, &[&path]);
        assert_full(&from_csv, &format!("{name} (CSV)"));
        assert_eq!(from_csv, e, "{name}: the CSV and TOML say the same");
    }
}

/// The template asks for exactly what the card's example quarter gives:
/// filled with that quarter's values it scores as the quarter's own file.
#[test]
fn a_template_filled_with_an_example_quarter_scores_as_that_quarter() {
    let dir = tempfile::tempdir().unwrap();
    for card in cards() {
        let name = card.file_stem().unwrap().to_str().unwrap();
        let quarter = examples().join(format!("{name}-2026-Q3.toml"));
        let example: toml::Table = std::fs::read_to_string(&quarter).unwrap().parse().unwrap();
        let values = example["values"].as_table().unwrap();
        let toml = ok(
            &bsc(&["template", s(&card), "--period", "2026-Q3"]),
            &format!("{name}: toml template"),
        );
        let mut asked = Vec::new();
        let filled: String = toml
            .lines()
            .map(|line| match line.strip_suffix(" = \"\"") {
                Some(id) => {
                    asked.push(id.to_string());
                    let v = values
                        .get(id)
                        .unwrap_or_else(|| panic!("{name}: {id} not in the example"));
                    format!("{id} = {v}\n")
                }
                None => format!("{line}\n"),
            })
            .collect();
        let mut given: Vec<String> = values.keys().cloned().collect();
        asked.sort();
        given.sort();
        assert_eq!(asked, given, "{name}: the ids asked for are the example's");
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, filled).unwrap();
        let mut ours = evaluate(&card, &[&path]);
        let mut theirs = evaluate(&card, &[&quarter]);
        // The example's check-ins move its initiatives; a template has none.
        for e in [&mut ours, &mut theirs] {
            e.as_object_mut().unwrap().remove("initiatives");
        }
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn a_blank_left_blank_is_a_missing_value_not_a_parse_error() {
    let dir = tempfile::tempdir().unwrap();
    let card = examples().join("crm.toml");
    let path = dir.path().join("q4.toml");
    ok(
        &bsc(&["template", s(&card), "--period", "2026-Q4", "-o", s(&path)]),
        "template -o",
    );
    let text = std::fs::read_to_string(&path).unwrap();
    // Everything filled in but `csat`; `nps` deleted (no value this period).
    let partial: String = text
        .lines()
        .filter(|l| !l.starts_with("nps = "))
        .map(|l| match l {
            "csat = \"\"" => "csat = \"\"\n".to_string(),
            l => format!("{}\n", l.replace(" = \"\"", " = 1")),
        })
        .collect();
    std::fs::write(&path, &partial).unwrap();
    let out = bsc(&["validate", s(&card), "--measurements", s(&path)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[E035]: value of `csat` is missing: its entry is blank"),
        "{err}"
    );
    assert_eq!(err.matches("error[").count(), 1, "{err}");
    // Deleting the blank leaves the indicator missing, which is allowed.
    std::fs::write(&path, partial.replace("csat = \"\"\n", "")).unwrap();
    ok(
        &bsc(&["validate", s(&card), "--measurements", s(&path)]),
        "validate",
    );
    let e = evaluate(&card, &[&path]);
    let missing: Vec<&str> = e["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["missing"] == true)
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["csat", "nps"]);
}

#[test]
fn the_workbook_reads_back_with_header_ids_and_names_in_order() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let dir = tempfile::tempdir().unwrap();
    for card in ["crm.toml", "crm.zh.toml"] {
        let card = examples().join(card);
        let path = dir.path().join("q4.xlsx");
        ok(
            &bsc(&[
                "template",
                s(&card),
                "--period",
                "2026-Q4",
                "-o",
                s(&path),
                "--force",
            ]),
            "template -o q4.xlsx",
        );
        let csv = ok(
            &bsc(&[
                "template",
                s(&card),
                "--period",
                "2026-Q4",
                "--format",
                "csv",
            ]),
            "csv template",
        );
        let mut rows = csv::Reader::from_reader(csv.as_bytes());
        let expected: Vec<Vec<String>> = rows
            .records()
            .map(|r| r.unwrap().iter().take(3).map(str::to_string).collect())
            .collect();
        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(book.sheet_names(), ["2026-Q4"]);
        let range = book.worksheet_range("2026-Q4").unwrap();
        let cells: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(cells[0], ["id", "name", "unit", "value", "note"]);
        let body: Vec<Vec<String>> = cells[1..].iter().map(|r| r[..3].to_vec()).collect();
        assert_eq!(body, expected, "{}", card.display());
        for r in range.rows().skip(1) {
            assert!(
                r.get(3).is_none_or(|c| *c == Data::Empty),
                "an empty value column"
            );
        }
        // The header is bold and frozen.
        let file = std::fs::File::open(&path).unwrap();
        let mut zip = zip::ZipArchive::new(file).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(
            xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
            "{xml}"
        );
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles)
            .unwrap();
        assert!(styles.contains("<b/>"), "{styles}");
    }
    // Chinese names come out intact.
    let card = examples().join("crm.zh.toml");
    let path = dir.path().join("q4.xlsx");
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let range = book.worksheet_range("2026-Q4").unwrap();
    assert_eq!(
        range.get((1, 1)),
        Some(&Data::String("客户获取成本".into())),
        "{}",
        card.display()
    );
}
