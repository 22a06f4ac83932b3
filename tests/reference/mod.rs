//! A deliberately plain evaluator of SPEC §4–§7 in exact rationals, sharing
//! no code with `src/`: bsc is a black box to it. The model (`Card`,
//! `Values`) is what the generator in `generate.rs` builds and `write.rs` turns
//! into the files bsc reads; `evaluate` computes every number of SPEC §8
//! from the model alone, the slow and obvious way.
//!
//! Beyond the exact value, the evaluator tracks what the SPEC promises
//! about decimal arithmetic (§16): results agree with exact maths to 1e-20
//! relative only while values and intermediates stay clear of 1e-8 and of
//! the decimal range. A formula that leaves that zone marks the case
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Num),
    Var(String),
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
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
/// trend, `CURRENT` is evaluated.
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
    pub ahp: Vec<Ahp>,
    /// SPEC §10 level 1: the rule in force given with the data, by period
    /// and id (for one unit); written into the measurements, not the card.
    pub data: BTreeMap<String, BTreeMap<String, Rule>>,
}

/// One period's values: ids without an entry have no value.
pub type Values = BTreeMap<String, Num>;

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
}

impl Reason {
    pub fn text(&self) -> String {
        match self {
            Reason::NoValue => "no value".into(),
            Reason::Needs(ids) => format!("needs {}", ids.join(", ")),
            Reason::DivisionByZero => "division by zero".into(),
            Reason::Overflow => "overflow".into(),
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

/// A formula value: exact, and whether decimal arithmetic got it exactly.
#[derive(Clone)]
struct Val {
    q: Q,
    exact: bool,
}

struct FormulaEval<'a> {
    value_of: &'a dyn Fn(&str) -> Option<Q>,
    in_contract: bool,
}

impl FormulaEval<'_> {
    fn eval(&mut self, e: &Expr) -> Result<Q, Reason> {
        // Every missing operand is named, in order of first appearance,
        // before anything is computed.
        let mut vars = Vec::new();
        collect_vars(e, &mut vars);
        let needs: Vec<String> = vars
            .into_iter()
            .filter(|v| (self.value_of)(v).is_none())
            .collect();
        if !needs.is_empty() {
            return Err(Reason::Needs(needs));
        }
        self.go(e).map(|v| v.q)
    }

    fn result(
        &mut self,
        q: Q,
        operands_exact: bool,
        cancel_from: Option<Q>,
    ) -> Result<Val, Reason> {
        let max = decimal_max();
        let a = q.abs();
        if a > max {
            // Close to the boundary, rounding decides: not a promise.
            if a < &max * Q::new(1000001.into(), 1000000.into()) {
                self.in_contract = false;
            }
            return Err(Reason::Overflow);
        }
        if a > &max * Q::new(999999.into(), 1000000.into()) {
            self.in_contract = false;
        }
        let exact = operands_exact && representable(&q);
        let tiny = Q::new(1.into(), pow10(8));
        if !exact && !a.is_zero() && a < tiny {
            self.in_contract = false;
        }
        if !operands_exact
            && let Some(m) = cancel_from
            && a < m * Q::new(1.into(), pow10(7))
        {
            self.in_contract = false;
        }
        Ok(Val { q, exact })
    }

    fn go(&mut self, e: &Expr) -> Result<Val, Reason> {
        match e {
            Expr::Lit(n) => Ok(Val {
                q: n.q.clone(),
                exact: true,
            }),
            Expr::Var(v) => Ok(Val {
                q: (self.value_of)(v).expect("checked above"),
                exact: true,
            }),
            Expr::Neg(x) => {
                let x = self.go(x)?;
                Ok(Val {
                    q: -x.q,
                    exact: x.exact,
                })
            }
            Expr::Bin(op, a, b) => {
                let a = self.go(a)?;
                let b = self.go(b)?;
                let ex = a.exact && b.exact;
                let big = a.q.abs().max(b.q.abs());
                match op {
                    Op::Add => self.result(&a.q + &b.q, ex, Some(big)),
                    Op::Sub => self.result(&a.q - &b.q, ex, Some(big)),
                    Op::Mul => self.result(&a.q * &b.q, ex, None),
                    Op::Div => {
                        if b.q.is_zero() {
                            return Err(Reason::DivisionByZero);
                        }
                        self.result(&a.q / &b.q, ex, None)
                    }
                }
            }
            Expr::Call(f, args) => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(self.go(a)?);
                }
                Ok(match f {
                    Func::Abs => Val {
                        q: vals[0].q.abs(),
                        exact: vals[0].exact,
                    },
                    Func::Min => vals
                        .into_iter()
                        .reduce(|a, b| if b.q < a.q { b } else { a })
                        .unwrap(),
                    Func::Max => vals
                        .into_iter()
                        .reduce(|a, b| if b.q > a.q { b } else { a })
                        .unwrap(),
                })
            }
        }
    }
}

pub fn collect_vars(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Lit(_) => {}
        Expr::Var(v) => {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
        Expr::Neg(x) => collect_vars(x, out),
        Expr::Bin(_, a, b) => {
            collect_vars(a, out);
            collect_vars(b, out);
        }
        Expr::Call(_, args) => args.iter().for_each(|a| collect_vars(a, out)),
    }
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

/// Actual values and scores of every indicator for one period.
fn indicator_values(
    card: &Card,
    values: &Values,
    period: &str,
    in_contract: &mut bool,
) -> Vec<(Option<Q>, Option<Q>, Option<Reason>)> {
    // Formulas may use earlier formula indicators: evaluate in order,
    // non-formula ones first (the generator only refers backwards).
    let mut actual: BTreeMap<String, Option<Q>> = BTreeMap::new();
    for id in &card.inputs {
        actual.insert(id.clone(), values.get(id).map(|n| n.q.clone()));
    }
    for ind in card.indicators.iter().filter(|i| i.formula.is_none()) {
        actual.insert(
            ind.node.id.clone(),
            values.get(&ind.node.id).map(|n| n.q.clone()),
        );
    }
    let mut reasons: BTreeMap<String, Reason> = BTreeMap::new();
    for ind in &card.indicators {
        let id = &ind.node.id;
        match &ind.formula {
            None => {
                if !values.contains_key(id) {
                    reasons.insert(id.clone(), Reason::NoValue);
                }
            }
            Some(f) => {
                let lookup = |id: &str| actual.get(id).cloned().flatten();
                let mut ev = FormulaEval {
                    value_of: &lookup,
                    in_contract: true,
                };
                let r = ev.eval(f);
                *in_contract &= ev.in_contract;
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
    card.indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| {
            let a = actual[&ind.node.id].clone();
            let s = a
                .as_ref()
                .map(|a| score_rule(card.rule_in(i, period), &card.cap(ind), a));
            (a, s, reasons.get(&ind.node.id).cloned())
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

/// Evaluates `current` (and `previous`, for trends). `given` holds the
/// weights bsc reported for members of inconsistent AHP groups.
pub fn evaluate(
    card: &Card,
    current: &Values,
    previous: Option<&Values>,
    given: &BTreeMap<String, Q>,
) -> Evaluation {
    let mut in_contract = true;
    let t = tree(card, given);
    let now = indicator_values(card, current, CURRENT, &mut in_contract);
    let before = previous.map(|p| indicator_values(card, p, PREVIOUS, &mut in_contract));
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
            baseline: match card.rule_in(i, CURRENT) {
                Rule::Linear { baseline, .. } => Some(baseline.q.clone()),
                _ => None,
            },
            target: match card.rule_in(i, CURRENT) {
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
