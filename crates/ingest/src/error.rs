//! Why a sync run did not store its window, and whether running it again may help.

use connectors::ConnectorError;
use store::StoreError;

/// Why a run did not store its window.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No configured deployment has this stream.
    #[error("no configured deployment has the stream {0}")]
    UnknownStream(String),
    /// The stream exists but its source cannot be read (a Guard-only audit log).
    #[error("{stream} cannot be synced: {reason}")]
    Unavailable {
        /// The stream.
        stream: String,
        /// Why.
        reason: &'static str,
    },
    /// The source failed.
    #[error(transparent)]
    Connector(#[from] ConnectorError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether running again later may succeed (rate limits, outages), as opposed to a problem an
    /// operator must fix (credentials, configuration).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connector(e) => e.is_retryable(),
            Self::Store(_) => true,
            Self::UnknownStream(_) | Self::Unavailable { .. } => false,
        }
    }

    /// Whether the source refused the credentials (401 or 403): a revoked or expired token.
    pub fn credentials_refused(&self) -> bool {
        matches!(
            self,
            Self::Connector(
                connectors::ConnectorError::Unauthorized { .. }
                    | connectors::ConnectorError::Forbidden { .. }
            )
        )
    }
}
