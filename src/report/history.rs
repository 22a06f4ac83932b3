//! Scores over the last periods (SPEC §15) as reports draw them: a
//! sparkline per node (inline SVG, each point's value in its tooltip) and
//! the same numbers as a table, for screen readers, print and Markdown.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::format;
use crate::score::HistoryPoint;

/// Size of a sparkline, in SVG units.
const W: u32 = 96;
const H: u32 = 24;
/// Inset so the end dots are not clipped.
const PAD: u32 = 3;

#[derive(Serialize, Default, Clone)]
pub(super) struct Spark {
    /// Path data (`M x,y L ...`), one sub-path per run of scored periods.
    pub(super) path: String,
    pub(super) dots: Vec<Dot>,
    /// The values as the report prints them, one per period (`–`: none).
    pub(super) values: Vec<String>,
    /// Words for screen readers: `2025-Q3 65.4, 2025-Q4 75.7, ...`.
    pub(super) label: String,
    pub(super) w: u32,
    pub(super) h: u32,
}

#[derive(Serialize, Clone)]
pub(super) struct Dot {
    pub(super) x: String,
    pub(super) y: String,
    pub(super) title: String,
    /// The evaluated period's dot is drawn larger.
    pub(super) last: bool,
}

/// The report's history: the periods and one sparkline per node.
#[derive(Serialize, Default)]
pub(super) struct HistoryCtx {
    pub(super) periods: Vec<String>,
    pub(super) composite: Spark,
    pub(super) perspectives: Vec<Spark>,
    pub(super) objectives: Vec<Spark>,
    pub(super) indicators: Vec<Spark>,
}

impl HistoryCtx {
    pub(super) fn new(points: &[HistoryPoint], precision: u32) -> HistoryCtx {
        if points.is_empty() {
            return HistoryCtx::default();
        }
        let periods: Vec<String> = points.iter().map(|p| p.period.clone()).collect();
        let series = |f: &dyn Fn(&HistoryPoint) -> Option<Decimal>| -> Spark {
            spark(
                &periods,
                &points.iter().map(f).collect::<Vec<_>>(),
                precision,
            )
        };
        let n_p = points[0].perspectives.len();
        let n_o = points[0].objectives.len();
        let n_i = points[0].indicators.len();
        HistoryCtx {
            composite: series(&|p| p.composite),
            perspectives: (0..n_p).map(|k| series(&|p| p.perspectives[k].1)).collect(),
            objectives: (0..n_o).map(|k| series(&|p| p.objectives[k])).collect(),
            indicators: (0..n_i).map(|k| series(&|p| p.indicators[k])).collect(),
            periods,
        }
    }
}

/// One sparkline. The vertical scale spans the values shown (at least 10
/// points, so noise does not look like a trend); a period without a score
/// breaks the line.
fn spark(periods: &[String], values: &[Option<Decimal>], precision: u32) -> Spark {
    let shown: Vec<String> = values
        .iter()
        .map(|v| v.map_or_else(|| "–".to_string(), |v| format::score(v, precision)))
        .collect();
    let label = periods
        .iter()
        .zip(&shown)
        .map(|(p, v)| format!("{p} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let scored: Vec<Decimal> = values.iter().flatten().copied().collect();
    let (Some(lo), Some(hi)) = (scored.iter().min(), scored.iter().max()) else {
        return Spark {
            values: shown,
            label,
            w: W,
            h: H,
            ..Spark::default()
        };
    };
    let ten = Decimal::TEN;
    let (lo, hi) = if *hi - *lo < ten {
        let mid = (*hi + *lo) / Decimal::TWO;
        (mid - ten / Decimal::TWO, mid + ten / Decimal::TWO)
    } else {
        (*lo, *hi)
    };
    let n = values.len();
    // The step and the spans once per line, not once per point (the
    // sparklines were a fifth of a 200-indicator report's rendering).
    let step = if n > 1 {
        Decimal::from(W - 2 * PAD) / Decimal::from(n as u32 - 1)
    } else {
        Decimal::ZERO
    };
    let x = |k: usize| -> Decimal { Decimal::from(PAD) + step * Decimal::from(k as u32) };
    let (span, range) = (Decimal::from(H - 2 * PAD), hi - lo);
    let y = |v: Decimal| -> Decimal { Decimal::from(H - PAD) - (v - lo) * span / range };
    let mut path = String::new();
    let mut dots = Vec::new();
    let mut pen_down = false;
    for (k, v) in values.iter().enumerate() {
        let Some(v) = v else {
            pen_down = false;
            continue;
        };
        let (px, py) = (format::fixed(x(k), 1), format::fixed(y(*v), 1));
        path.push_str(if pen_down { "L" } else { "M" });
        path.push_str(&px);
        path.push(',');
        path.push_str(&py);
        path.push(' ');
        pen_down = true;
        dots.push(Dot {
            x: px,
            y: py,
            title: format!("{}: {}", periods[k], shown[k]),
            last: k + 1 == n,
        });
    }
    Spark {
        path: path.trim_end().to_string(),
        dots,
        values: shown,
        label,
        w: W,
        h: H,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_gap_breaks_the_line_and_every_value_is_listed() {
        let periods: Vec<String> = ["A", "B", "C", "D"].map(String::from).to_vec();
        let s = spark(
            &periods,
            &[Some(d("50")), None, Some(d("70")), Some(d("90"))],
            1,
        );
        assert_eq!(s.path.matches('M').count(), 2, "{}", s.path);
        assert_eq!(s.dots.len(), 3);
        assert!(s.dots.last().unwrap().last);
        assert_eq!(s.values, ["50.0", "–", "70.0", "90.0"]);
        assert_eq!(s.label, "A 50.0, B –, C 70.0, D 90.0");
        // Highest value at the top edge, lowest at the bottom.
        assert_eq!(s.dots[0].y, "21.0");
        assert_eq!(s.dots[2].y, "3.0");
    }

    #[test]
    fn a_flat_series_sits_mid_height() {
        let periods: Vec<String> = ["A", "B"].map(String::from).to_vec();
        let s = spark(&periods, &[Some(d("80")), Some(d("80"))], 1);
        assert_eq!(s.dots[0].y, "12.0");
        assert_eq!(s.dots[1].y, "12.0");
    }
}
