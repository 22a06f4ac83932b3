//! Shortcuts for the scoring arithmetic of a portfolio (a million scores)
//! that give *bit for bit* what the plain `rust_decimal` operations in
//! [`super::score_rule`] and `mean` give, only sooner.
//!
//! Three facts make that possible:
//! - a quotient whose exact value has few digits is what `checked_div`
//!   returns too (it rounds only what does not fit in 28 digits), and
//!   whether it has few digits is one remainder: `n / d` ends iff `d`
//!   without its factors 2 and 5 divides `n` ([`Divisor`]);
//! - a clamp decides a score without the quotient: `n / d >= cap` iff
//!   `|n| >= cap * |d|` (same signs), and rounding never crosses the cap
//!   ([`Linear`], and the prepared rules in `score`);
//! - sums and products are exact in `rust_decimal` while they fit in 96
//!   bits, and otherwise rounded half to even with as few places dropped as
//!   fit, at a scale that follows fixed rules ([`Sum`], [`fit96`]).
//!
//! Anything outside those cases goes to `rust_decimal` itself. Property
//! tests (`score::tests::shortcuts`) compare both ways, mantissa and scale,
//! on random short, long and near-limit decimals.

use std::cmp::Ordering;

use rust_decimal::Decimal;

/// 2^96: `rust_decimal` mantissas are below it.
const U96: u128 = 1 << 96;

/// Quotients at most this large (mantissa, before trailing zeros go) are
/// certainly computed exactly by `checked_div`, which scales its working
/// quotient only while it stays well inside 96 bits.
const EXACT_BELOW: u128 = 1_000_000_000_000_000_000_000_000_000;

/// Largest scale of a shortcut result, to stay clear of the 28 places where
/// `rust_decimal` starts rounding (sums and differences taken later).
const MAX_SCALE: i32 = 26;

/// 10^0 ..= 10^38, every power of ten a `u128` holds.
const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

fn pow10(n: u32) -> Option<u128> {
    POW10.get(n as usize).copied()
}

/// A divisor prepared once for many divisions.
#[derive(Debug, Clone)]
pub struct Divisor {
    value: Decimal,
    scale: i32,
    negative: bool,
    /// The mantissa without its factors 2 and 5.
    odd: u128,
    /// 10^k / (mantissa / odd) for the least such k: dividing by the
    /// mantissa is dividing by `odd`, multiplying by this and shifting the
    /// decimal point `k` places.
    times: u128,
    shift: i32,
}

impl Divisor {
    /// `None` for zero.
    pub fn new(value: Decimal) -> Option<Divisor> {
        if value.is_zero() {
            return None;
        }
        let mut odd = value.mantissa().unsigned_abs();
        let twos = odd.trailing_zeros();
        odd >>= twos;
        let mut fives = 0;
        while odd.is_multiple_of(5) {
            odd /= 5;
            fives += 1;
        }
        let k = twos.max(fives);
        // 10^k / (2^twos * 5^fives) = 2^(k - twos) * 5^(k - fives); k is at
        // most 96, so this may not fit: then there is no shortcut.
        let times = 2u128
            .checked_pow(k - twos)
            .zip(5u128.checked_pow(k - fives))
            .and_then(|(a, b)| a.checked_mul(b));
        Some(Divisor {
            value,
            scale: value.scale() as i32,
            negative: value.is_sign_negative(),
            odd,
            times: times.unwrap_or(0),
            shift: k as i32,
        })
    }

    pub fn value(&self) -> Decimal {
        self.value
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// `num.checked_div(divisor)`, normalized.
    pub fn divide(&self, num: Decimal) -> Option<Decimal> {
        let n = num.mantissa().unsigned_abs();
        self.divide_parts(num, n, num.scale() as i32, num.is_sign_negative())
    }

    /// [`Divisor::divide`] of `num`, whose magnitude, scale and sign the
    /// caller has at hand.
    fn divide_parts(&self, num: Decimal, n: u128, scale: i32, negative: bool) -> Option<Decimal> {
        match self.exact_parts(n, scale, negative) {
            Some(q) => Some(q),
            None => num.checked_div(self.value).map(|q| q.normalize()),
        }
    }

    /// `num.checked_div(divisor)`, normalized when it is short. The same
    /// value, and where its scale could matter (a long quotient, whose
    /// digits fill 28 places) the same scale too.
    pub fn divide_raw(&self, num: Decimal) -> Option<Decimal> {
        self.exact(num).or_else(|| num.checked_div(self.value))
    }

    /// The quotient when its exact value is short; `None` otherwise.
    fn exact(&self, num: Decimal) -> Option<Decimal> {
        self.exact_parts(
            num.mantissa().unsigned_abs(),
            num.scale() as i32,
            num.is_sign_negative(),
        )
    }

    /// [`Divisor::exact`] of the numerator `±n / 10^scale`, normalized.
    fn exact_parts(&self, n: u128, num_scale: i32, num_negative: bool) -> Option<Decimal> {
        if self.times == 0 {
            return None;
        }
        if n == 0 {
            return Some(Decimal::ZERO);
        }
        let q = if self.odd == 1 {
            n
        } else if let (Ok(n64), Ok(d64)) = (u64::try_from(n), u64::try_from(self.odd)) {
            if !n64.is_multiple_of(d64) {
                return None;
            }
            (n64 / d64) as u128
        } else {
            if !n.is_multiple_of(self.odd) {
                return None;
            }
            n / self.odd
        };
        let mut q = q.checked_mul(self.times)?;
        let mut scale = num_scale - self.scale + self.shift;
        if scale < 0 {
            q = q.checked_mul(pow10(scale.unsigned_abs())?)?;
            scale = 0;
        }
        if q >= EXACT_BELOW || scale > 28 {
            return None;
        }
        // Normalized: trailing zeros go (in 64 bits when it fits, where
        // dividing by ten is a multiplication).
        if let Ok(mut q64) = u64::try_from(q) {
            while scale > 0 && q64 % 10 == 0 {
                q64 /= 10;
                scale -= 1;
            }
            q = q64 as u128;
        } else {
            while scale > 0 && q % 10 == 0 {
                q /= 10;
                scale -= 1;
            }
        }
        if scale > MAX_SCALE {
            return None;
        }
        let negative = num_negative != self.negative;
        Some(Decimal::from_i128_with_scale(
            if negative { -(q as i128) } else { q as i128 },
            scale as u32,
        ))
    }
}

/// A linear rule in integers, for the usual actual value with at most 18
/// digits: `score = 100 (a - baseline) / span`, clamped to `[0, cap]`,
/// exactly as [`super::score_rule`] computes it (and `None` whenever this
/// cannot tell, for the general path to answer).
#[derive(Debug, Clone)]
pub struct Linear {
    baseline: i64,
    baseline_scale: u32,
    span: Divisor,
    /// `cap * |span|` as a mantissa and scale (`None` when it overflows a
    /// decimal, so that no numerator reaches it).
    limit: Option<(u64, u32)>,
    cap: Decimal,
}

/// Mantissa and scale of a decimal of at most 18 digits.
fn small(d: Decimal) -> Option<(i64, u32)> {
    let m = i64::try_from(d.mantissa()).ok()?;
    (m.unsigned_abs() < POW10[18] as u64).then_some((m, d.scale()))
}

impl Linear {
    pub fn new(baseline: Decimal, span: Divisor, cap: Decimal) -> Option<Linear> {
        let (b, bs) = small(baseline)?;
        let limit = match cap.checked_mul(span.value.abs()) {
            Some(l) => Some(small(l).map(|(m, s)| (m as u64, s))?),
            None => None,
        };
        Some(Linear {
            baseline: b,
            baseline_scale: bs,
            limit,
            span,
            cap: cap.normalize(),
        })
    }

    pub fn score(&self, a: Decimal) -> Option<Option<Decimal>> {
        let (ma, sa) = small(a)?;
        // (a - baseline) * 100 as rust_decimal writes it: at the larger scale.
        let s = sa.max(self.baseline_scale);
        // Scales reach 28, so these can overflow even 128 bits: checked.
        let at = |m: i64, from: u32| (m as i128).checked_mul(POW10[(s - from) as usize] as i128);
        let num = at(ma, sa)?
            .checked_sub(at(self.baseline, self.baseline_scale)?)?
            .checked_mul(100)?;
        let n = u64::try_from(num.unsigned_abs())
            .ok()
            .filter(|&n| n < POW10[18] as u64)?;
        // |quotient| <= 10^18 * 10^9: far from overflowing.
        if self.span.scale > s as i32 + 9 {
            return None;
        }
        let negative = num < 0;
        if n == 0 || negative != self.span.negative {
            return Some(Some(Decimal::ZERO));
        }
        if let Some((l, ls)) = self.limit {
            // |num| >= limit at a common scale; a side that overflows 128
            // bits when scaled up is the larger.
            let up = |m: u64, by: u32| (m as u128).checked_mul(POW10[by as usize]);
            let at_least = if s >= ls {
                up(l, s - ls).is_some_and(|y| n as u128 >= y)
            } else {
                up(n, ls - s).is_none_or(|x| x >= l as u128)
            };
            if at_least {
                return Some(Some(self.cap));
            }
        }
        let num = Decimal::from_i128_with_scale(num, s);
        Some(self.span.divide_parts(num, n as u128, s as i32, negative))
    }
}

/// `|a|` against `|b|`, exactly.
fn abs_cmp(a: Decimal, b: Decimal) -> Ordering {
    let (ma, sa) = (a.mantissa().unsigned_abs(), a.scale());
    let (mb, sb) = (b.mantissa().unsigned_abs(), b.scale());
    // Bring both to the larger scale; a mantissa that overflows doing so is
    // the larger (the other is below 2^96).
    if sa >= sb {
        match pow10(sa - sb).and_then(|p| mb.checked_mul(p)) {
            Some(mb) => ma.cmp(&mb),
            None => Ordering::Less,
        }
    } else {
        match pow10(sb - sa).and_then(|p| ma.checked_mul(p)) {
            Some(ma) => ma.cmp(&mb),
            None => Ordering::Greater,
        }
    }
}

/// Whether `|a| >= |b|`, exactly.
pub fn abs_ge(a: Decimal, b: Decimal) -> bool {
    abs_cmp(a, b) != Ordering::Less
}

/// `a.cmp(&b)`, without `rust_decimal`'s rescaling for the usual short values.
pub fn cmp(a: Decimal, b: Decimal) -> Ordering {
    let neg = |x: Decimal| x.is_sign_negative() && !x.is_zero();
    match (neg(a), neg(b)) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => abs_cmp(a, b),
        (true, true) => abs_cmp(b, a),
    }
}

/// What `rust_decimal` makes of an exact product or sum `v` at `scale`:
/// `v` itself when it fits in 96 bits; otherwise `v` rounded half to even
/// with as few decimal places dropped as make it fit (`Buf24::rescale`
/// after a multiplication or an unaligned addition, `reduce_scale` after an
/// aligned one). `None` where `rust_decimal` would overflow, or round a
/// second time (rounding up to exactly 2^96): the caller then asks it.
fn fit96(v: u128, scale: u32) -> Option<(u128, u32)> {
    if v < U96 {
        return Some((v, scale));
    }
    // The fewest places k with v / 10^k below 2^96: v < 2^96 * 10^k
    // (which a u128 holds up to k = 9; v < 2^128 needs k <= 10).
    let mut k = 1u32;
    while k < 10 && v >= U96 * POW10[k as usize] {
        k += 1;
    }
    let p = POW10[k as usize];
    if k > scale {
        return None;
    }
    let (q, r) = (v / p, v % p);
    let half = p / 2;
    let q = q + u128::from(r > half || (r == half && q & 1 == 1));
    (q < U96).then_some((q, scale - k))
}

/// `Σ w·s` of non-negative terms, as `rust_decimal`'s `checked_mul` and
/// `checked_add` build it from `Decimal::ZERO`: the same mantissa *and*
/// scale (the scale decides how a later division rounds). `None` on a
/// negative term, or where [`fit96`] cannot follow `rust_decimal`.
///
/// Its rules: a product with a zero factor is `0` at scale 0, else the
/// exact product at the sum of the scales (weights here are whole numbers);
/// adding zero keeps the other operand as it is; otherwise the sum is exact
/// at the larger scale; either is then brought into 96 bits by [`fit96`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Sum {
    mantissa: u128,
    scale: u32,
}

impl Sum {
    /// Adds `w * s` for a whole `w >= 0`.
    pub fn add(&mut self, w: u64, s: Decimal) -> Option<()> {
        if s.is_sign_negative() && !s.is_zero() {
            return None;
        }
        let m = s.mantissa().unsigned_abs();
        if w == 0 || m == 0 {
            return Some(());
        }
        let (t, ts) = fit96(m.checked_mul(w as u128)?, s.scale())?;
        if self.mantissa == 0 {
            (self.mantissa, self.scale) = (t, ts);
            return Some(());
        }
        let (a, b, scale) = if ts >= self.scale {
            let a = self.mantissa.checked_mul(pow10(ts - self.scale)?)?;
            (a, t, ts)
        } else {
            let b = t.checked_mul(pow10(self.scale - ts)?)?;
            (self.mantissa, b, self.scale)
        };
        (self.mantissa, self.scale) = fit96(a.checked_add(b)?, scale)?;
        Some(())
    }

    pub fn value(&self) -> Decimal {
        Decimal::from_i128_with_scale(self.mantissa as i128, self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Exactly what `rust_decimal` gives, normalized.
    fn plain(n: &str, m: &str) -> Option<Decimal> {
        d(n).checked_div(d(m)).map(|q| q.normalize())
    }

    #[test]
    fn short_quotients_are_taken_exactly() {
        for (n, m) in [
            ("1", "8"),
            ("-12.600", "-0.15"),
            ("3000", "40"),
            ("1.5", "0.0004"),
            ("7", "-2.5"),
            ("100", "1"),
        ] {
            let div = Divisor::new(d(m)).unwrap();
            assert!(div.exact(d(n)).is_some(), "{n}/{m}");
            assert_eq!(div.divide(d(n)), plain(n, m), "{n}/{m}");
        }
    }

    #[test]
    fn long_quotients_go_to_rust_decimal() {
        for (n, m) in [("1", "3"), ("-1270", "-0.15"), ("2", "7"), ("1", "0.3")] {
            let div = Divisor::new(d(m)).unwrap();
            assert_eq!(div.exact(d(n)), None, "{n}/{m}");
            assert_eq!(div.divide(d(n)), plain(n, m), "{n}/{m}");
        }
        // Ends, but beyond 26 places.
        let tiny = "0.0000000000000000000000001";
        assert_eq!(Divisor::new(d("8")).unwrap().exact(d(tiny)), None);
        assert!(Divisor::new(Decimal::ZERO).is_none());
    }

    #[test]
    fn comparisons_agree_with_rust_decimal() {
        let xs = [
            "0",
            "-0.000",
            "1.10",
            "1.1",
            "-1.1",
            "120",
            "-7.5",
            "0.0000000000000000000000000001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "33.333333333333333333333333333",
        ];
        for a in xs {
            for b in xs {
                assert_eq!(cmp(d(a), d(b)), d(a).cmp(&d(b)), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn comparisons_of_magnitude() {
        assert!(abs_ge(d("120"), d("120.000")));
        assert!(abs_ge(d("-120.01"), d("120")));
        assert!(!abs_ge(d("119.99"), d("-120")));
        assert!(abs_ge(
            d("79228162514264337593543950335"),
            d("0.0000000000000000000000000001")
        ));
        assert!(!abs_ge(
            d("0.0000000000000000000000000001"),
            d("79228162514264337593543950335")
        ));
    }

    #[test]
    fn sums_match_rust_decimal_digit_for_digit() {
        let terms = [
            (3u64, "0.5"),
            (0, "7.25"),
            (2, "0"),
            (1, "66.666"),
            (5, "1.10"),
        ];
        let mut s = Sum::default();
        let mut r = Decimal::ZERO;
        for (w, x) in terms {
            s.add(w, d(x)).unwrap();
            r = r
                .checked_add(Decimal::from(w).checked_mul(d(x)).unwrap())
                .unwrap();
            assert_eq!(
                (s.value().mantissa(), s.value().scale()),
                (r.mantissa(), r.scale())
            );
        }
        // Sums and products past 96 bits are rounded as rust_decimal rounds
        // them, ties to even included.
        let cases: [&[(u64, &str)]; 4] = [
            &[(3, "79228162514264337593543950.335")],
            &[
                (1, "33.333333333333333333333333333"),
                (2, "66.666666666666666666666666667"),
            ],
            &[
                (1, "3961408125713216879677197516.8"),
                (1, "3961408125713216879677197516.8"),
            ],
            &[
                (7, "12.5"),
                (5, "11.3157894736842105263157894737"),
                (1, "0.0000000000000000000000000005"),
            ],
        ];
        for terms in cases {
            let mut s = Sum::default();
            let mut r = Decimal::ZERO;
            for &(w, x) in terms {
                s.add(w, d(x))
                    .unwrap_or_else(|| panic!("{w} * {x} in {terms:?}"));
                r = r
                    .checked_add(Decimal::from(w).checked_mul(d(x)).unwrap())
                    .unwrap();
            }
            assert_eq!(
                (s.value().mantissa(), s.value().scale()),
                (r.mantissa(), r.scale()),
                "{terms:?}"
            );
        }
        assert_eq!(fit96(U96, 0), None, "would overflow");
    }
}
