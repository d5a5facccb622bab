//! The HTTP side: shared state, the route table (every endpoint in one place), and the guard
//! every API request passes — writes refused with `405`, then injected faults, then a product
//! switched to refuse credentials, then the product's own authentication check.
//!
//! The data can grow while serving (the detection scenarios add records), so handlers take a
//! snapshot of it ([`Shared::data`]) once per request: one response is consistent, and ids
//! never change (see `dataset::additions`).
//!
//! Reads are `GET`, plus the two `POST`s the real APIs document as reads of a path served here
//! (Jira's `search/jql` with a JSON body, Bitbucket's `commits` with a form body): those pass the
//! guard like a `GET`. Every other method answers `405` from the route table.

pub(crate) mod admin;
pub(crate) mod bitbucket;
pub(crate) mod confluence;
mod control;
mod jira;
pub(crate) mod jsm;
mod query_tokens;
pub(crate) mod scenario;

use crate::clock::Clock;
use crate::dataset::additions::AddError;
use crate::dataset::Dataset;
use crate::faults::{Decision, FaultState};
use crate::scenarios::refused_credentials::{Api, Refusals};
use crate::scenarios::silent_source::{Silence, Stream};
use crate::scenarios::Scenario;
use crate::view::View;
use crate::{Faults, SimConfig};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, HOST, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::watch;

use admin::StreamOrder;

/// Everything the handlers share.
#[derive(Debug)]
pub struct Shared {
    /// The configuration the data came from.
    pub config: SimConfig,
    /// The data, replaced by a grown copy when a scenario adds records (requests in flight keep
    /// the snapshot they took).
    data: RwLock<Arc<Dataset>>,
    /// The simulated clock.
    pub clock: Clock,
    /// Current faults.
    pub faults: RwLock<Faults>,
    /// Organization events in `processedAt` order under the current late-record settings.
    /// Lock it before taking the data snapshot it is read with: whoever changes the data holds
    /// it for writing meanwhile, so the two always agree.
    pub stream: RwLock<StreamOrder>,
    /// Streams switched silent (the silent-source scenario).
    pub silence: Silence,
    /// Products switched to refuse credentials (the refused-credentials scenario).
    pub refusals: Refusals,
    /// Request numbering and `429` bursts.
    pub fault_state: FaultState,
    /// Becomes `true` when the simulator stops; hanging requests wait for it.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// State for `config` with its data already generated.
    pub fn new(config: SimConfig, data: Dataset, shutdown: watch::Receiver<bool>) -> Self {
        let clock = Clock::new(config.anchor.timestamp_millis());
        let faults = config.faults.clone();
        let stream = StreamOrder::build(&data, &View::new(0, &faults));
        Self {
            config,
            data: RwLock::new(Arc::new(data)),
            clock,
            faults: RwLock::new(faults),
            stream: RwLock::new(stream),
            silence: Silence::default(),
            refusals: Refusals::default(),
            fault_state: FaultState::default(),
            shutdown,
        }
    }

    /// The data as it stands now.
    pub fn data(&self) -> Arc<Dataset> {
        self.data.read().expect("data lock").clone()
    }

    /// Adds the records of `scenario` for `person` (or its default person), the last at `at`,
    /// and returns the data with them and the index of the new situation.
    ///
    /// # Errors
    /// When the data cannot take them (see [`AddError`]).
    pub fn add_scenario(
        &self,
        scenario: &Scenario,
        person: Option<u16>,
        at: i64,
    ) -> Result<(Arc<Dataset>, usize), AddError> {
        let mut order = self.stream.write().expect("stream lock");
        let mut data = self.data.write().expect("data lock");
        let situation =
            crate::scenarios::run(Arc::make_mut(&mut data), scenario, person, at, false)?;
        *order = StreamOrder::build(&data, &View::new(0, &self.faults()));
        Ok((data.clone(), situation))
    }

    /// The current faults.
    pub fn faults(&self) -> Faults {
        self.faults.read().expect("faults lock").clone()
    }

    /// Replaces the faults, re-ordering the event stream if lateness changed.
    pub fn set_faults(&self, faults: Faults) {
        let old = self.faults();
        if old.late_rate != faults.late_rate || old.late_delay_s != faults.late_delay_s {
            let mut order = self.stream.write().expect("stream lock");
            *order = StreamOrder::build(&self.data(), &View::new(0, &faults));
        }
        *self.faults.write().expect("faults lock") = faults;
        self.fault_state.reset_burst();
    }

    /// A snapshot for one request.
    pub fn view(&self) -> View {
        View::new(self.clock.now_ms(), &self.faults())
    }

    /// A snapshot for one request to `stream`: its clock stands still from the moment the
    /// stream was silenced, so nothing newer becomes visible in it.
    pub fn view_of(&self, stream: Stream) -> View {
        let now = self.clock.now_ms();
        let now = self.silence.since(stream).map_or(now, |t| t.min(now));
        View::new(now, &self.faults())
    }
}

/// The application: every route, behind the guard.
pub fn router(state: Arc<Shared>) -> Router {
    let api = Router::new()
        .route(
            "/admin/v1/orgs/{org}/events-stream",
            get(admin::events_stream),
        )
        .route(
            "/admin/v1/orgs/{org}/event-actions",
            get(admin::event_actions),
        )
        .route("/admin/v1/orgs/{org}/users", get(admin::users))
        .route("/site/{site}/rest/api/3/auditing/record", get(jira::audit))
        .route(
            "/site/{site}/rest/api/3/search/jql",
            get(jira::search::get).post(jira::search::post),
        )
        .route(
            "/site/{site}/rest/api/3/issue/{issue}/changelog",
            get(jira::changelog),
        )
        .route("/site/{site}/rest/api/3/group/bulk", get(jira::groups))
        .route("/site/{site}/rest/api/3/group/member", get(jira::members))
        .route("/site/{site}/rest/api/3/myself", get(jira::myself))
        .route("/site/{site}/wiki/rest/api/audit", get(confluence::audit))
        .route("/site/{site}/wiki/api/v2/{kind}", get(confluence::list))
        .route(
            "/site/{site}/wiki/api/v2/{kind}/{id}/versions",
            get(confluence::versions),
        )
        .route(
            "/site/{site}/rest/servicedeskapi/request",
            get(jsm::requests),
        )
        .route(
            "/bitbucket/2.0/repositories/{workspace}",
            get(bitbucket::repositories),
        )
        .route(
            "/bitbucket/2.0/repositories/{workspace}/{repo}/commits",
            get(bitbucket::commits).post(bitbucket::commits_post),
        )
        .route(
            "/bitbucket/2.0/repositories/{workspace}/{repo}/pullrequests",
            get(bitbucket::pullrequests),
        )
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard));
    Router::new()
        .route("/_sim/manifest", get(control::manifest))
        .route(
            "/_sim/faults",
            post(control::set_faults).get(control::faults),
        )
        .route("/_sim/clock/advance", post(control::advance))
        .route("/_sim/scenario", get(scenario::list))
        .route("/_sim/scenario/{name}", post(scenario::post))
        .merge(api)
        .with_state(state)
}

/// Which API family a path belongs to; decides error bodies and credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Admin,
    Site,
    Bitbucket,
}

fn family(path: &str) -> Option<Family> {
    if path.starts_with("/admin/") {
        Some(Family::Admin)
    } else if path.starts_with("/site/") {
        Some(Family::Site)
    } else if path.starts_with("/bitbucket/") {
        Some(Family::Bitbucket)
    } else {
        None
    }
}

/// Whether a request reads: any `GET`, and a `POST` to a path where the real API documents
/// `POST` as a read (the route table serves exactly these).
fn is_read(method: &Method, path: &str) -> bool {
    if method == Method::GET {
        return true;
    }
    if method != Method::POST {
        return false;
    }
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(
        segments.as_slice(),
        ["", "site", _, "rest", "api", "3", "search", "jql"]
            | ["", "bitbucket", "2.0", "repositories", _, _, "commits"]
    )
}

/// An error body in the family's own shape.
fn error(family: Family, status: StatusCode, message: &str) -> Response {
    let body = match family {
        Family::Admin => json!({ "code": status.as_u16(), "message": message }),
        Family::Site => json!({ "errorMessages": [message], "errors": {} }),
        Family::Bitbucket => json!({ "type": "error", "error": { "message": message } }),
    };
    (status, Json(body)).into_response()
}

async fn not_found(request: Request) -> Response {
    let fam = family(request.uri().path()).unwrap_or(Family::Admin);
    error(fam, StatusCode::NOT_FOUND, "Not Found")
}

async fn guard(State(state): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let Some(fam) = family(request.uri().path()) else {
        return next.run(request).await;
    };
    if !is_read(request.method(), request.uri().path()) {
        // Writes are never accepted; the route answers 405 (or 404 for unknown paths).
        return next.run(request).await;
    }
    let faults = state.faults();
    if faults.slow_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.slow_ms)).await;
    }
    match state.fault_state.decide(state.config.seed, &faults) {
        Decision::Pass => {}
        Decision::Hang => {
            let mut shutdown = state.shutdown.clone();
            let _ = shutdown.wait_for(|stopping| *stopping).await;
            return error(fam, StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
        }
        Decision::RateLimited => {
            let mut r = error(fam, StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
        Decision::ServerError(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = error(
                fam,
                status,
                status.canonical_reason().unwrap_or("Server error"),
            );
            if code == 503 {
                r.headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            return r;
        }
    }
    if let Some(status) = Api::of_path(request.uri().path()).and_then(|a| state.refusals.status(a))
    {
        return refused(fam, status);
    }
    let revoked = faults.reject_credentials;
    if let Some(denied) = authenticate(&state.config, fam, &request, revoked) {
        return denied;
    }
    next.run(request).await
}

/// `None` when the request carries the credentials its API expects (and they are not `revoked`),
/// else the refusal.
fn authenticate(
    config: &SimConfig,
    fam: Family,
    request: &Request<Body>,
    revoked: bool,
) -> Option<Response> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let basic = |email: &str, token: &str| {
        header == format!("Basic {}", STANDARD.encode(format!("{email}:{token}")))
    };
    let ok = match fam {
        Family::Admin => header == format!("Bearer {}", config.org_api_key),
        Family::Bitbucket => basic(&config.bitbucket.email, &config.bitbucket.api_token),
        Family::Site => {
            let name = request
                .uri()
                .path()
                .trim_start_matches("/site/")
                .split('/')
                .next()
                .unwrap_or("");
            match config.sites.iter().find(|s| s.name == name) {
                Some(site) => basic(&site.email, &site.api_token),
                None => return Some(error(fam, StatusCode::NOT_FOUND, "Site not found")),
            }
        }
    };
    if ok && !revoked {
        return None;
    }
    let message = match fam {
        Family::Site => "Client must be authenticated to access this resource.",
        _ => "Unauthorized",
    };
    Some(error(fam, StatusCode::UNAUTHORIZED, message))
}

/// A refusal by the refused-credentials scenario: `401` as for a revoked token, `403` as for an
/// account that lost the permission, in the family's shape.
fn refused(fam: Family, status: u16) -> Response {
    if status == 403 {
        let message = match fam {
            Family::Site => "You do not have the permission to see the specified resource.",
            _ => "Forbidden",
        };
        return error(fam, StatusCode::FORBIDDEN, message);
    }
    let message = match fam {
        Family::Site => "Client must be authenticated to access this resource.",
        _ => "Unauthorized",
    };
    error(fam, StatusCode::UNAUTHORIZED, message)
}

/// The base URL the client used (`http://<Host>`), for absolute links.
pub struct Base(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        Ok(Base(format!("http://{host}")))
    }
}

/// A `400` for a bad parameter, in the family's shape.
fn bad_request(fam: Family, message: &str) -> Response {
    error(fam, StatusCode::BAD_REQUEST, message)
}

/// A JSON `200`.
fn ok(body: Value) -> Response {
    Json(body).into_response()
}

/// Query string pairs, percent-decoded.
fn params(query: Option<&str>) -> crate::paging::Params {
    let pairs = query
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default();
    crate::paging::Params(pairs)
}

/// A query string from pairs.
fn query_string(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}
