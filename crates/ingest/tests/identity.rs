//! Identity resolution against a real MongoDB-wire server: one person per human across products,
//! linked by account id and by e-mail address; names and addresses only ever stored encrypted.

use bson::doc;
use chrono::Utc;
use domain::Product;
use ingest::identity::IdentityResolver;
use pipeline::AccountRef;
use std::sync::Arc;
use store::crypto::KeyRing;
use store::Store;

async fn resolver(keys: &Arc<KeyRing>) -> (Store, IdentityResolver) {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    let resolver = IdentityResolver::new(store.identities.clone(), keys.clone());
    (store, resolver)
}

fn account(id: Option<&str>, name: Option<&str>, email: Option<&str>) -> AccountRef {
    AccountRef {
        account_id: id.map(str::to_owned),
        display_name: name.map(str::to_owned),
        email: email.map(str::to_owned),
        bitbucket_uuid: None,
    }
}

#[tokio::test]
async fn an_account_and_its_email_only_appearances_are_one_person() {
    let keys = Arc::new(KeyRing::new(&[1u8; 32], &[]));
    let (store, r) = resolver(&keys).await;
    let now = Utc::now();
    let zoe = account(
        Some("5f0c1a2b3c4d5e6f7a8b9c0d"),
        Some("Zoë Ångström"),
        Some("zoe@acme.example"),
    );
    let person = r.learn(&zoe, Product::Org, now).await.unwrap().unwrap();

    // A Bitbucket commit by an unlinked author carries only the address (any case).
    let commit_author = account(None, Some("zoe"), Some("ZOE@acme.example"));
    assert_eq!(
        r.resolve(&commit_author, Product::Bitbucket, now)
            .await
            .unwrap(),
        Some(person.clone())
    );
    // The same account in Jira, through a fresh resolver (no cache), is the same person.
    let fresh = IdentityResolver::new(store.identities.clone(), keys.clone());
    let in_jira = account(Some("5f0c1a2b3c4d5e6f7a8b9c0d"), None, None);
    assert_eq!(
        fresh.resolve(&in_jira, Product::Jira, now).await.unwrap(),
        Some(person.clone())
    );
    // Someone else is someone else; a record naming nobody resolves to nobody.
    let other = account(Some("712020:1b2c"), Some("山田 太郎"), None);
    assert_ne!(
        r.resolve(&other, Product::Confluence, now).await.unwrap(),
        Some(person.clone())
    );
    assert_eq!(
        r.resolve(&account(None, Some("x"), None), Product::Jira, now)
            .await
            .unwrap(),
        None
    );

    // Names are decrypted in the application, never stored in clear.
    assert_eq!(
        r.display_name(&person).await.unwrap().as_deref(),
        Some("Zoë Ångström")
    );
    let raw = store
        .db
        .collection::<bson::Document>("identities")
        .find_one(doc! { "account_id": "5f0c1a2b3c4d5e6f7a8b9c0d" })
        .await
        .unwrap()
        .unwrap();
    let text = raw.to_string();
    assert!(!text.contains("Zoë") && !text.contains("zoe@"), "{text}");
    assert!(raw.get_str("name_enc").unwrap().starts_with("v1:"));
    let products: Vec<&str> = raw
        .get_array("products")
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert_eq!(products, ["org", "jira"]);
}

#[tokio::test]
async fn person_ids_are_deterministic_for_a_key_and_differ_across_keys() {
    let now = Utc::now();
    let someone = account(Some("5f00000000000000000000aa"), Some("José Núñez"), None);
    let k1 = Arc::new(KeyRing::new(&[1u8; 32], &[]));
    let k2 = Arc::new(KeyRing::new(&[2u8; 32], &[]));
    let a = resolver(&k1)
        .await
        .1
        .resolve(&someone, Product::Org, now)
        .await
        .unwrap();
    let b = resolver(&k1)
        .await
        .1
        .resolve(&someone, Product::Org, now)
        .await
        .unwrap();
    let c = resolver(&k2)
        .await
        .1
        .resolve(&someone, Product::Org, now)
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(
        !a.unwrap().as_str().contains("5f00"),
        "the id must not reveal the account"
    );
}

fn bitbucket(id: Option<&str>, uuid: &str, name: Option<&str>) -> AccountRef {
    AccountRef {
        bitbucket_uuid: Some(uuid.to_owned()),
        ..account(id, name, None)
    }
}

const MEI_UUID: &str = "{1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d}";

#[tokio::test]
async fn a_bitbucket_account_named_only_by_uuid_resolves_to_the_person_its_uuid_belongs_to() {
    let keys = Arc::new(KeyRing::new(&[1u8; 32], &[]));
    let (store, r) = resolver(&keys).await;
    let now = Utc::now();
    // A commit by a linked author names the account by id and uuid.
    let mei = bitbucket(Some("712020:aa11"), MEI_UUID, Some("Mei Lin"));
    let person = r.resolve(&mei, Product::Bitbucket, now).await.unwrap();
    assert!(person.is_some());
    let stored = store
        .identities
        .get("acct:712020:aa11")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.bitbucket_uuid.as_deref(), Some(MEI_UUID));

    // A pull request whose author carries only uuid and display name is the same person, also
    // through a fresh resolver (no cache).
    let fresh = IdentityResolver::new(store.identities.clone(), keys.clone());
    let author = bitbucket(None, MEI_UUID, Some("Mei Lin"));
    assert_eq!(
        fresh
            .resolve(&author, Product::Bitbucket, now)
            .await
            .unwrap(),
        person
    );

    // An account never seen with an id is a person of its own, keyed by the uuid, its name
    // encrypted like any other.
    let ravi_uuid = "{9f8e7d6c-0000-4000-8000-000000000001}";
    let ravi = fresh
        .resolve(
            &bitbucket(None, ravi_uuid, Some("Ravi Kumar")),
            Product::Bitbucket,
            now,
        )
        .await
        .unwrap()
        .expect("an account named by uuid is someone");
    assert_ne!(Some(ravi.clone()), person);
    let doc = store
        .identities
        .get(&format!("bbuuid:{ravi_uuid}"))
        .await
        .unwrap()
        .expect("stored under its uuid");
    assert_eq!(doc.person_id, ravi.to_string());
    assert_eq!(doc.bitbucket_uuid.as_deref(), Some(ravi_uuid));
    assert!(doc.name_enc.unwrap().starts_with("v1:"));
    assert_eq!(
        fresh.display_name(&ravi).await.unwrap().as_deref(),
        Some("Ravi Kumar")
    );

    // When that account later shows up with its account id, it is still that person.
    let linked = bitbucket(Some("712020:bb22"), ravi_uuid, None);
    assert_eq!(
        r.resolve(&linked, Product::Bitbucket, now).await.unwrap(),
        Some(ravi)
    );
}

#[tokio::test]
async fn an_account_first_seen_without_its_uuid_records_it_when_a_bitbucket_record_brings_it() {
    let keys = Arc::new(KeyRing::new(&[1u8; 32], &[]));
    let (store, r) = resolver(&keys).await;
    let now = Utc::now();
    // The directory knows the account, not its Bitbucket uuid.
    let person = r
        .learn(
            &account(Some("712020:aa11"), Some("Mei Lin"), None),
            Product::Org,
            now,
        )
        .await
        .unwrap();
    // A Bitbucket record with both ids teaches the uuid...
    let both = bitbucket(Some("712020:aa11"), MEI_UUID, None);
    assert_eq!(
        r.resolve(&both, Product::Bitbucket, now).await.unwrap(),
        person
    );
    let stored = store
        .identities
        .get("acct:712020:aa11")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.bitbucket_uuid.as_deref(), Some(MEI_UUID));
    // ...so a later record naming the account only by uuid finds the person.
    let fresh = IdentityResolver::new(store.identities.clone(), keys.clone());
    assert_eq!(
        fresh
            .resolve(
                &bitbucket(None, MEI_UUID, Some("Mei Lin")),
                Product::Bitbucket,
                now
            )
            .await
            .unwrap(),
        person
    );
}
