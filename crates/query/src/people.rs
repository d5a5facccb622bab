//! The people directory: every canonical person with their decrypted display name and accounts,
//! held in the application's memory. Names and e-mail addresses exist in plaintext only here —
//! MongoDB holds ciphertexts and blind indexes — so searching people by a part of their name
//! happens in this process, never as a query on the database.
//!
//! The snapshot is reloaded when it is older than its maximum age, so people learned by a sync
//! appear within that time without a restart.

use domain::PersonId;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::crypto::KeyRing;
use store::identities::{IdentityDoc, IdentityStore};
use store::identities::{EMAIL, NAME};
use store::StoreError;
use tokio::sync::Mutex;

/// One product account of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The Atlassian account id, when the product gave one.
    pub account_id: Option<String>,
    /// The account's e-mail address, decrypted, when known.
    pub email: Option<String>,
    /// The account's display name, decrypted, when known.
    pub name: Option<String>,
    /// Products the account was seen in.
    pub products: Vec<String>,
}

/// A canonical person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The person's id.
    pub id: PersonId,
    /// The first display name among the accounts (in account order).
    pub name: Option<String>,
    /// The accounts, in a stable order.
    pub accounts: Vec<Account>,
}

impl Person {
    /// The name to show: the display name, else the id.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.id.to_string())
    }
}

/// Every person at one moment.
#[derive(Debug, Default)]
pub struct PeopleSnapshot {
    people: BTreeMap<String, Person>,
}

impl PeopleSnapshot {
    /// One person.
    pub fn get(&self, id: &PersonId) -> Option<&Person> {
        self.people.get(id.as_str())
    }

    /// A person's display name, if known.
    pub fn name(&self, id: &PersonId) -> Option<&str> {
        self.get(id).and_then(|p| p.name.as_deref())
    }

    /// People whose name, e-mail or id contains `query` (case-insensitive), by name; at most
    /// `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&Person> {
        let needle = query.trim().to_lowercase();
        let mut found: Vec<&Person> = self
            .people
            .values()
            .filter(|p| {
                needle.is_empty()
                    || p.id.as_str().contains(&needle)
                    || p.accounts.iter().any(|a| {
                        [&a.name, &a.email]
                            .into_iter()
                            .flatten()
                            .any(|v| v.to_lowercase().contains(&needle))
                    })
            })
            .collect();
        found.sort_by_cached_key(|p| (p.label().to_lowercase(), p.id.to_string()));
        found.truncate(limit);
        found
    }

    /// How many people there are.
    pub fn len(&self) -> usize {
        self.people.len()
    }

    /// Whether nobody is known yet.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }
}

/// A snapshot and when it was loaded.
type Loaded = (Instant, Arc<PeopleSnapshot>);

/// The cached directory shared by every request.
#[derive(Debug, Clone)]
pub struct PeopleDirectory {
    identities: IdentityStore,
    keys: Arc<KeyRing>,
    max_age: Duration,
    cache: Arc<Mutex<Option<Loaded>>>,
}

impl PeopleDirectory {
    /// A directory over `identities` that reloads snapshots older than `max_age`.
    pub fn new(identities: IdentityStore, keys: Arc<KeyRing>, max_age: Duration) -> Self {
        Self {
            identities,
            keys,
            max_age,
            cache: Arc::new(Mutex::new(None)),
        }
    }

    /// The current snapshot, reloaded first when stale.
    ///
    /// # Errors
    /// A database error, or a stored value that no configured key decrypts.
    pub async fn snapshot(&self) -> Result<Arc<PeopleSnapshot>, StoreError> {
        let mut cache = self.cache.lock().await;
        if let Some((at, snapshot)) = cache.as_ref() {
            if at.elapsed() < self.max_age {
                return Ok(snapshot.clone());
            }
        }
        let snapshot = Arc::new(self.load().await?);
        *cache = Some((Instant::now(), snapshot.clone()));
        Ok(snapshot)
    }

    async fn load(&self) -> Result<PeopleSnapshot, StoreError> {
        let mut people: BTreeMap<String, Person> = BTreeMap::new();
        for doc in self.identities.all().await? {
            let account = self.open(&doc)?;
            let Ok(id) = PersonId::parse(&doc.person_id) else {
                return Err(corrupt(format!("person id {:?}", doc.person_id)));
            };
            let person = people.entry(doc.person_id).or_insert_with(|| Person {
                id,
                name: None,
                accounts: Vec::new(),
            });
            if person.name.is_none() {
                person.name.clone_from(&account.name);
            }
            person.accounts.push(account);
        }
        Ok(PeopleSnapshot { people })
    }

    fn open(&self, doc: &IdentityDoc) -> Result<Account, StoreError> {
        let open = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| self.keys.decrypt(field, v))
                .transpose()
                .map_err(|e| corrupt(e.to_string()))
        };
        Ok(Account {
            account_id: doc.account_id.clone(),
            email: open(EMAIL, &doc.email_enc)?,
            name: open(NAME, &doc.name_enc)?,
            products: doc.products.clone(),
        })
    }
}

fn corrupt(reason: String) -> StoreError {
    StoreError::corrupt(store::IDENTITIES, reason)
}
