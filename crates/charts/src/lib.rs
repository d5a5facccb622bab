//! The Overview's charts, drawn with plotters as SVG on the server: data in, a self-contained
//! `<svg>` string out. Every chart carries a `<title>` and `<desc>` for screen readers, uses the
//! one [`PALETTE`], scales to its container (it has a `viewBox`), and wraps every bar and cell in a
//! link so a click opens the Events page narrowed to it.
//!
//! Text is laid out with plotters' font-free estimator (no font files needed on the server); the
//! browser renders it with the page's font.

mod svg;

use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;
use svg::{finish, Area};

pub use svg::escape;

/// The colour-blind-safe palette (Okabe–Ito) every chart draws from, in order.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

const WIDTH: u32 = 640;
const AXIS: RGBColor = RGBColor(90, 90, 90);
/// Large enough to stay legible when a 640-pixel chart is scaled to a phone's width.
const FONT: (&str, u32) = ("sans-serif", 15);

/// What every chart needs besides its data.
#[derive(Debug, Clone)]
pub struct ChartText {
    /// A document-unique id prefix for the title and description elements.
    pub id: String,
    /// The title (read first by screen readers).
    pub title: String,
    /// A sentence summarising what the chart shows.
    pub description: String,
}

/// One labelled bar and where clicking it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// The category (a person, an operation, a severity).
    pub label: String,
    /// Its count.
    pub value: u64,
    /// The Events URL narrowed to it.
    pub href: String,
}

/// One stacked series of a time chart: a value and a link per bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The series name (a product or a category).
    pub name: String,
    /// One value per bucket.
    pub values: Vec<u64>,
    /// One Events URL per bucket.
    pub hrefs: Vec<String>,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("drawing the chart failed: {0}")]
pub struct ChartError(String);

fn fail(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// Horizontal bars, largest first as given; an empty slice draws an empty frame.
///
/// # Errors
/// When plotters refuses to draw.
pub fn bars(text: &ChartText, bars: &[Bar], color: usize) -> Result<String, ChartError> {
    let rows = bars.len().max(1);
    let height = 40 + 28 * rows as u32;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let labels: Vec<String> = bars.iter().map(|b| shorten(&b.label, 24)).collect();
    let mut out = String::new();
    let mut areas = Vec::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(190)
            .build_cartesian_2d(0u64..max + max / 10 + 1, (0..rows).into_segmented())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .axis_style(AXIS)
            .label_style(FONT)
            .x_labels(5)
            .y_labels(rows)
            // Row 0 is drawn at the bottom; the first bar goes on top.
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(r) if *r < rows => {
                    labels.get(rows - 1 - r).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .draw()
            .map_err(fail)?;
        let fill = PALETTE[color % PALETTE.len()].filled();
        for (i, bar) in bars.iter().enumerate() {
            let row = rows - 1 - i;
            let (a, b) = (
                (0, SegmentValue::Exact(row)),
                (bar.value, SegmentValue::Exact(row + 1)),
            );
            let mut rect = Rectangle::new([a.clone(), b.clone()], fill);
            rect.set_margin(4, 4, 0, 0);
            chart.draw_series([rect]).map_err(fail)?;
            let (p0, p1) = (chart.backend_coord(&a), chart.backend_coord(&b));
            areas.push(Area::new(
                (p0.0, p1.1 + 4),
                (p1.0.max(p0.0 + 3), p0.1 - 4),
                &bar.href,
                &format!("{}: {}", bar.label, bar.value),
                bar.value,
            ));
        }
        root.present().map_err(fail)?;
    }
    Ok(finish(out, text, &areas))
}

/// A row-wrapped legend in a band of its own: where each series' swatch and name go.
struct Legend {
    /// Top-left corner of each entry's swatch, in the band's pixels.
    spots: Vec<(i32, i32)>,
    /// The band's height: nothing of the plot is drawn above it.
    height: u32,
}

impl Legend {
    const ROW: i32 = 22;
    const SWATCH: i32 = 12;
    const GAP: i32 = 18;
    const LEFT: i32 = 64;

    /// Places the entries left to right from the plot's left edge, wrapping at the chart's
    /// width; `width_of` measures a name.
    fn lay_out(names: &[&str], width_of: impl Fn(&str) -> u32) -> Self {
        let (mut x, mut y) = (Self::LEFT, 6);
        let mut spots = Vec::with_capacity(names.len());
        for name in names {
            let w = Self::SWATCH + 6 + width_of(name) as i32;
            if x + w > WIDTH as i32 - 8 && x > Self::LEFT {
                (x, y) = (Self::LEFT, y + Self::ROW);
            }
            spots.push((x, y));
            x += w + Self::GAP;
        }
        let height = if names.is_empty() {
            4
        } else {
            (y + Self::ROW) as u32
        };
        Self { spots, height }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        band: &DrawingArea<DB, plotters::coord::Shift>,
        names: &[&str],
    ) -> Result<(), ChartError> {
        for (k, ((x, y), name)) in self.spots.iter().zip(names).enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            band.draw(&Rectangle::new(
                [(*x, y + 3), (x + Self::SWATCH, y + 3 + Self::SWATCH)],
                color.filled(),
            ))
            .map_err(fail)?;
            band.draw(&Text::new(
                (*name).to_owned(),
                (x + Self::SWATCH + 6, *y),
                FONT.into_font().color(&AXIS),
            ))
            .map_err(fail)?;
        }
        Ok(())
    }
}

/// Vertical bars over time buckets, the series stacked in palette order, with a legend above
/// the plot.
///
/// # Errors
/// When plotters refuses to draw.
pub fn stacked(
    text: &ChartText,
    buckets: &[String],
    series: &[Series],
) -> Result<String, ChartError> {
    let n = buckets.len().max(1);
    let totals: Vec<u64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    // At most about 12 bucket labels, so a 90-day range stays readable on a phone.
    let step = n.div_ceil(12);
    let mut out = String::new();
    let mut areas = Vec::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        // The legend has its own band above the plot, so it never covers a bar.
        let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
        let legend = Legend::lay_out(&names, |name| {
            root.estimate_text_size(name, &FONT.into_font().into())
                .map_or(8 * name.len() as u32, |(w, _)| w)
        });
        let (band, plot) = root.split_vertically(legend.height);
        legend.draw(&band, &names)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(8)
            .margin_top(4)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n).into_segmented(), 0u64..max + max / 10 + 1)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .axis_style(AXIS)
            .label_style(FONT)
            .x_labels(n)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if i % step == 0 && *i < n => {
                    buckets.get(*i).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .y_labels(5)
            .draw()
            .map_err(fail)?;
        let mut base = vec![0u64; n];
        for (k, s) in series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let mut rects = Vec::new();
            for (i, bottom) in base.iter_mut().enumerate() {
                let v = s.values.get(i).copied().unwrap_or(0);
                if v == 0 {
                    continue;
                }
                let (a, b) = (
                    (SegmentValue::Exact(i), *bottom),
                    (SegmentValue::Exact(i + 1), *bottom + v),
                );
                let (p0, p1) = (chart.backend_coord(&a), chart.backend_coord(&b));
                let mut rect = Rectangle::new([a, b], color.filled());
                rect.set_margin(0, 0, 1, 1);
                rects.push(rect);
                areas.push(Area::new(
                    (p0.0 + 1, p1.1),
                    (p1.0 - 1, p0.1.max(p1.1 + 2)),
                    s.hrefs.get(i).map_or("", String::as_str),
                    &format!(
                        "{} · {}: {v}",
                        buckets.get(i).map_or("", String::as_str),
                        s.name
                    ),
                    v,
                ));
                *bottom += v;
            }
            chart.draw_series(rects).map_err(fail)?;
        }
        root.present().map_err(fail)?;
    }
    Ok(finish(out, text, &areas))
}

/// Labels of the heatmap's rows, Monday first.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// An hour × weekday grid of counts: `cells[weekday][hour]`, Monday first, with a link per cell
/// (`None` for a cell that cannot be opened).
///
/// # Errors
/// When plotters refuses to draw.
pub fn heatmap(
    text: &ChartText,
    cells: &[[u64; 24]; 7],
    hrefs: &[[Option<String>; 24]; 7],
) -> Result<String, ChartError> {
    let max = cells.iter().flatten().copied().max().unwrap_or(0).max(1);
    let base = PALETTE[0];
    let shade = |v: u64| {
        // White for nothing, the palette's first colour for the busiest cell.
        let t = v as f64 / max as f64;
        let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * (0.08 + 0.92 * t)).round() as u8;
        if v == 0 {
            RGBColor(247, 247, 247)
        } else {
            RGBColor(mix(base.0), mix(base.1), mix(base.2))
        }
    };
    let mut out = String::new();
    let mut areas = Vec::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(44)
            .build_cartesian_2d((0..24usize).into_segmented(), (0..7usize).into_segmented())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .axis_style(AXIS)
            .label_style(FONT)
            .x_labels(24)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(h) if h % 3 == 0 && *h < 24 => format!("{h:02}"),
                _ => String::new(),
            })
            .y_labels(7)
            // Row 0 is drawn at the bottom; put Monday at the top.
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(r) if *r < 7 => WEEKDAYS[6 - r].to_owned(),
                _ => String::new(),
            })
            .draw()
            .map_err(fail)?;
        for (day, hours) in cells.iter().enumerate() {
            let row = 6 - day;
            for (hour, v) in hours.iter().enumerate() {
                let (a, b) = (
                    (SegmentValue::Exact(hour), SegmentValue::Exact(row)),
                    (SegmentValue::Exact(hour + 1), SegmentValue::Exact(row + 1)),
                );
                let (p0, p1) = (chart.backend_coord(&a), chart.backend_coord(&b));
                let mut rect = Rectangle::new([a, b], shade(*v).filled());
                rect.set_margin(1, 1, 1, 1);
                chart.draw_series([rect]).map_err(fail)?;
                if let Some(href) = &hrefs[day][hour] {
                    areas.push(Area::new(
                        (p0.0, p1.1),
                        (p1.0, p0.1),
                        href,
                        &format!("{} {hour:02}:00: {v}", WEEKDAYS[day]),
                        *v,
                    ));
                }
            }
        }
        root.present().map_err(fail)?;
    }
    Ok(finish(out, text, &areas))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> ChartText {
        ChartText {
            id: "c1".into(),
            title: "Top people".into(),
            description: "Ana Lima 3 & Björn 1".into(),
        }
    }

    #[test]
    fn a_bar_chart_links_each_bar_and_describes_itself() {
        let svg = bars(
            &text(),
            &[
                Bar {
                    label: "Ana Lima".into(),
                    value: 3,
                    href: "/events?person=a&x=1".into(),
                },
                Bar {
                    label: "Björn <b>".into(),
                    value: 1,
                    href: "/events?person=b".into(),
                },
            ],
            0,
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"<title id="c1-title">Top people</title>"#));
        assert!(svg.contains(r#"<desc id="c1-desc">Ana Lima 3 &amp; Björn 1</desc>"#));
        assert!(svg.contains(r#"href="/events?person=a&amp;x=1""#));
        assert!(svg.contains(r#"data-value="3""#) && svg.contains(r#"data-value="1""#));
        assert!(svg.contains("Björn &lt;b&gt;"), "labels are escaped");
        assert!(svg.contains("viewBox"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn stacked_bars_link_only_non_empty_segments() {
        let series = |name: &str, values: Vec<u64>| Series {
            name: name.into(),
            hrefs: (0..values.len())
                .map(|i| format!("/events?{name}={i}"))
                .collect(),
            values,
        };
        let svg = stacked(
            &text(),
            &["1 Nov".into(), "2 Nov".into()],
            &[series("jira", vec![2, 0]), series("bitbucket", vec![1, 4])],
        )
        .unwrap();
        assert_eq!(svg.matches("<a ").count(), 3);
        assert!(svg.contains(r#"href="/events?bitbucket=1""#));
        assert!(!svg.contains(r#"href="/events?jira=1""#));
    }

    /// The `y` attribute of every element `tag` of `svg` whose start matches `marker`.
    fn ys(svg: &str, marker: &str) -> Vec<f64> {
        svg.match_indices(marker)
            .filter_map(|(i, _)| {
                let rest = &svg[i..];
                let end = rest.find('>')?;
                let at = rest[..end].find(" y=\"")? + 4;
                rest[at..].split('"').next()?.parse().ok()
            })
            .collect()
    }

    /// Regression: the legend was drawn inside the plot area, over the first bars, so a click on
    /// a short early bar landed on the legend.
    #[test]
    fn the_legend_sits_above_the_plot_and_covers_no_bar() {
        let names = ["jira", "confluence", "bitbucket", "jsm", "org"];
        let series: Vec<Series> = names
            .iter()
            .map(|name| Series {
                name: (*name).into(),
                values: vec![1, 50, 50],
                hrefs: vec![format!("/events?p={name}"); 3],
            })
            .collect();
        let svg = stacked(
            &text(),
            &["1 Nov".into(), "2 Nov".into(), "3 Nov".into()],
            &series,
        )
        .unwrap();
        let legend_bottom = names
            .iter()
            .flat_map(|name| {
                let at = svg.find(&format!("\n{name}\n</text>")).unwrap();
                let start = svg[..at].rfind("<text").unwrap();
                ys(&svg[start..], "<text").into_iter().next()
            })
            .fold(0.0_f64, f64::max);
        let hits = ys(&svg, r#"<rect class="hit""#);
        assert_eq!(hits.len(), 15);
        let top = hits.iter().copied().fold(f64::MAX, f64::min);
        // A legend label's glyphs reach one font size below its `y`.
        assert!(
            top >= legend_bottom + f64::from(FONT.1),
            "the highest bar starts at y={top}, below the legend's last row at y={legend_bottom}"
        );
    }

    #[test]
    fn a_long_legend_wraps_onto_more_rows() {
        let one = Legend::lay_out(&["a"; 3], |_| 40);
        let many = Legend::lay_out(&["a"; 20], |_| 40);
        assert_eq!(one.spots.iter().map(|s| s.1).max(), Some(6));
        assert!(many.height > one.height);
        assert!(many.spots.iter().all(|(x, _)| *x + 58 <= WIDTH as i32));
    }

    #[test]
    fn a_heatmap_has_a_cell_per_linked_hour() {
        let mut cells = [[0u64; 24]; 7];
        cells[0][9] = 5;
        let mut hrefs: [[Option<String>; 24]; 7] = Default::default();
        hrefs[0][9] = Some("/events?from=a&to=b".into());
        let svg = heatmap(&text(), &cells, &hrefs).unwrap();
        assert_eq!(svg.matches("<a ").count(), 1);
        assert!(svg.contains("Mon 09:00: 5"));
    }
}
