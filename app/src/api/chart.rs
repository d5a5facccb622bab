//! A chart as the pages receive it: drawn on the server, shown as markup in the browser.

use serde::{Deserialize, Serialize};

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
