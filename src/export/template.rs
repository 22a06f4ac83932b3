//! The blank measurements file of `bsc template`, for one period of a
//! card: what a consultant sends the data owners each quarter. It asks for
//! every value the card needs (indicators scored from a raw value, and the
//! inputs that formulas read; never a computed indicator), each with its
//! name and unit, grouped by perspective. TOML and CSV read back as they
//! are once filled in; the workbook is for people, and exported as CSV it
//! reads back too.

use std::collections::HashSet;

use crate::model::Scorecard;

/// One value to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'c> {
    pub id: &'c str,
    pub name: &'c str,
    pub unit: Option<&'c str>,
}

/// Values under a heading: a perspective's name, or the inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'c> {
    pub heading: &'c str,
    pub entries: Vec<Entry<'c>>,
}

const INPUTS: &str = "Inputs of computed indicators";

/// The values a measurements file for `card` should give, grouped by
/// perspective in declaration order, then the inputs; groups with nothing
/// to ask for are left out. An input no formula reads (W003) is not asked
/// for: nothing would use it.
pub fn groups(card: &Scorecard) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = card
        .perspectives
        .iter()
        .enumerate()
        .map(|(p, persp)| Group {
            heading: &persp.name,
            entries: card
                .indicators
                .iter()
                .filter(|i| i.perspective == p && i.formula.is_none())
                .map(|i| Entry {
                    id: &i.id,
                    name: &i.name,
                    unit: i.unit.as_deref(),
                })
                .collect(),
        })
        .collect();
    let read: HashSet<&str> = card
        .indicators
        .iter()
        .filter_map(|i| i.formula.as_ref())
        .flat_map(|f| f.expr.vars().map(|o| o.id.as_str()))
        .collect();
    out.push(Group {
        heading: INPUTS,
        entries: card
            .inputs
            .iter()
            .filter(|i| read.contains(i.id.as_str()))
            .map(|i| Entry {
                id: &i.id,
                name: &i.name,
                unit: i.unit.as_deref(),
            })
            .collect(),
    });
    out.retain(|g| !g.entries.is_empty());
    out
}

/// Text fit for one comment line: line breaks and other control
/// characters (which TOML comments may not hold) become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The TOML template: `scorecard` and `period` set, a blank `id = ""` per
/// value under a comment with its name and unit. A blank left as it is
/// reads as error E035 ("value of `csat` is missing"), so an unfinished
/// file cannot pass for a complete one; a value nobody has is deleted.
pub fn toml(card: &Scorecard, period: &str) -> String {
    let groups = groups(card);
    let example = groups
        .first()
        .and_then(|g| g.entries.first())
        .map_or("id", |e| e.id);
    let mut s = format!(
        "# {}: measurements for {period}, to fill in.\n\
         # Write each value in place of its \"\" ({example} = 12.5), or between the quotes.\n\
         # A value you do not have: delete its line; a \"\" left blank is an error.\n",
        one_line(&card.name)
    );
    if groups
        .iter()
        .flat_map(|g| &g.entries)
        .any(|e| e.unit == Some("%"))
    {
        s.push_str("# `%` values are fractions: 0.44 for 44%.\n");
    }
    s.push_str("# Check the file with: bsc validate CARD --measurements FILE\n");
    s.push_str(&format!(
        "\nscorecard = {}\nperiod = {}\n\n[values]\n",
        quoted(&card.id),
        quoted(period)
    ));
    for g in &groups {
        s.push_str(&format!("\n# == {} ==\n", one_line(g.heading)));
        for e in &g.entries {
            let unit = e
                .unit
                .map_or(String::new(), |u| format!(" [{}]", one_line(u)));
            s.push_str(&format!("# {}{unit}\n{} = \"\"\n", one_line(e.name), e.id));
        }
    }
    s.push_str(
        "\n# Optional: a note (Markdown) on any id, e.g. why it moved.\n# [notes]\n# id = \"...\"\n",
    );
    s
}

/// The CSV template: `id,name,unit,value,note`, the value and note empty.
/// The measurements reader ignores `name` and `unit`, and an empty value
/// is no value, as in any CSV measurements file.
pub fn csv(card: &Scorecard) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let rows = std::iter::once(["id", "name", "unit", "value", "note"]).chain(
        groups(card)
            .into_iter()
            .flat_map(|g| g.entries)
            .map(|e| [e.id, e.name, e.unit.unwrap_or(""), "", ""]),
    );
    for row in rows {
        w.write_record(row).expect("writing to memory cannot fail");
    }
    w.into_inner().expect("writing to memory cannot fail")
}

/// The workbook template: one sheet named after the period with the CSV's
/// columns, a bold frozen header, the value column empty. The same inputs
/// give the same bytes (the creation time is fixed).
pub fn xlsx(card: &Scorecard, period: &str) -> Result<Vec<u8>, String> {
    use super::xlsx::{fail, workbook_titled};
    use rust_xlsxwriter::Format;
    let mut book = workbook_titled(&format!("{}: measurements for {period}", card.name))?;
    let sheet = book.add_worksheet();
    // A label Excel refuses as a sheet name (over 31 characters,
    // `History`) leaves the sheet `Sheet1`.
    let _ = sheet.set_name(period);
    let bold = Format::new().set_bold();
    for (col, title) in ["id", "name", "unit", "value", "note"].iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *title, &bold)
            .map_err(fail)?;
    }
    let entries = groups(card).into_iter().flat_map(|g| g.entries);
    for (row, e) in (1u32..).zip(entries) {
        sheet.write_string(row, 0, e.id).map_err(fail)?;
        sheet.write_string(row, 1, e.name).map_err(fail)?;
        if let Some(u) = e.unit {
            sheet.write_string(row, 2, u).map_err(fail)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    sheet.autofit();
    sheet.set_column_width(3, 14).map_err(fail)?;
    sheet.set_column_width(4, 40).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(text: &str) -> Scorecard {
        let src = crate::source::SourceFile::new(std::path::Path::new("c.toml"), text.into());
        let mut diags = crate::diag::Diagnostics::default();
        crate::check_scorecard(&src, &mut diags).expect("a valid card")
    }

    const CARD: &str = r#"
[scorecard]
id = "demo"
name = "Demo\nline two"

[[perspectives]]
id = "financial"
name = "Money, mostly"

[[perspectives]]
id = "customer"

[[indicators]]
id = "margin"
perspective = "customer"
name = "Margin, gross"
unit = "%"
formula = "profit / revenue"
baseline = 0.1
target = 0.3

[[indicators]]
id = "revenue"
perspective = "financial"
name = "Revenue \"net\""
unit = "USD"
baseline = 100
target = 120

[[indicators]]
id = "csat"
perspective = "customer"
baseline = 3
target = 4.5

[[inputs]]
id = "profit"
name = "Profit"

[[inputs]]
id = "headcount"
"#;

    #[test]
    fn asks_for_raw_indicators_by_perspective_then_the_inputs_formulas_read() {
        let c = card(CARD);
        let g = groups(&c);
        let shape: Vec<(&str, Vec<&str>)> = g
            .iter()
            .map(|g| (g.heading, g.entries.iter().map(|e| e.id).collect()))
            .collect();
        // `margin` is computed and `headcount` read by no formula; `revenue`
        // is both scored and read.
        assert_eq!(
            shape,
            [
                ("Money, mostly", vec!["revenue"]),
                ("Customer", vec!["csat"]),
                (INPUTS, vec!["profit"]),
            ]
        );
    }

    #[test]
    fn the_toml_template_is_toml_with_one_blank_per_value() {
        let c = card(CARD);
        let text = toml(&c, "2026-Q3");
        let parsed: toml::Table = text.parse().expect("valid TOML");
        assert_eq!(parsed["scorecard"].as_str(), Some("demo"));
        assert_eq!(parsed["period"].as_str(), Some("2026-Q3"));
        let values = parsed["values"].as_table().expect("[values]");
        let ids: Vec<&str> = values.keys().map(String::as_str).collect();
        assert_eq!(ids, ["csat", "profit", "revenue"]);
        assert!(values.values().all(|v| v.as_str() == Some("")));
        // A name with a line break stays one comment line.
        assert!(text.starts_with("# Demo line two: measurements for 2026-Q3"));
        assert!(text.contains("# Revenue \"net\" [USD]\nrevenue = \"\"\n"));
        assert!(text.contains("# Profit\nprofit = \"\"\n"));
        // No `%` value is asked for, so no word about fractions.
        assert!(!text.contains("fractions"));
    }

    #[test]
    fn the_csv_template_quotes_what_needs_it() {
        let c = card(CARD);
        let text = String::from_utf8(csv(&c)).unwrap();
        assert_eq!(
            text,
            "id,name,unit,value,note\nrevenue,\"Revenue \"\"net\"\"\",USD,,\ncsat,csat,,,\nprofit,Profit,,,\n"
        );
    }
}
