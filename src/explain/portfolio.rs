//! Weight sensitivity of a portfolio (SPEC §15): over every unit of long
//! data, the smallest change of a single weight that changes which unit
//! ranks first, and how many units change status when each weight moves
//! by ±10%.

use num_rational::BigRational as Q;
use rust_decimal::Decimal;
use serde::Serialize;

use super::sensitivity::{Fast, Setup};
use crate::model::Scorecard;
use crate::score::Evaluation;

#[derive(Debug, Clone, Serialize)]
pub struct Portfolio {
    pub period: String,
    pub units: usize,
    /// The unit that ranks first (highest composite; ties: the first).
    pub top: Option<String>,
    /// The single weight whose smallest change puts another unit first.
    pub critical: Option<TopChange>,
    pub weights: Vec<WeightEffect>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopChange {
    pub group: String,
    pub id: String,
    /// The factor of today's weight at which the first place changes
    /// hands, to 1e-6 relative (searched within ×1/81 .. ×81).
    pub factor: Decimal,
    /// The unit that then ranks first.
    pub new_top: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeightEffect {
    pub group: String,
    pub id: String,
    /// Units whose status changes with the weight at ×0.9 / ×1.1.
    pub down_10: usize,
    pub up_10: usize,
}

fn top_of(fast: &[Fast], t: f64) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (u, m) in fast.iter().enumerate() {
        if let Some(s) = m.score(t)
            && best.is_none_or(|(_, b)| s > b)
        {
            best = Some((u, s));
        }
    }
    best.map(|(u, _)| u)
}

pub fn portfolio(card: &Scorecard, units: &[Evaluation]) -> Portfolio {
    let setups: Vec<Setup> = units.iter().map(|e| Setup::new(card, e)).collect();
    let name = |u: usize| units[u].unit.clone().unwrap_or_default();
    let members: Vec<(usize, usize, String, String)> = setups
        .first()
        .map(|s| {
            s.members()
                .map(|(g, m, key, id)| (g, m, key.to_string(), id.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let today: Vec<Fast> = setups.iter().map(|s| s.model(0, 0).fast(s)).collect();
    let top = top_of(&today, 1.0);
    let (down, up) = (Q::new(9.into(), 10.into()), Q::new(11.into(), 10.into()));
    let mut weights = Vec::new();
    let mut critical: Option<(f64, TopChange)> = None;
    for (g, m, key, id) in &members {
        let models: Vec<_> = setups.iter().map(|s| s.model(*g, *m)).collect();
        let changed = |t: &Q| {
            models
                .iter()
                .zip(&setups)
                .filter(|(model, s)| model.status_at(s, card, t) != s.status(card))
                .count()
        };
        weights.push(WeightEffect {
            group: key.clone(),
            id: id.clone(),
            down_10: changed(&down),
            up_10: changed(&up),
        });
        let fast: Vec<Fast> = models.iter().zip(&setups).map(|(m, s)| m.fast(s)).collect();
        let Some(first) = top_of(&fast, 1.0) else {
            continue;
        };
        for up in [true, false] {
            let step: f64 = if up { 1.02 } else { 1.0 / 1.02 };
            let (mut inside, mut t) = (1.0f64, step);
            while (1.0 / 81.0..=81.0).contains(&t) {
                if top_of(&fast, t) != Some(first) {
                    let (mut a, mut b) = (inside.ln(), t.ln());
                    while (b - a).abs() > 1e-7 {
                        let mid = (a + b) / 2.0;
                        if top_of(&fast, mid.exp()) == Some(first) {
                            a = mid
                        } else {
                            b = mid
                        }
                    }
                    let distance = b.abs();
                    if critical.as_ref().is_none_or(|(d, _)| distance < *d) {
                        critical = Some((
                            distance,
                            TopChange {
                                group: key.clone(),
                                id: id.clone(),
                                factor: Decimal::try_from(b.exp()).unwrap_or_default().round_dp(6),
                                new_top: top_of(&fast, b.exp()).map(name).unwrap_or_default(),
                            },
                        ));
                    }
                    break;
                }
                inside = t;
                t *= step;
            }
        }
    }
    Portfolio {
        period: units.first().map(|e| e.period.clone()).unwrap_or_default(),
        units: units.len(),
        top: top.map(name),
        critical: critical.map(|(_, c)| c),
        weights,
    }
}
