//! The application state: built once at start-up and handed to every server function through the
//! Leptos context.

use connectors::deployments::Deployments;
use delivery::{ClientOptions, Sender, UrlPolicy};
use notify::Notifier;
use query::people::PeopleDirectory;
use std::sync::Arc;
use std::time::Duration;
use store::crypto::KeyRing;
use store::Store;

/// Everything server functions need. Cheap to clone: every field is a handle.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The MongoDB store.
    pub store: Store,
    /// The job queue (sync runs, rule evaluations, deliveries).
    pub jobs: jobs::JobStore,
    /// The configured Atlassian deployments.
    pub deployments: Arc<Deployments>,
    /// Every configured stream, as stream rules (and their previews) see them.
    pub streams: Arc<Vec<rules::StreamInfo>>,
    /// Every person with decrypted names, for showing and finding people by name.
    pub people: PeopleDirectory,
    /// The field-encryption keys (destination secrets are sealed with them).
    pub keys: Arc<KeyRing>,
    /// Queues and sends alert deliveries.
    pub notifier: Notifier,
    /// Which addresses a destination may have (the SSRF guard; private ones only in the demo).
    pub destination_policy: UrlPolicy,
}

/// Every runnable stream of `deployments`, with its credential's expiry.
pub fn stream_infos(deployments: &Deployments) -> Vec<rules::StreamInfo> {
    deployments
        .all
        .iter()
        .flat_map(|d| {
            d.runnable().into_iter().map(|key| rules::StreamInfo {
                credential_expires: d.credential_expiry(&key),
                key,
            })
        })
        .collect()
}

/// The notifier of a process: deliveries sent under `policy`, linking to `public_url`.
pub fn notifier(
    store: &Store,
    keys: Arc<KeyRing>,
    people: PeopleDirectory,
    public_url: &str,
    policy: UrlPolicy,
) -> Notifier {
    Notifier::new(
        store.clone(),
        jobs::JobStore::new(&store.db),
        keys,
        Sender::new(ClientOptions {
            policy,
            ..ClientOptions::default()
        }),
        Some(people),
        public_url.to_owned(),
    )
}

impl AppState {
    /// The state over `store`: its job queue, the deployments, and a people directory that
    /// decrypts names with `keys` and reloads them at most every `names_reload` (zero in tests,
    /// so a person learnt a moment ago is shown at once). Destinations must be public addresses
    /// and links point at `http://localhost:3000` until [`AppState::with_delivery`] says otherwise.
    pub fn new(
        store: Store,
        deployments: Arc<Deployments>,
        keys: Arc<KeyRing>,
        names_reload: Duration,
    ) -> Self {
        let people = PeopleDirectory::new(store.identities.clone(), keys.clone(), names_reload);
        let policy = UrlPolicy::production();
        Self {
            jobs: jobs::JobStore::new(&store.db),
            notifier: notifier(
                &store,
                keys.clone(),
                people.clone(),
                "http://localhost:3000",
                policy,
            ),
            streams: Arc::new(stream_infos(&deployments)),
            people,
            keys,
            deployments,
            destination_policy: policy,
            store,
        }
    }

    /// The same state with notifications linking to `public_url` and destinations allowed on
    /// private addresses when `allow_private` (the demo and tests).
    pub fn with_delivery(self, public_url: &str, allow_private: bool) -> Self {
        let policy = if allow_private {
            UrlPolicy::allow_private()
        } else {
            UrlPolicy::production()
        };
        Self {
            notifier: notifier(
                &self.store,
                self.keys.clone(),
                self.people.clone(),
                public_url,
                policy,
            ),
            destination_policy: policy,
            ..self
        }
    }
}
