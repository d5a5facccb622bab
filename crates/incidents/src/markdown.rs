//! Notes are Markdown, shown as HTML that can never carry markup of its own: every character of
//! the text is escaped first, and only the few constructs a triage note needs are then turned
//! into tags we write — paragraphs, line breaks, `- ` lists, `**bold**`, `*emphasis*`,
//! `` `code` `` and `[links](https://…)` to http(s) addresses. Raw HTML in a note shows as text.

/// The escaping of chart text serves HTML as well: the same five characters carry meaning in both.
pub use charts::escape;

/// The note as safe HTML.
pub fn to_html(text: &str) -> String {
    let mut out = String::new();
    for block in text.replace("\r\n", "\n").split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        if lines.iter().all(|l| is_item(l)) {
            out.push_str("<ul>");
            for l in lines {
                out.push_str("<li>");
                out.push_str(&inline(l.trim_start()[2..].trim()));
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        } else {
            out.push_str("<p>");
            let rendered: Vec<String> = lines.iter().map(|l| inline(l.trim())).collect();
            out.push_str(&rendered.join("<br>"));
            out.push_str("</p>");
        }
    }
    out
}

fn is_item(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("- ") || l.starts_with("* ")
}

/// One line's inline constructs, over text escaped first.
fn inline(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`') {
            if let Some(end) = after.find('`') {
                out.push_str("<code>");
                out.push_str(&escape(&after[..end]));
                out.push_str("</code>");
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = after.find("**").filter(|e| *e > 0) {
                out.push_str("<strong>");
                out.push_str(&inline(&after[..end]));
                out.push_str("</strong>");
                rest = &after[end + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix('*') {
            if let Some(end) = after.find('*').filter(|e| *e > 0) {
                out.push_str("<em>");
                out.push_str(&inline(&after[..end]));
                out.push_str("</em>");
                rest = &after[end + 1..];
                continue;
            }
        }
        if let Some((html, used)) = link(rest) {
            out.push_str(&html);
            rest = &rest[used..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push_str(&escape(&c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `[text](http(s)://…)` at the start of `s`: the anchor and how many bytes it took.
fn link(s: &str) -> Option<(String, usize)> {
    let after = s.strip_prefix('[')?;
    let close = after.find("](")?;
    let label = &after[..close];
    let target_start = close + 2;
    let end = after[target_start..].find(')')? + target_start;
    let href = &after[target_start..end];
    let safe = (href.starts_with("https://") || href.starts_with("http://"))
        && !href
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
    if !safe || label.is_empty() {
        return None;
    }
    let html = format!(
        "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
        escape(href),
        escape(label)
    );
    Some((html, 1 + end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_shows_as_text() {
        let html = to_html("<script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn the_constructs_a_note_needs_are_rendered() {
        let html = to_html("Checked with **Ana**, see `SEC-1`\nand [the runbook](https://wiki.example/r)\n\n- revoked token\n- rotated key");
        assert_eq!(
            html,
            "<p>Checked with <strong>Ana</strong>, see <code>SEC-1</code><br>and <a href=\"https://wiki.example/r\" rel=\"noopener noreferrer\">the runbook</a></p><ul><li>revoked token</li><li>rotated key</li></ul>"
        );
    }

    #[test]
    fn links_to_other_schemes_stay_text() {
        let html = to_html("[click](javascript:alert(1)) [x](https://a.example/\"onmouseover=1)");
        assert!(!html.contains("<a "), "{html}");
        assert!(!html.contains("href"), "{html}");
    }
}
