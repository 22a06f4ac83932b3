//! The one evaluator: a unit's observations over a run's periods, scored
//! for the evaluated span with the span before it for trends. Measurements
//! files (one unit, a file per period) and long data (many units) both end
//! in a [`UnitBlock`] and a [`Plan`], and both are scored here, so previous
//! periods, targets in force (SPEC §10) and roll-ups mean the same whatever
//! the data came as.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::data::UnitBlock;
use crate::data::measurements::{self, Measurements};
use crate::data::period::Plan;
use crate::data::rollup::Roller;
use crate::model::{Goal, Scorecard};
use crate::score::follow_up::{self, InitiativeResult};
use crate::score::{self, Dressed, Evaluation, MissingData, Past, Prepared, Scores, Slots};

/// One period's measurements, with the one before it for trends, scored
/// as `bsc evaluate` scores the files of a run (for the benchmarks, fuzz
/// targets and property tests).
pub fn evaluate(
    card: &Scorecard,
    current: &Measurements,
    previous: Option<&Measurements>,
) -> Result<Evaluation, MissingData> {
    let labels = previous
        .into_iter()
        .chain([current])
        .map(|m| m.period.clone())
        .collect();
    let plan = Plan::last_of(labels)
        .expect("one period at least")
        .looking_back(card.max_lag);
    let block = measurements::observations(card, previous.into_iter().chain([current]), &plan);
    Evaluator::new(card, &plan).evaluate(&block, current.unit.as_deref())
}

/// Everything needed to score a unit over one plan, worked out once and
/// shared by every unit (and thread) of a run.
pub struct Evaluator<'a> {
    pub card: &'a Scorecard,
    /// Weights and the rules in force over the current span, and over the
    /// previous one (each span has its own targets, SPEC §10).
    weights: Prepared,
    previous_weights: Prepared,
    /// Spans further back that formulas read (`lag`, SPEC §13), the one
    /// two spans back first, each with its rules; as kept positions.
    older: Vec<(Range<usize>, Prepared)>,
    /// Labels of the kept periods (position 0 = the first), for a unit's
    /// own targets over a span.
    labels: Vec<String>,
    roller: Roller,
    /// The evaluated span and the one before it, as kept positions.
    current: Range<usize>,
    previous: Option<Range<usize>>,
    /// `2026-Q3`, or `2026-Q1..2026-Q3` for a roll-up.
    label: String,
    /// The card's initiatives at the end of the evaluated span, by its
    /// label (long data carries no check-ins); every unit shares them.
    initiatives: Vec<InitiativeResult>,
}

/// The rules a unit is scored by over the current and the previous span:
/// the run's, borrowed, unless its own data gives targets or baselines.
pub struct Rules<'e> {
    pub current: Cow<'e, Prepared>,
    pub previous: Cow<'e, Prepared>,
    /// Of [`Evaluator`]'s `older` spans, in its order.
    pub older: Vec<Cow<'e, Prepared>>,
}

impl<'a> Evaluator<'a> {
    /// Blocks scored by this evaluator are keyed by position among
    /// `plan.needed()`: the previous span and the current one.
    pub fn new(card: &'a Scorecard, plan: &Plan) -> Evaluator<'a> {
        let needed = plan.needed();
        let rel = |r: &Range<usize>| r.start - needed.start..r.end - needed.start;
        let labels = |r: &Range<usize>| &plan.periods[r.clone()];
        // The rules of the span `k` back, which names the spans before it
        // in its formulas' reasons.
        let shared = Arc::new(plan.clone());
        let prepared = |k: usize, span: &Range<usize>| {
            let p = Prepared::for_periods(card, labels(span));
            if card.max_lag == 0 {
                return p;
            }
            p.with_back(shared.clone(), k)
        };
        let weights = prepared(0, &plan.current);
        let older = (2..)
            .map_while(|k| {
                plan.span_back(k)
                    .filter(|s| s.start >= needed.start)
                    .map(|s| (k, s))
            })
            .map(|(k, s)| (rel(&s), prepared(k, &s)))
            .collect();
        Evaluator {
            card,
            previous_weights: match &plan.previous {
                Some(p) => prepared(1, p),
                None => weights.clone(),
            },
            older,
            weights,
            labels: plan.periods[needed.clone()].to_vec(),
            roller: Roller::new(card, plan.periods[needed.clone()].to_vec()),
            current: rel(&plan.current),
            previous: plan.previous.as_ref().map(rel),
            label: plan.label(&plan.current),
            initiatives: follow_up::follow_up(
                card,
                &[],
                0,
                crate::data::period::end_of(&plan.periods[plan.current.end - 1]),
            ),
        }
    }

    /// One period kept and no trend: a block's grid is then its slots.
    pub fn one_period(&self) -> bool {
        self.previous.is_none() && self.current.len() == 1 && self.roller.periods() == 1
    }

    /// Whether the run has a span before the evaluated one.
    pub fn has_previous(&self) -> bool {
        self.previous.is_some()
    }

    /// The rules in force for `b`: a unit whose rows give targets or
    /// baselines scores with its own (SPEC §10: data over plan over
    /// declared). Nothing is allocated for a unit that gives none.
    pub fn rules(&self, b: &UnitBlock) -> Rules<'_> {
        let own = self.unit_weights(b, &self.current, &self.weights);
        let own_previous = self
            .previous
            .as_ref()
            .and_then(|p| self.unit_weights(b, p, &self.previous_weights));
        Rules {
            current: own.map_or(Cow::Borrowed(&self.weights), Cow::Owned),
            previous: own_previous.map_or(Cow::Borrowed(&self.previous_weights), Cow::Owned),
            older: self
                .older
                .iter()
                .map(|(span, base)| {
                    self.unit_weights(b, span, base)
                        .map_or(Cow::Borrowed(base), Cow::Owned)
                })
                .collect(),
        }
    }

    /// The block's values of the current span, and of the previous one,
    /// each rolled up by the indicators' `aggregate`; with what their
    /// formulas read of the spans before them (`rules` is [`Evaluator::rules`]).
    pub fn spans(&self, b: &UnitBlock, rules: &Rules) -> (Slots, Option<Slots>) {
        let grid = self.roller.grid(b);
        if self.card.max_lag == 0 {
            let prev = self.previous.clone().map(|p| self.roller.slots(&grid, p));
            return (self.roller.slots(&grid, self.current.clone()), prev);
        }
        // Every kept span, `k` back at `k`, scored oldest first: a span's
        // formulas read the ones before it, computed indicators included.
        let spans: Vec<(Range<usize>, &Prepared)> = [
            Some((self.current.clone(), rules.current.as_ref())),
            self.previous.clone().map(|p| (p, rules.previous.as_ref())),
        ]
        .into_iter()
        .flatten()
        .chain(
            self.older
                .iter()
                .zip(&rules.older)
                .map(|((s, _), p)| (s.clone(), p.as_ref())),
        )
        .collect();
        let mut past: Vec<Option<Arc<Past>>> = vec![None; spans.len()];
        let mut kept: Vec<Slots> = Vec::new();
        for (k, (span, prepared)) in spans.iter().enumerate().rev() {
            let mut slots = self.roller.slots(&grid, span.clone());
            slots.past = past[k + 1..].to_vec();
            if k >= 1 {
                past[k] = Some(Arc::new(score::past_of(self.card, prepared, &slots)));
            }
            if k <= 1 {
                kept.push(slots);
            }
        }
        let current = kept.pop().expect("the current span");
        (current, kept.pop())
    }

    /// [`Evaluator::one_period`]'s fast path: scores `b` into `scores`,
    /// reusing `slots` and `scores`, so nothing is allocated per unit.
    pub fn score_one_period(
        &self,
        b: &UnitBlock,
        rules: &Rules,
        slots: &mut Slots,
        scores: &mut Scores,
    ) {
        debug_assert!(self.one_period());
        self.roller.grid_into(b, &mut slots.values);
        score::score_slots_into(self.card, &rules.current, slots, scores);
    }

    /// The SPEC §8 evaluation of `b`'s spans, named `unit`; `Err` under
    /// `missing = "error"` when an indicator has no score.
    pub fn dress(
        &self,
        rules: &Rules,
        current: &Slots,
        previous: Option<&Slots>,
        unit: Option<&str>,
    ) -> Result<Evaluation, MissingData> {
        self.dressed(rules, current, previous, unit, |d| d.evaluation())
    }

    /// [`Evaluator::dress`] borrowed: `then` gets the evaluation before it
    /// owns anything (to write it without copying the card into it).
    pub fn dressed<R>(
        &self,
        rules: &Rules,
        current: &Slots,
        previous: Option<&Slots>,
        unit: Option<&str>,
        then: impl FnOnce(&Dressed) -> R,
    ) -> Result<R, MissingData> {
        let card = self.card;
        let s = score::score_slots_with(card, &rules.current, current);
        score::check_missing(card, &s)?;
        let prev = previous.map(|p| score::score_slots_with(card, &rules.previous, p));
        let dressed = Dressed::new(
            card,
            &rules.current,
            &s,
            prev.as_ref(),
            &self.label,
            unit,
            &self.initiatives,
        );
        Ok(then(&dressed))
    }

    /// [`Evaluator::dress`] of the block's own rules and spans.
    pub fn evaluate(&self, b: &UnitBlock, unit: Option<&str>) -> Result<Evaluation, MissingData> {
        let rules = self.rules(b);
        let (cur, prev) = self.spans(b, &rules);
        self.dress(&rules, &cur, prev.as_ref(), unit)
    }

    /// The block's current span scored, without previous span and without
    /// the `missing = "error"` check: a period of a history or the one a
    /// run compares with.
    pub fn evaluate_unchecked(&self, b: &UnitBlock, unit: Option<&str>) -> Evaluation {
        let rules = self.rules(b);
        let (cur, _) = self.spans(b, &rules);
        score::evaluate_slots_unchecked(self.card, &rules.current, &cur, &self.label, unit)
    }

    /// `missing = "error"`: the block's missing indicators, if any.
    pub fn check(&self, b: &UnitBlock) -> Result<(), MissingData> {
        let scores = if self.card.max_lag == 0 {
            // Only the current span matters: nothing of the others is built.
            let grid = self.roller.grid(b);
            let cur = self.roller.slots(&grid, self.current.clone());
            let own = self.unit_weights(b, &self.current, &self.weights);
            score::score_slots_with(self.card, own.as_ref().unwrap_or(&self.weights), &cur)
        } else {
            let rules = self.rules(b);
            let (cur, _) = self.spans(b, &rules);
            score::score_slots_with(self.card, &rules.current, &cur)
        };
        score::check_missing(self.card, &scores)
    }

    /// The block's notes by id: in a roll-up, each id's latest.
    pub fn notes(&self, b: &UnitBlock) -> HashMap<String, String> {
        self.roller.notes(self.card, b)
    }

    /// `base` with the targets and baselines that unit `b`'s rows give
    /// for the periods of `span` (SPEC §10: data over plan over declared);
    /// `None` when they give none there.
    fn unit_weights(
        &self,
        b: &UnitBlock,
        span: &Range<usize>,
        base: &Prepared,
    ) -> Option<Prepared> {
        if b.targets.is_empty() && b.baselines.is_empty() {
            return None;
        }
        let n = score::slot_count(self.card) as u32;
        let within = |key: u32| {
            let (pos, slot) = ((key / n) as usize, (key % n) as usize);
            span.contains(&pos).then(|| (slot, pos - span.start))
        };
        let targets: HashMap<(usize, usize), Goal> = b
            .targets
            .iter()
            .filter_map(|(k, g)| within(*k).map(|at| (at, *g)))
            .collect();
        let baselines: HashMap<(usize, usize), Decimal> = b
            .baselines
            .iter()
            .filter_map(|(k, v)| within(*k).map(|at| (at, *v)))
            .collect();
        let mut indicators: Vec<usize> = targets
            .keys()
            .chain(baselines.keys())
            .map(|(i, _)| *i)
            .collect();
        if indicators.is_empty() {
            return None;
        }
        indicators.sort_unstable();
        indicators.dedup();
        Some(base.with_data(
            self.card,
            &self.labels[span.clone()],
            &indicators,
            &|i, k| {
                (
                    targets.get(&(i, k)).copied(),
                    baselines.get(&(i, k)).copied(),
                )
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::period::Selection;

    fn card() -> Scorecard {
        let text = "[scorecard]\nid = \"c\"\nname = \"C\"\n\
             [[perspectives]]\nid = \"financial\"\n\
             [[indicators]]\nid = \"revenue\"\nperspective = \"financial\"\n\
             baseline = 0\ntarget = 100\n\
             [indicators.targets]\n\"2026-Q3\" = 120\n\
             [[indicators]]\nid = \"cac\"\nperspective = \"financial\"\n\
             baseline = 300\ntarget = 150\n";
        let src = crate::source::SourceFile::new(std::path::Path::new("c.toml"), text.into());
        let mut diags = crate::diag::Diagnostics::default();
        let card = crate::check_scorecard(&src, &mut diags);
        card.unwrap_or_else(|| panic!("valid card: {diags:?}"))
    }

    fn file(period: &str, revenue: &str, cac: &str) -> Measurements {
        Measurements {
            period: period.into(),
            unit: Some("east".into()),
            values: [("revenue", revenue), ("cac", cac)]
                .into_iter()
                .map(|(id, v)| (id.into(), v.parse().unwrap()))
                .collect(),
            ..Measurements::default()
        }
    }

    /// Files of one unit and a long CSV of the same rows score alike:
    /// the plan's target for Q3, the data's own target, and the trend.
    #[test]
    fn files_and_long_data_are_one_evaluation() {
        let card = card();
        let q2 = file("2026-Q2", "90", "200");
        let mut q3 = file("2026-Q3", "110", "180");
        q3.targets
            .insert("cac".into(), Goal::Value("170".parse().unwrap()));
        q3.notes.insert("revenue".into(), "a good quarter".into());
        let from_files = evaluate(&card, &q3, Some(&q2)).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        std::fs::write(
            &path,
            "period,unit,id,value,note,target\n\
             2026-Q2,east,revenue,90,,\n2026-Q2,east,cac,200,,\n\
             2026-Q3,east,revenue,110,a good quarter,\n2026-Q3,east,cac,180,,170\n",
        )
        .unwrap();
        let (_, units) =
            crate::portfolio::evaluations(&card, &path, Selection::Latest, false).unwrap();
        fn json(e: &impl serde::Serialize) -> String {
            serde_json::to_string(e).unwrap()
        }
        assert_eq!(json(&from_files), json(&units[0].evaluation));
        let revenue = json(&from_files.indicators[0]);
        assert!(revenue.contains("\"target\":120"), "the plan's: {revenue}");
        let cac = &from_files.indicators[1];
        assert_eq!(json(cac), json(&units[0].evaluation.indicators[1]));
        assert!(json(cac).contains("\"target\":170"), "{}", json(cac));
        assert!(cac.previous_score.is_some());

        // The CLI's notes come from the store as --data's do.
        let plan = Plan::last_of(vec!["2026-Q2".into(), "2026-Q3".into()]).unwrap();
        let block = measurements::observations(&card, [&q2, &q3], &plan);
        let notes = Evaluator::new(&card, &plan).notes(&block);
        assert_eq!(notes, units[0].notes);
    }

    /// `bsc schema --output` names exactly the keys the output has (with
    /// a previous period, every optional key but `history`), so a key
    /// renamed on one side fails here before the Python check in CI.
    #[test]
    fn the_output_schema_names_the_keys_the_output_has() {
        use std::collections::BTreeSet;
        let card = card();
        let q2 = file("2026-Q2", "90", "200");
        let e = evaluate(&card, &file("2026-Q3", "110", "180"), Some(&q2)).unwrap();
        let out = serde_json::to_value(&e).unwrap();
        let schema = crate::score::output_schema();
        let keys = |v: &serde_json::Value| -> BTreeSet<String> {
            v.as_object().expect("an object").keys().cloned().collect()
        };
        let props = |def: &str| keys(&schema["$defs"][def]["properties"]);
        let mut top = keys(&schema["properties"]);
        top.remove("history");
        assert_eq!(keys(&out), top);
        assert_eq!(keys(&out["composite"]), props("Composite"));
        assert_eq!(keys(&out["perspectives"][0]), props("PerspectiveResult"));
        assert_eq!(keys(&out["indicators"][0]), props("IndicatorResult"));
        assert_eq!(schema["additionalProperties"], false);
    }

    /// A formula reading a computed indicator of an earlier period reads
    /// what that indicator read in its own past: the run keeps every span
    /// the chain reaches (here 4 + 4 quarters back).
    #[test]
    fn look_back_reaches_through_computed_indicators() {
        let text = "[scorecard]\nid = \"c\"\nname = \"C\"\n\
             [[perspectives]]\nid = \"financial\"\n\
             [[indicators]]\nid = \"revenue\"\nperspective = \"financial\"\nbaseline = 0\ntarget = 100\n\
             [[indicators]]\nid = \"yoy\"\nperspective = \"financial\"\n\
             formula = \"revenue / lag(revenue, 4) - 1\"\nbaseline = 0\ntarget = 1\n\
             [[indicators]]\nid = \"yoy_change\"\nperspective = \"financial\"\n\
             formula = \"yoy - lag(yoy, 4)\"\nbaseline = -1\ntarget = 1\n";
        let src = crate::source::SourceFile::new(std::path::Path::new("c.toml"), text.into());
        let mut diags = crate::diag::Diagnostics::default();
        let card = crate::check_scorecard(&src, &mut diags).expect("valid card");
        assert_eq!(card.max_lag, 8);
        let labels = [
            "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2",
            "2026-Q3",
        ];
        let revenue = [
            "100", "110", "120", "130", "150", "160", "170", "180", "200",
        ];
        let files: Vec<Measurements> = labels
            .iter()
            .zip(revenue)
            .map(|(p, v)| Measurements {
                period: p.to_string(),
                values: [("revenue".to_string(), v.parse().unwrap())].into(),
                ..Measurements::default()
            })
            .collect();
        let plan = Plan::last_of(labels.iter().map(|l| l.to_string()).collect())
            .unwrap()
            .looking_back(card.max_lag);
        assert_eq!(plan.needed(), 0..9);
        let block = measurements::observations(&card, files.iter(), &plan);
        let e = Evaluator::new(&card, &plan).evaluate(&block, None).unwrap();
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // 200 / 150 - 1 now, 150 / 100 - 1 four quarters ago.
        assert_eq!(
            e.indicators[1].actual,
            Some(d("0.3333333333333333333333333333"))
        );
        assert_eq!(
            e.indicators[2].actual,
            Some(d("-0.1666666666666666666666666667"))
        );
        // The previous quarter's yoy_change needs a yoy of 2025-Q2, which
        // needs revenue of 2024-Q2: before the data.
        assert_eq!(e.indicators[2].previous_actual, Some(None));
        let plan = Plan::last_of(labels[1..].iter().map(|l| l.to_string()).collect())
            .unwrap()
            .looking_back(card.max_lag);
        let block = measurements::observations(&card, files[1..].iter(), &plan);
        let e = Evaluator::new(&card, &plan).evaluate(&block, None).unwrap();
        assert_eq!(e.indicators[2].actual, None);
        assert_eq!(
            e.indicators[2].reason.as_deref(),
            Some("needs yoy in 2025-Q3")
        );
    }
}
