//! File imports against a real MongoDB-wire server: every format and source, and the awkward
//! files real exports are — each with its outcome (accepted, records rejected with reasons, or
//! the file rejected with its reason), counts that add up, and nothing stored twice.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{DeploymentId, EventId, Product};
use imports::{Format, ImportRequest, Importer, Limits, SourceKind};
use ingest::identity::IdentityResolver;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use store::crypto::KeyRing;
use store::imports::{ImportDoc, ImportStatus};
use store::Store;

/// The clock every import here runs at: records are judged against it, not the wall clock.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

async fn store() -> Store {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    store
}

fn importer(store: &Store, limits: Limits) -> Importer {
    let keys = Arc::new(KeyRing::new(&[3u8; 32], &[]));
    Importer::new(
        store.clone(),
        IdentityResolver::new(store.identities.clone(), keys),
        limits,
    )
}

fn request(path: &Path, source: Option<SourceKind>) -> ImportRequest {
    ImportRequest {
        id: store::imports::new_import_id(),
        path: path.to_owned(),
        file_name: path.file_name().unwrap().to_string_lossy().into_owned(),
        deployment: DeploymentId::parse("acme").unwrap(),
        source,
        source_name: Some("vpn".into()),
        format: None,
        dates: Vec::new(),
        by: "test".into(),
    }
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn import(store: &Store, path: &Path, source: Option<SourceKind>) -> ImportDoc {
    importer(store, Limits::default())
        .run(request(path, source), now(), &mut |_, _, _, _| {})
        .await
        .unwrap()
}

fn assert_adds_up(doc: &ImportDoc) {
    let c = &doc.counts;
    assert_eq!(c.records, c.new + c.duplicates + c.rejected, "{c:?}");
    assert_eq!(
        c.rejected_by_reason.values().sum::<i64>(),
        c.rejected,
        "{c:?}"
    );
}

fn jira_audit(id: u32, at: DateTime<Utc>) -> Value {
    json!({ "id": id, "summary": "User added to group", "created": at.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
            "category": "group management", "authorAccountId": "557058:aaa", "remoteAddress": "203.0.113.9",
            "objectItem": { "name": "jira-admins", "typeName": "GROUP" } })
}

/// Events counted in the daily rollups, all days together.
async fn rolled_up(store: &Store) -> i64 {
    use futures::TryStreamExt;
    let rows: Vec<bson::Document> = store
        .db
        .collection::<bson::Document>(store::ROLLUPS_DAILY_KINDS)
        .find(bson::doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            r.get_i64("count")
                .or_else(|_| r.get_i32("count").map(i64::from))
                .unwrap()
        })
        .sum()
}

/// The times of every stored event (RFC 3339, UTC).
async fn stored_times(store: &Store) -> Vec<String> {
    use futures::TryStreamExt;
    let docs: Vec<bson::Document> = store
        .db
        .collection::<bson::Document>(store::EVENTS)
        .find(bson::doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    docs.iter()
        .map(|d| {
            d.get_datetime("occurred_at")
                .unwrap()
                .to_chrono()
                .to_rfc3339()
        })
        .collect()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn an_ndjson_export_is_stored_once_and_its_days_rolled_up() {
    let store = store().await;
    let dir = tempfile::tempdir().unwrap();
    let day1 = now() - Duration::days(3);
    let day2 = now() - Duration::days(2);
    let lines = [
        jira_audit(1, day1),
        jira_audit(2, day1),
        jira_audit(3, day2),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let path = write(&dir, "jira.ndjson", lines.as_bytes());
    let doc = import(&store, &path, None).await;
    assert_eq!(doc.status, ImportStatus::Complete, "{doc:?}");
    assert_eq!((doc.counts.records, doc.counts.new), (3, 3));
    assert_eq!(doc.source, "jira-audit");
    assert_eq!(doc.format, "ndjson");
    assert!(
        doc.notes
            .iter()
            .any(|n| n.contains("recognised from the first record")),
        "{:?}",
        doc.notes
    );
    assert_eq!(
        doc.days,
        [day1.date_naive().to_string(), day2.date_naive().to_string()]
    );
    assert_eq!(doc.sha256.len(), 64);
    let id = EventId::new(
        &DeploymentId::parse("acme").unwrap(),
        Product::Jira,
        &domain::SourceId::parse("audit-1").unwrap(),
    );
    let event = store.events.get(&id).await.unwrap().unwrap();
    assert_eq!(event.occurred_at, day1);
    assert!(event.actor_id.is_some());
    assert_eq!(
        rolled_up(&store).await,
        3,
        "the days touched were rolled up"
    );

    // The same bytes again: recognised, nothing read.
    let again = import(&store, &path, None).await;
    assert_eq!(again.status, ImportStatus::AlreadyImported);
    assert_eq!(again.same_as.as_deref(), Some(doc.id.as_str()));
    // A corrected file (one more record) adds only what is new and says what was there.
    let more = format!("{lines}\n{}", jira_audit(4, day2));
    let path = write(&dir, "jira-corrected.ndjson", more.as_bytes());
    let corrected = import(&store, &path, None).await;
    assert_eq!((corrected.counts.new, corrected.counts.duplicates), (1, 3));
    assert_adds_up(&corrected);
    assert_eq!(
        store.imports.recent(10).await.unwrap().len(),
        3,
        "every import is listed"
    );
}

#[tokio::test]
async fn csv_exports_with_bom_crlf_quoted_newlines_zones_and_epochs_map_by_header() {
    let store = store().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = "\u{feff}IP Address,SUMMARY,Date (UTC),Author Account ID,Object\r\n\
        203.0.113.1,\"Permission scheme \"\"Default\"\", changed\r\nby an admin\",2026-11-18T09:00:00+01:00,557058:bbb,Default\r\n\
        203.0.113.2,User created,1763456400,557058:bbb,dana\r\n\
        203.0.113.3,User created,1763456400000,557058:ccc,erin\r\n\
        203.0.113.4,User created,2026-11-18 10:00,557058:ccc,frank\r\n\
        203.0.113.5,User created,,557058:ccc,gail\r\n";
    let path = write(&dir, "jira-audit.csv", csv.as_bytes());
    let doc = import(&store, &path, None).await;
    assert_eq!(doc.status, ImportStatus::Complete, "{doc:?}");
    assert_eq!(doc.source, "jira-audit");
    assert_eq!(doc.format, "csv");
    assert_eq!(
        (doc.counts.records, doc.counts.new, doc.counts.rejected),
        (5, 3, 2),
        "{doc:?}"
    );
    assert_adds_up(&doc);
    let rejects = store
        .rejects
        .recent(Some(&doc.rejects_stream()), 10)
        .await
        .unwrap();
    let mut origins: Vec<String> = rejects.iter().filter_map(|r| r.origin.clone()).collect();
    origins.sort();
    assert_eq!(
        origins,
        ["jira-audit.csv line 6", "jira-audit.csv line 7"],
        "the quoted line break counts"
    );
    let zoneless = rejects
        .iter()
        .find(|r| r.origin.as_deref() == Some("jira-audit.csv line 6"))
        .unwrap();
    assert!(
        zoneless.reason.contains("without a zone"),
        "{}",
        zoneless.reason
    );
    assert_eq!(
        zoneless
            .raw
            .as_document()
            .unwrap()
            .get_str("Author Account ID")
            .unwrap(),
        "557058:ccc",
        "the row is kept as its cells"
    );
    // Zones and epochs read as the same instants.
    let times: Vec<String> = stored_times(&store).await;
    assert!(
        times.contains(&"2026-11-18T08:00:00+00:00".to_owned()),
        "{times:?}"
    );
    assert_eq!(
        times
            .iter()
            .filter(|t| *t == "2025-11-18T09:00:00+00:00")
            .count(),
        2,
        "{times:?}"
    );
}

#[tokio::test]
async fn organization_and_confluence_csv_and_generic_json_are_read_by_their_own_columns() {
    let store = store().await;
    let dir = tempfile::tempdir().unwrap();
    let org = "Date,Action,Actor,Actor email,IP address,Country,Target\n2026-11-19T08:00:00Z,user_added_to_group,Dana,dana@example.com,203.0.113.8,Portugal,site-admins\n";
    let doc = import(&store, &write(&dir, "org.csv", org.as_bytes()), None).await;
    assert_eq!(
        (doc.status, doc.source.as_str(), doc.counts.new),
        (ImportStatus::Complete, "org-events", 1),
        "{doc:?}"
    );
    let conf = "Date;Summary;Author;Affected object;Category\n2026-11-19T09:00:00Z;Space permissions changed;Erin;ENG;Permissions\n";
    let doc = import(
        &store,
        &write(&dir, "confluence.csv", conf.as_bytes()),
        None,
    )
    .await;
    assert_eq!(
        (doc.status, doc.source.as_str(), doc.counts.new),
        (ImportStatus::Complete, "confluence-audit", 1),
        "{doc:?}"
    );
    let generic = json!({ "events": [
        { "id": "g1", "occurred_at": "2026-11-19T10:00:00Z", "operation": "login", "actor": { "email": "dana@example.com" } },
        { "id": "g2", "occurred_at": 1_763_546_400, "operation": "login_failed" },
        { "id": "g3", "occurred_at": "2026-11-19T10:00:00Z", "operation": "teleported" },
    ]});
    let doc = import(
        &store,
        &write(&dir, "idp.json.gz", &gz(generic.to_string().as_bytes())),
        Some(SourceKind::Generic),
    )
    .await;
    assert_eq!(doc.status, ImportStatus::Complete, "{doc:?}");
    assert_eq!(doc.format, "json+gzip");
    assert_eq!((doc.counts.new, doc.counts.rejected), (2, 1));
    assert!(
        doc.counts
            .rejected_by_reason
            .keys()
            .any(|r| r.contains("operation")),
        "{:?}",
        doc.counts
    );
    let id = EventId::parse("acme:external:vpn:g1").unwrap();
    assert!(
        store.events.get(&id).await.unwrap().is_some(),
        "filed under the source named for the import"
    );
}

#[tokio::test]
async fn an_xml_export_of_generic_events_is_read_element_by_element() {
    let store = store().await;
    let dir = tempfile::tempdir().unwrap();
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<events>
  <event><id>x1</id><occurred_at>2026-11-19T10:00:00+02:00</occurred_at><operation>login</operation>
    <actor><email>dana@example.com</email></actor><object type="app"><id>wiki</id><name>Wiki &amp; docs</name></object></event>
  <event><id>x2</id><occurred_at>2026-11-19T11:00:00Z</occurred_at><operation>logout</operation><country>&unknown;</country></event>
</events>"#;
    let doc = import(&store, &write(&dir, "vpn.xml", xml.as_bytes()), None).await;
    assert_eq!(doc.status, ImportStatus::Complete, "{doc:?}");
    assert_eq!(
        (doc.format.as_str(), doc.source.as_str()),
        ("xml", "generic")
    );
    assert_eq!((doc.counts.new, doc.counts.rejected), (1, 1), "{doc:?}");
    assert!(
        doc.counts
            .rejected_by_reason
            .keys()
            .any(|r| r.contains("&unknown;")),
        "{:?}",
        doc.counts
    );
    let event = store
        .events
        .get(&EventId::parse("acme:external:vpn:x1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(event.occurred_at.to_rfc3339(), "2026-11-19T08:00:00+00:00");
    assert_eq!(
        event.object_ref.unwrap().name.as_deref(),
        Some("Wiki & docs")
    );
}

#[tokio::test]
async fn issues_with_changelogs_and_api_pages_become_one_event_per_change() {
    let store = store().await;
    let dir = tempfile::tempdir().unwrap();
    let page = json!({ "issues": [{ "id": "10001", "key": "ENG-1",
        "fields": { "summary": "Fix", "created": "2026-11-10T08:00:00.000+0000", "project": { "key": "ENG" },
                    "creator": { "accountId": "557058:aaa" } },
        "changelog": { "histories": [
            { "id": "1", "created": "2026-11-11T08:00:00.000+0000", "author": { "accountId": "557058:aaa" }, "items": [{ "field": "status", "fromString": "To Do", "toString": "Done" }] },
            { "id": "2", "created": "2026-11-12T08:00:00.000+0000", "author": { "accountId": "557058:aaa" }, "items": [{ "field": "summary" }] }
        ] } }] });
    let doc = import(
        &store,
        &write(&dir, "search.json", page.to_string().as_bytes()),
        None,
    )
    .await;
    assert_eq!(doc.status, ImportStatus::Complete, "{doc:?}");
    assert_eq!(doc.source, "jira-issues");
    assert_eq!((doc.counts.records, doc.counts.new), (3, 3), "{doc:?}");
    assert_eq!(doc.days.len(), 3);
}

#[tokio::test]
async fn broken_files_are_rejected_whole_with_their_reason_and_store_nothing() {
    let store = store().await;
    let dir = tempfile::tempdir().unwrap();
    let whole = gz(format!("{}\n", jira_audit(9, now() - Duration::days(1))).as_bytes());
    let cut = whole[..whole.len() - 8].to_vec();
    let bomb = gz(&vec![b' '; 64 * 1024 * 1024]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.ndjson", Vec::new(), "empty"),
        ("blank.csv", b"\xef\xbb\xbf\r\n  \r\n".to_vec(), "empty"),
        (
            "latin1.csv",
            b"Date,Summary\n2026-11-19T08:00:00Z,Caf\xe9\n".to_vec(),
            "not UTF-8",
        ),
        ("cut.ndjson.gz", cut, "gzip"),
        ("bomb.json.gz", bomb, "decompression bomb"),
        (
            "billion-laughs.xml",
            b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><x><e>&b;</e></x>".to_vec(),
            "DOCTYPE",
        ),
        ("notes.txt", b"hello world\n".to_vec(), "neither JSON"),
        (
            "unknown.ndjson",
            b"{\"hello\": 1}\n".to_vec(),
            "none of the shapes",
        ),
        (
            "columns.csv",
            b"Colour,Flavour\nred,sweet\n".to_vec(),
            "none of the exports",
        ),
    ];
    for (name, bytes, reason) in cases {
        let doc = import(&store, &write(&dir, name, &bytes), None).await;
        assert_eq!(doc.status, ImportStatus::Rejected, "{name}: {doc:?}");
        let said = doc.reason.clone().unwrap_or_default();
        assert!(said.contains(reason), "{name}: {said}");
        assert_eq!(doc.counts.records, 0, "{name}");
    }
    assert!(
        stored_times(&store).await.is_empty(),
        "nothing of a rejected file is stored"
    );

    // A 2 GB file (sparse: no disk is used) is refused by its size before a byte is read.
    let big = dir.path().join("huge.ndjson");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 * 1024 * 1024 * 1024 + 1)
        .unwrap();
    let doc = import(&store, &big, None).await;
    assert_eq!(doc.status, ImportStatus::Rejected);
    assert!(doc.reason.unwrap().contains("at most 2147483648"));
}

#[tokio::test]
async fn unreadable_records_are_quarantined_with_their_line_and_the_rest_imported() {
    let store = store().await;
    let dir = tempfile::tempdir().unwrap();
    let ok = jira_audit(1, now() - Duration::days(1)).to_string();
    let future = jira_audit(2, now() + Duration::days(3)).to_string();
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    let text = format!("{ok}\r\n{{\"id\": 3, \"summary\": \r\n\r\n{future}\r\n{deep}\r\n");
    let doc = importer(&store, Limits::default())
        .run(
            ImportRequest {
                format: Some(Format::Ndjson),
                source: Some(SourceKind::JiraAudit),
                ..request(&write(&dir, "mixed.ndjson", text.as_bytes()), None)
            },
            now(),
            &mut |_, _, _, _| {},
        )
        .await
        .unwrap();
    assert_eq!(doc.status, ImportStatus::Complete);
    assert_eq!(
        (doc.counts.records, doc.counts.new, doc.counts.rejected),
        (4, 1, 3),
        "{doc:?}"
    );
    assert_adds_up(&doc);
    let rejects = store
        .rejects
        .recent(Some(&doc.rejects_stream()), 10)
        .await
        .unwrap();
    let mut found: Vec<(String, String)> = rejects
        .iter()
        .map(|r| (r.origin.clone().unwrap(), r.reason.clone()))
        .collect();
    found.sort();
    assert_eq!(found[0].0, "mixed.ndjson line 2");
    assert!(found[0].1.contains("not JSON"), "{found:?}");
    assert_eq!(found[1].0, "mixed.ndjson line 4");
    assert!(found[1].1.contains("created"), "{found:?}");
    assert_eq!(found[2].0, "mixed.ndjson line 5");
    assert!(found[2].1.contains("levels deep"), "{found:?}");
}

#[tokio::test]
async fn explicit_dates_are_rolled_up_even_when_nothing_is_new() {
    let store = store().await;
    let dir = tempfile::tempdir().unwrap();
    let day = now() - Duration::days(5);
    let path = write(
        &dir,
        "one.ndjson",
        jira_audit(1, day).to_string().as_bytes(),
    );
    import(&store, &path, None).await;
    let path = write(
        &dir,
        "same-record-other-file.ndjson",
        format!("{}\n", jira_audit(1, day)).as_bytes(),
    );
    let doc = importer(&store, Limits::default())
        .run(
            ImportRequest {
                dates: vec![day.date_naive()],
                ..request(&path, None)
            },
            now(),
            &mut |_, _, _, _| {},
        )
        .await
        .unwrap();
    assert_eq!((doc.counts.new, doc.counts.duplicates), (0, 1));
    assert_eq!(doc.days, [day.date_naive().to_string()]);
}
