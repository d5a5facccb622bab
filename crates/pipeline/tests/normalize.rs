//! Every record kind normalised from a fixture in the documented API shape: id, UTC time,
//! operation, classification, object, address and actor — and malformed records refused with
//! the field at fault.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{now, run};
use connectors::RecordKind;
use domain::{Category, Operation, Pipeline, Product, Severity};
use pipeline::{AccountRef, NormalizeError};
use serde_json::{json, Value};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn an_org_event_adding_someone_to_site_admins_is_a_high_severity_admin_grant() {
    let raw = json!({
        "id": "a1b2c3", "type": "events",
        "attributes": {
            "time": "2026-09-14T08:12:03.114Z", "processedAt": "2026-09-14T08:12:05.020Z",
            "action": "user_added_to_group",
            "actor": { "id": "712020:aaaa", "name": "Zoë Ångström", "email": "zoe@example.org" },
            "context": [
                { "id": "u-9", "type": "users", "attributes": { "displayName": "山田 太郎" } },
                { "id": "g-1", "type": "groups", "attributes": { "name": "site-admins" } }
            ],
            "container": [ { "id": "org-1", "type": "orgs", "attributes": { "name": "Acme" } } ],
            "location": { "ip": "2001:db8::7", "countryName": "Japan" }
        }
    });
    let n = run(RecordKind::OrgEvent, raw.clone(), Value::Null).unwrap();
    let e = &n.event;
    assert_eq!(e.id.as_str(), "acme:org:a1b2c3");
    assert_eq!(e.occurred_at, at("2026-09-14T08:12:03.114Z"));
    assert_eq!(e.ingested_at, now());
    assert_eq!(
        (e.product, e.pipeline, e.category),
        (Product::Org, Pipeline::Audit, Category::Security)
    );
    assert_eq!(
        (e.operation, e.severity),
        (Operation::AdminGranted, Severity::High)
    );
    assert_eq!(e.object_type.as_deref(), Some("groups"));
    let object = e.object_ref.as_ref().unwrap();
    assert_eq!(
        (
            object.id.as_str(),
            object.name.as_deref(),
            object.container.as_deref()
        ),
        ("g-1", Some("site-admins"), Some("Acme"))
    );
    assert_eq!(e.source_ip, Some("2001:db8::7".parse().unwrap()));
    assert_eq!(e.country.as_deref(), Some("Japan"));
    assert_eq!(e.actor_raw.as_deref(), Some("712020:aaaa"));
    assert_eq!(e.raw, raw, "the raw payload is kept untouched");
    assert_eq!(
        n.actor,
        Some(AccountRef {
            account_id: Some("712020:aaaa".into()),
            display_name: Some("Zoë Ångström".into()),
            email: Some("zoe@example.org".into()),
            bitbucket_uuid: None,
        })
    );
}

/// An organization event with `action` and `location`, about a user.
fn org_event(action: &str, context: Value, location: Value) -> Value {
    json!({
        "id": "e-1", "type": "events",
        "attributes": {
            "time": "2026-09-14T08:12:03.114Z", "action": action,
            "actor": { "id": "712020:aaaa", "name": "Zoë Ångström", "email": "zoe@example.org" },
            "context": context,
            "location": location
        }
    })
}

#[test]
fn an_org_sign_in_carries_the_country_atlassian_located_it_in_trimmed() {
    let raw = org_event(
        "user_login",
        json!([]),
        json!({ "ip": "203.0.113.9", "countryName": "  Singapore ", "city": "Singapore" }),
    );
    let e = run(RecordKind::OrgEvent, raw, Value::Null).unwrap().event;
    assert_eq!(e.operation, Operation::Login);
    assert_eq!(e.country.as_deref(), Some("Singapore"));
    for location in [
        json!({ "ip": "203.0.113.9", "countryName": " " }),
        json!({ "ip": "203.0.113.9" }),
        Value::Null,
    ] {
        let raw = org_event("user_login", json!([]), location.clone());
        let e = run(RecordKind::OrgEvent, raw, Value::Null).unwrap().event;
        assert_eq!(e.country, None, "{location}");
    }
}

#[test]
fn jira_and_confluence_records_name_no_country() {
    let raw = json!({
        "id": 1, "summary": "Issue deleted", "remoteAddress": "203.0.113.77",
        "authorAccountId": "5f3a", "created": "2026-09-10T14:03:21.456+0000",
        "objectItem": { "id": "10001", "name": "PLAT-901", "typeName": "ISSUE" }
    });
    let e = run(RecordKind::JiraAudit, raw, Value::Null).unwrap().event;
    assert_eq!(
        (e.operation, e.severity, e.country),
        (Operation::ContentDeleted, Severity::Medium, None)
    );
}

#[test]
fn an_admin_signing_in_as_another_user_is_a_high_impersonation() {
    let raw = org_event(
        "user_logged_in_as_user",
        json!([{ "id": "u-9", "type": "users", "attributes": { "name": "山田 太郎", "email": "taro@example.org" } }]),
        json!({ "ip": "203.0.113.9", "countryName": "Germany" }),
    );
    let e = run(RecordKind::OrgEvent, raw, Value::Null).unwrap().event;
    assert_eq!(
        (e.operation, e.severity, e.category),
        (
            Operation::UserImpersonated,
            Severity::High,
            Category::Security
        )
    );
    assert_eq!(e.object_ref.unwrap().name.as_deref(), Some("山田 太郎"));
}

#[test]
fn a_role_grant_is_an_admin_grant_only_when_the_event_names_an_admin_role() {
    let user = json!({ "id": "u-9", "type": "users", "attributes": { "name": "山田 太郎" } });
    let cases = [
        (json!([user.clone()]), Operation::RoleGranted),
        (
            json!([user.clone(), { "id": "r-1", "type": "roles", "attributes": { "name": "atlassian/site-admin" } }]),
            Operation::AdminGranted,
        ),
        (
            json!([{ "id": "u-9", "type": "users", "attributes": { "name": "山田 太郎", "role": "Org admin" } }]),
            Operation::AdminGranted,
        ),
        (
            json!([user, { "id": "r-2", "type": "roles", "attributes": { "name": "atlassian/user" } }]),
            Operation::RoleGranted,
        ),
    ];
    for (context, op) in cases {
        let raw = org_event("user_granted_role", context.clone(), Value::Null);
        let e = run(RecordKind::OrgEvent, raw, Value::Null).unwrap().event;
        assert_eq!(e.operation, op, "{context}");
    }
    let raw = org_event("added_org_admin", json!([]), Value::Null);
    let e = run(RecordKind::OrgEvent, raw, Value::Null).unwrap().event;
    assert_eq!(e.operation, Operation::AdminGranted);
}

#[test]
fn a_jira_audit_record_with_a_plus_0000_offset_is_read_as_utc() {
    let raw = json!({
        "id": 48213, "summary": "Permission scheme updated", "remoteAddress": "203.0.113.77",
        "authorAccountId": "5f3a9c0d1e2b3c4d5e6f7a8b", "created": "2026-09-10T14:03:21.456+0000",
        "category": "permissions",
        "objectItem": { "id": "10000", "name": "Default Permission Scheme", "typeName": "PERMISSION_SCHEME" }
    });
    let e = run(RecordKind::JiraAudit, raw, Value::Null).unwrap().event;
    assert_eq!(e.id.as_str(), "acme:jira:audit-48213");
    assert_eq!(e.occurred_at, at("2026-09-10T14:03:21.456Z"));
    assert_eq!(
        (e.operation, e.severity),
        (Operation::PermissionChanged, Severity::High)
    );
    assert_eq!(e.source_ip, Some("203.0.113.77".parse().unwrap()));
    assert_eq!(
        e.object_ref.unwrap().name.as_deref(),
        Some("Default Permission Scheme")
    );
}

#[test]
fn a_jira_issue_and_its_changelog_become_creation_update_and_transition_events() {
    let issue = json!({
        "id": "10482", "key": "ENG-311",
        "fields": { "summary": "Exporter drops events on 429", "project": { "key": "ENG" },
                    "creator": { "accountId": "acc-1", "displayName": "Ana Souza" },
                    "created": "2026-09-02T10:11:12.000+0900", "updated": "2026-09-14T08:21:09.371+0000" }
    });
    let e = run(RecordKind::JiraIssueCreated, issue, Value::Null)
        .unwrap()
        .event;
    assert_eq!(e.id.as_str(), "acme:jira:issue-10482-created");
    assert_eq!(e.occurred_at, at("2026-09-02T01:11:12Z"));
    assert_eq!(
        (e.pipeline, e.category, e.operation, e.severity),
        (
            Pipeline::Activity,
            Category::Content,
            Operation::IssueCreated,
            Severity::Low
        )
    );
    assert_eq!(e.object_ref.as_ref().unwrap().id, "ENG-311");
    assert_eq!(e.object_ref.unwrap().container.as_deref(), Some("ENG"));

    let ctx = json!({ "issueId": "10482", "issueKey": "ENG-311", "summary": "Exporter drops events on 429", "project": "ENG" });
    let transition = json!({ "id": "277431", "created": "2026-09-14T08:21:09.371+0000",
        "author": { "accountId": "acc-2" }, "items": [ { "field": "status", "fromString": "To Do", "toString": "In Progress" } ] });
    let e = run(RecordKind::JiraChangelog, transition, ctx.clone())
        .unwrap()
        .event;
    assert_eq!(
        (e.id.as_str(), e.operation),
        ("acme:jira:changelog-277431", Operation::IssueTransitioned)
    );
    let edit = json!({ "id": "277432", "created": "2026-09-14T08:22:00.000+0000", "author": { "accountId": "acc-2" }, "items": [ { "field": "summary" } ] });
    assert_eq!(
        run(RecordKind::JiraChangelog, edit, ctx)
            .unwrap()
            .event
            .operation,
        Operation::IssueUpdated
    );
}

#[test]
fn a_confluence_audit_record_gets_a_stable_digest_id_and_epoch_milliseconds_become_utc() {
    let raw = json!({
        "author": { "type": "user", "displayName": "Jonas Weber", "accountId": "5d7e" },
        "remoteAddress": "192.0.2.44", "creationDate": 1789646400123_i64, "summary": "Added user to group",
        "description": "", "category": "Users and groups", "sysAdmin": false,
        "affectedObject": { "name": "José Núñez", "objectType": "User" },
        "changedValues": [], "associatedObjects": [ { "name": "confluence-administrators", "objectType": "Group" } ]
    });
    let first = run(RecordKind::ConfluenceAudit, raw.clone(), Value::Null)
        .unwrap()
        .event;
    let again = run(RecordKind::ConfluenceAudit, raw, Value::Null)
        .unwrap()
        .event;
    assert_eq!(first.id, again.id);
    assert!(
        first.id.as_str().starts_with("acme:confluence:audit-")
            && first.id.as_str().len() == "acme:confluence:audit-".len() + 16
    );
    assert_eq!(
        first.occurred_at,
        Utc.timestamp_millis_opt(1789646400123).unwrap()
    );
    assert_eq!(
        first.operation,
        Operation::AdminGranted,
        "joining an administrators group"
    );
    assert_eq!(first.object_type.as_deref(), Some("group"));
    assert_eq!(
        first.object_ref.unwrap().name.as_deref(),
        Some("confluence-administrators"),
        "the object of a membership change is the group, as in Jira and the organization"
    );
}

#[test]
fn a_confluence_record_that_is_no_membership_change_keeps_its_affected_object() {
    let raw = json!({
        "author": { "type": "user", "displayName": "Jonas Weber", "accountId": "5d7e" },
        "remoteAddress": "192.0.2.44", "creationDate": 1789646400123_i64, "summary": "Space exported",
        "affectedObject": { "name": "Engineering", "objectType": "Space" },
        "associatedObjects": [ { "name": "confluence-users", "objectType": "Group" } ]
    });
    let e = run(RecordKind::ConfluenceAudit, raw, Value::Null)
        .unwrap()
        .event;
    assert_eq!(e.operation, Operation::ContentExported);
    assert_eq!(
        (
            e.object_type.as_deref(),
            e.object_ref.unwrap().name.as_deref()
        ),
        (Some("space"), Some("Engineering"))
    );
}

#[test]
fn confluence_versions_are_creations_updates_or_blog_posts() {
    let ctx = json!({ "contentType": "page", "id": "4128772", "title": "Postmortem", "spaceId": "65538" });
    let v1 = json!({ "number": 1, "authorId": "acc-3", "createdAt": "2026-09-13T19:02:44.120Z" });
    let e = run(RecordKind::ConfluenceVersion, v1, ctx.clone())
        .unwrap()
        .event;
    assert_eq!(
        (e.id.as_str(), e.operation),
        ("acme:confluence:page-4128772-v1", Operation::PageCreated)
    );
    let v7 = json!({ "number": 7, "authorId": "acc-3", "createdAt": "2026-09-14T07:55:31.004Z" });
    assert_eq!(
        run(RecordKind::ConfluenceVersion, v7, ctx)
            .unwrap()
            .event
            .operation,
        Operation::PageUpdated
    );
    let blog = json!({ "contentType": "blogpost", "id": "77", "title": "News" });
    let e = run(
        RecordKind::ConfluenceVersion,
        json!({ "number": 2, "createdAt": "2026-09-14T07:55:31Z" }),
        blog,
    )
    .unwrap()
    .event;
    assert_eq!(
        (e.id.as_str(), e.operation),
        (
            "acme:confluence:blogpost-77-v2",
            Operation::BlogpostPublished
        )
    );
}

#[test]
fn bitbucket_commits_keep_the_authors_email_and_offsets_become_utc() {
    let ctx = json!({ "slug": "exporter", "fullName": "acme/exporter" });
    let commit = json!({ "hash": "9c2f1e7a5b3d4c6e8f0a", "date": "2026-09-12T16:40:11+09:00",
        "author": { "raw": "Mei Lin <Mei.Lin@example.org>" }, "summary": { "raw": "Fix retry loop\n\nbody" } });
    let n = run(RecordKind::BitbucketCommit, commit, ctx.clone()).unwrap();
    assert_eq!(
        n.event.id.as_str(),
        "acme:bitbucket:commit-exporter-9c2f1e7a5b3d4c6e8f0a"
    );
    assert_eq!(n.event.occurred_at, at("2026-09-12T07:40:11Z"));
    assert_eq!(
        n.event.object_ref.as_ref().unwrap().name.as_deref(),
        Some("Fix retry loop")
    );
    assert_eq!(
        n.actor.unwrap().email.as_deref(),
        Some("mei.lin@example.org")
    );

    let pr = json!({ "id": 412, "title": "Add cursor persistence", "state": "MERGED",
        "author": { "account_id": "acc-4" }, "closed_by": { "account_id": "acc-5" },
        "created_on": "2026-09-08T09:14:02.331455+00:00", "updated_on": "2026-09-11T17:02:45.908112+00:00" });
    let opened = run(RecordKind::BitbucketPrOpened, pr.clone(), ctx.clone()).unwrap();
    assert_eq!(
        (opened.event.id.as_str(), opened.event.operation),
        ("acme:bitbucket:pr-exporter-412-opened", Operation::PrOpened)
    );
    let merged = run(RecordKind::BitbucketPrClosed, pr, ctx).unwrap();
    assert_eq!(
        (merged.event.id.as_str(), merged.event.operation),
        ("acme:bitbucket:pr-exporter-412-merged", Operation::PrMerged)
    );
    assert_eq!(
        merged.actor.unwrap().account_id.as_deref(),
        Some("acc-5"),
        "the person who merged"
    );
}

#[test]
fn jsm_requests_are_created_and_resolved() {
    let raw = json!({ "issueId": "20317", "issueKey": "SUP-1042", "summary": "VPN drops", "serviceDeskId": "3",
        "createdDate": { "iso8601": "2026-09-13T09:41:00+0000", "epochMillis": 1789292460000_i64 },
        "currentStatus": { "status": "Resolved", "statusCategory": "DONE", "statusDate": { "iso8601": "2026-09-14T10:00:00+0000" } },
        "reporter": { "accountId": "qm:1b2c", "displayName": "Lukas Braun", "emailAddress": "lukas@example.net" } });
    let created = run(RecordKind::JsmRequestCreated, raw.clone(), Value::Null).unwrap();
    assert_eq!(created.event.id.as_str(), "acme:jsm:request-20317-created");
    assert_eq!(
        created.event.occurred_at,
        Utc.timestamp_millis_opt(1789292460000).unwrap()
    );
    assert_eq!(
        created.actor.unwrap().email.as_deref(),
        Some("lukas@example.net")
    );
    let resolved = run(RecordKind::JsmRequestResolved, raw, Value::Null).unwrap();
    assert_eq!(
        (resolved.event.id.as_str(), resolved.event.operation),
        (
            "acme:jsm:request-20317-resolved",
            Operation::RequestResolved
        )
    );
    assert_eq!(resolved.event.occurred_at, at("2026-09-14T10:00:00Z"));
}

#[test]
fn malformed_records_are_refused_with_the_field_at_fault() {
    let no_time = json!({ "id": "x", "attributes": { "action": "user_login" } });
    assert_eq!(
        run(RecordKind::OrgEvent, no_time, Value::Null).unwrap_err(),
        NormalizeError::Missing("attributes.time")
    );
    let bad_time = json!({ "id": 1, "summary": "s", "created": "last tuesday" });
    assert!(matches!(
        run(RecordKind::JiraAudit, bad_time, Value::Null),
        Err(NormalizeError::BadTime {
            field: "created",
            ..
        })
    ));
    let no_id = json!({ "summary": "s", "created": "2026-09-10T14:03:21.456+0000" });
    assert_eq!(
        run(RecordKind::JiraAudit, no_id, Value::Null).unwrap_err(),
        NormalizeError::Missing("id")
    );
    let control =
        json!({ "id": "a\u{0}b", "attributes": { "time": "2026-09-14T08:12:03Z", "action": "x" } });
    assert!(matches!(
        run(RecordKind::OrgEvent, control, Value::Null),
        Err(NormalizeError::BadId(_))
    ));
    let open_pr = json!({ "id": 1, "state": "OPEN", "updated_on": "2026-09-11T17:02:45+00:00" });
    assert!(matches!(
        run(
            RecordKind::BitbucketPrClosed,
            open_pr,
            json!({ "slug": "r" })
        ),
        Err(NormalizeError::BadValue { field: "state", .. })
    ));
    assert!(matches!(
        run(RecordKind::OrgEvent, json!("not an object"), Value::Null),
        Err(NormalizeError::Missing("id"))
    ));
}
