//! The Overview: headline numbers against the previous range and the charts, all computed from
//! the daily rollups (never by scanning events) and drawn on the server as SVG. Every bar and cell
//! links to the Events page narrowed to it.

use crate::error::ApiError;
use crate::filters::EventQuery;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Time zones offered for the heatmap (any IANA name works through the URL).
pub const ZONES: [&str; 16] = [
    "UTC",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Africa/Johannesburg",
];

/// What the events-over-time chart stacks by.
pub const STACKS: [&str; 2] = ["product", "category"];

/// Headline numbers of one range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kpis {
    /// Events.
    pub events: u64,
    /// Security events.
    pub security: u64,
    /// High-severity events.
    pub high: u64,
    /// Distinct people who acted.
    pub people: u64,
}

/// One chart: an id, its heading, and the SVG markup (with its own title and description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    /// Element id (also the SVG's title/desc id prefix).
    pub id: String,
    /// The heading shown above it.
    pub heading: String,
    /// The `<svg>` element.
    pub svg: String,
}

/// Everything the Overview shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewData {
    /// Start of the range shown (whole UTC hour, RFC 3339).
    pub from: String,
    /// Its exclusive end.
    pub to: String,
    /// This range.
    pub current: Kpis,
    /// The range of the same length before.
    pub previous: Kpis,
    /// Where each headline number leads: events, security events, high severity, people.
    pub kpi_links: [String; 4],
    /// The charts, in page order.
    pub charts: Vec<Chart>,
}

/// The Overview for the filters in `query` (the Events page's parameters without IP and text;
/// default range 7 days), stacking the time chart by `stack` and drawing the heatmap in `tz`.
#[server(endpoint = "overview/data")]
pub async fn load_overview(
    #[server(default)] query: EventQuery,
    #[server(default)] stack: String,
    #[server(default)] tz: String,
) -> Result<OverviewData, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    shared::build(&state, query, &stack, &tz, chrono::Utc::now()).await
}

/// Server-side pieces shared with the People and Teams pages: ranges, links into Events, charts.
#[cfg(feature = "ssr")]
pub(crate) mod shared {
    use super::{Chart, Kpis, OverviewData, STACKS};
    use crate::error::ApiError;
    use crate::filters::EventQuery;
    use crate::ssr::{bad_request, AppState};
    use charts::{Bar, ChartText, Series};
    use chrono::{DateTime, Duration, SecondsFormat, Utc};
    use query::analytics::{Headline, Overview, Tz};

    const TOP: usize = 10;

    /// RFC 3339 in UTC, to the second.
    pub(crate) fn rfc(t: DateTime<Utc>) -> String {
        t.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    fn kpis(h: Headline) -> Kpis {
        Kpis {
            events: h.events,
            security: h.security,
            high: h.high,
            people: h.people,
        }
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

    fn text(id: &str, title: &str, description: String) -> ChartText {
        ChartText {
            id: id.to_owned(),
            title: title.to_owned(),
            description,
        }
    }

    /// The query (person resolved, `default_range` when it has none), its filter and its range,
    /// which must lie in the past and span at most 400 days.
    pub(crate) async fn ranged(
        state: &AppState,
        mut query: EventQuery,
        default_range: &str,
        now: DateTime<Utc>,
    ) -> Result<
        (
            EventQuery,
            domain::EventFilter,
            DateTime<Utc>,
            DateTime<Utc>,
        ),
        ApiError,
    > {
        if !query.ip.is_empty() || !query.q.is_empty() {
            return Err(bad_request(
                "this page is drawn from daily rollups, which hold no IP addresses or object names; use Events for IP and text filters",
            ));
        }
        crate::ssr::resolve_person(state, &mut query).await?;
        if query.range.is_empty() && query.from.is_empty() && query.to.is_empty() {
            query.range = default_range.to_owned();
        }
        let filter = query.to_filter(now).map_err(bad_request)?;
        let to = filter.to.unwrap_or(now).min(now);
        let Some(from) = filter.from else {
            return Err(bad_request("pick a range or a `from` time"));
        };
        if to <= from {
            return Err(bad_request("the range ends before it starts"));
        }
        if to - from > Duration::days(400) {
            return Err(bad_request("a range covers at most 400 days"));
        }
        Ok((query, filter, from, to))
    }

    /// Events over time, stacked by product or category; each segment opens its events.
    pub(crate) fn time_chart(
        o: &Overview,
        links: &Links,
        stack: &str,
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
        let source = if stack == "category" {
            &o.by_category
        } else {
            &o.by_product
        };
        let series: Vec<Series> = source
            .iter()
            .map(|(name, values)| Series {
                name: name.clone(),
                values: values.clone(),
                hrefs: o
                    .buckets
                    .iter()
                    .map(|b| {
                        links.to(b.start.max(o.from), b.end.min(o.to), |q| {
                            if stack == "category" {
                                q.category = name.clone();
                            } else {
                                q.product = name.clone();
                            }
                        })
                    })
                    .collect(),
            })
            .collect();
        let totals: Vec<(String, u64)> = source
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().sum()))
            .collect();
        let unit = if hourly { "hour (UTC)" } else { "day (UTC)" };
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
    pub(crate) fn operations_chart(
        o: &Overview,
        links: &Links,
        id: &str,
    ) -> Result<Chart, ApiError> {
        let bars: Vec<Bar> = o
            .top_operations
            .iter()
            .map(|(op, n)| Bar {
                label: op.clone(),
                value: *n,
                href: links.to(o.from, o.to, |q| q.operation = op.clone()),
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

    pub(super) async fn build(
        state: &AppState,
        query: EventQuery,
        stack: &str,
        tz: &str,
        now: DateTime<Utc>,
    ) -> Result<OverviewData, ApiError> {
        let stack = if stack.is_empty() { "product" } else { stack };
        if !STACKS.contains(&stack) {
            return Err(bad_request("stack must be product or category"));
        }
        let zone: Tz = if tz.is_empty() {
            Tz::UTC
        } else {
            tz.parse().map_err(|_| {
                bad_request(format!(
                    "`{tz}` is not a known time zone (use an IANA name such as Europe/Berlin)"
                ))
            })?
        };
        let (query, filter, from, to) = ranged(state, query, "7d", now).await?;
        let o = Overview::compute(&state.store.rollups, &filter, from, to, zone, TOP).await?;
        let people = state.people.snapshot().await?;
        let links = Links {
            base: query.clone(),
        };
        let render = |r: Result<String, charts::ChartError>| r;
        let mut out = Vec::new();

        out.push(time_chart(&o, &links, stack, "chart-time", "Events")?);

        // Top people, by name.
        let bars: Vec<Bar> = o
            .top_people
            .iter()
            .map(|(id, n)| {
                let label = domain::PersonId::parse(id)
                    .ok()
                    .and_then(|p| people.name(&p).map(str::to_owned))
                    .unwrap_or_else(|| id.clone());
                Bar {
                    label,
                    value: *n,
                    href: links.to(o.from, o.to, |q| q.person = id.clone()),
                }
            })
            .collect();
        out.push(bar_chart(
            "chart-people",
            "Top people",
            "Top people by events",
            &bars,
            0,
        )?);

        out.push(operations_chart(&o, &links, "chart-operations")?);

        // Severity mix.
        let bars: Vec<Bar> = o
            .severities
            .iter()
            .map(|(s, n)| Bar {
                label: s.clone(),
                value: *n,
                href: links.to(o.from, o.to, |q| q.severity = s.clone()),
            })
            .collect();
        out.push(bar_chart(
            "chart-severity",
            "Severity mix",
            "Events by severity",
            &bars,
            5,
        )?);

        // Hour × weekday in the chosen zone; a cell opens its latest hour in the range.
        let mut hrefs: [[Option<String>; 24]; 7] = Default::default();
        for (d, row) in o.heatmap_latest.iter().enumerate() {
            for (h, latest) in row.iter().enumerate() {
                hrefs[d][h] = latest.map(|start| {
                    links.to(
                        start.max(o.from),
                        (start + Duration::hours(1)).min(o.to),
                        |_| {},
                    )
                });
            }
        }
        let busiest = o
            .heatmap
            .iter()
            .enumerate()
            .flat_map(|(d, row)| row.iter().enumerate().map(move |(h, n)| (d, h, *n)))
            .max_by_key(|(d, h, n)| (*n, std::cmp::Reverse((*d, *h))))
            .filter(|(_, _, n)| *n > 0)
            .map_or("No events in this range.".to_owned(), |(d, h, n)| {
                format!(
                    "Busiest: {} {h:02}:00 with {n} events.",
                    charts::WEEKDAYS[d]
                )
            });
        let zone_name = zone.name();
        out.push(Chart {
            id: "chart-heatmap".into(),
            heading: format!("Hour × weekday ({zone_name})"),
            svg: render(charts::heatmap(
                &text(
                    "chart-heatmap",
                    &format!("Events by hour and weekday in {zone_name}"),
                    busiest,
                ),
                &o.heatmap,
                &hrefs,
            ))?,
        });

        let kpi_links = [
            links.to(o.from, o.to, |_| {}),
            links.to(o.from, o.to, |q| q.category = "security".into()),
            links.to(o.from, o.to, |q| q.severity = "high".into()),
            format!(
                "/people?{}",
                links
                    .to(o.from, o.to, |_| {})
                    .trim_start_matches("/events?")
            ),
        ];
        Ok(OverviewData {
            from: rfc(o.from),
            to: rfc(o.to),
            current: kpis(o.current),
            previous: kpis(o.previous),
            kpi_links,
            charts: out,
        })
    }
}
