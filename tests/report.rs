//! Reports end to end through the binary: snapshots of both formats in
//! both languages, hostile input, template overrides, atomic output.

use std::path::Path;
use std::process::Command;

fn bsc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bsc"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("bsc runs")
}

fn report(args: &[&str]) -> String {
    let out = bsc(args);
    assert!(
        out.status.success(),
        "bsc {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 report")
}

/// The CRM example over five quarters (2025-Q3 to 2026-Q3): history,
/// changes since 2026-Q2, owners and initiatives.
const CRM: [&str; 7] = [
    "report",
    "scorecards/crm.toml",
    "scorecards/crm-2025-Q3.toml",
    "scorecards/crm-2025-Q4.toml",
    "scorecards/crm-2026-Q1.toml",
    "scorecards/crm-2026-Q2.toml",
    "scorecards/crm-2026-Q3.toml",
];
const CRM_ZH: [&str; 7] = [
    "report",
    "scorecards/crm.zh.toml",
    "scorecards/crm.zh-2025-Q3.toml",
    "scorecards/crm.zh-2025-Q4.toml",
    "scorecards/crm.zh-2026-Q1.toml",
    "scorecards/crm.zh-2026-Q2.toml",
    "scorecards/crm.zh-2026-Q3.toml",
];

fn with(base: &[&str], extra: &[&'static str]) -> Vec<String> {
    base.iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run(args: Vec<String>) -> String {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    report(&refs)
}

#[test]
fn crm_html_en() {
    insta::assert_snapshot!(run(with(&CRM, &["--format", "html"])));
}

#[test]
fn crm_md_en() {
    insta::assert_snapshot!(run(with(&CRM, &["--format", "md"])));
}

#[test]
fn crm_html_zh() {
    insta::assert_snapshot!(run(with(&CRM_ZH, &["--format", "html", "--lang", "zh"])));
}

#[test]
fn crm_md_zh() {
    insta::assert_snapshot!(run(with(&CRM_ZH, &["--format", "md", "--lang", "zh"])));
}

const APPRAISAL_ZH: [&str; 3] = [
    "report",
    "scorecards/appraisal.zh.toml",
    "scorecards/appraisal.zh-2026-Q3.toml",
];

#[test]
fn appraisal_html_zh() {
    insta::assert_snapshot!(run(with(
        &APPRAISAL_ZH,
        &["--format", "html", "--lang", "zh"]
    )));
}

#[test]
fn appraisal_md_zh() {
    insta::assert_snapshot!(run(with(
        &APPRAISAL_ZH,
        &["--format", "md", "--lang", "zh"]
    )));
}

/// The step boundaries card of the CLI cases, in English: every step
/// table, both directions.
#[test]
fn steps_md_en() {
    insta::assert_snapshot!(run(vec![
        "report".into(),
        "tests/cmd/evaluate/rules.in/steps.toml".into(),
        "tests/cmd/evaluate/rules.in/steps-2026-Q3.toml".into(),
        "--format".into(),
        "md".into(),
    ]));
}

/// SPEC §11/§12 in the methodology appendix: the table of every step
/// rule (best step first, then what scores short of every step), the
/// pass/fail note, and the nodes with their own thresholds.
#[test]
fn methodology_explains_steps_binary_and_own_thresholds() {
    let md = run(with(&APPRAISAL_ZH, &["--format", "md", "--lang", "zh"]));
    let table = "| 实际值 | 得分 |\n|:--|--:|\n| ≥ 120.0% | 120 |\n| ≥ 100.0% | 100 |\n\
                 | ≥ 90.0% | 80 |\n| ≥ 80.0% | 60 |\n| \\< 80.0% | 0 |\n";
    assert!(md.contains(table), "step table of 销售目标完成率:\n{md}");
    let lower = "| ≤ 0 次 | 100 |\n| ≤ 2 次 | 80 |\n| ≤ 4 次 | 60 |\n| \\> 4 次 | 0 |\n";
    assert!(md.contains(lower), "lower-is-better steps:\n{md}");
    assert!(md.contains("达标制评分"), "binary note:\n{md}");
    for row in [
        "| 财务 (维度) | 100 | 85 |",
        "| 销售目标完成率 (指标) | 100 | 80 |",
        "| 有效客诉次数 (指标) | 100 | 100 |",
    ] {
        assert!(md.contains(row), "own thresholds row {row}:\n{md}");
    }
    // Nodes without their own thresholds are not listed.
    assert!(!md.contains("| 客户 (维度)"), "{md}");
    assert!(md.contains("90 分及以上为达标，70 分及以上为关注"), "{md}");
    // A card with neither step rules nor own thresholds has neither section.
    let crm = run(with(&CRM, &["--format", "md"]));
    assert!(!crm.contains("### Step scoring") && !crm.contains("### Status thresholds"));
}

/// A perspective with its own thresholds is judged by them in the report
/// (financial 91.7 is amber under 100/85, though green under the card's
/// 90/70), and its bar carries its own threshold marks.
#[test]
fn own_thresholds_decide_the_report_status() {
    let html = run(with(&APPRAISAL_ZH, &["--format", "html", "--lang", "zh"]));
    assert!(
        html.contains("<h2><span>财务</span> <span class=\"badge status-amber\""),
        "financial is amber under its own thresholds"
    );
    assert_eq!(html.matches("class=\"threshold own\"").count(), 2);
}

#[test]
fn same_inputs_give_identical_bytes() {
    let a = run(with(&CRM, &["--format", "html"]));
    let b = run(with(&CRM, &["--format", "html"]));
    assert_eq!(a, b);
    assert!(!a.contains("Generated"), "no timestamp unless asked for");
    let stamped = run(with(&CRM, &["--format", "html", "--timestamp"]));
    assert!(
        stamped.contains("Generated 20"),
        "--timestamp adds the time"
    );
}

#[test]
fn report_is_self_contained() {
    let html = run(with(&CRM, &["--format", "html"]));
    // Nothing is fetched: no scripts, stylesheets, images or fonts by URL.
    for needle in [
        "<script",
        "<link rel=\"stylesheet\"",
        "<img",
        "@import",
        "url(http",
        "src=\"http",
    ] {
        assert!(!html.contains(needle), "found {needle}");
    }
    assert!(html.contains("<svg"), "charts are inline SVG");
    assert!(html.contains("@media print"), "print stylesheet");
    assert!(html.contains("@page { size: A4"), "A4 page size");
}

#[test]
fn content_of_the_report() {
    let html = run(with(&CRM, &["--format", "html"]));
    // Composite, status in words and shape, coverage, counts.
    // 80.2 before the churn plan; churn at its Q3 target 0.12 adds 0.1 x 13.33.
    assert!(html.contains(r#"<div class="big">81.5</div>"#));
    assert!(html.contains("◐</span> Watch"));
    assert!(html.contains("<strong>100.0%</strong>"));
    // Where to act: CLV has the largest weighted shortfall, 10.8% × (100 − 71.1).
    let act = html.split("Where to act").nth(1).unwrap();
    let first_row = act.split("<tr>").nth(2).unwrap();
    assert!(
        first_row.contains("Customer lifetime value") && first_row.contains("+3.1"),
        "{first_row}"
    );
    // What moved: falls first (retention cost turned red, 64.0 -> 44.0),
    // then rises, led by Marketing ROI 50.0 -> 115.0.
    let moved = html.split("What moved").nth(1).unwrap();
    let (falls, rises) = moved.split_once("Largest rises").unwrap();
    assert!(falls.contains("Largest falls"));
    assert!(
        falls
            .split("<tr>")
            .nth(2)
            .unwrap()
            .contains("Retention cost per customer"),
        "{falls}"
    );
    assert!(
        rises
            .split("<tr>")
            .nth(2)
            .unwrap()
            .contains("Marketing ROI"),
        "{rises}"
    );
    assert!(html.contains("▲ +65.0"));
    // Markdown note rendered, strategy map drawn.
    assert!(html.contains("<strong>back-to-school campaign</strong>"));
    assert!(html.contains(r#"marker-end="url(#arrow)""#));
    let md = run(with(&CRM, &["--format", "md"]));
    assert!(md.contains("```mermaid\nflowchart BT"));
    assert!(md.contains("| **81.5** (▲ +23.4) | ◐ Watch | 100.0% | 7 | 7 | 3 | 0 |"));
}

#[test]
fn corporate_report_shows_ahp_weights() {
    let md = report(&[
        "report",
        "scorecards/corporate.toml",
        "scorecards/corporate-2026-Q3.toml",
        "--format",
        "md",
    ]);
    assert!(md.contains("AHP weights"));
    assert!(
        md.contains("Consistency ratio 0.004"),
        "CR rounded to 3 places"
    );
    assert!(md.contains("No previous period was given"));
}

/// The real tags of an HTML document (escaped text such as `&lt;img` is
/// not a tag), lowercased.
fn real_tags(html: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let end = after.find('>').unwrap_or(after.len());
        tags.push(after[..end].to_lowercase());
        rest = &after[end..];
    }
    tags
}

/// No tag that runs code or fetches anything, no handler, no unsafe link.
fn assert_safe(tags: &[String]) {
    for t in tags {
        let name = t.split_whitespace().next().unwrap_or("");
        assert!(
            ![
                "script",
                "iframe",
                "img",
                "object",
                "embed",
                "a href=\"javascript"
            ]
            .contains(&name),
            "forbidden tag <{t}>"
        );
        // No event-handler attributes anywhere.
        assert!(
            !t.split_whitespace().skip(1).any(|a| a.starts_with("on")),
            "handler in <{t}>"
        );
        // Links and sources only to safe places.
        for attr in ["href=\"", "src=\""] {
            for (i, _) in t.match_indices(attr) {
                let v = &t[i + attr.len()..];
                assert!(
                    ["http://", "https://", "mailto:", "#", "data:,\""]
                        .iter()
                        .any(|ok| v.starts_with(ok)),
                    "unsafe {attr} in <{t}>"
                );
            }
        }
    }
}

/// Every piece of user text in the hostile fixture tries to inject markup.
#[test]
fn hostile_text_is_never_executable() {
    let args = [
        "report",
        "tests/fixtures/hostile/card.toml",
        "tests/fixtures/hostile/q1.toml",
    ];
    let html = report(&[&args[..], &["--format", "html"]].concat());
    let tags = real_tags(&html);
    assert!(tags.len() > 100, "the report has structure");
    assert_safe(&tags);
    // The hostile text is still shown to the reader, as text.
    assert!(
        html.contains("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; Evil &amp; Co"),
        "title shown escaped"
    );
    assert!(html.contains("Note &lt;script&gt;"), "note shown escaped");
    assert!(
        html.contains(r#"<a href="https://example.com">ok</a>"#),
        "safe links kept"
    );
    assert!(
        html.contains(r#"<a href="mailto:a@b.c">mail</a>"#),
        "mailto kept"
    );
    assert!(!html.contains("data:text/html"), "data: link dropped");

    let md = report(&[&args[..], &["--format", "md"]].concat());
    // What a wiki shows: the Markdown rendered by a CommonMark renderer.
    let mut shown = String::new();
    let opts = pulldown_cmark::Options::ENABLE_TABLES;
    pulldown_cmark::html::push_html(&mut shown, pulldown_cmark::Parser::new_ext(&md, opts));
    assert_safe(&real_tags(&shown));
    assert!(shown.contains("Note &lt;script&gt;"), "note shown as text");
    assert!(
        !md.to_lowercase().contains("](javascript:"),
        "javascript: link in md"
    );
    assert!(!md.contains("](data:"), "data: link in md");
    // HTML blocks (alone, or after a blank line) are shown as text.
    for text in [
        "alert('desc-block')",
        "alert('desc-script-block')",
        "alert('note-block')",
        "alert('after-blank')",
        "alert('pc')",
    ] {
        assert!(shown.contains(text), "{text} shown as text:\n{shown}");
    }
    // A note that starts with an indented code block stays in its
    // blockquote, code and all.
    assert_quoted(
        &shown,
        "Training",
        &["indented code", "Last line of the training note."],
    );
    assert_quoted(
        &shown,
        "Cycle",
        &["&lt;img src=x onerror=alert('note-block')&gt;"],
    );
    // A formula over several lines stays on its table row.
    assert!(
        md.contains("| Revenue per CSAT point (`rev / csat`) |"),
        "{md}"
    );
    // A name with a newline and a pipe cannot break its table row.
    assert!(md.contains("CSAT new \\| line"), "{md}");
    // Mermaid labels cannot be closed early.
    let mermaid = md
        .split("```mermaid")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    assert!(!mermaid.contains("\"]; click"), "{mermaid}");
}

/// The blockquote that a note of indicator `name` is put in (rendered
/// Markdown) holds every piece of `parts`.
fn assert_quoted(shown: &str, name: &str, parts: &[&str]) {
    let lead = format!("<blockquote>\n<p><strong>{name}</strong>");
    let start = shown
        .find(&lead)
        .unwrap_or_else(|| panic!("no note for {name}:\n{shown}"));
    let quote = &shown[start..];
    let quote = &quote[..quote.find("</blockquote>").expect("quote closed")];
    for p in parts {
        assert!(quote.contains(p), "{p} in the note of {name}:\n{quote}");
    }
}

#[test]
fn templates_override_one_partial() {
    let html = report(
        &[
            &CRM[..],
            &[
                "--format",
                "html",
                "--templates",
                "tests/fixtures/templates-override",
            ],
        ]
        .concat(),
    );
    assert!(html.contains("OVERRIDDEN: Financial scored 85.2"));
    assert_eq!(
        html.matches("custom-override").count(),
        4,
        "one per perspective"
    );
    // The rest still comes from the built-in templates.
    assert!(html.contains(r#"<div class="big">81.5</div>"#));
    assert!(
        !html.contains("Grow customer lifetime value</h3>"),
        "built-in perspective partial replaced"
    );
}

#[test]
fn template_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("_summary.html"),
        "<p>ok</p>\n<p>{{ composite.score </p>\n",
    )
    .unwrap();
    let out = bsc(&[&CRM[..], &["--templates", dir.path().to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("_summary.html"), "{err}");
    assert!(err.contains(":2:"), "line 2: {err}");
}

#[test]
fn output_file_is_written_whole_and_inputs_are_protected() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("report.html");
    let out = bsc(&[&CRM[..], &["-o", out_path.to_str().unwrap()]].concat());
    assert!(out.status.success());
    let written = std::fs::read_to_string(&out_path).unwrap();
    assert!(written.ends_with("</html>\n"));
    // No temporary file left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let before =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("scorecards/crm-2026-Q3.toml"))
            .unwrap();
    let out = bsc(&[&CRM[..], &["-o", "scorecards/crm-2026-Q3.toml"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to overwrite input file"));
    let after =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("scorecards/crm-2026-Q3.toml"))
            .unwrap();
    assert_eq!(before, after);
}

const PORTFOLIO: [&str; 4] = [
    "report",
    "tests/fixtures/portfolio/card.toml",
    "--data",
    "tests/fixtures/portfolio/three-units.csv",
];

#[test]
fn portfolio_md() {
    insta::assert_snapshot!(run(with(&PORTFOLIO, &["--format", "md"])));
}

#[test]
fn portfolio_html() {
    let html = run(with(&PORTFOLIO, &["--format", "html"]));
    // Ranked by composite, with the heat map's cells carrying status classes.
    let ranking = html.split("<tbody>").nth(1).unwrap();
    let north = ranking.find(">North<").unwrap();
    let east = ranking.find(">East<").unwrap();
    let west = ranking.find(">West<").unwrap();
    assert!(north < east && east < west, "ranking order");
    assert!(html.contains(
        r#"<td class="num heat status-green"><span aria-hidden="true">●</span> 95.0</td>"#
    ));
    assert_eq!(
        html.matches(r#"<section class="unit""#).count(),
        3,
        "a section per unit"
    );
    insta::assert_snapshot!(html);
}

#[test]
fn portfolio_one_unit_is_a_full_report() {
    let md = run(with(&PORTFOLIO, &["--format", "md", "--unit", "East"]));
    assert!(
        md.contains("Period: **2026-Q3** · compared with 2026-Q2 · Unit: East"),
        "{md}"
    );
    // Sections of the single-card report only (this card has no
    // objectives, so no strategy map).
    assert!(
        md.contains("## Where to act") && md.contains("## Methodology"),
        "the full single-unit report"
    );
    let out = bsc(&[&PORTFOLIO[..], &["--unit", "Est"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `East`?"));
}

/// ×100 of a `%` value from 7.9e26 on overflows a Decimal: both reports show
/// every digit instead of panicking.
#[test]
fn huge_percents_are_printed_in_full() {
    for format in ["md", "html"] {
        let out = report(&[
            "report",
            "tests/cmd/evaluate/huge-percent.in/card.toml",
            "tests/cmd/evaluate/huge-percent.in/q1.toml",
            "--format",
            format,
        ]);
        assert!(out.contains("7922816251426433759354395033500.0%"), "{out}");
        assert!(out.contains("-792281625142643375935439503350.0%"), "{out}");
        assert!(out.contains("79000000000000000000000000000.0%"), "{out}");
    }
}

/// Notes from a `--data` CSV's note column reach both Markdown reports (the
/// portfolio's unit sections and a unit's full report) as inert text, each
/// whole inside its blockquote.
#[test]
fn data_notes_are_inert_in_markdown_reports() {
    let csv = std::fs::read_to_string("tests/fixtures/portfolio/three-units.csv").unwrap();
    let notes = [
        ("revenue", "<img src=x onerror=alert('rev')>"),
        (
            "csat",
            "Intro.\n\n<script>alert('csat')</script>\n\nEnd of csat note.",
        ),
        (
            "cycle_days",
            "    code <b onclick=alert('cycle')>x</b>\n\nEnd of cycle note.",
        ),
        (
            "training_hours",
            "<div>\n<style>body{display:none}</style>\n</div>",
        ),
    ];
    let mut rows = String::from("period,unit,id,value,note\n");
    for line in csv.lines().skip(1) {
        let note = notes
            .iter()
            .find(|(id, _)| line.starts_with(&format!("2026-Q3,East,{id},")))
            .map_or(String::new(), |(_, n)| {
                format!("\"{}\"", n.replace('"', "\"\""))
            });
        rows.push_str(&format!("{line},{note}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("notes.csv");
    std::fs::write(&data, &rows).unwrap();
    let data = data.to_str().unwrap();
    let card = "tests/fixtures/portfolio/card.toml";
    for extra in [&[][..], &["--unit", "East"][..]] {
        let md = report(
            &[
                &["report", card, "--data", data, "--format", "md"][..],
                extra,
            ]
            .concat(),
        );
        let mut shown = String::new();
        let opts = pulldown_cmark::Options::ENABLE_TABLES;
        pulldown_cmark::html::push_html(&mut shown, pulldown_cmark::Parser::new_ext(&md, opts));
        let tags = real_tags(&shown);
        assert_safe(&tags);
        assert!(
            !tags
                .iter()
                .any(|t| t.starts_with("style") || t.starts_with("b ")),
            "{extra:?}: {tags:?}"
        );
        assert_quoted(&shown, "revenue", &["alert('rev')&gt;"]);
        assert_quoted(&shown, "csat", &["alert('csat')", "End of csat note."]);
        assert_quoted(
            &shown,
            "cycle_days",
            &["code &lt;b onclick", "End of cycle note."],
        );
        assert_quoted(&shown, "training_hours", &["&lt;style&gt;"]);
    }
}

/// 20% coverage (revenue only, on target) under the default min_coverage.
const THIN: [&str; 3] = [
    "report",
    "tests/cmd/evaluate/coverage.in/card.toml",
    "tests/cmd/evaluate/coverage.in/q20.toml",
];

/// The composite's score card and badge say "insufficient", never green,
/// and a warning says how little has data.
fn assert_insufficient_html(html: &str, label: &str, coverage: &str, minimum: &str) {
    assert!(
        html.contains(r#"<div class="score-card status-insufficient">"#),
        "{html}"
    );
    assert!(html.contains(&format!(
        r#"<div class="badge status-insufficient"><span aria-hidden="true">⚠</span> {label}</div>"#
    )));
    assert!(!html.contains("score-card status-green"));
    let warning = html
        .split(r#"<div class="warning" role="alert">"#)
        .nth(1)
        .expect("a warning box")
        .split("</div>")
        .next()
        .unwrap();
    assert!(
        warning.contains(coverage) && warning.contains(minimum),
        "{warning}"
    );
}

#[test]
fn insufficient_coverage_html_en() {
    let html = run(with(&THIN, &["--format", "html"]));
    assert_insufficient_html(&html, "Insufficient data", "20.0%", "50%");
    insta::assert_snapshot!(html);
}

#[test]
fn insufficient_coverage_html_zh() {
    let html = run(with(&THIN, &["--format", "html", "--lang", "zh"]));
    assert_insufficient_html(&html, "数据不足", "20.0%", "50%");
    insta::assert_snapshot!(html);
}

#[test]
fn insufficient_coverage_md_en() {
    let md = run(with(&THIN, &["--format", "md"]));
    assert!(md.contains("| ⚠ Insufficient data |"), "{md}");
    assert!(
        md.contains("> **⚠ Insufficient data**\n>\n> Too little"),
        "{md}"
    );
    assert!(
        md.contains("Data coverage: **20.0%** (⚠ minimum 50%)"),
        "{md}"
    );
    insta::assert_snapshot!(md);
}

#[test]
fn insufficient_coverage_md_zh() {
    let md = run(with(&THIN, &["--format", "md", "--lang", "zh"]));
    assert!(md.contains("| ⚠ 数据不足 |"), "{md}");
    assert!(
        md.contains("> **⚠ 数据不足**\n>\n> 计分卡中有数据的部分太少"),
        "{md}"
    );
    insta::assert_snapshot!(md);
}

#[test]
fn enough_coverage_has_no_warning() {
    let html = run(vec![
        "report".into(),
        "tests/cmd/evaluate/coverage.in/card.toml".into(),
        "tests/cmd/evaluate/coverage.in/q50.toml".into(),
    ]);
    assert!(html.contains(r#"<div class="score-card status-green">"#));
    assert!(!html.contains(r#"class="warning""#));
}

#[test]
fn portfolio_unit_with_too_little_data_is_not_ranked() {
    let md = run(vec![
        "report".into(),
        "tests/cmd/portfolio/coverage.in/card.toml".into(),
        "--data".into(),
        "tests/cmd/portfolio/coverage.in/units.csv".into(),
        "--format".into(),
        "md".into(),
    ]);
    assert!(md.contains("· ⚠ 1 Insufficient data"), "{md}");
    assert!(md.contains("| – | West | ⚠ **100.0** |"), "{md}");
    assert!(md.contains("| 1 | South | ● **100.0** |"), "{md}");
    assert!(
        md.contains("## West — ⚠ 100.0 (Insufficient data)\n\n> **⚠ Insufficient data**"),
        "{md}"
    );
}

/// SPEC §15: a sparkline for the composite, each perspective and each
/// indicator, every point's value in its tooltip, and the same numbers in
/// the history table (HTML) and period table (Markdown).
#[test]
fn history_is_charted_and_tabled() {
    let html = run(with(&CRM, &["--format", "html"]));
    // 1 composite + 4 perspectives + 17 indicators.
    assert_eq!(html.matches(r#"<svg class="spark""#).count(), 22);
    assert!(
        html.contains("<title>2025-Q3: 65.4</title>"),
        "composite's first point"
    );
    let table = html
        .split(r#"<table class="history-table">"#)
        .nth(1)
        .unwrap();
    let composite = table.split("<tr").nth(2).unwrap();
    for v in ["65.4", "75.7", "65.6", "58.1", "81.5"] {
        assert!(
            composite.contains(&format!(">{v}</td>")),
            "{v} in {composite}"
        );
    }
    let md = run(with(&CRM, &["--format", "md"]));
    assert!(md.contains(
        "| **Composite score** | **65.4** | **75.7** | **65.6** | **58.1** | **81.5** |"
    ));
    assert!(md.contains("| ↳ Marketing ROI | 57.9 | 71.4 | 64.9 | 50.0 | 115.0 |"));
    // Two periods: a trend, but no history.
    let two = report(&[
        "report",
        "scorecards/crm.toml",
        "scorecards/crm-2026-Q2.toml",
        "scorecards/crm-2026-Q3.toml",
    ]);
    assert!(!two.contains(r#"<svg class="spark""#));
    assert!(two.contains("</span> +23.4 <span class=\"sub\">since 2026-Q2</span>"));
}

/// `--compare year-ago`: changes against 2025-Q3, and the report says so.
#[test]
fn year_ago_comparison_is_named() {
    let md = run(with(&CRM, &["--format", "md", "--compare", "year-ago"]));
    assert!(md.contains("compared with 2025-Q3 (the same period a year earlier)"));
    assert!(md.contains("| **81.5** (▲ +16.1) |"), "81.5 - 65.4");
    let zh = run(with(
        &CRM_ZH,
        &["--format", "md", "--lang", "zh", "--compare", "year-ago"],
    ));
    assert!(zh.contains("对比期间 2025-Q3（上年同期）"));
}

/// Reasons in the report's language, naming inputs by their names.
#[test]
fn missing_data_reasons_speak_the_report_language() {
    let dir = tempfile::tempdir().unwrap();
    // A quarter without `lost` (churn's formula input) and without CSAT.
    let strip = |card: &str, name: &str| {
        let q3 = std::fs::read_to_string(card).unwrap();
        let without: String = q3
            .lines()
            .filter(|l| !l.starts_with("lost =") && !l.starts_with("csat ="))
            .map(|l| format!("{l}\n"))
            .collect();
        let file = dir.path().join(name);
        std::fs::write(&file, without).unwrap();
        file.to_str().unwrap().to_string()
    };
    let zh_q3 = strip("scorecards/crm.zh-2026-Q3.toml", "zh-2026-Q3.toml");
    let zh = report(&[
        "report",
        "scorecards/crm.zh.toml",
        &zh_q3,
        "--format",
        "md",
        "--lang",
        "zh",
    ]);
    assert!(zh.contains("| 客户满意度（CSAT） | 无数据 |"), "{zh}");
    assert!(zh.contains("| 客户流失率 | 缺少本期流失客户数 |"), "{zh}");
    let en_q3 = strip("scorecards/crm-2026-Q3.toml", "en-2026-Q3.toml");
    let en = report(&["report", "scorecards/crm.toml", &en_q3, "--format", "md"]);
    assert!(
        en.contains("| Customer churn rate | needs Customers lost in period |"),
        "{en}"
    );
}

/// `-o r.md` writes Markdown without `--format`; `--format` still wins.
#[test]
fn format_follows_the_output_extension() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("r.md");
    let out = bsc(&[
        "report",
        "scorecards/crm.toml",
        "scorecards/crm-2026-Q3.toml",
        "-o",
        md.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .starts_with("# CRM performance\n")
    );
    let html = dir.path().join("r.markdown.html");
    let out = bsc(&[
        "report",
        "scorecards/crm.toml",
        "scorecards/crm-2026-Q3.toml",
        "-o",
        html.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    let forced = dir.path().join("forced.html");
    let out = bsc(&[
        "report",
        "scorecards/crm.toml",
        "scorecards/crm-2026-Q3.toml",
        "--format",
        "md",
        "-o",
        forced.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&forced)
            .unwrap()
            .starts_with("# CRM performance")
    );
}

/// SPEC §15 in reports: the waterfall from 2026-Q2's composite (58.1) to
/// 2026-Q3's (81.5), a step per perspective, and the robustness appendix.
#[test]
fn waterfall_and_robustness() {
    let md = run(with(&CRM, &["--format", "md"]));
    for row in [
        "| Composite 2026-Q2 | 58.1 | 58.1 |",
        "| Financial | +11.7 | 69.8 |",
        "| Composite 2026-Q3 | 81.5 | 81.5 |",
    ] {
        assert!(md.contains(row), "{row}");
    }
    assert!(md.contains("**No single weight, moved alone, changes the verdict (Watch).**"));
    let html = run(with(&CRM, &["--format", "html"]));
    assert!(html.contains(r#"<section class="waterfall" id="waterfall">"#));
    assert_eq!(
        html.matches(r#"<rect class="wf-bar"#).count(),
        6,
        "start, 4 perspectives, end"
    );
    let zh = run(with(&CRM_ZH, &["--format", "md", "--lang", "zh"]));
    assert!(zh.contains("## 结论有多稳健？"));
    // Q2 (red): the financial weight is the critical one.
    let q2 = report(&[
        "report",
        "scorecards/crm.toml",
        "scorecards/crm-2026-Q1.toml",
        "scorecards/crm-2026-Q2.toml",
        "--format",
        "md",
    ]);
    assert!(
        q2.contains("if the weight of Financial in Perspectives falls to ×0.55 (-45%)"),
        "{q2}"
    );
}
