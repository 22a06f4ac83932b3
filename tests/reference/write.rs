//! The model as the files bsc reads: scorecard TOML, measurements TOML and
//! long-format CSV (`period,unit,id,value`).

use std::fmt::Write as _;

use super::*;

/// A number as TOML: a bare integer or float where TOML can hold it
/// exactly as written, else a string holding the decimal (SPEC §3).
fn toml_num(n: &Num) -> String {
    let t = &n.text;
    let digits = t.trim_start_matches('-');
    if t.contains('.') || digits.len() <= 18 {
        t.clone()
    } else {
        format!("\"{t}\"")
    }
}

/// Binding strength, loosest first (the brief): `or` < `and` < `not` <
/// comparison < `+ -` < `* /` < unary minus < atoms.
fn prec(e: &Expr) -> u8 {
    match e {
        Expr::Or(..) => 0,
        Expr::And(..) => 1,
        Expr::Not(_) => 2,
        Expr::Cmp(..) => 3,
        Expr::Bin(Op::Add | Op::Sub, ..) => 4,
        Expr::Bin(Op::Mul | Op::Div, ..) => 5,
        Expr::Neg(_) => 6,
        _ => 7,
    }
}

/// `x` in parentheses when it binds looser than `min`.
fn operand(x: &Expr, min: u8) -> String {
    if prec(x) < min {
        format!("({})", formula(x))
    } else {
        formula(x)
    }
}

/// Formula text with only the parentheses precedence needs; a right
/// operand of equal precedence is parenthesised (`a - (b - c)`), so the
/// text parses back to this very tree.
pub fn formula(e: &Expr) -> String {
    let p = prec(e);
    match e {
        Expr::Lit(n) => {
            if n.q.is_negative() {
                format!("({})", n.text)
            } else {
                n.text.clone()
            }
        }
        Expr::Var(v) => v.clone(),
        Expr::Neg(x) => format!("-{}", operand(x, p)),
        Expr::Not(x) => format!("not {}", operand(x, p)),
        Expr::Bin(op, a, b) => {
            let sym = match op {
                Op::Add => "+",
                Op::Sub => "-",
                Op::Mul => "*",
                Op::Div => "/",
            };
            format!("{} {sym} {}", operand(a, p), operand(b, p + 1))
        }
        // Comparisons do not chain: both operands bind tighter.
        Expr::Cmp(op, a, b) => format!(
            "{} {} {}",
            operand(a, p + 1),
            op.symbol(),
            operand(b, p + 1)
        ),
        Expr::And(a, b) => format!("{} and {}", operand(a, p), operand(b, p + 1)),
        Expr::Or(a, b) => format!("{} or {}", operand(a, p), operand(b, p + 1)),
        Expr::Call(f, args) => {
            let args: Vec<String> = args.iter().map(formula).collect();
            format!("{}({})", f.name(), args.join(", "))
        }
        Expr::Target(id) => format!("target({id})"),
        Expr::Baseline(id) => format!("baseline({id})"),
        Expr::Lag { x, k, prev } => {
            if *prev {
                format!("prev({})", formula(x))
            } else {
                format!("lag({}, {k})", formula(x))
            }
        }
    }
}

fn weight_line(out: &mut String, w: &Option<Num>) {
    if let Some(w) = w {
        writeln!(out, "weight = {}", toml_num(w)).unwrap();
    }
}

/// The node's `weight` and its own `status = { ... }` (SPEC §11).
fn node_lines(out: &mut String, n: &Node) {
    weight_line(out, &n.weight);
    if let Some((g, a)) = &n.status {
        let keys: Vec<String> = [("green", g), ("amber", a)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} = {}", toml_num(v))))
            .collect();
        writeln!(out, "status = {{ {} }}", keys.join(", ")).unwrap();
    }
}

fn direction(higher: bool) -> &'static str {
    if higher { "higher" } else { "lower" }
}

pub fn card_toml(card: &Card) -> String {
    let mut s = String::new();
    s.push_str("[scorecard]\nid = \"generated\"\nname = \"Generated\"\n");
    if let Some(m) = &card.max_score {
        writeln!(s, "max_score = {}", toml_num(m)).unwrap();
    }
    if let Some(p) = card.missing {
        let p = match p {
            Policy::Renormalize => "renormalize",
            Policy::Zero => "zero",
            Policy::Error => "error",
        };
        writeln!(s, "missing = \"{p}\"").unwrap();
    }
    if let Some(m) = &card.min_coverage {
        writeln!(s, "min_coverage = {}", toml_num(m)).unwrap();
    }
    if let Some((g, a)) = &card.status {
        writeln!(
            s,
            "\n[scorecard.status]\ngreen = {}\namber = {}",
            toml_num(g),
            toml_num(a)
        )
        .unwrap();
    }
    if !card.constants.is_empty() {
        s.push_str("\n[constants]\n");
        for c in &card.constants {
            if c.string {
                writeln!(s, "{} = \"{}\"", c.id, c.value.text).unwrap();
            } else {
                writeln!(s, "{} = {}", c.id, toml_num(&c.value)).unwrap();
            }
        }
    }
    for p in &card.perspectives {
        writeln!(s, "\n[[perspectives]]\nid = \"{}\"", p.id).unwrap();
        node_lines(&mut s, p);
    }
    for (p, o) in &card.objectives {
        writeln!(
            s,
            "\n[[objectives]]\nid = \"{}\"\nperspective = \"{}\"",
            o.id, card.perspectives[*p].id
        )
        .unwrap();
        node_lines(&mut s, o);
    }
    for ind in &card.indicators {
        writeln!(s, "\n[[indicators]]\nid = \"{}\"", ind.node.id).unwrap();
        match ind.parent {
            Parent::Objective(o) => {
                writeln!(s, "objective = \"{}\"", card.objectives[o].1.id).unwrap()
            }
            Parent::Perspective(p) => {
                writeln!(s, "perspective = \"{}\"", card.perspectives[p].id).unwrap()
            }
        }
        node_lines(&mut s, &ind.node);
        match &ind.rule {
            Rule::Linear { baseline, target } => writeln!(
                s,
                "baseline = {}\ntarget = {}",
                toml_num(baseline),
                toml_num(target)
            )
            .unwrap(),
            Rule::Band {
                low,
                high,
                tolerance,
            } => writeln!(
                s,
                "scoring = \"band\"\ntarget = [{}, {}]\ntolerance = {}",
                toml_num(low),
                toml_num(high),
                toml_num(tolerance)
            )
            .unwrap(),
            Rule::Curve(points) => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|(v, sc)| format!("[{}, {}]", toml_num(v), toml_num(sc)))
                    .collect();
                writeln!(s, "scoring = \"curve\"\npoints = [{}]", pts.join(", ")).unwrap()
            }
            Rule::Step {
                higher,
                steps,
                below,
            } => {
                let st: Vec<String> = steps
                    .iter()
                    .map(|(v, sc)| format!("[{}, {}]", toml_num(v), toml_num(sc)))
                    .collect();
                writeln!(
                    s,
                    "scoring = \"step\"\ndirection = \"{}\"\nsteps = [{}]",
                    direction(*higher),
                    st.join(", ")
                )
                .unwrap();
                if let Some(b) = below {
                    writeln!(s, "below = {}", toml_num(b)).unwrap();
                }
            }
            Rule::Binary { higher, target } => writeln!(
                s,
                "scoring = \"binary\"\ndirection = \"{}\"\ntarget = {}",
                direction(*higher),
                toml_num(target)
            )
            .unwrap(),
        }
        plan_lines(&mut s, ind);
        if let Some(f) = &ind.formula {
            writeln!(s, "formula = \"{}\"", formula(f)).unwrap();
        }
        if let Some(m) = &ind.max_score {
            writeln!(s, "max_score = {}", toml_num(m)).unwrap();
        }
    }
    for id in &card.inputs {
        writeln!(s, "\n[[inputs]]\nid = \"{id}\"").unwrap();
    }
    for g in &card.ahp {
        let key = match g.level {
            Level::Perspectives => "perspectives".to_string(),
            Level::Objectives(p) => format!("objectives.{}", card.perspectives[p].id),
            Level::Indicators(o) => format!("indicators.\"{}\"", card.objectives[o].1.id),
        };
        let order: Vec<String> = g.order.iter().map(|m| format!("\"{m}\"")).collect();
        let rows: Vec<String> = g
            .matrix
            .iter()
            .map(|r| format!("[{}]", r.join(", ")))
            .collect();
        writeln!(
            s,
            "\n[ahp.{key}]\norder = [{}]\nmatrix = [{}]",
            order.join(", "),
            rows.join(", ")
        )
        .unwrap();
    }
    s
}

pub fn measurements_toml(card: &Card, period: &str, values: &Values) -> String {
    let mut s = format!("scorecard = \"generated\"\nperiod = \"{period}\"\n\n[values]\n");
    for (id, v) in values {
        writeln!(s, "{id} = {}", toml_num(v)).unwrap();
    }
    let (mut targets, mut baselines) = (String::new(), String::new());
    for (i, ind) in card.indicators.iter().enumerate() {
        if let Some((t, b)) = given(card, i, period) {
            writeln!(targets, "{} = {}", ind.node.id, t.toml).unwrap();
            if let Some(b) = b {
                writeln!(baselines, "{} = {}", ind.node.id, toml_num(&b)).unwrap();
            }
        }
    }
    if !targets.is_empty() {
        write!(s, "\n[targets]\n{targets}").unwrap();
    }
    if !baselines.is_empty() {
        write!(s, "\n[baselines]\n{baselines}").unwrap();
    }
    s
}

/// A target as written in TOML and in a CSV cell.
pub struct Written {
    pub toml: String,
    pub csv: String,
}

/// What the data of `period` gives for indicator `i` (SPEC §10): its
/// target, and its baseline where it differs from the one the plan or the
/// card puts in force (so that both "target only" and "both" occur).
fn given(card: &Card, i: usize, period: &str) -> Option<(Written, Option<Num>)> {
    let ind = &card.indicators[i];
    let rule = card.data.get(period)?.get(&ind.node.id)?;
    let below = ind.rule_in(period);
    Some(match rule {
        Rule::Linear { baseline, target } => {
            let base = match below {
                Rule::Linear { baseline: b, .. } if b.q == baseline.q => None,
                _ => Some(baseline.clone()),
            };
            (
                Written {
                    toml: toml_num(target),
                    csv: target.text.clone(),
                },
                base,
            )
        }
        Rule::Binary { target, .. } => (
            Written {
                toml: toml_num(target),
                csv: target.text.clone(),
            },
            None,
        ),
        Rule::Band { low, high, .. } => (
            Written {
                toml: format!("[{}, {}]", toml_num(low), toml_num(high)),
                csv: format!("{}..{}", low.text, high.text),
            },
            None,
        ),
        _ => return None,
    })
}

/// Every id a measurements file may give, in card order.
pub fn value_ids(card: &Card) -> Vec<String> {
    card.indicators
        .iter()
        .filter(|i| i.formula.is_none())
        .map(|i| i.node.id.clone())
        .chain(card.inputs.iter().cloned())
        .collect()
}

/// Rows of one unit and period. An id without a value is an empty cell
/// or no row at all, alternately, so both spellings of "no value" run; the
/// first id always has a row, so the unit is present in the period.
/// The header of [`csv_rows`].
pub const CSV_HEADER: &str = "period,unit,id,value,target,baseline\n";

pub fn csv_rows(card: &Card, period: &str, unit: &str, values: &Values, out: &mut String) {
    let given_of = |id: &str| {
        let i = card.indicators.iter().position(|ind| ind.node.id == id)?;
        given(card, i, period)
    };
    let cells = |id: &str| match given_of(id) {
        Some((t, b)) => format!(",{},{}", t.csv, b.map_or(String::new(), |b| b.text)),
        None => ",,".to_string(),
    };
    for (k, id) in value_ids(card).iter().enumerate() {
        let extra = cells(id);
        match values.get(id) {
            Some(v) => writeln!(out, "{period},{unit},{id},{}{extra}", v.text).unwrap(),
            None if k == 0 || k % 2 == 1 || extra != ",," => {
                writeln!(out, "{period},{unit},{id},{extra}").unwrap()
            }
            None => {}
        }
    }
    // Computed indicators have no value, but may have a target.
    for ind in card.indicators.iter().filter(|i| i.formula.is_some()) {
        let extra = cells(&ind.node.id);
        if extra != ",," {
            writeln!(out, "{period},{unit},{},{extra}", ind.node.id).unwrap();
        }
    }
}

/// `targets` / `baselines` by period (SPEC §10): a linear plan writes its
/// baseline only where it differs from the declared one, so both "target
/// only" and "both" entries occur.
fn plan_lines(s: &mut String, ind: &Indicator) {
    let mut targets = Vec::new();
    let mut baselines = Vec::new();
    for (period, rule) in &ind.plan {
        match (rule, &ind.rule) {
            (
                Rule::Linear { baseline, target },
                Rule::Linear {
                    baseline: declared, ..
                },
            ) => {
                targets.push(format!("\"{period}\" = {}", toml_num(target)));
                if baseline.q != declared.q {
                    baselines.push(format!("\"{period}\" = {}", toml_num(baseline)));
                }
            }
            (Rule::Binary { target, .. }, _) => {
                targets.push(format!("\"{period}\" = {}", toml_num(target)))
            }
            (Rule::Band { low, high, .. }, _) => targets.push(format!(
                "\"{period}\" = [{}, {}]",
                toml_num(low),
                toml_num(high)
            )),
            _ => {}
        }
    }
    if !targets.is_empty() {
        writeln!(s, "targets = {{ {} }}", targets.join(", ")).unwrap();
    }
    if !baselines.is_empty() {
        writeln!(s, "baselines = {{ {} }}", baselines.join(", ")).unwrap();
    }
}
