//! Test support shared by the simulator's integration tests: starting a simulator, building each
//! connector against it, fetching a window and reducing what came back to source ids.
#![allow(dead_code)]

use async_trait::async_trait;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use connectors::bitbucket::BitbucketActivity;
use connectors::confluence::{ConfluenceAudit, ConfluenceContent};
use connectors::jira::{JiraAudit, JiraIssues};
use connectors::jsm::JsmRequests;
use connectors::org::OrgEvents;
use connectors::{
    Auth, Connector, FetchStats, HttpClient, RecordKind, RecordSink, RetryPolicy, SinkError,
    SourceRecord, Window,
};
use reqwest::Url;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use simulator::{Manifest, RunningSimulator, SimConfig, Simulator};
use std::collections::BTreeSet;
use std::time::Duration;

/// The clock start of [`small_config`]: a fixed Tuesday afternoon, so no test depends on the time
/// of day or the weekday it runs at (tests that are about the time of day set their own).
pub const ANCHOR: &str = "2026-09-15T14:00:00Z";

/// A small, fixed configuration: fast to generate and fetch.
pub fn small_config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        people: 25,
        teams: 4,
        days: 4,
        events_per_day: 300,
        anchor: at(ANCHOR),
        ..SimConfig::default()
    }
}

pub async fn start(config: SimConfig) -> RunningSimulator {
    Simulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the simulator starts")
}

/// Every connector of the default deployment, pointed at `sim`, with short timeouts and waits.
pub fn connectors(sim: &RunningSimulator, timeout: Duration) -> Vec<Box<dyn Connector>> {
    let cfg = sim.config();
    let policy = RetryPolicy {
        max_attempts: 12,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(20),
    };
    let base = sim.base_url();
    let site = &cfg.sites[0];
    let basic = |email: &str, token: &str| Auth::Basic {
        email: email.to_owned(),
        token: SecretString::from(token.to_owned()),
    };
    let site_http = || HttpClient::new(basic(&site.email, &site.api_token), timeout, policy);
    let site_url = Url::parse(&format!("{base}/site/{}", site.name)).unwrap();
    let bb = &cfg.bitbucket;
    vec![
        Box::new(OrgEvents::new(
            HttpClient::new(
                Auth::Bearer(SecretString::from(cfg.org_api_key.clone())),
                timeout,
                policy,
            ),
            Url::parse(&format!("{base}/admin")).unwrap(),
            cfg.org_id.clone(),
        )),
        Box::new(JiraAudit::new(site_http(), site_url.clone())),
        Box::new(JiraIssues::new(site_http(), site_url.clone())),
        Box::new(ConfluenceAudit::new(site_http(), site_url.clone())),
        Box::new(ConfluenceContent::new(site_http(), site_url.clone())),
        Box::new(JsmRequests::new(site_http(), site_url)),
        Box::new(BitbucketActivity::new(
            HttpClient::new(basic(&bb.email, &bb.api_token), timeout, policy),
            Url::parse(&format!("{base}/bitbucket/2.0")).unwrap(),
            bb.workspace.clone(),
        )),
    ]
}

/// Keeps what a connector hands over: records, and the reasons of listing entries it refused.
#[derive(Default)]
pub struct Collect {
    pub records: Vec<SourceRecord>,
    pub refused: Vec<String>,
}

#[async_trait]
impl RecordSink for Collect {
    async fn accept(&mut self, records: Vec<SourceRecord>) -> Result<(), SinkError> {
        self.records.extend(records);
        Ok(())
    }

    async fn reject(&mut self, _raw: serde_json::Value, reason: String) -> Result<(), SinkError> {
        self.refused.push(reason);
        Ok(())
    }
}

/// What one connector fetched, reduced for comparison.
#[derive(Debug, Default)]
pub struct Fetched {
    /// What the fetch cost: requests, pages, `429`s, waits.
    pub stats: FetchStats,
    /// Distinct source ids of records that normalised.
    pub ids: BTreeSet<String>,
    /// Records fetched, duplicates included.
    pub records: usize,
    /// Source refs (as served) of records normalisation rejected.
    pub rejected: BTreeSet<String>,
    /// How many normalised records are `audit_other` without being the catalog's deliberately
    /// unmapped action.
    pub other: usize,
}

/// Fetches `window` with `connector` and normalises what came back at the simulated time `now`.
pub async fn fetch(connector: &dyn Connector, window: Window, now: DateTime<Utc>) -> Fetched {
    let mut sink = Collect::default();
    let stats = connector
        .fetch(window, &mut sink)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{:?}/{:?} failed: {e}",
                connector.product(),
                connector.pipeline()
            )
        });
    assert!(
        sink.refused.is_empty(),
        "{:?}/{:?}: the simulator serves no listing entry a connector must refuse: {:?}",
        connector.product(),
        connector.pipeline(),
        sink.refused
    );
    Fetched {
        stats,
        ..reduce(&sink.records, now)
    }
}

/// Normalises `records` at the simulated time `now` and reduces them for comparison.
pub fn reduce(records: &[SourceRecord], now: DateTime<Utc>) -> Fetched {
    let deployment = domain::DeploymentId::parse("acme").unwrap();
    let mut out = Fetched {
        records: records.len(),
        ..Fetched::default()
    };
    for record in records {
        match pipeline::normalize(&deployment, record, now) {
            Ok(n) => {
                let id = n
                    .event
                    .id
                    .as_str()
                    .splitn(3, ':')
                    .nth(2)
                    .unwrap()
                    .to_owned();
                assert_eq!(
                    id,
                    served_ref(record),
                    "the pipeline's source id follows docs/simulator.md §5"
                );
                let deliberate =
                    n.event.raw["attributes"]["action"] == simulator::UNMAPPED_ORG_ACTION;
                if n.event.operation == domain::Operation::AuditOther && !deliberate {
                    out.other += 1;
                }
                out.ids.insert(id);
            }
            Err(_) => {
                out.rejected.insert(served_ref(record));
            }
        }
    }
    out
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The source id of a record computed from its raw fields by the rules of docs/simulator.md §5,
/// independently of the pipeline (so it also names records the pipeline rejects).
pub fn served_ref(r: &SourceRecord) -> String {
    let raw = &r.raw;
    let ctx = &r.context;
    match r.kind {
        RecordKind::OrgEvent => text(&raw["id"]),
        RecordKind::JiraAudit => format!("audit-{}", text(&raw["id"])),
        RecordKind::JiraIssueCreated => format!("issue-{}-created", text(&raw["id"])),
        RecordKind::JiraChangelog => format!("changelog-{}", text(&raw["id"])),
        RecordKind::ConfluenceAudit => {
            let joined = [
                text(&raw["creationDate"]),
                text(&raw["author"]["accountId"]),
                text(&raw["summary"]),
                text(&raw["affectedObject"]["objectType"]),
                text(&raw["affectedObject"]["name"]),
                text(&raw["remoteAddress"]),
            ]
            .join("\n");
            let d = Sha256::digest(joined.as_bytes());
            format!(
                "audit-{}",
                d[..8]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            )
        }
        RecordKind::ConfluenceVersion => format!(
            "{}-{}-v{}",
            text(&ctx["contentType"]),
            text(&ctx["id"]),
            text(&raw["number"])
        ),
        RecordKind::BitbucketCommit => {
            format!("commit-{}-{}", text(&ctx["slug"]), text(&raw["hash"]))
        }
        RecordKind::BitbucketPrOpened => {
            format!("pr-{}-{}-opened", text(&ctx["slug"]), text(&raw["id"]))
        }
        RecordKind::BitbucketPrClosed => {
            format!(
                "pr-{}-{}-{}",
                text(&ctx["slug"]),
                text(&raw["id"]),
                text(&raw["state"]).to_lowercase()
            )
        }
        RecordKind::JsmRequestCreated => format!("request-{}-created", text(&raw["issueId"])),
        RecordKind::JsmRequestResolved => format!("request-{}-resolved", text(&raw["issueId"])),
        // The simulator serves no generic events.
        RecordKind::GenericEvent => format!("{}:{}", text(&ctx["source"]), text(&raw["id"])),
    }
}

/// The manifest's ids and malformed refs for one (product, pipeline).
pub fn expected(
    m: &Manifest,
    product: &str,
    pipeline: &str,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let ids = m
        .sources
        .iter()
        .filter(|s| s.product == product && s.pipeline == pipeline)
        .flat_map(|s| s.ids.clone().expect("ids were asked for"))
        .collect();
    let bad = m
        .malformed
        .iter()
        .filter(|b| b.product == product && b.pipeline == pipeline)
        .map(|b| b.reference.clone())
        .collect();
    (ids, bad)
}

/// The whole data before the simulator's current time, minute-aligned: every record in it is
/// visible now (unless late) and stays so.
pub fn window_until_now(sim: &RunningSimulator) -> Window {
    let cfg = sim.config();
    let from = cfg.anchor - ChronoDuration::days(i64::from(cfg.days));
    Window {
        from,
        to: sim.now(),
    }
}

/// What every connector fetched together.
#[derive(Debug, Default, Clone, Copy)]
pub struct Reconciled {
    /// Records fetched, duplicates included.
    pub records: usize,
    /// Distinct source ids that normalised.
    pub ids: usize,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Pages received.
    pub pages: u64,
    /// `429` answers received.
    pub rate_limited: u64,
    /// Time spent waiting before retries.
    pub waited: Duration,
}

/// Fetches `window` with every connector and checks each against the manifest taken at the
/// same simulated time; returns what they fetched and what it cost, over all connectors.
pub async fn reconcile(sim: &RunningSimulator, window: Window, timeout: Duration) -> Reconciled {
    let manifest = sim.manifest(window.from, window.to, true);
    let mut totals = Reconciled::default();
    for connector in connectors(sim, timeout) {
        let product = connector.product().as_str();
        let pipeline = connector.pipeline().as_str();
        let got = fetch(connector.as_ref(), window, manifest.sim_now).await;
        let (ids, bad) = expected(&manifest, product, pipeline);
        assert!(
            !ids.is_empty(),
            "{product}/{pipeline}: the manifest lists records"
        );
        let missing: Vec<_> = ids.difference(&got.ids).take(5).collect();
        let extra: Vec<_> = got.ids.difference(&ids).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{product}/{pipeline}: {} fetched vs {} in the manifest; missing {missing:?}, extra {extra:?}",
            got.ids.len(),
            ids.len()
        );
        assert_eq!(
            got.rejected, bad,
            "{product}/{pipeline}: rejected records are the malformed ones"
        );
        assert_eq!(
            got.other, 0,
            "{product}/{pipeline}: records outside the operation vocabulary (audit_other)"
        );
        totals.records += got.records;
        totals.ids += got.ids.len();
        totals.requests += got.stats.requests;
        totals.pages += got.stats.pages;
        totals.rate_limited += got.stats.rate_limited;
        totals.waited += got.stats.waited;
    }
    totals
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}
