//! What reports show of `bsc explain` (SPEC §15): a waterfall from the
//! previous composite to this one, a step per perspective, and the
//! appendix "How robust is this verdict?" with the most critical weight
//! in one sentence and the weights closest to flipping the status.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::explain::Explanation;
use crate::format;
use crate::model::Scorecard;

#[derive(Serialize, Default)]
pub(super) struct Waterfall {
    /// One bar per step: the start, each perspective's change, the end.
    pub(super) steps: Vec<Step>,
    pub(super) width: u32,
    pub(super) height: u32,
    /// x of the axis labels.
    pub(super) label_x: u32,
}

#[derive(Serialize)]
pub(super) struct Step {
    pub(super) label: String,
    /// `58.1` for the ends, `+11.7` for a change.
    pub(super) value: String,
    /// `total`, `up` or `down`.
    pub(super) kind: &'static str,
    pub(super) y: u32,
    pub(super) text_y: u32,
    pub(super) x: String,
    pub(super) w: String,
    /// Where the value is written: just past the bar.
    pub(super) value_x: String,
    /// The running total after the step, for the Markdown table.
    pub(super) running: String,
}

#[derive(Serialize, Default)]
pub(super) struct Robustness {
    /// The one sentence about the most critical weight, in the report's
    /// language; or that no single weight flips the status.
    pub(super) sentence: String,
    /// The weights closest to flipping the status, nearest first.
    pub(super) closest: Vec<Closest>,
    /// For AHP-weighted cards: the most critical pairwise judgement.
    pub(super) judgement: String,
}

#[derive(Serialize)]
pub(super) struct Closest {
    pub(super) name: String,
    pub(super) group: String,
    pub(super) interval: String,
}

const BAR_W: u32 = 460;
const LABEL_W: u32 = 180;
const ROW: u32 = 30;

/// The waterfall, when the report compares with a period.
pub(super) fn waterfall(
    card: &Scorecard,
    x: &Explanation,
    l: &BTreeMap<String, String>,
) -> Waterfall {
    let (Some(now), Some(Some(before)), Some(_)) = (
        x.composite.score,
        x.composite.previous_score,
        x.composite.change,
    ) else {
        return Waterfall::default();
    };
    let p = card.precision;
    let by_perspective: Vec<(String, Decimal)> = card
        .perspectives
        .iter()
        .map(|persp| persp.name.clone())
        .zip(x.perspective_changes(card))
        .collect();
    // The scale: from 0 to the highest running total (or the cap).
    let mut running = before;
    let mut top = before.max(now);
    for (_, d) in &by_perspective {
        running += d;
        top = top.max(running);
    }
    let top = top.max(Decimal::ONE);
    // Divided first: a score near the largest cap still fits.
    let px = |v: Decimal| v.max(Decimal::ZERO) / top * Decimal::from(BAR_W);
    let label = |k: &str| l.get(k).cloned().unwrap_or_else(|| k.to_string());
    let mut steps = Vec::new();
    let mut row = |label: String,
                   value: String,
                   kind: &'static str,
                   from: Decimal,
                   to: Decimal,
                   run: Decimal| {
        let i = steps.len() as u32;
        let (a, b) = (px(from.min(to)), px(from.max(to)));
        steps.push(Step {
            label,
            value,
            kind,
            y: 6 + i * ROW,
            text_y: 6 + i * ROW + 15,
            x: format::fixed(Decimal::from(LABEL_W) + a, 1),
            w: format::fixed((b - a).max(Decimal::ONE), 1),
            value_x: format::fixed(
                Decimal::from(LABEL_W) + a + (b - a).max(Decimal::ONE) + Decimal::from(6),
                1,
            ),
            running: format::score(run, p),
        });
    };
    row(
        format!(
            "{} {}",
            label("waterfall_before"),
            x.compared_with.clone().unwrap_or_default()
        ),
        format::score(before, p),
        "total",
        Decimal::ZERO,
        before,
        before,
    );
    let mut running = before;
    for (name, d) in by_perspective {
        let next = running + d;
        row(
            name,
            format::delta(d, p),
            if d.is_sign_negative() { "down" } else { "up" },
            running,
            next,
            next,
        );
        running = next;
    }
    row(
        format!("{} {}", label("waterfall_now"), x.period),
        format::score(now, p),
        "total",
        Decimal::ZERO,
        now,
        now,
    );
    let n = steps.len() as u32;
    Waterfall {
        steps,
        width: LABEL_W + BAR_W + 80,
        height: 12 + n * ROW,
        label_x: LABEL_W - 8,
    }
}

/// The appendix: the sentence, and the five weights nearest to flipping.
pub(super) fn robustness(
    card: &Scorecard,
    x: &Explanation,
    l: &BTreeMap<String, String>,
) -> Robustness {
    let get = |k: &str| l.get(k).cloned().unwrap_or_else(|| k.to_string());
    let status = |s: crate::score::Status| get(&format!("status_{}", s.as_str()));
    let name_of = |id: &str| card.name_of(id);
    let group_name = |g: &str| match g.split_once('.') {
        None => get("perspectives"),
        Some((_, parent)) => name_of(parent),
    };
    let s = &x.sensitivity;
    let sentence = match &s.critical {
        Some(c) => get(if c.direction == "up" {
            "robust_up"
        } else {
            "robust_down"
        })
        .replace("{status}", &status(s.status))
        .replace("{name}", &name_of(&c.id))
        .replace("{group}", &group_name(&c.group))
        .replace("{to}", &status(c.to))
        .replace("{factor}", &crate::explain::factor_text(c.factor, 2))
        .replace(
            "{percent}",
            &(c.factor - Decimal::ONE)
                .checked_mul(Decimal::ONE_HUNDRED)
                .map_or_else(|| "∞".to_string(), |p| format::delta(p, 0)),
        ),
        None => get("robust_none").replace("{status}", &status(s.status)),
    };
    // Members by their nearest flip, as a relative change.
    let mut near: Vec<(Decimal, Closest)> = s
        .groups
        .iter()
        .flat_map(|g| g.members.iter().map(move |m| (g, m)))
        .filter_map(|(g, m)| {
            let up = m.hi.map(|h| h - Decimal::ONE);
            let down = (m.lo > Decimal::ZERO).then(|| Decimal::ONE - m.lo);
            let d = match (up, down) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b)?,
            };
            Some((
                d,
                Closest {
                    name: name_of(&m.id),
                    group: group_name(&g.group),
                    interval: format!(
                        "×{} – {}",
                        crate::explain::factor_text(m.lo, 2),
                        m.hi.map_or_else(
                            || "∞".to_string(),
                            |h| format!("×{}", crate::explain::factor_text(h, 2))
                        )
                    ),
                },
            ))
        })
        .collect();
    near.sort_by_key(|a| a.0);
    let judgement = s.critical_judgement.as_ref().map_or_else(String::new, |j| {
        get("robust_ahp")
            .replace("{row}", &name_of(&j.row))
            .replace("{column}", &name_of(&j.column))
            .replace("{value}", &format::fixed(j.value, 2))
            .replace("{lo}", &crate::explain::factor_text(j.lo, 2))
            .replace(
                "{hi}",
                &j.hi.map_or_else(
                    || "∞".to_string(),
                    |h| format!("×{}", crate::explain::factor_text(h, 2)),
                ),
            )
    });
    Robustness {
        judgement,
        sentence,
        closest: near.into_iter().take(5).map(|(_, c)| c).collect(),
    }
}
