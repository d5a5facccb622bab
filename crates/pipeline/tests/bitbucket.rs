//! Bitbucket records in shapes the official schema allows but the first fixtures never had: a
//! repository known only by `full_name` or `uuid`, and accounts carrying only `uuid` and
//! `display_name`.

mod common;

use common::run;
use connectors::RecordKind;
use pipeline::{AccountRef, NormalizeError, Normalized};
use serde_json::{json, Value};

fn id(n: &Normalized) -> &str {
    n.event.id.as_str()
}

const MEI: &str = "{1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d}";

fn merged_pr(author: Value, closed_by: Value) -> Value {
    json!({ "type": "pullrequest", "id": 412, "title": "Add cursor persistence", "state": "MERGED",
        "author": author, "closed_by": closed_by,
        "created_on": "2026-09-08T09:14:02.331455+00:00", "updated_on": "2026-09-11T17:02:45.908112+00:00" })
}

#[test]
fn a_pull_request_whose_author_and_closer_carry_only_uuid_and_display_name_keeps_its_actors() {
    let ctx = json!({ "slug": "exporter", "fullName": "acme/exporter" });
    let pr = merged_pr(
        json!({ "type": "user", "display_name": "Mei Lin", "uuid": MEI }),
        // Upper case and without braces: the same account, in the canonical form.
        json!({ "display_name": "Ravi Kumar", "uuid": "9F8E7D6C-0000-4000-8000-000000000001" }),
    );
    let opened = run(RecordKind::BitbucketPrOpened, pr.clone(), ctx.clone()).unwrap();
    assert_eq!(
        opened.actor,
        Some(AccountRef {
            display_name: Some("Mei Lin".into()),
            bitbucket_uuid: Some(MEI.into()),
            ..AccountRef::default()
        })
    );
    assert_eq!(opened.event.actor_raw.as_deref(), Some(MEI));

    let merged = run(RecordKind::BitbucketPrClosed, pr, ctx).unwrap();
    let closer = merged.actor.expect("the person who merged");
    assert_eq!(
        closer.bitbucket_uuid.as_deref(),
        Some("{9f8e7d6c-0000-4000-8000-000000000001}")
    );
    assert_eq!(
        merged.event.actor_raw.as_deref(),
        Some("{9f8e7d6c-0000-4000-8000-000000000001}")
    );
}

#[test]
fn an_account_with_both_ids_is_kept_by_account_id_and_keeps_its_uuid() {
    let ctx = json!({ "slug": "exporter" });
    let commit = json!({ "hash": "9c2f1e7a5b3d", "date": "2026-09-12T16:40:11+00:00",
        "author": { "raw": "Mei Lin <mei.lin@example.org>",
                    "user": { "display_name": "Mei Lin", "uuid": MEI, "account_id": "712020:aa11" } } });
    let n = run(RecordKind::BitbucketCommit, commit, ctx).unwrap();
    assert_eq!(n.event.actor_raw.as_deref(), Some("712020:aa11"));
    let actor = n.actor.unwrap();
    assert_eq!(actor.bitbucket_uuid.as_deref(), Some(MEI));
    assert_eq!(actor.email.as_deref(), Some("mei.lin@example.org"));
}

#[test]
fn records_of_a_repository_without_a_slug_get_ids_from_its_full_name_or_uuid() {
    let commit = json!({ "hash": "9c2f1e7a5b3d", "date": "2026-09-12T16:40:11+00:00" });
    let commit_id = |ctx: Value| {
        run(RecordKind::BitbucketCommit, commit.clone(), ctx).map(|n| id(&n).to_owned())
    };
    // With a slug the id is what it always was, and `full_name` alone gives the same one.
    assert_eq!(
        commit_id(json!({ "slug": "exporter", "fullName": "acme/exporter", "uuid": "{0f9e}" }))
            .unwrap(),
        "acme:bitbucket:commit-exporter-9c2f1e7a5b3d"
    );
    assert_eq!(
        commit_id(json!({ "fullName": "acme/exporter", "uuid": "{0f9e}" })).unwrap(),
        "acme:bitbucket:commit-exporter-9c2f1e7a5b3d"
    );
    // Only the uuid: derived from it, in its canonical form, the same on every run.
    assert_eq!(
        commit_id(json!({ "uuid": "{0F9E}" })).unwrap(),
        "acme:bitbucket:commit-{0f9e}-9c2f1e7a5b3d"
    );
    let pr = merged_pr(json!({ "uuid": MEI }), Value::Null);
    let opened = run(
        RecordKind::BitbucketPrOpened,
        pr,
        json!({ "uuid": "{0f9e}" }),
    )
    .unwrap();
    assert_eq!(id(&opened), "acme:bitbucket:pr-{0f9e}-412-opened");
    // Nothing to name the repository by: refused, with the reason.
    assert_eq!(
        commit_id(json!({ "name": "Ghost" })).unwrap_err(),
        NormalizeError::Missing("repository slug, full_name or uuid")
    );
}
