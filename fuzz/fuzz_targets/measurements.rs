//! Arbitrary bytes as a measurements file, TOML and CSV, against the CRM
//! example card (with and without `--period`); values that load are
//! scored, with the example's Q3 as the previous period, and printed.
#![no_main]

use bsc::diag::Diagnostics;
use bsc_fuzz::{crm, crm_q3, evaluate_and_print, render_diags, source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let card = crm();
    for name in ["2026-Q4.toml", "2026-Q4.csv"] {
        let src = source(name, data);
        for period in [None, Some("2026-Q4")] {
            let mut diags = Diagnostics::default();
            let m = bsc::data::measurements::load(&src, card, period, &mut diags);
            assert_eq!(
                m.is_some(),
                !diags.has_errors(),
                "values come back exactly when there is no error"
            );
            render_diags(&mut diags);
            if let Some(m) = m {
                evaluate_and_print(card, &m, Some(crm_q3()), false);
            }
        }
    }
});
