//! The portfolio report: one scorecard over many business units for one
//! period (or roll-up) — units ranked, a units × perspectives heat map, the
//! units that moved most, and a short section per unit. Like the single
//! report it renders evaluations; it computes only rankings and changes.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::format;
use crate::model::Scorecard;
use crate::report::{self, Format, Options, ReportError};
use crate::score::{Evaluation, Status};

/// One unit's results for the report.
pub struct UnitResult {
    pub unit: String,
    pub evaluation: Evaluation,
    /// Composite of the previous span, when there is one.
    pub previous_composite: Option<Option<Decimal>>,
    /// Markdown notes by indicator id (the data's `note` column).
    pub notes: std::collections::HashMap<String, String>,
}

#[derive(Serialize)]
struct Ctx {
    lang: &'static str,
    l: std::collections::BTreeMap<String, String>,
    title: String,
    scorecard_id: String,
    period: String,
    previous_period: Option<String>,
    generated_at: Option<String>,
    unit_count: usize,
    /// Units by composite status: green, amber, red, missing, insufficient.
    counts: [usize; 5],
    perspectives: Vec<String>,
    ranking: Vec<RankRow>,
    movers: Vec<Mover>,
    units: Vec<UnitSection>,
}

#[derive(Serialize)]
struct Cell {
    score: String,
    status: &'static str,
    symbol: &'static str,
}

#[derive(Serialize)]
struct RankRow {
    rank: String,
    unit: String,
    anchor: String,
    composite: Cell,
    status_label: String,
    coverage: String,
    delta: String,
    direction: &'static str,
    arrow: &'static str,
    perspectives: Vec<Cell>,
}

#[derive(Serialize)]
struct Mover {
    unit: String,
    anchor: String,
    previous: String,
    now: String,
    delta: String,
    direction: &'static str,
    arrow: &'static str,
}

#[derive(Serialize)]
struct Act {
    name: String,
    score: String,
    status: &'static str,
    symbol: &'static str,
    gain: String,
}

#[derive(Serialize)]
struct UnitSection {
    unit: String,
    anchor: String,
    composite: Cell,
    status_label: String,
    coverage: String,
    /// Why the composite is `insufficient`; empty otherwise.
    warning: String,
    perspectives: Vec<(String, Cell)>,
    act: Vec<Act>,
    missing: Vec<(String, String)>,
    notes: Vec<Note>,
}

/// An indicator's note, sanitised for either format.
#[derive(Serialize)]
struct Note {
    name: String,
    html: String,
    md: String,
}

fn cell(s: Option<Decimal>, status: Status, precision: u32) -> Cell {
    Cell {
        score: s.map_or_else(|| "–".into(), |s| format::score(s, precision)),
        status: status.as_str(),
        symbol: report::symbol(status),
    }
}

/// An HTML id for a unit: its position, since names may be any text.
fn anchor(i: usize) -> String {
    format!("unit-{}", i + 1)
}

pub fn render(
    card: &Scorecard,
    units: &[UnitResult],
    period: &str,
    previous_period: Option<&str>,
    opts: &Options,
) -> Result<String, ReportError> {
    let l = report::labels(opts.lang, opts.templates)?;
    let p = card.precision;
    let label = |s: Status| {
        l.get(&format!("status_{}", s.as_str()))
            .cloned()
            .unwrap_or_else(|| s.as_str().into())
    };

    // Ranking as `--format table` ranks: best composite first among units
    // with enough data, then those with too little (unranked), units
    // without a composite last, ties by name.
    let ranked = |u: &UnitResult| {
        let c = &u.evaluation.composite;
        c.score.is_some() && c.status != Status::Insufficient
    };
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (
            units[a].evaluation.composite.score,
            units[b].evaluation.composite.score,
        );
        ranked(&units[b])
            .cmp(&ranked(&units[a]))
            .then_with(|| match (x, y) {
                (Some(x), Some(y)) => y.cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| units[a].unit.cmp(&units[b].unit))
    });
    let delta_of = |u: &UnitResult| {
        format::change(u.evaluation.composite.score, u.previous_composite.flatten())
    };
    let arrow = format::trend;
    let mut counts = [0usize; 5];
    let ranking = order
        .iter()
        .enumerate()
        .map(|(r, &i)| {
            let u = &units[i];
            let e = &u.evaluation;
            counts[match e.composite.status {
                Status::Green => 0,
                Status::Amber => 1,
                Status::Red => 2,
                Status::Missing => 3,
                Status::Insufficient => 4,
            }] += 1;
            let d = delta_of(u);
            let (direction, arrow) = arrow(d);
            RankRow {
                rank: if ranked(u) {
                    (r + 1).to_string()
                } else {
                    "–".into()
                },
                unit: u.unit.clone(),
                anchor: anchor(i),
                composite: cell(e.composite.score, e.composite.status, p),
                status_label: label(e.composite.status),
                coverage: format::share(e.composite.coverage),
                delta: d.map(|d| format::delta(d, p)).unwrap_or_default(),
                direction,
                arrow,
                perspectives: e
                    .perspectives
                    .iter()
                    .map(|x| cell(x.score, x.status, p))
                    .collect(),
            }
        })
        .collect();

    let mut moved: Vec<(Decimal, usize)> = units
        .iter()
        .enumerate()
        .filter_map(|(i, u)| Some((delta_of(u)?, i)))
        .filter(|(d, _)| !d.is_zero())
        .collect();
    moved.sort_by(|a, b| {
        b.0.abs()
            .cmp(&a.0.abs())
            .then_with(|| units[a.1].unit.cmp(&units[b.1].unit))
    });
    let movers = moved
        .iter()
        .take(5)
        .map(|&(d, i)| {
            let u = &units[i];
            let (direction, arrow) = arrow(Some(d));
            Mover {
                unit: u.unit.clone(),
                anchor: anchor(i),
                previous: u
                    .previous_composite
                    .flatten()
                    .map_or_else(|| "–".into(), |x| format::score(x, p)),
                now: u
                    .evaluation
                    .composite
                    .score
                    .map_or_else(|| "–".into(), |x| format::score(x, p)),
                delta: format::delta(d, p),
                direction,
                arrow,
            }
        })
        .collect();

    let hundred = Decimal::ONE_HUNDRED;
    let sections = order
        .iter()
        .map(|&i| {
            let u = &units[i];
            let e = &u.evaluation;
            let mut act: Vec<(Decimal, usize)> = e
                .indicators
                .iter()
                .enumerate()
                .filter_map(|(k, r)| {
                    let gain = r.effective_weight * (hundred - r.score?.min(hundred));
                    (gain > Decimal::ZERO).then_some((gain, k))
                })
                .collect();
            act.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            UnitSection {
                unit: u.unit.clone(),
                anchor: anchor(i),
                composite: cell(e.composite.score, e.composite.status, p),
                status_label: label(e.composite.status),
                coverage: format::share(e.composite.coverage),
                warning: if e.composite.status == Status::Insufficient {
                    report::insufficient_warning(&l, e.composite.coverage, card.min_coverage)
                } else {
                    String::new()
                },
                perspectives: card
                    .perspectives
                    .iter()
                    .zip(&e.perspectives)
                    .map(|(pp, r)| (pp.name.clone(), cell(r.score, r.status, p)))
                    .collect(),
                act: act
                    .iter()
                    .take(3)
                    .map(|&(gain, k)| {
                        let r = &e.indicators[k];
                        Act {
                            name: card.indicators[k].name.clone(),
                            score: r.score.map_or_else(|| "–".into(), |s| format::score(s, p)),
                            status: r.status.as_str(),
                            symbol: report::symbol(r.status),
                            gain: format::score(gain, p),
                        }
                    })
                    .collect(),
                missing: e
                    .indicators
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.missing)
                    .map(|(k, r)| {
                        (
                            card.indicators[k].name.clone(),
                            r.reason.clone().unwrap_or_default(),
                        )
                    })
                    .collect(),
                notes: card
                    .indicators
                    .iter()
                    .filter_map(|ind| {
                        let n = u.notes.get(&ind.id)?;
                        Some(Note {
                            name: ind.name.clone(),
                            html: crate::markdown::to_html(n),
                            md: crate::markdown::to_markdown_after_lead(n),
                        })
                    })
                    .collect(),
            }
        })
        .collect();

    let ctx = Ctx {
        lang: opts.lang.code(),
        l,
        title: card.name.clone(),
        scorecard_id: card.id.clone(),
        period: period.to_string(),
        previous_period: previous_period.map(str::to_string),
        generated_at: opts.generated_at.clone(),
        unit_count: units.len(),
        counts,
        perspectives: card.perspectives.iter().map(|p| p.name.clone()).collect(),
        ranking,
        movers,
        units: sections,
    };
    let main = match opts.format {
        Format::Html => "portfolio.html",
        Format::Markdown => "portfolio.md",
    };
    report::render_template(main, &ctx, opts)
}
