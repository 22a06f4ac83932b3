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
    /// share the namespace of inputs and indicators (SPEC §13).
    #[schemars(default, with = "BTreeMap<String, f64>")]
    pub constants: Vec<(Sp<String>, Sp<Num>)>,
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
    /// (SPEC §10): `{ "2026-Q1" = 0.14, "2026-Q2" = 0.12 }`; for a band,
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

/// A measurements file (SPEC §3).
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
    /// or `[low, high]` for a band (SPEC §10).
    #[schemars(default, with = "BTreeMap<String, TargetSchema>")]
    pub targets: Vec<(Sp<String>, Sp<Target>)>,
    /// Baselines in force this period (and unit), by indicator id.
    #[schemars(default, with = "BTreeMap<String, f64>")]
    pub baselines: Vec<(Sp<String>, Sp<Num>)>,
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
