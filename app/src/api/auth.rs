//! Who is signed in, and which sign-ins the throttle refused. Signing in and out are plain form
//! endpoints (`POST /api/login`, `POST /api/logout`) served by the binary, so they work without
//! JavaScript.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use domain::ThrottleReason;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Sign-in attempts refused under one throttle key within one hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalRow {
    /// Which throttle refused them.
    pub reason: ThrottleReason,
    /// The username of the latest one; `None` when no administrator has the name, which is not
    /// kept (it may have been a password typed into the wrong field).
    pub username: Option<String>,
    /// The client address (IPv6 as its /64) of the latest one.
    pub address: String,
    /// The first one in that hour.
    pub first_at: DateTime<Utc>,
    /// The latest one.
    pub last_at: DateTime<Utc>,
    /// How many were refused.
    pub count: u64,
    /// The wait the latest one was told, in seconds.
    pub retry_after_s: u64,
}

/// Refused sign-ins, for the operators' list on the Sync page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalList {
    /// Attempts refused in the last 24 hours.
    pub last_24h: u64,
    /// The most recently refused, newest first.
    pub recent: Vec<RefusalRow>,
}

/// The signed-in administrator's username.
#[server(endpoint = "session/current")]
pub async fn current_user() -> Result<String, ApiError> {
    Ok(crate::ssr::require_user().await?.username)
}

/// How many sign-ins the throttle refused lately, and the latest refusals.
#[server(endpoint = "session/refusals")]
pub async fn sign_in_refusals() -> Result<RefusalList, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let summary = state.store.login_refusals.summary(Utc::now(), 20).await?;
    let recent = summary
        .recent
        .into_iter()
        .map(|r| RefusalRow {
            reason: r.reason,
            username: r.username,
            address: r.address,
            first_at: r.first_at,
            last_at: r.last_at,
            count: r.count,
            retry_after_s: r.retry_after_s,
        })
        .collect();
    Ok(RefusalList {
        last_24h: summary.last_24h,
        recent,
    })
}
