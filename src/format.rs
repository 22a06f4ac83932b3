//! Number formatting shared by the terminal table and the reports: scores
//! and values rounded half away from zero (not banker's rounding), percent
//! units, thousands separators.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::{Direction, Indicator, Rule};

/// Rounds half away from zero to `dp` decimals and prints exactly that many.
pub fn fixed(d: Decimal, dp: u32) -> String {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    if r.is_zero() {
        // No "-0.0".
        r = Decimal::ZERO;
    }
    let mut s = String::with_capacity(8);
    if dp == 0 {
        push_plain(&mut s, r);
        return s;
    }
    // `rescale` cannot widen a 28-digit integer part (the mantissa would not
    // fit), so the missing decimals are written as text.
    r.rescale(dp);
    push_plain(&mut s, r);
    let have = r.scale();
    if have < dp {
        if have == 0 {
            s.push('.');
        }
        s.extend(std::iter::repeat_n('0', (dp - have) as usize));
    }
    s
}

/// A fraction as a percent with `dp` decimals (`0.125` → `12.5`). The point
/// moves two places in the scale or in the text, never by multiplying: ×100
/// overflows a `Decimal` from about 7.9e26 on.
pub fn percent(d: Decimal, dp: u32) -> String {
    let scale = d.scale();
    if scale >= 2 {
        // Same mantissa, two places fewer: exact and always representable.
        return fixed(Decimal::from_i128_with_scale(d.mantissa(), scale - 2), dp);
    }
    // An integer once multiplied: the mantissa's digits, then the zeros the
    // two places add beyond the scale.
    let mut s = String::with_capacity(32);
    if d.is_zero() {
        s.push('0');
    } else {
        push_plain(&mut s, Decimal::from_i128_with_scale(d.mantissa(), 0));
        s.push_str(&"00"[scale as usize..]);
    }
    if dp > 0 {
        s.push('.');
        s.extend(std::iter::repeat_n('0', dp as usize));
    }
    s
}

/// Appends `d` exactly as its `Display` writes it (every digit of the
/// mantissa, the point at its scale). Portfolio output prints tens of
/// thousands of 28-digit scores; `rust_decimal` divides its 96-bit mantissa
/// by ten per digit, and the standard library's `u128` printing goes
/// through a formatter: a tenth of a csv-long run. `itoa` writes the
/// digits straight, in 64-bit arithmetic where the mantissa fits.
pub fn push_plain(text: &mut String, d: Decimal) {
    let scale = d.scale() as usize;
    let m = d.mantissa();
    if m < 0 {
        text.push('-');
    }
    let start = text.len();
    let mut digits = itoa::Buffer::new();
    text.push_str(match u64::try_from(m.unsigned_abs()) {
        Ok(small) => digits.format(small),
        Err(_) => digits.format(m.unsigned_abs()),
    });
    if scale == 0 {
        return;
    }
    let digits = text.len() - start;
    if digits > scale {
        text.insert(text.len() - scale, '.');
    } else {
        // 0.00ddd: zeros between the point and the digits.
        let zeros = scale - digits;
        text.insert_str(start, "0.");
        for _ in 0..zeros {
            text.insert(start + 2, '0');
        }
    }
}

/// Inserts thousands separators into the integer part of a plain number.
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// A score as shown to people: fixed decimals per the card's precision.
pub fn score(d: Decimal, precision: u32) -> String {
    fixed(d, precision)
}

/// A signed score change, e.g. `+5.0` or `-2.3`.
pub fn delta(d: Decimal, precision: u32) -> String {
    let s = fixed(d, precision);
    if s.starts_with('-')
        || fixed(d, precision)
            .trim_start_matches(['0', '.'])
            .is_empty()
    {
        if s.starts_with('-') {
            s
        } else {
            format!("±{s}")
        }
    } else {
        format!("+{s}")
    }
}

/// The change between two optional scores (`None` unless both exist).
pub fn change(now: Option<Decimal>, before: Option<Decimal>) -> Option<Decimal> {
    Some(now? - before?)
}

/// Direction and arrow of a change: `("up", "▲")`, `("down", "▼")`,
/// `("flat", "▶")`, or `("none", "")` when there is nothing to compare.
pub fn trend(change: Option<Decimal>) -> (&'static str, &'static str) {
    match change {
        Some(d) if d > Decimal::ZERO => ("up", "▲"),
        Some(d) if d < Decimal::ZERO => ("down", "▼"),
        Some(_) => ("flat", "▶"),
        None => ("none", ""),
    }
}

/// An actual, baseline or target value formatted by unit: `%` shows a
/// fraction as a percent with the card's precision; other values keep their
/// own decimals (at most 4), with thousands separators and the unit.
pub fn value(d: Decimal, unit: Option<&str>, precision: u32) -> String {
    match unit {
        Some("%") => format!("{}%", percent(d, precision)),
        _ => {
            let r = d
                .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
                .normalize();
            let r = if r.is_zero() { Decimal::ZERO } else { r };
            let n = group_thousands(&r.to_string());
            match unit {
                Some(u) if !u.is_empty() => format!("{n} {u}"),
                _ => n,
            }
        }
    }
}

/// A value a rule is written with (a step, a binary target) as text. A `%`
/// value keeps every decimal it has (at least `precision`): a step at
/// 99.95% rounded to "100.0%" would state another rule.
pub fn rule_value(d: Decimal, unit: Option<&str>, precision: u32) -> String {
    match unit {
        Some("%") => {
            let places = d.normalize().scale().saturating_sub(2);
            format!("{}%", percent(d, precision.max(places)))
        }
        _ => value(d, unit, precision),
    }
}

/// The actual value of an indicator as text. Where the rule draws lines (a
/// step, a binary target), the value gets the decimals it needs not to
/// round onto or across one: 0.7999 short of an 80% step shows as
/// 79.99%, not as an 80.0% that scores 0.
pub fn actual(ind: &Indicator, a: Decimal, precision: u32) -> String {
    let unit = ind.unit.as_deref();
    let lines: Vec<Decimal> = match &ind.rule {
        Rule::Step { steps, .. } => steps.iter().map(|s| s.0).collect(),
        Rule::Binary { target, .. } => vec![*target],
        _ => return value(a, unit, precision),
    };
    let percent_unit = unit == Some("%");
    // Decimals of the value itself that `value` shows: a percent shows two
    // more places than its fraction has.
    let shown = if percent_unit { precision + 2 } else { 4 };
    let keeps_sides = |dp: u32| {
        let r = a.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
        lines.iter().all(|l| r.cmp(l) == a.cmp(l))
    };
    let Some(dp) = (shown..=28).find(|&dp| keeps_sides(dp)) else {
        return value(a, unit, precision);
    };
    if dp == shown {
        return value(a, unit, precision);
    }
    let r = a.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    if percent_unit {
        return format!("{}%", percent(r, dp - 2));
    }
    let n = group_thousands(&r.normalize().to_string());
    match unit {
        Some(u) if !u.is_empty() => format!("{n} {u}"),
        _ => n,
    }
}

/// The target of an indicator as text: the linear target, the band
/// `low–high`, or the value a curve first reaches its top score at.
pub fn target(rule: &Rule, unit: Option<&str>, precision: u32) -> String {
    match rule {
        Rule::Linear { target, .. } => value(*target, unit, precision),
        Rule::Band { low, high, .. } => {
            // The unit once, after the range: "1–4 hours", "5.0–10.0%".
            let hi = value(*high, unit, precision);
            let lo = value(*low, unit, precision);
            let suffix = unit
                .filter(|u| !u.is_empty() && *u != "%")
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            format!("{}–{hi}", lo.strip_suffix(&suffix).unwrap_or(&lo))
        }
        Rule::Curve { points } => {
            let top = points.iter().map(|p| p.1).max().unwrap_or_default();
            let v = points
                .iter()
                .find(|p| p.1 == top)
                .map(|p| p.0)
                .unwrap_or_default();
            value(v, unit, precision)
        }
        Rule::Step {
            direction, steps, ..
        } => {
            // The least demanding step that meets the target (100), or
            // the best step when none scores 100.
            let top = steps.iter().map(|p| p.1).max().unwrap_or_default();
            let goal = top.min(Decimal::ONE_HUNDRED);
            let meets = |p: &&(Decimal, Decimal)| p.1 >= goal;
            let v = match direction {
                Direction::Higher => steps.iter().find(meets),
                Direction::Lower => steps.iter().rev().find(meets),
            }
            .map(|p| p.0)
            .unwrap_or_default();
            let sign = if *direction == Direction::Higher {
                "≥"
            } else {
                "≤"
            };
            format!("{sign} {}", value(v, unit, precision))
        }
        Rule::Binary { direction, target } => {
            let sign = if *direction == Direction::Higher {
                "≥"
            } else {
                "≤"
            };
            format!("{sign} {}", value(*target, unit, precision))
        }
    }
}

/// The baseline of an indicator as text (linear only).
pub fn baseline(rule: &Rule, unit: Option<&str>, precision: u32) -> Option<String> {
    match rule {
        Rule::Linear { baseline, .. } => Some(value(*baseline, unit, precision)),
        _ => None,
    }
}

/// A weight share as a percent with one decimal, e.g. `30.0%`.
pub fn share(d: Decimal) -> String {
    format!("{}%", percent(d, 1))
}

/// A share as a setting is written: `0.5` -> `50%`, `0.125` -> `12.5%`
/// (no trailing zeros; at most one decimal).
pub fn setting_share(d: Decimal) -> String {
    let r = (d * Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    format!("{r}%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn stepped(unit: Option<&str>, rule: Rule) -> Indicator {
        Indicator {
            id: "x".into(),
            name: "x".into(),
            description: None,
            owner: None,
            unit: unit.map(str::to_string),
            perspective: 0,
            objective: None,
            weight: Decimal::ONE,
            share: Decimal::ONE,
            effective_weight: Decimal::ONE,
            rule,
            plan: Default::default(),
            direction_stated: true,
            cap: Decimal::ONE_HUNDRED,
            formula: None,
            aggregate: Default::default(),
            status: None,
        }
    }

    #[test]
    fn actuals_never_round_onto_a_step() {
        let ind = stepped(
            Some("%"),
            Rule::Step {
                direction: Direction::Higher,
                steps: vec![(d("0.8"), d("60")), (d("1"), d("100"))],
                below: Decimal::ZERO,
            },
        );
        assert_eq!(actual(&ind, d("0.7999"), 1), "79.99%");
        assert_eq!(actual(&ind, d("0.79999999"), 1), "79.999999%");
        assert_eq!(actual(&ind, d("0.8"), 1), "80.0%");
        assert_eq!(actual(&ind, d("0.95"), 1), "95.0%"); // far from a line
        assert_eq!(actual(&ind, d("0.9996"), 1), "99.96%");
        let count = stepped(
            None,
            Rule::Binary {
                direction: Direction::Lower,
                target: d("3"),
            },
        );
        assert_eq!(actual(&count, d("3.000001"), 1), "3.000001");
        assert_eq!(actual(&count, d("2.5"), 1), "2.5");
    }

    #[test]
    fn rule_values_keep_their_decimals() {
        assert_eq!(rule_value(d("0.9995"), Some("%"), 1), "99.95%");
        assert_eq!(rule_value(d("1.2"), Some("%"), 1), "120.0%");
        assert_eq!(rule_value(d("1.2"), Some("%"), 0), "120%");
        assert_eq!(rule_value(d("40"), None, 1), "40");
    }

    #[test]
    fn setting_share_drops_trailing_zeros() {
        assert_eq!(setting_share(d("0.5")), "50%");
        assert_eq!(setting_share(d("0")), "0%");
        assert_eq!(setting_share(d("1")), "100%");
        assert_eq!(setting_share(d("0.125")), "12.5%");
        assert_eq!(setting_share(d("0.3333333333")), "33.3%");
    }

    proptest::proptest! {
        #[test]
        fn plain_is_display(
            m in proptest::prop_oneof![
                -1_000_000i128..1_000_000,
                -(1i128 << 96) + 1..(1i128 << 96),
            ],
            scale in 0u32..=28,
        ) {
            let d = Decimal::from_i128_with_scale(m, scale);
            for d in [d, d.normalize(), -d] {
                let mut s = String::from("x");
                push_plain(&mut s, d);
                proptest::prop_assert_eq!(&s[1..], d.to_string());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn percent_is_times_hundred(
            m in proptest::prop_oneof![
                -1_000_000i128..1_000_000,
                -(1i128 << 96) + 1..(1i128 << 96),
            ],
            scale in 0u32..=28,
            dp in 0u32..=4,
        ) {
            let d = Decimal::from_i128_with_scale(m, scale);
            let text = percent(d, dp);
            match d.checked_mul(Decimal::ONE_HUNDRED) {
                Some(x) => proptest::prop_assert_eq!(text, fixed(x, dp)),
                // Where ×100 overflows, the integer digits are the mantissa's
                // and the decimals are all zero.
                None => {
                    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
                    proptest::prop_assert!(int.trim_start_matches('-').len() >= 29);
                    proptest::prop_assert_eq!(frac.len(), dp as usize);
                }
            }
        }
    }

    #[test]
    fn plain_edge_cases() {
        for x in [
            "0",
            "-0",
            "0.000",
            "-0.000",
            "1.10",
            "0.0000000000000000000000000001",
            "-79228162514264337593543950335",
            "7922816251426433759354395033.5",
        ] {
            let mut s = String::new();
            push_plain(&mut s, d(x));
            assert_eq!(s, d(x).to_string(), "{x}");
        }
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(fixed(d("2.25"), 1), "2.3"); // banker's would give 2.2
        assert_eq!(fixed(d("-2.25"), 1), "-2.3");
        assert_eq!(fixed(d("86.666"), 1), "86.7");
        assert_eq!(fixed(d("80"), 1), "80.0");
        assert_eq!(fixed(d("-0.01"), 1), "0.0");
        assert_eq!(fixed(d("0.5"), 0), "1");
    }

    #[test]
    fn values_by_unit() {
        assert_eq!(value(d("0.12"), Some("%"), 1), "12.0%");
        assert_eq!(value(d("0.0385"), Some("%"), 1), "3.9%");
        assert_eq!(value(d("1240"), Some("USD"), 1), "1,240 USD");
        assert_eq!(value(d("860000"), None, 1), "860,000");
        assert_eq!(
            value(d("-1234567.123456"), Some("元"), 1),
            "-1,234,567.1235 元"
        );
        assert_eq!(value(d("4.40"), None, 1), "4.4");
    }

    #[test]
    fn percents_never_overflow() {
        // ×100 of these overflows a Decimal; the point is moved in the text.
        assert_eq!(
            value(Decimal::MAX, Some("%"), 1),
            "7922816251426433759354395033500.0%"
        );
        assert_eq!(
            value(Decimal::MIN, Some("%"), 0),
            "-7922816251426433759354395033500%"
        );
        assert_eq!(
            value(d("790000000000000000000000000"), Some("%"), 2),
            "79000000000000000000000000000.00%"
        );
        assert_eq!(
            value(d("7.9e26"), Some("%"), 0),
            "79000000000000000000000000000%"
        );
        // Scale 1: one zero appended, none from the point.
        assert_eq!(
            value(d("7922816251426433759354395033.5"), Some("%"), 1),
            "792281625142643375935439503350.0%"
        );
        // Scale 28: the whole mantissa still fits once the point moves.
        assert_eq!(
            value(d("7.9228162514264337593543950335"), Some("%"), 1),
            "792.3%"
        );
        assert_eq!(
            value(d("0.0000000000000000000000000001"), Some("%"), 1),
            "0.0%"
        );
        assert_eq!(
            value(d("-0.0000000000000000000000000001"), Some("%"), 1),
            "0.0%"
        );
        assert_eq!(value(d("0.00005"), Some("%"), 2), "0.01%");
        assert_eq!(value(d("-0.12345"), Some("%"), 2), "-12.35%");
        assert_eq!(value(d("-1"), Some("%"), 0), "-100%");
        assert_eq!(share(Decimal::MAX), "7922816251426433759354395033500.0%");
    }

    #[test]
    fn fixed_pads_where_the_scale_cannot_grow() {
        // 28 digits: a 29th decimal digit does not fit the mantissa.
        assert_eq!(fixed(Decimal::MAX, 2), "79228162514264337593543950335.00");
        assert_eq!(
            fixed(d("7922816251426433759354395033.5"), 0),
            "7922816251426433759354395034"
        );
        assert_eq!(fixed(Decimal::MIN, 1), "-79228162514264337593543950335.0");
    }

    #[test]
    fn deltas_carry_a_sign() {
        assert_eq!(delta(d("5"), 1), "+5.0");
        assert_eq!(delta(d("-2.34"), 1), "-2.3");
        assert_eq!(delta(d("0.01"), 1), "±0.0");
    }
}
