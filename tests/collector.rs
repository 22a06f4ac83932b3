//! The CSV reader's shortcut for the usual row (`Collector::quick`) against
//! the full path (`Collector::row`): for any sequence of rows, good or bad,
//! a collector that tries the shortcut first must hand out the same units,
//! keep the same values and report the same problems as one that never
//! does, whether units are grouped (handed out as they end) or interleave
//! (a file grouped by period, or shuffled).

use std::path::Path;

use bsc::data::UnitBlock;
use bsc::data::rows::{At, Cell, Collector, Layout, Row};
use proptest::prelude::*;

fn card() -> bsc::model::Scorecard {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/portfolio/card.toml");
    let mut diags = bsc::diag::Diagnostics::default();
    bsc::read_scorecard(&path, &mut diags)
        .expect("card readable")
        .and_then(|c| c.scorecard)
        .expect("card valid")
}

/// Period, unit, id and value cells: mostly what a good file holds, with
/// what makes a row take the full path mixed in (spaces, unknown periods
/// and ids, computed ids, empty and bad values).
fn row() -> impl Strategy<Value = (&'static str, &'static str, &'static str, &'static str)> {
    (
        prop_oneof![
            6 => Just("2026-Q1"),
            3 => Just("2026-Q2"),
            1 => Just(" 2026-Q1"),
            1 => Just("2026-Q9"),
            1 => Just(""),
        ],
        prop_oneof![
            6 => Just("north"),
            4 => Just("south"),
            1 => Just("north "),
            1 => Just(""),
        ],
        prop_oneof![
            3 => Just("revenue"),
            3 => Just("csat"),
            3 => Just("won"),
            2 => Just("leads"),
            1 => Just(" csat"),
            1 => Just("conversion"),
            1 => Just("nope"),
            1 => Just(""),
        ],
        prop_oneof![
            6 => Just("1.5"),
            3 => Just("42"),
            1 => Just("-0"),
            1 => Just("0.10"),
            1 => Just(" 7"),
            1 => Just(""),
            1 => Just("1_000"),
            1 => Just("abc"),
            1 => Just("1e3"),
            1 => Just("."),
        ],
    )
}

/// A unit handed out: name, values (key, exact decimal), whether it has
/// rows in the evaluated span, and whether every row so far was good. The
/// values are sorted by key: a unit's values are kept in no particular
/// order (a shuffled file's wait to be kept unit by unit), and each key is
/// given once.
type Unit = (String, Vec<(u32, String)>, bool, bool);

/// Everything a collector gave and found, comparable.
#[derive(Debug, PartialEq)]
struct Seen {
    units: Vec<Unit>,
    errors: Vec<(String, String)>,
    total: usize,
    spoiled: bool,
}

fn unit(b: UnitBlock, clean: bool) -> Unit {
    let mut entries: Vec<(u32, String)> = b
        .entries
        .iter()
        .map(|(k, v)| (*k, format!("{v:?}")))
        .collect();
    entries.sort();
    (b.name, entries, b.in_current, clean)
}

/// Feeds `rows` (period, unit, id, value; line 2 onwards) to `c`, each by
/// the shortcut first when `quick` and by the full path where the shortcut
/// does not take it; gives how many the shortcut took and the units handed
/// out on the way, each with whether every row so far was good.
fn feed(
    c: &mut Collector,
    rows: &[(&'static str, &'static str, &'static str, &'static str)],
    quick: bool,
) -> (usize, Vec<(UnitBlock, bool)>) {
    let names: Vec<String> = ["period", "unit", "id", "value"].map(String::from).into();
    let layout = Layout::from_header(&names, true).expect("layout");
    let (mut taken, mut units) = (0, Vec::new());
    for (i, &(p, u, id, v)) in rows.iter().enumerate() {
        if quick && c.quick(p.as_bytes(), u.as_bytes(), id.as_bytes(), v.as_bytes()) {
            taken += 1;
            continue;
        }
        let line = i as u64 + 2;
        let at = move |field: usize| At::Csv {
            line,
            byte: 0,
            field,
        };
        let cell = |s: &'static str| {
            if s.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(s)
            }
        };
        let row = Row {
            period: cell(p),
            unit: cell(u),
            id: cell(id),
            value: cell(v),
            note: Cell::Empty,
            target: Cell::Empty,
            baseline: Cell::Empty,
            at: &at,
            period_col: 0,
            extra: None,
        };
        if let Some(done) = c.before_row(&row.unit) {
            let clean = c.errors.is_empty();
            units.push((done, clean));
        }
        c.row(&row, &layout);
    }
    (taken, units)
}

fn collect(
    card: &bsc::model::Scorecard,
    rows: &[(&'static str, &'static str, &'static str, &'static str)],
    quick: bool,
    speculate: bool,
    grouped: bool,
    settle: usize,
) -> Seen {
    let periods = ["2026-Q1".to_string(), "2026-Q2".to_string()];
    let mut c = Collector::new(card, &periods, 0..2, 1..2, grouped);
    c.settle_every(settle);
    if speculate {
        c.speculate(Default::default());
    }
    let (_, handed) = feed(&mut c, rows, quick);
    let mut units: Vec<Unit> = handed
        .into_iter()
        .map(|(b, clean)| unit(b, clean))
        .collect();
    let spoiled = c.spoiled();
    let (rest, errors) = c.finish();
    units.extend(rest.into_iter().map(|b| unit(b, true)));
    Seen {
        units,
        errors: errors
            .items
            .iter()
            .map(|e| (e.code.to_string(), e.message.clone()))
            .collect(),
        total: errors.total,
        spoiled,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_shortcut_keeps_and_reports_what_the_full_path_does(
        rows in proptest::collection::vec(row(), 0..60),
        speculate in any::<bool>(),
        grouped in any::<bool>(),
        // Interleaved units' values wait to be kept unit by unit; in a
        // few rows, not the thousands a file has.
        settle in 1usize..8,
    ) {
        let card = card();
        let full = collect(&card, &rows, false, speculate, grouped, settle);
        let quick = collect(&card, &rows, true, speculate, grouped, settle);
        prop_assert_eq!(quick, full);
    }
}

/// Every row of `rows` through [`feed`], shortcut first, into a collector
/// of `periods` (the last one evaluated): how many the shortcut took, and
/// the units and problems found.
fn feed_all(
    periods: &[&str],
    grouped: bool,
    rows: &[(&'static str, &'static str, &'static str, &'static str)],
) -> (usize, Vec<UnitBlock>, bsc::data::rows::Errors) {
    let card = card();
    let periods: Vec<String> = periods.iter().map(|p| p.to_string()).collect();
    let n = periods.len();
    let mut c = Collector::new(&card, &periods, 0..n, n - 1..n, grouped);
    let (taken, handed) = feed(&mut c, rows, true);
    let mut units: Vec<UnitBlock> = handed.into_iter().map(|(b, _)| b).collect();
    let (rest, errors) = c.finish();
    units.extend(rest);
    (taken, units, errors)
}

#[test]
fn the_shortcut_takes_the_usual_rows() {
    // Without this, a shortcut that never answers would pass the property.
    let mut rows = Vec::new();
    for unit in ["north", "south"] {
        for (id, value) in [("revenue", "1.5"), ("csat", "4.2"), ("won", "7")] {
            rows.push(("2026-Q1", unit, id, value));
        }
    }
    let (taken, units, errors) = feed_all(&["2026-Q1"], true, &rows);
    // A unit's first row takes the full path (it makes the unit); every
    // other row, the shortcut.
    assert_eq!(taken, 4);
    assert!(errors.is_empty());
    assert_eq!(units.len(), 2);
}

#[test]
fn the_shortcut_takes_the_usual_rows_of_interleaved_units() {
    // Shuffled: the unit and the period change from row to row.
    let mut rows = Vec::new();
    for (period, id) in [
        ("2026-Q1", "revenue"),
        ("2026-Q2", "csat"),
        ("2026-Q1", "won"),
    ] {
        for unit in ["north", "south"] {
            rows.push((period, unit, id, "1.5"));
        }
    }
    let (taken, units, errors) = feed_all(&["2026-Q1", "2026-Q2"], false, &rows);
    assert_eq!(taken, 4);
    assert!(errors.is_empty());
    assert_eq!(units.len(), 2);
    assert!(units.iter().all(|u| u.entries.len() == 3 && u.in_current));
}

#[test]
fn a_row_after_a_rejected_one_still_marks_its_unit_current() {
    // The rejected row (an unknown id) sets the period and stops before
    // its unit is marked as having rows in the evaluated span (2026-Q2);
    // the next row takes the shortcut, which must mark it.
    let rows = [
        ("2026-Q1", "north", "revenue", "1"),
        ("2026-Q1", "north", "csat", "2"),
        ("2026-Q1", "south", "revenue", "3"),
        ("2026-Q2", "south", "nope", "4"),
        ("2026-Q2", "south", "csat", "5"),
    ];
    let card = card();
    let full = collect(&card, &rows, false, false, true, 3);
    let quick = collect(&card, &rows, true, false, true, 3);
    assert_eq!(quick, full);
    let south = &full.units[1];
    assert_eq!((south.0.as_str(), south.2), ("south", true));
}

/// Interleaved units as `finish_with_seen` leaves them: name, values,
/// room for values.
fn capacities(
    rows: &[(&'static str, &'static str, &'static str, &'static str)],
) -> Vec<(String, usize, usize)> {
    let card = card();
    let periods = ["2026-Q1".to_string(), "2026-Q2".to_string()];
    let mut c = Collector::new(&card, &periods, 0..2, 1..2, false);
    feed(&mut c, rows, true);
    let (units, errors) = c.finish_with_seen();
    assert!(errors.is_empty());
    units
        .into_iter()
        .map(|(b, _)| (b.name, b.entries.len(), b.entries.capacity()))
        .collect()
}

#[test]
fn a_new_unit_gets_room_for_the_values_of_the_unbroken_unit_before() {
    // Grouped by period: each unit's values of a period come together, so
    // a new unit gets room for as many as the unit before got.
    let ids = ["revenue", "csat", "won"];
    let mut rows = Vec::new();
    for unit in ["north", "south", "east"] {
        rows.extend(ids.map(|id| ("2026-Q1", unit, id, "1")));
    }
    let units = capacities(&rows);
    assert_eq!(units[1], ("south".into(), 3, 3));
    assert_eq!(units[2], ("east".into(), 3, 3));
    // A unit whose run was broken lends nothing: otherwise rows of one
    // unit between new ones would lend its values again and again, and
    // the room could outgrow the values read by far.
    let mut rows: Vec<_> = ids.map(|id| ("2026-Q1", "big", id, "1")).into();
    for (new, id) in [("a", "revenue"), ("b", "csat"), ("c", "won")] {
        rows.push(("2026-Q1", new, "revenue", "1"));
        rows.push(("2026-Q2", "big", id, "1"));
    }
    let units = capacities(&rows);
    assert_eq!(units[0].1, 6);
    assert_eq!(units[1], ("a".into(), 1, 3));
    // b and c come after a row of big, not after their own run: they get
    // the room of a vector grown for one value, not big's 4 and 5.
    let mut grown = UnitBlock::default().entries;
    grown.push((0, Default::default()));
    for u in &units[2..] {
        assert_eq!((u.1, u.2), (1, grown.capacity()), "{u:?}");
    }
}
