//! Exports through the real application: the streamed download and its manifest agree, bad
//! queries are refused with the Events page's messages, the Exports page lists what was exported,
//! and the `atlaslens` binary exports the same bytes and verifies files against manifests.

use crate::helpers::{spawn_app, TestApp, API_KEY};
use base64::Engine;
use chrono::{Duration, TimeZone, Utc};
use domain::{Event, ObjectRef, PersonId, Product};
use std::path::Path;
use store::crypto::KeyRing;
use store::identities::IdentityDoc;

const BIN: &str = env!("CARGO_BIN_EXE_atlaslens");
const NAME: &str = "Zoë Ångström";
/// An object name that needs quoting and spans lines.
const TRICKY: &str = "=cmd, \"quoted\"\r\nsecond line";

fn event(n: i64, product: Product, person: Option<&PersonId>) -> Event {
    let at = Utc.with_ymd_and_hms(2026, 4, 1, 8, 0, 0).unwrap() + Duration::minutes(n);
    Event {
        ingested_at: Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap(),
        actor_id: person.cloned(),
        actor_raw: Some(format!("acc-{n}")),
        object_type: Some("project".into()),
        object_ref: Some(ObjectRef {
            id: format!("P{n}"),
            // The first event is plain, so deleting its one-line record is easy below.
            name: Some(if n == 0 {
                "Plain".into()
            } else {
                TRICKY.into()
            }),
            container: None,
        }),
        raw: serde_json::json!({ "n": n }),
        ..testkit::event("acme", product, &format!("rec-{n:03}"), at)
    }
}

/// 30 Jira events by a named person and 10 Confluence events, on 2026-04-01 from 08:00.
async fn seeded() -> (TestApp, PersonId) {
    let app = spawn_app().await;
    let person = PersonId::parse("person:zoe").unwrap();
    // The name sealed as identity resolution seals it, with the key of the app under test.
    let keys = KeyRing::new(&API_KEY, &[]);
    app.store
        .identities
        .upsert(
            &IdentityDoc {
                id: "acct:acc-zoe".into(),
                person_id: person.to_string(),
                account_id: Some("acc-zoe".into()),
                bitbucket_uuid: None,
                name_enc: Some(keys.encrypt("identity.name", NAME)),
                name_bidx: Some(keys.blind_index("identity.name", NAME)),
                email_enc: None,
                email_bidx: None,
                products: Vec::new(),
                first_seen: bson::DateTime::now(),
            },
            "org",
            Utc::now(),
        )
        .await
        .unwrap();
    let mut events: Vec<Event> = (0..30)
        .map(|n| event(n, Product::Jira, Some(&person)))
        .collect();
    events.extend((30..40).map(|n| event(n, Product::Confluence, None)));
    app.store.events.insert_new(&events).await.unwrap();
    app.login_as_admin().await;
    (app, person)
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Data rows of a CSV export (records after the header; quoted cells may span lines).
fn csv_rows(text: &str) -> usize {
    let mut quoted = false;
    let mut records = 0;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => records += 1,
            _ => {}
        }
    }
    records - 1
}

fn sha256_hex(bytes: &[u8]) -> String {
    // The format only matters for the row count; the digest is of the bytes either way.
    export::inspect(bytes, export::ExportFormat::Ndjson)
        .unwrap()
        .sha256
}

/// Downloads an export: (status, export id, file name, body).
async fn download(app: &TestApp, query: &str) -> (u16, String, String, Vec<u8>) {
    let r = app.get(&format!("/api/export?{query}")).await;
    let status = r.status().as_u16();
    let id = header(&r, "x-export-id");
    let disposition = header(&r, "content-disposition");
    let name = disposition
        .split("filename=\"")
        .nth(1)
        .map(|s| s.trim_end_matches('"').to_owned())
        .unwrap_or_default();
    (status, id, name, r.bytes().await.unwrap().to_vec())
}

async fn manifest(app: &TestApp, id: &str) -> (serde_json::Value, Vec<u8>) {
    let r = app.get(&format!("/api/export/manifest?id={id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/json");
    assert!(header(&r, "content-disposition").contains(".manifest.json\""));
    let bytes = r.bytes().await.unwrap().to_vec();
    (serde_json::from_slice(&bytes).unwrap(), bytes)
}

#[tokio::test]
async fn a_download_and_its_manifest_agree_and_the_exports_page_lists_it() {
    let (app, person) = seeded().await;
    let r = app
        .get("/api/export?product=jira&from=2026-04-01&to=2026-04-02&limit=25&format=csv")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type"),
        "text/csv; charset=utf-8; header=present"
    );
    assert_eq!(
        header(&r, "content-disposition"),
        "attachment; filename=\"atlaslens-events-20260401T000000Z-20260402T000000Z.csv\""
    );
    let id = header(&r, "x-export-id");
    assert_eq!(id.len(), 24);
    assert!(header(&r, "link").contains(&format!("/api/export/manifest?id={id}")));
    let body = r.bytes().await.unwrap().to_vec();
    let text = String::from_utf8(body.clone()).unwrap();
    assert_eq!(csv_rows(&text), 30, "no page-size cap, only Jira");
    assert!(text.contains(NAME), "names are decrypted");
    assert!(text.contains(person.as_str()));
    assert!(text.contains("\"'=cmd, \"\"quoted\"\"\r\nsecond line\""));

    let (m, _) = manifest(&app, &id).await;
    assert_eq!(m["export_id"], id.as_str());
    assert_eq!(m["rows"], 30);
    assert_eq!(m["bytes"], body.len());
    assert_eq!(m["sha256"], sha256_hex(&body).as_str());
    assert_eq!(
        m["query"], "from=2026-04-01T00%3A00%3A00Z&to=2026-04-02T00%3A00%3A00Z&product=jira",
        "the frozen query, encoded as the Events page's URLs are"
    );
    assert_eq!(m["filters"]["products"], serde_json::json!(["jira"]));
    assert_eq!(m["from"], "2026-04-01T00:00:00Z");
    assert_eq!(m["generated_by"], "admin");
    assert_eq!(m["format"], "csv");

    // Without a range: from the earliest matching event (to the second) up to the export's start.
    let before = Utc::now();
    let (status, id, name, body) = download(&app, "format=ndjson&product=confluence").await;
    assert_eq!(status, 200);
    assert!(
        name.starts_with("atlaslens-events-20260401T083000Z-") && name.ends_with(".ndjson"),
        "{name}"
    );
    assert_eq!(String::from_utf8(body.clone()).unwrap().lines().count(), 10);
    let (m, _) = manifest(&app, &id).await;
    assert_eq!(m["from"], "2026-04-01T08:30:00Z");
    let to: chrono::DateTime<Utc> = serde_json::from_value(m["to"].clone()).unwrap();
    assert!(to <= Utc::now() && to > before - Duration::seconds(2));
    assert_eq!(m["sha256"], sha256_hex(&body).as_str());

    // The Exports page's server function and the page itself.
    let r = app.call("/api/exports/list", &[]).await;
    assert_eq!(r.status(), 200);
    let rows: serde_json::Value = r.json().await.unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], id.as_str(), "newest first");
    assert_eq!(rows[0]["state"], "Complete");
    assert_eq!(rows[1]["rows"], 30);
    let html = app.get("/exports").await.text().await.unwrap();
    assert!(
        html.contains("atlaslens-events-20260401T000000Z-20260402T000000Z.csv")
            && html.contains(&format!("/api/export/manifest?id={id}")),
        "{html}"
    );
}

#[tokio::test]
async fn bad_export_queries_are_refused_with_the_events_page_messages() {
    let (app, _) = seeded().await;
    for (query, says) in [
        ("ip=10.0.0.300", "10.0.0.300"),
        ("range=1y", "24h"),
        ("product=jira,nope", "nope"),
        ("from=2026-04-02&to=2026-04-01", "after"),
        ("from=2999-01-01", "end of the export"),
        ("format=xlsx", "csv or ndjson"),
    ] {
        let r = app.get(&format!("/api/export?{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    assert_eq!(app.get("/api/export/manifest?id=nope").await.status(), 400);
    assert_eq!(
        app.get("/api/export/manifest?id=0123456789abcdef01234567")
            .await
            .status(),
        404
    );
    // Nothing was recorded for refused exports.
    assert!(app.store.exports.recent(10).await.unwrap().is_empty());
}

fn verify(dir: &Path, file: &str, manifest: &str) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["verify-export", file, manifest])
        .current_dir(dir)
        .env("ATLASLENS_DATA_DIR", dir)
        .env_remove("MONGODB_URI")
        .output()
        .unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn verify_export_accepts_the_delivered_file_and_refuses_a_changed_byte_or_a_deleted_row() {
    let (app, _) = seeded().await;
    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "ndjson"] {
        let (status, id, name, body) = download(
            &app,
            &format!("from=2026-04-01&to=2026-04-02&format={format}"),
        )
        .await;
        assert_eq!(status, 200);
        let (_, manifest_bytes) = manifest(&app, &id).await;
        let manifest_name = format!("{name}.manifest.json");
        std::fs::write(dir.path().join(&name), &body).unwrap();
        std::fs::write(dir.path().join(&manifest_name), &manifest_bytes).unwrap();

        let ok = verify(dir.path(), &name, &manifest_name);
        assert!(ok.status.success(), "{format}: {}", stdout(&ok));
        assert!(stdout(&ok).contains("VERIFIED"), "{}", stdout(&ok));
        assert!(stdout(&ok).contains("rows:      40 ok"), "{}", stdout(&ok));

        // One byte changed, inside a name: same size, same rows, different digest.
        let mut changed = body.clone();
        let at = changed.windows(5).position(|w| w == b"Plain").unwrap();
        changed[at] = b'Q';
        std::fs::write(dir.path().join("changed"), &changed).unwrap();
        let bad = verify(dir.path(), "changed", &manifest_name);
        assert!(!bad.status.success());
        assert!(
            stdout(&bad).contains("MISMATCH: SHA-256 differs"),
            "{}",
            stdout(&bad)
        );

        // The first data row deleted (it is one line: "Plain" has nothing to quote).
        let text = String::from_utf8(body.clone()).unwrap();
        let first_row_start = if format == "csv" {
            text.find("\r\n").unwrap() + 2
        } else {
            0
        };
        let first_row_end = text[first_row_start..].find('\n').unwrap() + first_row_start + 1;
        assert!(text[first_row_start..first_row_end].contains("Plain"));
        let deleted = format!("{}{}", &text[..first_row_start], &text[first_row_end..]);
        std::fs::write(dir.path().join("deleted"), deleted).unwrap();
        let bad = verify(dir.path(), "deleted", &manifest_name);
        assert!(!bad.status.success());
        assert!(
            stdout(&bad).contains("row count differs: the file has 39 rows, the manifest says 40"),
            "{}",
            stdout(&bad)
        );
    }
    // Unreadable input fails too, with a message.
    let missing = verify(dir.path(), "no-such-file", "no-such-manifest");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-manifest"));
}

#[tokio::test]
async fn the_export_command_writes_the_same_bytes_as_the_route_and_a_manifest_that_verifies() {
    let (app, _) = seeded().await;
    let query = "from=2026-04-01&to=2026-04-02&product=jira";
    let (_, _, name, body) = download(&app, &format!("{query}&format=csv")).await;

    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(BIN)
        .args([
            "export", "--query", query, "--format", "csv", "--out", "file.csv",
        ])
        .current_dir(dir.path())
        .env("MONGODB_URI", testkit::server_uri())
        .env("ATLASLENS_DB_NAME", app.store.db.name())
        .env("ATLASLENS_DATA_DIR", dir.path())
        .env(
            "ATLASLENS_ENCRYPTION_KEY",
            base64::engine::general_purpose::STANDARD.encode(API_KEY),
        )
        .env("USER", "auditor")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("exported 30 rows"),
        "{}",
        stdout(&out)
    );
    let written = std::fs::read(dir.path().join("file.csv")).unwrap();
    assert_eq!(
        written, body,
        "the command and the route produce the same file"
    );
    assert!(!dir.path().join("file.csv.partial").exists());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("file.csv.manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["file_name"], name.as_str());
    assert_eq!(m["generated_by"], "cli:auditor");
    assert_eq!(m["sha256"], sha256_hex(&body).as_str());
    let ok = verify(dir.path(), "file.csv", "file.csv.manifest.json");
    assert!(ok.status.success(), "{}", stdout(&ok));
}

#[tokio::test]
async fn a_client_that_disconnects_mid_download_leaves_an_incomplete_export_without_a_manifest() {
    let (app, person) = seeded().await;
    // Enough rows (several MB) that the file cannot sit whole in the socket buffers.
    let many: Vec<Event> = (1_000..31_000)
        .map(|n| event(n, Product::Jira, Some(&person)))
        .collect();
    for chunk in many.chunks(5_000) {
        app.store.events.insert_new(chunk).await.unwrap();
    }
    let mut r = app.get("/api/export?format=csv").await;
    assert_eq!(r.status(), 200);
    let id = header(&r, "x-export-id");
    assert!(!r.chunk().await.unwrap().unwrap().is_empty());
    drop(r);

    let mut status = String::new();
    for _ in 0..200 {
        let row = app.call("/api/exports/list", &[]).await;
        let rows: serde_json::Value = row.json().await.unwrap();
        status = rows[0]["state"].as_str().unwrap().to_owned();
        if status != "Running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "Incomplete");
    let r = app.get(&format!("/api/export/manifest?id={id}")).await;
    assert_eq!(
        r.status(),
        409,
        "no manifest for a file that was not delivered"
    );
}
