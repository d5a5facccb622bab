//! The application state: built once at start-up and handed to every server function through the
//! Leptos context.

use connectors::deployments::Deployments;
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
    /// The job queue (sync runs).
    pub jobs: jobs::JobStore,
    /// The configured Atlassian deployments.
    pub deployments: Arc<Deployments>,
    /// Every person with decrypted names, for showing and finding people by name.
    pub people: PeopleDirectory,
}

impl AppState {
    /// The state over `store`: its job queue, the deployments, and a people directory that
    /// decrypts names with `keys` and reloads them at most every `names_reload` (zero in tests,
    /// so a person learnt a moment ago is shown at once).
    pub fn new(
        store: Store,
        deployments: Arc<Deployments>,
        keys: Arc<KeyRing>,
        names_reload: Duration,
    ) -> Self {
        Self {
            jobs: jobs::JobStore::new(&store.db),
            people: PeopleDirectory::new(store.identities.clone(), keys, names_reload),
            deployments,
            store,
        }
    }
}
