//! One event as one export row: the columns, their values, and the two encodings — CSV (RFC 4180,
//! with spreadsheet formula-injection defence) and NDJSON (one JSON object per line, plus the raw
//! payload). Pure functions over an event and the person's decrypted name, so they are tested
//! without a database.

use domain::Event;
use serde::Serialize;
use std::borrow::Cow;

/// The columns of both formats, in order (NDJSON adds `raw` after them).
pub const COLUMNS: [&str; 16] = [
    "occurred_at",
    "event_id",
    "deployment",
    "product",
    "pipeline",
    "category",
    "severity",
    "operation",
    "person_id",
    "person_name",
    "actor_raw",
    "object_type",
    "object_id",
    "object_name",
    "container",
    "source_ip",
];

/// The line ending of CSV records (RFC 4180).
const CRLF: &[u8] = b"\r\n";

/// One row: the values of [`COLUMNS`] for one event, and its raw payload.
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    occurred_at: String,
    event_id: &'a str,
    deployment: &'a str,
    product: &'static str,
    pipeline: &'static str,
    category: &'static str,
    severity: &'static str,
    operation: &'static str,
    person_id: Option<&'a str>,
    person_name: Option<&'a str>,
    actor_raw: Option<&'a str>,
    object_type: Option<&'a str>,
    object_id: Option<&'a str>,
    object_name: Option<&'a str>,
    container: Option<&'a str>,
    source_ip: Option<String>,
    raw: &'a serde_json::Value,
}

impl<'a> Row<'a> {
    /// The row of `event`, whose actor is called `person_name` (decrypted by the caller).
    pub fn new(event: &'a Event, person_name: Option<&'a str>) -> Self {
        let object = event.object_ref.as_ref();
        Self {
            // Milliseconds: what MongoDB stores, so every exported instant is exact.
            occurred_at: event
                .occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            event_id: event.id.as_str(),
            deployment: event.deployment.as_str(),
            product: event.product.as_str(),
            pipeline: event.pipeline.as_str(),
            category: event.category.as_str(),
            severity: event.severity.as_str(),
            operation: event.operation.as_str(),
            person_id: event.actor_id.as_ref().map(|p| p.as_str()),
            person_name,
            actor_raw: event.actor_raw.as_deref(),
            object_type: event.object_type.as_deref(),
            object_id: object.map(|o| o.id.as_str()),
            object_name: object.and_then(|o| o.name.as_deref()),
            container: object.and_then(|o| o.container.as_deref()),
            source_ip: event.source_ip.map(|ip| ip.to_string()),
            raw: &event.raw,
        }
    }

    fn cells(&self) -> [Option<&str>; 16] {
        [
            Some(&self.occurred_at),
            Some(self.event_id),
            Some(self.deployment),
            Some(self.product),
            Some(self.pipeline),
            Some(self.category),
            Some(self.severity),
            Some(self.operation),
            self.person_id,
            self.person_name,
            self.actor_raw,
            self.object_type,
            self.object_id,
            self.object_name,
            self.container,
            self.source_ip.as_deref(),
        ]
    }

    /// Appends the row as one CSV record (an absent value is an empty cell).
    pub fn write_csv(&self, out: &mut Vec<u8>) {
        write_record(out, self.cells().iter().map(|c| c.unwrap_or("")));
    }

    /// Appends the row as one NDJSON line (absent values are `null`).
    ///
    /// # Errors
    /// Only if serde_json refuses a value, which strings and a parsed JSON value never are; the
    /// caller then fails the export rather than count a row it did not write.
    pub fn write_ndjson(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        serde_json::to_writer(&mut *out, self)?;
        out.push(b'\n');
        Ok(())
    }
}

/// Appends the CSV header record.
pub fn write_csv_header(out: &mut Vec<u8>) {
    write_record(out, COLUMNS.iter().copied());
}

fn write_record<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_cell(out, &defuse(cell));
    }
    out.extend_from_slice(CRLF);
}

/// RFC 4180: a cell holding a comma, a quote or a line break is quoted, its quotes doubled.
fn write_cell(out: &mut Vec<u8>, cell: &str) {
    if cell.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        for part in cell.split('"').enumerate() {
            if part.0 > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(part.1.as_bytes());
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(cell.as_bytes());
    }
}

/// Spreadsheet formula-injection defence: a cell a spreadsheet would evaluate (`=`, `+`, `-`,
/// `@`, tab or carriage return first) gets a leading `'`, which spreadsheets read as "text" and
/// do not show. A cell already starting with `'` gets one too, so the rule is reversible: remove
/// one leading `'` from any cell that starts with one to recover the exact value.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::{
        Category, DeploymentId, EventId, ObjectRef, Operation, PersonId, Pipeline, Product,
        Severity, SourceId,
    };

    fn event(name: &str) -> Event {
        let deployment = DeploymentId::parse("acme").unwrap();
        Event {
            id: EventId::new(&deployment, Product::Jira, &SourceId::parse("r1").unwrap()),
            occurred_at: chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
            ingested_at: chrono::Utc::now(),
            deployment,
            product: Product::Jira,
            pipeline: Pipeline::Audit,
            actor_id: Some(PersonId::parse("person:1").unwrap()),
            actor_raw: None,
            operation: Operation::Login,
            category: Category::Security,
            severity: Severity::Low,
            object_type: Some("issue".into()),
            object_ref: Some(ObjectRef {
                id: "ABC-1".into(),
                name: Some(name.into()),
                container: None,
            }),
            source_ip: Some("203.0.113.7".parse().unwrap()),
            country: None,
            raw: serde_json::json!({ "a": 1 }),
        }
    }

    fn csv(name: &str) -> String {
        let e = event(name);
        let mut out = Vec::new();
        Row::new(&e, Some("Zoë")).write_csv(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_plain_row_is_unquoted_with_milliseconds_and_crlf() {
        assert_eq!(
            csv("Plain"),
            "2026-03-01T12:00:00.000Z,acme:jira:r1,acme,jira,audit,security,low,login,person:1,Zoë,,issue,ABC-1,Plain,,203.0.113.7\r\n"
        );
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted_with_doubled_quotes() {
        let row = csv("a, \"b\"\r\nc");
        assert!(row.contains(",\"a, \"\"b\"\"\r\nc\","), "{row}");
    }

    #[test]
    fn cells_a_spreadsheet_would_evaluate_get_a_leading_apostrophe() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'quoted"] {
            assert_eq!(defuse(bad), format!("'{bad}"), "{bad:?}");
        }
        assert_eq!(defuse("a=b"), "a=b");
        assert_eq!(defuse(""), "");
        let row = csv("=HYPERLINK(\"http://x\")");
        assert!(row.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","), "{row}");
    }

    #[test]
    fn ndjson_rows_carry_every_column_in_order_and_the_raw_payload() {
        let e = event("=x");
        let mut out = Vec::new();
        Row::new(&e, None).write_ndjson(&mut out).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(line.ends_with("}\n") && !line[..line.len() - 1].contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["object_name"], "=x", "NDJSON keeps values as they are");
        assert!(v["person_name"].is_null());
        assert_eq!(v["raw"]["a"], 1);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for c in COLUMNS {
            assert!(keys.contains(&c), "{c}");
        }
    }
}
