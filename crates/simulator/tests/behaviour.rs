//! The simulator's own contract: determinism, authentication failures, refused writes, the clock
//! and late records, the control endpoints. Generation speed is a bench (`benches/generate.rs`).

mod common;

use common::{small_config, start};
use serde_json::{json, Value};
use simulator::{Manifest, SimConfig};
use std::time::Instant;

fn ids(m: &Manifest) -> Vec<String> {
    m.sources
        .iter()
        .flat_map(|s| s.ids.clone().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_records_and_another_seed_different_ones() {
    let anchor = common::at("2026-09-14T12:00:00Z");
    let config = |seed| SimConfig {
        anchor,
        ..small_config(seed)
    };
    let (a, b, c) = (
        start(config(5)).await,
        start(config(5)).await,
        start(config(6)).await,
    );
    let (from, to) = (anchor - chrono::Duration::days(4), anchor);
    let (ma, mb, mc) = (
        a.manifest(from, to, true),
        b.manifest(from, to, true),
        c.manifest(from, to, true),
    );
    assert!(!ids(&ma).is_empty());
    assert_eq!(ids(&ma), ids(&mb));
    assert_ne!(ids(&ma), ids(&mc));
    // Served bytes are identical too, not just ids.
    let http = reqwest::Client::new();
    let mut bodies = Vec::new();
    for sim in [&a, &b] {
        let url = format!(
            "{}/admin/v1/orgs/acme-org/events-stream?from={}&to={}",
            sim.base_url(),
            from.timestamp_millis(),
            to.timestamp_millis()
        );
        let r = http
            .get(url)
            .bearer_auth(&sim.config().org_api_key)
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        let mut data = body["data"].clone();
        for e in data.as_array_mut().unwrap() {
            e["links"] = Value::Null; // holds the port
        }
        bodies.push(data);
    }
    assert_eq!(bodies[0], bodies[1]);
    for sim in [a, b, c] {
        sim.stop().await;
    }
}

#[tokio::test]
async fn wrong_credentials_get_each_products_own_401_body() {
    let sim = start(small_config(1)).await;
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let cases = [
        (
            format!("{base}/admin/v1/orgs/acme-org/events-stream"),
            json!({ "code": 401, "message": "Unauthorized" }),
        ),
        (
            format!("{base}/site/acme/rest/api/3/auditing/record"),
            json!({ "errorMessages": ["Client must be authenticated to access this resource."], "errors": {} }),
        ),
        (
            format!("{base}/site/acme/wiki/rest/api/audit"),
            json!({ "errorMessages": ["Client must be authenticated to access this resource."], "errors": {} }),
        ),
        (
            format!("{base}/bitbucket/2.0/repositories/acme"),
            json!({ "type": "error", "error": { "message": "Unauthorized" } }),
        ),
    ];
    for (url, body) in cases {
        for request in [
            http.get(&url),
            http.get(&url)
                .basic_auth("sync@acme.example", Some("wrong")),
            http.get(&url).bearer_auth("wrong"),
        ] {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 401, "{url}");
            assert_eq!(r.json::<Value>().await.unwrap(), body, "{url}");
        }
    }
    // The right credentials for one product do not open another.
    let site = &sim.config().sites[0];
    let r = http
        .get(format!("{base}/admin/v1/orgs/acme-org/users"))
        .basic_auth(&site.email, Some(&site.api_token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    sim.stop().await;
}

#[tokio::test]
async fn writes_are_refused_with_405() {
    let sim = start(small_config(1)).await;
    let http = reqwest::Client::new();
    let site = &sim.config().sites[0];
    let base = sim.base_url();
    for url in [
        format!("{base}/site/acme/rest/api/3/auditing/record"),
        format!("{base}/admin/v1/orgs/acme-org/events-stream"),
        format!("{base}/bitbucket/2.0/repositories/acme"),
    ] {
        let r = http
            .post(&url)
            .basic_auth(&site.email, Some(&site.api_token))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{url}");
        let r = http.delete(&url).send().await.unwrap();
        assert_eq!(r.status(), 405, "{url}");
    }
    sim.stop().await;
}

#[tokio::test]
async fn late_records_stay_hidden_until_the_clock_passes_their_delay() {
    let sim = start(small_config(3)).await;
    sim.set_faults(simulator::Faults {
        late_rate: 1.0,
        late_delay_s: 3600,
        ..Default::default()
    });
    let now = sim.now();
    let recent = (now - chrono::Duration::minutes(50), now);
    let count = |m: Manifest| m.sources.iter().map(|s| s.count).sum::<u64>();
    assert_eq!(
        count(sim.manifest(recent.0, recent.1, false)),
        0,
        "everything in the last hour is still late"
    );
    sim.advance_clock(chrono::Duration::minutes(61));
    assert!(count(sim.manifest(recent.0, recent.1, false)) > 0);
    sim.stop().await;
}

#[tokio::test]
async fn the_control_endpoints_match_the_library_calls() {
    let sim = start(small_config(4)).await;
    let http = reqwest::Client::new();
    let base = sim.base_url();
    let before = sim.now();
    let r: Value = http
        .post(format!("{base}/_sim/clock/advance?seconds=3600"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after: chrono::DateTime<chrono::Utc> = r["sim_now"].as_str().unwrap().parse().unwrap();
    assert!(after - before >= chrono::Duration::seconds(3600));
    let faults: Value = http
        .post(format!("{base}/_sim/faults"))
        .json(&json!({ "malformed": true }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["malformed"], true);
    assert_eq!(
        faults["rate_limit_burst"], 3,
        "missing fields take their defaults"
    );
    let (from, to) = ("2026-01-01T00:00:00Z", sim.now().to_rfc3339());
    let over_http: Manifest = http
        .get(format!("{base}/_sim/manifest"))
        .query(&[("from", from), ("to", to.as_str()), ("ids", "true")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let direct = sim.manifest(common::at(from), common::at(&to), true);
    assert_eq!(over_http.sources, direct.sources);
    assert_eq!(
        over_http.malformed.len(),
        7,
        "one malformed record per stream: {:?}",
        over_http.malformed
    );
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_releases_hanging_requests() {
    let sim = start(small_config(2)).await;
    sim.set_faults(simulator::Faults {
        hang_rate: 1.0,
        ..Default::default()
    });
    let url = format!("{}/bitbucket/2.0/repositories/acme", sim.base_url());
    let pending = tokio::spawn(async move { reqwest::get(url).await.map(|r| r.status()) });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = Instant::now();
    sim.stop().await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let status = pending.await.unwrap();
    assert!(status.as_ref().map_or(true, |s| *s == 503), "{status:?}");
}
