//! Identity resolution against a real MongoDB-wire server: one person per human across products,
//! linked by account id and by e-mail address; names and addresses only ever stored encrypted.

use bson::doc;
use chrono::Utc;
use domain::Product;
use pipeline::AccountRef;
use services::crypto::KeyRing;
use services::identity::IdentityResolver;
use services::store::Store;
use std::sync::Arc;

async fn resolver(keys: &Arc<KeyRing>) -> (Store, IdentityResolver) {
    let store = Store::new(testkit::fresh_database().await);
    store.ensure_indexes(365).await.unwrap();
    let resolver = IdentityResolver::new(store.identities.clone(), keys.clone());
    (store, resolver)
}

fn account(id: Option<&str>, name: Option<&str>, email: Option<&str>) -> AccountRef {
    AccountRef {
        account_id: id.map(str::to_owned),
        display_name: name.map(str::to_owned),
        email: email.map(str::to_owned),
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
