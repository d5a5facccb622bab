//! Finishing a plotters SVG: the accessible title and description, and the clickable areas laid
//! over bars and cells (plotters itself draws shapes, not links).

use std::fmt::Write;

/// A clickable rectangle in pixels, with where it leads and what it says.
pub(crate) struct Area {
    top_left: (i32, i32),
    bottom_right: (i32, i32),
    href: String,
    label: String,
    value: u64,
}

impl Area {
    pub(crate) fn new(
        top_left: (i32, i32),
        bottom_right: (i32, i32),
        href: &str,
        label: &str,
        value: u64,
    ) -> Self {
        Self {
            top_left,
            bottom_right,
            href: href.to_owned(),
            label: label.to_owned(),
            value,
        }
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Adds the role, title and description to plotters' `<svg>` element and the link areas before
/// its end.
pub(crate) fn finish(svg: String, text: &crate::ChartText, areas: &[Area]) -> String {
    let id = escape(&text.id);
    let open_end = svg.find('>').unwrap_or(0);
    let mut out = String::with_capacity(svg.len() + areas.len() * 160 + 256);
    out.push_str(&svg[..open_end]);
    let _ = write!(
        out,
        r#" role="img" aria-labelledby="{id}-title {id}-desc" class="chart-svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(&text.title),
        escape(&text.description)
    );
    let body_end = svg.rfind("</svg>").unwrap_or(svg.len());
    out.push_str(&svg[open_end + 1..body_end]);
    for a in areas.iter().filter(|a| !a.href.is_empty()) {
        let (x, y) = a.top_left;
        let (w, h) = ((a.bottom_right.0 - x).max(1), (a.bottom_right.1 - y).max(1));
        let label = escape(&a.label);
        let _ = write!(
            out,
            r#"<a href="{}" aria-label="{label}"><rect class="hit" x="{x}" y="{y}" width="{w}" height="{h}" fill="transparent" data-value="{}"><title>{label}</title></rect></a>"#,
            escape(&a.href),
            a.value
        );
    }
    out.push_str("</svg>\n");
    out
}
