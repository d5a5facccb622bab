//! Cross-site request forgery defence in depth (the session cookie is already `SameSite=Strict`):
//! a state-changing request (anything but GET, HEAD, OPTIONS) whose `Origin` — or, failing that,
//! `Referer` — names another site is refused with `403`. Requests with neither header come from
//! non-browser clients and pass.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses cross-origin state changes.
pub async fn same_origin_writes(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if is_cross_origin(request.headers()) {
        tracing::warn!(
            http.method = %request.method(),
            http.path = %request.uri().path(),
            "refused a state-changing request from another origin"
        );
        return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
    }
    next.run(request).await
}

/// Whether the request's origin (or referer) differs from the host it was sent to.
fn is_cross_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return true;
    };
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|h| h.to_str().ok());
    match origin {
        None => false,
        Some(origin) => authority_of(origin) != Some(host),
    }
}

/// `host[:port]` of an absolute `http(s)` URL; `None` for anything else (including `null`).
fn authority_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn same_origin_and_header_less_requests_pass() {
        assert!(!is_cross_origin(&headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000")
        ])));
        assert!(!is_cross_origin(&headers(&[
            (header::HOST, "audit.acme.jp"),
            (header::ORIGIN, "https://audit.acme.jp")
        ])));
        assert!(!is_cross_origin(&headers(&[
            (header::HOST, "a:1"),
            (header::REFERER, "http://a:1/login?x=1")
        ])));
        assert!(!is_cross_origin(&headers(&[(header::HOST, "a:1")])));
    }

    #[test]
    fn foreign_and_opaque_origins_are_refused() {
        assert!(is_cross_origin(&headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://evil.example")
        ])));
        assert!(is_cross_origin(&headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3001")
        ])));
        assert!(is_cross_origin(&headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "null")
        ])));
        assert!(is_cross_origin(&headers(&[
            (header::HOST, "a"),
            (header::REFERER, "http://a.evil/")
        ])));
    }
}
