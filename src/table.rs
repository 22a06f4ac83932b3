//! The terminal view of an evaluation: an aligned tree of perspectives,
//! objectives and indicators. Widths are display widths, so Chinese names
//! line up with Latin ones.

use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

use rust_decimal::Decimal;

use crate::format;
use crate::model::{Node, Scorecard};
use crate::score::{Evaluation, Status};

/// A column the table shows on request (`--columns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Column {
    /// Who answers for the perspective, objective or indicator.
    Owner,
    /// The baseline in force.
    Baseline,
    /// The share of the composite the row carries when nothing is missing.
    Weight,
}

impl Column {
    fn header(self) -> &'static str {
        match self {
            Column::Owner => "owner",
            Column::Baseline => "baseline",
            Column::Weight => "weight",
        }
    }
}

struct Row {
    depth: usize,
    /// The `--columns` cells, in the order asked for.
    extra: Vec<String>,
    name: String,
    actual: String,
    target: String,
    score: String,
    status: Option<Status>,
    trend: String,
}

/// Pads to a display width (CJK characters count double).
pub(crate) fn pad_right(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

pub(crate) fn pad_left(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{}{s}", " ".repeat(width.saturating_sub(w)))
}

/// Colours text by status (ANSI), only when colour is wanted.
pub(crate) fn paint(status: Status, text: &str, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match status {
        Status::Green => "32",
        Status::Amber => "33",
        Status::Red => "31",
        Status::Missing => "2",
        // Not a verdict on performance but a warning about the data: its
        // own colour, never green.
        Status::Insufficient => "1;35",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Green => "● green",
        Status::Amber => "◐ amber",
        Status::Red => "○ red",
        Status::Missing => "– missing",
        Status::Insufficient => "⚠ insufficient",
    }
}

pub fn render(card: &Scorecard, e: &Evaluation, columns: &[Column], color: bool) -> String {
    let p = card.precision;
    let score_txt = |s: Option<rust_decimal::Decimal>| {
        s.map_or_else(|| "–".to_string(), |s| format::score(s, p))
    };
    let mut rows: Vec<Row> = Vec::new();
    for (pi, persp) in card.perspectives.iter().enumerate() {
        let pr = &e.perspectives[pi];
        let extra = |owner: &Option<String>, baseline: String, weight: Decimal| -> Vec<String> {
            columns
                .iter()
                .map(|c| match c {
                    Column::Owner => owner.clone().unwrap_or_default(),
                    Column::Baseline => baseline.clone(),
                    Column::Weight => format::share(weight),
                })
                .collect()
        };
        rows.push(Row {
            depth: 0,
            extra: extra(&persp.owner, String::new(), persp.share),
            name: format!("{} ({})", persp.name, format::share(persp.share)),
            actual: String::new(),
            target: String::new(),
            score: score_txt(pr.score),
            status: Some(pr.status),
            trend: String::new(),
        });
        let indicator_row = |i: usize, depth: usize| {
            let ind = &card.indicators[i];
            let r = &e.indicators[i];
            let change = format::change(r.score, r.previous_score.flatten());
            let trend = match (change, format::trend(change).1) {
                (Some(d), arrow) => format!("{arrow} {}", format::delta(d, p)),
                (None, _) => String::new(),
            };
            Row {
                depth,
                extra: extra(
                    &ind.owner,
                    format::baseline(&r.rule, ind.unit.as_deref(), p).unwrap_or_default(),
                    ind.effective_weight,
                ),
                name: ind.name.clone(),
                actual: r.actual.map_or_else(
                    || r.reason.clone().unwrap_or_default(),
                    |a| format::actual(ind, a, p),
                ),
                target: format::target(&r.rule, ind.unit.as_deref(), p),
                score: score_txt(r.score),
                status: Some(r.status),
                trend,
            }
        };
        for c in &persp.children {
            match c {
                Node::Objective(o) => {
                    let obj = &card.objectives[*o];
                    let or = &e.objectives[*o];
                    rows.push(Row {
                        depth: 1,
                        extra: extra(&obj.owner, String::new(), persp.share * obj.share),
                        name: format!("{} ({})", obj.name, format::share(obj.share)),
                        actual: String::new(),
                        target: String::new(),
                        score: score_txt(or.score),
                        status: Some(or.status),
                        trend: String::new(),
                    });
                    for &i in &obj.indicators {
                        rows.push(indicator_row(i, 2));
                    }
                }
                Node::Indicator(i) => rows.push(indicator_row(*i, 1)),
            }
        }
    }

    let headers = ["", "actual", "target", "score", "status", "trend"];
    let name_w = rows
        .iter()
        .map(|r| r.depth * 2 + UnicodeWidthStr::width(r.name.as_str()))
        .chain([UnicodeWidthStr::width(headers[0])])
        .max()
        .unwrap_or(0);
    let col = |f: &dyn Fn(&Row) -> &str, h: &str| {
        rows.iter()
            .map(|r| UnicodeWidthStr::width(f(r)))
            .chain([UnicodeWidthStr::width(h)])
            .max()
            .unwrap_or(0)
    };
    let actual_w = col(&|r| &r.actual, headers[1]);
    let target_w = col(&|r| &r.target, headers[2]);
    let score_w = col(&|r| &r.score, headers[3]);
    let status_w = 9;
    let trend_w = col(&|r| &r.trend, headers[5]);
    let extra_w: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(k, c)| {
            rows.iter()
                .map(|r| UnicodeWidthStr::width(r.extra[k].as_str()))
                .chain([UnicodeWidthStr::width(c.header())])
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Text columns (owner) read left-aligned, numbers right-aligned.
    let cell = |c: Column, text: &str, w: usize| match c {
        Column::Owner => pad_right(text, w),
        _ => pad_left(text, w),
    };

    let mut out = String::new();
    let comp = &e.composite;
    let unit = e
        .unit
        .as_ref()
        .map(|u| format!(" · {u}"))
        .unwrap_or_default();
    let _ = writeln!(out, "{} · {}{unit}", card.name, e.period);
    // Below the minimum coverage the score is still shown, but the status
    // says in words why it is not a verdict.
    let verdict = match comp.status {
        Status::Insufficient => paint(
            comp.status,
            &format!(
                "⚠ insufficient data (coverage {}, minimum {})",
                format::share(comp.coverage),
                format::setting_share(card.min_coverage)
            ),
            color,
        ),
        s => format!(
            "{}   coverage {}",
            paint(s, status_label(s), color),
            format::share(comp.coverage)
        ),
    };
    let _ = writeln!(out, "composite {} {verdict}", score_txt(comp.score));
    let _ = writeln!(out);
    let header_extra: String = columns
        .iter()
        .zip(&extra_w)
        .map(|(c, w)| format!("  {}", cell(*c, c.header(), *w)))
        .collect();
    let header = format!(
        "{}  {}  {}  {}  {}  {}{header_extra}",
        pad_right("", name_w),
        pad_left(headers[1], actual_w),
        pad_left(headers[2], target_w),
        pad_left(headers[3], score_w),
        pad_right(headers[4], status_w),
        if columns.is_empty() {
            headers[5].to_string()
        } else {
            pad_right(headers[5], trend_w)
        }
    );
    let _ = writeln!(out, "{}", header.trim_end());
    for r in &rows {
        let name = format!("{}{}", "  ".repeat(r.depth), r.name);
        let status = r.status.map(status_label).unwrap_or("");
        let status_cell = pad_right(status, status_w);
        let status_cell = match r.status {
            Some(s) => paint(s, &status_cell, color),
            None => status_cell,
        };
        let row_extra: String = columns
            .iter()
            .zip(&extra_w)
            .zip(&r.extra)
            .map(|((c, w), text)| format!("  {}", cell(*c, text, *w)))
            .collect();
        let line = format!(
            "{}  {}  {}  {}  {}  {}{row_extra}",
            pad_right(&name, name_w),
            pad_left(&r.actual, actual_w),
            pad_left(&r.target, target_w),
            pad_left(&r.score, score_w),
            status_cell,
            pad_right(&r.trend, if columns.is_empty() { 0 } else { trend_w })
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    initiatives(e, &mut out);
    out
}

/// The initiatives below the table: overdue ones first, each with its
/// status in words and a shape, progress, due date and owner.
fn initiatives(e: &Evaluation, out: &mut String) {
    if e.initiatives.is_empty() {
        return;
    }
    let mut list: Vec<&crate::score::follow_up::InitiativeResult> = e.initiatives.iter().collect();
    // Stable: overdue first, then declaration order.
    list.sort_by_key(|r| r.overdue != Some(true));
    let _ = writeln!(out);
    let _ = writeln!(out, "initiatives");
    let name_w = list
        .iter()
        .map(|r| UnicodeWidthStr::width(r.name.as_str()))
        .max()
        .unwrap_or(0);
    for r in list {
        let mut facts: Vec<String> = Vec::new();
        if let Some(p) = r.progress {
            facts.push(format!("{} done", format::share(p)));
        }
        if let Some(d) = r.due {
            facts.push(if r.overdue == Some(true) {
                format!("OVERDUE, due {d}")
            } else {
                format!("due {d}")
            });
        }
        if let Some(o) = &r.owner {
            facts.push(o.clone());
        }
        let line = format!(
            "  {}  {}  {}",
            pad_right(&r.name, name_w),
            pad_right(&initiative_status(r.status), 13),
            facts.join(" · ")
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// An initiative's status as a shape and words, never colour alone.
pub(crate) fn initiative_status(s: crate::model::InitiativeStatus) -> String {
    use crate::model::InitiativeStatus as S;
    match s {
        S::Planned => "○ planned",
        S::OnTrack => "▶ on track",
        S::AtRisk => "△ at risk",
        S::Late => "▲ late",
        S::Done => "✓ done",
        S::Cancelled => "✕ cancelled",
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insufficient_is_never_painted_green() {
        let green = paint(Status::Green, "x", true);
        let insufficient = paint(Status::Insufficient, "x", true);
        assert!(green.starts_with("\x1b[32m"));
        assert_ne!(insufficient, green);
        assert!(!insufficient.contains("[32m"));
        assert_eq!(paint(Status::Insufficient, "x", false), "x");
    }
}
