//! The validated scorecard: every reference resolved to an index, every
//! weight normalised, every formula parsed and ordered. Scoring and
//! reporting work only on this type, so they never re-check the input.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::formula::Expr;
pub use crate::raw::{Aggregate, Date, Direction, InitiativeStatus, MissingPolicy, NoteLevel};

#[derive(Debug, Clone)]
pub struct Scorecard {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Scorecard-wide cap for scores (>= 100).
    pub max_score: Decimal,
    pub missing: MissingPolicy,
    /// Decimals shown in reports.
    pub precision: u32,
    /// Score at or above which the status is green (nodes without their
    /// own thresholds, and the composite).
    pub green: Decimal,
    /// Score at or above which the status is amber.
    pub amber: Decimal,
    /// Composite coverage (0..1) below which the composite is `insufficient`.
    pub min_coverage: Decimal,
    pub perspectives: Vec<Perspective>,
    pub objectives: Vec<Objective>,
    pub indicators: Vec<Indicator>,
    pub inputs: Vec<Input>,
    /// Groups whose weights came from an AHP matrix.
    pub ahp: Vec<AhpGroup>,
    /// Computed indicators in an order where each comes after what it reads.
    pub formula_order: Vec<usize>,
    /// Indicator and input ids -> what they are.
    pub ids: HashMap<String, ValueRef>,
    /// `[constants]`: named numbers formulas read (SPEC §13). Not in `ids`:
    /// data cannot give them a value.
    pub constants: HashMap<String, Decimal>,
    /// Periods back the formulas reach at most (`prev`, `lag`), through
    /// the computed indicators they read; 0 when none looks back. A run
    /// keeps that many spans before the previous one.
    pub max_lag: u32,
    /// Names the unit of initiative budgets.
    pub currency: Option<String>,
    /// Indicators at or below this status need a note or an active
    /// initiative (SPEC §14).
    pub require_note: Option<NoteLevel>,
    /// What is being done, in declaration order (SPEC §14).
    pub initiatives: Vec<Initiative>,
}

/// An initiative as declared (SPEC §14); a measurements file's check-in
/// updates its status and progress for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Initiative {
    pub id: String,
    pub name: String,
    pub objectives: Vec<usize>,
    pub indicators: Vec<usize>,
    pub owner: Option<String>,
    pub status: InitiativeStatus,
    pub start: Option<Date>,
    pub due: Option<Date>,
    pub budget: Option<Decimal>,
    pub progress: Option<Decimal>,
    pub description: Option<String>,
}

impl InitiativeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InitiativeStatus::Planned => "planned",
            InitiativeStatus::OnTrack => "on_track",
            InitiativeStatus::AtRisk => "at_risk",
            InitiativeStatus::Late => "late",
            InitiativeStatus::Done => "done",
            InitiativeStatus::Cancelled => "cancelled",
        }
    }

    /// Still being worked on: neither done nor cancelled. Only an active
    /// initiative explains a red indicator or can be overdue.
    pub fn active(self) -> bool {
        !matches!(self, InitiativeStatus::Done | InitiativeStatus::Cancelled)
    }
}

/// A node's own status thresholds (SPEC §11), each key it leaves out
/// taken from the card's: `green >= amber`, both within the node's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub green: Decimal,
    pub amber: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRef {
    Indicator(usize),
    Input(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    Objective(usize),
    Indicator(usize),
}

#[derive(Debug, Clone)]
pub struct Perspective {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    /// Declared (or AHP-derived) relative weight.
    pub weight: Decimal,
    /// Weight normalised among the perspectives.
    pub share: Decimal,
    /// Objectives and direct indicators, in declaration order.
    pub children: Vec<Node>,
    /// Own status thresholds; `None`: the card's.
    pub status: Option<Thresholds>,
}

#[derive(Debug, Clone)]
pub struct Objective {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub perspective: usize,
    pub weight: Decimal,
    /// Weight normalised among the perspective's children.
    pub share: Decimal,
    /// Objectives this one drives (strategy map arrows).
    pub drives: Vec<usize>,
    pub indicators: Vec<usize>,
    /// Own status thresholds; `None`: the card's.
    pub status: Option<Thresholds>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Linear {
        baseline: Decimal,
        target: Decimal,
    },
    Band {
        low: Decimal,
        high: Decimal,
        tolerance: Decimal,
    },
    /// (value, score) pairs, values strictly increasing.
    Curve {
        points: Vec<(Decimal, Decimal)>,
    },
    /// Graded (SPEC §12): higher is better, the score of the last step
    /// whose value the actual reaches; lower is better, of the first step
    /// whose value it does not exceed; `below` when it reaches none.
    Step {
        direction: Direction,
        /// (value, score) pairs, values strictly increasing, scores in 0..cap.
        steps: Vec<(Decimal, Decimal)>,
        below: Decimal,
    },
    /// Pass/fail (SPEC §12): 100 when `target` is met in `direction`, else 0.
    Binary {
        direction: Direction,
        target: Decimal,
    },
}

/// A target for one period: one number (linear) or a band `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    Value(Decimal),
    Band(Decimal, Decimal),
}

/// An indicator's targets and baselines by period label (SPEC §10): the
/// plan of a card whose targets change over the year. A period the plan
/// does not name keeps the declared `target` and `baseline`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub targets: BTreeMap<String, Goal>,
    pub baselines: BTreeMap<String, Decimal>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.baselines.is_empty()
    }
}

impl Rule {
    /// The rule's own target, if it has one.
    pub fn goal(&self) -> Option<Goal> {
        match self {
            Rule::Linear { target, .. } => Some(Goal::Value(*target)),
            Rule::Band { low, high, .. } => Some(Goal::Band(*low, *high)),
            Rule::Binary { target, .. } => Some(Goal::Value(*target)),
            Rule::Curve { .. } | Rule::Step { .. } => None,
        }
    }

    /// The rule's own baseline, if it has one.
    pub fn baseline(&self) -> Option<Decimal> {
        match self {
            Rule::Linear { baseline, .. } => Some(*baseline),
            _ => None,
        }
    }

    /// The rule with another target and baseline in force; what does not
    /// fit the rule (validation rejects it in a plan) leaves it as it is.
    pub fn in_force(&self, goal: Option<Goal>, base: Option<Decimal>) -> Rule {
        match (self, goal) {
            (Rule::Linear { baseline, target }, g) => Rule::Linear {
                baseline: base.unwrap_or(*baseline),
                target: match g {
                    Some(Goal::Value(t)) => t,
                    _ => *target,
                },
            },
            (Rule::Binary { direction, .. }, Some(Goal::Value(t))) => Rule::Binary {
                direction: *direction,
                target: t,
            },
            (Rule::Band { tolerance, .. }, Some(Goal::Band(low, high))) => Rule::Band {
                low,
                high,
                tolerance: *tolerance,
            },
            (r, _) => r.clone(),
        }
    }
}

/// Why a target and baseline cannot be in force together (SPEC §10).
#[derive(Debug, Clone, PartialEq)]
pub enum PairProblem {
    /// Linear: the baseline in force equals the target in force.
    Equal(Decimal),
    /// Linear: the pair means the other direction than the declared rule
    /// (`declared` tells whether `direction` was written or implied).
    Direction { lower: bool, declared: bool },
    /// Band: low > high.
    Reversed(Decimal, Decimal),
}

/// The rule with `goal` and `base` in force, or why they cannot be:
/// validation calls it for every period of a plan and every override in
/// the data, so what scoring later builds from the same pairs is sound. `declared_direction`:
/// whether the indicator states `direction` (a contradiction is then an
/// error, else a warning: a plan that flips the direction of one quarter
/// is almost always a typo, but it can be scored).
pub fn pair_in_force(
    rule: &Rule,
    goal: Option<Goal>,
    base: Option<Decimal>,
    declared_direction: bool,
) -> (Rule, Option<PairProblem>) {
    let r = rule.in_force(goal, base);
    let problem = pair_problem(rule, &r, declared_direction);
    (r, problem)
}

/// What is wrong with the rule `in_force` of an indicator declared with
/// `declared` (see [`pair_in_force`]).
pub fn pair_problem(
    declared: &Rule,
    in_force: &Rule,
    declared_direction: bool,
) -> Option<PairProblem> {
    match (declared, in_force) {
        (
            Rule::Linear { baseline, target },
            Rule::Linear {
                baseline: b,
                target: t,
            },
        ) => {
            if b == t {
                Some(PairProblem::Equal(*t))
            } else if (t < b) != (target < baseline) {
                Some(PairProblem::Direction {
                    lower: t < b,
                    declared: declared_direction,
                })
            } else {
                None
            }
        }
        (_, Rule::Band { low, high, .. }) if low > high => Some(PairProblem::Reversed(*low, *high)),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub struct Formula {
    pub text: String,
    pub expr: Expr,
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub unit: Option<String>,
    pub perspective: usize,
    pub objective: Option<usize>,
    pub weight: Decimal,
    /// Weight normalised among its siblings.
    pub share: Decimal,
    /// Share of the composite this indicator carries when nothing is missing.
    pub effective_weight: Decimal,
    /// The rule with the declared `target` and `baseline`.
    pub rule: Rule,
    /// Targets and baselines by period, overriding the declared ones.
    pub plan: Plan,
    /// Whether the card states `direction` (a pair in force against it is
    /// then an error, not a warning).
    pub direction_stated: bool,
    /// Cap of this indicator's score.
    pub cap: Decimal,
    pub formula: Option<Formula>,
    pub aggregate: Aggregate,
    /// Own status thresholds; `None`: the card's.
    pub status: Option<Thresholds>,
}

#[derive(Debug, Clone)]
pub struct Input {
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub aggregate: Aggregate,
}

/// An AHP-weighted sibling group, kept for the methodology section of reports.
#[derive(Debug, Clone)]
pub struct AhpGroup {
    /// `perspectives`, `objectives.<perspective>` or `indicators.<objective>`.
    pub key: String,
    /// Member ids with their derived weights, in `order`.
    pub members: Vec<(String, Decimal)>,
    /// The pairwise judgements, rows and columns in `order`.
    pub matrix: Vec<Vec<Decimal>>,
    pub lambda_max: Decimal,
    pub consistency_ratio: Decimal,
}

impl Indicator {
    /// The rule in force for `period` under the card's plan (SPEC §10,
    /// levels 2 and 3; data overrides come on top).
    pub fn rule_for(&self, period: &str) -> Rule {
        if self.plan.is_empty() {
            return self.rule.clone();
        }
        self.rule.in_force(
            self.plan.targets.get(period).copied(),
            self.plan.baselines.get(period).copied(),
        )
    }
}

impl Scorecard {
    /// The card's own thresholds (`[scorecard.status]` or the defaults).
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            green: self.green,
            amber: self.amber,
        }
    }

    /// The display name of a perspective, objective or indicator by id
    /// (the id itself when none has it).
    pub fn name_of(&self, id: &str) -> String {
        self.perspectives
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .or_else(|| {
                self.objectives
                    .iter()
                    .find(|o| o.id == id)
                    .map(|o| o.name.clone())
            })
            .or_else(|| {
                self.indicators
                    .iter()
                    .find(|i| i.id == id)
                    .map(|i| i.name.clone())
            })
            .unwrap_or_else(|| id.to_string())
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        match self.ids.get(id) {
            Some(ValueRef::Indicator(i)) => Some(&self.indicators[*i]),
            _ => None,
        }
    }

    /// Every id a measurements file may give a value for.
    pub fn value_ids(&self) -> impl Iterator<Item = &str> {
        self.indicators
            .iter()
            .filter(|i| i.formula.is_none())
            .map(|i| i.id.as_str())
            .chain(self.inputs.iter().map(|i| i.id.as_str()))
    }
}

/// Title-cased id: `learning_growth` -> `Learning Growth`.
pub fn title_case(id: &str) -> String {
    id.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub const STANDARD_PERSPECTIVES: [&str; 4] = [
    "financial",
    "customer",
    "internal_process",
    "learning_growth",
];
