//! The edge check of destinations: what is refused in production, what the demo may use, and
//! what the messages say.

use delivery::{Destination, DestinationError, SyslogFormat, UrlPolicy};
use secrecy::SecretString;

const SECRET: &str = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";

fn webhook(url: &str) -> Destination {
    Destination::Webhook {
        url: url.to_owned(),
        secret: SecretString::from(SECRET),
    }
}

#[tokio::test]
async fn non_public_and_non_http_urls_are_refused_in_production() {
    for url in [
        "ftp://example.com/hook",
        "http://127.0.0.1/hook",
        "http://localhost/",
        "http://10.0.0.1",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.0.10:8080/",
    ] {
        let err = webhook(url)
            .validate(UrlPolicy::production())
            .await
            .unwrap_err();
        assert!(
            matches!(err, DestinationError::Address { .. }),
            "{url}: {err}"
        );
        assert!(err.to_string().starts_with("webhook URL: "), "{url}: {err}");
    }
}

#[tokio::test]
async fn the_demo_policy_allows_private_addresses_but_still_not_other_schemes() {
    for url in [
        "http://127.0.0.1/hook",
        "http://localhost/",
        "http://10.0.0.1",
        "http://[::1]/",
    ] {
        webhook(url)
            .validate(UrlPolicy::allow_private())
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    let err = webhook("ftp://example.com/hook")
        .validate(UrlPolicy::allow_private())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("use an https:// URL"), "{err}");
}

#[tokio::test]
async fn a_public_address_passes_in_production() {
    webhook("https://93.184.215.14/hook")
        .validate(UrlPolicy::production())
        .await
        .unwrap();
}

#[tokio::test]
async fn messages_say_what_was_wrong_and_what_to_do() {
    let err = webhook("http://10.0.0.1")
        .validate(UrlPolicy::production())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "webhook URL: `10.0.0.1` is a private address (10.0.0.0/8); AtlasLens \
         only delivers to public addresses. Use the destination's public address (private \
         addresses are allowed only in demo mode)"
    );
    let slack = Destination::Slack {
        webhook_url: SecretString::from("http://127.0.0.1/services/T1/B2/sekrit-token"),
    };
    let err = slack
        .validate(UrlPolicy::production())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Slack webhook URL: `127.0.0.1` is a loopback"),
        "{err}"
    );
    assert!(
        !err.contains("sekrit-token"),
        "the Slack URL's token leaked: {err}"
    );
}

#[tokio::test]
async fn a_bad_webhook_secret_is_refused_with_a_clear_message() {
    for (secret, says) in [
        ("hunter2", "must start with `whsec_`"),
        ("whsec_!!!", "not valid base64"),
        (
            "whsec_c2hvcnQ=",
            "holds 5 bytes, but it must hold 24 to 64 random bytes",
        ),
    ] {
        let dest = Destination::Webhook {
            url: "https://93.184.215.14/hook".to_owned(),
            secret: SecretString::from(secret),
        };
        let err = dest
            .validate(UrlPolicy::production())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("webhook secret: "), "{err}");
        assert!(
            err.contains(says) && err.contains("generate a new one"),
            "{err}"
        );
    }
    let fresh = Destination::Webhook {
        url: "https://93.184.215.14/hook".to_owned(),
        secret: delivery::generate_webhook_secret(),
    };
    fresh.validate(UrlPolicy::production()).await.unwrap();
}

#[tokio::test]
async fn syslog_hosts_and_jira_sites_are_guarded_too() {
    let syslog = Destination::Syslog {
        host: "10.0.0.1".to_owned(),
        port: 6514,
        tls: true,
        format: SyslogFormat::Cef,
    };
    let err = syslog
        .validate(UrlPolicy::production())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("syslog host: "), "{err}");
    syslog.validate(UrlPolicy::allow_private()).await.unwrap();

    let jira = Destination::Jira {
        base_url: "http://[::1]:8080".to_owned(),
        project_key: "SEC".to_owned(),
        issue_type: "Task".to_owned(),
        email: "bot@example.com".to_owned(),
        api_token: SecretString::from("token"),
        per_incident: false,
    };
    let err = jira
        .validate(UrlPolicy::production())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("Jira site URL: "), "{err}");
    jira.validate(UrlPolicy::allow_private()).await.unwrap();
}
