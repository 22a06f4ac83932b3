//! Period roll-ups: one unit's values over a span of periods, combined per
//! indicator and input by its `aggregate`. Computed indicators are not
//! rolled up: their formulas run afterwards on the rolled-up values, so a
//! year's churn is the year's losses over the year's customers, not the
//! mean of four quarterly rates.
//!
//! Periods without a value: `sum` needs every period of the span (a sum
//! with a hole would understate, so the value is missing with the reason
//! `no value for <period>`); `average` is the mean of the periods that have
//! a value; `first` and `last` are the earliest and the latest value in the
//! span. With no value in any period of the span there is no value.

use std::collections::HashMap;
use std::ops::Range;

use rust_decimal::Decimal;

use crate::model::{Aggregate, Scorecard};
use crate::score::Slots;

use super::UnitBlock;

/// How a run combines the periods of one unit.
pub struct Roller {
    slots: usize,
    /// Aggregate of each slot (indicators, then inputs).
    aggregates: Vec<Aggregate>,
    /// Labels of the kept periods (position 0 = the first kept period).
    labels: Vec<String>,
}

impl Roller {
    pub fn new(card: &Scorecard, labels: Vec<String>) -> Roller {
        let aggregates = card
            .indicators
            .iter()
            .map(|i| i.aggregate)
            .chain(card.inputs.iter().map(|i| i.aggregate))
            .collect();
        Roller {
            slots: crate::score::slot_count(card),
            aggregates,
            labels,
        }
    }

    /// How many periods a grid holds.
    pub fn periods(&self) -> usize {
        self.labels.len()
    }

    /// The unit's values as a grid: `grid[position * slots + slot]`.
    pub fn grid(&self, block: &UnitBlock) -> Vec<Option<Decimal>> {
        let mut grid = Vec::new();
        self.grid_into(block, &mut grid);
        grid
    }

    /// [`Roller::grid`] into `grid`, reusing its buffer.
    pub fn grid_into(&self, block: &UnitBlock, grid: &mut Vec<Option<Decimal>>) {
        grid.clear();
        grid.resize(self.labels.len() * self.slots, None);
        for (key, v) in &block.entries {
            grid[*key as usize] = Some(*v);
        }
    }

    /// The unit's notes by id: in a roll-up, each id's latest note.
    pub fn notes(&self, card: &Scorecard, block: &UnitBlock) -> HashMap<String, String> {
        let mut latest: HashMap<usize, (u32, &str)> = HashMap::new();
        for (key, text) in &block.notes {
            let (pos, slot) = (*key / self.slots as u32, *key as usize % self.slots);
            let e = latest.entry(slot).or_insert((pos, text));
            if pos >= e.0 {
                *e = (pos, text);
            }
        }
        let n = card.indicators.len();
        latest
            .into_iter()
            .map(|(slot, (_, text))| {
                let id = if slot < n {
                    &card.indicators[slot].id
                } else {
                    &card.inputs[slot - n].id
                };
                (id.clone(), text.to_string())
            })
            .collect()
    }

    /// The values of a span of kept positions, rolled up.
    pub fn slots(&self, grid: &[Option<Decimal>], span: Range<usize>) -> Slots {
        let n = self.slots;
        if span.len() == 1 {
            let p = span.start;
            return Slots {
                values: grid[p * n..(p + 1) * n].to_vec(),
                reasons: Vec::new(),
                past: Vec::new(),
            };
        }
        let mut out = Slots {
            values: Vec::with_capacity(n),
            reasons: Vec::new(),
            past: Vec::new(),
        };
        for (s, agg) in self.aggregates.iter().enumerate() {
            let series = span.clone().map(|p| (p, grid[p * n + s]));
            let (v, reason) = combine(*agg, series, &self.labels);
            if let Some(r) = reason {
                out.reasons.push((s, r));
            }
            out.values.push(v);
        }
        out
    }
}

/// Combines one slot's values over the periods of a span (in order).
fn combine(
    agg: Aggregate,
    series: impl Iterator<Item = (usize, Option<Decimal>)>,
    labels: &[String],
) -> (Option<Decimal>, Option<String>) {
    let mut present = 0u32;
    let mut missing: Vec<&str> = Vec::new();
    let mut total = Some(Decimal::ZERO);
    let (mut first, mut last) = (None, None);
    for (p, v) in series {
        match v {
            Some(v) => {
                present += 1;
                total = total.and_then(|t| t.checked_add(v));
                first = first.or(Some(v));
                last = Some(v);
            }
            None => missing.push(&labels[p]),
        }
    }
    if present == 0 {
        return (None, None);
    }
    let overflow = || (None, Some("overflow".to_string()));
    match agg {
        Aggregate::First => (first, None),
        Aggregate::Last => (last, None),
        Aggregate::Sum if !missing.is_empty() => {
            (None, Some(format!("no value for {}", missing.join(", "))))
        }
        Aggregate::Sum => total.map_or_else(overflow, |t| (Some(t), None)),
        Aggregate::Average => match total.and_then(|t| t.checked_div(Decimal::from(present))) {
            Some(m) => (Some(m), None),
            None => overflow(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn run(agg: Aggregate, vals: &[Option<&str>]) -> (Option<Decimal>, Option<String>) {
        let labels: Vec<String> = (1..=vals.len()).map(|q| format!("Q{q}")).collect();
        combine(
            agg,
            vals.iter().enumerate().map(|(i, v)| (i, v.map(d))),
            &labels,
        )
    }

    #[test]
    fn aggregates() {
        let all = [Some("10"), Some("20"), Some("40")];
        assert_eq!(run(Aggregate::Sum, &all), (Some(d("70")), None));
        assert_eq!(run(Aggregate::Last, &all), (Some(d("40")), None));
        assert_eq!(run(Aggregate::First, &all), (Some(d("10")), None));
        // Exact: 70 / 3 to 28 significant digits, not a float.
        assert_eq!(
            run(Aggregate::Average, &all).0.unwrap().round_dp(4),
            d("23.3333")
        );
        assert_eq!(
            run(Aggregate::Average, &[Some("0.1"), Some("0.2")]).0,
            Some(d("0.15"))
        );
    }

    #[test]
    fn holes() {
        let holed = [Some("10"), None, Some("40"), None];
        assert_eq!(
            run(Aggregate::Sum, &holed),
            (None, Some("no value for Q2, Q4".into()))
        );
        assert_eq!(run(Aggregate::Average, &holed), (Some(d("25")), None));
        assert_eq!(run(Aggregate::Last, &holed), (Some(d("40")), None));
        // The earliest value there is, as `last` takes the latest.
        assert_eq!(
            run(Aggregate::First, &[None, Some("7"), Some("9")]),
            (Some(d("7")), None)
        );
        assert_eq!(run(Aggregate::Sum, &[None, None]), (None, None));
    }

    #[test]
    fn overflow_is_a_reason() {
        let big = "79228162514264337593543950335";
        assert_eq!(
            run(Aggregate::Sum, &[Some(big), Some(big)]),
            (None, Some("overflow".into()))
        );
    }
}
