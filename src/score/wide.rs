//! The exact fallback of the scoring maths: rationals over big integers,
//! rounded to a decimal once, at the end.
//!
//! `rust_decimal` keeps 96 bits of mantissa, so a weighted mean of AHP
//! weights (28 digits each) times scores overflows its sums, and a linear
//! rule with an actual of 1e27 overflows `100 * (a - baseline)` — yet both
//! results are ordinary numbers: a mean lies between its scores, and a
//! clamped score is the clamp. SPEC §16 says neither may be lost. Here the
//! same formulas are taken exactly, with no bound on the size of the
//! intermediates, and the result is rounded as `checked_div` rounds a
//! quotient: half to even, at the largest scale (at most 28) at which the
//! mantissa fits in 96 bits. So where the decimal route gives a result
//! without rounding on the way, this gives the same digits.

use std::cmp::Ordering;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use ruint::Uint;
use rust_decimal::Decimal;

use crate::model::Rule;

/// An exact rational `num / den`, `den > 0`; not reduced (nothing here
/// needs it, and the values live for one score).
#[derive(Debug, Clone)]
pub struct Ratio {
    num: BigInt,
    den: BigInt,
}

impl Ratio {
    pub fn of(d: Decimal) -> Ratio {
        Ratio {
            num: BigInt::from(d.mantissa()),
            den: BigInt::from(10u8).pow(d.scale()),
        }
    }

    fn int(n: i64) -> Ratio {
        Ratio {
            num: BigInt::from(n),
            den: BigInt::from(1u8),
        }
    }

    pub(super) fn add(&self, o: &Ratio) -> Ratio {
        Ratio {
            num: &self.num * &o.den + &o.num * &self.den,
            den: &self.den * &o.den,
        }
    }

    pub(super) fn sub(&self, o: &Ratio) -> Ratio {
        Ratio {
            num: &self.num * &o.den - &o.num * &self.den,
            den: &self.den * &o.den,
        }
    }

    pub(super) fn mul(&self, o: &Ratio) -> Ratio {
        Ratio {
            num: &self.num * &o.num,
            den: &self.den * &o.den,
        }
    }

    /// `None` when `o` is zero.
    pub(super) fn div(&self, o: &Ratio) -> Option<Ratio> {
        if o.num.sign() == Sign::NoSign {
            return None;
        }
        let (num, den) = (&self.num * &o.den, &self.den * &o.num);
        Some(if den.sign() == Sign::Minus {
            Ratio {
                num: -num,
                den: -den,
            }
        } else {
            Ratio { num, den }
        })
    }

    fn cmp(&self, o: &Ratio) -> Ordering {
        (&self.num * &o.den).cmp(&(&o.num * &self.den))
    }

    fn clamp(self, lo: Decimal, hi: Decimal) -> Result<Decimal, Ratio> {
        if self.cmp(&Ratio::of(lo)) != Ordering::Greater {
            Ok(lo)
        } else if self.cmp(&Ratio::of(hi)) != Ordering::Less {
            Ok(hi)
        } else {
            Err(self)
        }
    }

    /// Whether `self` is within `10^-digits` relative of `exact` (tests).
    #[cfg(test)]
    pub(super) fn within(&self, exact: &Ratio, digits: u32) -> bool {
        let diff = self.sub(exact);
        let abs = |r: &Ratio| Ratio {
            num: r.num.magnitude().clone().into(),
            den: r.den.clone(),
        };
        let tol = abs(exact).mul(&Ratio {
            num: BigInt::from(1u8),
            den: BigInt::from(10u8).pow(digits),
        });
        abs(&diff).cmp(&tol) != Ordering::Greater
    }

    /// The decimal nearest `num / den` as `checked_div` picks it (module
    /// doc), normalized; `None` when even the integer part needs more than
    /// 96 bits.
    pub fn round(&self) -> Option<Decimal> {
        quotient(&self.num, &self.den)
    }
}

/// `n / d` (`d > 0`) rounded half to even at the largest scale `k <= 28`
/// whose mantissa fits in 96 bits, normalized.
pub fn quotient(n: &BigInt, d: &BigInt) -> Option<Decimal> {
    debug_assert!(d.sign() == Sign::Plus);
    let negative = n.sign() == Sign::Minus;
    let (n, d) = (n.magnitude(), d.magnitude());
    let limit = BigUint::from(1u8) << 96u32;
    // The integer part's digits bound how many places fit: start there
    // instead of trying all 29 scales.
    let whole_digits = (n / d).to_string().len() as u32;
    let start = 28u32.min(29u32.saturating_sub(whole_digits));
    for k in (0..=start).rev() {
        let (q, r) = (n * BigUint::from(10u8).pow(k)).div_rem(d);
        let twice = r << 1u32;
        let q = match twice.cmp(d) {
            Ordering::Greater => q + 1u8,
            Ordering::Equal if q.is_odd() => q + 1u8,
            _ => q,
        };
        if q < limit {
            let m = i128::try_from(q).expect("below 2^96");
            let m = if negative { -m } else { m };
            return Some(Decimal::from_i128_with_scale(m, k).normalize());
        }
    }
    None
}

/// The weighted mean `sum(w_i * s_i) / sum(w_i)` of the pairs given,
/// exact until the one rounding; `None` when the weights sum to 0.
pub fn mean(pairs: impl Iterator<Item = (Decimal, Decimal)> + Clone) -> Option<Decimal> {
    // Fixed widths first: whole weights in 64-bit halves (a card's usual
    // groups), 256 bits for scores of up to 28 places under any weights that
    // fit, 512 bits for 28-digit weights (AHP) too; big integers whatever
    // is left.
    mean_whole(pairs.clone())
        .or_else(|| mean_fixed::<256, 4>(pairs.clone()))
        .or_else(|| mean_fixed::<512, 8>(pairs.clone()))
        .unwrap_or_else(|| mean_big(pairs))
}

type U256 = Uint<256, 4>;

/// [`mean_fixed`] of a card's usual group: whole weights below 2^64, and
/// scores below 2^128 at their common scale. Each product is two 64-bit by
/// 64-bit halves, not a 256-bit multiplication: the same sum, the same
/// quotient, and a ranking in 0.86× the time (docs/performance.md).
fn mean_whole(pairs: impl Iterator<Item = (Decimal, Decimal)> + Clone) -> Option<Option<Decimal>> {
    let (mut ss, mut any) = (0, false);
    for (w, s) in pairs.clone() {
        if w.scale() != 0 || w.is_sign_negative() || s.is_sign_negative() || w.mantissa() >> 64 != 0
        {
            return None;
        }
        (ss, any) = (ss.max(s.scale()), true);
    }
    if !any {
        return Some(None);
    }
    let (mut num, mut den) = (U256::ZERO, 0u128);
    for (w, s) in pairs {
        let w = w.mantissa() as u128;
        let m = s
            .mantissa()
            .unsigned_abs()
            .checked_mul(10u128.checked_pow(ss - s.scale())?)?;
        // w * m = w * low + (w * high) << 64, each below 2^128.
        let (low, high) = (w * (m as u64 as u128), w * (m >> 64));
        let (l1, carry) = ((low >> 64) as u64).overflowing_add(high as u64);
        let limbs = [low as u64, l1, (high >> 64) as u64 + carry as u64, 0];
        num = num.checked_add(U256::from_limbs(limbs))?;
        den = den.checked_add(w)?;
    }
    if den == 0 {
        return Some(None);
    }
    quotient_fixed(num, U256::from(den).checked_mul(ten_to(ss)?)?)
}

/// `10^k` for `k <= 76`.
fn ten_to<const B: usize, const L: usize>(k: u32) -> Option<Uint<B, L>> {
    // 10^38 is the largest power of ten in a u128.
    let t = |k: u32| Uint::<B, L>::from(10u128.pow(k));
    if k <= 38 {
        Some(t(k))
    } else {
        t(38).checked_mul(t(k - 38))
    }
}

/// [`mean`] in `B`-bit integers, without allocating: the same formula and
/// the same one rounding. `None` where it cannot be taken so (a negative
/// weight or score, or intermediates beyond `B` bits): a wider type then
/// takes it.
fn mean_fixed<const B: usize, const L: usize>(
    pairs: impl Iterator<Item = (Decimal, Decimal)> + Clone,
) -> Option<Option<Decimal>> {
    let (mut ws, mut ss, mut any) = (0, 0, false);
    for (w, s) in pairs.clone() {
        if w.is_sign_negative() || s.is_sign_negative() {
            return None;
        }
        (ws, ss, any) = (ws.max(w.scale()), ss.max(s.scale()), true);
    }
    if !any {
        return Some(None);
    }
    // Over the common scales every term is an integer.
    let up = |d: Decimal, to: u32| {
        let m = Uint::<B, L>::from(d.mantissa().unsigned_abs());
        match to - d.scale() {
            0 => Some(m),
            k => m.checked_mul(ten_to(k)?),
        }
    };
    let (mut num, mut den) = (Uint::<B, L>::ZERO, Uint::<B, L>::ZERO);
    for (w, s) in pairs {
        let w = up(w, ws)?;
        num = num.checked_add(w.checked_mul(up(s, ss)?)?)?;
        den = den.checked_add(w)?;
    }
    if den.is_zero() {
        return Some(None);
    }
    quotient_fixed(num, den.checked_mul(ten_to(ss)?)?)
}

/// [`quotient`] of `n / d` (`d > 0`) in `B`-bit integers; `None` where
/// `n * 10^k` would not fit.
fn quotient_fixed<const B: usize, const L: usize>(
    n: Uint<B, L>,
    d: Uint<B, L>,
) -> Option<Option<Decimal>> {
    let one = Uint::<B, L>::from(1u8);
    let whole = n / d;
    // The integer part's digits bound how many places fit.
    let whole_digits = (1..=38)
        .find(|&k| ten_to::<B, L>(k).is_some_and(|t| t > whole))
        .unwrap_or(39);
    let start = 28u32.min(29u32.saturating_sub(whole_digits));
    for k in (0..=start).rev() {
        let (q, r) = n.checked_mul(ten_to(k)?)?.div_rem(d);
        // `2r` against `d` without the doubling, which could overflow.
        let q = match r.cmp(&(d - r)) {
            Ordering::Greater => q + one,
            Ordering::Equal if q.bit(0) => q + one,
            _ => q,
        };
        if q.bit_len() <= 96 {
            let m = u128::try_from(q).expect("below 2^96") as i128;
            return Some(Some(Decimal::from_i128_with_scale(m, k).normalize()));
        }
    }
    Some(None)
}

/// [`mean`] in big integers: any weights and scores.
fn mean_big(pairs: impl Iterator<Item = (Decimal, Decimal)>) -> Option<Decimal> {
    // Over the common scales of the weights and of the scores every term
    // is an integer, so the sums need no fractions.
    let pairs: Vec<(Decimal, Decimal)> = pairs.collect();
    let ws = pairs.iter().map(|(w, _)| w.scale()).max()?;
    let ss = pairs.iter().map(|(_, s)| s.scale()).max()?;
    let ten = BigInt::from(10u8);
    let (mut num, mut den) = (BigInt::ZERO, BigInt::ZERO);
    for (w, s) in &pairs {
        let w = BigInt::from(w.mantissa()) * ten.pow(ws - w.scale());
        let s = BigInt::from(s.mantissa()) * ten.pow(ss - s.scale());
        num += &w * s;
        den += w;
    }
    match den.sign() {
        Sign::NoSign => None,
        Sign::Minus => quotient(&-num, &(-den * ten.pow(ss))),
        Sign::Plus => quotient(&num, &(den * ten.pow(ss))),
    }
}

/// A rule's score of `a`, exactly as SPEC §4 states it, clamped to
/// `0..cap`. Never fails: a clamped score is the clamp, and anything
/// between 0 and `cap` fits a decimal. For what the decimal route cannot
/// take (an actual of 1e27 against a target of 1).
pub fn score(rule: &Rule, cap: Decimal, a: Decimal) -> Decimal {
    let hundred = Ratio::int(100);
    let x = Ratio::of(a);
    let s = match rule {
        Rule::Linear { baseline, target } => {
            let b = Ratio::of(*baseline);
            match hundred.mul(&x.sub(&b)).div(&Ratio::of(*target).sub(&b)) {
                Some(s) => s,
                // Validation rules out baseline == target; score it 0.
                None => return Decimal::ZERO,
            }
        }
        Rule::Band {
            low,
            high,
            tolerance,
        } => {
            let d = if a < *low {
                Ratio::of(*low).sub(&x)
            } else if a > *high {
                x.sub(&Ratio::of(*high))
            } else {
                return Decimal::ONE_HUNDRED;
            };
            match hundred.mul(&d).div(&Ratio::of(*tolerance)) {
                Some(falloff) => hundred.sub(&falloff),
                None => return Decimal::ZERO,
            }
        }
        Rule::Curve { points } => {
            let (Some(first), Some(last)) = (points.first(), points.last()) else {
                return Decimal::ZERO;
            };
            if a <= first.0 {
                Ratio::of(first.1)
            } else if a >= last.0 {
                Ratio::of(last.1)
            } else {
                let w = points
                    .windows(2)
                    .find(|w| a >= w[0].0 && a <= w[1].0)
                    .expect("a lies between the first and last points");
                let ((v0, s0), (v1, s1)) = (w[0], w[1]);
                let t = x
                    .sub(&Ratio::of(v0))
                    .mul(&Ratio::of(s1).sub(&Ratio::of(s0)))
                    .div(&Ratio::of(v1).sub(&Ratio::of(v0)))
                    .expect("points strictly increase");
                Ratio::of(s0).add(&t)
            }
        }
        // Comparisons only: the decimal route never fails on them.
        Rule::Step {
            direction,
            steps,
            below,
        } => return super::step_score(*direction, steps, *below, a).normalize(),
        Rule::Binary { direction, target } => {
            return super::binary_score(*direction, *target, a);
        }
    };
    let top = if matches!(rule, Rule::Band { .. }) {
        Decimal::ONE_HUNDRED
    } else {
        cap
    };
    match s.clamp(Decimal::ZERO, top) {
        Ok(bound) => bound.normalize(),
        // Strictly between 0 and the cap: it fits.
        Err(s) => s.round().expect("a score within 0..cap fits a decimal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// A decimal of any size and scale, sign included.
    fn any_decimal() -> impl Strategy<Value = Decimal> {
        (any::<u128>(), 0u32..=28, any::<bool>(), 0u32..=96).prop_map(|(m, scale, neg, bits)| {
            let m = (m % (1u128 << 96)) >> (96 - bits.min(96));
            let mut x = Decimal::from_i128_with_scale(m as i128, scale);
            x.set_sign_negative(neg);
            x
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The rounding is `checked_div`'s, wherever that has a result:
        /// the decimal route and this one give the same digits.
        #[test]
        fn quotient_rounds_as_checked_div(n in any_decimal(), m in any_decimal()) {
            prop_assume!(!m.is_zero());
            if let Some(q) = n.checked_div(m) {
                let r = Ratio::of(n).div(&Ratio::of(m)).unwrap();
                prop_assert_eq!(r.round().map(|x| (x.mantissa(), x.scale())),
                    Some((q.normalize().mantissa(), q.normalize().scale())), "{} / {}", n, m);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The 512-bit mean is the big-integer one wherever it is taken,
        /// and it is taken for any non-negative weights and scores.
        #[test]
        fn fixed_mean_is_big_mean(pairs in prop::collection::vec((any_decimal(), any_decimal()), 0..24)) {
            let fixed = mean_fixed::<512, 8>(pairs.iter().copied());
            let negative = pairs.iter().any(|(w, s)| w.is_sign_negative() || s.is_sign_negative());
            prop_assert_eq!(fixed.is_none(), negative);
            if let Some(m) = fixed {
                let big = mean_big(pairs.iter().copied());
                prop_assert_eq!(m.map(|x| (x.mantissa(), x.scale())), big.map(|x| (x.mantissa(), x.scale())));
            }
        }

        /// Scores as scoring makes them (0 to 120, up to 28 places) under
        /// small whole weights: what every group mean of a card looks like.
        #[test]
        fn fixed_mean_of_scores(pairs in prop::collection::vec((0u64..1000, 0u128..1_200_000_000_000_000_000_000_000_000_000u128, 0u32..=28), 1..40)) {
            let pairs: Vec<(Decimal, Decimal)> = pairs
                .into_iter()
                .map(|(w, m, s)| (Decimal::from(w), Decimal::from_i128_with_scale((m % (1u128 << 96)) as i128, s)))
                .collect();
            let fixed = mean_fixed::<256, 4>(pairs.iter().copied()).expect("in 256 bits");
            prop_assert_eq!(fixed, mean_big(pairs.iter().copied()));
            // It may decline (a score beyond 2^128 at the common scale).
            if let Some(whole) = mean_whole(pairs.iter().copied()) {
                prop_assert_eq!(whole, fixed);
            }
        }
    }

    #[test]
    fn means_round_ties_to_even() {
        let tiny = |m: i64| Decimal::new(m, 28);
        for (s, want) in [(1, 0), (3, 2), (5, 2), (7, 4)] {
            let pairs = [(d("1"), tiny(s)), (d("1"), d("0"))];
            let want = Some(tiny(want).normalize());
            assert_eq!(mean_fixed::<256, 4>(pairs.into_iter()), Some(want));
            assert_eq!(mean_whole(pairs.into_iter()), Some(want));
            assert_eq!(mean_big(pairs.into_iter()), want);
        }
    }

    #[test]
    fn means_of_long_weights_have_a_score() {
        let third = d("0.3333333333333333333333333333");
        let m = mean([(third, d("70.9")), (third, d("80")), (third, d("90.1"))].into_iter());
        assert_eq!(m, Some(d("80.333333333333333333333333333")));
        // Mixed magnitudes: the light child moves the mean by 1e-26.
        let m = mean([(d("1e13"), d("50")), (d("1e-14"), d("100"))].into_iter()).unwrap();
        assert_eq!(m, d("50.000000000000000000000000050"));
    }

    #[test]
    fn clamped_scores_need_no_quotient() {
        let lin = Rule::Linear {
            baseline: d("0"),
            target: d("1"),
        };
        assert_eq!(score(&lin, d("100"), d("1e27")), d("100"));
        assert_eq!(
            score(&lin, d("120"), d("-79228162514264337593543950335")),
            d("0")
        );
        let band = Rule::Band {
            low: d("1"),
            high: d("2"),
            tolerance: d("0.5"),
        };
        assert_eq!(
            score(&band, d("100"), d("79228162514264337593543950335")),
            d("0")
        );
        assert_eq!(score(&band, d("100"), d("2.25")), d("50"));
    }
}
