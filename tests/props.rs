//! Property tests of the evaluator (SPEC §4–6) over randomly generated
//! valid scorecards. Each case builds the scorecard as TOML text, loads it
//! through the real loader and validator, builds `Measurements` directly,
//! and checks an invariant of `evaluator::evaluate`.
//!
//! Generated cards mix linear (both directions), band, curve, step and binary
//! indicators, objectives and direct indicators, zero weights, caps above
//! 100, and computed indicators whose formulas read inputs (so they can be
//! missing for "needs x" or "division by zero").

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;

use proptest::prelude::*;
use proptest::sample::Index;
use rust_decimal::Decimal;

use bsc::data::measurements::Measurements;
use bsc::evaluator;
use bsc::export::json;
use bsc::model::Scorecard;
use bsc::score::{self, Evaluation};

// ------------------------------------------------------------- generation

#[derive(Debug, Clone)]
enum GRule {
    /// `direction` written out (consistent with baseline/target) or not.
    Linear {
        baseline: Decimal,
        target: Decimal,
        write_direction: bool,
    },
    Band {
        low: Decimal,
        high: Decimal,
        tolerance: Decimal,
    },
    Curve {
        points: Vec<(Decimal, Decimal)>,
    },
    /// Scores never fall toward the better end (else W020, and "better"
    /// would have no direction); `below` no more than the worst step.
    Step {
        higher: bool,
        steps: Vec<(Decimal, Decimal)>,
        below: Decimal,
    },
    Binary {
        higher: bool,
        target: Decimal,
    },
}

#[derive(Debug, Clone)]
struct GInd {
    weight: Decimal,
    rule: GRule,
    /// Per-indicator cap (never on band indicators: the validator rejects it).
    max_score: Option<Decimal>,
    /// Index into `FORMULAS`.
    formula: Option<usize>,
}

#[derive(Debug, Clone)]
enum GChild {
    Objective {
        weight: Decimal,
        indicators: Vec<GInd>,
    },
    Indicator(GInd),
}

#[derive(Debug, Clone)]
struct GPersp {
    weight: Decimal,
    children: Vec<GChild>,
}

#[derive(Debug, Clone)]
struct GCard {
    max_score: Option<Decimal>,
    perspectives: Vec<GPersp>,
}

const PERSPECTIVE_IDS: [&str; 4] = [
    "financial",
    "customer",
    "internal_process",
    "learning_growth",
];
const INPUTS: [&str; 4] = ["x0", "x1", "x2", "x3"];
const FORMULAS: [&str; 4] = [
    "x0 / x1",
    "x0 * x1 - x2",
    "max(x0, x2) + abs(x3)",
    "(x0 + x1) / (x2 - x3)",
];

/// A decimal such as -12.34: mantissa and scale.
fn num() -> impl Strategy<Value = Decimal> {
    (-2000i64..=2000, 0u32..=3).prop_map(|(m, s)| Decimal::new(m, s))
}

fn positive() -> impl Strategy<Value = Decimal> {
    (1i64..=2000, 0u32..=3).prop_map(|(m, s)| Decimal::new(m, s))
}

fn weight() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        1 => Just(Decimal::ZERO),
        5 => (1i64..=10).prop_map(Decimal::from),
        2 => (1i64..=999, 1u32..=3).prop_map(|(m, s)| Decimal::new(m, s)),
    ]
}

fn rule() -> impl Strategy<Value = GRule> {
    let linear = (num(), num(), any::<bool>())
        .prop_filter("baseline != target", |(b, t, _)| b != t)
        .prop_map(|(baseline, target, write_direction)| GRule::Linear {
            baseline,
            target,
            write_direction,
        });
    let band = (num(), (0i64..=500, 0u32..=2), positive()).prop_map(|(low, (w, s), tolerance)| {
        GRule::Band {
            low,
            high: low + Decimal::new(w, s),
            tolerance,
        }
    });
    // Strictly increasing values; scores 0..=100 in any order (some curves
    // are not monotone).
    let curve = (
        num(),
        prop::collection::vec(
            (positive(), (0i64..=1000).prop_map(|s| Decimal::new(s, 1))),
            2..=4,
        ),
    )
        .prop_map(|(start, steps)| {
            let mut v = start;
            let points = steps
                .into_iter()
                .map(|(step, score)| {
                    let p = (v, score);
                    v += step;
                    p
                })
                .collect();
            GRule::Curve { points }
        });
    let step = (
        num(),
        prop::collection::vec(
            (positive(), (0i64..=1000).prop_map(|s| Decimal::new(s, 1))),
            1..=4,
        ),
        any::<bool>(),
        (0i64..=1000).prop_map(|s| Decimal::new(s, 1)),
    )
        .prop_map(|(start, raw, higher, below)| {
            let mut scores: Vec<Decimal> = raw.iter().map(|r| r.1).collect();
            scores.sort();
            if !higher {
                scores.reverse();
            }
            let mut v = start;
            let steps = raw
                .iter()
                .zip(&scores)
                .map(|((gap, _), score)| {
                    let p = (v, *score);
                    v += gap;
                    p
                })
                .collect();
            let worst = scores.iter().copied().min().unwrap_or_default();
            GRule::Step {
                higher,
                steps,
                below: below.min(worst),
            }
        });
    let binary =
        (num(), any::<bool>()).prop_map(|(target, higher)| GRule::Binary { higher, target });
    prop_oneof![4 => linear, 2 => band, 2 => curve, 2 => step, 1 => binary]
}

fn indicator() -> impl Strategy<Value = GInd> {
    (
        weight(),
        rule(),
        prop::option::weighted(0.3, (100i64..=150).prop_map(Decimal::from)),
        prop::option::weighted(0.25, 0..FORMULAS.len()),
    )
        .prop_map(|(weight, rule, max_score, formula)| {
            let max_score = if matches!(rule, GRule::Band { .. } | GRule::Binary { .. }) {
                None
            } else {
                max_score
            };
            GInd {
                weight,
                rule,
                max_score,
                formula,
            }
        })
}

/// Makes sure a sibling group is not all zero (a validation error).
fn some_positive(ws: Vec<&mut Decimal>) {
    if ws.iter().all(|w| w.is_zero())
        && let Some(w) = ws.into_iter().next()
    {
        *w = Decimal::ONE;
    }
}

fn card() -> impl Strategy<Value = GCard> {
    let child = prop_oneof![
        2 => (weight(), prop::collection::vec(indicator(), 1..=3)).prop_map(|(weight, indicators)| GChild::Objective { weight, indicators }),
        1 => indicator().prop_map(GChild::Indicator),
    ];
    let persp = (weight(), prop::collection::vec(child, 1..=3))
        .prop_map(|(weight, children)| GPersp { weight, children });
    (
        prop::option::of((100i64..=150).prop_map(Decimal::from)),
        prop::collection::vec(persp, 1..=4),
    )
        .prop_map(|(max_score, mut perspectives)| {
            some_positive(perspectives.iter_mut().map(|p| &mut p.weight).collect());
            for p in &mut perspectives {
                some_positive(
                    p.children
                        .iter_mut()
                        .map(|c| match c {
                            GChild::Objective { weight, .. } => weight,
                            GChild::Indicator(i) => &mut i.weight,
                        })
                        .collect(),
                );
                for c in &mut p.children {
                    if let GChild::Objective { indicators, .. } = c {
                        some_positive(indicators.iter_mut().map(|i| &mut i.weight).collect());
                    }
                }
            }
            GCard {
                max_score,
                perspectives,
            }
        })
}

impl GCard {
    /// Indicators in declaration order (ids `k0`, `k1`, ...).
    fn indicators(&self) -> Vec<&GInd> {
        let mut out = Vec::new();
        for p in &self.perspectives {
            for c in &p.children {
                match c {
                    GChild::Objective { indicators, .. } => out.extend(indicators.iter()),
                    GChild::Indicator(i) => out.push(i),
                }
            }
        }
        out
    }

    fn toml(&self, missing: &str) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "[scorecard]\nid = \"gen\"\nname = \"Generated\"\nmissing = \"{missing}\""
        );
        if let Some(m) = self.max_score {
            let _ = writeln!(t, "max_score = {m}");
        }
        let mut objectives = String::new();
        let mut indicators = String::new();
        let (mut o, mut k) = (0, 0);
        for (pi, p) in self.perspectives.iter().enumerate() {
            let pid = PERSPECTIVE_IDS[pi];
            let _ = writeln!(
                t,
                "\n[[perspectives]]\nid = \"{pid}\"\nweight = {}",
                p.weight
            );
            for c in &p.children {
                match c {
                    GChild::Objective {
                        weight,
                        indicators: inds,
                    } => {
                        let _ = writeln!(
                            objectives,
                            "\n[[objectives]]\nid = \"o{o}\"\nperspective = \"{pid}\"\nweight = {weight}"
                        );
                        for ind in inds {
                            write_indicator(
                                &mut indicators,
                                k,
                                &format!("objective = \"o{o}\""),
                                ind,
                            );
                            k += 1;
                        }
                        o += 1;
                    }
                    GChild::Indicator(ind) => {
                        write_indicator(
                            &mut indicators,
                            k,
                            &format!("perspective = \"{pid}\""),
                            ind,
                        );
                        k += 1;
                    }
                }
            }
        }
        t.push_str(&objectives);
        t.push_str(&indicators);
        for x in INPUTS {
            let _ = writeln!(t, "\n[[inputs]]\nid = \"{x}\"");
        }
        t
    }

    /// Loads the card through the real loader and validator.
    fn load(&self, missing: &str) -> Scorecard {
        let text = self.toml(missing);
        let src = bsc::source::SourceFile::new(Path::new("gen.toml"), text.clone());
        let mut diags = bsc::diag::Diagnostics::default();
        match bsc::check_scorecard(&src, &mut diags) {
            Some(card) => card,
            None => panic!(
                "generated scorecard does not validate:\n{}\n---\n{text}",
                bsc::diag::render_human(&diags.items, false)
            ),
        }
    }

    /// The same card with every weight of one sibling group multiplied by `f`.
    /// `group` 0 = the perspectives; otherwise one perspective's children or
    /// one objective's indicators, counted in declaration order.
    fn scale_group(&self, group: usize, f: Decimal) -> GCard {
        let mut c = self.clone();
        let scale = |w: &mut Decimal| *w *= f;
        // Group 0: the perspectives; then each perspective's children; then
        // each objective's indicators.
        let n_obj: usize = c
            .perspectives
            .iter()
            .flat_map(|p| &p.children)
            .filter(|ch| matches!(ch, GChild::Objective { .. }))
            .count();
        let g = group % (1 + c.perspectives.len() + n_obj);
        if g == 0 {
            c.perspectives.iter_mut().for_each(|p| scale(&mut p.weight));
        } else if g <= c.perspectives.len() {
            for ch in &mut c.perspectives[g - 1].children {
                match ch {
                    GChild::Objective { weight, .. } => scale(weight),
                    GChild::Indicator(i) => scale(&mut i.weight),
                }
            }
        } else {
            let target = g - 1 - c.perspectives.len();
            let objective = c
                .perspectives
                .iter_mut()
                .flat_map(|p| &mut p.children)
                .filter_map(|ch| match ch {
                    GChild::Objective { indicators, .. } => Some(indicators),
                    GChild::Indicator(_) => None,
                })
                .nth(target)
                .expect("counted above");
            objective.iter_mut().for_each(|i| scale(&mut i.weight));
        }
        c
    }
}

fn write_indicator(t: &mut String, k: usize, parent: &str, ind: &GInd) {
    let _ = writeln!(
        t,
        "\n[[indicators]]\nid = \"k{k}\"\n{parent}\nweight = {}",
        ind.weight
    );
    if let Some(m) = ind.max_score {
        let _ = writeln!(t, "max_score = {m}");
    }
    // An owner on every third, with text JSON escapes: it is written
    // from the card (`json::Frames`).
    if k % 3 == 1 {
        let _ = writeln!(t, "owner = \"Wang \\\"Fang\\\"\\t东区 {k}\"");
    }
    if let Some(f) = ind.formula {
        let _ = writeln!(t, "formula = \"{}\"", FORMULAS[f]);
    }
    match &ind.rule {
        GRule::Linear {
            baseline,
            target,
            write_direction,
        } => {
            let _ = writeln!(
                t,
                "scoring = \"linear\"\nbaseline = {baseline}\ntarget = {target}"
            );
            if *write_direction {
                let _ = writeln!(
                    t,
                    "direction = \"{}\"",
                    if target > baseline { "higher" } else { "lower" }
                );
            }
        }
        GRule::Band {
            low,
            high,
            tolerance,
        } => {
            let _ = writeln!(
                t,
                "scoring = \"band\"\ntarget = [{low}, {high}]\ntolerance = {tolerance}"
            );
        }
        GRule::Curve { points } => {
            let pts: Vec<String> = points.iter().map(|(v, s)| format!("[{v}, {s}]")).collect();
            let _ = writeln!(t, "scoring = \"curve\"\npoints = [{}]", pts.join(", "));
        }
        GRule::Step {
            higher,
            steps,
            below,
        } => {
            let st: Vec<String> = steps.iter().map(|(v, s)| format!("[{v}, {s}]")).collect();
            let _ = writeln!(
                t,
                "scoring = \"step\"\ndirection = \"{}\"\nsteps = [{}]\nbelow = {below}",
                if *higher { "higher" } else { "lower" },
                st.join(", ")
            );
        }
        GRule::Binary { higher, target } => {
            let _ = writeln!(
                t,
                "scoring = \"binary\"\ndirection = \"{}\"\ntarget = {target}",
                if *higher { "higher" } else { "lower" }
            );
        }
    }
}

/// Values for plain indicators (`None` = not measured) and inputs.
#[derive(Debug, Clone)]
struct GValues {
    indicators: Vec<Option<Decimal>>,
    inputs: Vec<Option<Decimal>>,
}

impl GValues {
    fn measurements(&self, card: &GCard) -> Measurements {
        let mut values = HashMap::new();
        for (k, (ind, v)) in card.indicators().iter().zip(&self.indicators).enumerate() {
            if let (None, Some(v)) = (ind.formula, v) {
                values.insert(format!("k{k}"), *v);
            }
        }
        for (x, v) in INPUTS.iter().zip(&self.inputs) {
            if let Some(v) = v {
                values.insert(x.to_string(), *v);
            }
        }
        Measurements {
            origin: "gen".into(),
            period: "P1".into(),
            unit: None,
            values,
            notes: HashMap::new(),
            ..Default::default()
        }
    }
}

/// A card with values where some are missing and some inputs may be 0.
fn card_and_values() -> impl Strategy<Value = (GCard, GValues)> {
    card().prop_flat_map(|c| {
        let n = c.indicators().len();
        (
            Just(c),
            prop::collection::vec(prop::option::weighted(0.8, num()), n),
            prop::collection::vec(prop::option::weighted(0.85, num()), INPUTS.len()),
        )
            .prop_map(|(c, indicators, inputs)| (c, GValues { indicators, inputs }))
    })
}

/// A card with every value present and inputs chosen so no formula fails:
/// x1 > 0 and x2 - x3 > 0.
fn card_and_complete_values() -> impl Strategy<Value = (GCard, GValues)> {
    card().prop_flat_map(|c| {
        let n = c.indicators().len();
        (
            Just(c),
            prop::collection::vec(num().prop_map(Some), n),
            (
                num(),
                positive(),
                (1000i64..=2000).prop_map(Decimal::from),
                (-999i64..=999).prop_map(Decimal::from),
            ),
        )
            .prop_map(|(c, indicators, (x0, x1, x2, x3))| {
                (
                    c,
                    GValues {
                        indicators,
                        inputs: vec![Some(x0), Some(x1), Some(x2), Some(x3)],
                    },
                )
            })
    })
}

fn eval(card: &Scorecard, m: &Measurements) -> Evaluation {
    evaluator::evaluate(card, m, None).expect("only missing = \"error\" fails")
}

fn all_scores(e: &Evaluation) -> Vec<Option<Decimal>> {
    std::iter::once(e.composite.score)
        .chain(e.perspectives.iter().map(|p| p.score))
        .chain(e.objectives.iter().map(|o| o.score))
        .chain(e.indicators.iter().map(|i| i.score))
        .collect()
}

fn cases() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------- properties

proptest! {
    #![proptest_config(cases())]

    /// Every indicator score lies in 0..=its cap; the composite, every
    /// perspective and objective in 0..=the largest cap. Each indicator is
    /// missing exactly when it has no score, and then gives a reason.
    #[test]
    fn scores_stay_within_their_caps((g, v) in card_and_values()) {
        let card = g.load("renormalize");
        let e = eval(&card, &v.measurements(&g));
        let max_cap = card.indicators.iter().map(|i| i.cap).max().unwrap();
        prop_assert!(max_cap >= Decimal::ONE_HUNDRED);
        for (ind, r) in card.indicators.iter().zip(&e.indicators) {
            prop_assert_eq!(&ind.id, &r.id);
            if let Some(s) = r.score {
                prop_assert!(s >= Decimal::ZERO && s <= ind.cap, "{} scores {} outside 0..{}", r.id, s, ind.cap);
                if matches!(ind.rule, bsc::model::Rule::Band { .. }) {
                    prop_assert!(s <= Decimal::ONE_HUNDRED, "band {} over-achieves: {}", r.id, s);
                }
                if matches!(ind.rule, bsc::model::Rule::Binary { .. }) {
                    prop_assert!(s == Decimal::ZERO || s == Decimal::ONE_HUNDRED, "binary {} scores {}", r.id, s);
                }
            }
            prop_assert_eq!(r.missing, r.score.is_none());
            prop_assert_eq!(r.reason.is_some(), r.score.is_none());
        }
        for s in all_scores(&e).into_iter().flatten() {
            prop_assert!(s >= Decimal::ZERO && s <= max_cap, "aggregate {} outside 0..{}", s, max_cap);
        }
    }

    /// Weights are relative: scaling one sibling group by a positive factor
    /// changes no score at all (exact decimal equality).
    #[test]
    fn scaling_a_sibling_group_changes_no_score(
        (g, v) in card_and_values(),
        group in 0usize..64,
        factor in prop_oneof![
            (2i64..=1000).prop_map(Decimal::from),
            (1i64..=999, 1u32..=3).prop_map(|(m, s)| Decimal::new(m, s)),
        ],
    ) {
        let m = v.measurements(&g);
        let before = eval(&g.load("renormalize"), &m);
        let scaled = g.scale_group(group, factor);
        let after = eval(&scaled.load("renormalize"), &m);
        prop_assert_eq!(all_scores(&before), all_scores(&after));
        prop_assert_eq!(before.composite.coverage, after.composite.coverage);
        // Under `zero` as well.
        let before = eval(&g.load("zero"), &m);
        let after = eval(&scaled.load("zero"), &m);
        prop_assert_eq!(all_scores(&before), all_scores(&after));
    }

    /// Moving one measured indicator's actual in its better direction (for
    /// a band: toward the band) never lowers the composite.
    #[test]
    fn improving_an_indicator_never_lowers_the_composite(
        (g, v) in card_and_values(),
        pick in any::<Index>(),
        step in positive(),
        frac in 0u32..=4,
    ) {
        let inds = g.indicators();
        let candidates: Vec<usize> = (0..inds.len())
            .filter(|&k| inds[k].formula.is_none() && v.indicators[k].is_some())
            .collect();
        prop_assume!(!candidates.is_empty());
        let k = candidates[pick.index(candidates.len())];
        let a = v.indicators[k].unwrap();
        let better = match &inds[k].rule {
            GRule::Linear { baseline, target, .. } => if target > baseline { a + step } else { a - step },
            GRule::Band { low, high, .. } => {
                let nearest = a.max(*low).min(*high);
                a + (nearest - a) * Decimal::from(frac) / Decimal::from(4)
            }
            GRule::Curve { points } => {
                let scores: Vec<Decimal> = points.iter().map(|p| p.1).collect();
                if scores.windows(2).all(|w| w[0] <= w[1]) {
                    a + step
                } else if scores.windows(2).all(|w| w[0] >= w[1]) {
                    a - step
                } else {
                    // Not monotone: "better" has no direction.
                    a
                }
            }
            GRule::Step { higher, .. } | GRule::Binary { higher, .. } => {
                if *higher { a + step } else { a - step }
            }
        };
        let mut improved = v.clone();
        improved.indicators[k] = Some(better);
        for policy in ["renormalize", "zero"] {
            let card = g.load(policy);
            let before = eval(&card, &v.measurements(&g));
            let after = eval(&card, &improved.measurements(&g));
            let (b, a2) = (before.indicators[k].score.unwrap(), after.indicators[k].score.unwrap());
            prop_assert!(a2 >= b, "k{} itself: {} -> {} scored {} -> {}", k, a, better, b, a2);
            prop_assert!(
                after.composite.score >= before.composite.score,
                "{}: k{} {} -> {} lowered the composite {:?} -> {:?}",
                policy, k, a, better, before.composite.score, after.composite.score
            );
        }
    }

    /// Effective weights are the shares of the composite: they sum to 1.
    #[test]
    fn effective_weights_sum_to_one(g in card()) {
        let card = g.load("renormalize");
        let sum: Decimal = card.indicators.iter().map(|i| i.effective_weight).sum();
        let tolerance = Decimal::from_str("1e-20").unwrap();
        prop_assert!((sum - Decimal::ONE).abs() <= tolerance, "sum of effective weights is {}", sum);
        for i in &card.indicators {
            prop_assert!(i.effective_weight >= Decimal::ZERO && i.effective_weight <= Decimal::ONE);
        }
        // The JSON shows the same weights.
        let e = eval(&card, &Measurements::default());
        let json_sum: Decimal = e.indicators.iter().map(|i| i.effective_weight).sum();
        prop_assert!((json_sum - Decimal::ONE).abs() <= tolerance);
    }

    /// With every value present (and no formula failing) coverage is exactly
    /// 1 and every node has a score; with some missing, coverage is the sum
    /// of the effective weights of the scored indicators, and below 1.
    #[test]
    fn coverage_is_one_when_nothing_is_missing((g, v) in card_and_complete_values()) {
        let card = g.load("renormalize");
        let e = eval(&card, &v.measurements(&g));
        for r in &e.indicators {
            prop_assert!(r.score.is_some(), "{} missing: {:?}", r.id, r.reason);
        }
        prop_assert_eq!(e.composite.coverage, Decimal::ONE);
        // Every node has a score, except ones whose present children all weigh 0.
        prop_assert!(e.composite.score.is_some());
        // Under `error` nothing is missing either.
        let strict = g.load("error");
        prop_assert!(evaluator::evaluate(&strict, &v.measurements(&g), None).is_ok());
    }

    #[test]
    fn coverage_sums_effective_weights_of_scored_indicators((g, v) in card_and_values()) {
        let card = g.load("renormalize");
        let e = eval(&card, &v.measurements(&g));
        let any_missing = e.indicators.iter().any(|r| r.score.is_none());
        if any_missing {
            let expected: Decimal = card
                .indicators
                .iter()
                .zip(&e.indicators)
                .filter(|(_, r)| r.score.is_some())
                .map(|(i, _)| i.effective_weight)
                .sum();
            // Only indicators of weight 0 missing: nothing is uncovered, and
            // coverage is exactly 1 (not a sum rounded to 1.000…1).
            let weightless = card
                .indicators
                .iter()
                .zip(&e.indicators)
                .all(|(i, r)| r.score.is_some() || i.effective_weight.is_zero());
            let expected = if weightless { Decimal::ONE } else { expected.normalize() };
            prop_assert_eq!(e.composite.coverage, expected);
            prop_assert!(e.composite.coverage < Decimal::ONE || card.indicators.iter().zip(&e.indicators).all(|(i, r)| r.score.is_some() || i.effective_weight.is_zero()));
            // Under `error` the run fails and names exactly the missing ids.
            let strict = g.load("error");
            let err = evaluator::evaluate(&strict, &v.measurements(&g), None).unwrap_err();
            let named: Vec<&str> = err.missing.iter().map(|(id, _)| id.as_str()).collect();
            let missing: Vec<&str> = e.indicators.iter().filter(|r| r.score.is_none()).map(|r| r.id.as_str()).collect();
            prop_assert_eq!(named, missing);
        } else {
            prop_assert_eq!(e.composite.coverage, Decimal::ONE);
        }
    }

    /// Counting a missing indicator as 0 can only lower a score: under
    /// `missing = "zero"` the composite (and every perspective and objective)
    /// is at most its `renormalize` value.
    #[test]
    fn zero_policy_never_beats_renormalize((g, v) in card_and_values()) {
        let m = v.measurements(&g);
        let renorm = eval(&g.load("renormalize"), &m);
        let zero = eval(&g.load("zero"), &m);
        let pairs = std::iter::once((zero.composite.score, renorm.composite.score))
            .chain(zero.perspectives.iter().zip(&renorm.perspectives).map(|(z, r)| (z.score, r.score)))
            .chain(zero.objectives.iter().zip(&renorm.objectives).map(|(z, r)| (z.score, r.score)));
        for (z, r) in pairs {
            match (z, r) {
                (Some(z), Some(r)) => prop_assert!(z <= r, "zero {} > renormalize {}", z, r),
                // Nothing scored below this node: renormalize has no score, zero says 0.
                (Some(z), None) => prop_assert_eq!(z, Decimal::ZERO),
                (None, Some(r)) => prop_assert!(false, "zero has no score where renormalize has {}", r),
                (None, None) => {}
            }
        }
        // Indicator results do not depend on the policy.
        for (z, r) in zero.indicators.iter().zip(&renorm.indicators) {
            prop_assert_eq!(z.score, r.score);
            prop_assert_eq!(z.status, r.status);
            prop_assert_eq!(&z.reason, &r.reason);
        }
        prop_assert_eq!(zero.composite.coverage, renorm.composite.coverage);
    }

    /// A portfolio scores unit after unit into the same buffers
    /// (`score_slots_into`): what one unit leaves there, values or gaps,
    /// must not show in the next unit's scores.
    #[test]
    fn reused_buffers_score_like_fresh_ones((g, v) in card_and_values()) {
        let card = g.load("renormalize");
        let prepared = score::Prepared::of(&card);
        // Another unit: the gaps filled, what was there dropped.
        let other = GValues {
            indicators: v.indicators.iter().map(|x| if x.is_some() { None } else { Some(Decimal::ONE) }).collect(),
            inputs: v.inputs.iter().rev().copied().collect(),
        };
        let slots = |v: &GValues| v.measurements(&g).slots(&card);
        let mut reused = score::Scores::default();
        for (first, second) in [(&other, &v), (&v, &other)] {
            score::score_slots_into(&card, &prepared, &slots(first), &mut reused);
            score::score_slots_into(&card, &prepared, &slots(second), &mut reused);
            let fresh = score::score_slots_with(&card, &prepared, &slots(second));
            prop_assert_eq!(format!("{reused:?}"), format!("{fresh:?}"));
        }
    }

    /// A portfolio's `--format json` writes each unit as dressed, without
    /// building its `Evaluation` (`json::write_dressed`): the bytes must be
    /// those of the `Evaluation`, pretty, compact and as an array's
    /// element, with a previous period (its `previous_*` keys) and without,
    /// with the card's bytes copied from its `json::Frames` and without.
    #[test]
    fn dressed_units_write_the_evaluations_json(
        (g, v) in card_and_values(),
        before in prop::collection::vec(prop::option::weighted(0.8, num()), 40),
        unit in "[a-z\"东区 ]{0,6}",
    ) {
        let card = g.load("renormalize");
        let current = v.measurements(&g);
        let mut previous = GValues {
            indicators: before[..v.indicators.len()].to_vec(),
            inputs: v.inputs.clone(),
        }
        .measurements(&g);
        previous.period = "P0".into();
        for files in [vec![&current], vec![&previous, &current]] {
            let labels = files.iter().map(|m| m.period.clone()).collect();
            let plan = bsc::data::period::Plan::last_of(labels)
                .unwrap()
                .looking_back(card.max_lag);
            let block = bsc::data::measurements::observations(&card, files.iter().copied(), &plan);
            let eval = evaluator::Evaluator::new(&card, &plan);
            let rules = eval.rules(&block);
            let (cur, prev) = eval.spans(&block, &rules);
            let owned = eval.dress(&rules, &cur, prev.as_ref(), Some(&unit)).unwrap();
            prop_assert_eq!(owned.composite.previous_score.is_some(), files.len() == 2);
            for (pretty, depth) in [(true, 0), (false, 0), (true, 1)] {
                let mut want = Vec::new();
                json::write(&owned, pretty, depth, &mut want);
                // Plain, with the card's frames, and with frames of
                // another indentation (which must not be used).
                let frames = json::Frames::of(&card, pretty, depth);
                let other = json::Frames::of(&card, pretty, depth + 1);
                for frames in [None, Some(&frames), Some(&other)] {
                    let got = eval
                        .dressed(&rules, &cur, prev.as_ref(), Some(&unit), |d| {
                            let mut got = Vec::new();
                            json::write_dressed(d, frames, pretty, depth, &mut got);
                            got
                        })
                        .unwrap();
                    prop_assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want.clone()).unwrap());
                }
            }
        }
    }
}
