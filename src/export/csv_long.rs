//! `evaluate --format csv-long`: one CSV row per unit × node (the
//! composite, each perspective, objective and indicator), the columns of
//! [`Column::ALL`], for BI tools that want tidy data. Numbers are printed
//! as JSON prints them (every digit), scores rounded when `--decimals`
//! asks; empty cells are absent values.

use std::io::{self, Write};

use super::{Cell, Column, Number, Unit, rows};
use crate::model::Scorecard;

/// The header line.
pub fn header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(Column::ALL.iter().map(|c| c.name()));
    w.into_inner().unwrap_or_default()
}

/// One unit's rows (no header), written into `buf` (emptied first), which
/// is given back: callers reuse their buffers from one unit to the next.
/// `decimals`: round scores to that many decimals (`--decimals`), else
/// print them at full precision.
pub fn unit_rows(
    card: &Scorecard,
    unit: Unit,
    previous_period: Option<&str>,
    decimals: Option<u32>,
    mut buf: Vec<u8>,
) -> Vec<u8> {
    buf.clear();
    let mut w = csv::Writer::from_writer(buf);
    // Each cell goes to the writer as it is made, numbers through one
    // buffer: a record of owned strings cost an allocation per cell, 23
    // cells a row, over a hundred rows a unit.
    let mut number = String::new();
    for row in rows(card, unit, previous_period) {
        for &c in Column::ALL.iter() {
            let text = match row.cell(c) {
                Cell::Empty => "",
                Cell::Text(t) => t,
                Cell::Number(d, kind) => {
                    number.clear();
                    match (kind, decimals) {
                        // Half away from zero, as reports and tables round.
                        (Number::Score, Some(n)) => number.push_str(&crate::format::fixed(d, n)),
                        _ => crate::format::push_plain(&mut number, d.normalize()),
                    }
                    &number
                }
            };
            // Writing to memory cannot fail.
            let _ = w.write_field(text);
        }
        let _ = w.write_record(None::<&[u8]>);
    }
    w.into_inner().unwrap_or_default()
}

/// The whole document: the header, then each unit's rows in order.
pub fn write(
    card: &Scorecard,
    units: &[Unit],
    previous_period: Option<&str>,
    decimals: Option<u32>,
    out: &mut dyn Write,
) -> io::Result<()> {
    out.write_all(&header())?;
    let mut buf = Vec::with_capacity(256 * (card.indicators.len() + 8));
    for u in units {
        buf = unit_rows(card, *u, previous_period, decimals, buf);
        out.write_all(&buf)?;
    }
    Ok(())
}
