//! Daily rollups against a real MongoDB-wire server: counts equal the events they summarise, each
//! row carries its person's teams, and a rebuild writes byte-identical documents.

use bson::{doc, Document};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::EventFilter;
use domain::{
    Category, DeploymentId, Event, Operation, PersonId, Pipeline, Product, Severity, TeamId,
};
use futures::TryStreamExt;
use query::analytics::{self, Activity, Headline, Overview};
use query::search::{actor_scope, count_events, CountSource};
use store::rollups::{days_touched, PersonTotal, RollupScope};
use store::teams::GroupSnapshot;
use store::Store;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

fn event(
    n: u32,
    when: DateTime<Utc>,
    product: Product,
    op: Operation,
    actor: Option<&str>,
) -> Event {
    Event {
        actor_id: actor.map(|a| PersonId::parse(a).unwrap()),
        operation: op,
        severity: Severity::Low,
        raw: serde_json::json!({ "n": n }),
        ..testkit::event("acme", product, &format!("r-{n}"), when)
    }
}

/// Every document of a collection, by `_id`.
async fn all_of(store: &Store, collection: &str) -> Vec<Document> {
    store
        .db
        .collection::<Document>(collection)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// Makes the organization's only group a team with one member; returns the team.
async fn one_team(store: &Store, name: &str, member: &str) -> TeamId {
    store
        .teams
        .replace_deployment(
            &DeploymentId::parse("acme").unwrap(),
            &[GroupSnapshot {
                group_id: "1".into(),
                name: name.into(),
                members: vec![PersonId::parse(member).unwrap()],
            }],
            Utc::now(),
        )
        .await
        .unwrap();
    store.teams.all().await.unwrap()[0].id.clone()
}

#[tokio::test]
async fn rollups_count_every_event_once_and_rebuild_identically() {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let mut events = Vec::new();
    // Day 1: three logins by person:a (in two teams), one by nobody; one Jira change by person:b.
    for n in 0..3 {
        events.push(event(
            n,
            at(1, 9 + n),
            Product::Org,
            Operation::Login,
            Some("person:a"),
        ));
    }
    events.push(event(3, at(1, 23), Product::Org, Operation::Login, None));
    events.push(event(
        4,
        at(1, 12),
        Product::Jira,
        Operation::PermissionChanged,
        Some("person:b"),
    ));
    // Day 2: one more login; midnight belongs to day 2.
    events.push(event(
        5,
        at(2, 0),
        Product::Org,
        Operation::Login,
        Some("person:a"),
    ));
    store.events.insert_new(&events).await.unwrap();
    store
        .teams
        .replace_deployment(
            &DeploymentId::parse("acme").unwrap(),
            &[
                GroupSnapshot {
                    group_id: "1".into(),
                    name: "team-red".into(),
                    members: vec![PersonId::parse("person:a").unwrap()],
                },
                GroupSnapshot {
                    group_id: "2".into(),
                    name: "team-blue".into(),
                    members: vec![PersonId::parse("person:a").unwrap()],
                },
            ],
            Utc::now(),
        )
        .await
        .unwrap();

    let days: Vec<NaiveDate> = [at(1, 0), at(2, 0)]
        .iter()
        .map(|t| t.date_naive())
        .collect();
    store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();
    let first = all_of(&store, "rollups_daily").await;
    let total: i64 = first.iter().map(|r| r.get_i64("count").unwrap()).sum();
    assert_eq!(total, events.len() as i64, "{first:#?}");

    let row = |id: &str| {
        first
            .iter()
            .find(|r| r.get_str("_id") == Ok(id))
            .cloned()
            .unwrap_or_else(|| panic!("no row {id}: {first:#?}"))
    };
    let a = row("2026-03-01|acme|org|audit|security|low|login|person:a");
    assert_eq!(a.get_i64("count").unwrap(), 3);
    let teams: Vec<&str> = a
        .get_array("teams")
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert_eq!(teams, ["team:blue", "team:red"]);
    assert_eq!(
        row("2026-03-01|acme|org|audit|security|low|login|-")
            .get_i64("count")
            .unwrap(),
        1
    );
    assert_eq!(
        row("2026-03-02|acme|org|audit|security|low|login|person:a")
            .get_i64("count")
            .unwrap(),
        1
    );
    assert_eq!(
        row("2026-03-01|acme|org|audit|security|low|login|person:a")
            .get_datetime("day")
            .unwrap()
            .to_chrono(),
        at(1, 0)
    );

    // Rebuilding (all of it, or one stream's slice) writes the very same bytes.
    store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();
    let scope = RollupScope::stream(
        DeploymentId::parse("acme").unwrap(),
        Product::Jira,
        Pipeline::Audit,
    );
    store.rollups.rebuild(&days, &scope).await.unwrap();
    let again = all_of(&store, "rollups_daily").await;
    let bytes = |docs: &[Document]| {
        docs.iter()
            .map(|d| bson::to_vec(d).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(bytes(&first), bytes(&again));

    // New events for a day show up after that day is rebuilt, and only then.
    store
        .events
        .insert_new(&[event(
            6,
            at(1, 13),
            Product::Jira,
            Operation::PermissionChanged,
            Some("person:b"),
        )])
        .await
        .unwrap();
    store.rollups.rebuild(&days[..1], &scope).await.unwrap();
    let after = all_of(&store, "rollups_daily").await;
    let b = after
        .iter()
        .find(|r| {
            r.get_str("_id")
                == Ok("2026-03-01|acme|jira|audit|security|low|permission_changed|person:b")
        })
        .unwrap();
    assert_eq!(b.get_i64("count").unwrap(), 2);
    assert_eq!(after.len(), first.len());
}

#[tokio::test]
async fn the_overview_reads_hourly_rollups_in_the_viewers_zone() {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let high = |mut e: Event| {
        e.severity = Severity::High;
        e
    };
    let content = |mut e: Event| {
        e.category = Category::Content;
        e
    };
    let events = vec![
        event(
            0,
            at(1, 9),
            Product::Org,
            Operation::Login,
            Some("person:a"),
        ),
        event(
            1,
            at(1, 10),
            Product::Org,
            Operation::Login,
            Some("person:a"),
        ),
        event(
            2,
            at(1, 11),
            Product::Org,
            Operation::Login,
            Some("person:a"),
        ),
        high(event(
            3,
            at(1, 12),
            Product::Jira,
            Operation::PermissionChanged,
            Some("person:b"),
        )),
        content(event(4, at(1, 23), Product::Org, Operation::Login, None)),
        event(
            5,
            at(2, 0),
            Product::Org,
            Operation::Login,
            Some("person:a"),
        ),
    ];
    store.events.insert_new(&events).await.unwrap();
    one_team(&store, "team-red", "person:a").await;
    let days = [at(1, 0).date_naive(), at(2, 0).date_naive()];
    store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();

    // 10:30 on day 1 to 00:30 on day 2 widens to the hours 10:00..01:00: five events; the
    // previous 15 hours hold the 09:00 login.
    let from = at(1, 10) + Duration::minutes(30);
    let to = at(2, 0) + Duration::minutes(30);
    let tokyo: chrono_tz::Tz = "Asia/Tokyo".parse().unwrap();
    let o = Overview::compute(&store.rollups, &EventFilter::default(), from, to, tokyo, 10)
        .await
        .unwrap();
    assert_eq!((o.from, o.to), (at(1, 10), at(2, 1)));
    let h = |events, security, high, people| Headline {
        events,
        security,
        high,
        people,
    };
    assert_eq!(o.current, h(5, 4, 1, 2));
    assert_eq!(o.previous, h(1, 1, 0, 1));
    assert_eq!(o.buckets.len(), 15, "hourly bars for a short range");
    assert_eq!(o.by_product[&Product::Org].iter().sum::<u64>(), 4);
    assert_eq!(o.by_product[&Product::Jira][2], 1, "the 12:00 bar");
    assert_eq!(
        o.top_people,
        [
            (PersonId::parse("person:a").unwrap(), 3),
            (PersonId::parse("person:b").unwrap(), 1)
        ]
    );
    assert_eq!(o.top_operations[0], ("login".parse().unwrap(), 4));
    assert_eq!(o.severities, [(Severity::Low, 4), (Severity::High, 1)]);
    // 2026-03-01 is a Sunday: 10:00 UTC is 19:00 in Tokyo; Monday 00:00 UTC is 09:00 there.
    assert_eq!(o.heatmap[6][19], 1);
    assert_eq!(o.heatmap[0][9], 1);
    assert_eq!(o.heatmap_latest[0][9], Some(at(2, 0)));
    assert_eq!(o.heatmap.iter().flatten().sum::<u64>(), 5);

    // Rows written by an earlier version (no summed-over-people rows) are rebuilt at start-up.
    store
        .db
        .collection::<Document>("rollups_daily_kinds")
        .delete_many(doc! {})
        .await
        .unwrap();
    assert_eq!(
        store.rollups.upgrade().await.unwrap(),
        4,
        "both days rewritten"
    );
    let again = Overview::compute(&store.rollups, &EventFilter::default(), from, to, tokyo, 10)
        .await
        .unwrap();
    assert_eq!(again, o);
    assert_eq!(store.rollups.upgrade().await.unwrap(), 0);

    // A filter narrows every figure; the team ranking counts members' events.
    let jira = EventFilter {
        products: vec![Product::Jira],
        ..EventFilter::default()
    };
    let o = Overview::compute(&store.rollups, &jira, from, to, chrono_tz::UTC, 10)
        .await
        .unwrap();
    assert_eq!(o.current, h(1, 1, 1, 1));
    let everything = EventFilter::default();
    let teams = |filter| analytics::ranking::<TeamId>(&store.rollups, filter, at(1, 0), at(3, 0));
    let people =
        |filter| analytics::ranking::<PersonId>(&store.rollups, filter, at(1, 0), at(3, 0));
    fn activity<Id>(id: Id, events: u64, security: u64) -> Activity<Id> {
        Activity {
            id,
            events,
            security,
        }
    }
    assert_eq!(
        teams(&everything).await.unwrap(),
        [activity(TeamId::parse("team:red").unwrap(), 4, 4)]
    );
    assert_eq!(
        people(&everything).await.unwrap(),
        [
            activity(PersonId::parse("person:a").unwrap(), 4, 4),
            activity(PersonId::parse("person:b").unwrap(), 1, 1)
        ]
    );
    // Without a filter the rankings come from the spans of days; with one (here matching every
    // event) from the daily rows. Both agree.
    let audit = EventFilter {
        pipelines: vec![Pipeline::Audit],
        ..EventFilter::default()
    };
    assert_eq!(
        people(&everything).await.unwrap(),
        people(&audit).await.unwrap(),
        "Person"
    );
    assert_eq!(
        teams(&everything).await.unwrap(),
        teams(&audit).await.unwrap(),
        "Team"
    );
}

#[tokio::test]
async fn totals_come_from_rollups_with_partial_hours_counted_exactly() {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let mut events = Vec::new();
    for n in 0..60u32 {
        // Every 37 minutes from day 1 00:05, alternating products and two people.
        let when = at(1, 0) + Duration::minutes(5 + 37 * i64::from(n));
        let (product, person) = if n % 3 == 0 {
            (Product::Jira, "person:a")
        } else {
            (Product::Org, "person:b")
        };
        events.push(event(n, when, product, Operation::Login, Some(person)));
    }
    store.events.insert_new(&events).await.unwrap();
    let blue = one_team(&store, "team-blue", "person:b").await;
    let days = days_touched(at(1, 0), at(3, 0));
    store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();

    let exact = |f: &EventFilter| {
        let f = f.clone();
        let store = store.clone();
        async move {
            let actors = actor_scope(&store, &f).await.unwrap();
            store.events.count_matching(&f, &actors).await.unwrap()
        }
    };
    let ranges = [
        (
            Some(at(1, 3) + Duration::minutes(20)),
            Some(at(1, 20) + Duration::minutes(50)),
        ),
        (Some(at(1, 3)), Some(at(1, 20))),
        (
            Some(at(1, 7) + Duration::minutes(10)),
            Some(at(1, 7) + Duration::minutes(55)),
        ),
        (None, Some(at(1, 12) + Duration::minutes(1))),
        (Some(at(1, 12) + Duration::minutes(1)), None),
        (None, None),
    ];
    for (from, to) in ranges {
        for filter in [
            EventFilter::default(),
            EventFilter {
                products: vec![Product::Jira],
                ..EventFilter::default()
            },
            EventFilter {
                person: Some(PersonId::parse("person:b").unwrap()),
                ..EventFilter::default()
            },
            EventFilter {
                team: Some(blue.clone()),
                ..EventFilter::default()
            },
            EventFilter {
                team: Some(blue.clone()),
                person: Some(PersonId::parse("person:a").unwrap()),
                ..EventFilter::default()
            },
        ] {
            let filter = EventFilter { from, to, ..filter };
            let counted = count_events(&store, &filter).await.unwrap();
            assert_eq!(counted.total, exact(&filter).await, "{filter:?}");
        }
    }
    assert_eq!(
        count_events(&store, &EventFilter::default())
            .await
            .unwrap()
            .total,
        60
    );
    let whole = EventFilter {
        from: Some(at(1, 3)),
        to: Some(at(1, 20)),
        ..EventFilter::default()
    };
    assert_eq!(
        count_events(&store, &whole).await.unwrap().source,
        CountSource::Rollups
    );
    let team = EventFilter {
        team: Some(blue),
        ..whole.clone()
    };
    let counted = count_events(&store, &team).await.unwrap();
    assert_eq!(
        counted.source,
        CountSource::Rollups,
        "a team's members' rows"
    );
    assert!(counted.total > 0);
    let text = EventFilter {
        text: Some("login".into()),
        ..whole
    };
    let counted = count_events(&store, &text).await.unwrap();
    assert_eq!(counted.source, CountSource::Events);
    assert_eq!(counted.total, exact(&text).await);
}

#[tokio::test]
async fn each_persons_totals_over_any_range_come_from_spans_of_days_and_equal_the_events() {
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(3650).await.unwrap();
    let start = Utc.with_ymd_and_hms(2026, 1, 3, 0, 0, 0).unwrap();
    let people = ["person:a", "person:b", "person:c"];
    // Over 150 days, every 7 h 13 min, rotating people; every fifth event has no actor, and
    // every other one is not a security event.
    let mut events: Vec<Event> = (0..500u32)
        .map(|n| {
            let when = start + Duration::minutes(433 * i64::from(n));
            let actor = (n % 5 != 4).then(|| people[n as usize % 3]);
            let mut e = event(n, when, Product::Org, Operation::Login, actor);
            if n % 2 == 1 {
                e.category = Category::Content;
            }
            e
        })
        .collect();
    store.events.insert_new(&events).await.unwrap();
    let end = events.last().unwrap().occurred_at + Duration::hours(1);
    let days = days_touched(start, end);
    store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();

    let expected = |events: &[Event], from: DateTime<Utc>, to: DateTime<Utc>| {
        let mut out: std::collections::BTreeMap<Option<String>, PersonTotal> = Default::default();
        for e in events
            .iter()
            .filter(|e| e.occurred_at >= from && e.occurred_at < to)
        {
            let total = out
                .entry(e.actor_id.as_ref().map(ToString::to_string))
                .or_default();
            total.events += 1;
            total.security += u64::from(e.category == Category::Security);
        }
        out
    };
    let ranges = [
        (start, end),
        (
            start + Duration::hours(5),
            start + Duration::days(90) + Duration::hours(7),
        ),
        (
            start + Duration::days(61),
            start + Duration::days(61) + Duration::hours(3),
        ),
        (start + Duration::days(1), start + Duration::days(2)),
        (
            start + Duration::days(9) + Duration::hours(23),
            start + Duration::days(140),
        ),
        (start - Duration::days(30), start + Duration::days(30)),
    ];
    for (from, to) in ranges {
        assert_eq!(
            store.rollups.person_totals(from, to).await.unwrap(),
            expected(&events, from, to),
            "{from} – {to}"
        );
    }

    // A rebuild writes the same spans; new events on one day reach every span containing it.
    let before = all_of(&store, "rollups_people").await;
    assert!(before.len() > 100, "spans of several lengths were written");
    store
        .rollups
        .rebuild(&days, &RollupScope::default())
        .await
        .unwrap();
    assert_eq!(all_of(&store, "rollups_people").await, before);
    let late = event(
        9_999,
        start + Duration::days(70) + Duration::hours(2),
        Product::Org,
        Operation::Login,
        Some("person:c"),
    );
    store
        .events
        .insert_new(std::slice::from_ref(&late))
        .await
        .unwrap();
    events.push(late.clone());
    store
        .rollups
        .rebuild(&[late.occurred_at.date_naive()], &RollupScope::default())
        .await
        .unwrap();
    for (from, to) in ranges {
        assert_eq!(
            store.rollups.person_totals(from, to).await.unwrap(),
            expected(&events, from, to),
            "after a late event, {from} – {to}"
        );
    }
}
