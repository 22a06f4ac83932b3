//! Why an indicator has no score, in the report's language and with
//! names instead of ids. JSON keeps SPEC §8's English reasons (`needs
//! lost`); a report reads "needs Customers lost in period" or "缺少流失客户数".
//! The reasons are the few that scoring writes (see `score` and
//! `formula`), each rewritten through a label; anything else is shown as
//! it is.

use std::collections::BTreeMap;

use crate::model::{Scorecard, ValueRef};

/// Fixed reasons and the label that says each.
const FIXED: [(&str, &str); 10] = [
    ("no value", "reason_no_value"),
    ("division by zero", "reason_division_by_zero"),
    ("overflow", "reason_overflow"),
    ("sqrt of a negative number", "reason_sqrt"),
    ("ln of a number that is not positive", "reason_ln"),
    (
        "pow of a negative number to a fractional power",
        "reason_pow",
    ),
    ("round needs 0 to 28 places", "reason_round"),
    ("overflow in the target in force", "reason_target_overflow"),
    (
        "overflow in the baseline in force",
        "reason_baseline_overflow",
    ),
    (
        "the target in force over the span equals its baseline",
        "reason_span_equal",
    ),
];

pub(super) fn reason_text(card: &Scorecard, reason: &str, l: &BTreeMap<String, String>) -> String {
    let label = |k: &str| l.get(k).cloned();
    if let Some((_, key)) = FIXED.iter().find(|(r, _)| *r == reason) {
        return label(key).unwrap_or_else(|| reason.to_string());
    }
    let Some(items) = reason.strip_prefix("needs ") else {
        return reason.to_string();
    };
    let sep = l.get("list_separator").map_or(", ", String::as_str);
    let items: Vec<String> = items.split(", ").map(|i| item(card, i, l)).collect();
    match label("reason_needs") {
        Some(t) => t.replace("{items}", &items.join(sep)),
        None => reason.to_string(),
    }
}

/// One operand of `needs ...`: `lost`, `target(cac)`, `revenue in 2026-Q2`,
/// `revenue 2 periods before FY26`, `revenue in the period before FY26`.
fn item(card: &Scorecard, text: &str, l: &BTreeMap<String, String>) -> String {
    let get = |k: &str, default: &str| l.get(k).cloned().unwrap_or_else(|| default.to_string());
    let (token, rest) = text.split_once(' ').unwrap_or((text, ""));
    let name = |id: &str| match card.ids.get(id) {
        Some(ValueRef::Indicator(i)) => card.indicators[*i].name.clone(),
        Some(ValueRef::Input(i)) => card.inputs[*i].name.clone(),
        None => id.to_string(),
    };
    let inner = |f: &str| {
        token
            .strip_prefix(f)
            .and_then(|t| t.strip_prefix('('))
            .and_then(|t| t.strip_suffix(')'))
    };
    let what = if let Some(id) = inner("target") {
        get("item_target", "the target of {name}").replace("{name}", &name(id))
    } else if let Some(id) = inner("baseline") {
        get("item_baseline", "the baseline of {name}").replace("{name}", &name(id))
    } else {
        name(token)
    };
    if rest.is_empty() {
        return what;
    }
    let with = |key: &str, default: &str, period: &str, n: &str| {
        get(key, default)
            .replace("{item}", &what)
            .replace("{period}", period)
            .replace("{n}", n)
    };
    if let Some(p) = rest.strip_prefix("in the period before ") {
        return with(
            "item_period_before",
            "{item} in the period before {period}",
            p,
            "",
        );
    }
    if let Some(p) = rest.strip_prefix("in ") {
        return with("item_in", "{item} in {period}", p, "");
    }
    // `2 periods before FY26`, `3 spans before 2026-Q1..2026-Q2`.
    let mut words = rest.splitn(4, ' ');
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some(n), Some("periods"), Some("before"), Some(p)) => with(
            "item_periods_before",
            "{item} {n} periods before {period}",
            p,
            n,
        ),
        (Some(n), Some("spans"), Some("before"), Some(p)) => with(
            "item_spans_before",
            "{item} {n} spans before {period}",
            p,
            n,
        ),
        _ => format!("{what} {rest}"),
    }
}
