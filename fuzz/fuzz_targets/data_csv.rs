//! Arbitrary bytes as a long-format data file (`period,unit,id,value`),
//! evaluated against the portfolio card as `bsc evaluate --data` does, in
//! every output format and for a roll-up of every period.
#![no_main]

use bsc::portfolio::{self, Failure, Format, Options, Selection};
use bsc_fuzz::{branch, mem_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let card = branch();
    let file = mem_file(data);
    let runs = [
        (Format::Table, Selection::Latest),
        (Format::Json, Selection::Latest),
        (Format::Jsonl, Selection::Latest),
        (Format::Csv, Selection::Latest),
        (Format::CsvLong, Selection::Latest),
        (
            Format::Json,
            Selection::Span {
                from: None,
                to: None,
            },
        ),
    ];
    for (format, selection) in runs {
        let opts = Options {
            selection,
            format,
            progress: false,
            color: false,
            keep: format == Format::Json,
            year_ago: false,
            decimals: None,
        };
        let mut out = Vec::new();
        match portfolio::evaluate_csv(card, &file.path, &opts, &mut out) {
            Ok(_) => assert!(std::str::from_utf8(&out).is_ok(), "output is UTF-8"),
            Err(Failure::Invalid { diagnostics, .. }) => {
                assert!(!diagnostics.is_empty(), "an invalid file names a problem");
                let _ = bsc::diag::render_human(&diagnostics, false);
            }
            Err(Failure::Usage(m)) => {
                // Bad data is exit 1; an I/O error (exit 2) from memory is a bug.
                assert!(
                    !m.starts_with("cannot read"),
                    "I/O error on an in-memory file: {m}"
                );
            }
            Err(Failure::Missing { .. }) => {}
        }
    }
});
