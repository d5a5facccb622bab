//! The ingest sink against a real MongoDB-wire server: what a connector cannot use becomes a
//! stored, counted reject with its reason, and Bitbucket records naming their accounts only by
//! uuid come out with a person.

use connectors::{RecordKind, RecordSink, SourceRecord};
use domain::{DeploymentId, EventId, Product, SourceId};
use ingest::identity::IdentityResolver;
use ingest::IngestSink;
use serde_json::json;
use std::sync::Arc;
use store::crypto::KeyRing;
use store::Store;

const STREAM: &str = "acme/bitbucket/activity";

async fn sink() -> (Store, IngestSink) {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let keys = Arc::new(KeyRing::new(&[1u8; 32], &[]));
    let resolver = IdentityResolver::new(store.identities.clone(), keys);
    let sink = IngestSink::new(
        store.clone(),
        resolver,
        DeploymentId::parse("acme").unwrap(),
        STREAM.to_owned(),
        None,
    );
    (store, sink)
}

fn event_id(source: &str) -> EventId {
    EventId::new(
        &DeploymentId::parse("acme").unwrap(),
        Product::Bitbucket,
        &SourceId::parse(source).unwrap(),
    )
}

#[tokio::test]
async fn a_repository_the_connector_cannot_address_is_a_stored_and_counted_reject() {
    let (store, mut sink) = sink().await;
    let ghost = json!({ "type": "repository", "name": "Ghost" });
    sink.reject(
        ghost.clone(),
        "repository without slug, full_name or uuid".into(),
    )
    .await
    .unwrap();
    // A record that does not normalise is counted alongside.
    let no_hash = SourceRecord {
        kind: RecordKind::BitbucketCommit,
        raw: json!({ "date": "2026-09-12T16:40:11+00:00" }),
        context: json!({ "slug": "exporter" }),
    };
    sink.accept(vec![no_hash]).await.unwrap();
    sink.flush().await.unwrap();

    assert_eq!(sink.counters().rejects, 2);
    let stored = store.rejects.recent(Some(STREAM), 10).await.unwrap();
    let ghost_doc = stored
        .iter()
        .find(|r| r.reason.contains("slug, full_name or uuid"))
        .expect("the repository is in rejects with its reason");
    assert_eq!(ghost_doc.stream, STREAM);
    assert_eq!(
        ghost_doc.raw,
        bson::to_bson(&ghost).unwrap(),
        "the entry as the source sent it"
    );
    assert_eq!(store.rejects.count(STREAM).await.unwrap(), 2);
}

#[tokio::test]
async fn a_pull_request_whose_author_has_only_a_uuid_is_stored_with_the_authors_person() {
    let (store, mut sink) = sink().await;
    let uuid = "{1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d}";
    let slugless = json!({ "fullName": "acme/exporter", "uuid": "{0f9e}" });
    let commit = SourceRecord {
        kind: RecordKind::BitbucketCommit,
        raw: json!({ "hash": "9c2f1e7a5b3d", "date": "2026-09-12T16:40:11+00:00",
            "author": { "raw": "Mei Lin <mei@acme.example>",
                        "user": { "display_name": "Mei Lin", "uuid": uuid, "account_id": "712020:aa11" } } }),
        context: slugless.clone(),
    };
    let pr = SourceRecord {
        kind: RecordKind::BitbucketPrOpened,
        raw: json!({ "id": 412, "state": "OPEN", "created_on": "2026-09-13T09:14:02+00:00",
            "updated_on": "2026-09-13T09:14:02+00:00",
            "author": { "type": "user", "display_name": "Mei Lin", "uuid": uuid } }),
        context: slugless,
    };
    sink.accept(vec![commit, pr]).await.unwrap();
    sink.flush().await.unwrap();
    assert_eq!((sink.counters().inserted, sink.counters().rejects), (2, 0));

    let commit = store
        .events
        .get(&event_id("commit-exporter-9c2f1e7a5b3d"))
        .await
        .unwrap()
        .expect("the commit of the slugless repository is stored");
    let pr = store
        .events
        .get(&event_id("pr-exporter-412-opened"))
        .await
        .unwrap()
        .expect("the pull request is stored");
    assert!(commit.actor_id.is_some());
    assert_eq!(pr.actor_id, commit.actor_id, "the same person");
    assert_eq!(pr.actor_raw.as_deref(), Some(uuid));
}
