//! Long-format CSV (`period,unit,id,value[,note][,target][,baseline]`),
//! read as a stream: the file is never held in memory.
//!
//! A first, cheap pass ([`scan`]) lists the periods and tells whether each
//! unit's rows are together; the second pass ([`read`]) parses every row
//! with the `csv` crate and feeds the [`Collector`], which fills the
//! store (a [`UnitBlock`] per unit).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use super::UnitBlock;
use super::rows::{At, Cell, Collector, DataError, Layout, Row, UnitHashes, hash_of, same};

/// The reader every pass uses (and the parse-only benchmark measures).
pub fn reader_builder() -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false).flexible(true).buffer_capacity(1 << 17);
    b
}

/// Parses every record and discards it: the benchmark's baseline.
pub fn parse_only(path: &Path) -> io::Result<u64> {
    let mut rdr = reader_builder().from_reader(File::open(path)?);
    let mut rec = csv::ByteRecord::new();
    let mut fields = 0u64;
    while rdr.read_byte_record(&mut rec).map_err(io::Error::other)? {
        fields += rec.len() as u64;
    }
    Ok(fields)
}

/// The header, and where the data rows start.
#[derive(Debug, Clone)]
pub struct Header {
    pub layout: Layout,
    /// Byte offset of the first data line.
    pub start: u64,
    /// 1-based number of the first data line.
    pub line: u64,
}

/// Reads the header row.
pub fn header(path: &Path) -> io::Result<Result<Header, Vec<DataError>>> {
    let mut rdr = reader_builder().from_reader(File::open(path)?);
    let mut rec = csv::ByteRecord::new();
    let read = match rdr.read_byte_record(&mut rec) {
        Ok(r) => r,
        Err(e) => return csv_error(e).map(|d| Err(vec![d])),
    };
    if !read {
        return Ok(Err(vec![DataError {
            at: At::File,
            code: "E036",
            message: "the file is empty".into(),
            label: "empty".into(),
            hint: Some("the first line should read `period,unit,id,value`".into()),
            duplicate: None,
        }]));
    }
    let cells: Vec<String> = rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    // The reader stops after a CRLF's `\r`; data starts after the `\n`.
    let mut start = rdr.position().byte();
    let mut head = vec![0u8; start as usize + 1];
    let mut f = File::open(path)?;
    let n = f.read(&mut head)?;
    let mut got = n;
    while got < head.len() {
        let m = f.read(&mut head[got..])?;
        if m == 0 {
            break;
        }
        got += m;
    }
    if head.get(start as usize) == Some(&b'\n') && got > start as usize {
        start += 1;
    }
    let line = 1 + memchr::memchr_iter(b'\n', &head[..start as usize]).count() as u64;
    Ok(Layout::from_header(&cells, true)
        .map(|layout| Header {
            layout,
            start,
            line,
        })
        .map_err(|errs| {
            errs.into_iter()
                .map(|(col, message, hint)| DataError {
                    at: At::Csv {
                        line: 1,
                        byte: 0,
                        field: col.unwrap_or(usize::MAX),
                    },
                    code: "E036",
                    message: format!(
                        "{}: {message}",
                        col.map_or_else(
                            || "row 1 (the header)".to_string(),
                            |c| format!("row 1, column {}", c + 1)
                        )
                    ),
                    label: "header".into(),
                    hint,
                    duplicate: None,
                })
                .collect()
        }))
}

/// A record the `csv` crate cannot read (bad UTF-8 in the header, I/O):
/// an error of the file when it is about the content, `Err` for I/O.
fn csv_error(e: csv::Error) -> io::Result<DataError> {
    let pos = e.position().cloned();
    let (line, byte) = pos.map_or((1, 0), |p| (p.line(), p.byte()));
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Err(io),
        csv::ErrorKind::Utf8 { err, .. } => Ok(not_utf8(line, byte, err.field())),
        other => Ok(DataError {
            at: At::Csv {
                line,
                byte,
                field: usize::MAX,
            },
            code: "E036",
            message: format!("row {line}: cannot be read: {other:?}"),
            label: "unreadable".into(),
            hint: None,
            duplicate: None,
        }),
    }
}

/// A record with a field that is not UTF-8 (what `csv` reports for it).
fn not_utf8(line: u64, byte: u64, field: usize) -> DataError {
    DataError {
        at: At::Csv { line, byte, field },
        code: "E036",
        message: format!("row {line}, field {}: not valid UTF-8", field + 1),
        label: "not UTF-8".into(),
        hint: Some("save the file as UTF-8".into()),
        duplicate: None,
    }
}

/// A stretch of data lines that starts with a unit's first row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub start: u64,
    pub end: u64,
    /// 1-based number of its first line.
    pub line: u64,
}

/// What the first pass learns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Every non-empty period label, in no particular order.
    pub periods: Vec<String>,
    /// Each unit's rows are contiguous (so units can be scored as they end).
    pub grouped: bool,
    /// The data split at line starts into about as many parts of similar
    /// size as asked for; grouped, at unit boundaries. One part when the
    /// file has quotes (a line start is then not found without parsing).
    pub parts: Vec<Part>,
}

/// A period or unit field as the first pass counts it: its trimmed text,
/// when it is UTF-8 and not empty (other rows are errors for the main pass
/// to report, and do not start or end a unit).
fn key_text(field: &[u8]) -> Option<&str> {
    Some(std::str::from_utf8(field).ok()?.trim()).filter(|t| !t.is_empty())
}

/// Tracks periods and unit runs over the rows of either pass.
struct ScanState {
    /// The period fields met, as they are: a shuffled file changes period
    /// every other row, and a look-up of the bytes is all those rows cost.
    /// Their labels are taken once, at the end ([`ScanState::periods`]).
    raw_periods: rustc_hash::FxHashSet<Vec<u8>>,
    last_period: Vec<u8>,
    last_unit_raw: Vec<u8>,
    unit: String,
    /// Hashes of the units seen (collisions only cost streaming, never correctness).
    units: UnitHashes,
    grouped: bool,
    /// Where parts should start (byte offsets, ascending) and where they do.
    targets: Vec<u64>,
    splits: Vec<(u64, u64)>,
}

impl ScanState {
    fn new(targets: Vec<u64>) -> Self {
        ScanState {
            raw_periods: Default::default(),
            last_period: vec![0xff],
            last_unit_raw: vec![0xff],
            unit: String::new(),
            units: UnitHashes::default(),
            grouped: true,
            targets,
            splits: Vec::new(),
        }
    }

    /// One row: its period and unit fields, and where its line starts.
    fn row(&mut self, period: &[u8], unit: &[u8], byte: u64, line: u64) {
        if !same(period, &self.last_period) {
            self.last_period.clear();
            self.last_period.extend_from_slice(period);
            if !self.raw_periods.contains(period) {
                self.raw_periods.insert(period.to_vec());
            }
        }
        if self.grouped && !same(unit, &self.last_unit_raw) {
            self.last_unit_raw.clear();
            self.last_unit_raw.extend_from_slice(unit);
            // Rows without a (valid) unit are errors that do not end a unit.
            let Some(u) = key_text(unit) else {
                return;
            };
            if u == self.unit {
                return;
            }
            self.unit.clear();
            self.unit.push_str(u);
            if !self.units.insert(hash_of(u)) {
                self.grouped = false;
                self.units = UnitHashes::default();
                return;
            }
            let i = self.splits.len();
            if i < self.targets.len() && byte >= self.targets[i] {
                self.splits.push((byte, line));
            }
        }
    }

    /// The labels of the periods met: each field trimmed, when it is UTF-8
    /// and not empty (other rows are errors for the main pass to report).
    fn periods(&self) -> HashSet<String> {
        self.raw_periods
            .iter()
            .filter_map(|p| key_text(p))
            .map(str::to_string)
            .collect()
    }

    fn finish(self, header: &Header, end: u64) -> Scan {
        let periods = self.periods().into_iter().collect();
        let mut parts = Vec::new();
        let (mut start, mut line) = (header.start, header.line);
        if self.grouped {
            for (b, l) in self.splits {
                parts.push(Part {
                    start,
                    end: b,
                    line,
                });
                (start, line) = (b, l);
            }
        }
        parts.push(Part { start, end, line });
        Scan {
            periods,
            grouped: self.grouped,
            parts,
        }
    }
}

/// The first pass: periods, whether units are grouped, and where to split
/// the file into `parts` for parallel reading. Splits lines itself
/// (memchr) when the file has no quotes, several times faster than a full
/// CSV parse; otherwise parses properly.
pub fn scan(path: &Path, header: &Header, parts: usize) -> io::Result<Scan> {
    let pcol = header.layout.period.expect("CSV has a period column");
    let ucol = header.layout.unit;
    let end = std::fs::metadata(path)?.len();
    let len = end.saturating_sub(header.start);
    let targets: Vec<u64> = (1..parts.max(1) as u64)
        .map(|i| header.start + len * i / parts as u64)
        .collect();
    if parts > 1
        && let Some(scan) = parallel_scan(path, header, end, &targets)?
    {
        return Ok(scan);
    }
    let range = (header.start, end, header.line);
    if let Some((st, _)) = fast_scan(path, range, pcol, ucol, targets.clone())? {
        return Ok(st.finish(header, end));
    }
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(header.start))?;
    let mut rdr = reader_builder().from_reader(file);
    let mut rec = csv::ByteRecord::new();
    let mut st = ScanState::new(targets);
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {
                let p = rec.position().expect("records have positions");
                st.row(
                    rec.get(pcol).unwrap_or(b""),
                    rec.get(ucol).unwrap_or(b""),
                    header.start + p.byte(),
                    header.line + p.line() - 1,
                );
            }
            Ok(false) => break,
            Err(e) => match e.into_kind() {
                csv::ErrorKind::Io(io) => return Err(io),
                _ => continue, // reported by the main pass
            },
        }
    }
    Ok(st.finish(header, end))
}

/// The first pass over `parts` pieces of the file at once, one core each:
/// the pieces are cut where a unit's rows begin (found by reading a little
/// around each target offset), scanned on their own, then joined. `None`
/// when the file needs the real CSV parser or a cut cannot be placed.
fn parallel_scan(
    path: &Path,
    header: &Header,
    end: u64,
    targets: &[u64],
) -> io::Result<Option<Scan>> {
    use rayon::prelude::*;
    let pcol = header.layout.period.expect("CSV has a period column");
    let ucol = header.layout.unit;
    let Some(cuts) = cuts(path, header, end, targets.iter().copied())? else {
        return Ok(None);
    };
    let pieces: Vec<io::Result<Option<(ScanState, u64)>>> = cuts
        .par_windows(2)
        .map(|w| fast_scan(path, (w[0], w[1], 0), pcol, ucol, Vec::new()))
        .collect();
    let mut states = Vec::with_capacity(pieces.len());
    for p in pieces {
        match p? {
            Some(s) => states.push(s),
            None => return Ok(None),
        }
    }
    // Grouped when every piece is, and no unit's rows are in two pieces.
    let mut grouped = states.iter().all(|(s, _)| s.grouped);
    let mut units = UnitHashes::default();
    let mut periods: HashSet<String> = HashSet::new();
    let mut parts = Vec::with_capacity(states.len());
    let mut line = header.line;
    for (k, (s, lines)) in states.into_iter().enumerate() {
        parts.push(Part {
            start: cuts[k],
            end: cuts[k + 1],
            line,
        });
        line += lines;
        if grouped {
            let n = units.len() + s.units.len();
            units.extend(&s.units);
            grouped = units.len() == n;
        }
        periods.extend(s.periods());
    }
    // Units that interleave are read in these parts too, and joined.
    if parts.len() == 1 {
        parts = vec![Part {
            start: header.start,
            end,
            line: header.line,
        }];
    }
    Ok(Some(Scan {
        periods: periods.into_iter().collect(),
        grouped,
        parts,
    }))
}

/// A single pass's guess at what a first pass would find: the periods of
/// the rows near the start and the end of the data, and cuts where units
/// begin. Reading then checks the guess (see [`Collector::speculate`]):
/// every row's period must be among these, each unit's rows together, and
/// the file free of quotes. Parts number their lines from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guess {
    pub periods: Vec<String>,
    pub parts: Vec<Part>,
    /// No unit's rows came back after another's in the samples.
    pub grouped: bool,
}

/// Bytes sampled at each end of the data for [`guess`].
const SAMPLE: u64 = 1 << 16;

/// Guesses what a first pass would find, reading only a little: `None`
/// when the sample shows that the guess would be wrong or cannot be made
/// (quotes or `\r`, a single part, no period).
pub fn guess(path: &Path, header: &Header, parts: usize) -> io::Result<Option<Guess>> {
    let pcol = header.layout.period.expect("CSV has a period column");
    let ucol = header.layout.unit;
    let end = std::fs::metadata(path)?.len();
    let len = end.saturating_sub(header.start);
    if parts < 2 || len < 4 * SAMPLE {
        return Ok(None);
    }
    let (mut periods, mut grouped) = (HashSet::new(), true);
    // The head from its first line; the tail from its first whole line.
    for (from, head) in [(header.start, true), (end - SAMPLE, false)] {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(from))?;
        let mut buf = Vec::with_capacity(SAMPLE as usize);
        file.take(SAMPLE).read_to_end(&mut buf)?;
        if memchr::memchr2(b'"', b'\r', &buf).is_some() {
            return Ok(None);
        }
        let mut lines: Vec<&[u8]> = buf.split(|&c| c == b'\n').collect();
        // A line cut by the window's edge is left out.
        if head {
            lines.pop();
        } else {
            lines.remove(0);
        }
        let (mut unit, mut seen) = (None, HashSet::new());
        for line in lines {
            let mut fields = line.split(|&c| c == b',');
            let (p, u) = if pcol < ucol {
                (fields.nth(pcol), fields.nth(ucol - pcol - 1))
            } else {
                let u = fields.nth(ucol);
                (fields.nth(pcol - ucol - 1), u)
            };
            if let Some(p) = p.and_then(key_text)
                && !periods.contains(p)
            {
                periods.insert(p.to_string());
            }
            // Units met again after another: not grouped.
            if let Some(u) = u.and_then(key_text)
                && unit != Some(u)
            {
                grouped &= seen.insert(u);
                unit = Some(u);
            }
        }
    }
    if periods.is_empty() {
        return Ok(None);
    }
    let targets = (1..parts as u64).map(|i| header.start + len * i / parts as u64);
    let Some(cuts) = cuts(path, header, end, targets)? else {
        return Ok(None);
    };
    if cuts.len() < 3 {
        return Ok(None);
    }
    Ok(Some(Guess {
        periods: periods.into_iter().collect(),
        parts: cuts
            .windows(2)
            .map(|w| Part {
                start: w[0],
                end: w[1],
                line: 1,
            })
            .collect(),
        grouped,
    }))
}

/// Where the data is cut for parallel reading: the header's end, the first
/// unit start after each target, and the end. `None` when a cut cannot be
/// placed without a CSV parser. The targets are probed at once, on every
/// core (a few kB each); a unit longer than the space between two targets
/// makes two probes find the same start, and it is kept once.
fn cuts(
    path: &Path,
    header: &Header,
    end: u64,
    targets: impl Iterator<Item = u64>,
) -> io::Result<Option<Vec<u64>>> {
    use rayon::prelude::*;
    let targets: Vec<u64> = targets.collect();
    let probes: Vec<io::Result<Probe>> = targets
        .par_iter()
        .map(|&t| unit_start_after(path, t.max(header.start), end, header.layout.unit))
        .collect();
    let mut cuts = vec![header.start];
    for p in probes {
        match p? {
            Probe::At(c) if c > *cuts.last().expect("non-empty") && c < end => cuts.push(c),
            Probe::At(_) | Probe::None => {}
            Probe::NeedsParser => return Ok(None),
        }
    }
    cuts.push(end);
    Ok(Some(cuts))
}

/// What reading around a target offset found.
enum Probe {
    /// The offset of the first line at or after the target whose unit
    /// differs from the unit of the line before it (both valid, non-empty).
    At(u64),
    /// No such line before the end.
    None,
    /// Quotes or a lone `\r`: lines cannot be told apart without a parser.
    NeedsParser,
}

fn unit_start_after(path: &Path, from: u64, end: u64, ucol: usize) -> io::Result<Probe> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut file = file.take(end - from);
    let mut buf = Vec::new();
    // A unit's rows usually take a few kB: start small (a run probes many
    // cuts), and double while no new unit begins.
    let mut window = 1 << 13;
    let mut unit: Option<Vec<u8>> = None;
    // Offset (in `buf`) of the line being looked at; the first, partial,
    // line is skipped (`from` may fall inside it).
    let mut pos: Option<usize> = None;
    loop {
        let before = buf.len();
        (&mut file).take(window).read_to_end(&mut buf)?;
        let eof = buf.len() - before < window as usize;
        window *= 2;
        if memchr::memchr2(b'"', b'\r', &buf[before..]).is_some() {
            return Ok(Probe::NeedsParser);
        }
        let mut at = match pos {
            Some(p) => p,
            None => match memchr::memchr(b'\n', &buf) {
                Some(n) => n + 1,
                None if eof => return Ok(Probe::None),
                None => continue,
            },
        };
        // Each whole line (the last one too, at the end of the file).
        while let Some(n) = memchr::memchr(b'\n', &buf[at..])
            .map(|n| at + n)
            .or(eof.then_some(buf.len()))
        {
            if n == at && n == buf.len() {
                return Ok(Probe::None);
            }
            let text = &buf[at..n];
            if let Some(u) = text.split(|&c| c == b',').nth(ucol).and_then(key_text) {
                match &unit {
                    Some(prev) if prev.as_slice() != u.as_bytes() => {
                        return Ok(Probe::At(from + at as u64));
                    }
                    Some(_) => {}
                    None => unit = Some(u.as_bytes().to_vec()),
                }
            }
            at = n + 1;
            if at > buf.len() {
                return Ok(Probe::None);
            }
        }
        if eof {
            return Ok(Probe::None);
        }
        pos = Some(at);
    }
}

/// Stretches of a file grouped by period, for each to be read apart.
#[derive(Debug)]
pub struct PeriodBlocks {
    /// In file order: each run of a period, or pieces of it cut where
    /// units begin.
    pub stretches: Vec<Part>,
    /// Runs of a period in the file: when each period's rows are grouped
    /// by unit, a unit is in at most one stretch of each.
    pub runs: usize,
}

/// Where a file grouped by period changes period ([`PeriodBlocks`]). The
/// period of each part's first line is looked at, and each change between
/// two parts is found to the line by bisection, which assumes one change
/// there. With fewer runs than `cores`, each run is cut where units begin
/// into as many stretches as make one per core.
///
/// `None` when fewer than two runs are found or they cannot be read at
/// once (more runs than cores, or runs of unequal size), when a period
/// comes back after another (rows not grouped by period), or when lines
/// cannot be told apart without a parser (a quote). The stretches number their
/// lines from 1, as a guess's parts do (their place in the file is not
/// known): their problems are not reported, the file is read again.
/// Reading checks every row, and a stretch cut anywhere but at a change of
/// period only fails the attempt.
pub fn period_blocks(
    path: &Path,
    header: &Header,
    parts: &[Part],
    cores: usize,
) -> io::Result<Option<PeriodBlocks>> {
    let pcol = header.layout.period.expect("CSV has a period column");
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return Ok(None);
    };
    let end = last.end;
    let mut lines = Lines {
        file: File::open(path)?,
        buf: Vec::new(),
        end,
    };
    let mut periods = Vec::with_capacity(parts.len());
    for p in parts {
        match lines.period(p.start, pcol)? {
            Some(period) => periods.push(period),
            None => return Ok(None),
        }
    }
    let mut met = HashSet::from([periods[0].as_str()]);
    let mut runs = 1;
    for pair in periods.windows(2).filter(|p| p[0] != p[1]) {
        if !met.insert(pair[1].as_str()) {
            return Ok(None); // a period again after another
        }
        runs += 1;
    }
    // Every stretch must be read at once for units to be whole as they
    // are read: as many as cores, of about one size (below). More runs
    // than cores (four quarters on two), or runs of unequal size (a
    // quarter with a fifth of the units), and the reading in stretches
    // joined at the end is faster (1.18x and 1.11x its time, measured).
    if runs < 2 || cores < runs || !cores.is_multiple_of(runs) {
        return Ok(None);
    }
    let mut cuts = vec![first.start];
    for (i, pair) in periods.windows(2).enumerate() {
        if pair[0] == pair[1] {
            continue;
        }
        // `lo` starts a line of the earlier period; `hi` one of another.
        let (mut lo, mut hi) = (parts[i].start, parts[i + 1].start);
        loop {
            let mid = lo + (hi - lo) / 2;
            let next = match lines.line_start(mid.max(lo + 1), hi)? {
                Some(m) => Some(m),
                None => lines.line_start(lo + 1, hi)?,
            };
            let Some(m) = next else {
                break; // `hi` is the line after `lo`
            };
            match lines.period(m, pcol)? {
                Some(p) if p == pair[0] => lo = m,
                Some(_) => hi = m,
                None => return Ok(None),
            }
        }
        cuts.push(hi);
    }
    cuts.push(end);
    let whole = (end - first.start) as f64;
    let even = cuts
        .windows(2)
        .all(|c| ((c[1] - c[0]) as f64 * runs as f64 / whole - 1.0).abs() <= 0.25);
    if !even {
        return Ok(None);
    }
    let pieces = (cores / runs) as u64;
    let mut stretches = Vec::with_capacity(cores);
    for run in cuts.windows(2) {
        let (from, to) = (run[0], run[1]);
        let mut start = from;
        for i in 1..pieces {
            let target = from + (to - from) * i / pieces;
            match unit_start_after(path, target.max(start), to, header.layout.unit)? {
                Probe::At(c) if c > start && c < to => {
                    stretches.push(Part {
                        start,
                        end: c,
                        line: 1,
                    });
                    start = c;
                }
                Probe::At(_) | Probe::None => {}
                Probe::NeedsParser => return Ok(None),
            }
        }
        stretches.push(Part {
            start,
            end: to,
            line: 1,
        });
    }
    Ok(Some(PeriodBlocks { stretches, runs }))
}

/// Lines of a file looked at one by one, where a part cut at line starts
/// (found without a parser) ends at `end`.
struct Lines {
    file: File,
    buf: Vec<u8>,
    end: u64,
}

impl Lines {
    /// Up to `len` bytes from `at` (fewer at `end`) into `buf`.
    fn read(&mut self, at: u64, len: u64) -> io::Result<()> {
        self.buf.clear();
        self.file.seek(SeekFrom::Start(at))?;
        (&mut self.file)
            .take(len.min(self.end.saturating_sub(at)))
            .read_to_end(&mut self.buf)?;
        Ok(())
    }

    /// The first line start in `from..before` (`from` > 0).
    fn line_start(&mut self, from: u64, before: u64) -> io::Result<Option<u64>> {
        let mut at = from - 1;
        while at + 1 < before {
            self.read(at, 4096)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
            if let Some(n) = memchr::memchr(b'\n', &self.buf) {
                let start = at + n as u64 + 1;
                return Ok((start < before).then_some(start));
            }
            at += self.buf.len() as u64;
        }
        Ok(None)
    }

    /// The period field of the line starting at `at`, trimmed; `None`
    /// when it is empty or not UTF-8, or the line has a quote.
    fn period(&mut self, at: u64, pcol: usize) -> io::Result<Option<String>> {
        let mut len = 256;
        loop {
            self.read(at, len)?;
            let whole = at + (self.buf.len() as u64) >= self.end;
            let line = match memchr::memchr(b'\n', &self.buf) {
                Some(n) => &self.buf[..n],
                None if whole => &self.buf[..],
                None => {
                    len *= 2;
                    continue;
                }
            };
            if memchr::memchr(b'"', line).is_some() {
                return Ok(None);
            }
            return Ok(line
                .split(|&c| c == b',')
                .nth(pcol)
                .and_then(key_text)
                .map(str::to_string));
        }
    }
}

/// Scans the lines of `range` (start, end, number of its first line).
/// Also gives the number of lines it read. `None` when the file needs a
/// real CSV parser (quotes, lone `\r`).
fn fast_scan(
    path: &Path,
    (start, end, first_line): (u64, u64, u64),
    pcol: usize,
    ucol: usize,
    targets: Vec<u64>,
) -> io::Result<Option<(ScanState, u64)>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut file = file.take(end - start);
    let mut st = ScanState::new(targets);
    let mut buf = vec![0u8; 1 << 20];
    let mut filled = 0;
    // File offset of buf[0], and the number of the line starting there.
    let mut base = start;
    let mut line = first_line;
    let want = pcol.max(ucol);
    // Fields `pcol` and `ucol` of one line (lines are short: a plain loop
    // beats a memchr call per comma).
    let mut prefix: Vec<u8> = Vec::new();
    // Also returns the length up to and including the comma after both
    // fields (0 when the line has no such comma).
    let fields = |text: &[u8]| -> (usize, usize, usize, usize, usize) {
        let (mut ps, mut pe, mut us, mut ue) = (0, 0, 0, 0);
        let (mut idx, mut from) = (0, 0);
        for (i, &c) in text.iter().enumerate() {
            if c == b',' {
                if idx == pcol {
                    (ps, pe) = (from, i);
                }
                if idx == ucol {
                    (us, ue) = (from, i);
                }
                if idx == want {
                    return (ps, pe, us, ue, i + 1);
                }
                idx += 1;
                from = i + 1;
            }
        }
        if idx == pcol {
            (ps, pe) = (from, text.len());
        }
        if idx == ucol {
            (us, ue) = (from, text.len());
        }
        (ps, pe, us, ue, 0)
    };
    loop {
        let n = file.read(&mut buf[filled..])?;
        if memchr::memchr(b'"', &buf[filled..filled + n]).is_some() {
            return Ok(None);
        }
        filled += n;
        let eof = n == 0;
        let mut pos = 0;
        let mut lines = memchr::memchr_iter(b'\n', &buf[..filled]);
        loop {
            let end = match lines.next() {
                Some(e) => e,
                None if eof && pos < filled => filled,
                None => break,
            };
            let raw = &buf[pos..end];
            let text = raw.strip_suffix(b"\r").unwrap_or(raw);
            // Same period and unit as the line before (the usual case):
            // the line starts with the bytes up to the comma after both.
            let repeat = !prefix.is_empty()
                && text.len() > prefix.len()
                && same(&text[..prefix.len()], &prefix);
            if !text.is_empty() && !repeat {
                let (ps, pe, us, ue, cut) = fields(text);
                st.row(&text[ps..pe], &text[us..ue], base + pos as u64, line);
                prefix.clear();
                prefix.extend_from_slice(&text[..cut]);
            }
            pos = (end + 1).min(filled);
            line += 1;
        }
        // A `\r` that does not end a line is a line break to the csv crate.
        let done = &buf[..pos];
        if memchr::memchr_iter(b'\r', done)
            .any(|r| done.get(r + 1) != Some(&b'\n') && r + 1 != filled)
        {
            return Ok(None);
        }
        if eof {
            break;
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
        base += pos as u64;
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
    }
    Ok(Some((st, line - first_line)))
}

/// The main pass over one part: every row into the collector. Grouped
/// collectors hand out each unit as the next begins, through `on_unit`
/// (with whether every row so far was good);
/// `progress` gets the bytes read since its last call now and then.
///
/// Gives the number of lines read. A speculating collector (see
/// [`guess`]) is spoiled as well when the part holds a quote, and reading
/// stops once it is spoiled.
pub fn read(
    path: &Path,
    layout: &Layout,
    part: Part,
    collector: &mut Collector,
    on_unit: &mut dyn FnMut(UnitBlock, bool),
    progress: &dyn Fn(u64),
) -> io::Result<u64> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(part.start))?;
    let quoted = std::cell::Cell::new(false);
    let watch = Watch {
        inner: file.take(part.end - part.start),
        on: collector.speculating(),
        quoted: &quoted,
    };
    let mut rdr = reader_builder().from_reader(watch);
    // Byte records checked as UTF-8 here, once per record instead of once
    // per field (`csv::StringRecord`), with the same error for bad bytes.
    let mut rec = csv::ByteRecord::new();
    let width = layout.names.len();
    let pcol = layout.period.expect("CSV has a period column");
    let (mut n, mut reported) = (0u64, 0u64);
    // Rows without notes, targets or baselines can take `Collector::quick`.
    let plain = layout.note.is_none() && layout.target.is_none() && layout.baseline.is_none();
    // Positions are relative to the part; messages use the file's.
    let here = |p: &csv::Position| (part.line + p.line() - 1, part.start + p.byte());
    let relocate = |d: DataError| relocate(d, part.line - 1, part.start);
    loop {
        if collector.spoiled() || quoted.get() {
            break;
        }
        // `csv` reports bad UTF-8 at where the reader was before the record
        // (before any blank lines it skips).
        let before = rdr.position().clone();
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let d = csv_error(e)?;
                collector.errors.push(relocate(d));
                continue;
            }
        }
        // The usual row, kept at once (see `Collector::quick`).
        let quick = plain
            && rec.len() == width
            && collector.quick(
                &rec[pcol],
                &rec[layout.unit],
                &rec[layout.id],
                &rec[layout.value],
            );
        if !quick {
            // The record's fields are stored without their commas: the
            // whole can be UTF-8 while a comma cut a character in two
            // (`d5 2c ae` joins into `ծ`), so every field must also begin
            // and end on a character boundary.
            let text = std::str::from_utf8(rec.as_slice()).ok().filter(|t| {
                (0..rec.len()).all(|i| {
                    rec.range(i)
                        .is_some_and(|r| t.is_char_boundary(r.start) && t.is_char_boundary(r.end))
                })
            });
            let Some(text) = text else {
                let field = (0..rec.len())
                    .find(|&i| std::str::from_utf8(&rec[i]).is_err())
                    .unwrap_or(0);
                let d = not_utf8(before.line(), before.byte(), field);
                collector.errors.push(relocate(d));
                continue;
            };
            let field = |i: usize| rec.range(i).and_then(|r| text.get(r));
            let (line, byte) = here(rec.position().expect("records have positions"));
            let at = move |field: usize| At::Csv { line, byte, field };
            let cell = |i: usize| field(i).map_or(Cell::Empty, Cell::Text);
            // Fields beyond the header's width are only trouble when they
            // hold something (a trailing comma is common); a missing field
            // always is: its column would silently read as empty.
            let extra = if rec.len() < layout.fields() {
                Some(rec.len() as isize - layout.fields() as isize)
            } else {
                let filled = (width..rec.len())
                    .filter(|&i| field(i).is_some_and(|f| !f.trim().is_empty()))
                    .count();
                (filled > 0).then(|| (rec.len() - width) as isize)
            };
            let row = Row {
                period: cell(pcol),
                unit: cell(layout.unit),
                id: cell(layout.id),
                value: cell(layout.value),
                note: layout.note.map_or(Cell::Empty, cell),
                target: layout.target.map_or(Cell::Empty, cell),
                baseline: layout.baseline.map_or(Cell::Empty, cell),
                at: &at,
                period_col: pcol,
                extra,
            };
            if let Some(done) = collector.before_row(&row.unit) {
                on_unit(done, collector.errors.is_empty());
            }
            collector.row(&row, layout);
        }
        n += 1;
        if n % 16_384 == 0 {
            let byte = rec.position().expect("records have positions").byte();
            progress(byte - reported);
            reported = byte;
        }
    }
    progress(part.end - part.start - reported);
    if quoted.get() {
        collector.spoil();
    }
    Ok(rdr.position().line() - 1)
}

/// A reader that notes whether a quote went through it (when `on`): a
/// quoted field may hold line breaks, and then a part cut at a line start
/// found without a parser may begin inside it.
struct Watch<'a, R> {
    inner: R,
    on: bool,
    quoted: &'a std::cell::Cell<bool>,
}

impl<R: Read> Read for Watch<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.on && !self.quoted.get() && memchr::memchr(b'"', &buf[..n]).is_some() {
            self.quoted.set(true);
        }
        Ok(n)
    }
}

/// Moves a problem found in a part of the file to where it is in the file:
/// `lines` lines and `bytes` bytes further (its message too).
pub fn relocate(mut d: DataError, lines: u64, bytes: u64) -> DataError {
    if let At::Csv { line, byte, .. } = &mut d.at {
        let (l, b) = (*line + lines, *byte + bytes);
        d.message = d
            .message
            .replacen(&format!("row {line}"), &format!("row {l}"), 1);
        (*line, *byte) = (l, b);
    }
    d
}

/// The first row of each duplicated `(period, unit, id)`, for messages:
/// the byte where it starts.
pub fn first_rows(
    text: &str,
    layout: &Layout,
    keys: &HashSet<(String, String, String)>,
) -> HashMap<(String, String, String), u64> {
    let mut found = HashMap::new();
    let mut rdr = reader_builder().from_reader(text.as_bytes());
    let pcol = layout.period.expect("CSV has a period column");
    let mut rec = csv::StringRecord::new();
    let mut first = true;
    while let Ok(more) = rdr.read_record(&mut rec) {
        if !more {
            break;
        }
        if std::mem::take(&mut first) {
            continue; // the header
        }
        let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let key = (get(pcol), get(layout.unit), get(layout.id));
        if keys.contains(&key) && !found.contains_key(&key) {
            found.insert(key, rec.position().map_or(0, |p| p.byte()));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        f
    }

    fn scan_text(text: &str) -> (Option<Scan>, Scan) {
        let f = write(text);
        let h = header(f.path()).unwrap().unwrap();
        let end = text.len() as u64;
        let fast = fast_scan(
            f.path(),
            (h.start, end, h.line),
            h.layout.period.unwrap(),
            h.layout.unit,
            vec![],
        )
        .unwrap()
        .map(|(st, _)| st.finish(&h, end));
        let mut full = scan(f.path(), &h, 1).unwrap();
        full.periods.sort();
        (
            fast.map(|mut s| {
                s.periods.sort();
                s
            }),
            full,
        )
    }

    #[test]
    fn scans_agree() {
        let text = "period,unit,id,value\n2026-Q1,a,x,1\n2026-Q2, a ,x,1\r\n\n2026-Q1,b,x,1\n2026-Q2,,x,1\n2026-Q2,b,x,2";
        let (fast, full) = scan_text(text);
        assert_eq!(fast.as_ref(), Some(&full));
        assert_eq!(full.periods, ["2026-Q1", "2026-Q2"]);
        assert!(full.grouped);
        let (fast, full) = scan_text("period,unit,id,value\np,a,x,1\np,b,x,1\np,a,y,1\n");
        assert_eq!(fast.as_ref(), Some(&full));
        assert!(!full.grouped);
        // Quotes need the real parser: a quoted comma is not a separator.
        let (fast, full) =
            scan_text("period,unit,id,value\np,\"a,b\",x,1\np,\"a,c\",x,1\np,\"a,b\",x,1\n");
        assert_eq!(fast, None);
        assert!(!full.grouped);
    }

    #[test]
    fn header_position() {
        let f = write("\u{feff}period,unit,id,value\r\np,a,x,1\r\n");
        let h = header(f.path()).unwrap().unwrap();
        assert_eq!((h.layout.period, h.start, h.line), (Some(0), 25, 2));
        let f = write("\"period\",\"unit\",id,value\np,a,x,1\n");
        let h = header(f.path()).unwrap().unwrap();
        assert_eq!((h.start, h.line), (25, 2));
    }

    /// The parallel first pass agrees with the sequential one, and cuts
    /// the file where units begin, with the right line numbers.
    #[test]
    fn parallel_scan_agrees() {
        let cases: Vec<String> = vec![
            // Grouped; a unit with an empty-unit row at its end; no final newline.
            (0..300)
                .map(|u| {
                    let mut s = String::new();
                    for i in 0..(3 + u % 7) {
                        let p = if i % 2 == 0 { "2026-Q1" } else { "2026-Q2" };
                        s.push_str(&format!("{p},unit{u},x{i},1\n"));
                    }
                    if u % 50 == 0 {
                        s.push_str("2026-Q3, ,x,1\n\n");
                    }
                    s
                })
                .collect::<String>()
                .trim_end()
                .to_string(),
            // Not grouped: unit 7 comes back near the end.
            (0..300)
                .map(|u| format!("p,unit{},x,1\n", if u == 290 { 7 } else { u }))
                .collect(),
        ];
        for body in cases {
            let text = format!("period,unit,id,value\n{body}");
            let f = write(&text);
            let h = header(f.path()).unwrap().unwrap();
            let end = text.len() as u64;
            let range = (h.start, end, h.line);
            let (seq, _) = fast_scan(f.path(), range, 0, 1, vec![]).unwrap().unwrap();
            let mut seq = seq.finish(&h, end);
            let targets: Vec<u64> = (1..6).map(|i| h.start + (end - h.start) * i / 6).collect();
            let mut par = parallel_scan(f.path(), &h, end, &targets).unwrap().unwrap();
            seq.periods.sort();
            par.periods.sort();
            assert_eq!((&par.periods, par.grouped), (&seq.periods, seq.grouped));
            // Interleaved units are read in the same parts, joined after.
            assert!(par.parts.len() > 3, "{:?}", par.parts);
            assert_eq!(par.parts[0].start, h.start);
            assert_eq!(par.parts.last().unwrap().end, end);
            for w in par.parts.windows(2) {
                assert_eq!(w[0].end, w[1].start);
                let (before, at) = (&text[..w[1].start as usize], &text[w[1].start as usize..]);
                assert!(before.ends_with('\n'), "cut at a line start");
                assert_eq!(w[1].line as usize, 1 + before.matches('\n').count());
                if !par.grouped {
                    continue;
                }
                let unit = |l: &str| l.split(',').nth(1).unwrap_or("").trim().to_string();
                let last = before
                    .lines()
                    .rev()
                    .map(unit)
                    .find(|u| !u.is_empty())
                    .unwrap();
                assert_ne!(
                    unit(at.lines().next().unwrap()),
                    last,
                    "cut where a unit begins"
                );
                assert_eq!(w[1].line as usize, 1 + before.matches('\n').count());
            }
        }
        // Quotes need the real parser.
        let text = "period,unit,id,value\np,\"a\",x,1\np,b,x,1\n";
        let f = write(text);
        let h = header(f.path()).unwrap().unwrap();
        let end = text.len() as u64;
        assert!(
            parallel_scan(f.path(), &h, end, &[25, 30])
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn parts_start_at_units() {
        let mut text = String::from("period,unit,id,value\n");
        for u in 0..10 {
            for i in 0..5 {
                text.push_str(&format!("p,unit{u},x{i},1\n"));
            }
        }
        let f = write(&text);
        let h = header(f.path()).unwrap().unwrap();
        let s = scan(f.path(), &h, 3).unwrap();
        assert_eq!(s.parts.len(), 3);
        tile(&text, &h, &s.parts, |row| {
            row.starts_with("p,unit") && row.ends_with("x0,1")
        });
        for p in &s.parts[1..] {
            assert_eq!(
                p.line as usize,
                1 + text[..p.start as usize].matches('\n').count()
            );
        }
    }

    /// A unit longer than the space between targets: the probes after it
    /// find its end again, and each cut is kept once, in order.
    #[test]
    fn long_units_give_each_cut_once() {
        let mut text = String::from("period,unit,id,value\n");
        for (u, rows) in [(0, 5), (1, 200), (2, 5), (3, 5), (4, 200), (5, 5)] {
            for i in 0..rows {
                text.push_str(&format!("p,unit{u},x{i},1\n"));
            }
        }
        let f = write(&text);
        let h = header(f.path()).unwrap().unwrap();
        let end = text.len() as u64;
        let targets = (1..40u64).map(|i| h.start + (end - h.start) * i / 40);
        let cuts = cuts(f.path(), &h, end, targets).unwrap().unwrap();
        assert!(cuts.windows(2).all(|w| w[0] < w[1]), "{cuts:?}");
        let parts: Vec<Part> = cuts
            .windows(2)
            .map(|w| Part {
                start: w[0],
                end: w[1],
                line: 1,
            })
            .collect();
        tile(&text, &h, &parts, |row| row.ends_with(",x0,1"));
        // The units after the long ones begin parts.
        for u in ["p,unit2,x0,", "p,unit5,x0,"] {
            let at = text.find(u).unwrap() as u64;
            assert!(cuts.contains(&at), "{u} at {at}: {cuts:?}");
        }
    }

    /// `parts` cover the data of `text` end to end, one after another, and
    /// each but the first begins at a line for which `first_row` holds.
    fn tile(text: &str, h: &Header, parts: &[Part], first_row: impl Fn(&str) -> bool) {
        assert_eq!(parts[0].start, h.start);
        assert_eq!(parts.last().unwrap().end, text.len() as u64);
        for w in parts.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            let at = &text[w[1].start as usize..];
            assert!(first_row(&at[..at.find('\n').unwrap()]), "{at}");
        }
    }

    #[test]
    fn guesses_take_periods_from_both_ends() {
        // 4,000 units of 6 rows: Q1 and Q2 near the start, Q3 only in the
        // last units, Q9 only in the middle (what reading must catch).
        let mut text = String::from("period,unit,id,value\n");
        for u in 0..4000 {
            for i in 0..6 {
                let p = match (u, i % 2) {
                    (2000, _) => "2026-Q9",
                    (3990.., _) => "2026-Q3",
                    (_, 0) => "2026-Q1",
                    _ => "2026-Q2",
                };
                text.push_str(&format!("{p},unit{u:04},x{i},1\n"));
            }
        }
        let f = write(&text);
        let h = header(f.path()).unwrap().unwrap();
        let g = guess(f.path(), &h, 6).unwrap().expect("a grouped file");
        let mut periods = g.periods.clone();
        periods.sort();
        assert_eq!(periods, ["2026-Q1", "2026-Q2", "2026-Q3"]);
        assert_eq!(g.parts.len(), 6);
        tile(&text, &h, &g.parts, |row| {
            row.starts_with("2026-Q") && row.contains(",x0,")
        });
        assert!(
            g.parts.iter().all(|p| p.line == 1),
            "lines count from 1 in each part"
        );

        assert!(g.grouped);

        // No guess: too small to split, or quotes in the sample.
        let small = write("period,unit,id,value\np,a,x,1\n");
        let hs = header(small.path()).unwrap().unwrap();
        assert_eq!(guess(small.path(), &hs, 6).unwrap(), None);
        let f = write(&text.replacen(",unit0001,x3,", ",\"unit0001\",x3,", 1));
        assert_eq!(guess(f.path(), &h, 6).unwrap(), None);
        // A unit met again in the sample: a guess, not grouped.
        let f = write(&text.replacen("2026-Q2,unit0002,x5,1", "2026-Q2,unit0000,x5,1", 1));
        let g = guess(f.path(), &h, 6).unwrap().expect("a guess");
        assert!(!g.grouped);
    }

    /// `period_blocks` cuts a file grouped by period where each period
    /// begins, to the line, wherever the parts it is given begin; into as
    /// many stretches as cores; and gives up where the file cannot be read
    /// a period per core.
    #[test]
    fn period_blocks_cut_where_periods_begin() {
        // Periods of `units` units each, three rows a unit: the text and
        // where each period begins.
        let file = |periods: &[(&str, usize)]| {
            let mut text = String::from("period,unit,id,value\n");
            let mut starts = Vec::new();
            for &(p, units) in periods {
                starts.push(text.len() as u64);
                for u in 0..units {
                    for id in ["a", "bb", "ccc"] {
                        text.push_str(&format!("{p},u{u:03},{id},1.{u}\n"));
                    }
                }
            }
            (text, starts)
        };
        // Parts beginning at every `every`th line, as a scan cuts them.
        let parts = |text: &str, start: u64, every: usize| -> Vec<Part> {
            let end = text.len() as u64;
            let cuts: Vec<u64> = std::iter::once(start)
                .chain(text.match_indices('\n').map(|(i, _)| i as u64 + 1))
                .filter(|&i| i >= start && i < end)
                .step_by(every)
                .chain([end])
                .collect();
            cuts.windows(2)
                .map(|c| Part {
                    start: c[0],
                    end: c[1],
                    line: 1,
                })
                .collect()
        };
        let unit = |line: &str| line.split(',').nth(1).map(str::to_string);

        let (text, starts) = file(&[("2026-Q1", 60), ("2026-Q2", 60)]);
        let f = write(&text);
        let h = header(f.path()).unwrap().unwrap();
        let end = text.len() as u64;
        for every in [7, 50, 179] {
            let ps = parts(&text, h.start, every);
            let b = period_blocks(f.path(), &h, &ps, 2)
                .unwrap()
                .expect("two periods on two cores");
            assert_eq!(b.runs, 2);
            let got: Vec<(u64, u64)> = b.stretches.iter().map(|p| (p.start, p.end)).collect();
            assert_eq!(
                got,
                [(starts[0], starts[1]), (starts[1], end)],
                "every {every}"
            );
            // On four cores, each period in two, cut where a unit begins.
            let b = period_blocks(f.path(), &h, &ps, 4).unwrap().unwrap();
            assert_eq!(b.stretches.len(), 4, "every {every}");
            for s in &b.stretches[1..] {
                let (before, after) = text.split_at(s.start as usize);
                let last = before.trim_end_matches('\n').rsplit('\n').next();
                assert_ne!(
                    unit(after.lines().next().unwrap()),
                    last.and_then(unit),
                    "{s:?}"
                );
            }
        }
        // Three cores for two periods, one core, one part.
        let ps = parts(&text, h.start, 7);
        assert!(period_blocks(f.path(), &h, &ps, 3).unwrap().is_none());
        assert!(period_blocks(f.path(), &h, &ps, 1).unwrap().is_none());
        let one = parts(&text, h.start, 1000);
        assert!(period_blocks(f.path(), &h, &one, 2).unwrap().is_none());

        // A first period a third the size of the second.
        let (short, _) = file(&[("2026-Q1", 20), ("2026-Q2", 60)]);
        let fs = write(&short);
        let ps = parts(&short, h.start, 7);
        assert!(period_blocks(fs.path(), &h, &ps, 2).unwrap().is_none());
        // A period met again after another.
        let (again, _) = file(&[("2026-Q1", 40), ("2026-Q2", 40), ("2026-Q1", 40)]);
        let fa = write(&again);
        let ps = parts(&again, h.start, 7);
        assert!(period_blocks(fa.path(), &h, &ps, 2).unwrap().is_none());
        // A quote: lines cannot be told apart without a parser.
        let quoted = text.replacen("2026-Q2,u000,a,", "\"2026-Q2\",u000,a,", 1);
        let fq = write(&quoted);
        let ps = parts(&quoted, h.start, 7);
        assert!(period_blocks(fq.path(), &h, &ps, 2).unwrap().is_none());
    }
}
