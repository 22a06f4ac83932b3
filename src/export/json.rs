//! An evaluation as SPEC §8 JSON, written byte by byte.
//!
//! `Evaluation` derives `Serialize`, and that stays the definition of the
//! JSON: the output schema is derived from it, and the tests hold this
//! writer to `serde_json`'s output of it, pretty and compact, for random
//! evaluations (reports build contexts of their own). This writer exists for speed: a
//! portfolio's `--format json` writes some 47,000 bytes per unit, and
//! through serde every key was escaped byte by byte and every token went
//! through a formatter's calls (a third of such a run), and with
//! serde_json's `arbitrary_precision` every `Decimal` was formatted into a
//! `String` and parsed back into a `Number` (43% of it, before an earlier
//! change wrote them from their digits inside serde). Here keys are
//! literals, strings are copied whole unless they hold a character JSON
//! escapes, and numbers are written from their digits.

use rust_decimal::Decimal;

use crate::model::Scorecard;
use crate::score::follow_up::InitiativeResult;
use crate::score::{
    Composite, Dressed, Evaluation, HistoryPoint, IndicatorResult, IndicatorRow, NodeRow,
    ObjectiveResult, PerspectiveResult, Status, TargetOut,
};

/// Appends `e` to `out` as `serde_json::to_vec_pretty` writes it when
/// `pretty` (starting `depth` levels in, as an element of an array at
/// `depth - 1`), else as `serde_json::to_vec` does.
pub fn write(e: &Evaluation, pretty: bool, depth: usize, out: &mut Vec<u8>) {
    let parts = Parts {
        scorecard: (&e.scorecard.id, &e.scorecard.name),
        period: &e.period,
        unit: e.unit.as_deref(),
        composite: &e.composite,
        initiatives: &e.initiatives,
        history: &e.history,
    };
    parts.write(
        e.perspectives.iter().map(PerspectiveResult::row),
        e.objectives.iter().map(ObjectiveResult::row),
        e.indicators.iter().map(IndicatorResult::row),
        |j, i| indicator(j, &i),
        &mut Json::new(out, pretty, depth),
    );
}

/// [`write`] of `d.evaluation()`, without building it: nothing is copied
/// from the card (tests hold the two to the same bytes). With `frames` of
/// `d`'s card at this `pretty` and `depth`, each indicator's bytes that
/// are the card's are copied from them.
pub fn write_dressed(
    d: &Dressed,
    frames: Option<&Frames>,
    pretty: bool,
    depth: usize,
    out: &mut Vec<u8>,
) {
    let fits =
        |f: &&Frames| std::ptr::eq(f.card, d.card()) && (f.pretty, f.depth) == (pretty, depth);
    let parts = Parts {
        scorecard: d.scorecard(),
        period: d.period,
        unit: d.unit,
        composite: &d.composite(),
        initiatives: d.initiatives,
        history: &[],
    };
    let j = &mut Json::new(out, pretty, depth);
    match frames.filter(fits) {
        Some(f) => parts.write(
            d.perspectives(),
            d.objectives(),
            d.indicators().zip(&f.indicators),
            |j, (i, f)| framed(j, &i, f),
            j,
        ),
        None => parts.write(
            d.perspectives(),
            d.objectives(),
            d.indicators(),
            |j, i| indicator(j, &i),
            j,
        ),
    }
}

/// The bytes of each indicator's object that are the card's, not the
/// unit's: from its `{` to `"actual": `, and its owner with the
/// `"baseline"` key, at one indentation. A portfolio writes them for
/// every unit (a third of its JSON); written once, they are copied whole,
/// and the escaping, keys and indents in them are not redone.
pub struct Frames<'c> {
    card: &'c Scorecard,
    pretty: bool,
    depth: usize,
    indicators: Vec<Frame>,
}

struct Frame {
    head: Vec<u8>,
    owner: Vec<u8>,
}

impl<'c> Frames<'c> {
    /// The frames of `card`'s indicators in an evaluation written as
    /// [`write`] writes it at `pretty` and `depth`.
    pub fn of(card: &'c Scorecard, pretty: bool, depth: usize) -> Frames<'c> {
        // Where an indicator's object opens: in the evaluation's object,
        // in its `indicators` array.
        let at = depth + 2;
        let indicators = card
            .indicators
            .iter()
            .map(|ind| {
                let (mut head, mut owner) = (Vec::new(), Vec::new());
                indicator_head(
                    &mut Json::new(&mut head, pretty, at),
                    &ind.id,
                    &card.perspectives[ind.perspective].id,
                    ind.objective.map(|o| card.objectives[o].id.as_str()),
                );
                // Inside the object, after the keys before the owner.
                let mut j = Json::new(&mut owner, pretty, at + 1);
                j.empty = false;
                indicator_owner(&mut j, ind.owner.as_deref());
                Frame { head, owner }
            })
            .collect();
        Frames {
            card,
            pretty,
            depth,
            indicators,
        }
    }
}

/// An evaluation, owned or dressed: what this writer writes.
pub trait Writable {
    /// [`write`] (or [`write_dressed`]) of `self`.
    fn write_json(&self, pretty: bool, depth: usize, out: &mut Vec<u8>);
}

impl Writable for Evaluation {
    fn write_json(&self, pretty: bool, depth: usize, out: &mut Vec<u8>) {
        write(self, pretty, depth, out);
    }
}

/// A dressed evaluation with its card's [`Frames`], if any.
impl Writable for (&Dressed<'_>, Option<&Frames<'_>>) {
    fn write_json(&self, pretty: bool, depth: usize, out: &mut Vec<u8>) {
        write_dressed(self.0, self.1, pretty, depth, out);
    }
}

/// An evaluation's keys that are not arrays of rows.
struct Parts<'a> {
    scorecard: (&'a str, &'a str),
    period: &'a str,
    unit: Option<&'a str>,
    composite: &'a Composite,
    initiatives: &'a [InitiativeResult],
    history: &'a [HistoryPoint],
}

impl Parts<'_> {
    fn write<'r, I>(
        &self,
        perspectives: impl Iterator<Item = NodeRow<'r>>,
        objectives: impl Iterator<Item = NodeRow<'r>>,
        indicators: impl Iterator<Item = I>,
        each_indicator: impl FnMut(&mut Json, I),
        j: &mut Json,
    ) {
        j.open(b'{');
        j.key("scorecard");
        j.open(b'{');
        j.key("id");
        j.string(self.scorecard.0);
        j.key("name");
        j.string(self.scorecard.1);
        j.close(b'}');
        j.key("period");
        j.string(self.period);
        j.key("unit");
        j.opt_string(self.unit);
        j.key("composite");
        composite(j, self.composite);
        j.array("perspectives", perspectives, |j, p| node(j, &p));
        j.array("objectives", objectives, |j, o| node(j, &o));
        j.array("indicators", indicators, each_indicator);
        j.array("initiatives", self.initiatives.iter(), initiative);
        if !self.history.is_empty() {
            j.array("history", self.history.iter(), history);
        }
        j.close(b'}');
    }
}

fn composite(j: &mut Json, c: &Composite) {
    j.open(b'{');
    scored(j, c.score, c.status, c.coverage, c.previous_score);
    j.close(b'}');
}

/// A perspective, or an objective (which names its perspective).
fn node(j: &mut Json, n: &NodeRow) {
    j.open(b'{');
    j.key("id");
    j.string(n.id);
    j.key("name");
    j.string(n.name);
    if let Some(perspective) = n.perspective {
        j.key("perspective");
        j.string(perspective);
    }
    j.key("weight");
    j.number(n.weight);
    scored(j, n.score, n.status, n.coverage, n.previous_score);
    j.close(b'}');
}

/// The keys the composite, perspectives and objectives end with.
fn scored(
    j: &mut Json,
    score: Option<Decimal>,
    status: Status,
    coverage: Decimal,
    previous_score: Option<Option<Decimal>>,
) {
    j.key("score");
    j.opt_number(score);
    j.key("status");
    j.status(status);
    j.key("coverage");
    j.number(coverage);
    j.previous("previous_score", previous_score);
}

fn indicator(j: &mut Json, i: &IndicatorRow) {
    indicator_head(j, i.id, i.perspective, i.objective);
    indicator_middle(j, i);
    indicator_owner(j, i.owner);
    indicator_tail(j, i);
}

/// [`indicator`] with its card's bytes copied from `f`.
fn framed(j: &mut Json, i: &IndicatorRow, f: &Frame) {
    // As `indicator_head` leaves the writer: in the object, not empty.
    j.out.extend_from_slice(&f.head);
    j.depth += 1;
    j.empty = false;
    indicator_middle(j, i);
    j.out.extend_from_slice(&f.owner);
    indicator_tail(j, i);
}

/// An indicator's object up to its actual value.
fn indicator_head(j: &mut Json, id: &str, perspective: &str, objective: Option<&str>) {
    j.open(b'{');
    j.key("id");
    j.string(id);
    j.key("perspective");
    j.string(perspective);
    j.key("objective");
    j.opt_string(objective);
    j.key("actual");
}

fn indicator_middle(j: &mut Json, i: &IndicatorRow) {
    j.opt_number(i.actual);
    j.key("score");
    j.opt_number(i.score);
    j.key("status");
    j.status(i.status);
    j.key("effective_weight");
    j.number(i.effective_weight);
    j.key("missing");
    j.boolean(i.missing);
    j.key("reason");
    j.opt_string(i.reason);
}

/// The owner, up to the baseline's value.
fn indicator_owner(j: &mut Json, owner: Option<&str>) {
    j.key("owner");
    j.opt_string(owner);
    j.key("baseline");
}

fn indicator_tail(j: &mut Json, i: &IndicatorRow) {
    j.opt_number(i.baseline);
    j.key("target");
    match &i.target {
        None => j.null(),
        Some(TargetOut::Value(v)) => j.number(*v),
        Some(TargetOut::Band(band)) => {
            j.open(b'[');
            for v in band {
                j.item();
                j.number(*v);
            }
            j.close(b']');
        }
    }
    j.previous("previous_actual", i.previous_actual);
    j.previous("previous_score", i.previous_score);
    j.close(b'}');
}

fn initiative(j: &mut Json, i: &InitiativeResult) {
    j.open(b'{');
    j.key("id");
    j.string(&i.id);
    j.key("name");
    j.string(&i.name);
    j.key("owner");
    j.opt_string(i.owner.as_deref());
    j.key("status");
    j.string(i.status.as_str());
    j.key("progress");
    j.opt_number(i.progress);
    j.key("budget");
    j.opt_number(i.budget);
    j.key("due");
    match i.due {
        Some(d) => j.string(&d.to_string()),
        None => j.null(),
    }
    j.key("overdue");
    match i.overdue {
        Some(b) => j.boolean(b),
        None => j.null(),
    }
    j.array("objectives", i.objectives.iter(), |j, id| j.string(id));
    j.array("indicators", i.indicators.iter(), |j, id| j.string(id));
    j.key("note");
    j.opt_string(i.note.as_deref());
    j.close(b'}');
}

fn history(j: &mut Json, h: &HistoryPoint) {
    j.open(b'{');
    j.key("period");
    j.string(&h.period);
    j.key("composite");
    j.opt_number(h.composite);
    j.key("perspectives");
    j.open(b'{');
    for (id, score) in &h.perspectives {
        j.item();
        j.string(id);
        j.colon();
        j.opt_number(*score);
    }
    j.close(b'}');
    j.close(b'}');
}

/// Where the writing is: serde_json's `PrettyFormatter` (or
/// `CompactFormatter`) state, `empty` being "nothing written yet in the
/// innermost object or array".
struct Json<'a> {
    out: &'a mut Vec<u8>,
    pretty: bool,
    depth: usize,
    empty: bool,
}

impl<'a> Json<'a> {
    fn new(out: &'a mut Vec<u8>, pretty: bool, depth: usize) -> Json<'a> {
        Json {
            out,
            pretty,
            depth,
            empty: true,
        }
    }

    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth += 1;
        self.empty = true;
    }

    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        if !self.empty {
            self.newline();
        }
        self.out.push(bracket);
        // The closed value is written: its parent is no longer empty.
        self.empty = false;
    }

    /// `key` and an array of `items`, each written by `each`.
    fn array<T>(
        &mut self,
        key: &'static str,
        items: impl Iterator<Item = T>,
        mut each: impl FnMut(&mut Self, T),
    ) {
        self.key(key);
        self.open(b'[');
        for item in items {
            self.item();
            each(self, item);
        }
        self.close(b']');
    }

    /// Before an array's element or an object's key.
    #[inline(always)]
    fn item(&mut self) {
        if !self.empty {
            self.out.push(b',');
        }
        self.newline();
        self.empty = false;
    }

    #[inline(always)]
    fn newline(&mut self) {
        if self.pretty {
            // A line break and the indent: all of `NEWLINES` copied (a
            // copy of known length takes a few moves, not a call) and the
            // rest cut off. Evaluations nest five levels, so the loop is
            // for deeper starts only.
            let n = 1 + 2 * self.depth;
            if n <= NEWLINES.len() {
                let end = self.out.len() + n;
                self.out.extend_from_slice(NEWLINES);
                self.out.truncate(end);
            } else {
                self.out.push(b'\n');
                for _ in 0..self.depth {
                    self.out.extend_from_slice(b"  ");
                }
            }
        }
    }

    /// A key that is one of the literals above: nothing in it to escape.
    #[inline(always)]
    fn key(&mut self, key: &'static str) {
        self.item();
        // Inlined, the copy of a literal's length is a few moves, not a
        // call.
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.push(b'"');
        self.colon();
    }

    /// Pushed, not copied: a slice of either length was a call to
    /// `memcpy` (a fortieth of a portfolio's JSON run) for a byte or two.
    #[inline(always)]
    fn colon(&mut self) {
        self.out.push(b':');
        if self.pretty {
            self.out.push(b' ');
        }
    }

    fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    fn boolean(&mut self, b: bool) {
        // Each a copy of known length, as in `colon`.
        if b {
            self.out.extend_from_slice(b"true");
        } else {
            self.out.extend_from_slice(b"false");
        }
    }

    /// `d` as `Decimal`'s `Display` writes it, and serde_json with
    /// `arbitrary_precision` (by way of a `String` and a `Number`): every
    /// digit of the scale kept, `0.` before a fraction, and `-` for any
    /// negative sign (`-0` too).
    fn number(&mut self, d: Decimal) {
        let mut itoa = itoa::Buffer::new();
        let m = d.mantissa().unsigned_abs();
        // Mantissas beyond 64 bits (a score's 28 places give 96) take
        // 128-bit division.
        let digits = match u64::try_from(m) {
            Ok(0) => "",
            Ok(small) => itoa.format(small),
            Err(_) => itoa.format(m),
        }
        .as_bytes();
        let scale = d.scale() as usize;
        if d.is_sign_negative() {
            self.out.push(b'-');
        }
        if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            self.out.extend_from_slice(int);
            if scale > 0 {
                self.out.push(b'.');
                self.out.extend_from_slice(frac);
            }
        } else if scale == 0 {
            self.out.push(b'0');
        } else {
            self.out.extend_from_slice(b"0.");
            self.out.extend_from_slice(&ZEROS[..scale - digits.len()]);
            self.out.extend_from_slice(digits);
        }
    }

    fn opt_number(&mut self, d: Option<Decimal>) {
        match d {
            Some(d) => self.number(d),
            None => self.null(),
        }
    }

    /// A `previous_*` key: left out when no period is compared with.
    fn previous(&mut self, key: &'static str, d: Option<Option<Decimal>>) {
        if let Some(d) = d {
            self.key(key);
            self.opt_number(d);
        }
    }

    fn status(&mut self, s: Status) {
        self.string(s.as_str());
    }

    fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.null(),
        }
    }

    /// `s` quoted and escaped as serde_json escapes it: `"` and `\`, and
    /// control characters (`\b \f \n \r \t`, else `\u00XX` in lower-case
    /// hex); everything else, non-ASCII included, as it is.
    fn string(&mut self, s: &str) {
        self.out.push(b'"');
        let bytes = s.as_bytes();
        let mut start = 0;
        let mut unicode = *b"\\u0000";
        for (i, &b) in bytes.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0x08 => b"\\b",
                0x0c => b"\\f",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0..0x20 => {
                    unicode[4] = HEX[usize::from(b >> 4)];
                    unicode[5] = HEX[usize::from(b & 15)];
                    &unicode
                }
                _ => continue,
            };
            self.out.extend_from_slice(&bytes[start..i]);
            self.out.extend_from_slice(escape);
            start = i + 1;
        }
        self.out.extend_from_slice(&bytes[start..]);
        self.out.push(b'"');
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Zeros between the point and a fraction's digits: at most 27.
const ZEROS: &[u8; 28] = b"0000000000000000000000000000";

/// A line break and indents up to 15 levels.
const NEWLINES: &[u8; 32] = b"\n                               ";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Date, InitiativeStatus, Rule};
    use crate::score::CardRef;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// Text JSON escapes and text it does not: quotes, backslashes, every
    /// control character, DEL, non-ASCII (Chinese, an emoji).
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                4 => "[a-z0-9_-]{1,6}",
                1 => select(vec!["\"", "\\", "\u{7f}", "东区", "客户满意度", "🙂", " ", "/"])
                    .prop_map(String::from),
                1 => (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap().to_string()),
            ],
            0..5,
        )
        .prop_map(|parts| parts.concat())
    }

    /// Every mantissa width, from none to 96 bits, at every scale.
    fn decimal() -> impl Strategy<Value = Decimal> {
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            0u32..97,
            any::<bool>(),
            0u32..=28,
        )
            .prop_map(|(lo, mid, hi, bits, negative, scale)| {
                let m = (u128::from(hi) << 64 | u128::from(mid) << 32 | u128::from(lo))
                    & ((1u128 << bits) - 1);
                let mut d = Decimal::from_i128_with_scale(m as i128, scale);
                d.set_sign_negative(negative);
                d
            })
    }

    fn status() -> impl Strategy<Value = Status> {
        select(vec![
            Status::Green,
            Status::Amber,
            Status::Red,
            Status::Missing,
            Status::Insufficient,
        ])
    }

    fn opt<T: std::fmt::Debug + Clone>(
        s: impl Strategy<Value = T>,
    ) -> impl Strategy<Value = Option<T>> {
        proptest::option::of(s)
    }

    fn previous() -> impl Strategy<Value = Option<Option<Decimal>>> {
        opt(opt(decimal()))
    }

    fn perspective() -> impl Strategy<Value = PerspectiveResult> {
        (
            text(),
            text(),
            decimal(),
            opt(decimal()),
            status(),
            decimal(),
            previous(),
        )
            .prop_map(
                |(id, name, weight, score, status, coverage, previous_score)| PerspectiveResult {
                    id,
                    name,
                    weight,
                    score,
                    status,
                    coverage,
                    previous_score,
                },
            )
    }

    fn objective() -> impl Strategy<Value = ObjectiveResult> {
        (text(), text(), perspective()).prop_map(|(id, perspective, p)| ObjectiveResult {
            id,
            name: p.name,
            perspective,
            weight: p.weight,
            score: p.score,
            status: p.status,
            coverage: p.coverage,
            previous_score: p.previous_score,
        })
    }

    fn indicator() -> impl Strategy<Value = IndicatorResult> {
        let target = opt(prop_oneof![
            decimal().prop_map(TargetOut::Value),
            (decimal(), decimal()).prop_map(|(a, b)| TargetOut::Band([a, b])),
        ]);
        (
            (text(), text(), opt(text()), opt(decimal()), opt(decimal())),
            (status(), decimal(), any::<bool>(), opt(text()), opt(text())),
            (opt(decimal()), target, previous(), previous()),
        )
            .prop_map(
                |(
                    (id, perspective, objective, actual, score),
                    (status, effective_weight, missing, reason, owner),
                    (baseline, target, previous_actual, previous_score),
                )| IndicatorResult {
                    id,
                    perspective,
                    objective,
                    actual,
                    score,
                    status,
                    effective_weight,
                    missing,
                    reason,
                    owner,
                    baseline,
                    target,
                    rule: Rule::Linear {
                        baseline: Decimal::ZERO,
                        target: Decimal::ONE,
                    },
                    previous_actual,
                    previous_score,
                },
            )
    }

    fn initiative() -> impl Strategy<Value = InitiativeResult> {
        let date = (1u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(year, month, day)| Date {
            year,
            month,
            day,
        });
        let state = select(vec![
            InitiativeStatus::Planned,
            InitiativeStatus::OnTrack,
            InitiativeStatus::AtRisk,
            InitiativeStatus::Late,
            InitiativeStatus::Done,
            InitiativeStatus::Cancelled,
        ]);
        let ids = || proptest::collection::vec(text(), 0..3);
        (
            (text(), text(), opt(text()), state, opt(decimal())),
            (opt(decimal()), opt(date), opt(any::<bool>()), ids(), ids()),
            (opt(text()), 0usize..9),
        )
            .prop_map(
                |(
                    (id, name, owner, status, progress),
                    (budget, due, overdue, objectives, indicators),
                    (note, index),
                )| InitiativeResult {
                    id,
                    name,
                    owner,
                    status,
                    progress,
                    budget,
                    due,
                    overdue,
                    objectives,
                    indicators,
                    note,
                    index,
                },
            )
    }

    fn history() -> impl Strategy<Value = HistoryPoint> {
        (
            text(),
            opt(decimal()),
            proptest::collection::vec((text(), opt(decimal())), 0..3),
        )
            .prop_map(|(period, composite, perspectives)| HistoryPoint {
                period,
                composite,
                perspectives,
                objectives: Vec::new(),
                indicators: Vec::new(),
            })
    }

    fn evaluation() -> impl Strategy<Value = Evaluation> {
        use proptest::collection::vec;
        (
            (text(), text(), text(), opt(text())),
            (opt(decimal()), status(), decimal(), previous()),
            (vec(perspective(), 0..3), vec(objective(), 0..3)),
            (vec(indicator(), 0..4), vec(initiative(), 0..3)),
            (vec(history(), 0..3), opt(text())),
        )
            .prop_map(
                |(
                    (id, name, period, unit),
                    (score, status, coverage, previous_score),
                    (perspectives, objectives),
                    (indicators, initiatives),
                    (history, compared_with),
                )| Evaluation {
                    scorecard: CardRef { id, name },
                    period,
                    unit,
                    composite: Composite {
                        score,
                        status,
                        coverage,
                        previous_score,
                    },
                    perspectives,
                    objectives,
                    indicators,
                    initiatives,
                    history,
                    compared_with,
                },
            )
    }

    /// A decimal as the writer writes it.
    fn number(d: Decimal) -> String {
        let mut out = Vec::new();
        Json::new(&mut out, false, 0).number(d);
        String::from_utf8(out).unwrap()
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn a_decimal_is_written_as_serde_json_writes_it(d in decimal()) {
            prop_assert_eq!(number(d), serde_json::to_string(&d).unwrap());
        }
    }

    #[test]
    fn the_corners_of_the_number_format() {
        for (d, want) in [
            (Decimal::ZERO, "0"),
            (Decimal::new(0, 3), "0.000"),
            (Decimal::new(5, 3), "0.005"),
            (Decimal::new(-5, 1), "-0.5"),
            (Decimal::new(1234, 2), "12.34"),
            (Decimal::new(1000, 0), "1000"),
            (Decimal::MAX, "79228162514264337593543950335"),
            (Decimal::MIN, "-79228162514264337593543950335"),
            (
                Decimal::from_i128_with_scale(-1, 28),
                "-0.0000000000000000000000000001",
            ),
        ] {
            assert_eq!(number(d), want);
            assert_eq!(serde_json::to_string(&d).unwrap(), want);
        }
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        assert_eq!(number(negative_zero), "-0.00");
        assert_eq!(serde_json::to_string(&negative_zero).unwrap(), "-0.00");
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The writer writes what serde_json writes of the derived
        /// `Serialize`: pretty, compact, and pretty as an array's element.
        #[test]
        fn writes_what_serde_json_writes(e in evaluation()) {
            let mut pretty = Vec::new();
            write(&e, true, 0, &mut pretty);
            let plain = serde_json::to_vec_pretty(&e).unwrap();
            prop_assert_eq!(String::from_utf8(pretty).unwrap(), String::from_utf8(plain).unwrap());

            let mut compact = Vec::new();
            write(&e, false, 0, &mut compact);
            let plain = serde_json::to_vec(&e).unwrap();
            prop_assert_eq!(String::from_utf8(compact).unwrap(), String::from_utf8(plain).unwrap());

            let mut element = b"[\n  ".to_vec();
            write(&e, true, 1, &mut element);
            element.extend_from_slice(b"\n]");
            let plain = serde_json::to_vec_pretty(&[&e]).unwrap();
            prop_assert_eq!(String::from_utf8(element).unwrap(), String::from_utf8(plain).unwrap());
        }

        /// Deeper than `NEWLINES` reaches, the indent is still two spaces a
        /// level.
        #[test]
        fn indents_beyond_the_prepared_newlines(e in evaluation()) {
            let mut deep = Vec::new();
            write(&e, true, 20, &mut deep);
            let mut shallow = Vec::new();
            write(&e, true, 0, &mut shallow);
            let shifted = String::from_utf8(shallow)
                .unwrap()
                .replace('\n', &format!("\n{}", " ".repeat(40)));
            prop_assert_eq!(String::from_utf8(deep).unwrap(), shifted);
        }
    }
}
