//! Random scorecards and measurements for the differential test, built
//! from a tape of choices (`Vec<u32>`, as Hypothesis does): proptest
//! shrinks the tape toward fewer and smaller numbers, and every choice 0
//! means "the simplest option", so a failure shrinks to a small card.
//!
//! `BSC_REF_FEATURES` restricts what is generated while debugging:
//! unset or `all` is everything; `linear,previous` enables only those;
//! `-ahp,-huge` everything but those. Names: see [`Features::NAMES`].

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    pub ahp: bool,
    pub inconsistent: bool,
    pub repeating: bool,
    pub mixed: bool,
    pub decimal: bool,
    pub huge: bool,
    pub tiny: bool,
    pub formulas: bool,
    pub divzero: bool,
    pub band: bool,
    pub curve: bool,
    pub caps: bool,
    pub status: bool,
    pub policies: bool,
    pub previous: bool,
    pub missing: bool,
    pub plans: bool,
    /// SPEC §10: targets and baselines given with the data.
    pub overrides: bool,
    /// SPEC §12 step rules.
    pub step: bool,
    /// SPEC §12 binary rules.
    pub binary: bool,
    /// SPEC §11 status thresholds on perspectives, objectives, indicators.
    pub thresholds: bool,
    /// SPEC §13 formula language v2: comparisons, logic, `if`, `pow`,
    /// `sqrt`, `ln`, `exp`, `round`, `floor`, `ceil`, `coalesce`,
    /// `target` / `baseline`, `prev` / `lag`, `[constants]`, and a third
    /// (earlier) period for the lags to read.
    pub formulas2: bool,
    /// `[constants]` values written as strings holding a decimal. Off even
    /// in the full set: bsc takes constants as TOML numbers only (a quoted
    /// one is E002, as a quoted number anywhere in a card; docs/formulas.md),
    /// so `strconst` only shows that choice failing.
    pub strconst: bool,
}

impl Features {
    pub const NAMES: [&str; 23] = [
        "ahp",
        "inconsistent",
        "repeating",
        "mixed",
        "decimal",
        "huge",
        "tiny",
        "formulas",
        "divzero",
        "band",
        "curve",
        "caps",
        "status",
        "policies",
        "previous",
        "missing",
        "plans",
        "overrides",
        "step",
        "binary",
        "thresholds",
        "formulas2",
        "strconst",
    ];

    fn flag(&mut self, name: &str) -> &mut bool {
        match name {
            "ahp" => &mut self.ahp,
            "inconsistent" => &mut self.inconsistent,
            "repeating" => &mut self.repeating,
            "mixed" => &mut self.mixed,
            "decimal" => &mut self.decimal,
            "huge" => &mut self.huge,
            "tiny" => &mut self.tiny,
            "formulas" => &mut self.formulas,
            "divzero" => &mut self.divzero,
            "band" => &mut self.band,
            "curve" => &mut self.curve,
            "caps" => &mut self.caps,
            "status" => &mut self.status,
            "policies" => &mut self.policies,
            "previous" => &mut self.previous,
            "missing" => &mut self.missing,
            "plans" => &mut self.plans,
            "overrides" => &mut self.overrides,
            "step" => &mut self.step,
            "binary" => &mut self.binary,
            "thresholds" => &mut self.thresholds,
            "formulas2" => &mut self.formulas2,
            "strconst" => &mut self.strconst,
            other => panic!(
                "BSC_REF_FEATURES: unknown feature `{other}`; known: {}",
                Self::NAMES.join(", ")
            ),
        }
    }

    fn all(on: bool) -> Features {
        Features {
            ahp: on,
            inconsistent: on,
            repeating: on,
            mixed: on,
            decimal: on,
            huge: on,
            tiny: on,
            formulas: on,
            divzero: on,
            band: on,
            curve: on,
            caps: on,
            status: on,
            policies: on,
            previous: on,
            missing: on,
            plans: on,
            overrides: on,
            step: on,
            binary: on,
            thresholds: on,
            formulas2: on,
            strconst: false,
        }
    }

    /// From `BSC_REF_FEATURES` (default: everything).
    pub fn from_env() -> Features {
        match std::env::var("BSC_REF_FEATURES") {
            Err(_) => Features::all(true),
            Ok(s) => Features::parse(&s),
        }
    }

    pub fn parse(s: &str) -> Features {
        let words: Vec<&str> = s
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() || words == ["all"] {
            return Features::all(true);
        }
        let subtract = words.iter().all(|w| w.starts_with('-'));
        let mut f = Features::all(subtract);
        for w in words {
            *f.flag(w.trim_start_matches('-')) = !subtract;
        }
        f
    }
}

/// The standard ids, so bsc only warns that some are left out.
const PERSPECTIVES: [&str; 4] = [
    "financial",
    "customer",
    "internal_process",
    "learning_growth",
];

/// The choices a case is built from; past its end every choice is 0.
pub struct Tape<'a> {
    v: &'a [u32],
    i: usize,
}

impl<'a> Tape<'a> {
    pub fn new(v: &'a [u32]) -> Tape<'a> {
        Tape { v, i: 0 }
    }

    fn next(&mut self) -> u32 {
        let x = self.v.get(self.i).copied().unwrap_or(0);
        self.i += 1;
        x
    }

    /// 0..n
    pub fn below(&mut self, n: u32) -> u32 {
        self.next() % n.max(1)
    }

    /// True with `percent` % chance; false on a 0 choice.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) >= 100 - percent
    }

    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u32) as usize].clone()
    }
}

/// The plain decimal text of a rational with a terminating expansion.
pub fn decimal_text(x: &Q) -> String {
    let s = decimal_scale(x).unwrap_or_else(|| panic!("not a short decimal: {x}"));
    let m = x.numer() * pow10(s) / x.denom();
    let neg = m.is_negative();
    let digits = m.abs().to_string();
    let body = if s == 0 {
        digits
    } else {
        let s = s as usize;
        let padded = format!("{digits:0>width$}", width = s + 1);
        let (int, frac) = padded.split_at(padded.len() - s);
        format!("{int}.{frac}")
    };
    if neg { format!("-{body}") } else { body }
}

/// `m * 10^-scale`.
pub fn dec(m: i64, scale: i32) -> Num {
    let q = if scale >= 0 {
        Q::new(m.into(), pow10(scale as u32))
    } else {
        Q::from_integer(BigInt::from(m) * pow10((-scale) as u32))
    };
    num(q)
}

pub fn num(q: Q) -> Num {
    Num {
        text: decimal_text(&q),
        q,
    }
}

fn signed(t: &mut Tape, m: i64) -> i64 {
    if t.chance(30) { -m } else { m }
}

/// A declared weight (`None`: key left out).
fn weight(t: &mut Tape, f: &Features) -> Option<Num> {
    match t.below(8) {
        0 => None,
        1 | 2 => Some(dec(t.below(51) as i64, 0)),
        3 if f.decimal => Some(dec(1 + t.below(9999) as i64, 1 + t.below(4) as i32)),
        4 if f.repeating => {
            // k/d to 28 places, as a user pastes 1/3 from a spreadsheet.
            let d = t.pick(&[3i64, 6, 7, 9, 11, 13]);
            let k = 1 + t.below(d as u32 - 1) as i64;
            let exact = Q::new(BigInt::from(k) * pow10(28), d.into());
            let m = exact.round().to_integer();
            Some(num(Q::new(m, pow10(28))))
        }
        5 if f.mixed => {
            let m = 1 + t.below(9) as i64;
            if t.chance(50) {
                Some(dec(m, -(9 + t.below(5) as i32)))
            } else {
                Some(dec(m, 9 + t.below(6) as i32))
            }
        }
        6 => Some(dec(0, 0)),
        _ => Some(dec(1 + t.below(10) as i64, 0)),
    }
}

/// Weights of one sibling group: never all zero (a validation error).
fn weights(t: &mut Tape, f: &Features, n: usize) -> Vec<Option<Num>> {
    let mut ws: Vec<Option<Num>> = (0..n).map(|_| weight(t, f)).collect();
    if ws.iter().all(|w| w.as_ref().is_some_and(|w| w.q.is_zero())) {
        ws[0] = None;
    }
    ws
}

fn moderate(t: &mut Tape, f: &Features) -> Num {
    let scale = if f.decimal { t.below(4) as i32 } else { 0 };
    dec(
        {
            let m = t.below(2000) as i64;
            signed(t, m)
        },
        scale,
    )
}

fn positive(t: &mut Tape, f: &Features) -> Num {
    let scale = if f.decimal { t.below(3) as i32 } else { 0 };
    dec(1 + t.below(5000) as i64, scale)
}

/// A score in 0..top in tenths (`top` an integer part of the cap).
fn score_within(t: &mut Tape, cap: &Q) -> Num {
    let top: u32 = cap.to_integer().try_into().unwrap_or(100);
    dec(t.below(top * 10 + 1) as i64, 1)
}

fn rule(t: &mut Tape, f: &Features, cap: &Q) -> Rule {
    let kind = t.below(6);
    if kind == 4 && f.step {
        // Any scores, not only rising ones: a falling scheme is a warning
        // (W020), still scored as written.
        let n = 1 + t.below(4);
        let mut v = moderate(t, f).q;
        let mut steps = Vec::new();
        for _ in 0..n {
            steps.push((num(v.clone()), score_within(t, cap)));
            v += positive(t, f).q;
        }
        let higher = !t.chance(40);
        let below = t.chance(40).then(|| score_within(t, cap));
        return Rule::Step {
            higher,
            steps,
            below,
        };
    }
    if kind == 5 && f.binary {
        return Rule::Binary {
            higher: !t.chance(40),
            target: moderate(t, f),
        };
    }
    if kind == 1 && f.band {
        let low = moderate(t, f);
        let high = num(&low.q + positive(t, f).q - Q::one());
        let high = if high.q < low.q { low.clone() } else { high };
        return Rule::Band {
            low,
            high,
            tolerance: positive(t, f),
        };
    }
    if kind == 2 && f.curve {
        let n = 2 + t.below(4);
        let mut v = moderate(t, f).q;
        let top = cap.clone().min(q(100)).to_integer();
        let top: u32 = top.try_into().unwrap_or(100);
        let mut points = Vec::new();
        for _ in 0..n {
            let s = dec(t.below(top * 10 + 1) as i64, 1);
            points.push((num(v.clone()), s));
            v += positive(t, f).q;
        }
        return Rule::Curve(points);
    }
    let baseline = moderate(t, f);
    let step = positive(t, f).q;
    let target = if t.chance(40) {
        num(&baseline.q - step)
    } else {
        num(&baseline.q + step)
    };
    Rule::Linear { baseline, target }
}

/// SPEC §10: another target (and for a linear rule, baseline) in some of
/// the periods, including one the case never evaluates. The direction
/// stays the declared rule's: validation rejects (or warns about) a plan
/// that flips it.
fn plan(t: &mut Tape, f: &Features, rule: &Rule) -> BTreeMap<String, Rule> {
    let mut plan = BTreeMap::new();
    for period in [PREVIOUS, CURRENT, "2026-Q4", EARLIER] {
        // A plan for the period before the first one given: what
        // `target(id)` inside `prev` reads there.
        if period == EARLIER && !f.formulas2 {
            break;
        }
        if !t.chance(60) {
            continue;
        }
        let Some(planned) = planned(t, f, rule) else {
            return plan;
        };
        plan.insert(period.to_string(), planned);
    }
    plan
}

/// SPEC §10 level 1: targets (and baselines) given with the data of
/// `periods`, for some indicators, computed ones included; the card
/// carries them as `data` for the writers and the reference.
pub fn data_overrides(t: &mut Tape, f: &Features, card: &mut Card, periods: &[&str]) {
    if !f.overrides {
        return;
    }
    for period in periods {
        for k in 0..card.indicators.len() {
            if !t.chance(20) {
                continue;
            }
            if let Some(r) = planned(t, f, &card.indicators[k].rule) {
                let id = card.indicators[k].node.id.clone();
                card.data
                    .entry(period.to_string())
                    .or_default()
                    .insert(id, r);
            }
        }
    }
}

/// Another rule of the same kind and direction as `rule` (`None` for the
/// rules that take no target).
fn planned(t: &mut Tape, f: &Features, rule: &Rule) -> Option<Rule> {
    {
        let planned = match rule {
            Rule::Linear { baseline, target } => {
                let lower = target.q < baseline.q;
                let keep_baseline = t.chance(50);
                let b = if keep_baseline {
                    baseline.clone()
                } else {
                    moderate(t, f)
                };
                let step = positive(t, f).q;
                let tq = if lower { &b.q - step } else { &b.q + step };
                Rule::Linear {
                    baseline: b,
                    target: num(tq),
                }
            }
            Rule::Band { tolerance, .. } => {
                let low = moderate(t, f);
                let high = num(&low.q + positive(t, f).q - Q::one());
                let high = if high.q < low.q { low.clone() } else { high };
                Rule::Band {
                    low,
                    high,
                    tolerance: tolerance.clone(),
                }
            }
            Rule::Binary { higher, .. } => Rule::Binary {
                higher: *higher,
                target: moderate(t, f),
            },
            Rule::Curve(_) | Rule::Step { .. } => return None,
        };
        Some(planned)
    }
}

/// The values a rule cares about: where its score bends or jumps, and for
/// a binary rule one either side of the target too, so both sides (and
/// equality) come up.
fn landmarks(rule: &Rule) -> Vec<Q> {
    match rule {
        Rule::Binary { target, .. } => {
            vec![&target.q - Q::one(), target.q.clone(), &target.q + Q::one()]
        }
        _ => super::rule_landmarks(rule),
    }
}

/// An actual value for an indicator with this rule (`None`: no value).
fn actual(t: &mut Tape, f: &Features, rule: &Rule) -> Option<Num> {
    let marks = landmarks(rule);
    match t.below(20) {
        0..=11 => {
            let lo = marks.iter().min().unwrap().clone();
            let hi = marks.iter().max().unwrap().clone();
            let k = t.below(201) as i64 - 50;
            Some(num(&lo + (hi - &lo) * Q::new(k.into(), 100.into())))
        }
        12 | 13 => Some(num(t.pick(&marks))),
        14 | 15 if f.huge => {
            let m = {
                let m = 1 + t.below(99) as i64;
                signed(t, m)
            };
            Some(dec(m, -(15 + t.below(12) as i32)))
        }
        16 if f.tiny => {
            let m = {
                let m = 1 + t.below(99) as i64;
                signed(t, m)
            };
            Some(dec(m, 7 + t.below(2) as i32))
        }
        17 | 18 if f.missing => None,
        _ => Some(moderate(t, f)),
    }
}

/// A value of a formula input: moderate, sometimes 0 (division by zero).
fn input_value(t: &mut Tape, f: &Features) -> Option<Num> {
    match t.below(12) {
        0 if f.divzero => Some(dec(0, 0)),
        1 if f.missing => None,
        _ => {
            let scale = if f.decimal { t.below(4) as i32 } else { 0 };
            Some(dec(
                {
                    let m = 1 + t.below(1_000_000) as i64;
                    signed(t, m)
                },
                scale,
            ))
        }
    }
}

/// What a formula may read: never itself nor a later formula, not even
/// inside `prev` (the brief's cycle rule).
pub struct Scope {
    /// Inputs, plain indicators, earlier formula indicators, constants.
    pub vars: Vec<String>,
    /// Indicators with a target (linear, binary), itself included.
    pub targets: Vec<String>,
    /// Indicators with a baseline (linear).
    pub baselines: Vec<String>,
    pub constants: Vec<String>,
}

fn literal(t: &mut Tape, f: &Features) -> Expr {
    if f.divzero && t.chance(15) {
        return Expr::Lit(dec(0, 0));
    }
    let scale = if f.decimal { t.below(3) as i32 } else { 0 };
    Expr::Lit(dec(1 + t.below(1000) as i64, scale))
}

fn expr(t: &mut Tape, f: &Features, s: &Scope, depth: u32) -> Expr {
    if f.formulas2 {
        return expr2(t, f, s, depth);
    }
    let vars = &s.vars;
    let leaf = depth == 0 || t.below(3) == 0;
    if leaf {
        if !vars.is_empty() && !t.chance(25) {
            return Expr::Var(t.pick(vars));
        }
        return literal(t, f);
    }
    let sub = |t: &mut Tape| expr(t, f, s, depth - 1);
    match t.below(8) {
        0 => Expr::Neg(Box::new(sub(t))),
        1 => {
            let func = t.pick(&[Func::Min, Func::Max]);
            let n = 1 + t.below(3);
            Expr::Call(func, (0..n).map(|_| sub(t)).collect())
        }
        2 => Expr::Call(Func::Abs, vec![sub(t)]),
        k => {
            let op = [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Div][(k - 3) as usize];
            Expr::Bin(op, Box::new(sub(t)), Box::new(sub(t)))
        }
    }
}

/// A leaf of a v2 formula: an id (a constant among them), `target(id)`,
/// `baseline(id)`, a literal.
fn leaf2(t: &mut Tape, f: &Features, s: &Scope) -> Expr {
    match t.below(10) {
        0..=6 if !s.vars.is_empty() => Expr::Var(t.pick(&s.vars)),
        7 if !s.targets.is_empty() => Expr::Target(t.pick(&s.targets)),
        8 if !s.baselines.is_empty() => Expr::Baseline(t.pick(&s.baselines)),
        _ => literal(t, f),
    }
}

fn lit(m: i64, scale: i32) -> Expr {
    if m < 0 {
        Expr::Neg(Box::new(Expr::Lit(dec(-m, scale))))
    } else {
        Expr::Lit(dec(m, scale))
    }
}

/// A number-valued v2 formula; truth values only as `if` conditions.
fn expr2(t: &mut Tape, f: &Features, s: &Scope, depth: u32) -> Expr {
    if depth == 0 || t.below(3) == 0 {
        return leaf2(t, f, s);
    }
    let d = depth - 1;
    let sub = |t: &mut Tape| expr2(t, f, s, d);
    let call = |func: Func, args: Vec<Expr>| Expr::Call(func, args);
    match t.below(20) {
        0 => Expr::Neg(Box::new(sub(t))),
        1 => {
            let func = t.pick(&[Func::Min, Func::Max]);
            let n = 1 + t.below(3);
            call(func, (0..n).map(|_| sub(t)).collect())
        }
        2 => call(Func::Abs, vec![sub(t)]),
        3..=6 => {
            let op = [Op::Add, Op::Sub, Op::Mul, Op::Div][t.below(4) as usize];
            Expr::Bin(op, Box::new(sub(t)), Box::new(sub(t)))
        }
        7 | 8 => {
            let c = cond(t, f, s, d);
            call(Func::If, vec![c, sub(t), sub(t)])
        }
        9 => {
            let x = sub(t);
            let y = match t.below(10) {
                0..=3 => lit(t.below(5) as i64, 0),
                4 => lit(-(1 + t.below(3) as i64), 0),
                // Integers beyond 64: the approximation.
                5 => lit(t.pick(&[64, 65, 100, -65, 7, 12]), 0),
                6 => lit(t.pick(&[5, 15, 25, 25, 1]), 1),
                7 => lit(t.pick(&[-5, -15, 25]), 1),
                _ => sub(t),
            };
            call(Func::Pow, vec![x, y])
        }
        10 | 11 => {
            let func = t.pick(&[Func::Sqrt, Func::Ln]);
            let x = sub(t);
            let x = if t.chance(50) {
                call(Func::Abs, vec![x])
            } else {
                x
            };
            call(func, vec![x])
        }
        12 => {
            // Mostly brought within exp's range.
            let x = sub(t);
            let x = match t.below(4) {
                0 => x,
                k => Expr::Bin(
                    Op::Div,
                    Box::new(x),
                    Box::new(Expr::Lit(dec(1, -2 * k as i32))),
                ),
            };
            call(Func::Exp, vec![x])
        }
        13 | 14 => {
            let (places, n) = match t.below(8) {
                0..=4 => {
                    let n = t.below(5) as i64;
                    (lit(n, 0), n)
                }
                5 => {
                    let n = t.below(29) as i64;
                    (lit(n, 0), n)
                }
                6 if !s.constants.is_empty() => (Expr::Var(t.pick(&s.constants)), 2),
                _ => (lit(2, 0), 2),
            };
            // Sometimes an exact half at those places: half away from zero.
            let x = if n <= 6 && t.chance(30) {
                let m = 10 * t.below(1000) as i64 + 5;
                lit(signed(t, m), n as i32 + 1)
            } else {
                sub(t)
            };
            call(Func::Round, vec![x, places])
        }
        15 => {
            let func = t.pick(&[Func::Floor, Func::Ceil]);
            call(func, vec![sub(t)])
        }
        16 => {
            let n = 2 + t.below(2);
            call(Func::Coalesce, (0..n).map(|_| sub(t)).collect())
        }
        17 | 18 => {
            let k = match t.below(10) {
                0..=5 => 1,
                6 | 7 => 2,
                8 => 3,
                _ => 1 + t.below(1000),
            };
            Expr::Lag {
                x: Box::new(sub(t)),
                k,
                prev: k == 1 && t.chance(50),
            }
        }
        _ => leaf2(t, f, s),
    }
}

/// A truth value: comparisons of numbers, `and`, `or`, `not`.
fn cond(t: &mut Tape, f: &Features, s: &Scope, depth: u32) -> Expr {
    if depth > 0 && t.chance(40) {
        let sub = |t: &mut Tape| Box::new(cond(t, f, s, depth - 1));
        return match t.below(3) {
            0 => Expr::And(sub(t), sub(t)),
            1 => Expr::Or(sub(t), sub(t)),
            _ => Expr::Not(sub(t)),
        };
    }
    let op = t.pick(&[Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq, Cmp::Ne]);
    let a = expr2(t, f, s, depth.saturating_sub(1));
    // The same operand on both sides now and then: equality comes up.
    let b = if t.chance(15) {
        a.clone()
    } else {
        expr2(t, f, s, depth.saturating_sub(1))
    };
    Expr::Cmp(op, Box::new(a), Box::new(b))
}

/// A `[constants]` entry: small integers (places for `round`, some out
/// of range), decimals; some written as strings.
fn constant(t: &mut Tape, f: &Features, c: usize) -> Constant {
    let value = match t.below(4) {
        0 => dec(t.below(31) as i64, 0),
        1 => {
            let m = 1 + t.below(999) as i64;
            dec(signed(t, m), 1 + t.below(3) as i32)
        }
        _ => moderate(t, f),
    };
    Constant {
        id: format!("c{c}"),
        value,
        string: t.chance(30) && f.strconst,
    }
}

/// An AHP matrix for a group of `ids` (weights known exactly when
/// `consistent`).
fn ahp(t: &mut Tape, level: Level, ids: &[String], consistent: bool) -> Ahp {
    let n = ids.len();
    let w: Vec<i64> = (0..n).map(|_| 1 + t.below(9) as i64).collect();
    let shift = t.below(n as u32) as usize;
    let order: Vec<String> = (0..n).map(|k| ids[(k + shift) % n].clone()).collect();
    let wo: Vec<i64> = (0..n).map(|k| w[(k + shift) % n]).collect();
    let mut matrix: Vec<Vec<(i64, i64)>> = (0..n)
        .map(|i| (0..n).map(|j| (wo[i], wo[j])).collect())
        .collect();
    if !consistent && n >= 2 {
        // One judgement 10 % off, its reciprocal following: CR stays tiny.
        let (a, b) = matrix[0][1];
        matrix[0][1] = (a * 11, b * 10);
        matrix[1][0] = (b * 10, a * 11);
    }
    let text = matrix
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(j, (a, b))| {
                    if i == j {
                        "1".to_string()
                    } else {
                        format!("\"{a}/{b}\"")
                    }
                })
                .collect()
        })
        .collect();
    let total: i64 = w.iter().sum();
    let exact = (consistent || n == 1).then(|| {
        ids.iter()
            .zip(&w)
            .map(|(id, &wi)| (id.clone(), Q::new(wi.into(), total.into())))
            .collect()
    });
    Ahp {
        level,
        order,
        matrix: text,
        exact,
    }
}

/// A node's own thresholds (SPEC §11), sometimes with one key left out
/// (then the card's applies): always valid, green >= amber within 0..range.
fn own_status(
    t: &mut Tape,
    f: &Features,
    card: &(Q, Q),
    range: &Q,
) -> Option<(Option<Num>, Option<Num>)> {
    if !(f.thresholds && t.chance(20)) {
        return None;
    }
    let top: i64 = range.to_integer().try_into().unwrap_or(100);
    let tenths = |x: &Q| -> i64 { (x * q(10)).ceil().to_integer().try_into().unwrap_or(0) };
    match t.below(4) {
        // Only green, at or above the card's amber.
        1 if tenths(&card.1) <= top * 10 => {
            let lo = tenths(&card.1);
            let g = lo + t.below((top * 10 - lo + 1) as u32) as i64;
            Some((Some(dec(g, 1)), None))
        }
        // Only amber, at or below the card's green.
        2 => {
            let hi = (card.0.clone() * q(10)).floor().to_integer();
            let hi: i64 = hi.try_into().unwrap_or(0);
            let hi = hi.min(top * 10);
            let a = t.below(hi as u32 + 1) as i64;
            Some((None, Some(dec(a, 1))))
        }
        _ => {
            let g = t.below((top * 10) as u32 + 1) as i64;
            let a = t.below(g as u32 + 1) as i64;
            Some((Some(dec(g, 1)), Some(dec(a, 1))))
        }
    }
}

/// A random scorecard.
pub fn card(t: &mut Tape, f: &Features) -> Card {
    let max_score = (f.caps && t.chance(30))
        .then(|| t.pick(&[dec(100, 0), dec(120, 0), dec(1505, 1), dec(200, 0)]));
    let card_cap = max_score.as_ref().map_or(q(100), |n| n.q.clone());
    let missing = if f.policies {
        t.pick(&[
            None,
            Some(Policy::Renormalize),
            Some(Policy::Zero),
            Some(Policy::Zero),
            Some(Policy::Error),
        ])
    } else {
        None
    };
    let status = (f.status && t.chance(30)).then(|| {
        let top: u32 = card_cap.to_integer().try_into().unwrap_or(100);
        let g = t.below(top * 10 + 1) as i64;
        let a = t.below(g as u32 + 1) as i64;
        (dec(g, 1), dec(a, 1))
    });

    let min_coverage = (f.status && t.chance(30)).then(|| dec(t.below(11) as i64, 1));
    let card_thresholds = status
        .as_ref()
        .map_or((q(90), q(60)), |(g, a)| (g.q.clone(), a.q.clone()));

    let np = 1 + t.below(4) as usize;
    let pw = weights(t, f, np);
    let perspectives: Vec<Node> = pw
        .into_iter()
        .enumerate()
        .map(|(i, weight)| Node {
            id: PERSPECTIVES[i].to_string(),
            weight,
            status: own_status(t, f, &card_thresholds, &card_cap),
        })
        .collect();

    let mut objectives = Vec::new();
    // Where each indicator hangs, before its rule is drawn.
    let mut parents: Vec<Parent> = Vec::new();
    for (p, pid) in PERSPECTIVES.iter().enumerate().take(np) {
        let no = t.below(3) as usize;
        let mut nd = t.below(3) as usize;
        if no == 0 && nd == 0 {
            nd = 1;
        }
        for _ in 0..no {
            let o = objectives.len();
            objectives.push((
                p,
                Node {
                    id: format!("o{o}-of-{pid}"),
                    weight: weight(t, f),
                    status: own_status(t, f, &card_thresholds, &card_cap),
                },
            ));
            for _ in 0..1 + t.below(3) {
                parents.push(Parent::Objective(o));
            }
        }
        for _ in 0..nd {
            parents.push(Parent::Perspective(p));
        }
    }
    let mut indicators: Vec<Indicator> = Vec::new();
    let n_inputs = if f.formulas { t.below(4) as usize } else { 0 };
    let inputs: Vec<String> = (0..n_inputs).map(|i| format!("x{i}")).collect();
    let constants: Vec<Constant> = if f.formulas && f.formulas2 {
        (0..t.below(3) as usize)
            .map(|c| constant(t, f, c))
            .collect()
    } else {
        Vec::new()
    };
    let constant_ids: Vec<String> = constants.iter().map(|c| c.id.clone()).collect();
    let plain_count = parents.len();
    let formula_flags: Vec<bool> = (0..plain_count)
        .map(|_| f.formulas && t.chance(if f.formulas2 { 35 } else { 25 }))
        .collect();
    let plain_ids: Vec<String> = (0..plain_count)
        .filter(|&i| !formula_flags[i])
        .map(|i| format!("i{i}"))
        .collect();
    for (i, parent) in parents.iter().enumerate() {
        let ind_cap_num = (f.caps && t.chance(15))
            .then(|| t.pick(&[dec(100, 0), dec(110, 0), dec(1255, 1), dec(300, 0)]));
        let cap = ind_cap_num.clone().map_or(card_cap.clone(), |n| n.q);
        let rule = rule(t, f, &cap);
        let plan = if f.plans && t.chance(30) {
            plan(t, f, &rule)
        } else {
            BTreeMap::new()
        };
        // A band or binary rule never over-achieves, so it takes no cap (E026).
        let ind_cap_num =
            ind_cap_num.filter(|_| !matches!(rule, Rule::Band { .. } | Rule::Binary { .. }));
        let range = ind_cap_num
            .as_ref()
            .map_or(card_cap.clone(), |n| n.q.clone());
        let formula = formula_flags[i].then(|| {
            let mut vars: Vec<String> = inputs.clone();
            vars.extend(plain_ids.iter().cloned());
            vars.extend(
                (0..i)
                    .filter(|&k| formula_flags[k])
                    .map(|k| format!("i{k}")),
            );
            vars.extend(constant_ids.iter().cloned());
            // Targets of earlier indicators and of itself (reading a
            // target is no dependency).
            let own_id = format!("i{i}");
            let rules = indicators
                .iter()
                .map(|ind| (&ind.node.id, &ind.rule))
                .chain([(&own_id, &rule)]);
            let (mut targets, mut baselines) = (Vec::new(), Vec::new());
            for (id, r) in rules {
                match r {
                    Rule::Linear { .. } => {
                        targets.push(id.clone());
                        baselines.push(id.clone());
                    }
                    Rule::Binary { .. } => targets.push(id.clone()),
                    _ => {}
                }
            }
            let scope = Scope {
                vars,
                targets,
                baselines,
                constants: constant_ids.clone(),
            };
            // v2 formulas nest deeper: the cases bsc got right at depth
            // 3 are no news.
            let depth = 1 + t.below(if f.formulas2 { 5 } else { 3 });
            expr(t, f, &scope, depth)
        });
        indicators.push(Indicator {
            node: Node {
                id: format!("i{i}"),
                weight: None,
                status: own_status(t, f, &card_thresholds, &range),
            },
            parent: parent.clone(),
            rule,
            plan,
            formula,
            max_score: ind_cap_num,
        });
    }
    // Sibling groups' weights: each objective's indicators, and each
    // perspective's children (objectives drawn above, direct indicators here).
    for o in 0..objectives.len() {
        let kids: Vec<usize> = (0..indicators.len())
            .filter(|&i| indicators[i].parent == Parent::Objective(o))
            .collect();
        let ws = weights(t, f, kids.len());
        for (i, w) in kids.into_iter().zip(ws) {
            indicators[i].node.weight = w;
        }
    }
    for p in 0..np {
        let kids: Vec<usize> = (0..indicators.len())
            .filter(|&i| indicators[i].parent == Parent::Perspective(p))
            .collect();
        for &i in &kids {
            indicators[i].node.weight = weight(t, f);
        }
        let zero = |w: &Option<Num>| w.as_ref().is_some_and(|w| w.q.is_zero());
        let mine = |o: &&mut (usize, Node)| o.0 == p;
        if objectives
            .iter_mut()
            .filter(mine)
            .all(|o| zero(&o.1.weight))
            && kids.iter().all(|&i| zero(&indicators[i].node.weight))
        {
            match objectives.iter_mut().find(|o| o.0 == p) {
                Some(o) => o.1.weight = None,
                None => indicators[kids[0]].node.weight = None,
            }
        }
    }

    let mut card = Card {
        max_score,
        missing,
        status,
        min_coverage,
        perspectives,
        objectives,
        indicators,
        inputs,
        constants,
        ahp: Vec::new(),
        data: BTreeMap::new(),
    };
    if f.ahp {
        let mut groups: Vec<(Level, Vec<String>)> = vec![(
            Level::Perspectives,
            card.perspectives.iter().map(|p| p.id.clone()).collect(),
        )];
        for p in 0..np {
            let ids = card
                .perspective_children(p)
                .into_iter()
                .map(|(is_o, i)| {
                    if is_o {
                        card.objectives[i].1.id.clone()
                    } else {
                        card.indicators[i].node.id.clone()
                    }
                })
                .collect();
            groups.push((Level::Objectives(p), ids));
        }
        for o in 0..card.objectives.len() {
            let ids = card
                .objective_children(o)
                .into_iter()
                .map(|i| card.indicators[i].node.id.clone())
                .collect();
            groups.push((Level::Indicators(o), ids));
        }
        for (level, ids) in groups {
            if !t.chance(30) {
                continue;
            }
            // Inconsistent weights are taken from bsc's report, which shows
            // them for perspectives only.
            let consistent =
                !(f.inconsistent && level == Level::Perspectives && ids.len() >= 3 && t.chance(50));
            card.ahp.push(ahp(t, level, &ids, consistent));
        }
    }
    card
}

/// One period's values for `card`.
pub fn values(t: &mut Tape, f: &Features, card: &Card) -> Values {
    let mut v = Values::new();
    for ind in card.indicators.iter().filter(|i| i.formula.is_none()) {
        if let Some(a) = actual(t, f, &ind.rule) {
            v.insert(ind.node.id.clone(), a);
        }
    }
    for id in &card.inputs {
        if let Some(x) = input_value(t, f) {
            v.insert(id.clone(), x);
        }
    }
    v
}

/// A whole case: the card and its run, oldest period first: (maybe) an
/// earlier period for the lags, (maybe) the previous one, the current one.
pub fn case(t: &mut Tape, f: &Features) -> (Card, Run) {
    let mut c = card(t, f);
    let cur = values(t, f, &c);
    let prev = (f.previous && t.chance(50)).then(|| values(t, f, &c));
    let earlier = (prev.is_some() && f.formulas2 && t.chance(40)).then(|| values(t, f, &c));
    let mut run = Run::new();
    if let Some(e) = earlier {
        run.push((EARLIER.to_string(), e));
    }
    if let Some(p) = prev {
        run.push((PREVIOUS.to_string(), p));
    }
    run.push((CURRENT.to_string(), cur));
    let periods: Vec<&str> = run.iter().map(|(l, _)| l.as_str()).collect();
    data_overrides(t, f, &mut c, &periods);
    (c, run)
}
