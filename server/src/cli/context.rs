//! What the commands that touch data share: the database (embedded or external), the store with
//! its indexes, the encryption keys, the configured deployments and the job queue.

use crate::background::Background;
use crate::database::{Connection, Origin};
use connectors::deployments::Deployments;
use ingest::identity::IdentityResolver;
use ingest::Syncer;
use query::people::PeopleDirectory;
use services::Settings;
use std::sync::Arc;
use store::crypto::{load_key_ring, KeyRing, KeySource};
use store::Store;

/// Who runs a command, as exports, imports and tokens record it: `cli:<user>`.
pub fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// How often the people directory reloads decrypted names.
pub const PEOPLE_RELOAD: std::time::Duration = std::time::Duration::from_secs(60);

/// An opened environment. Call [`Context::close`] to stop an embedded database this process owns.
#[derive(Debug)]
pub struct Context {
    /// The settings.
    pub settings: Settings,
    /// The connection.
    pub connection: Connection,
    /// Where the connection came from.
    pub origin: Origin,
    /// The store, indexes ensured.
    pub store: Store,
    /// The job queue.
    pub jobs: jobs::JobStore,
    /// Encryption keys.
    pub keys: Arc<KeyRing>,
    /// Configured deployments.
    pub deployments: Arc<Deployments>,
}

impl Context {
    /// Opens the database and reads keys and deployments; `deployments` replaces the
    /// `ATLASLENS_CONFIG` file when given (the demo).
    ///
    /// # Errors
    /// Bad settings or keys, an unusable deployments file, or no database.
    pub async fn open(
        settings: Settings,
        deployments: Option<Deployments>,
    ) -> anyhow::Result<Self> {
        let (keys, key_source) = load_key_ring(settings.key_config())?;
        if let KeySource::GeneratedFile(path) = &key_source {
            tracing::warn!(
                key.file = %path.display(),
                "no ATLASLENS_ENCRYPTION_KEY was set, so a new key was generated into the data directory; \
                 back it up, and set ATLASLENS_ENCRYPTION_KEY in production"
            );
        }
        let deployments = match (deployments, &settings.deployments_file) {
            (Some(d), _) => d,
            (None, Some(path)) => Deployments::load(path, |name| std::env::var(name).ok())?,
            (None, None) => Deployments::default(),
        };
        let (connection, origin) = Connection::open(&settings).await?;
        let store = Store::new(connection.db.clone());
        let jobs = jobs::JobStore::new(&connection.db);
        let ready = async {
            store.ensure_indexes(settings.retention_days).await?;
            store.upgrade().await?;
            let newest = store.events.newest_mark(chrono::Utc::now()).await?;
            store
                .rules
                .install_builtin(&rules::builtin::pack(), newest.as_ref(), chrono::Utc::now())
                .await?;
            jobs.setup().await?;
            anyhow::Ok(())
        }
        .await;
        if let Err(e) = ready {
            connection.close(&settings).await;
            return Err(e);
        }
        Ok(Self {
            settings,
            connection,
            origin,
            store,
            jobs,
            keys: Arc::new(keys),
            deployments: Arc::new(deployments),
        })
    }

    /// A syncer over this environment.
    pub fn syncer(&self) -> Syncer {
        Syncer::new(
            self.store.clone(),
            IdentityResolver::new(self.store.identities.clone(), self.keys.clone()),
            self.deployments.clone(),
        )
    }

    /// The in-memory directory of people with decrypted names (reloaded every [`PEOPLE_RELOAD`]).
    pub fn people_directory(&self) -> PeopleDirectory {
        PeopleDirectory::new(
            self.store.identities.clone(),
            self.keys.clone(),
            PEOPLE_RELOAD,
        )
    }

    /// The notifier of this process (settings' public URL and destination policy).
    pub fn notifier(&self) -> notify::Notifier {
        let policy = if self.settings.allow_private_destinations {
            delivery::UrlPolicy::allow_private()
        } else {
            delivery::UrlPolicy::production()
        };
        services::notifier(
            &self.store,
            self.keys.clone(),
            self.people_directory(),
            &self.settings.public_url,
            policy,
        )
    }

    /// Starts sync workers (and the scheduler when `schedule`).
    pub fn start_background(&self, schedule: bool) -> Background {
        Background::start(
            &self.store,
            &self.jobs,
            self.syncer(),
            self.deployments.clone(),
            self.notifier(),
            std::time::Duration::from_secs(u64::from(self.settings.job_lease_seconds)),
            schedule,
        )
    }

    /// Closes the connection, stopping an embedded server this process started.
    pub async fn close(self) {
        self.connection.close(&self.settings).await;
    }
}
