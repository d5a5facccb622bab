//! The ingest API and the audit-log webhook through the real router: each route takes only its
//! own credential (not a session, not another deployment's token, not a revoked or expired one),
//! session routes take no token, and a request's records are answered one by one.

use crate::helpers::{client, spawn_app, TestApp, API_KEY};
use chrono::{Duration, Utc};
use futures::TryStreamExt;
use serde_json::{json, Value};
use server::routes::{Access, REST_ROUTES};
use store::crypto::KeyRing;
use store::ingest_tokens::TokenSpec;

async fn token(
    app: &TestApp,
    name: &str,
    deployment: &str,
    age_days: i64,
    days: Option<u64>,
) -> String {
    let spec = TokenSpec {
        name: name.into(),
        deployment: deployment.into(),
        source: "vpn".into(),
        lifetime: days.map(|d| std::time::Duration::from_secs(d * 86_400)),
        created_by: "test".into(),
    };
    let created = app
        .store
        .ingest_tokens
        .create(spec, Utc::now() - Duration::days(age_days))
        .await
        .unwrap()
        .unwrap();
    created.token
}

fn event(id: &str) -> Value {
    json!({ "id": id, "occurred_at": (Utc::now() - Duration::hours(1)).to_rfc3339(), "operation": "login",
            "actor": { "email": "dana@example.com" }, "source_ip": "203.0.113.7" })
}

async fn post_events(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    body: &Value,
) -> reqwest::Response {
    let mut r = client()
        .post(app.url(&format!("/api/ingest/events{query}")))
        .json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn the_ingest_routes_take_only_their_own_credential() {
    let app = spawn_app().await;
    let good = token(&app, "vpn-acme", "acme", 0, Some(90)).await;
    let other = token(&app, "vpn-globex", "globex", 0, None).await;
    let expired = token(&app, "old", "acme", 10, Some(1)).await;
    let revoked = token(&app, "gone", "acme", 0, None).await;
    assert!(app
        .store
        .ingest_tokens
        .revoke("gone", "test", Utc::now())
        .await
        .unwrap());
    let body = json!([event("e1")]);

    for (credential, why) in [
        (None, "no token"),
        (Some("atl_ingest_0000"), "an unknown token"),
        (Some(expired.as_str()), "an expired token"),
        (Some(revoked.as_str()), "a revoked token"),
    ] {
        let r = post_events(&app, credential, "", &body).await;
        assert_eq!(r.status(), 401, "{why}");
        let error: Value = r.json().await.unwrap();
        assert!(
            error["error"].as_str().unwrap().len() > 10,
            "{why}: {error}"
        );
    }
    let r = post_events(&app, Some(&other), "?deployment=acme", &body).await;
    assert_eq!(r.status(), 403, "another deployment's token");

    // A signed-in session is no credential here.
    app.login_as_admin().await;
    let r = app
        .client
        .post(app.url("/api/ingest/events"))
        .header("Origin", &app.address)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "session cookies do not work on the ingest API"
    );

    // Nor is a token anywhere else.
    for (method, path, access) in REST_ROUTES {
        if *access != Access::Session {
            continue;
        }
        let r = client()
            .request(method.parse().unwrap(), app.url(path))
            .bearer_auth(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path} refuses an ingest token");
    }
    let fns: Vec<_> = server_fn::axum::server_fn_paths().collect();
    for (path, method) in fns {
        let r = client()
            .request(method.clone(), app.url(path))
            .bearer_auth(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path} refuses an ingest token");
    }

    // The webhook takes its deployment's secret and nothing else.
    let keys = KeyRing::new(&API_KEY, &[]);
    app.store
        .webhook_secrets
        .set(&keys, "acme", "Bearer acme-secret", "test", Utc::now())
        .await
        .unwrap();
    app.store
        .webhook_secrets
        .set(&keys, "globex", "Bearer globex-secret", "test", Utc::now())
        .await
        .unwrap();
    let org_event = json!({ "id": "w1", "type": "events", "attributes": {
        "time": (Utc::now() - Duration::minutes(5)).to_rfc3339(), "action": "user_added_to_group",
        "actor": { "id": "557058:a" }, "context": [{ "type": "group", "attributes": { "name": "admins" } }] } });
    for (auth, why) in [
        (None, "no header"),
        (Some("Bearer globex-secret"), "another deployment's secret"),
        (Some("Bearer nope"), "a wrong secret"),
    ] {
        let mut r = client()
            .post(app.url("/api/ingest/atlassian/acme"))
            .json(&org_event);
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        assert_eq!(r.send().await.unwrap().status(), 401, "{why}");
    }
    let r = client()
        .post(app.url("/api/ingest/atlassian/acme"))
        .bearer_auth(&good)
        .json(&org_event)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "an ingest token is not the webhook's secret"
    );
    let r = app
        .client
        .post(app.url("/api/ingest/atlassian/acme"))
        .header("Origin", &app.address)
        .json(&org_event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "nor is a session");
    let r = client()
        .post(app.url("/api/ingest/atlassian/acme"))
        .header("Authorization", "Bearer acme-secret")
        .json(&org_event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(report["results"][0]["event_id"], "acme:org:w1");

    // The right token works, and its calls are recorded without the body.
    let r = post_events(&app, Some(&good), "?deployment=acme", &body).await;
    assert_eq!(r.status(), 200);
    let t = app.store.ingest_tokens.find(&good).await.unwrap().unwrap();
    assert!(t.last_used_at.is_some());
    let calls = app.store.ingest_tokens.calls(&t.id, 10).await.unwrap();
    assert_eq!((calls.len(), calls[0].accepted), (1, 1));
}

#[tokio::test]
async fn each_record_is_answered_and_a_repeat_stores_nothing_new() {
    let app = spawn_app().await;
    let t = token(&app, "vpn", "acme", 0, None).await;
    let bad_time = json!({ "id": "e3", "occurred_at": "2026-01-01 10:00", "operation": "login" });
    let other_source = json!({ "id": "e4", "source": "okta", "occurred_at": Utc::now().to_rfc3339(), "operation": "login" });
    let body = json!([event("e1"), event("e2"), bad_time, other_source]);
    let r = post_events(&app, Some(&t), "", &body).await;
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(
        (
            report["records"].clone(),
            report["accepted"].clone(),
            report["rejected"].clone()
        ),
        (json!(4), json!(2), json!(2)),
        "{report}"
    );
    let statuses: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted", "accepted", "rejected", "rejected"]);
    assert!(
        report["results"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("occurred_at"),
        "{report}"
    );
    assert!(
        report["results"][3]["reason"]
            .as_str()
            .unwrap()
            .contains("bound to source"),
        "{report}"
    );
    assert_eq!(report["results"][0]["event_id"], "acme:external:vpn:e1");
    let stored = app
        .store
        .events
        .get(&domain::EventId::parse("acme:external:vpn:e1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        stored.actor_id.is_some(),
        "the e-mail address resolved to a person"
    );

    let again: Value = post_events(&app, Some(&t), "", &json!([event("e1"), event("e5")]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["accepted"].clone(), again["duplicates"].clone()),
        (json!(1), json!(1)),
        "{again}"
    );
    assert_eq!(again["results"][0]["status"], "duplicate");

    let ndjson = format!("{}\n{}\n", event("n1"), event("n2"));
    let r = client()
        .post(app.url("/api/ingest/events"))
        .bearer_auth(&t)
        .header("Content-Type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .unwrap();
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["accepted"], 2, "{report}");

    // The rollups of the pushed days are recomputed after the answers: five events, once each.
    app.pushed_rollups.settled().await;
    let rolled: Vec<bson::Document> = app
        .store
        .db
        .collection::<bson::Document>("rollups_daily_kinds")
        .find(bson::doc! { "deployment": "acme", "product": "external" })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let counted: i64 = rolled.iter().map(|r| r.get_i64("count").unwrap()).sum();
    assert_eq!(counted, 5, "{rolled:?}");

    let r = client()
        .post(app.url("/api/ingest/events"))
        .bearer_auth(&t)
        .header("Content-Type", "text/csv")
        .body("a,b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let big = "x".repeat(server::routes::ingest::MAX_BODY_BYTES + 1);
    let r = client()
        .post(app.url("/api/ingest/events"))
        .bearer_auth(&t)
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let schema: Value = client()
        .get(app.url("/api/ingest/schema"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(schema["title"], "AtlasLens generic event");
}

#[tokio::test]
async fn a_token_over_its_rate_is_told_when_to_retry() {
    let mut settings = crate::helpers::settings();
    settings.ingest_calls_per_minute = 2;
    let store = store::Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let app = crate::helpers::spawn_app_with(settings, store).await;
    let t = token(&app, "vpn", "acme", 0, None).await;
    for _ in 0..2 {
        assert_eq!(
            post_events(&app, Some(&t), "", &json!([event("r1")]))
                .await
                .status(),
            200
        );
    }
    let r = post_events(&app, Some(&t), "", &json!([event("r2")])).await;
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    assert!(
        app.store
            .events
            .get(&domain::EventId::parse("acme:external:vpn:r2").unwrap())
            .await
            .unwrap()
            .is_none(),
        "nothing of a refused request is stored"
    );
}
