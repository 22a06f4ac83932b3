//! A deliberately plain evaluator of SPEC §4–§7 in exact rationals, sharing
//! no code with `src/`: bsc is a black box to it. The model (`Card`,
//! `Values`) is what the generator in `generate.rs` builds and `write.rs` turns
//! into the files bsc reads; `evaluate` computes every number of SPEC §8
//! from the model alone, the slow and obvious way.
//!
//! Formulas follow SPEC §5 and §13 as the v2 brief (formula-v2-brief.md)
//! spells them out. sqrt, ln, exp and fractional powers cannot be exact:
//! they are computed here to about 90 digits by textbook methods of this
//! file's own (Newton, atanh series, Taylor after halving).
//!
//! Beyond the exact value, the evaluator tracks what the SPEC promises
//! about decimal arithmetic (§16): results agree with exact maths to 1e-20
//! relative only while values and intermediates stay clear of 1e-8 and of
//! the decimal range. Every formula value also carries a bound on how far
//! bsc's decimal may be from it (each step rounded to 28 places or 96
//! bits, approximations to 28 digits), so cancellation and what is
//! computed from it show. A formula that leaves the zone, whose bound
//! exceeds the test's tolerance, or whose comparison, floor, round, branch
//! or score could go either way within the bound marks the case
//! `in_contract = false`, and the differential test draws another one.

#![allow(dead_code)]

pub mod generate;
pub mod write;

use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

pub type Q = BigRational;

/// A decimal as written into the files (`text`) and its exact value.
#[derive(Debug, Clone, PartialEq)]
pub struct Num {
    pub text: String,
    pub q: Q,
}

impl Num {
    pub fn parse(text: &str) -> Num {
        Num {
            text: text.to_string(),
            q: parse_decimal(text).unwrap_or_else(|| panic!("not a decimal: {text}")),
        }
    }
}

/// Exact value of a decimal text such as `-12.5`, `3e-7` or `0.25E2`.
pub fn parse_decimal(text: &str) -> Option<Q> {
    let t = text.trim();
    let (mant, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i64>().ok()?),
        None => (t, 0),
    };
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant.strip_prefix('+').unwrap_or(mant)),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let digits = format!("{int}{frac}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let m: BigInt = digits.parse().ok()?;
    let e = exp - frac.len() as i64;
    let q = if e >= 0 {
        Q::from_integer(m * pow10(e as u32))
    } else {
        Q::new(m, pow10((-e) as u32))
    };
    Some(if neg { -q } else { q })
}

pub fn pow10(n: u32) -> BigInt {
    num_traits::pow(BigInt::from(10), n as usize)
}

pub fn q(n: i64) -> Q {
    Q::from_integer(n.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Renormalize,
    Zero,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    Objective(usize),
    Perspective(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Linear {
        baseline: Num,
        target: Num,
    },
    Band {
        low: Num,
        high: Num,
        tolerance: Num,
    },
    Curve(Vec<(Num, Num)>),
    /// SPEC §12; `below: None` leaves the key out (score 0).
    Step {
        higher: bool,
        steps: Vec<(Num, Num)>,
        below: Option<Num>,
    },
    Binary {
        higher: bool,
        target: Num,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// SPEC §5 and §13 functions; `If` and `Coalesce` are the lazy ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    Pow,
    Sqrt,
    Ln,
    Exp,
    Round,
    Floor,
    Ceil,
    Coalesce,
    /// `if(cond, a, b)`: the first argument is a truth value.
    If,
}

impl Func {
    pub fn name(self) -> &'static str {
        match self {
            Func::Min => "min",
            Func::Max => "max",
            Func::Abs => "abs",
            Func::Pow => "pow",
            Func::Sqrt => "sqrt",
            Func::Ln => "ln",
            Func::Exp => "exp",
            Func::Round => "round",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Coalesce => "coalesce",
            Func::If => "if",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
        }
    }

    fn holds(self, a: &Q, b: &Q) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
}

/// A formula. Numbers and truth values share the type; the generator
/// only puts truth values where the brief allows them.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Num),
    /// An input, an indicator or a constant.
    Var(String),
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `target(id)`: the target in force of indicator `id`.
    Target(String),
    /// `baseline(id)`: the baseline in force of a linear indicator.
    Baseline(String),
    /// `lag(x, k)`; written `prev(x)` when `prev` (then `k` is 1).
    Lag {
        x: Box<Expr>,
        k: u32,
        prev: bool,
    },
}

/// A `[constants]` entry; `string` writes the value as a TOML string.
#[derive(Debug, Clone, PartialEq)]
pub struct Constant {
    pub id: String,
    pub value: Num,
    pub string: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    /// `None`: the key is left out (weight 1).
    pub weight: Option<Num>,
    /// SPEC §11: own `status = { green, amber }`; a key left out
    /// (`None` inside) is the card's.
    pub status: Option<(Option<Num>, Option<Num>)>,
}

impl Node {
    pub fn new(id: String, weight: Option<Num>) -> Node {
        Node {
            id,
            weight,
            status: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub node: Node,
    pub parent: Parent,
    pub rule: Rule,
    /// SPEC §10: the whole rule in force in a period whose plan differs
    /// from the declared one (written as `targets` / `baselines`).
    pub plan: BTreeMap<String, Rule>,
    pub formula: Option<Expr>,
    pub max_score: Option<Num>,
}

/// The periods of a generated case: measurements of `PREVIOUS` give the
/// trend, `CURRENT` is evaluated; `EARLIER` only feeds `prev` / `lag`
/// (and bsc's history).
pub const EARLIER: &str = "2025-Q4";
pub const PREVIOUS: &str = "2026-Q1";
pub const CURRENT: &str = "2026-Q2";

impl Indicator {
    /// The rule in force in `period`: the plan's, else the declared one.
    pub fn rule_in(&self, period: &str) -> &Rule {
        self.plan.get(period).unwrap_or(&self.rule)
    }
}

/// Which sibling group an AHP matrix weighs.
#[derive(Debug, Clone, PartialEq)]
pub enum Level {
    Perspectives,
    /// The children of a perspective (objectives and direct indicators).
    Objectives(usize),
    /// The indicators of an objective.
    Indicators(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ahp {
    pub level: Level,
    /// Member ids in matrix order (a permutation of the group).
    pub order: Vec<String>,
    pub matrix: Vec<Vec<String>>,
    /// Exact weights by member id when the matrix is perfectly consistent;
    /// `None`: the weights bsc reports are taken as given.
    pub exact: Option<BTreeMap<String, Q>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub max_score: Option<Num>,
    pub missing: Option<Policy>,
    /// (green, amber)
    pub status: Option<(Num, Num)>,
    /// SPEC §11: below it the composite's status is `insufficient`.
    pub min_coverage: Option<Num>,
    pub perspectives: Vec<Node>,
    pub objectives: Vec<(usize, Node)>,
    pub indicators: Vec<Indicator>,
    pub inputs: Vec<String>,
    /// SPEC §13 `[constants]`, the same in every period.
    pub constants: Vec<Constant>,
    pub ahp: Vec<Ahp>,
    /// SPEC §10 level 1: the rule in force given with the data, by period
    /// and id (for one unit); written into the measurements, not the card.
    pub data: BTreeMap<String, BTreeMap<String, Rule>>,
}

/// One period's values: ids without an entry have no value.
pub type Values = BTreeMap<String, Num>;

/// The periods of a run, oldest first, each with its values: the last one
/// is evaluated, the one before it is "previous" (SPEC §3).
pub type Run = Vec<(String, Values)>;

impl Card {
    /// Indicator `i`'s rule in force in `period`: the data's, else the
    /// plan's, else the declared one (SPEC §10).
    pub fn rule_in(&self, i: usize, period: &str) -> &Rule {
        let ind = &self.indicators[i];
        self.data
            .get(period)
            .and_then(|d| d.get(&ind.node.id))
            .unwrap_or_else(|| ind.rule_in(period))
    }

    pub fn policy(&self) -> Policy {
        self.missing.unwrap_or(Policy::Renormalize)
    }

    pub fn thresholds(&self) -> (Q, Q) {
        match &self.status {
            Some((g, a)) => (g.q.clone(), a.q.clone()),
            None => (q(90), q(60)),
        }
    }

    /// SPEC §11: a node's own thresholds, each key it leaves out the card's.
    pub fn node_thresholds(&self, node: &Node) -> (Q, Q) {
        let (green, amber) = self.thresholds();
        match &node.status {
            None => (green, amber),
            Some((g, a)) => (
                g.as_ref().map_or(green, |n| n.q.clone()),
                a.as_ref().map_or(amber, |n| n.q.clone()),
            ),
        }
    }

    /// SPEC §11 default: half the weight.
    pub fn min_coverage(&self) -> Q {
        self.min_coverage
            .as_ref()
            .map_or_else(|| Q::new(1.into(), 2.into()), |m| m.q.clone())
    }

    fn cap(&self, ind: &Indicator) -> Q {
        ind.max_score
            .as_ref()
            .or(self.max_score.as_ref())
            .map_or(q(100), |n| n.q.clone())
    }

    /// Children of perspective `p` in declaration order: objectives first
    /// as declared, then direct indicators, each as (is objective, index).
    /// The order does not matter to the maths, only to the AHP writer.
    pub fn perspective_children(&self, p: usize) -> Vec<(bool, usize)> {
        let mut v: Vec<(bool, usize)> = self
            .objectives
            .iter()
            .enumerate()
            .filter(|(_, (pp, _))| *pp == p)
            .map(|(i, _)| (true, i))
            .collect();
        v.extend(
            self.indicators
                .iter()
                .enumerate()
                .filter(|(_, ind)| ind.parent == Parent::Perspective(p))
                .map(|(i, _)| (false, i)),
        );
        v
    }

    pub fn objective_children(&self, o: usize) -> Vec<usize> {
        self.indicators
            .iter()
            .enumerate()
            .filter(|(_, ind)| ind.parent == Parent::Objective(o))
            .map(|(i, _)| i)
            .collect()
    }

    /// The weight a node carries in its group: the AHP weight when an AHP
    /// group covers it (exact, or as bsc reported it), else the declared one.
    fn weight(&self, id: &str, declared: &Option<Num>, given: &BTreeMap<String, Q>) -> Q {
        for g in &self.ahp {
            if g.order.iter().any(|m| m == id) {
                return match &g.exact {
                    Some(w) => w[id].clone(),
                    None => given
                        .get(id)
                        .unwrap_or_else(|| panic!("no given AHP weight for {id}"))
                        .clone(),
                };
            }
        }
        declared.as_ref().map_or(Q::one(), |n| n.q.clone())
    }
}

/// Why an indicator has no value or score (SPEC §8 `reason`).
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    NoValue,
    Needs(Vec<String>),
    DivisionByZero,
    Overflow,
    /// A domain error of the brief, in its exact words (`sqrt of a
    /// negative number`, `round needs 0 to 28 places`, ...).
    Domain(&'static str),
}

impl Reason {
    pub fn text(&self) -> String {
        match self {
            Reason::NoValue => "no value".into(),
            Reason::Needs(ids) => format!("needs {}", ids.join(", ")),
            Reason::DivisionByZero => "division by zero".into(),
            Reason::Overflow => "overflow".into(),
            Reason::Domain(text) => (*text).into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeResult {
    /// Normalised weight among siblings.
    pub weight: Q,
    pub score: Option<Q>,
    pub previous_score: Option<Option<Q>>,
    /// Share of the node's own effective weight that has a score (`None`
    /// when the node carries no weight at all).
    pub coverage: Option<Q>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorResult {
    /// Baseline and target (or band) in force in the evaluated period.
    pub baseline: Option<Q>,
    pub target: Option<Vec<Q>>,
    pub actual: Option<Q>,
    pub score: Option<Q>,
    pub reason: Option<Reason>,
    pub effective_weight: Q,
    /// `Some` when a previous period was given.
    pub previous: Option<(Option<Q>, Option<Q>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub composite: Option<Q>,
    pub previous_composite: Option<Option<Q>>,
    pub coverage: Q,
    pub perspectives: Vec<NodeResult>,
    pub objectives: Vec<NodeResult>,
    pub indicators: Vec<IndicatorResult>,
    /// Under `missing = "error"`: the ids without a score (bsc exits 1).
    pub missing_error: Option<Vec<String>>,
    /// False when a formula left the zone where SPEC §16 promises 1e-20.
    pub in_contract: bool,
}

/// The largest `rust_decimal` magnitude: a formula result beyond it is
/// `overflow` (SPEC §5).
pub fn decimal_max() -> Q {
    Q::from_integer("79228162514264337593543950335".parse().unwrap())
}

/// Whether `x` is a decimal of at most 28 places whose mantissa fits 96
/// bits: then decimal arithmetic that produces it produces it exactly.
fn representable(x: &Q) -> bool {
    match decimal_scale(x) {
        Some(s) if s <= 28 => {
            let m = x.numer().abs() * pow10(s) / x.denom();
            m.bits() <= 96
        }
        _ => false,
    }
}

/// The number of decimal places of `x` (`None`: it does not terminate).
pub fn decimal_scale(x: &Q) -> Option<u32> {
    // The denominator of a reduced fraction: 2^a 5^b, places max(a, b).
    let mut d = x.denom().clone();
    let twos = d.trailing_zeros().unwrap_or(0);
    d >>= twos;
    let five = BigInt::from(5);
    let mut fives = 0u64;
    while (&d % &five).is_zero() {
        d /= &five;
        fives += 1;
    }
    d.is_one().then(|| twos.max(fives) as u32)
}

// ---------------------------------------------------------------------
// Plain decimal helpers.

/// `10^e` for any integer `e`.
pub fn ten_to(e: i64) -> Q {
    if e >= 0 {
        Q::from_integer(pow10(e as u32))
    } else {
        Q::new(BigInt::one(), pow10((-e) as u32))
    }
}

/// `x` rounded to `places` decimal places, half away from zero
/// (`Ratio::round` rounds halves away from zero).
pub fn round_places(x: &Q, places: i64) -> Q {
    let s = ten_to(places);
    (x * &s).round() / s
}

/// `floor(log10 |x|)`, `x` not zero.
fn log10_floor(x: &Q) -> i64 {
    let a = x.abs();
    let mut e = (a.numer().bits() as i64 - a.denom().bits() as i64) * 3 / 10;
    while ten_to(e) > a {
        e -= 1;
    }
    while ten_to(e + 1) <= a {
        e += 1;
    }
    e
}

/// `x` rounded to `digits` significant digits.
pub fn round_sig(x: &Q, digits: i64) -> Q {
    if x.is_zero() {
        return Q::zero();
    }
    round_places(x, digits - 1 - log10_floor(x))
}

// ---------------------------------------------------------------------
// sqrt, ln and exp to about 90 significant digits, the textbook way:
// Newton's method on integers, the atanh series, Taylor's series after
// halving the argument. Slow and obviously right is the point.

/// `floor(sqrt(n))` by Newton's method from above.
pub fn isqrt(n: &BigInt) -> BigInt {
    assert!(!n.is_negative(), "isqrt of a negative number");
    if n.is_zero() {
        return BigInt::zero();
    }
    // 2^ceil(bits/2) >= sqrt(n); each step stays >= floor(sqrt(n)) and
    // decreases until it reaches it.
    let mut x = BigInt::one() << n.bits().div_ceil(2);
    loop {
        let y = (&x + n / &x) >> 1;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// `sqrt(x)` for `x >= 0`, and whether it is exact (`x` the square of a
/// rational); else correct to about 90 significant digits.
pub fn sqrt_q(x: &Q) -> (Q, bool) {
    assert!(!x.is_negative());
    let (n, d) = (x.numer(), x.denom());
    let (rn, rd) = (isqrt(n), isqrt(d));
    if &rn * &rn == *n && &rd * &rd == *d {
        return (Q::new(rn, rd), true);
    }
    // sqrt(n / d) = sqrt(n * d) / d; scale n * d to 180+ digits first.
    let m = n * d;
    let k = (200 - (m.bits() as i64 * 3 / 10)).max(0) as u32 / 2 + 1;
    let r = isqrt(&(m * pow10(2 * k)));
    (round_sig(&Q::new(r, d * pow10(k)), 90), false)
}

/// `atanh(z) = z + z^3/3 + z^5/5 + ...` for `|z| <= 1/3`, to 110 places.
fn atanh_series(z: &Q) -> Q {
    let eps = ten_to(-115);
    let z2 = round_places(&(z * z), 125);
    let mut power = z.clone();
    let mut sum = Q::zero();
    let mut k: i64 = 0;
    loop {
        let term = &power / q(2 * k + 1);
        sum += &term;
        if term.abs() < eps {
            return round_places(&sum, 110);
        }
        power = round_places(&(&power * &z2), 125);
        k += 1;
    }
}

/// `ln(x)` for `x > 0`, to about 100 places: `x = y * 2^e` with `y` in
/// [2/3, 4/3), `ln x = 2 atanh((y-1)/(y+1)) + e * ln 2`, `ln 2 = 2 atanh(1/3)`.
pub fn ln_q(x: &Q) -> Q {
    assert!(x.is_positive(), "ln of a number that is not positive");
    if x.is_one() {
        return Q::zero();
    }
    let two = q(2);
    let mut e: i64 = x.numer().bits() as i64 - x.denom().bits() as i64;
    let mut y = x / pow_int(&two, e);
    let (lo, hi) = (Q::new(2.into(), 3.into()), Q::new(4.into(), 3.into()));
    while y >= hi {
        y /= &two;
        e += 1;
    }
    while y < lo {
        y *= &two;
        e -= 1;
    }
    let z = (&y - Q::one()) / (&y + Q::one());
    let ln2 = two.clone() * atanh_series(&Q::new(1.into(), 3.into()));
    round_places(&(two * atanh_series(&z) + q(e) * ln2), 100)
}

/// `exp(x)` for `|x| <= 400`, to about 100 significant digits:
/// `exp(|x|) = exp(|x| / 2^m)^(2^m)` with Taylor's series for the small
/// argument, then `1 / exp(|x|)` for a negative `x`.
pub fn exp_q(x: &Q) -> Q {
    assert!(x.abs() <= q(400), "exp_q: argument out of range");
    if x.is_zero() {
        return Q::one();
    }
    let mut r = x.abs();
    let mut m = 0;
    while r > Q::new(1.into(), 1000.into()) {
        r /= q(2);
        m += 1;
    }
    let eps = ten_to(-130);
    let mut term = Q::one();
    let mut sum = Q::one();
    let mut k: i64 = 1;
    loop {
        term = round_places(&(term * &r / q(k)), 140);
        sum += &term;
        if term < eps {
            break;
        }
        k += 1;
    }
    for _ in 0..m {
        sum = round_sig(&(&sum * &sum), 140);
    }
    let v = if x.is_negative() { sum.recip() } else { sum };
    round_sig(&v, 100)
}

/// `x^n` exactly (`x` not zero when `n < 0`).
pub fn pow_int(x: &Q, n: i64) -> Q {
    let p = num_traits::pow(x.clone(), n.unsigned_abs() as usize);
    if n < 0 { p.recip() } else { p }
}

// ---------------------------------------------------------------------
// Formula values and what decimal arithmetic may make of them.

/// A formula value: `q` is the exact value (for an approximation, one
/// good to about 90 digits) and `err` bounds how far the decimal bsc
/// holds may be from it when bsc computes as the brief says: every step
/// rounded to 28 places or 96 bits, approximations to 28 significant
/// digits. `err == 0`: bsc has exactly `q`.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub q: Q,
    pub err: Q,
}

impl Val {
    pub fn exact(q: Q) -> Val {
        Val { q, err: Q::zero() }
    }

    fn lo(&self) -> Q {
        &self.q - &self.err
    }

    fn hi(&self) -> Q {
        &self.q + &self.err
    }

    fn is_exact(&self) -> bool {
        self.err.is_zero()
    }
}

/// What a subexpression gives: a number or a truth value.
enum V {
    N(Val),
    B(bool),
}

/// Why a subexpression gives nothing.
enum Fail {
    /// Missing operands, each `x` or `x in 2026-Q1`, in order of first
    /// appearance, each once.
    Needs(Vec<String>),
    Error(Reason),
}

fn merge(into: &mut Vec<String>, names: Vec<String>) {
    for n in names {
        if !into.contains(&n) {
            into.push(n);
        }
    }
}

/// The most one decimal step can move a result of magnitude about `a`:
/// 28 places, or a 96-bit mantissa (then 28 digits at least), times two.
fn ulp(a: &Q) -> Q {
    let rel = a.abs() * Q::new(2.into(), pow10(28));
    rel.max(ten_to(-28))
}

/// The rounding of an approximation (28 significant digits, at most 28
/// places), times two, plus the error of this file's own approximation.
fn approx_ulp(a: &Q) -> Q {
    let rel = a.abs() * ten_to(-27);
    rel.max(ten_to(-28)) + a.abs() * ten_to(-80)
}

/// Below this an inexact value leaves the zone of SPEC §16.
fn tiny() -> Q {
    ten_to(-8)
}

/// Whether a result known to within `err` is as good as SPEC §16
/// promises: the test's tolerance, 1e-20 relative or 1e-24 absolute,
/// with a factor of ten to spare.
pub fn within_contract(x: &Q, err: &Q) -> bool {
    *err <= (x.abs() * ten_to(-21)).max(ten_to(-25))
}

/// The label `k` periods before `label` when it has a calendar form
/// (`YYYY-Qn`, `YYYY-Hn`, `YYYY-MM`, `YYYY`).
pub fn label_back(label: &str, k: u32) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (year, rest) = match label.split_once('-') {
        Some((y, r)) => (y, Some(r)),
        None => (label, None),
    };
    if year.len() != 4 || !digits(year) {
        return None;
    }
    let y: i64 = year.parse().ok()?;
    // (periods per year, index within the year, prefix, width)
    let (per, idx, prefix, width) = match rest {
        None => (1, 0, "", 0),
        Some(r) if r.len() == 2 && (r.starts_with('Q') || r.starts_with('H')) => {
            let per = if r.starts_with('Q') { 4 } else { 2 };
            let n: i64 = r[1..].parse().ok()?;
            if !(1..=per).contains(&n) {
                return None;
            }
            (per, n - 1, &r[..1], 1)
        }
        Some(r) if r.len() == 2 && digits(r) => {
            let n: i64 = r.parse().ok()?;
            if !(1..=12).contains(&n) {
                return None;
            }
            (12, n - 1, "", 2)
        }
        _ => return None,
    };
    let total = y * per + idx - k as i64;
    let (ny, ni) = (total.div_euclid(per), total.rem_euclid(per));
    if ny < 0 {
        return None;
    }
    Some(if per == 1 {
        format!("{ny:04}")
    } else {
        format!("{ny:04}-{prefix}{:0width$}", ni + 1)
    })
}

/// One period's formula operands and results.
#[derive(Debug, Clone)]
pub struct PeriodValues {
    /// Every input's and indicator's value (`None`: it has none).
    pub actual: BTreeMap<String, Option<Val>>,
    pub reasons: BTreeMap<String, Reason>,
}

struct FormulaEval<'a> {
    card: &'a Card,
    /// The run's period labels, oldest first.
    labels: &'a [String],
    /// The periods before the evaluated one, oldest first.
    before: &'a [PeriodValues],
    /// The evaluated period's values so far (formulas read only earlier
    /// formulas).
    now: &'a BTreeMap<String, Option<Val>>,
    in_contract: bool,
}

impl FormulaEval<'_> {
    /// The result may differ from exact maths by more than the test
    /// allows, or take another branch: not a promise (SPEC §16).
    fn out(&mut self) {
        self.in_contract = false;
    }

    fn formula(&mut self, e: &Expr) -> Result<Val, Reason> {
        match self.go(e, 0) {
            Ok(V::N(v)) => {
                if !within_contract(&v.q, &v.err) {
                    self.out();
                }
                Ok(v)
            }
            Ok(V::B(_)) => panic!("a formula's result is a truth value"),
            Err(Fail::Needs(names)) => Err(Reason::Needs(names)),
            Err(Fail::Error(r)) => Err(r),
        }
    }

    /// Label of the period `back` periods before the evaluated one.
    fn label_at(&self, back: u32) -> Option<String> {
        let k = self.before.len();
        let now = &self.labels[k];
        if back as usize <= k {
            Some(self.labels[k - back as usize].clone())
        } else {
            label_back(now, back)
        }
    }

    /// How a missing operand is named in `needs ...`.
    fn name(&self, v: &str, back: u32) -> String {
        if back == 0 {
            return v.to_string();
        }
        let now = &self.labels[self.before.len()];
        match self.label_at(back) {
            Some(label) => format!("{v} in {label}"),
            None if back == 1 => format!("{v} in the period before {now}"),
            None => format!("{v} {back} periods before {now}"),
        }
    }

    /// `v`'s value `back` periods before the evaluated one (`None`: missing).
    fn lookup(&self, v: &str, back: u32) -> Option<Val> {
        if let Some(c) = self.card.constants.iter().find(|c| c.id == v) {
            return Some(Val::exact(c.value.q.clone()));
        }
        let k = self.before.len();
        let map = if back == 0 {
            self.now
        } else if back as usize <= k {
            &self.before[k - back as usize].actual
        } else {
            return None;
        };
        map.get(v)
            .unwrap_or_else(|| panic!("{v} is read before it is computed"))
            .clone()
    }

    /// `target(id)` / `baseline(id)` in force `back` periods back.
    fn in_force(&self, id: &str, back: u32, baseline: bool) -> Val {
        let i = self
            .card
            .indicators
            .iter()
            .position(|ind| ind.node.id == id)
            .unwrap_or_else(|| panic!("target of an unknown indicator {id}"));
        let label = self.label_at(back).expect("a period of the run");
        let n = match (self.card.rule_in(i, &label), baseline) {
            (Rule::Linear { baseline, .. }, true) => baseline,
            (Rule::Linear { target, .. }, false) => target,
            (Rule::Binary { target, .. }, false) => target,
            (r, _) => panic!("target/baseline of {id} with rule {r:?}"),
        };
        Val::exact(n.q.clone())
    }

    fn truth(&mut self, e: &Expr, back: u32) -> Result<bool, Fail> {
        match self.go(e, back)? {
            V::B(b) => Ok(b),
            V::N(_) => panic!("a number where a truth value belongs: {e:?}"),
        }
    }

    /// Every operand, left to right; missing ones win over errors.
    fn strict(&mut self, args: &[&Expr], back: u32) -> Result<Vec<Val>, Fail> {
        let mut needs = Vec::new();
        let mut error = None;
        let mut vals = Vec::new();
        for a in args {
            match self.go(a, back) {
                Ok(V::N(v)) => vals.push(v),
                Ok(V::B(_)) => panic!("a truth value where a number belongs: {a:?}"),
                Err(Fail::Needs(names)) => merge(&mut needs, names),
                Err(Fail::Error(r)) => {
                    error.get_or_insert(r);
                }
            }
        }
        if !needs.is_empty() {
            Err(Fail::Needs(needs))
        } else if let Some(r) = error {
            Err(Fail::Error(r))
        } else {
            Ok(vals)
        }
    }

    fn go(&mut self, e: &Expr, back: u32) -> Result<V, Fail> {
        match e {
            Expr::Lit(n) => Ok(V::N(Val::exact(n.q.clone()))),
            Expr::Var(v) => match self.lookup(v, back) {
                Some(x) => Ok(V::N(x)),
                None => Err(Fail::Needs(vec![self.name(v, back)])),
            },
            // A period before the run has no values, targets included (the
            // brief says so only of constants; bsc reads it this way, and
            // names the operand `target(id)`): only literals and constants
            // keep their value there.
            Expr::Target(id) | Expr::Baseline(id) if back as usize > self.before.len() => {
                let f = if matches!(e, Expr::Target(_)) {
                    "target"
                } else {
                    "baseline"
                };
                Err(Fail::Needs(vec![self.name(&format!("{f}({id})"), back)]))
            }
            Expr::Target(id) => Ok(V::N(self.in_force(id, back, false))),
            Expr::Baseline(id) => Ok(V::N(self.in_force(id, back, true))),
            Expr::Lag { x, k, .. } => self.go(x, back + k),
            Expr::Neg(x) => {
                let v = self.strict(&[x], back)?;
                Ok(V::N(Val {
                    q: -v[0].q.clone(),
                    err: v[0].err.clone(),
                }))
            }
            Expr::Bin(op, a, b) => {
                let v = self.strict(&[a, b], back)?;
                self.arith(*op, &v[0], &v[1]).map(V::N)
            }
            Expr::Cmp(op, a, b) => {
                let v = self.strict(&[a, b], back)?;
                Ok(V::B(self.compare(*op, &v[0], &v[1])))
            }
            Expr::Not(x) => Ok(V::B(!self.truth(x, back)?)),
            Expr::And(a, b) => Ok(V::B(self.truth(a, back)? && self.truth(b, back)?)),
            Expr::Or(a, b) => Ok(V::B(self.truth(a, back)? || self.truth(b, back)?)),
            Expr::Call(Func::If, args) => {
                if self.truth(&args[0], back)? {
                    self.go(&args[1], back)
                } else {
                    self.go(&args[2], back)
                }
            }
            Expr::Call(Func::Coalesce, args) => {
                let mut needs = Vec::new();
                let mut error = None;
                for a in args {
                    match self.go(a, back) {
                        Ok(v) => return Ok(v),
                        Err(Fail::Needs(names)) => merge(&mut needs, names),
                        Err(Fail::Error(r)) => {
                            error.get_or_insert(r);
                        }
                    }
                }
                Err(if needs.is_empty() {
                    Fail::Error(error.expect("coalesce has operands"))
                } else {
                    Fail::Needs(needs)
                })
            }
            Expr::Call(f, args) => {
                let refs: Vec<&Expr> = args.iter().collect();
                let v = self.strict(&refs, back)?;
                self.call(*f, v).map(V::N)
            }
        }
    }

    /// Fails with `overflow` beyond the decimal range; close to its edge
    /// rounding decides, which is not a promise.
    fn range(&mut self, x: &Q, err: &Q) -> Result<(), Fail> {
        let max = decimal_max();
        let margin = &max * ten_to(-6) + err;
        let a = x.abs();
        if a > &max - &margin && a < &max + &margin {
            self.out();
        }
        if a > max {
            return Err(Fail::Error(Reason::Overflow));
        }
        Ok(())
    }

    /// The value `x` within `err`: an inexact value below 1e-8 leaves the
    /// zone of SPEC §16; a long rational is shortened (it is inexact anyway).
    fn settle(&mut self, x: Q, err: Q) -> Val {
        if err.is_zero() {
            return Val::exact(x);
        }
        if !x.is_zero() && x.abs() < tiny() {
            self.out();
        }
        let (x, err) = if x.numer().bits() + x.denom().bits() > 1200 {
            let short = round_sig(&x, 100);
            let e = err + short.abs() * ten_to(-98);
            (short, e)
        } else {
            (x, err)
        };
        // Errors on a grid of 1e-60, rounded up: short rationals, still a bound.
        let grid = ten_to(60);
        let err = (err * &grid).ceil() / grid;
        Val { q: x, err }
    }

    /// One decimal step: exact when the operands are and the result is a
    /// decimal of 28 places and 96 bits, else within one rounding more.
    fn rounded(&mut self, x: Q, err: Q) -> Result<Val, Fail> {
        self.range(&x, &err)?;
        let err = if err.is_zero() && representable(&x) {
            err
        } else {
            let u = ulp(&(x.abs() + &err));
            err + u
        };
        Ok(self.settle(x, err))
    }

    fn arith(&mut self, op: Op, a: &Val, b: &Val) -> Result<Val, Fail> {
        let (ea, eb) = (&a.err, &b.err);
        match op {
            Op::Add => self.rounded(&a.q + &b.q, ea + eb),
            Op::Sub => self.rounded(&a.q - &b.q, ea + eb),
            Op::Mul => self.rounded(&a.q * &b.q, a.q.abs() * eb + b.q.abs() * ea + ea * eb),
            Op::Div => {
                let bb = b.q.abs();
                if bb <= *eb && !b.is_exact() {
                    // bsc's divisor may be zero or anything tiny.
                    self.out();
                }
                if b.q.is_zero() {
                    return Err(Fail::Error(Reason::DivisionByZero));
                }
                // |(a+da)/(b+db) - a/b| <= (|da| |b| + |a| |db|) / (|b| (|b| - |db|))
                let err = if bb > *eb {
                    (ea * &bb + a.q.abs() * eb) / (&bb * (&bb - eb))
                } else {
                    Q::zero()
                };
                self.rounded(&a.q / &b.q, err)
            }
        }
    }

    /// A comparison of decimals within their errors of these values:
    /// certain unless the two may be in either order.
    fn compare(&mut self, op: Cmp, a: &Val, b: &Val) -> bool {
        let room = &a.err + &b.err;
        if !room.is_zero() && (&a.q - &b.q).abs() <= room {
            self.out();
        }
        op.holds(&a.q, &b.q)
    }

    /// `f` of a value bsc holds within `x.err`, `f` monotone and constant
    /// between landmarks (floor, ceil, round): exact unless a landmark lies
    /// within the error.
    fn stepwise(&mut self, x: &Val, f: impl Fn(&Q) -> Q) -> Val {
        let r = f(&x.q);
        if !x.is_exact() && f(&x.lo()) != f(&x.hi()) {
            self.out();
        }
        Val::exact(r)
    }

    fn call(&mut self, f: Func, v: Vec<Val>) -> Result<Val, Fail> {
        match f {
            Func::Abs => Ok(Val {
                q: v[0].q.abs(),
                err: v[0].err.clone(),
            }),
            Func::Min | Func::Max => {
                let better = |x: &Q, y: &Q| if f == Func::Min { x < y } else { x > y };
                let mut best = v[0].clone();
                for x in &v[1..] {
                    if better(&x.q, &best.q) {
                        best = x.clone();
                    }
                }
                // When another operand is as good within the errors, bsc
                // may pick it: still within the largest error.
                let close = v.iter().any(|x| {
                    let room = &x.err + &best.err;
                    x != &best && !room.is_zero() && (&x.q - &best.q).abs() <= room
                });
                if close {
                    best.err = v.iter().map(|x| x.err.clone()).max().unwrap();
                }
                Ok(best)
            }
            Func::Floor => Ok(self.stepwise(&v[0], |x| x.floor())),
            Func::Ceil => Ok(self.stepwise(&v[0], |x| x.ceil())),
            Func::Round => {
                let n = &v[1];
                if !n.is_exact() {
                    // bsc's places may be 2 or 1.999...
                    self.out();
                }
                if !n.q.is_integer() || n.q < Q::zero() || n.q > q(28) {
                    return Err(Fail::Error(Reason::Domain("round needs 0 to 28 places")));
                }
                let places: i64 = n.q.to_integer().try_into().unwrap();
                Ok(self.stepwise(&v[0], |x| round_places(x, places)))
            }
            Func::Sqrt => self.sqrt(&v[0]),
            Func::Ln => {
                let x = &v[0];
                if !x.is_exact() && x.q <= x.err {
                    self.out();
                }
                if !x.q.is_positive() {
                    return Err(Fail::Error(Reason::Domain(
                        "ln of a number that is not positive",
                    )));
                }
                if x.q.is_one() && x.is_exact() {
                    return Ok(Val::exact(Q::zero()));
                }
                let r = ln_q(&x.q);
                // ln(x + d) - ln(x) <= |d| / (x - |d|)
                let prop = if x.q > x.err {
                    &x.err / (&x.q - &x.err)
                } else {
                    Q::zero()
                };
                let err = prop + approx_ulp(&r);
                Ok(self.settle(r, err))
            }
            Func::Exp => {
                let x = &v[0];
                if x.q.is_zero() && x.is_exact() {
                    return Ok(Val::exact(Q::one()));
                }
                self.exp_val(&x.q, &x.err, false)
            }
            Func::Pow => self.pow(&v[0], &v[1]),
            Func::If | Func::Coalesce => unreachable!("lazy functions are evaluated in go"),
        }
    }

    fn sqrt(&mut self, x: &Val) -> Result<Val, Fail> {
        if !x.is_exact() && x.q.abs() <= x.err {
            self.out();
        }
        if x.q.is_negative() {
            return Err(Fail::Error(Reason::Domain("sqrt of a negative number")));
        }
        if x.q.is_zero() {
            return Ok(Val::exact(Q::zero()));
        }
        let (r, exact) = sqrt_q(&x.q);
        // The brief: exact when the root is a short decimal.
        if exact && x.is_exact() && representable(&r) {
            return Ok(Val::exact(r));
        }
        // |sqrt(x + d) - sqrt(x)| <= |d| / sqrt(x), with room.
        let err = q(2) * &x.err / &r + approx_ulp(&r);
        Ok(self.settle(r, err))
    }

    /// `±exp(t)` where bsc's `t` is within `dt`: overflow beyond the
    /// decimal range, tiny results round to 0.
    fn exp_val(&mut self, t: &Q, dt: &Q, negative: bool) -> Result<Val, Fail> {
        if *dt > Q::new(1.into(), 2.into()) {
            self.out();
        }
        // exp(67) > 7.9e28, the decimal maximum.
        if *t > q(67) {
            return Err(Fail::Error(Reason::Overflow));
        }
        let r = if *t < q(-300) { Q::zero() } else { exp_q(t) };
        // exp(t + d) - exp(t) = exp(t) (exp(d) - 1), |exp(d) - 1| <= 2 |d|.
        let err = &r * q(2) * dt + approx_ulp(&r);
        let r = if negative { -r } else { r };
        self.range(&r, &err)?;
        Ok(self.settle(r, err))
    }

    fn pow(&mut self, x: &Val, y: &Val) -> Result<Val, Fail> {
        // Whether bsc's exponent is an integer, and the sign of its base,
        // must be the exact ones.
        if !y.is_exact() && (&y.q - y.q.round()).abs() <= y.err {
            self.out();
        }
        if !x.is_exact() && x.q.abs() <= x.err {
            self.out();
        }
        if y.q.is_integer() {
            let n = y.q.to_integer();
            if x.q.is_zero() {
                return if n.is_zero() {
                    Ok(Val::exact(Q::one()))
                } else if n.is_positive() {
                    Ok(Val::exact(Q::zero()))
                } else {
                    Err(Fail::Error(Reason::DivisionByZero))
                };
            }
            if n.abs() <= BigInt::from(64) {
                let n: i64 = n.try_into().unwrap();
                let r = pow_int(&x.q, n);
                // bsc's base within x.err: the power within these bounds.
                let a = x.q.abs();
                let prop = if n == 0 || x.is_exact() {
                    Q::zero()
                } else if n > 0 {
                    pow_int(&(&a + &x.err), n) - pow_int(&a, n)
                } else if a > x.err {
                    pow_int(&(&a - &x.err), n) - pow_int(&a, n)
                } else {
                    Q::zero()
                };
                return self.rounded(r, prop);
            }
            // |n| > 64: exp(n ln|x|), negative for a negative x and odd n.
            let negative = x.q.is_negative() && !(&n % BigInt::from(2)).is_zero();
            return self.pow_approx(&x.q.abs(), &x.err, &y.q, &y.err, negative);
        }
        if x.q.is_negative() {
            return Err(Fail::Error(Reason::Domain(
                "pow of a negative number to a fractional power",
            )));
        }
        if x.q.is_zero() {
            return if y.q.is_positive() {
                Ok(Val::exact(Q::zero()))
            } else {
                Err(Fail::Error(Reason::DivisionByZero))
            };
        }
        if y.q == Q::new(1.into(), 2.into()) && y.is_exact() {
            // The brief: pow(x, 0.5) is sqrt(x) to the last digit.
            return self.sqrt(x);
        }
        self.pow_approx(&x.q, &x.err, &y.q, &y.err, false)
    }

    /// `±a^y = ±exp(y ln a)` for `a > 0` known within `ea`, `y` within `ey`.
    fn pow_approx(&mut self, a: &Q, ea: &Q, y: &Q, ey: &Q, negative: bool) -> Result<Val, Fail> {
        let ln_a = ln_q(a);
        let t = y * &ln_a;
        // How far bsc's y ln a may be: |y| |d ln a| + |ln a| |dy|.
        let d_ln = if a > ea { ea / (a - ea) } else { Q::zero() };
        let dt = y.abs() * d_ln + ln_a.abs() * ey + t.abs() * ten_to(-90);
        if t.abs() > q(400) {
            // Far out of range: overflow or a tiny result (0).
            if t.is_positive() {
                return Err(Fail::Error(Reason::Overflow));
            }
            return self.exp_val(&q(-400), &dt, negative);
        }
        self.exp_val(&t, &dt, negative)
    }
}

/// Every input's and indicator's value in every period of the run, the
/// oldest first (a formula may read earlier periods through prev / lag).
fn run_values(card: &Card, run: &Run, in_contract: &mut bool) -> Vec<PeriodValues> {
    let labels: Vec<String> = run.iter().map(|(l, _)| l.clone()).collect();
    let mut done: Vec<PeriodValues> = Vec::new();
    for (_, values) in run {
        let given = |id: &String| values.get(id).map(|n| Val::exact(n.q.clone()));
        let mut actual: BTreeMap<String, Option<Val>> = BTreeMap::new();
        for id in &card.inputs {
            actual.insert(id.clone(), given(id));
        }
        for ind in card.indicators.iter().filter(|i| i.formula.is_none()) {
            actual.insert(ind.node.id.clone(), given(&ind.node.id));
        }
        let mut reasons: BTreeMap<String, Reason> = BTreeMap::new();
        // In declaration order: the generator only refers to earlier
        // formula indicators (in every period).
        for ind in &card.indicators {
            let id = &ind.node.id;
            match &ind.formula {
                None => {
                    if !values.contains_key(id) {
                        reasons.insert(id.clone(), Reason::NoValue);
                    }
                }
                Some(f) => {
                    let r = {
                        let mut ev = FormulaEval {
                            card,
                            labels: &labels,
                            before: &done,
                            now: &actual,
                            in_contract: true,
                        };
                        let r = ev.formula(f);
                        *in_contract &= ev.in_contract;
                        r
                    };
                    match r {
                        Ok(v) => {
                            actual.insert(id.clone(), Some(v));
                        }
                        Err(r) => {
                            actual.insert(id.clone(), None);
                            reasons.insert(id.clone(), r);
                        }
                    }
                }
            }
        }
        done.push(PeriodValues { actual, reasons });
    }
    done
}

/// Where a rule's score bends or jumps.
pub fn rule_landmarks(rule: &Rule) -> Vec<Q> {
    match rule {
        Rule::Linear { baseline, target } => vec![baseline.q.clone(), target.q.clone()],
        Rule::Band {
            low,
            high,
            tolerance,
        } => vec![
            &low.q - &tolerance.q,
            low.q.clone(),
            high.q.clone(),
            &high.q + &tolerance.q,
        ],
        Rule::Curve(p) => p.iter().map(|(v, _)| v.q.clone()).collect(),
        Rule::Step { steps, .. } => steps.iter().map(|(v, _)| v.q.clone()).collect(),
        Rule::Binary { target, .. } => vec![target.q.clone()],
    }
}

/// Whether the score of an actual bsc holds only within `a.err` is still
/// the score of `a.q` as SPEC §16 promises: the scores are piecewise
/// linear between landmarks (or jump there), so the largest change within
/// the error is at its ends or at a landmark inside.
fn score_certain(rule: &Rule, cap: &Q, a: &Val, s: &Q) -> bool {
    let mut points = vec![a.lo(), a.hi()];
    points.extend(
        rule_landmarks(rule)
            .into_iter()
            .filter(|m| *m >= a.lo() && *m <= a.hi()),
    );
    points
        .iter()
        .all(|p| within_contract(s, &(score_rule(rule, cap, p) - s).abs()))
}

fn clamp(x: Q, lo: Q, hi: Q) -> Q {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

/// SPEC §4: the score of one actual value.
pub fn score_rule(rule: &Rule, cap: &Q, a: &Q) -> Q {
    let hundred = q(100);
    match rule {
        Rule::Linear { baseline, target } => clamp(
            &hundred * (a - &baseline.q) / (&target.q - &baseline.q),
            Q::zero(),
            cap.clone(),
        ),
        Rule::Band {
            low,
            high,
            tolerance,
        } => {
            let d = if a < &low.q {
                &low.q - a
            } else if a > &high.q {
                a - &high.q
            } else {
                Q::zero()
            };
            let s = hundred * (Q::one() - d / &tolerance.q);
            if s < Q::zero() { Q::zero() } else { s }
        }
        Rule::Curve(points) => {
            let first = &points[0];
            let last = &points[points.len() - 1];
            let s = if a <= &first.0.q {
                first.1.q.clone()
            } else if a >= &last.0.q {
                last.1.q.clone()
            } else {
                let k = points.windows(2).position(|w| a <= &w[1].0.q).unwrap();
                let (v0, s0) = (&points[k].0.q, &points[k].1.q);
                let (v1, s1) = (&points[k + 1].0.q, &points[k + 1].1.q);
                s0 + (s1 - s0) * (a - v0) / (v1 - v0)
            };
            clamp(s, Q::zero(), cap.clone())
        }
        // SPEC §12, read literally: the largest v_k <= a, or the smallest
        // v_k >= a; no step reached scores `below`.
        Rule::Step {
            higher,
            steps,
            below,
        } => {
            let reached = if *higher {
                steps
                    .iter()
                    .filter(|(v, _)| &v.q <= a)
                    .max_by(|x, y| x.0.q.cmp(&y.0.q))
            } else {
                steps
                    .iter()
                    .filter(|(v, _)| &v.q >= a)
                    .min_by(|x, y| x.0.q.cmp(&y.0.q))
            };
            match reached {
                Some((_, s)) => s.q.clone(),
                None => below.as_ref().map_or(Q::zero(), |b| b.q.clone()),
            }
        }
        Rule::Binary { higher, target } => {
            let met = if *higher {
                a >= &target.q
            } else {
                a <= &target.q
            };
            if met { hundred } else { Q::zero() }
        }
    }
}

/// Actual values and scores of every indicator in the period `label`.
fn period_scores(
    card: &Card,
    pv: &PeriodValues,
    label: &str,
    in_contract: &mut bool,
) -> Vec<(Option<Q>, Option<Q>, Option<Reason>)> {
    card.indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| {
            let a = pv.actual[&ind.node.id].clone();
            let rule = card.rule_in(i, label);
            let cap = card.cap(ind);
            let s = a.as_ref().map(|a| {
                let s = score_rule(rule, &cap, &a.q);
                if !a.is_exact() && !score_certain(rule, &cap, a, &s) {
                    *in_contract = false;
                }
                s
            });
            (a.map(|a| a.q), s, pv.reasons.get(&ind.node.id).cloned())
        })
        .collect()
}

/// `sum(w_i * s_i) / sum(w_i)` over the children that take part.
fn mean(children: &[(Q, Option<Q>)], policy: Policy) -> Option<Q> {
    let mut num = Q::zero();
    let mut den = Q::zero();
    for (w, s) in children {
        let s = match (s, policy) {
            (Some(s), _) => s.clone(),
            (None, Policy::Zero) => Q::zero(),
            (None, _) => continue,
        };
        num += w * s;
        den += w;
    }
    (!den.is_zero()).then(|| num / den)
}

fn normalise(ws: &[Q]) -> Vec<Q> {
    let total: Q = ws.iter().cloned().sum();
    ws.iter().map(|w| w / &total).collect()
}

struct Tree {
    p_weight: Vec<Q>,
    o_weight: Vec<Q>,
    i_weight: Vec<Q>,
    effective: Vec<Q>,
    p_eff: Vec<Q>,
    o_eff: Vec<Q>,
}

/// Normalised weights of every node and effective weights (SPEC §6).
fn tree(card: &Card, given: &BTreeMap<String, Q>) -> Tree {
    let np = card.perspectives.len();
    let pw: Vec<Q> = card
        .perspectives
        .iter()
        .map(|p| card.weight(&p.id, &p.weight, given))
        .collect();
    let p_weight = normalise(&pw);
    let mut o_weight = vec![Q::zero(); card.objectives.len()];
    let mut i_weight = vec![Q::zero(); card.indicators.len()];
    for p in 0..np {
        let kids = card.perspective_children(p);
        let ws: Vec<Q> = kids
            .iter()
            .map(|&(is_o, i)| {
                let n = if is_o {
                    &card.objectives[i].1
                } else {
                    &card.indicators[i].node
                };
                card.weight(&n.id, &n.weight, given)
            })
            .collect();
        for (&(is_o, i), w) in kids.iter().zip(normalise(&ws)) {
            if is_o {
                o_weight[i] = w;
            } else {
                i_weight[i] = w;
            }
        }
    }
    for o in 0..card.objectives.len() {
        let kids = card.objective_children(o);
        let ws: Vec<Q> = kids
            .iter()
            .map(|&i| {
                let n = &card.indicators[i].node;
                card.weight(&n.id, &n.weight, given)
            })
            .collect();
        for (&i, w) in kids.iter().zip(normalise(&ws)) {
            i_weight[i] = w;
        }
    }
    let o_eff: Vec<Q> = card
        .objectives
        .iter()
        .enumerate()
        .map(|(o, (p, _))| &p_weight[*p] * &o_weight[o])
        .collect();
    let effective = card
        .indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| match ind.parent {
            Parent::Perspective(p) => &p_weight[p] * &i_weight[i],
            Parent::Objective(o) => &o_eff[o] * &i_weight[i],
        })
        .collect();
    Tree {
        p_eff: p_weight.clone(),
        p_weight,
        o_weight,
        i_weight,
        effective,
        o_eff,
    }
}

struct Scores {
    composite: Option<Q>,
    perspectives: Vec<Option<Q>>,
    objectives: Vec<Option<Q>>,
}

fn aggregate(card: &Card, t: &Tree, ind: &[Option<Q>]) -> Scores {
    let policy = card.policy();
    let objectives: Vec<Option<Q>> = (0..card.objectives.len())
        .map(|o| {
            let kids: Vec<(Q, Option<Q>)> = card
                .objective_children(o)
                .into_iter()
                .map(|i| (t.i_weight[i].clone(), ind[i].clone()))
                .collect();
            mean(&kids, policy)
        })
        .collect();
    let perspectives: Vec<Option<Q>> = (0..card.perspectives.len())
        .map(|p| {
            let kids: Vec<(Q, Option<Q>)> = card
                .perspective_children(p)
                .into_iter()
                .map(|(is_o, i)| {
                    if is_o {
                        (t.o_weight[i].clone(), objectives[i].clone())
                    } else {
                        (t.i_weight[i].clone(), ind[i].clone())
                    }
                })
                .collect();
            mean(&kids, policy)
        })
        .collect();
    let kids: Vec<(Q, Option<Q>)> = t
        .p_weight
        .iter()
        .cloned()
        .zip(perspectives.iter().cloned())
        .collect();
    Scores {
        composite: mean(&kids, policy),
        perspectives,
        objectives,
    }
}

/// Evaluates the last period of `run` (and the one before it, for
/// trends). `given` holds the weights bsc reported for members of
/// inconsistent AHP groups.
pub fn evaluate(card: &Card, run: &Run, given: &BTreeMap<String, Q>) -> Evaluation {
    let mut in_contract = true;
    let t = tree(card, given);
    let pv = run_values(card, run, &mut in_contract);
    let last = run.len() - 1;
    let label = run[last].0.as_str();
    let now = period_scores(card, &pv[last], label, &mut in_contract);
    let before =
        (last >= 1).then(|| period_scores(card, &pv[last - 1], &run[last - 1].0, &mut in_contract));
    let scores: Vec<Option<Q>> = now.iter().map(|x| x.1.clone()).collect();
    let agg = aggregate(card, &t, &scores);
    let prev_agg = before.as_ref().map(|b| {
        let s: Vec<Option<Q>> = b.iter().map(|x| x.1.clone()).collect();
        aggregate(card, &t, &s)
    });
    let scored_weight = |pred: &dyn Fn(&Indicator) -> bool| -> Q {
        card.indicators
            .iter()
            .enumerate()
            .filter(|(i, ind)| scores[*i].is_some() && pred(ind))
            .map(|(i, _)| t.effective[i].clone())
            .sum()
    };
    let share = |part: Q, whole: &Q| (!whole.is_zero()).then(|| part / whole);
    let coverage = scored_weight(&|_| true);
    let perspectives = (0..card.perspectives.len())
        .map(|p| {
            let in_p = |ind: &Indicator| match ind.parent {
                Parent::Perspective(pp) => pp == p,
                Parent::Objective(o) => card.objectives[o].0 == p,
            };
            NodeResult {
                weight: t.p_weight[p].clone(),
                score: agg.perspectives[p].clone(),
                previous_score: prev_agg.as_ref().map(|a| a.perspectives[p].clone()),
                coverage: share(scored_weight(&in_p), &t.p_eff[p]),
            }
        })
        .collect();
    let objectives = (0..card.objectives.len())
        .map(|o| NodeResult {
            weight: t.o_weight[o].clone(),
            score: agg.objectives[o].clone(),
            previous_score: prev_agg.as_ref().map(|a| a.objectives[o].clone()),
            coverage: share(
                scored_weight(&|ind: &Indicator| ind.parent == Parent::Objective(o)),
                &t.o_eff[o],
            ),
        })
        .collect();
    let indicators = now
        .iter()
        .enumerate()
        .map(|(i, (a, s, r))| IndicatorResult {
            baseline: match card.rule_in(i, label) {
                Rule::Linear { baseline, .. } => Some(baseline.q.clone()),
                _ => None,
            },
            target: match card.rule_in(i, label) {
                Rule::Linear { target, .. } => Some(vec![target.q.clone()]),
                Rule::Band { low, high, .. } => Some(vec![low.q.clone(), high.q.clone()]),
                Rule::Binary { target, .. } => Some(vec![target.q.clone()]),
                Rule::Curve(_) | Rule::Step { .. } => None,
            },
            actual: a.clone(),
            score: s.clone(),
            reason: if s.is_none() { r.clone() } else { None },
            effective_weight: t.effective[i].clone(),
            previous: before.as_ref().map(|b| (b[i].0.clone(), b[i].1.clone())),
        })
        .collect();
    let missing: Vec<String> = card
        .indicators
        .iter()
        .zip(&scores)
        .filter(|(_, s)| s.is_none())
        .map(|(ind, _)| ind.node.id.clone())
        .collect();
    Evaluation {
        composite: agg.composite,
        previous_composite: prev_agg.map(|a| a.composite),
        coverage,
        perspectives,
        objectives,
        indicators,
        missing_error: (card.policy() == Policy::Error && !missing.is_empty()).then_some(missing),
        in_contract,
    }
}

/// SPEC §11 status of the composite: a score resting on less than the
/// minimum coverage is `insufficient`, whatever its value.
pub fn composite_status(score: &Option<Q>, coverage: &Q, card: &Card) -> &'static str {
    let (green, amber) = card.thresholds();
    match score {
        Some(_) if coverage < &card.min_coverage() => "insufficient",
        _ => status(score, &green, &amber),
    }
}

/// SPEC §4 status of a score.
pub fn status(score: &Option<Q>, green: &Q, amber: &Q) -> &'static str {
    match score {
        None => "missing",
        Some(s) if s >= green => "green",
        Some(s) if s >= amber => "amber",
        Some(_) => "red",
    }
}
