//! The charts of the rollup pages (Overview, a person, a team), drawn on the server as SVG, and
//! the links behind every bar and cell: the page's filters with an absolute range and one more
//! narrowing, so each number opens the events it counts.

use super::chart::Chart;
use crate::error::ApiError;
use charts::{Bar, ChartText, Series};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use domain::query::EventQuery;
use query::analytics::Overview;

/// RFC 3339 in UTC, to the second.
pub(crate) fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Links into Events: the page's filters with an absolute range and one more narrowing.
pub(crate) struct Links {
    /// The filters every link keeps.
    pub(crate) base: EventQuery,
}

impl Links {
    /// `/events?…` for `[from, to)` after `set` narrowed the filters.
    pub(crate) fn to(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        set: impl FnOnce(&mut EventQuery),
    ) -> String {
        let mut q = EventQuery {
            range: String::new(),
            from: rfc(from),
            to: rfc(to),
            ..self.base.clone()
        };
        set(&mut q);
        format!("/events?{}", q.to_query(&[]))
    }

    /// The Events query string (without `/events?`) of the whole of `o`'s range.
    pub(crate) fn events_query(&self, o: &Overview) -> String {
        self.to(o.from, o.to, |_| {})
            .trim_start_matches("/events?")
            .to_owned()
    }
}

/// What a time chart stacks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stack {
    /// One series per product.
    Product,
    /// One series per category.
    Category,
}

impl Stack {
    /// The name in URLs and headings.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Stack::Product => "product",
            Stack::Category => "category",
        }
    }
}

fn summary(items: &[(String, u64)]) -> String {
    if items.is_empty() {
        return "No events in this range.".to_owned();
    }
    items
        .iter()
        .take(5)
        .map(|(k, n)| format!("{k}: {n}"))
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn text(id: &str, title: &str, description: String) -> ChartText {
    ChartText {
        id: id.to_owned(),
        title: title.to_owned(),
        description,
    }
}

/// Events over time, stacked by product or category; each segment opens its events.
pub(crate) fn time_chart(
    o: &Overview,
    links: &Links,
    stack: Stack,
    id: &str,
    subject: &str,
) -> Result<Chart, ApiError> {
    let hourly = o
        .buckets
        .first()
        .is_some_and(|b| b.end - b.start == Duration::hours(1));
    let labels: Vec<String> = o
        .buckets
        .iter()
        .map(|b| {
            if hourly {
                b.start.format("%H:00").to_string()
            } else {
                b.start.format("%b %-d").to_string()
            }
        })
        .collect();
    // Series in name order, whichever vocabulary they come from.
    let mut source: Vec<(&'static str, &Vec<u64>)> = match stack {
        Stack::Category => o.by_category.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        Stack::Product => o.by_product.iter().map(|(k, v)| (k.as_str(), v)).collect(),
    };
    source.sort_by_key(|(name, _)| *name);
    let series: Vec<Series> = source
        .iter()
        .map(|(name, values)| Series {
            name: (*name).to_owned(),
            values: (*values).clone(),
            hrefs: o
                .buckets
                .iter()
                .map(|b| {
                    links.to(b.start.max(o.from), b.end.min(o.to), |q| match stack {
                        Stack::Category => q.category = (*name).to_owned(),
                        Stack::Product => q.product = (*name).to_owned(),
                    })
                })
                .collect(),
        })
        .collect();
    let totals: Vec<(String, u64)> = source
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.iter().sum()))
        .collect();
    let unit = if hourly { "hour (UTC)" } else { "day (UTC)" };
    let stack = stack.as_str();
    Ok(Chart {
        id: id.into(),
        heading: format!("{subject} per {unit} by {stack}"),
        svg: charts::stacked(
            &text(
                id,
                &format!("{subject} per {unit}, stacked by {stack}"),
                format!("Totals by {stack}: {}.", summary(&totals)),
            ),
            &labels,
            &series,
        )?,
    })
}

/// The most frequent operations; each bar opens its events.
pub(crate) fn operations_chart(o: &Overview, links: &Links, id: &str) -> Result<Chart, ApiError> {
    let bars: Vec<Bar> = o
        .top_operations
        .iter()
        .map(|(op, n)| Bar {
            label: op.to_string(),
            value: *n,
            href: links.to(o.from, o.to, |q| q.operation = op.to_string()),
        })
        .collect();
    bar_chart(id, "Top operations", "Top operations by events", &bars, 2)
}

/// Horizontal bars with a heading.
pub(crate) fn bar_chart(
    id: &str,
    heading: &str,
    title: &str,
    bars: &[Bar],
    color: usize,
) -> Result<Chart, ApiError> {
    let named: Vec<(String, u64)> = bars.iter().map(|b| (b.label.clone(), b.value)).collect();
    Ok(Chart {
        id: id.into(),
        heading: heading.into(),
        svg: charts::bars(&text(id, title, summary(&named)), bars, color)?,
    })
}

/// The activity and top-operations charts a person's and a team's page show.
pub(crate) fn activity_charts(
    o: &Overview,
    links: &Links,
    prefix: &str,
) -> Result<Vec<Chart>, ApiError> {
    Ok(vec![
        time_chart(
            o,
            links,
            Stack::Product,
            &format!("{prefix}-time"),
            "Events",
        )?,
        operations_chart(o, links, &format!("{prefix}-operations"))?,
    ])
}
