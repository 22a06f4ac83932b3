//! Formulas of computed indicators (SPEC §5, §13): a small expression
//! language over exact decimals. Parsed and type-checked once during
//! validation; evaluated by `score` with checked arithmetic, so a bad
//! operand yields a reason, not a panic or a wrong number.
//!
//! A parsed [`Expr`] is a tree of [`Node`]s and a table of [`Operand`]s:
//! every id the formula reads, with how many periods back it reads it
//! (`prev`, `lag`) and whether it reads the value or the target or baseline
//! in force. The caller looks the operands up once, in the table's order,
//! and evaluation reads them by position: no id is hashed per evaluation.

mod math;

use std::ops::Range;

use rust_decimal::Decimal;

pub use math::EXACT_POW;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    /// Checked decimal arithmetic: an error, never a panic.
    fn apply(self, a: Decimal, b: Decimal) -> Result<Decimal, Fail> {
        match self {
            BinOp::Add => a.checked_add(b).ok_or(Fail::Overflow),
            BinOp::Sub => a.checked_sub(b).ok_or(Fail::Overflow),
            BinOp::Mul => a.checked_mul(b).ok_or(Fail::Overflow),
            BinOp::Div => {
                if b.is_zero() {
                    return Err(Fail::DivisionByZero);
                }
                // `checked_div` in integers where it can; the scale need
                // not follow it, the result is normalized by the caller.
                crate::score::exact::div_normalized(a, b).ok_or(Fail::Overflow)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    fn holds(self, a: Decimal, b: Decimal) -> bool {
        match self {
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    Abs,
    If,
    Pow,
    Sqrt,
    Ln,
    Exp,
    Round,
    Floor,
    Ceil,
    Coalesce,
}

/// What a name followed by `(` calls. `prev`, `lag`, `target` and
/// `baseline` select operands rather than compute, so they build no node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Callee {
    Func(Func),
    Prev,
    Lag,
    Read(Kind),
}

/// Every function, with how many arguments it takes (`None`: one or more).
const FUNCS: [(&str, Callee, Option<usize>); 16] = [
    ("min", Callee::Func(Func::Min), None),
    ("max", Callee::Func(Func::Max), None),
    ("abs", Callee::Func(Func::Abs), Some(1)),
    ("if", Callee::Func(Func::If), Some(3)),
    ("pow", Callee::Func(Func::Pow), Some(2)),
    ("sqrt", Callee::Func(Func::Sqrt), Some(1)),
    ("ln", Callee::Func(Func::Ln), Some(1)),
    ("exp", Callee::Func(Func::Exp), Some(1)),
    ("round", Callee::Func(Func::Round), Some(2)),
    ("floor", Callee::Func(Func::Floor), Some(1)),
    ("ceil", Callee::Func(Func::Ceil), Some(1)),
    ("coalesce", Callee::Func(Func::Coalesce), None),
    ("target", Callee::Read(Kind::Target), Some(1)),
    ("baseline", Callee::Read(Kind::Baseline), Some(1)),
    ("prev", Callee::Prev, Some(1)),
    ("lag", Callee::Lag, Some(2)),
];

/// The largest `k` of `lag(x, k)`: more periods than any history holds.
pub const MAX_LAG: u32 = 1000;

/// How deep a formula may nest (SPEC §13). Each `(`, each unary minus,
/// each `not` and each function call opens one level; a chain of `+ -`,
/// `* /`, `and` or `or` operands opens none, however long. Every walk over
/// a [`Node`] recurses about as deep as it nests, so this limit is what
/// keeps parsing, evaluation, clone and drop off the end of the stack, on
/// every thread.
pub const MAX_DEPTH: usize = 64;

/// What an operand reads of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The actual value of an input or indicator, or a constant.
    Value,
    /// `target(id)`: the target in force (SPEC §10).
    Target,
    /// `baseline(id)`: the baseline in force.
    Baseline,
}

/// One id a formula reads, where, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    pub id: String,
    /// Byte range of the id in the formula text.
    pub span: Range<usize>,
    pub kind: Kind,
    /// Periods back (`prev`, `lag`; nested ones add up); 0 is the
    /// evaluated period.
    pub lag: u32,
}

impl Operand {
    /// How a reason names the operand: `revenue`, `target(revenue)`, with
    /// `in 2026-Q2` when it is read in an earlier period.
    pub fn describe(&self, back: &dyn Fn(u32) -> String) -> String {
        let name = match self.kind {
            Kind::Value => self.id.clone(),
            Kind::Target => format!("target({})", self.id),
            Kind::Baseline => format!("baseline({})", self.id),
        };
        if self.lag == 0 {
            name
        } else {
            format!("{name} {}", back(self.lag))
        }
    }
}

/// A node of a formula's tree; types were checked when it was parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Num(Decimal),
    /// The value of `operands[i]`.
    Var(usize),
    Neg(Box<Node>),
    /// `first op rest[0].1 op rest[1].1 ...`, operators of one precedence
    /// level, applied left to right. A flat list rather than nested binary
    /// nodes, so a 30,000-term sum is one node, not a tree 30,000 deep.
    Chain(Box<Node>, Vec<(BinOp, Node)>),
    Call(Func, Vec<Node>),
    /// A truth value.
    Cmp(CmpOp, Box<(Node, Node)>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub root: Node,
    /// Every id read, in order of appearance (with repeats).
    pub operands: Vec<Operand>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not a formula of the language (E017).
    Syntax,
    /// Nests deeper than [`MAX_DEPTH`]; the span is where the limit is
    /// crossed (E060).
    TooDeep,
    /// A function called with the wrong number of arguments (E061).
    Arity,
    /// A truth value where a number belongs, or the reverse (E062).
    Type,
    /// An argument that must be a literal is not one, or is out of range
    /// (E063).
    Literal,
    /// `target()` / `baseline()` of something that is not an id (E064).
    Read,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub message: String,
    pub hint: Option<String>,
    /// Byte range of the formula text.
    pub span: Range<usize>,
}

/// Why a formula has no value, as evaluation finds it: missing operands by
/// position in [`Expr::operands`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    Needs(Vec<usize>),
    DivisionByZero,
    Overflow,
    /// A function outside its domain (`sqrt` of a negative number).
    Domain(&'static str),
}

impl Fail {
    /// Two operands' failures as one: missing operands say the most (all
    /// of them are named), else the first failure in evaluation order.
    fn and(self, later: Fail) -> Fail {
        match (self, later) {
            (Fail::Needs(mut a), Fail::Needs(b)) => {
                a.extend(b);
                Fail::Needs(a)
            }
            (Fail::Needs(a), _) | (_, Fail::Needs(a)) => Fail::Needs(a),
            (first, _) => first,
        }
    }
}

/// Why a formula has no value: the indicator's reason (SPEC §8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// Operands without a value, in order of appearance, each once.
    Needs(Vec<String>),
    DivisionByZero,
    Overflow,
    Domain(&'static str),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::Needs(ids) => write!(f, "needs {}", ids.join(", ")),
            EvalError::DivisionByZero => f.write_str("division by zero"),
            EvalError::Overflow => f.write_str("overflow"),
            EvalError::Domain(why) => f.write_str(why),
        }
    }
}

/// How a reason says "k periods back" when the caller knows no labels.
pub fn periods_back(k: u32) -> String {
    if k == 1 {
        "in the previous period".into()
    } else {
        format!("{k} periods back")
    }
}

/// A token; an identifier's name is the text of its span (nothing is
/// allocated per token).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Num(Decimal),
    Ident,
    Op(char),
    Cmp(CmpOp),
}

fn syntax(message: impl Into<String>, hint: Option<&str>, span: Range<usize>) -> ParseError {
    ParseError {
        kind: ParseErrorKind::Syntax,
        message: message.into(),
        hint: hint.map(str::to_string),
        span,
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, Range<usize>)>, ParseError> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().expect("in bounds");
        let start = i;
        let next = bytes.get(i + 1).copied();
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|b| b.is_ascii_digit())) {
            while i < text.len()
                && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'_')
            {
                i += 1;
            }
            let lit = text[start..i].replace('_', "");
            let n = Decimal::from_str_exact(&lit).map_err(|_| {
                syntax(
                    format!(
                        "`{}` is not a number bsc can represent exactly",
                        &text[start..i]
                    ),
                    Some("use at most 28 significant digits"),
                    start..i,
                )
            })?;
            out.push((Tok::Num(n), start..i));
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < text.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident, start..i));
        } else if "+-*/(),".contains(c) {
            i += 1;
            out.push((Tok::Op(c), start..i));
        } else if "<>=!".contains(c) {
            let eq = next == Some(b'=');
            let op = match (c, eq) {
                ('<', false) => CmpOp::Lt,
                ('<', true) => CmpOp::Le,
                ('>', false) => CmpOp::Gt,
                ('>', true) => CmpOp::Ge,
                ('=', true) => CmpOp::Eq,
                ('!', true) => CmpOp::Ne,
                ('=', false) => {
                    return Err(syntax(
                        "`=` is not an operator of formulas",
                        Some("use `==` to compare"),
                        start..start + 1,
                    ));
                }
                _ => {
                    return Err(syntax(
                        "`!` is not an operator of formulas",
                        Some("use `not` to negate, `!=` for \"differs\""),
                        start..start + 1,
                    ));
                }
            };
            i += 1 + usize::from(eq);
            out.push((Tok::Cmp(op), start..i));
        } else {
            let hint = match (c, next) {
                ('&', Some(b'&')) => "use `and`",
                ('|', Some(b'|')) => "use `or`",
                _ => {
                    "formulas use numbers, ids, + - * /, comparisons, and/or/not, \
                     parentheses and functions such as min, max, if, pow"
                }
            };
            return Err(syntax(
                format!("unexpected character `{c}` in formula"),
                Some(hint),
                start..start + c.len_utf8(),
            ));
        }
    }
    Ok(out)
}

/// Whether a parsed piece is a number or a truth value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Number,
    Truth,
}

/// A parsed piece: its node, type and where it is in the text.
struct Piece {
    node: Node,
    ty: Ty,
    span: Range<usize>,
    /// A literal as written (`lag`'s `k`, `round`'s places).
    literal: Option<Decimal>,
}

struct Parser<'t> {
    text: &'t str,
    toks: Vec<(Tok, Range<usize>)>,
    pos: usize,
    /// Levels open at `pos` (see [`MAX_DEPTH`]).
    depth: usize,
    operands: Vec<Operand>,
}

/// Parses and type-checks a formula. Precedence, loosest first: `or`,
/// `and`, `not`, comparisons, `+ -`, `* /`, unary minus; `-` and `/`
/// associate left; comparisons do not chain. Nesting past [`MAX_DEPTH`] is
/// a [`ParseErrorKind::TooDeep`] error.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err(syntax(
            "formula is empty",
            Some("write an expression such as `lost / start_count`"),
            0..text.len(),
        ));
    }
    let mut p = Parser {
        text,
        toks,
        pos: 0,
        depth: 0,
        operands: Vec::new(),
    };
    let e = p.or()?;
    if let Some((t, span)) = p.toks.get(p.pos) {
        let message = match t {
            Tok::Op(')') => "unmatched `)`",
            Tok::Cmp(_) => "comparisons do not chain",
            _ => "expected an operator here",
        };
        let hint = matches!(t, Tok::Cmp(_)).then_some("write `a < b and b < c`");
        let kind = if matches!(t, Tok::Cmp(_)) {
            ParseErrorKind::Type
        } else {
            ParseErrorKind::Syntax
        };
        return Err(ParseError {
            kind,
            ..syntax(message, hint, span.clone())
        });
    }
    if e.ty == Ty::Truth {
        return Err(ParseError {
            kind: ParseErrorKind::Type,
            message: "the formula gives a truth value, not a number".into(),
            hint: Some("an indicator's value is a number: write `if(condition, 1, 0)`".into()),
            span: e.span,
        });
    }
    p.operands.shrink_to_fit();
    Ok(Expr {
        root: e.node,
        operands: p.operands,
    })
}

impl<'t> Parser<'t> {
    /// The current token's name, when it is an identifier.
    fn word(&self) -> Option<&'t str> {
        match self.toks.get(self.pos) {
            Some((Tok::Ident, span)) => Some(&self.text[span.clone()]),
            _ => None,
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn here(&self) -> Range<usize> {
        self.toks
            .get(self.pos)
            .map(|(_, s)| s.clone())
            .unwrap_or(self.text.len()..self.text.len())
    }

    /// End of the last token read.
    fn end(&self) -> usize {
        self.pos.checked_sub(1).map_or(0, |p| self.toks[p].1.end)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Op(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.word() == Some(w) {
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
                    "each `(`, unary minus, `not` and function call opens a level; \
                     move part of the formula into an indicator of its own"
                        .into(),
                ),
                span,
            });
        }
        self.depth += 1;
        Ok(())
    }

    /// A piece of type `want` where `op` (at `at`) uses it.
    fn expect(&self, p: &Piece, want: Ty, op: &str, at: Range<usize>) -> Result<(), ParseError> {
        if p.ty == want {
            return Ok(());
        }
        let piece = &self.text[p.span.clone()];
        let (message, hint) = match want {
            Ty::Number => (
                format!("`{op}` needs a number, but `{piece}` is a truth value"),
                "a comparison, `and`, `or` or `not` may only be the condition of `if(...)` \
                 or an operand of `and`, `or`, `not`",
            ),
            Ty::Truth => (
                format!("`{op}` needs a truth value, but `{piece}` is a number"),
                "compare it, for example `x > 0`",
            ),
        };
        Err(ParseError {
            kind: ParseErrorKind::Type,
            message,
            hint: Some(hint.into()),
            span: at,
        })
    }

    /// `a or b or ...` and `a and b and ...`: flat lists of truth values.
    fn or(&mut self) -> Result<Piece, ParseError> {
        self.logic("or", Self::and, Node::Or)
    }

    fn and(&mut self) -> Result<Piece, ParseError> {
        self.logic("and", Self::not, Node::And)
    }

    fn logic(
        &mut self,
        word: &str,
        operand: fn(&mut Self) -> Result<Piece, ParseError>,
        build: fn(Vec<Node>) -> Node,
    ) -> Result<Piece, ParseError> {
        let first = operand(self)?;
        if self.word() != Some(word) {
            return Ok(first);
        }
        let start = first.span.start;
        let mut at = self.here();
        self.expect(&first, Ty::Truth, word, at.clone())?;
        let mut items = vec![first.node];
        while self.eat_word(word) {
            let next = operand(self)?;
            self.expect(&next, Ty::Truth, word, at.clone())?;
            items.push(next.node);
            at = self.here();
        }
        items.shrink_to_fit();
        Ok(Piece {
            node: build(items),
            ty: Ty::Truth,
            span: start..self.end(),
            literal: None,
        })
    }

    /// A run of `not` is read in a loop, each one a level.
    fn not(&mut self) -> Result<Piece, ParseError> {
        let mut nots = Vec::new();
        while self.word() == Some("not") {
            let at = self.here();
            self.enter(at.clone())?;
            self.pos += 1;
            nots.push(at);
        }
        let mut p = self.comparison()?;
        self.depth -= nots.len();
        for at in nots.into_iter().rev() {
            self.expect(&p, Ty::Truth, "not", at.clone())?;
            p = Piece {
                node: Node::Not(Box::new(p.node)),
                ty: Ty::Truth,
                span: at.start..p.span.end,
                literal: None,
            };
        }
        Ok(p)
    }

    fn comparison(&mut self) -> Result<Piece, ParseError> {
        let left = self.sum()?;
        let Some(Tok::Cmp(op)) = self.peek().copied() else {
            return Ok(left);
        };
        let at = self.here();
        let sym = &self.text[at.clone()];
        self.pos += 1;
        let right = self.sum()?;
        self.expect(&left, Ty::Number, sym, at.clone())?;
        self.expect(&right, Ty::Number, sym, at)?;
        if let Some(Tok::Cmp(_)) = self.peek() {
            return Err(ParseError {
                kind: ParseErrorKind::Type,
                message: "comparisons do not chain".into(),
                hint: Some("write `a < b and b < c`".into()),
                span: self.here(),
            });
        }
        Ok(Piece {
            node: Node::Cmp(op, Box::new((left.node, right.node))),
            ty: Ty::Truth,
            span: left.span.start..right.span.end,
            literal: None,
        })
    }

    fn sum(&mut self) -> Result<Piece, ParseError> {
        self.chain([('+', BinOp::Add), ('-', BinOp::Sub)], Self::term)
    }

    fn term(&mut self) -> Result<Piece, ParseError> {
        self.chain([('*', BinOp::Mul), ('/', BinOp::Div)], Self::unary)
    }

    /// Operands joined by the operators of one precedence level, read in a
    /// loop into one [`Node::Chain`].
    fn chain(
        &mut self,
        ops: [(char, BinOp); 2],
        operand: fn(&mut Self) -> Result<Piece, ParseError>,
    ) -> Result<Piece, ParseError> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        let mut end = first.span.end;
        loop {
            let at = self.here();
            let Some(&(c, op)) = ops.iter().find(|(c, _)| self.eat(*c)) else {
                break;
            };
            let sym = if c == '+' {
                "+"
            } else if c == '-' {
                "-"
            } else if c == '*' {
                "*"
            } else {
                "/"
            };
            if rest.is_empty() {
                self.expect(&first, Ty::Number, sym, at.clone())?;
            }
            let next = operand(self)?;
            self.expect(&next, Ty::Number, sym, at)?;
            end = next.span.end;
            rest.push((op, next.node));
        }
        rest.shrink_to_fit();
        Ok(if rest.is_empty() {
            first
        } else {
            Piece {
                span: first.span.start..end,
                node: Node::Chain(Box::new(first.node), rest),
                ty: Ty::Number,
                literal: None,
            }
        })
    }

    /// A run of signs is read in a loop, not by recursion: `+` builds
    /// nothing, each `-` a negation and a level.
    fn unary(&mut self) -> Result<Piece, ParseError> {
        let mut negs = Vec::new();
        loop {
            if self.peek() == Some(&Tok::Op('-')) {
                let at = self.here();
                self.enter(at.clone())?;
                self.pos += 1;
                negs.push(at);
            } else if !self.eat('+') {
                break;
            }
        }
        let mut p = self.atom()?;
        self.depth -= negs.len();
        for at in negs.into_iter().rev() {
            self.expect(&p, Ty::Number, "-", at.clone())?;
            p = Piece {
                node: Node::Neg(Box::new(p.node)),
                ty: Ty::Number,
                span: at.start..p.span.end,
                literal: None,
            };
        }
        Ok(p)
    }

    fn atom(&mut self) -> Result<Piece, ParseError> {
        let span = self.here();
        let Some(&(tok, _)) = self.toks.get(self.pos) else {
            return Err(syntax(
                "formula ends where a value was expected",
                Some("complete the expression"),
                span,
            ));
        };
        self.pos += 1;
        match tok {
            Tok::Num(n) => Ok(Piece {
                node: Node::Num(n),
                ty: Ty::Number,
                span,
                literal: Some(n),
            }),
            Tok::Ident if self.peek() == Some(&Tok::Op('(')) => {
                self.pos += 1;
                self.enter(span.clone())?;
                let call = self.call(&self.text[span.clone()], span)?;
                self.depth -= 1;
                Ok(call)
            }
            Tok::Ident if ["and", "or", "not"].contains(&&self.text[span.clone()]) => Err(syntax(
                format!("expected a value, found `{}`", &self.text[span.clone()]),
                Some("`and`, `or` and `not` join truth values"),
                span,
            )),
            Tok::Ident => Ok(self.operand(self.text[span.clone()].to_string(), span, Kind::Value)),
            Tok::Op('(') => {
                self.enter(span.clone())?;
                let e = self.or()?;
                self.depth -= 1;
                if !self.eat(')') {
                    return Err(syntax(
                        "missing `)`",
                        Some("close every `(` with a `)`"),
                        self.here(),
                    ));
                }
                Ok(Piece {
                    span: span.start..self.end(),
                    literal: None,
                    ..e
                })
            }
            Tok::Op(c) => Err(syntax(format!("expected a value, found `{c}`"), None, span)),
            Tok::Cmp(_) => Err(syntax(
                format!("expected a value, found `{}`", &self.text[span.clone()]),
                None,
                span,
            )),
        }
    }

    fn operand(&mut self, id: String, span: Range<usize>, kind: Kind) -> Piece {
        self.operands.push(Operand {
            id,
            span: span.clone(),
            kind,
            lag: 0,
        });
        Piece {
            node: Node::Var(self.operands.len() - 1),
            ty: Ty::Number,
            span,
            literal: None,
        }
    }

    fn call(&mut self, name: &str, span: Range<usize>) -> Result<Piece, ParseError> {
        let Some(&(_, callee, arity)) = FUNCS.iter().find(|(n, ..)| *n == name) else {
            return Err(syntax(
                format!("unknown function `{name}`"),
                Some(
                    &crate::diag::did_you_mean(name, FUNCS.iter().map(|(n, ..)| *n))
                        .unwrap_or_else(|| {
                            "the functions are min, max, abs, if, pow, sqrt, ln, exp, round, \
                             floor, ceil, coalesce, target, baseline, prev and lag"
                                .into()
                        }),
                ),
                span,
            ));
        };
        if let Callee::Read(kind) = callee {
            return self.read(name, kind, span);
        }
        let first_operand = self.operands.len();
        let mut args = Vec::new();
        if !self.eat(')') {
            loop {
                args.push(self.or()?);
                if self.eat(')') {
                    break;
                }
                if !self.eat(',') {
                    return Err(syntax(
                        format!("expected `,` or `)` in the call of `{name}`"),
                        None,
                        self.here(),
                    ));
                }
            }
        }
        let whole = span.start..self.end();
        let ok = match arity {
            Some(n) => args.len() == n,
            None => !args.is_empty(),
        };
        if !ok {
            let takes = match arity {
                Some(1) => "exactly one argument".to_string(),
                Some(n) => format!("{n} arguments"),
                None => "at least one argument".to_string(),
            };
            let usage = match callee {
                Callee::Func(Func::If) => "if(condition, value if true, value if false)",
                Callee::Func(Func::Pow) => "pow(x, exponent)",
                Callee::Func(Func::Round) => "round(x, places)",
                Callee::Lag => "lag(x, periods back)",
                _ => "",
            };
            return Err(ParseError {
                kind: ParseErrorKind::Arity,
                message: format!("`{name}` takes {takes}, not {}", args.len()),
                hint: (!usage.is_empty()).then(|| format!("write `{usage}`")),
                span,
            });
        }
        for (k, a) in args.iter().enumerate() {
            let want = if callee == Callee::Func(Func::If) && k == 0 {
                Ty::Truth
            } else {
                Ty::Number
            };
            self.expect(a, want, name, span.clone())?;
        }
        let back = match callee {
            Callee::Prev => Some(1),
            Callee::Lag => Some(self.periods_back(&args[1])?),
            _ => None,
        };
        if let Callee::Func(Func::Round) = callee
            && let Some(n) = args[1].literal
            && (!n.fract().is_zero() || n > Decimal::from(28))
        {
            return Err(ParseError {
                kind: ParseErrorKind::Literal,
                message: format!("`round` keeps 0 to 28 places, not {n}"),
                hint: Some("write a whole number from 0 to 28".into()),
                span: args[1].span.clone(),
            });
        }
        if let Some(k) = back {
            // What the first argument reads, it reads `k` periods back.
            for o in &mut self.operands[first_operand..] {
                o.lag = o.lag.saturating_add(k);
            }
            let x = args.swap_remove(0);
            return Ok(Piece { span: whole, ..x });
        }
        let Callee::Func(func) = callee else {
            unreachable!("reads returned above")
        };
        // Not collected in place: that would keep the arguments' (larger)
        // buffer for the life of the card.
        let mut nodes = Vec::with_capacity(args.len());
        nodes.extend(args.into_iter().map(|a| a.node));
        Ok(Piece {
            node: Node::Call(func, nodes),
            ty: Ty::Number,
            span: whole,
            literal: None,
        })
    }

    /// `lag`'s `k`: a whole number 1..[`MAX_LAG`] written as a literal, so
    /// that how far back a card reads is known before any data is.
    fn periods_back(&self, k: &Piece) -> Result<u32, ParseError> {
        match k.literal {
            Some(n) if n.fract().is_zero() && n >= Decimal::ONE && n <= Decimal::from(MAX_LAG) => {
                Ok(u32::try_from(n.mantissa() / 10i128.pow(n.scale())).expect("at most MAX_LAG"))
            }
            _ => Err(ParseError {
                kind: ParseErrorKind::Literal,
                message: format!(
                    "`lag` needs how many periods back as a whole number from 1 to {MAX_LAG}, \
                     not `{}`",
                    &self.text[k.span.clone()]
                ),
                hint: Some("write it as a number, as in `lag(revenue, 4)`".into()),
                span: k.span.clone(),
            }),
        }
    }

    /// `target(id)` or `baseline(id)`: exactly one id, written as it is.
    fn read(&mut self, name: &str, kind: Kind, span: Range<usize>) -> Result<Piece, ParseError> {
        let arg = self.here();
        let id = match self.toks.get(self.pos) {
            Some((Tok::Ident, s))
                if self.toks.get(self.pos + 1).map(|t| &t.0) == Some(&Tok::Op(')')) =>
            {
                self.text[s.clone()].to_string()
            }
            Some((Tok::Op(')'), _)) => {
                return Err(ParseError {
                    kind: ParseErrorKind::Arity,
                    message: format!("`{name}` takes exactly one argument, not 0"),
                    hint: Some(format!("write `{name}(indicator_id)`")),
                    span,
                });
            }
            _ => {
                return Err(ParseError {
                    kind: ParseErrorKind::Read,
                    message: format!(
                        "`{name}` reads an indicator's {name}: its argument is the indicator's id"
                    ),
                    hint: Some(format!(
                        "write `{name}(indicator_id)`; compute with its result outside the call"
                    )),
                    span: arg,
                });
            }
        };
        self.pos += 2;
        let mut p = self.operand(id, arg, kind);
        p.span = span.start..self.end();
        Ok(p)
    }
}

impl Expr {
    /// Every id the formula reads, in order of appearance (with repeats).
    pub fn vars(&self) -> impl Iterator<Item = &Operand> {
        self.operands.iter()
    }

    /// Periods back the formula reads at most (0: only the evaluated one).
    pub fn max_lag(&self) -> u32 {
        self.operands.iter().map(|o| o.lag).max().unwrap_or(0)
    }

    /// Evaluates with the operands named by `value_of`, all read in the
    /// evaluated period, the target and baseline ones as `target(id)`
    /// (for tests and tools; `score` uses [`Expr::eval_values`]).
    pub fn eval(&self, value_of: &dyn Fn(&str) -> Option<Decimal>) -> Result<Decimal, EvalError> {
        let values: Vec<Option<Decimal>> = self
            .operands
            .iter()
            .map(|o| value_of(&o.describe(&periods_back)))
            .collect();
        self.eval_values(&values, &periods_back)
    }

    /// Evaluates with `values[i]` the value of `operands[i]`; `back(k)`
    /// says "k periods back" in a reason (`in 2026-Q2`).
    pub fn eval_values(
        &self,
        values: &[Option<Decimal>],
        back: &dyn Fn(u32) -> String,
    ) -> Result<Decimal, EvalError> {
        debug_assert_eq!(values.len(), self.operands.len());
        self.root.num(values).map_err(|f| self.reason(f, back))
    }

    fn reason(&self, f: Fail, back: &dyn Fn(u32) -> String) -> EvalError {
        match f {
            Fail::Needs(mut at) => {
                at.sort_unstable();
                let mut names: Vec<String> = Vec::new();
                for i in at {
                    let name = self.operands[i].describe(back);
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                EvalError::Needs(names)
            }
            Fail::DivisionByZero => EvalError::DivisionByZero,
            Fail::Overflow => EvalError::Overflow,
            Fail::Domain(why) => EvalError::Domain(why),
        }
    }
}

impl Node {
    /// The number a number node gives. Strict operators evaluate every
    /// operand, so that a reason names all that is missing; `if`,
    /// `coalesce`, `and` and `or` evaluate only what decides the result.
    fn num(&self, values: &[Option<Decimal>]) -> Result<Decimal, Fail> {
        Ok(math::canonical(match self {
            Node::Num(n) => *n,
            Node::Var(i) => values[*i].ok_or_else(|| Fail::Needs(vec![*i]))?,
            Node::Neg(e) => -e.num(values)?,
            Node::Chain(first, rest) => {
                let mut acc = first.num(values);
                for (op, e) in rest {
                    let b = e.num(values);
                    // Normalized after every step, as nested binary
                    // operations would be: the scale of one step's result
                    // decides how the next one rounds.
                    acc = match (acc, b) {
                        (Ok(a), Ok(b)) => op.apply(a, b).map(|r| r.normalize()),
                        (Err(x), Err(y)) => Err(x.and(y)),
                        (Err(x), Ok(_)) | (Ok(_), Err(x)) => Err(x),
                    };
                }
                acc?
            }
            Node::Call(Func::If, args) => {
                if args[0].truth(values)? {
                    args[1].num(values)?
                } else {
                    args[2].num(values)?
                }
            }
            Node::Call(Func::Coalesce, args) => {
                let mut fail: Option<Fail> = None;
                for a in args {
                    match a.num(values) {
                        Ok(v) => return Ok(v),
                        Err(f) => fail = Some(fail.map_or(f.clone(), |g| g.and(f))),
                    }
                }
                return Err(fail.expect("coalesce has arguments"));
            }
            Node::Call(f, args) => {
                let x = args[0].num(values);
                match f {
                    Func::Abs => x?.abs(),
                    Func::Sqrt => math::sqrt(x?)?,
                    Func::Ln => math::ln(x?)?,
                    Func::Exp => math::exp(x?)?,
                    Func::Floor => math::floor(x?),
                    Func::Ceil => math::ceil(x?),
                    Func::Pow | Func::Round => {
                        let (x, y) = both(x, args[1].num(values))?;
                        if *f == Func::Pow {
                            math::pow(x, y)?
                        } else {
                            math::round(x, y)?
                        }
                    }
                    Func::Min | Func::Max => {
                        let mut acc = x;
                        for a in &args[1..] {
                            acc = both(acc, a.num(values))
                                .map(|(a, b)| if (*f == Func::Min) == (b < a) { b } else { a });
                        }
                        acc?
                    }
                    Func::If | Func::Coalesce => unreachable!("handled above"),
                }
            }
            Node::Cmp(..) | Node::And(_) | Node::Or(_) | Node::Not(_) => {
                unreachable!("types were checked when the formula was parsed")
            }
        }))
    }

    /// The truth value a truth node gives.
    fn truth(&self, values: &[Option<Decimal>]) -> Result<bool, Fail> {
        match self {
            Node::Cmp(op, pair) => {
                let (a, b) = both(pair.0.num(values), pair.1.num(values))?;
                Ok(op.holds(a, b))
            }
            Node::Not(e) => Ok(!e.truth(values)?),
            // Left to right, stopping at the first operand that decides.
            Node::And(items) => {
                for e in items {
                    if !e.truth(values)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Node::Or(items) => {
                for e in items {
                    if e.truth(values)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => unreachable!("types were checked when the formula was parsed"),
        }
    }
}

/// Two operands' results, or their failures as one.
fn both(a: Result<Decimal, Fail>, b: Result<Decimal, Fail>) -> Result<(Decimal, Decimal), Fail> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(x), Err(y)) => Err(x.and(y)),
        (Err(x), Ok(_)) | (Ok(_), Err(x)) => Err(x),
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
        let e = parse("sqroot(a)").unwrap_err();
        assert_eq!(e.message, "unknown function `sqroot`");
        assert_eq!(e.hint.as_deref(), Some("did you mean `sqrt`?"));
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
            let values: Vec<Option<Decimal>> = e.vars().map(|o| lookup(&o.id)).collect();
            assert_eq!(
                e.eval_values(&values, &periods_back),
                e.eval(&lookup),
                "{f}"
            );
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
        assert_eq!(e.vars().count(), n);
        let values = vec![Some(d("0.1")); n];
        assert_eq!(e.eval_values(&values, &periods_back), Ok(d("3000")));
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
    fn nodes_stay_small() {
        // Every formula of a card lives as long as the card: a node is at
        // most a decimal or two words and a tag.
        assert!(
            std::mem::size_of::<Node>() <= 40,
            "{}",
            std::mem::size_of::<Node>()
        );
    }

    #[test]
    fn vars_in_order() {
        let e = parse("lost / start_count + lost").unwrap();
        let names: Vec<&str> = e.vars().map(|o| o.id.as_str()).collect();
        assert_eq!(names, ["lost", "start_count", "lost"]);
    }

    fn kind(f: &str) -> (ParseErrorKind, Range<usize>, String) {
        let e = parse(f).unwrap_err();
        (e.kind, e.span, e.message)
    }

    #[test]
    fn comparisons_and_logic() {
        assert_eq!(eval("if(0.1 + 0.2 == 0.3, 1, 0)", &[]), Ok(d("1")));
        assert_eq!(eval("if(1.0 == 1, 1, 0)", &[]), Ok(d("1")));
        for (c, want) in [
            ("<", "0"),
            ("<=", "1"),
            (">", "0"),
            (">=", "1"),
            ("==", "1"),
            ("!=", "0"),
        ] {
            assert_eq!(eval(&format!("if(2 {c} 2, 1, 0)"), &[]), Ok(d(want)), "{c}");
        }
        assert_eq!(eval("if(1 < 2 and 2 < 3, 1, 0)", &[]), Ok(d("1")));
        assert_eq!(eval("if(1 > 2 or not 2 > 3, 1, 0)", &[]), Ok(d("1")));
        // `not` binds looser than comparison, `and` tighter than `or`.
        assert_eq!(
            eval("if(not 1 > 2 and 1 > 2 or 3 > 2, 1, 0)", &[]),
            Ok(d("1"))
        );
        assert_eq!(eval("if(not (1 < 2 or 1 > 2), 1, 0)", &[]), Ok(d("0")));
    }

    #[test]
    fn if_and_coalesce_evaluate_only_what_decides() {
        // The other branch's missing operand and division by zero do not count.
        assert_eq!(
            eval("if(cac == 0, 0, ltv / cac)", &[("cac", "0")]),
            Ok(d("0"))
        );
        assert_eq!(
            eval("if(cac == 0, 0, ltv / cac)", &[("cac", "2")]),
            Err(EvalError::Needs(vec!["ltv".into()]))
        );
        assert_eq!(
            eval("if(cac == 0, 0, ltv / cac)", &[("cac", "0"), ("ltv", "5")]),
            Ok(d("0"))
        );
        assert_eq!(eval("if(x > 0, 1, missing)", &[("x", "1")]), Ok(d("1")));
        assert_eq!(eval("if(x > 0, 1 / 0, 2)", &[("x", "-1")]), Ok(d("2")));
        assert_eq!(
            eval("if(x > 0, 1, 2)", &[]),
            Err(EvalError::Needs(vec!["x".into()]))
        );
        assert_eq!(
            eval("if(1 / 0 > 1, 1, 2)", &[]),
            Err(EvalError::DivisionByZero)
        );
        // Short-circuit: the right operand is not needed once the left decides.
        assert_eq!(eval("if(1 > 2 and y > 0, 1, 2)", &[]), Ok(d("2")));
        assert_eq!(eval("if(1 < 2 or y > 0, 1, 2)", &[]), Ok(d("1")));
        assert_eq!(
            eval("if(1 < 2 and y > 0, 1, 2)", &[]),
            Err(EvalError::Needs(vec!["y".into()]))
        );
        assert_eq!(eval("coalesce(a, b, 7)", &[("b", "3")]), Ok(d("3")));
        assert_eq!(eval("coalesce(a, 1 / 0, 7)", &[]), Ok(d("7")));
        assert_eq!(
            eval("coalesce(a, b)", &[]),
            Err(EvalError::Needs(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            eval("coalesce(1 / 0, a)", &[]),
            Err(EvalError::Needs(vec!["a".into()]))
        );
        assert_eq!(
            eval("coalesce(1 / 0, 2 / 0)", &[]),
            Err(EvalError::DivisionByZero)
        );
    }

    #[test]
    fn strict_operators_name_every_missing_operand_once() {
        assert_eq!(
            eval("pow(a, b) + min(c, a) + round(d, 2)", &[]),
            Err(EvalError::Needs(vec![
                "a".into(),
                "b".into(),
                "c".into(),
                "d".into()
            ]))
        );
        // Missing operands say more than another failure beside them.
        assert_eq!(
            eval("1 / 0 + x", &[]),
            Err(EvalError::Needs(vec!["x".into()]))
        );
        assert_eq!(
            eval("sqrt(-1) + x", &[]),
            Err(EvalError::Needs(vec!["x".into()]))
        );
        assert_eq!(
            eval("sqrt(-1) + 1 / 0", &[]),
            Err(EvalError::Domain("sqrt of a negative number"))
        );
        assert_eq!(
            EvalError::Domain("sqrt of a negative number").to_string(),
            "sqrt of a negative number"
        );
    }

    #[test]
    fn functions_and_negative_zero() {
        assert_eq!(
            eval("1 - pow(1 - m, 12)", &[("m", "0.05")]),
            Ok(d("0.459639912337363037109375"))
        );
        assert_eq!(eval("round(2.5, 0) + round(-2.5, 0)", &[]), Ok(d("0")));
        assert_eq!(eval("round(0.125, 2)", &[]), Ok(d("0.13")));
        assert_eq!(eval("ceil(-0.5)", &[]).unwrap().to_string(), "0");
        assert_eq!(eval("-0", &[]).unwrap().to_string(), "0");
        assert_eq!(eval("0 * -1", &[]).unwrap().to_string(), "0");
        assert_eq!(eval("floor(-0.5) + ceil(0.1)", &[]), Ok(d("0")));
        assert_eq!(
            eval("sqrt(x)", &[("x", "-4")]),
            Err(EvalError::Domain("sqrt of a negative number"))
        );
        assert_eq!(
            eval("ln(0)", &[]),
            Err(EvalError::Domain("ln of a number that is not positive"))
        );
        assert_eq!(
            eval("round(1, n)", &[("n", "29")]),
            Err(EvalError::Domain("round needs 0 to 28 places"))
        );
        assert_eq!(eval("pow(x, 30)", &[("x", "10")]), Err(EvalError::Overflow));
        assert_eq!(eval("exp(ln(2))", &[]).unwrap().round_dp(25), d("2"));
    }

    #[test]
    fn reads_targets_and_earlier_periods() {
        let e = parse("revenue / prev(revenue) - 1 + lag(prev(cost), 2) + target(revenue) * 0")
            .unwrap();
        let got: Vec<(&str, Kind, u32)> =
            e.vars().map(|o| (o.id.as_str(), o.kind, o.lag)).collect();
        assert_eq!(
            got,
            [
                ("revenue", Kind::Value, 0),
                ("revenue", Kind::Value, 1),
                ("cost", Kind::Value, 3),
                ("revenue", Kind::Target, 0)
            ]
        );
        assert_eq!(e.max_lag(), 3);
        let back = |k: u32| format!("in Q-{k}");
        let r = e.eval_values(&[Some(d("110")), None, None, Some(d("120"))], &back);
        assert_eq!(
            r,
            Err(EvalError::Needs(vec![
                "revenue in Q-1".into(),
                "cost in Q-3".into()
            ]))
        );
        assert_eq!(
            r.unwrap_err().to_string(),
            "needs revenue in Q-1, cost in Q-3"
        );
        let r = e.eval_values(
            &[Some(d("110")), Some(d("100")), Some(d("5")), Some(d("120"))],
            &back,
        );
        assert_eq!(r, Ok(d("5.1")));
        let e = parse("x / target(x)").unwrap();
        assert_eq!(
            e.eval_values(&[Some(d("1")), None], &back)
                .unwrap_err()
                .to_string(),
            "needs target(x)"
        );
    }

    #[test]
    fn validation_errors_point_into_the_formula() {
        use ParseErrorKind::*;
        assert_eq!(kind("(a < b) + 1").0, Type);
        assert_eq!(kind("(a < b) + 1").1, 8..9);
        assert_eq!(
            kind("a < b"),
            (
                Type,
                0..5,
                "the formula gives a truth value, not a number".into()
            )
        );
        assert_eq!(kind("if(a, 1, 2)").1, 0..2);
        assert_eq!(kind("a and b > 1").1, 2..5);
        assert_eq!(kind("not a").1, 0..3);
        assert_eq!(
            kind("1 < 2 < 3"),
            (Type, 6..7, "comparisons do not chain".into())
        );
        assert_eq!(kind("-(a > b)").0, Type);
        assert_eq!(kind("min(1, a > b)").0, Type);
        assert_eq!(
            kind("pow(2)"),
            (Arity, 0..3, "`pow` takes 2 arguments, not 1".into())
        );
        assert_eq!(kind("if(a > 1, 2)").0, Arity);
        assert_eq!(kind("sqrt()").0, Arity);
        assert_eq!(kind("coalesce()").0, Arity);
        assert_eq!(kind("target()").0, Arity);
        assert_eq!(
            kind("lag(x, k)"),
            (
                Literal,
                7..8,
                "`lag` needs how many periods back as a whole number from 1 to 1000, not `k`"
                    .into()
            )
        );
        assert_eq!(kind("lag(x, 0)").0, Literal);
        assert_eq!(kind("lag(x, 1.5)").0, Literal);
        assert_eq!(kind("lag(x, 1001)").0, Literal);
        assert!(parse("lag(x, 1000)").is_ok());
        assert_eq!(kind("round(x, 29)").1, 9..11);
        assert_eq!(kind("round(x, 1.5)").0, Literal);
        assert!(parse("round(x, n)").is_ok());
        assert_eq!(
            kind("target(a + b)"),
            (
                Read,
                7..8,
                "`target` reads an indicator's target: its argument is the indicator's id".into()
            )
        );
        assert_eq!(kind("baseline(2)").0, Read);
        assert_eq!(kind("a = b").2, "`=` is not an operator of formulas");
        assert_eq!(
            parse("a = b").unwrap_err().hint.as_deref(),
            Some("use `==` to compare")
        );
        assert_eq!(
            parse("a && b").unwrap_err().hint.as_deref(),
            Some("use `and`")
        );
        assert_eq!(kind("!a").0, Syntax);
        assert_eq!(kind("if(1 > 0 and, 1, 2)").0, Syntax);
        let e = parse("exq(1)").unwrap_err();
        assert_eq!(e.hint.as_deref(), Some("did you mean `exp`?"));
    }

    #[test]
    fn not_and_calls_count_toward_the_nesting_limit() {
        let nots = format!("if({}1 > 0, 1, 0)", "not ".repeat(63));
        assert!(parse(&nots).is_ok());
        let nots = format!("if({}1 > 0, 1, 0)", "not ".repeat(64));
        assert_eq!(parse(&nots).unwrap_err().kind, ParseErrorKind::TooDeep);
        let prevs = format!("{}x{}", "prev(".repeat(64), ")".repeat(64));
        assert_eq!(parse(&prevs).unwrap().max_lag(), 64);
        let long = vec!["x > 0"; 30_000].join(" and ");
        assert!(parse(&format!("if({long}, 1, 0)")).is_ok());
    }
}
