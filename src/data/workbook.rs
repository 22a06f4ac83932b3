//! Workbooks (`.xlsx`, also `.xlsm`, `.xlsb`, `.xls`, `.ods`) in the long
//! layout: every sheet has a header row `period,unit,id,value[,note]`, or
//! `unit,id,value[,note]` when the sheet's name is its period (a sheet per
//! period). Workbooks are read whole (calamine) and feed the same
//! [`Collector`] as long CSV; problems name the sheet and cell.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;
use std::sync::Arc;

use calamine::{Data, Range, Reader};

use super::rows::{At, Cell, Collector, DataError, Layout, Row};

/// One sheet with its header read.
pub struct Sheet {
    pub name: Arc<str>,
    range: Range<Data>,
    pub layout: Layout,
    /// Index (within the range) of the first data row.
    first_data: usize,
}

/// The sheets of a workbook that hold data (empty sheets are skipped).
pub struct Book {
    pub sheets: Vec<Sheet>,
}

fn error(at: At, message: String, label: &str, hint: Option<String>) -> DataError {
    DataError {
        at,
        code: "E036",
        message,
        label: label.into(),
        hint,
        duplicate: None,
    }
}

/// Opens a workbook. `Err` only for I/O (unreadable file); a file that is
/// not a workbook, or a sheet without a proper header, is a data error.
pub fn open(path: &Path) -> io::Result<Result<Book, Vec<DataError>>> {
    std::fs::File::open(path)?;
    let checked = match inflation(path) {
        Ok(plain) => parsed_refs(path, &plain),
        Err(e) => Some(*e),
    };
    if let Some(e) = checked {
        return Ok(Err(vec![e]));
    }
    let mut wb = match calamine::open_workbook_auto(path) {
        Ok(wb) => wb,
        Err(e) => {
            return Ok(Err(vec![error(
                At::File,
                format!("the file cannot be read as a workbook: {e}"),
                "not a workbook",
                Some("save it as .xlsx, or export the sheet as CSV".into()),
            )]));
        }
    };
    let mut sheets = Vec::new();
    let mut errors = Vec::new();
    for name in wb.sheet_names() {
        let sheet: Arc<str> = Arc::from(name.as_str());
        let range = match read_sheet(&mut wb, &name) {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                errors.push(e);
                continue;
            }
            Err(e) => {
                errors.push(error(
                    At::Sheet(sheet.clone()),
                    format!("sheet `{sheet}` cannot be read: {e}"),
                    "unreadable",
                    None,
                ));
                continue;
            }
        };
        let Some((r0, c0)) = range.start() else {
            continue;
        };
        let Some(h) = range.rows().position(|r| r.iter().any(|c| !is_blank(c))) else {
            continue;
        };
        let cells: Vec<String> = range
            .rows()
            .nth(h)
            .expect("found")
            .iter()
            .map(|c| c.to_string())
            .collect();
        match Layout::from_header(&cells, false) {
            Ok(layout) => sheets.push(Sheet {
                name: sheet,
                range,
                layout,
                first_data: h + 1,
            }),
            Err(errs) => {
                for (col, message, hint) in errs {
                    let at = match col {
                        Some(c) => At::Cell {
                            sheet: sheet.clone(),
                            row: r0 + h as u32,
                            col: c0 + c as u32,
                        },
                        None => At::Sheet(sheet.clone()),
                    };
                    let where_ = match &at {
                        At::Cell { .. } => at.describe(""),
                        _ => format!("sheet `{sheet}`, header row {}", r0 as usize + h + 1),
                    };
                    errors.push(error(at, format!("{where_}: {message}"), "header", hint));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    if sheets.is_empty() {
        return Ok(Err(vec![error(
            At::File,
            "the workbook has no data: every sheet is empty".into(),
            "empty",
            Some("put a header row `period,unit,id,value` and one row per value on a sheet".into()),
        )]));
    }
    Ok(Ok(Book { sheets }))
}

/// Parts of a zip-based workbook may inflate to this many bytes at most...
const MAX_PART: u64 = 1 << 30;
/// ...and beyond this size, to at most [`MAX_RATIO`] times their
/// compressed size: sheets of real data compress about 10 to 30 times,
/// a run of blanks a thousand times.
const BIG_PART: u64 = 64 << 20;
const MAX_RATIO: u64 = 256;

/// The refusal of a zip-based workbook (.xlsx, .xlsm, .xlsb, .ods) with a
/// part that inflates to an absurd size, before calamine holds it. Each
/// part is inflated into a small buffer and counted, not trusting the
/// sizes that the zip declares. Not a zip: calamine says what it is.
///
/// Each XML part is also scanned for references ([`RefScan`]); `Ok` holds
/// the names of the parts found to be plain markup ([`Markup`]; every
/// entry of the name, should the zip hold two), which [`parsed_refs`]
/// need not parse again.
fn inflation(path: &Path) -> Result<HashSet<String>, Box<DataError>> {
    let mut plain: HashMap<String, bool> = HashMap::new();
    let Ok(mut zip) = std::fs::File::open(path)
        .map_err(zip::result::ZipError::Io)
        .and_then(|f| zip::ZipArchive::new(io::BufReader::new(f)))
    else {
        return Ok(HashSet::new());
    };
    let mut buf = vec![0u8; 1 << 16];
    for i in 0..zip.len() {
        let Ok(mut part) = zip.by_index(i) else {
            continue;
        };
        let limit = MAX_PART.min(BIG_PART.max(part.compressed_size().saturating_mul(MAX_RATIO)));
        let mut n: u64 = 0;
        let mut refs = part
            .name()
            .is_ok_and(|n| n.ends_with(".xml"))
            .then(RefScan::default);
        while let Ok(k @ 1..) = io::Read::read(&mut part, &mut buf) {
            if let Some(bad) = refs.as_mut().and_then(|r| r.feed(&buf[..k])) {
                let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
                drop(part);
                let what = match sheet_of_part(&mut zip, &name) {
                    Some(sheet) => format!("sheet `{sheet}`"),
                    None => format!("the part `{name}`"),
                };
                return Err(Box::new(no_such_cell(&what, &bad)));
            }
            n += k as u64;
            if n > limit {
                let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
                let compressed = part.compressed_size();
                drop(part);
                let what = match sheet_of_part(&mut zip, &name) {
                    Some(sheet) => format!("sheet `{sheet}` (stored as `{name}`)"),
                    None => format!("the part `{name}`"),
                };
                return Err(Box::new(DataError {
                    at: At::File,
                    code: "E081",
                    message: format!(
                        "{what} inflates to more than {} MB ({} bytes compressed): a compression bomb, or blank cells by the million",
                        limit >> 20,
                        compressed
                    ),
                    label: "too large".into(),
                    hint: Some(
                        "delete the blank rows and columns, or export the sheet as CSV".into(),
                    ),
                    duplicate: None,
                }));
            }
        }
        if let Ok(name) = part.name() {
            *plain.entry(name.into_owned()).or_insert(true) &= refs.is_some_and(|r| r.regular());
        }
    }
    Ok(plain
        .into_iter()
        .filter_map(|(n, p)| p.then_some(n))
        .collect())
}

/// Finds a cell reference (`r="..."`, `ref="A1:XFD9"`) that names no cell
/// of a worksheet: more than 3 column letters or 7 row digits, longer than
/// any reference, or a range that ends before it starts. The workbook
/// reader adds such digits up in 32 bits and subtracts corners unchecked,
/// so one would wrap around and put a value in some other cell (or, with
/// overflow checks, abort); it is refused before the reader sees it.
///
/// A small tokenizer, fed the part in chunks (a tag may straddle two):
/// attributes are read only inside tags, quoted either way, with or
/// without spaces around `=` and between attributes, so text that merely
/// looks like `r="..."` is not taken for one, and no reference slips by.
#[derive(Default)]
struct RefScan {
    /// Inside `<...>` (not a comment, declaration or CDATA).
    in_tag: bool,
    /// Inside `<!...>` or `<?...>`: skipped to its `>`.
    special: bool,
    /// Just after `<`: the next byte tells a tag from a special one.
    opened: bool,
    /// Inside an attribute value: its quote.
    quote: Option<u8>,
    /// The attribute name being read (its first bytes), and whether the
    /// next name byte starts a new one.
    name: [u8; 12],
    name_len: usize,
    fresh: bool,
    /// `r=` or `ref=` seen: the coming value is a reference.
    is_ref: bool,
    /// A reference value being read (the buffer is reused).
    in_value: bool,
    value: Vec<u8>,
    /// Where the bytes stand in the plain markup of [`Markup`]: a state of
    /// [`MARKUP`] (0, the default, is `Text`).
    markup: u8,
}

/// How far a part keeps to plain markup: text, and tags made of a name,
/// attributes `name="value"` (or `'value'`) each after whitespace, and
/// `>`, `/>` or (in `<?...?>`) `?>`. In such markup every quote opens or
/// closes a value, so the XML parser of the workbook reader pairs them as
/// [`RefScan`] does, ends each tag at the same `>` and meets no attribute
/// that the scan did not check: the part need not be parsed again. Any
/// other byte in a tag (a stray quote, `<!` of a comment, CDATA or DTD, a
/// name without value, a byte the part ends in) makes the part irregular,
/// and [`parsed_refs`] parses it.
#[derive(Default, Clone, Copy, PartialEq, Debug)]
enum Markup {
    #[default]
    Text,
    /// Just after `<`.
    Open,
    /// `<?` (a processing instruction, which ends in `?>`) or `</`.
    Marked {
        pi: bool,
    },
    /// In the tag's name; `pi`: it opened with `<?`; `end`: with `</`.
    Name {
        pi: bool,
        end: bool,
    },
    /// After whitespace in a tag.
    Space {
        pi: bool,
    },
    AttrName {
        pi: bool,
    },
    AfterAttrName {
        pi: bool,
    },
    AfterEq {
        pi: bool,
    },
    Value {
        pi: bool,
        quote: u8,
    },
    AfterValue {
        pi: bool,
    },
    /// After the `/` or `?` that closes a tag: `>` must follow.
    Closing,
    Irregular,
}

impl Markup {
    fn next(self, b: u8) -> Markup {
        use Markup::*;
        let name = |b: u8| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-') || b >= 0x80
        };
        let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        // What may end a tag of this kind, and into what.
        let close = |pi: bool, b: u8| match b {
            b'>' if !pi => Some(Text),
            b'/' if !pi => Some(Closing),
            b'?' if pi => Some(Closing),
            _ => None,
        };
        let irregular = |m: Option<Markup>| m.unwrap_or(Irregular);
        match self {
            Text if b == b'<' => Open,
            Text => Text,
            Open => match b {
                b'?' => Marked { pi: true },
                b'/' => Marked { pi: false },
                _ if name(b) => Name {
                    pi: false,
                    end: false,
                },
                _ => Irregular,
            },
            Marked { pi } if name(b) => Name { pi, end: !pi },
            Name { .. } if name(b) => self,
            Name { end: true, .. } if b == b'>' => Text,
            Name { pi, end: false } if space(b) => Space { pi },
            Name { pi, end: false } => irregular(close(pi, b)),
            Space { .. } if space(b) => self,
            Space { pi } if name(b) => AttrName { pi },
            Space { pi } => irregular(close(pi, b)),
            AttrName { .. } if name(b) => self,
            AttrName { pi } | AfterAttrName { pi } if space(b) => AfterAttrName { pi },
            AttrName { pi } | AfterAttrName { pi } if b == b'=' => AfterEq { pi },
            AfterEq { .. } if space(b) => self,
            AfterEq { pi } if matches!(b, b'"' | b'\'') => Value { pi, quote: b },
            Value { pi, quote } if b == quote => AfterValue { pi },
            Value { .. } if b == b'<' => Irregular,
            Value { .. } => self,
            AfterValue { pi } if space(b) => Space { pi },
            AfterValue { pi } => irregular(close(pi, b)),
            Closing if b == b'>' => Text,
            _ => Irregular,
        }
    }
}

/// [`Markup::next`] as a table, one row per state, a column per byte: the
/// scan steps once per byte of every part, and stepped as a match, `next`
/// was a third of the scan, the scan a fifth of a workbook's run. Built
/// from `next` itself by visiting every state it reaches from `Text`, so
/// the table is `next`, whatever `next` says.
struct MarkupTable {
    next: Vec<[u8; 256]>,
    /// The state of each row.
    states: Vec<Markup>,
}

static MARKUP: std::sync::LazyLock<MarkupTable> = std::sync::LazyLock::new(|| {
    let mut t = MarkupTable {
        next: Vec::new(),
        states: vec![Markup::Text],
    };
    while t.next.len() < t.states.len() {
        let from = t.states[t.next.len()];
        let mut row = [0u8; 256];
        for (b, to) in (0..=255u8).zip(&mut row) {
            let m = from.next(b);
            let i = match t.states.iter().position(|&s| s == m) {
                Some(i) => i,
                None => {
                    t.states.push(m);
                    t.states.len() - 1
                }
            };
            *to = u8::try_from(i).expect("fewer than 256 states");
        }
        t.next.push(row);
    }
    t
});

impl RefScan {
    /// Whether everything fed so far was plain markup, ending outside tags.
    fn regular(&self) -> bool {
        MARKUP.states[usize::from(self.markup)] == Markup::Text
    }

    fn feed(&mut self, chunk: &[u8]) -> Option<String> {
        let table = &*MARKUP;
        // The state in a local, not in `self`: in `self` it was stored
        // and loaded back on every byte, on top of the table's own load.
        let mut markup = self.markup;
        let mut i = 0;
        let found = loop {
            let Some(&b) = chunk.get(i) else {
                break None;
            };
            i += 1;
            // `Irregular` steps to itself on every byte.
            markup = table.next[usize::from(markup)][usize::from(b)];
            if let Some(q) = self.quote {
                if b == q {
                    self.quote = None;
                    self.fresh = true;
                    if std::mem::take(&mut self.in_value)
                        && let Some(bad) = bad_reference(&self.value)
                    {
                        break Some(bad);
                    }
                } else if self.in_value {
                    self.value.push(b);
                    if self.value.len() > 64 {
                        // No reference of a worksheet is this long,
                        // whatever it holds: the reader would add it up.
                        let cell = String::from_utf8_lossy(&self.value[..24]).into_owned();
                        self.in_value = false;
                        break Some(format!("{cell}…"));
                    }
                }
                continue;
            }
            if !self.in_tag {
                if b == b'<' {
                    (self.in_tag, self.opened, self.special) = (true, true, false);
                    (self.is_ref, self.fresh) = (false, true);
                    self.name_len = 0;
                } else if matches!(
                    table.states[usize::from(markup)],
                    Markup::Text | Markup::Irregular
                ) {
                    // Text, to the next tag: neither state changes on the way.
                    i = memchr::memchr(b'<', &chunk[i..]).map_or(chunk.len(), |k| i + k);
                }
                continue;
            }
            if std::mem::take(&mut self.opened) && matches!(b, b'!' | b'?') {
                self.special = true;
            }
            if self.special {
                self.in_tag = b != b'>';
                continue;
            }
            match b {
                b'>' => self.in_tag = false,
                b'"' | b'\'' => {
                    self.quote = Some(b);
                    self.in_value = std::mem::take(&mut self.is_ref);
                    self.value.clear();
                }
                b'=' => {
                    let name = &self.name[..self.name_len];
                    self.is_ref = name == b"r" || name == b"ref";
                    self.fresh = true;
                }
                b' ' | b'\t' | b'\n' | b'\r' => self.fresh = true,
                _ => {
                    if std::mem::take(&mut self.fresh) {
                        self.name_len = 0;
                        self.is_ref = false;
                    }
                    if let Some(n) = self.name.get_mut(self.name_len) {
                        *n = b;
                        self.name_len += 1;
                    }
                }
            }
        };
        self.markup = markup;
        found
    }
}

/// [`RefScan`]'s check once more, on the attributes as the XML parser
/// that the workbook reader uses reads them: malformed markup (a stray
/// quote) can pair quotes differently from any hand-written scan, and
/// the reader then meets a reference the scan never saw. Run after
/// [`inflation`], so every part is known to be of a sane size; the parts
/// it found `plain` are not parsed (their shared-string count is still
/// checked).
fn parsed_refs(path: &Path, plain: &HashSet<String>) -> Option<DataError> {
    let f = std::fs::File::open(path).ok()?;
    let mut zip = zip::ZipArchive::new(io::BufReader::new(f)).ok()?;
    let names: Vec<String> = zip
        .file_names()
        .flatten()
        .filter(|n| {
            (n.contains("worksheets/") && n.ends_with(".xml")) || n.ends_with("sharedStrings.xml")
        })
        .map(|n| n.into_owned())
        .collect();
    for name in names {
        if name.ends_with("sharedStrings.xml")
            && let Some(e) = impossible_count(&mut zip, &name)
        {
            return Some(e);
        }
        if plain.contains(&name) {
            continue;
        }
        let Ok(part) = zip.by_name(&name) else {
            continue;
        };
        let bad = parsed_bad_ref(io::BufReader::new(part));
        if let Some(bad) = bad {
            let what = match sheet_of_part(&mut zip, &name) {
                Some(sheet) => format!("sheet `{sheet}`"),
                None => format!("the part `{name}`"),
            };
            return Some(no_such_cell(&what, &bad));
        }
    }
    None
}

/// The first reference in `xml` that names no cell, among the attributes
/// of its elements as the workbook reader's XML parser reads them.
fn parsed_bad_ref(xml: impl io::BufRead) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let found = e.attributes().with_checks(false).flatten().find_map(|a| {
                    // Exactly `r` and `ref`: `xmlns:r` is a namespace.
                    matches!(a.key.as_ref(), "r" | "ref")
                        .then(|| bad_reference(a.value.as_bytes()))
                        .flatten()
                });
                if found.is_some() {
                    return found;
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// E080 for a reference `bad` in `what` (a sheet, or a part) that names no cell.
fn no_such_cell(what: &str, bad: &str) -> DataError {
    DataError {
        at: At::File,
        code: "E080",
        message: format!(
            "{what} refers to cell `{bad}`, beyond the last column XFD or row 1048576, or to a range that ends before it starts"
        ),
        label: "no such cell".into(),
        hint: Some(
            "save the workbook again from a spreadsheet program, or export the sheet as CSV".into(),
        ),
        duplicate: None,
    }
}

/// The shared-strings part declares more strings (`uniqueCount`) than it
/// can hold: the reader reserves room for them all before reading one.
/// Read off the raw bytes of its first megabyte (where `<sst>` opens),
/// every `uniqueCount="<digits>` counted whatever markup surrounds it, so
/// that no pairing of stray quotes can hide one.
fn impossible_count<R: io::Read + io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
) -> Option<DataError> {
    let mut part = zip.by_name(name).ok()?;
    let mut head = Vec::new();
    io::Read::read_to_end(&mut io::Read::take(&mut part, 1 << 20), &mut head).ok()?;
    let rest = io::copy(&mut part, &mut io::sink()).ok()?;
    let size = head.len() as u128 + u128::from(rest);
    let key = b"uniqueCount";
    let mut declared = 0u128;
    let mut at = 0;
    while let Some(k) = head[at..].windows(key.len()).position(|w| w == key) {
        at += k + key.len();
        let tail = &head[at..];
        let skip_space = |t: &[u8]| t.iter().take_while(|c| c.is_ascii_whitespace()).count();
        let mut i = skip_space(tail);
        if tail.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        i += skip_space(&tail[i..]);
        if !matches!(tail.get(i), Some(b'"' | b'\'')) {
            continue;
        }
        i += 1;
        i += skip_space(&tail[i..]);
        let n = tail[i..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .fold(0u128, |n, c| {
                n.saturating_mul(10).saturating_add(u128::from(c - b'0'))
            });
        declared = declared.max(n);
    }
    (declared > size / 5 + 64).then(|| DataError {
        at: At::File,
        code: "E081",
        message: format!(
            "the part `{name}` declares {declared} strings but holds {size} bytes: it cannot be read as declared"
        ),
        label: "too large".into(),
        hint: Some("save the workbook again from a spreadsheet program, or export the sheet as CSV".into()),
        duplicate: None,
    })
}

/// What is wrong with a reference value (`A1`, `A1:D9`), if anything.
fn bad_reference(v: &[u8]) -> Option<String> {
    let too_long = |cell: &[u8]| {
        let letters = cell.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        let digits = cell[letters..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        letters > 3 || digits > 7
    };
    let shown = |cell: &[u8]| String::from_utf8_lossy(&cell[..cell.len().min(24)]).into_owned();
    if let Some(cell) = v.split(|&c| c == b':').find(|c| too_long(c)) {
        return Some(shown(cell));
    }
    // A range whose end comes before its start (`A9:E7`): the reader
    // subtracts the corners unchecked.
    let mut cells = v.split(|&c| c == b':');
    match (cells.next(), cells.next(), cells.next()) {
        (Some(from), Some(to), None) if reversed(from, to) => Some(shown(v)),
        _ => None,
    }
}

/// Whether the range `from:to` ends above or left of where it starts.
fn reversed(from: &[u8], to: &[u8]) -> bool {
    // Column letters as a number (A = 1), then the row; at most 3 letters
    // and 7 digits here, so u64 cannot overflow.
    let pos = |cell: &[u8]| {
        let letters = cell.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        let col = cell[..letters].iter().fold(0u64, |n, c| {
            n * 26 + u64::from(c.to_ascii_uppercase() - b'A' + 1)
        });
        let row = cell[letters..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .fold(0u64, |n, c| n * 10 + u64::from(c - b'0'));
        (col, row)
    };
    let ((c0, r0), (c1, r1)) = (pos(from), pos(to));
    c1 < c0 || r1 < r0
}

/// The name of the sheet stored in zip part `part` (`xl/worksheets/x.xml`),
/// from the workbook's index and its relationships; `None` when it cannot
/// be told.
fn sheet_of_part<R: io::Read + io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    part: &str,
) -> Option<String> {
    let mut small = |name: &str| {
        let mut text = String::new();
        let f = zip.by_name(name).ok()?;
        io::Read::read_to_string(&mut io::Read::take(f, 1 << 20), &mut text).ok()?;
        Some(text)
    };
    let (rels, book) = (
        small("xl/_rels/workbook.xml.rels")?,
        small("xl/workbook.xml")?,
    );
    // Targets are relative to `xl/`, or absolute within the zip.
    let target = |t: &str| {
        let t = t.trim_start_matches('/');
        t == part || t == part.strip_prefix("xl/").unwrap_or(part)
    };
    let id = elements(&rels, "Relationship")
        .into_iter()
        .find(|a| a.get("Target").is_some_and(|t| target(t)))?
        .remove("Id")?;
    elements(&book, "sheet")
        .into_iter()
        .find(|a| a.get("id") == Some(&id))?
        .remove("name")
}

/// The attributes (by local name) of every element named `local`.
fn elements(xml: &str, local: &str) -> Vec<HashMap<String, String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut found = Vec::new();
    while let Ok(ev) = reader.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == local => {
                let attrs = e.attributes().flatten().filter_map(|a| {
                    let key = a.key.local_name().as_ref().to_string();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()?;
                    Some((key, value.into_owned()))
                });
                found.push(attrs.collect());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    found
}

/// Cells a sheet may span (rows × columns, blanks included): the reader
/// holds the whole rectangle, 32 bytes a cell. A million rows of sixteen
/// columns fit; one stray cell at XFD1048576 (17 billion cells) does not.
const MAX_CELLS: u64 = 1 << 24;

/// Reads a sheet. Workbooks whose cells can be read one by one (.xlsx,
/// .xlsb) are checked for the rectangle their cells span before it is
/// allocated; an absurd one is a data error (E080) naming the sheet.
fn read_sheet(
    wb: &mut calamine::Sheets<io::BufReader<std::fs::File>>,
    name: &str,
) -> Result<Result<Range<Data>, DataError>, calamine::Error> {
    let mut cells = Vec::new();
    macro_rules! sparse {
        ($reader:expr) => {{
            let mut reader = $reader;
            while let Some(c) = reader.next_cell()? {
                if !matches!(c.get_value(), calamine::DataRef::Empty) {
                    let (pos, val) = (c.get_position(), c.get_value().clone());
                    cells.push(calamine::Cell::new(pos, Data::from(val)));
                }
            }
        }};
    }
    match wb {
        calamine::Sheets::Xlsx(x) => sparse!(x.worksheet_cells_reader(name)?),
        calamine::Sheets::Xlsb(x) => sparse!(x.worksheet_cells_reader(name)?),
        _ => return Ok(Ok(wb.worksheet_range(name)?)),
    }
    let (mut lo, mut hi) = ((u32::MAX, u32::MAX), (0, 0));
    for c in &cells {
        let (r, col) = c.get_position();
        lo = (lo.0.min(r), lo.1.min(col));
        hi = (hi.0.max(r), hi.1.max(col));
    }
    let span = if cells.is_empty() {
        0
    } else {
        u64::from(hi.0 - lo.0 + 1) * u64::from(hi.1 - lo.1 + 1)
    };
    if span > MAX_CELLS {
        let corner = |(r, c): (u32, u32)| super::rows::cell_name(r, c);
        return Ok(Err(DataError {
            at: At::Sheet(Arc::from(name)),
            code: "E080",
            message: format!(
                "sheet `{name}` spans {}:{} ({span} cells); at most {MAX_CELLS} are read",
                corner(lo),
                corner(hi)
            ),
            label: "too large".into(),
            hint: Some(format!(
                "delete what stands far from the data (the cell at {}?), or export the sheet as CSV",
                corner(hi)
            )),
            duplicate: None,
        }));
    }
    Ok(Ok(Range::from_sparse(cells)))
}

fn is_blank(c: &Data) -> bool {
    match c {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A cell's content, owned, as the collector will see it.
enum Owned {
    Text(String),
    Number(f64),
    Empty,
    Bad(String),
}

impl Owned {
    /// `key`: a period, unit or id, where numbers are read as their text.
    fn of(d: Option<&Data>, key: bool) -> Owned {
        match d {
            None | Some(Data::Empty) => Owned::Empty,
            Some(Data::String(s)) => Owned::Text(s.clone()),
            Some(Data::Int(i)) => Owned::Text(i.to_string()),
            Some(Data::Float(f)) if key => Owned::Text(format!("{f}")),
            Some(Data::Float(f)) => Owned::Number(*f),
            Some(Data::Bool(_)) => Owned::Bad("a true/false value".into()),
            Some(Data::DateTime(_) | Data::DateTimeIso(_)) => Owned::Bad("a date".into()),
            Some(Data::DurationIso(_)) => Owned::Bad("a duration".into()),
            Some(Data::Error(e)) => Owned::Bad(format!("the error {e}")),
        }
    }

    fn cell(&self) -> Cell<'_> {
        match self {
            Owned::Text(t) => Cell::Text(t),
            Owned::Number(f) => Cell::Number(*f),
            Owned::Empty => Cell::Empty,
            Owned::Bad(b) => Cell::Bad(b),
        }
    }
}

impl Sheet {
    /// Data rows (not blank) with their 0-based absolute row number.
    fn rows(&self) -> impl Iterator<Item = (u32, &[Data])> {
        let r0 = self.range.start().map_or(0, |s| s.0);
        self.range
            .rows()
            .enumerate()
            .skip(self.first_data)
            .filter(|(_, r)| !r.iter().all(is_blank))
            .map(move |(i, r)| (r0 + i as u32, r))
    }

    fn col0(&self) -> u32 {
        self.range.start().map_or(0, |s| s.1)
    }

    /// The period of a row, as text (`None` when empty or not text).
    fn period(&self, r: &[Data]) -> Option<String> {
        match self.layout.period {
            None => Some(self.name.trim().to_string()),
            Some(c) => match Owned::of(r.get(c), true) {
                Owned::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
                _ => None,
            },
        }
    }
}

impl Book {
    /// Every period label in the workbook.
    pub fn periods(&self) -> Vec<String> {
        let mut set = HashSet::new();
        for s in &self.sheets {
            for (_, r) in s.rows() {
                if let Some(p) = s.period(r) {
                    set.insert(p);
                }
            }
        }
        set.into_iter().collect()
    }

    /// Every row into the collector.
    pub fn read(&self, collector: &mut Collector) {
        for s in &self.sheets {
            let c0 = s.col0();
            let layout = &s.layout;
            for (row, r) in s.rows() {
                let sheet = s.name.clone();
                let at = move |col: usize| {
                    if col == usize::MAX {
                        At::Sheet(sheet.clone())
                    } else {
                        At::Cell {
                            sheet: sheet.clone(),
                            row,
                            col: c0 + col as u32,
                        }
                    }
                };
                let period = match layout.period {
                    Some(c) => Owned::of(r.get(c), true),
                    None => Owned::Text(s.name.to_string()),
                };
                let (unit, id, value) = (
                    Owned::of(r.get(layout.unit), true),
                    Owned::of(r.get(layout.id), true),
                    Owned::of(r.get(layout.value), false),
                );
                let note = layout
                    .note
                    .map_or(Owned::Empty, |c| Owned::of(r.get(c), true));
                let (target, baseline) = (
                    layout
                        .target
                        .map_or(Owned::Empty, |c| Owned::of(r.get(c), false)),
                    layout
                        .baseline
                        .map_or(Owned::Empty, |c| Owned::of(r.get(c), false)),
                );
                let row = Row {
                    period: period.cell(),
                    unit: unit.cell(),
                    id: id.cell(),
                    value: value.cell(),
                    note: note.cell(),
                    target: target.cell(),
                    baseline: baseline.cell(),
                    at: &at,
                    period_col: layout.period.unwrap_or(usize::MAX),
                    extra: None,
                };
                collector.row(&row, layout);
            }
        }
    }

    /// Where each duplicated `(period, unit, id)` first appears.
    pub fn first_rows(
        &self,
        keys: &HashSet<(String, String, String)>,
    ) -> HashMap<(String, String, String), At> {
        let mut found = HashMap::new();
        for s in &self.sheets {
            for (row, r) in s.rows() {
                let text = |c: usize| match Owned::of(r.get(c), true) {
                    Owned::Text(t) => t.trim().to_string(),
                    _ => String::new(),
                };
                let Some(p) = s.period(r) else { continue };
                let key = (p, text(s.layout.unit), text(s.layout.id));
                if keys.contains(&key) && !found.contains_key(&key) {
                    found.insert(
                        key,
                        At::Cell {
                            sheet: s.name.clone(),
                            row,
                            col: s.col0() + s.layout.id as u32,
                        },
                    );
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the scan finds fed `xml` in chunks of `chunk` bytes, and
    /// whether it found the markup plain.
    fn scanned(xml: &[u8], chunk: usize) -> (Option<String>, bool) {
        let mut scan = RefScan::default();
        let bad = xml.chunks(chunk).find_map(|c| scan.feed(c));
        (bad, scan.regular())
    }

    /// Elements with attributes that are references or not, good or bad,
    /// either quote, some spacing; between them text and processing
    /// instructions. Plain markup, before [`mutated`] breaks it.
    fn plain_markup() -> impl Strategy<Value = String> {
        let value = prop::sample::select(vec![
            "A1",
            "D2",
            "A1:D2",
            "XFD1048576",
            "XFDD1",
            "A99999999",
            "A9:E7",
            "n",
            "1",
            "a>b",
        ]);
        let key = prop::sample::select(vec!["r", "ref", "t", "s", "xmlns:r", "x:r", "rr"]);
        let attr = (
            key,
            value,
            any::<bool>(),
            prop::sample::select(vec![" ", "  ", "\n"]),
        )
            .prop_map(|(k, v, single, sp)| {
                let q = if single { '\'' } else { '"' };
                format!("{sp}{k}={q}{v}{q}")
            });
        let piece = prop_oneof![
            (
                prop::sample::select(vec!["c", "row", "dimension", "v"]),
                prop::collection::vec(attr.clone(), 0..3),
                0..3usize
            )
                .prop_map(|(name, attrs, form)| match form {
                    0 => format!("<{name}{}/>", attrs.concat()),
                    1 => format!("<{name}{}>1</{name}>", attrs.concat()),
                    _ => format!("<{name}{}>", attrs.concat()),
                }),
            prop::collection::vec(attr, 0..3).prop_map(|a| format!("<?xml{}?>", a.concat())),
            prop::sample::select(vec!["text", " r=\"XFDD1\" ", "</row>", "\n"])
                .prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
    }

    /// `xml` with a few bytes put in or taken out, as a fuzzer would.
    fn mutated() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop::sample::select(b"<>/?!\"'= \tr=Zx-[]".to_vec());
        (
            plain_markup(),
            prop::collection::vec((any::<prop::sample::Index>(), prop::option::of(byte)), 0..4),
        )
            .prop_map(|(xml, edits)| {
                let mut b = xml.into_bytes();
                for (at, put) in edits {
                    let i = at.index(b.len() + 1);
                    match put {
                        Some(c) => b.insert(i, c),
                        None if i < b.len() => {
                            b.remove(i);
                        }
                        None => {}
                    }
                }
                b
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The safety of skipping the parse: whatever reference the
        /// workbook reader's parser would meet in a part the scan found
        /// plain, the scan checked too.
        #[test]
        fn a_plain_part_hides_no_reference_from_the_scan(
            xml in mutated(),
            chunk in 1..64usize,
        ) {
            let (bad, plain) = scanned(&xml, chunk);
            if plain && bad.is_none() {
                prop_assert_eq!(parsed_bad_ref(&xml[..]), None, "{}", String::from_utf8_lossy(&xml));
            }
        }

        /// Plain markup is found plain, and the scan finds the bad
        /// references that the parser finds.
        #[test]
        fn plain_markup_is_found_plain(xml in plain_markup(), chunk in 1..64usize) {
            let (bad, plain) = scanned(xml.as_bytes(), chunk);
            // The scan stops at the first bad reference, inside its tag.
            prop_assert!(plain || bad.is_some(), "{}", xml);
            // The parser stops at an end tag that closes nothing: the scan
            // may check more, never less.
            prop_assert!(bad.is_some() || parsed_bad_ref(xml.as_bytes()).is_none(), "{}", xml);
        }
    }

    #[test]
    fn the_markup_table_steps_as_next_does() {
        let t = &*MARKUP;
        assert_eq!(t.states[0], Markup::Text, "the default state");
        assert_eq!(t.next.len(), t.states.len());
        for (row, &from) in t.next.iter().zip(&t.states) {
            for b in 0..=255u8 {
                let to = t.states[usize::from(row[usize::from(b)])];
                assert_eq!(to, from.next(b), "{from:?}, byte {b}");
            }
        }
        let irregular = t.states.iter().position(|&s| s == Markup::Irregular);
        let irregular = irregular.expect("reachable");
        assert!(
            t.next[irregular]
                .iter()
                .all(|&s| usize::from(s) == irregular)
        );
    }

    #[test]
    fn markup_the_parser_may_read_otherwise_is_irregular() {
        for xml in [
            // A stray quote: the parser pairs it with the next one.
            "<c a\"b r=\"A1\">",
            // An attribute without a value, and one after a value without space.
            "<c hidden r=\"A1\"/>",
            "<c t=\"n\"r=\"A1\"/>",
            // Comments, CDATA and declarations end elsewhere than at the first `>`.
            "<!-- > -->",
            "<![CDATA[ > ]]>",
            "<!DOCTYPE x [ <!ENTITY y \"z\"> ]>",
            // A tag left open at the end of the part.
            "<c r=\"A1\"",
            "<row>\n<c r=",
        ] {
            let (_, plain) = scanned(xml.as_bytes(), 7);
            assert!(!plain, "{xml}");
        }
        let sheet = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet xmlns=\"x\" xmlns:r=\"y\"><dimension ref=\"A1:D2\"/><sheetData><row r=\"1\" spans=\"1:4\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData></worksheet>";
        assert_eq!(scanned(sheet.as_bytes(), 5), (None, true));
    }

    /// A workbook as a spreadsheet program writes it has only plain parts:
    /// none is parsed twice.
    #[test]
    fn a_written_workbook_is_plain_markup() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["period", "unit", "id", "value", "note"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for r in 1..50u32 {
            ws.write_string(r, 0, "2026-Q3").unwrap();
            ws.write_string(r, 1, "华东 & <Nord> \"x\"").unwrap();
            ws.write_string(r, 2, format!("id{r}")).unwrap();
            ws.write_number(r, 3, f64::from(r) / 7.0).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.xlsx");
        wb.save(&path).unwrap();
        let plain = inflation(&path).ok().unwrap();
        for part in [
            "xl/worksheets/sheet1.xml",
            "xl/sharedStrings.xml",
            "xl/workbook.xml",
        ] {
            assert!(plain.contains(part), "{part} not plain: {plain:?}");
        }
    }
}
