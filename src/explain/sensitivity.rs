//! Weight sensitivity (SPEC §15): for each sibling group and each member's
//! declared weight `w` (the others fixed), the factor interval `[lo, hi]`
//! of `w` within which the composite's status does not change.
//!
//! With the other weights fixed, the parent's score is a ratio of linear
//! functions of the factor `t`, `S(t) = (P + tQ) / (R + tU)`, and the
//! composite is linear in the parent's score, `C(t) = K + L S(t)`; the
//! coverage behind `insufficient` has the same form over the nominal
//! weights. Each is monotonic in `t`, so each threshold (green, amber,
//! `min_coverage`) is crossed at most once, at a `t` found by solving a
//! linear equation exactly (from the composite and coverage bsc reports,
//! which decide the status). The interval runs between the nearest
//! crossings on either side of 1 that change the status.

use num_rational::BigRational as Q;
use num_traits::{Signed, Zero};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{dec, q};
use crate::model::{MissingPolicy, Node, Scorecard};
use crate::score::{Evaluation, Status};

#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    /// The composite's status the intervals keep.
    pub status: Status,
    pub groups: Vec<Group>,
    /// The weight whose smallest relative change flips the status, if any
    /// weight can.
    pub critical: Option<Critical>,
    /// For AHP-weighted groups: each pairwise judgement `a_ij` (`a_ji`
    /// following as its reciprocal), the factor interval that keeps the
    /// status, to 1e-6 relative.
    pub judgements: Vec<Judgement>,
    /// The judgement whose smallest relative change flips the status.
    pub critical_judgement: Option<Judgement>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    pub group: String,
    /// Row and column member ids: how much more `row` matters than `column`.
    pub row: String,
    pub column: String,
    pub value: Decimal,
    /// Factors of `value` keeping the status (0 / `null`: unbounded), to
    /// 1e-6 relative; searched within ×1/81 .. ×81 (the 1–9 scale twice).
    pub lo: Decimal,
    pub hi: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// `perspectives`, `objectives.<perspective>` or `indicators.<objective>`
    /// (the same keys as `[ahp]`).
    pub group: String,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    /// The declared (or AHP-derived) weight.
    pub weight: Decimal,
    /// The smallest factor of `weight` that keeps the status (0: any
    /// smaller positive weight keeps it).
    pub lo: Decimal,
    /// The largest factor that keeps it; `null`: any larger one does.
    pub hi: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Critical {
    pub group: String,
    pub id: String,
    /// `up` or `down`: the direction of the change that flips the status.
    pub direction: &'static str,
    /// The factor at which it flips (`hi` or `lo`).
    pub factor: Decimal,
    /// The status it flips to.
    pub to: Status,
}

/// The composite's status at exact score and coverage (SPEC §11).
fn status(card: &Scorecard, score: Option<&Q>, coverage: &Q) -> Status {
    match score {
        None => Status::Missing,
        Some(_) if *coverage < q(card.min_coverage) => Status::Insufficient,
        Some(s) if *s >= q(card.green) => Status::Green,
        Some(s) if *s >= q(card.amber) => Status::Amber,
        Some(_) => Status::Red,
    }
}

/// `(P + tQ) / (R + tU)` at `t`.
#[derive(Debug, Clone)]
struct Ratio {
    p: Q,
    q: Q,
    r: Q,
    u: Q,
}

impl Ratio {
    fn at(&self, t: &Q) -> Option<Q> {
        let den = &self.r + t * &self.u;
        (!den.is_zero()).then(|| (&self.p + t * &self.q) / den)
    }

    /// Whether `k + l * self(t)` can reach `level` for some `t > 0` (see
    /// [`reaches`]); the exact crossing, the costly part, is skipped when
    /// it cannot. Most weights of a card are such.
    fn may_reach(&self, k: &Q, l: &Q, level: Decimal) -> bool {
        use num_traits::ToPrimitive;
        let f = |x: &Q| x.to_f64();
        let (Some(k), Some(l), Some(p), Some(q_), Some(r), Some(u)) =
            (f(k), f(l), f(&self.p), f(&self.q), f(&self.r), f(&self.u))
        else {
            return true;
        };
        let Ok(level) = f64::try_from(level) else {
            return true;
        };
        reaches([k, l, p, q_, r, u], level, 0.0)
    }

    /// The `t > 0` where `k + l * self(t) == level`, if one.
    fn crossing(&self, k: &Q, l: &Q, level: &Q) -> Option<Q> {
        let d = k - level;
        // (k - level)(R + tU) + l(P + tQ) = 0
        let a = &d * &self.u + l * &self.q;
        let b = &d * &self.r + l * &self.p;
        if a.is_zero() {
            return None;
        }
        let t = -b / a;
        t.is_positive().then_some(t)
    }
}

/// Whether `k + l (p + tq) / (r + tu)`, in floating point, may reach
/// `level` for some `t > 0`: it moves monotonically from its value at 0,
/// `k + l p/r`, to its value at infinity, `k + l q/u`, so a level outside
/// both (with a generous margin, plus `slack` for the caller's own
/// rounding) is never crossed. `true` whenever in doubt.
fn reaches([k, l, p, q, r, u]: [f64; 6], level: f64, slack: f64) -> bool {
    if r == 0.0 || u == 0.0 {
        return true;
    }
    let (a, b) = (k + l * p / r, k + l * q / u);
    if !(a.is_finite() && b.is_finite()) {
        return true;
    }
    let margin = 1e-6 * (a.abs() + b.abs() + level.abs()) + 1e-9 + slack;
    level >= a.min(b) - margin && level <= a.max(b) + margin
}

/// A group: its key, the parent node's path factor (score and nominal),
/// and each member's (weight, score, nominal coverage).
struct Sibs {
    key: String,
    members: Vec<(String, Decimal, Option<Decimal>, Q)>,
    /// Product of the shares above the parent among nodes taking part
    /// (`None`: the parent takes no part, so its weights move nothing).
    l: Option<Q>,
    /// The same over nominal weights (every sibling counts).
    l_nominal: Q,
}

/// What every member's model needs of one evaluation: the groups with
/// their path factors, and today's exact composite and coverage.
pub struct Setup {
    groups: Vec<Sibs>,
    /// Per group: Σ w·s and Σ w over members taking part, Σ w·coverage
    /// and Σ w over all; a member's model subtracts its own terms. Worked
    /// out for the groups that need an exact model (most members of a
    /// report are decided by `unmoved`).
    totals: Vec<std::cell::OnceCell<[Q; 4]>>,
    composite: Q,
    scored: bool,
    coverage: Q,
    zero: bool,
    /// The same groups in floating point, for [`Setup::unmoved`].
    quick: Vec<Quick>,
    quick_composite: f64,
    quick_coverage: f64,
}

/// A group in floating point: the path factors, the four totals of
/// `Setup::totals` and the same sums of magnitudes (their rounding
/// bounds), the largest score's magnitude, and each member's weight,
/// score (`None`: takes no part) and nominal coverage.
struct Quick {
    l: Option<f64>,
    l_nominal: f64,
    totals: [f64; 4],
    magnitudes: [f64; 4],
    max_score: f64,
    members: Vec<(f64, Option<f64>, f64)>,
}

/// One member's weight as the variable: the composite's score and
/// coverage as functions of the factor `t` on its weight.
pub struct Model {
    score_ratio: Ratio,
    cov_ratio: Ratio,
    score_fn: Option<(Q, Q)>,
    cov_fn: Option<(Q, Q)>,
}

impl Setup {
    pub fn new(card: &Scorecard, e: &Evaluation) -> Setup {
        let zero = card.missing == MissingPolicy::Zero;
        let takes_part = |s: Option<Decimal>| zero || s.is_some();
        let ind_scores: Vec<Option<Decimal>> = e.indicators.iter().map(|r| r.score).collect();
        let obj_scores: Vec<Option<Decimal>> = e.objectives.iter().map(|r| r.score).collect();
        let per_scores: Vec<Option<Decimal>> = e.perspectives.iter().map(|r| r.score).collect();
        // The composite and coverage whose status the run reports: bsc's
        // own 28-digit results (within 1e-28 of the exact ones, and with
        // far smaller denominators than the exact sums to work with).
        let composite: Q = q(e.composite.score.unwrap_or_default());
        let composite_some = e.composite.score.is_some().then_some(&composite);

        // Nominal coverage of every node, exact: the share of its nominal
        // weight whose indicators have a score.
        let ind_cov: Vec<Q> = ind_scores
            .iter()
            .map(|s| {
                if s.is_some() {
                    Q::from_integer(1.into())
                } else {
                    Q::zero()
                }
            })
            .collect();
        let mean = |pairs: &mut dyn Iterator<Item = (Decimal, Q)>| -> Q {
            let (mut num, mut den) = (Q::zero(), Q::zero());
            for (w, c) in pairs {
                num += q(w) * c;
                den += q(w);
            }
            if den.is_zero() { Q::zero() } else { num / den }
        };
        let obj_cov: Vec<Q> = card
            .objectives
            .iter()
            .map(|o| {
                mean(
                    &mut o
                        .indicators
                        .iter()
                        .map(|&i| (card.indicators[i].weight, ind_cov[i].clone())),
                )
            })
            .collect();
        let child_cov = |c: &Node| match c {
            Node::Objective(o) => obj_cov[*o].clone(),
            Node::Indicator(i) => ind_cov[*i].clone(),
        };
        let per_cov: Vec<Q> = card
            .perspectives
            .iter()
            .map(|p| {
                mean(
                    &mut p
                        .children
                        .iter()
                        .map(|c| (node_weight(card, c), child_cov(c))),
                )
            })
            .collect();
        let coverage = q(e.composite.coverage);

        // Shares of a node among its siblings, taking part / nominal.
        let share = |w: Decimal, sibs: &[(Decimal, Option<Decimal>)]| -> Q {
            let total: Q = sibs
                .iter()
                .filter(|(_, s)| takes_part(*s))
                .fold(Q::zero(), |a, (w, _)| a + q(*w));
            if total.is_zero() {
                Q::zero()
            } else {
                q(w) / total
            }
        };
        let nominal = |w: Decimal, sibs: &[Decimal]| -> Q {
            let total: Q = sibs.iter().fold(Q::zero(), |a, w| a + q(*w));
            if total.is_zero() {
                Q::zero()
            } else {
                q(w) / total
            }
        };
        let per_sibs: Vec<(Decimal, Option<Decimal>)> = card
            .perspectives
            .iter()
            .zip(&per_scores)
            .map(|(p, s)| (p.weight, *s))
            .collect();
        let per_weights: Vec<Decimal> = card.perspectives.iter().map(|p| p.weight).collect();

        let mut groups: Vec<Sibs> = vec![Sibs {
            key: "perspectives".into(),
            members: card
                .perspectives
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.clone(), p.weight, per_scores[i], per_cov[i].clone()))
                .collect(),
            l: e.composite.score.map(|_| Q::from_integer(1.into())),
            l_nominal: Q::from_integer(1.into()),
        }];
        for (pi, p) in card.perspectives.iter().enumerate() {
            let l = takes_part(per_scores[pi]).then(|| share(p.weight, &per_sibs));
            let ln = nominal(p.weight, &per_weights);
            groups.push(Sibs {
                key: format!("objectives.{}", p.id),
                members: p
                    .children
                    .iter()
                    .map(|c| {
                        let (id, s) = match c {
                            Node::Objective(o) => (card.objectives[*o].id.clone(), obj_scores[*o]),
                            Node::Indicator(i) => (card.indicators[*i].id.clone(), ind_scores[*i]),
                        };
                        (id, node_weight(card, c), s, child_cov(c))
                    })
                    .collect(),
                l: l.clone(),
                l_nominal: ln.clone(),
            });
            let child_sibs: Vec<(Decimal, Option<Decimal>)> = p
                .children
                .iter()
                .map(|c| {
                    (
                        node_weight(card, c),
                        match c {
                            Node::Objective(o) => obj_scores[*o],
                            Node::Indicator(i) => ind_scores[*i],
                        },
                    )
                })
                .collect();
            let child_weights: Vec<Decimal> = child_sibs.iter().map(|(w, _)| *w).collect();
            for c in &p.children {
                let Node::Objective(o) = c else { continue };
                let obj = &card.objectives[*o];
                groups.push(Sibs {
                    key: format!("indicators.{}", obj.id),
                    members: obj
                        .indicators
                        .iter()
                        .map(|&i| {
                            let ind = &card.indicators[i];
                            (
                                ind.id.clone(),
                                ind.weight,
                                ind_scores[i],
                                ind_cov[i].clone(),
                            )
                        })
                        .collect(),
                    l: l.as_ref()
                        .filter(|_| takes_part(obj_scores[*o]))
                        .map(|l| l * share(obj.weight, &child_sibs)),
                    l_nominal: &ln * nominal(obj.weight, &child_weights),
                });
            }
        }
        let scored = composite_some.is_some();
        Setup::from_groups(groups, composite, scored, coverage, zero)
    }

    /// The per-group totals, exact and in floating point, of `groups`.
    fn from_groups(
        groups: Vec<Sibs>,
        composite: Q,
        scored: bool,
        coverage: Q,
        zero: bool,
    ) -> Setup {
        let takes_part = |s: Option<Decimal>| zero || s.is_some();
        let totals = groups.iter().map(|_| std::cell::OnceCell::new()).collect();
        let quick = groups
            .iter()
            .map(|g| {
                let members: Vec<(f64, Option<f64>, f64)> = g
                    .members
                    .iter()
                    .map(|x| {
                        let s = takes_part(x.2).then(|| float(x.2.unwrap_or_default()));
                        (float(x.1), s, f(&x.3))
                    })
                    .collect();
                let (mut totals, mut magnitudes, mut max_score) = ([0.0; 4], [0.0; 4], 0.0f64);
                for &(w, s, c) in &members {
                    if let Some(s) = s {
                        totals[0] += w * s;
                        magnitudes[0] += (w * s).abs();
                        totals[1] += w;
                        magnitudes[1] += w.abs();
                        max_score = max_score.max(s.abs());
                    }
                    totals[2] += w * c;
                    magnitudes[2] += (w * c).abs();
                    totals[3] += w;
                    magnitudes[3] += w.abs();
                }
                Quick {
                    l: g.l.as_ref().map(f),
                    l_nominal: f(&g.l_nominal),
                    totals,
                    magnitudes,
                    max_score,
                    members,
                }
            })
            .collect();
        Setup {
            groups,
            totals,
            scored,
            quick_composite: f(&composite),
            quick_coverage: f(&coverage),
            composite,
            coverage,
            zero,
            quick,
        }
    }

    /// Whether member `m` of group `gi` certainly keeps the status at any
    /// positive weight, so its interval is `[0, ∞)` without building its
    /// exact model (the bulk of a report's sensitivity cost): the
    /// floating-point ends of the composite and coverage stay clear of
    /// every threshold by far more than their rounding. `false` whenever
    /// in doubt (a zero weight, a member carrying nearly all of its
    /// group); the exact path then decides.
    fn unmoved(&self, card: &Scorecard, gi: usize, m: usize) -> bool {
        const CLOSE: f64 = 1e-6;
        let g = &self.quick[gi];
        let (w, s, cov) = g.members[m];
        let level = |d: Decimal| f64::try_from(d).ok();
        let (Some(green), Some(amber), Some(min_coverage)) = (
            level(card.green),
            level(card.amber),
            level(card.min_coverage),
        ) else {
            return false;
        };
        if !(w > 0.0 && w.is_finite()) {
            return false;
        }
        // The score: only a member taking part moves it, and only when the
        // parent takes part.
        if let (Some(l), Some(s)) = (g.l, s) {
            let ([t0, t1, ..], [_, a1, ..]) = (g.totals, g.magnitudes);
            let r = t1 - w;
            if t1.abs() < CLOSE * a1 || r.abs() < CLOSE * a1 {
                return false;
            }
            let s1 = t0 / t1;
            let k = self.quick_composite - l * s1;
            let slack = 1e-5 * (k.abs() + l.abs() * (g.max_score + s1.abs()));
            let line = [k, l, t0 - w * s, w * s, r, w];
            if reaches(line, green, slack) || reaches(line, amber, slack) {
                return false;
            }
        }
        // The nominal coverage (none when every weight of the group is 0).
        let ([.., t2, t3], [.., a3]) = (g.totals, g.magnitudes);
        if a3 > 0.0 {
            let r = t3 - w;
            if t3.abs() < CLOSE * a3 || r.abs() < CLOSE * a3 {
                return false;
            }
            let c1 = t2 / t3;
            let k = self.quick_coverage - g.l_nominal * c1;
            let slack = 1e-5 * (k.abs() + g.l_nominal.abs() * (1.0 + c1.abs()));
            if reaches(
                [k, g.l_nominal, t2 - w * cov, w * cov, r, w],
                min_coverage,
                slack,
            ) {
                return false;
            }
        }
        true
    }

    fn takes_part(&self, s: Option<Decimal>) -> bool {
        self.zero || s.is_some()
    }

    /// Group keys and member ids, in order.
    pub fn members(&self) -> impl Iterator<Item = (usize, usize, &str, &str)> {
        self.groups.iter().enumerate().flat_map(|(gi, g)| {
            g.members
                .iter()
                .enumerate()
                .map(move |(m, x)| (gi, m, g.key.as_str(), x.0.as_str()))
        })
    }

    pub fn status(&self, card: &Scorecard) -> Status {
        status(card, self.scored.then_some(&self.composite), &self.coverage)
    }

    /// The exact totals of group `gi` (see `Setup::totals`).
    fn totals(&self, gi: usize) -> &[Q; 4] {
        self.totals[gi].get_or_init(|| {
            let mut t = [Q::zero(), Q::zero(), Q::zero(), Q::zero()];
            for x in &self.groups[gi].members {
                let w = q(x.1);
                if self.takes_part(x.2) {
                    t[0] += &w * q(x.2.unwrap_or_default());
                    t[1] += &w;
                }
                t[2] += &w * &x.3;
                t[3] += w;
            }
            t
        })
    }

    /// Member `m` of group `gi` as the variable.
    pub fn model(&self, gi: usize, m: usize) -> Model {
        let g = &self.groups[gi];
        let (_, w, s, cov) = &g.members[m];
        let t = self.totals(gi);
        let wq = q(*w);
        let (q_, u_) = if self.takes_part(*s) {
            (&wq * q(s.unwrap_or_default()), wq.clone())
        } else {
            (Q::zero(), Q::zero())
        };
        let score_ratio = Ratio {
            p: &t[0] - &q_,
            r: &t[1] - &u_,
            q: q_,
            u: u_,
        };
        let qc = &wq * cov;
        let (pc, rc) = (&t[2] - &qc, &t[3] - &wq);
        let cov_ratio = Ratio {
            p: pc,
            q: qc,
            r: rc,
            u: wq,
        };
        let one = Q::from_integer(1.into());
        // C(t) = k + l S(t), with k from today's composite.
        let score_fn = g.l.as_ref().and_then(|l| {
            let s1 = score_ratio.at(&one)?;
            Some((&self.composite - l * &s1, l.clone()))
        });
        let cov_fn = cov_ratio
            .at(&one)
            .map(|c1| (&self.coverage - &g.l_nominal * &c1, g.l_nominal.clone()));
        Model {
            score_ratio,
            cov_ratio,
            score_fn,
            cov_fn,
        }
    }
}

/// A model's score as floating-point coefficients, `k + l (p + tq) / (r + tu)`,
/// for scanning many units at many factors (the portfolio search, whose
/// answer is a factor to 1e-6, not an exact bound).
#[derive(Debug, Clone, Copy)]
pub struct Fast {
    k: f64,
    l: f64,
    p: f64,
    q: f64,
    r: f64,
    u: f64,
    /// No score whatever the factor.
    none: bool,
}

impl Fast {
    pub fn score(&self, t: f64) -> Option<f64> {
        if self.none {
            return None;
        }
        let den = self.r + t * self.u;
        if den == 0.0 {
            return Some(self.k);
        }
        Some(self.k + self.l * (self.p + t * self.q) / den)
    }
}

fn f(x: &Q) -> f64 {
    use num_traits::ToPrimitive;
    x.to_f64().unwrap_or(0.0)
}

fn float(d: Decimal) -> f64 {
    f64::try_from(d).unwrap_or(f64::NAN)
}

impl Model {
    pub fn fast(&self, setup: &Setup) -> Fast {
        match &self.score_fn {
            Some((k, l)) => Fast {
                k: f(k),
                l: f(l),
                p: f(&self.score_ratio.p),
                q: f(&self.score_ratio.q),
                r: f(&self.score_ratio.r),
                u: f(&self.score_ratio.u),
                none: false,
            },
            None => Fast {
                k: f(&setup.composite),
                l: 0.0,
                p: 0.0,
                q: 0.0,
                r: 1.0,
                u: 0.0,
                none: !setup.scored,
            },
        }
    }

    /// The composite's score at factor `t` (`None`: no score).
    pub fn score_at(&self, setup: &Setup, t: &Q) -> Option<Q> {
        match &self.score_fn {
            Some((k, l)) => self.score_ratio.at(t).map(|s| k + l * s),
            None => setup.scored.then(|| setup.composite.clone()),
        }
    }

    pub fn status_at(&self, setup: &Setup, card: &Scorecard, t: &Q) -> Status {
        let cov = match &self.cov_fn {
            Some((k, l)) => self
                .cov_ratio
                .at(t)
                .map_or_else(|| setup.coverage.clone(), |c| k + l * c),
            None => setup.coverage.clone(),
        };
        status(card, self.score_at(setup, t).as_ref(), &cov)
    }

    /// Factors where the status may change: the crossings of the
    /// thresholds.
    fn cuts(&self, card: &Scorecard) -> Vec<Q> {
        let mut cuts: Vec<Q> = Vec::new();
        if let Some((k, l)) = &self.score_fn {
            for level in [card.green, card.amber] {
                if self.score_ratio.may_reach(k, l, level) {
                    cuts.extend(self.score_ratio.crossing(k, l, &q(level)));
                }
            }
        }
        if let Some((k, l)) = &self.cov_fn
            && self.cov_ratio.may_reach(k, l, card.min_coverage)
        {
            cuts.extend(self.cov_ratio.crossing(k, l, &q(card.min_coverage)));
        }
        cuts.sort();
        cuts.dedup();
        cuts
    }
}

pub fn sensitivity(card: &Scorecard, e: &Evaluation) -> Sensitivity {
    let setup = Setup::new(card, e);
    let Setup {
        groups,
        composite,
        coverage,
        ..
    } = &setup;
    let composite_some = setup.scored.then_some(composite);
    let takes_part = |s: Option<Decimal>| setup.zero || s.is_some();
    let now = status(card, composite_some, coverage);
    let judgements = judgements(
        card,
        groups,
        composite,
        composite_some.is_some(),
        coverage,
        now,
        takes_part,
    );
    let critical_judgement = judgements
        .iter()
        .filter_map(|j| {
            let up = j.hi.map(|h| h - Decimal::ONE);
            let down = (j.lo > Decimal::ZERO).then(|| Decimal::ONE - j.lo);
            let d = match (up, down) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b)?,
            };
            Some((d, j))
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, j)| j.clone());
    let mut out = Vec::new();
    let mut critical: Option<(Q, Critical)> = None;
    for (gi, g) in groups.iter().enumerate() {
        let mut members = Vec::new();
        for (m, (id, w, _, _)) in g.members.iter().enumerate() {
            if setup.unmoved(card, gi, m) {
                members.push(Member {
                    id: id.clone(),
                    weight: *w,
                    lo: Decimal::ZERO,
                    hi: None,
                });
                continue;
            }
            let model = setup.model(gi, m);
            let one = Q::from_integer(1.into());
            let status_at = |t: &Q| model.status_at(&setup, card, t);
            let cuts = model.cuts(card);
            // Upward: the first cut beyond which the status differs.
            let above = |i: usize| -> Q {
                match cuts.get(i + 1) {
                    Some(next) => (&cuts[i] + next) / Q::from_integer(2.into()),
                    None => &cuts[i] * Q::from_integer(2.into()),
                }
            };
            let below = |i: usize| -> Q {
                match i.checked_sub(1).map(|j| &cuts[j]) {
                    Some(prev) => (&cuts[i] + prev) / Q::from_integer(2.into()),
                    None => &cuts[i] / Q::from_integer(2.into()),
                }
            };
            let hi = (0..cuts.len())
                .filter(|&i| cuts[i] >= one)
                .find(|&i| status_at(&above(i)) != now)
                .map(|i| (cuts[i].clone(), status_at(&above(i))));
            let lo = (0..cuts.len())
                .rev()
                .filter(|&i| cuts[i] <= one)
                .find(|&i| status_at(&below(i)) != now)
                .map(|i| (cuts[i].clone(), status_at(&below(i))));
            for (bound, direction) in [(&hi, "up"), (&lo, "down")] {
                let Some((t, to)) = bound else { continue };
                let distance = (t - &one).abs();
                if critical.as_ref().is_none_or(|(d, _)| distance < *d) {
                    critical = Some((
                        distance,
                        Critical {
                            group: g.key.clone(),
                            id: id.clone(),
                            direction,
                            factor: dec(t).unwrap_or_default(),
                            to: *to,
                        },
                    ));
                }
            }
            members.push(Member {
                id: id.clone(),
                weight: *w,
                lo: lo.map_or(Decimal::ZERO, |(t, _)| dec(&t).unwrap_or_default()),
                hi: hi.and_then(|(t, _)| dec(&t)),
            });
        }
        out.push(Group {
            group: g.key.clone(),
            members,
        });
    }
    Sensitivity {
        status: e.composite.status,
        groups: out,
        critical: critical.map(|(_, c)| c),
        judgements,
        critical_judgement,
    }
}

/// Judgement sensitivity of every AHP group: a judgement changes every
/// weight of its group at once (through the principal eigenvector), so
/// its interval is searched, not solved: outward in steps of 5% to the
/// first flip, then by bisection to 1e-6 relative.
fn judgements(
    card: &Scorecard,
    groups: &[Sibs],
    composite: &Q,
    scored: bool,
    coverage: &Q,
    now: Status,
    takes_part: impl Fn(Option<Decimal>) -> bool,
) -> Vec<Judgement> {
    let mut out = Vec::new();
    for a in &card.ahp {
        let Some(g) = groups.iter().find(|g| g.key == a.key) else {
            continue;
        };
        let ids: Vec<&str> = a.members.iter().map(|(id, _)| id.as_str()).collect();
        // The group's members by AHP order.
        let member = |id: &str| g.members.iter().find(|m| m.0 == id);
        let Some(ms) = ids.iter().map(|id| member(id)).collect::<Option<Vec<_>>>() else {
            continue;
        };
        // Parent score and nominal coverage under weights `w`.
        let parent = |w: &[Decimal]| -> (Option<Q>, Q) {
            let (mut num, mut den, mut cn, mut cd) = (Q::zero(), Q::zero(), Q::zero(), Q::zero());
            for (m, w) in ms.iter().zip(w) {
                if takes_part(m.2) {
                    num += q(*w) * q(m.2.unwrap_or_default());
                    den += q(*w);
                }
                cn += q(*w) * &m.3;
                cd += q(*w);
            }
            let s = (!den.is_zero()).then(|| num / den);
            let c = if cd.is_zero() { Q::zero() } else { cn / cd };
            (s, c)
        };
        let today: Vec<Decimal> = a.members.iter().map(|(_, w)| *w).collect();
        let (s1, c1) = parent(&today);
        let status_with = |w: &[Decimal]| -> Status {
            let (s, c) = parent(w);
            let score = match (&g.l, &s, &s1) {
                (Some(l), Some(s), Some(s1)) => Some(composite + l * (s - s1)),
                _ => scored.then(|| composite.clone()),
            };
            let cov = coverage + &g.l_nominal * (c - &c1);
            status(card, score.as_ref(), &cov)
        };
        let n = a.matrix.len();
        for i in 0..n {
            for j in i + 1..n {
                let v = a.matrix[i][j];
                let at = |f: f64| -> Option<Status> {
                    let f = Decimal::try_from(f).ok()?;
                    let x = v.checked_mul(f)?;
                    let mut m = a.matrix.clone();
                    m[i][j] = x;
                    m[j][i] = Decimal::ONE.checked_div(x)?;
                    let w = crate::ahp::weights(&m).ok()?.weights;
                    Some(status_with(&w))
                };
                let search = |up: bool| -> Option<f64> {
                    let step: f64 = if up { 1.05 } else { 1.0 / 1.05 };
                    let (mut inside, mut f) = (1.0f64, step);
                    while if up { f <= 81.0 } else { f >= 1.0 / 81.0 } {
                        if at(f)? != now {
                            // Bisect between `inside` and `f` in log space.
                            let (mut a, mut b) = (inside.ln(), f.ln());
                            while (b - a).abs() > 1e-7 {
                                let mid = (a + b) / 2.0;
                                if at(mid.exp())? == now {
                                    a = mid
                                } else {
                                    b = mid
                                }
                            }
                            return Some(a.exp());
                        }
                        inside = f;
                        f *= step;
                    }
                    None
                };
                let round6 = |f: f64| Decimal::try_from(f).ok().map(|d| d.round_dp(6));
                out.push(Judgement {
                    group: a.key.clone(),
                    row: ids[i].to_string(),
                    column: ids[j].to_string(),
                    value: v,
                    lo: search(false).and_then(round6).unwrap_or(Decimal::ZERO),
                    hi: search(true).and_then(round6),
                });
            }
        }
    }
    out
}

fn node_weight(card: &Scorecard, n: &Node) -> Decimal {
    match n {
        Node::Objective(o) => card.objectives[*o].weight,
        Node::Indicator(i) => card.indicators[*i].weight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn qi(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    fn card(green: Decimal, amber: Decimal, min_coverage: Decimal) -> Scorecard {
        let text = "[scorecard]\nid = \"c\"\nname = \"C\"\n\
             [[perspectives]]\nid = \"financial\"\n\
             [[indicators]]\nid = \"revenue\"\nperspective = \"financial\"\n\
             baseline = 0\ntarget = 100\n";
        let src = crate::source::SourceFile::new(std::path::Path::new("c.toml"), text.into());
        let mut diags = crate::diag::Diagnostics::default();
        let mut card = crate::check_scorecard(&src, &mut diags).expect("valid card");
        (card.green, card.amber, card.min_coverage) = (green, amber, min_coverage);
        card
    }

    fn hundredths(n: i64) -> Decimal {
        Decimal::new(n, 2)
    }

    /// The floating-point shortcut of `sensitivity` (`Setup::unmoved`)
    /// only skips members whose exact model has no crossing at all, so
    /// their `[0, ∞)` is what the exact path would print; and it does
    /// skip most members of random groups, or it would not earn its keep.
    #[test]
    fn unmoved_members_have_no_crossing() {
        use proptest::test_runner::{Config, TestRunner};
        let member = (
            0i64..2_000,
            prop::option::weighted(0.8, 0i64..15_000),
            prop_oneof![Just((0i64, 1i64)), Just((1, 1)), (0i64..=100, 1i64..=100)],
        );
        let group = (
            prop::collection::vec(member, 1..8),
            prop::option::weighted(0.9, 1i64..=1000),
            1i64..=1000,
            0i64..15_000,
            0i64..=1000,
            -3_000i64..3_000,
            0i64..5_000,
            0i64..=1000,
            any::<bool>(),
        );
        let (skipped, members) = (std::cell::Cell::new(0usize), std::cell::Cell::new(0usize));
        let mut runner = TestRunner::new(Config::with_cases(3000));
        runner
            .run(
                &group,
                |(ms, l, ln, composite, coverage, green_off, amber_off, min_cov, zero)| {
                    let sibs = Sibs {
                        key: "g".into(),
                        members: ms
                            .iter()
                            .enumerate()
                            .map(|(i, &(w, s, (cn, cd)))| {
                                (
                                    format!("m{i}"),
                                    hundredths(w),
                                    s.map(hundredths),
                                    qi(cn.min(cd), cd),
                                )
                            })
                            .collect(),
                        l: l.map(|l| qi(l, 1000)),
                        l_nominal: qi(ln, 1000),
                    };
                    let green = hundredths(composite + green_off);
                    let card = card(
                        green,
                        green - hundredths(amber_off),
                        Decimal::new(min_cov, 3),
                    );
                    let setup = Setup::from_groups(
                        vec![sibs],
                        q(hundredths(composite)),
                        true,
                        qi(coverage, 1000),
                        zero,
                    );
                    for m in 0..ms.len() {
                        members.set(members.get() + 1);
                        if setup.unmoved(&card, 0, m) {
                            skipped.set(skipped.get() + 1);
                            let cuts = setup.model(0, m).cuts(&card);
                            prop_assert!(cuts.is_empty(), "member {m} skipped, cuts {cuts:?}");
                        }
                    }
                    Ok(())
                },
            )
            .unwrap();
        let (skipped, members) = (skipped.get(), members.get());
        assert!(
            skipped * 3 > members && skipped < members,
            "{skipped} of {members} members skipped"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// The floating-point pruning of `cuts` never hides a crossing
        /// that the exact solution finds.
        #[test]
        fn may_reach_never_hides_a_crossing(
            p in -10_000i64..10_000, q_ in -10_000i64..10_000,
            r in 1i64..10_000, u in 0i64..10_000,
            k in -10_000i64..10_000, l in 1i64..1_000, level in -200i64..200,
        ) {
            let ratio = Ratio { p: qi(p, 7), q: qi(q_, 3), r: qi(r, 11), u: qi(u, 13) };
            let (k, l) = (qi(k, 100), qi(l, 1000));
            if ratio.crossing(&k, &l, &qi(level, 1)).is_some() {
                prop_assert!(ratio.may_reach(&k, &l, Decimal::from(level)));
            }
        }
    }
}
