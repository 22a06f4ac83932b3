//! The scorecard file format as written: every field with the span of its
//! value, nothing checked beyond TOML types. The JSON Schema printed by
//! `bsc schema` is derived from these types, and the loader takes its list
//! of known keys from that schema, so the two cannot drift apart.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// A value with the byte span of its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Range<usize>,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Range<usize>) -> Self {
        Sp { value, span }
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}

/// A number read exactly from its TOML source text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub Decimal);

impl JsonSchema for Num {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Number".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "number"})
    }
}

/// A scorecard file.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, title = "bsc scorecard")]
pub struct ScorecardFile {
    /// Scorecard-wide settings.
    pub scorecard: Settings,
    /// The perspectives (Kaplan & Norton: financial, customer, internal_process, learning_growth).
    pub perspectives: Vec<Perspective>,
    /// Strategic objectives, each under one perspective.
    #[schemars(default)]
    pub objectives: Vec<Objective>,
    /// Scored indicators (KPIs).
    pub indicators: Vec<Indicator>,
    /// Raw figures used only by formulas; not scored.
    #[schemars(default)]
    pub inputs: Vec<Input>,
    /// Weights from AHP pairwise-comparison matrices.
    pub ahp: Option<Ahp>,
    /// Named numbers formulas may use (`discount_rate = 0.1`); their ids
    /// share the namespace of inputs and indicators (docs/formulas.md).
    #[schemars(default, with = "BTreeMap<String, f64>")]
    pub constants: Vec<(Sp<String>, Sp<Num>)>,
    /// What is being done about the objectives and indicators (docs/initiatives.md).
    #[schemars(default)]
    pub initiatives: Vec<Initiative>,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Settings {
    /// Identifier, `^[a-z][a-z0-9_-]*$`.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*$"))]
    pub id: Sp<String>,
    /// Display name (any text).
    pub name: Sp<String>,
    /// Markdown text.
    pub description: Option<Sp<String>>,
    /// Over-achievement cap for every score, >= 100; default 100.
    pub max_score: Option<Sp<Num>>,
    /// What a missing value does to aggregation; default `renormalize`.
    pub missing: Option<Sp<MissingPolicy>>,
    /// Decimals shown in reports, 0..6; default 1.
    #[schemars(range(min = 0, max = 6))]
    pub precision: Option<Sp<u32>>,
    /// Share of the composite's weight that must have a score, 0..1; below
    /// it the composite's status is `insufficient`. Default 0.5.
    #[schemars(range(min = 0, max = 1))]
    pub min_coverage: Option<Sp<Num>>,
    /// Status thresholds.
    pub status: Option<Status>,
    /// Names the unit of initiative budgets (free text, e.g. "CNY").
    pub currency: Option<Sp<String>>,
    /// Indicators at or below this status need a note or an active
    /// initiative (docs/initiatives.md); a warning names those that have neither.
    pub require_note: Option<Sp<NoteLevel>>,
}

/// `require_note`: the status at or below which an indicator must be explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum NoteLevel {
    /// Red indicators only.
    Red,
    /// Amber and red indicators.
    Amber,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Status {
    /// Score at or above which the status is green; default 90 (on a
    /// perspective, objective or indicator: the card's).
    pub green: Option<Sp<Num>>,
    /// Score at or above which the status is amber; default 60 (on a
    /// perspective, objective or indicator: the card's).
    pub amber: Option<Sp<Num>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema, serde::Serialize)]
#[schemars(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Leave missing indicators out and renormalise the weights of the rest.
    Renormalize,
    /// Count a missing indicator as 0.
    Zero,
    /// Fail the evaluation, naming every missing id.
    Error,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Perspective {
    /// Unique among perspectives.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*$"))]
    pub id: Sp<String>,
    /// Defaults to the title-cased id.
    pub name: Option<Sp<String>>,
    /// Relative weight >= 0; default 1.
    pub weight: Option<Sp<Num>>,
    /// Markdown text.
    pub description: Option<Sp<String>>,
    /// Own status thresholds, overriding `[scorecard.status]` for this node.
    pub status: Option<Status>,
    /// Who answers for this perspective (free text).
    pub owner: Option<Sp<String>>,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Objective {
    /// Unique among objectives.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*$"))]
    pub id: Sp<String>,
    /// The perspective this objective belongs to.
    pub perspective: Sp<String>,
    /// Defaults to the id.
    pub name: Option<Sp<String>>,
    /// Relative weight >= 0 among the perspective's children; default 1.
    pub weight: Option<Sp<Num>>,
    /// Cause -> effect links to other objectives (strategy map).
    pub drives: Option<Sp<Vec<Sp<String>>>>,
    /// Markdown text.
    pub description: Option<Sp<String>>,
    /// Own status thresholds, overriding `[scorecard.status]` for this node.
    pub status: Option<Status>,
    /// Who answers for this objective (free text).
    pub owner: Option<Sp<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum Scoring {
    /// 0 at the baseline, 100 at the target, straight line between.
    Linear,
    /// 100 inside `target = [low, high]`, falling to 0 over `tolerance` outside.
    Band,
    /// Piecewise-linear through `points = [[value, score], ...]`.
    Curve,
    /// Graded: the score of the step the actual value has reached,
    /// `steps = [[value, score], ...]`; needs `direction`.
    Step,
    /// Pass/fail: 100 when `target` is met in `direction`, else 0.
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum Direction {
    Higher,
    Lower,
}

/// How an indicator or input combines across periods in a roll-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema, Default, serde::Serialize)]
#[schemars(rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    Sum,
    Average,
    /// The earliest value in the span: a stock at the start (customers at
    /// the start of the year, the denominator of a year's churn).
    First,
    #[default]
    Last,
}

/// `target`: one number for linear scoring, `[low, high]` for band scoring.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(untagged)]
pub enum Target {
    Value(Num),
    Range(Vec<Sp<Num>>),
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Indicator {
    /// Unique among indicators and inputs; no `-` if a formula uses it.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*$"))]
    pub id: Sp<String>,
    /// Defaults to the id.
    pub name: Option<Sp<String>>,
    /// The objective this indicator measures (exactly one of objective / perspective).
    pub objective: Option<Sp<String>>,
    /// The perspective this indicator sits under directly.
    pub perspective: Option<Sp<String>>,
    /// Free text; "%" means the value is a fraction shown as a percent.
    pub unit: Option<Sp<String>>,
    /// Relative weight >= 0 among siblings; default 1.
    pub weight: Option<Sp<Num>>,
    /// Scoring rule; default `linear`.
    pub scoring: Option<Sp<Scoring>>,
    /// linear: the value that scores 0.
    pub baseline: Option<Sp<Num>>,
    /// linear: the value that scores 100; band: `[low, high]`; binary: the
    /// value to reach (higher) or not exceed (lower).
    pub target: Option<Sp<Target>>,
    /// Targets by period label, overriding `target` in those periods
    /// (docs/format.md): `{ "2026-Q1" = 0.14, "2026-Q2" = 0.12 }`; for a band,
    /// `[low, high]` pairs.
    #[schemars(with = "Option<BTreeMap<String, TargetSchema>>")]
    pub targets: Option<PlanEntries<Target>>,
    /// Baselines by period label, overriding `baseline` in those periods.
    #[schemars(with = "Option<BTreeMap<String, f64>>")]
    pub baselines: Option<PlanEntries<Num>>,
    /// band: distance outside the band at which the score reaches 0 (> 0).
    pub tolerance: Option<Sp<Num>>,
    /// curve: `[[value, score], ...]`, values strictly increasing.
    #[schemars(with = "Option<Vec<[f64; 2]>>")]
    pub points: Option<Points>,
    /// step: `[[value, score], ...]`, values strictly increasing, scores in 0..cap.
    #[schemars(with = "Option<Vec<[f64; 2]>>")]
    pub steps: Option<Points>,
    /// step: the score short of the first step (higher) or beyond the last
    /// (lower); default 0.
    pub below: Option<Sp<Num>>,
    /// Cross-check of the order of baseline and target; required by step
    /// and binary scoring.
    pub direction: Option<Sp<Direction>>,
    /// Computed indicator: an expression over input and indicator ids.
    pub formula: Option<Sp<String>>,
    /// Per-indicator cap (>= 100), overriding the scorecard's.
    pub max_score: Option<Sp<Num>>,
    /// How the value combines across periods in a roll-up; default `last`.
    pub aggregate: Option<Sp<Aggregate>>,
    /// Markdown text.
    pub description: Option<Sp<String>>,
    /// Own status thresholds, overriding `[scorecard.status]` for this indicator.
    pub status: Option<Status>,
    /// Who answers for this indicator (free text).
    pub owner: Option<Sp<String>>,
    /// Every key the entry has, loaded or not: a key whose value failed to
    /// load was reported by the loader and must not also be called missing.
    #[schemars(skip)]
    pub keys: Vec<String>,
}

/// A plan table as written: (period label, value), each with its span;
/// the table's own span is the outer one.
pub type PlanEntries<T> = Sp<Vec<(Sp<String>, Sp<T>)>>;

/// `target` in the schema: a number, or `[low, high]`.
#[allow(dead_code)]
struct TargetSchema;

impl JsonSchema for TargetSchema {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Target".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                {"type": "number"},
                {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
            ]
        })
    }
}

/// Curve points or steps as written: each a list that should hold `[value, score]`.
pub type Points = Sp<Vec<Sp<Vec<Sp<Num>>>>>;

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Input {
    /// Unique among indicators and inputs; no `-` (formulas read it as minus).
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))]
    pub id: Sp<String>,
    pub name: Option<Sp<String>>,
    pub unit: Option<Sp<String>>,
    /// How the value combines across periods in a roll-up; default `last`.
    pub aggregate: Option<Sp<Aggregate>>,
    /// Markdown text.
    pub description: Option<Sp<String>>,
}

#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Ahp {
    /// Weights of the perspectives.
    pub perspectives: Option<AhpGroup>,
    /// Weights of a perspective's children, keyed by perspective id.
    #[schemars(default)]
    pub objectives: BTreeMap<String, AhpGroup>,
    /// Weights of an objective's indicators, keyed by objective id.
    #[schemars(default)]
    pub indicators: BTreeMap<String, AhpGroup>,
}

/// A pairwise-comparison matrix. The keys' spans are kept for diagnostics.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AhpGroup {
    /// Every member of the group exactly once.
    pub order: Sp<Vec<Sp<String>>>,
    /// Square, positive, reciprocal; entries are numbers or "a/b".
    pub matrix: Sp<Vec<Sp<Vec<Sp<AhpEntry>>>>>,
    #[schemars(skip)]
    pub key_span: Range<usize>,
}

/// A matrix entry: a positive number or a fraction string such as "1/3".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AhpEntry(pub Decimal);

impl JsonSchema for AhpEntry {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "AhpEntry".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*/\s*[0-9]+(\.[0-9]+)?\s*$"}
            ]
        })
    }
}

/// Where an initiative stands (docs/initiatives.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema, serde::Serialize)]
#[schemars(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InitiativeStatus {
    Planned,
    OnTrack,
    AtRisk,
    Late,
    Done,
    Cancelled,
}

/// A TOML local date (`2026-09-30`, no quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl JsonSchema for Date {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Date".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // TOML dates reach JSON tools as ISO 8601 strings.
        json_schema!({"type": "string", "format": "date"})
    }
}

/// An initiative: what is being done, by whom and by when, about
/// objectives and indicators (docs/initiatives.md).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Initiative {
    /// Unique among initiatives.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9_-]*$"))]
    pub id: Sp<String>,
    /// Display name (any text).
    pub name: Sp<String>,
    /// Objective ids it serves (at least one of objectives / indicators).
    pub objectives: Option<Sp<Vec<Sp<String>>>>,
    /// Indicator ids it should move.
    pub indicators: Option<Sp<Vec<Sp<String>>>>,
    /// Who leads it (free text).
    pub owner: Option<Sp<String>>,
    /// Default `planned`.
    pub status: Option<Sp<InitiativeStatus>>,
    /// TOML local date; not after `due`.
    pub start: Option<Sp<Date>>,
    /// TOML local date; past it (before the period's end) and not done or
    /// cancelled, the initiative is overdue.
    pub due: Option<Sp<Date>>,
    /// Decimal >= 0, in the card's `currency`.
    #[schemars(range(min = 0))]
    pub budget: Option<Sp<Num>>,
    /// Share done, 0..1.
    #[schemars(range(min = 0, max = 1))]
    pub progress: Option<Sp<Num>>,
    /// Markdown text.
    pub description: Option<Sp<String>>,
    /// Span of the `[[initiatives]]` header, for table-level diagnostics.
    #[schemars(skip)]
    pub span: Range<usize>,
}

/// A measurements file's update of one initiative for its period.
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct CheckIn {
    pub status: Option<Sp<InitiativeStatus>>,
    /// Share done, 0..1.
    #[schemars(range(min = 0, max = 1))]
    pub progress: Option<Sp<Num>>,
    /// Markdown commentary for the period.
    pub note: Option<Sp<String>>,
}

/// A measurements file (docs/format.md).
#[derive(Debug, Clone, JsonSchema)]
#[schemars(deny_unknown_fields, title = "bsc measurements")]
pub struct MeasurementsFile {
    /// Must equal `scorecard.id` when present.
    pub scorecard: Option<Sp<String>>,
    /// Period label, e.g. "2026-Q3".
    pub period: Sp<String>,
    /// Business unit label.
    pub unit: Option<Sp<String>>,
    /// Indicator and input ids -> numbers (or decimal strings).
    #[schemars(default, with = "BTreeMap<String, NumOrString>")]
    pub values: Vec<(Sp<String>, Sp<Num>)>,
    /// Markdown commentary per indicator id.
    #[schemars(default, with = "BTreeMap<String, String>")]
    pub notes: Vec<(Sp<String>, Sp<String>)>,
    /// Targets in force this period (and unit), by indicator id: a number,
    /// or `[low, high]` for a band (docs/format.md).
    #[schemars(default, with = "BTreeMap<String, TargetSchema>")]
    pub targets: Vec<(Sp<String>, Sp<Target>)>,
    /// Baselines in force this period (and unit), by indicator id.
    #[schemars(default, with = "BTreeMap<String, f64>")]
    pub baselines: Vec<(Sp<String>, Sp<Num>)>,
    /// The period's last day (TOML date), for overdue initiatives; default:
    /// from the period label (`YYYY-Qn`, `YYYY-Hn`, `YYYY-MM`, `YYYY`).
    pub period_end: Option<Sp<Date>>,
    /// Check-ins of initiatives for this period, by initiative id (docs/initiatives.md).
    #[schemars(default, with = "BTreeMap<String, CheckIn>")]
    pub initiatives: Vec<(Sp<String>, CheckIn)>,
}

/// A value: a number, or a string holding a decimal.
#[allow(dead_code)]
struct NumOrString;

impl JsonSchema for NumOrString {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "NumOrString".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": r"^\s*[+-]?[0-9]+(\.[0-9]+)?\s*$"}
            ]
        })
    }
}

/// The JSON Schema of the scorecard format (`bsc schema`).
pub fn scorecard_schema() -> serde_json::Value {
    schemars::schema_for!(ScorecardFile).to_value()
}

/// The JSON Schema of measurements files (`bsc schema --measurements`).
pub fn measurements_schema() -> serde_json::Value {
    schemars::schema_for!(MeasurementsFile).to_value()
}

/// Top-level keys a JSON Schema object allows, for unknown-key checks.
/// Computed once per type: building a schema costs far more than a lookup.
pub fn schema_keys<T: JsonSchema + 'static>() -> std::sync::Arc<Vec<String>> {
    use std::any::TypeId;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<TypeId, Arc<Vec<String>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(TypeId::of::<T>())
        .or_insert_with(|| {
            let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
            Arc::new(
                schema
                    .get("properties")
                    .and_then(|p| p.as_object())
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default(),
            )
        })
        .clone()
}
