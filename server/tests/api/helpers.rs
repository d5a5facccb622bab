//! `spawn_app()`: the real application on a free port over a fresh database, and a typed client.

use app::ssr::AppState;
use connectors::deployments::Deployments;
use leptos::config::LeptosOptions;
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use server::startup::{leptos_options, Application};
use services::auth::{create_admin, Authenticator, NewPassword, Username};
use services::Settings;
use std::sync::{Arc, OnceLock};
use store::crypto::KeyRing;
use store::Store;

pub const ADMIN: &str = "admin";
pub const PASSWORD: &str = "correct horse battery staple";

/// A running application and a cookie-keeping client that does not follow redirects.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub store: Store,
    /// The rollups of pushed events the server still has to recompute.
    pub pushed_rollups: imports::RollupsLater,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub fn options() -> LeptosOptions {
    static OPTIONS: OnceLock<LeptosOptions> = OnceLock::new();
    OPTIONS
        .get_or_init(|| {
            leptos_options(concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"))
                .expect("Leptos.toml")
        })
        .clone()
}

pub fn settings() -> Settings {
    let mut settings = Settings::from_lookup(|_| None).unwrap();
    settings.bind = "127.0.0.1:0".parse().unwrap();
    settings
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The field-encryption key the app under test uses.
pub const API_KEY: [u8; 32] = [5u8; 32];

/// The app over a fresh database holding one administrator.
pub async fn spawn_app() -> TestApp {
    let store = Store::new(testkit::fresh_database().await);
    store
        .ensure_indexes(testkit::RETAIN_FIXED_DATES_DAYS)
        .await
        .unwrap();
    create_admin(
        &store,
        &Username::parse(ADMIN).unwrap(),
        NewPassword::parse(PASSWORD.to_owned().into()).unwrap(),
        false,
    )
    .await
    .unwrap();
    spawn_app_with(settings(), store).await
}

/// The app over an existing store, with these settings.
pub async fn spawn_app_with(settings: Settings, store: Store) -> TestApp {
    let keys = Arc::new(KeyRing::new(&API_KEY, &[]));
    let state = AppState::new(
        store.clone(),
        Arc::new(Deployments::default()),
        keys.clone(),
        std::time::Duration::ZERO,
    );
    let auth = Authenticator::new(&store, keys);
    let app = Application::build(&settings, options(), state, auth)
        .await
        .unwrap();
    let address = format!("http://{}", app.local_addr().unwrap());
    let pushed_rollups = app.pushed_rollups();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: client(),
        store,
        pushed_rollups,
        _shutdown: tx,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Posts the sign-in form as a browser would.
    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/login"))
            .header("Origin", &self.address)
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    pub async fn login_as_admin(&self) {
        let r = self.login(ADMIN, PASSWORD).await;
        assert_eq!(r.status(), 303);
        assert_eq!(location(&r), "/events");
    }

    /// Calls a server function with form-encoded arguments, as the browser does.
    pub async fn call(&self, path: &str, args: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .header("Origin", &self.address)
            .header("Accept", "application/json")
            .form(args)
            .send()
            .await
            .unwrap()
    }
}

pub fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
