//! Decimals written as JSON numbers straight from their digits.
//!
//! With serde_json's `arbitrary_precision`, rust_decimal serialises a
//! `Decimal` by formatting it into a `String` and parsing that string back
//! into a `serde_json::Number`, which then hands its text to the writer:
//! 43% of the instructions of a `--format json` portfolio run went there
//! (docs/performance.md). Fields marked `serialize_with = "json::numbers"`
//! skip the detour: the digits are formatted on the stack and handed to
//! the serializer in the form `Number` hands them over, so every
//! serializer (serde_json, Tera's contexts) sees exactly what it saw
//! before. The tests check the text against `Decimal`'s own serialisation.

use arrayvec::ArrayString;
use rust_decimal::Decimal;
use serde::ser::{Serialize, SerializeStruct, SerializeTuple, Serializer};

/// The struct (one field of the same name, holding the number's text)
/// through which `serde_json::Number` serialises under
/// `arbitrary_precision`; serde_json writes that text unquoted. serde_json
/// keeps the name private, and rust_decimal copies it the same way.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// `serialize_with` for a field of decimals: `Decimal`, `Option`s of it,
/// and `[Decimal; 2]` bands.
pub fn numbers<T: Numbers + ?Sized, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    value.serialize_numbers(s)
}

/// A value holding decimals, serialised as `Serialize` would, with each
/// decimal written from its digits.
pub trait Numbers {
    fn serialize_numbers<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

/// Lends `Numbers` values to serde where it wants `Serialize`.
pub struct Json<'a, T: ?Sized>(pub &'a T);

impl<T: Numbers + ?Sized> Serialize for Json<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_numbers(s)
    }
}

impl Numbers for Decimal {
    fn serialize_numbers<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct(NUMBER_TOKEN, 1)?;
        st.serialize_field(NUMBER_TOKEN, text(self).as_str())?;
        st.end()
    }
}

impl<T: Numbers> Numbers for Option<T> {
    fn serialize_numbers<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            None => s.serialize_none(),
            Some(v) => s.serialize_some(&Json(v)),
        }
    }
}

// serde serialises arrays as tuples.
impl<T: Numbers, const N: usize> Numbers for [T; N] {
    fn serialize_numbers<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(N)?;
        for v in self {
            t.serialize_element(&Json(v))?;
        }
        t.end()
    }
}

/// A sign, `0.`, and 29 digits (a 96-bit mantissa's, or 28 of a fraction).
const TEXT_MAX: usize = 32;

/// Zeros between the point and a fraction's digits: at most 27.
const ZEROS: &str = "0000000000000000000000000000";

/// `d` as `Decimal`'s `Display` writes it: every digit of the scale kept,
/// `0.` before a fraction, and `-` for any negative sign (`-0` too).
pub(crate) fn text(d: &Decimal) -> ArrayString<TEXT_MAX> {
    let mut itoa = itoa::Buffer::new();
    let m = d.mantissa().unsigned_abs();
    // Mantissas beyond 64 bits are rare and take 128-bit division.
    let digits = match u64::try_from(m) {
        Ok(0) => "",
        Ok(small) => itoa.format(small),
        Err(_) => itoa.format(m),
    };
    let scale = d.scale() as usize;
    let mut out = ArrayString::new();
    if d.is_sign_negative() {
        out.push('-');
    }
    if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        if scale > 0 {
            out.push('.');
            out.push_str(frac);
        }
    } else if scale == 0 {
        out.push('0');
    } else {
        out.push_str("0.");
        out.push_str(&ZEROS[..scale - digits.len()]);
        out.push_str(digits);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decimal() -> impl Strategy<Value = Decimal> {
        // Every mantissa width, from none to 96 bits, at every scale.
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            0u32..97,
            any::<bool>(),
            0u32..=28,
        )
            .prop_map(|(lo, mid, hi, bits, negative, scale)| {
                let m = (u128::from(hi) << 64 | u128::from(mid) << 32 | u128::from(lo))
                    & ((1u128 << bits) - 1);
                let mut d = Decimal::from_i128_with_scale(m as i128, scale);
                d.set_sign_negative(negative);
                d
            })
    }

    /// What the field would serialise to without `numbers`.
    fn plain<T: Serialize>(v: &T) -> (String, serde_json::Value) {
        (
            serde_json::to_string(v).unwrap(),
            serde_json::to_value(v).unwrap(),
        )
    }

    fn ours<T: Numbers>(v: &T) -> (String, serde_json::Value) {
        plain(&Json(v))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn a_decimal_is_written_as_decimal_writes_itself(d in decimal()) {
            prop_assert_eq!(ours(&d), plain(&d));
        }

        #[test]
        fn options_and_bands_are_written_as_serde_writes_them(
            a in proptest::option::of(decimal()),
            b in proptest::option::of(proptest::option::of(decimal())),
            band in [decimal(), decimal()],
        ) {
            prop_assert_eq!(ours(&a), plain(&a));
            prop_assert_eq!(ours(&b), plain(&b));
            prop_assert_eq!(ours(&band), plain(&band));
        }
    }

    #[test]
    fn the_corners_of_the_format() {
        for (d, want) in [
            (Decimal::ZERO, "0"),
            (Decimal::new(0, 3), "0.000"),
            (Decimal::new(5, 3), "0.005"),
            (Decimal::new(-5, 1), "-0.5"),
            (Decimal::new(1234, 2), "12.34"),
            (Decimal::new(1000, 0), "1000"),
            (Decimal::MAX, "79228162514264337593543950335"),
            (Decimal::MIN, "-79228162514264337593543950335"),
            (
                Decimal::from_i128_with_scale(-1, 28),
                "-0.0000000000000000000000000001",
            ),
        ] {
            assert_eq!(ours(&d).0, want);
            assert_eq!(plain(&d).0, want);
        }
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        assert_eq!(ours(&negative_zero), plain(&negative_zero));
    }
}
