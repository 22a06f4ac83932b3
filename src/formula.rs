//! Formulas of computed indicators (SPEC §5): a small expression language
//! over exact decimals. Parsed once during validation; evaluated by
//! `score` with checked arithmetic, so a bad operand yields a reason, not a
//! panic or a wrong number.

use std::ops::Range;

use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    /// Checked decimal arithmetic: an error, never a panic.
    fn apply(self, a: Decimal, b: Decimal) -> Result<Decimal, EvalError> {
        match self {
            BinOp::Add => a.checked_add(b).ok_or(EvalError::Overflow),
            BinOp::Sub => a.checked_sub(b).ok_or(EvalError::Overflow),
            BinOp::Mul => a.checked_mul(b).ok_or(EvalError::Overflow),
            BinOp::Div => {
                if b.is_zero() {
                    return Err(EvalError::DivisionByZero);
                }
                // `checked_div` in integers where it can; the scale need
                // not follow it, the result is normalized by the caller.
                crate::score::exact::div_normalized(a, b).ok_or(EvalError::Overflow)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
}

const FUNCS: [(&str, Func); 3] = [("min", Func::Min), ("max", Func::Max), ("abs", Func::Abs)];

/// How deep a formula may nest (SPEC §13). Each `(`, each unary minus and
/// each function call opens one level; a chain of `+ -` or `* /` operands
/// opens none, however long. Every walk over an [`Expr`] recurses about as
/// deep as it nests, so this limit is what keeps parsing, evaluation, clone
/// and drop off the end of the stack, on every thread.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(Decimal),
    /// An input or indicator id; the span is a byte range of the formula text.
    Var(String, Range<usize>),
    Neg(Box<Expr>),
    /// `first op rest[0].1 op rest[1].1 ...`, operators of one precedence
    /// level, applied left to right. A flat list rather than nested binary
    /// nodes, so a 30,000-term sum is one node, not a tree 30,000 deep.
    Chain(Box<Expr>, Vec<(BinOp, Expr)>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not a formula of the language.
    Syntax,
    /// Nests deeper than [`MAX_DEPTH`]; the span is where the limit is crossed.
    TooDeep,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub message: String,
    pub hint: Option<String>,
    /// Byte range of the formula text.
    pub span: Range<usize>,
}

/// Why a formula has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// Operands without a value, in order of appearance.
    Needs(Vec<String>),
    DivisionByZero,
    Overflow,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::Needs(ids) => write!(f, "needs {}", ids.join(", ")),
            EvalError::DivisionByZero => f.write_str("division by zero"),
            EvalError::Overflow => f.write_str("overflow"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(Decimal),
    Ident(String),
    Op(char),
}

fn lex(text: &str) -> Result<Vec<(Tok, Range<usize>)>, ParseError> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("in bounds");
        let start = i;
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if c.is_ascii_digit()
            || (c == '.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            while i < text.len()
                && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'_')
            {
                i += 1;
            }
            let lit = text[start..i].replace('_', "");
            let n = Decimal::from_str_exact(&lit).map_err(|_| ParseError {
                kind: ParseErrorKind::Syntax,
                message: format!(
                    "`{}` is not a number bsc can represent exactly",
                    &text[start..i]
                ),
                hint: Some("use at most 28 significant digits".into()),
                span: start..i,
            })?;
            out.push((Tok::Num(n), start..i));
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < text.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(text[start..i].to_string()), start..i));
        } else if "+-*/(),".contains(c) {
            i += 1;
            out.push((Tok::Op(c), start..i));
        } else {
            return Err(ParseError {
                kind: ParseErrorKind::Syntax,
                message: format!("unexpected character `{c}` in formula"),
                hint: Some(
                    "formulas use numbers, ids, + - * /, parentheses and min, max, abs".into(),
                ),
                span: start..start + c.len_utf8(),
            });
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    end: usize,
    /// Levels open at `pos` (see [`MAX_DEPTH`]).
    depth: usize,
}

/// Parses a formula. Precedence as in arithmetic; `-` and `/` associate left.
/// Nesting past [`MAX_DEPTH`] is a [`ParseErrorKind::TooDeep`] error.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err(ParseError {
            kind: ParseErrorKind::Syntax,
            message: "formula is empty".into(),
            hint: Some("write an expression such as `lost / start_count`".into()),
            span: 0..text.len(),
        });
    }
    let mut p = Parser {
        toks,
        pos: 0,
        end: text.len(),
        depth: 0,
    };
    let e = p.expr()?;
    if let Some((t, span)) = p.toks.get(p.pos) {
        let message = match t {
            Tok::Op(')') => "unmatched `)`".to_string(),
            _ => "expected an operator here".to_string(),
        };
        return Err(ParseError {
            kind: ParseErrorKind::Syntax,
            message,
            hint: None,
            span: span.clone(),
        });
    }
    Ok(e)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn here(&self) -> Range<usize> {
        self.toks
            .get(self.pos)
            .map(|(_, s)| s.clone())
            .unwrap_or(self.end..self.end)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Op(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Opens a nesting level at `span`, or refuses to: checked before the
    /// parser recurses, so it never recurses past the limit.
    fn enter(&mut self, span: Range<usize>) -> Result<(), ParseError> {
        if self.depth == MAX_DEPTH {
            return Err(ParseError {
                kind: ParseErrorKind::TooDeep,
                message: format!("formula nests deeper than {MAX_DEPTH} levels"),
                hint: Some(
                    "each `(`, unary minus and function call opens a level; \
                     move part of the formula into an indicator of its own"
                        .into(),
                ),
                span,
            });
        }
        self.depth += 1;
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.chain([('+', BinOp::Add), ('-', BinOp::Sub)], Self::term)
    }

    fn term(&mut self) -> Result<Expr, ParseError> {
        self.chain([('*', BinOp::Mul), ('/', BinOp::Div)], Self::unary)
    }

    /// Operands joined by the operators of one precedence level, read in a
    /// loop into one [`Expr::Chain`].
    fn chain(
        &mut self,
        ops: [(char, BinOp); 2],
        operand: fn(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Some(&(_, op)) = ops.iter().find(|(c, _)| self.eat(*c)) {
            rest.push((op, operand(self)?));
        }
        Ok(if rest.is_empty() {
            first
        } else {
            Expr::Chain(Box::new(first), rest)
        })
    }

    /// A run of signs is read in a loop, not by recursion: `+` builds
    /// nothing, each `-` a negation and a level.
    fn unary(&mut self) -> Result<Expr, ParseError> {
        let mut negs = 0;
        loop {
            if self.peek() == Some(&Tok::Op('-')) {
                self.enter(self.here())?;
                self.pos += 1;
                negs += 1;
            } else if !self.eat('+') {
                break;
            }
        }
        let mut e = self.atom()?;
        self.depth -= negs;
        for _ in 0..negs {
            e = Expr::Neg(Box::new(e));
        }
        Ok(e)
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let span = self.here();
        let Some((tok, _)) = self.toks.get(self.pos).cloned() else {
            return Err(ParseError {
                kind: ParseErrorKind::Syntax,
                message: "formula ends where a value was expected".into(),
                hint: Some("complete the expression".into()),
                span,
            });
        };
        self.pos += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Ident(name) => {
                if self.peek() == Some(&Tok::Op('(')) {
                    self.pos += 1;
                    self.enter(span.clone())?;
                    let call = self.call(&name, span)?;
                    self.depth -= 1;
                    Ok(call)
                } else {
                    Ok(Expr::Var(name, span))
                }
            }
            Tok::Op('(') => {
                self.enter(span)?;
                let e = self.expr()?;
                self.depth -= 1;
                if !self.eat(')') {
                    return Err(ParseError {
                        kind: ParseErrorKind::Syntax,
                        message: "missing `)`".into(),
                        hint: Some("close every `(` with a `)`".into()),
                        span: self.here(),
                    });
                }
                Ok(e)
            }
            Tok::Op(c) => Err(ParseError {
                kind: ParseErrorKind::Syntax,
                message: format!("expected a value, found `{c}`"),
                hint: None,
                span,
            }),
        }
    }

    fn call(&mut self, name: &str, span: Range<usize>) -> Result<Expr, ParseError> {
        let Some((_, func)) = FUNCS.iter().find(|(n, _)| *n == name) else {
            return Err(ParseError {
                kind: ParseErrorKind::Syntax,
                message: format!("unknown function `{name}`"),
                hint: Some(
                    crate::diag::did_you_mean(name, FUNCS.iter().map(|(n, _)| *n)).unwrap_or_else(
                        || "the functions are min(...), max(...) and abs(x)".into(),
                    ),
                ),
                span,
            });
        };
        let mut args = Vec::new();
        if !self.eat(')') {
            loop {
                args.push(self.expr()?);
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(ParseError {
                        kind: ParseErrorKind::Syntax,
                        message: format!("expected `,` or `)` in the call of `{name}`"),
                        hint: None,
                        span: self.here(),
                    });
                }
            }
        }
        let ok = match func {
            Func::Abs => args.len() == 1,
            Func::Min | Func::Max => !args.is_empty(),
        };
        if !ok {
            return Err(ParseError {
                kind: ParseErrorKind::Syntax,
                message: format!(
                    "`{name}` takes {}",
                    if *func == Func::Abs {
                        "exactly one argument"
                    } else {
                        "at least one argument"
                    }
                ),
                hint: None,
                span,
            });
        }
        Ok(Expr::Call(*func, args))
    }
}

impl Expr {
    /// Every id the formula reads, in order of appearance (with repeats).
    pub fn vars(&self) -> Vec<(&str, Range<usize>)> {
        let mut out = Vec::new();
        self.collect_vars(&mut out);
        out
    }

    fn collect_vars<'a>(&'a self, out: &mut Vec<(&'a str, Range<usize>)>) {
        match self {
            Expr::Num(_) => {}
            Expr::Var(n, s) => out.push((n, s.clone())),
            Expr::Neg(e) => e.collect_vars(out),
            Expr::Chain(first, rest) => {
                first.collect_vars(out);
                rest.iter().for_each(|(_, e)| e.collect_vars(out));
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.collect_vars(out)),
        }
    }

    /// Evaluates with checked decimal arithmetic. Every operand without a
    /// value is named, so the reason tells the user all that is missing.
    pub fn eval(&self, value_of: &dyn Fn(&str) -> Option<Decimal>) -> Result<Decimal, EvalError> {
        let mut missing: Vec<String> = Vec::new();
        for (v, _) in self.vars() {
            if value_of(v).is_none() && !missing.iter().any(|m| m == v) {
                missing.push(v.to_string());
            }
        }
        if !missing.is_empty() {
            return Err(EvalError::Needs(missing));
        }
        self.eval_present(&mut |v| value_of(v))
    }

    /// [`Expr::eval`] where the caller has already looked up every
    /// variable: `values[i]` is the value of the `i`-th of [`Expr::vars`]
    /// (repeats included), so no id is looked up by name. The same result,
    /// error included.
    pub fn eval_values(&self, values: &[Option<Decimal>]) -> Result<Decimal, EvalError> {
        debug_assert_eq!(values.len(), self.vars().len());
        if values.iter().any(Option::is_none) {
            let vars = self.vars();
            let value_of = |id: &str| {
                let i = vars.iter().position(|(v, _)| *v == id)?;
                values[i]
            };
            return self.eval(&value_of);
        }
        // Variables are evaluated in the order `vars` lists them.
        let mut next = values.iter().flatten().copied();
        self.eval_present(&mut |_| next.next())
    }

    fn eval_present(
        &self,
        value_of: &mut dyn FnMut(&str) -> Option<Decimal>,
    ) -> Result<Decimal, EvalError> {
        Ok(match self {
            Expr::Num(n) => *n,
            Expr::Var(v, _) => value_of(v).ok_or_else(|| EvalError::Needs(vec![v.clone()]))?,
            Expr::Neg(e) => -e.eval_present(value_of)?,
            Expr::Chain(first, rest) => {
                let mut acc = first.eval_present(value_of)?;
                for (op, e) in rest {
                    let b = e.eval_present(value_of)?;
                    // Normalized after every step, as nested binary
                    // operations would be: the scale of one step's result
                    // decides how the next one rounds.
                    acc = op.apply(acc, b)?.normalize();
                }
                acc
            }
            Expr::Call(f, args) => {
                let vals = args
                    .iter()
                    .map(|a| a.eval_present(value_of))
                    .collect::<Result<Vec<_>, _>>()?;
                match f {
                    Func::Abs => vals[0].abs(),
                    Func::Min => vals.into_iter().min().expect("arity checked at parse"),
                    Func::Max => vals.into_iter().max().expect("arity checked at parse"),
                }
            }
        }
        .normalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn eval(f: &str, env: &[(&str, &str)]) -> Result<Decimal, EvalError> {
        let env: HashMap<&str, Decimal> = env.iter().map(|(k, v)| (*k, d(v))).collect();
        parse(f).unwrap().eval(&|id| env.get(id).copied())
    }

    #[test]
    fn clv_worked_example_is_exact() {
        let v = eval(
            "avg_order_value * orders_per_year * lifespan_years * gross_margin - cac",
            &[
                ("avg_order_value", "100"),
                ("orders_per_year", "12"),
                ("lifespan_years", "3"),
                ("gross_margin", "0.4"),
                ("cac", "200"),
            ],
        );
        assert_eq!(v, Ok(d("1240")));
    }

    #[test]
    fn precedence_and_left_associativity() {
        assert_eq!(eval("2 + 3 * 4", &[]), Ok(d("14")));
        assert_eq!(eval("10 - 4 - 3", &[]), Ok(d("3")));
        assert_eq!(eval("24 / 4 / 2", &[]), Ok(d("3")));
        assert_eq!(eval("-(2 - 5) * 2", &[]), Ok(d("6")));
        assert_eq!(eval("--3", &[]), Ok(d("3")));
        assert_eq!(eval("min(3, 1, 2) + max(1, 7) + abs(-2)", &[]), Ok(d("10")));
    }

    #[test]
    fn missing_zero_and_overflow_are_reasons() {
        assert_eq!(
            eval("lost / start_count", &[("start_count", "3")]),
            Err(EvalError::Needs(vec!["lost".into()]))
        );
        assert_eq!(
            eval("a + b + a", &[]),
            Err(EvalError::Needs(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            eval("lost / n", &[("lost", "1"), ("n", "0")]),
            Err(EvalError::DivisionByZero)
        );
        assert_eq!(
            eval("x * x * x", &[("x", "79228162514264337593543950335")]),
            Err(EvalError::Overflow)
        );
        assert_eq!(
            EvalError::Needs(vec!["lost".into()]).to_string(),
            "needs lost"
        );
    }

    #[test]
    fn parse_errors_point_at_the_problem() {
        let e = parse("a + * b").unwrap_err();
        assert_eq!(e.span, 4..5);
        let e = parse("(a + b").unwrap_err();
        assert_eq!(e.message, "missing `)`");
        let e = parse("sqrt(a)").unwrap_err();
        assert_eq!(e.message, "unknown function `sqrt`");
        let e = parse("a $ b").unwrap_err();
        assert_eq!(e.span, 2..3);
        assert!(parse("abs(1, 2)").is_err());
        assert!(parse("a b").is_err());
        assert!(parse("   ").is_err());
    }

    #[test]
    fn values_by_position_give_what_names_give() {
        let env: HashMap<&str, Decimal> = [("won", "87"), ("leads", "312"), ("z", "0")]
            .iter()
            .map(|(k, v)| (*k, d(v)))
            .collect();
        let lookup = |id: &str| env.get(id).copied();
        for f in [
            "won / leads",
            "won / leads * 100 - won",
            "min(won, leads, -won) + abs(leads - won) / 7",
            "won / z",
            "won / missing + missing - other",
            "won * won * won * won * won * won * won * won * won * won * won * won * won * won * won",
        ] {
            let e = parse(f).unwrap();
            let values: Vec<Option<Decimal>> = e.vars().iter().map(|(v, _)| lookup(v)).collect();
            assert_eq!(e.eval_values(&values), e.eval(&lookup), "{f}");
        }
        // The quotient is `checked_div`'s, normalized.
        assert_eq!(
            eval("87 / 312", &[]),
            Ok(d("87").checked_div(d("312")).unwrap().normalize())
        );
        assert_eq!(eval("1 / 2", &[]), Ok(d("0.5")));
    }

    fn nested(levels: usize) -> String {
        format!("{}x{}", "(".repeat(levels), ")".repeat(levels))
    }

    #[test]
    fn nesting_up_to_the_limit_parses() {
        assert_eq!(MAX_DEPTH, 64);
        let x = [("x", "7")];
        assert_eq!(eval(&nested(64), &x), Ok(d("7")));
        // Each unary minus and each call counts one level as well.
        let negs = format!("{}x", "-".repeat(64));
        assert_eq!(eval(&negs, &x), Ok(d("7")));
        let calls = format!("{}x{}", "abs(".repeat(64), ")".repeat(64));
        assert_eq!(eval(&calls, &x), Ok(d("7")));
        let mixed = format!("{}x{}", "-(".repeat(32), ")".repeat(32));
        assert_eq!(eval(&mixed, &x), Ok(d("7")));
        // Unary plus builds nothing, so it nests nothing.
        let plus = format!("{}x", "+".repeat(30_000));
        assert_eq!(eval(&plus, &x), Ok(d("7")));
    }

    #[test]
    fn nesting_past_the_limit_is_reported_where_it_is_crossed() {
        let e = parse(&nested(65)).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::TooDeep);
        assert_eq!(e.message, "formula nests deeper than 64 levels");
        // The 65th `(`, not the first or the last.
        assert_eq!(e.span, 64..65);
        let e = parse(&format!("a + {}", nested(10_000))).unwrap_err();
        assert_eq!((e.kind, e.span), (ParseErrorKind::TooDeep, 68..69));
        let e = parse(&format!("{}x", "- ".repeat(30_000))).unwrap_err();
        assert_eq!((e.kind, e.span), (ParseErrorKind::TooDeep, 128..129));
        let e = parse(&format!("{}x", "min(1, ".repeat(100))).unwrap_err();
        assert_eq!((e.kind, e.span), (ParseErrorKind::TooDeep, 448..451));
        // Other mistakes are syntax errors.
        assert_eq!(parse("(a").unwrap_err().kind, ParseErrorKind::Syntax);
    }

    #[test]
    fn long_chains_evaluate_exactly() {
        let n = 30_000;
        let sum = vec!["x"; n].join(" + ");
        assert_eq!(eval(&sum, &[("x", "0.1")]), Ok(d("3000")));
        let factors: Vec<&str> = (0..n)
            .map(|i| if i % 1000 == 0 { "2" } else { "x" })
            .collect();
        assert_eq!(
            eval(&factors.join(" * "), &[("x", "1")]),
            Ok(d("1073741824"))
        );
        assert_eq!(
            eval(&vec!["10"; n].join(" * "), &[]),
            Err(EvalError::Overflow)
        );
        // Left to right: 1 - x - x - ... and 10^6 / 10 / 10 / ...
        let diff = format!("1 - {}", vec!["x"; n].join(" - "));
        assert_eq!(eval(&diff, &[("x", "1")]), Ok(d("-29999")));
        let quot = format!("1000000 / {}", ["10"; 6].join(" / "));
        assert_eq!(eval(&quot, &[]), Ok(d("1")));
        let e = parse(&sum).unwrap();
        assert_eq!(e.vars().len(), n);
        let values = vec![Some(d("0.1")); n];
        assert_eq!(e.eval_values(&values), Ok(d("3000")));
        // Dropping and cloning the tree recurse no deeper than it nests.
        drop(e.clone());
    }

    #[test]
    fn mixed_chains_keep_precedence_and_order() {
        assert_eq!(eval("2 - 3 * 4 - 5 / 5 + 1", &[]), Ok(d("-10")));
        assert_eq!(eval("2 * 3 - 4 * 5 * 6 / 8 / 3", &[]), Ok(d("1")));
        // Each step is rounded in turn: 1 / 3 first, then times 3.
        assert_eq!(
            eval("1 / 3 * 3", &[]),
            Ok(d("0.9999999999999999999999999999"))
        );
        assert_eq!(eval("3 * 1 / 3", &[]), Ok(d("1")));
        // The first error in evaluation order wins.
        assert_eq!(
            eval("1 / 0 + x * x", &[("x", "79228162514264337593543950335")]),
            Err(EvalError::DivisionByZero)
        );
        assert_eq!(
            eval("x * x + 1 / 0", &[("x", "79228162514264337593543950335")]),
            Err(EvalError::Overflow)
        );
    }

    #[test]
    fn chains_round_as_nested_left_operations_did() {
        // A chain must give what the left-nested binary tree it replaced
        // gave: each operation checked, in turn, its result normalized.
        let step = |op: &str, a: Decimal, b: Decimal| -> Option<Decimal> {
            let r = match op {
                "+" => a.checked_add(b),
                "-" => a.checked_sub(b),
                "*" => a.checked_mul(b),
                _ => crate::score::exact::div_normalized(a, b),
            };
            r.map(|r| r.normalize())
        };
        let values = [
            "3",
            "0.1",
            "7.000",
            "-2.5",
            "0.3333333333333333333333333333",
            "79228162514264337593543950",
            "0.0000000000000000000000000007",
        ];
        let n = values.len();
        for ops in [["+", "-"], ["*", "/"]] {
            for i in 0..n {
                for j in 0..n {
                    let terms =
                        [i, j, (i + j) % n, (i * j + 1) % n, (i + 3) % n].map(|k| values[k]);
                    let mut text = terms[0].to_string();
                    let mut want = Some(d(terms[0]).normalize());
                    for (k, t) in terms[1..].iter().enumerate() {
                        let op = ops[(i + j + k) % 2];
                        text = format!("{text} {op} {t}");
                        want = want.and_then(|w| step(op, w, d(t)));
                    }
                    match want {
                        Some(w) => assert_eq!(eval(&text, &[]), Ok(w), "{text}"),
                        None => assert!(eval(&text, &[]).is_err(), "{text}"),
                    }
                }
            }
        }
    }

    #[test]
    fn vars_in_order() {
        let e = parse("lost / start_count + lost").unwrap();
        let names: Vec<&str> = e.vars().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["lost", "start_count", "lost"]);
    }
}
