//! Measurements (SPEC §3): one period's actual values, from TOML or CSV,
//! read exactly and checked against the validated scorecard.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use rust_decimal::Decimal;
use toml::de::DeValue;

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::load::{self, Walker};
use crate::model::{Scorecard, ValueRef};
use crate::raw;
use crate::source::Source;

/// One period's values for one scorecard.
#[derive(Debug, Clone, Default)]
pub struct Measurements {
    /// Where the values came from (file name), for messages.
    pub origin: String,
    pub period: String,
    pub unit: Option<String>,
    /// Indicator and input ids -> actual values.
    pub values: HashMap<String, Decimal>,
    /// Markdown notes by id.
    pub notes: HashMap<String, String>,
}

/// Loads a TOML or CSV measurements file (by extension) against a card.
pub fn load(
    src: &Source,
    card: &Scorecard,
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Measurements> {
    let is_csv = Path::new(&src.name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let before = diags.error_count();
    let m = if is_csv {
        from_csv(src, card, period, diags)
    } else {
        from_toml(src, card, period, diags)
    };
    (diags.error_count() == before).then_some(m?)
}

/// Checks that `id` may be given a value; pushes E031/E032 otherwise.
fn check_value_id(
    card: &Scorecard,
    id: &str,
    span: Range<usize>,
    src: &Source,
    diags: &mut Diagnostics,
) -> bool {
    match card.ids.get(id) {
        Some(ValueRef::Indicator(i)) if card.indicators[*i].formula.is_some() => {
            let f = &card.indicators[*i].formula.as_ref().expect("checked").text;
            diags.push(
                Diagnostic::error(
                    "E032",
                    format!("`{id}` is a computed indicator; it cannot be given a value"),
                )
                .at(src, span)
                .label("computed from its formula")
                .hint(format!(
                    "give values for what its formula reads instead: {f}"
                )),
            );
            false
        }
        Some(_) => true,
        None => {
            let hint = diags
                .did_you_mean(id, card.ids.keys().map(String::as_str))
                .unwrap_or_else(|| "remove it, or declare it in the scorecard".into());
            diags.push(
                Diagnostic::error(
                    "E031",
                    format!(
                        "`{id}` is not an indicator or input of scorecard `{}`",
                        card.id
                    ),
                )
                .at(src, span)
                .label("unknown id")
                .hint_opt(Some(hint)),
            );
            false
        }
    }
}

fn check_note_id(
    card: &Scorecard,
    id: &str,
    span: Range<usize>,
    src: &Source,
    diags: &mut Diagnostics,
) -> bool {
    if card.ids.contains_key(id) {
        return true;
    }
    let hint = diags.did_you_mean(id, card.ids.keys().map(String::as_str));
    diags.push(
        Diagnostic::error(
            "E031",
            format!(
                "note for `{id}`, which is not an indicator or input of scorecard `{}`",
                card.id
            ),
        )
        .at(src, span)
        .label("unknown id")
        .hint_opt(hint),
    );
    false
}

/// Parses a decimal written as a string value (`"0.1"`, `" 1200 "`).
fn decimal_string(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '_'))
    {
        return None;
    }
    load::decimal_from_text(t).ok()
}

fn from_toml(
    src: &Source,
    card: &Scorecard,
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Measurements> {
    let root = load::parse_toml(src, diags)?;
    let top = root.get_ref();
    let mut w = Walker { src, diags };
    let ctx = "the measurements file";
    w.unknown_keys(top, &raw::schema_keys::<raw::MeasurementsFile>(), ctx);
    let mut m = Measurements {
        origin: src.name.clone(),
        ..Default::default()
    };
    if let Some(sc) = w.string(top, "scorecard", ctx)
        && sc.value != card.id
    {
        w.diags.push(
            Diagnostic::error(
                "E030",
                format!(
                    "measurements are for scorecard `{}`, not `{}`",
                    sc.value, card.id
                ),
            )
            .at(src, sc.span)
            .label("different scorecard")
            .hint("pass the matching scorecard, or fix `scorecard = ...`"),
        );
    }
    match (w.string(top, "period", ctx), period) {
        (_, Some(p)) => m.period = p.to_string(),
        (Some(p), None) => m.period = p.value,
        (None, None) => {
            if top.get("period").is_none() {
                w.missing_key(0..0, "period", ctx);
            }
        }
    }
    m.unit = w.string(top, "unit", ctx).map(|u| u.value);
    if let Some((values, _)) = w.table(top, "values", ctx) {
        for (k, v) in values.iter() {
            let id: &str = k.get_ref();
            let what = format!("value of `{id}`");
            let value = match v.get_ref() {
                DeValue::String(s) => match decimal_string(s) {
                    Some(d) => Some(d),
                    None => {
                        w.diags.push(
                            Diagnostic::error("E035", format!("{what} \"{}\" is not a decimal number", crate::diag::echo(s)))
                                .at(src, v.span())
                                .label("not a number")
                                .hint("write a number such as 0.12, or a string holding one such as \"0.12\""),
                        );
                        None
                    }
                },
                other => match load::decimal_of(other) {
                    Some(Ok(d)) => Some(d),
                    Some(Err(e)) => {
                        w.number_error(&what, e, v.span());
                        None
                    }
                    None => {
                        w.type_error(&what, "a number or a decimal string", v);
                        None
                    }
                },
            };
            if check_value_id(card, id, k.span(), src, w.diags)
                && let Some(d) = value
            {
                m.values.insert(id.to_string(), d);
            }
        }
    }
    if let Some((notes, _)) = w.table(top, "notes", ctx) {
        for (k, _) in notes.iter() {
            let id: &str = k.get_ref();
            let note = w.string(notes, id, "`[notes]`");
            if check_note_id(card, id, k.span(), src, w.diags)
                && let Some(n) = note
            {
                m.notes.insert(id.to_string(), n.value);
            }
        }
    }
    Some(m)
}

/// The period a CSV file's name implies: a trailing `YYYY-Qn`, `YYYY-Hn`,
/// `YYYY-MM` or `YYYY` when there is one, else the whole file stem.
pub fn period_from_file_name(name: &str) -> String {
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parts: Vec<&str> = stem.split(['-', '_', '.']).collect();
    let is_year = |s: &str| s.len() == 4 && s.chars().all(|c| c.is_ascii_digit());
    let is_sub = |s: &str| {
        let u = s.to_ascii_uppercase();
        (u.len() == 2
            && (u.starts_with('Q') || u.starts_with('H'))
            && u[1..].chars().all(|c| c.is_ascii_digit()))
            || (s.len() == 2 && s.chars().all(|c| c.is_ascii_digit()))
    };
    let n = parts.len();
    if n >= 2 && is_year(parts[n - 2]) && is_sub(parts[n - 1]) {
        return format!("{}-{}", parts[n - 2], parts[n - 1]);
    }
    if n >= 1 && is_year(parts[n - 1]) {
        return parts[n - 1].to_string();
    }
    stem
}

/// Byte span of field `col` on the CSV line starting at `line_start`,
/// exact for unquoted fields; the whole line otherwise.
pub fn csv_field_span(text: &str, line_start: usize, col: usize) -> Range<usize> {
    // A row ends at `\n`, `\r\n` or a lone `\r`, as the CSV reader reads it.
    let line_end = memchr::memchr2(b'\n', b'\r', &text.as_bytes()[line_start..])
        .map_or(text.len(), |i| line_start + i);
    let line = &text[line_start..line_end];
    if line.contains('"') {
        return line_start..line_start + line.len();
    }
    let mut start = line_start;
    for (i, field) in line.split(',').enumerate() {
        if i == col {
            return start..start + field.len();
        }
        start += field.len() + 1;
    }
    line_start..line_start + line.len()
}

fn from_csv(
    src: &Source,
    card: &Scorecard,
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Measurements> {
    let mut m = Measurements {
        origin: src.name.clone(),
        period: period.map_or_else(|| period_from_file_name(&src.name), str::to_string),
        ..Default::default()
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(src.text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            diags.push(
                Diagnostic::error("E036", format!("CSV header cannot be read: {e}")).at(src, 0..0),
            );
            return None;
        }
    };
    let cols: Vec<String> = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let first_line = 0..src.text.find('\n').unwrap_or(src.text.len());
    let (Some(id_col), Some(value_col)) = (
        cols.iter().position(|c| c == "id"),
        cols.iter().position(|c| c == "value"),
    ) else {
        diags.push(
            Diagnostic::error("E036", "CSV header must have `id` and `value` columns")
                .at(src, first_line)
                .label("header")
                .hint("the first line should read `id,value` (optionally `,note`)"),
        );
        return None;
    };
    let note_col = cols.iter().position(|c| c == "note");
    for (i, c) in cols.iter().enumerate() {
        if !["id", "value", "note"].contains(&c.as_str()) {
            diags.push(
                Diagnostic::error("E036", format!("unknown CSV column `{c}`"))
                    .at(src, csv_field_span(&src.text, 0, i))
                    .label("unknown column")
                    .hint_opt(
                        did_you_mean(c, ["id", "value", "note"])
                            .or_else(|| Some("columns are id, value and note".into())),
                    ),
            );
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let at = e.position().map_or(0, |p| p.byte() as usize);
                diags.push(
                    Diagnostic::error("E036", format!("CSV row cannot be read: {e}"))
                        .at(src, at..at),
                );
                continue;
            }
        };
        let start = rec.position().map_or(0, |p| p.byte() as usize);
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let id = rec.get(id_col).unwrap_or("").trim();
        let raw_value = rec.get(value_col).unwrap_or("").trim();
        if id.is_empty() {
            diags.push(
                Diagnostic::error("E036", format!("CSV line {line} has an empty id"))
                    .at(src, csv_field_span(&src.text, start, id_col))
                    .label("empty id"),
            );
            continue;
        }
        if let Some(first) = seen.insert(id.to_string(), line) {
            diags.push(
                Diagnostic::error(
                    "E037",
                    format!("`{id}` is given twice (lines {first} and {line})"),
                )
                .at(src, csv_field_span(&src.text, start, id_col))
                .label("duplicate")
                .hint("give each id once per period"),
            );
            continue;
        }
        if !check_value_id(
            card,
            id,
            csv_field_span(&src.text, start, id_col),
            src,
            diags,
        ) {
            continue;
        }
        if !raw_value.is_empty() {
            match decimal_string(raw_value) {
                Some(d) => {
                    m.values.insert(id.to_string(), d);
                }
                None => {
                    let msg = if ["nan", "inf", "-inf", "+inf"]
                        .contains(&raw_value.to_ascii_lowercase().as_str())
                    {
                        format!("value of `{id}` on line {line} is not a finite number")
                    } else {
                        format!(
                            "value of `{id}` on line {line} (\"{}\") is not a decimal number",
                            crate::diag::echo(raw_value)
                        )
                    };
                    diags.push(
                        Diagnostic::error("E035", msg)
                            .at(src, csv_field_span(&src.text, start, value_col))
                            .label("not a number")
                            .hint("write a plain decimal such as 0.12 (no units or thousands separators); leave it empty for no value"),
                    );
                }
            }
        }
        if let Some(nc) = note_col {
            let note = rec.get(nc).unwrap_or("").trim();
            if !note.is_empty() {
                m.notes.insert(id.to_string(), note.to_string());
            }
        }
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_from_file_names() {
        assert_eq!(period_from_file_name("data/crm-2026-Q3.csv"), "2026-Q3");
        assert_eq!(period_from_file_name("2026-03.csv"), "2026-03");
        assert_eq!(period_from_file_name("east_2025.csv"), "2025");
        assert_eq!(period_from_file_name("latest.csv"), "latest");
    }

    #[test]
    fn decimal_strings() {
        assert_eq!(
            decimal_string(" 0.10 ").map(|d| d.to_string()),
            Some("0.10".into())
        );
        assert_eq!(decimal_string("1,200"), None);
        assert_eq!(decimal_string("12%"), None);
        assert_eq!(decimal_string("nan"), None);
        assert_eq!(decimal_string(""), None);
    }

    #[test]
    fn csv_spans() {
        let t = "id,value\nabc,12\n";
        assert_eq!(&t[csv_field_span(t, 9, 1)], "12");
        assert_eq!(&t[csv_field_span(t, 9, 0)], "abc");
    }
}
