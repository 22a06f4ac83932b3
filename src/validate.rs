//! Step 2: check the meaning of a scorecard (SPEC §2) and build the
//! validated [`Scorecard`]. Every problem is collected, each pointing at
//! the value that causes it, so one run tells the author everything to fix.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use rust_decimal::Decimal;

use crate::ahp::{self, AhpError};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::formula::{self, Kind, MAX_DEPTH, ParseErrorKind};
use crate::load;
use crate::model::*;
use crate::raw::{self, Num, Sp};
use crate::source::Source;

mod initiatives;
pub use initiatives::progress_hint;

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

struct Ctx<'a> {
    src: &'a Source,
    diags: &'a mut Diagnostics,
}

impl Ctx<'_> {
    fn error(
        &mut self,
        code: &'static str,
        span: &Range<usize>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push_mut(Diagnostic::error(code, message).at(self.src, span.clone()))
    }

    fn warning(
        &mut self,
        code: &'static str,
        span: &Range<usize>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags
            .push_mut(Diagnostic::warning(code, message).at(self.src, span.clone()))
    }

    fn line_of(&self, span: &Range<usize>) -> usize {
        self.src.line_col(span.start).0
    }
}

trait Fluent {
    fn with(&mut self, label: &str, hint: Option<String>);
}

impl Fluent for Diagnostic {
    fn with(&mut self, label: &str, hint: Option<String>) {
        self.label = Some(label.to_string());
        if hint.is_some() {
            self.hint = hint;
        }
    }
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
}

/// Suggests a valid spelling of a malformed id.
fn id_hint(id: &str) -> String {
    let fixed: String = id
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let fixed = fixed
        .trim_start_matches(|c: char| !c.is_ascii_lowercase())
        .to_string();
    if valid_id(&fixed) {
        format!("ids start with a lowercase letter and use a-z, 0-9, `_` and `-`, e.g. `{fixed}`")
    } else {
        "ids start with a lowercase letter and use a-z, 0-9, `_` and `-`".to_string()
    }
}

fn check_id(cx: &mut Ctx, id: &Sp<String>, what: &str) -> bool {
    if load::is_placeholder(id) {
        // Missing or not a string: the loader has said so.
        return false;
    }
    if valid_id(&id.value) {
        return true;
    }
    cx.error(
        "E006",
        &id.span,
        format!("{what} id `{}` is malformed", id.value),
    )
    .with("not a valid id", Some(id_hint(&id.value)));
    false
}

/// E005: `id` was declared before, at `first` (ids of one kind are unique).
fn duplicate(cx: &mut Ctx, what: &str, id: &Sp<String>, first: &Range<usize>) {
    let line = cx.line_of(first);
    cx.error(
        "E005",
        &id.span,
        format!("duplicate {what} id `{}`", id.value),
    )
    .with(
        "defined again here",
        Some(format!("first defined on line {line}; ids must be unique")),
    );
}

/// A relative weight: finite and >= 0 (the loader already rejected nan/inf).
fn weight(cx: &mut Ctx, w: &Option<Sp<Num>>, what: &str) -> Decimal {
    match w {
        None => Decimal::ONE,
        Some(w) if w.value.0 < Decimal::ZERO => {
            cx.error("E009", &w.span, format!("weight of {what} is negative"))
                .with(
                    "must be >= 0",
                    Some("weights are relative shares; use 0 to switch a member off".into()),
                );
            // Counted as the default, so its group is not also "all 0".
            Decimal::ONE
        }
        Some(w) => w.value.0,
    }
}

/// A reference to a name that does not exist: the error, with "did you
/// mean" among `names` when one is close, else the `otherwise` hint.
fn unknown_name(
    cx: &mut Ctx,
    (code, span): (&'static str, &Range<usize>),
    message: String,
    (label, name, names): (&str, &str, &[String]),
    otherwise: Option<String>,
) {
    let hint = cx
        .diags
        .did_you_mean(name, names.iter().map(String::as_str))
        .or(otherwise);
    cx.error(code, span, message).with(label, hint);
}

/// A score cap (`max_score`): at least 100, else E015 and `default`.
fn cap(cx: &mut Ctx, m: &Option<Sp<Num>>, what: &str, hint: &str, default: Decimal) -> Decimal {
    match m {
        Some(m) if m.value.0 < HUNDRED => {
            cx.error(
                "E015",
                &m.span,
                format!("{what} ({}) is below 100", m.value.0),
            )
            .with("must be >= 100", Some(hint.into()));
            default
        }
        Some(m) => m.value.0,
        None => default,
    }
}

/// Validates a scorecard, returning it only when no error was found.
pub fn validate(
    file: &raw::ScorecardFile,
    src: &Source,
    diags: &mut Diagnostics,
) -> Option<Scorecard> {
    let errors_before = diags.error_count();
    let mut cx = Ctx { src, diags };
    let s = &file.scorecard;

    // --- settings -------------------------------------------------------
    check_id(&mut cx, &s.id, "scorecard");
    let max_score = cap(
        &mut cx,
        &s.max_score,
        "scorecard max_score",
        "max_score caps over-achievement; 100 means none",
        HUNDRED,
    );
    let precision = match &s.precision {
        Some(p) if p.value > 6 => {
            cx.error(
                "E016",
                &p.span,
                format!("precision {} is out of range", p.value),
            )
            .with(
                "must be 0..6",
                Some("precision is the number of decimals shown in reports".into()),
            );
            1
        }
        Some(p) => p.value,
        None => 1,
    };
    let (green, amber) = status(&mut cx, s.status.as_ref(), max_score);
    let card_thresholds = Thresholds { green, amber };
    let min_coverage = min_coverage(&mut cx, s.min_coverage.as_ref());

    // --- perspectives ---------------------------------------------------
    let mut perspectives: Vec<Perspective> = Vec::new();
    let mut p_index: HashMap<&str, usize> = HashMap::new();
    let mut p_spans: Vec<Range<usize>> = Vec::new();
    for p in &file.perspectives {
        if !check_id(&mut cx, &p.id, "perspective") {
            continue;
        }
        if let Some(&first) = p_index.get(p.id.value.as_str()) {
            duplicate(&mut cx, "perspective", &p.id, &p_spans[first]);
            continue;
        }
        p_index.insert(&p.id.value, perspectives.len());
        p_spans.push(p.id.span.clone());
        perspectives.push(Perspective {
            id: p.id.value.clone(),
            name: p
                .name
                .as_ref()
                .map_or_else(|| title_case(&p.id.value), |n| n.value.clone()),
            description: p.description.as_ref().map(|d| d.value.clone()),
            owner: p.owner.as_ref().map(|o| o.value.clone()),
            weight: weight(&mut cx, &p.weight, &format!("perspective `{}`", p.id.value)),
            share: Decimal::ZERO,
            children: Vec::new(),
            status: node_thresholds(
                &mut cx,
                p.status.as_ref(),
                card_thresholds,
                max_score,
                &format!("perspective `{}`", p.id.value),
            ),
        });
    }
    standard_perspective_warnings(&mut cx, file, &perspectives);

    let p_names: Vec<String> = perspectives.iter().map(|p| p.id.clone()).collect();
    let resolve_perspective = |cx: &mut Ctx, r: &Sp<String>, whose: &str| -> Option<usize> {
        if let Some(&i) = p_index.get(r.value.as_str()) {
            return Some(i);
        }
        if load::is_placeholder(r) {
            return None;
        }
        unknown_name(
            cx,
            ("E007", &r.span),
            format!("{whose} names unknown perspective `{}`", r.value),
            ("no such perspective", &r.value, &p_names),
            Some(format!("declared perspectives: {}", p_names.join(", "))),
        );
        None
    };

    // --- objectives -----------------------------------------------------
    let mut objectives: Vec<Objective> = Vec::new();
    let mut o_index: HashMap<&str, usize> = HashMap::new();
    let mut o_raw: Vec<&raw::Objective> = Vec::new();
    for o in &file.objectives {
        if !check_id(&mut cx, &o.id, "objective") {
            continue;
        }
        if let Some(&first) = o_index.get(o.id.value.as_str()) {
            duplicate(&mut cx, "objective", &o.id, &o_raw[first].id.span);
            continue;
        }
        let w = weight(&mut cx, &o.weight, &format!("objective `{}`", o.id.value));
        // An objective under an unknown perspective stays known by id, so
        // its indicators and links are still checked (no cascade of errors).
        let p = resolve_perspective(
            &mut cx,
            &o.perspective,
            &format!("objective `{}`", o.id.value),
        )
        .unwrap_or(usize::MAX);
        o_index.insert(&o.id.value, objectives.len());
        o_raw.push(o);
        if let Some(pp) = perspectives.get_mut(p) {
            pp.children.push(Node::Objective(objectives.len()));
        }
        objectives.push(Objective {
            id: o.id.value.clone(),
            name: o
                .name
                .as_ref()
                .map_or_else(|| o.id.value.clone(), |n| n.value.clone()),
            description: o.description.as_ref().map(|d| d.value.clone()),
            owner: o.owner.as_ref().map(|o| o.value.clone()),
            perspective: p,
            weight: w,
            share: Decimal::ZERO,
            drives: Vec::new(),
            indicators: Vec::new(),
            status: node_thresholds(
                &mut cx,
                o.status.as_ref(),
                card_thresholds,
                max_score,
                &format!("objective `{}`", o.id.value),
            ),
        });
    }
    // Drives may point forward, so resolve them once every objective is known.
    let o_names: Vec<String> = objectives.iter().map(|o| o.id.clone()).collect();
    for (oi, o) in o_raw.iter().enumerate() {
        let Some(drives) = &o.drives else { continue };
        for d in &drives.value {
            match o_index.get(d.value.as_str()) {
                Some(&t) if t == oi => {
                    cx.error(
                        "E020",
                        &d.span,
                        format!("objective `{}` drives itself", o.id.value),
                    )
                    .with(
                        "self link",
                        Some(
                            "`drives` lists the objectives this one causes; remove its own id"
                                .into(),
                        ),
                    );
                }
                Some(&t) => objectives[oi].drives.push(t),
                None => {
                    unknown_name(
                        &mut cx,
                        ("E020", &d.span),
                        format!(
                            "objective `{}` drives unknown objective `{}`",
                            o.id.value, d.value
                        ),
                        ("no such objective", &d.value, &o_names),
                        Some("`drives` must name objectives declared in `[[objectives]]`".into()),
                    );
                }
            }
        }
    }

    // --- ids of indicators and inputs ------------------------------------
    let mut ids: HashMap<String, ValueRef> = HashMap::new();
    // Inputs are declared before indicators, but a duplicate is reported
    // where it comes second in the file.
    let mut first_decl: HashMap<&str, &Range<usize>> = HashMap::new();
    for id in file
        .inputs
        .iter()
        .map(|i| &i.id)
        .chain(file.indicators.iter().map(|i| &i.id))
    {
        let e = first_decl.entry(id.value.as_str()).or_insert(&id.span);
        if id.span.start < e.start {
            *e = &id.span;
        }
    }
    let declare = |cx: &mut Ctx,
                   ids: &mut HashMap<String, ValueRef>,
                   id: &Sp<String>,
                   what: &str,
                   r: ValueRef|
     -> bool {
        if !check_id(cx, id, what) {
            return false;
        }
        if let Some(first) = first_decl
            .get(id.value.as_str())
            .filter(|f| ***f != id.span)
        {
            let line = cx.line_of(first);
            cx.error("E005", &id.span, format!("duplicate id `{}`", id.value))
                .with(
                    "defined again here",
                    Some(format!(
                        "first defined on line {line}; indicator and input ids share one namespace"
                    )),
                );
            return false;
        }
        ids.insert(id.value.clone(), r);
        true
    };

    // --- inputs ---------------------------------------------------------
    let mut inputs: Vec<Input> = Vec::new();
    let mut input_raw: Vec<&raw::Input> = Vec::new();
    for i in &file.inputs {
        if !declare(
            &mut cx,
            &mut ids,
            &i.id,
            "input",
            ValueRef::Input(inputs.len()),
        ) {
            continue;
        }
        input_raw.push(i);
        inputs.push(Input {
            id: i.id.value.clone(),
            name: i
                .name
                .as_ref()
                .map_or_else(|| i.id.value.clone(), |n| n.value.clone()),
            unit: i.unit.as_ref().map(|u| u.value.clone()),
            description: i.description.as_ref().map(|d| d.value.clone()),
            aggregate: i
                .aggregate
                .as_ref()
                .map_or_else(Aggregate::default, |a| a.value),
        });
    }

    // --- indicators -----------------------------------------------------
    let mut indicators: Vec<Indicator> = Vec::new();
    let mut ind_raw: Vec<&raw::Indicator> = Vec::new();
    for ind in &file.indicators {
        if load::is_placeholder(&ind.id) {
            continue;
        }
        let whose = format!("indicator `{}`", ind.id.value);
        let placement = match (&ind.objective, &ind.perspective) {
            (Some(o), None) => match o_index.get(o.value.as_str()) {
                Some(&oi) => Some((objectives[oi].perspective, Some(oi))),
                None => {
                    unknown_name(
                        &mut cx,
                        ("E007", &o.span),
                        format!("{whose} names unknown objective `{}`", o.value),
                        ("no such objective", &o.value, &o_names),
                        Some("declare it in `[[objectives]]` or use `perspective = ...`".into()),
                    );
                    None
                }
            },
            (None, Some(p)) => resolve_perspective(&mut cx, p, &whose).map(|p| (p, None)),
            (Some(_), Some(p)) => {
                cx.error("E008", &p.span, format!("{whose} names both an objective and a perspective"))
                    .with("remove one", Some("an indicator sits under exactly one of `objective` / `perspective`; the objective already implies its perspective".into()));
                None
            }
            (None, None) => {
                cx.error(
                    "E008",
                    &ind.id.span,
                    format!("{whose} names neither an objective nor a perspective"),
                )
                .with(
                    "placed nowhere",
                    Some("add `objective = \"...\"` or `perspective = \"...\"`".into()),
                );
                None
            }
        };
        let w = weight(&mut cx, &ind.weight, &whose);
        let cap = cap(
            &mut cx,
            &ind.max_score,
            &format!("max_score of {whose}"),
            "remove it to use the scorecard's cap",
            max_score,
        );
        let rule = rule(&mut cx, ind, &whose, cap);
        let plan = plan(&mut cx, ind, &whose, rule.as_ref());
        let own_status =
            node_thresholds(&mut cx, ind.status.as_ref(), card_thresholds, cap, &whose);
        if let (Some(st), Some(rule)) = (&ind.status, &rule) {
            unreachable_threshold(&mut cx, st, rule, cap, &whose);
        }
        percent_warnings(&mut cx, ind, &whose);
        let idx = indicators.len();
        if !declare(
            &mut cx,
            &mut ids,
            &ind.id,
            "indicator",
            ValueRef::Indicator(idx),
        ) {
            continue;
        }
        // A misplaced or misruled indicator is still recorded (the card is
        // rejected anyway), so its formula is checked too.
        let (p, o) = placement.unwrap_or((usize::MAX, None));
        let rule = rule.unwrap_or(Rule::Curve { points: Vec::new() });
        match (placement, o) {
            (None, _) => {}
            (Some(_), Some(oi)) => objectives[oi].indicators.push(idx),
            (Some(_), None) => perspectives[p].children.push(Node::Indicator(idx)),
        }
        ind_raw.push(ind);
        indicators.push(Indicator {
            id: ind.id.value.clone(),
            name: ind
                .name
                .as_ref()
                .map_or_else(|| ind.id.value.clone(), |n| n.value.clone()),
            description: ind.description.as_ref().map(|d| d.value.clone()),
            owner: ind.owner.as_ref().map(|o| o.value.clone()),
            unit: ind.unit.as_ref().map(|u| u.value.clone()),
            perspective: p,
            objective: o,
            weight: w,
            share: Decimal::ZERO,
            effective_weight: Decimal::ZERO,
            rule,
            plan,
            direction_stated: ind.direction.is_some(),
            cap,
            formula: None,
            aggregate: ind
                .aggregate
                .as_ref()
                .map_or_else(Aggregate::default, |a| a.value),
            status: own_status,
        });
    }

    // --- constants (SPEC §13): named numbers in the id namespace ---------
    let mut constants: HashMap<String, Decimal> = HashMap::new();
    for (id, value) in &file.constants {
        if !check_id(&mut cx, id, "constant") {
            continue;
        }
        if ids.contains_key(&id.value) || constants.contains_key(&id.value) {
            cx.error("E005", &id.span, format!("duplicate id `{}`", id.value))
                .with(
                    "defined again here",
                    Some(
                        "constants share one namespace with indicators and inputs; rename one"
                            .into(),
                    ),
                );
            continue;
        }
        constants.insert(id.value.clone(), value.value.0);
    }

    // --- formulas -------------------------------------------------------
    let all_ids: Vec<String> = {
        let mut v: Vec<String> = ids.keys().chain(constants.keys()).cloned().collect();
        v.sort();
        v
    };
    // Ids that a formula would read as a subtraction: few, so each unknown
    // name is checked against them, not against every id.
    let hyphenated_ids: Vec<&String> = all_ids.iter().filter(|id| id.contains('-')).collect();
    let mut used_inputs: HashSet<String> = HashSet::new();
    let mut deps: Vec<Vec<(usize, Range<usize>)>> = vec![Vec::new(); indicators.len()];
    let mut formula_ok = true;
    for (idx, ind) in ind_raw.iter().enumerate() {
        let Some(f) = &ind.formula else { continue };
        let map = |r: Range<usize>| formula_span(src, &f.span, &f.value, r);
        let expr = match formula::parse(&f.value) {
            Ok(e) => e,
            Err(e) => {
                formula_ok = false;
                let (code, message, label) = match e.kind {
                    ParseErrorKind::TooDeep => (
                        "E060",
                        format!(
                            "formula of indicator `{}` nests deeper than {MAX_DEPTH} levels",
                            ind.id.value
                        ),
                        format!("level {} opens here", MAX_DEPTH + 1),
                    ),
                    kind => (
                        match kind {
                            ParseErrorKind::Arity => "E061",
                            ParseErrorKind::Type => "E062",
                            ParseErrorKind::Literal => "E063",
                            ParseErrorKind::Read => "E064",
                            _ => "E017",
                        },
                        format!(
                            "formula of indicator `{}` {}: {}",
                            ind.id.value,
                            if kind == ParseErrorKind::Syntax {
                                "does not parse"
                            } else {
                                "is not valid"
                            },
                            e.message
                        ),
                        "here".to_string(),
                    ),
                };
                cx.error(code, &map(e.span.clone()), message)
                    .with(&label, e.hint.clone());
                continue;
            }
        };
        // End of a hyphenated id already reported, whose pieces are not
        // reported again as unknown ids.
        let mut reported_to = 0;
        for op in expr.vars() {
            let (name, span) = (op.id.as_str(), op.span.clone());
            if span.start < reported_to {
                continue;
            }
            // What the operand names, if the card knows it.
            enum Known {
                Input,
                Constant,
                Indicator(usize),
            }
            let known = match ids.get(name) {
                Some(ValueRef::Input(_)) => Some(Known::Input),
                Some(ValueRef::Indicator(j)) => Some(Known::Indicator(*j)),
                None => constants.contains_key(name).then_some(Known::Constant),
            };
            let call = match op.kind {
                Kind::Value => "",
                Kind::Target => "target",
                Kind::Baseline => "baseline",
            };
            // `target()` / `baseline()` of what has none: why, and what it is.
            let unread = match (&known, op.kind) {
                (_, Kind::Value) | (None, _) => None,
                (Some(Known::Input), _) => Some((
                    format!("input `{name}`"),
                    "an input has no target or baseline".to_string(),
                )),
                (Some(Known::Constant), _) => Some((
                    format!("constant `{name}`"),
                    "a constant has no target or baseline".to_string(),
                )),
                (Some(Known::Indicator(j)), kind) => unreadable(&indicators[*j], kind)
                    .map(|why| (format!("indicator `{name}`"), why)),
            };
            if let Some((what, why)) = unread {
                formula_ok = false;
                cx.error(
                    "E064",
                    &map(span),
                    format!(
                        "formula of indicator `{}` reads `{call}` of {what}",
                        ind.id.value
                    ),
                )
                .with(
                    &why,
                    Some(
                        "`target()` reads a linear or binary indicator's target, \
                         `baseline()` a linear one's baseline"
                            .into(),
                    ),
                );
                continue;
            }
            match known {
                Some(Known::Input) => {
                    used_inputs.insert(name.to_string());
                }
                Some(Known::Constant) => {}
                // A target or baseline in force is not the indicator's
                // value: reading it adds no dependency.
                Some(Known::Indicator(j)) if op.kind == Kind::Value => deps[idx].push((j, span)),
                Some(Known::Indicator(_)) => {}
                None => {
                    formula_ok = false;
                    let hyphenated = hyphenated_ids.iter().find(|id| {
                        id.starts_with(name) && f.value[span.start..].starts_with(id.as_str())
                    });
                    if let Some(h) = hyphenated {
                        let fixed = h.replace('-', "_");
                        reported_to = span.start + h.len();
                        cx.error(
                            "E006",
                            &map(span.start..reported_to),
                            format!("id `{h}` contains `-`, which formulas read as minus"),
                        )
                        .with(
                            "read as a subtraction",
                            Some(format!(
                                "rename the id to `{fixed}` (here and where it is declared)"
                            )),
                        );
                    } else {
                        let hint = cx
                            .diags
                            .did_you_mean(name, all_ids.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                format!("declare `{name}` as an `[[inputs]]` entry or an indicator")
                            });
                        cx.error(
                            "E018",
                            &map(span),
                            format!(
                                "formula of indicator `{}` uses unknown id `{name}`",
                                ind.id.value
                            ),
                        )
                        .with("not an indicator or input", Some(hint));
                    }
                }
            }
        }
        indicators[idx].formula = Some(Formula {
            text: f.value.clone(),
            expr,
        });
    }
    let formula_order = formula_cycles(&mut cx, &indicators, &deps, &ind_raw);
    let max_lag = reach(&indicators, &formula_order, &ids);
    for (i, raw_i) in inputs.iter().zip(&input_raw) {
        // A broken formula may be what was meant to use the input.
        if formula_ok && !used_inputs.contains(&i.id) {
            cx.warning(
                "W003",
                &raw_i.id.span,
                format!("input `{}` is not used by any formula", i.id),
            )
            .with(
                "unused",
                Some("remove it, or use it in an indicator's `formula`".into()),
            );
        }
    }

    // --- structure: empty groups ------------------------------------------
    // A group is only reported empty when no entry names it, even one with
    // errors of its own (a malformed id, a misspelt reference: the closest
    // match counts), so one mistake gives one diagnostic.
    let mut claimed_p: HashSet<String> = HashSet::new();
    let mut claimed_o: HashSet<String> = HashSet::new();
    let mut unplaced = false;
    let p_known: HashSet<&str> = p_names.iter().map(String::as_str).collect();
    let o_known: HashSet<&str> = o_names.iter().map(String::as_str).collect();
    let claim = |diags: &mut Diagnostics,
                 set: &mut HashSet<String>,
                 r: &Sp<String>,
                 names: &[String],
                 known: &HashSet<&str>| {
        // Only a misspelt reference needs the (costly) closest-name search.
        if !set.insert(r.value.clone()) || known.contains(r.value.as_str()) {
            return false;
        }
        if let Some(c) = diags.closest(&r.value, names.iter().map(String::as_str)) {
            set.insert(c.to_string());
        }
        // No search left to tell what was meant: it could be any group.
        diags.suggestions_spent()
    };
    for o in &file.objectives {
        unplaced |= claim(cx.diags, &mut claimed_p, &o.perspective, &p_names, &p_known);
        // Its perspective is missing (reported): it could be any of them.
        unplaced |= load::is_placeholder(&o.perspective);
    }
    for ind in &file.indicators {
        if let Some(o) = &ind.objective {
            unplaced |= claim(cx.diags, &mut claimed_o, o, &o_names, &o_known);
        }
        if let Some(p) = &ind.perspective {
            unplaced |= claim(cx.diags, &mut claimed_p, p, &p_names, &p_known);
        }
        unplaced |= ind.objective.is_none() && ind.perspective.is_none();
    }
    for (o, r) in objectives.iter().zip(&o_raw) {
        if o.indicators.is_empty() && !unplaced && !claimed_o.contains(&o.id) {
            cx.error(
                "E021",
                &r.id.span,
                format!("objective `{}` has no indicators", o.id),
            )
            .with(
                "nothing measures it",
                Some(format!(
                    "add an indicator with `objective = \"{}\"`, or remove the objective",
                    o.id
                )),
            );
        }
    }
    for (pi, p) in perspectives.iter().enumerate() {
        let has = p.children.iter().any(|c| match c {
            Node::Indicator(_) => true,
            Node::Objective(o) => !objectives[*o].indicators.is_empty(),
        });
        if !has && !unplaced && !claimed_p.contains(&p.id) {
            cx.error(
                "E021",
                &p_spans[pi],
                format!("perspective `{}` has no indicators", p.id),
            )
            .with(
                "nothing measures it",
                Some(
                    "add indicators (directly or through an objective), or remove the perspective"
                        .into(),
                ),
            );
        }
    }

    // --- AHP --------------------------------------------------------------
    let mut ahp_groups = Vec::new();
    if let Some(a) = &file.ahp {
        apply_ahp(
            &mut cx,
            a,
            &mut perspectives,
            &mut objectives,
            &mut indicators,
            file,
            &mut ahp_groups,
        );
    }

    // --- normalised weights ------------------------------------------------
    normalise(
        &mut cx,
        &mut perspectives,
        &mut objectives,
        &mut indicators,
        file,
    );
    aggregate_checks(&mut cx, file);
    let initiatives = initiatives::initiatives(&mut cx, file, &objectives, &indicators);

    let has_errors = cx.diags.error_count() > errors_before;
    if has_errors {
        return None;
    }
    Some(Scorecard {
        id: s.id.value.clone(),
        name: s.name.value.clone(),
        description: s.description.as_ref().map(|d| d.value.clone()),
        max_score,
        missing: s
            .missing
            .as_ref()
            .map_or(MissingPolicy::Renormalize, |m| m.value),
        precision,
        green,
        amber,
        min_coverage,
        perspectives,
        objectives,
        indicators,
        inputs,
        ahp: ahp_groups,
        formula_order,
        ids,
        constants,
        max_lag,
        currency: s.currency.as_ref().map(|c| c.value.clone()),
        require_note: s.require_note.as_ref().map(|r| r.value),
        initiatives,
    })
}

fn status(cx: &mut Ctx, st: Option<&raw::Status>, max_score: Decimal) -> (Decimal, Decimal) {
    let defaults = Thresholds {
        green: Decimal::from(90),
        amber: Decimal::from(60),
    };
    let Some(st) = st else {
        return (defaults.green, defaults.amber);
    };
    let t = thresholds(cx, st, defaults, max_score, None);
    (t.green, t.amber)
}

/// A node's own `status = { green, amber }` (SPEC §11): checked as the
/// card's are, against the node's range (an indicator's cap, else the
/// card's max_score); a key left out is the card's.
fn node_thresholds(
    cx: &mut Ctx,
    st: Option<&raw::Status>,
    card: Thresholds,
    cap: Decimal,
    whose: &str,
) -> Option<Thresholds> {
    st.map(|st| thresholds(cx, st, card, cap, Some(whose)))
}

/// Reads thresholds over `defaults`, each out-of-range value and an order
/// of green below amber an E016 at the value written.
fn thresholds(
    cx: &mut Ctx,
    st: &raw::Status,
    defaults: Thresholds,
    cap: Decimal,
    whose: Option<&str>,
) -> Thresholds {
    let Thresholds {
        mut green,
        mut amber,
    } = defaults;
    let of = whose.map(|w| format!(" of {w}")).unwrap_or_default();
    for (t, slot, name) in [
        (&st.green, &mut green, "green"),
        (&st.amber, &mut amber, "amber"),
    ] {
        if let Some(t) = t {
            if t.value.0 < Decimal::ZERO || t.value.0 > cap {
                let range = match whose {
                    None => "thresholds are scores between 0 and the scorecard's max_score",
                    Some(w) if w.starts_with("indicator") => {
                        "thresholds are scores between 0 and the indicator's cap (its max_score, else the scorecard's)"
                    }
                    Some(_) => "thresholds are scores between 0 and the scorecard's max_score",
                };
                cx.error(
                    "E016",
                    &t.span,
                    format!("status.{name} = {}{of} is outside 0..{cap}", t.value.0),
                )
                .with("out of range", Some(range.into()));
            }
            *slot = t.value.0;
        }
    }
    if green < amber {
        let span = st
            .green
            .as_ref()
            .or(st.amber.as_ref())
            .map(|t| t.span.clone())
            .unwrap_or(0..0);
        // Name the card's value where the node leaves a key out.
        let inherited = |given: bool| {
            if given || whose.is_none() {
                ""
            } else {
                ", the card's"
            }
        };
        cx.error(
            "E016",
            &span,
            format!(
                "status.green ({green}{}) is below status.amber ({amber}{}){of}",
                inherited(st.green.is_some()),
                inherited(st.amber.is_some()),
            ),
        )
        .with(
            "green must be >= amber",
            Some(
                "a green score must also be good enough for amber; raise green or lower amber"
                    .into(),
            ),
        );
    }
    Thresholds { green, amber }
}

/// W021: an indicator's own threshold above the most its rule can score
/// (a binary or band rule 100, a step rule its best step) can never be
/// reached: the indicator could never be green (or amber), whatever it
/// achieves. Checked only where the node itself writes the threshold.
fn unreachable_threshold(cx: &mut Ctx, st: &raw::Status, rule: &Rule, cap: Decimal, whose: &str) {
    let (top, why) = match rule {
        Rule::Binary { .. } => (HUNDRED, "a binary rule scores 100 or 0".to_string()),
        Rule::Band { .. } => (HUNDRED, "a band scores at most 100".to_string()),
        Rule::Step { steps, below, .. } => {
            let best = steps.iter().map(|s| s.1).fold(*below, Decimal::max);
            (best, format!("its best step scores {best}"))
        }
        Rule::Curve { points } => {
            let best = points.iter().map(|p| p.1).fold(Decimal::ZERO, Decimal::max);
            (
                best.min(cap),
                format!("its curve scores at most {}", best.min(cap)),
            )
        }
        Rule::Linear { .. } => return,
    };
    for (t, name) in [(&st.green, "green"), (&st.amber, "amber")] {
        if let Some(t) = t
            && t.value.0 > top
        {
            cx.warning(
                "W021",
                &t.span,
                format!(
                    "status.{name} = {} of {whose} can never be reached: {why}",
                    t.value.0
                ),
            )
            .with(
                "out of reach",
                Some(format!(
                    "lower it to {top} or less, or the indicator can never be {name}"
                )),
            );
        }
    }
}

/// `min_coverage`: a share of the composite's weight, so 0..1 (E095).
fn min_coverage(cx: &mut Ctx, m: Option<&Sp<Num>>) -> Decimal {
    let default = Decimal::new(5, 1);
    let Some(m) = m else { return default };
    let v = m.value.0;
    if v < Decimal::ZERO || v > Decimal::ONE {
        cx.error(
            "E095",
            &m.span,
            format!("min_coverage = {v} is outside 0..1"),
        )
        .with(
            "must be a share between 0 and 1",
            Some(
                "min_coverage is the share of the composite's weight that needs data, \
                 e.g. 0.5 for half; 0 turns the check off"
                    .into(),
            ),
        );
        return default;
    }
    v
}

/// `aggregate` (how a value combines across the periods of a roll-up)
/// where a roll-up could not honour it.
fn aggregate_checks(cx: &mut Ctx, file: &raw::ScorecardFile) {
    let is_percent = |u: &Option<Sp<String>>| u.as_ref().is_some_and(|u| u.value.trim() == "%");
    for ind in &file.indicators {
        let Some(agg) = &ind.aggregate else { continue };
        if ind.formula.is_some() {
            cx.error("E050", &agg.span, format!("indicator `{}` is computed; `aggregate` does not apply to it", ind.id.value)).with(
                "computed indicators are not rolled up",
                Some("a roll-up runs the formula on the rolled-up values it reads: set `aggregate` on those inputs and indicators, and remove it here".into()),
            );
        } else if agg.value == raw::Aggregate::Sum && is_percent(&ind.unit) {
            cx.error("E051", &agg.span, format!("indicator `{}` is a percentage (unit \"%\"); summing it over periods makes no sense", ind.id.value))
                .with(
                    "sum of rates",
                    Some("use `aggregate = \"average\"` or `\"last\"`, or compute the rate with a formula from inputs that are summed".into()),
                );
        }
    }
    for inp in &file.inputs {
        let Some(agg) = &inp.aggregate else { continue };
        if agg.value == raw::Aggregate::Sum && is_percent(&inp.unit) {
            cx.error("E051", &agg.span, format!("input `{}` is a percentage (unit \"%\"); summing it over periods makes no sense", inp.id.value))
                .with("sum of rates", Some("use `aggregate = \"average\"` or `\"last\"`".into()));
        }
    }
}

fn standard_perspective_warnings(
    cx: &mut Ctx,
    file: &raw::ScorecardFile,
    perspectives: &[Perspective],
) {
    for p in file.perspectives.iter() {
        if !STANDARD_PERSPECTIVES.contains(&p.id.value.as_str()) && valid_id(&p.id.value) {
            let hint = did_you_mean(&p.id.value, STANDARD_PERSPECTIVES).unwrap_or_else(|| {
                format!(
                    "the four standard perspectives are {}",
                    STANDARD_PERSPECTIVES.join(", ")
                )
            });
            cx.warning(
                "W002",
                &p.id.span,
                format!(
                    "`{}` is not one of the four standard perspectives",
                    p.id.value
                ),
            )
            .with("non-standard perspective", Some(hint));
        }
    }
    let span = file
        .perspectives
        .first()
        .map_or_else(|| file.scorecard.id.span.clone(), |p| p.id.span.clone());
    for std in STANDARD_PERSPECTIVES {
        if !perspectives.iter().any(|p| p.id == std) {
            cx.warning("W001", &span, format!("standard perspective `{std}` is missing"))
                .with("the balanced scorecard has four perspectives", Some(format!("add `[[perspectives]]` with `id = \"{std}\"`, or ignore if leaving it out is deliberate")));
        }
    }
}

/// The byte span in the file of a range of a formula string. Exact when the
/// string has no escapes; otherwise the whole string.
fn formula_span(
    src: &Source,
    string_span: &Range<usize>,
    text: &str,
    r: Range<usize>,
) -> Range<usize> {
    let lit = src.slice(string_span).unwrap_or("");
    let quoted = lit.len() == text.len() + 2 && &lit[1..lit.len() - 1] == text;
    if quoted {
        string_span.start + 1 + r.start..string_span.start + 1 + r.end
    } else {
        string_span.clone()
    }
}

/// How many spans back the formulas reach (`prev`, `lag`), through the
/// computed indicators they read: `yoy = revenue / lag(revenue, 4) - 1`
/// reaches 4, `yoy_change = yoy - lag(yoy, 4)` 8, since the `yoy` of four
/// quarters ago reads revenue four quarters before that. A run keeps that
/// many spans before the previous one. `order` puts each computed
/// indicator after those it reads.
fn reach(indicators: &[Indicator], order: &[usize], ids: &HashMap<String, ValueRef>) -> u32 {
    let mut reach = vec![0u32; indicators.len()];
    for &i in order {
        let Some(f) = &indicators[i].formula else {
            continue;
        };
        reach[i] = f
            .expr
            .vars()
            .map(|o| match (o.kind, ids.get(&o.id)) {
                (Kind::Value, Some(ValueRef::Indicator(j))) => o.lag.saturating_add(reach[*j]),
                _ => o.lag,
            })
            .max()
            .unwrap_or(0);
    }
    reach.into_iter().max().unwrap_or(0)
}

/// Why `target()` (or `baseline()`) cannot read `ind`, if it cannot: only
/// a linear or binary indicator has one target, only a linear one a
/// baseline (SPEC §13).
fn unreadable(ind: &Indicator, kind: Kind) -> Option<String> {
    let shape = match &ind.rule {
        Rule::Linear { .. } => return None,
        Rule::Binary { .. } if kind == Kind::Target => return None,
        Rule::Binary { .. } => "binary: it has a target, no baseline",
        Rule::Band { .. } => "a band: its target is two numbers",
        Rule::Curve { .. } => "scored by a curve: it has no target",
        Rule::Step { .. } => "scored by steps: it has no target",
    };
    Some(format!("`{}` is {shape}", ind.id))
}

/// Finds cycles among computed indicators (naming each one) and returns an
/// evaluation order in which every formula comes after what it reads.
fn formula_cycles(
    cx: &mut Ctx,
    indicators: &[Indicator],
    deps: &[Vec<(usize, Range<usize>)>],
    raw: &[&raw::Indicator],
) -> Vec<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let n = indicators.len();
    let mut mark = vec![Mark::New; n];
    let mut order = Vec::new();
    let mut reported: HashSet<Vec<usize>> = HashSet::new();
    // Iterative DFS keeps deep chains from overflowing the stack.
    for start in 0..n {
        if mark[start] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some((dep, _)) = deps[node].get(*next).cloned() {
                *next += 1;
                match mark[dep] {
                    Mark::New => {
                        mark[dep] = Mark::Active;
                        stack.push((dep, 0));
                    }
                    Mark::Active => {
                        let pos = stack
                            .iter()
                            .position(|(x, _)| *x == dep)
                            .expect("active is on stack");
                        let mut cycle: Vec<usize> = stack[pos..].iter().map(|(x, _)| *x).collect();
                        let mut key = cycle.clone();
                        key.sort();
                        if reported.insert(key) {
                            cycle.push(dep);
                            let names: Vec<&str> =
                                cycle.iter().map(|&i| indicators[i].id.as_str()).collect();
                            let first = cycle[0];
                            let span = raw[first]
                                .formula
                                .as_ref()
                                .map_or_else(|| raw[first].id.span.clone(), |f| f.span.clone());
                            cx.error("E019", &span, format!("formulas form a cycle: {}", names.join(" -> ")))
                                .with("part of a cycle", Some("a computed indicator cannot depend on itself, directly or through others, nor read itself in an earlier period (`prev`, `lag`: the first period would have nothing to start from); break the cycle with an input".into()));
                        }
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                if indicators[node].formula.is_some() {
                    order.push(node);
                }
                stack.pop();
            }
        }
    }
    order
}

/// Whether an indicator's entry has `key` although it did not load (the
/// loader reported its value), so that it is not also called missing.
/// W012: a `%` indicator's values are fractions (0.95 is 95%), so a
/// baseline, target, band bound, tolerance or curve value outside -10..10
/// (beyond 1000%) is almost certainly a percentage typed as a whole number.
fn percent_warnings(cx: &mut Ctx, ind: &raw::Indicator, whose: &str) {
    if ind.unit.as_ref().is_none_or(|u| u.value != "%") {
        return;
    }
    let mut values: Vec<(&str, Decimal, Range<usize>)> = Vec::new();
    if let Some(b) = &ind.baseline {
        values.push(("baseline", b.value.0, b.span.clone()));
    }
    match ind.target.as_ref().map(|t| (&t.value, &t.span)) {
        Some((raw::Target::Value(n), span)) => values.push(("target", n.0, span.clone())),
        Some((raw::Target::Range(r), _)) => {
            values.extend(r.iter().map(|n| ("band bound", n.value.0, n.span.clone())));
        }
        None => {}
    }
    if let Some(t) = &ind.tolerance {
        values.push(("tolerance", t.value.0, t.span.clone()));
    }
    if let Some(points) = &ind.points {
        values.extend(
            points
                .value
                .iter()
                .filter_map(|p| p.value.first())
                .map(|x| ("curve value", x.value.0, x.span.clone())),
        );
    }
    // An appraisal's "120%" step is 1.2 here, like every `%` value.
    if let Some(steps) = &ind.steps {
        values.extend(
            steps
                .value
                .iter()
                .filter_map(|p| p.value.first())
                .map(|x| ("step value", x.value.0, x.span.clone())),
        );
    }
    for (what, v, span) in values {
        if crate::data::measurements::percent_suspect(Some("%"), v) {
            let fraction = (v / HUNDRED).normalize();
            cx.warning(
                "W012",
                &span,
                format!(
                    "{what} {v} of {whose} looks like a percentage typed as a whole number; `%` values are fractions: {fraction}"
                ),
            )
            .with(
                "unit is \"%\"",
                Some(format!(
                    "write {fraction} for {v}% (and values in the measurements as fractions too), or change the unit if it is not a percentage"
                )),
            );
        }
    }
}

fn has_key(ind: &raw::Indicator, key: &str) -> bool {
    ind.keys.iter().any(|k| k == key)
}

fn rule(cx: &mut Ctx, ind: &raw::Indicator, whose: &str, cap: Decimal) -> Option<Rule> {
    // A `scoring` that failed to load (a typo, reported) names no rule to
    // judge the other keys by; linear would only add false errors.
    if ind.scoring.is_none() && has_key(ind, "scoring") {
        return None;
    }
    let scoring = ind
        .scoring
        .as_ref()
        .map_or(raw::Scoring::Linear, |s| s.value);
    let not_used = |cx: &mut Ctx, key: &str, span: &Range<usize>, rule: &str| {
        cx.error(
            "E026",
            span,
            format!("`{key}` is not used by {rule} scoring ({whose})"),
        )
        .with(
            "has no effect",
            Some(format!(
                "remove `{key}`, or set `scoring` to the rule that uses it"
            )),
        );
    };
    match scoring {
        raw::Scoring::Linear => {
            if let Some(t) = &ind.tolerance {
                not_used(cx, "tolerance", &t.span, "linear");
            }
            if let Some(p) = &ind.points {
                not_used(cx, "points", &p.span, "linear");
            }
            step_keys_not_used(cx, ind, "linear", &not_used);
            let target = match &ind.target {
                Some(Sp {
                    value: raw::Target::Value(n),
                    span,
                }) => Some(Sp::new(n.0, span.clone())),
                Some(t) => {
                    cx.error(
                        "E002",
                        &t.span,
                        format!("`target` of {whose} must be one number for linear scoring"),
                    )
                    .with(
                        "a range",
                        Some("a `[low, high]` target needs `scoring = \"band\"`".into()),
                    );
                    return None;
                }
                None => None,
            };
            let (Some(b), Some(t)) = (&ind.baseline, &target) else {
                let missing: Vec<&str> = [
                    ("baseline", ind.baseline.is_none()),
                    ("target", target.is_none()),
                ]
                .iter()
                .filter(|(k, m)| *m && !has_key(ind, k))
                .map(|(k, _)| *k)
                .collect();
                if missing.is_empty() {
                    return None;
                }
                cx.error(
                    "E011",
                    &ind.id.span,
                    format!("linear {whose} needs {}", missing.join(" and ")),
                )
                .with(
                    "incomplete rule",
                    Some(
                        "linear scoring gives 0 at `baseline` and 100 at `target`; set both".into(),
                    ),
                );
                return None;
            };
            if b.value.0 == t.value {
                cx.error("E011", &t.span, format!("{whose} has baseline == target ({})", t.value))
                    .with("same as baseline", Some("the target must differ from the baseline: above it if higher is better, below it if lower is better".into()));
                return None;
            }
            if let Some(d) = &ind.direction {
                let lower = t.value < b.value.0;
                let said_lower = d.value == raw::Direction::Lower;
                if lower != said_lower {
                    let (said, implied) = if said_lower {
                        ("lower", "higher")
                    } else {
                        ("higher", "lower")
                    };
                    cx.error("E012", &d.span, format!("{whose} says `direction = \"{said}\"` but target {} vs baseline {} means {implied} is better", t.value, b.value.0))
                        .with("contradicts baseline and target", Some("swap baseline and target, or fix `direction`".into()));
                    return None;
                }
            }
            Some(Rule::Linear {
                baseline: b.value.0,
                target: t.value,
            })
        }
        raw::Scoring::Band => {
            for (key, span) in [
                ("baseline", ind.baseline.as_ref().map(|x| &x.span)),
                ("points", ind.points.as_ref().map(|x| &x.span)),
                ("direction", ind.direction.as_ref().map(|x| &x.span)),
                ("max_score", ind.max_score.as_ref().map(|x| &x.span)),
            ] {
                if let Some(span) = span {
                    not_used(cx, key, span, "band");
                }
            }
            step_keys_not_used(cx, ind, "band", &not_used);
            let bounds = match &ind.target {
                Some(Sp {
                    value: raw::Target::Range(r),
                    ..
                }) if r.len() == 2 => Some((r[0].value.0, r[1].value.0, r[1].span.clone())),
                Some(t) => {
                    cx.error(
                        "E013",
                        &t.span,
                        format!("band {whose} needs `target = [low, high]`"),
                    )
                    .with(
                        "not a two-number range",
                        Some("e.g. `target = [1, 4]`".into()),
                    );
                    None
                }
                None if has_key(ind, "target") => None,
                None => {
                    cx.error(
                        "E013",
                        &ind.id.span,
                        format!("band {whose} needs `target = [low, high]`"),
                    )
                    .with("no target", Some("e.g. `target = [1, 4]`".into()));
                    None
                }
            };
            if let Some((low, high, span)) = &bounds
                && low > high
            {
                cx.error(
                    "E013",
                    span,
                    format!("band target of {whose} has low {low} > high {high}"),
                )
                .with(
                    "bounds reversed",
                    Some(format!("write `target = [{high}, {low}]`")),
                );
            }
            let tolerance = match &ind.tolerance {
                Some(t) if t.value.0 <= Decimal::ZERO => {
                    cx.error(
                        "E013",
                        &t.span,
                        format!("band tolerance of {whose} must be > 0"),
                    )
                    .with(
                        "not positive",
                        Some("tolerance is how far outside the band the score falls to 0".into()),
                    );
                    None
                }
                Some(t) => Some(t.value.0),
                None if has_key(ind, "tolerance") => None,
                None => {
                    cx.error(
                        "E013",
                        &ind.id.span,
                        format!("band {whose} needs `tolerance` > 0"),
                    )
                    .with(
                        "no tolerance",
                        Some("tolerance is how far outside the band the score falls to 0".into()),
                    );
                    None
                }
            };
            match (bounds, tolerance) {
                (Some((low, high, _)), Some(tolerance)) if low <= high => Some(Rule::Band {
                    low,
                    high,
                    tolerance,
                }),
                _ => None,
            }
        }
        raw::Scoring::Curve => {
            for (key, span) in [
                ("baseline", ind.baseline.as_ref().map(|x| &x.span)),
                ("target", ind.target.as_ref().map(|x| &x.span)),
                ("tolerance", ind.tolerance.as_ref().map(|x| &x.span)),
            ] {
                if let Some(span) = span {
                    not_used(cx, key, span, "curve");
                }
            }
            step_keys_not_used(cx, ind, "curve", &not_used);
            let Some(points) = &ind.points else {
                if has_key(ind, "points") {
                    return None;
                }
                cx.error(
                    "E014",
                    &ind.id.span,
                    format!("curve {whose} needs `points`"),
                )
                .with(
                    "no points",
                    Some("e.g. `points = [[0, 0], [30, 80], [50, 100]]`".into()),
                );
                return None;
            };
            let mut ok = true;
            let mut out: Vec<(Decimal, Decimal)> = Vec::new();
            for p in &points.value {
                if p.value.len() != 2 {
                    cx.error(
                        "E014",
                        &p.span,
                        format!("each point of {whose} must be [value, score]"),
                    )
                    .with(&format!("{} numbers", p.value.len()), None);
                    ok = false;
                    continue;
                }
                let (v, s) = (&p.value[0], &p.value[1]);
                if let Some(&(prev, _)) = out.last()
                    && v.value.0 <= prev
                {
                    cx.error(
                        "E014",
                        &v.span,
                        format!(
                            "curve values of {whose} must strictly increase: {} follows {prev}",
                            v.value.0
                        ),
                    )
                    .with(
                        "not increasing",
                        Some("list points in increasing order of value, each value once".into()),
                    );
                    ok = false;
                }
                if s.value.0 < Decimal::ZERO || s.value.0 > cap {
                    cx.error(
                        "E014",
                        &s.span,
                        format!("curve score {} of {whose} is outside 0..{cap}", s.value.0),
                    )
                    .with(
                        "out of range",
                        Some("scores run from 0 to the cap (max_score)".into()),
                    );
                    ok = false;
                }
                out.push((v.value.0, s.value.0));
            }
            if out.len() < 2 && ok {
                cx.error(
                    "E014",
                    &points.span,
                    format!("curve {whose} needs at least 2 points"),
                )
                .with(
                    "too few points",
                    Some("a curve interpolates between points; give two or more".into()),
                );
                ok = false;
            }
            if let (Some(d), true) = (&ind.direction, ok) {
                let (first, last) = (out[0].1, out[out.len() - 1].1);
                let bad = match d.value {
                    raw::Direction::Higher => last < first,
                    raw::Direction::Lower => last > first,
                };
                if bad {
                    cx.error("E012", &d.span, format!("{whose} says `direction = \"{}\"` but its curve scores fall the other way", if d.value == raw::Direction::Higher { "higher" } else { "lower" }))
                        .with("contradicts the curve", Some("fix `direction` or the points' scores".into()));
                    ok = false;
                }
            }
            ok.then_some(Rule::Curve { points: out })
        }
        raw::Scoring::Step => {
            for (key, span) in [
                ("baseline", ind.baseline.as_ref().map(|x| &x.span)),
                ("target", ind.target.as_ref().map(|x| &x.span)),
                ("tolerance", ind.tolerance.as_ref().map(|x| &x.span)),
                ("points", ind.points.as_ref().map(|x| &x.span)),
            ] {
                if let Some(span) = span {
                    not_used(cx, key, span, "step");
                }
            }
            let direction = required_direction(cx, ind, whose, "step");
            let steps = steps(cx, ind, whose, cap);
            let below = match &ind.below {
                Some(b) if b.value.0 < Decimal::ZERO || b.value.0 > cap => {
                    cx.error(
                        "E103",
                        &b.span,
                        format!("`below` = {} of {whose} is outside 0..{cap}", b.value.0),
                    )
                    .with(
                        "out of range",
                        Some(
                            "`below` is the score short of every step: 0 up to the cap (max_score)"
                                .into(),
                        ),
                    );
                    None
                }
                Some(b) => Some(b.value.0),
                None if has_key(ind, "below") => None,
                None => Some(Decimal::ZERO),
            };
            let (direction, steps, below) = (direction?, steps?, below?);
            step_order_warning(cx, ind, whose, direction, &steps, below);
            Some(Rule::Step {
                direction,
                steps,
                below,
            })
        }
        raw::Scoring::Binary => {
            for (key, span) in [
                ("baseline", ind.baseline.as_ref().map(|x| &x.span)),
                ("tolerance", ind.tolerance.as_ref().map(|x| &x.span)),
                ("points", ind.points.as_ref().map(|x| &x.span)),
                ("steps", ind.steps.as_ref().map(|x| &x.span)),
                ("below", ind.below.as_ref().map(|x| &x.span)),
                ("max_score", ind.max_score.as_ref().map(|x| &x.span)),
            ] {
                if let Some(span) = span {
                    not_used(cx, key, span, "binary");
                }
            }
            let direction = required_direction(cx, ind, whose, "binary");
            let target = match &ind.target {
                Some(Sp {
                    value: raw::Target::Value(n),
                    ..
                }) => Some(n.0),
                Some(t) => {
                    cx.error(
                        "E104",
                        &t.span,
                        format!("`target` of binary {whose} must be one number"),
                    )
                    .with(
                        "a range",
                        Some(
                            "a binary rule is met at or beyond one value, e.g. `target = 1`".into(),
                        ),
                    );
                    None
                }
                None if has_key(ind, "target") => None,
                None => {
                    cx.error(
                        "E104",
                        &ind.id.span,
                        format!("binary {whose} needs `target`"),
                    )
                    .with(
                        "no target",
                        Some("binary scoring gives 100 when `target` is met and 0 otherwise, e.g. `target = 1`".into()),
                    );
                    None
                }
            };
            Some(Rule::Binary {
                direction: direction?,
                target: target?,
            })
        }
    }
}

/// A [`PairProblem`]'s code, message, label and hint, for a pair named
/// `at` (e.g. `in 2026-Q2`).
pub fn describe_pair(
    p: &PairProblem,
    whose: &str,
    at: &str,
) -> (&'static str, String, String, String) {
    {
        match p {
            PairProblem::Equal(v) => (
                "E011",
                format!("{whose} has baseline == target ({v}) {at}"),
                "same as baseline".into(),
                "the target in force must differ from the baseline in force".into(),
            ),
            PairProblem::Direction { lower, declared } => {
                let (means, other) = if *lower {
                    ("lower", "higher")
                } else {
                    ("higher", "lower")
                };
                let said = if *declared {
                    format!("`direction = \"{other}\"`")
                } else {
                    format!("its declared baseline and target mean {other} is better")
                };
                (
                    if *declared { "E012" } else { "W025" },
                    format!(
                        "{whose}: the baseline and target in force {at} mean {means} is better, but {said}"
                    ),
                    "contradicts the direction".into(),
                    "swap this baseline and target, or check the plan's numbers".into(),
                )
            }
            PairProblem::Reversed(low, high) => (
                "E013",
                format!("band target of {whose} has low {low} > high {high} {at}"),
                "bounds reversed".into(),
                format!("swap the bounds: {high} first, then {low}"),
            ),
        }
    }
}

/// `targets` / `baselines` of an indicator (SPEC §10): each entry of the
/// right shape for its rule, and the pair in force in each period a plan
/// names checked like the declared pair, at the entry that makes it.
fn plan(cx: &mut Ctx, ind: &raw::Indicator, whose: &str, rule: Option<&Rule>) -> Plan {
    let mut plan = Plan::default();
    let scoring = ind
        .scoring
        .as_ref()
        .map_or(raw::Scoring::Linear, |s| s.value);
    let kind = match scoring {
        raw::Scoring::Linear => "linear",
        raw::Scoring::Band => "band",
        raw::Scoring::Curve => "curve",
        raw::Scoring::Step => "step",
        raw::Scoring::Binary => "binary",
    };
    let not_used = |cx: &mut Ctx, key: &str, span: &Range<usize>, why: &str| {
        cx.error(
            "E026",
            span,
            format!("`{key}` is not used by {kind} scoring ({whose})"),
        )
        .with("has no effect", Some(why.to_string()));
    };
    let label_ok = |cx: &mut Ctx, label: &Sp<String>| {
        if label.value.trim().is_empty() {
            cx.error(
                "E110",
                &label.span,
                format!("a period label in the plan of {whose} is empty"),
            )
            .with(
                "no period",
                Some("name the period as the data does, e.g. \"2026-Q2\"".into()),
            );
            false
        } else {
            true
        }
    };
    if let Some(targets) = &ind.targets {
        if matches!(scoring, raw::Scoring::Curve | raw::Scoring::Step) {
            not_used(
                cx,
                "targets",
                &targets.span,
                &format!(
                    "a {kind} rule has no target: its {} hold in every period",
                    if kind == "step" { "steps" } else { "points" }
                ),
            );
        } else {
            for (label, t) in &targets.value {
                let goal = match (&t.value, scoring) {
                    (raw::Target::Value(n), raw::Scoring::Linear | raw::Scoring::Binary) => {
                        Some(Goal::Value(n.0))
                    }
                    (raw::Target::Range(r), raw::Scoring::Band) if r.len() == 2 => {
                        Some(Goal::Band(r[0].value.0, r[1].value.0))
                    }
                    (_, raw::Scoring::Linear | raw::Scoring::Binary) => {
                        cx.error(
                            "E002",
                            &t.span,
                            format!(
                                "the target of {whose} for {} must be one number for {kind} scoring",
                                label.value
                            ),
                        )
                        .with(
                            "a range",
                            Some("a `[low, high]` target needs `scoring = \"band\"`".into()),
                        );
                        None
                    }
                    _ => {
                        cx.error(
                            "E013",
                            &t.span,
                            format!(
                                "band {whose} needs `[low, high]` as its target for {}",
                                label.value
                            ),
                        )
                        .with(
                            "not a two-number range",
                            Some(format!("e.g. `\"{}\" = [1, 4]`", label.value)),
                        );
                        None
                    }
                };
                if let Some(goal) = goal
                    && label_ok(cx, label)
                {
                    plan.targets.insert(label.value.clone(), goal);
                }
            }
        }
    }
    if let Some(baselines) = &ind.baselines {
        if scoring != raw::Scoring::Linear {
            not_used(
                cx,
                "baselines",
                &baselines.span,
                "only linear scoring has a baseline",
            );
        } else {
            for (label, b) in &baselines.value {
                if label_ok(cx, label) {
                    plan.baselines.insert(label.value.clone(), b.value.0);
                }
            }
        }
    }
    // Each period the plan names, with the entry to point at: the target's
    // when the plan gives one, else the baseline's.
    let Some(rule) = rule else { return plan };
    let declared = ind.direction.is_some();
    let mut spans: Vec<(&str, &Range<usize>)> = Vec::new();
    for (label, t) in ind.targets.iter().flat_map(|t| &t.value) {
        spans.push((&label.value, &t.span));
    }
    for (label, b) in ind.baselines.iter().flat_map(|b| &b.value) {
        if !spans.iter().any(|(l, _)| *l == label.value) {
            spans.push((&label.value, &b.span));
        }
    }
    for (label, span) in spans {
        if !plan.targets.contains_key(label) && !plan.baselines.contains_key(label) {
            continue;
        }
        let (_, problem) = pair_in_force(
            rule,
            plan.targets.get(label).copied(),
            plan.baselines.get(label).copied(),
            declared,
        );
        if let Some(p) = problem {
            let (code, message, label_text, hint) =
                describe_pair(&p, whose, &format!("in {label}"));
            let d = if code.starts_with('W') {
                cx.warning(code, span, message)
            } else {
                cx.error(code, span, message)
            };
            d.with(&label_text, Some(hint));
        }
    }
    plan
}

/// Reports a key the rule does not use (E026): key, its span, the rule.
type NotUsed<'f> = &'f dyn Fn(&mut Ctx, &str, &Range<usize>, &str);

/// `steps` and `below` belong to step scoring only (E026 elsewhere).
fn step_keys_not_used(cx: &mut Ctx, ind: &raw::Indicator, rule: &str, not_used: NotUsed) {
    if let Some(st) = &ind.steps {
        not_used(cx, "steps", &st.span, rule);
    }
    if let Some(b) = &ind.below {
        not_used(cx, "below", &b.span, rule);
    }
}

/// Step and binary rules have no baseline to tell which way is better, so
/// `direction` is required (E100).
fn required_direction(
    cx: &mut Ctx,
    ind: &raw::Indicator,
    whose: &str,
    rule: &str,
) -> Option<raw::Direction> {
    if let Some(d) = &ind.direction {
        return Some(d.value);
    }
    // A direction that failed to load (a typo) was reported by the loader.
    if !has_key(ind, "direction") {
        cx.error(
            "E100",
            &ind.id.span,
            format!("{rule} {whose} needs `direction`"),
        )
        .with(
            "which way is better?",
            Some(format!(
                "add `direction = \"higher\"` (more is better) or `direction = \"lower\"` (less is better); {rule} scoring has no baseline to tell"
            )),
        );
    }
    None
}

/// The `steps` of a step rule: present (E101), each a [value, score] pair
/// (E101), values strictly increasing (E102), scores within 0..cap (E103).
fn steps(
    cx: &mut Ctx,
    ind: &raw::Indicator,
    whose: &str,
    cap: Decimal,
) -> Option<Vec<(Decimal, Decimal)>> {
    let Some(steps) = &ind.steps else {
        if !has_key(ind, "steps") {
            cx.error("E101", &ind.id.span, format!("step {whose} needs `steps`"))
                .with(
                    "no steps",
                    Some(
                        "e.g. `steps = [[0.8, 60], [0.9, 80], [1.0, 100], [1.2, 120]]`: from each value on, its score"
                            .into(),
                    ),
                );
        }
        return None;
    };
    let mut ok = true;
    let mut out: Vec<(Decimal, Decimal)> = Vec::new();
    for p in &steps.value {
        if p.value.len() != 2 {
            let n = p.value.len();
            cx.error(
                "E101",
                &p.span,
                format!("each step of {whose} must be [value, score]"),
            )
            .with(
                &format!("{n} number{}", if n == 1 { "" } else { "s" }),
                Some("a step is a value and the score from that value on, e.g. `[0.9, 80]`".into()),
            );
            ok = false;
            continue;
        }
        let (v, s) = (&p.value[0], &p.value[1]);
        if let Some(&(prev, _)) = out.last()
            && v.value.0 <= prev
        {
            cx.error(
                "E102",
                &p.span,
                format!(
                    "step values of {whose} must strictly increase: {} follows {prev}",
                    v.value.0
                ),
            )
            .with(
                "not increasing",
                Some("list steps from the lowest value to the highest, each value once".into()),
            );
            ok = false;
        }
        if s.value.0 < Decimal::ZERO || s.value.0 > cap {
            cx.error(
                "E103",
                &s.span,
                format!("step score {} of {whose} is outside 0..{cap}", s.value.0),
            )
            .with(
                "out of range",
                Some(if s.value.0 > cap && cap == HUNDRED {
                    "scores run from 0 to the cap; to reward over-achievement, raise `max_score` (on the indicator or the scorecard)".into()
                } else {
                    "scores run from 0 to the cap (max_score)".into()
                }),
            );
            ok = false;
        }
        out.push((v.value.0, s.value.0));
    }
    if out.is_empty() && ok {
        cx.error(
            "E101",
            &steps.span,
            format!("step {whose} needs at least one step"),
        )
        .with(
            "no steps",
            Some("e.g. `steps = [[0.8, 60], [1.0, 100]]`".into()),
        );
        ok = false;
    }
    ok.then_some(out)
}

/// W020: a step scheme that pays less for a better result is almost
/// always `direction` written the wrong way round (or steps out of order
/// of score); it stays valid, since a scheme may mean it.
fn step_order_warning(
    cx: &mut Ctx,
    ind: &raw::Indicator,
    whose: &str,
    direction: raw::Direction,
    steps: &[(Decimal, Decimal)],
    below: Decimal,
) {
    // Scores from the worst result to the best.
    let mut worst_first: Vec<Decimal> = steps.iter().map(|s| s.1).collect();
    if direction == raw::Direction::Lower {
        worst_first.reverse();
    }
    worst_first.insert(0, below);
    let Some(k) = worst_first.windows(2).position(|w| w[1] < w[0]) else {
        return;
    };
    let span = ind
        .direction
        .as_ref()
        .map_or_else(|| ind.id.span.clone(), |d| d.span.clone());
    let (said, better) = match direction {
        raw::Direction::Higher => ("higher", "a higher"),
        raw::Direction::Lower => ("lower", "a lower"),
    };
    cx.warning(
        "W020",
        &span,
        format!(
            "{whose} says `direction = \"{said}\"` but {better} value can score less ({} after {})",
            worst_first[k + 1], worst_first[k]
        ),
    )
    .with(
        "scores fall toward the better end",
        Some("check `direction`, the steps' scores and `below`: each step toward the better end should score at least as much".into()),
    );
}

fn apply_ahp(
    cx: &mut Ctx,
    a: &raw::Ahp,
    perspectives: &mut [Perspective],
    objectives: &mut [Objective],
    indicators: &mut [Indicator],
    file: &raw::ScorecardFile,
    out: &mut Vec<AhpGroup>,
) {
    // Members of each possible group: (id, explicit weight span).
    let p_members: Vec<(String, Option<Range<usize>>)> = perspectives
        .iter()
        .map(|p| {
            (
                p.id.clone(),
                file.perspectives
                    .iter()
                    .find(|r| r.id.value == p.id)
                    .and_then(|r| r.weight.as_ref().map(|w| w.span.clone())),
            )
        })
        .collect();
    let obj_weight = |id: &str| {
        file.objectives
            .iter()
            .find(|r| r.id.value == id)
            .and_then(|r| r.weight.as_ref().map(|w| w.span.clone()))
    };
    let ind_weight = |id: &str| {
        file.indicators
            .iter()
            .find(|r| r.id.value == id)
            .and_then(|r| r.weight.as_ref().map(|w| w.span.clone()))
    };

    if let Some(g) = &a.perspectives
        && let Some(w) = ahp_group(cx, g, "perspectives", &p_members, out)
    {
        for (p, w) in perspectives.iter_mut().zip(w) {
            p.weight = w;
        }
    }
    for (pid, g) in &a.objectives {
        let Some(pi) = perspectives.iter().position(|p| &p.id == pid) else {
            let names: Vec<String> = perspectives.iter().map(|p| p.id.clone()).collect();
            unknown_name(
                cx,
                ("E007", &g.key_span),
                format!("`[ahp.objectives.{pid}]` names unknown perspective `{pid}`"),
                ("no such perspective", pid, &names),
                None,
            );
            continue;
        };
        let members: Vec<(String, Option<Range<usize>>)> = perspectives[pi]
            .children
            .iter()
            .map(|c| match c {
                Node::Objective(o) => (objectives[*o].id.clone(), obj_weight(&objectives[*o].id)),
                Node::Indicator(i) => (indicators[*i].id.clone(), ind_weight(&indicators[*i].id)),
            })
            .collect();
        if let Some(ws) = ahp_group(cx, g, &format!("objectives.{pid}"), &members, out) {
            for (c, w) in perspectives[pi].children.clone().iter().zip(ws) {
                match c {
                    Node::Objective(o) => objectives[*o].weight = w,
                    Node::Indicator(i) => indicators[*i].weight = w,
                }
            }
        }
    }
    for (oid, g) in &a.indicators {
        let Some(oi) = objectives.iter().position(|o| &o.id == oid) else {
            let names: Vec<String> = objectives.iter().map(|o| o.id.clone()).collect();
            unknown_name(
                cx,
                ("E007", &g.key_span),
                format!("`[ahp.indicators.{oid}]` names unknown objective `{oid}`"),
                ("no such objective", oid, &names),
                None,
            );
            continue;
        };
        let members: Vec<(String, Option<Range<usize>>)> = objectives[oi]
            .indicators
            .iter()
            .map(|&i| (indicators[i].id.clone(), ind_weight(&indicators[i].id)))
            .collect();
        if let Some(ws) = ahp_group(cx, g, &format!("indicators.{oid}"), &members, out) {
            for (i, w) in objectives[oi].indicators.clone().iter().zip(ws) {
                indicators[*i].weight = w;
            }
        }
    }
}

/// Checks one AHP group against its members and returns the members' weights
/// in member order.
fn ahp_group(
    cx: &mut Ctx,
    g: &raw::AhpGroup,
    key: &str,
    members: &[(String, Option<Range<usize>>)],
    out: &mut Vec<AhpGroup>,
) -> Option<Vec<Decimal>> {
    let ctx = format!("`[ahp.{key}]`");
    let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    let mut ok = true;
    let listed: HashSet<&str> = g.order.value.iter().map(|o| o.value.as_str()).collect();
    let unlisted: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !listed.contains(n))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    // Members a misspelt entry probably means, and whether some entry's
    // hint already lists the members left out: either way they are not
    // reported again as left out.
    let mut suggested: HashSet<&str> = HashSet::new();
    let mut listed_in_hint = false;
    for o in &g.order.value {
        if !names.contains(&o.value.as_str()) {
            let hint = match crate::diag::closest(&o.value, unlisted.iter().copied()) {
                Some(c) => {
                    suggested.insert(c);
                    format!("did you mean `{c}`?")
                }
                None if !unlisted.is_empty() => {
                    listed_in_hint = true;
                    format!("members not listed yet: {}", unlisted.join(", "))
                }
                None => format!("the members are: {}", names.join(", ")),
            };
            cx.error(
                "E022",
                &o.span,
                format!(
                    "{ctx} order names `{}`, which is not a member of this group",
                    o.value
                ),
            )
            .with("not in this group", Some(hint));
            ok = false;
        } else if !seen.insert(&o.value) {
            cx.error(
                "E022",
                &o.span,
                format!("{ctx} order lists `{}` twice", o.value),
            )
            .with(
                "listed again",
                Some("list every member exactly once".into()),
            );
            ok = false;
        }
    }
    let missing: Vec<&str> = unlisted
        .iter()
        .copied()
        .filter(|n| !suggested.contains(n))
        .collect();
    if !missing.is_empty() && !listed_in_hint {
        cx.error(
            "E022",
            &g.order.span,
            format!(
                "{ctx} order leaves out {}",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with(
            "incomplete",
            Some("`order` must list every member of the group exactly once".into()),
        );
        ok = false;
    }
    let matrix: Vec<Vec<Decimal>> = g
        .matrix
        .value
        .iter()
        .map(|r| r.value.iter().map(|e| e.value.0).collect())
        .collect();
    let n = g.order.value.len();
    if matrix.len() != n {
        cx.error(
            "E022",
            &g.matrix.span,
            format!(
                "{ctx} matrix has {} rows but order lists {n} members",
                matrix.len()
            ),
        )
        .with("wrong size", Some(format!("the matrix must be {n} x {n}")));
        return None;
    }
    let result = match ahp::weights(&matrix) {
        Ok(r) => r,
        Err(e) => {
            let (span, msg, hint) = match e {
                AhpError::Empty => (
                    g.matrix.span.clone(),
                    "matrix is empty".to_string(),
                    "give one row per member".to_string(),
                ),
                AhpError::TooLarge(n) => (
                    g.matrix.span.clone(),
                    format!(
                        "matrix is {n} x {n}; AHP supports at most {}",
                        ahp::MAX_SIZE
                    ),
                    "split the group, or give weights directly".to_string(),
                ),
                AhpError::NotSquare { row, len, n } => (
                    g.matrix.value[row].span.clone(),
                    format!("matrix row {} has {len} entries, expected {n}", row + 1),
                    "the matrix must be square".to_string(),
                ),
                AhpError::NotReciprocal { i, j } => (
                    g.matrix.value[j].value[i].span.clone(),
                    format!(
                        "matrix is not reciprocal: entry ({}, {}) should be 1 / entry ({}, {})",
                        j + 1,
                        i + 1,
                        i + 1,
                        j + 1
                    ),
                    if i == j {
                        "diagonal entries must be 1".to_string()
                    } else {
                        "write the reciprocal as a fraction, e.g. \"1/3\" opposite 3".to_string()
                    },
                ),
                AhpError::Overflow => (
                    g.matrix.span.clone(),
                    "matrix entries are too large to compute with".to_string(),
                    "use Saaty's 1..9 scale".to_string(),
                ),
            };
            cx.error("E022", &span, format!("{ctx} {msg}"))
                .with("here", Some(hint));
            return None;
        }
    };
    let limit = Decimal::new(1, 1);
    if result.consistency_ratio > limit {
        cx.error("E023", &g.matrix.span, format!("{ctx} is too inconsistent: consistency ratio {} > 0.10", result.consistency_ratio.round_dp(4)))
            .with("inconsistent judgements", Some("revisit the pairwise comparisons: if A beats B and B beats C, A should beat C by more".into()));
        return None;
    }
    if !ok {
        return None;
    }
    for (name, span) in members {
        if let Some(span) = span {
            cx.warning(
                "W004",
                span,
                format!("weight of `{name}` is ignored: {ctx} sets this group's weights"),
            )
            .with("overridden by AHP", Some("remove the `weight` key".into()));
        }
    }
    let by_name: HashMap<&str, Decimal> = g
        .order
        .value
        .iter()
        .map(|o| o.value.as_str())
        .zip(result.weights.iter().copied())
        .collect();
    out.push(AhpGroup {
        key: key.to_string(),
        members: g
            .order
            .value
            .iter()
            .map(|o| o.value.clone())
            .zip(result.weights.iter().copied())
            .collect(),
        matrix: matrix.clone(),
        lambda_max: result.lambda_max,
        consistency_ratio: result.consistency_ratio,
    });
    Some(names.iter().map(|n| by_name[n]).collect())
}

/// Sum of a group's weights; absurdly large weights are an error, not a
/// panic, pointing at the weight whose addition overflows.
fn checked_total(
    cx: &mut Ctx,
    weights: impl Iterator<Item = (Decimal, Option<Range<usize>>)>,
    what: &str,
) -> Decimal {
    let mut total = Decimal::ZERO;
    for (w, span) in weights {
        match total.checked_add(w) {
            Some(t) => total = t,
            None => {
                let d =
                    Diagnostic::error("E024", format!("weights of {what} are too large to add up"));
                let d = match span {
                    Some(span) => d.at(cx.src, span).label("the sum overflows here"),
                    None => d.in_file(cx.src),
                };
                cx.diags.push(d.hint(
                    "weights are relative: scale them down (30/30/20/20 means the same as 3/3/2/2)",
                ));
                return Decimal::ONE;
            }
        }
    }
    total
}

/// Normalises sibling weights and computes effective weights; a group whose
/// weights are all 0 is an error.
fn normalise(
    cx: &mut Ctx,
    perspectives: &mut [Perspective],
    objectives: &mut [Objective],
    indicators: &mut [Indicator],
    file: &raw::ScorecardFile,
) {
    // Where each id's weight is written (else the id): looked up once per
    // member, so by map, not by a scan of the file's entries.
    fn spans<'f, R: 'f>(
        entries: impl IntoIterator<Item = &'f R>,
        at: impl Fn(&'f R) -> (&'f str, Range<usize>),
    ) -> HashMap<&'f str, Range<usize>> {
        let mut map = HashMap::new();
        for r in entries {
            let (id, span) = at(r);
            // The first entry of an id, as the validated model has it.
            map.entry(id).or_insert(span);
        }
        map
    }
    let weight_of = |id: &Sp<String>, w: &Option<Sp<Num>>| {
        w.as_ref().map_or(id.span.clone(), |w| w.span.clone())
    };
    let p_spans = spans(&file.perspectives, |r| {
        (r.id.value.as_str(), weight_of(&r.id, &r.weight))
    });
    let o_spans = spans(&file.objectives, |r| {
        (r.id.value.as_str(), weight_of(&r.id, &r.weight))
    });
    let i_spans = spans(&file.indicators, |r| {
        (r.id.value.as_str(), weight_of(&r.id, &r.weight))
    });
    let weight_span = |kind: &str, id: &str| -> Option<Range<usize>> {
        match kind {
            "perspective" => p_spans.get(id).cloned(),
            "objective" => o_spans.get(id).cloned(),
            _ => i_spans.get(id).cloned(),
        }
    };
    let zero_group = |cx: &mut Ctx, what: String, first: Option<Range<usize>>| {
        cx.error(
            "E010",
            &first.unwrap_or(0..0),
            format!("all weights are 0 in {what}"),
        )
        .with(
            "every sibling weighs 0",
            Some("give at least one member a weight > 0".into()),
        );
    };

    let total = checked_total(
        cx,
        perspectives
            .iter()
            .map(|p| (p.weight, weight_span("perspective", &p.id))),
        "the perspectives",
    );
    if total.is_zero() && !perspectives.is_empty() {
        zero_group(
            cx,
            "the perspectives".into(),
            weight_span("perspective", &perspectives[0].id),
        );
    }
    for p in perspectives.iter_mut() {
        p.share = p.weight.checked_div(total).unwrap_or_default();
    }
    for p in perspectives.iter() {
        let weights: Vec<Decimal> = p
            .children
            .iter()
            .map(|c| match c {
                Node::Objective(o) => objectives[*o].weight,
                Node::Indicator(i) => indicators[*i].weight,
            })
            .collect();
        let spans = p.children.iter().map(|c| match c {
            Node::Objective(o) => weight_span("objective", &objectives[*o].id),
            Node::Indicator(i) => weight_span("indicator", &indicators[*i].id),
        });
        let total = checked_total(
            cx,
            weights.iter().copied().zip(spans),
            &format!("perspective `{}`", p.id),
        );
        if total.is_zero() && !weights.is_empty() {
            let first = match p.children[0] {
                Node::Objective(o) => weight_span("objective", &objectives[o].id),
                Node::Indicator(i) => weight_span("indicator", &indicators[i].id),
            };
            zero_group(cx, format!("perspective `{}`", p.id), first);
        }
        for (c, w) in p.children.iter().zip(weights) {
            let share = w.checked_div(total).unwrap_or_default();
            match c {
                Node::Objective(o) => objectives[*o].share = share,
                Node::Indicator(i) => {
                    indicators[*i].share = share;
                    indicators[*i].effective_weight = p.share * share;
                }
            }
        }
    }
    for o in objectives.iter_mut() {
        let total = checked_total(
            cx,
            o.indicators.iter().map(|&i| {
                (
                    indicators[i].weight,
                    weight_span("indicator", &indicators[i].id),
                )
            }),
            &format!("objective `{}`", o.id),
        );
        if total.is_zero() && !o.indicators.is_empty() {
            zero_group(
                cx,
                format!("objective `{}`", o.id),
                weight_span("indicator", &indicators[o.indicators[0]].id),
            );
        }
        let outer = perspectives
            .get(o.perspective)
            .map_or(Decimal::ZERO, |p| p.share)
            * o.share;
        for &i in &o.indicators {
            let share = indicators[i].weight.checked_div(total).unwrap_or_default();
            indicators[i].share = share;
            indicators[i].effective_weight = outer * share;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(valid_id("churn_rate"));
        assert!(valid_id("grow-value2"));
        assert!(!valid_id("Churn"));
        assert!(!valid_id("1abc"));
        assert!(!valid_id(""));
        assert!(!valid_id("客户"));
        assert!(id_hint("Churn Rate").contains("`churn_rate`"));
    }
}
