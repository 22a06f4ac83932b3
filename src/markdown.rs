//! User Markdown (descriptions, notes) made safe for reports: raw HTML is
//! shown as text, links keep only http/https/mailto targets, images become
//! their alt text (a report must not fetch anything).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

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
    for ev in Parser::new_ext(text, opts) {
        match ev {
            Event::Html(h) | Event::InlineHtml(h) => out.push(Event::Text(h)),
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
pub fn to_markdown(text: &str) -> String {
    // The writer escapes text itself (`<` as `\<`, `&` as `&amp;`), so raw
    // HTML turned into text stays text; escaping it here as well showed
    // readers `&lt;`.
    let events = safe_events(text);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ =
        pulldown_cmark_to_cmark::cmark(events.iter(), &mut out, pulldown_cmark::Options::empty());
    out
}

/// One line of user text for a Markdown table cell or heading: Markdown
/// and HTML metacharacters escaped, line breaks folded.
pub fn escape_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn inline_escape() {
        assert_eq!(
            escape_inline("a|b <i>*x*</i>\nz"),
            "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt; z"
        );
    }
}
