//! `bsc explain`: why the composite is what it is (SPEC §15) — the
//! indicators that carried its change since the period compared with,
//! grouped by perspective, and how far each weight can move before the
//! status changes.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::cli::{Exit, ExplainArgs, ExplainFormat};
use crate::explain::{self, Explanation};
use crate::format;
use crate::model::Scorecard;
use crate::table::{pad_left, pad_right};

pub fn run(args: &ExplainArgs) -> Exit {
    if let Some(data) = &args.inputs.data {
        return portfolio(args, data);
    }
    let run = match super::evaluate_files(&args.inputs) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let x = explain::explain(&run.card, &run.evaluation);
    let bytes = match args.format {
        ExplainFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&x).expect("explanation serialises");
            v.push(b'\n');
            v
        }
        ExplainFormat::Table => table(&run.card, &x, args.top).into_bytes(),
    };
    crate::output::print(&bytes)
}

/// `bsc explain --data`: the portfolio's sensitivity to its weights.
fn portfolio(args: &ExplainArgs, data: &std::path::Path) -> Exit {
    let (card, _) =
        match super::load_run(&args.inputs.scorecard, &[], None, args.inputs.deny_warnings) {
            Ok(x) => x,
            Err(e) => return e,
        };
    let year_ago = args.inputs.compare == crate::cli::Compare::YearAgo;
    let units = match crate::portfolio::evaluations(&card, data, args.inputs.selection(), year_ago)
    {
        Ok((_, units)) => units,
        Err(f) => return super::portfolio_failure(f, data),
    };
    let evaluations: Vec<_> = units.into_iter().map(|u| u.evaluation).collect();
    let x = explain::portfolio::portfolio(&card, &evaluations);
    let bytes = match args.format {
        ExplainFormat::Json => {
            let mut v = serde_json::to_vec_pretty(&x).expect("explanation serialises");
            v.push(b'\n');
            v
        }
        ExplainFormat::Table => {
            let mut out = String::new();
            let _ = writeln!(out, "{} · {} · {} units", card.name, x.period, x.units);
            let _ = writeln!(out, "ranked first: {}", x.top.as_deref().unwrap_or("–"));
            match &x.critical {
                Some(c) => {
                    let _ = writeln!(
                        out,
                        "The first place changes hands first if the weight of {} in {} moves to ×{}: {} then ranks first.",
                        name_of(&card, &c.id),
                        c.group,
                        crate::explain::factor_text(c.factor, 3),
                        c.new_top
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "No single weight within ×1/81..×81 changes which unit ranks first."
                    );
                }
            }
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "Units whose status changes when one weight moves by 10%:"
            );
            let w = x
                .weights
                .iter()
                .map(|w| w.group.len() + w.id.len() + 3)
                .max()
                .unwrap_or(10);
            let _ = writeln!(
                out,
                "{}  {}  {}",
                pad_right("", w),
                pad_left("-10%", 5),
                pad_left("+10%", 5)
            );
            for e in &x.weights {
                let _ = writeln!(
                    out,
                    "{}  {}  {}",
                    pad_right(&format!("{} · {}", e.group, e.id), w),
                    pad_left(&e.down_10.to_string(), 5),
                    pad_left(&e.up_10.to_string(), 5)
                );
            }
            out.into_bytes()
        }
    };
    crate::output::print(&bytes)
}

/// `+4.0`, `-2.5`: a change in composite points.
fn points(d: Decimal, p: u32) -> String {
    format::delta(d, p)
}

/// The terminal view: the change, what carried it, how robust the status is.
pub fn table(card: &Scorecard, x: &Explanation, top: usize) -> String {
    let p = card.precision.max(1);
    let mut out = String::new();
    let score = |s: Option<Decimal>| s.map_or_else(|| "–".to_string(), |s| format::score(s, p));
    let _ = writeln!(out, "{} · {}", card.name, x.period);
    match (&x.compared_with, x.composite.change) {
        (Some(with), Some(change)) => {
            let _ = writeln!(
                out,
                "composite {} → {} ({}) since {with}",
                score(x.composite.previous_score.flatten()),
                score(x.composite.score),
                points(change, p)
            );
        }
        _ => {
            let _ = writeln!(out, "composite {}", score(x.composite.score));
        }
    }
    let _ = writeln!(out);
    if x.composite.change.is_some() {
        contributions(card, x, top, p, &mut out);
    } else {
        let _ = writeln!(
            out,
            "No period to compare with: give two or more measurements files to see what moved the composite."
        );
        let _ = writeln!(out);
    }
    robustness(card, x, &mut out);
    out
}

fn contributions(card: &Scorecard, x: &Explanation, top: usize, p: u32, out: &mut String) {
    let mut moved: Vec<(Decimal, usize)> = x
        .contributions
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.change.filter(|d| !d.is_zero()).map(|d| (d, i)))
        .collect();
    moved.sort_by(|a, b| b.0.abs().cmp(&a.0.abs()).then(a.1.cmp(&b.1)));
    let mut shown: Vec<usize> = moved
        .iter()
        .filter(|(d, _)| d.is_sign_positive())
        .take(top)
        .chain(moved.iter().filter(|(d, _)| d.is_sign_negative()).take(top))
        .map(|(_, i)| *i)
        .collect();
    shown.sort_unstable();
    let _ = writeln!(
        out,
        "What carried the change (each indicator's contribution to the composite, in points; the {top} largest each way)"
    );
    let name_w = card
        .indicators
        .iter()
        .map(|i| unicode_width::UnicodeWidthStr::width(i.name.as_str()) + 4)
        .chain(
            card.perspectives
                .iter()
                .map(|q| unicode_width::UnicodeWidthStr::width(q.name.as_str())),
        )
        .max()
        .unwrap_or(10);
    let _ = writeln!(
        out,
        "{}  {}  {}  {}",
        pad_right("", name_w),
        pad_left("before", 8),
        pad_left("now", 8),
        pad_left("change", 8)
    );
    let totals = x.perspective_changes(card);
    for (pi, persp) in card.perspectives.iter().enumerate() {
        let mine: Vec<&usize> = shown
            .iter()
            .filter(|&&i| card.indicators[i].perspective == pi)
            .collect();
        let total = totals[pi];
        let _ = writeln!(
            out,
            "{}  {}  {}  {}",
            pad_right(&persp.name, name_w),
            pad_left("", 8),
            pad_left("", 8),
            pad_left(&points(total, p), 8)
        );
        for &&i in &mine {
            let c = &x.contributions[i];
            let arrow = if c.change.is_some_and(|d| d.is_sign_negative()) {
                "▼"
            } else {
                "▲"
            };
            let _ = writeln!(
                out,
                "{}  {}  {}  {}",
                pad_right(&format!("  {arrow} {}", card.indicators[i].name), name_w),
                pad_left(
                    &c.previous_contribution
                        .map_or_else(|| "–".into(), |v| format::fixed(v, p)),
                    8
                ),
                pad_left(&format::fixed(c.contribution, p), 8),
                pad_left(&c.change.map_or_else(String::new, |d| points(d, p)), 8)
            );
        }
    }
    let _ = writeln!(out);
}

/// "How robust is this verdict?": the most critical weight in one
/// sentence, then each group's intervals.
fn robustness(card: &Scorecard, x: &Explanation, out: &mut String) {
    let s = &x.sensitivity;
    let _ = writeln!(
        out,
        "How robust is this verdict? The composite is {}.",
        s.status.as_str()
    );
    match &s.critical {
        Some(c) => {
            let pct = (c.factor - Decimal::ONE)
                .checked_mul(Decimal::ONE_HUNDRED)
                .map_or_else(
                    || "a great many".to_string(),
                    |p| format!("{}%", format::delta(p, 1)),
                );
            let _ = writeln!(
                out,
                "Most critical weight: {} in {} — the status becomes {} if it {} to ×{} of today's ({}).",
                name_of(card, &c.id),
                c.group,
                c.to.as_str(),
                if c.direction == "up" {
                    "rises"
                } else {
                    "falls"
                },
                crate::explain::factor_text(c.factor, 3),
                pct
            );
        }
        None => {
            let _ = writeln!(out, "No single weight, moved alone, changes the status.");
        }
    }
    if let Some(j) = &s.critical_judgement {
        let _ = writeln!(
            out,
            "Most critical AHP judgement: {} over {} in {} ({}) — the status holds between ×{} and {}.",
            name_of(card, &j.row),
            name_of(card, &j.column),
            j.group,
            format::fixed(j.value, 3),
            crate::explain::factor_text(j.lo, 3),
            j.hi.map_or_else(
                || "any larger factor".to_string(),
                |h| format!("×{}", crate::explain::factor_text(h, 3))
            )
        );
    } else if !s.judgements.is_empty() {
        let _ = writeln!(
            out,
            "No AHP judgement within ×1/81..×81 changes the status."
        );
    }
    let _ = writeln!(
        out,
        "Each weight may move within these factors of today's value (others fixed) without changing the status:"
    );
    for g in &s.groups {
        let items: Vec<String> = g
            .members
            .iter()
            .map(|m| {
                format!(
                    "{} {}–{}",
                    m.id,
                    crate::explain::factor_text(m.lo, 2),
                    m.hi.map_or_else(|| "∞".to_string(), |h| crate::explain::factor_text(h, 2))
                )
            })
            .collect();
        let _ = writeln!(out, "  {}: {}", g.group, items.join(", "));
    }
}

fn name_of(card: &Scorecard, id: &str) -> String {
    card.name_of(id)
}
