//! The Tokens page's data and actions: ingest API tokens (created, shown once, revoked), and
//! each token's recent calls. A new token's plaintext is handed over once through the session,
//! so the page shows it whether the form was sent by script or as a plain form.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One token on the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its first characters.
    pub hint: String,
    /// The deployment it writes to.
    pub deployment: String,
    /// The source of its events.
    pub source: String,
    /// `active`, `revoked` or `expired`.
    pub state: String,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Its last call.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

/// A token just created: shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTokenView {
    /// Its name.
    pub name: String,
    /// The token itself.
    pub token: String,
}

/// The Tokens page: every token, and a token just created (once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokensView {
    /// Every token, newest first.
    pub tokens: Vec<TokenRow>,
    /// The token this session just created, shown this once.
    pub created: Option<NewTokenView>,
    /// The configured deployments (the form's choices).
    pub deployments: Vec<String>,
}

#[cfg(feature = "ssr")]
const NEW_TOKEN_KEY: &str = "tokens.created";

/// Every token, and the one just created.
#[server(endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<TokensView, ApiError> {
    use store::ingest_tokens::TokenState;
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|_| ApiError::Internal)?;
    let created = session.remove::<NewTokenView>(NEW_TOKEN_KEY).await?;
    let now = Utc::now();
    let tokens = state
        .store
        .ingest_tokens
        .list()
        .await?
        .into_iter()
        .map(|t| TokenRow {
            state: match t.state(now) {
                TokenState::Active => "active",
                TokenState::Revoked => "revoked",
                TokenState::Expired => "expired",
            }
            .to_owned(),
            created_at: t.created_at.to_chrono(),
            expires_at: t.expires_at.map(|d| d.to_chrono()),
            last_used_at: t.last_used_at.map(|d| d.to_chrono()),
            id: t.id,
            name: t.name,
            hint: t.hint,
            deployment: t.deployment,
            source: t.source,
            created_by: t.created_by,
            revoked_by: t.revoked_by,
        })
        .collect();
    Ok(TokensView {
        tokens,
        created,
        deployments: state
            .deployments
            .ids()
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

/// Creates a token bound to `deployment` and `source` (default: the name), working for
/// `expires_days` days (0: for ever). Its plaintext is shown once by [`list_tokens`].
#[server(endpoint = "tokens/create")]
pub async fn create_token(
    name: String,
    deployment: String,
    source: String,
    expires_days: String,
) -> Result<String, ApiError> {
    use store::ingest_tokens::TokenSpec;
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(crate::ssr::bad_request(
            "a token needs a name of 1 to 60 characters",
        ));
    }
    let deployment = domain::DeploymentId::parse(deployment.trim())
        .map_err(|e| crate::ssr::bad_request(format!("deployment: {e}")))?;
    let source = Some(source.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| name.to_lowercase().replace(' ', "-"));
    if !pipeline::generic::valid_source(&source) {
        return Err(crate::ssr::bad_request(format!(
            "source {source:?}: lower-case letters, digits, - and _, at most 40"
        )));
    }
    let days: u64 = match expires_days.trim() {
        "" => 90,
        d => d.parse().ok().filter(|d| *d <= 3660).ok_or_else(|| {
            crate::ssr::bad_request("expiry: a number of days from 0 (never) to 3660")
        })?,
    };
    let spec = TokenSpec {
        name: name.clone(),
        deployment: deployment.to_string(),
        source,
        lifetime: (days > 0).then(|| std::time::Duration::from_secs(days * 86_400)),
        created_by: user.username,
    };
    let created = state
        .store
        .ingest_tokens
        .create(spec, Utc::now())
        .await?
        .ok_or_else(|| {
            crate::ssr::conflict(format!(
                "a token named {name:?} exists already; choose another name"
            ))
        })?;
    let session: tower_sessions::Session = leptos_axum::extract()
        .await
        .map_err(|_| ApiError::Internal)?;
    session
        .insert(
            NEW_TOKEN_KEY,
            NewTokenView {
                name: created.doc.name.clone(),
                token: created.token,
            },
        )
        .await?;
    Ok(created.doc.id)
}

/// Revokes a token; it stops working at once.
#[server(endpoint = "tokens/revoke")]
pub async fn revoke_token(id: String) -> Result<(), ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    if state
        .store
        .ingest_tokens
        .revoke(id.trim(), &user.username, Utc::now())
        .await?
    {
        Ok(())
    } else {
        Err(crate::ssr::bad_request(
            "that token does not exist or was revoked already",
        ))
    }
}
