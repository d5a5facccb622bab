//! Stand-ins for the places alerts are delivered to, for tests and the end-to-end demo: a Slack
//! incoming webhook, Jira Cloud issue creation, a Standard Webhooks endpoint and a syslog TCP
//! collector. Each listens on `127.0.0.1:0` in the calling tokio runtime, records everything it
//! receives, and stops when dropped.
//!
//! The HTTP receivers can be told to misbehave for their next requests ([`Fault`]): rate-limit
//! with `Retry-After`, answer a status (500, 410, 404…), redirect, hang longer than the client's
//! timeout, or answer with a body of many megabytes. Each recorded request says which fault it
//! got, so a test can check the fault happened as well as what the sender made of it.
//!
//! The webhook receiver checks signatures with its own HMAC code, not the delivery crate's, so a
//! test of signing is not the signer checking itself.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A webhook secret for tests and the demo (`whsec_` + base64 of 32 bytes).
pub const TEST_WEBHOOK_SECRET: &str = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
/// The Jira account e-mail [`spawn_all`]'s Jira receiver accepts.
pub const TEST_JIRA_EMAIL: &str = "atlaslens-bot@example.com";
/// The Jira API token [`spawn_all`]'s Jira receiver accepts.
pub const TEST_JIRA_TOKEN: &str = "test-jira-api-token";
/// How far a webhook timestamp may be from the receiver's clock.
pub const WEBHOOK_TOLERANCE: Duration = Duration::from_secs(300);

/// How a receiver misbehaves for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After: <seconds>`.
    RateLimited {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// This status with a short body (500, 410, 404…).
    Status(u16),
    /// A 302 to this location.
    Redirect(String),
    /// Wait this long before answering 200 (longer than the client's timeout).
    Hang(Duration),
    /// 200 with a body of this many bytes, streamed.
    HugeBody(usize),
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    /// The method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
    /// The fault it was answered with, if any.
    pub fault: Option<Fault>,
}

impl ReceivedRequest {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the HTTP receivers share: the record and the queue of faults.
#[derive(Default)]
struct Record {
    received: Mutex<Vec<ReceivedRequest>>,
    faults: Mutex<VecDeque<Fault>>,
}

/// A running HTTP receiver.
struct HttpServer {
    addr: SocketAddr,
    record: Arc<Record>,
    task: JoinHandle<()>,
}

impl HttpServer {
    async fn spawn(router: Router, record: Arc<Record>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a receiver binds to a loopback port");
        let addr = listener.local_addr().expect("the receiver's address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        HttpServer { addr, record, task }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn received(&self) -> Vec<ReceivedRequest> {
        self.record.received.lock().expect("record").clone()
    }

    fn fail_next(&self, n: usize, fault: Fault) {
        let mut faults = self.record.faults.lock().expect("faults");
        faults.extend(std::iter::repeat_n(fault, n));
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Records the request and, when a fault is queued, answers with it.
async fn intake(record: &Record, req: Request) -> (ReceivedRequest, Option<Response>) {
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), 16 * 1024 * 1024)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let fault = record.faults.lock().expect("faults").pop_front();
    let request = ReceivedRequest {
        method,
        path,
        headers,
        body,
        fault: fault.clone(),
    };
    record
        .received
        .lock()
        .expect("record")
        .push(request.clone());
    let answer = match fault {
        None => None,
        Some(f) => Some(fault_response(f).await),
    };
    (request, answer)
}

async fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::RateLimited { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_secs.to_string())],
            "rate_limited",
        )
            .into_response(),
        Fault::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, format!("fault injected: {code}")).into_response()
        }
        Fault::Redirect(location) => {
            (StatusCode::FOUND, [(header::LOCATION, location)], "").into_response()
        }
        Fault::Hang(wait) => {
            tokio::time::sleep(wait).await;
            (StatusCode::OK, "ok").into_response()
        }
        Fault::HugeBody(bytes) => {
            const CHUNK: usize = 64 * 1024;
            let chunks = (0..bytes.div_ceil(CHUNK)).map(move |i| {
                let len = CHUNK.min(bytes - i * CHUNK);
                Ok::<_, std::convert::Infallible>(Bytes::from(vec![b'x'; len]))
            });
            (
                StatusCode::OK,
                Body::from_stream(futures::stream::iter(chunks)),
            )
                .into_response()
        }
    }
}

macro_rules! http_receiver_common {
    () => {
        /// Every request received, in order, faulted ones included.
        pub fn received(&self) -> Vec<ReceivedRequest> {
            self.server.received()
        }

        /// Answers the next `n` requests with `fault`.
        pub fn fail_next(&self, n: usize, fault: Fault) {
            self.server.fail_next(n, fault)
        }

        /// The address it listens on.
        pub fn addr(&self) -> SocketAddr {
            self.server.addr
        }
    };
}

/// A Slack incoming webhook: answers 200 `ok`.
pub struct SlackReceiver {
    server: HttpServer,
}

impl SlackReceiver {
    /// Starts one.
    pub async fn spawn() -> SlackReceiver {
        let record = Arc::new(Record::default());
        let router = Router::new().fallback(slack).with_state(record.clone());
        let server = HttpServer::spawn(router, record).await;
        SlackReceiver { server }
    }

    /// The webhook URL, shaped like Slack's.
    pub fn url(&self) -> String {
        format!(
            "{}/services/T0ATLAS00/B0LENS000/abcdefghijklmnopqrstuvwx",
            self.server.base()
        )
    }

    http_receiver_common!();
}

async fn slack(State(record): State<Arc<Record>>, req: Request) -> Response {
    let (request, fault) = intake(&record, req).await;
    if let Some(answer) = fault {
        return answer;
    }
    if request.method != "POST" || request.json().is_none() {
        return (StatusCode::BAD_REQUEST, "invalid_payload").into_response();
    }
    (StatusCode::OK, "ok").into_response()
}

/// Jira Cloud's issue creation: `POST /rest/api/3/issue` with basic auth, an ADF description,
/// answering 201 `{"id", "key": "<PROJECT>-<n>", "self"}`; and comments on the issues it created:
/// `POST /rest/api/3/issue/<key>/comment` with `{"body": <ADF document>}`, answering 201
/// `{"id", "self"}` (404 for an issue it did not create).
pub struct JiraReceiver {
    server: HttpServer,
    jira: Arc<JiraState>,
}

struct JiraState {
    record: Arc<Record>,
    authorization: String,
    base: Mutex<String>,
    next: AtomicU64,
    created: Mutex<Vec<String>>,
    comments: Mutex<Vec<(String, serde_json::Value)>>,
}

impl JiraReceiver {
    /// Starts one accepting `email` and `api_token`.
    pub async fn spawn(email: &str, api_token: &str) -> JiraReceiver {
        let record = Arc::new(Record::default());
        let jira = Arc::new(JiraState {
            record: record.clone(),
            authorization: format!("Basic {}", STANDARD.encode(format!("{email}:{api_token}"))),
            base: Mutex::new(String::new()),
            next: AtomicU64::new(1),
            created: Mutex::new(Vec::new()),
            comments: Mutex::new(Vec::new()),
        });
        let router = Router::new().fallback(jira_issue).with_state(jira.clone());
        let server = HttpServer::spawn(router, record).await;
        *jira.base.lock().expect("base") = server.base();
        JiraReceiver { server, jira }
    }

    /// The site URL (`base_url` of a Jira destination).
    pub fn url(&self) -> String {
        self.server.base()
    }

    /// The keys of the issues created, in order.
    pub fn created(&self) -> Vec<String> {
        self.jira.created.lock().expect("created").clone()
    }

    /// The comments added, in order: the issue key and the comment's ADF document.
    pub fn comments(&self) -> Vec<(String, serde_json::Value)> {
        self.jira.comments.lock().expect("comments").clone()
    }

    http_receiver_common!();
}

async fn jira_issue(State(jira): State<Arc<JiraState>>, req: Request) -> Response {
    let (request, fault) = intake(&jira.record, req).await;
    if let Some(answer) = fault {
        return answer;
    }
    let error = |status: StatusCode, messages: Vec<&str>, errors: serde_json::Value| {
        (
            status,
            axum::Json(json!({"errorMessages": messages, "errors": errors})),
        )
            .into_response()
    };
    let commented = request
        .path
        .strip_prefix("/rest/api/3/issue/")
        .and_then(|rest| rest.strip_suffix("/comment"))
        .map(str::to_owned);
    if request.method != "POST" || (request.path != "/rest/api/3/issue" && commented.is_none()) {
        return error(StatusCode::NOT_FOUND, vec!["Not found"], json!({}));
    }
    if request.header("authorization") != Some(jira.authorization.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            vec!["Client must be authenticated to access this resource."],
            json!({}),
        );
    }
    let Some(body) = request.json() else {
        return error(StatusCode::BAD_REQUEST, vec!["Invalid JSON"], json!({}));
    };
    if let Some(key) = commented {
        return jira_comment(&jira, key, body);
    }
    let fields = &body["fields"];
    let description = &fields["description"];
    if description["type"] != "doc"
        || description["version"] != 1
        || !description["content"].is_array()
    {
        return error(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({"description": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"}),
        );
    }
    let Some(project) = fields["project"]["key"].as_str() else {
        return error(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({"project": "project is required"}),
        );
    };
    if fields["summary"].as_str().is_none_or(str::is_empty) {
        return error(
            StatusCode::BAD_REQUEST,
            vec![],
            json!({"summary": "You must specify a summary of the issue."}),
        );
    }
    let n = jira.next.fetch_add(1, Ordering::Relaxed);
    let key = format!("{project}-{n}");
    let id = (10_000 + n).to_string();
    jira.created.lock().expect("created").push(key.clone());
    let base = jira.base.lock().expect("base").clone();
    (
        StatusCode::CREATED,
        axum::Json(json!({"id": id, "key": key, "self": format!("{base}/rest/api/3/issue/{id}")})),
    )
        .into_response()
}

/// A comment on an issue the receiver created, its body an ADF document.
fn jira_comment(jira: &JiraState, key: String, body: serde_json::Value) -> Response {
    if !jira.created.lock().expect("created").contains(&key) {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}})),
        )
            .into_response();
    }
    let doc = &body["body"];
    if doc["type"] != "doc" || doc["version"] != 1 || !doc["content"].is_array() {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"errorMessages": [], "errors": {"comment": "Comment body must be an Atlassian Document"}})),
        )
            .into_response();
    }
    let mut comments = jira.comments.lock().expect("comments");
    comments.push((key.clone(), doc.clone()));
    let id = (20_000 + comments.len()).to_string();
    let base = jira.base.lock().expect("base").clone();
    (
        StatusCode::CREATED,
        axum::Json(
            json!({"id": id, "self": format!("{base}/rest/api/3/issue/{key}/comment/{id}")}),
        ),
    )
        .into_response()
}

/// One webhook delivery as the receiver judged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// `webhook-id`.
    pub id: String,
    /// Whether a v1 signature matched and the timestamp was within [`WEBHOOK_TOLERANCE`].
    pub verified: bool,
    /// The raw body.
    pub body: Vec<u8>,
}

/// A Standard Webhooks endpoint checking signatures with its secret: 204 when a signature
/// verifies, 401 when none does.
pub struct WebhookReceiver {
    server: HttpServer,
    hook: Arc<HookState>,
}

struct HookState {
    record: Arc<Record>,
    key: Vec<u8>,
    deliveries: Mutex<Vec<WebhookDelivery>>,
}

impl WebhookReceiver {
    /// Starts one verifying with `secret` (`whsec_` + base64).
    ///
    /// # Panics
    /// When `secret` is not `whsec_` + base64 (a mistake in the test).
    pub async fn spawn(secret: &str) -> WebhookReceiver {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
            .expect("a base64 secret");
        let record = Arc::new(Record::default());
        let hook = Arc::new(HookState {
            record: record.clone(),
            key,
            deliveries: Mutex::new(Vec::new()),
        });
        let router = Router::new().fallback(webhook).with_state(hook.clone());
        let server = HttpServer::spawn(router, record).await;
        WebhookReceiver { server, hook }
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("{}/hook", self.server.base())
    }

    /// Every delivery that was not answered with a fault, with its verdict.
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.hook.deliveries.lock().expect("deliveries").clone()
    }

    http_receiver_common!();
}

/// The receiver's own Standard Webhooks check.
fn verify(key: &[u8], headers: &HeaderMap, body: &[u8], now: i64) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(id), Some(ts), Some(signatures)) = (
        get("webhook-id"),
        get("webhook-timestamp"),
        get("webhook-signature"),
    ) else {
        return false;
    };
    let Ok(ts_secs) = ts.parse::<i64>() else {
        return false;
    };
    if (now - ts_secs).unsigned_abs() > WEBHOOK_TOLERANCE.as_secs() {
        return false;
    }
    let mut signed = format!("{id}.{ts}.").into_bytes();
    signed.extend_from_slice(body);
    signatures.split(' ').any(|sig| {
        let Some(encoded) = sig.strip_prefix("v1,") else {
            return false;
        };
        let Ok(given) = STANDARD.decode(encoded) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
        mac.update(&signed);
        mac.verify_slice(&given).is_ok()
    })
}

async fn webhook(State(hook): State<Arc<HookState>>, req: Request) -> Response {
    let (request, fault) = intake(&hook.record, req).await;
    if let Some(answer) = fault {
        return answer;
    }
    let verified = verify(
        &hook.key,
        &request.headers,
        &request.body,
        chrono::Utc::now().timestamp(),
    );
    hook.deliveries
        .lock()
        .expect("deliveries")
        .push(WebhookDelivery {
            id: request.header("webhook-id").unwrap_or_default().to_owned(),
            verified,
            body: request.body.clone(),
        });
    if verified {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::UNAUTHORIZED, "signature does not verify").into_response()
    }
}

/// A syslog collector on TCP reading octet-counted frames (RFC 6587 §3.4.1).
pub struct SyslogReceiver {
    addr: SocketAddr,
    frames: Arc<Mutex<Vec<String>>>,
    errors: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl SyslogReceiver {
    /// Starts one.
    pub async fn spawn() -> SyslogReceiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a receiver binds to a loopback port");
        let addr = listener.local_addr().expect("the receiver's address");
        let frames = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (f, e) = (frames.clone(), errors.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (f, e) = (f.clone(), e.clone());
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    if socket.read_to_end(&mut data).await.is_err() && data.is_empty() {
                        return;
                    }
                    match parse_frames(&data) {
                        Ok(messages) => f.lock().expect("frames").extend(messages),
                        Err(problem) => e.lock().expect("errors").push(problem),
                    }
                });
            }
        });
        SyslogReceiver {
            addr,
            frames,
            errors,
            task,
        }
    }

    /// `tcp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// The host to configure (`127.0.0.1`).
    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    /// The port to configure.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The messages received so far (without their length prefix), in order of arrival.
    pub fn received(&self) -> Vec<String> {
        self.frames.lock().expect("frames").clone()
    }

    /// What could not be parsed as octet-counted frames.
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().expect("errors").clone()
    }

    /// Waits up to `within` for at least `n` messages (a sender's connection closes before the
    /// receiver has read it), then returns what arrived.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for SyslogReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Splits a connection's bytes into octet-counted messages.
///
/// # Errors
/// A description of the first malformed frame.
pub fn parse_frames(mut data: &[u8]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let space = data
            .iter()
            .position(|b| *b == b' ')
            .ok_or_else(|| "a frame without a length prefix".to_owned())?;
        let digits = std::str::from_utf8(&data[..space]).map_err(|_| "a non-ASCII length")?;
        if digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(format!("`{digits}` is not a frame length"));
        }
        let len: usize = digits
            .parse()
            .map_err(|_| format!("`{digits}` is too long"))?;
        let rest = &data[space + 1..];
        if rest.len() < len {
            return Err(format!("a frame of {len} bytes holds only {}", rest.len()));
        }
        let message =
            std::str::from_utf8(&rest[..len]).map_err(|_| "a message that is not UTF-8")?;
        out.push(message.to_owned());
        data = &rest[len..];
    }
    Ok(out)
}

/// All four receivers, for a test or the demo.
pub struct Receivers {
    /// Accepts any POST as Slack would.
    pub slack: SlackReceiver,
    /// Accepts [`TEST_JIRA_EMAIL`] / [`TEST_JIRA_TOKEN`].
    pub jira: JiraReceiver,
    /// Verifies with [`TEST_WEBHOOK_SECRET`].
    pub webhook: WebhookReceiver,
    /// Reads octet-counted syslog over TCP.
    pub syslog: SyslogReceiver,
}

/// Starts all four receivers on loopback ports in the current tokio runtime.
pub async fn spawn_all() -> Receivers {
    Receivers {
        slack: SlackReceiver::spawn().await,
        jira: JiraReceiver::spawn(TEST_JIRA_EMAIL, TEST_JIRA_TOKEN).await,
        webhook: WebhookReceiver::spawn(TEST_WEBHOOK_SECRET).await,
        syslog: SyslogReceiver::spawn().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_split_by_their_byte_counts() {
        assert_eq!(
            parse_frames(b"3 abc5 hello2 \xc3\xa9").unwrap(),
            ["abc", "hello", "é"]
        );
        assert!(parse_frames(b"10 short").is_err());
        assert!(parse_frames(b"<13>1 no framing").is_err());
    }

    #[test]
    fn the_receivers_own_check_accepts_the_specification_example_and_nothing_else() {
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "webhook-id",
            "msg_p5jXN8AQM9LWM0D4loKWxJek".parse().unwrap(),
        );
        headers.insert("webhook-timestamp", "1614265330".parse().unwrap());
        headers.insert(
            "webhook-signature",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
                .parse()
                .unwrap(),
        );
        let body = br#"{"test": 2432232314}"#;
        assert!(verify(&key, &headers, body, 1614265330));
        assert!(!verify(
            &key,
            &headers,
            br#"{"test": 2432232315}"#,
            1614265330
        ));
        // Correctly signed, but an hour old: stale.
        assert!(!verify(&key, &headers, body, 1614265330 + 3600));
    }
}
