//! The built-in Atlassian detection pack. Each rule is documented in `docs/detections.md` (what,
//! why, logic, severity, false positives) and has a positive and a negative fixture test in
//! `tests/detections.rs`. Installed once at start-up; an administrator's tuning is kept.

use domain::{Dedup, Exclusions, Field, RuleId, RuleKind, RuleSpec, Severity};

struct Def {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    severity: Severity,
    filter: &'static str,
    kind: RuleKind,
    dedup_key: &'static str,
    dedup_minutes: u32,
    enabled: bool,
}

const HOUR: u32 = 60;
const DAY: u32 = 24 * 60;

fn defs() -> Vec<Def> {
    use Field::{Ip, Person};
    vec![
        Def {
            id: "admin-granted",
            name: "Administrator rights granted",
            description: "Someone became an organization admin, joined a site-admins or product-admin group, or received an admin role.",
            severity: Severity::High,
            filter: "pipeline=audit&operation=admin_granted",
            kind: RuleKind::Match,
            dedup_key: "{person}/{object}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "user-impersonation",
            name: "Administrator signed in as another user",
            description: "An admin used \"log in as user\": everything that follows is done in another person's name.",
            severity: Severity::High,
            filter: "operation=user_impersonated",
            kind: RuleKind::Match,
            dedup_key: "{person}/{object}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "mfa-or-sso-weakened",
            name: "Two-step verification or authentication policy changed",
            description: "Two-step verification was disabled, or an authentication policy, SSO/SAML setting, password policy or IP allowlist changed.",
            severity: Severity::High,
            filter: "operation=mfa_disabled%2Cauth_policy_changed",
            kind: RuleKind::Match,
            dedup_key: "{person}/{operation}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "api-credential-created",
            name: "API token or admin API key created",
            description: "A new credential that reaches Atlassian without a browser or two-step verification.",
            severity: Severity::Medium,
            filter: "operation=api_token_created%2Capi_key_created",
            kind: RuleKind::Match,
            dedup_key: "{person}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "permissions-changed",
            name: "Global permission, permission scheme or project roles changed",
            description: "Who may do what changed at the level of a site, a scheme or a project's roles.",
            severity: Severity::Medium,
            filter: "pipeline=audit&operation=permission_changed",
            kind: RuleKind::Match,
            dedup_key: "{person}",
            dedup_minutes: HOUR,
            enabled: false,
        },
        Def {
            id: "audit-settings-changed",
            name: "Audit log or retention settings changed",
            description: "The settings that decide what evidence is kept, and for how long, were changed.",
            severity: Severity::High,
            filter: "operation=audit_settings_changed",
            kind: RuleKind::Match,
            dedup_key: "{person}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "public-access-enabled",
            name: "Public or anonymous access enabled",
            description: "Content was opened to anyone on the internet: anonymous access, a public link, a public space or repository.",
            severity: Severity::High,
            filter: "operation=public_access_enabled",
            kind: RuleKind::Match,
            dedup_key: "{person}/{object}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "privileged-group-added",
            name: "Member added to a privileged group",
            description: "Someone joined a group whose name says it grants administration (\"admin\" in the name) but is not one of the known admin groups.",
            severity: Severity::Medium,
            filter: "operation=user_added_to_group&q=admin",
            kind: RuleKind::Match,
            dedup_key: "{person}/{object}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "brute-force-person",
            name: "Repeated failed sign-ins for one person",
            description: "Five or more failed sign-ins for one person within ten minutes: password guessing or a stolen-credential attempt.",
            severity: Severity::High,
            filter: "operation=login_failed",
            kind: RuleKind::Threshold { count: 5, window_minutes: 10, group_by: Person },
            dedup_key: "{person}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "brute-force-ip",
            name: "Repeated failed sign-ins from one address",
            description: "Ten or more failed sign-ins from one IP address within ten minutes, whoever they were for: password spraying.",
            severity: Severity::High,
            filter: "operation=login_failed",
            kind: RuleKind::Threshold { count: 10, window_minutes: 10, group_by: Ip },
            dedup_key: "{ip}",
            dedup_minutes: HOUR,
            enabled: true,
        },
        Def {
            id: "mass-deletion",
            name: "Mass deletion by one person",
            description: "Twenty or more issues, pages, spaces, projects or repositories deleted by one person within an hour.",
            severity: Severity::High,
            filter: "operation=content_deleted%2Ccontainer_deleted",
            kind: RuleKind::Threshold { count: 20, window_minutes: HOUR, group_by: Person },
            dedup_key: "{person}",
            dedup_minutes: 6 * HOUR,
            enabled: true,
        },
        Def {
            id: "mass-export",
            name: "Mass export by one person",
            description: "Five or more exports (spaces, pages, issues, user details) by one person within an hour: data leaving the products.",
            severity: Severity::High,
            filter: "operation=content_exported",
            kind: RuleKind::Threshold { count: 5, window_minutes: HOUR, group_by: Person },
            dedup_key: "{person}",
            dedup_minutes: 6 * HOUR,
            enabled: true,
        },
        Def {
            id: "new-ip-security-event",
            name: "Security event from a new address",
            description: "A person did something security-relevant from an IP address they have not used for 30 days.",
            severity: Severity::Medium,
            filter: "category=security&pipeline=audit",
            kind: RuleKind::NewValue { field: Ip, group_by: Person, history_days: 30 },
            dedup_key: "{person}/{ip}",
            dedup_minutes: DAY,
            enabled: false,
        },
        Def {
            id: "new-country",
            name: "Sign-in from a new country",
            description: "A person signed in from a country they have not signed in from for 30 days (where the source gives a location: organization events).",
            severity: Severity::Medium,
            filter: "operation=login",
            kind: RuleKind::NewValue { field: Field::Country, group_by: Person, history_days: 30 },
            dedup_key: "{person}/{country}",
            dedup_minutes: DAY,
            enabled: true,
        },
        Def {
            id: "unusual-volume",
            name: "Unusual activity volume for a person",
            description: "A person's events today above ten times their median day over the last 30 days, and at least 50.",
            severity: Severity::Medium,
            filter: "",
            kind: RuleKind::Baseline { group_by: Person, window_hours: 24, history_days: 30, factor: 10.0, floor: 50 },
            dedup_key: "{person}",
            dedup_minutes: DAY,
            enabled: true,
        },
        Def {
            id: "silent-source",
            name: "Silent audit source",
            description: "No audit event from a stream for 24 hours: the audit log may be off, the token's access narrowed, or the sync failing quietly.",
            severity: Severity::Medium,
            filter: "pipeline=audit",
            kind: RuleKind::Absence { silent_minutes: DAY },
            dedup_key: "{stream}",
            dedup_minutes: DAY,
            enabled: true,
        },
        Def {
            id: "sync-failing",
            name: "Sync failing or credentials refused",
            description: "A stream failed three runs in a row, Atlassian refused its credentials (401/403), or its credential expires within 14 days.",
            severity: Severity::High,
            filter: "",
            kind: RuleKind::SyncHealth { failures_in_a_row: 3, expiry_warning_days: 14 },
            dedup_key: "{stream}",
            dedup_minutes: DAY,
            enabled: true,
        },
    ]
}

/// The pack, as `(id, spec)` pairs; every spec validates (a test holds it to that).
pub fn pack() -> Vec<(RuleId, RuleSpec)> {
    defs()
        .into_iter()
        .map(|d| {
            let id = RuleId::parse(d.id).expect("built-in rule ids are valid");
            let spec = RuleSpec {
                name: d.name.to_owned(),
                description: d.description.to_owned(),
                severity: d.severity,
                filter: d.filter.to_owned(),
                kind: d.kind,
                dedup: Dedup {
                    key: d.dedup_key.to_owned(),
                    period_minutes: d.dedup_minutes,
                },
                exclusions: Exclusions::default(),
                destinations: Vec::new(),
                enabled: d.enabled,
                snoozed_until: None,
                correlation: Default::default(),
            };
            (id, spec)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_rule_validates_and_has_a_unique_id() {
        let pack = pack();
        assert!(pack.len() >= 15, "the pack has {} rules", pack.len());
        let mut ids: Vec<_> = pack.iter().map(|(id, _)| id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), pack.len());
        for (id, spec) in &pack {
            spec.check().unwrap_or_else(|e| panic!("{id}: {e}"));
        }
    }

    #[test]
    fn every_built_in_rule_is_documented() {
        let doc = include_str!("../../../docs/detections.md");
        for (id, spec) in pack() {
            assert!(
                doc.contains(&format!("`{id}`")),
                "{id} is not in docs/detections.md"
            );
            assert!(
                doc.contains(&spec.name),
                "{}'s name is not in docs/detections.md",
                spec.name
            );
        }
    }
}
