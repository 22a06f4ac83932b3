//! `evaluate --format xlsx`: the results as a workbook of three sheets.
//!
//! - **Summary**: one row per unit in ranking order, the columns of
//!   `--format csv` (`rank`, `unit`, `composite`, `status`, `coverage`,
//!   then each perspective, headed by its name);
//! - **Units**: one row per unit × composite, perspective and objective;
//! - **Indicators**: one row per unit × indicator.
//!
//! Units and Indicators hold the csv-long rows (Units the ones above the
//! indicators), under the same column names. Numbers are cells of type
//! number at full precision (as far as a spreadsheet's binary floating
//! point holds them: about 15 significant digits); scores are shown with
//! the card's `precision` (or `--decimals`) decimals, weights and coverage
//! as percentages, `%` indicators' values as percentages, other values as
//! they are. Each sheet's header row is frozen and carries a filter. The
//! same inputs give the same bytes (the workbook's creation time is fixed).

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::{Cell, Column, Kind, Number, Row, Unit, rows};
use crate::model::Scorecard;
use crate::portfolio::output::{self, Style, Summary};

/// The Units sheet's columns.
const UNIT_COLUMNS: [Column; 14] = [
    Column::Unit,
    Column::Period,
    Column::PreviousPeriod,
    Column::Kind,
    Column::Id,
    Column::Name,
    Column::Perspective,
    Column::Owner,
    Column::Score,
    Column::Status,
    Column::Weight,
    Column::EffectiveWeight,
    Column::Coverage,
    Column::PreviousScore,
];

/// The Indicators sheet's columns.
const INDICATOR_COLUMNS: [Column; 21] = [
    Column::Unit,
    Column::Period,
    Column::PreviousPeriod,
    Column::Id,
    Column::Name,
    Column::Perspective,
    Column::Objective,
    Column::Owner,
    Column::Actual,
    Column::Baseline,
    Column::Target,
    Column::TargetLow,
    Column::TargetHigh,
    Column::Score,
    Column::Status,
    Column::Weight,
    Column::EffectiveWeight,
    Column::PreviousScore,
    Column::PreviousActual,
    Column::MissingReason,
    Column::Note,
];

/// Rows a worksheet holds, its header included.
const MAX_ROWS: usize = 1_048_576;

/// Characters a cell holds.
const MAX_TEXT: usize = 32_767;

/// The formats of the workbook's cells.
struct Formats {
    header: Format,
    score: Format,
    /// Fractions as percentages: weights, coverage, `%` indicators' values.
    percent: Format,
}

impl Formats {
    fn new(decimals: u32) -> Formats {
        let score = if decimals == 0 {
            "0".to_string()
        } else {
            format!("0.{}", "0".repeat(decimals as usize))
        };
        Formats {
            header: Format::new().set_bold(),
            score: Format::new().set_num_format(score),
            percent: Format::new().set_num_format("0.0##%"),
        }
    }
}

/// The workbook of `units` (in input order), as bytes. `decimals`: the
/// decimals scores show (default: the card's `precision`); the numbers
/// themselves are never rounded. An error says why no workbook can be
/// made (more rows than a sheet holds).
pub fn workbook(
    card: &Scorecard,
    units: &[Unit],
    previous_period: Option<&str>,
    decimals: Option<u32>,
) -> Result<Vec<u8>, String> {
    let formats = Formats::new(decimals.unwrap_or(card.precision));
    let all: Vec<Row> = units
        .iter()
        .flat_map(|u| rows(card, *u, previous_period))
        .collect();
    let (indicators, nodes): (Vec<&Row>, Vec<&Row>) =
        all.iter().partition(|r| r.kind == Kind::Indicator);
    let too_many = |sheet: &str, n: usize| {
        format!(
            "the {sheet} sheet would have {n} rows, more than a worksheet holds ({MAX_ROWS} with the header): write --format csv-long instead, or fewer units (--period, a smaller data file)"
        )
    };
    if indicators.len() >= MAX_ROWS {
        return Err(too_many("Indicators", indicators.len()));
    }
    if nodes.len() >= MAX_ROWS {
        return Err(too_many("Units", nodes.len()));
    }
    let mut book = workbook_titled(&card.name)?;
    summary(card, units, book.add_worksheet(), &formats).map_err(fail)?;
    long_sheet(
        book.add_worksheet(),
        "Units",
        &UNIT_COLUMNS,
        &nodes,
        &formats,
    )
    .map_err(fail)?;
    long_sheet(
        book.add_worksheet(),
        "Indicators",
        &INDICATOR_COLUMNS,
        &indicators,
        &formats,
    )
    .map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

/// A new workbook whose bytes depend on its content only: the creation
/// time, which would change them every run, is fixed (1980-01-01).
pub fn workbook_titled(title: &str) -> Result<Workbook, String> {
    let mut book = Workbook::new();
    let fixed = ExcelDateTime::from_ymd(1980, 1, 1).map_err(fail)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_creation_datetime(&fixed),
    );
    Ok(book)
}

/// What a failed workbook write says.
pub fn fail(e: XlsxError) -> String {
    format!("cannot write the workbook: {e}")
}

/// A decimal as the nearest binary floating-point number (parsing the
/// decimal's digits rounds correctly; a cast through the mantissa need not).
fn float(d: rust_decimal::Decimal) -> f64 {
    super::plain(d).parse().unwrap_or_default()
}

/// Text cut to what a cell holds, with `…` where it was cut.
fn cell_text(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(MAX_TEXT) {
        None => s.into(),
        Some(_) => {
            let end = s
                .char_indices()
                .nth(MAX_TEXT - 1)
                .map_or(s.len(), |(i, _)| i);
            format!("{}…", &s[..end]).into()
        }
    }
}

/// The header row, frozen, with a filter over `rows` rows below it.
fn head(
    sheet: &mut Worksheet,
    names: &[&str],
    rows: usize,
    formats: &Formats,
) -> Result<(), XlsxError> {
    let last =
        u16::try_from(names.len().saturating_sub(1)).map_err(|_| XlsxError::RowColumnLimitError)?;
    for (c, n) in names.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, cell_text(n), &formats.header)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows as u32, last)?;
    Ok(())
}

fn summary(
    card: &Scorecard,
    units: &[Unit],
    sheet: &mut Worksheet,
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    let mut names: Vec<&str> = vec!["rank", "unit", "composite", "status", "coverage"];
    names.extend(card.perspectives.iter().map(|p| p.name.as_str()));
    if names.len() > usize::from(u16::MAX) {
        return Err(XlsxError::RowColumnLimitError);
    }
    head(sheet, &names, units.len(), formats)?;
    sheet.set_column_width(1, 20)?;
    for c in 5..names.len() {
        sheet.set_column_width(c as u16, 14)?;
    }
    let summaries: Vec<Summary> = units
        .iter()
        .map(|u| Summary::of_evaluation(card, u.evaluation, Style::Exact))
        .collect();
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| output::rank_order(&summaries[a], &summaries[b]));
    for (i, &k) in order.iter().enumerate() {
        let (row, e, s) = (i as u32 + 1, units[k].evaluation, &summaries[k]);
        if s.ranked() {
            sheet.write_number(row, 0, (i + 1) as f64)?;
        }
        if let Some(unit) = &e.unit {
            sheet.write_string(row, 1, cell_text(unit))?;
        }
        if let Some(c) = e.composite.score {
            sheet.write_number_with_format(row, 2, float(c), &formats.score)?;
        }
        sheet.write_string(row, 3, e.composite.status.as_str())?;
        sheet.write_number_with_format(row, 4, float(e.composite.coverage), &formats.percent)?;
        for (j, p) in e.perspectives.iter().enumerate() {
            if let Some(score) = p.score {
                sheet.write_number_with_format(row, 5 + j as u16, float(score), &formats.score)?;
            }
        }
    }
    Ok(())
}

fn long_sheet(
    sheet: &mut Worksheet,
    name: &str,
    columns: &[Column],
    rows: &[&Row],
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    let names: Vec<&str> = columns.iter().map(|c| c.name()).collect();
    head(sheet, &names, rows.len(), formats)?;
    for (c, col) in columns.iter().enumerate() {
        let width = match col {
            Column::Name | Column::Note => 36,
            Column::Unit | Column::Id | Column::Perspective | Column::Objective => 20,
            Column::Owner | Column::MissingReason => 18,
            _ => 12,
        };
        sheet.set_column_width(c as u16, width)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, col) in columns.iter().enumerate() {
            let c = c as u16;
            match r.cell(*col) {
                Cell::Empty => {}
                Cell::Text(t) => {
                    sheet.write_string(row, c, cell_text(t))?;
                }
                Cell::Number(d, kind) => {
                    let format = match kind {
                        Number::Score => &formats.score,
                        Number::Share => &formats.percent,
                        Number::Value if r.percent => &formats.percent,
                        Number::Value => {
                            sheet.write_number(row, c, float(d))?;
                            continue;
                        }
                    };
                    sheet.write_number_with_format(row, c, float(d), format)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_to_what_a_cell_holds() {
        assert_eq!(cell_text("东区"), "东区");
        let long = "东".repeat(MAX_TEXT + 5);
        let cut = cell_text(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT);
        assert!(cut.ends_with('…'));
        let exact = "a".repeat(MAX_TEXT);
        assert_eq!(cell_text(&exact), exact);
    }

    #[test]
    fn decimals_become_the_nearest_float() {
        let d: rust_decimal::Decimal = "81.48973015873015873015873016".parse().unwrap();
        assert_eq!(
            float(d),
            "81.48973015873015873015873016".parse::<f64>().unwrap()
        );
        assert_eq!(float(rust_decimal::Decimal::new(1, 1)), 0.1);
    }
}
