//! The Overview: headline numbers against the previous range and the charts, all computed from
//! the daily rollups (never by scanning events) and drawn on the server as SVG. Every bar and cell
//! links to the Events page narrowed to it.

use super::chart::Chart;
use crate::error::ApiError;
use domain::query::EventQuery;
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
    /// Incidents not yet resolved, whatever the filters (they are what needs someone now).
    pub open_incidents: u64,
}

/// The Overview for the filters in `query` (the Events page's parameters without IP and text;
/// default range 7 days), stacking the time chart by `stack` and drawing the heatmap in `tz`.
#[server(endpoint = "overview/data")]
pub async fn load_overview(
    #[server(default)] query: EventQuery,
    #[server(default)] stack: String,
    #[server(default)] tz: String,
) -> Result<OverviewData, ApiError> {
    use query::analytics::{Overview, Tz};
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let stack = draw::stack(&stack)?;
    let zone: Tz = draw::zone(&tz)?;
    let (query, filter, range) = crate::ssr::rollup_query(&state, query, "7d").await?;
    let o = Overview::compute(&state.store.rollups, &filter, range.0, range.1, zone, TOP).await?;
    let people = state.people.snapshot().await?;
    let open_incidents = state.store.incidents.count_active().await?;
    draw::overview(&o, &people, query, stack, zone, open_incidents)
}

/// People and operations in the Overview's top lists.
#[cfg(feature = "ssr")]
const TOP: usize = 10;

/// The Overview's parameters checked, and its figures drawn.
#[cfg(feature = "ssr")]
mod draw {
    use super::{Chart, Kpis, OverviewData, STACKS};
    use crate::api::graphics::{bar_chart, operations_chart, rfc, text, time_chart, Links, Stack};
    use crate::error::ApiError;
    use crate::ssr::bad_request;
    use charts::Bar;
    use chrono::Duration;
    use domain::query::EventQuery;
    use domain::{Category, Severity};
    use query::analytics::{Headline, Overview, Tz};
    use query::people::PeopleSnapshot;

    /// The stack asked for (product when none).
    pub(super) fn stack(stack: &str) -> Result<Stack, ApiError> {
        match stack {
            "" | "product" => Ok(Stack::Product),
            "category" => Ok(Stack::Category),
            _ => Err(bad_request(format!(
                "stack must be {}",
                STACKS.join(" or ")
            ))),
        }
    }

    /// The heatmap's zone (UTC when none).
    pub(super) fn zone(tz: &str) -> Result<Tz, ApiError> {
        if tz.is_empty() {
            return Ok(Tz::UTC);
        }
        tz.parse().map_err(|_| {
            bad_request(format!(
                "`{tz}` is not a known time zone (use an IANA name such as Europe/Berlin)"
            ))
        })
    }

    fn kpis(h: Headline) -> Kpis {
        Kpis {
            events: h.events,
            security: h.security,
            high: h.high,
            people: h.people,
        }
    }

    pub(super) fn overview(
        o: &Overview,
        people: &PeopleSnapshot,
        query: EventQuery,
        stack: Stack,
        zone: Tz,
        open_incidents: u64,
    ) -> Result<OverviewData, ApiError> {
        let links = Links { base: query };
        let mut out = Vec::new();

        out.push(time_chart(o, &links, stack, "chart-time", "Events")?);

        // Top people, by name.
        let bars: Vec<Bar> = o
            .top_people
            .iter()
            .map(|(id, n)| Bar {
                label: people
                    .name(id)
                    .map_or_else(|| id.to_string(), str::to_owned),
                value: *n,
                href: links.to(o.from, o.to, |q| q.person = id.to_string()),
            })
            .collect();
        out.push(bar_chart(
            "chart-people",
            "Top people",
            "Top people by events",
            &bars,
            0,
        )?);

        out.push(operations_chart(o, &links, "chart-operations")?);

        // Severity mix.
        let bars: Vec<Bar> = o
            .severities
            .iter()
            .map(|(s, n)| Bar {
                label: s.to_string(),
                value: *n,
                href: links.to(o.from, o.to, |q| q.severity = s.to_string()),
            })
            .collect();
        out.push(bar_chart(
            "chart-severity",
            "Severity mix",
            "Events by severity",
            &bars,
            5,
        )?);
        out.push(heatmap(o, &links, zone)?);

        let kpi_links = [
            links.to(o.from, o.to, |_| {}),
            links.to(o.from, o.to, |q| {
                q.category = Category::Security.to_string()
            }),
            links.to(o.from, o.to, |q| q.severity = Severity::High.to_string()),
            format!("/people?{}", links.events_query(o)),
        ];
        Ok(OverviewData {
            from: rfc(o.from),
            to: rfc(o.to),
            current: kpis(o.current),
            previous: kpis(o.previous),
            kpi_links,
            open_incidents,
            charts: out,
        })
    }

    /// Hour × weekday in the chosen zone; a cell opens its latest hour in the range.
    fn heatmap(o: &Overview, links: &Links, zone: Tz) -> Result<Chart, ApiError> {
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
        Ok(Chart {
            id: "chart-heatmap".into(),
            heading: format!("Hour × weekday ({zone_name})"),
            svg: charts::heatmap(
                &text(
                    "chart-heatmap",
                    &format!("Events by hour and weekday in {zone_name}"),
                    busiest,
                ),
                &o.heatmap,
                &hrefs,
            )?,
        })
    }
}
