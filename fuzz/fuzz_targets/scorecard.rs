//! Arbitrary bytes as a scorecard file: loaded and validated as `bsc
//! validate` does; a valid card is then scored with no values, with every
//! value (and a previous period for trends), and printed every way.
#![no_main]

use bsc_fuzz::{all_values, check, evaluate_and_print, value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(card) = check("card.toml", data) else {
        return;
    };
    let empty = bsc::data::measurements::Measurements {
        period: "2026-Q1".into(),
        ..Default::default()
    };
    evaluate_and_print(&card, &empty, None, false);
    let previous = all_values(&card, "2026-Q2", value);
    let current = all_values(&card, "2026-Q3", |k| value(k + 5));
    evaluate_and_print(&card, &current, Some(&previous), true);
});
