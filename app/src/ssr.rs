//! Server-only plumbing for server functions: the shared application state and the session check
//! every server function starts with.

use crate::error::ApiError;
use leptos::prelude::use_context;
use services::auth::{SessionUser, SESSION_USER_KEY};
use tower_sessions::Session;

pub use services::AppState;

/// The application state.
///
/// # Errors
/// [`ApiError::Internal`] when the server was wired without it.
pub fn state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        ApiError::Internal
    })
}

/// A request the server function cannot serve as asked: answered with `400` and the message.
pub fn bad_request(message: impl std::fmt::Display) -> ApiError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::BAD_REQUEST);
    }
    ApiError::BadRequest(message.to_string())
}

/// A request that conflicts with where the thing stands: answered with `409` and why.
pub fn conflict(message: impl std::fmt::Display) -> ApiError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::CONFLICT);
    }
    ApiError::Conflict(message.to_string())
}

/// The thing asked for does not exist: answered with `404`.
pub fn not_found() -> ApiError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    ApiError::NotFound
}

/// The query of a rollup page with the person resolved and `default_range` when it names none,
/// its filter, and the range to draw (see [`query::range`] for the policy).
///
/// # Errors
/// [`ApiError::BadRequest`] for a filter the rollups cannot answer or a range the policy refuses.
pub async fn rollup_query(
    state: &AppState,
    mut query: domain::query::EventQuery,
    default_range: &str,
) -> Result<
    (
        domain::query::EventQuery,
        domain::EventFilter,
        (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
    ),
    ApiError,
> {
    // Refused before the filter is parsed, so a malformed IP gets the same answer as any IP.
    if !query.ip.is_empty() || !query.q.is_empty() {
        return Err(query::range::RangeError::NotInRollups.into());
    }
    resolve_person(state, &mut query).await?;
    if query.range.is_empty() && query.from.is_empty() && query.to.is_empty() {
        query.range = default_range.to_owned();
    }
    let now = chrono::Utc::now();
    let filter = query.to_filter(now).map_err(bad_request)?;
    let range = query::range::rollup_range(&filter, now)?;
    Ok((query, filter, range))
}

/// Every team, for the filter's list, rankings and team pages.
///
/// # Errors
/// [`ApiError::Internal`] when the database fails (and logs why).
pub async fn all_teams(state: &AppState) -> Result<Vec<store::teams::TeamDoc>, ApiError> {
    Ok(state.store.teams.all().await?)
}

/// The signed-in administrator of the current request.
///
/// # Errors
/// [`ApiError::Unauthorized`] without a signed-in session (and sets the 401 status).
pub async fn require_user() -> Result<SessionUser, ApiError> {
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|_| ApiError::Internal)?;
    match session.get::<SessionUser>(SESSION_USER_KEY).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::UNAUTHORIZED);
            }
            Err(ApiError::Unauthorized)
        }
        Err(e) => Err(e.into()),
    }
}

/// Replaces a person given by name (or e-mail) in `query` with their id when exactly one person
/// matches; ids pass through. Names are matched in the decrypted directory, never in MongoDB.
///
/// # Errors
/// [`ApiError::BadRequest`] when nobody or several people match; [`ApiError::Internal`] when the
/// directory cannot be read.
pub async fn resolve_person(
    state: &AppState,
    query: &mut domain::query::EventQuery,
) -> Result<(), ApiError> {
    let typed = query.person.trim();
    if typed.is_empty() || typed.starts_with("person:") {
        return Ok(());
    }
    let people = state.people.snapshot().await?;
    let found = people.search(typed, 6);
    match found.as_slice() {
        [one] => {
            query.person = one.id.to_string();
            Ok(())
        }
        [] => Err(bad_request(format!("no person matches `{typed}`"))),
        many => {
            let names: Vec<String> = many.iter().take(5).map(|p| p.label()).collect();
            Err(bad_request(format!(
                "several people match `{typed}` ({}{}); type more of the name or pick one from the list",
                names.join(", "),
                if many.len() > 5 { ", …" } else { "" }
            )))
        }
    }
}

/// The people a list page's `person` (name, e-mail or id) and `team` filters leave, `None` when
/// neither is given (everybody).
///
/// # Errors
/// A person nobody or several people match, a malformed team id, or a database error.
pub async fn people_filter(
    state: &AppState,
    person: &str,
    team: &str,
) -> Result<Option<Vec<domain::PersonId>>, ApiError> {
    let mut people: Option<Vec<domain::PersonId>> = None;
    if !person.trim().is_empty() {
        let mut q = domain::query::EventQuery {
            person: person.trim().to_owned(),
            ..Default::default()
        };
        resolve_person(state, &mut q).await?;
        people = Some(vec![
            domain::PersonId::parse(&q.person).map_err(bad_request)?
        ]);
    }
    if !team.trim().is_empty() {
        let team = domain::TeamId::parse(team.trim()).map_err(bad_request)?;
        let members = state.store.teams.members(&team).await?;
        people = Some(match people {
            Some(p) => p.into_iter().filter(|x| members.contains(x)).collect(),
            None => members,
        });
    }
    Ok(people)
}

/// The start of a list page's `range` (`24h`, `7d`, `30d`, `90d`) before `now`; `None` for any
/// time.
///
/// # Errors
/// Any other value, answered with `400`.
pub fn since(
    range: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    let span = match range.trim() {
        "" => return Ok(None),
        "24h" => chrono::Duration::hours(24),
        "7d" => chrono::Duration::days(7),
        "30d" => chrono::Duration::days(30),
        "90d" => chrono::Duration::days(90),
        other => {
            return Err(bad_request(format!(
                "range `{other}` is not one of 24h, 7d, 30d, 90d"
            )))
        }
    };
    Ok(Some(now - span))
}

/// The comma-separated values of a list filter, each parsed.
///
/// # Errors
/// A value that does not parse, answered with `400`.
pub fn parse_list<T: std::str::FromStr>(text: &str) -> Result<Vec<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(bad_request))
        .collect()
}

/// A range the rollup pages refuse: answered with `400` and the policy's words.
impl From<query::range::RangeError> for ApiError {
    fn from(e: query::range::RangeError) -> Self {
        bad_request(e)
    }
}
