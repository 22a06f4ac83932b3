//! Step 1: read files and turn their TOML into the format types of
//! [`crate::raw`], keeping the span of every value and reading every number
//! exactly from its source text. Problems of TOML syntax and types are
//! collected as diagnostics; meaning is checked later, in `validate`.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::raw::{self, Num, Sp};
use crate::source::{Source, SourceFile};

/// An error that stops a file from being read at all (exit code 2).
#[derive(Debug)]
pub struct IoError {
    pub path: String,
    pub error: std::io::Error,
}

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path, self.error)
    }
}

/// Fails unless `path` is (or links to) a regular file. Checked before a
/// file is opened: opening a FIFO blocks until someone writes to it, and a
/// device can be endless.
pub fn regular_file(path: &Path) -> std::io::Result<()> {
    let kind = std::fs::metadata(path)?.file_type();
    if kind.is_file() {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("not a regular file ({})", kind_name(kind)),
    ))
}

/// What a file that is not a regular file is, in words.
pub fn kind_name(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// Reads a file as UTF-8. Invalid UTF-8 is a diagnostic (exit 1) pointing at
/// the first bad byte, not an I/O error: the file was read, its content is bad.
pub fn read_source(path: &Path) -> Result<Result<Source, Diagnostic>, IoError> {
    let bytes = if crate::source::is_stdin(path) {
        crate::source::stdin_bytes()
    } else {
        regular_file(path).and_then(|()| std::fs::read(path))
    }
    .map_err(|error| IoError {
        path: SourceFile::new(path, String::new()).name.clone(),
        error,
    })?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            // Keep the valid prefix so the diagnostic can show line and column.
            let text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let src = SourceFile::new(path, text);
            let end = src.text.len();
            Err(Diagnostic::error("E000", "file is not valid UTF-8")
                .at(&src, end..end)
                .label("invalid byte here")
                .hint("save the file as UTF-8 (Chinese text included)"))
        }
    })
}

/// Parses TOML, reporting syntax errors at their position.
pub fn parse_toml<'s>(src: &'s Source, diags: &mut Diagnostics) -> Option<Spanned<DeTable<'s>>> {
    let (table, errors) = DeTable::parse_recoverable(&src.text);
    if errors.is_empty() {
        return Some(table);
    }
    let mut seen = Vec::new();
    for e in errors {
        let span = e.span().unwrap_or(0..0);
        if seen.contains(&span.start) {
            continue;
        }
        seen.push(span.start);
        let mut lines = e.message().trim().lines();
        let first = lines.next().unwrap_or("invalid TOML").to_string();
        let rest: Vec<&str> = lines.collect();
        let d = Diagnostic::error("E001", format!("TOML syntax error: {first}"))
            .at(src, span)
            .hint_opt((!rest.is_empty()).then(|| rest.join(" ")));
        diags.push(d);
    }
    None
}

fn type_name(v: &DeValue) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// How to write the expected type, in the user's terms.
fn type_hint(expected: &str, found: &DeValue) -> Option<String> {
    Some(match (expected, found) {
        ("a number", DeValue::String(s)) if decimal_from_text(s.trim()).is_ok() => {
            format!("remove the quotes: `{}`", s.trim())
        }
        ("a number", _) => "write a number without quotes, e.g. `30` or `0.25`".into(),
        ("a whole number", _) => "write a whole number without quotes, e.g. `1`".into(),
        ("a string", _) => "put the text in double quotes, e.g. \"Revenue\"".into(),
        (e, _) if e.starts_with("an array") => {
            "write a list in square brackets, e.g. `[\"a\", \"b\"]`".into()
        }
        (e, _) if e.starts_with("a table") => {
            "write a table header such as `[name]` followed by `key = value` lines".into()
        }
        _ => return None,
    })
}

/// Why a TOML number could not become a decimal.
pub enum NumError {
    NotFinite,
    OutOfRange,
}

/// Reads a TOML integer or float exactly, from its source text.
pub fn decimal_of(v: &DeValue) -> Option<Result<Decimal, NumError>> {
    match v {
        DeValue::Integer(i) => {
            let text = i.as_str().replace('_', "");
            Some(if i.radix() == 10 {
                Decimal::from_str_exact(text.trim_start_matches('+'))
                    .map_err(|_| NumError::OutOfRange)
            } else {
                i128::from_str_radix(&text, i.radix())
                    .ok()
                    .and_then(|n| Decimal::try_from_i128_with_scale(n, 0).ok())
                    .ok_or(NumError::OutOfRange)
            })
        }
        DeValue::Float(f) => Some(decimal_from_text(f.as_str())),
        _ => None,
    }
}

/// Parses a decimal literal as TOML writes it (`1_000.5`, `-2.5e3`).
pub fn decimal_from_text(text: &str) -> Result<Decimal, NumError> {
    let text = text.replace('_', "");
    let t = text.trim_start_matches('+');
    let lower = t.to_ascii_lowercase();
    if lower.ends_with("inf") || lower.ends_with("nan") {
        return Err(NumError::NotFinite);
    }
    let parsed = if lower.contains('e') {
        Decimal::from_scientific(t)
    } else {
        Decimal::from_str_exact(t)
    };
    parsed.map_err(|_| NumError::OutOfRange)
}

/// Reads values out of a parsed TOML tree into format types, pushing a
/// diagnostic for every wrong type, unknown key or missing required key.
pub struct Walker<'a> {
    pub src: &'a Source,
    pub diags: &'a mut Diagnostics,
}

type Entry<'t, 'i> = (&'t Spanned<Cow<'i, str>>, &'t Spanned<DeValue<'i>>);

impl<'a> Walker<'a> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn entry<'t, 'i>(&self, t: &'t DeTable<'i>, key: &str) -> Option<Entry<'t, 'i>> {
        t.get_key_value(key)
    }

    pub fn type_error(&mut self, what: &str, expected: &str, v: &Spanned<DeValue>) {
        let d = Diagnostic::error(
            "E002",
            format!(
                "{what} must be {expected}, found {}",
                type_name(v.get_ref())
            ),
        )
        .at(self.src, v.span())
        .label(format!("expected {expected}"))
        .hint_opt(type_hint(expected, v.get_ref()));
        self.err(d);
    }

    /// Flags every key of `t` that the format does not define.
    pub fn unknown_keys(&mut self, t: &DeTable, known: &[String], context: &str) {
        for (k, _) in t.iter() {
            let key: &str = k.get_ref();
            if !known.iter().any(|n| n == key) {
                let d = Diagnostic::error("E003", format!("unknown key `{key}` in {context}"))
                    .at(self.src, k.span())
                    .label("unknown key")
                    .hint(
                        did_you_mean(key, known.iter().map(String::as_str))
                            .unwrap_or_else(|| format!("allowed keys here: {}", known.join(", "))),
                    );
                self.err(d);
            }
        }
    }

    pub fn missing_key(&mut self, span: Range<usize>, key: &str, context: &str) {
        let d = Diagnostic::error("E004", format!("missing required key `{key}` in {context}"))
            .at(self.src, span)
            .label(format!("`{key}` is required here"))
            .hint(format!("add `{key} = ...` to {context}"));
        self.err(d);
    }

    pub fn string(&mut self, t: &DeTable, key: &str, context: &str) -> Option<Sp<String>> {
        let (_, v) = self.entry(t, key)?;
        self.string_value(v, &format!("`{key}` in {context}"))
    }

    pub fn string_value(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<Sp<String>> {
        match v.get_ref() {
            DeValue::String(s) => Some(Sp::new(s.to_string(), v.span())),
            _ => {
                self.type_error(what, "a string", v);
                None
            }
        }
    }

    pub fn number(&mut self, t: &DeTable, key: &str, context: &str) -> Option<Sp<Num>> {
        let (_, v) = self.entry(t, key)?;
        self.number_value(v, &format!("`{key}` in {context}"))
    }

    pub fn number_value(&mut self, v: &Spanned<DeValue>, what: &str) -> Option<Sp<Num>> {
        match decimal_of(v.get_ref()) {
            Some(Ok(d)) => Some(Sp::new(Num(d), v.span())),
            Some(Err(e)) => {
                self.number_error(what, e, v.span());
                None
            }
            None => {
                self.type_error(what, "a number", v);
                None
            }
        }
    }

    pub fn number_error(&mut self, what: &str, e: NumError, span: Range<usize>) {
        let d = match e {
            NumError::NotFinite => {
                Diagnostic::error("E024", format!("{what} is not a finite number"))
                    .at(self.src, span)
                    .label("nan and inf are not allowed")
                    .hint("write a finite decimal number")
            }
            NumError::OutOfRange => {
                Diagnostic::error("E024", format!("{what} cannot be represented exactly"))
                    .at(self.src, span)
                    .label("out of range")
                    .hint("use at most 28 significant digits and a magnitude below 7.9e28")
            }
        };
        self.err(d);
    }

    pub fn uint(&mut self, t: &DeTable, key: &str, context: &str) -> Option<Sp<u32>> {
        let (_, v) = self.entry(t, key)?;
        let what = format!("`{key}` in {context}");
        match v.get_ref() {
            DeValue::Integer(_) => match decimal_of(v.get_ref()) {
                Some(Ok(d)) if d >= Decimal::ZERO && d <= Decimal::from(u32::MAX) => Some(Sp::new(
                    u32::try_from(d.mantissa()).unwrap_or(u32::MAX),
                    v.span(),
                )),
                _ => {
                    let d =
                        Diagnostic::error("E024", format!("{what} must be a whole number >= 0"))
                            .at(self.src, v.span())
                            .label("out of range");
                    self.err(d);
                    None
                }
            },
            _ => {
                self.type_error(&what, "a whole number", v);
                None
            }
        }
    }

    /// A TOML local date (`due = 2026-09-30`). A quoted date or one with a
    /// time of day is reported with the spelling that works.
    pub fn date(&mut self, t: &DeTable, key: &str, context: &str) -> Option<Sp<raw::Date>> {
        let (_, v) = self.entry(t, key)?;
        let what = format!("`{key}` in {context}");
        let fail = |w: &mut Self, label: &str, hint: String| {
            let d = Diagnostic::error(
                "E002",
                format!("{what} must be a date, found {}", type_name(v.get_ref())),
            )
            .at(w.src, v.span())
            .label(label.to_string())
            .hint(hint);
            w.err(d);
            None
        };
        match v.get_ref() {
            DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
                (Some(d), None, None) => Some(Sp::new(
                    raw::Date {
                        year: d.year,
                        month: d.month,
                        day: d.day,
                    },
                    v.span(),
                )),
                (Some(d), _, _) => fail(
                    self,
                    "a date and time",
                    format!(
                        "write the day only, without quotes: `{key} = {:04}-{:02}-{:02}`",
                        d.year, d.month, d.day
                    ),
                ),
                (None, _, _) => fail(
                    self,
                    "a time of day",
                    format!("write a date without quotes: `{key} = 2026-09-30`"),
                ),
            },
            DeValue::String(s) => {
                let hint = match s.trim().parse::<toml::value::Datetime>() {
                    Ok(dt) if dt.date.is_some() && dt.time.is_none() => {
                        format!("remove the quotes: `{key} = {}`", s.trim())
                    }
                    _ => format!("write a date without quotes: `{key} = 2026-09-30`"),
                };
                fail(self, "expected a date", hint)
            }
            _ => fail(
                self,
                "expected a date",
                format!("write a date without quotes: `{key} = 2026-09-30`"),
            ),
        }
    }

    /// A string naming one of a fixed set of choices.
    pub fn choice<E: Copy>(
        &mut self,
        t: &DeTable,
        key: &str,
        context: &str,
        choices: &[(&str, E)],
    ) -> Option<Sp<E>> {
        let s = self.string(t, key, context)?;
        if let Some((_, e)) = choices.iter().find(|(n, _)| *n == s.value) {
            return Some(Sp::new(*e, s.span));
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let d = Diagnostic::error(
            "E025",
            format!("`{key}` = \"{}\" is not a known choice", s.value),
        )
        .at(self.src, s.span)
        .label(format!("expected one of: {}", names.join(", ")))
        .hint(
            did_you_mean(&s.value, names.iter().copied())
                .unwrap_or_else(|| format!("use one of: {}", names.join(", "))),
        );
        self.err(d);
        None
    }

    pub fn string_array(
        &mut self,
        t: &DeTable,
        key: &str,
        context: &str,
    ) -> Option<Sp<Vec<Sp<String>>>> {
        let (_, v) = self.entry(t, key)?;
        let what = format!("`{key}` in {context}");
        let DeValue::Array(items) = v.get_ref() else {
            self.type_error(&what, "an array of strings", v);
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            if let Some(s) = self.string_value(item, &format!("each entry of {what}")) {
                out.push(s);
            }
        }
        Some(Sp::new(out, v.span()))
    }

    /// A sub-table (`[a.b]` or an inline table).
    pub fn table<'t, 'i>(
        &mut self,
        t: &'t DeTable<'i>,
        key: &str,
        context: &str,
    ) -> Option<(&'t DeTable<'i>, Range<usize>)> {
        let (k, v) = self.entry(t, key)?;
        match v.get_ref() {
            DeValue::Table(inner) => Some((inner, header_span(k, v))),
            _ => {
                self.type_error(&format!("`{key}` in {context}"), "a table", v);
                None
            }
        }
    }

    /// An array of tables (`[[key]]`).
    pub fn tables<'t, 'i>(
        &mut self,
        t: &'t DeTable<'i>,
        key: &str,
    ) -> Vec<(&'t DeTable<'i>, Range<usize>)> {
        let Some((k, v)) = self.entry(t, key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.type_error(
                &format!("`{key}`"),
                &format!("an array of tables (`[[{key}]]`)"),
                v,
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::Table(inner) => out.push((inner, header_span(k, item))),
                _ => self.type_error(&format!("each entry of `{key}`"), "a table", item),
            }
        }
        out
    }
}

/// Where to point for a table-level problem (e.g. a missing key): the
/// table's own span when the parser gives one, else its key.
fn header_span(k: &Spanned<Cow<'_, str>>, v: &Spanned<DeValue>) -> Range<usize> {
    let s = v.span();
    if s.is_empty() { k.span() } else { s }
}

/// Narrows a table span to its first line, so a diagnostic about a whole
/// table points at its header rather than underlining every line.
pub fn first_line(src: &Source, span: Range<usize>) -> Range<usize> {
    let text = src.slice(&span).unwrap_or("");
    match text.find('\n') {
        Some(i) => span.start..span.start + i,
        None => span,
    }
}

/// Stands in for a required string of an `[[objectives]]` or
/// `[[indicators]]` entry that is missing or not a string. The loader has
/// reported it; the entry is kept so that validation still sees what it
/// refers to (and does not report, say, its perspective as empty). The
/// empty span tells it apart from anything written in the file.
fn placeholder(span: &Range<usize>) -> Sp<String> {
    Sp::new(String::new(), span.start..span.start)
}

/// Whether a string is a placeholder for a value already reported.
pub fn is_placeholder(s: &Sp<String>) -> bool {
    s.span.is_empty()
}

/// Reads a scorecard file's tree into format types.
pub fn scorecard_from_toml(root: &Spanned<DeTable>, w: &mut Walker) -> Option<raw::ScorecardFile> {
    let top = root.get_ref();
    w.unknown_keys(
        top,
        &raw::schema_keys::<raw::ScorecardFile>(),
        "the scorecard file",
    );
    let src = w.src.clone();

    let settings = match w.table(top, "scorecard", "the scorecard file") {
        Some((t, span)) => settings(t, first_line(&src, span), w),
        None => {
            if top.get("scorecard").is_none() {
                let d = Diagnostic::error("E004", "missing the `[scorecard]` table")
                    .at(&src, 0..0)
                    .hint("start the file with `[scorecard]`, an `id` and a `name`");
                w.diags.push(d);
            }
            None
        }
    };

    let perspectives = w
        .tables(top, "perspectives")
        .into_iter()
        .filter_map(|(t, span)| perspective(t, first_line(&src, span), w))
        .collect();
    let objectives = w
        .tables(top, "objectives")
        .into_iter()
        .filter_map(|(t, span)| objective(t, first_line(&src, span), w))
        .collect();
    let indicators = w
        .tables(top, "indicators")
        .into_iter()
        .filter_map(|(t, span)| indicator(t, first_line(&src, span), w))
        .collect();
    let inputs = w
        .tables(top, "inputs")
        .into_iter()
        .filter_map(|(t, span)| input(t, first_line(&src, span), w))
        .collect();
    let initiatives = w
        .tables(top, "initiatives")
        .into_iter()
        .filter_map(|(t, span)| initiative(t, first_line(&src, span), w))
        .collect();
    let ahp = w
        .table(top, "ahp", "the scorecard file")
        .map(|(t, _)| ahp(t, w));
    // A constant whose value is reported as bad keeps its name (and a 0
    // that is never used: the card has an error), so that formulas
    // reading it do not also report an unknown id.
    let constants = plan_table(top, "constants", "the scorecard file", w, |v, what, w| {
        w.number_value(v, what)
            .or_else(|| Some(Sp::new(raw::Num(Decimal::ZERO), v.span())))
    })
    .map_or_else(Vec::new, |c| c.value);

    Some(raw::ScorecardFile {
        scorecard: settings?,
        perspectives,
        objectives,
        indicators,
        inputs,
        ahp,
        constants,
        initiatives,
    })
}

/// Reads `key`, reporting it missing when absent; `None` either way on failure.
macro_rules! required {
    ($w:expr, $t:expr, $span:expr, $key:literal, $ctx:expr, $getter:ident) => {{
        let v = $w.$getter($t, $key, $ctx);
        if v.is_none() && $t.get($key).is_none() {
            $w.missing_key($span.clone(), $key, $ctx);
        }
        v
    }};
}

fn settings(t: &DeTable, span: Range<usize>, w: &mut Walker) -> Option<raw::Settings> {
    let ctx = "`[scorecard]`";
    w.unknown_keys(t, &raw::schema_keys::<raw::Settings>(), ctx);
    let id = required!(w, t, span, "id", ctx, string);
    let name = required!(w, t, span, "name", ctx, string);
    let status = status(t, ctx, "`[scorecard.status]`", w);
    let s = raw::Settings {
        id: id?,
        name: name?,
        description: w.string(t, "description", ctx),
        max_score: w.number(t, "max_score", ctx),
        missing: w.choice(
            t,
            "missing",
            ctx,
            &[
                ("renormalize", raw::MissingPolicy::Renormalize),
                ("zero", raw::MissingPolicy::Zero),
                ("error", raw::MissingPolicy::Error),
            ],
        ),
        precision: w.uint(t, "precision", ctx),
        min_coverage: w.number(t, "min_coverage", ctx),
        status,
        currency: w.string(t, "currency", ctx),
        require_note: w.choice(
            t,
            "require_note",
            ctx,
            &[
                ("red", raw::NoteLevel::Red),
                ("amber", raw::NoteLevel::Amber),
            ],
        ),
    };
    Some(s)
}

/// A `status` table of thresholds: the card's `[scorecard.status]`, or a
/// perspective's, objective's or indicator's own `status = {...}`.
fn status(t: &DeTable, ctx: &str, sctx: &str, w: &mut Walker) -> Option<raw::Status> {
    if let Some(v) = t.get("status")
        && !matches!(v.get_ref(), DeValue::Table(_))
    {
        let d = Diagnostic::error(
            "E002",
            format!(
                "`status` in {ctx} must be a table of thresholds, found {}",
                type_name(v.get_ref())
            ),
        )
        .at(w.src, v.span())
        .label("expected a table")
        .hint("e.g. `status = { green = 95, amber = 80 }`");
        w.diags.push(d);
        return None;
    }
    let (st, _) = w.table(t, "status", ctx)?;
    w.unknown_keys(st, &raw::schema_keys::<raw::Status>(), sctx);
    Some(raw::Status {
        green: w.number(st, "green", sctx),
        amber: w.number(st, "amber", sctx),
    })
}

/// A node's own `status` table, named after the node in diagnostics.
fn node_status(t: &DeTable, ctx: &str, w: &mut Walker) -> Option<raw::Status> {
    status(t, ctx, &format!("`status` of {ctx}"), w)
}

/// Names an array-of-tables element by its id when it has one.
fn element_context(kind: &str, t: &DeTable) -> String {
    match t.get("id").and_then(|v| v.get_ref().as_str()) {
        Some(id) => format!("{kind} `{id}`"),
        None => format!("this `[[{kind}s]]` entry"),
    }
}

fn perspective(t: &DeTable, span: Range<usize>, w: &mut Walker) -> Option<raw::Perspective> {
    let ctx = &element_context("perspective", t);
    w.unknown_keys(t, &raw::schema_keys::<raw::Perspective>(), ctx);
    let id = required!(w, t, span, "id", ctx, string);
    Some(raw::Perspective {
        id: id?,
        name: w.string(t, "name", ctx),
        weight: w.number(t, "weight", ctx),
        description: w.string(t, "description", ctx),
        status: node_status(t, ctx, w),
        owner: w.string(t, "owner", ctx),
    })
}

fn objective(t: &DeTable, span: Range<usize>, w: &mut Walker) -> Option<raw::Objective> {
    let ctx = &element_context("objective", t);
    w.unknown_keys(t, &raw::schema_keys::<raw::Objective>(), ctx);
    let id = required!(w, t, span, "id", ctx, string);
    let perspective = required!(w, t, span, "perspective", ctx, string);
    let o = raw::Objective {
        id: id.unwrap_or_else(|| placeholder(&span)),
        perspective: perspective.unwrap_or_else(|| placeholder(&span)),
        name: w.string(t, "name", ctx),
        weight: w.number(t, "weight", ctx),
        drives: w.string_array(t, "drives", ctx),
        description: w.string(t, "description", ctx),
        status: node_status(t, ctx, w),
        owner: w.string(t, "owner", ctx),
    };
    Some(o)
}

const AGGREGATES: [(&str, raw::Aggregate); 4] = [
    ("sum", raw::Aggregate::Sum),
    ("average", raw::Aggregate::Average),
    ("first", raw::Aggregate::First),
    ("last", raw::Aggregate::Last),
];

fn indicator(t: &DeTable, span: Range<usize>, w: &mut Walker) -> Option<raw::Indicator> {
    let ctx = &element_context("indicator", t);
    w.unknown_keys(t, &raw::schema_keys::<raw::Indicator>(), ctx);
    let id = required!(w, t, span, "id", ctx, string);
    let target = t
        .get("target")
        .and_then(|v| target_value(v, &format!("`target` in {ctx}"), w));
    let targets = plan_table(t, "targets", ctx, w, target_value);
    let baselines = plan_table(t, "baselines", ctx, w, |v, what, w| w.number_value(v, what));
    let points = pairs(t, "points", ctx, w);
    let steps = pairs(t, "steps", ctx, w);
    Some(raw::Indicator {
        keys: t.keys().map(|k| k.get_ref().to_string()).collect(),
        id: id.unwrap_or_else(|| placeholder(&span)),
        name: w.string(t, "name", ctx),
        objective: w.string(t, "objective", ctx),
        perspective: w.string(t, "perspective", ctx),
        unit: w.string(t, "unit", ctx),
        weight: w.number(t, "weight", ctx),
        scoring: w.choice(
            t,
            "scoring",
            ctx,
            &[
                ("linear", raw::Scoring::Linear),
                ("band", raw::Scoring::Band),
                ("curve", raw::Scoring::Curve),
                ("step", raw::Scoring::Step),
                ("binary", raw::Scoring::Binary),
            ],
        ),
        baseline: w.number(t, "baseline", ctx),
        target,
        targets,
        baselines,
        tolerance: w.number(t, "tolerance", ctx),
        points,
        steps,
        below: w.number(t, "below", ctx),
        direction: w.choice(
            t,
            "direction",
            ctx,
            &[
                ("higher", raw::Direction::Higher),
                ("lower", raw::Direction::Lower),
            ],
        ),
        formula: w.string(t, "formula", ctx),
        max_score: w.number(t, "max_score", ctx),
        aggregate: w.choice(t, "aggregate", ctx, &AGGREGATES),
        description: w.string(t, "description", ctx),
        status: node_status(t, ctx, w),
        owner: w.string(t, "owner", ctx),
    })
}

/// A `target`: one number, or a `[low, high]` list read bound by bound.
fn target_value(v: &Spanned<DeValue>, what: &str, w: &mut Walker) -> Option<Sp<raw::Target>> {
    match v.get_ref() {
        DeValue::Array(items) => {
            // Every bound is read (and reported); a bad one drops the target.
            let nums: Vec<Option<Sp<Num>>> = items
                .iter()
                .map(|i| w.number_value(i, &format!("each bound of {what}")))
                .collect();
            let nums: Option<Vec<Sp<Num>>> = nums.into_iter().collect();
            Some(Sp::new(raw::Target::Range(nums?), v.span()))
        }
        _ => w
            .number_value(v, what)
            .map(|n| Sp::new(raw::Target::Value(n.value), n.span)),
    }
}

/// `targets` / `baselines`: a table of period label -> value (SPEC §10).
/// Every entry is read and reported; a bad one is left out, the rest kept.
fn plan_table<T>(
    t: &DeTable,
    key: &str,
    ctx: &str,
    w: &mut Walker,
    read: impl Fn(&Spanned<DeValue>, &str, &mut Walker) -> Option<Sp<T>>,
) -> Option<raw::PlanEntries<T>> {
    let (inner, span) = w.table(t, key, ctx)?;
    let mut out = Vec::new();
    for (k, v) in inner.iter() {
        let label: &str = k.get_ref();
        let what = format!("`{key}.\"{label}\"` in {ctx}");
        if let Some(x) = read(v, &what, w) {
            out.push((Sp::new(label.to_string(), k.span()), x));
        }
    }
    Some(Sp::new(out, span))
}

/// A list of `[value, score]` pairs (curve `points`, `steps`). Every pair
/// is read (and reported); a bad one drops the whole list, so the rest of
/// the rule is not judged without it.
fn pairs(t: &DeTable, key: &str, ctx: &str, w: &mut Walker) -> Option<raw::Points> {
    let v = t.get(key)?;
    let what = format!("`{key}` in {ctx}");
    let DeValue::Array(items) = v.get_ref() else {
        w.type_error(&what, "an array of [value, score] pairs", v);
        return None;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for item in items.iter() {
        match item.get_ref() {
            DeValue::Array(pair) => {
                let nums: Vec<Option<Sp<Num>>> = pair
                    .iter()
                    .map(|n| w.number_value(n, &format!("each number of {what}")))
                    .collect();
                match nums.into_iter().collect::<Option<Vec<_>>>() {
                    Some(nums) => out.push(Sp::new(nums, item.span())),
                    None => ok = false,
                }
            }
            _ => {
                let each = if key == "steps" { "step" } else { "point" };
                w.type_error(
                    &format!("each {each} of {what}"),
                    "a [value, score] pair",
                    item,
                );
                ok = false;
            }
        }
    }
    ok.then(|| Sp::new(out, v.span()))
}

fn input(t: &DeTable, span: Range<usize>, w: &mut Walker) -> Option<raw::Input> {
    let ctx = &element_context("input", t);
    w.unknown_keys(t, &raw::schema_keys::<raw::Input>(), ctx);
    let id = required!(w, t, span, "id", ctx, string);
    Some(raw::Input {
        id: id?,
        name: w.string(t, "name", ctx),
        unit: w.string(t, "unit", ctx),
        aggregate: w.choice(t, "aggregate", ctx, &AGGREGATES),
        description: w.string(t, "description", ctx),
    })
}

pub const INITIATIVE_STATUSES: [(&str, raw::InitiativeStatus); 6] = [
    ("planned", raw::InitiativeStatus::Planned),
    ("on_track", raw::InitiativeStatus::OnTrack),
    ("at_risk", raw::InitiativeStatus::AtRisk),
    ("late", raw::InitiativeStatus::Late),
    ("done", raw::InitiativeStatus::Done),
    ("cancelled", raw::InitiativeStatus::Cancelled),
];

fn initiative(t: &DeTable, span: Range<usize>, w: &mut Walker) -> Option<raw::Initiative> {
    let ctx = &element_context("initiative", t);
    w.unknown_keys(t, &raw::schema_keys::<raw::Initiative>(), ctx);
    let id = required!(w, t, span, "id", ctx, string);
    let name = required!(w, t, span, "name", ctx, string);
    let i = raw::Initiative {
        id: id.unwrap_or_else(|| placeholder(&span)),
        name: name.unwrap_or_else(|| placeholder(&span)),
        objectives: w.string_array(t, "objectives", ctx),
        indicators: w.string_array(t, "indicators", ctx),
        owner: w.string(t, "owner", ctx),
        status: w.choice(t, "status", ctx, &INITIATIVE_STATUSES),
        start: w.date(t, "start", ctx),
        due: w.date(t, "due", ctx),
        budget: w.number(t, "budget", ctx),
        progress: w.number(t, "progress", ctx),
        description: w.string(t, "description", ctx),
        span,
    };
    Some(i)
}

/// A measurements file's `[initiatives.<id>]` check-in.
pub fn check_in(t: &DeTable, ctx: &str, w: &mut Walker) -> raw::CheckIn {
    w.unknown_keys(t, &raw::schema_keys::<raw::CheckIn>(), ctx);
    raw::CheckIn {
        status: w.choice(t, "status", ctx, &INITIATIVE_STATUSES),
        progress: w.number(t, "progress", ctx),
        note: w.string(t, "note", ctx),
    }
}

fn ahp(t: &DeTable, w: &mut Walker) -> raw::Ahp {
    let ctx = "`[ahp]`";
    w.unknown_keys(t, &raw::schema_keys::<raw::Ahp>(), ctx);
    let perspectives = t
        .get_key_value("perspectives")
        .and_then(|(k, v)| ahp_group(k, v, "`[ahp.perspectives]`", w));
    let mut groups = |key: &str| {
        let mut out = std::collections::BTreeMap::new();
        if let Some((inner, _)) = w.table(t, key, ctx) {
            for (k, v) in inner.iter() {
                let gctx = format!("`[ahp.{key}.{}]`", k.get_ref());
                if let Some(g) = ahp_group(k, v, &gctx, w) {
                    out.insert(k.get_ref().to_string(), g);
                }
            }
        }
        out
    };
    let objectives = groups("objectives");
    let indicators = groups("indicators");
    raw::Ahp {
        perspectives,
        objectives,
        indicators,
    }
}

fn ahp_group(
    k: &Spanned<Cow<'_, str>>,
    v: &Spanned<DeValue>,
    ctx: &str,
    w: &mut Walker,
) -> Option<raw::AhpGroup> {
    let DeValue::Table(t) = v.get_ref() else {
        w.type_error(ctx, "a table with `order` and `matrix`", v);
        return None;
    };
    w.unknown_keys(t, &raw::schema_keys::<raw::AhpGroup>(), ctx);
    let span = k.span();
    let order = required!(w, t, span, "order", ctx, string_array);
    let matrix = match t.get("matrix") {
        None => {
            w.missing_key(span.clone(), "matrix", ctx);
            None
        }
        Some(m) => ahp_matrix(m, ctx, w),
    };
    Some(raw::AhpGroup {
        order: order?,
        matrix: matrix?,
        key_span: span,
    })
}

type Matrix = Sp<Vec<Sp<Vec<Sp<raw::AhpEntry>>>>>;

fn ahp_matrix(m: &Spanned<DeValue>, ctx: &str, w: &mut Walker) -> Option<Matrix> {
    let what = format!("`matrix` in {ctx}");
    let DeValue::Array(rows) = m.get_ref() else {
        w.type_error(&what, "an array of rows", m);
        return None;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for row in rows.iter() {
        let DeValue::Array(cells) = row.get_ref() else {
            w.type_error(&format!("each row of {what}"), "an array", row);
            ok = false;
            continue;
        };
        let mut r = Vec::new();
        for cell in cells.iter() {
            match ahp_entry(cell) {
                Ok(d) => r.push(Sp::new(raw::AhpEntry(d), cell.span())),
                Err(msg) => {
                    ok = false;
                    let d = Diagnostic::error("E022", format!("{what}: {msg}"))
                        .at(w.src, cell.span())
                        .label("not a positive number")
                        .hint("write a positive number such as 3, or a fraction such as \"1/3\"");
                    w.diags.push(d);
                }
            }
        }
        out.push(Sp::new(r, row.span()));
    }
    ok.then(|| Sp::new(out, m.span()))
}

/// A matrix entry: a positive number, or `"a/b"` with positive a and b.
fn ahp_entry(v: &Spanned<DeValue>) -> Result<Decimal, String> {
    let value = match v.get_ref() {
        DeValue::String(s) => {
            let (a, b) = match s.split_once('/') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (s.trim(), "1"),
            };
            let a =
                Decimal::from_str(a).map_err(|_| format!("\"{s}\" is not a number or fraction"))?;
            let b =
                Decimal::from_str(b).map_err(|_| format!("\"{s}\" is not a number or fraction"))?;
            if b.is_zero() {
                return Err(format!("\"{s}\" divides by zero"));
            }
            a.checked_div(b)
                .ok_or_else(|| format!("\"{s}\" is out of range"))?
        }
        other => match decimal_of(other) {
            Some(Ok(d)) => d,
            Some(Err(_)) => return Err("entry is not a finite number in range".into()),
            None => return Err(format!("entry is {}", type_name(other))),
        },
    };
    if value <= Decimal::ZERO {
        return Err(format!("entry {value} is not positive"));
    }
    Ok(value)
}
