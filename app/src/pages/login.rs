//! The sign-in page: a plain HTML form posting to `/api/login`, so it works with or without
//! JavaScript. The server redirects back here with `?error=…` when sign-in fails, and with the
//! throttle's reason and wait (`&reason=address&retry=40`, in seconds) when it refused the attempt;
//! the message is built here from those codes, so a link cannot make the page say anything else.

use domain::{SignInRefusal, ThrottleReason};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The message for an error code the login endpoint redirects with.
fn message(error: &str, reason: Option<ThrottleReason>, retry_s: Option<u64>) -> Option<String> {
    match error {
        "invalid" => Some("The username or password is incorrect.".to_owned()),
        "throttled" => Some(match (reason, retry_s) {
            (Some(reason), Some(retry_after_s)) => format!(
                "{}.",
                SignInRefusal {
                    reason,
                    retry_after_s
                }
            ),
            _ => "Too many failed sign-ins; try again later.".to_owned(),
        }),
        "unavailable" => {
            Some("Sign-in is unavailable right now; the database cannot be reached.".to_owned())
        }
        _ => None,
    }
}

/// Username and password form.
#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let error = move || {
        let q = query.read();
        let reason = q.get("reason").and_then(|r| r.parse().ok());
        let retry = q.get("retry").and_then(|r| r.parse().ok());
        q.get("error").and_then(|e| message(&e, reason, retry))
    };
    let signed_out = move || query.read().get("signed_out").is_some();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in"/>
        <main class="login">
            <h1>"AtlasLens"</h1>
            <p class="tagline">"Audit and activity analytics for Atlassian Cloud"</p>
            <form method="post" action="/api/login" class="card">
                <h2>"Sign in"</h2>
                {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                {move || signed_out().then(|| view! { <p class="notice" role="status">"You have signed out."</p> })}
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username" required autofocus/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <input type="hidden" name="next" value=next/>
                <button type="submit">"Sign in"</button>
            </form>
            <p class="hint">"Administrators are created on the server with " <code>"atlaslens seed-admin"</code> "."</p>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_throttle_and_the_wait_from_the_url_codes() {
        assert_eq!(
            message("throttled", Some(ThrottleReason::Address), Some(40)).as_deref(),
            Some("Too many failed sign-ins from this address; try again in 40 s.")
        );
        assert_eq!(
            message("throttled", None, Some(40)).as_deref(),
            Some("Too many failed sign-ins; try again later.")
        );
        assert_eq!(message("<script>", None, None), None);
    }
}
