//! User Markdown (descriptions, notes) made safe for reports: raw HTML is
//! shown as text, links keep only http/https/mailto targets, images become
//! their alt text (a report must not fetch anything).

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

fn safe_url(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("http://") || u.starts_with("https://") || u.starts_with("mailto:")
}

/// Parses user Markdown into events with anything unsafe neutralised.
fn safe_events(text: &str) -> Vec<Event<'_>> {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = Vec::new();
    // Depth of links being dropped, so their closing tags are dropped too.
    let mut dropped_links: Vec<bool> = Vec::new();
    let mut in_image = 0usize;
    // The last line of an HTML block ended with a line break.
    let mut line_ended = false;
    for ev in Parser::new_ext(text, opts) {
        match ev {
            // An HTML block becomes a paragraph of its text: kept as an
            // HTML block, a Markdown writer puts its text back verbatim.
            // Its lines come one event each, ending in a line break: text
            // lines joined by soft breaks, as a paragraph's are.
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => {
                line_ended = false;
                out.push(Event::End(TagEnd::Paragraph));
            }
            Event::Html(h) => {
                if std::mem::take(&mut line_ended) {
                    out.push(Event::SoftBreak);
                }
                line_ended = h.ends_with('\n');
                let line = h.trim();
                if !line.is_empty() {
                    out.push(Event::Text(CowStr::from(line.to_string())));
                }
            }
            Event::InlineHtml(h) => out.push(Event::Text(h)),
            // Fenced, not indented: an indented block's lines read as
            // plain text (live HTML included) once put after a lead-in.
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => out.push(Event::Start(
                Tag::CodeBlock(CodeBlockKind::Fenced(CowStr::Borrowed(""))),
            )),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let keep = safe_url(&dest_url);
                dropped_links.push(!keep);
                if keep {
                    out.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }));
                }
            }
            Event::End(TagEnd::Link) => {
                if dropped_links.pop() == Some(false) {
                    out.push(Event::End(TagEnd::Link));
                }
            }
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
            // Inside an image only its alt text survives, as plain text.
            Event::Text(t) if in_image > 0 => out.push(Event::Text(t)),
            _ if in_image > 0 => {}
            other => out.push(other),
        }
    }
    join_cjk_lines(out)
}

/// Chinese and Japanese put no space between words, so a line break
/// inside their text is not a space: a soft break between two such
/// characters is dropped (HTML would show it as a stray space).
fn join_cjk_lines(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let cjk = |c: char| {
        matches!(c as u32,
            0x3000..=0x303F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
            | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
    };
    let ends =
        |e: Option<&Event>| matches!(e, Some(Event::Text(t)) if t.chars().last().is_some_and(cjk));
    let starts =
        |e: Option<&Event>| matches!(e, Some(Event::Text(t)) if t.chars().next().is_some_and(cjk));
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut it = events.into_iter().peekable();
    while let Some(ev) = it.next() {
        if matches!(ev, Event::SoftBreak) && ends(out.last()) && starts(it.peek()) {
            continue;
        }
        out.push(ev);
    }
    out
}

/// Renders user Markdown to HTML that is safe to embed in a report.
pub fn to_html(text: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, safe_events(text).into_iter());
    html
}

/// Re-emits user Markdown as Markdown that is safe to embed in a Markdown
/// report: raw HTML becomes escaped text, unsafe links lose their target.
/// Line breaks are `\n` only, so a template can prefix every line.
pub fn to_markdown(text: &str) -> String {
    // The writer escapes text itself (`<` as `\<`, `&` as `&amp;`), so raw
    // HTML turned into text stays text; escaping it here as well showed
    // readers `&lt;`.
    let events = safe_events(text);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ =
        pulldown_cmark_to_cmark::cmark(events.iter(), &mut out, pulldown_cmark::Options::empty());
    let out = out
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .trim_start_matches('\n')
        .to_string();
    let out = plain_ampersands(&out);
    // The writer is trusted only as far as its output reads back inert;
    // otherwise the reader gets the text with every character escaped.
    if inert(&out) {
        out
    } else {
        escaped_lines(text)
    }
}

/// User Markdown to follow a lead-in on the same line, as notes do
/// (`> **Name** — …`): when it does not begin with a paragraph (a code
/// block, a list, a heading), a blank line first, so the block keeps its
/// meaning instead of being read as more of the lead-in's text.
pub fn to_markdown_after_lead(text: &str) -> String {
    let md = to_markdown(text);
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    match Parser::new_ext(&md, opts).next() {
        Some(Event::Start(Tag::Paragraph)) | None => md,
        Some(_) => format!("\n\n{md}"),
    }
}

/// Whether Markdown, read by a renderer that allows HTML, holds no HTML
/// and no link or image that could run or fetch anything.
fn inert(md: &str) -> bool {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    Parser::new_ext(md, opts).all(|ev| match ev {
        Event::Html(_) | Event::InlineHtml(_) | Event::Start(Tag::Image { .. }) => false,
        Event::Start(Tag::Link { dest_url, .. }) => safe_url(&dest_url),
        _ => true,
    })
}

/// Every line of `text` escaped as inline text, ended by a hard break.
fn escaped_lines(text: &str) -> String {
    text.lines()
        .map(|l| escape_inline(l.trim_start()))
        .collect::<Vec<_>>()
        .join("\\\n")
}

/// One line of user text for a Markdown table cell or heading: Markdown
/// and HTML metacharacters escaped, line breaks folded.
pub fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        match c {
            '\n' | '\r' => out.push(' '),
            // Backslash escapes (CommonMark): the text reads as written in
            // the .md file too, where `&lt;` would not.
            '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            // `&` is text unless it starts something a renderer would read
            // as an entity (`&amp;`, `&#38;`): only then is it escaped, so
            // "Learning & growth" stays as written.
            '&' if entity_at(&text[at..]) => out.push_str("\\&"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// The writer's `&amp;` back to `&` wherever a plain `&` reads the same
/// ("Learning & growth"); kept before what would spell an entity.
fn plain_ampersands(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut rest = md;
    while let Some(i) = rest.find("&amp;") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "&amp;".len()..];
        if entity_at(&format!("&{after}")) {
            out.push_str("&amp;");
        } else {
            out.push('&');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Whether `s` (starting with `&`) begins an HTML entity reference:
/// `&name;`, `&#123;` or `&#x1F;`.
fn entity_at(s: &str) -> bool {
    let body = &s[1..];
    let end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .unwrap_or(body.len());
    end > 0 && body[end..].starts_with(';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_break_inside_chinese_text_is_not_a_space() {
        assert_eq!(to_html("第一行\n第二行"), "<p>第一行第二行</p>\n");
        assert_eq!(to_html("first\nsecond"), "<p>first\nsecond</p>\n");
        assert_eq!(to_html("中文\nEnglish"), "<p>中文\nEnglish</p>\n");
        assert!(!to_markdown("第一行\n第二行").contains('\n'));
    }

    #[test]
    fn user_markdown_keeps_plain_ampersands() {
        assert_eq!(to_markdown("*learning & growth*"), "*learning & growth*");
        // Written `&amp;lt;`: shown as `&lt;`, so the escape stays.
        assert_eq!(to_markdown("a &amp;lt; b"), "a &amp;lt; b");
    }

    #[test]
    fn ampersands_stay_text_unless_they_spell_an_entity() {
        assert_eq!(escape_inline("Learning & growth"), "Learning & growth");
        assert_eq!(escape_inline("R&D"), "R&D");
        assert_eq!(escape_inline("&amp; &#38; &x"), "\\&amp; \\&\\#38; &x");
        assert_eq!(escape_inline("a < b > c"), "a \\< b \\> c");
    }

    #[test]
    fn html_is_neutralised() {
        let h = to_html("Hi <script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn only_safe_links_survive() {
        let h = to_html(
            "[a](javascript:alert(1)) [b](https://example.com) [c](mailto:x@y.z) [d](JAVASCRIPT:x)",
        );
        assert!(!h.to_lowercase().contains("javascript"), "{h}");
        assert!(h.contains(r#"<a href="https://example.com">b</a>"#), "{h}");
        assert!(h.contains(r#"href="mailto:x@y.z""#), "{h}");
        assert!(h.contains('a') && h.contains('d'), "link text kept: {h}");
    }

    #[test]
    fn images_become_alt_text() {
        let h = to_html("![chart](https://evil.example/pixel.png)");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("chart"), "{h}");
    }

    #[test]
    fn markdown_output_is_safe() {
        let m = to_markdown("**bold** <b onclick=x>hi</b> [x](javascript:alert(1))");
        assert!(m.contains("**bold**"), "{m}");
        // Rendered again (as a wiki would), the tag is text, not a tag.
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, Parser::new(&m));
        assert!(html.contains("&lt;b onclick=x&gt;hi&lt;/b&gt;"), "{html}");
        // Escaped once: a reader sees `<b onclick=x>`, not `&lt;b`.
        assert!(m.contains(r"\<b onclick=x>hi\</b>"), "{m}");
        assert!(!m.contains("javascript"), "{m}");
    }

    /// What a wiki shows: Markdown rendered by a renderer that lets HTML
    /// through.
    fn shown(md: &str) -> String {
        let mut html = String::new();
        let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        pulldown_cmark::html::push_html(&mut html, Parser::new_ext(md, opts));
        html
    }

    fn assert_inert(html: &str, why: &str) {
        let lower = html.to_lowercase();
        for bad in [
            "<script", "<img", "<style", "<iframe", "<b ", "onerror=", "onclick=",
        ] {
            // `=` of an attribute only matters inside a real tag; escaped
            // text shows `&lt;` before it.
            if bad.ends_with('=') {
                for (i, _) in lower.match_indices(bad) {
                    let before = &lower[..i];
                    let open = before
                        .rfind('<')
                        .is_some_and(|o| before.rfind('>') < Some(o));
                    assert!(!open, "{why}: live `{bad}` in {html}");
                }
            } else {
                assert!(!lower.contains(bad), "{why}: live `{bad}` in {html}");
            }
        }
    }

    const VECTORS: [&str; 12] = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "Intro.\n\n<img src=x onerror=alert(1)>",
        "Intro.\n\n<script>alert(1)</script>\n\nafter",
        "    indented <b onclick=alert(1)>x</b>\n\n<script>alert(2)</script>\n\nLast line",
        "<div>\n<script>alert(1)</script>\n</div>",
        "<style>body{display:none}</style>",
        "<!-- c --><img src=x onerror=alert(1)>",
        "- item <b onclick=alert(1)>b</b>\n- two",
        "# Heading <img src=x onerror=alert(1)>",
        "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | d |",
        "text\r<script>alert(1)</script>\rLast line",
    ];

    /// Every vector, on its own and as a note in a blockquote after a
    /// lead-in (as the templates put it): no live HTML, and the
    /// blockquote holds the whole note.
    #[test]
    fn markdown_blocks_are_inert_and_stay_in_their_quote() {
        for v in VECTORS {
            let md = to_markdown(v);
            assert!(!md.contains('\r'), "{v:?}: {md:?}");
            assert_inert(&shown(&md), v);
            let note = to_markdown_after_lead(v);
            let quote = format!("> **Name** — {}\n", note.replace('\n', "\n> "));
            let html = shown(&quote);
            assert_inert(&html, v);
            assert!(html.starts_with("<blockquote>"), "{v:?}: {html}");
            assert_eq!(html.matches("<blockquote>").count(), 1, "{v:?}: {html}");
            assert!(html.trim_end().ends_with("</blockquote>"), "{v:?}: {html}");
            if v.contains("Last line") {
                let last = html.find("Last line").unwrap();
                assert!(last < html.find("</blockquote>").unwrap(), "{v:?}: {html}");
            }
        }
    }

    #[test]
    fn indented_code_keeps_its_text_as_code() {
        let md = to_markdown_after_lead("    let x = <b>1</b>;");
        assert!(md.starts_with("\n\n"), "a block after the lead-in: {md:?}");
        let html = shown(&format!("> **N** — {}", md.replace('\n', "\n> ")));
        assert!(
            html.contains("<pre><code>let x = &lt;b&gt;1&lt;/b&gt;;"),
            "{html}"
        );
        // A paragraph still follows the lead-in on its line.
        assert_eq!(to_markdown_after_lead("Plain *note*."), "Plain *note*.");
    }

    #[test]
    fn what_does_not_read_back_inert_is_escaped_text() {
        assert!(!inert("<b>x</b>"));
        assert!(!inert("![p](https://x.example/p.png)"));
        assert!(!inert("[a](javascript:x)"));
        assert!(inert("[a](https://x.example) \\<b>"));
        let md = escaped_lines("<script>alert(1)</script>\n    <img src=x onerror=y>");
        assert!(inert(&md), "{md}");
        assert_inert(&shown(&md), "fallback");
    }

    #[test]
    fn inline_escape() {
        assert_eq!(
            escape_inline("a|b <i>*x*</i>\nz"),
            "a\\|b \\<i\\>\\*x\\*\\</i\\> z"
        );
    }
}
