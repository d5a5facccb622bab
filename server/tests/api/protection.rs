//! Every page, server function and REST route, enumerated from the application itself, is refused
//! without a session — except the few declared public ones, which must really be reachable.

use crate::helpers::{client, location, spawn_app};
use server::routes::{Access, PUBLIC_PAGES, REST_ROUTES};

/// Page paths the router serves, from the Leptos route list.
fn page_paths() -> Vec<String> {
    leptos_axum::generate_route_list(app::App)
        .into_iter()
        .map(|r| r.path().to_owned())
        .collect()
}

#[tokio::test]
async fn every_page_except_login_redirects_to_login_without_a_session() {
    let app = spawn_app().await;
    let pages = page_paths();
    assert!(pages.len() >= 8, "the route list is complete: {pages:?}");
    for path in pages {
        let r = client().get(app.url(&path)).send().await.unwrap();
        if PUBLIC_PAGES.contains(&path.as_str()) {
            assert_eq!(r.status(), 200, "{path} is public");
        } else {
            assert_eq!(r.status(), 303, "{path} must need a session");
            assert!(
                location(&r).starts_with("/login"),
                "{path} → {}",
                location(&r)
            );
        }
    }
    let r = client().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(
        r.status(),
        303,
        "unknown paths do not reveal themselves either"
    );
}

#[tokio::test]
async fn every_server_function_answers_401_without_a_session() {
    let app = spawn_app().await;
    let fns: Vec<_> = server_fn::axum::server_fn_paths().collect();
    assert!(fns.len() >= 2, "server functions are registered: {fns:?}");
    for (path, method) in fns {
        let r = client()
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path} must need a session");
    }
}

#[tokio::test]
async fn every_rest_route_needs_a_session_unless_declared_public() {
    let app = spawn_app().await;
    for (method, path, access) in REST_ROUTES {
        let path = &path.replace("{deployment}", "acme").replace("{id}", "x");
        let r = client()
            .request(method.parse().unwrap(), app.url(path))
            .form(&[("username", "x"), ("password", "y")])
            .send()
            .await
            .unwrap();
        match access {
            Access::Session => assert_eq!(r.status(), 401, "{method} {path} must need a session"),
            Access::Public => assert_ne!(r.status(), 401, "{method} {path} is public"),
            Access::Token | Access::WebhookSecret => {
                assert_eq!(r.status(), 401, "{method} {path} must need its credential")
            }
        }
    }
}

#[tokio::test]
async fn the_assets_the_sign_in_page_needs_are_public_and_other_files_are_not() {
    let app = spawn_app().await;
    let r = client().get(app.url("/favicon.svg")).send().await.unwrap();
    assert_ne!(r.status(), 303);
    let r = client().get(app.url("/Leptos.toml")).send().await.unwrap();
    assert_eq!(r.status(), 303);
}
