//! Arbitrary text as a formula: parsed, then evaluated with values looked
//! up by name and by position (the two must agree, errors included); a
//! formula that parses is also put into a scorecard, validated and scored.
#![no_main]

use bsc::formula;
use bsc_fuzz::{all_values, check, evaluate_and_print, value};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

/// A TOML basic string holding `s` exactly.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(expr) = formula::parse(text) else {
        return;
    };
    let vars: Vec<&formula::Operand> = expr.vars().collect();
    // A name's value depends on the name only, so repeats agree; every
    // fifth name has none.
    let of = |name: &str| {
        let h = name
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
        (h % 5 != 4).then(|| value(h))
    };
    let by_name = expr.eval(&of);
    let back = formula::periods_back;
    let values: Vec<Option<Decimal>> = vars.iter().map(|o| of(&o.describe(&back))).collect();
    assert_eq!(
        by_name,
        expr.eval_values(&values, &back),
        "eval and eval_values differ"
    );
    let all: Vec<Option<Decimal>> = vars.iter().map(|_| Some(Decimal::ONE)).collect();
    let _ = expr.eval_values(&all, &back);

    // The same formula in a card, over inputs named like its variables.
    let mut names: Vec<&str> = vars.iter().map(|o| o.id.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut card = format!(
        "[scorecard]\nid = \"f\"\nname = \"F\"\n\n[[perspectives]]\nid = \"p\"\n\n\
         [[indicators]]\nid = \"computed\"\nperspective = \"p\"\nformula = {}\nbaseline = 0\ntarget = 10\n",
        toml_string(text)
    );
    for n in names {
        card.push_str(&format!("\n[[inputs]]\nid = {}\n", toml_string(n)));
    }
    if let Some(card) = check("card.toml", card.as_bytes()) {
        let m = all_values(&card, "2026-Q3", value);
        evaluate_and_print(&card, &m, None, false);
    }
});
