//! The one shortcut of the scoring arithmetic of a portfolio (a million
//! scores): a rule's score of the usual actual value in integers, *bit for
//! bit* what the plain `rust_decimal` operations in [`super::score_rule`]
//! give, only sooner. It earns its keep: a 10,000-unit ranking takes 9%
//! longer without it (docs/performance.md, *Shortcuts*). Weighted means
//! need none: `wide::mean` takes them exactly in fixed-width integers.
//!
//! Four facts make that possible:
//! - a quotient whose exact value has few digits is what `checked_div`
//!   returns too (it rounds only what does not fit in 28 digits), and
//!   whether it has few digits is one remainder: `n / d` ends iff `d`
//!   without its factors 2 and 5 divides `n` ([`Divisor`]);
//! - any other quotient is, in `checked_div`, the exact quotient rounded
//!   half to even at the largest scale (at most 28) where its integer part
//!   fits in 96 bits, less the trailing zeros its `unscale` takes; for a
//!   divisor mantissa below 2^32 one long division in 64-bit steps gives
//!   it ([`widest`], [`quotient_raw`], [`div_normalized`]);
//! - a clamp decides a score without the quotient: `n / d >= cap` iff
//!   `|n| >= cap * |d|` (same signs), and rounding never crosses the cap
//!   ([`Linear`]);
//! - sums and products are exact in `rust_decimal` while they fit in 96
//!   bits, and otherwise rounded half to even with as few places dropped as
//!   fit, at a scale that follows fixed rules ([`Sum`], [`fit96`]).
//!
//! With them the usual actual value (at most 18 digits, or a formula's
//! quotient) is scored in integers from end to end ([`Linear`], [`Band`],
//! [`Curve`]), and the score comes back [`Packed`] in registers. Anything
//! outside those cases goes to `rust_decimal` itself. Property tests
//! (`score::tests::shortcuts` for the rules, `props` here for
//! the division) compare both ways, mantissa and scale, on random short,
//! long and near-limit decimals.

use std::cmp::Ordering;

use rust_decimal::Decimal;

/// 2^96: `rust_decimal` mantissas are below it.
const U96: u128 = 1 << 96;

/// Quotients at most this large (mantissa, before trailing zeros go) are
/// certainly computed exactly by `checked_div`, which scales its working
/// quotient only while it stays well inside 96 bits.
const EXACT_BELOW: u128 = 1_000_000_000_000_000_000_000_000_000;

/// A scale no decimal has: "no result" in 16-byte results.
const NO_SCALE: u32 = u32::MAX;

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

/// Largest mantissa `q` with `q * 10^x` below 2^96, for x = 0..=9.
const FITS: [u128; 10] = {
    let mut t = [0u128; 10];
    let mut i = 0;
    while i < 10 {
        t[i] = (U96 - 1) / POW10[i];
        i += 1;
    }
    t
};

/// 5^-k modulo 2^128 for k = 0..=8: 10^k divides `q` iff the low k bits of
/// `q` are zero and `(q >> k) * 5^-k` (wrapping) is at most
/// `u128::MAX / 5^k`, and then that product *is* `q / 10^k`. Multiplications
/// instead of `u128` divisions, which are slow library calls.
const INV5: [u128; 9] = {
    let mut t = [1u128; 9];
    let mut k = 1;
    while k < 9 {
        let f = POW10[k] >> k;
        // Newton's iteration doubles the correct low bits; an odd f is its
        // own inverse to 3 bits, and 3 * 2^6 >= 128.
        let mut inv = f;
        let mut i = 0;
        while i < 6 {
            inv = inv.wrapping_mul(2u128.wrapping_sub(f.wrapping_mul(inv)));
            i += 1;
        }
        t[k] = inv;
        k += 1;
    }
    t
};

/// [`INV5`] modulo 2^64, for [`strip_zeros64`].
const INV5_64: [u64; 9] = {
    let mut t = [0u64; 9];
    let mut k = 0;
    while k < 9 {
        t[k] = INV5[k] as u64;
        k += 1;
    }
    t
};

/// [`strip_zeros`] in 64 bits: tests by multiplication, not a chain of
/// divisions by ten.
#[inline]
fn strip_zeros64(m: u64, scale: u32) -> (u64, u32) {
    if m == 0 {
        return (0, 0);
    }
    let exact = |m: u64, k: usize| {
        if m.trailing_zeros() < k as u32 {
            return None;
        }
        let x = (m >> k).wrapping_mul(INV5_64[k]);
        (x <= u64::MAX / (POW10[k] >> k) as u64).then_some(x)
    };
    strip_by(m, scale, exact)
}

/// Takes trailing zeros off `m / 10^scale` (down to scale 0), where
/// `exact(m, k)` is `m / 10^k` when 10^k divides `m`: steps of eight while
/// they go, then one step each of four, two and one for the at most seven
/// left.
#[inline]
fn strip_by<T: Copy>(mut m: T, mut scale: u32, exact: impl Fn(T, usize) -> Option<T>) -> (T, u32) {
    while scale >= 8
        && let Some(x) = exact(m, 8)
    {
        (m, scale) = (x, scale - 8);
    }
    for k in [4, 2, 1] {
        if scale >= k
            && let Some(x) = exact(m, k as usize)
        {
            (m, scale) = (x, scale - k);
        }
    }
    (m, scale)
}

/// `q / 10^k` when 10^k divides `q` (k = 1..=8), else `None`.
#[inline]
fn div_pow10_exact(q: u128, k: usize) -> Option<u128> {
    if q.trailing_zeros() < k as u32 {
        return None;
    }
    let x = (q >> k).wrapping_mul(INV5[k]);
    (x <= u128::MAX / (POW10[k] >> k)).then_some(x)
}

/// `m / 10^scale` without trailing zeros: what `normalize` leaves.
fn strip_zeros(m: u128, scale: u32) -> (u128, u32) {
    if m == 0 {
        return (0, 0);
    }
    strip_by(m, scale, div_pow10_exact)
}

/// `rust_decimal`'s `unscale` after a division with a remainder: steps of
/// eight zeros only while the low 32 bits are zero, then one step each of
/// four, two and one; so it may leave trailing zeros (0.50 for 1 / 2).
fn unscale(m: u128, scale: u32) -> (u128, u32) {
    strip_by(m, scale, |m, k| {
        if k == 8 && m as u32 != 0 {
            None
        } else {
            div_pow10_exact(m, k)
        }
    })
}

/// A divisor mantissa below 2^32 with its reciprocal `floor((2^64 - 1) /
/// d)`: a 64-bit step of a long division is then two multiplications and
/// at most one correction, cheaper than a hardware division (and a `u128`
/// division is a slow library call).
#[derive(Debug, Clone, Copy)]
struct Small {
    d: u64,
    m: u64,
}

impl Small {
    fn new(d: u64) -> Small {
        debug_assert!(d != 0 && d >> 32 == 0);
        Small { d, m: u64::MAX / d }
    }

    /// `(x / d, x % d)`.
    #[inline]
    fn divrem(self, x: u64) -> (u64, u64) {
        // d m > 2^64 - 1 - d, so x m / 2^64 > x / d - x / 2^64 > x / d - 1:
        // the estimate is the quotient or one less.
        let q = ((x as u128 * self.m as u128) >> 64) as u64;
        let r = x - q * self.d;
        if r >= self.d {
            (q + 1, r - self.d)
        } else {
            (q, r)
        }
    }
}

/// `(n / d, n % d)` in 64-bit steps.
#[inline]
fn divrem32(n: u128, d: Small) -> (u128, u64) {
    let (hi, lo) = ((n >> 64) as u64, n as u64);
    if hi == 0 {
        let (q, r) = d.divrem(lo);
        return (q as u128, r);
    }
    let (qh, r) = d.divrem(hi);
    // r < d < 2^32: each step's quotient is below 2^32.
    let (qm, r) = d.divrem((r << 32) | (lo >> 32));
    let (ql, r) = d.divrem((r << 32) | (lo & 0xFFFF_FFFF));
    (((qh as u128) << 64) | ((qm << 32) | ql) as u128, r)
}

/// `q` rounded half to even by the remainder `r` of a division by `d`;
/// `None` when that reaches 2^96 (where `rust_decimal` drops a place).
#[inline]
fn round_half_even(q: u128, r: u64, Small { d, .. }: Small) -> Option<u128> {
    // r < d < 2^32: 2r does not overflow.
    let up = 2 * r > d || (2 * r == d && q & 1 == 1);
    let q = q + u128::from(up);
    (q < U96).then_some(q)
}

/// The quotient of `n / 10^s0` by `d` (`0 < n < 2^96`, `0 < d < 2^32`,
/// `0 <= s0 <= 28`) at the largest scale `s <= 28` where its integer part
/// `floor(n 10^(s - s0) / d)` fits in 96 bits: that integer part, `s`, and
/// the remainder.
///
/// That scale is where `checked_div` stops: it takes up to nine more places
/// at a time while they fit (`find_scale`), and one place back, rounded,
/// when the last step overflows; the exact quotient, rounded half to even
/// at that scale, is its result unless the quotient ends sooner.
#[inline]
fn widest(n: u128, s0: u32, d: Small) -> (u128, u32, u64) {
    debug_assert!(n != 0 && n < U96 && s0 <= 28);
    // n 10^k < d 2^96 (floor(n 10^k / d) < 2^96): with g the difference in
    // bits (at least 1: n has at most 96, d 2^96 at least 97), any
    // 10^k <= 2^(g - 1) is sure to fit, and at most one place more can.
    let limit = (d.d as u128) << 96;
    let g = n.leading_zeros() - limit.leading_zeros();
    let k_max = 28 - s0;
    // 1233 / 4096 is just below log10(2).
    let mut k = (((g - 1) * 1233) >> 12).min(k_max);
    let mut m = n * POW10[k as usize];
    while k < k_max {
        match m.checked_mul(10) {
            Some(x) if x < limit => (m, k) = (x, k + 1),
            _ => break,
        }
    }
    let (q, r) = divrem32(m, d);
    (q, s0 + k, r)
}

/// `checked_div` of `±n / 10^s0` by a divisor mantissa `d` the way it goes
/// when the exact quotient ends within 96 bits: up to nine places at a time
/// (fewer near 96 bits or scale 28), stopping at the first step without a
/// remainder, so trailing zeros depend on the steps. A transcription of
/// `div_impl` and `div_remainder_32` for `0 <= s0 <= 28`.
fn steps(n: u128, s0: u32, d: Small) -> Option<(u128, u32)> {
    let (mut q, mut r) = divrem32(n, d);
    if r == 0 {
        // Without a remainder the quotient is taken as it is: not unscaled.
        return Some((q, s0));
    }
    let mut s = s0;
    while r != 0 {
        let x = if s == 28 {
            0
        } else {
            (FITS.iter().rposition(|&f| q <= f).unwrap_or(0) as u32).min(28 - s)
        };
        if x == 0 {
            q = round_half_even(q, r, d)?;
            break;
        }
        let p = POW10[x as usize] as u64;
        // r < 2^32, p < 2^30: no overflow; q * p fits in 96 bits (FITS).
        let (rq, rr) = d.divrem(r * p);
        (q, r, s) = (q * p as u128 + rq as u128, rr, s + x);
        if q >= U96 {
            // One place back (q < 2^96 + 2^30), rounded half to even with
            // the remainder as a sticky digit (`unscale_from_overflow`).
            let (q10, digit) = (q / 10, q % 10);
            let up = digit > 5 || (digit == 5 && (r != 0 || q10 & 1 == 1));
            (q, s) = (q10 + u128::from(up), s - 1);
            break;
        }
    }
    Some(unscale(q, s))
}

/// `num / den` as `checked_div` computes it (mantissa *and* scale), for a
/// numerator scale at least the divisor's and a divisor mantissa `d`
/// below 2^32; `None` when this cannot follow it (then ask `checked_div`).
#[inline]
fn quotient_raw(n: u128, s0: i32, d: Small) -> Option<(u128, u32)> {
    if n == 0 {
        return Some((0, 0));
    }
    let s0 = u32::try_from(s0).ok()?;
    let (q, s, r) = widest(n, s0, d);
    if r == 0 {
        // The quotient ends: where the steps stop decides the scale.
        return steps(n, s0, d);
    }
    Some(unscale(round_half_even(q, r, d)?, s))
}

/// [`quotient_raw`], normalized: the scale of the steps does not matter.
#[inline]
fn quotient_normalized(n: u128, s0: i32, d: Small) -> Option<(u128, u32)> {
    if n == 0 {
        return Some((0, 0));
    }
    let s0 = u32::try_from(s0).ok()?;
    let (q, s, r) = widest(n, s0, d);
    Some(strip_zeros(round_half_even(q, r, d)?, s))
}

/// A decimal from its magnitude (below 2^96), scale and sign (none for 0).
#[inline]
fn decimal(m: u128, scale: u32, negative: bool) -> Decimal {
    debug_assert!(m < U96 && scale <= 28);
    Decimal::from_parts(
        m as u32,
        (m >> 32) as u32,
        (m >> 64) as u32,
        negative,
        scale,
    )
}

/// A score on its way out of the shortcuts: an `Option<Decimal>` in one
/// `u128` (the magnitude in the low 96 bits, then the scale and the sign),
/// or [`Packed::UNKNOWN`] where a shortcut cannot tell. Sixteen bytes come
/// back from a function in registers; an `Option<Decimal>` (twenty) comes
/// back through memory, written field by field and read in wider pieces,
/// which stalls the processor (no store-to-load forwarding) on every score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed(u128);

impl Packed {
    /// No value: an overflow.
    pub const NONE: Packed = Packed(1 << 127);
    /// Ask the general path.
    pub const UNKNOWN: Packed = Packed(1 << 126);

    #[inline]
    fn new(m: u128, scale: u32, negative: bool) -> Packed {
        debug_assert!(m < U96 && scale <= 28);
        Packed(m | (scale as u128) << 96 | (negative as u128) << 104)
    }

    #[inline]
    pub fn of(d: Option<Decimal>) -> Packed {
        match d {
            Some(d) => Packed::new(d.mantissa().unsigned_abs(), d.scale(), d.is_sign_negative()),
            None => Packed::NONE,
        }
    }

    pub fn is_unknown(self) -> bool {
        self == Packed::UNKNOWN
    }

    /// Magnitude, scale and sign (not of [`Packed::NONE`] or `UNKNOWN`).
    #[inline]
    fn parts(self) -> (u128, u32, bool) {
        (
            self.0 & (U96 - 1),
            (self.0 >> 96) as u32 & 0xFF,
            self.0 >> 104 & 1 == 1,
        )
    }

    /// The value (not for [`Packed::UNKNOWN`]).
    #[inline]
    pub fn get(self) -> Option<Decimal> {
        debug_assert!(!self.is_unknown());
        (self != Packed::NONE).then(|| {
            let (m, scale, negative) = self.parts();
            decimal(m, scale, negative)
        })
    }
}

/// The divisor mantissa of the long division when it takes it.
#[inline]
fn small_divisor(den: Decimal) -> Option<Small> {
    let d = den.mantissa().unsigned_abs();
    (d != 0 && d >> 32 == 0).then(|| Small::new(d as u64))
}

/// `num / den` by `quotient` (of magnitude, scale difference and divisor
/// mantissa) when the divisor mantissa is below 2^32; `None` when it does
/// not answer.
#[inline]
fn by_small(
    num: Decimal,
    den: Decimal,
    quotient: impl Fn(u128, i32, Small) -> Option<(u128, u32)>,
) -> Option<Decimal> {
    let d = small_divisor(den)?;
    let s0 = num.scale() as i32 - den.scale() as i32;
    let (q, s) = quotient(num.mantissa().unsigned_abs(), s0, d)?;
    Some(decimal(
        q,
        s,
        num.is_sign_negative() != den.is_sign_negative(),
    ))
}

/// `num.checked_div(den)`, bit for bit: mantissa and scale. What
/// [`Divisor::divide_raw`] does past its short quotients, for any divisor;
/// the tests hold it against `checked_div`.
#[cfg(test)]
pub fn div(num: Decimal, den: Decimal) -> Option<Decimal> {
    by_small(num, den, quotient_raw).or_else(|| num.checked_div(den))
}

/// `num.checked_div(den)`, normalized.
pub fn div_normalized(num: Decimal, den: Decimal) -> Option<Decimal> {
    by_small(num, den, quotient_normalized).or_else(|| num.checked_div(den).map(|q| q.normalize()))
}

/// A divisor prepared once for many divisions.
#[derive(Debug, Clone)]
pub struct Divisor {
    value: Decimal,
    scale: i32,
    negative: bool,
    /// The mantissa without its factors 2 and 5.
    odd: u128,
    /// `odd^-1` modulo 2^128, and `u128::MAX / odd` (and the same for 64
    /// bits): `odd` divides `n` iff `n * odd^-1` (wrapping) is at most
    /// that, and then the product is `n / odd`; a multiplication instead of
    /// a division (Granlund and Montgomery).
    inverse: u128,
    most: u128,
    most64: u64,
    /// 10^k / (mantissa / odd) for the least such k: dividing by the
    /// mantissa is dividing by `odd`, multiplying by this and shifting the
    /// decimal point `k` places.
    times: u128,
    shift: i32,
    /// The mantissa when it is below 2^32, for [`quotient_normalized`] and
    /// [`quotient_raw`].
    small: Option<Small>,
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
        // Newton's iteration doubles the correct low bits of the inverse;
        // an odd number is its own inverse to 3 bits, and 3 * 2^6 >= 128.
        let mut inverse = odd;
        for _ in 0..6 {
            inverse = inverse.wrapping_mul(2u128.wrapping_sub(odd.wrapping_mul(inverse)));
        }
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
            inverse,
            most: u128::MAX / odd,
            most64: u64::try_from(odd).map_or(0, |o| u64::MAX / o),
            times: times.unwrap_or(0),
            shift: k as i32,
            small: small_divisor(value),
        })
    }

    /// `num.checked_div(divisor)`, normalized.
    #[cfg(test)]
    pub fn divide(&self, num: Decimal) -> Option<Decimal> {
        let n = num.mantissa().unsigned_abs();
        self.divide_parts(n, num.scale() as i32, num.is_sign_negative())
            .get()
    }

    /// [`Divisor::divide`] of `±n / 10^scale`.
    #[inline]
    fn divide_parts(&self, n: u128, scale: i32, negative: bool) -> Packed {
        let negative_quotient = negative != self.negative;
        if let Ok(n) = u64::try_from(n) {
            let (q, s) = self.exact_small(n, scale);
            if s != NO_SCALE {
                return Packed::new(q as u128, s, negative_quotient);
            }
        }
        if let Some((q, s)) = self.exact_mantissa(n, scale) {
            return Packed::new(q, s, negative_quotient);
        }
        if let Some(d) = self.small
            && let Some((q, s)) = quotient_normalized(n, scale - self.scale, d)
        {
            return Packed::new(q, s, negative_quotient);
        }
        let num = decimal(n, scale as u32, negative);
        Packed::of(num.checked_div(self.value).map(|q| q.normalize()))
    }

    /// `num.checked_div(divisor)`, normalized when it is short. The same
    /// value, and where its scale could matter (a long quotient, whose
    /// digits fill 28 places) the same scale too.
    pub fn divide_raw(&self, num: Decimal) -> Option<Decimal> {
        if let Some(q) = self.exact(num) {
            return Some(q);
        }
        let s0 = num.scale() as i32 - self.scale;
        if let Some(d) = self.small
            && let Some((q, s)) = quotient_raw(num.mantissa().unsigned_abs(), s0, d)
        {
            return Some(decimal(q, s, num.is_sign_negative() != self.negative));
        }
        num.checked_div(self.value)
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
    #[inline]
    fn exact_parts(&self, n: u128, num_scale: i32, num_negative: bool) -> Option<Decimal> {
        let (q, scale) = self.exact_mantissa(n, num_scale)?;
        Some(decimal(q, scale, num_negative != self.negative))
    }

    /// [`Divisor::exact_mantissa`] in 64 bits, for the usual short
    /// numerator; `NO_SCALE` for the scale where this cannot tell (a long
    /// quotient, or one this leaves to the general case). Sixteen bytes:
    /// returned in registers.
    #[inline]
    fn exact_small(&self, n: u64, num_scale: i32) -> (u64, u32) {
        const NO: (u64, u32) = (0, NO_SCALE);
        let Ok(times) = u64::try_from(self.times) else {
            return NO;
        };
        let q = if self.odd == 1 {
            n
        } else {
            // most64 is 0 for an odd part of more than 64 bits: no n.
            let q = n.wrapping_mul(self.inverse as u64);
            if q > self.most64 {
                return NO;
            }
            q
        };
        let scale = num_scale - self.scale + self.shift;
        let Some(q) = q.checked_mul(times) else {
            return NO;
        };
        if !(0..=28).contains(&scale) || times == 0 {
            return NO;
        }
        let (q, scale) = strip_zeros64(q, scale as u32);
        if scale > MAX_SCALE as u32 {
            NO
        } else {
            (q, scale)
        }
    }

    /// [`Divisor::exact_parts`] as the magnitude and scale of the quotient.
    #[inline]
    fn exact_mantissa(&self, n: u128, num_scale: i32) -> Option<(u128, u32)> {
        if let Ok(n) = u64::try_from(n) {
            let (q, scale) = self.exact_small(n, num_scale);
            if scale != NO_SCALE {
                return Some((q as u128, scale));
            }
        }
        if self.times == 0 {
            return None;
        }
        if n == 0 {
            return Some((0, 0));
        }
        let q = if self.odd == 1 {
            n
        } else if let Ok(n64) = u64::try_from(n)
            && self.most64 != 0
        {
            // The inverse modulo 2^64 is the low half of the one modulo 2^128.
            let q = n64.wrapping_mul(self.inverse as u64);
            if q > self.most64 {
                return None;
            }
            q as u128
        } else {
            let q = n.wrapping_mul(self.inverse);
            if q > self.most {
                return None;
            }
            q
        };
        let mut q = match (u64::try_from(q), u64::try_from(self.times)) {
            (Ok(q), Ok(t)) => q as u128 * t as u128,
            _ => q.checked_mul(self.times)?,
        };
        let mut scale = num_scale - self.scale + self.shift;
        if scale < 0 {
            q = q.checked_mul(pow10(scale.unsigned_abs())?)?;
            scale = 0;
        }
        if q >= EXACT_BELOW || scale > 28 {
            return None;
        }
        // Normalized: trailing zeros go (in 64 bits when it fits).
        let (q, scale) = match u64::try_from(q) {
            Ok(q) => {
                let (q, scale) = strip_zeros64(q, scale as u32);
                (q as u128, scale)
            }
            Err(_) => strip_zeros(q, scale as u32),
        };
        (scale <= MAX_SCALE as u32).then_some((q, scale))
    }
}

/// Mantissa and scale of a decimal of at most 18 digits.
#[inline]
fn small(d: Decimal) -> Option<(i64, u32)> {
    let m = i64::try_from(d.mantissa()).ok()?;
    (m.unsigned_abs() < POW10[18] as u64).then_some((m, d.scale()))
}

/// 10^0 ..= 10^18, as `i64`.
const POW10_I64: [i64; 19] = {
    let mut t = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Two small decimals at their larger scale, as `rust_decimal` aligns them
/// to add, subtract or compare; `None` where that leaves 64 bits (the
/// general path answers then).
#[inline]
fn aligned(a: (i64, u32), b: (i64, u32)) -> Option<(i128, i128, u32)> {
    let s = a.1.max(b.1);
    let up = |(m, from): (i64, u32)| m.checked_mul(*POW10_I64.get((s - from) as usize)?);
    Some((up(a)? as i128, up(b)? as i128, s))
}

/// Whether `n / 10^s >= l / 10^ls`; a side that leaves 64 bits (or the
/// table) when brought to the larger scale is the larger (both are below
/// 10^18).
#[inline]
fn at_least(n: u64, s: u32, (l, ls): (u64, u32)) -> bool {
    let up = |m: u64, by: u32| match POW10_I64.get(by as usize) {
        Some(&p) => m.checked_mul(p as u64),
        None => (m == 0).then_some(0),
    };
    if s >= ls {
        up(l, s - ls).is_some_and(|y| n >= y)
    } else {
        up(n, ls - s).is_none_or(|x| x >= l)
    }
}

/// A positive decimal of at most 18 digits as a mantissa and scale: the
/// limits a numerator is held against (`None`: the limit overflows a
/// decimal and no numerator reaches it; `Err`: not short).
fn limit(l: Option<Decimal>) -> Result<Option<(u64, u32)>, ()> {
    match l {
        Some(l) => small(l).map(|(m, s)| Some((m as u64, s))).ok_or(()),
        None => Ok(None),
    }
}

/// A linear rule in integers, for the usual actual value (at most 18
/// digits, or a long one against a short baseline): `score = 100 (a -
/// baseline) / span`, clamped to `[0, cap]`, exactly as
/// [`super::score_rule`] computes it ([`Packed::UNKNOWN`] whenever this
/// cannot tell, for the general path to answer).
#[derive(Debug, Clone)]
pub struct Linear {
    baseline: (i64, u32),
    span: Divisor,
    /// `cap * |span|` as a mantissa and scale (`None` when it overflows a
    /// decimal, so that no numerator reaches it).
    limit: Option<(u64, u32)>,
    /// Normalized.
    cap: Packed,
}

impl Linear {
    pub fn new(baseline: Decimal, span: Divisor, cap: Decimal) -> Option<Linear> {
        Some(Linear {
            baseline: small(baseline)?,
            limit: limit(cap.checked_mul(span.value.abs())).ok()?,
            span,
            cap: Packed::of(Some(cap.normalize())),
        })
    }

    pub fn score(&self, a: Decimal) -> Packed {
        // (a - baseline) * 100 as rust_decimal writes it: at the larger scale.
        let Some(short) = small(a) else {
            return self.score_long(a);
        };
        let Some((a, b, s)) = aligned(short, self.baseline) else {
            return Packed::UNKNOWN;
        };
        let diff = a - b;
        // |numerator| < 10^18, for the limit and the divisor's shortcuts;
        // |quotient| <= 10^18 * 10^9: far from overflowing.
        if diff.unsigned_abs() >= POW10[16] || self.span.scale > s as i32 + 9 {
            return Packed::UNKNOWN;
        }
        let n = diff.unsigned_abs() as u64 * 100;
        let negative = diff < 0;
        if n == 0 || negative != self.span.negative {
            return Packed::new(0, 0, false);
        }
        if self.limit.is_some_and(|l| at_least(n, s, l)) {
            return self.cap;
        }
        self.span.divide_parts(n as u128, s as i32, negative)
    }

    /// [`Linear::score`] of a long actual value (a formula's quotient of
    /// 28 digits): `a - baseline` exact at the scale of `a`, times 100
    /// rounded into 96 bits as rust_decimal rounds a product ([`fit96`]).
    fn score_long(&self, a: Decimal) -> Packed {
        let (ma, sa) = (a.mantissa().unsigned_abs(), a.scale());
        let (mb, sb) = self.baseline;
        let Some(b) = sa
            .checked_sub(sb)
            .and_then(|by| scale_up(mb.unsigned_abs() as u128, by))
            .filter(|&b| b < U96)
        else {
            return Packed::UNKNOWN;
        };
        let signed = |m: u128, negative: bool| if negative { -(m as i128) } else { m as i128 };
        let diff = signed(ma, a.is_sign_negative()) - signed(b, mb < 0);
        if diff.unsigned_abs() >= U96 {
            return Packed::UNKNOWN;
        }
        let Some((n, s)) = fit96(diff.unsigned_abs() * 100, sa) else {
            return Packed::UNKNOWN;
        };
        // |quotient| <= n 10^(span scale - s) <= n / 100 < 10^27: far from
        // overflowing.
        if self.span.scale > s as i32 - 2 {
            return Packed::UNKNOWN;
        }
        let negative = diff < 0;
        if n == 0 || negative != self.span.negative {
            return Packed::new(0, 0, false);
        }
        if let Some((l, ls)) = self.limit {
            let at_least = if s >= ls {
                scale_up(l as u128, s - ls).is_some_and(|l| n >= l)
            } else {
                scale_up(n, ls - s).is_none_or(|n| n >= l as u128)
            };
            if at_least {
                return self.cap;
            }
        }
        self.span.divide_parts(n, s as i32, negative)
    }
}

/// A band rule in integers, for the usual actual value with at most 18
/// digits: 100 inside `[low, high]`, else `100 - 100 d / tolerance` at the
/// distance `d`, at least 0; as [`super::score_rule`] computes it when the
/// falloff is short, [`Packed::UNKNOWN`] otherwise (the general path
/// answers).
#[derive(Debug, Clone)]
pub struct Band {
    low: (i64, u32),
    high: (i64, u32),
    /// Positive.
    tolerance: Divisor,
    /// `100 * tolerance` (`None`: no numerator reaches it).
    limit: Option<(u64, u32)>,
}

impl Band {
    /// `None` unless the bounds are short and the tolerance positive.
    pub fn new(low: Decimal, high: Decimal, tolerance: Divisor) -> Option<Band> {
        if tolerance.negative {
            return None;
        }
        Some(Band {
            low: small(low)?,
            high: small(high)?,
            limit: limit(tolerance.value.checked_mul(Decimal::ONE_HUNDRED)).ok()?,
            tolerance,
        })
    }

    pub fn score(&self, a: Decimal) -> Packed {
        self.try_score(a).unwrap_or(Packed::UNKNOWN)
    }

    #[inline]
    fn try_score(&self, a: Decimal) -> Option<Packed> {
        let a = small(a)?;
        // The distance at the larger scale of `a` and the bound, as
        // rust_decimal subtracts.
        let (a1, low, s1) = aligned(a, self.low)?;
        let (d, s) = if a1 < low {
            (low - a1, s1)
        } else {
            let (a2, high, s2) = aligned(a, self.high)?;
            if a2 <= high {
                return Some(Packed::new(100, 0, false));
            }
            (a2 - high, s2)
        };
        // x = 100 d below 10^18, and the falloff x / tolerance far from
        // overflowing (as in `Linear`).
        if d >= POW10[16] as i128 || self.tolerance.scale > s as i32 + 9 {
            return None;
        }
        let x = d as u64 * 100;
        if self.limit.is_some_and(|l| at_least(x, s, l)) {
            return Some(Packed::new(0, 0, false));
        }
        // 0 < falloff < 100, with at most 26 places: 100 - falloff is exact.
        let (q, fs) = self.tolerance.exact_mantissa(x as u128, s as i32)?;
        let rest = 100 * POW10[fs as usize] - q;
        let (m, scale) = match u64::try_from(rest) {
            Ok(r) => {
                let (m, scale) = strip_zeros64(r, fs);
                (m as u128, scale)
            }
            Err(_) => strip_zeros(rest, fs),
        };
        Some(Packed::new(m, scale, false))
    }
}

/// A curve rule for an actual value with at most 18 digits: the score
/// between the points, clamped and normalized, as [`super::score_rule`]
/// computes it ([`Packed::UNKNOWN`] when this cannot tell).
#[derive(Debug, Clone)]
pub struct Curve {
    /// The points' values, increasing, and their scores.
    values: Vec<(i64, u32)>,
    scores: Vec<Decimal>,
    /// Per segment: `s1 - s0`, and `v1 - v0` as a divisor.
    rises: Vec<(i64, u32)>,
    runs: Vec<Divisor>,
    /// The cap, normalized: mantissa and scale.
    cap: (u128, u32),
}

impl Curve {
    /// `None` unless the points' values and the rises are short, and the
    /// cap is not negative.
    pub fn new(
        points: &[(Decimal, Decimal)],
        segments: &[(Decimal, Divisor)],
        cap: Decimal,
    ) -> Option<Curve> {
        let cap = cap.normalize();
        if cap.is_sign_negative() {
            return None;
        }
        Some(Curve {
            cap: (cap.mantissa().unsigned_abs(), cap.scale()),
            values: points.iter().map(|p| small(p.0)).collect::<Option<_>>()?,
            scores: points.iter().map(|p| p.1).collect(),
            rises: segments.iter().map(|s| small(s.0)).collect::<Option<_>>()?,
            runs: segments.iter().map(|s| s.1.clone()).collect(),
        })
    }

    /// The score clamped to `[0, cap]` and normalized, [`Packed::NONE`] on
    /// overflow.
    pub fn score(&self, a: Decimal) -> Packed {
        match self.try_score(a) {
            Some(s) if s != Packed::NONE => self.clamp(s),
            Some(s) => s,
            None => Packed::UNKNOWN,
        }
    }

    /// A negative score is 0, one above the cap the cap.
    #[inline]
    fn clamp(&self, s: Packed) -> Packed {
        let (m, scale, negative) = s.parts();
        if negative {
            return Packed::new(0, 0, false);
        }
        let (cap, cap_scale) = self.cap;
        // Compared at the larger scale; a side that overflows is the larger.
        let above = if scale >= cap_scale {
            scale_up(cap, scale - cap_scale).is_some_and(|c| m > c)
        } else {
            scale_up(m, cap_scale - scale).is_none_or(|x| x > cap)
        };
        let (m, scale) = if above {
            self.cap
        } else {
            strip_zeros(m, scale)
        };
        Packed::new(m, scale, false)
    }

    #[inline]
    fn try_score(&self, a: Decimal) -> Option<Packed> {
        let a = small(a)?;
        let cmp = |v: (i64, u32)| aligned(a, v).map(|(a, v, _)| a.cmp(&v));
        let last = self.values.len() - 1;
        if cmp(self.values[0])? != Ordering::Greater {
            return Some(Packed::of(Some(self.scores[0])));
        }
        if cmp(self.values[last])? != Ordering::Less {
            return Some(Packed::of(Some(self.scores[last])));
        }
        // The first segment with v0 < a <= v1.
        let mut i = 0;
        while cmp(self.values[i + 1])? == Ordering::Greater {
            i += 1;
        }
        // (a - v0) * rise: exact in rust_decimal below 96 bits and 28 places.
        let (a0, v0, s) = aligned(a, self.values[i])?;
        let (rise, rise_scale) = self.rises[i];
        let scale = s + rise_scale;
        let num = (a0 - v0).checked_mul(rise as i128)?;
        if scale > 28 || num.unsigned_abs() >= U96 {
            return None;
        }
        let (run, s0) = (&self.runs[i], self.scores[i]);
        let negative = (num < 0) != run.negative;
        let Some((q, ts)) = run.exact_mantissa(num.unsigned_abs(), scale as i32) else {
            // A long quotient: its digits and scale as rust_decimal has them
            // (what `divide_raw` does past `exact`), then added as it adds.
            let raw = run
                .small
                .and_then(|d| quotient_raw(num.unsigned_abs(), scale as i32 - run.scale, d));
            return Some(match raw {
                Some((q, ts)) => add_packed(s0, q, ts, negative),
                None => {
                    let num = decimal(num.unsigned_abs(), scale, num < 0);
                    Packed::of(run.divide_raw(num).and_then(|t| add(s0, t)))
                }
            });
        };
        // s0 + t, both short: exact at the larger scale, if it fits.
        let (m0, sc0) = (s0.mantissa(), s0.scale());
        let sum_scale = sc0.max(ts);
        let t = if negative { -(q as i128) } else { q as i128 };
        let sum = m0
            .checked_mul(POW10[(sum_scale - sc0) as usize] as i128)?
            .checked_add(t.checked_mul(POW10[(sum_scale - ts) as usize] as i128)?)?;
        if sum.unsigned_abs() >= U96 {
            return None;
        }
        Some(Packed::new(sum.unsigned_abs(), sum_scale, sum < 0))
    }
}

/// `a.checked_add(±t / 10^ts)` (`t < 2^96`), bit for bit.
#[inline]
fn add_packed(a: Decimal, t: u128, ts: u32, negative: bool) -> Packed {
    // rust_decimal returns the other operand as it is (its scale too).
    if t == 0 {
        return Packed::of(Some(a));
    }
    if a.is_zero() {
        return Packed::new(t, ts, negative);
    }
    if !negative && !a.is_sign_negative() {
        let mut sum = Sum {
            mantissa: a.mantissa().unsigned_abs(),
            scale: a.scale(),
        };
        if sum.add_mantissa(t, ts).is_some() {
            return Packed::new(sum.mantissa, sum.scale, false);
        }
    }
    Packed::of(add(a, decimal(t, ts, negative)))
}

/// `a.checked_add(b)`, bit for bit: by [`Sum`] when neither is negative.
fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
    // rust_decimal returns the other operand as it is (its scale too);
    // `Sum` writes every zero at scale 0.
    if a.is_zero() {
        return Some(b);
    }
    if b.is_zero() {
        return Some(a);
    }
    let mut s = Sum::default();
    if s.add(1, a).and_then(|_| s.add(1, b)).is_some() {
        return Some(s.value());
    }
    a.checked_add(b)
}

/// What `rust_decimal` makes of an exact product or sum `v` at `scale`:
/// `v` itself when it fits in 96 bits; otherwise `v` rounded half to even
/// with as few decimal places dropped as make it fit (`Buf24::rescale`
/// after a multiplication or an unaligned addition, `reduce_scale` after an
/// aligned one). `None` where `rust_decimal` would overflow, or round a
/// second time (rounding up to exactly 2^96): the caller then asks it.
#[inline]
fn fit96(v: u128, scale: u32) -> Option<(u128, u32)> {
    if v < U96 {
        Some((v, scale))
    } else if v < U96 * 10 && scale >= 1 {
        // One place: what a sum past 96 bits usually needs.
        let (q, r) = divrem_const::<10>(v);
        let q = q + u128::from(r > 5 || (r == 5 && q & 1 == 1));
        (q < U96).then_some((q, scale - 1))
    } else {
        round96(v, scale)
    }
}

/// [`fit96`] of a `v` of more than 96 bits.
#[inline(never)]
fn round96(v: u128, scale: u32) -> Option<(u128, u32)> {
    // The fewest places k with v / 10^k below 2^96: v < 2^96 * 10^k
    // (which a u128 holds up to k = 9; v < 2^128 needs k <= 10).
    let mut k = 1u32;
    while k < 10 && v >= U96 * POW10[k as usize] {
        k += 1;
    }
    if k > scale {
        return None;
    }
    let p = POW10[k as usize] as u64;
    let (q, r) = divrem_pow10(v, k);
    let half = p / 2;
    let q = q + u128::from(r > half || (r == half && q & 1 == 1));
    (q < U96).then_some((q, scale - k))
}

/// `(v / 10^k, v % 10^k)` for k = 1..=10, by constants the compiler turns
/// into multiplications (a `u128` division is a slow library call).
#[inline]
fn divrem_pow10(v: u128, k: u32) -> (u128, u64) {
    match k {
        1 => divrem_const::<10>(v),
        2 => divrem_const::<100>(v),
        3 => divrem_const::<1_000>(v),
        4 => divrem_const::<10_000>(v),
        5 => divrem_const::<100_000>(v),
        6 => divrem_const::<1_000_000>(v),
        7 => divrem_const::<10_000_000>(v),
        8 => divrem_const::<100_000_000>(v),
        9 => divrem_const::<1_000_000_000>(v),
        _ => {
            let p = POW10[k as usize];
            (v / p, (v % p) as u64)
        }
    }
}

/// [`divrem32`] by a constant.
#[inline(always)]
fn divrem_const<const P: u64>(v: u128) -> (u128, u64) {
    let (hi, lo) = ((v >> 64) as u64, v as u64);
    let (qh, r) = (hi / P, hi % P);
    let x = (r << 32) | (lo >> 32);
    let (qm, r) = (x / P, x % P);
    let x = (r << 32) | (lo & 0xFFFF_FFFF);
    let (ql, r) = (x / P, x % P);
    (((qh as u128) << 64) | ((qm << 32) | ql) as u128, r)
}

/// `m * 10^by` for `m < 2^96`: unchecked for up to nine places, where it
/// cannot overflow (checked multiplications of `u128` are dear).
#[inline]
fn scale_up(m: u128, by: u32) -> Option<u128> {
    if by <= 9 {
        Some(m * POW10[by as usize])
    } else {
        m.checked_mul(pow10(by)?)
    }
}

/// `Σ w·s` of non-negative terms with whole weights, exactly: a mantissa
/// below 2^96 and a scale, as a decimal holds it. `None` on a negative term
/// or where the exact sum does not fit 96 bits; the plain mean
/// (`wide::mean`) then takes it in big integers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sum {
    mantissa: u128,
    scale: u32,
}

impl Sum {
    /// Adds `w * s` for a whole `w >= 0`.
    #[inline(always)]
    pub fn add(&mut self, w: u64, s: Decimal) -> Option<()> {
        if s.is_sign_negative() && !s.is_zero() {
            return None;
        }
        let m = s.mantissa().unsigned_abs();
        if w == 0 || m == 0 {
            return Some(());
        }
        // Below 2^96 * 2^32: no overflow to check.
        let t = if w >> 32 == 0 {
            m * w as u128
        } else {
            m.checked_mul(w as u128)?
        };
        // Exact or nothing: the plain mean is exact (`wide::mean`), so a
        // sum that would need rounding goes there.
        if t >= U96 {
            return None;
        }
        self.add_mantissa(t, s.scale())
    }

    /// Adds `t / 10^ts`, `0 < t < 2^96`.
    #[inline]
    fn add_mantissa(&mut self, t: u128, ts: u32) -> Option<()> {
        if self.mantissa == 0 {
            (self.mantissa, self.scale) = (t, ts);
            return Some(());
        }
        let (a, b, scale) = if ts >= self.scale {
            (scale_up(self.mantissa, ts - self.scale)?, t, ts)
        } else {
            (self.mantissa, scale_up(t, self.scale - ts)?, self.scale)
        };
        let sum = a.checked_add(b)?;
        if sum >= U96 {
            return None;
        }
        (self.mantissa, self.scale) = (sum, scale);
        Some(())
    }

    pub fn value(&self) -> Decimal {
        decimal(self.mantissa, self.scale, false)
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

    /// `(mantissa, scale)`, to compare bit for bit.
    fn bits(x: Option<Decimal>) -> Option<(i128, u32)> {
        x.map(|q| (q.mantissa(), q.scale()))
    }

    /// Both shortcuts against `checked_div`; `fast`: the shortcut itself
    /// answers (no fallback).
    fn check_div(n: Decimal, m: Decimal, fast: bool) {
        assert_eq!(bits(div(n, m)), bits(n.checked_div(m)), "{n} / {m}");
        assert_eq!(
            bits(div_normalized(n, m)),
            bits(n.checked_div(m).map(|q| q.normalize())),
            "{n} / {m}"
        );
        let s0 = n.scale() as i32 - m.scale() as i32;
        let taken = small_divisor(m)
            .and_then(|d| quotient_raw(n.mantissa().unsigned_abs(), s0, d))
            .is_some();
        assert_eq!(taken, fast, "{n} / {m}");
    }

    #[test]
    fn tables() {
        for k in 1..9 {
            let f = POW10[k] >> k;
            assert_eq!(f.wrapping_mul(INV5[k]), 1, "5^{k}");
            assert_eq!(div_pow10_exact(7 * POW10[k], k), Some(7));
            assert_eq!(div_pow10_exact(7 * POW10[k] + 5, k), None);
            assert_eq!(div_pow10_exact(7 * POW10[k - 1], k), None);
        }
        for (x, &f) in FITS.iter().enumerate() {
            assert!(f * POW10[x] < U96 && (f + 1) * POW10[x] >= U96);
        }
        let div = |n: u128, d: u64| divrem32(n, Small::new(d));
        assert_eq!(div(U96 - 1, 7), ((U96 - 1) / 7, 0));
        assert_eq!(div(u128::MAX, 0xFFFF_FFFF), (u128::MAX / 0xFFFF_FFFF, 0));
        assert_eq!(div(u128::MAX, 1), (u128::MAX, 0));
        assert_eq!(div(u128::MAX - 1, 2), (u128::MAX / 2, 0));
        assert_eq!(div(12345, 100), (123, 45));
        for d in [1, 2, 3, 7, 10, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF] {
            let s = Small::new(d);
            for x in [
                0,
                1,
                d - 1,
                d,
                d + 1,
                u64::MAX,
                u64::MAX - 1,
                u64::MAX / d * d,
                (d << 32) - 1,
            ] {
                assert_eq!(s.divrem(x), (x / d, x % d), "{x} / {d}");
            }
        }
    }

    #[test]
    fn trailing_zeros() {
        assert_eq!(strip_zeros(0, 7), (0, 0));
        assert_eq!(strip_zeros(1_200_000, 4), (120, 0));
        assert_eq!(strip_zeros(POW10[28], 28), (1, 0));
        assert_eq!(strip_zeros(POW10[28] + 10, 28), (POW10[27] + 1, 27));
        assert_eq!(strip_zeros64(0, 3), (0, 0));
        assert_eq!(strip_zeros64(10_000_000_000_000_000_000, 19), (1, 0));
        assert_eq!(strip_zeros64(632_500, 4), (6325, 2));
        assert_eq!(strip_zeros64(632_500, 1), (63250, 0));
        // `unscale` takes eight at a time only while the low 32 bits are
        // zero: 10^28 has 28 factors 2, so it takes 4 + 2 + 1 and stops.
        assert_eq!(unscale(POW10[28], 28), (POW10[21], 21));
        assert_eq!(unscale(POW10[8] * 5, 9), (50, 2));
        assert_eq!(unscale(POW10[9] * 5, 9), (500, 2));
        assert_eq!(unscale(1 << 40, 28), (1 << 40, 28));
        // 2^32 * 10^8 (both): one step of eight, then none of four.
        assert_eq!(unscale((1 << 32) * POW10[8], 10), (1 << 32, 2));
    }

    #[test]
    fn packed_scores_unpack_to_the_same_bits() {
        for x in [
            "0",
            "-0.000",
            "100",
            "87.5",
            "-3.25",
            "79228162514264337593543950335",
        ] {
            let p = Packed::of(Some(d(x)));
            assert_eq!(bits(p.get()), bits(Some(d(x))), "{x}");
        }
        assert_eq!(Packed::NONE.get(), None);
        assert!(Packed::UNKNOWN.is_unknown() && !Packed::NONE.is_unknown());
    }

    #[test]
    fn long_quotients_of_a_prepared_divisor_are_taken_in_integers() {
        let div = Divisor::new(d("-0.15")).unwrap();
        // Numerator scales at least the divisor's (else rust_decimal).
        for n in [
            "-12.70",
            "100.00",
            "0.001",
            "79228162514264337593.543950335",
        ] {
            let (m, scale, negative) = (
                d(n).mantissa().unsigned_abs(),
                d(n).scale(),
                d(n).is_sign_negative(),
            );
            assert!(
                div.small
                    .is_some_and(|s| quotient_normalized(m, scale as i32 - 2, s).is_some())
            );
            assert_eq!(
                div.divide_parts(m, scale as i32, negative).get(),
                plain(n, "-0.15"),
                "{n}"
            );
        }
    }

    #[test]
    fn quotients_round_half_to_even() {
        // 2^96 - 1 and 2^96 - 3 halved: .5 exactly, at scale 0.
        check_div(d("79228162514264337593543950335"), d("2"), true);
        check_div(d("79228162514264337593543950333"), d("2"), true);
        assert_eq!(
            div(d("79228162514264337593543950335"), d("2")),
            Some(d("39614081257132168796771975168"))
        );
        assert_eq!(
            div(d("79228162514264337593543950333"), d("2")),
            Some(d("39614081257132168796771975166"))
        );
        // Above and below half; negative operands.
        for (n, m) in [
            ("2", "3"),
            ("1", "3"),
            ("-2", "3"),
            ("2.0", "-0.3"),
            ("-5", "-7"),
        ] {
            check_div(d(n), d(m), true);
        }
    }

    #[test]
    fn rounding_up_to_a_power_of_ten_leaves_zeros() {
        // 0.99999…9667 rounds to 1 at scale 28; `unscale` then takes 4, 2
        // and 1 zeros (the low 32 bits of 10^28 are not zero, so no 8).
        let n = d("2.9999999999999999999999999999");
        check_div(n, d("3"), true);
        assert_eq!(bits(div(n, d("3"))), Some((10i128.pow(21), 21)));
        assert_eq!(div_normalized(n, d("3")), Some(Decimal::ONE));
    }

    #[test]
    fn quotients_that_end_keep_the_zeros_of_their_steps() {
        // 1 / 2: one step of nine places gives 500000000e-9, from which 4,
        // 2 and 1 zeros go: 0.50.
        check_div(d("1"), d("2"), true);
        assert_eq!(bits(div(d("1"), d("2"))), Some((50, 2)));
        // Without a remainder at the start nothing is unscaled.
        check_div(d("1.000"), d("2"), true);
        assert_eq!(bits(div(d("1.000"), d("2"))), Some((500, 3)));
        for (n, m) in [
            ("1", "4"),
            ("1", "8"),
            ("3", "1024"),
            ("1", "0.5"),
            ("7", "3125"),
            ("12.5", "6.4"),
            ("1", "4294967296"),
            ("0.0000000000000000000000000001", "8"),
        ] {
            check_div(
                d(n),
                d(m),
                d(m).mantissa() < 1 << 32 && d(n).scale() >= d(m).scale(),
            );
        }
    }

    #[test]
    fn a_step_past_96_bits_drops_a_place() {
        // floor((2^96 - 1) / 10) * 3 + 2: nine places fit, one more would
        // reach 2^96, so rust_decimal rounds that step back.
        let n = (U96 - 1) / 10 * 3 + 2;
        let dec = Decimal::from_i128_with_scale(n as i128, 0);
        check_div(dec, d("3"), true);
        assert_eq!(
            steps(n, 0, Small::new(3)).map(|(q, s)| decimal(q, s, false)),
            dec.checked_div(d("3"))
        );
    }

    #[test]
    fn what_the_shortcut_leaves_to_rust_decimal() {
        // Rounding up to 2^96 (rust_decimal drops a place).
        check_div(d("55459713759985036315480765235"), d("7"), false);
        // A negative initial scale.
        check_div(d("1"), d("0.003"), false);
        check_div(d("123456789"), d("0.0000000000000000000000000007"), false);
        // Divisors of 32 bits and more.
        check_div(d("1"), d("4294967297"), false);
        check_div(d("1"), d("79228162514264337593543950335"), false);
        // Zero over anything is zero at scale 0; by zero, none.
        check_div(d("0.000"), d("7"), true);
        assert_eq!(bits(div(d("-0.000"), d("7"))), Some((0, 0)));
        assert_eq!(div(d("1"), Decimal::ZERO), None);
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
        // Sums and products past 96 bits would need rounding: the shortcut
        // declines them, and the exact mean takes them.
        let cases: [&[(u64, &str)]; 3] = [
            &[(3, "79228162514264337593543950.335")],
            &[
                (1, "33.333333333333333333333333333"),
                (2, "66.666666666666666666666666667"),
            ],
            &[
                (1, "3961408125713216879677197516.8"),
                (1, "3961408125713216879677197516.8"),
            ],
        ];
        for terms in cases {
            let mut s = Sum::default();
            let added: Option<Vec<()>> = terms.iter().map(|&(w, x)| s.add(w, d(x))).collect();
            assert_eq!(added, None, "{terms:?}");
        }
        assert_eq!(fit96(U96, 0), None, "would overflow");
    }
}

/// The division shortcuts against `checked_div`, bit for bit, on random
/// operands of every kind the portfolio meets and many it does not.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn bits(x: Option<Decimal>) -> Option<(i128, u32)> {
        x.map(|q| (q.mantissa(), q.scale()))
    }

    /// `±m / 10^s`.
    fn signed(m: u128, s: u32, negative: bool) -> Decimal {
        let m = m as i128;
        Decimal::from_i128_with_scale(if negative { -m } else { m }, s)
    }

    /// Mantissas: short (what data holds), 28 digits, any below 2^96, near
    /// 2^96, and zero.
    fn mantissa() -> impl Strategy<Value = u128> {
        prop_oneof![
            4 => 0u128..10_000_000,
            2 => POW10[27]..POW10[28],
            1 => 0u128..U96,
            1 => (0u128..1 << 40).prop_map(|m| U96 - 1 - m),
            1 => Just(0u128),
        ]
    }

    /// Numerators: those mantissas at small scales (data) or any.
    fn numerator() -> impl Strategy<Value = Decimal> {
        let scale = prop_oneof![3 => 0u32..7, 2 => 0u32..=28];
        (mantissa(), scale, any::<bool>()).prop_map(|(m, s, neg)| signed(m, s, neg))
    }

    /// Divisor mantissas: short, products of 2, 5, 3 and 7 (quotients that
    /// end and ones that do not), near 2^32 on either side, any below
    /// 2^32, and long ones (left to rust_decimal).
    fn divisor_mantissa() -> impl Strategy<Value = u128> {
        let factors = (0u32..12, 0u32..10, 0u32..8, 0u32..6)
            .prop_map(|(a, b, c, e)| 2u128.pow(a) * 5u128.pow(b) * 3u128.pow(c) * 7u128.pow(e));
        let near32 = (0u128..1 << 20, any::<bool>()).prop_map(|(m, above)| {
            if above {
                (1 << 32) + m
            } else {
                (1 << 32) - 1 - m
            }
        });
        prop_oneof![
            4 => 1u128..10_000_000,
            3 => factors,
            2 => near32,
            2 => 1u128..1 << 32,
            1 => 1u128..U96,
        ]
    }

    /// Divisors: mostly at a scale below the numerator's (what data
    /// does), some at any scale (negative initial scales).
    fn divisor() -> impl Strategy<Value = Decimal> {
        let scale = prop_oneof![3 => 0u32..3, 1 => 0u32..=28];
        (divisor_mantissa(), scale, any::<bool>()).prop_map(|(m, s, neg)| signed(m, s, neg))
    }

    /// Operands where a step of `checked_div` comes within 10^x of 2^96:
    /// a numerator whose quotient starts at about `FITS[x]`, so that the
    /// step overflows or rounding carries, at scales that allow x places.
    fn near_96_bits() -> impl Strategy<Value = (u128, u32, u64)> {
        (1usize..10).prop_flat_map(|x| {
            // d < 10^x keeps n below 2^96.
            let d = 2u64..(POW10[x] as u64).min(10_000);
            (0u128..3, d, any::<u64>(), 0..=28 - x as u32).prop_map(move |(below, d, r, s0)| {
                ((FITS[x] - below) * d as u128 + (r % d) as u128, s0, d)
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20000))]

        #[test]
        fn division(n in numerator(), m in divisor()) {
            prop_assert_eq!(bits(div(n, m)), bits(n.checked_div(m)), "{} / {}", n, m);
            prop_assert_eq!(
                bits(div_normalized(n, m)),
                bits(n.checked_div(m).map(|q| q.normalize())),
                "{} / {}", n, m
            );
        }

        /// The transcription of rust_decimal's steps on its own, where the
        /// shortcut uses it and where it does not (quotients that go on).
        #[test]
        fn steps_follow_checked_div(
            n in mantissa().prop_map(|m| m.max(1)),
            d in 1u64..1 << 32,
            sd in 0u32..=28,
            extra in 0u32..=28,
            neg in any::<bool>(),
        ) {
            let s0 = extra.min(28 - sd);
            let plain = signed(n, sd + s0, neg).checked_div(signed(d as u128, sd, false));
            if let Some((q, s)) = steps(n, s0, Small::new(d)) {
                prop_assert_eq!(bits(Some(decimal(q, s, neg))), bits(plain), "{} {} {}", n, s0, d);
            }
        }

        #[test]
        fn division_near_96_bits((n, s0, d) in near_96_bits(), sd in 0u32..3, neg in any::<bool>()) {
            let sd = sd.min(28 - s0);
            let (num, den) = (signed(n, s0 + sd, neg), signed(d as u128, sd, false));
            let plain = num.checked_div(den);
            prop_assert_eq!(bits(div(num, den)), bits(plain), "{} / {}", num, den);
            prop_assert_eq!(
                bits(div_normalized(num, den)),
                bits(plain.map(|q| q.normalize())),
                "{} / {}", num, den
            );
            if let Some((q, s)) = steps(n, s0, Small::new(d)) {
                prop_assert_eq!(bits(Some(decimal(q, s, neg))), bits(plain), "steps {} / {}", num, den);
            }
        }

        /// [`Divisor`]: `divide` normalized, `divide_raw` the same value
        /// (short quotients come normalized, long ones as they are).
        #[test]
        fn prepared_division(n in numerator(), m in divisor()) {
            prop_assume!(!m.is_zero());
            let div = Divisor::new(m).expect("not zero");
            let plain = n.checked_div(m);
            prop_assert_eq!(bits(div.divide(n)), bits(plain.map(|q| q.normalize())), "{} / {}", n, m);
            let raw = div.divide_raw(n);
            prop_assert_eq!(bits(raw.map(|q| q.normalize())), bits(plain.map(|q| q.normalize())), "{} / {}", n, m);
            if div.exact(n).is_none() {
                prop_assert_eq!(bits(raw), bits(plain), "{} / {}", n, m);
            }
        }
    }
}
