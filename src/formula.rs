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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
}

const FUNCS: [(&str, Func); 3] = [("min", Func::Min), ("max", Func::Max), ("abs", Func::Abs)];

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(Decimal),
    /// An input or indicator id; the span is a byte range of the formula text.
    Var(String, Range<usize>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
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
}

/// Parses a formula. Precedence as in arithmetic; `-` and `/` associate left.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err(ParseError {
            message: "formula is empty".into(),
            hint: Some("write an expression such as `lost / start_count`".into()),
            span: 0..text.len(),
        });
    }
    let mut p = Parser {
        toks,
        pos: 0,
        end: text.len(),
    };
    let e = p.expr()?;
    if let Some((t, span)) = p.toks.get(p.pos) {
        let message = match t {
            Tok::Op(')') => "unmatched `)`".to_string(),
            _ => "expected an operator here".to_string(),
        };
        return Err(ParseError {
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

    fn expr(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.term()?;
        loop {
            let op = if self.eat('+') {
                BinOp::Add
            } else if self.eat('-') {
                BinOp::Sub
            } else {
                return Ok(lhs);
            };
            let rhs = self.term()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn term(&mut self) -> Result<Expr, ParseError> {
        let mut lhs = self.unary()?;
        loop {
            let op = if self.eat('*') {
                BinOp::Mul
            } else if self.eat('/') {
                BinOp::Div
            } else {
                return Ok(lhs);
            };
            let rhs = self.unary()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat('-') {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat('+') {
            return self.unary();
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ParseError> {
        let span = self.here();
        let Some((tok, _)) = self.toks.get(self.pos).cloned() else {
            return Err(ParseError {
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
                    self.call(&name, span)
                } else {
                    Ok(Expr::Var(name, span))
                }
            }
            Tok::Op('(') => {
                let e = self.expr()?;
                if !self.eat(')') {
                    return Err(ParseError {
                        message: "missing `)`".into(),
                        hint: Some("close every `(` with a `)`".into()),
                        span: self.here(),
                    });
                }
                Ok(e)
            }
            Tok::Op(c) => Err(ParseError {
                message: format!("expected a value, found `{c}`"),
                hint: None,
                span,
            }),
        }
    }

    fn call(&mut self, name: &str, span: Range<usize>) -> Result<Expr, ParseError> {
        let Some((_, func)) = FUNCS.iter().find(|(n, _)| *n == name) else {
            return Err(ParseError {
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
            Expr::Bin(_, a, b) => {
                a.collect_vars(out);
                b.collect_vars(out);
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
            Expr::Bin(op, a, b) => {
                let a = a.eval_present(value_of)?;
                let b = b.eval_present(value_of)?;
                match op {
                    BinOp::Add => a.checked_add(b).ok_or(EvalError::Overflow)?,
                    BinOp::Sub => a.checked_sub(b).ok_or(EvalError::Overflow)?,
                    BinOp::Mul => a.checked_mul(b).ok_or(EvalError::Overflow)?,
                    BinOp::Div => {
                        if b.is_zero() {
                            return Err(EvalError::DivisionByZero);
                        }
                        // `checked_div` in integers where it can; the scale
                        // need not follow it, the result is normalized below.
                        crate::score::exact::div_normalized(a, b).ok_or(EvalError::Overflow)?
                    }
                }
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

    #[test]
    fn vars_in_order() {
        let e = parse("lost / start_count + lost").unwrap();
        let names: Vec<&str> = e.vars().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["lost", "start_count", "lost"]);
    }
}
