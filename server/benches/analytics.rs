//! Analytics benchmark: millions of generated events in a real `secantusd-rs`, then the dashboard's
//! reads as an administrator's browser makes them — Overview and Events first pages over HTTP
//! through the real application — plus the Events query against the same query sent raw through
//! the driver, the total counts, and a one-million-row export's speed and memory.
//!
//! `cargo bench -p server --bench analytics` (environment: `BENCH_EVENTS`, default 5,000,000;
//! `BENCH_RUNS`, default 20; `BENCH_DATABASE`, see `main`). Writes its figures into BENCHMARKS.md
//! between the `analytics` markers, section by section as they are measured.
//!
//! Long because it seeds, measures and reports every dashboard query in one run, so the figures
//! in BENCHMARKS.md come from the same database and the same moment.

mod common;

use app::ssr::AppState;
use bson::Document;
use chrono::{DateTime, Duration, Utc};
use common::{env_number, peak_rss_mib, rss_mib, write_section};
use connectors::deployments::Deployments;
use domain::{
    DeploymentId, Event, EventFilter, EventId, ObjectRef, Operation, PageSize, PersonId, Pipeline,
    Product, SourceId, TeamId,
};
use export::{ExportFormat, ExportRequest};
use futures::{StreamExt, TryStreamExt};
use ingest::identity::IdentityResolver;
use pipeline::AccountRef;
use query::people::PeopleDirectory;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use server::startup::{leptos_options, Application};
use services::auth::{create_admin, Authenticator, NewPassword, Username};
use std::fmt::Write;
use std::future::Future;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use store::crypto::KeyRing;
use store::events::{find_plan, page_windows};
use store::rollups::{days_touched, RollupScope};
use store::teams::GroupSnapshot;
use store::Store;

const PEOPLE: usize = 500;
const TEAMS: usize = 20;
const DAYS: i64 = 90;
const ADMIN: &str = "bench-admin";
const PASSWORD: &str = "benchmark password 1";

/// What each generated event can be: product, pipeline, operation, object type, weight.
const KINDS: &[(Product, Pipeline, Operation, Option<&str>, u32)] = &[
    (Product::Org, Pipeline::Audit, Operation::Login, None, 30),
    (Product::Org, Pipeline::Audit, Operation::Logout, None, 8),
    (
        Product::Org,
        Pipeline::Audit,
        Operation::LoginFailed,
        None,
        2,
    ),
    (
        Product::Org,
        Pipeline::Audit,
        Operation::UserAddedToGroup,
        Some("group"),
        2,
    ),
    (
        Product::Org,
        Pipeline::Audit,
        Operation::AdminGranted,
        Some("user"),
        1,
    ),
    (
        Product::Jira,
        Pipeline::Audit,
        Operation::PermissionChanged,
        Some("scheme"),
        3,
    ),
    (
        Product::Jira,
        Pipeline::Activity,
        Operation::IssueCreated,
        Some("issue"),
        8,
    ),
    (
        Product::Jira,
        Pipeline::Activity,
        Operation::IssueUpdated,
        Some("issue"),
        14,
    ),
    (
        Product::Jira,
        Pipeline::Activity,
        Operation::IssueTransitioned,
        Some("issue"),
        9,
    ),
    (
        Product::Confluence,
        Pipeline::Audit,
        Operation::SettingsChanged,
        Some("space"),
        1,
    ),
    (
        Product::Confluence,
        Pipeline::Activity,
        Operation::PageCreated,
        Some("page"),
        4,
    ),
    (
        Product::Confluence,
        Pipeline::Activity,
        Operation::PageUpdated,
        Some("page"),
        8,
    ),
    (
        Product::Bitbucket,
        Pipeline::Activity,
        Operation::CommitPushed,
        Some("commit"),
        7,
    ),
    (
        Product::Bitbucket,
        Pipeline::Activity,
        Operation::PrOpened,
        Some("pull_request"),
        2,
    ),
    (
        Product::Jsm,
        Pipeline::Activity,
        Operation::RequestCreated,
        Some("request"),
        3,
    ),
];

/// The people, teams and addresses the events were generated with.
struct Fixture {
    people: Vec<PersonId>,
    teams: Vec<TeamId>,
    now: DateTime<Utc>,
    /// How long loading and rolling up took, for the report.
    loading: String,
}

fn name_of(i: usize) -> String {
    const FIRST: [&str; 10] = [
        "Ana", "Björn", "Chloé", "Dmitri", "Élodie", "Fatima", "Gökhan", "Hana", "Ilse", "José",
    ];
    const LAST: [&str; 10] = [
        "Lima",
        "Ångström",
        "Dubois",
        "Petrović",
        "Okafor",
        "Tanaka",
        "Kowalski",
        "Núñez",
        "Braun",
        "Haddad",
    ];
    format!("{} {} {i}", FIRST[i % 10], LAST[(i / 10) % 10])
}

fn address(rng: &mut StdRng) -> IpAddr {
    let n: u32 = rng.gen_range(0..2_000);
    if n.is_multiple_of(10) {
        format!("2001:db8::{:x}", n).parse().unwrap()
    } else {
        format!("10.{}.{}.{}", n / 250 % 4, n % 250, 1 + n % 7)
            .parse()
            .unwrap()
    }
}

impl Fixture {
    const COLLECTION: &str = "bench_fixture";

    /// Records the fixture next to the events, so a later run can reuse them.
    async fn save(&self, store: &Store, total: u64) {
        store
            .db
            .collection::<Document>(Self::COLLECTION)
            .insert_one(bson::doc! {
                "total": total as i64,
                "people": self.people.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "teams": self.teams.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "now": bson::DateTime::from_chrono(self.now),
                "loading": &self.loading,
            })
            .await
            .unwrap();
    }

    /// The fixture of an earlier run that stored `total` events in this database, if any.
    async fn load(store: &Store, total: u64) -> Option<Self> {
        let d = store
            .db
            .collection::<Document>(Self::COLLECTION)
            .find_one(bson::doc! { "total": total as i64 })
            .await
            .unwrap()?;
        let ids = |k: &str| -> Vec<String> {
            d.get_array(k)
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        Some(Self {
            people: ids("people")
                .iter()
                .map(|p| PersonId::parse(p).unwrap())
                .collect(),
            teams: ids("teams")
                .iter()
                .map(|t| TeamId::parse(t).unwrap())
                .collect(),
            now: d.get_datetime("now").unwrap().to_chrono(),
            loading: format!(
                "{} (Events loaded by an earlier run into `BENCH_DATABASE`.)",
                d.get_str("loading").unwrap()
            ),
        })
    }
}

/// Stores the directory and `total` events over the last 90 days.
async fn populate(store: &Store, keys: Arc<KeyRing>, total: u64) -> Fixture {
    let now = Utc::now();
    let deployment = DeploymentId::parse("bench").unwrap();
    let resolver = IdentityResolver::new(store.identities.clone(), keys);
    let mut people = Vec::with_capacity(PEOPLE);
    for i in 0..PEOPLE {
        let account = AccountRef {
            account_id: Some(format!("557058:{i:06}")),
            display_name: Some(name_of(i)),
            email: Some(format!("user{i}@bench.example")),
            bitbucket_uuid: None,
        };
        let person = resolver
            .learn(&account, Product::Org, now)
            .await
            .unwrap()
            .unwrap();
        people.push(person);
    }
    let groups: Vec<GroupSnapshot> = (0..TEAMS)
        .map(|t| GroupSnapshot {
            group_id: format!("g{t}"),
            name: format!("team-bench-{t:02}"),
            members: people
                .iter()
                .enumerate()
                .filter(|(i, _)| i % TEAMS == t || (i % 7 == 0 && (i / 7) % TEAMS == t))
                .map(|(_, p)| p.clone())
                .collect(),
        })
        .collect();
    store
        .teams
        .replace_deployment(&deployment, &groups, now)
        .await
        .unwrap();
    let teams = store
        .teams
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();

    let weights: u32 = KINDS.iter().map(|k| k.4).sum();
    let mut rng = StdRng::seed_from_u64(5);
    let started = Instant::now();
    let mut batch: Vec<Event> = Vec::with_capacity(5_000);
    let first_day = now - Duration::days(DAYS);
    let per_day = total / DAYS as u64;
    let mut i: u64 = 0;
    // Day by day, oldest first, each day in time order: as syncs store them.
    for day in 0..DAYS {
        let count = if day == DAYS - 1 {
            total - per_day * (DAYS as u64 - 1)
        } else {
            per_day
        };
        let mut times: Vec<DateTime<Utc>> = (0..count)
            .map(|_| {
                // Work happens mostly in office hours.
                let second = if rng.gen_bool(0.7) {
                    rng.gen_range(8 * 3_600..18 * 3_600)
                } else {
                    rng.gen_range(0..86_400)
                };
                (first_day + Duration::days(day) + Duration::seconds(second))
                    .min(now - Duration::seconds(1))
            })
            .collect();
        times.sort();
        for at in times {
            let mut pick = rng.gen_range(0..weights);
            let &(product, pipeline, operation, object_type, _) = KINDS
                .iter()
                .find(|k| {
                    let hit = pick < k.4;
                    pick = pick.saturating_sub(k.4);
                    hit
                })
                .unwrap();
            // Some people are much busier than others.
            let who = (rng.gen::<f64>().powi(2) * PEOPLE as f64) as usize;
            let n = rng.gen_range(1..5_000);
            let object_ref = object_type.map(|t| ObjectRef {
                id: format!("{}-{n}", &t[..2].to_uppercase()),
                name: Some(format!("{t} {n} about topic {}", n % 97)),
                container: Some(format!("SPACE{}", n % 40)),
            });
            batch.push(Event {
                id: EventId::new(
                    &deployment,
                    product,
                    &SourceId::parse(&format!("bench-{i}")).unwrap(),
                ),
                occurred_at: at,
                ingested_at: now,
                deployment: deployment.clone(),
                product,
                pipeline,
                actor_id: Some(people[who].clone()),
                actor_raw: None,
                operation,
                category: pipeline::classify::category(pipeline),
                severity: pipeline::classify::severity(operation),
                object_type: object_type.map(str::to_owned),
                object_ref,
                source_ip: (pipeline == Pipeline::Audit).then(|| address(&mut rng)),
                country: None,
                raw: serde_json::json!({ "n": i, "kind": operation.as_str() }),
            });
            i += 1;
            if batch.len() == batch.capacity() {
                store.events.insert_new(&batch).await.unwrap();
                batch.clear();
                if i.is_multiple_of(250_000) {
                    eprintln!(
                        "  {i} events stored ({:.0}/s)",
                        i as f64 / started.elapsed().as_secs_f64()
                    );
                }
            }
        }
    }
    store.events.insert_new(&batch).await.unwrap();
    let load_seconds = started.elapsed().as_secs_f64();
    eprintln!("stored {total} events in {load_seconds:.0} s");
    let loading = format!(
        "Loading took {load_seconds:.0} s ({:.0} events/s in time order, every index in place).",
        total as f64 / load_seconds,
    );
    let fixture = Fixture {
        people,
        teams,
        now,
        loading,
    };
    fixture.save(store, total).await;
    fixture
}

/// Rebuilds every rollup of the generated range; returns what it took, for the report.
async fn roll_up(store: &Store, now: DateTime<Utc>) -> String {
    let rolled = Instant::now();
    let days = days_touched(now - Duration::days(DAYS + 1), now + Duration::hours(1));
    let rows = store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();
    let rolling = format!(
        "Rebuilding the rollups of {} days took {:.0} s ({rows} person-level rows).",
        days.len(),
        rolled.elapsed().as_secs_f64()
    );
    eprintln!("{rolling}");
    rolling
}

/// Whether `BENCH_PARTS` (a comma-separated list of `overview`, `events`, `export`; default all)
/// asks for this part, so that one part can be measured again alone.
fn part_wanted(part: &str) -> bool {
    std::env::var("BENCH_PARTS").map_or(true, |parts| parts.split(',').any(|p| p.trim() == part))
}

/// Writes what has been measured so far, so that a run cut short still leaves its figures.
fn checkpoint(report: &str, next: &str) {
    write_section(
        "analytics",
        &format!("{report}\n*Run in progress: still to measure {next}.*\n"),
    );
}

/// Milliseconds at the 50th and 95th percentiles of `runs` timed calls (after two warm-ups).
async fn timed<F, Fut>(runs: u32, mut call: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    for _ in 0..2 {
        call().await;
    }
    let mut ms = Vec::with_capacity(runs as usize);
    for _ in 0..runs {
        let t = Instant::now();
        call().await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    percentiles(ms)
}

/// [`timed`] for two calls made alternately: (p50, p95) of each.
async fn timed_pair<A, AF, B, BF>(runs: u32, mut a: A, mut b: B) -> ((f64, f64), (f64, f64))
where
    A: FnMut() -> AF,
    AF: Future<Output = ()>,
    B: FnMut() -> BF,
    BF: Future<Output = ()>,
{
    for _ in 0..2 {
        a().await;
        b().await;
    }
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        a().await;
        first.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        b().await;
        second.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (percentiles(first), percentiles(second))
}

/// (p50, p95) of some milliseconds.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.95))
}

/// The application on a free port and a signed-in client.
async fn signed_in_app(
    store: &Store,
    keys: Arc<KeyRing>,
) -> (String, reqwest::Client, tokio::sync::oneshot::Sender<()>) {
    let admin = Username::parse(ADMIN).unwrap();
    let password = || NewPassword::parse(PASSWORD.to_owned().into()).unwrap();
    // A kept database (`BENCH_DATABASE`) has the administrator from an earlier run.
    if create_admin(store, &admin, password(), false)
        .await
        .is_err()
    {
        create_admin(store, &admin, password(), true).await.unwrap();
    }
    let mut settings = services::Settings::from_lookup(|_| None).unwrap();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    let state = AppState::new(
        store.clone(),
        Arc::new(Deployments::default()),
        keys.clone(),
        std::time::Duration::from_secs(60),
    );
    let options = leptos_options(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml")).unwrap();
    let auth = Authenticator::new(store, keys);
    let app = Application::build(&settings, options, state, auth)
        .await
        .unwrap();
    let address = format!("http://{}", app.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{address}/api/login"))
        .header("Origin", &address)
        .form(&[("username", ADMIN), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "signing in");
    (address, client, tx)
}

/// Calls a server function as the browser does and checks that it answered 200.
async fn call(client: &reqwest::Client, address: &str, path: &str, args: &[(String, String)]) {
    let r = client
        .post(format!("{address}{path}"))
        .header("Origin", address)
        .header("Accept", "application/json")
        .form(args)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.bytes().await.unwrap();
    assert!(
        status.is_success(),
        "{path} {args:?}: {status} {}",
        String::from_utf8_lossy(&body)
    );
}

#[tokio::main]
async fn main() {
    let total = u64::from(env_number("BENCH_EVENTS", 5_000_000));
    let runs = env_number("BENCH_RUNS", 20);
    // `BENCH_DATABASE` names a database to keep: events stored there by an earlier run of the
    // same size are reused (its rollups are rebuilt), which saves the load when iterating.
    let kept = std::env::var("BENCH_DATABASE").ok();
    let db = match &kept {
        Some(name) => testkit::client().await.database(name),
        None => testkit::fresh_database().await,
    };
    let store = Store::new(db);
    let keys = Arc::new(KeyRing::new(&[4u8; 32], &[]));
    let reused = match kept {
        Some(_) => Fixture::load(&store, total).await,
        None => None,
    };
    let fixture = match reused {
        Some(fixture) => {
            store.ensure_indexes(3650).await.unwrap();
            fixture
        }
        None => {
            store.db.drop().await.unwrap();
            store.ensure_indexes(3650).await.unwrap();
            populate(&store, keys.clone(), total).await
        }
    };
    let rolling = roll_up(&store, fixture.now).await;
    let (address, client, _stop) = signed_in_app(&store, keys.clone()).await;
    let mut report = String::new();
    let _ = writeln!(
        report,
        "Measured {} on this machine ({} cores), release build, SecantusDB `secantusd-rs` started by the bench; {total} events over {DAYS} days, {PEOPLE} people, {TEAMS} teams; {runs} timed runs after 2 warm-ups. {} {rolling}\n",
        fixture.now.format("%Y-%m-%d"),
        std::thread::available_parallelism().map_or(0, usize::from),
        fixture.loading,
    );

    if part_wanted("overview") {
        // Overview: the server function behind the page (rollups, names, five SVG charts).
        let _ = writeln!(
            report,
            "| Overview (`POST /api/overview/data`, all charts) | p50 ms | p95 ms |\n|---|---|---|"
        );
        for range in ["24h", "7d", "30d", "90d"] {
            let args = vec![("query[range]".to_owned(), range.to_owned())];
            let (p50, p95) = timed(runs, || {
                call(&client, &address, "/api/overview/data", &args)
            })
            .await;
            let _ = writeln!(report, "| range {range} | {p50:.1} | **{p95:.1}** |");
            checkpoint(
                &report,
                "the remaining Overview ranges, the Events filters and the export",
            );
        }
    }
    if part_wanted("events") {
        // Events: the first page for each single filter, over HTTP and in the service against the
        // same query sent raw through the driver; and the total count.
        let busy = &fixture.people[PEOPLE / 10];
        let rare = &fixture.people[PEOPLE - 3];
        let ip: IpAddr = "10.1.17.2".parse().unwrap();
        let filters: Vec<(String, Vec<(&str, String)>)> = vec![
            ("none".into(), vec![]),
            ("range 7d".into(), vec![("range", "7d".into())]),
            ("product jira".into(), vec![("product", "jira".into())]),
            (
                "pipeline activity".into(),
                vec![("pipeline", "activity".into())],
            ),
            (
                "category security".into(),
                vec![("category", "security".into())],
            ),
            ("severity high".into(), vec![("severity", "high".into())]),
            (
                "operation admin_granted".into(),
                vec![("operation", "admin_granted".into())],
            ),
            ("person (busy)".into(), vec![("person", busy.to_string())]),
            ("person (rare)".into(), vec![("person", rare.to_string())]),
            ("team".into(), vec![("team", fixture.teams[3].to_string())]),
            ("ip address".into(), vec![("ip", ip.to_string())]),
            (
                "ip block /16 (a quarter)".into(),
                vec![("ip", "10.2.0.0/16".into())],
            ),
            (
                "ip block /24 (sparse)".into(),
                vec![("ip", "10.1.17.0/24".into())],
            ),
            ("free text".into(), vec![("q", "topic 42".into())]),
            (
                "free text + range 24h".into(),
                vec![("q", "topic 42".into()), ("range", "24h".into())],
            ),
        ];
        let _ = writeln!(
            report,
            "\n| Events, first page of 50, by filter | HTTP p50 ms | HTTP p95 ms | service p50 ms | raw driver p50 ms | service ÷ raw | total count p95 ms |\n|---|---|---|---|---|---|---|"
        );
        let mut ratios = Vec::new();
        for (label, params) in &filters {
            let mut args: Vec<(String, String)> = params
                .iter()
                .map(|(k, v)| (format!("query[{k}]"), v.clone()))
                .collect();
            args.push(("limit".into(), "50".into()));
            let (http50, http95) =
                timed(runs, || call(&client, &address, "/api/events/list", &args)).await;
            let query = domain::query::EventQuery::from_lookup(|k| {
                params.iter().find(|(p, _)| *p == k).map(|(_, v)| v.clone())
            });
            let filter = query.to_filter(Utc::now()).unwrap();
            let size = PageSize::try_from(50).unwrap();
            let actors = query::search::actor_scope(&store, &filter).await.unwrap();
            // The same reads the store makes for a page (its time windows, newest first, until the
            // page is full), sent raw through the driver and collected as plain documents. The two
            // are timed alternately, so that a pause of the server weighs on both alike.
            let windows = page_windows(&filter, None, Utc::now());
            let events = store.db.collection::<Document>("events");
            let ((ours, _), (raw, _)) = timed_pair(
                runs,
                || {
                    let (store, filter) = (store.clone(), filter.clone());
                    async move {
                        query::search::search_events(&store, &filter, None, size)
                            .await
                            .unwrap();
                    }
                },
                || {
                    let (events, windows, actors) = (events.clone(), &windows, &actors);
                    async move {
                        let mut page: Vec<Document> = Vec::new();
                        for window in windows {
                            let plan = find_plan(window, actors, None, size);
                            let found: Vec<Document> = events
                                .find(plan.filter)
                                .sort(plan.sort)
                                .limit(plan.limit - page.len() as i64)
                                .await
                                .unwrap()
                                .try_collect()
                                .await
                                .unwrap();
                            page.extend(found);
                            if page.len() as i64 >= plan.limit {
                                break;
                            }
                        }
                    }
                },
            )
            .await;
            let (_, count95) = timed(runs.min(10), || {
                let (store, filter) = (store.clone(), filter.clone());
                async move {
                    query::search::count_events(&store, &filter).await.unwrap();
                }
            })
            .await;
            let ratio = ours / raw;
            ratios.push(ratio);
            let _ = writeln!(report, "| {label} | {http50:.1} | **{http95:.1}** | {ours:.1} | {raw:.1} | {ratio:.2} | {count95:.0} |");
            eprintln!(
                "events {label}: http p95 {http95:.1} ms, service {ours:.1} ms, raw {raw:.1} ms"
            );
            checkpoint(&report, "the remaining Events filters and the export");
        }
        ratios.sort_by(f64::total_cmp);
        let _ = writeln!(
            report,
            "\nMedian service ÷ raw driver over the filters: **{:.2}** (largest {:.2}).",
            ratios[ratios.len() / 2],
            ratios[ratios.len() - 1]
        );
        checkpoint(&report, "the export");
    }
    if part_wanted("export") {
        // Export: about a million rows (the newest fifth of the range), CSV, consumed as fast as it
        // comes, with this process's resident memory sampled throughout.
        let to = fixture.now;
        let from = to - Duration::days(DAYS / 5);
        let filter = EventFilter {
            from: Some(from),
            to: Some(to),
            ..EventFilter::default()
        };
        let people = PeopleDirectory::new(
            store.identities.clone(),
            keys,
            std::time::Duration::from_secs(600),
        );
        people.snapshot().await.unwrap();
        let before = rss_mib();
        let peak = Arc::new(std::sync::Mutex::new(before));
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let (peak, sampling) = (peak.clone(), sampling.clone());
            std::thread::spawn(move || {
                while sampling.load(Ordering::Relaxed) {
                    let now = rss_mib();
                    let mut p = peak.lock().unwrap();
                    *p = p.max(now);
                    drop(p);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            })
        };
        let started = Instant::now();
        let export = export::start(
            &store,
            &people,
            ExportRequest {
                format: ExportFormat::Csv,
                query: format!("from={}&to={}", from.to_rfc3339(), to.to_rfc3339()),
                filter,
                generated_by: "bench".into(),
                generated_at: to,
            },
        )
        .await
        .unwrap();
        let mut stream = export.stream;
        let (mut bytes, mut lines) = (0u64, 0u64);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        let seconds = started.elapsed().as_secs_f64();
        sampling.store(false, Ordering::Relaxed);
        sampler.join().unwrap();
        let rows = lines - 1;
        let growth = *peak.lock().unwrap() - before;
        let _ = writeln!(
            report,
            "\n| Export (CSV, names decrypted, SHA-256 computed, streamed) | value |\n|---|---|\n| rows | {rows} ({:.0} MiB) |\n| time | {seconds:.1} s |\n| throughput | **{:.0} rows/s** |\n| resident memory before → peak during | {before:.0} → {:.0} MiB (**growth {growth:.1} MiB**) |",
            bytes as f64 / 1_048_576.0,
            rows as f64 / seconds,
            before + growth,
        );
    }
    let _ = writeln!(report, "\nPeak RSS of the whole bench process (generator, application and export together): {:.0} MiB.", peak_rss_mib());
    eprintln!("\n{report}");
    write_section("analytics", &report);
}
