//! The follow-up part of a report (SPEC §14): each initiative with its
//! status in words and shape, progress, due date and overdue mark; their
//! summary by status with budgets; and what "Where to act" says about who
//! owns an indicator and what is being done about it.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::format;
use crate::markdown;
use crate::model::{InitiativeStatus, Scorecard};
use crate::score::Evaluation;
use crate::score::follow_up::InitiativeResult;

/// Every status, in the order a summary lists them.
const STATUSES: [InitiativeStatus; 6] = [
    InitiativeStatus::Late,
    InitiativeStatus::AtRisk,
    InitiativeStatus::OnTrack,
    InitiativeStatus::Planned,
    InitiativeStatus::Done,
    InitiativeStatus::Cancelled,
];

/// An initiative's status as a shape, so it never rests on colour alone.
pub(crate) fn shape(s: InitiativeStatus) -> &'static str {
    match s {
        InitiativeStatus::Planned => "○",
        InitiativeStatus::OnTrack => "▶",
        InitiativeStatus::AtRisk => "△",
        InitiativeStatus::Late => "▲",
        InitiativeStatus::Done => "✓",
        InitiativeStatus::Cancelled => "✕",
    }
}

#[derive(Serialize)]
pub(super) struct InitiativeCtx {
    id: String,
    name: String,
    owner: String,
    /// `on_track`, for the CSS class.
    status: &'static str,
    status_label: String,
    symbol: &'static str,
    /// `60%`, empty when not given.
    progress: String,
    /// 0..100, the width of the progress bar.
    progress_pct: String,
    due: String,
    overdue: bool,
    budget: String,
    /// The objectives and indicators it serves, by name.
    links: String,
    note_html: String,
    note_md: String,
    description_html: String,
    description_md: String,
}

#[derive(Serialize)]
pub(super) struct StatusCount {
    status: &'static str,
    status_label: String,
    symbol: &'static str,
    count: usize,
    budget: String,
}

#[derive(Serialize, Default)]
pub(super) struct Summary {
    /// Overdue first, then declaration order.
    pub(super) list: Vec<InitiativeCtx>,
    pub(super) by_status: Vec<StatusCount>,
    pub(super) overdue: usize,
    pub(super) total_budget: String,
    pub(super) any_budget: bool,
}

/// What "Where to act" says of an indicator: who owns it and which active
/// initiatives serve it (directly or through its objective).
#[derive(Serialize)]
pub(super) struct ActFollowUp {
    pub(super) owner: String,
    pub(super) initiatives: Vec<ActInitiative>,
}

#[derive(Serialize)]
pub(super) struct ActInitiative {
    name: String,
    symbol: &'static str,
    status: &'static str,
    status_label: String,
    overdue: bool,
}

pub(super) struct Builder<'a> {
    card: &'a Scorecard,
    e: &'a Evaluation,
    l: &'a BTreeMap<String, String>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(
        card: &'a Scorecard,
        e: &'a Evaluation,
        l: &'a BTreeMap<String, String>,
    ) -> Self {
        Builder { card, e, l }
    }

    fn status_label(&self, s: InitiativeStatus) -> String {
        let key = format!("initiative_{}", s.as_str());
        self.l.get(&key).cloned().unwrap_or(key)
    }

    fn money(&self, d: Decimal) -> String {
        format::value(d, self.card.currency.as_deref(), 0)
    }

    fn ctx(&self, r: &InitiativeResult) -> InitiativeCtx {
        let decl = &self.card.initiatives[r.index];
        let links: Vec<String> = decl
            .objectives
            .iter()
            .map(|&o| self.card.objectives[o].name.clone())
            .chain(
                decl.indicators
                    .iter()
                    .map(|&i| self.card.indicators[i].name.clone()),
            )
            .collect();
        let sep = self.l.get("list_separator").map_or(", ", String::as_str);
        InitiativeCtx {
            id: r.id.clone(),
            name: r.name.clone(),
            owner: r.owner.clone().unwrap_or_default(),
            status: r.status.as_str(),
            status_label: self.status_label(r.status),
            symbol: shape(r.status),
            progress: r.progress.map(format::setting_share).unwrap_or_default(),
            progress_pct: r
                .progress
                .map(|p| format::fixed(p * Decimal::ONE_HUNDRED, 1))
                .unwrap_or_default(),
            due: r.due.map(|d| d.to_string()).unwrap_or_default(),
            overdue: r.overdue == Some(true),
            budget: r.budget.map(|b| self.money(b)).unwrap_or_default(),
            links: links.join(sep),
            note_html: r.note.as_deref().map(markdown::to_html).unwrap_or_default(),
            note_md: r
                .note
                .as_deref()
                .map(markdown::to_markdown_after_lead)
                .unwrap_or_default(),
            description_html: decl
                .description
                .as_deref()
                .map(markdown::to_html)
                .unwrap_or_default(),
            description_md: decl
                .description
                .as_deref()
                .map(markdown::to_markdown_after_lead)
                .unwrap_or_default(),
        }
    }

    /// Initiatives that serve objective `o` or one of its indicators.
    pub(super) fn of_objective(&self, o: usize) -> Vec<InitiativeCtx> {
        let indicators = &self.card.objectives[o].indicators;
        self.e
            .initiatives
            .iter()
            .filter(|r| {
                let d = &self.card.initiatives[r.index];
                d.objectives.contains(&o) || d.indicators.iter().any(|i| indicators.contains(i))
            })
            .map(|r| self.ctx(r))
            .collect()
    }

    /// Initiatives that serve one of `indicators` (a perspective's direct ones).
    pub(super) fn of_indicators(&self, indicators: &[usize]) -> Vec<InitiativeCtx> {
        if indicators.is_empty() {
            return Vec::new();
        }
        self.e
            .initiatives
            .iter()
            .filter(|r| {
                self.card.initiatives[r.index]
                    .indicators
                    .iter()
                    .any(|i| indicators.contains(i))
            })
            .map(|r| self.ctx(r))
            .collect()
    }

    pub(super) fn act(&self, i: usize) -> ActFollowUp {
        ActFollowUp {
            owner: self.card.indicators[i].owner.clone().unwrap_or_default(),
            initiatives: crate::score::follow_up::linked(self.card, self.e, i)
                .filter(|r| r.status.active())
                .map(|r| ActInitiative {
                    name: r.name.clone(),
                    symbol: shape(r.status),
                    status: r.status.as_str(),
                    status_label: self.status_label(r.status),
                    overdue: r.overdue == Some(true),
                })
                .collect(),
        }
    }

    pub(super) fn summary(&self) -> Summary {
        let mut list: Vec<&InitiativeResult> = self.e.initiatives.iter().collect();
        // Stable: overdue first, each group in declaration order.
        list.sort_by_key(|r| r.overdue != Some(true));
        let by_status = STATUSES
            .iter()
            .filter_map(|&s| {
                let of: Vec<&InitiativeResult> =
                    list.iter().copied().filter(|r| r.status == s).collect();
                if of.is_empty() {
                    return None;
                }
                let budget = of
                    .iter()
                    .filter_map(|r| r.budget)
                    .try_fold(Decimal::ZERO, |a, b| a.checked_add(b));
                Some(StatusCount {
                    status: s.as_str(),
                    status_label: self.status_label(s),
                    symbol: shape(s),
                    count: of.len(),
                    budget: match budget {
                        _ if of.iter().all(|r| r.budget.is_none()) => String::new(),
                        Some(b) => self.money(b),
                        None => "–".into(),
                    },
                })
            })
            .collect();
        let any_budget = list.iter().any(|r| r.budget.is_some());
        // Budgets are validated to fit a decimal each; a sum too large to
        // hold is shown as missing rather than wrong.
        let total = list
            .iter()
            .filter_map(|r| r.budget)
            .try_fold(Decimal::ZERO, |a, b| a.checked_add(b));
        Summary {
            overdue: list.iter().filter(|r| r.overdue == Some(true)).count(),
            list: list.iter().map(|r| self.ctx(r)).collect(),
            by_status,
            total_budget: total.map(|t| self.money(t)).unwrap_or_else(|| "–".into()),
            any_budget,
        }
    }
}
