//! Atlassian's CSV audit exports (Jira, Confluence, the organization) and generic events as
//! CSV, mapped onto the JSON records the pipeline reads. Columns are found by name — any of a
//! field's aliases, in any case and order, with spaces, `_` and `-` alike — and every cell is kept
//! untouched under `csvRow` in the event's raw payload. The columns each source maps are listed
//! in `docs/import.md` (a test checks that table against [`fields`]).
//!
//! Times: ISO 8601 with a zone, `YYYY-MM-DD HH:MM:SS` followed by a zone or `UTC`, or epoch
//! seconds or milliseconds. A time without a zone is refused, never guessed.

use crate::source::SourceKind;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// One field a source's CSV can fill: its name in the mapping, the column aliases, and whether
/// the file must have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The field.
    pub name: &'static str,
    /// Column names that fill it.
    pub aliases: &'static [&'static str],
    /// Whether a file without such a column is refused.
    pub required: bool,
}

const fn f(name: &'static str, aliases: &'static [&'static str], required: bool) -> Field {
    Field {
        name,
        aliases,
        required,
    }
}

const TIME: &[&str] = &[
    "date",
    "created",
    "timestamp",
    "time",
    "date utc",
    "occurred at",
    "creation date",
    "event time",
];
const IP: &[&str] = &[
    "ip address",
    "ip",
    "remote address",
    "source ip",
    "client ip",
    "location ip",
];

const JIRA_AUDIT: &[Field] = &[
    f("id", &["id", "record id", "event id"], false),
    f("time", TIME, true),
    f(
        "summary",
        &["summary", "action", "description", "event"],
        true,
    ),
    f("category", &["category"], false),
    f(
        "author_account_id",
        &[
            "author account id",
            "author id",
            "account id",
            "authoraccountid",
        ],
        false,
    ),
    f("ip", IP, false),
    f(
        "object_name",
        &["object", "object name", "object item", "item"],
        false,
    ),
    f("object_type", &["object type", "item type"], false),
    f("object_id", &["object id", "item id"], false),
];
const CONFLUENCE_AUDIT: &[Field] = &[
    f("time", TIME, true),
    f(
        "summary",
        &["summary", "action", "description", "event"],
        true,
    ),
    f("category", &["category"], false),
    f(
        "author_account_id",
        &["author account id", "author id", "account id"],
        false,
    ),
    f("author", &["author", "author name", "user"], false),
    f("ip", IP, false),
    f(
        "object_name",
        &["affected object", "object", "object name"],
        false,
    ),
    f(
        "object_type",
        &["affected object type", "object type"],
        false,
    ),
];
const ORG_EVENTS: &[Field] = &[
    f("id", &["id", "event id"], false),
    f("time", TIME, true),
    f(
        "action",
        &["action", "activity", "event", "action key"],
        true,
    ),
    f(
        "actor_id",
        &["actor id", "actor account id", "account id"],
        false,
    ),
    f(
        "actor",
        &["actor", "actor name", "user", "performed by"],
        false,
    ),
    f(
        "actor_email",
        &["actor email", "email", "user email"],
        false,
    ),
    f("ip", IP, false),
    f("country", &["country", "location", "country name"], false),
    f("target", &["target", "context", "object", "subject"], false),
    f(
        "target_type",
        &["target type", "context type", "object type"],
        false,
    ),
    f("container", &["container", "site", "product"], false),
];
const GENERIC: &[Field] = &[
    f("source", &["source"], false),
    f("id", &["id", "event id"], true),
    f(
        "time",
        &["occurred at", "occurred_at", "time", "timestamp", "date"],
        true,
    ),
    f("operation", &["operation"], true),
    f("pipeline", &["pipeline"], false),
    f("actor_email", &["actor email", "email"], false),
    f("actor", &["actor name", "actor", "display name"], false),
    f(
        "actor_id",
        &["actor account id", "actor id", "account id"],
        false,
    ),
    f("object_type", &["object type"], false),
    f("object_id", &["object id"], false),
    f("object_name", &["object name", "object"], false),
    f(
        "object_container",
        &["object container", "container"],
        false,
    ),
    f("ip", IP, false),
    f("country", &["country"], false),
];

/// The fields each source's CSV maps, in the order `docs/import.md` lists them.
pub fn fields(kind: SourceKind) -> &'static [Field] {
    match kind {
        SourceKind::JiraAudit => JIRA_AUDIT,
        SourceKind::ConfluenceAudit => CONFLUENCE_AUDIT,
        SourceKind::OrgEvents => ORG_EVENTS,
        SourceKind::Generic => GENERIC,
        _ => &[],
    }
}

/// A header as compared: lower case, with runs of spaces, `_`, `-` and `.` as one space, and
/// bracketed notes such as `(UTC)` kept as words.
fn key(header: &str) -> String {
    header
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || matches!(c, '_' | '-' | '.' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which of the file's columns fills each field of one source.
#[derive(Debug, Clone)]
pub struct CsvMapping {
    kind: SourceKind,
    columns: Vec<(&'static str, String)>,
}

impl CsvMapping {
    /// The mapping of `headers` for `kind`.
    ///
    /// # Errors
    /// The file lacks a column the source needs (the message lists the names accepted).
    pub fn new(kind: SourceKind, headers: &[String]) -> Result<Self, String> {
        let known = fields(kind);
        if known.is_empty() {
            return Err(format!(
                "{kind} records are not read from CSV; import them as JSON or NDJSON"
            ));
        }
        let mut columns = Vec::new();
        for field in known {
            let found = field.aliases.iter().find_map(|alias| {
                let alias = key(alias);
                headers.iter().find(|h| key(h) == alias)
            });
            match found {
                Some(h) => columns.push((field.name, h.clone())),
                None if field.required => {
                    return Err(format!(
                        "the CSV has no column for {} (one of: {}); its columns are: {}",
                        field.name,
                        field.aliases.join(", "),
                        headers.join(", ")
                    ))
                }
                None => {}
            }
        }
        Ok(Self { kind, columns })
    }

    /// The source a CSV's columns show, if they show one: an action column without a summary
    /// is the organization's log, an affected object is Confluence's, a summary is Jira's, and an
    /// operation column generic events.
    pub fn detect(headers: &[String]) -> Option<SourceKind> {
        let has = |name: &str| headers.iter().any(|h| key(h) == name);
        if has("operation") {
            Some(SourceKind::Generic)
        } else if has("affected object") {
            Some(SourceKind::ConfluenceAudit)
        } else if has("summary") {
            Some(SourceKind::JiraAudit)
        } else if has("action") {
            Some(SourceKind::OrgEvents)
        } else {
            None
        }
    }

    /// The columns used, as `field ← column` for the report.
    pub fn describe(&self) -> String {
        self.columns
            .iter()
            .map(|(f, c)| format!("{f} ← {c:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The JSON record of one row (an object of column name to cell).
    ///
    /// # Errors
    /// A cell the record cannot have (a time without a zone), naming the column.
    pub fn record(&self, row: &Value) -> Result<Value, String> {
        let cell = |field: &str| -> Option<String> {
            let column = &self.columns.iter().find(|(f, _)| *f == field)?.1;
            row[column.as_str()]
                .as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let time_column = &self
            .columns
            .iter()
            .find(|(f, _)| *f == "time")
            .expect("required")
            .1;
        let time = match cell("time") {
            Some(t) => {
                parse_cell_time(&t).map_err(|why| format!("column `{time_column}` {why}"))?
            }
            None => return Err(format!("column `{time_column}` is empty")),
        };
        let iso = time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let id = || cell("id").unwrap_or_else(|| row_id(row));
        let mut record = match self.kind {
            SourceKind::JiraAudit => json!({
                "id": id(),
                "summary": cell("summary"),
                "created": iso,
                "category": cell("category"),
                "authorAccountId": cell("author_account_id"),
                "remoteAddress": cell("ip"),
                "objectItem": {
                    "id": cell("object_id"),
                    "name": cell("object_name"),
                    "typeName": cell("object_type"),
                },
            }),
            SourceKind::ConfluenceAudit => json!({
                "creationDate": time.timestamp_millis(),
                "summary": cell("summary"),
                "category": cell("category"),
                "author": {
                    "accountId": cell("author_account_id"),
                    "displayName": cell("author"),
                },
                "remoteAddress": cell("ip"),
                "affectedObject": {
                    "name": cell("object_name"),
                    "objectType": cell("object_type"),
                },
            }),
            SourceKind::OrgEvents => {
                let context = match cell("target") {
                    Some(name) => json!([{
                        "type": cell("target_type").unwrap_or_else(|| "object".into()),
                        "attributes": { "name": name },
                    }]),
                    None => json!([]),
                };
                let container = match cell("container") {
                    Some(name) => json!([{ "type": "sites", "attributes": { "name": name } }]),
                    None => json!([]),
                };
                json!({
                    "id": id(),
                    "type": "events",
                    "attributes": {
                        "time": iso,
                        "action": cell("action"),
                        "actor": {
                            "id": cell("actor_id"),
                            "name": cell("actor"),
                            "email": cell("actor_email"),
                        },
                        "location": { "ip": cell("ip"), "countryName": cell("country") },
                        "context": context,
                        "container": container,
                    },
                })
            }
            _ => json!({
                "source": cell("source"),
                "id": id(),
                "occurred_at": iso,
                "operation": cell("operation"),
                "pipeline": cell("pipeline"),
                "actor": {
                    "email": cell("actor_email"),
                    "display_name": cell("actor"),
                    "account_id": cell("actor_id"),
                },
                "object": {
                    "type": cell("object_type"),
                    "id": cell("object_id"),
                    "name": cell("object_name"),
                    "container": cell("object_container"),
                },
                "source_ip": cell("ip"),
                "country": cell("country"),
            }),
        };
        strip_nulls(&mut record);
        record["csvRow"] = row.clone();
        Ok(record)
    }
}

/// Removes null members, so an absent cell reads as absent, not as a JSON `null` of the wrong
/// kind.
fn strip_nulls(v: &mut Value) {
    if let Value::Object(o) = v {
        o.retain(|_, x| !x.is_null());
        for x in o.values_mut() {
            strip_nulls(x);
        }
        o.retain(|_, x| !matches!(x, Value::Object(m) if m.is_empty()));
    }
}

/// A stable id for a row of an export without an id column: the digest of its cells by column
/// name, so the same row imported again is recognised as a duplicate.
fn row_id(row: &Value) -> String {
    let mut h = Sha256::new();
    if let Some(o) = row.as_object() {
        let sorted: std::collections::BTreeMap<&String, &Value> = o.iter().collect();
        for (k, v) in sorted {
            h.update(k.as_bytes());
            h.update([0]);
            h.update(v.as_str().unwrap_or_default().trim().as_bytes());
            h.update([0]);
        }
    }
    format!("csv-{}", store::digest::hex(&h.finalize()[..12]))
}

/// A time cell (see the module), or why not.
pub fn parse_cell_time(cell: &str) -> Result<DateTime<Utc>, String> {
    let s = cell.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s
            .parse()
            .map_err(|_| format!("holds no epoch time: {s:?}"))?;
        let t = if n < pipeline::EPOCH_MILLIS_FROM {
            Utc.timestamp_opt(n, 0).single()
        } else {
            Utc.timestamp_millis_opt(n).single()
        };
        return t.ok_or_else(|| format!("holds no epoch time: {s:?}"));
    }
    if let Some(t) = connectors::time::parse_time(s) {
        return Ok(t);
    }
    let spaced = s.replacen(' ', "T", 1);
    if let Some(t) = connectors::time::parse_time(&spaced) {
        return Ok(t);
    }
    for suffix in [" UTC", " GMT", "Z"] {
        if let Some(local) = s.strip_suffix(suffix) {
            for form in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
                if let Ok(t) = NaiveDateTime::parse_from_str(local.trim(), form) {
                    return Ok(t.and_utc());
                }
            }
        }
    }
    for form in [
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S%.f %:z",
        "%d %b %Y %H:%M:%S%.f %z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, form) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    for form in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if NaiveDateTime::parse_from_str(s, form).is_ok() {
            return Err(format!(
                "holds a time without a zone (add one such as Z, +01:00 or UTC): {s:?}"
            ));
        }
    }
    Err(format!("holds no time this import reads: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn cell_times_in_every_zone_and_epoch_form_are_the_same_instant() {
        let t = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        for cell in [
            "2026-03-04T05:06:07Z",
            "2026-03-04T06:06:07+01:00",
            "2026-03-04T06:06:07.000+0100",
            "2026-03-04 05:06:07 UTC",
            "2026-03-04 05:06:07Z",
            "2026-03-04 00:06:07 -05:00",
            "1772600767",
            "1772600767000",
        ] {
            assert_eq!(parse_cell_time(cell), Ok(t), "{cell}");
        }
        let err = parse_cell_time("2026-03-04 05:06:07").unwrap_err();
        assert!(err.contains("without a zone"), "{err}");
        assert!(parse_cell_time("yesterday").is_err());
    }

    #[test]
    fn columns_are_found_by_alias_whatever_their_case_order_or_separators() {
        let h = headers(&["IP_Address", "SUMMARY", "date (UTC)", "Author-Account-Id"]);
        assert_eq!(CsvMapping::detect(&h), Some(SourceKind::JiraAudit));
        let m = CsvMapping::new(SourceKind::JiraAudit, &h).unwrap();
        let row = json!({"IP_Address": "203.0.113.5", "SUMMARY": "User created", "date (UTC)": "2026-03-04T05:06:07Z", "Author-Account-Id": "557058:1"});
        let r = m.record(&row).unwrap();
        assert_eq!(r["summary"], "User created");
        assert_eq!(r["authorAccountId"], "557058:1");
        assert_eq!(r["remoteAddress"], "203.0.113.5");
        assert_eq!(r["created"], "2026-03-04T05:06:07.000Z");
        assert_eq!(r["csvRow"], row);
        assert!(r["id"].as_str().unwrap().starts_with("csv-"));
        assert_eq!(
            m.record(&row).unwrap()["id"],
            r["id"],
            "a row's id is stable"
        );
    }

    #[test]
    fn a_file_without_a_required_column_is_refused_with_the_names_accepted() {
        let err = CsvMapping::new(SourceKind::OrgEvents, &headers(&["Date", "Actor"])).unwrap_err();
        assert!(err.contains("no column for action"), "{err}");
        assert!(err.contains("activity"), "{err}");
    }
}

#[cfg(test)]
mod documented {
    use super::*;

    /// `docs/import.md` lists, per source, every field with its column names and whether it is
    /// required, exactly as [`fields`] maps them.
    #[test]
    fn the_documented_columns_are_the_mapped_ones() {
        let doc = include_str!("../../../docs/import.md");
        for kind in [
            SourceKind::JiraAudit,
            SourceKind::ConfluenceAudit,
            SourceKind::OrgEvents,
            SourceKind::Generic,
        ] {
            let heading = format!("### `{kind}`");
            let section = doc
                .split(&heading)
                .nth(1)
                .unwrap_or_else(|| panic!("{heading} is documented"));
            let rows: Vec<&str> = section
                .lines()
                .skip_while(|l| !l.starts_with("| field"))
                .skip(2)
                .take_while(|l| l.starts_with('|'))
                .collect();
            let expected: Vec<String> = fields(kind)
                .iter()
                .map(|f| {
                    format!(
                        "| `{}` | {} | {} |",
                        f.name,
                        f.aliases.join(", "),
                        if f.required { "yes" } else { "no" }
                    )
                })
                .collect();
            assert_eq!(rows, expected, "{kind}");
        }
    }
}
