//! Long-format measurements of many units and periods: the header layout,
//! row checks, and the grouping of rows into one block of values per unit.
//! The readers ([`long_csv`](super::long_csv), [`workbook`](super::workbook))
//! feed rows in; the [`Collector`] checks each
//! row against the scorecard, keeps the values of the periods a run needs,
//! and hands out a [`UnitBlock`] per unit.
//!
//! Problems are collected as [`DataError`]s that remember where they are
//! (CSV line and field, or worksheet cell) and become diagnostics only at
//! the end, so a large file is never held in memory just in case.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::diag::did_you_mean;
use crate::load::{self, NumError};
use crate::model::{Goal, Scorecard};

use super::UnitBlock;
use super::measurements::{Problem, override_goal, override_index, override_rule};

/// Columns of the long layout.
pub const COLUMNS: [&str; 7] = [
    "period", "unit", "id", "value", "note", "target", "baseline",
];

/// A problem with a header: the column it concerns (or `None` for the
/// header as a whole), what is wrong, and how to fix it.
pub type HeaderProblem = (Option<usize>, String, Option<String>);

/// Where the four needed columns (and the optional note) are.
#[derive(Debug, Clone)]
pub struct Layout {
    /// `None` when the period is the sheet's name (a sheet per period).
    pub period: Option<usize>,
    pub unit: usize,
    pub id: usize,
    pub value: usize,
    /// The optional Markdown note of each row.
    pub note: Option<usize>,
    /// Optional targets and baselines in force for the row's period and
    /// unit (SPEC §10).
    pub target: Option<usize>,
    pub baseline: Option<usize>,
    /// Header names as written (trimmed), for messages.
    pub names: Vec<String>,
}

impl Layout {
    /// Reads a header row. `Err` lists each problem with the column index
    /// it concerns (or `None` for the header as a whole).
    pub fn from_header(
        cells: &[String],
        period_required: bool,
    ) -> Result<Layout, Vec<HeaderProblem>> {
        let names: Vec<String> = cells
            .iter()
            .map(|c| c.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let mut errors = Vec::new();
        let mut found: [Option<usize>; 7] = [None; 7];
        for (i, n) in names.iter().enumerate() {
            let lower = n.to_ascii_lowercase();
            match COLUMNS.iter().position(|c| *c == lower) {
                Some(k) if found[k].is_some() => errors.push((
                    Some(i),
                    format!("column `{lower}` appears twice in the header"),
                    Some("keep one".into()),
                )),
                Some(k) => found[k] = Some(i),
                None if n.is_empty() && i + 1 == names.len() && i > 0 => {} // a trailing comma
                None => errors.push((
                    Some(i),
                    format!("unknown column `{n}`"),
                    Some(did_you_mean(&lower, COLUMNS).unwrap_or_else(|| {
                        "columns are period, unit, id, value and optional note, target and baseline".into()
                    })),
                )),
            }
        }
        let required: &[usize] = if period_required {
            &[0, 1, 2, 3]
        } else {
            &[1, 2, 3]
        };
        let missing: Vec<&str> = required
            .iter()
            .filter(|k| found[**k].is_none())
            .map(|k| COLUMNS[*k])
            .collect();
        if !missing.is_empty() {
            let want = if period_required {
                "`period,unit,id,value`"
            } else {
                "`unit,id,value` (the sheet name is the period) or `period,unit,id,value`"
            };
            errors.push((
                None,
                format!(
                    "the header has no {} column{}",
                    missing.join(", "),
                    if missing.len() == 1 { "" } else { "s" }
                ),
                Some(format!(
                    "the first row should read {want}, optionally with `note`, `target` and `baseline` columns"
                )),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Layout {
            period: found[0],
            unit: found[1].expect("checked"),
            id: found[2].expect("checked"),
            value: found[3].expect("checked"),
            note: found[4],
            target: found[5],
            baseline: found[6],
            names,
        })
    }

    /// How many fields a row must have: every named column (a header's
    /// trailing comma adds none).
    pub fn fields(&self) -> usize {
        self.names.len() - usize::from(self.names.last().is_some_and(String::is_empty))
    }

    /// Name of a column for messages.
    pub fn name(&self, col: usize) -> &str {
        self.names.get(col).map_or("", String::as_str)
    }
}

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// A CSV field: 1-based line, byte offset where the record starts, field index.
    Csv { line: u64, byte: u64, field: usize },
    /// A worksheet cell, 0-based absolute row and column.
    Cell { sheet: Arc<str>, row: u32, col: u32 },
    /// A worksheet as a whole.
    Sheet(Arc<str>),
    /// The file as a whole.
    File,
}

/// `A1`-style name of a 0-based cell.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.push(b'A' + r as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).expect("ascii"), row + 1)
}

impl At {
    /// `row 7, column `value``, or `sheet `Q3`, cell D7 (column `value`)`.
    pub fn describe(&self, column: &str) -> String {
        let col = if column.is_empty() {
            String::new()
        } else {
            format!(" (column `{column}`)")
        };
        match self {
            At::Csv { line, .. } if column.is_empty() => format!("row {line}"),
            At::Csv { line, .. } => format!("row {line}, column `{column}`"),
            At::Cell { sheet, row, col: c } => {
                format!("sheet `{sheet}`, cell {}{col}", cell_name(*row, *c))
            }
            At::Sheet(s) => format!("sheet `{s}`"),
            At::File => "the file".into(),
        }
    }

    /// A short `row 7` / `sheet `Q3` row 7` for "first given on ...".
    pub fn row_name(&self) -> String {
        match self {
            At::Csv { line, .. } => format!("row {line}"),
            At::Cell { sheet, row, .. } => format!("sheet `{sheet}` row {}", row + 1),
            At::Sheet(s) => format!("sheet `{s}`"),
            At::File => "the file".into(),
        }
    }
}

/// One problem in a data file.
#[derive(Debug, Clone)]
pub struct DataError {
    pub at: At,
    pub code: &'static str,
    /// Starts with where it is (`row 7, column `id`: ...`).
    pub message: String,
    pub label: String,
    pub hint: Option<String>,
    /// A duplicate's `(period, unit, id)`, so the report can name the first row.
    pub duplicate: Option<(String, String, String)>,
}

/// Problems found so far: the first [`Errors::KEEP`] in full, and a count.
#[derive(Debug, Default)]
pub struct Errors {
    pub items: Vec<DataError>,
    pub total: usize,
}

impl Errors {
    /// More than this many problems are counted, not kept.
    pub const KEEP: usize = 100;

    pub fn push(&mut self, e: DataError) {
        self.total += 1;
        if self.items.len() < Self::KEEP {
            self.items.push(e);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

impl FromIterator<DataError> for Errors {
    fn from_iter<I: IntoIterator<Item = DataError>>(iter: I) -> Self {
        let mut e = Errors::default();
        iter.into_iter().for_each(|d| e.push(d));
        e
    }
}

/// A cell as a reader sees it.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    /// A worksheet number (a double, as spreadsheets store them).
    Number(f64),
    Empty,
    /// Something that cannot be a value: `"a date"`, `"the error #N/A"`, `"not valid UTF-8"`.
    Bad(&'a str),
}

/// Byte equality for the short strings of hot loops (labels, ids), without
/// a `memcmp` call per comparison.
#[inline(always)]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        // Two overlapping words cover 4 to 7 bytes (`2025-Q1`, `kpi_001`)
        // without a byte loop.
        if n >= 4 {
            let w = |s: &[u8], i: usize| u32::from_ne_bytes(s[i..i + 4].try_into().expect("4"));
            return w(a, 0) == w(b, 0) && w(a, n - 4) == w(b, n - 4);
        }
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], i: usize| u64::from_ne_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 0;
    while i + 8 <= n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

/// `str::trim`, with a shortcut for the usual field that has nothing to trim.
#[inline]
pub fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let plain = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii() && !c.is_ascii_whitespace());
    if plain(b.first()) && plain(b.last()) {
        s
    } else {
        s.trim()
    }
}

impl<'a> Cell<'a> {
    /// The trimmed text of a key cell (`None` for empty).
    fn key(self) -> Result<Option<&'a str>, &'a str> {
        match self {
            Cell::Text(t) => Ok(Some(trim(t)).filter(|t| !t.is_empty())),
            Cell::Empty => Ok(None),
            Cell::Number(_) => Err("a number"),
            Cell::Bad(why) => Err(why),
        }
    }
}

/// One data row: its cells and where each is.
pub struct Row<'a> {
    pub period: Cell<'a>,
    pub unit: Cell<'a>,
    pub id: Cell<'a>,
    pub value: Cell<'a>,
    /// The note (`Cell::Empty` without a note column).
    pub note: Cell<'a>,
    /// Target and baseline in force (`Cell::Empty` without the column).
    pub target: Cell<'a>,
    pub baseline: Cell<'a>,
    /// Where the cell of a column is (column indices of the layout).
    pub at: &'a dyn Fn(usize) -> At,
    /// Column index of the period (or `usize::MAX` when it is the sheet name).
    pub period_col: usize,
    /// Fields beyond the header's width (CSV only): how many there are,
    /// negative when the row has fewer fields than the header.
    pub extra: Option<isize>,
}

/// Parses a value written as text, exactly (`0.1` is the decimal 0.1). The
/// same rules as single-period CSV files: digits, one sign, one point,
/// `_` as a digit separator; nothing else.
pub fn decimal_text(s: &str) -> Result<Decimal, &'static str> {
    let t = trim(s);
    if let Some(d) = plain_decimal(t.as_bytes()) {
        return Ok(d);
    }
    let ok = !t.is_empty()
        && t.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'_'));
    if !ok {
        let l = t.to_ascii_lowercase();
        let l = l.trim_start_matches(['+', '-']);
        return Err(if l == "inf" || l == "nan" || l == "infinity" {
            "is not a finite number"
        } else {
            "is not a decimal number"
        });
    }
    if !t.contains('_')
        && !t.starts_with('+')
        && let Ok(d) = Decimal::from_str_exact(t)
    {
        return Ok(d);
    }
    load::decimal_from_text(t).map_err(|_| "is not a decimal number")
}

/// The usual value, `[-]digits[.digits]` with at most 19 digits, read
/// without the general parser: the same `Decimal` as
/// [`Decimal::from_str_exact`] (mantissa, scale and sign, even of `-0`).
/// `None` for anything else, which takes the general path.
#[inline(always)]
fn plain_decimal(t: &[u8]) -> Option<Decimal> {
    let (negative, digits) = match t {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, t),
    };
    // At most 19 digits (and a point): the mantissa stays below 10^19 <
    // 2^64, so the wrapping steps below are exact.
    let n = digits.len();
    if n == 0 || n > 20 {
        return None;
    }
    let mut mantissa = 0u64;
    let mut point = usize::MAX;
    for (i, &c) in digits.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        } else if c == b'.' && point == usize::MAX {
            point = i;
        } else {
            return None;
        }
    }
    let scale = if point == usize::MAX {
        if n > 19 {
            return None;
        }
        0
    } else {
        // A point needs digits on both sides.
        if point == 0 || point + 1 == n {
            return None;
        }
        (n - point - 1) as u32
    };
    Some(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        negative,
        scale,
    ))
}

/// A worksheet double as the shortest decimal that reads back as the same
/// double: what the spreadsheet shows, `0.1` rather than 0.1000000000000000055….
pub fn decimal_of_double(f: f64) -> Result<Decimal, &'static str> {
    if !f.is_finite() {
        return Err("is not a finite number");
    }
    load::decimal_from_text(&format!("{f}")).map_err(|e| match e {
        NumError::NotFinite => "is not a finite number",
        NumError::OutOfRange => "cannot be represented exactly (more than 28 significant digits)",
    })
}

/// What an id in the data may be.
#[derive(Clone, Copy)]
enum IdKind {
    Slot(u32),
    Computed(usize),
}

/// Checks rows and groups them by unit.
pub struct Collector<'a> {
    card: &'a Scorecard,
    /// Looked up once per row of a shuffled file: a fast hash (FxHash),
    /// as for the periods and units below. Keys are the data's own short
    /// labels, and chosen collisions could only slow a run down.
    ids: FxHashMap<&'a [u8], IdKind>,
    /// Id of each slot, and the slot that followed each one last time:
    /// rows usually list ids in the same order for every unit, so most
    /// look-ups are one comparison instead of a hash.
    slot_ids: Vec<&'a str>,
    next_slot: Vec<u32>,
    last_slot: u32,
    slots: usize,
    words: usize,
    /// Every period of the data, by label -> index in chronological order.
    period_index: FxHashMap<Box<[u8]>, u32>,
    last_period: Option<(Vec<u8>, Option<u32>)>,
    needed: Range<usize>,
    current: Range<usize>,
    /// Grouped: units are handed out as soon as the next one starts.
    grouped: bool,
    units: Vec<UnitBlock>,
    /// One bit per (unit, period of the data, slot): given already? Unit
    /// `u`'s bits are `seen[u * words..][..words]`, in one vector: in a
    /// shuffled file each row lands on another unit, and a vector per unit
    /// cost a second miss of the cache per row.
    seen: Vec<u64>,
    unit_index: UnitIndex,
    /// Not grouped: the usual rows' values as `(unit, key, value)`, kept in
    /// their units [`PENDING`] rows at a time, unit by unit (see
    /// [`Collector::settle`]).
    pending: Vec<(u32, u32, Decimal)>,
    /// How many rows wait: [`PENDING`], or fewer in tests.
    pending_max: usize,
    /// Buffers of [`Collector::settle`], kept from one call to the next.
    by_unit: Vec<(u32, u32, Decimal)>,
    counts: Vec<u32>,
    /// Index of the unit of the previous row (cache).
    last_unit: Option<u32>,
    /// The name of `last_unit`, set with it (`remember_unit`) and read by
    /// every check against the row before's unit: in a shuffled file that
    /// unit's block is far away in memory by the next row, and reading its
    /// name there cost two misses of the cache per row.
    last_name: Vec<u8>,
    /// Not grouped: every row since `last_unit` was made was its own, so
    /// its values so far came together (see `unit`).
    unbroken: bool,
    /// Grouped: hashes of the units already handed out.
    finished: UnitHashes,
    /// Grouped: capacity for the next unit's values.
    entries_hint: usize,
    /// Reading on a guessed list of periods ([`Collector::speculate`]).
    speculative: bool,
    /// Speculating: a period outside the guess, or a unit whose rows are
    /// not together, was met; the run must start again with a first pass.
    spoiled: bool,
    /// Speculating on one part of a file: the units every part has met.
    shared: Option<Arc<SharedUnits>>,
    /// Blocks handed out carry their seen bits ([`UnitBlock::seen`]).
    keep_seen: bool,
    pub errors: Errors,
}

impl<'a> Collector<'a> {
    /// `periods` in chronological order (indices as in the run's plan).
    pub fn new(
        card: &'a Scorecard,
        periods: &[String],
        needed: Range<usize>,
        current: Range<usize>,
        grouped: bool,
    ) -> Collector<'a> {
        let mut ids = FxHashMap::default();
        for (i, ind) in card.indicators.iter().enumerate() {
            let kind = if ind.formula.is_some() {
                IdKind::Computed(i)
            } else {
                IdKind::Slot(i as u32)
            };
            ids.insert(ind.id.as_bytes(), kind);
        }
        for (j, inp) in card.inputs.iter().enumerate() {
            ids.insert(
                inp.id.as_bytes(),
                IdKind::Slot((card.indicators.len() + j) as u32),
            );
        }
        let slots = crate::score::slot_count(card);
        let slot_ids = card
            .indicators
            .iter()
            .map(|i| i.id.as_str())
            .chain(card.inputs.iter().map(|i| i.id.as_str()))
            .collect();
        Collector {
            card,
            ids,
            slot_ids,
            next_slot: vec![u32::MAX; slots + 1],
            last_slot: slots as u32,
            slots,
            words: (periods.len() * slots).div_ceil(64),
            period_index: periods
                .iter()
                .enumerate()
                .map(|(i, p)| (p.as_bytes().into(), i as u32))
                .collect(),
            last_period: None,
            needed,
            current,
            grouped,
            units: Vec::new(),
            seen: Vec::new(),
            unit_index: UnitIndex::default(),
            pending: Vec::new(),
            pending_max: PENDING,
            by_unit: Vec::new(),
            counts: Vec::new(),
            last_unit: None,
            last_name: Vec::new(),
            unbroken: false,
            finished: Default::default(),
            entries_hint: 0,
            speculative: false,
            spoiled: false,
            shared: None,
            keep_seen: false,
            errors: Errors::default(),
        }
    }

    /// Reads on a guess: the periods were not listed by a first pass but
    /// sampled, and units are taken to be grouped. Where the guess turns out
    /// wrong nothing is reported; the collector is [`spoiled`] instead (and
    /// a reader stops).
    ///
    /// [`spoiled`]: Collector::spoiled
    ///
    /// The parts of one file read at once share `units`: a unit met in two
    /// parts spoils them all at once, so a file grouped by period (each
    /// part grouped, every unit in several) is given up within a few
    /// units instead of after a whole reading.
    pub fn speculate(&mut self, units: Arc<SharedUnits>) {
        self.speculative = true;
        self.shared = Some(units);
    }

    /// Reads one stretch of a file grouped by period, each period's rows
    /// grouped by unit ([`long_csv::period_blocks`]): on trial, as
    /// [`Collector::speculate`], but alone (every unit is met again in the
    /// other stretches); and each block handed out carries its seen bits
    /// ([`UnitBlock::seen`]), for the unit's pieces to be joined.
    ///
    /// [`long_csv::period_blocks`]: crate::data::long_csv::period_blocks
    pub fn period_stretch(&mut self) {
        debug_assert!(self.grouped);
        self.speculative = true;
        self.keep_seen = true;
    }

    pub fn speculating(&self) -> bool {
        self.speculative
    }

    pub fn spoiled(&self) -> bool {
        self.spoiled
            || self
                .shared
                .as_ref()
                .is_some_and(|s| s.spoiled.load(Ordering::Relaxed))
    }

    /// Speculating: the guess is found wrong outside the rows (a quote).
    pub fn spoil(&mut self) {
        if self.speculative {
            self.spoiled = true;
            if let Some(s) = &self.shared {
                s.spoiled.store(true, Ordering::Relaxed);
            }
        }
    }

    fn error(
        &mut self,
        at: At,
        column: &str,
        code: &'static str,
        what: String,
        label: &str,
        hint: Option<String>,
    ) {
        self.errors.push(DataError {
            message: format!("{}: {what}", at.describe(column)),
            at,
            code,
            label: label.to_string(),
            hint,
            duplicate: None,
        });
    }

    fn key_error(&mut self, row: &Row, col: usize, name: &str, why: &str) {
        let what = format!("the {name} is {why}; it must be text");
        self.error(
            (row.at)(col),
            name,
            "E036",
            what,
            "not text",
            Some(format!("write the {name} as text")),
        );
    }

    /// The usual row, kept without building a [`Row`] when it cannot need
    /// any of [`Collector::row`]'s checks: a period, unit and id that are
    /// known already, byte for byte (so no spaces to trim, and valid UTF-8
    /// without a check: the maps are keyed by bytes), a plain value, and
    /// the first value for its period and id. In a file grouped by unit the unit must be the row before's
    /// (a new one is handed out by [`Collector::before_row`]); in any other
    /// it is looked up. Gives `false`, having changed nothing that the full
    /// path would not, for any other row: the caller then takes that path.
    #[inline]
    pub fn quick(&mut self, period: &[u8], unit: &[u8], id: &[u8], value: &[u8]) -> bool {
        let pi = match &self.last_period {
            Some((last, Some(pi))) if same(last, period) => *pi,
            _ => match self.period_index.get(period) {
                Some(&pi) => {
                    self.remember_period(period, Some(pi));
                    pi
                }
                None => return false,
            },
        };
        let (u, again) = match self.last_unit {
            Some(u) if same(&self.last_name, unit) => (u, true),
            _ if self.grouped => return false,
            _ => match self.unit_index.get(unit) {
                Some(u) => {
                    self.unbroken = false;
                    (u, false)
                }
                None => return false, // a new unit: `row` makes its state
            },
        };
        if !again {
            self.remember_unit(u, unit);
        }
        let guess = self.next_slot[self.last_slot as usize];
        let slot = if self
            .slot_ids
            .get(guess as usize)
            .is_some_and(|g| same(g.as_bytes(), id))
        {
            guess
        } else {
            match self.ids.get(id) {
                Some(&IdKind::Slot(s)) => {
                    self.next_slot[self.last_slot as usize] = s;
                    s
                }
                _ => return false,
            }
        };
        let Some(v) = plain_decimal(value) else {
            return false;
        };
        let pi = pi as usize;
        let bit = pi * self.slots + slot as usize;
        let word = &mut self.seen[u as usize * self.words + bit / 64];
        if *word & (1 << (bit % 64)) != 0 {
            return false; // a duplicate: `row` reports it
        }
        *word |= 1 << (bit % 64);
        self.last_slot = slot;
        if self.needed.contains(&pi) {
            let key = ((pi - self.needed.start) * self.slots + slot as usize) as u32;
            if again {
                // The row before's unit: its values are at hand.
                self.units[u as usize].entries.push((key, v));
            } else {
                self.pending.push((u, key, v));
                if self.pending.len() >= self.pending_max {
                    self.settle();
                }
            }
        }
        true
    }

    /// Checks one row and keeps its value (when its period is needed).
    /// Every problem of the row is recorded, not just the first.
    pub fn row(&mut self, row: &Row, layout: &Layout) {
        if let Some(n) = row.extra.filter(|&n| n < 0) {
            let width = layout.fields();
            // The missing columns would each give an error of their own
            // ("the id is empty"), all about the one mistake.
            let have = width.saturating_sub(n.unsigned_abs());
            let fields = if have == 1 { "field" } else { "fields" };
            self.error(
                (row.at)(have),
                "",
                "E036",
                format!("the row has {have} {fields}; the header has {width}"),
                "missing field",
                Some(format!(
                    "give every column a field, in the header's order ({}); an empty value is nothing between two commas",
                    layout.names.join(",")
                )),
            );
            return;
        }
        // --- the period ------------------------------------------------------
        let period = match row.period.key() {
            Ok(Some(p)) => Some(p),
            Ok(None) => {
                let at = (row.at)(row.period_col);
                self.error(
                    at,
                    "period",
                    "E038",
                    "the period is empty".into(),
                    "empty period",
                    Some("every row needs a period label such as 2026-Q3".into()),
                );
                None
            }
            Err(why) => {
                self.key_error(row, row.period_col, "period", why);
                None
            }
        };
        let period_idx = period.and_then(|p| self.period_of(p, row.at, row.period_col));
        // --- the unit --------------------------------------------------------
        let unit = match row.unit.key() {
            Ok(Some(u)) => Some(u),
            Ok(None) => {
                self.error(
                    (row.at)(layout.unit),
                    "unit",
                    "E038",
                    "the unit is empty".into(),
                    "empty unit",
                    Some("every row names its business unit".into()),
                );
                None
            }
            Err(why) => {
                self.key_error(row, layout.unit, "unit", why);
                None
            }
        };
        // --- the id ----------------------------------------------------------
        let blank = |c: &Cell| match c {
            Cell::Empty => true,
            Cell::Text(t) => trim(t).is_empty(),
            _ => false,
        };
        // A row may give only a target or baseline (SPEC §10), for a
        // computed indicator too: its id is then checked as theirs.
        let overrides_only = blank(&row.value) && !(blank(&row.target) && blank(&row.baseline));
        let slot = match row.id.key() {
            Ok(Some(id)) if overrides_only => {
                let what = if blank(&row.target) {
                    "baseline"
                } else {
                    "target"
                };
                match override_index(self.card, id, what) {
                    Ok(i) => Some(i as u32),
                    Err(p) => {
                        let col = if p.0 == "E031" {
                            layout.id
                        } else if what == "target" {
                            layout.target.unwrap_or(layout.id)
                        } else {
                            layout.baseline.unwrap_or(layout.id)
                        };
                        self.problem((row.at)(col), col_name(layout, col), p);
                        None
                    }
                }
            }
            Ok(Some(id)) => self.slot_of(id, row.at, layout.id),
            Ok(None) => {
                self.error(
                    (row.at)(layout.id),
                    "id",
                    "E038",
                    "the id is empty".into(),
                    "empty id",
                    Some("name the indicator or input the value is for".into()),
                );
                None
            }
            Err(why) => {
                self.key_error(row, layout.id, "id", why);
                None
            }
        };
        // --- the value -------------------------------------------------------
        let value = match row.value {
            Cell::Empty => Ok(None),
            Cell::Text(t) if trim(t).is_empty() => Ok(None),
            Cell::Text(t) => decimal_text(t)
                .map(Some)
                .map_err(|why| format!("\"{}\" {why}", crate::diag::echo(t.trim()))),
            Cell::Number(f) => decimal_of_double(f)
                .map(Some)
                .map_err(|why| format!("{f} {why}")),
            Cell::Bad(why) => Err(format!("the value is {why}")),
        };
        let value = match value {
            Ok(v) => v,
            Err(what) => {
                let id = row
                    .id
                    .key()
                    .ok()
                    .flatten()
                    .map_or(String::new(), |i| format!(" for `{i}`"));
                self.error(
                    (row.at)(layout.value),
                    "value",
                    "E035",
                    format!("value{id} {}", what.trim_start_matches("the value ")),
                    "not a number",
                    Some("write a plain decimal such as 0.12 (no units, percent signs or thousands separators); leave it empty for no value".into()),
                );
                None
            }
        };
        let note = match (row.note.key(), layout.note) {
            (Ok(n), _) => n,
            (Err(why), Some(col)) => {
                self.key_error(row, col, "note", why);
                None
            }
            (Err(_), None) => None,
        };
        // --- target and baseline (SPEC §10) ------------------------------------
        let overrides = match (slot, row.id.key()) {
            (Some(sl), Ok(Some(id))) if !(blank(&row.target) && blank(&row.baseline)) => {
                self.overrides(row, layout, id, sl as usize, period)
            }
            _ => (None, None),
        };
        if let Some(n) = row.extra {
            let width = layout.names.len();
            self.error(
                (row.at)(width),
                "",
                "E036",
                format!(
                    "the row has {} fields; the header has {width}",
                    width + n.unsigned_abs()
                ),
                "extra field",
                Some("remove the extra fields, or quote a value that contains a comma".into()),
            );
        }
        let (Some(unit), Some(pi), Some(slot)) = (unit, period_idx, slot) else {
            return;
        };
        let Some(u) = self.unit_of(unit, row.at, layout.unit) else {
            return;
        };
        // --- duplicates --------------------------------------------------------
        let bit = pi as usize * self.slots + slot as usize;
        let word = u * self.words + bit / 64;
        if self.seen[word] & (1 << (bit % 64)) != 0 {
            let id = row.id.key().ok().flatten().unwrap_or_default();
            let p = period.unwrap_or_default();
            let at = (row.at)(layout.id);
            self.errors.push(DataError {
                message: format!(
                    "{}: `{id}` is given twice for unit `{unit}` in period `{p}`",
                    at.describe("id")
                ),
                at,
                code: "E037",
                label: "duplicate".into(),
                hint: Some("give each id once per unit and period".into()),
                duplicate: Some((p.to_string(), unit.to_string(), id.to_string())),
            });
            return;
        }
        self.seen[word] |= 1 << (bit % 64);
        let pi = pi as usize;
        let block = &mut self.units[u];
        // The evaluated span lies within the needed periods.
        let key = |pi: usize| ((pi - self.needed.start) * self.slots + slot as usize) as u32;
        if let (Some(v), true) = (value, self.needed.contains(&pi)) {
            block.entries.push((key(pi), v));
        }
        if let (Some(n), true) = (note, self.current.contains(&pi)) {
            block.notes.push((key(pi), n.to_string()));
        }
        if self.needed.contains(&pi) {
            if let Some(g) = overrides.0 {
                block.targets.push((key(pi), g));
            }
            if let Some(b) = overrides.1 {
                block.baselines.push((key(pi), b));
            }
        }
    }

    /// A row's target and baseline for indicator `slot` (SPEC §10), each
    /// checked at its cell, and the pair in force for the row's period.
    fn overrides(
        &mut self,
        row: &Row,
        layout: &Layout,
        id: &str,
        slot: usize,
        period: Option<&str>,
    ) -> (Option<Goal>, Option<Decimal>) {
        let card = self.card;
        if slot >= card.indicators.len() {
            // An input: the value's id was fine, its target is not.
            let col = layout.target.filter(|_| !matches!(row.target, Cell::Empty));
            let col = col.or(layout.baseline).unwrap_or(layout.id);
            let what = if Some(col) == layout.target {
                "target"
            } else {
                "baseline"
            };
            if let Err(p) = override_index(card, id, what) {
                self.problem((row.at)(col), col_name(layout, col), p);
            }
            return (None, None);
        }
        let mut goal = None;
        if let Some(col) = layout.target {
            match number_or_band(&row.target) {
                Ok(None) => {}
                Ok(Some((v, band))) => {
                    match override_index(card, id, "target")
                        .and_then(|i| override_goal(card, i, v, band))
                    {
                        Ok(g) => goal = Some(g),
                        Err(p) => self.problem((row.at)(col), "target", p),
                    }
                }
                Err(what) => self.error(
                    (row.at)(col),
                    "target",
                    "E035",
                    format!("target for `{id}` {what}"),
                    "not a number",
                    Some("write a plain decimal such as 0.12, or `low..high` for a band".into()),
                ),
            }
        }
        let mut base = None;
        if let Some(col) = layout.baseline {
            match number(&row.baseline) {
                Ok(None) => {}
                Ok(Some(b)) => match override_index(card, id, "baseline") {
                    Ok(_) => base = Some(b),
                    Err(p) => self.problem((row.at)(col), "baseline", p),
                },
                Err(what) => self.error(
                    (row.at)(col),
                    "baseline",
                    "E035",
                    format!("baseline for `{id}` {what}"),
                    "not a number",
                    Some("write a plain decimal such as 0.12".into()),
                ),
            }
        }
        if let (Some(p), true) = (period, goal.is_some() || base.is_some()) {
            let (_, problem) = override_rule(card, slot, p, goal, base);
            // The long format has no warning channel yet: a pair against
            // the implied direction (W025) scores as given, unreported.
            if let Some(problem) = problem.filter(|p| !p.0.starts_with('W')) {
                let (col, name) = match (goal, layout.target) {
                    (Some(_), Some(c)) => (c, "target"),
                    _ => (layout.baseline.unwrap_or(layout.id), "baseline"),
                };
                self.problem((row.at)(col), name, problem);
                return (None, None);
            }
        }
        (goal, base)
    }

    /// A [`Problem`] found at `at`.
    fn problem(&mut self, at: At, column: &str, p: Problem) {
        let (code, what, label, hint) = p;
        self.error(at, column, code, what, &label, Some(hint));
    }

    fn period_of(&mut self, p: &str, at: &dyn Fn(usize) -> At, col: usize) -> Option<u32> {
        if let Some((last, idx)) = &self.last_period
            && same(last, p.as_bytes())
        {
            return *idx;
        }
        let idx = self.period_index.get(p.as_bytes()).copied();
        if idx.is_none() && self.speculative {
            self.spoil();
        } else if idx.is_none() {
            // Every period was listed by a first pass over the file.
            self.error(
                at(col),
                "period",
                "E036",
                format!("period `{p}` was not in the file when it was first scanned"),
                "new period",
                Some("was the file changed while it was being read? Run again".into()),
            );
        }
        self.remember_period(p.as_bytes(), idx);
        idx
    }

    /// The period of the row before, for the next row to compare with. Its
    /// buffer is reused: a shuffled file changes period every other row.
    fn remember_period(&mut self, p: &[u8], idx: Option<u32>) {
        match &mut self.last_period {
            Some((last, i)) => {
                last.clear();
                last.extend_from_slice(p);
                *i = idx;
            }
            None => self.last_period = Some((p.to_vec(), idx)),
        }
    }

    fn slot_of(&mut self, id: &str, at: &dyn Fn(usize) -> At, col: usize) -> Option<u32> {
        let guess = self.next_slot[self.last_slot as usize];
        if self
            .slot_ids
            .get(guess as usize)
            .is_some_and(|g| same(g.as_bytes(), id.as_bytes()))
        {
            self.last_slot = guess;
            return Some(guess);
        }
        match self.ids.get(id.as_bytes()) {
            Some(IdKind::Slot(s)) => {
                self.next_slot[self.last_slot as usize] = *s;
                self.last_slot = *s;
                Some(*s)
            }
            Some(IdKind::Computed(i)) => {
                let f = self.card.indicators[*i]
                    .formula
                    .as_ref()
                    .map_or("", |f| f.text.as_str())
                    .to_string();
                self.error(
                    at(col),
                    "id",
                    "E032",
                    format!("`{id}` is a computed indicator; it cannot be given a value"),
                    "computed from its formula",
                    Some(format!(
                        "give values for what its formula reads instead: {f}"
                    )),
                );
                None
            }
            None => {
                let card = self.card;
                let hint = did_you_mean(id, card.ids.keys().map(String::as_str))
                    .or_else(|| Some("remove the row, or declare the id in the scorecard".into()));
                self.error(
                    at(col),
                    "id",
                    "E031",
                    format!(
                        "`{id}` is not an indicator or input of scorecard `{}`",
                        card.id
                    ),
                    "unknown id",
                    hint,
                );
                None
            }
        }
    }

    fn unit_of(&mut self, name: &str, at: &dyn Fn(usize) -> At, col: usize) -> Option<usize> {
        if let Some(u) = self.last_unit {
            // Grouped: `before_row` already compared the name.
            if self.grouped || same(&self.last_name, name.as_bytes()) {
                return Some(u as usize);
            }
        }
        if self.grouped {
            // Each unit's rows are together (a first pass checked), so one
            // state is reused; `before_row` handed out the previous unit.
            debug_assert!(self.last_unit.is_none());
            let hash = hash_of(name);
            let elsewhere = self
                .shared
                .as_ref()
                .is_some_and(|s| !s.units.lock().expect("no panic holding it").insert(hash));
            if elsewhere || !self.finished.insert(hash) {
                if self.speculative {
                    self.spoil();
                    return None;
                }
                self.error(
                    at(col),
                    "unit",
                    "E036",
                    format!("rows of unit `{name}` continue after other units' rows"),
                    "unit seen before",
                    Some("was the file changed while it was being read? Run again".into()),
                );
                return None;
            }
            let block = UnitBlock {
                name: name.to_string(),
                entries: Vec::with_capacity(self.entries_hint),
                ..Default::default()
            };
            match self.units.first_mut() {
                Some(b) => *b = block,
                None => self.units.push(block),
            }
            self.seen.clear();
            self.seen.resize(self.words, 0);
            self.remember_unit(0, name.as_bytes());
            return Some(0);
        }
        let u = match self.unit_index.get(name.as_bytes()) {
            Some(u) => {
                self.unbroken = false;
                u
            }
            None => {
                // Where units repeat, a unit's rows still often come
                // together (a file grouped by period): room for as many
                // values as the unit before got since it was made saves
                // the vector's growing and its slack. Only a run unbroken
                // since then counts, and each run once, so the room lent
                // never outgrows the values read, whatever the file; a
                // shuffled file asks little.
                let room = match self.last_unit {
                    Some(p) if self.unbroken => self.units[p as usize].entries.len(),
                    _ => 0,
                };
                self.unbroken = true;
                let u = self.units.len() as u32;
                self.unit_index.insert(name.as_bytes(), u);
                self.units.push(UnitBlock {
                    name: name.to_string(),
                    entries: Vec::with_capacity(room),
                    ..Default::default()
                });
                self.seen.resize(self.seen.len() + self.words, 0);
                u
            }
        };
        self.remember_unit(u, name.as_bytes());
        Some(u as usize)
    }

    fn remember_unit(&mut self, u: u32, name: &[u8]) {
        self.last_unit = Some(u);
        self.last_name.clear();
        self.last_name.extend_from_slice(name);
    }

    /// Grouped: hands out the current unit when the next row's unit
    /// differs from it. Call before [`Collector::row`].
    pub fn before_row(&mut self, unit: &Cell) -> Option<UnitBlock> {
        if !self.grouped {
            return None;
        }
        let name = unit.key().ok().flatten()?;
        self.last_unit?;
        if same(&self.last_name, name.as_bytes()) {
            return None;
        }
        self.last_unit = None;
        let block = self.hand_out(0);
        self.entries_hint = block.entries.len();
        Some(block)
    }

    /// Not grouped: every unit, in the order of their first row, with the
    /// (period, slot) pairs its rows gave, as bits: to join the parts of a
    /// file read at once, where a pair given in two parts is a duplicate.
    pub fn finish_with_seen(mut self) -> (Vec<(UnitBlock, Vec<u64>)>, Errors) {
        debug_assert!(!self.grouped);
        self.settle();
        let words = self.words;
        let units = (0..self.units.len())
            .map(|u| (self.hand_out(u), self.seen[u * words..][..words].to_vec()))
            .collect();
        (units, self.errors)
    }

    /// Keeps the usual rows' values in their units after `rows` rows
    /// instead of [`PENDING`]: for tests, which read fewer rows than that.
    pub fn settle_every(&mut self, rows: usize) {
        self.pending_max = rows.max(1);
    }

    /// Keeps the pending values in their units' blocks, unit by unit: in a
    /// shuffled file each row belongs to another unit, and a value kept at
    /// once reaches into that unit's block and the end of its values, two
    /// places far apart in memory, for every row. Sorted by unit (a
    /// counting sort, which keeps the rows' order within a unit), each
    /// unit's block is reached once per batch, and grows once. The order
    /// of a unit's values does not matter: each (period, slot) is given
    /// once.
    fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let counts = &mut self.counts;
        counts.clear();
        counts.resize(self.units.len() + 1, 0);
        for &(u, ..) in &self.pending {
            counts[u as usize + 1] += 1;
        }
        for u in 0..self.units.len() {
            counts[u + 1] += counts[u];
        }
        // counts[u] is now where unit u's values start in `by_unit`.
        self.by_unit.clear();
        self.by_unit
            .resize(self.pending.len(), (0, 0, Decimal::ZERO));
        for &item in &self.pending {
            let at = &mut counts[item.0 as usize];
            self.by_unit[*at as usize] = item;
            *at += 1;
        }
        self.pending.clear();
        for run in self.by_unit.chunk_by(|a, b| a.0 == b.0) {
            self.units[run[0].0 as usize]
                .entries
                .extend(run.iter().map(|&(_, key, v)| (key, v)));
        }
    }

    /// Unit `u`'s block, taken out, with whether any of its rows is in
    /// the evaluated span: a bit of its own there. (Found once per unit
    /// rather than set per row, which in a shuffled file would reach into
    /// another unit's block for every row.)
    fn hand_out(&mut self, u: usize) -> UnitBlock {
        let mut block = std::mem::take(&mut self.units[u]);
        let bits = &self.seen[u * self.words..][..self.words];
        block.in_current = (self.current.start * self.slots..self.current.end * self.slots)
            .any(|b| bits[b / 64] & (1 << (b % 64)) != 0);
        if self.keep_seen {
            block.seen = bits.to_vec();
        }
        block
    }

    /// Every unit not yet handed out, in the order of their first row.
    pub fn finish(mut self) -> (Vec<UnitBlock>, Errors) {
        self.settle();
        let blocks = if self.grouped {
            match self.last_unit {
                Some(_) => vec![self.hand_out(0)],
                None => Vec::new(),
            }
        } else {
            // Units interleave: unused capacity is trimmed once, at the end,
            // not at every change of unit (every row of a shuffled file).
            (0..self.units.len())
                .map(|u| {
                    let mut b = self.hand_out(u);
                    b.entries.shrink_to_fit();
                    b
                })
                .collect()
        };
        (blocks, self.errors)
    }
}

/// Rows whose values wait for [`Collector::settle`]: 32K rows hold 768 KB
/// (and as much again, sorted) and meet each of 10,000 units about three
/// times. 64K and 128K rows a batch ran as fast, with 2 and 4.5 MB more at
/// the peak; 8K rows, which meet a unit less than once, took 1.07× the
/// time (shuffled CSV, `-n 21`).
const PENDING: usize = 1 << 15;

/// The units met by the parts of one file read at once, while speculating
/// ([`Collector::speculate`]), and whether the guess was found wrong.
#[derive(Default)]
pub struct SharedUnits {
    units: Mutex<UnitHashes>,
    spoiled: AtomicBool,
}

/// A cell's number: `None` when blank.
fn number(c: &Cell) -> Result<Option<Decimal>, String> {
    match *c {
        Cell::Empty => Ok(None),
        Cell::Text(t) if trim(t).is_empty() => Ok(None),
        Cell::Text(t) => decimal_text(t)
            .map(Some)
            .map_err(|why| format!("\"{}\" {why}", crate::diag::echo(t.trim()))),
        Cell::Number(f) => decimal_of_double(f)
            .map(Some)
            .map_err(|why| format!("{f} {why}")),
        Cell::Bad(why) => Err(format!("is {why}")),
    }
}

/// A target cell: one number, or a band written `low..high`.
#[allow(clippy::type_complexity)]
fn number_or_band(
    c: &Cell,
) -> Result<Option<(Option<Decimal>, Option<(Decimal, Decimal)>)>, String> {
    if let Cell::Text(t) = *c
        && let Some((l, h)) = trim(t).split_once("..")
    {
        let bound = |b: &str| {
            decimal_text(b).map_err(|why| format!("\"{}\" {why}", crate::diag::echo(t.trim())))
        };
        return Ok(Some((None, Some((bound(l)?, bound(h)?)))));
    }
    Ok(number(c)?.map(|v| (Some(v), None)))
}

fn col_name(layout: &Layout, col: usize) -> &'static str {
    if col == layout.id {
        "id"
    } else if Some(col) == layout.target {
        "target"
    } else {
        "baseline"
    }
}

/// Units by name, for the look-up of every row of a file whose units
/// interleave. Names of up to 22 bytes (most are: `unit-00001`, `华东区`)
/// are held in the table itself and compared by [`same`]; a name boxed
/// elsewhere cost another miss of the cache and a `memcmp` call per row.
#[derive(Default)]
struct UnitIndex(hashbrown::HashTable<(UnitName, u32)>);

enum UnitName {
    Inline(u8, [u8; INLINE]),
    Boxed(Box<[u8]>),
}

const INLINE: usize = 22;

impl UnitName {
    fn bytes(&self) -> &[u8] {
        match self {
            UnitName::Inline(n, b) => &b[..*n as usize],
            UnitName::Boxed(b) => b,
        }
    }
}

impl UnitIndex {
    fn hash(name: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        rustc_hash::FxBuildHasher.hash_one(name)
    }

    fn get(&self, name: &[u8]) -> Option<u32> {
        self.0
            .find(Self::hash(name), |(k, _)| same(k.bytes(), name))
            .map(|&(_, u)| u)
    }

    /// A name not in the index yet.
    fn insert(&mut self, name: &[u8], u: u32) {
        let key = match name.len() {
            n if n <= INLINE => {
                let mut b = [0; INLINE];
                b[..n].copy_from_slice(name);
                UnitName::Inline(n as u8, b)
            }
            _ => UnitName::Boxed(name.into()),
        };
        self.0
            .insert_unique(Self::hash(name), (key, u), |(k, _)| Self::hash(k.bytes()));
    }
}

/// A set of [`hash_of`] values. They are hashes already, so the set uses
/// them as they are instead of hashing them again.
pub type UnitHashes = std::collections::HashSet<u64, std::hash::BuildHasherDefault<AsIs>>;

/// The identity hash of a `u64` (for [`UnitHashes`]).
#[derive(Default)]
pub struct AsIs(u64);

impl std::hash::Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed (`write_u64`); anything else still works.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A 64-bit hash of a unit name: grouped runs remember finished units by
/// hash only, so memory stays flat however many units follow.
pub fn hash_of(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes() {
        for (a, b) in [
            ("", ""),
            ("abc", "abc"),
            ("unit-00001", "unit-00001"),
            ("2026-Q1", "2026-Q1"),
            ("a-much-longer-label-0001", "a-much-longer-label-0001"),
        ] {
            assert!(same(a.as_bytes(), b.as_bytes()));
        }
        for (a, b) in [
            ("", "a"),
            ("abc", "abd"),
            ("unit-00001", "unit-00002"),
            ("unit-00001", "Unit-00001"),
            ("a-much-longer-label-0001", "a-much-longer-lobel-0001"),
        ] {
            assert!(!same(a.as_bytes(), b.as_bytes()));
        }
        // Every length the word paths split on, a difference at every byte.
        for n in 0..24 {
            let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i).collect();
            assert!(same(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same(&a, &b), "length {n}, byte {i}");
            }
        }
    }

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(6, 3), "D7");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(9, 701), "ZZ10");
        assert_eq!(cell_name(0, 702), "AAA1");
    }

    #[test]
    fn values_are_exact() {
        assert_eq!(decimal_text(" 0.10 ").unwrap().to_string(), "0.10");
        assert_eq!(decimal_text("1_200").unwrap().to_string(), "1200");
        assert_eq!(decimal_text("+3").unwrap().to_string(), "3");
        assert_eq!(decimal_text("12%"), Err("is not a decimal number"));
        assert_eq!(decimal_text("NaN"), Err("is not a finite number"));
        assert_eq!(decimal_text("1.2.3"), Err("is not a decimal number"));
        assert_eq!(decimal_of_double(0.1).unwrap().to_string(), "0.1");
        assert_eq!(
            decimal_of_double(0.1 + 0.2).unwrap().to_string(),
            "0.30000000000000004"
        );
        assert_eq!(decimal_of_double(2026.0).unwrap().to_string(), "2026");
    }

    #[test]
    fn plain_decimals_match_the_general_parser() {
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "-0.0",
            "00.10",
            "007.50",
            "1",
            "63.1",
            "-12.700",
            "0.000",
            "1234567890123456789",
            "-9999999999999999999",
            "99999999999999999999",
            "1.",
            ".5",
            "-.5",
            "-",
            "",
            "1..2",
            "1.2.3",
            "--1",
            "1-",
            "0.0000000000000000001",
            "123456789.0123456789",
            "18446744073709551615",
            "1844674407370955161.5",
            "12/4",
            "9:00",
            "1 2",
            "99999999",
            "9999.9999",
            "-0.000001",
            "00000000",
            "1.2345678",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Digits and their neighbours (`/` and `:`), other ASCII and
            // a byte above it (a two-byte character once in the string).
            let alphabet = b"0123456789.-09/: e+\xc3";
            let len = (x % 23) as usize;
            let s: String = (0..len)
                .map(|i| alphabet[((x >> (i * 2 % 60)) as usize + i) % alphabet.len()] as char)
                .collect();
            cases.push(s);
        }
        for c in cases {
            // What the shortcut must take: `-?digits(.digits)?`, 1 to 19 digits.
            let body = c.strip_prefix('-').unwrap_or(&c);
            let (int, frac) = body.split_once('.').unwrap_or((body, "1"));
            let usual = [int, frac]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                && body.bytes().filter(u8::is_ascii_digit).count() <= 19;
            match plain_decimal(c.as_bytes()) {
                Some(d) => {
                    let e = Decimal::from_str_exact(&c).unwrap_or_else(|e| panic!("{c}: {e}"));
                    assert_eq!(d.serialize(), e.serialize(), "{c}");
                }
                None => assert!(!usual, "{c} should take the shortcut"),
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The unit index finds what a map of boxed names finds, for names
        /// on both sides of the inline length, sharing prefixes, and not
        /// valid UTF-8.
        #[test]
        fn the_unit_index_finds_what_a_map_finds(
            names in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![proptest::prelude::Just(b'u'), 0u8..=255],
                    0..40,
                ),
                0..200,
            ),
            asked in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![proptest::prelude::Just(b'u'), 0u8..=255],
                    0..40,
                ),
                0..50,
            ),
        ) {
            let (mut index, mut map) = (UnitIndex::default(), FxHashMap::default());
            for (u, name) in names.iter().enumerate() {
                if !map.contains_key(name.as_slice()) {
                    map.insert(name.clone().into_boxed_slice(), u as u32);
                    index.insert(name, u as u32);
                }
            }
            for name in names.iter().chain(&asked) {
                proptest::prop_assert_eq!(index.get(name), map.get(name.as_slice()).copied());
            }
        }
    }

    #[test]
    fn the_unit_index_holds_long_and_short_names() {
        let mut index = UnitIndex::default();
        let short = "华东区-01".as_bytes(); // 13 bytes
        let edge = [b'x'; INLINE];
        let long = [b'x'; INLINE + 1];
        for (u, name) in [short, &edge[..], &long[..], b""].iter().enumerate() {
            index.insert(name, u as u32);
        }
        assert_eq!(index.get(short), Some(0));
        assert_eq!(index.get(&edge), Some(1));
        assert_eq!(index.get(&long), Some(2));
        assert_eq!(index.get(b""), Some(3));
        assert_eq!(index.get(&long[..INLINE - 1]), None);
        let boxed = index
            .0
            .iter()
            .filter(|(k, _)| matches!(k, UnitName::Boxed(_)));
        assert_eq!(boxed.count(), 1, "only the name longer than {INLINE} bytes");
    }

    #[test]
    fn headers() {
        let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        let l = Layout::from_header(&h("\u{feff}Period,unit,id,value,note"), true).unwrap();
        assert_eq!((l.period, l.unit, l.id, l.value), (Some(0), 1, 2, 3));
        let e = Layout::from_header(&h("period,unit,idd,value"), true).unwrap_err();
        assert!(e[0].1.contains("unknown column `idd`"));
        assert!(e[1].1.contains("no id column"));
        let l = Layout::from_header(&h("unit,id,value"), false).unwrap();
        assert_eq!(l.period, None);
        assert!(Layout::from_header(&h("unit,id,value"), true).is_err());
    }
}
