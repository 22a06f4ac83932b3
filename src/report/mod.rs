//! Step 4: management reports. Builds one context from a validated
//! scorecard and its evaluation (computing nothing the evaluator does not,
//! beyond ranking and layout) and renders it with Tera templates that are
//! embedded in the binary and can be overridden file by file.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rust_decimal::Decimal;
use serde::Serialize;
use unicode_width::UnicodeWidthChar;

use crate::format;
use crate::markdown;
use crate::model::{Direction, Node, Rule, Scorecard};
use crate::score::{Evaluation, IndicatorResult, Status};

mod history;
mod initiatives;
mod map;
pub mod portfolio;
mod reasons;
mod robustness;

/// Built-in templates, embedded so `bsc` works from any directory.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "report.html",
        include_str!("../../report_templates/report.html"),
    ),
    (
        "_styles.css",
        include_str!("../../report_templates/_styles.css"),
    ),
    (
        "_head.html",
        include_str!("../../report_templates/_head.html"),
    ),
    (
        "_footer.html",
        include_str!("../../report_templates/_footer.html"),
    ),
    (
        "_summary.html",
        include_str!("../../report_templates/_summary.html"),
    ),
    (
        "_perspective.html",
        include_str!("../../report_templates/_perspective.html"),
    ),
    (
        "_spark.html",
        include_str!("../../report_templates/_spark.html"),
    ),
    (
        "_history.html",
        include_str!("../../report_templates/_history.html"),
    ),
    (
        "_robustness.html",
        include_str!("../../report_templates/_robustness.html"),
    ),
    (
        "_robustness.md",
        include_str!("../../report_templates/_robustness.md"),
    ),
    (
        "_initiatives.html",
        include_str!("../../report_templates/_initiatives.html"),
    ),
    (
        "_initiatives_summary.html",
        include_str!("../../report_templates/_initiatives_summary.html"),
    ),
    (
        "_initiatives.md",
        include_str!("../../report_templates/_initiatives.md"),
    ),
    (
        "_strategy_map.html",
        include_str!("../../report_templates/_strategy_map.html"),
    ),
    (
        "_indicator_table.html",
        include_str!("../../report_templates/_indicator_table.html"),
    ),
    (
        "_methodology.html",
        include_str!("../../report_templates/_methodology.html"),
    ),
    (
        "report.md",
        include_str!("../../report_templates/report.md"),
    ),
    (
        "_perspective.md",
        include_str!("../../report_templates/_perspective.md"),
    ),
    (
        "_methodology.md",
        include_str!("../../report_templates/_methodology.md"),
    ),
    (
        "portfolio.html",
        include_str!("../../report_templates/portfolio.html"),
    ),
    (
        "portfolio.md",
        include_str!("../../report_templates/portfolio.md"),
    ),
    (
        "labels.en.toml",
        include_str!("../../report_templates/labels.en.toml"),
    ),
    (
        "labels.zh.toml",
        include_str!("../../report_templates/labels.zh.toml"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

pub struct Options<'a> {
    pub format: Format,
    pub lang: Lang,
    pub templates: Option<&'a Path>,
    /// Shown in the footer only when asked for (keeps output reproducible).
    pub generated_at: Option<String>,
    /// The comparison is with the same period a year earlier
    /// (`--compare year-ago`), not the previous one: the report says so.
    pub year_ago: bool,
}

/// A report failed to render: a template problem, named by file and line.
#[derive(Debug)]
pub struct ReportError(pub String);

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// ----------------------------------------------------------------- context

#[derive(Serialize)]
struct Ctx {
    lang: &'static str,
    l: BTreeMap<String, String>,
    title: String,
    /// `title · period` as a CSS string's content (for printed pages).
    print_title: String,
    scorecard_id: String,
    description_html: String,
    description_md: String,
    period: String,
    previous_period: Option<String>,
    unit: Option<String>,
    generated_at: Option<String>,
    composite: CompositeCtx,
    counts: Counts,
    where_to_act: Vec<ActCtx>,
    /// The largest falls and rises since the period compared with; falls
    /// come first when an indicator turned red.
    falls: Vec<MovedCtx>,
    rises: Vec<MovedCtx>,
    falls_first: bool,
    /// The comparison is with the same period a year earlier.
    year_ago: bool,
    history: history::HistoryCtx,
    /// From the previous composite to this one, a step per perspective.
    waterfall: robustness::Waterfall,
    /// "How robust is this verdict?"
    robustness: robustness::Robustness,
    perspectives: Vec<PerspectiveCtx>,
    chart: Chart,
    strategy_map: MapCtx,
    mermaid: String,
    missing: Vec<MissingCtx>,
    methodology: Vec<MethodCtx>,
    /// Step rules, each as its table of steps (SPEC §12).
    steps: Vec<StepsCtx>,
    /// Whether any indicator is scored pass/fail, for the rule's note.
    binary: bool,
    /// Nodes with their own status thresholds (SPEC §11).
    thresholds: Vec<ThresholdCtx>,
    /// The card's thresholds, as the note on `thresholds` says them.
    thresholds_intro: String,
    ahp: Vec<AhpCtx>,
    missing_policy: String,
    /// Whether any indicator names an owner: the tables then have an owner column.
    has_owners: bool,
    /// Whether the card has owners or initiatives: "Where to act" then
    /// says who acts and how.
    follow_up: bool,
    initiatives: initiatives::Summary,
}

/// A score as every part of a report shows it: the number, the status,
/// its label in the report's language and its shape.
#[derive(Serialize)]
pub(crate) struct Badge {
    pub score: String,
    pub status: &'static str,
    pub status_label: String,
    pub symbol: &'static str,
}

#[derive(Serialize)]
struct CompositeCtx {
    #[serde(flatten)]
    badge: Badge,
    coverage: String,
    max_score: String,
    /// Below `min_coverage`: the warning that the score rests on too little
    /// data, in the report's language; empty otherwise.
    warning: String,
    /// Below `min_coverage`: "where to act" starts with the missing data.
    data_first: String,
    /// The card's `min_coverage`, as written (`50%`).
    minimum: String,
    /// `+23.4` since the period compared with; empty without one.
    change: String,
    change_dir: &'static str,
    change_arrow: &'static str,
}

#[derive(Serialize, Default)]
struct Counts {
    green: usize,
    amber: usize,
    red: usize,
    missing: usize,
    total: usize,
}

#[derive(Serialize)]
struct ActCtx {
    name: String,
    perspective: String,
    #[serde(flatten)]
    badge: Badge,
    weight: String,
    /// Composite points available: effective weight × (100 − score).
    gain: String,
    /// Who owns it and what is being done about it.
    follow: initiatives::ActFollowUp,
}

#[derive(Serialize)]
struct MovedCtx {
    name: String,
    previous_score: String,
    delta: String,
    arrow: &'static str,
    direction: &'static str,
    #[serde(flatten)]
    badge: Badge,
}

#[derive(Serialize)]
struct PerspectiveCtx {
    id: String,
    name: String,
    share: String,
    #[serde(flatten)]
    badge: Badge,
    description_html: String,
    description_md: String,
    owner: String,
    change: String,
    change_dir: &'static str,
    change_arrow: &'static str,
    /// Position among the perspectives (its sparkline in `history`).
    index: usize,
    objectives: Vec<ObjectiveCtx>,
    /// Indicators directly under the perspective.
    indicators: Vec<IndicatorCtx>,
    /// Initiatives serving the direct indicators.
    initiatives: Vec<initiatives::InitiativeCtx>,
}

#[derive(Serialize)]
struct ObjectiveCtx {
    id: String,
    name: String,
    share: String,
    #[serde(flatten)]
    badge: Badge,
    description_html: String,
    owner: String,
    change: String,
    change_dir: &'static str,
    change_arrow: &'static str,
    index: usize,
    indicators: Vec<IndicatorCtx>,
    /// Initiatives serving the objective or one of its indicators.
    initiatives: Vec<initiatives::InitiativeCtx>,
}

#[derive(Serialize)]
struct IndicatorCtx {
    id: String,
    name: String,
    owner: String,
    /// Position among the indicators (its sparkline in `history`).
    index: usize,
    unit: String,
    actual: String,
    baseline: String,
    target: String,
    /// The target or baseline in force is not the card's plain one.
    planned: bool,
    plain_target: String,
    #[serde(flatten)]
    badge: Badge,
    trend: &'static str,
    trend_dir: &'static str,
    delta: String,
    previous_actual: String,
    share: String,
    effective_weight: String,
    missing: bool,
    reason: String,
    note_html: String,
    note_md: String,
    description_html: String,
}

/// The perspectives' scores as horizontal bars. HTML, not SVG, so their
/// labels keep their size on a phone; positions are percentages of the
/// track, whose end is the card's `max_score`.
#[derive(Serialize)]
struct Chart {
    green_pct: String,
    amber_pct: String,
    bars: Vec<Bar>,
}

#[derive(Serialize)]
struct Bar {
    name: String,
    /// `▲ +39.0` since the period compared with; empty without one.
    change: String,
    change_dir: &'static str,
    width_pct: String,
    score: String,
    status: &'static str,
    symbol: &'static str,
    /// The perspective's own amber and green thresholds, drawn on its
    /// row where they differ from the card's lines (SPEC §11).
    own: Option<(String, String)>,
}

#[derive(Serialize)]
struct MapCtx {
    width: u32,
    height: u32,
    lanes: Vec<Lane>,
    nodes: Vec<MapNode>,
    edges: Vec<Edge>,
}

#[derive(Serialize)]
struct Lane {
    name: String,
    y: u32,
    height: u32,
    text_y: u32,
}

#[derive(Serialize)]
struct MapNode {
    id: String,
    name: String,
    short: Vec<String>,
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    cx: u32,
    text_y: Vec<u32>,
    score: String,
    status: &'static str,
    symbol: &'static str,
}

#[derive(Serialize)]
struct Edge {
    path: String,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct MissingCtx {
    name: String,
    id: String,
    reason: String,
}

#[derive(Serialize)]
struct MethodCtx {
    name: String,
    perspective: String,
    rule: String,
    /// Targets by period, when the card has a plan.
    plan: String,
    formula: String,
    share: String,
    effective_weight: String,
}

#[derive(Serialize)]
struct StepsCtx {
    name: String,
    rule: String,
    /// (condition on the actual value, score), best first; the last row
    /// is what scores when no step is reached.
    rows: Vec<(String, String)>,
}

#[derive(Serialize)]
struct ThresholdCtx {
    kind: String,
    name: String,
    green: String,
    amber: String,
}

#[derive(Serialize)]
struct AhpCtx {
    group: String,
    cr: String,
    members: Vec<(String, String)>,
}

pub(crate) fn symbol(s: Status) -> &'static str {
    match s {
        Status::Green => "●",
        Status::Amber => "◐",
        Status::Red => "○",
        Status::Missing => "–",
        Status::Insufficient => "⚠",
    }
}

/// The sentence that says a composite rests on too little data: the
/// `insufficient_text` label with `{coverage}` and `{minimum}` filled in.
pub(crate) fn insufficient_warning(
    l: &BTreeMap<String, String>,
    coverage: Decimal,
    minimum: Decimal,
) -> String {
    l.get("insufficient_text")
        .map_or("{coverage} < {minimum}", String::as_str)
        .replace("{coverage}", &format::share(coverage))
        .replace("{minimum}", &format::setting_share(minimum))
}

/// Labels for the chosen language, from `labels.<lang>.toml` (overridable
/// like any template), so a consultant can reword the report.
pub(crate) fn labels(
    lang: Lang,
    dir: Option<&Path>,
) -> Result<BTreeMap<String, String>, ReportError> {
    let name = format!("labels.{}.toml", lang.code());
    let (origin, text) = match dir.map(|d| d.join(&name)).filter(|p| p.is_file()) {
        Some(p) => {
            let t = std::fs::read_to_string(&p)
                .map_err(|e| ReportError(format!("cannot read `{}`: {e}", p.display())))?;
            (p.display().to_string(), t)
        }
        None => (
            name.clone(),
            BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.to_string())
                .unwrap_or_default(),
        ),
    };
    let mut map: BTreeMap<String, String> =
        toml::from_str(&text).map_err(|e| ReportError(format!("in `{origin}`: {e}")))?;
    // A partial override keeps the built-in labels for what it leaves out.
    if dir.is_some() {
        let builtin: BTreeMap<String, String> = toml::from_str(
            BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, t)| t),
        )
        .unwrap_or_default();
        for (k, v) in builtin {
            map.entry(k).or_insert(v);
        }
    }
    Ok(map)
}

/// Truncates text to a display width (CJK counts double), adding "…".
fn truncate_width(s: &str, max: usize) -> String {
    let mut w = 0;
    let mut out = String::new();
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max {
            out.push('…');
            return out;
        }
        w += cw;
        out.push(c);
    }
    out
}

/// Splits a name over at most two lines of `max` display columns.
fn wrap2(s: &str, max: usize) -> Vec<String> {
    let width: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if width <= max {
        return vec![s.to_string()];
    }
    // Prefer a break at a space near the middle; CJK text breaks anywhere.
    let chars: Vec<char> = s.chars().collect();
    let mut w = 0;
    let mut cut = chars.len();
    let mut last_space = None;
    for (i, c) in chars.iter().enumerate() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max {
            cut = i;
            break;
        }
        if *c == ' ' {
            last_space = Some(i);
        }
        w += cw;
    }
    let cut = last_space.filter(|&sp| sp > 0).unwrap_or(cut);
    let first: String = chars[..cut].iter().collect();
    let rest: String = chars[cut..].iter().collect();
    vec![
        first.trim_end().to_string(),
        truncate_width(rest.trim_start(), max),
    ]
}

/// Text as the inside of a double-quoted CSS string in a `<style>`
/// element: quotes and backslashes escaped, line breaks as spaces, and `<`
/// as `\3C ` so no user text can close the element.
fn css_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\3C "),
            '>' => out.push_str("\\3E "),
            '&' => out.push_str("\\26 "),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn mermaid_label(s: &str) -> String {
    // Mermaid reads entity codes inside quoted labels; this keeps user text
    // from closing the label or injecting markup.
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn rule_text(
    rule: &Rule,
    unit: Option<&str>,
    precision: u32,
    l: &BTreeMap<String, String>,
) -> String {
    let get = |k: &str| l.get(k).cloned().unwrap_or_else(|| k.to_string());
    let colon = l.get("colon").map_or(": ", String::as_str);
    match rule {
        Rule::Linear { baseline, target } => format!(
            "{}{colon}0 @ {} → 100 @ {}",
            get(if target > baseline {
                "rule_linear_higher"
            } else {
                "rule_linear_lower"
            }),
            format::value(*baseline, unit, precision),
            format::value(*target, unit, precision)
        ),
        Rule::Band {
            low,
            high,
            tolerance,
        } => format!(
            "{}{colon}100 @ {} – {}, 0 @ ± {}",
            get("rule_band"),
            format::value(*low, unit, precision),
            format::value(*high, unit, precision),
            format::value(*tolerance, unit, precision)
        ),
        Rule::Curve { points } => format!(
            "{}{colon}{}",
            get("rule_curve"),
            points
                .iter()
                .map(|(v, s)| format!(
                    "{} → {}",
                    format::value(*v, unit, precision),
                    format::score(*s, 0)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Rule::Step {
            direction,
            steps,
            below,
        } => {
            let (name, sign) = match direction {
                Direction::Higher => ("rule_step_higher", "≥"),
                Direction::Lower => ("rule_step_lower", "≤"),
            };
            // Best step first, as an appraisal scheme is read.
            let mut shown: Vec<String> = steps
                .iter()
                .map(|(v, s)| {
                    // No-break spaces: a step never wraps inside itself.
                    format!(
                        "{sign}\u{a0}{}\u{a0}→\u{a0}{}",
                        format::rule_value(*v, unit, precision),
                        // A score as written (87.5 stays 87.5).
                        format::value(*s, None, precision)
                    )
                })
                .collect();
            if *direction == Direction::Higher {
                shown.reverse();
            }
            format!(
                "{}{colon}{}; {}\u{a0}→\u{a0}{}",
                get(name),
                shown.join(", "),
                get("rule_step_otherwise"),
                format::value(*below, None, precision)
            )
        }
        Rule::Binary { direction, target } => {
            let (name, sign) = match direction {
                Direction::Higher => ("rule_binary_higher", "≥"),
                Direction::Lower => ("rule_binary_lower", "≤"),
            };
            format!(
                "{}{colon}100\u{a0}@\u{a0}{sign}\u{a0}{}, {}\u{a0}0",
                get(name),
                format::rule_value(*target, unit, precision),
                get("rule_binary_else")
            )
        }
    }
}

/// An indicator's plan by period, e.g. `2026-Q1: 14.0%; 2026-Q2: 12.0%`
/// (target, or baseline → target where the plan gives a baseline).
fn plan_text(ind: &crate::model::Indicator, precision: u32) -> String {
    let unit = ind.unit.as_deref();
    let mut periods: Vec<&String> = ind
        .plan
        .targets
        .keys()
        .chain(ind.plan.baselines.keys())
        .collect();
    periods.sort_by(|a, b| crate::data::period::cmp_periods(a, b));
    periods.dedup();
    periods
        .into_iter()
        .map(|period| {
            let r = ind.rule_for(period);
            let t = format::target(&r, unit, precision);
            match (
                ind.plan.baselines.contains_key(period),
                format::baseline(&r, unit, precision),
            ) {
                (true, Some(b)) => format!("{period}: {b} → {t}"),
                _ => format!("{period}: {t}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The table of a step rule, best step first: `≥ 120% → 120` ... and the
/// score short of every step (`< 80% → 0`). Lower is better reads
/// `≤ 2 days → 100` ... `> 10 days → 0`.
fn step_rows(
    direction: Direction,
    steps: &[(Decimal, Decimal)],
    below: Decimal,
    unit: Option<&str>,
    precision: u32,
) -> Vec<(String, String)> {
    let v = |d: Decimal| format::rule_value(d, unit, precision);
    let s = |d: Decimal| format::value(d, None, precision);
    let mut rows: Vec<(String, String)> = match direction {
        Direction::Higher => steps
            .iter()
            .rev()
            .map(|(x, sc)| (format!("≥ {}", v(*x)), s(*sc)))
            .collect(),
        Direction::Lower => steps
            .iter()
            .map(|(x, sc)| (format!("≤ {}", v(*x)), s(*sc)))
            .collect(),
    };
    let beyond = match direction {
        Direction::Higher => steps.first().map(|f| format!("< {}", v(f.0))),
        Direction::Lower => steps.last().map(|l| format!("> {}", v(l.0))),
    };
    if let Some(b) = beyond {
        rows.push((b, s(below)));
    }
    rows
}

fn build(
    card: &Scorecard,
    e: &Evaluation,
    notes: &HashMap<String, String>,
    previous_period: Option<&str>,
    opts: &Options,
) -> Result<Ctx, ReportError> {
    let l = labels(opts.lang, opts.templates)?;
    let p = card.precision;
    let st_label = |s: Status| {
        l.get(&format!("status_{}", s.as_str()))
            .cloned()
            .unwrap_or_else(|| s.as_str().to_string())
    };
    let score_txt = |s: Option<Decimal>| s.map_or_else(|| "–".to_string(), |s| format::score(s, p));
    let badge = |score: Option<Decimal>, status: Status| Badge {
        score: score_txt(score),
        status: status.as_str(),
        status_label: st_label(status),
        symbol: symbol(status),
    };
    let hundred = Decimal::ONE_HUNDRED;

    let indicator_ctx = |i: usize| -> IndicatorCtx {
        let ind = &card.indicators[i];
        let r: &IndicatorResult = &e.indicators[i];
        let unit = ind.unit.as_deref();
        let delta = format::change(r.score, r.previous_score.flatten());
        let (trend_dir, trend) = format::trend(delta);
        let note = notes.get(&ind.id);
        IndicatorCtx {
            id: ind.id.clone(),
            name: ind.name.clone(),
            owner: ind.owner.clone().unwrap_or_default(),
            index: i,
            unit: ind.unit.clone().unwrap_or_default(),
            actual: r
                .actual
                .map_or_else(|| "–".into(), |a| format::actual(ind, a, p)),
            baseline: format::baseline(&r.rule, unit, p).unwrap_or_else(|| "–".into()),
            target: format::target(&r.rule, unit, p),
            // The plan (or the data) sets another target or baseline than
            // the card's plain one: say so, with the plain one.
            planned: r.rule != ind.rule,
            plain_target: format::target(&ind.rule, unit, p),
            badge: badge(r.score, r.status),
            trend,
            trend_dir,
            delta: delta.map(|d| format::delta(d, p)).unwrap_or_default(),
            previous_actual: r
                .previous_actual
                .flatten()
                .map(|a| format::actual(ind, a, p))
                .unwrap_or_default(),
            share: format::share(ind.share),
            effective_weight: format::share(ind.effective_weight),
            missing: r.missing,
            reason: r
                .reason
                .as_deref()
                .map(|why| reasons::reason_text(card, why, &l))
                .unwrap_or_default(),
            note_html: note.map(|n| markdown::to_html(n)).unwrap_or_default(),
            note_md: note
                .map(|n| markdown::to_markdown_after_lead(n))
                .unwrap_or_default(),
            description_html: ind
                .description
                .as_deref()
                .map(markdown::to_html)
                .unwrap_or_default(),
        }
    };

    let mut counts = Counts::default();
    for r in &e.indicators {
        counts.total += 1;
        match r.status {
            Status::Green => counts.green += 1,
            Status::Amber => counts.amber += 1,
            Status::Red => counts.red += 1,
            // Only the composite can be insufficient; an indicator is
            // scored or missing.
            Status::Missing | Status::Insufficient => counts.missing += 1,
        }
    }

    let follow = initiatives::Builder::new(card, e, &l);
    // Where to act: largest weighted shortfall, ties by declaration order.
    let mut act: Vec<(Decimal, usize)> = e
        .indicators
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let s = r.score?;
            let gain = r.effective_weight * (hundred - s.min(hundred));
            (gain > Decimal::ZERO).then_some((gain, i))
        })
        .collect();
    act.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let where_to_act = act
        .iter()
        .take(5)
        .map(|&(gain, i)| {
            let r = &e.indicators[i];
            let ind = &card.indicators[i];
            ActCtx {
                name: ind.name.clone(),
                perspective: card.perspectives[ind.perspective].name.clone(),
                badge: badge(r.score, r.status),
                weight: format::share(ind.effective_weight),
                gain: format::score(gain, p),
                follow: follow.act(i),
            }
        })
        .collect();

    // What moved: the largest falls and the largest rises since the period
    // compared with, each by size, ties in declaration order.
    let mut moved: Vec<(Decimal, usize)> = e
        .indicators
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let d = r.score? - r.previous_score.flatten()?;
            (!d.is_zero()).then_some((d, i))
        })
        .collect();
    moved.sort_by(|a, b| b.0.abs().cmp(&a.0.abs()).then(a.1.cmp(&b.1)));
    let moved_ctx = |&(d, i): &(Decimal, usize)| {
        let r = &e.indicators[i];
        MovedCtx {
            name: card.indicators[i].name.clone(),
            previous_score: score_txt(r.previous_score.flatten()),
            delta: format::delta(d, p),
            arrow: format::trend(Some(d)).1,
            direction: format::trend(Some(d)).0,
            badge: badge(r.score, r.status),
        }
    };
    let falls: Vec<MovedCtx> = moved
        .iter()
        .filter(|(d, _)| d.is_sign_negative())
        .take(5)
        .map(moved_ctx)
        .collect();
    let rises: Vec<MovedCtx> = moved
        .iter()
        .filter(|(d, _)| d.is_sign_positive())
        .take(5)
        .map(moved_ctx)
        .collect();
    // An indicator that turned red since the comparison puts the falls first.
    let falls_first = e.indicators.iter().zip(&card.indicators).any(|(r, ind)| {
        r.status == Status::Red
            && r.previous_score.flatten().is_some_and(|b| {
                crate::score::node_status(card, ind.status, Some(b)) != Status::Red
            })
    });
    let change = |now: Option<Decimal>, before: Option<Option<Decimal>>| {
        let d = format::change(now, before.flatten());
        let (dir, arrow) = format::trend(d);
        (
            d.map(|d| format::delta(d, p)).unwrap_or_default(),
            dir,
            arrow,
        )
    };

    let perspectives: Vec<PerspectiveCtx> = card
        .perspectives
        .iter()
        .enumerate()
        .map(|(pi, persp)| {
            let pr = &e.perspectives[pi];
            let mut objectives = Vec::new();
            let mut direct = Vec::new();
            for c in &persp.children {
                match c {
                    Node::Objective(o) => {
                        let obj = &card.objectives[*o];
                        let or = &e.objectives[*o];
                        let (ch, ch_dir, ch_arrow) = change(or.score, or.previous_score);
                        objectives.push(ObjectiveCtx {
                            id: obj.id.clone(),
                            name: obj.name.clone(),
                            change: ch,
                            change_dir: ch_dir,
                            change_arrow: ch_arrow,
                            index: *o,
                            share: format::share(obj.share),
                            badge: badge(or.score, or.status),
                            description_html: obj
                                .description
                                .as_deref()
                                .map(markdown::to_html)
                                .unwrap_or_default(),
                            owner: obj.owner.clone().unwrap_or_default(),
                            indicators: obj.indicators.iter().map(|&i| indicator_ctx(i)).collect(),
                            initiatives: follow.of_objective(*o),
                        });
                    }
                    Node::Indicator(i) => direct.push(indicator_ctx(*i)),
                }
            }
            let direct_ids: Vec<usize> = persp
                .children
                .iter()
                .filter_map(|c| match c {
                    Node::Indicator(i) => Some(*i),
                    Node::Objective(_) => None,
                })
                .collect();
            let (ch, ch_dir, ch_arrow) = change(pr.score, pr.previous_score);
            PerspectiveCtx {
                id: persp.id.clone(),
                name: persp.name.clone(),
                change: ch,
                change_dir: ch_dir,
                change_arrow: ch_arrow,
                index: pi,
                share: format::share(persp.share),
                badge: badge(pr.score, pr.status),
                description_html: persp
                    .description
                    .as_deref()
                    .map(markdown::to_html)
                    .unwrap_or_default(),
                description_md: persp
                    .description
                    .as_deref()
                    .map(markdown::to_markdown)
                    .unwrap_or_default(),
                owner: persp.owner.clone().unwrap_or_default(),
                objectives,
                indicators: direct,
                initiatives: follow.of_indicators(&direct_ids),
            }
        })
        .collect();

    let chart = chart(card, e, &score_txt);
    let strategy_map = strategy_map(card, e, &score_txt);
    let mermaid = mermaid(card, e, &score_txt);

    let missing = e
        .indicators
        .iter()
        .enumerate()
        .filter(|(_, r)| r.missing)
        .map(|(i, r)| MissingCtx {
            name: card.indicators[i].name.clone(),
            id: r.id.clone(),
            reason: r
                .reason
                .as_deref()
                .map(|why| reasons::reason_text(card, why, &l))
                .unwrap_or_default(),
        })
        .collect();

    let methodology = card
        .indicators
        .iter()
        .map(|ind| MethodCtx {
            name: ind.name.clone(),
            perspective: card.perspectives[ind.perspective].name.clone(),
            rule: rule_text(&ind.rule, ind.unit.as_deref(), p, &l),
            plan: plan_text(ind, p),
            // On one line: a TOML multi-line formula would otherwise end
            // its Markdown table row.
            formula: ind
                .formula
                .as_ref()
                .map(|f| f.text.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            share: format::share(ind.share),
            effective_weight: format::share(ind.effective_weight),
        })
        .collect();

    let steps = card
        .indicators
        .iter()
        .filter_map(|ind| match &ind.rule {
            Rule::Step {
                direction,
                steps,
                below,
            } => Some(StepsCtx {
                name: ind.name.clone(),
                rule: l
                    .get(match direction {
                        Direction::Higher => "rule_step_higher",
                        Direction::Lower => "rule_step_lower",
                    })
                    .cloned()
                    .unwrap_or_default(),
                rows: step_rows(*direction, steps, *below, ind.unit.as_deref(), p),
            }),
            _ => None,
        })
        .collect();
    let binary = card
        .indicators
        .iter()
        .any(|i| matches!(i.rule, Rule::Binary { .. }));
    let label = |k: &str| l.get(k).cloned().unwrap_or_else(|| k.to_string());
    let threshold = |kind: &str, name: &str, t: Option<crate::model::Thresholds>| {
        t.map(|t| ThresholdCtx {
            kind: label(kind),
            name: name.to_string(),
            green: format::value(t.green, None, p),
            amber: format::value(t.amber, None, p),
        })
    };
    let thresholds: Vec<ThresholdCtx> = card
        .perspectives
        .iter()
        .filter_map(|x| threshold("perspective", &x.name, x.status))
        .chain(
            card.objectives
                .iter()
                .filter_map(|x| threshold("objective", &x.name, x.status)),
        )
        .chain(
            card.indicators
                .iter()
                .filter_map(|x| threshold("indicator", &x.name, x.status)),
        )
        .collect();
    let thresholds_intro = label("thresholds_intro")
        .replace("{green}", &format::value(card.green, None, p))
        .replace("{amber}", &format::value(card.amber, None, p));

    let name_of = |id: &str| card.name_of(id);
    let ahp = card
        .ahp
        .iter()
        .map(|g| {
            let group = match g.key.split_once('.') {
                None => l
                    .get("ahp_group_perspectives")
                    .cloned()
                    .unwrap_or_else(|| g.key.clone()),
                Some((_, parent)) => name_of(parent),
            };
            AhpCtx {
                group,
                cr: format::fixed(g.consistency_ratio, 3),
                members: g
                    .members
                    .iter()
                    .map(|(id, w)| (name_of(id), format::share(*w)))
                    .collect(),
            }
        })
        .collect();

    let status = e.composite.status;
    let composite_change = change(e.composite.score, e.composite.previous_score);
    let composite = CompositeCtx {
        badge: badge(e.composite.score, status),
        coverage: format::share(e.composite.coverage),
        max_score: format::score(card.max_score, 0),
        warning: if status == Status::Insufficient {
            insufficient_warning(&l, e.composite.coverage, card.min_coverage)
        } else {
            String::new()
        },
        // The shortfalls of the few scored indicators matter less than the
        // weight that has no score at all.
        data_first: if status == Status::Insufficient {
            l.get("where_to_act_data_first")
                .map_or("{missing}", String::as_str)
                .replace(
                    "{missing}",
                    &format::share(Decimal::ONE - e.composite.coverage),
                )
        } else {
            String::new()
        },
        minimum: format::setting_share(card.min_coverage),
        change: composite_change.0,
        change_dir: composite_change.1,
        change_arrow: composite_change.2,
    };
    let initiatives = follow.summary();
    let explained = crate::explain::explain(card, e);
    let waterfall = robustness::waterfall(card, &explained, &l);
    let robustness = robustness::robustness(card, &explained, &l);
    Ok(Ctx {
        lang: opts.lang.code(),
        missing_policy: l
            .get(&format!("missing_{:?}", card.missing).to_lowercase())
            .cloned()
            .unwrap_or_default(),
        l,
        title: card.name.clone(),
        print_title: css_string(&format!("{} · {}", card.name, e.period)),
        scorecard_id: card.id.clone(),
        description_html: card
            .description
            .as_deref()
            .map(markdown::to_html)
            .unwrap_or_default(),
        description_md: card
            .description
            .as_deref()
            .map(markdown::to_markdown)
            .unwrap_or_default(),
        period: e.period.clone(),
        previous_period: previous_period.map(str::to_string),
        unit: e.unit.clone(),
        generated_at: opts.generated_at.clone(),
        composite,
        counts,
        where_to_act,
        falls,
        rises,
        falls_first,
        year_ago: opts.year_ago,
        history: history::HistoryCtx::new(&e.history, p),
        waterfall,
        robustness,
        perspectives,
        chart,
        strategy_map,
        mermaid,
        missing,
        methodology,
        steps,
        binary,
        thresholds,
        thresholds_intro,
        ahp,
        has_owners: card.indicators.iter().any(|i| i.owner.is_some()),
        follow_up: card.indicators.iter().any(|i| i.owner.is_some())
            || !card.initiatives.is_empty(),
        initiatives,
    })
}

/// Horizontal bars of the perspectives' scores.
fn chart(card: &Scorecard, e: &Evaluation, score_txt: &dyn Fn(Option<Decimal>) -> String) -> Chart {
    let pct = |s: Decimal| {
        format::fixed(
            (s.max(Decimal::ZERO) * Decimal::ONE_HUNDRED / card.max_score)
                .min(Decimal::ONE_HUNDRED),
            2,
        )
    };
    let bars = card
        .perspectives
        .iter()
        .zip(&e.perspectives)
        .map(|(p, r)| {
            let change = format::change(r.score, r.previous_score.flatten());
            Bar {
                name: p.name.clone(),
                change: change
                    .map(|d| {
                        format!(
                            "{} {}",
                            format::trend(Some(d)).1,
                            format::delta(d, card.precision)
                        )
                    })
                    .unwrap_or_default(),
                change_dir: format::trend(change).0,
                width_pct: pct(r.score.unwrap_or_default()),
                score: score_txt(r.score),
                status: r.status.as_str(),
                symbol: symbol(r.status),
                own: p.status.map(|t| (pct(t.amber), pct(t.green))),
            }
        })
        .collect();
    Chart {
        green_pct: pct(card.green),
        amber_pct: pct(card.amber),
        bars,
    }
}

/// Strategy map: lanes, boxes and routed arrows from [`map::layout`].
fn strategy_map(
    card: &Scorecard,
    e: &Evaluation,
    score_txt: &dyn Fn(Option<Decimal>) -> String,
) -> MapCtx {
    let lanes: Vec<Vec<usize>> = (0..card.perspectives.len())
        .map(|pi| {
            card.objectives
                .iter()
                .enumerate()
                .filter(|(_, o)| o.perspective == pi)
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let links: Vec<(usize, usize)> = card
        .objectives
        .iter()
        .enumerate()
        .flat_map(|(oi, o)| o.drives.iter().map(move |&t| (oi, t)))
        .collect();
    let layout = map::layout(&lanes, card.objectives.len(), &links);
    let lanes = card
        .perspectives
        .iter()
        .zip(&layout.lanes)
        .map(|(p, l)| Lane {
            name: truncate_width(&p.name, 20),
            y: l.y,
            height: l.height,
            text_y: l.y + l.height / 2 + 5,
        })
        .collect();
    let nodes = layout
        .places
        .iter()
        .enumerate()
        .filter_map(|(oi, place)| {
            let pl = place.as_ref()?;
            let o = &card.objectives[oi];
            let r = &e.objectives[oi];
            // Characters that fit on a line: about 7 px per column at 12 px.
            let cols = ((pl.w.saturating_sub(16)) / 7).max(6) as usize;
            let short = wrap2(&o.name, cols);
            let text_y = if short.len() == 1 {
                vec![pl.y + 24]
            } else {
                vec![pl.y + 18, pl.y + 33]
            };
            Some(MapNode {
                id: o.id.clone(),
                name: o.name.clone(),
                short,
                x: pl.x,
                y: pl.y,
                w: pl.w,
                h: 62,
                cx: pl.x + pl.w / 2,
                text_y,
                score: score_txt(r.score),
                status: r.status.as_str(),
                symbol: symbol(r.status),
            })
        })
        .collect();
    let edges = layout
        .routes
        .iter()
        .map(|r| Edge {
            path: r.path.clone(),
            from: card.objectives[r.from].name.clone(),
            to: card.objectives[r.to].name.clone(),
        })
        .collect();
    MapCtx {
        width: map::WIDTH,
        height: layout.height,
        lanes,
        nodes,
        edges,
    }
}

/// The strategy map as a Mermaid flowchart for the Markdown report.
fn mermaid(
    card: &Scorecard,
    e: &Evaluation,
    score_txt: &dyn Fn(Option<Decimal>) -> String,
) -> String {
    let mut s = String::from("flowchart BT\n");
    for (pi, p) in card.perspectives.iter().enumerate() {
        s.push_str(&format!(
            "  subgraph p{pi}[\"{}\"]\n",
            mermaid_label(&p.name)
        ));
        for (oi, o) in card
            .objectives
            .iter()
            .enumerate()
            .filter(|(_, o)| o.perspective == pi)
        {
            let r = &e.objectives[oi];
            s.push_str(&format!(
                "    o{oi}[\"{}<br/>{} {}\"]\n",
                mermaid_label(&o.name),
                symbol(r.status),
                score_txt(r.score)
            ));
        }
        s.push_str("  end\n");
    }
    for (oi, o) in card.objectives.iter().enumerate() {
        for t in &o.drives {
            s.push_str(&format!("  o{oi} --> o{t}\n"));
        }
    }
    for (oi, r) in e.objectives.iter().enumerate() {
        s.push_str(&format!("  class o{oi} {}\n", r.status.as_str()));
    }
    s.push_str("  classDef green fill:#e3f4e8,stroke:#1e7b3c\n");
    s.push_str("  classDef amber fill:#fdf1d8,stroke:#a86800\n");
    s.push_str("  classDef red fill:#fbe3e1,stroke:#b3261e\n");
    s.push_str("  classDef missing fill:#eeeeee,stroke:#777777\n");
    s
}

// ---------------------------------------------------------------- rendering

/// HTML-escapes for `.html` templates; Markdown-escapes for `.md` ones, so
/// user text can neither inject markup nor break a table.
fn md_escape(s: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(markdown::escape_inline(s).as_bytes())
}

fn load_tera(format: Format, dir: Option<&Path>, main: &str) -> Result<tera::Tera, ReportError> {
    let mut tera = tera::Tera::default();
    let suffix = match format {
        Format::Html => ".html",
        Format::Markdown => ".md",
    };
    // Only this format's templates (and the CSS, included raw by HTML).
    let wanted =
        |name: &str| name.ends_with(suffix) || (format == Format::Html && name.ends_with(".css"));
    let mut templates: BTreeMap<String, (String, String)> = BUILTIN
        .iter()
        .filter(|(n, _)| wanted(n))
        .map(|(n, t)| (n.to_string(), (n.to_string(), t.to_string())))
        .collect();
    if let Some(dir) = dir {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            ReportError(format!(
                "cannot read templates directory `{}`: {e}",
                dir.display()
            ))
        })?;
        let mut names: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        names.sort();
        for p in names {
            let Some(name) = p.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                continue;
            };
            if !p.is_file() || !wanted(&name) {
                continue;
            }
            let text = std::fs::read_to_string(&p)
                .map_err(|e| ReportError(format!("cannot read template `{}`: {e}", p.display())))?;
            templates.insert(name, (p.display().to_string(), text));
        }
    }
    match format {
        Format::Html => tera.autoescape_on([".html"]),
        Format::Markdown => {
            tera.autoescape_on([".md"]);
            tera.set_escape_fn(md_escape);
        }
    }
    // Add one at a time so an error names the file it is in.
    let ordered: Vec<(String, (String, String))> = templates.into_iter().collect();
    tera.add_raw_templates(ordered.iter().map(|(n, (_, t))| (n.as_str(), t.as_str())))
        .map_err(|e| {
            let text = e.to_string();
            let culprit = ordered
                .iter()
                .find(|(n, _)| text.contains(&format!("{n}:")) || text.contains(&format!("'{n}'")))
                .map(|(_, (origin, _))| origin.clone());
            ReportError(match culprit {
                Some(origin) => format!("template `{origin}` is invalid:\n{text}"),
                None => format!("templates are invalid:\n{text}"),
            })
        })?;
    if !tera.contains_template(main) {
        return Err(ReportError(format!("template `{main}` is missing")));
    }
    Ok(tera)
}

/// Renders a report of the last period (with the previous one for trends).
/// `notes` are the Markdown notes by indicator id; `previous_period` labels
/// the period the trends compare with.
pub fn render(
    card: &Scorecard,
    e: &Evaluation,
    notes: &HashMap<String, String>,
    previous_period: Option<&str>,
    opts: &Options,
) -> Result<String, ReportError> {
    let ctx = build(card, e, notes, previous_period, opts)?;
    let main = match opts.format {
        Format::Html => "report.html",
        Format::Markdown => "report.md",
    };
    render_template(main, &ctx, opts)
}

/// Renders `main` (and what it includes) with a serialisable context.
pub(crate) fn render_template(
    main: &str,
    ctx: &impl Serialize,
    opts: &Options,
) -> Result<String, ReportError> {
    let tera = load_tera(opts.format, opts.templates, main)?;
    let context = tera::Context::from_serialize(ctx)
        .map_err(|e| ReportError(format!("report context: {e}")))?;
    let text = tera.render(main, &context).map_err(|e| {
        let origin = opts.templates.map(|d| d.display().to_string()).map_or_else(
            || "built-in templates".to_string(),
            |d| format!("templates in `{d}` (or built-in)"),
        );
        ReportError(format!("rendering failed ({origin}):\n{e}"))
    })?;
    Ok(match opts.format {
        Format::Markdown => tidy_markdown(&text),
        Format::Html => text,
    })
}

/// At most one blank line between blocks of a Markdown report (templates
/// leave more where optional parts are absent), and no trailing spaces
/// after table rows (two trailing spaces elsewhere are a line break);
/// inside fenced code, nothing changes.
fn tidy_markdown(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let (mut blank, mut fenced) = (0, false);
    for line in md.split('\n') {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let line = if !fenced && line.starts_with('|') {
            line.trim_end()
        } else {
            line
        };
        if !fenced && line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    // `split` gives one more line than there are newlines.
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_display_width() {
        assert_eq!(truncate_width("abcdef", 4), "abcd…");
        assert_eq!(truncate_width("客户满意度", 4), "客户…");
        assert_eq!(truncate_width("abc", 4), "abc");
    }

    #[test]
    fn wrapping_prefers_spaces() {
        assert_eq!(
            wrap2("Grow customer lifetime value", 16),
            vec!["Grow customer", "lifetime value"]
        );
        assert_eq!(wrap2("short", 16), vec!["short"]);
    }

    #[test]
    fn mermaid_labels_cannot_escape() {
        assert_eq!(mermaid_label(r#"a"]; click x"#), "a#quot;]; click x");
        assert_eq!(mermaid_label("<b>"), "#lt;b#gt;");
    }
}
