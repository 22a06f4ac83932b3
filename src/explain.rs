//! After scoring, why (SPEC §15): how much each indicator carries of the
//! composite and of its change, and how far each declared weight can move
//! before the composite's status changes. Everything is worked out in
//! exact rationals from the model's weights and the evaluation's scores,
//! then rounded once; nothing here scores anything.

use num_bigint::BigInt;
use num_rational::BigRational as Q;
use num_traits::{Signed, Zero};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::model::{MissingPolicy, Node, Scorecard};
use crate::score::{Evaluation, Status};

pub mod portfolio;
pub mod sensitivity;

/// A decimal as an exact rational, in lowest terms. `m / 10^s` can only
/// share factors 2 and 5 with its denominator, and not both once the
/// trailing zeros are gone, so the reduction is a few shifts and
/// divisions of the mantissa rather than the big-integer gcd of
/// `Q::new`, which made this a tenth of a report's explanation
/// (`fast_q_is_q_new` checks it against `Q::new`).
pub fn q(d: Decimal) -> Q {
    let (mut m, mut s) = (d.mantissa(), d.scale());
    if m == 0 {
        return Q::zero();
    }
    while s > 0 && m % 10 == 0 {
        m /= 10;
        s -= 1;
    }
    // Left: 2^twos * 5^fives, one of them possibly below s.
    let (mut twos, mut fives) = (s, s);
    if m % 2 == 0 {
        let k = m.trailing_zeros().min(s);
        m >>= k;
        twos -= k;
    } else {
        while fives > 0 && m % 5 == 0 {
            m /= 5;
            fives -= 1;
        }
    }
    let den = BigInt::from(2u8).pow(twos) * BigInt::from(5u8).pow(fives);
    Q::new_raw(BigInt::from(m), den)
}

/// A rational rounded once to the nearest decimal of 28 significant
/// digits (half to even); `None` beyond the decimal range.
pub fn dec(x: &Q) -> Option<Decimal> {
    crate::score::wide::quotient(x.numer(), x.denom())
}

/// One indicator's share of the composite and of its change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub id: String,
    pub perspective: String,
    pub objective: Option<String>,
    /// Effective weight among the nodes that take part × score.
    pub contribution: Decimal,
    /// The same in the period compared with (absent without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_contribution: Option<Decimal>,
    /// `contribution - previous_contribution`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Decimal>,
}

/// Each indicator's contribution `c_i = e_i * s_i` to a composite, exact:
/// `e_i` is the product along the indicator's path of its weight over the
/// weights of the siblings that take part (all of them under `zero`,
/// where a missing score counts 0; those with a score otherwise).
pub fn exact_contributions(
    card: &Scorecard,
    indicators: &[Option<Decimal>],
    objectives: &[Option<Decimal>],
    perspectives: &[Option<Decimal>],
) -> Vec<Q> {
    let zero = card.missing == MissingPolicy::Zero;
    let takes_part = |s: Option<Decimal>| zero || s.is_some();
    let total = |it: &mut dyn Iterator<Item = (Decimal, Option<Decimal>)>| -> Q {
        it.filter(|(_, s)| takes_part(*s))
            .fold(Q::zero(), |a, (w, _)| a + q(w))
    };
    let node_score = |n: &Node| match n {
        Node::Objective(o) => objectives[*o],
        Node::Indicator(i) => indicators[*i],
    };
    let node_weight = |n: &Node| match n {
        Node::Objective(o) => card.objectives[*o].weight,
        Node::Indicator(i) => card.indicators[*i].weight,
    };
    // Each group's weight taking part, once.
    let root = total(
        &mut card
            .perspectives
            .iter()
            .zip(perspectives)
            .map(|(x, s)| (x.weight, *s)),
    );
    let per_p: Vec<Q> = card
        .perspectives
        .iter()
        .map(|p| total(&mut p.children.iter().map(|c| (node_weight(c), node_score(c)))))
        .collect();
    let per_o: Vec<Q> = card
        .objectives
        .iter()
        .map(|o| {
            total(
                &mut o
                    .indicators
                    .iter()
                    .map(|&j| (card.indicators[j].weight, indicators[j])),
            )
        })
        .collect();
    card.indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| {
            let Some(s) = indicators[i].or(zero.then_some(Decimal::ZERO)) else {
                return Q::zero();
            };
            let p = &card.perspectives[ind.perspective];
            if !takes_part(perspectives[ind.perspective]) {
                return Q::zero();
            }
            let child = match ind.objective {
                Some(o) => Node::Objective(o),
                None => Node::Indicator(i),
            };
            if !takes_part(node_score(&child)) {
                return Q::zero();
            }
            // The product of the shares along the path and the score,
            // left unreduced: a gcd per factor was most of the cost, and
            // rounding needs none.
            let mut path = vec![
                (p.weight, &root),
                (node_weight(&child), &per_p[ind.perspective]),
            ];
            if let Some(o) = ind.objective {
                path.push((ind.weight, &per_o[o]));
            }
            // A share among weightless siblings is 0, as with no weight.
            if path.iter().any(|(_, total)| total.is_zero()) {
                return Q::zero();
            }
            let (mut num, mut den) = (BigInt::from(1u8), BigInt::from(1u8));
            for (w, total) in path {
                let w = q(w);
                num *= w.numer() * total.denom();
                den *= w.denom() * total.numer();
            }
            let s = q(s);
            Q::new_raw(num * s.numer(), den * s.denom())
        })
        .collect()
}

/// The decimal places every number of an explanation is rounded to: as
/// many as leave room for twice the largest cap, so that contributions,
/// their changes and every partial sum are exact decimals (28 digits in
/// all; 25 places for the usual cap of 100).
pub fn places(card: &Scorecard) -> u32 {
    let cap = card
        .indicators
        .iter()
        .map(|i| i.cap)
        .fold(card.max_score, Decimal::max);
    let digits = (cap * Decimal::TWO)
        .trunc()
        .to_string()
        .trim_start_matches('-')
        .len() as u32;
    28u32.saturating_sub(digits)
}

/// `x` rounded to `places` decimal places, half to even.
fn round_q(x: &Q, places: u32) -> Decimal {
    // Lowest terms are not needed to round (nor kept by
    // `exact_contributions`): only a positive denominator.
    let n = x.numer() * BigInt::from(10u8).pow(places);
    let d = x.denom();
    let (quot, rem) = num_integer::Integer::div_mod_floor(&n, d);
    let twice = rem * BigInt::from(2u8);
    let up = match twice.cmp(d) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => num_integer::Integer::is_odd(&quot),
        std::cmp::Ordering::Less => false,
    };
    let m = if up { quot + 1 } else { quot };
    i128::try_from(m)
        .ok()
        .and_then(|m| Decimal::try_from_i128_with_scale(m, places).ok())
        .unwrap_or(Decimal::ZERO)
}

/// Rounds exact contributions to `places` so that they add up to `total`
/// (rounded to the same places) exactly: each is rounded once, and what
/// rounding leaves over (a few units of the last place) goes to the
/// largest.
fn rounded_to(exact: &[Q], total: Option<Decimal>, places: u32) -> Vec<Decimal> {
    let mut out: Vec<Decimal> = exact.iter().map(|c| round_q(c, places)).collect();
    let Some(total) = total else {
        return out;
    };
    let sum: Decimal = out.iter().sum();
    let rest = total - sum;
    if !rest.is_zero()
        && let Some(k) =
            (0..out.len()).max_by(|&a, &b| exact[a].abs().cmp(&exact[b].abs()).then(b.cmp(&a)))
    {
        out[k] += rest;
    }
    out
}

/// The indicators' contributions to the composite of `now` and, when it
/// compares with an earlier period, to the change since then.
pub fn contributions(card: &Scorecard, now: &Evaluation) -> Vec<Contribution> {
    let scores = |e: &Evaluation| {
        (
            e.indicators.iter().map(|r| r.score).collect::<Vec<_>>(),
            e.objectives.iter().map(|r| r.score).collect::<Vec<_>>(),
            e.perspectives.iter().map(|r| r.score).collect::<Vec<_>>(),
        )
    };
    let dp = places(card);
    let round = |d: Option<Decimal>| {
        d.map(|d| d.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointNearestEven))
    };
    let (i, o, p) = scores(now);
    let c_now = rounded_to(
        &exact_contributions(card, &i, &o, &p),
        round(now.composite.score),
        dp,
    );
    // The period compared with, from the previous scores the evaluation
    // carries (a whole previous evaluation is not kept).
    let before = now.composite.previous_score.map(|composite| {
        let i: Vec<_> = now
            .indicators
            .iter()
            .map(|r| r.previous_score.flatten())
            .collect();
        let o: Vec<_> = now
            .objectives
            .iter()
            .map(|r| r.previous_score.flatten())
            .collect();
        let p: Vec<_> = now
            .perspectives
            .iter()
            .map(|r| r.previous_score.flatten())
            .collect();
        rounded_to(&exact_contributions(card, &i, &o, &p), round(composite), dp)
    });
    card.indicators
        .iter()
        .enumerate()
        .map(|(k, ind)| {
            let previous = before.as_ref().map(|b| b[k]);
            Contribution {
                id: ind.id.clone(),
                perspective: card.perspectives[ind.perspective].id.clone(),
                objective: ind.objective.map(|o| card.objectives[o].id.clone()),
                contribution: c_now[k].normalize(),
                previous_contribution: previous.map(|x| x.normalize()),
                change: previous.map(|x| (c_now[k] - x).normalize()),
            }
        })
        .collect()
}

/// What `bsc explain` reports of one evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub period: String,
    /// The period the change is measured from, when there is one.
    pub compared_with: Option<String>,
    pub composite: CompositeChange,
    pub contributions: Vec<Contribution>,
    pub sensitivity: sensitivity::Sensitivity,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompositeChange {
    pub score: Option<Decimal>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_score: Option<Option<Decimal>>,
    /// `score - previous_score`: the sum of the contributions' changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Decimal>,
}

impl Explanation {
    /// Each perspective's share of the composite's change: the sum of its
    /// indicators' changes, in declaration order.
    pub fn perspective_changes(&self, card: &Scorecard) -> Vec<Decimal> {
        let mut out = vec![Decimal::ZERO; card.perspectives.len()];
        for (c, ind) in self.contributions.iter().zip(&card.indicators) {
            if let Some(d) = c.change {
                out[ind.perspective] += d;
            }
        }
        out
    }
}

pub fn explain(card: &Scorecard, e: &Evaluation) -> Explanation {
    // The composite at the places of the contributions, which add up to it.
    let dp = places(card);
    let round = |d: Decimal| {
        d.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointNearestEven)
            .normalize()
    };
    let score = e.composite.score.map(round);
    let previous_score = e.composite.previous_score.map(|p| p.map(round));
    let change = match (score, previous_score) {
        (Some(now), Some(Some(before))) => Some((now - before).normalize()),
        _ => None,
    };
    Explanation {
        period: e.period.clone(),
        compared_with: e.compared_with.clone(),
        composite: CompositeChange {
            score,
            status: e.composite.status,
            previous_score,
            change,
        },
        contributions: contributions(card, e),
        sensitivity: sensitivity::sensitivity(card, e),
    }
}

/// A factor as reports and tables show it: two places, or `1,000,000+`
/// beyond a million (a weight would have to grow that much before the
/// status changes: for a reader, it does not).
pub fn factor_text(d: Decimal, places: u32) -> String {
    if d >= Decimal::from(1_000_000) {
        "1,000,000+".to_string()
    } else {
        crate::format::fixed(d, places)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        /// The shortcut reduction of `q` gives `Q::new`'s lowest terms,
        /// numerator and denominator alike.
        #[test]
        fn fast_q_is_q_new(
            m in prop_oneof![
                any::<i64>().prop_map(i128::from),
                (-(1i128 << 96) + 1)..(1i128 << 96),
                (0u32..40, -9i64..10).prop_map(|(e, k)| i128::from(k) * 10i128.pow(e.min(28))),
                (0u32..90, -9i64..10).prop_map(|(e, k)| i128::from(k) << e.min(90)),
                (0u32..=40, -3i64..4).prop_map(|(e, k)| i128::from(k) * 5i128.pow(e)),
            ],
            scale in 0u32..=28,
        ) {
            let d = Decimal::from_i128_with_scale(m.clamp(-(1i128 << 96) + 1, (1i128 << 96) - 1), scale);
            let plain = Q::new(BigInt::from(d.mantissa()), BigInt::from(10u8).pow(d.scale()));
            let fast = q(d);
            prop_assert_eq!(fast.numer(), plain.numer());
            prop_assert_eq!(fast.denom(), plain.denom());
        }
    }
}
