//! Indexes proven: every query shape the Events page can produce (each filter alone, the common
//! combinations, and a later page through the keyset cursor) is `explain`ed over a realistic
//! spread of events, exactly as the store sends it ([`find_plan`] for a page, [`query`] for
//! `count_matching`), and no plan may read the whole `events` collection.
//!
//! What is proven: the winning plan has no `COLLSCAN` anywhere, and examines no more documents
//! than its shape allows ([`PageBound`], [`CountBound`]): a page of one field examines the
//! documents it shows, and a count of one field reads index keys only. Against SecantusDB,
//! `explain` reports the plan mongod would run, its trial between candidate plans counted over
//! this very collection (for `count`, mongod's fixed order of preference instead, which the count
//! bounds allow for); with `TEST_MONGODB_URI` naming a real mongod, the same assertions hold for
//! mongod itself.
//!
//! What is not: SecantusDB's own storage reads every document the filter matches through one index
//! and sorts them, whatever the plan says (README, "Indexes"). And free text has no index: without
//! a time range a search reads events newest first until the page is full, for a rare word every
//! event; that one shape is checked only for walking the time index without a blocking sort, and
//! its count may scan.
//!
//! Long because it explains every filter shape the Events page can send, one by one.

use bson::{doc, Bson, Document};
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{
    Category, DeploymentId, Event, EventFilter, EventId, ObjectRef, Operation, PageCursor,
    PageSize, PersonId, Pipeline, Product, Severity, SourceId,
};
use std::net::IpAddr;
use store::events::{find_plan, query, ActorScope};
use store::{Store, EVENTS};

/// Enough events that a plan reading the collection stands out from one reading a page.
const SEEDED: usize = 24_000;
const PEOPLE: usize = 300;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 31, 0, 0, 0).unwrap()
}

fn days_ago(days: i64) -> Option<DateTime<Utc>> {
    Some(now() - Duration::days(days))
}

fn person(n: usize) -> PersonId {
    PersonId::parse(&format!("person:{n}")).unwrap()
}

fn rare_person() -> PersonId {
    PersonId::parse("person:rare").unwrap()
}

/// A small deterministic generator (xorshift), so every run seeds the same events.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, weighted: &[(T, u32)]) -> T {
        let total: u32 = weighted.iter().map(|(_, w)| w).sum();
        let mut at = (self.next() % u64::from(total)) as u32;
        for (value, weight) in weighted {
            if at < *weight {
                return *value;
            }
            at -= weight;
        }
        weighted[0].0
    }
}

/// 30 days of events, newest first: five products in realistic shares, audit and activity
/// pipelines with their operations and severities, 300 people of whom a few do most of the work
/// (and one acts only a handful of times), office, VPN and IPv6 addresses (and one seen only a
/// handful of times), two deployments, and object names with a common word ("fix") and a rare one
/// ("zebra").
fn seed_events() -> Vec<Event> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let deployments = [
        DeploymentId::parse("acme").unwrap(),
        DeploymentId::parse("globex").unwrap(),
    ];
    let mut ages: Vec<i64> = (0..SEEDED)
        .map(|_| rng.below(30 * 86_400_000) as i64)
        .collect();
    ages.sort_unstable();
    let mut events = Vec::with_capacity(SEEDED);
    for (i, age) in ages.into_iter().enumerate() {
        let product = rng.pick(&[
            (Product::Jira, 40),
            (Product::Confluence, 30),
            (Product::Bitbucket, 15),
            (Product::Jsm, 10),
            (Product::Org, 5),
        ]);
        let audit = product == Product::Org || rng.below(100) < 20;
        let operation = if audit {
            rng.pick(&[
                (Operation::Login, 60),
                (Operation::LoginFailed, 10),
                (Operation::Logout, 15),
                (Operation::PermissionChanged, 3),
                (Operation::UserAddedToGroup, 4),
                (Operation::UserRemovedFromGroup, 2),
                (Operation::ApiTokenCreated, 2),
                (Operation::SettingsChanged, 3),
                (Operation::AdminGranted, 1),
            ])
        } else {
            match product {
                Product::Jira => rng.pick(&[
                    (Operation::IssueCreated, 20),
                    (Operation::IssueUpdated, 45),
                    (Operation::IssueTransitioned, 20),
                    (Operation::CommentAdded, 15),
                ]),
                Product::Confluence => rng.pick(&[
                    (Operation::PageCreated, 20),
                    (Operation::PageUpdated, 70),
                    (Operation::BlogpostPublished, 10),
                ]),
                Product::Bitbucket => rng.pick(&[
                    (Operation::CommitPushed, 70),
                    (Operation::PrOpened, 15),
                    (Operation::PrMerged, 12),
                    (Operation::PrDeclined, 3),
                ]),
                _ => rng.pick(&[
                    (Operation::RequestCreated, 55),
                    (Operation::RequestResolved, 45),
                ]),
            }
        };
        let severity = match operation {
            Operation::AdminGranted
            | Operation::PermissionChanged
            | Operation::UserAddedToGroup
            | Operation::UserRemovedFromGroup => Severity::High,
            Operation::LoginFailed | Operation::ApiTokenCreated | Operation::SettingsChanged => {
                Severity::Medium
            }
            _ => Severity::Low,
        };
        let actor = if i % 3_000 == 17 {
            Some(rare_person())
        } else if rng.below(100) < 2 {
            None
        } else {
            // Squaring a uniform draw: low numbers are the heavy users.
            let u = rng.below(1 << 20) as f64 / f64::from(1 << 20);
            Some(person((u * u * PEOPLE as f64) as usize))
        };
        let source_ip: Option<IpAddr> = if i % 4_000 == 42 {
            Some("203.0.113.66".parse().unwrap())
        } else if audit || rng.below(100) < 50 {
            Some(match rng.below(100) {
                0..=69 => format!("10.1.0.{}", 1 + rng.below(40)).parse().unwrap(),
                70..=94 => format!("198.51.100.{}", 1 + rng.below(20)).parse().unwrap(),
                _ => format!("2001:db8::{:x}", 1 + rng.below(10))
                    .parse()
                    .unwrap(),
            })
        } else {
            None
        };
        let name = if i % 2_500 == 5 {
            format!("Zebra crossing {i}")
        } else {
            match product {
                Product::Jira => format!("OPS-{} Fix the build", rng.below(900)),
                Product::Confluence => format!("Design notes {}", rng.below(500)),
                Product::Bitbucket => format!("repo-{} main", rng.below(50)),
                Product::Jsm => format!("HELP-{} Laptop request", rng.below(700)),
                Product::Org => format!("group-{}", rng.below(30)),
                Product::External => format!("vpn-gateway-{}", rng.below(5)),
            }
        };
        let deployment = deployments[usize::from(rng.below(100) >= 70)].clone();
        let source = format!("s{i:06}");
        events.push(Event {
            id: EventId::new(&deployment, product, &SourceId::parse(&source).unwrap()),
            occurred_at: now() - Duration::milliseconds(age),
            ingested_at: now(),
            deployment,
            product,
            pipeline: if audit {
                Pipeline::Audit
            } else {
                Pipeline::Activity
            },
            actor_raw: actor.as_ref().map(|p| format!("acc-{p}")),
            actor_id: actor,
            operation,
            category: if audit {
                Category::Security
            } else {
                Category::Content
            },
            severity,
            object_type: Some("thing".into()),
            object_ref: Some(ObjectRef {
                id: source.clone(),
                name: Some(name),
                container: None,
            }),
            source_ip,
            country: None,
            raw: serde_json::json!({ "id": source }),
        });
    }
    events
}

/// One query the Events page can send.
struct Shape {
    name: &'static str,
    filter: EventFilter,
    actors: ActorScope,
    /// Which page to explain: 1, or a later one reached through real cursors.
    page: usize,
}

/// Builds the filters of [`shapes`] one field at a time, as the filter form sets them.
struct Ask(EventFilter, ActorScope);

impl Default for Ask {
    fn default() -> Self {
        Self(EventFilter::default(), ActorScope::Anyone)
    }
}

impl Ask {
    fn days(mut self, days: i64) -> Self {
        self.0.from = days_ago(days);
        self
    }
    fn until_days_ago(mut self, days: i64) -> Self {
        self.0.to = days_ago(days);
        self
    }
    fn product(mut self, p: Product) -> Self {
        self.0.products.push(p);
        self
    }
    fn pipeline(mut self, p: Pipeline) -> Self {
        self.0.pipelines.push(p);
        self
    }
    fn category(mut self, c: Category) -> Self {
        self.0.categories.push(c);
        self
    }
    fn severity(mut self, s: Severity) -> Self {
        self.0.severities.push(s);
        self
    }
    fn operation(mut self, o: Operation) -> Self {
        self.0.operations.push(o);
        self
    }
    fn person(mut self, p: PersonId) -> Self {
        self.0.person = Some(p);
        self
    }
    /// Ten people from the middle of the activity curve: what a team filter resolves to.
    fn team(mut self) -> Self {
        self.1 = ActorScope::People((100..110).map(person).collect());
        self
    }
    fn ip(mut self, text: &str) -> Self {
        self.0.ip = Some(text.parse().unwrap());
        self
    }
    fn text(mut self, text: &str) -> Self {
        self.0.text = Some(text.into());
        self
    }
    fn page_1(self, name: &'static str) -> Shape {
        Shape {
            name,
            filter: self.0,
            actors: self.1,
            page: 1,
        }
    }
    fn page_3(self, name: &'static str) -> Shape {
        Shape {
            page: 3,
            ..self.page_1(name)
        }
    }
}

fn shapes() -> Vec<Shape> {
    let ask = Ask::default;
    use {Category::*, Operation::*, Pipeline::*, Product::*, Severity::*};
    vec![
        // Time alone: nothing, the presets (a preset sets only `from`), an absolute range.
        ask().page_1("no filter"),
        ask().days(1).page_1("last 24 hours"),
        ask().days(7).page_1("last 7 days"),
        ask().days(30).page_1("last 30 days"),
        ask()
            .days(10)
            .until_days_ago(3)
            .page_1("absolute from and to"),
        // Each filter alone: a common and a rare value, one value and several.
        ask().product(Jira).page_1("product"),
        ask().product(Org).page_1("rare product"),
        ask().product(Jira).product(Org).page_1("two products"),
        ask().pipeline(Audit).page_1("pipeline"),
        ask().category(Security).page_1("category"),
        ask().severity(High).page_1("severity"),
        ask()
            .severity(High)
            .severity(Medium)
            .page_1("two severities"),
        ask().operation(AdminGranted).page_1("rare operation"),
        ask()
            .operation(Login)
            .operation(Logout)
            .page_1("two operations"),
        ask().person(person(0)).page_1("busy person"),
        ask().person(rare_person()).page_1("rare person"),
        ask().team().page_1("team"),
        ask().ip("10.1.0.7").page_1("address"),
        ask().ip("203.0.113.66").page_1("rare address"),
        ask().ip("198.51.100.0/24").page_1("IPv4 block"),
        ask().ip("2001:db8::/32").page_1("IPv6 block"),
        ask().text("fix").page_1("common word"),
        ask().text("zebra").days(7).page_1("rare word in 7 days"),
        ask().text("zebra").page_1("rare word"),
        // Common combinations.
        ask()
            .product(Jira)
            .category(Security)
            .page_1("product and category"),
        ask().person(person(3)).days(7).page_1("person in 7 days"),
        ask()
            .severity(High)
            .category(Security)
            .days(7)
            .page_1("severity and category in 7 days"),
        ask().team().product(Confluence).page_1("team and product"),
        ask().team().days(7).page_1("team in 7 days"),
        ask()
            .ip("198.51.100.0/24")
            .days(7)
            .page_1("IPv4 block in 7 days"),
        ask()
            .pipeline(Audit)
            .product(Jira)
            .page_1("pipeline and product"),
        ask()
            .operation(Login)
            .person(person(1))
            .page_1("operation by a person"),
        ask()
            .product(Org)
            .severity(High)
            .days(30)
            .page_1("product and severity in 30 days"),
        ask()
            .person(person(0))
            .ip("10.1.0.0/16")
            .page_1("person from an address"),
        ask()
            .text("fix")
            .person(person(2))
            .page_1("word by a person"),
        // The third page, through the keyset cursor.
        ask().page_3("no filter, page 3"),
        ask().days(7).page_3("last 7 days, page 3"),
        ask().product(Jira).page_3("product, page 3"),
        ask().person(person(0)).page_3("busy person, page 3"),
        ask().team().page_3("team, page 3"),
        ask().ip("198.51.100.0/24").page_3("IPv4 block, page 3"),
        ask()
            .product(Jira)
            .category(Security)
            .page_3("product and category, page 3"),
    ]
}

/// What a page may examine.
#[derive(Debug)]
enum PageBound {
    /// At most one field filtered, by values (not a block of addresses): its index holds the
    /// filter and the keyset order, so the page examines the documents it returns and no more.
    Shown,
    /// Several fields, free text, or a block of addresses (a range on `ip_key`, which the time
    /// order does not follow within): one field's index, or the time index, is read and the rest
    /// tested on each document, and the planner picks the index that fills the page soonest. No
    /// more than the narrowest of them (each with the time range) matches.
    Narrowest(u64),
    /// Free text and nothing else: no index can answer a substring, so the page walks the time
    /// index until it is full. For a common word that is soon; for a rare one, every event.
    TimeWalk,
}

/// What a count may examine.
#[derive(Debug)]
enum CountBound {
    /// At most one field: its index keys alone are counted, no document is read.
    KeysOnly,
    /// Several fields, or free text: one field's index (or the time index) is read and the rest
    /// tested on each document, so no more than the widest of them matches. (mongod tries the
    /// candidates against each other and reads the narrowest; SecantusDB's `explain` picks by
    /// mongod's fixed order of preference instead.)
    Widest(u64),
    /// Free text and nothing else: every event is read.
    Everything,
}

/// Each indexed field of `filter` alone (with the time range, which every filter index also
/// bounds), as the store would query it.
fn single_fields(f: &EventFilter, actors: &ActorScope) -> Vec<Document> {
    let time = EventFilter {
        from: f.from,
        to: f.to,
        ..EventFilter::default()
    };
    let alone = |set: &dyn Fn(&mut EventFilter), actors: &ActorScope| {
        let mut one = time.clone();
        set(&mut one);
        query(&one, actors, None)
    };
    let anyone = &ActorScope::Anyone;
    let mut out = Vec::new();
    if !f.products.is_empty() {
        out.push(alone(&|o| o.products = f.products.clone(), anyone));
    }
    if !f.pipelines.is_empty() {
        out.push(alone(&|o| o.pipelines = f.pipelines.clone(), anyone));
    }
    if !f.categories.is_empty() {
        out.push(alone(&|o| o.categories = f.categories.clone(), anyone));
    }
    if !f.severities.is_empty() {
        out.push(alone(&|o| o.severities = f.severities.clone(), anyone));
    }
    if !f.operations.is_empty() {
        out.push(alone(&|o| o.operations = f.operations.clone(), anyone));
    }
    if f.person.is_some() || matches!(actors, ActorScope::People(_)) {
        out.push(alone(&|o| o.person = f.person.clone(), actors));
    }
    if f.ip.is_some() {
        out.push(alone(&|o| o.ip = f.ip, anyone));
    }
    out
}

/// One `explain` reply, reduced to what the assertions read.
struct Explained {
    /// The winning plan, one stage a line (`IXSCAN actor_newest`), indented by depth.
    plan: String,
    docs: u64,
    keys: u64,
}

impl Explained {
    fn scans_collection(&self) -> bool {
        self.plan.contains("COLLSCAN")
    }
}

fn number(d: &Document, key: &str) -> u64 {
    jobs::reply_count(d.get(key))
        .unwrap_or_else(|| panic!("explain gave no {key}: {:?}", d.get(key)))
}

fn stages(node: &Document, depth: usize, out: &mut String) {
    // mongod's slot-based engine wraps the classic tree in `queryPlan`.
    let node = node.get_document("queryPlan").unwrap_or(node);
    out.push_str(&"  ".repeat(depth));
    out.push_str(node.get_str("stage").unwrap_or("?"));
    if let Ok(index) = node.get_str("indexName") {
        out.push(' ');
        out.push_str(index);
    }
    out.push('\n');
    let inputs = node.get_document("inputStage").into_iter().chain(
        node.get_array("inputStages")
            .into_iter()
            .flatten()
            .filter_map(Bson::as_document),
    );
    for input in inputs {
        stages(input, depth + 1, out);
    }
}

async fn explain(store: &Store, command: Document) -> Explained {
    let reply = store
        .db
        .run_command(doc! { "explain": command.clone(), "verbosity": "executionStats" })
        .await
        .unwrap_or_else(|e| panic!("explain {command} failed: {e}"));
    let mut plan = String::new();
    stages(
        reply
            .get_document("queryPlanner")
            .and_then(|p| p.get_document("winningPlan"))
            .expect("explain has a winning plan"),
        0,
        &mut plan,
    );
    let stats = reply
        .get_document("executionStats")
        .expect("explain has executionStats");
    Explained {
        plan,
        docs: number(stats, "totalDocsExamined"),
        keys: number(stats, "totalKeysExamined"),
    }
}

async fn count(store: &Store, filter: &Document) -> u64 {
    store
        .db
        .collection::<Document>(EVENTS)
        .count_documents(filter.clone())
        .await
        .unwrap()
}

/// The cursor of `page` (the page before it ends there), reached as the Events page does.
async fn cursor_for(store: &Store, s: &Shape) -> Option<PageCursor> {
    let mut cursor = None;
    for _ in 1..s.page {
        let page = store
            .events
            .page(&s.filter, &s.actors, cursor.as_ref(), PageSize::default())
            .await
            .unwrap();
        cursor = Some(
            page.next
                .unwrap_or_else(|| panic!("{}: no page after", s.name)),
        );
    }
    cursor
}

fn values_in(filter: &Document) -> u64 {
    filter
        .values()
        .filter_map(Bson::as_document)
        .filter_map(|d| d.get_array("$in").ok())
        .map(|values| values.len() as u64)
        .sum()
}

#[tokio::test]
async fn no_query_the_events_page_can_send_reads_the_whole_collection() {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    for batch in seed_events().chunks(4_000) {
        store.events.insert_new(batch).await.unwrap();
    }
    let everything = SEEDED as u64;
    let mut failures = Vec::new();
    let mut report = String::new();
    for s in shapes() {
        let cursor = cursor_for(&store, &s).await;
        let plan = find_plan(&s.filter, &s.actors, cursor.as_ref(), PageSize::default());
        let page = explain(
            &store,
            doc! { "find": EVENTS, "filter": plan.filter.clone(), "sort": plan.sort, "limit": plan.limit },
        )
        .await;
        // Exactly what `count_matching` sends.
        let counted = query(&s.filter, &s.actors, None);
        let tally = explain(&store, doc! { "count": EVENTS, "query": counted.clone() }).await;
        let singles = single_fields(&s.filter, &s.actors);
        let text = s.filter.text.is_some();
        let ranged = s.filter.from.is_some() || s.filter.to.is_some();
        let block = s.filter.ip.is_some_and(|ip| {
            let (lo, hi) = ip.key_range();
            lo != hi
        });
        let time = EventFilter {
            from: s.filter.from,
            to: s.filter.to,
            ..EventFilter::default()
        };
        let mut sizes = vec![count(&store, &query(&time, &ActorScope::Anyone, None)).await];
        for one in &singles {
            sizes.push(count(&store, one).await);
        }
        let narrowest = sizes.iter().copied().min().unwrap_or(everything);
        let widest = sizes[1..].iter().copied().max().unwrap_or(sizes[0]);
        let page_bound = match singles.len() {
            0 if text && !ranged => PageBound::TimeWalk,
            0 | 1 if !text && !block => PageBound::Shown,
            _ => PageBound::Narrowest(narrowest),
        };
        let count_bound = match singles.len() {
            0 if text && !ranged => CountBound::Everything,
            0 | 1 if !text => CountBound::KeysOnly,
            _ => CountBound::Widest(widest),
        };
        let mut wrong: Vec<String> = Vec::new();
        if page.scans_collection() {
            wrong.push("the page scans the collection".into());
        }
        // The page's documents, and on a later page the cursor's own event, which the scan meets
        // before the `$or` turns it away.
        let shown = plan.limit as u64 + u64::from(s.page > 1);
        match page_bound {
            PageBound::Shown => {
                let keys = shown + values_in(&plan.filter) + 1;
                if page.docs > shown || page.keys > keys {
                    wrong.push(format!(
                        "the page examines more than {shown} documents or {keys} keys"
                    ));
                }
            }
            PageBound::Narrowest(n) => {
                if page.docs > n + 1 {
                    wrong.push(format!(
                        "the page examines more than the {n} events its narrowest filter matches"
                    ));
                }
                if n >= everything / 2 {
                    wrong.push(format!("the bound ({n}) is most of the collection"));
                }
            }
            PageBound::TimeWalk => {
                if !page.plan.contains("IXSCAN newest_first") || page.plan.contains("SORT") {
                    wrong.push("free text must walk newest_first and stop at a full page".into());
                }
            }
        }
        if tally.scans_collection() && !matches!(count_bound, CountBound::Everything) {
            wrong.push("the count scans the collection".into());
        }
        match count_bound {
            CountBound::KeysOnly => {
                if tally.docs > 0 {
                    wrong.push("the count reads documents, not only index keys".into());
                }
            }
            CountBound::Widest(n) => {
                if tally.docs > n {
                    wrong.push(format!(
                        "the count examines more than the {n} events its widest filter matches"
                    ));
                }
                if n >= everything / 2 {
                    wrong.push(format!("the bound ({n}) is most of the collection"));
                }
            }
            CountBound::Everything => {}
        }
        let matched = store
            .events
            .count_matching(&s.filter, &s.actors)
            .await
            .unwrap();
        if s.page == 1 && matched != count(&store, &counted).await {
            wrong.push("count_matching disagrees with count_documents".into());
        }
        let line = format!(
            "{}: {matched} match; page {} docs / {} keys ({page_bound:?}), count {} docs / {} keys ({count_bound:?})\n{}{}",
            s.name, page.docs, page.keys, tally.docs, tally.keys, page.plan, tally.plan
        );
        if !wrong.is_empty() {
            failures.push(format!("{} — {}\n{line}", s.name, wrong.join("; ")));
        }
        report.push_str(&line);
    }
    assert!(
        failures.is_empty(),
        "{} shape(s) read too much:\n{}\nEvery shape:\n{report}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn filter_indexes_of_earlier_versions_are_dropped_at_start_up() {
    let store = Store::new(testkit::fresh_database().await);
    let events = store.db.collection::<Document>(EVENTS);
    events
        .create_index(
            mongodb::IndexModel::builder()
                .keys(doc! { "actor_id": 1, "occurred_at": -1 })
                .options(
                    mongodb::options::IndexOptions::builder()
                        .name("actor_time".to_owned())
                        .build(),
                )
                .build(),
        )
        .await
        .unwrap();
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let names = events.list_index_names().await.unwrap();
    assert!(!names.contains(&"actor_time".to_owned()), "{names:?}");
    assert!(names.contains(&"actor_newest".to_owned()), "{names:?}");
}
