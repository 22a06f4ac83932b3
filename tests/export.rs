//! Exports read back and held to the scoring: every csv-long row agrees
//! with `evaluate --format json` of the same inputs, node by node, so an
//! export cannot drift from the scores; a workbook written by `--format
//! xlsx` is read back with calamine (sheets, headers, numbers as numbers
//! equal to the JSON's, Chinese names intact, a row per unit and node);
//! and a workbook is refused on a terminal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::str::FromStr;

use calamine::{Data, Reader};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

fn bsc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bsc"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    let out = bsc().args(args).output().expect("bsc runs");
    assert!(
        out.status.success(),
        "bsc {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const CRM: &[&str] = &[
    "scorecards/crm.toml",
    "scorecards/crm-2025-Q3.toml",
    "scorecards/crm-2025-Q4.toml",
    "scorecards/crm-2026-Q1.toml",
    "scorecards/crm-2026-Q2.toml",
    "scorecards/crm-2026-Q3.toml",
];

const CRM_ZH: &[&str] = &[
    "scorecards/crm.zh.toml",
    "scorecards/crm.zh-2025-Q3.toml",
    "scorecards/crm.zh-2025-Q4.toml",
    "scorecards/crm.zh-2026-Q1.toml",
    "scorecards/crm.zh-2026-Q2.toml",
    "scorecards/crm.zh-2026-Q3.toml",
];

const REGIONS: &[&str] = &[
    "scorecards/crm.toml",
    "--data",
    "scorecards/data/crm-regions.csv",
];

/// `inputs` then `extra`.
fn args<'a>(inputs: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["evaluate"];
    v.extend_from_slice(inputs);
    v.extend_from_slice(extra);
    v
}

/// The JSON evaluations of `inputs` (one, or every unit's with --data).
fn json(inputs: &[&str]) -> Vec<Value> {
    json_with(inputs, &[])
}

/// [`json`] with `extra` flags.
fn json_with(inputs: &[&str], extra: &[&str]) -> Vec<Value> {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(extra);
    let out = run(&args(inputs, &a));
    match serde_json::from_slice(&out.stdout).expect("JSON") {
        Value::Array(units) => units,
        one => vec![one],
    }
}

/// A JSON number (or null) as an exact decimal.
fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::Null => None,
        Value::Number(n) => Some(
            Decimal::from_str(&n.to_string())
                .or_else(|_| Decimal::from_scientific(&n.to_string()))
                .expect("a decimal"),
        ),
        other => panic!("not a number: {other}"),
    }
}

/// A CSV cell as an exact decimal (empty: none).
fn cell_dec(s: &str) -> Option<Decimal> {
    (!s.is_empty()).then(|| Decimal::from_str(s).expect("a decimal cell"))
}

type Record = HashMap<String, String>;

/// The csv-long rows of `inputs` (with `extra` flags), each by column name.
fn csv_long(inputs: &[&str], extra: &[&str]) -> Vec<Record> {
    let mut a = vec!["--format", "csv-long"];
    a.extend_from_slice(extra);
    let out = run(&args(inputs, &a));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.expect("a CSV record");
            head.iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// The node objects of one JSON evaluation as (kind, object), composite first.
fn nodes(e: &Value) -> Vec<(&'static str, &Value)> {
    let mut v = vec![("composite", &e["composite"])];
    for (kind, key) in [
        ("perspective", "perspectives"),
        ("objective", "objectives"),
        ("indicator", "indicators"),
    ] {
        v.extend(e[key].as_array().unwrap().iter().map(|n| (kind, n)));
    }
    v
}

/// Every csv-long row matches its node of the JSON, and every node has a row.
fn assert_agrees(inputs: &[&str], extra: &[&str]) {
    let units = json_with(inputs, extra);
    let rows = csv_long(inputs, extra);
    let mut by_key: HashMap<(String, String, String), &Record> = HashMap::new();
    for r in &rows {
        let key = (r["unit"].clone(), r["kind"].clone(), r["id"].clone());
        assert!(by_key.insert(key, r).is_none(), "row twice: {r:?}");
    }
    let mut expected = 0;
    for e in &units {
        let unit = e["unit"].as_str().unwrap_or_default().to_string();
        let card = e["scorecard"]["id"].as_str().unwrap();
        for (kind, n) in nodes(e) {
            expected += 1;
            let id = if kind == "composite" {
                card
            } else {
                n["id"].as_str().unwrap()
            };
            let r = by_key
                .get(&(unit.clone(), kind.to_string(), id.to_string()))
                .unwrap_or_else(|| panic!("no row for {unit} {kind} {id}"));
            let what = format!("{inputs:?} {unit} {kind} {id}");
            assert_eq!(r["period"], e["period"].as_str().unwrap(), "{what}");
            assert_eq!(cell_dec(&r["score"]), dec(&n["score"]), "{what} score");
            assert_eq!(r["status"], n["status"].as_str().unwrap(), "{what}");
            let previous = n.get("previous_score").and_then(dec);
            assert_eq!(cell_dec(&r["previous_score"]), previous, "{what}");
            if n.get("previous_score").is_none() {
                assert_eq!(r["previous_period"], "", "{what}");
            } else {
                assert_ne!(r["previous_period"], "", "{what}");
            }
            match kind {
                "indicator" => {
                    assert_eq!(cell_dec(&r["actual"]), dec(&n["actual"]), "{what}");
                    assert_eq!(cell_dec(&r["baseline"]), dec(&n["baseline"]), "{what}");
                    let (target, band) = match &n["target"] {
                        Value::Array(b) => (None, Some((dec(&b[0]), dec(&b[1])))),
                        t => (dec(t), None),
                    };
                    assert_eq!(cell_dec(&r["target"]), target, "{what}");
                    let (lo, hi) = band.unwrap_or((None, None));
                    assert_eq!(cell_dec(&r["target_low"]), lo, "{what}");
                    assert_eq!(cell_dec(&r["target_high"]), hi, "{what}");
                    assert_eq!(
                        cell_dec(&r["effective_weight"]),
                        dec(&n["effective_weight"]),
                        "{what}"
                    );
                    let prev_actual = n.get("previous_actual").and_then(dec);
                    assert_eq!(cell_dec(&r["previous_actual"]), prev_actual, "{what}");
                    assert_eq!(
                        r["missing_reason"],
                        n["reason"].as_str().unwrap_or_default(),
                        "{what}"
                    );
                    assert_eq!(
                        r["objective"],
                        n["objective"].as_str().unwrap_or_default(),
                        "{what}"
                    );
                    assert_eq!(r["perspective"], n["perspective"].as_str().unwrap());
                    assert_eq!(r["owner"], n["owner"].as_str().unwrap_or_default());
                }
                _ => {
                    assert_eq!(cell_dec(&r["coverage"]), dec(&n["coverage"]), "{what}");
                    if kind != "composite" {
                        assert_eq!(cell_dec(&r["weight"]), dec(&n["weight"]), "{what}");
                        assert_eq!(r["name"], n["name"].as_str().unwrap(), "{what}");
                    }
                }
            }
        }
    }
    assert_eq!(rows.len(), expected, "one row per node of every unit");
}

#[test]
fn csv_long_agrees_with_the_json_evaluation_for_every_node() {
    assert_agrees(CRM, &[]);
    assert_agrees(CRM_ZH, &[]);
    assert_agrees(&CRM[..2], &[]);
    assert_agrees(CRM, &["--compare", "year-ago"]);
    assert_agrees(CRM, &["--from", "2026-Q1", "--to", "2026-Q3"]);
    assert_agrees(REGIONS, &[]);
    assert_agrees(REGIONS, &["--period", "2026-Q2"]);
    let five = [
        "tests/cmd/portfolio/five-quarters.in/card.toml",
        "--data",
        "tests/cmd/portfolio/five-quarters.in/data.csv",
    ];
    assert_agrees(&five, &["--compare", "year-ago"]);
    assert_agrees(&five, &["--from", "2026-Q1", "--to", "2026-Q2"]);
    assert_agrees(
        &[
            "tests/fixtures/portfolio/card.toml",
            "--data",
            "tests/fixtures/portfolio/three-units-by-period.csv",
        ],
        &[],
    );
    // Grouped by unit: read in parts, each unit kept until the file is read.
    assert_agrees(
        &[
            "tests/fixtures/portfolio/card.toml",
            "--data",
            "tests/fixtures/portfolio/three-units.csv",
        ],
        &[],
    );
}

#[test]
fn effective_weights_of_perspectives_and_objectives_are_the_product_along_the_path() {
    let rows = csv_long(CRM, &[]);
    let get = |kind: &str, id: &str| {
        rows.iter()
            .find(|r| r["kind"] == kind && r["id"] == id)
            .unwrap()
    };
    let w = |r: &Record, c: &str| cell_dec(&r[c]).unwrap();
    let mut sum = Decimal::ZERO;
    for r in rows.iter().filter(|r| r["kind"] == "indicator") {
        sum += w(r, "effective_weight");
        let parent = match r["objective"].as_str() {
            "" => get("perspective", &r["perspective"]),
            o => get("objective", o),
        };
        assert_eq!(
            w(parent, "effective_weight") * w(r, "weight"),
            w(r, "effective_weight"),
            "{}",
            r["id"]
        );
    }
    assert!((sum - Decimal::ONE).abs() < Decimal::new(1, 20), "{sum}");
    let o = get("objective", "grow-customer-value");
    assert_eq!(w(o, "effective_weight"), Decimal::new(18, 2));
    assert_eq!(
        w(get("composite", "crm-performance"), "effective_weight"),
        Decimal::ONE
    );
}

#[test]
fn decimals_round_scores_half_away_from_zero_and_nothing_else() {
    for inputs in [CRM, REGIONS] {
        let full = csv_long(inputs, &[]);
        let rounded = csv_long(inputs, &["--decimals", "2"]);
        assert_eq!(full.len(), rounded.len());
        for (f, r) in full.iter().zip(&rounded) {
            for (col, v) in f {
                if col == "score" || col == "previous_score" {
                    let want = cell_dec(v).map(|d| {
                        let mut d =
                            d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
                        d.rescale(2);
                        d.to_string()
                    });
                    assert_eq!(Some(r[col].clone()).filter(|s| !s.is_empty()), want);
                } else {
                    assert_eq!(&r[col], v, "{col} is not rounded");
                }
            }
        }
    }
}

/// A scratch directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("export-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

type Sheets = HashMap<String, Vec<Vec<Data>>>;

/// Every sheet of a workbook, in order, rows of cells.
fn read_xlsx(path: &Path) -> (Vec<String>, Sheets) {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).expect("a workbook");
    let names = wb.sheet_names();
    let sheets = names
        .iter()
        .map(|n| {
            let range = wb.worksheet_range(n).expect("a sheet");
            (n.clone(), range.rows().map(<[Data]>::to_vec).collect())
        })
        .collect();
    (names, sheets)
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

/// The float nearest the JSON number, as the workbook should hold it.
fn float(v: &Value) -> Option<f64> {
    dec(v).map(|d| d.to_string().parse().unwrap())
}

fn number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Empty => None,
        other => panic!("not a number cell: {other:?}"),
    }
}

fn column(header: &[Data], name: &str) -> usize {
    header
        .iter()
        .position(|h| text(h) == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[test]
fn xlsx_of_one_card_reads_back_with_numbers_equal_to_the_json() {
    let dir = scratch("one");
    let file = dir.join("结果.xlsx");
    let out = run(&args(CRM_ZH, &["-o", file.to_str().unwrap()]));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("wrote {}\n", file.display())
    );
    let e = &json(CRM_ZH)[0];
    let (names, sheets) = read_xlsx(&file);
    assert_eq!(names, ["Summary", "Units", "Indicators"]);

    let summary = &sheets["Summary"];
    let head: Vec<String> = summary[0].iter().map(text).collect();
    assert_eq!(
        head,
        [
            "rank",
            "unit",
            "composite",
            "status",
            "coverage",
            "财务",
            "客户",
            "内部流程",
            "学习与成长"
        ]
    );
    assert_eq!(summary.len(), 2);
    let row = &summary[1];
    assert_eq!(row[0], Data::Float(1.0));
    assert_eq!(row[1], Data::Empty);
    assert_eq!(number(&row[2]), float(&e["composite"]["score"]));
    assert_eq!(text(&row[3]), "amber");
    assert_eq!(number(&row[4]), float(&e["composite"]["coverage"]));
    for (j, p) in e["perspectives"].as_array().unwrap().iter().enumerate() {
        assert_eq!(number(&row[5 + j]), float(&p["score"]));
    }

    let units = &sheets["Units"];
    let head = &units[0];
    let (kind, id, name, score, prev, weight) = (
        column(head, "kind"),
        column(head, "id"),
        column(head, "name"),
        column(head, "score"),
        column(head, "previous_score"),
        column(head, "weight"),
    );
    let n_objectives = e["objectives"].as_array().unwrap().len();
    assert_eq!(units.len(), 1 + 1 + 4 + n_objectives);
    for (k, key) in [("perspective", "perspectives"), ("objective", "objectives")] {
        for n in e[key].as_array().unwrap() {
            let r = units
                .iter()
                .find(|r| text(&r[kind]) == k && text(&r[id]) == n["id"].as_str().unwrap())
                .unwrap();
            assert_eq!(text(&r[name]), n["name"].as_str().unwrap());
            assert_eq!(number(&r[score]), float(&n["score"]));
            assert_eq!(number(&r[prev]), float(&n["previous_score"]));
            assert_eq!(number(&r[weight]), float(&n["weight"]));
        }
    }
    assert_eq!(text(&units[1][name]), "客户关系管理绩效");

    let inds = &sheets["Indicators"];
    let head = &inds[0];
    let (id, name, actual, score, effective, note) = (
        column(head, "id"),
        column(head, "name"),
        column(head, "actual"),
        column(head, "score"),
        column(head, "effective_weight"),
        column(head, "note"),
    );
    assert_eq!(inds.len(), 1 + e["indicators"].as_array().unwrap().len());
    for n in e["indicators"].as_array().unwrap() {
        let r = inds
            .iter()
            .find(|r| text(&r[id]) == n["id"].as_str().unwrap())
            .unwrap();
        assert_eq!(number(&r[actual]), float(&n["actual"]));
        assert_eq!(number(&r[score]), float(&n["score"]));
        assert_eq!(number(&r[effective]), float(&n["effective_weight"]));
    }
    let clv = inds.iter().find(|r| text(&r[id]) == "clv").unwrap();
    assert_eq!(text(&clv[name]), "客户终身价值");
    let roi = inds
        .iter()
        .find(|r| text(&r[id]) == "marketing_roi")
        .unwrap();
    assert!(text(&roi[note]).starts_with("**开学季营销活动**"));
    // Every cell of a number column is a number or empty, never text.
    for sheet in ["Units", "Indicators"] {
        let rows = &sheets[sheet];
        for (c, h) in rows[0].iter().enumerate() {
            let h = text(h);
            let numeric = [
                "actual",
                "baseline",
                "target",
                "target_low",
                "target_high",
                "score",
                "weight",
                "effective_weight",
                "coverage",
                "previous_score",
                "previous_actual",
            ];
            if numeric.contains(&h.as_str()) {
                for r in &rows[1..] {
                    number(&r[c]);
                }
            }
        }
    }
}

#[test]
fn xlsx_of_a_portfolio_has_a_row_per_unit_and_node_in_ranking_order() {
    let dir = scratch("portfolio");
    let file = dir.join("regions.xlsx");
    run(&args(REGIONS, &["-o", file.to_str().unwrap()]));
    let units = json(REGIONS);
    let (names, sheets) = read_xlsx(&file);
    assert_eq!(names, ["Summary", "Units", "Indicators"]);
    let summary = &sheets["Summary"];
    assert_eq!(summary.len(), 1 + units.len());
    // The ranking of --format csv, numbers as numbers.
    let csv = run(&args(REGIONS, &["--format", "csv"])).stdout;
    let mut r = csv::Reader::from_reader(csv.as_slice());
    for (rec, row) in r.records().zip(&summary[1..]) {
        let rec = rec.unwrap();
        assert_eq!(row[0], Data::Float(rec[0].parse().unwrap()));
        assert_eq!(text(&row[1]), &rec[1]);
        assert_eq!(number(&row[2]), Some(rec[2].parse().unwrap()));
        assert_eq!(text(&row[3]), &rec[3]);
    }
    let per_unit = |key: &str| units[0][key].as_array().unwrap().len();
    assert_eq!(
        sheets["Units"].len(),
        1 + units.len() * (1 + per_unit("perspectives") + per_unit("objectives"))
    );
    assert_eq!(
        sheets["Indicators"].len(),
        1 + units.len() * per_unit("indicators")
    );
    // Each unit's own target in force (East's CAC 170).
    let inds = &sheets["Indicators"];
    let head = &inds[0];
    let (unit, id, target) = (
        column(head, "unit"),
        column(head, "id"),
        column(head, "target"),
    );
    let east_cac = inds
        .iter()
        .find(|r| text(&r[unit]) == "East" && text(&r[id]) == "cac")
        .unwrap();
    assert_eq!(east_cac[target], Data::Float(170.0));

    // The same bytes on standard output (not a terminal) as in the file.
    let piped = run(&args(REGIONS, &["--format", "xlsx"])).stdout;
    assert_eq!(piped, std::fs::read(&file).unwrap());
}

#[test]
fn xlsx_is_refused_on_a_terminal_unless_written_to_a_file() {
    // A pseudo-terminal as standard output.
    let terminal = || {
        // SAFETY: plain POSIX calls on a descriptor this test owns.
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(master >= 0, "no pseudo-terminal");
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let name = std::ffi::CStr::from_ptr(libc::ptsname(master))
                .to_str()
                .unwrap()
                .to_string();
            let slave = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(name)
                .unwrap();
            (master, slave)
        }
    };
    let (master, slave) = terminal();
    let out = bsc()
        .args(args(&CRM[..2], &["--format", "xlsx"]))
        .stdout(Stdio::from(slave))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --format xlsx writes a binary workbook, which a terminal cannot show: give -o FILE.xlsx, or redirect standard output (`> results.xlsx`)\n"
    );
    let dir = scratch("terminal");
    let file = dir.join("r.xlsx");
    let (master2, slave) = terminal();
    let out = bsc()
        .args(args(&CRM[..2], &["-o", file.to_str().unwrap()]))
        .stdout(Stdio::from(slave))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(read_xlsx(&file).0, ["Summary", "Units", "Indicators"]);
    // SAFETY: closing descriptors this test opened.
    unsafe {
        libc::close(master);
        libc::close(master2);
    }
}

#[test]
fn decimals_set_the_shown_decimals_of_a_workbook_not_its_numbers() {
    let dir = scratch("decimals");
    let (a, b) = (dir.join("a.xlsx"), dir.join("b.xlsx"));
    run(&args(CRM, &["-o", a.to_str().unwrap()]));
    run(&args(CRM, &["-o", b.to_str().unwrap(), "--decimals", "3"]));
    let (sa, sb) = (read_xlsx(&a).1, read_xlsx(&b).1);
    assert_eq!(sa, sb, "the same numbers");
    let styles = |p: &Path| {
        let mut z = zip::ZipArchive::new(std::fs::File::open(p).unwrap()).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name("xl/styles.xml").unwrap(), &mut s).unwrap();
        s
    };
    assert!(styles(&a).contains(r#"formatCode="0.0""#));
    assert!(styles(&b).contains(r#"formatCode="0.000""#));
}
