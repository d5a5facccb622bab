//! Records no real source should send, and that a careless normaliser would store anyway: times
//! that read as something else, and nesting deep enough to exhaust a stack. Each is rejected
//! with a reason that names the field and the value.

mod common;

use common::{now, run};
use connectors::{RecordKind, SourceRecord};
use domain::DeploymentId;
use pipeline::nesting::{self, MAX_DEPTH};
use pipeline::{normalize, NormalizeError};
use serde_json::{json, Value};

fn org_event(time: Value) -> Value {
    json!({ "id": "e-1", "attributes": { "time": time, "action": "user_login" } })
}

fn confluence_audit(creation: Value) -> Value {
    json!({ "author": { "accountId": "a-1" }, "remoteAddress": "10.0.0.1",
            "creationDate": creation, "summary": "Space created",
            "affectedObject": { "name": "ENG", "objectType": "Space" } })
}

/// Regression: `"20260914"` in an ISO time field was read as epoch milliseconds and stored as
/// 1970-01-01T05:37:40.914Z.
#[test]
fn a_date_written_as_digits_is_rejected_not_stored_in_1970() {
    for time in [json!("20260914"), json!("2026"), json!(20_260_914)] {
        let err = run(RecordKind::OrgEvent, org_event(time.clone()), Value::Null).unwrap_err();
        assert!(
            matches!(
                err,
                NormalizeError::BadTime {
                    field: "attributes.time",
                    ..
                }
            ),
            "{time}: {err}"
        );
        assert!(err.to_string().contains(&time.to_string()), "{err}");
    }
}

/// Regression: epoch seconds where milliseconds belong landed in January 1970.
#[test]
fn epoch_seconds_in_a_milliseconds_field_are_rejected() {
    let seconds = json!(now().timestamp() - 3600);
    let err = run(
        RecordKind::ConfluenceAudit,
        confluence_audit(seconds),
        Value::Null,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            NormalizeError::ImplausibleTime {
                field: "creationDate",
                why: "before 2000-01-01",
                ..
            }
        ),
        "{err}"
    );
    let millis = json!(now().timestamp_millis() - 3_600_000);
    assert!(run(
        RecordKind::ConfluenceAudit,
        confluence_audit(millis),
        Value::Null
    )
    .is_ok());
}

/// Regression: `0`, `-1` and year `0000` were accepted as times.
#[test]
fn zero_negative_and_year_zero_times_are_rejected() {
    for creation in [json!(0), json!(-1)] {
        assert!(matches!(
            run(
                RecordKind::ConfluenceAudit,
                confluence_audit(creation),
                Value::Null
            ),
            Err(NormalizeError::ImplausibleTime { .. })
        ));
    }
    let jira =
        json!({ "id": 7, "summary": "Project created", "created": "0000-01-01T00:00:00.000+0000" });
    assert!(matches!(
        run(RecordKind::JiraAudit, jira, Value::Null),
        Err(NormalizeError::ImplausibleTime {
            field: "created",
            ..
        })
    ));
    let request = json!({ "issueId": "1", "createdDate": { "epochMillis": 0, "iso8601": "1970-01-01T00:00:00+0000" } });
    assert!(matches!(
        run(RecordKind::JsmRequestCreated, request, Value::Null),
        Err(NormalizeError::ImplausibleTime {
            field: "createdDate.epochMillis",
            ..
        })
    ));
}

#[test]
fn a_time_more_than_a_day_ahead_of_the_fetch_is_rejected() {
    let ahead = (now() + chrono::Duration::hours(30)).to_rfc3339();
    let err = run(RecordKind::OrgEvent, org_event(json!(ahead)), Value::Null).unwrap_err();
    assert!(
        matches!(
            err,
            NormalizeError::ImplausibleTime {
                why: "more than a day after now",
                ..
            }
        ),
        "{err}"
    );
    let soon = (now() + chrono::Duration::minutes(5)).to_rfc3339();
    assert!(run(RecordKind::OrgEvent, org_event(json!(soon)), Value::Null).is_ok());
}

/// A value nested `levels` deep, built without recursion.
fn nested(levels: usize) -> Value {
    let mut v = json!("bottom");
    for _ in 1..levels {
        v = Value::Array(vec![v]);
    }
    v
}

/// Regression: a 10,000-deep object inside `raw` overflowed a 2 MiB worker stack while the event
/// was built (the recursive copy of `raw`). Now it is refused before anything walks it
/// recursively, and its quarantine form is safe to store and to drop.
#[test]
fn a_record_nested_ten_thousand_levels_deep_is_rejected_not_a_stack_overflow() {
    let worker = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut raw = org_event(json!("2026-09-14T08:12:03Z"));
            raw["attributes"]["context"] = nested(10_000);
            let record = SourceRecord {
                kind: RecordKind::OrgEvent,
                raw,
                context: Value::Null,
            };
            let err = normalize(&DeploymentId::parse("acme").unwrap(), &record, now()).unwrap_err();
            let kept = nesting::storable(record.raw);
            (err, kept)
        })
        .unwrap();
    let (err, kept) = worker.join().expect("the worker survives");
    assert_eq!(err, NormalizeError::TooDeep { limit: MAX_DEPTH });
    assert_eq!(err.to_string(), "the record nests more than 64 levels deep");
    let text = kept.as_str().expect("kept as its JSON text");
    assert!(text.contains(r#""id":"e-1""#) && text.contains(r#""context":[[[["#));
}

#[test]
fn nesting_up_to_the_bound_is_accepted() {
    let mut raw = org_event(json!("2026-09-14T08:12:03Z"));
    // The record and `attributes` are two levels above the value.
    raw["attributes"]["context"] = nested(MAX_DEPTH - 2);
    assert!(run(RecordKind::OrgEvent, raw.clone(), Value::Null).is_ok());
    raw["attributes"]["context"] = nested(MAX_DEPTH - 1);
    assert!(matches!(
        run(RecordKind::OrgEvent, raw, Value::Null),
        Err(NormalizeError::TooDeep { .. })
    ));
}
