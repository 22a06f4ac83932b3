//! Measurements files (SPEC §3): one period's actual values, notes,
//! targets and baselines, from TOML (`[values]`, `[notes]`, `[targets]`,
//! `[baselines]`) or short CSV (`id,value[,note][,target][,baseline]`),
//! read exactly and checked against the validated scorecard. The files of
//! a run, ordered by period, are one unit's [`observations`].

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use rust_decimal::Decimal;
use toml::de::DeValue;

use super::UnitBlock;
use super::period::Plan;
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::load::{self, Walker};
use crate::model::{Date, Goal, InitiativeStatus, Rule, Scorecard, ValueRef, pair_problem};
use crate::raw;
use crate::score::Slots;
use crate::source::Source;

/// One period's values for one scorecard.
#[derive(Debug, Clone, Default)]
pub struct Measurements {
    /// Where the values came from (file name), for messages.
    pub origin: String,
    /// The file itself, for diagnostics about the period as a whole.
    pub source: Option<Source>,
    pub period: String,
    pub unit: Option<String>,
    /// Indicator and input ids -> actual values.
    pub values: HashMap<String, Decimal>,
    /// Markdown notes by id.
    pub notes: HashMap<String, String>,
    /// Targets and baselines given with the data (SPEC §10), by indicator
    /// id: they override the card's plan and declared values.
    pub targets: HashMap<String, Goal>,
    pub baselines: HashMap<String, Decimal>,
    /// The period's last day when the file states it (`period_end`), for
    /// overdue initiatives; else it comes from the label.
    pub period_end: Option<Date>,
    /// Check-ins of initiatives (SPEC §14), in file order.
    pub check_ins: Vec<CheckIn>,
}

/// A measurements file's update of one initiative for its period: what it
/// leaves out stays as the card (or an earlier check-in) has it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    /// Index into the card's initiatives.
    pub initiative: usize,
    pub status: Option<InitiativeStatus>,
    pub progress: Option<Decimal>,
    pub note: Option<String>,
}

impl Measurements {
    /// This period's values by slot, as scoring takes them.
    pub fn slots(&self, card: &Scorecard) -> Slots {
        let values = card
            .indicators
            .iter()
            .map(|i| &i.id)
            .chain(card.inputs.iter().map(|i| &i.id))
            .map(|id| self.values.get(id).copied())
            .collect();
        Slots {
            values,
            reasons: Vec::new(),
            past: Vec::new(),
        }
    }
}

/// A measurements file read, with where its period and unit were stated,
/// so that checks across files (same period twice, mixed units) can point
/// at them.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub measurements: Measurements,
    pub source: Source,
    /// The `period = ...` value; `None` for CSV or a period from `--period`.
    pub period_span: Option<Range<usize>>,
    /// Whether the file itself states its period (TOML `period`, or a CSV
    /// name ending in a period label) rather than taking `--period`.
    pub period_stated: bool,
    pub unit_span: Option<Range<usize>>,
}

/// A run's measurements files, ordered by period (those of
/// `plan.periods`), as one unit's
/// observations: what a long-format file gives for one unit, keyed by
/// position among `plan.needed()` and slot, so that both are scored by the
/// same [`Evaluator`](crate::evaluator::Evaluator). As the long-format
/// reader does, only the evaluated span's notes are kept.
pub fn observations<'m>(
    card: &Scorecard,
    files: impl IntoIterator<Item = &'m Measurements>,
    plan: &Plan,
) -> UnitBlock {
    let needed = plan.needed();
    let slots = crate::score::slot_count(card);
    let mut block = UnitBlock {
        in_current: true,
        ..UnitBlock::default()
    };
    let kept = files.into_iter().skip(needed.start).take(needed.len());
    for (pos, m) in kept.enumerate() {
        let key =
            |id: &str| crate::score::slot_of(card, id).map(|slot| (pos * slots + slot) as u32);
        // Only indicators have targets and baselines; inputs are values.
        let indicator = |id: &str| matches!(card.ids.get(id), Some(ValueRef::Indicator(_)));
        block
            .entries
            .extend(m.values.iter().filter_map(|(id, v)| Some((key(id)?, *v))));
        block.targets.extend(
            m.targets
                .iter()
                .filter(|(id, _)| indicator(id))
                .filter_map(|(id, g)| Some((key(id)?, *g))),
        );
        block.baselines.extend(
            m.baselines
                .iter()
                .filter(|(id, _)| indicator(id))
                .filter_map(|(id, b)| Some((key(id)?, *b))),
        );
        if plan.current.contains(&(needed.start + pos)) {
            block.notes.extend(
                m.notes
                    .iter()
                    .filter_map(|(id, n)| Some((key(id)?, n.clone()))),
            );
        }
    }
    block
}

/// Loads a TOML or CSV measurements file (by extension) against a card.
/// `period` labels a file that states none (a TOML file without
/// `period`, a CSV whose name holds no period label).
pub fn load(
    src: &Source,
    card: &Scorecard,
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Measurements> {
    load_file(src, card, period, diags).map(|l| l.measurements)
}

/// [`load()`], keeping where the period and unit were stated.
pub fn load_file(
    src: &Source,
    card: &Scorecard,
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Loaded> {
    let before = diags.error_count();
    let m = if is_csv(&src.name) {
        from_csv(src, card, period, diags)
    } else {
        from_toml(src, card, period, diags)
    };
    (diags.error_count() == before).then_some(m?)
}

pub fn is_csv(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// Where a file shows that it is a measurements file (the `scorecard =
/// "id"` string, its `period` or `[values]`), when it is one; a CSV file
/// always is. For telling the user that files were given in the wrong
/// places.
pub fn measurements_marker(src: &Source) -> Option<Range<usize>> {
    if is_csv(&src.name) {
        return Some(0..src.text.find('\n').unwrap_or(src.text.len()));
    }
    let root = toml::de::DeTable::parse(&src.text).ok()?;
    let top = root.get_ref();
    match top.get("scorecard").map(|v| (v.get_ref(), v.span())) {
        Some((DeValue::String(_), span)) => Some(span),
        Some(_) => None,
        None => ["period", "values"]
            .iter()
            .find_map(|k| top.get_key_value(*k))
            .map(|(k, _)| k.span()),
    }
}

/// Where a file shows that it is a scorecard (its `[scorecard]` table).
pub fn scorecard_marker(src: &Source) -> Option<Range<usize>> {
    let root = toml::de::DeTable::parse(&src.text).ok()?;
    let (k, v) = root.get_ref().get_key_value("scorecard")?;
    matches!(v.get_ref(), DeValue::Table(_)).then(|| k.span())
}

/// `%` values are fractions (0.44 is 44%), so a magnitude above 10
/// (1000%) is almost always a percentage typed as a whole number.
pub fn percent_suspect(unit: Option<&str>, value: Decimal) -> bool {
    unit == Some("%") && value.abs() > Decimal::TEN
}

/// W011 when a `%` indicator or input is given a whole-number percentage.
fn check_percent(
    card: &Scorecard,
    id: &str,
    value: Decimal,
    span: Range<usize>,
    src: &Source,
    diags: &mut Diagnostics,
) {
    let unit = match card.ids.get(id) {
        Some(ValueRef::Indicator(i)) => card.indicators[*i].unit.as_deref(),
        Some(ValueRef::Input(i)) => card.inputs[*i].unit.as_deref(),
        None => None,
    };
    if !percent_suspect(unit, value) {
        return;
    }
    let fraction = value / Decimal::ONE_HUNDRED;
    diags.push(
        Diagnostic::warning(
            "W011",
            format!(
                "{value} looks like a percentage typed as a whole number; `%` values are fractions: {}",
                fraction.normalize()
            ),
        )
        .at(src, span)
        .label(format!("`{id}` has unit \"%\""))
        .hint(format!(
            "write {} for {value}%; a value outside -10..10 means more than 1000%",
            fraction.normalize()
        )),
    );
}

/// Checks that `id` may be given a value; pushes E031/E032 otherwise.
fn check_value_id(
    card: &Scorecard,
    id: &str,
    span: Range<usize>,
    src: &Source,
    diags: &mut Diagnostics,
) -> bool {
    match card.ids.get(id) {
        Some(ValueRef::Indicator(i)) if card.indicators[*i].formula.is_some() => {
            let f = &card.indicators[*i].formula.as_ref().expect("checked").text;
            diags.push(
                Diagnostic::error(
                    "E032",
                    format!("`{id}` is a computed indicator; it cannot be given a value"),
                )
                .at(src, span)
                .label("computed from its formula")
                .hint(format!(
                    "give values for what its formula reads instead: {f}"
                )),
            );
            false
        }
        Some(_) => true,
        None => {
            let hint = diags
                .did_you_mean(id, card.ids.keys().map(String::as_str))
                .unwrap_or_else(|| "remove it, or declare it in the scorecard".into());
            diags.push(
                Diagnostic::error(
                    "E031",
                    format!(
                        "`{id}` is not an indicator or input of scorecard `{}`",
                        card.id
                    ),
                )
                .at(src, span)
                .label("unknown id")
                .hint_opt(Some(hint)),
            );
            false
        }
    }
}

fn check_note_id(
    card: &Scorecard,
    id: &str,
    span: Range<usize>,
    src: &Source,
    diags: &mut Diagnostics,
) -> bool {
    if card.ids.contains_key(id) {
        return true;
    }
    let hint = diags.did_you_mean(id, card.ids.keys().map(String::as_str));
    diags.push(
        Diagnostic::error(
            "E031",
            format!(
                "note for `{id}`, which is not an indicator or input of scorecard `{}`",
                card.id
            ),
        )
        .at(src, span)
        .label("unknown id")
        .hint_opt(hint),
    );
    false
}

/// Parses a decimal written as a string value (`"0.1"`, `" 1200 "`).
fn decimal_string(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '_'))
    {
        return None;
    }
    load::decimal_from_text(t).ok()
}

fn from_toml(
    src: &Source,
    card: &Scorecard,
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Loaded> {
    let root = load::parse_toml(src, diags)?;
    let top = root.get_ref();
    let mut w = Walker { src, diags };
    let ctx = "the measurements file";
    w.unknown_keys(top, &raw::schema_keys::<raw::MeasurementsFile>(), ctx);
    let mut m = Measurements {
        origin: src.name.clone(),
        source: Some(src.clone()),
        ..Default::default()
    };
    if let Some(sc) = w.string(top, "scorecard", ctx)
        && sc.value != card.id
    {
        w.diags.push(
            Diagnostic::error(
                "E030",
                format!(
                    "measurements are for scorecard `{}`, not `{}`",
                    sc.value, card.id
                ),
            )
            .at(src, sc.span)
            .label("different scorecard")
            .hint("pass the matching scorecard, or fix `scorecard = ...`"),
        );
    }
    let mut period_span = None;
    match (w.string(top, "period", ctx), period) {
        (Some(p), _) => {
            m.period = p.value;
            period_span = Some(p.span);
        }
        (None, Some(p)) => m.period = p.to_string(),
        (None, None) => {
            if top.get("period").is_none() {
                w.missing_key(0..0, "period", ctx);
            }
        }
    }
    let unit = w.string(top, "unit", ctx);
    let unit_span = unit.as_ref().map(|u| u.span.clone());
    m.unit = unit.map(|u| u.value);
    if let Some((values, _)) = w.table(top, "values", ctx) {
        for (k, v) in values.iter() {
            let id: &str = k.get_ref();
            let what = format!("value of `{id}`");
            let value = match v.get_ref() {
                DeValue::String(s) => match decimal_string(s) {
                    Some(d) => Some(d),
                    // A `bsc template` blank that was not filled in.
                    None if s.trim().is_empty() => {
                        w.diags.push(
                            Diagnostic::error("E035", format!("value of `{id}` is missing: its entry is blank"))
                                .at(src, v.span())
                                .label("no number here")
                                .hint(format!("fill in the number for {} (`{id} = 12.5`, or \"12.5\" between the quotes); if there is none, delete the line: the value then counts as missing", if m.period.is_empty() { "the period" } else { m.period.as_str() })),
                        );
                        None
                    }
                    None => {
                        w.diags.push(
                            Diagnostic::error("E035", format!("{what} \"{}\" is not a decimal number", crate::diag::echo(s)))
                                .at(src, v.span())
                                .label("not a number")
                                .hint("write a number such as 0.12, or a string holding one such as \"0.12\""),
                        );
                        None
                    }
                },
                other => match load::decimal_of(other) {
                    Some(Ok(d)) => Some(d),
                    Some(Err(e)) => {
                        w.number_error(&what, e, v.span());
                        None
                    }
                    None => {
                        w.type_error(&what, "a number or a decimal string", v);
                        None
                    }
                },
            };
            if check_value_id(card, id, k.span(), src, w.diags)
                && let Some(d) = value
            {
                check_percent(card, id, d, v.span(), src, w.diags);
                m.values.insert(id.to_string(), d);
            }
        }
    }
    overrides_from_toml(top, card, &mut m, &mut w);
    if let Some((notes, _)) = w.table(top, "notes", ctx) {
        for (k, _) in notes.iter() {
            let id: &str = k.get_ref();
            let note = w.string(notes, id, "`[notes]`");
            if check_note_id(card, id, k.span(), src, w.diags)
                && let Some(n) = note
            {
                m.notes.insert(id.to_string(), n.value);
            }
        }
    }
    m.period_end = w.date(top, "period_end", ctx).map(|d| d.value);
    check_ins_from_toml(top, card, &mut m, &mut w);
    Some(Loaded {
        measurements: m,
        source: src.clone(),
        period_stated: period_span.is_some(),
        period_span,
        unit_span,
    })
}

/// `[initiatives.<id>]`: each check-in names a declared initiative and
/// keeps its progress within 0..1.
fn check_ins_from_toml(
    top: &toml::de::DeTable,
    card: &Scorecard,
    m: &mut Measurements,
    w: &mut Walker,
) {
    let Some((table, _)) = w.table(top, "initiatives", "the measurements file") else {
        return;
    };
    for (k, v) in table.iter() {
        let id: &str = k.get_ref();
        let ctx = format!("`[initiatives.{id}]`");
        let DeValue::Table(t) = v.get_ref() else {
            w.type_error(&ctx, "a table of `status`, `progress` and `note`", v);
            continue;
        };
        let c = load::check_in(t, &ctx, w);
        let index = card.initiatives.iter().position(|i| i.id == id);
        if index.is_none() {
            let hint = w
                .diags
                .did_you_mean(id, card.initiatives.iter().map(|i| i.id.as_str()))
                .unwrap_or_else(|| {
                    if card.initiatives.is_empty() {
                        "the scorecard declares no `[[initiatives]]`".to_string()
                    } else {
                        format!(
                            "declared initiatives: {}",
                            card.initiatives
                                .iter()
                                .map(|i| i.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                });
            w.diags.push(
                Diagnostic::error(
                    "E076",
                    format!(
                        "check-in for `{id}`, which is not an initiative of scorecard `{}`",
                        card.id
                    ),
                )
                .at(w.src, k.span())
                .label("unknown initiative")
                .hint(hint),
            );
        }
        let progress = match &c.progress {
            Some(p) if p.value.0 < Decimal::ZERO || p.value.0 > Decimal::ONE => {
                w.diags.push(
                    Diagnostic::error(
                        "E074",
                        format!(
                            "progress of initiative `{id}` ({}) is outside 0..1",
                            p.value.0
                        ),
                    )
                    .at(w.src, p.span.clone())
                    .label("must be 0..1")
                    .hint(crate::validate::progress_hint(p.value.0)),
                );
                None
            }
            p => p.as_ref().map(|p| p.value.0),
        };
        if let Some(initiative) = index {
            m.check_ins.push(CheckIn {
                initiative,
                status: c.status.map(|s| s.value),
                progress,
                note: c.note.map(|n| n.value),
            });
        }
    }
}

/// A problem with a target or baseline given with the data: code,
/// message, label and hint, for whichever reader found it.
pub type Problem = (&'static str, String, String, String);

/// The indicator that `id` names, when it can take a `what` (`target` or
/// `baseline`) with the data (SPEC §10): not an unknown id, an input, or a
/// rule without one.
pub fn override_index(card: &Scorecard, id: &str, what: &str) -> Result<usize, Problem> {
    match card.ids.get(id) {
        Some(ValueRef::Indicator(i)) => {
            let rule = &card.indicators[*i].rule;
            let has = match what {
                "baseline" => rule.baseline().is_some(),
                _ => rule.goal().is_some(),
            };
            if has {
                Ok(*i)
            } else {
                Err((
                    "E111",
                    format!("`{id}` has no {what} to override: its scoring rule takes none"),
                    format!("no {what}"),
                    format!("remove this {what}; the rule of `{id}` holds in every period"),
                ))
            }
        }
        Some(ValueRef::Input(_)) => Err((
            "E112",
            format!("`{id}` is an input: inputs are not scored and take no {what}"),
            "an input".into(),
            "give targets and baselines to indicators only".into(),
        )),
        None => Err((
            "E031",
            format!(
                "{what} for `{id}`, which is not an indicator of scorecard `{}`",
                card.id
            ),
            "unknown id".into(),
            did_you_mean(id, card.indicators.iter().map(|i| i.id.as_str()))
                .unwrap_or_else(|| "remove it, or declare the indicator in the scorecard".into()),
        )),
    }
}

/// A target of the right shape for indicator `i`'s rule: one number, or
/// `[low, high]` for a band (`None` for a list of the wrong length).
pub fn override_goal(
    card: &Scorecard,
    i: usize,
    value: Option<Decimal>,
    band: Option<(Decimal, Decimal)>,
) -> Result<Goal, Problem> {
    let ind = &card.indicators[i];
    match (&ind.rule, value, band) {
        (Rule::Band { .. }, _, Some((l, h))) => Ok(Goal::Band(l, h)),
        (Rule::Band { .. }, _, None) => Err((
            "E013",
            format!(
                "the target of band indicator `{}` must be `[low, high]`",
                ind.id
            ),
            "not a two-number range".into(),
            "give both bounds, e.g. [4, 5]".into(),
        )),
        (_, Some(v), _) => Ok(Goal::Value(v)),
        _ => Err((
            "E002",
            format!("the target of `{}` must be one number", ind.id),
            "a range".into(),
            "a `[low, high]` target is for band scoring".into(),
        )),
    }
}

/// Indicator `i`'s rule in `period` with the data's target and baseline
/// over the plan's (SPEC §10), and what is wrong with the pair in force.
/// A W025 problem is a warning: the rule still scores.
pub fn override_rule(
    card: &Scorecard,
    i: usize,
    period: &str,
    goal: Option<Goal>,
    base: Option<Decimal>,
) -> (Rule, Option<Problem>) {
    let ind = &card.indicators[i];
    let rule = ind.rule_for(period).in_force(goal, base);
    let problem = pair_problem(&ind.rule, &rule, ind.direction_stated).map(|p| {
        crate::validate::describe_pair(
            &p,
            &format!("indicator `{}`", ind.id),
            &format!("in {period} (given with the data)"),
        )
    });
    (rule, problem)
}

fn push_problem(diags: &mut Diagnostics, src: &Source, span: Range<usize>, p: Problem) {
    let (code, message, label, hint) = p;
    let d = if code.starts_with('W') {
        Diagnostic::warning(code, message)
    } else {
        Diagnostic::error(code, message)
    };
    diags.push(d.at(src, span).label(label).hint(hint));
}

/// `[targets]` and `[baselines]` of a measurements file: each checked at
/// its entry, then each pair in force.
fn overrides_from_toml(
    top: &toml::de::DeTable,
    card: &Scorecard,
    m: &mut Measurements,
    w: &mut Walker,
) {
    let src = w.src;
    let mut spans: HashMap<usize, Range<usize>> = HashMap::new();
    if let Some((targets, _)) = w.table(top, "targets", "the measurements file") {
        for (k, v) in targets.iter() {
            let id: &str = k.get_ref();
            let what = format!("`targets.{id}`");
            let band = match v.get_ref() {
                DeValue::Array(items) => {
                    let nums: Option<Vec<Decimal>> = items
                        .iter()
                        .map(|i| {
                            w.number_value(i, &format!("each bound of {what}"))
                                .map(|n| n.value.0)
                        })
                        .collect();
                    match nums {
                        None => continue,
                        Some(n) if n.len() == 2 => Some(Some((n[0], n[1]))),
                        Some(_) => Some(None),
                    }
                }
                _ => None,
            };
            let value = match band {
                Some(_) => None,
                None => match w.number_value(v, &what) {
                    Some(n) => Some(n.value.0),
                    None => continue,
                },
            };
            let goal = override_index(card, id, "target")
                .map_err(|p| (p, k.span()))
                .and_then(|i| {
                    override_goal(card, i, value, band.flatten())
                        .map(|g| (i, g))
                        .map_err(|p| (p, v.span()))
                });
            match goal {
                Ok((i, g)) => {
                    m.targets.insert(id.to_string(), g);
                    spans.insert(i, v.span());
                }
                Err((p, span)) => push_problem(w.diags, src, span, p),
            }
        }
    }
    if let Some((baselines, _)) = w.table(top, "baselines", "the measurements file") {
        for (k, v) in baselines.iter() {
            let id: &str = k.get_ref();
            let Some(n) = w.number_value(v, &format!("`baselines.{id}`")) else {
                continue;
            };
            match override_index(card, id, "baseline") {
                Ok(i) => {
                    m.baselines.insert(id.to_string(), n.value.0);
                    spans.entry(i).or_insert(v.span());
                }
                Err(p) => push_problem(w.diags, src, k.span(), p),
            }
        }
    }
    let mut checked: Vec<(usize, Range<usize>)> = spans.into_iter().collect();
    checked.sort_by_key(|(_, s)| s.start);
    for (i, span) in checked {
        let id = &card.indicators[i].id;
        let (_, problem) = override_rule(
            card,
            i,
            &m.period,
            m.targets.get(id).copied(),
            m.baselines.get(id).copied(),
        );
        if let Some(p) = problem {
            push_problem(w.diags, src, span, p);
        }
    }
}

/// The period a CSV file's name implies: a trailing `YYYY-Qn`, `YYYY-Hn`,
/// `YYYY-MM` or `YYYY` when there is one, else the whole file stem.
pub fn period_from_file_name(name: &str) -> String {
    period_in_file_name(name).unwrap_or_else(|| {
        Path::new(name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    })
}

/// The period label a file name ends in (`YYYY-Qn`, `YYYY-Hn`, `YYYY-MM`
/// or `YYYY`), if any.
pub fn period_in_file_name(name: &str) -> Option<String> {
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parts: Vec<&str> = stem.split(['-', '_', '.']).collect();
    let is_year = |s: &str| s.len() == 4 && s.chars().all(|c| c.is_ascii_digit());
    let is_sub = |s: &str| {
        let u = s.to_ascii_uppercase();
        (u.len() == 2
            && (u.starts_with('Q') || u.starts_with('H'))
            && u[1..].chars().all(|c| c.is_ascii_digit()))
            || (s.len() == 2 && s.chars().all(|c| c.is_ascii_digit()))
    };
    let n = parts.len();
    if n >= 2 && is_year(parts[n - 2]) && is_sub(parts[n - 1]) {
        return Some(format!("{}-{}", parts[n - 2], parts[n - 1]));
    }
    if n >= 1 && is_year(parts[n - 1]) {
        return Some(parts[n - 1].to_string());
    }
    None
}

/// Byte span of field `col` on the CSV line starting at `line_start`,
/// exact for unquoted fields; the whole line otherwise.
pub fn csv_field_span(text: &str, line_start: usize, col: usize) -> Range<usize> {
    // A start off a character boundary (never made by the readers) gives an
    // empty span rather than a panic.
    let Some(rest) = text.get(line_start..) else {
        return line_start.min(text.len())..line_start.min(text.len());
    };
    // A lone `\r` ends a line too (CR-only files).
    let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
    if line.contains('"') {
        return line_start..line_start + line.len();
    }
    let mut start = line_start;
    for (i, field) in line.split(',').enumerate() {
        if i == col {
            return start..start + field.len();
        }
        start += field.len() + 1;
    }
    line_start..line_start + line.len()
}

fn from_csv(
    src: &Source,
    card: &Scorecard,
    period: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<Loaded> {
    // A period in the file's name is the file's own statement, like a
    // TOML file's `period`; `--period` labels only files that have none.
    let named = period_in_file_name(&src.name);
    let period_stated = named.is_some();
    let mut m = Measurements {
        origin: src.name.clone(),
        source: Some(src.clone()),
        period: named
            .or_else(|| period.map(str::to_string))
            .unwrap_or_else(|| period_from_file_name(&src.name)),
        ..Default::default()
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(src.text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            diags.push(
                Diagnostic::error("E036", format!("CSV header cannot be read: {e}")).at(src, 0..0),
            );
            return None;
        }
    };
    let cols: Vec<String> = headers
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let first_line = 0..src.text.find('\n').unwrap_or(src.text.len());
    let (Some(id_col), Some(value_col)) = (
        cols.iter().position(|c| c == "id"),
        cols.iter().position(|c| c == "value"),
    ) else {
        diags.push(
            Diagnostic::error("E036", "CSV header must have `id` and `value` columns")
                .at(src, first_line)
                .label("header")
                .hint("the first line should read `id,value` (optionally `,note`)"),
        );
        return None;
    };
    let note_col = cols.iter().position(|c| c == "note");
    let target_col = cols.iter().position(|c| c == "target");
    let baseline_col = cols.iter().position(|c| c == "baseline");
    // `name` and `unit` (of measure) are the reading aids of `bsc
    // template`'s CSV: ignored, so that a filled-in template reads back
    // as it is.
    const COLUMNS: [&str; 7] = ["id", "value", "note", "target", "baseline", "name", "unit"];
    for (i, c) in cols.iter().enumerate() {
        if !COLUMNS.contains(&c.as_str()) {
            diags.push(
                Diagnostic::error("E036", format!("unknown CSV column `{c}`"))
                    .at(src, csv_field_span(&src.text, 0, i))
                    .label("unknown column")
                    .hint_opt(did_you_mean(c, COLUMNS).or_else(|| {
                        Some("columns are id, value, note, target and baseline (and name and unit, which are ignored)".into())
                    })),
            );
        }
    }
    let mut pairs: Vec<(usize, Range<usize>)> = Vec::new();
    // The reader numbers lines by `\n` alone; the file's line index counts
    // a lone `\r` too (CR-only files), as messages do everywhere.
    let line_of = |p: &csv::Position| src.line_col(p.byte() as usize).0;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let at = e.position().map_or(0, |p| p.byte() as usize);
                diags.push(
                    Diagnostic::error("E036", format!("CSV row cannot be read: {e}"))
                        .at(src, at..at),
                );
                continue;
            }
        };
        let start = rec.position().map_or(0, |p| p.byte() as usize);
        let line = rec.position().map_or(0, line_of);
        if rec.len() < headers.len() {
            // Its last columns would silently read as empty: no value.
            let n = rec.len();
            diags.push(
                Diagnostic::error(
                    "E036",
                    format!(
                        "CSV line {line} has {n} field{}; the header has {}",
                        if n == 1 { "" } else { "s" },
                        headers.len()
                    ),
                )
                .at(src, csv_field_span(&src.text, start, usize::MAX))
                .label("missing field")
                .hint(format!(
                    "give every column a field, in the header's order ({}); an empty value is nothing between two commas",
                    headers.iter().collect::<Vec<_>>().join(",")
                )),
            );
            continue;
        }
        let id = rec.get(id_col).unwrap_or("").trim();
        let raw_value = rec.get(value_col).unwrap_or("").trim();
        if id.is_empty() {
            diags.push(
                Diagnostic::error("E036", format!("CSV line {line} has an empty id"))
                    .at(src, csv_field_span(&src.text, start, id_col))
                    .label("empty id"),
            );
            continue;
        }
        if let Some(first) = seen.insert(id.to_string(), line) {
            diags.push(
                Diagnostic::error(
                    "E037",
                    format!("`{id}` is given twice (lines {first} and {line})"),
                )
                .at(src, csv_field_span(&src.text, start, id_col))
                .label("duplicate")
                .hint("give each id once per period"),
            );
            continue;
        }
        let cell = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
        let (raw_target, raw_baseline) = (cell(target_col), cell(baseline_col));
        // A row may carry only a target or baseline (SPEC §10), for a
        // computed indicator too; a value needs an id that takes one.
        let overrides_only =
            raw_value.is_empty() && !(raw_target.is_empty() && raw_baseline.is_empty());
        if !overrides_only
            && !check_value_id(
                card,
                id,
                csv_field_span(&src.text, start, id_col),
                src,
                diags,
            )
        {
            continue;
        }
        let field = |c: Option<usize>| csv_field_span(&src.text, start, c.unwrap_or(0));
        let id_at = field(Some(id_col));
        if let Some(i) = csv_override(
            card,
            id,
            "target",
            raw_target,
            &id_at,
            field(target_col),
            src,
            diags,
        ) {
            let at = field(target_col);
            let goal = match raw_target.split_once("..") {
                Some((l, h)) => decimal_string(l)
                    .zip(decimal_string(h))
                    .map(|(l, h)| override_goal(card, i, None, Some((l, h)))),
                None => decimal_string(raw_target).map(|v| override_goal(card, i, Some(v), None)),
            };
            match goal {
                Some(Ok(g)) => {
                    m.targets.insert(id.to_string(), g);
                    pairs.push((i, at));
                }
                Some(Err(p)) => push_problem(diags, src, at, p),
                None => not_a_number(diags, src, at, id, "target", raw_target, line),
            }
        }
        if let Some(i) = csv_override(
            card,
            id,
            "baseline",
            raw_baseline,
            &id_at,
            field(baseline_col),
            src,
            diags,
        ) {
            let at = field(baseline_col);
            match decimal_string(raw_baseline) {
                Some(b) => {
                    m.baselines.insert(id.to_string(), b);
                    if !pairs.iter().any(|(j, _)| *j == i) {
                        pairs.push((i, at));
                    }
                }
                None => not_a_number(diags, src, at, id, "baseline", raw_baseline, line),
            }
        }
        if !raw_value.is_empty() {
            match decimal_string(raw_value) {
                Some(d) => {
                    let at = csv_field_span(&src.text, start, value_col);
                    check_percent(card, id, d, at, src, diags);
                    m.values.insert(id.to_string(), d);
                }
                None => {
                    let msg = if ["nan", "inf", "-inf", "+inf"]
                        .contains(&raw_value.to_ascii_lowercase().as_str())
                    {
                        format!("value of `{id}` on line {line} is not a finite number")
                    } else {
                        format!(
                            "value of `{id}` on line {line} (\"{}\") is not a decimal number",
                            crate::diag::echo(raw_value)
                        )
                    };
                    diags.push(
                        Diagnostic::error("E035", msg)
                            .at(src, csv_field_span(&src.text, start, value_col))
                            .label("not a number")
                            .hint("write a plain decimal such as 0.12 (no units or thousands separators); leave it empty for no value"),
                    );
                }
            }
        }
        if let Some(nc) = note_col {
            let note = rec.get(nc).unwrap_or("").trim();
            if !note.is_empty() {
                m.notes.insert(id.to_string(), note.to_string());
            }
        }
    }
    for (i, span) in pairs {
        let id = &card.indicators[i].id;
        let (_, problem) = override_rule(
            card,
            i,
            &m.period,
            m.targets.get(id).copied(),
            m.baselines.get(id).copied(),
        );
        if let Some(p) = problem {
            push_problem(diags, src, span, p);
        }
    }
    Some(Loaded {
        measurements: m,
        source: src.clone(),
        period_span: None,
        period_stated,
        unit_span: None,
    })
}

/// The indicator of a non-empty `target` / `baseline` cell, or the
/// diagnostic why it takes none (an unknown id at the id's cell).
#[allow(clippy::too_many_arguments)]
fn csv_override(
    card: &Scorecard,
    id: &str,
    what: &str,
    raw: &str,
    id_at: &Range<usize>,
    at: Range<usize>,
    src: &Source,
    diags: &mut Diagnostics,
) -> Option<usize> {
    if raw.is_empty() {
        return None;
    }
    override_index(card, id, what)
        .map_err(|p| {
            let at = if p.0 == "E031" { id_at.clone() } else { at };
            push_problem(diags, src, at, p)
        })
        .ok()
}

fn not_a_number(
    diags: &mut Diagnostics,
    src: &Source,
    at: Range<usize>,
    id: &str,
    what: &str,
    raw: &str,
    line: usize,
) {
    let hint = if what == "target" {
        "write a plain decimal such as 0.12, or `low..high` for a band"
    } else {
        "write a plain decimal such as 0.12"
    };
    diags.push(
        Diagnostic::error(
            "E035",
            format!(
                "{what} of `{id}` on line {line} (\"{}\") is not a decimal number",
                crate::diag::echo(raw)
            ),
        )
        .at(src, at)
        .label("not a number")
        .hint(hint),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_from_file_names() {
        assert_eq!(period_from_file_name("data/crm-2026-Q3.csv"), "2026-Q3");
        assert_eq!(period_from_file_name("2026-03.csv"), "2026-03");
        assert_eq!(period_from_file_name("east_2025.csv"), "2025");
        assert_eq!(period_from_file_name("latest.csv"), "latest");
        assert_eq!(period_in_file_name("latest.csv"), None);
        assert_eq!(
            period_in_file_name("crm-2026-Q4.csv").as_deref(),
            Some("2026-Q4")
        );
    }

    #[test]
    fn markers_tell_measurements_from_scorecards() {
        let src =
            |name: &str, text: &str| crate::source::SourceFile::new(Path::new(name), text.into());
        let m = src("q3.toml", "scorecard = \"crm\"\nperiod = \"2026-Q3\"\n");
        assert_eq!(m.slice(&measurements_marker(&m).unwrap()), Some("\"crm\""));
        assert_eq!(scorecard_marker(&m), None);
        let m = src("q3.toml", "period = \"2026-Q3\"\n[values]\n");
        assert_eq!(m.slice(&measurements_marker(&m).unwrap()), Some("period"));
        let c = src("card.toml", "[scorecard]\nid = \"crm\"\n");
        assert_eq!(measurements_marker(&c), None);
        assert_eq!(c.slice(&scorecard_marker(&c).unwrap()), Some("scorecard"));
        let csv = src("east-2026-Q3.csv", "id,value\ncsat,4\n");
        assert_eq!(
            csv.slice(&measurements_marker(&csv).unwrap()),
            Some("id,value")
        );
    }

    fn card() -> Scorecard {
        let text = "[scorecard]\nid = \"c\"\nname = \"C\"\n[[perspectives]]\nid = \"customer\"\n\
                    [[indicators]]\nid = \"csat\"\nperspective = \"customer\"\nbaseline = 3\ntarget = 4.5\n";
        let src = crate::source::SourceFile::new(Path::new("c.toml"), text.into());
        crate::check_scorecard(&src, &mut Diagnostics::default()).expect("valid")
    }

    fn read(name: &str, text: &str) -> (Option<Measurements>, Diagnostics) {
        let src = crate::source::SourceFile::new(Path::new(name), text.into());
        let mut diags = Diagnostics::default();
        (load(&src, &card(), None, &mut diags), diags)
    }

    #[test]
    fn a_filled_in_template_reads_back() {
        // `bsc template`'s CSV: `name` and `unit` are ignored.
        let (m, d) = read(
            "q-2026-Q3.csv",
            "id,name,unit,value,note\ncsat,\"Satisfaction, overall\",points,4.2,\n",
        );
        assert!(d.items.is_empty(), "{:?}", d.items);
        assert_eq!(m.unwrap().values["csat"].to_string(), "4.2");
        // A TOML blank left blank is a missing value, said so at its place.
        let (m, d) = read("q.toml", "period = \"2026-Q3\"\n[values]\ncsat = \"\"\n");
        assert!(m.is_none());
        assert_eq!(d.items.len(), 1);
        assert_eq!(d.items[0].code, "E035");
        assert_eq!(
            d.items[0].message,
            "value of `csat` is missing: its entry is blank"
        );
    }

    #[test]
    fn percent_suspects() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(percent_suspect(Some("%"), d("44")));
        assert!(percent_suspect(Some("%"), d("-10.5")));
        assert!(!percent_suspect(Some("%"), d("10")));
        assert!(!percent_suspect(Some("%"), d("-10")));
        assert!(!percent_suspect(Some("%"), d("0.44")));
        assert!(!percent_suspect(Some("USD"), d("44")));
        assert!(!percent_suspect(None, d("44")));
    }

    #[test]
    fn decimal_strings() {
        assert_eq!(
            decimal_string(" 0.10 ").map(|d| d.to_string()),
            Some("0.10".into())
        );
        assert_eq!(decimal_string("1,200"), None);
        assert_eq!(decimal_string("12%"), None);
        assert_eq!(decimal_string("nan"), None);
        assert_eq!(decimal_string(""), None);
    }

    #[test]
    fn csv_spans() {
        let t = "id,value\nabc,12\n";
        assert_eq!(&t[csv_field_span(t, 9, 1)], "12");
        assert_eq!(&t[csv_field_span(t, 9, 0)], "abc");
        // CR-only lines end at their `\r`.
        let t = "id,value\rabc,12\rx,1\r";
        assert_eq!(&t[csv_field_span(t, 9, 1)], "12");
        assert_eq!(&t[csv_field_span(t, 9, 5)], "abc,12");
        // A start inside a character or past the end: empty, no panic.
        assert_eq!(csv_field_span("é,1", 1, 0), 1..1);
        assert_eq!(csv_field_span("a", 7, 0), 1..1);
    }
}
