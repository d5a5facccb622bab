//! Jira issue creation against the testkit's Jira receiver.

mod common;

use base64::Engine as _;
use delivery::{Destination, Outcome};
use secrecy::SecretString;
use testkit::receivers::{JiraReceiver, TEST_JIRA_EMAIL, TEST_JIRA_TOKEN};

fn destination(jira: &JiraReceiver, token: &str) -> Destination {
    Destination::Jira {
        base_url: jira.url(),
        project_key: "SEC".to_owned(),
        issue_type: "Task".to_owned(),
        email: TEST_JIRA_EMAIL.to_owned(),
        api_token: SecretString::from(token),
        per_incident: false,
    }
}

#[tokio::test]
async fn an_issue_is_created_and_its_key_comes_back() {
    let jira = JiraReceiver::spawn(TEST_JIRA_EMAIL, TEST_JIRA_TOKEN).await;
    let out = delivery::send(
        &common::client(),
        &destination(&jira, TEST_JIRA_TOKEN),
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    match &out {
        Outcome::Delivered {
            status,
            remote_ref,
            detail,
        } => {
            assert_eq!(*status, Some(201));
            assert_eq!(remote_ref.as_deref(), Some("SEC-1"));
            assert!(detail.contains("SEC-1"), "{detail}");
        }
        other => panic!("expected the issue to be created, got {other:?}"),
    }
    assert_eq!(jira.created(), ["SEC-1"]);

    let got = jira.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/rest/api/3/issue");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{TEST_JIRA_EMAIL}:{TEST_JIRA_TOKEN}"))
    );
    assert_eq!(got[0].header("authorization"), Some(expected.as_str()));
    let body = got[0].json().unwrap();
    let fields = &body["fields"];
    assert_eq!(fields["project"]["key"], "SEC");
    assert_eq!(fields["issuetype"]["name"], "Task");
    assert_eq!(
        fields["summary"],
        "[AtlasLens] Ana Souza exported 41 issues"
    );
    assert_eq!(
        fields["labels"],
        serde_json::json!(["atlaslens", "atlaslens-bulk-export"])
    );
    assert_eq!(fields["description"]["type"], "doc");
    assert!(fields["description"]
        .to_string()
        .contains("https://atlaslens.example.com/alerts/al_42"));
}

#[tokio::test]
async fn a_wrong_token_fails_for_good_and_says_what_to_check() {
    let jira = JiraReceiver::spawn(TEST_JIRA_EMAIL, TEST_JIRA_TOKEN).await;
    let out = delivery::send(
        &common::client(),
        &destination(&jira, "not-the-token"),
        &common::notification(),
        chrono::Utc::now(),
    )
    .await;
    match out {
        Outcome::Failed {
            status: Some(401),
            reason,
        } => {
            assert!(reason.contains("API token"), "{reason}");
            assert!(
                reason.contains("Client must be authenticated"),
                "Jira's own words: {reason}"
            );
            assert!(!reason.contains("not-the-token"), "{reason}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(jira.created().is_empty());
}

#[tokio::test]
async fn a_comment_goes_to_the_issue_and_names_it_as_the_remote_ref() {
    let jira = JiraReceiver::spawn(TEST_JIRA_EMAIL, TEST_JIRA_TOKEN).await;
    let sender = delivery::Sender::new(common::loopback(std::time::Duration::from_secs(5)));
    let dest = destination(&jira, TEST_JIRA_TOKEN);
    let now = chrono::Utc::now();
    let unknown = sender
        .comment(&dest, "SEC-9", &common::notification(), now)
        .await;
    assert!(
        matches!(
            unknown,
            Outcome::Failed {
                status: Some(404),
                ..
            }
        ),
        "{unknown:?}"
    );
    sender.send(&dest, &common::notification(), now).await;
    let out = sender
        .comment(&dest, "SEC-1", &common::notification(), now)
        .await;
    match &out {
        Outcome::Delivered {
            status, remote_ref, ..
        } => {
            assert_eq!(*status, Some(201));
            assert_eq!(remote_ref.as_deref(), Some("SEC-1"));
        }
        other => panic!("expected the comment to be added, got {other:?}"),
    }
    let comments = jira.comments();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].0, "SEC-1");
    assert!(comments[0].1.to_string().contains("New alert: Ana Souza"));
    assert_eq!(jira.created(), ["SEC-1"], "a comment makes no issue");
}
