//! Results for spreadsheets and BI tools: `evaluate --format csv-long`
//! (one row per unit × node) and `--format xlsx` (a workbook). Both take
//! evaluations already computed and only lay them out, so an export can
//! never score differently from the JSON output: every number is read from
//! the [`Evaluation`] (or, for weights JSON does not show, from the
//! validated card whose weights scoring used). `template` is the way
//! back: the blank measurements file (TOML, CSV, workbook) of `bsc
//! template`, from the card alone.

pub mod csv_long;
pub mod json;
pub mod template;
pub mod xlsx;

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::model::{Node, Scorecard};
use crate::score::{Evaluation, Status, TargetOut};

/// One unit's evaluation with the notes of its evaluated span.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'a> {
    pub evaluation: &'a Evaluation,
    /// Notes by indicator id (measurements `[notes]`, the data's `note` column).
    pub notes: &'a HashMap<String, String>,
}

/// What a row describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Composite,
    Perspective,
    Objective,
    Indicator,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Composite => "composite",
            Kind::Perspective => "perspective",
            Kind::Objective => "objective",
            Kind::Indicator => "indicator",
        }
    }
}

/// The columns of the long layout, in their order (docs/data.md, "Exports").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Unit,
    Period,
    PreviousPeriod,
    Kind,
    Id,
    Name,
    Perspective,
    Objective,
    Owner,
    Actual,
    Baseline,
    Target,
    TargetLow,
    TargetHigh,
    Score,
    Status,
    Weight,
    EffectiveWeight,
    Coverage,
    PreviousScore,
    PreviousActual,
    MissingReason,
    Note,
}

impl Column {
    /// Every column: the csv-long layout.
    pub const ALL: [Column; 23] = [
        Column::Unit,
        Column::Period,
        Column::PreviousPeriod,
        Column::Kind,
        Column::Id,
        Column::Name,
        Column::Perspective,
        Column::Objective,
        Column::Owner,
        Column::Actual,
        Column::Baseline,
        Column::Target,
        Column::TargetLow,
        Column::TargetHigh,
        Column::Score,
        Column::Status,
        Column::Weight,
        Column::EffectiveWeight,
        Column::Coverage,
        Column::PreviousScore,
        Column::PreviousActual,
        Column::MissingReason,
        Column::Note,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::Unit => "unit",
            Column::Period => "period",
            Column::PreviousPeriod => "previous_period",
            Column::Kind => "kind",
            Column::Id => "id",
            Column::Name => "name",
            Column::Perspective => "perspective",
            Column::Objective => "objective",
            Column::Owner => "owner",
            Column::Actual => "actual",
            Column::Baseline => "baseline",
            Column::Target => "target",
            Column::TargetLow => "target_low",
            Column::TargetHigh => "target_high",
            Column::Score => "score",
            Column::Status => "status",
            Column::Weight => "weight",
            Column::EffectiveWeight => "effective_weight",
            Column::Coverage => "coverage",
            Column::PreviousScore => "previous_score",
            Column::PreviousActual => "previous_actual",
            Column::MissingReason => "missing_reason",
            Column::Note => "note",
        }
    }
}

/// What a number is, for how it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    /// A score (0..cap): rounded by `--decimals` in CSV, shown with the
    /// card's precision in a workbook.
    Score,
    /// A weight or coverage (a fraction of 1): never rounded.
    Share,
    /// An actual, baseline or target, in the indicator's own unit: never rounded.
    Value,
}

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(&'a str),
    Number(Decimal, Number),
}

impl<'a> Cell<'a> {
    fn text(s: Option<&'a str>) -> Cell<'a> {
        s.map_or(Cell::Empty, Cell::Text)
    }

    fn number(d: Option<Decimal>, kind: Number) -> Cell<'a> {
        d.map_or(Cell::Empty, |d| Cell::Number(d, kind))
    }
}

/// One node of one unit's evaluation, as a long row.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub unit: Option<&'a str>,
    pub period: &'a str,
    pub previous_period: Option<&'a str>,
    pub kind: Kind,
    pub id: &'a str,
    pub name: &'a str,
    /// The perspective the node belongs to (its own id on a perspective
    /// row; empty on the composite's).
    pub perspective: Option<&'a str>,
    /// The objective an indicator belongs to (an objective's own id).
    pub objective: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub actual: Option<Decimal>,
    pub baseline: Option<Decimal>,
    /// A one-number target in force (linear, binary).
    pub target: Option<Decimal>,
    /// A band's target in force, `[low, high]`.
    pub band: Option<[Decimal; 2]>,
    pub score: Option<Decimal>,
    pub status: Status,
    /// Normalised among the node's siblings (1 for the composite).
    pub weight: Decimal,
    /// The share of the composite the node carries when nothing is missing:
    /// the product of the normalised weights along its path.
    pub effective_weight: Decimal,
    /// The share of the node's own weight that has a score (not for indicators).
    pub coverage: Option<Decimal>,
    pub previous_score: Option<Decimal>,
    pub previous_actual: Option<Decimal>,
    pub missing_reason: Option<&'a str>,
    pub note: Option<&'a str>,
    /// The indicator's values are fractions shown as percent (`unit = "%"`).
    pub percent: bool,
}

impl<'a> Row<'a> {
    pub fn cell(&self, c: Column) -> Cell<'a> {
        match c {
            Column::Unit => Cell::text(self.unit),
            Column::Period => Cell::Text(self.period),
            Column::PreviousPeriod => Cell::text(self.previous_period),
            Column::Kind => Cell::Text(self.kind.as_str()),
            Column::Id => Cell::Text(self.id),
            Column::Name => Cell::Text(self.name),
            Column::Perspective => Cell::text(self.perspective),
            Column::Objective => Cell::text(self.objective),
            Column::Owner => Cell::text(self.owner),
            Column::Actual => Cell::number(self.actual, Number::Value),
            Column::Baseline => Cell::number(self.baseline, Number::Value),
            Column::Target => Cell::number(self.target, Number::Value),
            Column::TargetLow => Cell::number(self.band.map(|b| b[0]), Number::Value),
            Column::TargetHigh => Cell::number(self.band.map(|b| b[1]), Number::Value),
            Column::Score => Cell::number(self.score, Number::Score),
            Column::Status => Cell::Text(self.status.as_str()),
            Column::Weight => Cell::Number(self.weight, Number::Share),
            Column::EffectiveWeight => Cell::Number(self.effective_weight, Number::Share),
            Column::Coverage => Cell::number(self.coverage, Number::Share),
            Column::PreviousScore => Cell::number(self.previous_score, Number::Score),
            Column::PreviousActual => Cell::number(self.previous_actual, Number::Value),
            Column::MissingReason => Cell::text(self.missing_reason),
            Column::Note => Cell::text(self.note),
        }
    }
}

/// The rows of one unit in tree order: the composite, then each
/// perspective followed by its children in declaration order (an objective
/// followed by its indicators, a direct indicator on its own).
/// `previous_period`: the period (or span) the `previous_*` values are of.
pub fn rows<'a>(
    card: &'a Scorecard,
    unit: Unit<'a>,
    previous_period: Option<&'a str>,
) -> Vec<Row<'a>> {
    let e = unit.evaluation;
    let base = Row {
        unit: e.unit.as_deref(),
        period: &e.period,
        previous_period,
        kind: Kind::Composite,
        id: &card.id,
        name: &card.name,
        perspective: None,
        objective: None,
        owner: None,
        actual: None,
        baseline: None,
        target: None,
        band: None,
        score: e.composite.score,
        status: e.composite.status,
        weight: Decimal::ONE,
        effective_weight: Decimal::ONE,
        coverage: Some(e.composite.coverage),
        previous_score: e.composite.previous_score.flatten(),
        previous_actual: None,
        missing_reason: None,
        note: None,
        percent: false,
    };
    let mut out = Vec::with_capacity(1 + card.perspectives.len() + card.indicators.len() * 2);
    let indicator = |i: usize, p_id: &'a str| {
        let (r, ind) = (&e.indicators[i], &card.indicators[i]);
        let (target, band) = match &r.target {
            Some(TargetOut::Value(t)) => (Some(*t), None),
            Some(TargetOut::Band(b)) => (None, Some(*b)),
            None => (None, None),
        };
        Row {
            kind: Kind::Indicator,
            id: &r.id,
            name: &ind.name,
            perspective: Some(p_id),
            objective: r.objective.as_deref(),
            owner: r.owner.as_deref(),
            actual: r.actual,
            baseline: r.baseline,
            target,
            band,
            score: r.score,
            status: r.status,
            weight: ind.share,
            effective_weight: r.effective_weight,
            coverage: None,
            previous_score: r.previous_score.flatten(),
            previous_actual: r.previous_actual.flatten(),
            missing_reason: r.reason.as_deref(),
            note: unit.notes.get(&r.id).map(String::as_str),
            percent: ind.unit.as_deref() == Some("%"),
            ..base.clone()
        }
    };
    out.push(base.clone());
    for (pi, p) in card.perspectives.iter().enumerate() {
        let r = &e.perspectives[pi];
        out.push(Row {
            kind: Kind::Perspective,
            id: &r.id,
            name: &r.name,
            perspective: Some(&r.id),
            owner: p.owner.as_deref(),
            score: r.score,
            status: r.status,
            weight: r.weight,
            effective_weight: p.share,
            coverage: Some(r.coverage),
            previous_score: r.previous_score.flatten(),
            ..base.clone()
        });
        for child in &p.children {
            match *child {
                Node::Indicator(i) => out.push(indicator(i, &r.id)),
                Node::Objective(oi) => {
                    let (o, ro) = (&card.objectives[oi], &e.objectives[oi]);
                    out.push(Row {
                        kind: Kind::Objective,
                        id: &ro.id,
                        name: &ro.name,
                        perspective: Some(&r.id),
                        objective: Some(&ro.id),
                        owner: o.owner.as_deref(),
                        score: ro.score,
                        status: ro.status,
                        weight: ro.weight,
                        // As validation multiplies it into the indicators'.
                        effective_weight: p.share * o.share,
                        coverage: Some(ro.coverage),
                        previous_score: ro.previous_score.flatten(),
                        ..base.clone()
                    });
                    out.extend(o.indicators.iter().map(|&i| indicator(i, &r.id)));
                }
            }
        }
    }
    out
}

/// A number as JSON prints it: every digit, no trailing zeros.
pub fn plain(d: Decimal) -> String {
    let mut s = String::new();
    crate::format::push_plain(&mut s, d.normalize());
    s
}
