//! Incidents through the real application: the list and page show what correlation made, every
//! move goes through the server function with illegal ones answered `409`, a closed incident
//! offers no form, and the evidence file's SHA-256 is the one its manifest states.

use crate::helpers::{spawn_app, TestApp, ADMIN};
use chrono::{DateTime, Duration, Utc};
use domain::{Field, RuleId, Severity};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use store::alerts::AlertRecord;

fn t0() -> DateTime<Utc> {
    "2026-05-04T02:00:00Z".parse().unwrap()
}

/// Two rules' alerts for one person, correlated: one incident. Returns its id.
async fn incident(app: &TestApp) -> String {
    for (n, name) in ["admin-granted", "space-exports"].iter().enumerate() {
        let id = RuleId::parse(name).unwrap();
        let spec = testkit::match_rule(name, "category:security");
        app.store
            .rules
            .create(&id, &spec, "test", t0())
            .await
            .unwrap();
        let at = t0() + Duration::minutes(10 * n as i64);
        let record = AlertRecord {
            id: format!("{name}:ana"),
            rule_id: id.clone(),
            rule_name: (*name).into(),
            severity: if n == 0 {
                Severity::High
            } else {
                Severity::Medium
            },
            dedup_key: "person:ana".into(),
            group: BTreeMap::from([(Field::Person, "person:ana".to_owned())]),
            period_start: at,
            events: Vec::new(),
            seen_at: at,
            why: "test".into(),
            events_query: "person=person%3Aana".into(),
        };
        app.store.alerts.record(&record, at).await.unwrap();
    }
    let report = incidents::correlate_pending(&app.store, t0() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!((report.alerts, report.opened, report.joined), (2, 1, 1));
    let all = app
        .store
        .incidents
        .list(&Default::default(), 10)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    all[0].id.clone()
}

async fn change(app: &TestApp, id: &str, args: &[(&str, &str)]) -> (u16, String) {
    let mut form = vec![("id", id)];
    form.extend_from_slice(args);
    let r = app.call("/api/incidents/change", &form).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn an_incident_is_triaged_through_every_state_and_refuses_illegal_moves() {
    let app = spawn_app().await;
    let id = incident(&app).await;
    app.login_as_admin().await;

    let list = app
        .call(
            "/api/incidents/list",
            &[
                ("state", "triggered"),
                ("severity", ""),
                ("assignee", ""),
                ("person", ""),
                ("team", ""),
                ("range", ""),
            ],
        )
        .await;
    assert_eq!(list.status(), 200);
    let list: serde_json::Value = list.json().await.unwrap();
    assert_eq!(list["rows"][0]["id"], id.as_str());
    assert_eq!(
        list["rows"][0]["severity"], "high",
        "the highest of its alerts"
    );
    assert_eq!(list["rows"][0]["alerts"], 2);

    let (status, body) = change(&app, &id, &[("action", "close")]).await;
    assert_eq!(
        status, 409,
        "closing a triggered incident is refused: {body}"
    );
    assert!(
        body.contains("cannot close an incident that is triggered"),
        "{body}"
    );

    assert_eq!(change(&app, &id, &[("action", "acknowledge")]).await.0, 200);
    let (status, body) = change(&app, &id, &[("action", "assign"), ("assignee", ADMIN)]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = change(&app, &id, &[("action", "assign"), ("assignee", "nobody")]).await;
    assert_eq!(status, 400, "an unknown assignee is refused: {body}");
    let (status, body) = change(
        &app,
        &id,
        &[
            ("action", "resolve"),
            ("classification", "true_positive"),
            ("note", " "),
        ],
    )
    .await;
    assert_eq!(status, 400, "resolving needs a note: {body}");
    let (status, body) = change(
        &app,
        &id,
        &[
            ("action", "note"),
            ("note", "Checked with **Ana**'s manager <script>x</script>"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = change(
        &app,
        &id,
        &[
            ("action", "resolve"),
            ("classification", "benign_true_positive"),
            ("note", "Planned migration"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(change(&app, &id, &[("action", "close")]).await.0, 200);
    let (status, body) = change(&app, &id, &[("action", "note"), ("note", "late")]).await;
    assert_eq!(status, 409, "a closed incident cannot be edited: {body}");

    let page = app.get(&format!("/incidents/{id}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"incident-final\""),
        "a closed incident says it is final"
    );
    assert!(
        !html.contains("data-testid=\"move-note\""),
        "and offers no form"
    );
    assert!(html.contains("<strong>Ana</strong>"), "notes are Markdown");
    assert!(!html.contains("<script>x</script>"), "without raw HTML");
    for step in [
        "Acknowledged",
        "Assigned to admin",
        "Resolved as benign true positive",
        "Closed",
    ] {
        assert!(html.contains(step), "the timeline shows `{step}`");
    }
}

#[tokio::test]
async fn the_evidence_file_matches_its_manifest_and_a_stale_revision_is_refused() {
    let app = spawn_app().await;
    let id = incident(&app).await;
    let r = app
        .get(&format!("/api/incidents/export?id={id}&format=json"))
        .await;
    assert_eq!(r.status(), 401, "evidence needs a session");
    app.login_as_admin().await;
    for format in ["json", "html"] {
        let r = app
            .get(&format!("/api/incidents/export?id={id}&format={format}"))
            .await;
        assert_eq!(r.status(), 200);
        let link = r.headers()["link"].to_str().unwrap().to_owned();
        let bytes = r.bytes().await.unwrap();
        let manifest_path = link
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap()
            .to_owned();
        let m: serde_json::Value = app.get(&manifest_path).await.json().await.unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            m["sha256"],
            digest.as_str(),
            "{format}: the manifest states the file's SHA-256"
        );
        assert_eq!(m["bytes"], bytes.len() as u64);
        assert_eq!(m["alerts"], 2);
    }
    let before = app
        .store
        .incidents
        .get(&id)
        .await
        .unwrap()
        .unwrap()
        .revision;
    change(&app, &id, &[("action", "acknowledge")]).await;
    let r = app
        .get(&format!(
            "/api/incidents/manifest?id={id}&revision={before}&format=json"
        ))
        .await;
    assert_eq!(
        r.status(),
        409,
        "the manifest of a revision the incident moved past is refused"
    );
    let r = app
        .get("/api/incidents/export?id=inc_nope&format=json")
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .get(&format!("/api/incidents/export?id={id}&format=pdf"))
        .await;
    assert_eq!(r.status(), 400);
}
