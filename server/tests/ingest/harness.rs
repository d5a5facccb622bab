//! A simulator, a store over a fresh database and a syncer reading the simulator.

use bson::doc;
use chrono::{DateTime, Utc};
use connectors::deployments::Deployments;
use domain::StreamKey;
use futures::TryStreamExt;
use ingest::identity::IdentityResolver;
use ingest::Syncer;
use simulator::{Faults, Manifest, RunningSimulator, SimConfig, Simulator};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use store::crypto::KeyRing;
use store::Store;

pub const DEPLOYMENT: &str = "sim";

pub struct Harness {
    pub sim: RunningSimulator,
    pub store: Store,
    pub syncer: Syncer,
    pub deployments: Arc<Deployments>,
    /// Start of the first sync's window and end of the last one's.
    covered: Mutex<Option<(DateTime<Utc>, DateTime<Utc>)>>,
}

/// The simulator's clock start in these tests: a fixed Tuesday afternoon, so what the data holds
/// around "now" never depends on the hour or weekday a test runs at. The syncs here run at the
/// simulator's time (`Harness::sync_all`); a test that syncs through the wall clock sets its own.
pub const ANCHOR: &str = "2026-09-15T14:00:00Z";

/// A small, fast data set: a few hundred records per stream.
pub fn small_config(seed: u64, faults: Faults) -> SimConfig {
    SimConfig {
        seed,
        people: 12,
        teams: 3,
        days: 2,
        events_per_day: 500,
        faults,
        anchor: ANCHOR.parse().expect("a valid anchor"),
        ..SimConfig::default()
    }
}

/// `config` with the simulator's clock started at the wall clock's present, for tests whose
/// syncs run through the job queue or the CLI, which sync up to the wall clock.
pub fn at_wall_clock(config: SimConfig) -> SimConfig {
    SimConfig {
        anchor: SimConfig::default().anchor,
        ..config
    }
}

pub async fn start(config: SimConfig) -> Harness {
    let sim = Simulator::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let deployments = Arc::new(
        server::demo::deployments_for(&sim.base_url(), sim.config(), DEPLOYMENT, 15, 2).unwrap(),
    );
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(3650).await.unwrap();
    let keys = Arc::new(KeyRing::new(&[7u8; 32], &[]));
    let syncer = Syncer::new(
        store.clone(),
        IdentityResolver::new(store.identities.clone(), keys),
        deployments.clone(),
    );
    Harness {
        sim,
        store,
        syncer,
        deployments,
        covered: Mutex::new(None),
    }
}

impl Harness {
    /// Every runnable stream, directory first.
    pub fn streams(&self) -> Vec<StreamKey> {
        self.deployments.runnable()
    }

    /// Syncs every stream up to the simulator's present; panics on a failed run.
    pub async fn sync_all(&self) -> BTreeMap<String, store::sync_state::RunCounters> {
        let now = self.sim.now();
        let mut out = BTreeMap::new();
        for key in self.streams() {
            let report = self
                .syncer
                .run(&key, now)
                .await
                .unwrap_or_else(|e| panic!("sync of {key} failed: {e}"));
            out.insert(key.to_string(), report.counters);
            let mut covered = self.covered.lock().unwrap();
            let from = covered.map_or(report.window.from, |(f, _)| f.min(report.window.from));
            *covered = Some((from, now));
        }
        out
    }

    /// The synced time range, ending `settle` before the last sync's end: records closer to the
    /// present than a late record's delay may still change visibility.
    pub fn covered(&self, settle: chrono::Duration) -> (DateTime<Utc>, DateTime<Utc>) {
        let (from, to) = self.covered.lock().unwrap().expect("a sync ran");
        (from, to - settle)
    }

    /// The source's ground truth for a range.
    pub fn manifest(&self, (from, to): (DateTime<Utc>, DateTime<Utc>)) -> Manifest {
        self.sim.manifest(from, to, true)
    }

    /// Source ids stored per `product/pipeline` for events in a range.
    pub async fn stored_ids(
        &self,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
    ) -> BTreeMap<String, BTreeSet<String>> {
        let docs: Vec<bson::Document> = self
            .store
            .db
            .collection::<bson::Document>("events")
            .find(doc! { "occurred_at": { "$gte": at(from), "$lt": at(to) } })
            .projection(doc! { "_id": 1, "product": 1, "pipeline": 1 })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for d in docs {
            let id = d.get_str("_id").unwrap();
            let product = d.get_str("product").unwrap();
            let source = id
                .strip_prefix(&format!("{DEPLOYMENT}:{product}:"))
                .unwrap_or_else(|| panic!("event id {id} lacks its prefix"));
            out.entry(format!("{product}/{}", d.get_str("pipeline").unwrap()))
                .or_default()
                .insert(source.to_owned());
        }
        out
    }
}

/// The manifest's ids per `product/pipeline`.
pub fn expected_ids(manifest: &Manifest) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &manifest.sources {
        out.entry(format!("{}/{}", s.product, s.pipeline))
            .or_default()
            .extend(s.ids.clone().unwrap_or_default());
    }
    out.retain(|_, ids| !ids.is_empty());
    out
}

pub fn count(ids: &BTreeMap<String, BTreeSet<String>>) -> usize {
    ids.values().map(BTreeSet::len).sum()
}

pub fn at(t: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_chrono(t)
}
