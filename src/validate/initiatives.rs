//! `[[initiatives]]` (SPEC §14): what is being done about the objectives
//! and indicators, by whom and by when. Each link must name a declared
//! objective or indicator, dates must run forwards, and progress and
//! budget must be in range; every problem points at its value.

use std::collections::HashMap;
use std::ops::Range;

use rust_decimal::Decimal;

use super::{Ctx, Fluent, check_id, duplicate};
use crate::load;
use crate::model::{Indicator, Initiative, InitiativeStatus, Objective};
use crate::raw::{self, Num, Sp};

/// The checked initiatives, in declaration order; one with errors is left
/// out (the card is rejected anyway).
pub(super) fn initiatives(
    cx: &mut Ctx,
    file: &raw::ScorecardFile,
    objectives: &[Objective],
    indicators: &[Indicator],
) -> Vec<Initiative> {
    let o_ids: Vec<String> = objectives.iter().map(|o| o.id.clone()).collect();
    let i_ids: Vec<String> = indicators.iter().map(|i| i.id.clone()).collect();
    let o_index: HashMap<&str, usize> = o_ids
        .iter()
        .enumerate()
        .map(|(n, id)| (id.as_str(), n))
        .collect();
    let i_index: HashMap<&str, usize> = i_ids
        .iter()
        .enumerate()
        .map(|(n, id)| (id.as_str(), n))
        .collect();
    let mut first: HashMap<&str, &Range<usize>> = HashMap::new();
    let mut out = Vec::new();
    for r in &file.initiatives {
        let errors = cx.diags.error_count();
        let id_ok = check_id(cx, &r.id, "initiative");
        if id_ok {
            if let Some(span) = first.get(r.id.value.as_str()) {
                duplicate(cx, "initiative", &r.id, span);
            } else {
                first.insert(&r.id.value, &r.id.span);
            }
        }
        let whose = format!("initiative `{}`", r.id.value);
        let objectives = links(
            cx,
            &r.objectives,
            &whose,
            Links {
                what: "objective",
                key: "objectives",
                index: &o_index,
                names: &o_ids,
                other: &i_index,
                other_key: "indicators",
            },
        );
        let indicators = links(
            cx,
            &r.indicators,
            &whose,
            Links {
                what: "indicator",
                key: "indicators",
                index: &i_index,
                names: &i_ids,
                other: &o_index,
                other_key: "objectives",
            },
        );
        let written =
            |l: &Option<Sp<Vec<Sp<String>>>>| l.as_ref().is_some_and(|l| !l.value.is_empty());
        if !written(&r.objectives) && !written(&r.indicators) {
            cx.error(
                "E072",
                &r.span,
                format!("{whose} is linked to no objective or indicator"),
            )
            .with(
                "links nothing",
                Some(
                    "add `objectives = [\"...\"]` or `indicators = [\"...\"]`: an initiative \
                     exists to move an objective or an indicator"
                        .into(),
                ),
            );
        }
        if let (Some(start), Some(due)) = (&r.start, &r.due)
            && start.value > due.value
        {
            let line = cx.line_of(&due.span);
            cx.error(
                "E073",
                &start.span,
                format!(
                    "{whose} starts on {} after it is due on {}",
                    start.value, due.value
                ),
            )
            .with(
                "after `due`",
                Some(format!(
                    "`start` must not be after `due` (line {line}); one of the two dates is mistyped"
                )),
            );
        }
        let progress = progress(cx, r.progress.as_ref(), &whose);
        let budget = match &r.budget {
            Some(b) if b.value.0 < Decimal::ZERO => {
                cx.error(
                    "E075",
                    &b.span,
                    format!("budget of {whose} is negative ({})", b.value.0),
                )
                .with(
                    "must be >= 0",
                    Some("a budget is the money set aside; write it as a positive amount".into()),
                );
                None
            }
            Some(b) => Some(b.value.0),
            None => None,
        };
        if let Some(b) = &r.budget
            && file.scorecard.currency.is_none()
        {
            cx.warning(
                "W031",
                &b.span,
                format!("{whose} has a budget, but the card names no currency"),
            )
            .with(
                "amount without a unit",
                Some("add `currency = \"CNY\"` (or USD, EUR...) to `[scorecard]`".into()),
            );
        }
        let status = r
            .status
            .as_ref()
            .map_or(InitiativeStatus::Planned, |s| s.value);
        if let (Some(s), Some(p), Some(pv)) = (&r.status, &r.progress, progress)
            && s.value == InitiativeStatus::Done
            && pv < Decimal::ONE
        {
            cx.warning(
                "W032",
                &p.span,
                format!(
                    "{whose} is done but its progress is {}",
                    crate::format::setting_share(pv)
                ),
            )
            .with(
                "progress below 100%",
                Some("set `progress = 1`, or a status such as `on_track` if work remains".into()),
            );
        }
        if cx.diags.error_count() > errors || !id_ok || load::is_placeholder(&r.name) {
            continue;
        }
        out.push(Initiative {
            id: r.id.value.clone(),
            name: r.name.value.clone(),
            objectives,
            indicators,
            owner: r.owner.as_ref().map(|o| o.value.clone()),
            status,
            start: r.start.as_ref().map(|d| d.value),
            due: r.due.as_ref().map(|d| d.value),
            budget,
            progress,
            description: r.description.as_ref().map(|d| d.value.clone()),
        });
    }
    out
}

/// How one list of links (`objectives` or `indicators`) resolves.
struct Links<'a> {
    what: &'static str,
    key: &'static str,
    index: &'a HashMap<&'a str, usize>,
    names: &'a [String],
    /// The other kind's ids: a name listed under the wrong key.
    other: &'a HashMap<&'a str, usize>,
    other_key: &'static str,
}

fn links(cx: &mut Ctx, list: &Option<Sp<Vec<Sp<String>>>>, whose: &str, l: Links) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for name in list.iter().flat_map(|l| &l.value) {
        match l.index.get(name.value.as_str()) {
            Some(&i) if !out.contains(&i) => out.push(i),
            Some(_) => {}
            None => {
                let hint = if l.other.contains_key(name.value.as_str()) {
                    Some(format!(
                        "`{}` is {}: list it under `{}`",
                        name.value,
                        if l.what == "objective" {
                            "an indicator"
                        } else {
                            "an objective"
                        },
                        l.other_key
                    ))
                } else {
                    cx.diags
                        .did_you_mean(&name.value, l.names.iter().map(String::as_str))
                        .or_else(|| {
                            Some(format!(
                                "`{}` must name {}s declared in the card",
                                l.key, l.what
                            ))
                        })
                };
                cx.error(
                    "E071",
                    &name.span,
                    format!("{whose} links unknown {} `{}`", l.what, name.value),
                )
                .with(&format!("no such {}", l.what), hint);
            }
        }
    }
    out
}

/// `progress`: a share from 0 to 1.
fn progress(cx: &mut Ctx, p: Option<&Sp<Num>>, whose: &str) -> Option<Decimal> {
    let p = p?;
    let v = p.value.0;
    if v >= Decimal::ZERO && v <= Decimal::ONE {
        return Some(v);
    }
    cx.error(
        "E074",
        &p.span,
        format!("progress of {whose} ({v}) is outside 0..1"),
    )
    .with("must be 0..1", Some(progress_hint(v)));
    None
}

/// How to write a progress that is out of range: a percent as a share.
pub fn progress_hint(v: Decimal) -> String {
    // 40 means 40%; 1.5 could be anything, so it gets the plain rule.
    if v >= Decimal::TWO && v <= Decimal::ONE_HUNDRED {
        format!(
            "progress is a share of the work done: {v}% is `progress = {}`",
            (v / Decimal::ONE_HUNDRED).normalize()
        )
    } else {
        "progress is a share of the work done, from 0 (not started) to 1 (finished)".into()
    }
}
