//! Arbitrary user Markdown as a note and as descriptions (card,
//! perspective, objective, indicator) through both report renderers, the
//! portfolio report's notes as well: no live HTML may come out. The HTML
//! report is checked as it is; the Markdown report as a Markdown viewer
//! would render it (pulldown-cmark, raw HTML passed through).
#![no_main]

use std::collections::HashMap;

use bsc::report::{self, Format, portfolio::UnitResult};
use bsc_fuzz::{
    assert_no_live_html, crm, crm_q3, live_html, markdown_to_html, render_report, without_markdown,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    // The two sanitisers on their own first: a finding here names the culprit.
    let found = live_html(&bsc::markdown::to_html(&text));
    assert!(
        found.is_empty(),
        "live HTML from markdown::to_html: {found:?}"
    );
    let md = bsc::markdown::to_markdown(&text);
    let found = live_html(&markdown_to_html(&md));
    assert!(
        found.is_empty(),
        "live HTML from markdown::to_markdown: {found:?} in {md:?}"
    );

    let mut card = crm().clone();
    card.description = Some(text.clone());
    card.perspectives[0].description = Some(text.clone());
    card.objectives[0].description = Some(text.clone());
    card.indicators[0].description = Some(text.clone());
    let values = crm_q3();
    let mut notes = values.notes.clone();
    for ind in &card.indicators[1..3] {
        notes.insert(ind.id.clone(), text.clone());
    }
    let e = bsc::evaluator::evaluate(&card, values, None).expect("the example scores");
    let plain = without_markdown(&card);
    let none = HashMap::new();
    for format in [Format::Html, Format::Markdown] {
        let single = |card, notes| {
            render_report(card, &e, notes, Some("2026-Q2"), format)
                .expect("built-in templates render")
        };
        assert_no_live_html(&single(&card, &notes), &single(&plain, &none), format);

        let opts = report::Options {
            format,
            lang: report::Lang::En,
            templates: None,
            generated_at: None,
            year_ago: false,
        };
        let portfolio = |card, notes: &HashMap<String, String>| {
            let units = vec![UnitResult {
                unit: "East".into(),
                evaluation: e.clone(),
                previous_composite: None,
                notes: notes.clone(),
            }];
            report::portfolio::render(card, &units, "2026-Q3", None, &opts)
                .expect("built-in templates render")
        };
        assert_no_live_html(&portfolio(&card, &notes), &portfolio(&plain, &none), format);
    }
});
