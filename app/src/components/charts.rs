//! Server-drawn charts on a page: each SVG (which carries its own title and description) in a
//! captioned figure, laid out in a responsive grid.

use crate::api::chart::Chart;
use leptos::prelude::*;

/// The charts, in order.
#[component]
pub fn ChartGrid(charts: Vec<Chart>) -> impl IntoView {
    view! {
        <div class="charts">
            {charts.into_iter().map(|c| view! {
                <figure class="chart" id=c.id.clone() data-testid="chart">
                    <figcaption>{c.heading}</figcaption>
                    <div class="chart-body" inner_html=c.svg></div>
                </figure>
            }).collect_view()}
        </div>
    }
}
