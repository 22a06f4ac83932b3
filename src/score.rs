//! Step 3: scoring (SPEC §4–6). Pure exact-decimal maths over a validated
//! scorecard and one period's values; no I/O. Every operation that could
//! overflow is checked, so a bad value becomes a reason, never a panic.

use std::sync::Arc;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

use crate::data::period::Plan;
use crate::formula::{self, Kind};

use crate::model::{
    Aggregate, Direction, Goal, Indicator, MissingPolicy, Node, PairProblem, Rule, Scorecard,
    Thresholds, ValueRef, pair_in_force,
};

pub(crate) mod exact;
pub mod follow_up;
pub(crate) mod wide;
use exact::Divisor;

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// A score's status under the thresholds in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// At or above the green threshold.
    Green,
    /// At or above the amber threshold.
    Amber,
    /// Below the amber threshold.
    Red,
    /// No score.
    Missing,
    /// The composite's coverage is below `min_coverage`: too little of the
    /// scorecard has data for its score to mean much (composite only).
    Insufficient,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Green => "green",
            Status::Amber => "amber",
            Status::Red => "red",
            Status::Missing => "missing",
            Status::Insufficient => "insufficient",
        }
    }
}

/// The result of one evaluation; serialises to exactly SPEC §8, and
/// [`output_schema`] is derived from these types (their doc comments are
/// its descriptions, so they are written for the JSON's readers).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    title = "bsc evaluation",
    description = "One evaluation, as `bsc evaluate --format json` prints it for measurements files; with --data, each element of the array (and each line of --format jsonl). Numbers are at full precision; arrays keep the scorecard's declaration order."
)]
pub struct Evaluation {
    /// The scorecard evaluated.
    pub scorecard: CardRef,
    /// The evaluated period, or `FIRST..LAST` for a roll-up.
    pub period: String,
    /// The business unit, or null.
    pub unit: Option<String>,
    /// The weighted score of the whole scorecard.
    pub composite: Composite,
    /// One per perspective, in declaration order.
    pub perspectives: Vec<PerspectiveResult>,
    /// One per objective, in declaration order.
    pub objectives: Vec<ObjectiveResult>,
    /// One per indicator, in declaration order.
    pub indicators: Vec<IndicatorResult>,
    /// The card's initiatives as of the period; `[]` when it has none.
    pub initiatives: Vec<follow_up::InitiativeResult>,
    /// The last periods' scores, oldest first, the evaluated one last;
    /// present only when more than two periods are given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryPoint>,
    /// The period (or span) the `previous_*` values are of, for tables and
    /// reports (JSON readers know what they passed).
    #[serde(skip)]
    pub compared_with: Option<String>,
}

/// One period of a history: the composite's and each perspective's score.
// (Reports chart the objectives and indicators too.)
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HistoryPoint {
    /// The period.
    pub period: String,
    /// The composite's score, or null.
    #[schemars(with = "Option<Num>", range(min = 0))]
    pub composite: Option<Decimal>,
    /// Perspective id -> score (or null), in declaration order.
    #[serde(serialize_with = "ordered_map")]
    #[schemars(with = "std::collections::BTreeMap<String, Option<Num>>")]
    pub perspectives: Vec<(String, Option<Decimal>)>,
    #[serde(skip)]
    pub objectives: Vec<Option<Decimal>>,
    #[serde(skip)]
    pub indicators: Vec<Option<Decimal>>,
}

fn ordered_map<S: serde::Serializer>(
    entries: &[(String, Option<Decimal>)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

impl HistoryPoint {
    /// The point of one evaluation.
    pub fn of(e: &Evaluation) -> HistoryPoint {
        HistoryPoint {
            period: e.period.clone(),
            composite: e.composite.score,
            perspectives: e
                .perspectives
                .iter()
                .map(|p| (p.id.clone(), p.score))
                .collect(),
            objectives: e.objectives.iter().map(|o| o.score).collect(),
            indicators: e.indicators.iter().map(|i| i.score).collect(),
        }
    }
}

impl Evaluation {
    /// Compares with `other` instead of the previous span (`--compare
    /// year-ago`, SPEC §15): every `previous_*` key then holds `other`'s.
    pub fn compare_with(&mut self, other: &Evaluation) {
        self.composite.previous_score = Some(other.composite.score);
        for (p, o) in self.perspectives.iter_mut().zip(&other.perspectives) {
            p.previous_score = Some(o.score);
        }
        for (p, o) in self.objectives.iter_mut().zip(&other.objectives) {
            p.previous_score = Some(o.score);
        }
        for (p, o) in self.indicators.iter_mut().zip(&other.indicators) {
            p.previous_score = Some(o.score);
            p.previous_actual = Some(o.actual);
        }
    }
}

/// The scorecard's id and name.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CardRef {
    pub id: String,
    pub name: String,
}

/// A JSON number in the output schema: decimals print as numbers at full
/// precision (serde-arbitrary-precision), never as strings.
type Num = crate::raw::Num;

// In the types below an outer `None` of `Option<Option<_>>` means that no
// period is compared with: the key is left out.

/// The whole scorecard's score.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Composite {
    /// 0 to the cap (`max_score`), or null when nothing has a score.
    #[schemars(with = "Option<Num>", range(min = 0))]
    pub score: Option<Decimal>,
    /// `insufficient` when coverage is below `min_coverage`.
    pub status: Status,
    /// The share of the weight whose indicators have a score: 1 when all do.
    #[schemars(with = "Num", range(min = 0, max = 1))]
    pub coverage: Decimal,
    /// The score in the period compared with (null: none then); present
    /// only when a period is compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Num>")]
    pub previous_score: Option<Option<Decimal>>,
}

/// A perspective's score.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct PerspectiveResult {
    pub id: String,
    pub name: String,
    /// The weight normalised among the perspectives.
    #[schemars(with = "Num", range(min = 0, max = 1))]
    pub weight: Decimal,
    /// 0 to the cap, or null when nothing under it has a score.
    #[schemars(with = "Option<Num>", range(min = 0))]
    pub score: Option<Decimal>,
    pub status: Status,
    /// The share of its own weight that has a score.
    #[schemars(with = "Num", range(min = 0, max = 1))]
    pub coverage: Decimal,
    /// The score in the period compared with (null: none then); present
    /// only when a period is compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Num>")]
    pub previous_score: Option<Option<Decimal>>,
}

/// An objective's score.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ObjectiveResult {
    pub id: String,
    pub name: String,
    /// The id of its perspective.
    pub perspective: String,
    /// The weight normalised among its siblings (the other children of its
    /// perspective: objectives and direct indicators).
    #[schemars(with = "Num", range(min = 0, max = 1))]
    pub weight: Decimal,
    /// 0 to the cap, or null when none of its indicators has a score.
    #[schemars(with = "Option<Num>", range(min = 0))]
    pub score: Option<Decimal>,
    pub status: Status,
    /// The share of its own weight that has a score.
    #[schemars(with = "Num", range(min = 0, max = 1))]
    pub coverage: Decimal,
    /// The score in the period compared with (null: none then); present
    /// only when a period is compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Num>")]
    pub previous_score: Option<Option<Decimal>>,
}

/// An indicator's value and score.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IndicatorResult {
    pub id: String,
    /// The id of its perspective.
    pub perspective: String,
    /// The id of its objective, or null when it sits under its perspective.
    pub objective: Option<String>,
    /// The measured value, or a computed indicator's value; null without one.
    #[schemars(with = "Option<Num>")]
    pub actual: Option<Decimal>,
    /// 0 to the cap, or null.
    #[schemars(with = "Option<Num>", range(min = 0))]
    pub score: Option<Decimal>,
    pub status: Status,
    /// The share of the composite it carries when nothing is missing.
    #[schemars(with = "Num", range(min = 0, max = 1))]
    pub effective_weight: Decimal,
    /// True when it has no score.
    pub missing: bool,
    /// Why it has no score (`no value`, `needs lost`, `division by zero`,
    /// `overflow`, ...), else null.
    pub reason: Option<String>,
    /// The card's `owner`, or null.
    pub owner: Option<String>,
    /// The baseline in force for the period and unit; null for a rule
    /// without one.
    #[schemars(with = "Option<Num>")]
    pub baseline: Option<Decimal>,
    /// The target in force: a number, `[low, high]` for a band, null for a
    /// curve or step.
    pub target: Option<TargetOut>,
    /// The rule they belong to, for reports.
    #[serde(skip)]
    pub rule: Rule,
    /// The value in the period compared with (null: none then); present
    /// only when a period is compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Num>")]
    pub previous_actual: Option<Option<Decimal>>,
    /// The score in the period compared with (null: none then); present
    /// only when a period is compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Num>")]
    pub previous_score: Option<Option<Decimal>>,
}

/// A target: a number, or `[low, high]` for a band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum TargetOut {
    Value(#[schemars(with = "Num")] Decimal),
    Band(#[schemars(with = "[Num; 2]")] [Decimal; 2]),
}

/// The JSON Schema (Draft 2020-12) of one evaluation as `bsc evaluate
/// --format json` prints it (`bsc schema --output`), derived from the
/// types that serialise it, as the output is (keys a field leaves out when
/// empty are optional). Objects are closed (`additionalProperties:
/// false`): a renamed or stray key fails validation.
pub fn output_schema() -> serde_json::Value {
    schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<Evaluation>()
        .to_value()
}

/// `missing = "error"` and something had no score: every id with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct MissingData {
    pub missing: Vec<(String, String)>,
}

/// Status of a score under the scorecard's thresholds.
pub fn status(card: &Scorecard, score: Option<Decimal>) -> Status {
    status_under(card.thresholds(), score)
}

/// Status of a node's score under its own thresholds when it has them
/// (SPEC §11), else the card's. A node's thresholds judge that node only:
/// its children are judged by theirs.
pub fn node_status(card: &Scorecard, own: Option<Thresholds>, score: Option<Decimal>) -> Status {
    status_under(own.unwrap_or_else(|| card.thresholds()), score)
}

fn status_under(t: Thresholds, score: Option<Decimal>) -> Status {
    match score {
        None => Status::Missing,
        Some(s) if s >= t.green => Status::Green,
        Some(s) if s >= t.amber => Status::Amber,
        Some(_) => Status::Red,
    }
}

/// Status of the composite: as [`status`], except that a score resting on
/// less than `min_coverage` of the weight is `Insufficient` (SPEC §11),
/// so a partial file cannot look on track. No score at all stays `Missing`.
pub fn composite_status(card: &Scorecard, score: Option<Decimal>, coverage: Decimal) -> Status {
    match score {
        Some(_) if coverage < card.min_coverage => Status::Insufficient,
        _ => status(card, score),
    }
}

fn clamp(x: Decimal, lo: Decimal, hi: Decimal) -> Decimal {
    x.max(lo).min(hi)
}

/// Scores one actual value by its rule (SPEC §4). Never fails: where the
/// decimal arithmetic would overflow (an actual far beyond its target), the
/// exact route of `wide::score` takes over, so a score the clamp decides
/// is the clamped score (SPEC §16).
pub fn score_rule(rule: &Rule, cap: Decimal, a: Decimal) -> Decimal {
    score_rule_decimal(rule, cap, a).unwrap_or_else(|| wide::score(rule, cap, a))
}

/// [`score_rule`] in `rust_decimal` arithmetic; `None` on overflow.
fn score_rule_decimal(rule: &Rule, cap: Decimal, a: Decimal) -> Option<Decimal> {
    let s = match rule {
        Rule::Linear { baseline, target } => {
            // Multiply before dividing so exact cases stay exact.
            let num = a.checked_sub(*baseline)?.checked_mul(HUNDRED)?;
            let den = target.checked_sub(*baseline)?;
            clamp(num.checked_div(den)?, Decimal::ZERO, cap)
        }
        Rule::Band {
            low,
            high,
            tolerance,
        } => {
            let d = if a < *low {
                low.checked_sub(a)?
            } else if a > *high {
                a.checked_sub(*high)?
            } else {
                return Some(HUNDRED);
            };
            let falloff = d.checked_mul(HUNDRED)?.checked_div(*tolerance)?;
            (HUNDRED - falloff.min(HUNDRED)).max(Decimal::ZERO)
        }
        Rule::Curve { points } => {
            let (first, last) = (points.first()?, points.last()?);
            let s = if a <= first.0 {
                first.1
            } else if a >= last.0 {
                last.1
            } else {
                let i = points.windows(2).position(|w| a >= w[0].0 && a <= w[1].0)?;
                let ((v0, s0), (v1, s1)) = (points[i], points[i + 1]);
                let t = a
                    .checked_sub(v0)?
                    .checked_mul(s1.checked_sub(s0)?)?
                    .checked_div(v1.checked_sub(v0)?)?;
                s0.checked_add(t)?
            };
            clamp(s, Decimal::ZERO, cap)
        }
        Rule::Step {
            direction,
            steps,
            below,
        } => step_score(*direction, steps, *below, a),
        Rule::Binary { direction, target } => binary_score(*direction, *target, a),
    };
    Some(s.normalize())
}

/// The score of a step rule (SPEC §12): a comparison picks a score that
/// validation already placed within 0..cap, so there is no arithmetic to
/// overflow and nothing to clamp.
pub fn step_score(
    direction: Direction,
    steps: &[(Decimal, Decimal)],
    below: Decimal,
    a: Decimal,
) -> Decimal {
    let reached = match direction {
        // The last step whose value the actual reaches.
        Direction::Higher => steps.iter().rev().find(|(v, _)| *v <= a),
        // The first step whose value the actual does not exceed.
        Direction::Lower => steps.iter().find(|(v, _)| *v >= a),
    };
    reached.map_or(below, |(_, s)| *s)
}

/// The score of a binary rule (SPEC §12): 100 when the target is met.
pub fn binary_score(direction: Direction, target: Decimal, a: Decimal) -> Decimal {
    let met = match direction {
        Direction::Higher => a >= target,
        Direction::Lower => a <= target,
    };
    if met { HUNDRED } else { Decimal::ZERO }
}

/// A rule's integer shortcut ([`exact`]), worked out once per scorecard:
/// the usual actual value (at most 18 digits, or a formula's quotient) is
/// scored in integers from end to end, 9% of a ranking's time (and the
/// whole 17% with the decimal layer it replaced; docs/performance.md).
/// Whatever it leaves goes to [`score_rule`].
#[derive(Debug, Clone)]
enum FastRule {
    Linear(exact::Linear),
    Band(exact::Band),
    Curve(exact::Curve),
    /// No shortcut: [`score_rule`] as it is.
    Plain,
}

impl FastRule {
    fn of(rule: &Rule, cap: Decimal) -> FastRule {
        let shortcut = match rule {
            Rule::Linear { baseline, target } => target
                .checked_sub(*baseline)
                .and_then(Divisor::new)
                .and_then(|span| exact::Linear::new(*baseline, span, cap))
                .map(FastRule::Linear),
            Rule::Band {
                low,
                high,
                tolerance,
            } => Divisor::new(*tolerance)
                .filter(|_| !tolerance.is_sign_negative())
                .and_then(|t| exact::Band::new(*low, *high, t))
                .map(FastRule::Band),
            Rule::Curve { points } if !points.is_empty() => {
                let segments: Option<Vec<(Decimal, Divisor)>> = points
                    .windows(2)
                    .map(|w| {
                        let rise = w[1].1.checked_sub(w[0].1)?;
                        Some((rise, Divisor::new(w[1].0.checked_sub(w[0].0)?)?))
                    })
                    .collect();
                segments
                    .and_then(|segments| exact::Curve::new(points, &segments, cap))
                    .map(FastRule::Curve)
            }
            // A comparison or two: nothing to prepare.
            _ => None,
        };
        shortcut.unwrap_or(FastRule::Plain)
    }
}

/// [`score_packed`] as an `Option`, for the property tests that hold it
/// against [`score_rule`].
#[cfg(test)]
fn score_prepared(fast: &FastRule, ind: &Indicator, a: Decimal) -> Decimal {
    score_packed(fast, &ind.rule, ind.cap, a)
        .get()
        .expect("rules always score")
}

/// [`score_rule`], bit for bit: by the rule's integer shortcut where it
/// takes the value, packed so that the score comes back in registers.
fn score_packed(fast: &FastRule, rule: &Rule, cap: Decimal, a: Decimal) -> exact::Packed {
    let s = match fast {
        FastRule::Linear(l) => l.score(a),
        FastRule::Band(b) => b.score(a),
        FastRule::Curve(c) => c.score(a),
        FastRule::Plain => exact::Packed::UNKNOWN,
    };
    if s.is_unknown() || s.get().is_none() {
        exact::Packed::of(Some(score_rule(rule, cap, a)))
    } else {
        s
    }
}

/// Measured values of one period (or roll-up) by *slot*: indicator `i` at
/// `i`, input `j` at `card.indicators.len() + j`. Indexing by position
/// instead of by id keeps portfolio runs (many units) free of hashing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slots {
    pub values: Vec<Option<Decimal>>,
    /// Why a slot has no value when that is more than "no value" (a
    /// roll-up missing a period). Only consulted for missing slots.
    pub reasons: Vec<(usize, String)>,
    /// What formulas read of earlier spans (`prev`, `lag`): entry `k` is
    /// `k + 1` spans back, `None` where the run has no such span. Empty
    /// unless the card's formulas look back.
    pub past: Vec<Option<Arc<Past>>>,
}

/// One earlier span as formulas read it: its values, the actual values of
/// its indicators (computed ones included) and the targets and baselines
/// in force there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Past {
    pub values: Vec<Option<Decimal>>,
    pub actual: Vec<Option<Decimal>>,
    pub targets: Vec<Option<Decimal>>,
    pub baselines: Vec<Option<Decimal>>,
}

/// `slots` of a span scored by `prepared` (with its own past already in
/// `slots.past`), as the spans after it read it.
pub fn past_of(card: &Scorecard, prepared: &Prepared, slots: &Slots) -> Past {
    let (mut actual, mut reason) = (Vec::new(), Vec::new());
    actuals(card, prepared, slots, &mut actual, &mut reason);
    Past {
        values: slots.values.clone(),
        actual,
        targets: (0..card.indicators.len())
            .map(|i| prepared.target(i))
            .collect(),
        baselines: (0..card.indicators.len())
            .map(|i| prepared.baseline(i))
            .collect(),
    }
}

impl Slots {
    /// Every slot empty.
    pub fn empty(card: &Scorecard) -> Slots {
        Slots {
            values: vec![None; slot_count(card)],
            ..Slots::default()
        }
    }

    fn reason(&self, slot: usize) -> String {
        self.reasons
            .iter()
            .find(|(s, _)| *s == slot)
            .map_or_else(|| "no value".to_string(), |(_, r)| r.clone())
    }
}

/// Number of slots of a card: its indicators, then its inputs.
pub fn slot_count(card: &Scorecard) -> usize {
    card.indicators.len() + card.inputs.len()
}

/// The slot of an indicator or input id.
pub fn slot_of(card: &Scorecard, id: &str) -> Option<usize> {
    Some(match card.ids.get(id)? {
        ValueRef::Indicator(i) => *i,
        ValueRef::Input(j) => card.indicators.len() + j,
    })
}

/// Every number of one evaluation, before it is dressed as an
/// [`Evaluation`]: actual values, scores, and the aggregated tree.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// Actual value of each indicator (measured or computed).
    pub actual: Vec<Option<Decimal>>,
    /// Why each indicator has no score (`None` when it has one).
    pub reason: Vec<Option<String>>,
    pub score: Vec<Option<Decimal>>,
    pub objectives: Vec<Option<Decimal>>,
    pub perspectives: Vec<Option<Decimal>>,
    pub composite: Option<Decimal>,
    pub coverage: Decimal,
}

/// Where a formula reads an operand: a slot of the values, the actual
/// value of an indicator (a computed one comes before its readers), a
/// constant, or a target or baseline in force.
#[derive(Debug, Clone, Copy)]
enum Source {
    Slot(usize),
    Actual(usize),
    Const(Decimal),
    Target(usize),
    Baseline(usize),
    /// An id the card does not know: no value (validation rules it out).
    Unknown,
}

/// The operands of each formula of `card.formula_order`, in the order of
/// [`crate::formula::Expr::operands`], each with how many spans back it
/// is read: resolved once instead of hashing ids for every unit.
fn formula_sources(card: &Scorecard) -> Vec<Vec<(Source, u32)>> {
    let n = card.indicators.len();
    card.formula_order
        .iter()
        .map(|&i| {
            let f = card.indicators[i]
                .formula
                .as_ref()
                .expect("formula_order holds computed indicators");
            f.expr
                .vars()
                .map(|o| {
                    let source = match (card.ids.get(&o.id), o.kind) {
                        (Some(ValueRef::Input(j)), Kind::Value) => Source::Slot(n + j),
                        (Some(ValueRef::Indicator(j)), Kind::Value) => Source::Actual(*j),
                        (Some(ValueRef::Indicator(j)), Kind::Target) => Source::Target(*j),
                        (Some(ValueRef::Indicator(j)), Kind::Baseline) => Source::Baseline(*j),
                        (None, Kind::Value) => card
                            .constants
                            .get(&o.id)
                            .map_or(Source::Unknown, |c| Source::Const(*c)),
                        _ => Source::Unknown,
                    };
                    (source, o.lag)
                })
                .collect()
        })
        .collect()
}

/// Actual values of every indicator: measured values, then computed
/// indicators in dependency order; with the reason of each missing one.
/// Into `value` and `reason`, whose old contents go (buffers reused).
fn actuals(
    card: &Scorecard,
    prepared: &Prepared,
    slots: &Slots,
    value: &mut Vec<Option<Decimal>>,
    reason: &mut Vec<Option<String>>,
) {
    let n = card.indicators.len();
    value.clear();
    value.extend_from_slice(&slots.values[..n]);
    reason.clear();
    reason.extend(
        value
            .iter()
            .enumerate()
            .map(|(i, v)| v.is_none().then(|| slots.reason(i))),
    );
    let mut args: Vec<Option<Decimal>> = Vec::new();
    for (&i, sources) in card.formula_order.iter().zip(&prepared.formulas) {
        let f = card.indicators[i]
            .formula
            .as_ref()
            .expect("formula_order holds computed indicators");
        args.clear();
        args.extend(sources.iter().map(|&(s, lag)| {
            if lag == 0 {
                return match s {
                    Source::Slot(k) => slots.values[k],
                    Source::Actual(j) => value[j],
                    Source::Const(c) => Some(c),
                    Source::Target(j) => prepared.target(j),
                    Source::Baseline(j) => prepared.baseline(j),
                    Source::Unknown => None,
                };
            }
            if let Source::Const(c) = s {
                return Some(c);
            }
            let past = slots.past.get(lag as usize - 1)?.as_ref()?;
            match s {
                Source::Slot(k) => past.values[k],
                Source::Actual(j) => past.actual[j],
                Source::Target(j) => past.targets[j],
                Source::Baseline(j) => past.baselines[j],
                Source::Const(_) | Source::Unknown => None,
            }
        }));
        match f.expr.eval_values(&args, &|k| prepared.back(k)) {
            Ok(v) => {
                value[i] = Some(v);
                reason[i] = None;
            }
            Err(e) => {
                value[i] = None;
                reason[i] = Some(e.to_string());
            }
        }
    }
}

/// Each indicator's actual value, reason and score into `out`.
fn indicator_scores_into(card: &Scorecard, prepared: &Prepared, slots: &Slots, out: &mut Scores) {
    actuals(card, prepared, slots, &mut out.actual, &mut out.reason);
    let value = &out.actual;
    out.score.clear();
    out.score.extend(
        card.indicators
            .iter()
            .zip(prepared.rules.iter().zip(&prepared.in_force))
            .enumerate()
            .map(|(i, (ind, (fast, rule)))| {
                let s = score_packed(fast, rule, ind.cap, value[i]?).get();
                debug_assert!(s.is_some(), "rules always score");
                s
            }),
    );
    // A roll-up whose combined target cannot score (see [`rule_over`]).
    for (i, why) in &prepared.void {
        if out.actual[*i].is_some() {
            out.score[*i] = None;
            out.reason[*i] = Some(why.clone());
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A sibling group's weights as the smallest whole numbers in the same
/// proportions: 30/30/20/20, 3/3/2/2 and 0.3/0.3/0.2/0.2 all become
/// 3/3/2/2. Weights are relative (SPEC §2), so scaling a group must not
/// change any score, not even in the last of 28 digits; with the declared
/// weights `w * s` rounds differently for different scales, and a node with
/// one child could differ from that child. Weights that cannot be brought to
/// a common scale are left as declared.
fn primitive_weights(ws: &mut [Decimal]) {
    let Some(scale) = ws.iter().map(|w| w.normalize().scale()).max() else {
        return;
    };
    let mut ints = Vec::with_capacity(ws.len());
    for w in ws.iter() {
        let mut r = w.normalize();
        r.rescale(scale);
        if r.scale() != scale || r.is_sign_negative() {
            return;
        }
        ints.push(r.mantissa().unsigned_abs());
    }
    let g = ints.iter().fold(0, |g, &m| gcd(g, m));
    if g == 0 {
        return;
    }
    for (w, m) in ws.iter_mut().zip(ints) {
        // m / g <= m < 2^96, so this always fits.
        *w = Decimal::from_i128_with_scale((m / g) as i128, 0);
    }
}

/// Weighted mean over children that take part. Weights are the group's
/// declared weights reduced to whole numbers (exact: 30/30/20/20 divides by
/// 10, not by a rounded 1/3). Scoring uses [`Prepared`] and [`mean`];
/// this is the same for one group at a time.
#[cfg(test)]
fn weighted_mean(
    children: impl Iterator<Item = (Decimal, Option<Decimal>)>,
    policy: MissingPolicy,
) -> Option<Decimal> {
    let (mut weights, scores): (Vec<Decimal>, Vec<Option<Decimal>>) = children.unzip();
    primitive_weights(&mut weights);
    mean(&weights, scores.into_iter(), policy)
}

/// A sibling group's weights, reduced by [`primitive_weights`].
#[derive(Debug, Clone)]
struct Group {
    weights: Vec<Decimal>,
}

impl Group {
    fn new(mut weights: Vec<Decimal>) -> Group {
        primitive_weights(&mut weights);
        Group { weights }
    }
}

/// [`weighted_mean`] with the group's weights already reduced. Exact
/// ([`wide::mean`]): no weight's precision or magnitude can lose a score
/// (SPEC §16), and `None` means only that no child takes part.
fn mean(
    weights: &[Decimal],
    scores: impl Iterator<Item = Option<Decimal>> + Clone,
    policy: MissingPolicy,
) -> Option<Decimal> {
    wide::mean(
        weights
            .iter()
            .zip(scores)
            .filter_map(|(w, s)| match (s, policy) {
                (Some(s), _) => Some((*w, s)),
                (None, MissingPolicy::Zero) => Some((*w, Decimal::ZERO)),
                (None, _) => None,
            }),
    )
}

/// What scoring many units (a portfolio) needs of a scorecard, worked out
/// once: each sibling group's reduced weights, and each rule's divisor.
#[derive(Debug, Clone)]
pub struct Prepared {
    objectives: Vec<Group>,
    perspectives: Vec<Group>,
    composite: Group,
    rules: Vec<FastRule>,
    /// Each indicator's rule with the target and baseline in force.
    in_force: Vec<Rule>,
    /// What SPEC §8 shows of each indicator's weight and rule in force,
    /// normalised here, once a span, rather than for every unit (which
    /// was a twentieth of a portfolio's JSON).
    shown: Vec<Shown>,
    /// Indicators whose target in force over a roll-up cannot score, with why.
    void: Vec<(usize, String)>,
    /// Per computed indicator of `card.formula_order`: its operands.
    formulas: Vec<Vec<(Source, u32)>>,
    /// The run's plan and which span this is (`k` spans back), to name the
    /// spans before it in reasons (`needs revenue in 2026-Q2`); without
    /// one, [`formula::periods_back`].
    back: Option<(Arc<Plan>, usize)>,
}

impl Prepared {
    pub fn of(card: &Scorecard) -> Prepared {
        Prepared {
            objectives: card
                .objectives
                .iter()
                .map(|o| {
                    Group::new(
                        o.indicators
                            .iter()
                            .map(|&i| card.indicators[i].weight)
                            .collect(),
                    )
                })
                .collect(),
            perspectives: card
                .perspectives
                .iter()
                .map(|p| {
                    Group::new(
                        p.children
                            .iter()
                            .map(|c| match c {
                                Node::Objective(o) => card.objectives[*o].weight,
                                Node::Indicator(i) => card.indicators[*i].weight,
                            })
                            .collect(),
                    )
                })
                .collect(),
            composite: Group::new(card.perspectives.iter().map(|p| p.weight).collect()),
            rules: card
                .indicators
                .iter()
                .map(|i| FastRule::of(&i.rule, i.cap))
                .collect(),
            in_force: card.indicators.iter().map(|i| i.rule.clone()).collect(),
            shown: card
                .indicators
                .iter()
                .map(|i| Shown::of(i.effective_weight, &i.rule))
                .collect(),
            void: Vec::new(),
            formulas: formula_sources(card),
            back: None,
        }
    }

    /// This [`Prepared`] as the rules of the span `k` spans before `plan`'s
    /// current one, which names the spans before it in reasons such as
    /// `needs revenue in 2026-Q2`.
    pub fn with_back(mut self, plan: Arc<Plan>, k: usize) -> Prepared {
        self.back = Some((plan, k));
        self
    }

    /// "`k` spans back", as a reason says it.
    fn back(&self, k: u32) -> String {
        match &self.back {
            Some((plan, at)) => plan.name_back(at + k as usize),
            None => formula::periods_back(k),
        }
    }

    /// The target in force of indicator `i` as `target(id)` reads it: a
    /// linear or binary indicator's (SPEC §13); none over a span where it
    /// could not be combined.
    fn target(&self, i: usize) -> Option<Decimal> {
        if self.void.iter().any(|(j, _)| *j == i) {
            return None;
        }
        match self.in_force[i] {
            Rule::Linear { target, .. } | Rule::Binary { target, .. } => Some(target),
            _ => None,
        }
    }

    /// The baseline in force of a linear indicator `i`.
    fn baseline(&self, i: usize) -> Option<Decimal> {
        if self.void.iter().any(|(j, _)| *j == i) {
            return None;
        }
        self.in_force[i].baseline()
    }

    /// [`Prepared::of`] with the targets and baselines in force over
    /// `periods` (SPEC §10): one period's, or a roll-up's, the span's
    /// periods in order.
    pub fn for_periods(card: &Scorecard, periods: &[String]) -> Prepared {
        let mut p = Prepared::of(card);
        for (i, ind) in card.indicators.iter().enumerate() {
            // Over one period only a plan changes the rule; over a span the
            // declared target is in force in each period, and combines too
            // (a quarterly sales target of 100 is 300 over three quarters).
            if ind.plan.is_empty() && periods.len() <= 1 {
                continue;
            }
            match rule_over(ind, periods) {
                Ok(rule) => p.put(i, ind, rule),
                Err(why) => p.void.push((i, why)),
            }
        }
        p
    }

    /// This [`Prepared`] (of a span's `periods`) with one unit's own
    /// targets and baselines from the data for `indicators`; `data(i, k)`
    /// is what it gives for indicator `i` in the `k`-th period.
    pub fn with_data(
        &self,
        card: &Scorecard,
        periods: &[String],
        indicators: &[usize],
        data: &dyn Fn(usize, usize) -> (Option<Goal>, Option<Decimal>),
    ) -> Prepared {
        let mut p = self.clone();
        for &i in indicators {
            let ind = &card.indicators[i];
            p.void.retain(|(j, _)| *j != i);
            match rule_over_with(ind, periods, &|k| data(i, k)) {
                Ok(rule) => p.put(i, ind, rule),
                Err(why) => p.void.push((i, why)),
            }
        }
        p
    }

    /// Puts `rule` in force for indicator `i` (`ind`).
    fn put(&mut self, i: usize, ind: &Indicator, rule: Rule) {
        self.rules[i] = FastRule::of(&rule, ind.cap);
        self.shown[i] = Shown::of(ind.effective_weight, &rule);
        self.in_force[i] = rule;
    }

    /// The rule in force of each indicator.
    pub fn rules_in_force(&self) -> &[Rule] {
        &self.in_force
    }
}

/// An indicator's effective weight, and the baseline and target of its
/// rule in force, as SPEC §8 shows them.
#[derive(Debug, Clone, Copy)]
struct Shown {
    effective_weight: Decimal,
    baseline: Option<Decimal>,
    target: Option<TargetOut>,
}

impl Shown {
    fn of(effective_weight: Decimal, rule: &Rule) -> Shown {
        Shown {
            effective_weight: effective_weight.normalize(),
            baseline: rule.baseline().map(|b| b.normalize()),
            target: rule.goal().map(|g| match g {
                Goal::Value(t) => TargetOut::Value(t.normalize()),
                Goal::Band(l, h) => TargetOut::Band([l.normalize(), h.normalize()]),
            }),
        }
    }
}

/// An indicator's rule over a span of periods: each period's target and
/// baseline in force, combined by the indicator's `aggregate` as values
/// are (SPEC §10): a year's sales target is the sum of the quarters'.
/// Validation checked every period's pair; a combination can still fail
/// (a sum beyond the decimal range, or pairs of opposite directions that
/// cancel), and then the indicator has no score, saying why.
pub fn rule_over(ind: &Indicator, periods: &[String]) -> Result<Rule, String> {
    rule_over_with(ind, periods, &|_| (None, None))
}

/// What the data gives for one indicator in the `k`-th period of a span:
/// its own target and baseline, over the plan's (SPEC §10, level 1).
pub type DataPair<'a> = &'a dyn Fn(usize) -> (Option<Goal>, Option<Decimal>);

/// [`rule_over`] with the data's targets and baselines on top.
pub fn rule_over_with(ind: &Indicator, periods: &[String], data: DataPair) -> Result<Rule, String> {
    match periods {
        [] => return Ok(ind.rule.clone()),
        [one] => {
            let (g, b) = data(0);
            return Ok(ind.rule_for(one).in_force(g, b));
        }
        _ => {}
    }
    let agg = ind.aggregate;
    let goal = match ind.rule.goal() {
        Some(Goal::Value(t)) => {
            let ts: Vec<Decimal> = periods
                .iter()
                .enumerate()
                .map(
                    |(k, p)| match data(k).0.or(ind.plan.targets.get(p).copied()) {
                        Some(Goal::Value(v)) => v,
                        _ => t,
                    },
                )
                .collect();
            Some(Goal::Value(
                combine(agg, &ts).ok_or("overflow in the target in force")?,
            ))
        }
        Some(Goal::Band(low, high)) => {
            let (lows, highs): (Vec<Decimal>, Vec<Decimal>) = periods
                .iter()
                .enumerate()
                .map(
                    |(k, p)| match data(k).0.or(ind.plan.targets.get(p).copied()) {
                        Some(Goal::Band(l, h)) => (l, h),
                        _ => (low, high),
                    },
                )
                .unzip();
            let over = |xs: &[Decimal]| combine(agg, xs).ok_or("overflow in the target in force");
            Some(Goal::Band(over(&lows)?, over(&highs)?))
        }
        None => None,
    };
    let base = match ind.rule.baseline() {
        Some(b) => {
            let bs: Vec<Decimal> = periods
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    data(k)
                        .1
                        .or(ind.plan.baselines.get(p).copied())
                        .unwrap_or(b)
                })
                .collect();
            Some(combine(agg, &bs).ok_or("overflow in the baseline in force")?)
        }
        None => None,
    };
    match pair_in_force(&ind.rule, goal, base, false) {
        (_, Some(PairProblem::Equal(_))) => {
            Err("the target in force over the span equals its baseline".into())
        }
        (_, Some(PairProblem::Reversed(..))) => {
            Err("the band in force over the span has low > high".into())
        }
        (rule, _) => Ok(rule),
    }
}

/// Numbers of a span combined by `aggregate`; `None` on overflow. Every
/// period has a target in force, so there are no holes to skip here.
fn combine(agg: Aggregate, xs: &[Decimal]) -> Option<Decimal> {
    // The mean of one number repeated is that number, not a rounded
    // quotient of its multiple.
    if agg != Aggregate::Sum && xs.windows(2).all(|w| w[0] == w[1]) {
        return xs.first().copied();
    }
    match agg {
        Aggregate::First => xs.first().copied(),
        Aggregate::Last => xs.last().copied(),
        Aggregate::Sum => xs.iter().try_fold(Decimal::ZERO, |t, x| t.checked_add(*x)),
        Aggregate::Average => xs
            .iter()
            .try_fold(Decimal::ZERO, |t, x| t.checked_add(*x))?
            .checked_div(Decimal::from(xs.len())),
    }
}

/// Scores one period's (or roll-up's) values: every indicator, objective,
/// perspective and the composite. Pure numbers, no names.
pub fn score_slots(card: &Scorecard, slots: &Slots) -> Scores {
    score_slots_with(card, &Prepared::of(card), slots)
}

/// [`score_slots`] with the card's [`Prepared`] computed once.
pub fn score_slots_with(card: &Scorecard, prepared: &Prepared, slots: &Slots) -> Scores {
    let mut s = Scores::default();
    score_slots_into(card, prepared, slots, &mut s);
    s
}

/// [`score_slots_with`] into `out`, whose vectors are reused: scoring many
/// units one after another allocates once, not per unit.
pub fn score_slots_into(card: &Scorecard, prepared: &Prepared, slots: &Slots, out: &mut Scores) {
    debug_assert_eq!(slots.values.len(), slot_count(card));
    indicator_scores_into(card, prepared, slots, out);
    let policy = card.missing;
    let score = &out.score;
    out.objectives.clear();
    out.objectives.extend(
        card.objectives
            .iter()
            .zip(&prepared.objectives)
            .map(|(o, g)| mean(&g.weights, o.indicators.iter().map(|&i| score[i]), policy)),
    );
    let objectives = &out.objectives;
    out.perspectives.clear();
    out.perspectives.extend(
        card.perspectives
            .iter()
            .zip(&prepared.perspectives)
            .map(|(p, g)| {
                mean(
                    &g.weights,
                    p.children.iter().map(|c| match c {
                        Node::Objective(o) => objectives[*o],
                        Node::Indicator(i) => score[*i],
                    }),
                    policy,
                )
            }),
    );
    out.composite = mean(
        &prepared.composite.weights,
        out.perspectives.iter().copied(),
        policy,
    );
    // Effective weights sum to 1 up to the last of 28 digits (1/3 + 1/3 + 1/3);
    // full coverage is reported as exactly 1 (and then not summed at all).
    // An indicator of effective weight 0 (a zero weight on its path)
    // carries nothing, so its missing score does not take coverage below 1.
    out.coverage = if score
        .iter()
        .zip(&card.indicators)
        .all(|(s, i)| s.is_some() || i.effective_weight.is_zero())
    {
        Decimal::ONE
    } else {
        card.indicators
            .iter()
            .zip(score)
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| i.effective_weight)
            .fold(Decimal::ZERO, |a, b| a + b)
            .normalize()
    };
}

/// Under `missing = "error"`: every indicator without a score, with why.
pub fn check_missing(card: &Scorecard, s: &Scores) -> Result<(), MissingData> {
    if card.missing != MissingPolicy::Error {
        return Ok(());
    }
    let missing: Vec<(String, String)> = card
        .indicators
        .iter()
        .enumerate()
        .filter(|(i, _)| s.score[*i].is_none())
        .map(|(i, ind)| {
            (
                ind.id.clone(),
                s.reason[i].clone().unwrap_or_else(|| "no value".into()),
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MissingData { missing })
    }
}

/// [`crate::evaluator::Evaluator::dress`] without the `missing = "error"`
/// check: the scores of a period that is shown (history, a comparison),
/// not judged.
pub fn evaluate_slots_unchecked(
    card: &Scorecard,
    prepared: &Prepared,
    current: &Slots,
    period: &str,
    unit: Option<&str>,
) -> Evaluation {
    let s = score_slots_with(card, prepared, current);
    Dressed::new(card, prepared, &s, None, period, unit, &[]).evaluation()
}

/// The share of each perspective's and objective's nominal effective
/// weight whose indicators have a score (SPEC §8 `coverage`): exactly 1
/// when all do; a node of weight 0 counts as covered only when all of its
/// indicators are scored. Worked out from the weights normalised within
/// the node (`share`), not from the effective weights, whose 28 decimal
/// places would leave a lightly weighted perspective few digits.
fn node_coverage(card: &Scorecard, score: &[Option<Decimal>]) -> (Vec<Decimal>, Vec<Decimal>) {
    let ratio = |num: Decimal, den: Decimal, complete: bool| {
        if complete {
            Decimal::ONE
        } else if den.is_zero() {
            Decimal::ZERO
        } else {
            num.checked_div(den).unwrap_or(Decimal::ZERO).normalize()
        }
    };
    // Per objective: (scored shares, all shares, every indicator scored).
    let sums: Vec<(Decimal, Decimal, bool)> = card
        .objectives
        .iter()
        .map(|o| {
            o.indicators
                .iter()
                .fold((Decimal::ZERO, Decimal::ZERO, true), |(f, g, c), &i| {
                    let w = card.indicators[i].share;
                    match score[i] {
                        Some(_) => (f + w, g + w, c),
                        None => (f, g + w, false),
                    }
                })
        })
        .collect();
    let objectives = sums.iter().map(|&(f, g, c)| ratio(f, g, c)).collect();
    let perspectives = card
        .perspectives
        .iter()
        .map(|p| {
            let (mut num, mut den, mut complete) = (Decimal::ZERO, Decimal::ZERO, true);
            for child in &p.children {
                let (share, f, g, c) = match *child {
                    Node::Objective(o) => {
                        let (f, g, c) = sums[o];
                        (card.objectives[o].share, f, g, c)
                    }
                    Node::Indicator(i) => {
                        let scored = score[i].is_some();
                        let f = if scored { Decimal::ONE } else { Decimal::ZERO };
                        (card.indicators[i].share, f, Decimal::ONE, scored)
                    }
                };
                num += share * f;
                den += share * g;
                complete &= c;
            }
            ratio(num, den, complete)
        })
        .collect();
    (perspectives, objectives)
}

/// An evaluation before it owns anything: the card, the rules in force
/// and the scores, read as SPEC §8 names them. [`Dressed::evaluation`]
/// copies it into an [`Evaluation`]; a portfolio's `--format json` writes
/// it as it is ([`crate::export::json::write_dressed`]): copying every
/// id, name and rule of the card into every unit, only to write and free
/// them, was a tenth of such a run.
pub struct Dressed<'a> {
    card: &'a Scorecard,
    prepared: &'a Prepared,
    s: &'a Scores,
    prev: Option<&'a Scores>,
    pub period: &'a str,
    pub unit: Option<&'a str>,
    /// The card's initiatives as of the period (none for a period that is
    /// only shown).
    pub initiatives: &'a [follow_up::InitiativeResult],
    p_cov: Vec<Decimal>,
    o_cov: Vec<Decimal>,
}

/// A perspective's or objective's result, borrowed: what
/// [`PerspectiveResult`] and [`ObjectiveResult`] hold.
#[derive(Debug, Clone, Copy)]
pub struct NodeRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// An objective's perspective; `None` for a perspective.
    pub perspective: Option<&'a str>,
    pub weight: Decimal,
    pub score: Option<Decimal>,
    pub status: Status,
    pub coverage: Decimal,
    pub previous_score: Option<Option<Decimal>>,
}

/// An indicator's result, borrowed: what [`IndicatorResult`] holds but
/// its rule.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorRow<'a> {
    pub id: &'a str,
    pub perspective: &'a str,
    pub objective: Option<&'a str>,
    pub actual: Option<Decimal>,
    pub score: Option<Decimal>,
    pub status: Status,
    pub effective_weight: Decimal,
    pub missing: bool,
    pub reason: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub baseline: Option<Decimal>,
    pub target: Option<TargetOut>,
    pub previous_actual: Option<Option<Decimal>>,
    pub previous_score: Option<Option<Decimal>>,
}

impl<'a> Dressed<'a> {
    /// Names the numbers of [`Scores`] `s` (and `prev`, the span compared
    /// with).
    pub fn new(
        card: &'a Scorecard,
        prepared: &'a Prepared,
        s: &'a Scores,
        prev: Option<&'a Scores>,
        period: &'a str,
        unit: Option<&'a str>,
        initiatives: &'a [follow_up::InitiativeResult],
    ) -> Dressed<'a> {
        let (p_cov, o_cov) = node_coverage(card, &s.score);
        Dressed {
            card,
            prepared,
            s,
            prev,
            period,
            unit,
            initiatives,
            p_cov,
            o_cov,
        }
    }

    /// The scorecard's id and name.
    pub fn scorecard(&self) -> (&'a str, &'a str) {
        (&self.card.id, &self.card.name)
    }

    /// The scorecard dressed.
    pub fn card(&self) -> &'a Scorecard {
        self.card
    }

    pub fn composite(&self) -> Composite {
        let s = self.s;
        Composite {
            score: s.composite,
            status: composite_status(self.card, s.composite, s.coverage),
            coverage: s.coverage,
            previous_score: self.prev.map(|p| p.composite),
        }
    }

    pub fn perspectives(&self) -> impl Iterator<Item = NodeRow<'a>> + '_ {
        let card = self.card;
        card.perspectives
            .iter()
            .zip(&self.s.perspectives)
            .enumerate()
            .map(move |(pi, (p, sc))| NodeRow {
                id: &p.id,
                name: &p.name,
                perspective: None,
                weight: p.share.normalize(),
                score: *sc,
                status: node_status(card, p.status, *sc),
                coverage: self.p_cov[pi],
                previous_score: self.prev.map(|p| p.perspectives[pi]),
            })
    }

    pub fn objectives(&self) -> impl Iterator<Item = NodeRow<'a>> + '_ {
        let card = self.card;
        card.objectives
            .iter()
            .zip(&self.s.objectives)
            .enumerate()
            .map(move |(oi, (o, sc))| NodeRow {
                id: &o.id,
                name: &o.name,
                perspective: Some(&card.perspectives[o.perspective].id),
                weight: o.share.normalize(),
                score: *sc,
                status: node_status(card, o.status, *sc),
                coverage: self.o_cov[oi],
                previous_score: self.prev.map(|p| p.objectives[oi]),
            })
    }

    pub fn indicators(&self) -> impl Iterator<Item = IndicatorRow<'a>> + '_ {
        let (card, s, prev) = (self.card, self.s, self.prev);
        let shown = &self.prepared.shown;
        card.indicators
            .iter()
            .enumerate()
            .map(move |(i, ind)| IndicatorRow {
                id: &ind.id,
                perspective: &card.perspectives[ind.perspective].id,
                objective: ind.objective.map(|o| card.objectives[o].id.as_str()),
                actual: s.actual[i].map(|v| v.normalize()),
                score: s.score[i],
                status: node_status(card, ind.status, s.score[i]),
                effective_weight: shown[i].effective_weight,
                missing: s.score[i].is_none(),
                reason: if s.score[i].is_none() {
                    s.reason[i].as_deref()
                } else {
                    None
                },
                owner: ind.owner.as_deref(),
                baseline: shown[i].baseline,
                target: shown[i].target,
                previous_actual: prev.map(|p| p.actual[i].map(|v| v.normalize())),
                previous_score: prev.map(|p| p.score[i]),
            })
    }

    /// The evaluation, owned.
    pub fn evaluation(&self) -> Evaluation {
        let (id, name) = self.scorecard();
        let in_force = &self.prepared.in_force;
        Evaluation {
            scorecard: CardRef {
                id: id.to_string(),
                name: name.to_string(),
            },
            period: self.period.to_string(),
            unit: self.unit.map(str::to_string),
            composite: self.composite(),
            perspectives: self.perspectives().map(NodeRow::into_perspective).collect(),
            objectives: self.objectives().map(NodeRow::into_objective).collect(),
            indicators: self
                .indicators()
                .zip(in_force)
                .map(|(row, rule)| row.owned(rule.clone()))
                .collect(),
            initiatives: self.initiatives.to_vec(),
            history: Vec::new(),
            compared_with: None,
        }
    }
}

impl<'a> NodeRow<'a> {
    fn into_perspective(self) -> PerspectiveResult {
        PerspectiveResult {
            id: self.id.to_string(),
            name: self.name.to_string(),
            weight: self.weight,
            score: self.score,
            status: self.status,
            coverage: self.coverage,
            previous_score: self.previous_score,
        }
    }

    fn into_objective(self) -> ObjectiveResult {
        ObjectiveResult {
            id: self.id.to_string(),
            name: self.name.to_string(),
            perspective: self.perspective.unwrap_or_default().to_string(),
            weight: self.weight,
            score: self.score,
            status: self.status,
            coverage: self.coverage,
            previous_score: self.previous_score,
        }
    }
}

impl PerspectiveResult {
    pub fn row(&self) -> NodeRow<'_> {
        NodeRow {
            id: &self.id,
            name: &self.name,
            perspective: None,
            weight: self.weight,
            score: self.score,
            status: self.status,
            coverage: self.coverage,
            previous_score: self.previous_score,
        }
    }
}

impl ObjectiveResult {
    pub fn row(&self) -> NodeRow<'_> {
        NodeRow {
            id: &self.id,
            name: &self.name,
            perspective: Some(&self.perspective),
            weight: self.weight,
            score: self.score,
            status: self.status,
            coverage: self.coverage,
            previous_score: self.previous_score,
        }
    }
}

impl IndicatorRow<'_> {
    fn owned(self, rule: Rule) -> IndicatorResult {
        IndicatorResult {
            id: self.id.to_string(),
            perspective: self.perspective.to_string(),
            objective: self.objective.map(str::to_string),
            actual: self.actual,
            score: self.score,
            status: self.status,
            effective_weight: self.effective_weight,
            missing: self.missing,
            reason: self.reason.map(str::to_string),
            owner: self.owner.map(str::to_string),
            baseline: self.baseline,
            target: self.target,
            rule,
            previous_actual: self.previous_actual,
            previous_score: self.previous_score,
        }
    }
}

impl IndicatorResult {
    pub fn row(&self) -> IndicatorRow<'_> {
        IndicatorRow {
            id: &self.id,
            perspective: &self.perspective,
            objective: self.objective.as_deref(),
            actual: self.actual,
            score: self.score,
            status: self.status,
            effective_weight: self.effective_weight,
            missing: self.missing,
            reason: self.reason.as_deref(),
            owner: self.owner.as_deref(),
            baseline: self.baseline,
            target: self.target,
            previous_actual: self.previous_actual,
            previous_score: self.previous_score,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn linear(b: &str, t: &str) -> Rule {
        Rule::Linear {
            baseline: d(b),
            target: d(t),
        }
    }

    fn s(rule: &Rule, cap: &str, a: &str) -> Decimal {
        score_rule(rule, d(cap), d(a))
    }

    /// A one-indicator card with the given `[scorecard]` extra lines.
    fn card_with(settings: &str) -> Scorecard {
        let text = format!(
            "[scorecard]\nid = \"c\"\nname = \"C\"\n{settings}\n\
             [[perspectives]]\nid = \"financial\"\n\
             [[indicators]]\nid = \"r\"\nperspective = \"financial\"\nbaseline = 0\ntarget = 1\n"
        );
        let src = crate::source::SourceFile::new(std::path::Path::new("c.toml"), text);
        let mut diags = crate::diag::Diagnostics::default();
        crate::check_scorecard(&src, &mut diags).expect("valid card")
    }

    #[test]
    fn composite_below_min_coverage_is_insufficient_never_green() {
        let card = card_with("max_score = 120");
        assert_eq!(card.min_coverage, d("0.5"), "the default minimum");
        for score in ["0", "59.9", "60", "89.9", "90", "100", "120"] {
            for cov in ["0", "0.2", "0.4999999999999999999999999999"] {
                assert_eq!(
                    composite_status(&card, Some(d(score)), d(cov)),
                    Status::Insufficient,
                    "score {score} at coverage {cov}"
                );
            }
            // At the minimum and above, the thresholds decide as usual.
            for cov in ["0.5", "0.8", "1"] {
                assert_eq!(
                    composite_status(&card, Some(d(score)), d(cov)),
                    status(&card, Some(d(score)))
                );
            }
        }
        // No score at all is missing data, not a score resting on too little.
        assert_eq!(composite_status(&card, None, d("0")), Status::Missing);
    }

    #[test]
    fn min_coverage_is_configurable_and_zero_turns_it_off() {
        let strict = card_with("min_coverage = 0.8");
        assert_eq!(
            composite_status(&strict, Some(d("100")), d("0.79")),
            Status::Insufficient
        );
        assert_eq!(
            composite_status(&strict, Some(d("100")), d("0.8")),
            Status::Green
        );
        let off = card_with("min_coverage = 0");
        assert_eq!(
            composite_status(&off, Some(d("100")), d("0.01")),
            Status::Green
        );
        assert_eq!(
            composite_status(&off, Some(d("100")), d("0")),
            Status::Green
        );
    }

    #[test]
    fn linear_higher_is_better() {
        let r = linear("50", "80");
        assert_eq!(s(&r, "100", "80"), d("100")); // exact target
        assert_eq!(s(&r, "100", "50"), d("0")); // at baseline
        assert_eq!(s(&r, "100", "40"), d("0")); // below baseline
        assert_eq!(s(&r, "100", "65"), d("50"));
        assert_eq!(s(&r, "100", "95"), d("100")); // capped at 100
        assert_eq!(s(&r, "120", "95"), d("120")); // beyond cap
        assert_eq!(s(&r, "120", "86"), d("120")); // exactly the cap
        assert_eq!(s(&r, "120", "83"), d("110"));
    }

    #[test]
    fn linear_lower_is_better() {
        let r = linear("0.25", "0.10");
        assert_eq!(s(&r, "100", "0.10"), d("100"));
        assert_eq!(s(&r, "100", "0.25"), d("0"));
        assert_eq!(s(&r, "100", "0.30"), d("0"));
        assert_eq!(s(&r, "100", "0.175"), d("50"));
        // 0.12: 100 * (0.12 - 0.25) / (0.10 - 0.25) = 86.666…
        assert_eq!(s(&r, "100", "0.12").round_dp(2), d("86.67"));
        assert_eq!(s(&r, "150", "0"), d("150")); // 166.67 capped at 150
    }

    #[test]
    fn band() {
        let r = Rule::Band {
            low: d("1"),
            high: d("4"),
            tolerance: d("8"),
        };
        assert_eq!(s(&r, "120", "1"), d("100")); // on the bound
        assert_eq!(s(&r, "120", "2.5"), d("100")); // inside, no over-achievement
        assert_eq!(s(&r, "120", "4"), d("100"));
        assert_eq!(s(&r, "120", "6"), d("75")); // 2 outside of 8
        assert_eq!(s(&r, "120", "0"), d("87.5")); // below the band
        assert_eq!(s(&r, "120", "12"), d("0")); // exactly the tolerance away
        assert_eq!(s(&r, "120", "40"), d("0")); // far outside
    }

    #[test]
    fn curve() {
        let r = Rule::Curve {
            points: vec![
                (d("-20"), d("0")),
                (d("0"), d("40")),
                (d("30"), d("80")),
                (d("50"), d("100")),
            ],
        };
        assert_eq!(s(&r, "100", "-50"), d("0")); // below the first point
        assert_eq!(s(&r, "100", "-20"), d("0"));
        assert_eq!(s(&r, "100", "-10"), d("20")); // between points
        assert_eq!(s(&r, "100", "0"), d("40")); // on a point
        assert_eq!(s(&r, "100", "15"), d("60"));
        assert_eq!(s(&r, "100", "50"), d("100"));
        assert_eq!(s(&r, "100", "90"), d("100")); // above the last point
        let r = Rule::Curve {
            points: vec![(d("0"), d("10")), (d("10"), d("110"))],
        };
        assert_eq!(s(&r, "100", "10"), d("100")); // clamped to the cap
        assert_eq!(s(&r, "100", "-5"), d("10")); // below first point: first score
    }

    #[test]
    fn steps_higher_is_better() {
        // The appraisal scheme of SPEC §12: >= 120% -> 120 ... below 80% -> 0.
        let r = Rule::Step {
            direction: Direction::Higher,
            steps: vec![
                (d("0.8"), d("60")),
                (d("0.9"), d("80")),
                (d("1.0"), d("100")),
                (d("1.2"), d("120")),
            ],
            below: d("0"),
        };
        assert_eq!(s(&r, "120", "0.7999"), d("0")); // short of the first step
        assert_eq!(s(&r, "120", "0.8"), d("60")); // exactly on a step
        assert_eq!(s(&r, "120", "0.95"), d("80")); // between steps: the lower one
        assert_eq!(s(&r, "120", "1"), d("100"));
        assert_eq!(s(&r, "120", "1.1999"), d("100"));
        assert_eq!(s(&r, "120", "1.2"), d("120"));
        assert_eq!(s(&r, "120", "1e27"), d("120")); // far beyond: the last step
        let floor = Rule::Step {
            direction: Direction::Higher,
            steps: vec![(d("1"), d("100"))],
            below: d("30"),
        };
        assert_eq!(s(&floor, "100", "0.5"), d("30")); // `below` when short
    }

    #[test]
    fn steps_lower_is_better() {
        // Complaints: <= 2 -> 100, <= 5 -> 80, <= 10 -> 50, more -> `below`.
        let r = Rule::Step {
            direction: Direction::Lower,
            steps: vec![(d("2"), d("100")), (d("5"), d("80")), (d("10"), d("50"))],
            below: d("10"),
        };
        assert_eq!(s(&r, "100", "-3"), d("100"));
        assert_eq!(s(&r, "100", "2"), d("100")); // exactly on a step
        assert_eq!(s(&r, "100", "2.0001"), d("80"));
        assert_eq!(s(&r, "100", "5"), d("80"));
        assert_eq!(s(&r, "100", "10"), d("50"));
        assert_eq!(s(&r, "100", "10.5"), d("10")); // beyond the last step
    }

    #[test]
    fn binary_met_or_not() {
        let hi = Rule::Binary {
            direction: Direction::Higher,
            target: d("1"),
        };
        assert_eq!(s(&hi, "120", "1"), d("100")); // equality meets it
        assert_eq!(s(&hi, "120", "5"), d("100")); // no over-achievement
        assert_eq!(s(&hi, "120", "0.9999"), d("0"));
        let lo = Rule::Binary {
            direction: Direction::Lower,
            target: d("3"),
        };
        assert_eq!(s(&lo, "100", "3"), d("100"));
        assert_eq!(s(&lo, "100", "-1"), d("100"));
        assert_eq!(s(&lo, "100", "3.01"), d("0"));
    }

    #[test]
    fn own_thresholds_judge_only_their_node() {
        let card = card_with("");
        let own = Some(Thresholds {
            green: d("95"),
            amber: d("80"),
        });
        assert_eq!(status(&card, Some(d("92"))), Status::Green);
        assert_eq!(node_status(&card, own, Some(d("92"))), Status::Amber);
        assert_eq!(node_status(&card, own, Some(d("95"))), Status::Green);
        assert_eq!(node_status(&card, own, Some(d("79.9"))), Status::Red);
        assert_eq!(node_status(&card, None, Some(d("79.9"))), Status::Amber);
        assert_eq!(node_status(&card, own, None), Status::Missing);
    }

    #[test]
    fn scores_beyond_the_decimal_range_are_clamped_not_lost() {
        let r = linear("0", "0.0000000000000000000000000001");
        let max = "79228162514264337593543950335";
        assert_eq!(s(&r, "100", max), d("100"));
        assert_eq!(s(&r, "100", &format!("-{max}")), d("0"));
        // Linear 0 -> 1 with an actual of 1e27 (issue 12): the cap, not `overflow`.
        let r = linear("0", "1");
        assert_eq!(s(&r, "120", "1000000000000000000000000000"), d("120"));
        assert_eq!(s(&r, "100", "-1000000000000000000000000000"), d("0"));
        // A band far outside scores 0.
        let band = Rule::Band {
            low: d("-1"),
            high: d("1"),
            tolerance: d("0.0000000000000000000000000001"),
        };
        assert_eq!(s(&band, "100", max), d("0"));
        // A curve whose interpolation overflows in decimals still scores.
        let curve = Rule::Curve {
            points: vec![(d("-1e27"), d("0")), (d(max), d("100"))],
        };
        assert_eq!(s(&curve, "100", "0"), wide::score(&curve, d("100"), d("0")));
        assert!(s(&curve, "100", "0") > d("1.2") && s(&curve, "100", "0") < d("1.3"));
    }

    #[test]
    fn weighted_means_by_policy() {
        let kids = || vec![(d("3"), Some(d("80"))), (d("1"), None)];
        assert_eq!(
            weighted_mean(kids().into_iter(), MissingPolicy::Renormalize),
            Some(d("80"))
        );
        assert_eq!(
            weighted_mean(kids().into_iter(), MissingPolicy::Zero),
            Some(d("60"))
        );
        assert_eq!(
            weighted_mean(vec![(d("1"), None)].into_iter(), MissingPolicy::Renormalize),
            None
        );
        assert_eq!(
            weighted_mean(
                vec![(d("0"), Some(d("50")))].into_iter(),
                MissingPolicy::Renormalize
            ),
            None
        );
    }

    /// The corporate example's defect (issue 12): AHP weights of 28 digits,
    /// repeating decimals and weights of mixed magnitude made the sum of
    /// `w * s` overflow, the node lost its score, and `zero` counted it as 0.
    #[test]
    fn long_and_mixed_weights_never_lose_a_score() {
        let ahp = [
            "0.4547839624007196532099012811",
            "0.2630709462838412917405009916",
            "0.1410725456577195275247988637",
            "0.1410725456577195275247988637",
        ];
        let scores = ["70.9", "79.8", "73.666666666666666666666666667", "71.1"];
        let third = "0.3333333333333333333333333333";
        let groups: [(&[&str], &[&str]); 3] = [
            (&ahp, &scores),
            (&[third, third, third], &["70.9", "80", "90.1"]),
            (&["1e13", "1e-14"], &["50", "100"]),
        ];
        for (ws, ss) in groups {
            for policy in [
                MissingPolicy::Renormalize,
                MissingPolicy::Zero,
                MissingPolicy::Error,
            ] {
                let kids = ws.iter().zip(ss).map(|(w, s)| (d(w), Some(d(s))));
                let m = weighted_mean(kids.clone(), policy).expect("children have scores");
                // Against the exact value: sum(w s) / sum(w) in rationals.
                let exact = |xs: &[(Decimal, Decimal)]| {
                    let r = xs.iter().fold(
                        (
                            wide::Ratio::of(Decimal::ZERO),
                            wide::Ratio::of(Decimal::ZERO),
                        ),
                        |(n, den), (w, s)| {
                            (
                                n.add(&wide::Ratio::of(*w).mul(&wide::Ratio::of(*s))),
                                den.add(&wide::Ratio::of(*w)),
                            )
                        },
                    );
                    r.0.div(&r.1).unwrap()
                };
                let xs: Vec<_> = kids.clone().map(|(w, s)| (w, s.unwrap())).collect();
                assert!(
                    wide::Ratio::of(m).within(&exact(&xs), 20),
                    "{ws:?} {ss:?}: {m}"
                );
                // One child missing: still a score, and `zero` counts only
                // the missing child as 0, not the arithmetic.
                let mut holed: Vec<_> = kids.collect();
                holed[0].1 = None;
                let m = weighted_mean(holed.into_iter(), policy);
                assert!(m.is_some(), "{ws:?} {policy:?}");
                assert!(m.unwrap() > Decimal::ZERO);
            }
        }
    }

    /// Scaling a group of long weights changes no score beyond 1e-20.
    #[test]
    fn scaling_long_weights_changes_nothing() {
        let ws = [
            "0.4547839624007196532099012811",
            "0.2630709462838412917405009916",
            "0.2821451",
        ];
        let ss = ["70.9", "79.8", "73.666666666666666666666666667"];
        let base = weighted_mean(
            ws.iter().zip(ss).map(|(w, s)| (d(w), Some(d(s)))),
            MissingPolicy::Renormalize,
        )
        .unwrap();
        for k in ["3", "0.001", "1000000", "7.5"] {
            let scaled = weighted_mean(
                ws.iter().zip(ss).map(|(w, s)| (d(w) * d(k), Some(d(s)))),
                MissingPolicy::Renormalize,
            )
            .unwrap();
            assert!(
                (scaled - base).abs() <= d("1e-20") * base,
                "x{k}: {scaled} vs {base}"
            );
        }
    }

    #[test]
    fn weights_reduce_to_smallest_whole_numbers() {
        let mut w = vec![d("30"), d("30"), d("20"), d("20")];
        primitive_weights(&mut w);
        assert_eq!(w, [d("3"), d("3"), d("2"), d("2")]);
        let mut w = vec![d("0.3"), d("0.30"), d("0.2"), d("0"), d("0.2")];
        primitive_weights(&mut w);
        assert_eq!(w, [d("3"), d("3"), d("2"), d("0"), d("2")]);
        let mut w = vec![d("0"), d("0")];
        primitive_weights(&mut w);
        assert_eq!(w, [d("0"), d("0")]);
    }

    #[test]
    fn scaled_weights_give_exactly_the_same_mean() {
        // A 28-digit score times 52.8 must round; the reduced weight does not.
        let s = d("54.475999406528189910979228488");
        for w in ["1", "52.8", "169.488", "0.001"] {
            assert_eq!(
                weighted_mean(
                    vec![(d(w), Some(s))].into_iter(),
                    MissingPolicy::Renormalize
                ),
                Some(s),
                "weight {w}"
            );
        }
        let kids = |k: &str| {
            vec![
                (d("3") * d(k), Some(d("86.66666666666666666666666667"))),
                (d("7") * d(k), Some(d("33.33333333333333333333333333"))),
            ]
        };
        let base = weighted_mean(kids("1").into_iter(), MissingPolicy::Renormalize);
        for k in ["2", "3.21", "0.07", "1000"] {
            assert_eq!(
                weighted_mean(kids(k).into_iter(), MissingPolicy::Renormalize),
                base,
                "factor {k}"
            );
        }
    }
    // --- the shortcuts of `Prepared` give what the plain maths gives ------

    mod shortcuts {
        use super::super::*;
        use proptest::prelude::*;

        /// Short decimals (what data holds), long ones (quotients that
        /// fill 28 digits) and ones near the limits of `rust_decimal`.
        fn decimal() -> impl Strategy<Value = Decimal> {
            prop_oneof![
                4 => (-10_000_000i64..10_000_000, 0u32..6)
                    .prop_map(|(m, s)| Decimal::new(m, s)),
                1 => (-10_000_000i64..10_000_000, 0u32..=28)
                    .prop_map(|(m, s)| Decimal::new(m, s)),
                1 => (-999_999_999_999_999_999i64..999_999_999_999_999_999, 0u32..=28)
                    .prop_map(|(m, s)| Decimal::new(m, s)),
                2 => (1i64..1_000_000, 1i64..1000, any::<bool>())
                    .prop_map(|(a, b, neg)| {
                        let q = Decimal::from(a) / Decimal::from(b);
                        if neg { -q } else { q }
                    }),
                1 => (any::<i64>(), 0u32..=28).prop_map(|(m, s)| {
                    Decimal::from_i128_with_scale((m as i128) << 31, s)
                }),
                1 => Just(Decimal::ZERO),
            ]
        }

        /// What data and scorecards usually hold: up to 7 digits.
        fn short() -> impl Strategy<Value = Decimal> {
            (-10_000_000i64..10_000_000, 0u32..6).prop_map(|(m, s)| Decimal::new(m, s))
        }

        /// What a formula makes of them: quotients of 28 digits, and other
        /// long values up to 2^96.
        fn long() -> impl Strategy<Value = Decimal> {
            prop_oneof![
                3 => (1i64..1000, 1i64..1000, any::<bool>()).prop_map(|(a, b, neg)| {
                    let q = Decimal::from(a) / Decimal::from(b);
                    if neg { -q } else { q }
                }),
                1 => (0u128..1 << 96, 0u32..=28, any::<bool>()).prop_map(|(m, s, neg)| {
                    let m = m as i128;
                    Decimal::from_i128_with_scale(if neg { -m } else { m }, s)
                }),
            ]
        }

        fn bits(x: Option<Decimal>) -> Option<(i128, u32)> {
            x.map(|d| (d.mantissa(), d.scale()))
        }

        fn indicator(rule: Rule, cap: Decimal) -> Indicator {
            Indicator {
                id: "x".into(),
                name: "x".into(),
                description: None,
                owner: None,
                unit: None,
                perspective: 0,
                objective: None,
                weight: Decimal::ONE,
                share: Decimal::ONE,
                effective_weight: Decimal::ONE,
                rule,
                plan: Default::default(),
                direction_stated: false,
                cap,
                formula: None,
                aggregate: Default::default(),
                status: None,
            }
        }

        fn cap() -> impl Strategy<Value = Decimal> {
            prop_oneof![
                Just(HUNDRED),
                (100i64..100_000, 0u32..3).prop_map(|(m, s)| { (Decimal::new(m, s)).max(HUNDRED) })
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(20000))]

            #[test]
            fn linear(b in decimal(), t in decimal(), a in decimal(), cap in cap()) {
                let ind = indicator(Rule::Linear { baseline: b, target: t }, cap);
                let fast = FastRule::of(&ind.rule, ind.cap);
                prop_assert_eq!(bits(Some(score_prepared(&fast, &ind, a))), bits(Some(score_rule(&ind.rule, cap, a))));
            }

            /// Short rules of long values (a formula's quotient).
            #[test]
            fn linear_long(
                b in prop_oneof![short(), (-1000i64..1000, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s))],
                t in prop_oneof![short(), (-1000i64..1000, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s))],
                a in long(),
                cap in cap(),
            ) {
                let ind = indicator(Rule::Linear { baseline: b, target: t }, cap);
                let fast = FastRule::of(&ind.rule, ind.cap);
                prop_assert_eq!(bits(Some(score_prepared(&fast, &ind, a))), bits(Some(score_rule(&ind.rule, cap, a))));
            }

            #[test]
            fn band(low in decimal(), width in decimal(), tol in decimal(), a in decimal()) {
                let (low, high) = (low, low + width.abs());
                let ind = indicator(Rule::Band { low, high, tolerance: tol.abs() }, HUNDRED);
                let fast = FastRule::of(&ind.rule, ind.cap);
                prop_assert_eq!(bits(Some(score_prepared(&fast, &ind, a))), bits(Some(score_rule(&ind.rule, HUNDRED, a))));
            }

            #[test]
            fn curve(
                start in decimal(),
                steps in proptest::collection::vec((decimal(), decimal()), 1..5),
                a in decimal(),
                cap in cap(),
            ) {
                // Values strictly increasing, scores anywhere.
                let mut v = start;
                let mut points = vec![(v, steps[0].1)];
                for (dv, s) in &steps {
                    let Some(next) = v.checked_add(dv.abs().max(Decimal::new(1, 3))) else { break };
                    v = next;
                    points.push((v, *s));
                }
                let ind = indicator(Rule::Curve { points }, cap);
                let fast = FastRule::of(&ind.rule, ind.cap);
                prop_assert_eq!(bits(Some(score_prepared(&fast, &ind, a))), bits(Some(score_rule(&ind.rule, cap, a))));
            }
        }
    }
}
