//! Which periods a run evaluates: the order of period labels,
//! the evaluated span (one period or a roll-up) and the span before it
//! that supplies trends.

use crate::model::Date;
use std::cmp::Ordering;
use std::ops::Range;

/// Orders period labels chronologically for the usual sortable labels:
/// runs of digits compare as numbers, everything else as text, so
/// `2025-Q4 < 2026-Q1` and `2026-2 < 2026-10`. Equal-looking labels that
/// differ only in leading zeros fall back to plain text order, so the
/// order is total.
pub fn cmp_periods(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let (nx, rx) = digit_run(x);
                let (ny, ry) = digit_run(y);
                let (tx, ty) = (trim_zeros(nx), trim_zeros(ny));
                let o = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if o != Ordering::Equal {
                    return o;
                }
                (x, y) = (rx, ry);
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

/// A plain calendar label (`YYYY-Qn`, `YYYY-Hn`, `YYYY-MM`, `YYYY`) as
/// (year, periods per year, index within the year from 0, shape letter).
fn calendar(label: &str) -> Option<(i64, i64, i64, char)> {
    let (year, rest) = match label.split_once('-') {
        Some((y, r)) => (y, Some(r)),
        None => (label, None),
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i64 = year.parse().ok()?;
    let (per_year, index, shape) = match rest {
        None => (1, 0, 'Y'),
        Some(r) if r.len() == 2 && (r.starts_with('Q') || r.starts_with('H')) => {
            let shape = r.as_bytes()[0] as char;
            let per = if shape == 'Q' { 4 } else { 2 };
            let i = (r.as_bytes()[1] as char).to_digit(10)? as i64;
            if !(1..=per).contains(&i) {
                return None;
            }
            (per, i - 1, shape)
        }
        Some(r) if r.len() == 2 && r.bytes().all(|b| b.is_ascii_digit()) => {
            let m: i64 = r.parse().ok()?;
            if !(1..=12).contains(&m) {
                return None;
            }
            (12, m - 1, 'M')
        }
        _ => return None,
    };
    Some((year, per_year, index, shape))
}

/// Whether `label` can name one period of a file that bsc writes (`bsc
/// template`): letters, digits, `-`, `_` and `.`, not a roll-up span
/// (`2026-Q1..2026-Q3`), and, when it starts with a year, a calendar label
/// that the calendar parser places (`2026-Q3`, `2026-H2`, `2026-07`, `2026`), so
/// that a typo such as `2026-Q5` or `2026-13` is caught rather than sorted
/// among the periods as text. Labels of one's own (`FY26`) stay free.
/// `Err` says what is wrong, in words for a usage error.
pub fn check_label(label: &str) -> Result<(), String> {
    const FORMS: &str = "YYYY-Qn (Q1..Q4), YYYY-Hn (H1, H2), YYYY-MM (01..12) or YYYY";
    let visible: String = label.chars().flat_map(char::escape_debug).collect();
    let shown = crate::diag::echo(&visible);
    if label.is_empty() {
        return Err(format!(
            "the period is empty: give a label such as 2026-Q3 ({FORMS})"
        ));
    }
    if label.contains("..") {
        return Err(format!(
            "`{shown}` is a span of periods; a template is for one period, such as 2026-Q3"
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        let c = if c.is_whitespace() || c.is_control() {
            "a space or control character".to_string()
        } else {
            format!("`{c}`")
        };
        return Err(format!(
            "period `{shown}` contains {c}; period labels are letters, digits, `-`, `_` and `.` (2026-Q3, FY26)"
        ));
    }
    let year = label.len() >= 4 && label.as_bytes()[..4].iter().all(u8::is_ascii_digit);
    if year && calendar(label).is_none() {
        let upper = label.to_ascii_uppercase();
        let hint = if upper != label && calendar(&upper).is_some() {
            format!("did you mean `{upper}`?")
        } else {
            format!(
                "a label that starts with a year is {FORMS}; a label of your own (FY26) must not start with a year"
            )
        };
        return Err(format!("`{shown}` is not a calendar period: {hint}"));
    }
    Ok(())
}

/// `label` moved `steps` periods along the calendar, for the labels whose
/// calendar is plain: `YYYY-Qn`, `YYYY-Hn`, `YYYY-MM` and `YYYY`.
pub fn shift(label: &str, steps: i64) -> Option<String> {
    let (year, per_year, index, shape) = calendar(label)?;
    let total = (year * per_year + index).checked_add(steps)?;
    let (y, i) = (total.div_euclid(per_year), total.rem_euclid(per_year));
    if !(0..=9999).contains(&y) {
        return None;
    }
    Some(match shape {
        'Y' => format!("{y:04}"),
        'M' => format!("{y:04}-{:02}", i + 1),
        c => format!("{y:04}-{c}{}", i + 1),
    })
}

/// The same period a year earlier (`2026-Q3` -> `2025-Q3`, `2026-07` ->
/// `2025-07`, `2026` -> `2025`), for `--compare year-ago` (SPEC §15);
/// `None` for labels without a plain calendar.
pub fn year_ago(label: &str) -> Option<String> {
    let (_, per_year, _, _) = calendar(label)?;
    shift(label, -per_year)
}

/// The last day of a plain calendar period (`2026-Q3` ends on 2026-09-30,
/// `2028-02` on 2028-02-29); `None` for other labels (`FY26`), whose end
/// only a measurements file's `period_end` can give (SPEC §14).
pub fn end_of(label: &str) -> Option<Date> {
    let (year, per_year, index, _) = calendar(label)?;
    let month = (index + 1) * (12 / per_year);
    let year = u16::try_from(year).ok()?;
    let month = u8::try_from(month).ok()?;
    Some(Date {
        year,
        month,
        day: days_in_month(year, month),
    })
}

/// Days in a month of the proleptic Gregorian calendar.
pub fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digit_run(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| **c == b'0').count();
    &s[n.min(s.len().saturating_sub(1))..]
}

/// What the user asked to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The latest period in the data.
    Latest,
    /// One period, by its exact label.
    Period(String),
    /// A roll-up over every period from `from` to `to` inclusive (either
    /// bound defaults to the first / latest period in the data).
    Span {
        from: Option<String>,
        to: Option<String>,
    },
}

/// The periods of a run, resolved against the periods in the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Every period in the data, in chronological order.
    pub periods: Vec<String>,
    /// The evaluated span (indices into `periods`); one period unless rolled up.
    pub current: Range<usize>,
    /// As many periods immediately before `current`, when the data has them.
    pub previous: Option<Range<usize>>,
    /// Spans kept before the previous one, for formulas that read further
    /// back (`lag`, SPEC §13): the card's deepest look-back.
    pub back: usize,
}

impl Plan {
    /// Resolves a selection. `Err` is a usage error naming the periods the
    /// data does have.
    pub fn new(mut periods: Vec<String>, sel: &Selection) -> Result<Plan, String> {
        periods.sort_by(|a, b| cmp_periods(a, b));
        periods.dedup();
        if periods.is_empty() {
            return Err("the data file has no rows".into());
        }
        let listing = || {
            let shown: Vec<&str> = periods.iter().take(12).map(String::as_str).collect();
            let more = if periods.len() > 12 {
                format!(" and {} more", periods.len() - 12)
            } else {
                String::new()
            };
            format!("{}{more}", shown.join(", "))
        };
        let current = match sel {
            Selection::Latest => periods.len() - 1..periods.len(),
            Selection::Period(p) => match periods.iter().position(|x| x == p) {
                Some(i) => i..i + 1,
                None => {
                    return Err(format!(
                        "period `{p}` is not in the data; it has {}",
                        listing()
                    ));
                }
            },
            Selection::Span { from, to } => {
                if let (Some(f), Some(t)) = (from, to)
                    && cmp_periods(f, t) == Ordering::Greater
                {
                    return Err(format!("--from {f} comes after --to {t}"));
                }
                let start = from.as_ref().map_or(0, |f| {
                    periods.partition_point(|p| cmp_periods(p, f) == Ordering::Less)
                });
                let end = to.as_ref().map_or(periods.len(), |t| {
                    periods.partition_point(|p| cmp_periods(p, t) != Ordering::Greater)
                });
                if start >= end {
                    let f = from.as_deref().unwrap_or("the first period");
                    let t = to.as_deref().unwrap_or("the latest period");
                    return Err(format!(
                        "no period of the data lies between {f} and {t}; it has {}",
                        listing()
                    ));
                }
                start..end
            }
        };
        let n = current.len();
        let previous = (current.start >= n).then(|| current.start - n..current.start);
        Ok(Plan {
            periods,
            current,
            previous,
            back: 0,
        })
    }

    /// The last of `periods` evaluated, the one before it for trends:
    /// periods taken in the order given (measurements files, which were
    /// ordered and checked for duplicates as they were loaded). `None`
    /// when there are none.
    pub fn last_of(periods: Vec<String>) -> Option<Plan> {
        let n = periods.len();
        (n > 0).then(|| Plan {
            periods,
            current: n - 1..n,
            previous: (n > 1).then(|| n - 2..n - 1),
            back: 0,
        })
    }

    /// This plan compared with the same span a year earlier (`--compare
    /// year-ago`, SPEC §15) instead of the one before; `Err` names the
    /// span when the data does not hold it.
    pub fn compare_year_ago(mut self) -> Result<Plan, String> {
        let first = &self.periods[self.current.start];
        let last = &self.periods[self.current.end - 1];
        let Some((from, to)) = year_ago(first).zip(year_ago(last)) else {
            return Err(format!(
                "--compare year-ago needs period labels with a calendar (YYYY-Qn, YYYY-Hn, YYYY-MM or YYYY), not `{first}`"
            ));
        };
        let at = |p: &str| self.periods.iter().position(|x| x == p);
        match (at(&from), at(&to)) {
            (Some(a), Some(b)) if b + 1 - a == self.current.len() => {
                self.previous = Some(a..b + 1);
                Ok(self)
            }
            _ => {
                let span = if from == to {
                    from
                } else {
                    format!("{from}..{to}")
                };
                Err(format!(
                    "--compare year-ago compares {} with {span}, which the data does not hold",
                    self.label(&self.current)
                ))
            }
        }
    }

    /// This plan keeping the spans that formulas reading `lags` spans back
    /// need: the previous span reads as far back as the current one.
    pub fn looking_back(mut self, lags: u32) -> Plan {
        self.back = lags as usize;
        self
    }

    /// The span `k` spans before the current one (0: the current one),
    /// when the data holds all of it.
    pub fn span_back(&self, k: usize) -> Option<Range<usize>> {
        let n = self.current.len();
        let start = self.current.start.checked_sub(k.checked_mul(n)?)?;
        Some(start..start + n)
    }

    /// How a reason names the span `k` spans back: `in 2026-Q2`, also when
    /// the data does not reach it but the label says what it is called
    /// (`2026-Q1` back 1 is `2025-Q4`).
    pub fn name_back(&self, k: usize) -> String {
        if let Some(span) = self.span_back(k) {
            return format!("in {}", self.label(&span));
        }
        let n = self.current.len();
        let first = &self.periods[self.current.start];
        let last = &self.periods[self.current.end - 1];
        let shifted = (|| {
            let steps = i64::try_from(k.checked_mul(n)?).ok()?;
            let a = shift(first, -steps)?;
            Some(if n == 1 {
                a
            } else {
                format!("{a}..{}", shift(last, -steps)?)
            })
        })();
        match shifted {
            Some(label) => format!("in {label}"),
            None if k == 1 && n == 1 => format!("in the period before {first}"),
            None if n == 1 => format!("{k} periods before {first}"),
            None => format!("{k} spans before {}", self.label(&self.current)),
        }
    }

    /// `2026-Q3`, or `2026-Q1..2026-Q3` for a roll-up.
    pub fn label(&self, span: &Range<usize>) -> String {
        let first = &self.periods[span.start];
        let last = &self.periods[span.end - 1];
        if span.len() == 1 {
            first.clone()
        } else {
            format!("{first}..{last}")
        }
    }

    /// Every period whose values a run keeps: the spans formulas read
    /// before the previous one, the previous span and the current one,
    /// which are adjacent.
    pub fn needed(&self) -> Range<usize> {
        let n = self.current.len();
        let spans = (1 + self.back).min(self.current.start / n);
        let start = self.current.start - spans * n;
        // A year-ago comparison reaches further back than the spans before.
        let start = self.previous.as_ref().map_or(start, |p| p.start.min(start));
        start..self.current.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(ps: &[&str], sel: Selection) -> Result<Plan, String> {
        Plan::new(ps.iter().map(|s| s.to_string()).collect(), &sel)
    }

    #[test]
    fn natural_order() {
        let mut v = vec![
            "2026-Q1", "2025-Q4", "2026-10", "2026-2", "2026-Q3", "2026-02",
        ];
        v.sort_by(|a, b| cmp_periods(a, b));
        assert_eq!(
            v,
            [
                "2025-Q4", "2026-02", "2026-2", "2026-10", "2026-Q1", "2026-Q3"
            ]
        );
        assert_eq!(cmp_periods("2026", "2026-Q1"), Ordering::Less);
        assert_eq!(cmp_periods("a0", "a00"), Ordering::Less);
    }

    #[test]
    fn latest_and_previous() {
        let p = plan(&["2026-Q2", "2026-Q1", "2026-Q3"], Selection::Latest).unwrap();
        assert_eq!(p.label(&p.current), "2026-Q3");
        assert_eq!(p.previous, Some(1..2));
        let p = plan(&["2026-Q1"], Selection::Latest).unwrap();
        assert_eq!(p.previous, None);
        let p = plan(&["2026-Q1", "2026-Q2"], Selection::Period("2026-Q1".into())).unwrap();
        assert_eq!((p.current.clone(), p.previous.clone()), (0..1, None));
        assert!(
            plan(&["2026-Q1"], Selection::Period("2026-Q9".into()))
                .unwrap_err()
                .contains("2026-Q1")
        );
    }

    /// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm): an
    /// independent calendar to check [`end_of`] against.
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146097 + doe - 719468
    }

    #[test]
    fn period_ends_are_the_day_before_the_next_period() {
        for year in [1900i64, 2000, 2024, 2026, 2028, 2100, 2400] {
            for (label, next_month) in (1..=12)
                .map(|m| (format!("{year}-{m:02}"), m + 1))
                .chain((1..=4).map(|q| (format!("{year}-Q{q}"), q * 3 + 1)))
                .chain((1..=2).map(|h| (format!("{year}-H{h}"), h * 6 + 1)))
                .chain([(format!("{year}"), 13)])
            {
                let end = end_of(&label).unwrap();
                let (ny, nm) = if next_month == 13 {
                    (year + 1, 1)
                } else {
                    (year, next_month)
                };
                assert_eq!(
                    days_from_civil(end.year as i64, end.month as i64, end.day as i64) + 1,
                    days_from_civil(ny, nm, 1),
                    "{label} ends on {end}"
                );
            }
        }
        assert_eq!(end_of("2026-Q3").unwrap().to_string(), "2026-09-30");
        assert_eq!(year_ago("2026-Q3").as_deref(), Some("2025-Q3"));
        assert_eq!(year_ago("2026-07").as_deref(), Some("2025-07"));
        assert_eq!(year_ago("2026-H2").as_deref(), Some("2025-H2"));
        assert_eq!(year_ago("2026").as_deref(), Some("2025"));
        assert_eq!(year_ago("FY26"), None);
        assert_eq!(end_of("2028-02").unwrap().to_string(), "2028-02-29");
        for odd in ["FY26", "2026-Q5", "2026-13", "26-Q1", "2026-W01"] {
            assert_eq!(end_of(odd), None, "{odd}");
        }
    }

    #[test]
    fn labels_a_template_may_carry() {
        for ok in [
            "2026-Q3",
            "2026-H1",
            "2026-07",
            "2026",
            "FY26",
            "Q3_2026",
            "2026-Q3",
            "第三季度",
        ] {
            assert_eq!(check_label(ok), Ok(()), "{ok}");
        }
        let err = |l: &str| check_label(l).unwrap_err();
        assert!(err("2026-q3").contains("did you mean `2026-Q3`?"));
        assert!(err("2026-Q5").contains("is not a calendar period"));
        assert!(err("2026-13").contains("YYYY-MM (01..12)"));
        assert!(err("2026Q3").contains("must not start with a year"));
        assert!(err("").contains("empty"));
        assert!(err("2026-Q1..2026-Q3").contains("span"));
        assert!(err("2026 Q3").contains("a space or control character"));
        assert!(err("2026-Q3\n").contains("`2026-Q3\\n`"));
        assert!(err("Q3/2026").contains("`/`"));
    }

    #[test]
    fn calendar_shifts() {
        assert_eq!(shift("2026-Q1", -1).as_deref(), Some("2025-Q4"));
        assert_eq!(shift("2026-Q3", -4).as_deref(), Some("2025-Q3"));
        assert_eq!(shift("2026-H1", -1).as_deref(), Some("2025-H2"));
        assert_eq!(shift("2026-01", -1).as_deref(), Some("2025-12"));
        assert_eq!(shift("2026-07", -12).as_deref(), Some("2025-07"));
        assert_eq!(shift("2026", -2).as_deref(), Some("2024"));
        assert_eq!(shift("2026-Q4", 1).as_deref(), Some("2027-Q1"));
        for odd in [
            "2026-Q5", "2026-13", "FY26", "2026-W01", "0000-Q1x", "26-Q1",
        ] {
            assert_eq!(shift(odd, -1), None, "{odd}");
        }
        assert_eq!(shift("0000-Q1", -1), None);
    }

    #[test]
    fn spans_back_for_formulas() {
        let ps = ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"];
        let p = plan(&ps, Selection::Latest).unwrap();
        assert_eq!(p.needed(), 2..4);
        let p = p.looking_back(2);
        assert_eq!(p.needed(), 0..4);
        assert_eq!(p.name_back(1), "in 2026-Q2");
        assert_eq!(p.name_back(3), "in 2025-Q4");
        assert_eq!(p.name_back(4), "in 2025-Q3");
        let p = plan(&["FY26"], Selection::Latest).unwrap();
        assert_eq!(p.name_back(1), "in the period before FY26");
        assert_eq!(p.name_back(2), "2 periods before FY26");
        let span = Selection::Span {
            from: Some("2026-Q2".into()),
            to: None,
        };
        let p = plan(&ps, span).unwrap().looking_back(1);
        assert_eq!(p.needed(), 0..4);
        assert_eq!(p.name_back(1), "in 2025-Q4..2026-Q1");
        assert_eq!(p.name_back(2), "in 2025-Q2..2025-Q3");
    }

    #[test]
    fn spans() {
        let ps = [
            "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3",
        ];
        let ytd = Selection::Span {
            from: Some("2026-Q1".into()),
            to: Some("2026-Q3".into()),
        };
        let p = plan(&ps, ytd).unwrap();
        assert_eq!(p.label(&p.current), "2026-Q1..2026-Q3");
        assert_eq!(
            p.previous.clone().map(|r| p.label(&r)),
            Some("2025-Q2..2025-Q4".into())
        );
        assert_eq!(p.needed(), 0..6);
        // Bounds need not be in the data; a short history gives no previous span.
        let p = plan(
            &ps[2..],
            Selection::Span {
                from: Some("2026-Q1".into()),
                to: Some("2026-Q4".into()),
            },
        )
        .unwrap();
        assert_eq!(
            (p.label(&p.current), p.previous),
            ("2026-Q1..2026-Q3".into(), None)
        );
        assert!(
            plan(
                &ps,
                Selection::Span {
                    from: Some("2027-Q1".into()),
                    to: None
                }
            )
            .is_err()
        );
        assert!(
            plan(
                &ps,
                Selection::Span {
                    from: Some("2026-Q3".into()),
                    to: Some("2026-Q1".into())
                }
            )
            .is_err()
        );
    }
}
