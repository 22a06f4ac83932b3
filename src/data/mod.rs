//! The data: what a run measured, however it came in. Every reader ends in
//! the same store of observations, a [`UnitBlock`] per unit, which the
//! [`Evaluator`](crate::evaluator::Evaluator) scores:
//!
//! - [`measurements`]: one period per file, TOML or short CSV (SPEC §3),
//!   a run of them being one unit's observations;
//! - [`long_csv`] and [`workbook`]: long-format data of many units and
//!   periods, whose rows [`rows`] checks and groups by unit;
//! - [`period`]: the order of period labels and the spans a run evaluates;
//!   [`rollup`]: a unit's values over a span, combined by `aggregate`.
//!
//! A new input format is one more reader here that fills a [`UnitBlock`].

pub mod long_csv;
pub mod measurements;
pub mod period;
pub mod rollup;
pub mod rows;
pub mod workbook;

use rust_decimal::Decimal;

use crate::model::Goal;

/// The values one unit gave for the periods a run keeps.
#[derive(Debug, Clone, Default)]
pub struct UnitBlock {
    pub name: String,
    /// `(position * slots + slot, value)`, position counted from the first
    /// kept period. Empty values are not stored.
    pub entries: Vec<(u32, Decimal)>,
    /// Notes of rows in the evaluated span, keyed like `entries`.
    pub notes: Vec<(u32, String)>,
    /// Targets and baselines the unit's rows give (SPEC §10), keyed like
    /// `entries` (a computed indicator by its own slot).
    pub targets: Vec<(u32, Goal)>,
    pub baselines: Vec<(u32, Decimal)>,
    /// Whether any row (even one with an empty value) is in the evaluated span.
    pub in_current: bool,
    /// The (period of the data, slot) pairs its rows gave, as bits, when
    /// the reading was asked to say ([`rows::Collector::period_stretch`]):
    /// for pieces of one unit read apart to be joined, a pair in two being
    /// a duplicate. Empty otherwise.
    pub seen: Vec<u64>,
}
