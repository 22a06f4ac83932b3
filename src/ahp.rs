//! Analytic Hierarchy Process weights (SPEC §7): the principal eigenvector
//! of a pairwise-comparison matrix by power iteration in decimal arithmetic
//! (deterministic to the last digit), and Saaty's consistency ratio.

use rust_decimal::Decimal;

/// Saaty's random index for n = 1..=10.
const RANDOM_INDEX: [&str; 10] = [
    "0", "0", "0.58", "0.90", "1.12", "1.24", "1.32", "1.41", "1.45", "1.49",
];

pub const MAX_SIZE: usize = RANDOM_INDEX.len();

#[derive(Debug, Clone, PartialEq)]
pub struct AhpResult {
    /// Normalised to sum to 1, in the order of the matrix rows.
    pub weights: Vec<Decimal>,
    pub lambda_max: Decimal,
    pub consistency_ratio: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AhpError {
    Empty,
    TooLarge(usize),
    /// Row `row` has `len` entries where `n` were expected.
    NotSquare {
        row: usize,
        len: usize,
        n: usize,
    },
    /// `a[j][i]` is not `1 / a[i][j]` (within 1e-9).
    NotReciprocal {
        i: usize,
        j: usize,
    },
    Overflow,
}

/// Tolerance of the reciprocity check, as SPEC §7 states it.
fn reciprocity_tolerance() -> Decimal {
    Decimal::new(1, 9)
}

/// Checks the matrix shape and reciprocity (entries are already positive).
pub fn check(matrix: &[Vec<Decimal>]) -> Result<(), AhpError> {
    let n = matrix.len();
    if n == 0 {
        return Err(AhpError::Empty);
    }
    for (row, r) in matrix.iter().enumerate() {
        if r.len() != n {
            return Err(AhpError::NotSquare {
                row,
                len: r.len(),
                n,
            });
        }
    }
    for (i, row) in matrix.iter().enumerate() {
        for (j, &a_ij) in row.iter().enumerate().skip(i) {
            let inv = Decimal::ONE.checked_div(a_ij).ok_or(AhpError::Overflow)?;
            let diff = matrix[j][i]
                .checked_sub(inv)
                .ok_or(AhpError::Overflow)?
                .abs();
            if diff > reciprocity_tolerance() {
                return Err(AhpError::NotReciprocal { i, j });
            }
        }
    }
    if n > MAX_SIZE {
        return Err(AhpError::TooLarge(n));
    }
    Ok(())
}

/// Weights and consistency ratio of a checked matrix.
pub fn weights(matrix: &[Vec<Decimal>]) -> Result<AhpResult, AhpError> {
    check(matrix)?;
    let n = matrix.len();
    let nd = Decimal::from(n);
    let mut w = vec![Decimal::ONE.checked_div(nd).ok_or(AhpError::Overflow)?; n];
    let mut lambda = nd;
    let epsilon = Decimal::new(1, 24);
    // Power iteration converges geometrically for positive matrices; the
    // cap only bounds the work for pathological inputs.
    for _ in 0..500 {
        let mut v = Vec::with_capacity(n);
        for row in matrix {
            let mut s = Decimal::ZERO;
            for (a, x) in row.iter().zip(&w) {
                s = s
                    .checked_add(a.checked_mul(*x).ok_or(AhpError::Overflow)?)
                    .ok_or(AhpError::Overflow)?;
            }
            v.push(s);
        }
        let total = v
            .iter()
            .try_fold(Decimal::ZERO, |acc, x| acc.checked_add(*x))
            .ok_or(AhpError::Overflow)?;
        // w sums to 1, so sum(A w) estimates lambda_max.
        lambda = total;
        let next: Vec<Decimal> = v
            .iter()
            .map(|x| x.checked_div(total).ok_or(AhpError::Overflow))
            .collect::<Result<_, _>>()?;
        let delta = next
            .iter()
            .zip(&w)
            .map(|(a, b)| (*a - *b).abs())
            .max()
            .unwrap_or_default();
        w = next;
        if delta < epsilon {
            break;
        }
    }
    let consistency_ratio = if n <= 2 {
        Decimal::ZERO
    } else {
        let ri: Decimal = RANDOM_INDEX[n - 1].parse().expect("constant");
        let ci = ((lambda - nd) / (nd - Decimal::ONE)).max(Decimal::ZERO);
        ci.checked_div(ri).ok_or(AhpError::Overflow)?
    };
    Ok(AhpResult {
        weights: w.into_iter().map(|x| x.normalize()).collect(),
        lambda_max: lambda.normalize(),
        consistency_ratio: consistency_ratio.normalize(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn m(rows: &[&[&str]]) -> Vec<Vec<Decimal>> {
        rows.iter()
            .map(|r| {
                r.iter()
                    .map(|s| match s.split_once('/') {
                        Some((a, b)) => {
                            Decimal::from_str(a).unwrap() / Decimal::from_str(b).unwrap()
                        }
                        None => Decimal::from_str(s).unwrap(),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn consistent_matrix_gives_exact_ratios() {
        // a = 2b = 4c: perfectly consistent, weights 4/7, 2/7, 1/7, CR 0.
        let r = weights(&m(&[
            &["1", "2", "4"],
            &["1/2", "1", "2"],
            &["1/4", "1/2", "1"],
        ]))
        .unwrap();
        let expect = [4, 2, 1].map(|k| Decimal::from(k) / Decimal::from(7));
        for (w, e) in r.weights.iter().zip(expect) {
            assert!((*w - e).abs() < Decimal::new(1, 20), "{w} vs {e}");
        }
        assert!(r.consistency_ratio < Decimal::new(1, 15));
    }

    #[test]
    fn spec_example_matrix() {
        let r = weights(&m(&[
            &["1", "2", "3", "3"],
            &["1/2", "1", "2", "2"],
            &["1/3", "1/2", "1", "1"],
            &["1/3", "1/2", "1", "1"],
        ]))
        .unwrap();
        let sum: Decimal = r.weights.iter().sum();
        assert!((sum - Decimal::ONE).abs() < Decimal::new(1, 20));
        // Known values: 0.4554, 0.2628, 0.1409, 0.1409; CR ≈ 0.0038.
        assert_eq!(
            r.weights[0].round_dp(4),
            Decimal::from_str("0.4554").unwrap()
        );
        assert_eq!(
            r.weights[1].round_dp(4),
            Decimal::from_str("0.2628").unwrap()
        );
        assert_eq!(
            r.consistency_ratio.round_dp(4),
            Decimal::from_str("0.0038").unwrap()
        );
    }

    #[test]
    fn inconsistent_matrix_has_high_cr() {
        // a > b > c > a: intransitive preferences.
        let r = weights(&m(&[
            &["1", "9", "1/9"],
            &["1/9", "1", "9"],
            &["9", "1/9", "1"],
        ]))
        .unwrap();
        assert!(r.consistency_ratio > Decimal::new(1, 1));
    }

    #[test]
    fn shape_and_reciprocity_are_checked() {
        assert_eq!(
            check(&m(&[&["1", "2"], &["1/2"]])),
            Err(AhpError::NotSquare {
                row: 1,
                len: 1,
                n: 2
            })
        );
        assert_eq!(
            check(&m(&[&["1", "2"], &["2", "1"]])),
            Err(AhpError::NotReciprocal { i: 0, j: 1 })
        );
        assert_eq!(
            check(&m(&[&["2"]])),
            Err(AhpError::NotReciprocal { i: 0, j: 0 })
        );
        assert_eq!(check(&[]), Err(AhpError::Empty));
    }
}
