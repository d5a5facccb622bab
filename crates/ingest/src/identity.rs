//! Identity resolution: every product account an event names resolves to one canonical person.
//!
//! Atlassian accounts share one account id across Jira, Confluence, Bitbucket and the organization,
//! so the account id is the key. Bitbucket's schema promises an account's `uuid` but not its
//! account id, so a Bitbucket account named only by uuid is keyed by the uuid, and every account
//! that arrives with a uuid records it: the uuid then finds the person an account with that uuid
//! already belongs to. Where a product gives only an e-mail address (unlinked Bitbucket commit
//! authors, some JSM customers) the address, through its blind index, finds the person an account
//! with that address already belongs to. A person seen for the first time gets an id derived from
//! a keyed digest of the account id (or uuid, or address), so ids are deterministic across
//! processes and rebuilds without revealing whom they name.
//!
//! Names and addresses are encrypted before they reach MongoDB. Resolved accounts are cached for
//! the life of the resolver, so a sync of a million events costs one look-up per distinct account
//! and product.

use chrono::{DateTime, Utc};
use domain::{PersonId, Product};
use pipeline::AccountRef;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use store::crypto::KeyRing;
use store::identities::{IdentityDoc, IdentityStore};
use store::identities::{EMAIL, NAME};
use store::StoreError;

/// Resolves accounts to persons, writing new accounts as it meets them.
#[derive(Debug, Clone)]
pub struct IdentityResolver {
    store: IdentityStore,
    keys: Arc<KeyRing>,
    cache: Arc<Mutex<HashMap<String, PersonId>>>,
}

impl IdentityResolver {
    /// A resolver over the `identities` collection.
    pub fn new(store: IdentityStore, keys: Arc<KeyRing>) -> Self {
        Self {
            store,
            keys,
            cache: Arc::default(),
        }
    }

    fn identity_key(&self, account: &AccountRef) -> Option<String> {
        match (&account.account_id, &account.bitbucket_uuid, &account.email) {
            (Some(id), _, _) => Some(format!("acct:{id}")),
            (None, Some(uuid), _) => Some(format!("bbuuid:{uuid}")),
            (None, None, Some(email)) => {
                Some(format!("email:{}", self.keys.blind_index(EMAIL, email)))
            }
            (None, None, None) => None,
        }
    }

    /// The person behind an account seen in `product`'s events; `None` when the record names no
    /// account. The first sighting stores the account (name and address encrypted).
    ///
    /// # Errors
    /// A database error.
    pub async fn resolve(
        &self,
        account: &AccountRef,
        product: Product,
        now: DateTime<Utc>,
    ) -> Result<Option<PersonId>, StoreError> {
        self.lookup(account, product, now, false).await
    }

    /// Records an account from the directory (the organization's user list, group members):
    /// unlike [`IdentityResolver::resolve`] it always refreshes the stored name and address.
    ///
    /// # Errors
    /// A database error.
    pub async fn learn(
        &self,
        account: &AccountRef,
        product: Product,
        now: DateTime<Utc>,
    ) -> Result<Option<PersonId>, StoreError> {
        self.lookup(account, product, now, true).await
    }

    async fn lookup(
        &self,
        account: &AccountRef,
        product: Product,
        now: DateTime<Utc>,
        refresh: bool,
    ) -> Result<Option<PersonId>, StoreError> {
        let Some(key) = self.identity_key(account) else {
            return Ok(None);
        };
        // Cached per product, so the first sighting in each product is recorded on the account.
        let cache_key = format!("{key}|{product}");
        if !refresh {
            if let Some(hit) = self.cache.lock().expect("cache lock").get(&cache_key) {
                return Ok(Some(hit.clone()));
            }
        }
        let person = match self.store.get(&key).await? {
            Some(doc) => {
                let person = parse_person(&doc.person_id)?;
                if refresh {
                    self.store
                        .upsert(&self.sealed(&key, &person, account), product.as_str(), now)
                        .await?;
                } else {
                    if !doc.products.iter().any(|p| p == product.as_str()) {
                        self.store.add_product(&key, product.as_str()).await?;
                    }
                    if let Some(uuid) = account
                        .bitbucket_uuid
                        .as_deref()
                        .filter(|u| doc.bitbucket_uuid.as_deref() != Some(*u))
                    {
                        self.store.record_bitbucket_uuid(&key, uuid).await?;
                    }
                }
                person
            }
            None => self.learn_new(&key, account, product, now).await?,
        };
        self.cache
            .lock()
            .expect("cache lock")
            .insert(cache_key, person.clone());
        Ok(Some(person))
    }

    async fn learn_new(
        &self,
        key: &str,
        account: &AccountRef,
        product: Product,
        now: DateTime<Utc>,
    ) -> Result<PersonId, StoreError> {
        // An exact account identifier before an address another account may share.
        let by_uuid = match &account.bitbucket_uuid {
            Some(uuid) => self.store.person_by_bitbucket_uuid(uuid).await?,
            None => None,
        };
        let known = match (by_uuid, &account.email) {
            (Some(p), _) => Some(p),
            (None, Some(email)) => {
                self.store
                    .person_by_email(&self.keys.blind_index(EMAIL, email))
                    .await?
            }
            (None, None) => None,
        };
        let person = match known {
            Some(p) => parse_person(&p)?,
            None => {
                let (field, value) =
                    match (&account.account_id, &account.bitbucket_uuid, &account.email) {
                        (Some(id), _, _) => ("account", id.as_str()),
                        (None, Some(uuid), _) => ("bitbucket_uuid", uuid.as_str()),
                        (None, None, Some(email)) => ("email", email.as_str()),
                        (None, None, None) => unreachable!("identity_key returned a key"),
                    };
                let id = format!("person:{}", self.keys.pseudonym(field, value));
                parse_person(&id)?
            }
        };
        self.store
            .upsert(&self.sealed(key, &person, account), product.as_str(), now)
            .await?;
        // Two processes meeting the same new account race on the upsert; read back the winner.
        let stored = self.store.get(key).await?;
        match stored {
            Some(doc) => parse_person(&doc.person_id),
            None => Ok(person),
        }
    }

    fn sealed(&self, key: &str, person: &PersonId, account: &AccountRef) -> IdentityDoc {
        let name = account.display_name.as_deref().filter(|n| !n.is_empty());
        let email = account.email.as_deref().filter(|e| !e.is_empty());
        IdentityDoc {
            id: key.to_owned(),
            person_id: person.to_string(),
            account_id: account.account_id.clone(),
            bitbucket_uuid: account.bitbucket_uuid.clone(),
            name_enc: name.map(|n| self.keys.encrypt(NAME, n)),
            name_bidx: name.map(|n| self.keys.blind_index(NAME, n)),
            email_enc: email.map(|e| self.keys.encrypt(EMAIL, e)),
            email_bidx: email.map(|e| self.keys.blind_index(EMAIL, e)),
            products: Vec::new(),
            first_seen: bson::DateTime::now(),
        }
    }

    /// A person's display name: the first of their accounts that has one, decrypted.
    ///
    /// # Errors
    /// A database error, or a stored name that does not decrypt with any configured key.
    pub async fn display_name(&self, person: &PersonId) -> Result<Option<String>, StoreError> {
        for doc in self.store.of_person(person.as_str()).await? {
            if let Some(enc) = &doc.name_enc {
                return self
                    .keys
                    .decrypt(NAME, enc)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt {
                        collection: store::IDENTITIES,
                        reason: e.to_string(),
                    });
            }
        }
        Ok(None)
    }

    /// The blind index of an e-mail address, for exact look-ups.
    pub fn email_index(&self, email: &str) -> String {
        self.keys.blind_index(EMAIL, email)
    }
}

fn parse_person(text: &str) -> Result<PersonId, StoreError> {
    PersonId::parse(text).map_err(|e| StoreError::Corrupt {
        collection: store::IDENTITIES,
        reason: e.to_string(),
    })
}
