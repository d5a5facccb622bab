//! The one error type server functions return to the UI: a closed set of outcomes a page can act
//! on. Causes are logged on the server when the error is made; the browser sees only the message.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What went wrong, as far as the UI needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// No signed-in session; the page should send the user to sign in.
    #[error("your session has ended; please sign in again")]
    Unauthorized,
    /// The request itself was invalid; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The request conflicts with where the thing stands (an illegal incident move); the
    /// message says why.
    #[error("{0}")]
    Conflict(String),
    /// Anything else; details are in the server log.
    #[error("something went wrong on the server; the details are in its log")]
    Internal,
    /// The server function could not be reached or answered garbage.
    #[error("the server could not be reached: {0}")]
    Transport(String),
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => ApiError::BadRequest(m),
            other => ApiError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl ApiError {
    /// An internal failure: logs the cause and its whole chain once, here, and returns the opaque
    /// variant the browser sees.
    pub fn internal(context: &str, cause: &dyn std::error::Error) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(next) = source {
            chain.push_str(": ");
            chain.push_str(&next.to_string());
            source = next.source();
        }
        tracing::error!(error.chain = %chain, "{context}");
        ApiError::Internal
    }
}

/// Failures of the stage crates a server function cannot answer for: each is logged once with its
/// cause chain and reaches the browser as [`ApiError::Internal`].
#[cfg(feature = "ssr")]
macro_rules! internal_from {
    ($($error:ty => $context:literal),* $(,)?) => {
        $(impl From<$error> for ApiError {
            fn from(e: $error) -> Self {
                ApiError::internal($context, &e)
            }
        })*
    };
}

#[cfg(feature = "ssr")]
internal_from! {
    store::StoreError => "the database failed",
    jobs::JobError => "the job queue failed",
    charts::ChartError => "drawing a chart failed",
    tower_sessions::session::Error => "reading the session failed",
    ingest::status::StatusError => "reading the streams' status failed",
}

/// A rule that cannot be changed as asked says why (`400`, `404`); a database failure is internal.
#[cfg(feature = "ssr")]
impl From<store::alert_rules::RuleChangeError> for ApiError {
    fn from(e: store::alert_rules::RuleChangeError) -> Self {
        use store::alert_rules::RuleChangeError as E;
        match e {
            E::NotFound(_) => crate::ssr::not_found(),
            E::BuiltIn(_) | E::Exists(_) => crate::ssr::bad_request(e),
            E::Store(e) => e.into(),
        }
    }
}

/// A rule that does not validate is the request's fault; anything else is internal.
#[cfg(feature = "ssr")]
impl From<rules::RulesError> for ApiError {
    fn from(e: rules::RulesError) -> Self {
        match e {
            rules::RulesError::Invalid { .. } => crate::ssr::bad_request(e),
            rules::RulesError::Store(e) => e.into(),
        }
    }
}

/// An unknown destination or delivery is `404`; the rest is internal.
#[cfg(feature = "ssr")]
impl From<notify::NotifyError> for ApiError {
    fn from(e: notify::NotifyError) -> Self {
        match e {
            notify::NotifyError::UnknownDestination(_)
            | notify::NotifyError::UnknownDelivery(_) => crate::ssr::not_found(),
            notify::NotifyError::Destination(e) => crate::ssr::bad_request(e),
            notify::NotifyError::Store(e) => e.into(),
            notify::NotifyError::Jobs(e) => e.into(),
        }
    }
}

/// A move the incident's state does not allow (or a concurrent change) is `409` with why; missing
/// words or an unknown assignee `400`; an unknown incident `404`.
#[cfg(feature = "ssr")]
impl From<incidents::IncidentError> for ApiError {
    fn from(e: incidents::IncidentError) -> Self {
        use incidents::IncidentError as E;
        match e {
            E::NotFound(_) => crate::ssr::not_found(),
            E::Refused(domain::MoveError::Closed | domain::MoveError::NotFrom { .. })
            | E::Changed => crate::ssr::conflict(e),
            E::Refused(_) | E::UnknownUser(_) => crate::ssr::bad_request(e),
            E::Store(e) => e.into(),
        }
    }
}
