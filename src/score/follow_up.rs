//! Follow-up of the evaluated period (SPEC §14): where each initiative
//! stands after the period's check-ins, which are overdue, and which weak
//! indicators nobody has explained (`require_note`). No scoring here: the
//! scores are final before this step reads them.

use std::collections::HashMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Serialize;

use super::{Evaluation, Status};
use crate::data::measurements::CheckIn;
use crate::model::{Date, InitiativeStatus, NoteLevel, Scorecard};
use crate::raw::Num;

/// An initiative as of the evaluated period, after the check-ins.
// Serialises to SPEC §14's JSON `initiatives` entries.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct InitiativeResult {
    pub id: String,
    pub name: String,
    /// Who leads it, or null.
    pub owner: Option<String>,
    pub status: InitiativeStatus,
    /// Share done, 0..1, or null.
    #[schemars(with = "Option<Num>", range(min = 0, max = 1))]
    pub progress: Option<Decimal>,
    /// In the card's `currency`, or null.
    #[schemars(with = "Option<Num>", range(min = 0))]
    pub budget: Option<Decimal>,
    /// The due date (ISO 8601), or null.
    pub due: Option<Date>,
    /// Due before the period's end and neither done nor cancelled; null
    /// when it has a due date but the period's end is unknown (a label
    /// such as `FY26` and no `period_end`).
    pub overdue: Option<bool>,
    /// Ids of the objectives it serves.
    pub objectives: Vec<String>,
    /// Ids of the indicators it should move.
    pub indicators: Vec<String>,
    /// The evaluated period's check-in note (Markdown), or null.
    pub note: Option<String>,
    /// Position in the card's `[[initiatives]]`, for reports.
    #[serde(skip)]
    pub index: usize,
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Whether an initiative due on `due` is overdue at the end of a period
/// ending on `end`: due *before* the end (due on the last day is on time)
/// and still active. `None` when the end is unknown.
pub fn overdue(status: InitiativeStatus, due: Option<Date>, end: Option<Date>) -> Option<bool> {
    match (due, end) {
        (None, _) => Some(false),
        (Some(_), _) if !status.active() => Some(false),
        (Some(_), None) => None,
        (Some(due), Some(end)) => Some(due < end),
    }
}

/// The card's initiatives after the check-ins of `files` (oldest period
/// first; each field of a check-in overrides what came before), at the
/// end of the evaluated period `end`. Notes come only from the files from
/// `current_from` on: the evaluated period (or span).
pub fn follow_up(
    card: &Scorecard,
    files: &[&[CheckIn]],
    current_from: usize,
    end: Option<Date>,
) -> Vec<InitiativeResult> {
    let mut out: Vec<InitiativeResult> = card
        .initiatives
        .iter()
        .enumerate()
        .map(|(index, i)| InitiativeResult {
            id: i.id.clone(),
            name: i.name.clone(),
            owner: i.owner.clone(),
            status: i.status,
            progress: i.progress.map(|p| p.normalize()),
            budget: i.budget.map(|b| b.normalize()),
            due: i.due,
            overdue: None,
            objectives: i
                .objectives
                .iter()
                .map(|&o| card.objectives[o].id.clone())
                .collect(),
            indicators: i
                .indicators
                .iter()
                .map(|&x| card.indicators[x].id.clone())
                .collect(),
            note: None,
            index,
        })
        .collect();
    for (n, file) in files.iter().enumerate() {
        for c in file.iter() {
            let r = &mut out[c.initiative];
            if let Some(s) = c.status {
                r.status = s;
            }
            if let Some(p) = c.progress {
                r.progress = Some(p.normalize());
            }
            if n >= current_from && c.note.is_some() {
                r.note = c.note.clone();
            }
        }
    }
    for r in &mut out {
        r.overdue = overdue(r.status, r.due, end);
    }
    out
}

/// `require_note` (SPEC §14): the indicators at or below the card's level
/// with neither a note nor an active initiative linked to them or to their
/// objective, in declaration order. A missing indicator has no status to
/// judge; the data-quality section already names it.
pub fn unexplained(
    card: &Scorecard,
    e: &Evaluation,
    notes: &HashMap<String, String>,
) -> Vec<usize> {
    let Some(level) = card.require_note else {
        return Vec::new();
    };
    let weak = |s: Status| match level {
        NoteLevel::Red => s == Status::Red,
        NoteLevel::Amber => matches!(s, Status::Red | Status::Amber),
    };
    let active = |i: usize| {
        let ind = &card.indicators[i];
        e.initiatives.iter().any(|r| {
            let decl = &card.initiatives[r.index];
            r.status.active()
                && (decl.indicators.contains(&i)
                    || ind.objective.is_some_and(|o| decl.objectives.contains(&o)))
        })
    };
    e.indicators
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            weak(r.status) && notes.get(&r.id).is_none_or(|n| n.trim().is_empty()) && !active(*i)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Initiatives linked to indicator `i` directly or through its objective,
/// in declaration order.
pub fn linked<'e>(
    card: &Scorecard,
    e: &'e Evaluation,
    i: usize,
) -> impl Iterator<Item = &'e InitiativeResult> {
    let objective = card.indicators[i].objective;
    let initiatives = &card.initiatives;
    e.initiatives.iter().filter(move |r| {
        let decl = &initiatives[r.index];
        decl.indicators.contains(&i) || objective.is_some_and(|o| decl.objectives.contains(&o))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: u16, m: u8, d: u8) -> Date {
        Date {
            year: y,
            month: m,
            day: d,
        }
    }

    #[test]
    fn due_on_the_last_day_is_on_time() {
        let end = Some(day(2026, 9, 30));
        let on_track = InitiativeStatus::OnTrack;
        assert_eq!(overdue(on_track, Some(day(2026, 9, 30)), end), Some(false));
        assert_eq!(overdue(on_track, Some(day(2026, 9, 29)), end), Some(true));
        assert_eq!(overdue(on_track, Some(day(2026, 10, 1)), end), Some(false));
        assert_eq!(overdue(on_track, None, end), Some(false));
        assert_eq!(overdue(on_track, Some(day(2026, 9, 29)), None), None);
    }

    #[test]
    fn finished_work_is_never_overdue() {
        let end = Some(day(2026, 9, 30));
        for s in [InitiativeStatus::Done, InitiativeStatus::Cancelled] {
            assert_eq!(overdue(s, Some(day(2020, 1, 1)), end), Some(false));
            assert_eq!(overdue(s, Some(day(2020, 1, 1)), None), Some(false));
        }
        for s in [
            InitiativeStatus::Planned,
            InitiativeStatus::AtRisk,
            InitiativeStatus::Late,
        ] {
            assert_eq!(overdue(s, Some(day(2020, 1, 1)), end), Some(true));
        }
    }
}
