//! What a portfolio run prints: a ranking of units (terminal table or
//! CSV), or the SPEC §8 object of every unit (a JSON array, or JSON Lines).

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::io::{self, Write};

use rayon::prelude::*;
use rust_decimal::Decimal;
use unicode_width::UnicodeWidthStr;

use crate::export::json::{Frames, Writable};
use crate::format;
use crate::model::Scorecard;
use crate::portfolio::Format;
use crate::score::{Evaluation, Scores, Status, composite_status};
use crate::table::paint;

/// How a ranking prints its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Full precision, empty when missing (CSV).
    Exact,
    /// Scores rounded half away from zero to this many decimals, coverage
    /// at full precision, empty when missing (CSV with `--decimals`).
    Decimals(u32),
    /// Rounded to the card's precision, `–` when missing (terminal table).
    Rounded,
}

/// The numbers of one unit that a ranking shows, with their printed form
/// (printing 28-digit decimals costs more than scoring a unit, so it is
/// done where units are scored: in parallel).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub composite: Option<Decimal>,
    /// The composite as a whole number of 10^-28 (exact; `None` if it does
    /// not fit), for sorting without rescaling decimals.
    key: Option<i128>,
    pub status: Status,
    /// The unit's name, a line break, then printed and separated by commas
    /// (printed numbers hold none): composite, coverage, the trend
    /// (Rounded, with a previous span only), then each perspective's score.
    /// One string, not one per cell and name: ten thousand units, a tenth
    /// the allocations (and frees, which the serial end of a run pays when
    /// another thread allocated). The commas let a CSV row take the cells
    /// after the composite in one copy.
    text: String,
    /// The name's length in bytes: `text[..name]`.
    name: usize,
}

impl Summary {
    pub fn new(
        card: &Scorecard,
        unit: &str,
        s: &Scores,
        previous: Option<&Scores>,
        style: Style,
    ) -> Summary {
        let previous = previous.map(|p| p.composite);
        Summary::printed(
            card,
            unit,
            s.composite,
            composite_status(card, s.composite, s.coverage),
            s.coverage,
            &s.perspectives,
            previous,
            style,
        )
    }

    /// The summary of a single evaluation (`bsc evaluate` without --data).
    pub fn of_evaluation(card: &Scorecard, e: &Evaluation, style: Style) -> Summary {
        let persp: Vec<Option<Decimal>> = e.perspectives.iter().map(|p| p.score).collect();
        let unit = e.unit.clone().unwrap_or_default();
        Summary::printed(
            card,
            &unit,
            e.composite.score,
            e.composite.status,
            e.composite.coverage,
            &persp,
            None,
            style,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn printed(
        card: &Scorecard,
        unit: &str,
        composite: Option<Decimal>,
        status: Status,
        coverage: Decimal,
        perspectives: &[Option<Decimal>],
        previous: Option<Option<Decimal>>,
        style: Style,
    ) -> Summary {
        let p = card.precision;
        let mut text = String::with_capacity(unit.len() + 1 + 32 * (3 + perspectives.len()));
        text.push_str(unit);
        text.push('\n');
        // Writing to a String cannot fail.
        let num = |text: &mut String, d: Option<Decimal>| {
            let _ = match (d, style) {
                (Some(d), Style::Exact) => {
                    format::push_plain(text, d.normalize());
                    Ok(())
                }
                (None, Style::Exact | Style::Decimals(_)) => Ok(()),
                (Some(d), Style::Decimals(n)) => {
                    text.push_str(&format::fixed(d, n));
                    Ok(())
                }
                (Some(d), Style::Rounded) => write!(text, "{}", format::score(d, p)),
                (None, Style::Rounded) => write!(text, "–"),
            };
            text.push(',');
        };
        num(&mut text, composite);
        let _ = match style {
            Style::Exact | Style::Decimals(_) => {
                format::push_plain(&mut text, coverage.normalize());
                Ok(())
            }
            Style::Rounded => write!(
                text,
                "{}%",
                format::fixed(coverage * Decimal::ONE_HUNDRED, 0)
            ),
        };
        text.push(',');
        if let (Style::Rounded, Some(prev)) = (style, previous) {
            match (composite, prev) {
                (Some(c), Some(b)) => text.push_str(&format::delta(c - b, p)),
                _ => text.push('–'),
            }
            text.push(',');
        }
        for s in perspectives {
            num(&mut text, *s);
        }
        text.pop();
        let key = composite.and_then(|d| {
            d.mantissa()
                .checked_mul(10i128.checked_pow(28 - d.scale())?)
        });
        Summary {
            composite,
            key,
            status,
            text,
            name: unit.len(),
        }
    }

    /// The unit's name.
    pub fn unit(&self) -> &str {
        &self.text[..self.name]
    }

    /// The printed cells: composite, coverage, the trend (rounded style, with
    /// a previous span), then each perspective.
    pub fn cells(&self) -> std::str::Split<'_, char> {
        self.text[self.name + 1..].split(',')
    }

    /// Whether the unit takes a rank: it has a composite that rests on
    /// enough data. A score over too little coverage is not compared with
    /// the others (it would top the ranking on one good figure).
    pub fn ranked(&self) -> bool {
        self.composite.is_some() && self.status != Status::Insufficient
    }

    /// Ranked units, then units with too little data, then units without
    /// a composite.
    fn tier(&self) -> u8 {
        match (self.composite, self.status) {
            (None, _) => 2,
            (Some(_), Status::Insufficient) => 1,
            (Some(_), _) => 0,
        }
    }
}

/// Best composite first among ranked units ([`Summary::ranked`]); then
/// units with too little data, by composite; units without a composite
/// last; ties by unit name, so the order never depends on the input's.
pub fn rank_order(a: &Summary, b: &Summary) -> Ordering {
    let by_tier = a.tier().cmp(&b.tier());
    if by_tier != Ordering::Equal {
        return by_tier;
    }
    let by_score = match (a.composite, b.composite) {
        // A key is the composite times 10^28, exactly: the same order.
        (Some(_), Some(_)) if a.key.is_some() && b.key.is_some() => b.key.cmp(&a.key),
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_score.then_with(|| a.unit().cmp(b.unit()))
}

/// Sorts summaries into ranking order ([`rank_order`]). References are
/// sorted, not the summaries (8 bytes move, not a hundred); and the sort
/// is the standard stable one, which merges runs already in order: each
/// part of a file ranks its own units on its thread, so the serial end of
/// a run only merges them.
pub fn rank(units: &mut [&Summary]) {
    units.sort_by(|a, b| rank_order(a, b));
}

/// `rank,unit,composite,status,coverage,<perspective ids...>`, one row per
/// unit in ranking order; numbers at full precision, empty when missing
/// (a unit without a composite, or with too little data, has no rank).
/// Summaries in [`Style::Exact`] (or [`Style::Decimals`]).
pub fn write_csv(card: &Scorecard, ranked: &[&Summary], out: &mut dyn Write) -> io::Result<()> {
    let mut head = vec![
        "rank".to_string(),
        "unit".into(),
        "composite".into(),
        "status".into(),
        "coverage".into(),
    ];
    head.extend(card.perspectives.iter().map(|p| p.id.clone()));
    {
        let mut w = csv::Writer::from_writer(&mut *out);
        w.write_record(&head)?;
        w.flush()?;
    }
    // Rows are rendered in parallel chunks and written in order. Only the
    // unit name can need quotes (numbers and statuses never do), so rows are
    // put together here rather than by a `csv::Writer` per field; a test
    // holds the bytes to what `csv` writes.
    const ROWS: usize = 1024;
    let chunks: Vec<io::Result<Vec<u8>>> = ranked
        .par_chunks(ROWS)
        .enumerate()
        .map(|(c, rows)| {
            // Each row's text is somewhere else in memory (ranking order is
            // not the order they were made in). Touched first in a loop of
            // independent loads, they arrive together instead of one
            // memory wait per row.
            let touched = rows
                .iter()
                .flat_map(|u| u.text.as_bytes().iter().step_by(64))
                .fold(0u8, |a, &b| a ^ b);
            std::hint::black_box(touched);
            let mut w = Vec::with_capacity(rows.len() * 160);
            let mut buf = [0; 20];
            for (j, u) in rows.iter().enumerate() {
                if u.ranked() {
                    w.extend_from_slice(rank_text(c * ROWS + j + 1, &mut buf).as_bytes());
                }
                w.push(b',');
                csv_field(&mut w, u.unit().as_bytes());
                // The cells are comma-separated already: the composite,
                // the status, then the rest (from its comma) in one copy.
                let cells = &u.text.as_bytes()[u.name + 1..];
                let at = memchr::memchr(b',', cells).unwrap_or(cells.len());
                w.push(b',');
                w.extend_from_slice(&cells[..at]);
                w.push(b',');
                w.extend_from_slice(u.status.as_str().as_bytes());
                w.extend_from_slice(&cells[at..]);
                w.push(b'\n');
            }
            Ok(w)
        })
        .collect();
    for chunk in chunks {
        out.write_all(&chunk?)?;
    }
    out.flush()
}

/// One CSV field as `csv::Writer` writes it by default: in quotes, with
/// quotes doubled, when it holds a comma, a quote or a line break.
fn csv_field(out: &mut Vec<u8>, f: &[u8]) {
    if !f.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(f);
        return;
    }
    out.push(b'"');
    for &b in f {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// A rank in decimal, written into `buf` (ten thousand rows: no string
/// each, and no formatter).
fn rank_text(rank: usize, buf: &mut [u8; 20]) -> &str {
    let (mut n, mut i) = (rank, buf.len());
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).expect("ASCII digits")
}

/// The rank column of the `i`-th row (from 0): `–` for an unranked unit.
fn table_rank<'a>(i: usize, u: &Summary, buf: &'a mut [u8; 20]) -> &'a str {
    if u.ranked() {
        rank_text(i + 1, buf)
    } else {
        "–"
    }
}

/// A table row's cells: rank, unit, composite, status, then the rest.
fn table_cells<'a>(rank: &'a str, u: &'a Summary) -> impl Iterator<Item = &'a str> {
    let mut rest = u.cells();
    let composite = rest.next().unwrap_or_default();
    [rank, u.unit(), composite, u.status.as_str()]
        .into_iter()
        .chain(rest)
}

/// The ranking as an aligned terminal table (summaries in [`Style::Rounded`]).
pub fn table(
    card: &Scorecard,
    period: &str,
    previous: Option<&str>,
    ranked: &[&Summary],
    color: bool,
) -> String {
    let mut head: Vec<String> = vec![
        "rank".into(),
        "unit".into(),
        "composite".into(),
        "status".into(),
        "coverage".into(),
    ];
    if previous.is_some() {
        head.push("trend".into());
    }
    head.extend(card.perspectives.iter().map(|p| p.name.clone()));
    // A row's cells, borrowed from its summary: rank, unit, composite,
    // status, then the rest. Ten thousand rows are measured and laid out on
    // every core, in order, without a string per cell.
    let widths: Vec<usize> = ranked
        .par_iter()
        .enumerate()
        .fold(
            || {
                head.iter()
                    .map(|h| h.as_str().width())
                    .collect::<Vec<usize>>()
            },
            |mut w, (i, u)| {
                let mut buf = [0; 20];
                for (c, cell) in table_cells(table_rank(i, u, &mut buf), u).enumerate() {
                    w[c] = w[c].max(cell.width());
                }
                w
            },
        )
        .reduce(
            || vec![0; head.len()],
            |a, b| a.iter().zip(&b).map(|(x, y)| *x.max(y)).collect(),
        );
    let left = |c: usize| c == 1 || c == 3;
    // One line: cells padded to their column (the status painted), two
    // spaces apart, without trailing blanks.
    let line = |out: &mut String, row: &mut dyn Iterator<Item = &str>, st: Option<Status>| {
        let start = out.len();
        for (c, s) in row.enumerate() {
            if c > 0 {
                out.push_str("  ");
            }
            let pad = widths[c].saturating_sub(s.width());
            match (c, st) {
                (3, Some(st)) if color => {
                    out.push_str(&paint(st, &format!("{s}{:pad$}", ""), true));
                }
                _ if left(c) => {
                    out.push_str(s);
                    out.extend(std::iter::repeat_n(' ', pad));
                }
                _ => {
                    out.extend(std::iter::repeat_n(' ', pad));
                    out.push_str(s);
                }
            }
        }
        let end = start + out[start..].trim_end().len();
        out.truncate(end);
        out.push('\n');
    };
    let mut out = String::new();
    let prev = previous.map_or_else(String::new, |p| format!(", trend against {p}"));
    let n = ranked.len();
    let _ = writeln!(
        out,
        "{} — {} unit{}, period {period}{prev}",
        card.name,
        n,
        if n == 1 { "" } else { "s" }
    );
    let _ = writeln!(out);
    line(&mut out, &mut head.iter().map(String::as_str), None);
    const ROWS: usize = 1024;
    let chunks: Vec<String> = ranked
        .par_chunks(ROWS)
        .enumerate()
        .map(|(k, rows)| {
            let mut w = String::with_capacity(rows.len() * 128);
            let mut buf = [0; 20];
            for (j, u) in rows.iter().enumerate() {
                let i = k * ROWS + j;
                let r = table_rank(i, u, &mut buf);
                line(&mut w, &mut table_cells(r, u), Some(u.status));
            }
            w
        })
        .collect();
    for c in chunks {
        out.push_str(&c);
    }
    out
}

/// One unit's SPEC §8 object as it appears in the JSON array: after the
/// `,` and line break that part it from the one before (the first's `,`
/// is for the `[`), pretty, and indented one level; written into `v`
/// (emptied first), whose room is best a guess at its length, so that it
/// is not grown again and again.
pub fn json_element(e: &impl Writable, mut v: Vec<u8>) -> Vec<u8> {
    v.clear();
    v.extend_from_slice(b",\n  ");
    e.write_json(ELEMENT.0, ELEMENT.1, &mut v);
    v
}

/// How [`json_element`] and [`json_line`] write: pretty, and how deep.
const ELEMENT: (bool, usize) = (true, 1);
const LINE: (bool, usize) = (false, 0);

/// The frames of `card`'s indicators for units written as `format`.
pub fn json_frames(card: &Scorecard, format: Format) -> Option<Frames<'_>> {
    let (pretty, depth) = match format {
        Format::Json => ELEMENT,
        Format::Jsonl => LINE,
        _ => return None,
    };
    Some(Frames::of(card, pretty, depth))
}

/// One unit's SPEC §8 object as one JSON Lines line, written into `v` as
/// for [`json_element`].
pub fn json_line(e: &impl Writable, mut v: Vec<u8>) -> Vec<u8> {
    v.clear();
    e.write_json(LINE.0, LINE.1, &mut v);
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Unit names in the CSV ranking are quoted exactly as `csv` quotes them.
        #[test]
        fn csv_fields_as_the_csv_crate_writes_them(name in "[a-z ,\"\r\n东区-]{0,12}") {
            let mut ours = b"1,".to_vec();
            csv_field(&mut ours, name.as_bytes());
            ours.extend_from_slice(b",x\n");
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["1", name.as_str(), "x"]).unwrap();
            proptest::prop_assert_eq!(ours, w.into_inner().unwrap());
        }
    }

    #[test]
    fn ranks_in_decimal() {
        let mut buf = [0; 20];
        for n in [0, 7, 10, 99, 100, 12_345, 1 << 40, usize::MAX] {
            assert_eq!(rank_text(n, &mut buf), n.to_string());
        }
    }

    #[test]
    fn table_pads_cells_to_their_columns_and_paints_only_the_status() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/portfolio/card.toml");
        let mut diags = crate::diag::Diagnostics::default();
        let card = crate::read_scorecard(&path, &mut diags)
            .unwrap()
            .and_then(|c| c.scorecard)
            .unwrap();
        let n = card.perspectives.len();
        let scores: Vec<Option<Decimal>> = (0..n).map(|i| Some(Decimal::from(50 + i))).collect();
        let a = Summary::printed(
            &card,
            "东区",
            Some(Decimal::new(725, 1)),
            Status::Amber,
            Decimal::ONE,
            &scores,
            None,
            Style::Rounded,
        );
        let b = Summary::printed(
            &card,
            "north-west",
            None,
            Status::Missing,
            Decimal::ZERO,
            &vec![None; n],
            None,
            Style::Rounded,
        );
        let plain = table(&card, "2026-Q1", None, &[&a, &b], false);
        let painted = table(&card, "2026-Q1", None, &[&a, &b], true);
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(lines.len(), 5, "{plain}");
        assert!(lines.iter().all(|l| l.trim_end() == *l), "{plain}");
        // Ranks right-aligned under `rank`; 东区 is four columns wide:
        // padded to north-west's ten, then two spaces; the status column
        // is as wide as `missing`.
        assert!(
            lines[3].starts_with(&format!("   1  东区{}  ", " ".repeat(6))),
            "{plain}"
        );
        assert!(lines[3].contains("  amber    "), "{plain}");
        assert!(lines[4].starts_with("   –  north-west  "), "{plain}");
        // Colour wraps the padded status cell and nothing else.
        assert!(painted.contains("\x1b[33mamber  \x1b[0m"), "{painted}");
        assert!(painted.contains("\x1b[2mmissing\x1b[0m"), "{painted}");
        let stripped = painted
            .replace("\x1b[33m", "")
            .replace("\x1b[2m", "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, plain);
    }

    fn s(unit: &str, c: Option<&str>) -> Summary {
        let composite: Option<Decimal> = c.map(|c| c.parse().unwrap());
        Summary {
            composite,
            key: composite.map(|d| d.mantissa() * 10i128.pow(28 - d.scale())),
            status: Status::Green,
            text: format!("{unit}\n"),
            name: unit.len(),
        }
    }

    #[test]
    fn ranking_breaks_ties_by_name() {
        let units = [
            s("b", Some("80")),
            s("z", None),
            s("a", Some("80.000")),
            s("c", Some("90.5")),
            s("y", None),
            s("d", Some("80.0000000000000000000000001")),
        ];
        let mut v: Vec<&Summary> = units.iter().collect();
        rank(&mut v);
        let names: Vec<&str> = v.iter().map(|u| u.unit()).collect();
        assert_eq!(names, ["c", "d", "a", "b", "y", "z"]);
        // A composite without a key (too long for one) takes its place by
        // value among keyed ones, and the merged runs of the parts give
        // the same order as one sort.
        let mut e = s("e", Some("85"));
        e.key = None;
        let mut f = s("f", Some("80"));
        f.key = None;
        let mut runs = [
            vec![units[0].clone(), units[2].clone(), e],
            vec![units[1].clone(), units[3].clone(), f],
            vec![units[4].clone(), units[5].clone()],
        ];
        for r in &mut runs {
            r.sort_by(rank_order);
        }
        let mut v: Vec<&Summary> = runs.iter().flatten().collect();
        rank(&mut v);
        let names: Vec<&str> = v.iter().map(|u| u.unit()).collect();
        assert_eq!(names, ["c", "e", "d", "a", "b", "f", "y", "z"]);
    }

    #[test]
    fn units_with_too_little_data_are_listed_after_the_ranked_ones_without_a_rank() {
        let thin = |unit: &str, c: &str| Summary {
            status: Status::Insufficient,
            ..s(unit, Some(c))
        };
        let units = [
            thin("w", "100"),
            s("n", Some("50")),
            s("x", None),
            thin("v", "40"),
            s("e", Some("87.5")),
        ];
        let mut v: Vec<&Summary> = units.iter().collect();
        rank(&mut v);
        let names: Vec<&str> = v.iter().map(|u| u.unit()).collect();
        assert_eq!(names, ["e", "n", "w", "v", "x"]);
        let ranked: Vec<bool> = v.iter().map(|u| u.ranked()).collect();
        assert_eq!(ranked, [true, true, false, false, false]);
        let mut buf = [0; 20];
        assert_eq!(table_rank(2, v[2], &mut buf), "–");
    }
}
