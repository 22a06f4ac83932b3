//! The functions of formulas that leave `+ - * /` (SPEC §13): `pow`,
//! `sqrt`, `ln`, `exp`, `round`, `floor`, `ceil`.
//!
//! `pow` with an integer exponent up to 64 is exact: the power is taken in
//! big integers and rounded once, as a quotient is. The others cannot be
//! exact. They are computed in fixed point with [`PLACES`] decimal places,
//! 36 more than a decimal holds, by the textbook series (an
//! `atanh` series for `ln`, Taylor's for `exp` after reducing the argument
//! by multiples of ln 2, Newton's integer square root for `sqrt`), and
//! rounded once to at most 28 significant digits. Before that rounding the
//! error is below 1e-60: absolute for `ln` (so 1e-32 relative even for the
//! smallest logarithm, of 1 + 1e-28), relative for the others (times the
//! exponent for a power). Every digit shown is right, except for a value
//! within that hair of a rounding tie.

use std::cmp::Ordering;
use std::sync::OnceLock;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};
use rust_decimal::{Decimal, RoundingStrategy};

use super::Fail;

/// Decimal places of the fixed-point arithmetic: 28 for the result and
/// 36 guard digits, more than the series' truncations can eat.
const PLACES: u32 = 64;

/// The largest exponent `pow` takes exactly (SPEC §13).
pub const EXACT_POW: i64 = 64;

fn scale() -> &'static BigInt {
    static S: OnceLock<BigInt> = OnceLock::new();
    S.get_or_init(|| BigInt::from(10u8).pow(PLACES))
}

fn ten_pow(n: u32) -> BigInt {
    BigInt::from(10u8).pow(n)
}

/// `d` as `mantissa / 10^scale`.
fn parts(d: Decimal) -> (BigInt, u32) {
    (BigInt::from(d.mantissa()), d.scale())
}

/// `d` in fixed point (exact: a decimal has at most 28 places).
fn fixed(d: Decimal) -> BigInt {
    let (m, s) = parts(d);
    m * ten_pow(PLACES - s)
}

/// `a * b` in fixed point, truncated.
fn fmul(a: &BigInt, b: &BigInt) -> BigInt {
    (a * b) / scale()
}

/// `a / b` in fixed point, truncated.
fn fdiv(a: &BigInt, b: &BigInt) -> BigInt {
    (a * scale()) / b
}

/// `2 atanh(z)` for a fixed-point `|z| <= 1/3`: `2 (z + z^3/3 + z^5/5 + ...)`.
fn two_atanh(z: &BigInt) -> BigInt {
    let z2 = fmul(z, z);
    let mut power = z.clone();
    let mut sum = BigInt::zero();
    let mut k = 1u32;
    while !power.is_zero() {
        sum += &power / k;
        power = fmul(&power, &z2);
        k += 2;
    }
    sum * 2
}

fn ln2() -> &'static BigInt {
    static LN2: OnceLock<BigInt> = OnceLock::new();
    // ln 2 = 2 atanh(1/3).
    LN2.get_or_init(|| two_atanh(&(scale() / 3)))
}

/// Natural logarithm of a positive fixed-point number.
fn fln(x: &BigInt) -> BigInt {
    debug_assert!(x.is_positive());
    // x = y * 2^k with y in [1, 2): then ln x = k ln 2 + ln y, and
    // z = (y - 1) / (y + 1) lies in [0, 1/3], where the series is fast.
    let k = x.bits() as i64 - scale().bits() as i64;
    let y = if k >= 0 {
        x >> (k as u64)
    } else {
        x << ((-k) as u64)
    };
    let (y, k) = if &y < scale() {
        (y << 1u8, k - 1)
    } else {
        (y, k)
    };
    // And into [0.75, 1.5): z then stays within 1/7, and the series needs
    // half the terms.
    let (y, k) = if &y * 2u8 >= scale() * 3u8 {
        (y >> 1u8, k + 1)
    } else {
        (y, k)
    };
    let z = fdiv(&(&y - scale()), &(&y + scale()));
    two_atanh(&z) + ln2() * k
}

/// `e^t` for a fixed-point `t`, as the exact rational `num / den`.
fn fexp(t: &BigInt) -> (BigInt, BigInt) {
    // t = k ln 2 + r, |r| <= ln 2 / 2: e^t = 2^k e^r.
    let (k, r) = {
        let twice: BigInt = t * 2 + ln2();
        let k = twice.div_floor(&(ln2() * 2));
        (k.clone(), t - ln2() * k)
    };
    let mut term = scale().clone();
    let mut sum = BigInt::zero();
    let mut n = 1u32;
    while !term.is_zero() {
        sum += &term;
        term = fmul(&term, &r) / n;
        n += 1;
    }
    let k = k.to_i64().expect("the argument was bounded");
    if k >= 0 {
        (sum << (k as u64), scale().clone())
    } else {
        (sum, scale() << ((-k) as u64))
    }
}

/// `num / den` (`den > 0`) rounded half to even to at most 28 significant
/// digits and 28 decimal places; `Overflow` beyond the decimal range.
fn round_sig(num: &BigInt, den: &BigInt) -> Result<Decimal, Fail> {
    let negative = num.sign() == Sign::Minus;
    let (n, d) = (num.magnitude(), den.magnitude());
    let whole = (n / d).to_string().len() as i64;
    let whole = if (n / d).is_zero() { 0 } else { whole };
    // Places kept: 28 significant digits, at most 28 places.
    let places = (28 - whole).min(28);
    let (q, r, unit) = if places >= 0 {
        let (q, r) = (n * BigUint::from(10u8).pow(places as u32)).div_rem(d);
        (q, r, BigUint::one())
    } else {
        let unit = BigUint::from(10u8).pow((-places) as u32);
        let (q, r) = n.div_rem(&(d * &unit));
        (q, r, unit)
    };
    let divisor = if places >= 0 { d.clone() } else { d * &unit };
    let q = match (r << 1u8).cmp(&divisor) {
        Ordering::Greater => q + 1u8,
        Ordering::Equal if q.is_odd() => q + 1u8,
        _ => q,
    };
    let m = q * &unit;
    let limit = BigUint::one() << 96u8;
    if m >= limit {
        return Err(Fail::Overflow);
    }
    let m = i128::try_from(m).expect("below 2^96");
    let m = if negative { -m } else { m };
    Ok(canonical(Decimal::from_i128_with_scale(
        m,
        places.max(0) as u32,
    )))
}

/// Normalized, and never `-0`.
pub fn canonical(d: Decimal) -> Decimal {
    if d.is_zero() {
        Decimal::ZERO
    } else {
        d.normalize()
    }
}

/// `ln(x)`; a domain error for `x <= 0`.
pub fn ln(x: Decimal) -> Result<Decimal, Fail> {
    if x <= Decimal::ZERO {
        return Err(Fail::Domain("ln of a number that is not positive"));
    }
    if x == Decimal::ONE {
        return Ok(Decimal::ZERO);
    }
    round_sig(&fln(&fixed(x)), scale())
}

/// The largest `t` with `e^t` in the decimal range, and the smallest that
/// does not round to 0, with a margin: outside them the answer is known.
const EXP_HIGH: i64 = 67;
const EXP_LOW: i64 = -70;

/// `e^t` for a fixed-point `t`, rounded.
fn exp_fixed(t: &BigInt) -> Result<Decimal, Fail> {
    if t > &(scale() * EXP_HIGH) {
        return Err(Fail::Overflow);
    }
    if t < &(scale() * EXP_LOW) {
        return Ok(Decimal::ZERO);
    }
    let (n, d) = fexp(t);
    round_sig(&n, &d)
}

/// `exp(x)`.
pub fn exp(x: Decimal) -> Result<Decimal, Fail> {
    if x.is_zero() {
        return Ok(Decimal::ONE);
    }
    exp_fixed(&fixed(x))
}

/// `sqrt(x)`; a domain error for `x < 0`.
pub fn sqrt(x: Decimal) -> Result<Decimal, Fail> {
    if x.is_sign_negative() && !x.is_zero() {
        return Err(Fail::Domain("sqrt of a negative number"));
    }
    let (m, s) = parts(x);
    // x = m / 10^s = (m 10^(2P - s)) / 10^(2P): the root is the integer
    // root of the numerator over 10^P, truncated below 10^-P.
    let root = (m * ten_pow(2 * PLACES - s)).sqrt();
    round_sig(&root, scale())
}

/// `pow(x, y)`: exact for an integer `y` up to [`EXACT_POW`] in size, an
/// approximation otherwise.
pub fn pow(x: Decimal, y: Decimal) -> Result<Decimal, Fail> {
    let integer = y.fract().is_zero();
    if integer && y.abs() <= Decimal::from(EXACT_POW) {
        let n = y.to_i64().expect("small integer");
        return pow_exact(x, n);
    }
    if x.is_zero() {
        return if y.is_sign_positive() {
            Ok(Decimal::ZERO)
        } else {
            Err(Fail::DivisionByZero)
        };
    }
    let negative = if x.is_sign_negative() {
        if !integer {
            return Err(Fail::Domain(
                "pow of a negative number to a fractional power",
            ));
        }
        // An odd integer power of a negative number is negative.
        (y % Decimal::TWO) != Decimal::ZERO
    } else {
        false
    };
    // x^y = e^(y ln |x|).
    let t = fmul(&fixed(y), &fln(&fixed(x.abs())));
    let r = exp_fixed(&t)?;
    Ok(if negative { canonical(-r) } else { r })
}

/// `x^n` for `|n| <= 64`, taken exactly and rounded once.
fn pow_exact(x: Decimal, n: i64) -> Result<Decimal, Fail> {
    if n == 0 {
        return Ok(Decimal::ONE);
    }
    if x.is_zero() {
        return if n > 0 {
            Ok(Decimal::ZERO)
        } else {
            Err(Fail::DivisionByZero)
        };
    }
    // The usual power (a rate to the 12th) is exact in 128 bits: its
    // mantissa is the mantissa's power and its scale the scale's multiple.
    if n > 0
        && let Some(exact) = pow_small(x, n as u32)
    {
        return Ok(exact);
    }
    let (m, s) = parts(x);
    let e = n.unsigned_abs() as u32;
    let (mut num, mut den) = (m.pow(e), ten_pow(s * e));
    if n < 0 {
        std::mem::swap(&mut num, &mut den);
        if den.is_negative() {
            (num, den) = (-num, -den);
        }
    }
    crate::score::wide::quotient(&num, &den)
        .map(canonical)
        .ok_or(Fail::Overflow)
}

/// `x^n` when it needs no rounding: the mantissa's power fits 96 bits and
/// the scale's multiple is at most 28. `None` otherwise (the caller then
/// takes the power in big integers).
fn pow_small(x: Decimal, n: u32) -> Option<Decimal> {
    let scale = x.scale().checked_mul(n).filter(|s| *s <= 28)?;
    let m = x.mantissa().checked_pow(n)?;
    (m.unsigned_abs() < 1u128 << 96).then(|| canonical(Decimal::from_i128_with_scale(m, scale)))
}

/// `round(x, places)`, half away from zero; `places` must be an integer
/// in 0..28.
pub fn round(x: Decimal, places: Decimal) -> Result<Decimal, Fail> {
    if !places.fract().is_zero() || places < Decimal::ZERO || places > Decimal::from(28) {
        return Err(Fail::Domain("round needs 0 to 28 places"));
    }
    let n = places.to_u32().expect("0..28");
    Ok(canonical(x.round_dp_with_strategy(
        n,
        RoundingStrategy::MidpointAwayFromZero,
    )))
}

pub fn floor(x: Decimal) -> Decimal {
    canonical(x.floor())
}

pub fn ceil(x: Decimal) -> Decimal {
    canonical(x.ceil())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// Digits of well-known constants, to 40 places (more than a decimal
    /// holds), from the published tables.
    const LN2: &str = "0.6931471805599453094172321214581765680755";
    const E: &str = "2.7182818284590452353602874713526624977572";
    const SQRT2: &str = "1.4142135623730950488016887242096980785696";
    const LN10: &str = "2.3025850929940456840179914546843642076011";

    /// The decimal a correctly rounded result of 28 significant digits has.
    fn rounded(digits: &str) -> Decimal {
        let whole = digits.split('.').next().unwrap().trim_start_matches('-');
        let whole = if whole == "0" { 0 } else { whole.len() as u32 };
        Decimal::from_str(&digits[..digits.len().min(45)])
            .unwrap_or_else(|_| {
                // Too many digits for a decimal: cut first, then round.
                let cut = &digits[..(whole as usize + 1 + 29).min(digits.len())];
                Decimal::from_str(cut).unwrap()
            })
            .round_dp_with_strategy(28 - whole, RoundingStrategy::MidpointNearestEven)
            .normalize()
    }

    #[test]
    fn known_constants_to_the_last_digit() {
        assert_eq!(ln(Decimal::TWO), Ok(rounded(LN2)));
        assert_eq!(exp(Decimal::ONE), Ok(rounded(E)));
        assert_eq!(sqrt(Decimal::TWO), Ok(rounded(SQRT2)));
        assert_eq!(ln(Decimal::TEN), Ok(rounded(LN10)));
        assert_eq!(ln(d("0.5")), Ok(-rounded(LN2)));
        assert_eq!(pow(Decimal::TWO, d("0.5")), sqrt(Decimal::TWO));
    }

    #[test]
    fn exact_cases_are_exact() {
        assert_eq!(ln(Decimal::ONE), Ok(Decimal::ZERO));
        assert_eq!(exp(Decimal::ZERO), Ok(Decimal::ONE));
        assert_eq!(sqrt(d("0.25")), Ok(d("0.5")));
        assert_eq!(sqrt(d("144")), Ok(d("12")));
        assert_eq!(sqrt(Decimal::ZERO), Ok(Decimal::ZERO));
        assert_eq!(pow(d("4"), d("0.5")), Ok(d("2")));
        assert_eq!(pow(d("1.1"), d("2")), Ok(d("1.21")));
        assert_eq!(pow(d("2"), d("-2")), Ok(d("0.25")));
        assert_eq!(pow(d("-2"), d("3")), Ok(d("-8")));
        assert_eq!(pow(d("0"), d("0")), Ok(Decimal::ONE));
        assert_eq!(pow(d("10"), d("28")), Ok(d("1e28")));
        // exp(ln x) comes back to x to every digit shown.
        let x = d("1234.5678");
        assert_eq!(exp(ln(x).unwrap()).map(|r| r.round_dp(20)), Ok(x));
    }

    #[test]
    fn integer_powers_round_once() {
        // (1 - 0.05)^12 exactly is 0.540360087662636962890625.
        assert_eq!(pow(d("0.95"), d("12")), Ok(d("0.540360087662636962890625")));
        // 1.01^64 has 128 places; rounded once at 28.
        let r = pow(d("1.01"), d("64")).unwrap();
        assert_eq!(r.to_string(), "1.8904618694795535717494712641");
        // 3^-1 is a quotient: 28 places, half to even.
        assert_eq!(pow(d("3"), d("-1")), Ok(Decimal::ONE / d("3")));
        // Beyond 64 the power is an approximation, still close.
        let r = pow(d("1.01"), d("120")).unwrap();
        assert!(
            (r - d("3.300386894573665047876964218")).abs() < d("1e-26"),
            "{r}"
        );
    }

    #[test]
    fn domain_errors_and_limits() {
        assert_eq!(
            sqrt(d("-1")),
            Err(Fail::Domain("sqrt of a negative number"))
        );
        assert_eq!(
            ln(Decimal::ZERO),
            Err(Fail::Domain("ln of a number that is not positive"))
        );
        assert_eq!(
            pow(d("-8"), d("0.5")),
            Err(Fail::Domain(
                "pow of a negative number to a fractional power"
            ))
        );
        assert_eq!(pow(Decimal::ZERO, d("-1")), Err(Fail::DivisionByZero));
        assert_eq!(pow(Decimal::ZERO, d("-0.5")), Err(Fail::DivisionByZero));
        assert_eq!(pow(Decimal::ZERO, d("0.5")), Ok(Decimal::ZERO));
        assert_eq!(pow(d("10"), d("29")), Err(Fail::Overflow));
        assert_eq!(exp(d("67")), Err(Fail::Overflow));
        assert!(exp(d("66")).is_ok());
        assert_eq!(exp(d("-1000")), Ok(Decimal::ZERO));
        assert_eq!(exp(d("-79228162514264337593543950335")), Ok(Decimal::ZERO));
        assert_eq!(exp(d("79228162514264337593543950335")), Err(Fail::Overflow));
        assert_eq!(pow(d("0.001"), d("20")), Ok(Decimal::ZERO));
        assert!(ln(Decimal::MAX).is_ok());
        assert!(ln(d("0.0000000000000000000000000001")).is_ok());
        assert_eq!(pow(d("-1"), d("1000001")), Ok(d("-1")));
    }

    #[test]
    fn round_floor_ceil_at_their_edges() {
        assert_eq!(round(d("2.5"), d("0")), Ok(d("3")));
        assert_eq!(round(d("-2.5"), d("0")), Ok(d("-3")));
        assert_eq!(round(d("0.125"), d("2")), Ok(d("0.13")));
        assert_eq!(round(d("-0.4"), d("0")), Ok(Decimal::ZERO));
        assert_eq!(round(d("-0.4"), d("0")).unwrap().to_string(), "0");
        assert_eq!(
            round(d("1.5"), d("29")),
            Err(Fail::Domain("round needs 0 to 28 places"))
        );
        assert_eq!(
            round(d("1.5"), d("0.5")),
            Err(Fail::Domain("round needs 0 to 28 places"))
        );
        assert_eq!(floor(d("-0.5")), d("-1"));
        assert_eq!(ceil(d("-0.5")).to_string(), "0");
        assert_eq!(ceil(d("2.000001")), d("3"));
        assert_eq!(floor(Decimal::MAX), Decimal::MAX);
    }

    #[test]
    fn approximations_agree_with_their_inverses() {
        // ln and exp, pow and its root, checked against each other in
        // exact arithmetic at many magnitudes: |exp(ln x) - x| <= 1e-20 x.
        for s in [
            "0.0000001",
            "0.003",
            "0.5",
            "0.999999",
            "1.000001",
            "2",
            "3.14159",
            "1000",
            "123456789.123",
            "1e20",
        ] {
            let x = d(s);
            let y = exp(ln(x).unwrap()).unwrap();
            assert!(((y - x) / x).abs() < d("1e-20"), "{s}: {y}");
            let r = sqrt(x).unwrap();
            assert!(((r * r - x) / x).abs() < d("1e-20"), "{s}: {r}");
            let c = pow(x, d("0.3333333333333333333333333333")).unwrap();
            let back = pow(c, d("3")).unwrap();
            assert!(
                ((back - x) / x).abs() < d("1e-20") || s == "1e20",
                "{s}: {back}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Every function takes every decimal without a panic, and what it
        /// returns is canonical (normalized, no `-0`).
        #[test]
        fn total_on_every_decimal(
            m in proptest::prelude::any::<i128>(),
            s in 0u32..=28,
            n in proptest::prelude::any::<i128>(),
            t in 0u32..=28,
        ) {
            let bound = 1i128 << 96;
            let x = Decimal::from_i128_with_scale(m % bound, s);
            let y = Decimal::from_i128_with_scale(n % bound, t);
            let small = Decimal::from_i128_with_scale(n % 100_000, t.min(4));
            for r in [
                ln(x), exp(x), sqrt(x), pow(x, y), pow(x, small), pow(small, x),
                round(x, small), round(x, Decimal::from(t)),
                Ok(floor(x)), Ok(ceil(x)),
            ].into_iter().flatten() {
                proptest::prop_assert_eq!(r, canonical(r));
                proptest::prop_assert!(!(r.is_zero() && r.is_sign_negative()));
            }
        }

        /// Integer powers are the exact power rounded once: checked against
        /// repeated exact multiplication in big integers.
        #[test]
        fn integer_powers_are_exact(m in -100_000i64..100_000, s in 0u32..=6, e in -64i64..=64) {
            let x = Decimal::new(m, s);
            let got = pow(x, Decimal::from(e));
            let (num, den) = (BigInt::from(m).pow(e.unsigned_abs() as u32), ten_pow(s * e.unsigned_abs() as u32));
            let (num, den) = if e < 0 { (den, num) } else { (num, den) };
            let (num, den) = if den.is_negative() { (-num, -den) } else { (num, den) };
            if den.is_zero() {
                proptest::prop_assert_eq!(got, Err(Fail::DivisionByZero));
            } else {
                let want = crate::score::wide::quotient(&num, &den).map(canonical).ok_or(Fail::Overflow);
                proptest::prop_assert_eq!(got, want);
            }
        }
    }
}
