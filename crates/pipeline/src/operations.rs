//! The operation vocabulary: how each product's own action names map onto [`Operation`].
//!
//! Organization events name actions with keys (`user_added_to_group`); Jira and Confluence audit
//! records with English summaries ("User added to group"). Both go through one mapping: the name is
//! lower-cased with `_` read as a space, looked up in [`EXACT`], and otherwise matched by the
//! ordered keyword [`RULES`]; what matches nothing is `audit_other` (the original name stays in the
//! raw payload). Group-membership changes on administrator groups become admin grants and
//! revocations ([`escalate_admin`]).

use domain::Operation;

/// Source action names with a fixed meaning (normalised: lower case, spaces for `_`).
pub const EXACT: &[(&str, Operation)] = &[
    // Organization audit log action keys.
    ("user login", Operation::Login),
    ("user logged in", Operation::Login),
    ("user login failed", Operation::LoginFailed),
    ("user logout", Operation::Logout),
    ("user added to group", Operation::UserAddedToGroup),
    ("user removed from group", Operation::UserRemovedFromGroup),
    ("group created", Operation::GroupCreated),
    ("group deleted", Operation::GroupDeleted),
    ("org admin role granted", Operation::AdminGranted),
    ("org admin role revoked", Operation::AdminRevoked),
    ("site admin role granted", Operation::AdminGranted),
    ("site admin role revoked", Operation::AdminRevoked),
    ("user invited", Operation::UserCreated),
    ("user created", Operation::UserCreated),
    ("user deactivated", Operation::UserDeactivated),
    ("user suspended", Operation::UserDeactivated),
    ("user access suspended", Operation::UserDeactivated),
    ("user added to organization", Operation::UserAddedToOrg),
    ("user added to the organization", Operation::UserAddedToOrg),
    ("user added to org", Operation::UserAddedToOrg),
    (
        "user removed from organization",
        Operation::UserRemovedFromOrg,
    ),
    (
        "user removed from the organization",
        Operation::UserRemovedFromOrg,
    ),
    ("user removed from org", Operation::UserRemovedFromOrg),
    ("user granted role", Operation::RoleGranted),
    ("user revoked role", Operation::RoleRevoked),
    ("product access granted", Operation::RoleGranted),
    ("product access revoked", Operation::RoleRevoked),
    ("user details exported", Operation::ContentExported),
    ("site export", Operation::ContentExported),
    ("api token created", Operation::ApiTokenCreated),
    ("api token revoked", Operation::ApiTokenRevoked),
    ("api key created", Operation::ApiTokenCreated),
    ("api key revoked", Operation::ApiTokenRevoked),
    ("policy updated", Operation::SettingsChanged),
    (
        "confluence added space permission",
        Operation::PermissionChanged,
    ),
    (
        "confluence removed space permission",
        Operation::PermissionChanged,
    ),
    // Jira audit summaries.
    ("permission scheme updated", Operation::PermissionChanged),
    (
        "permission added to permission scheme",
        Operation::PermissionChanged,
    ),
    (
        "permission deleted from permission scheme",
        Operation::PermissionChanged,
    ),
    ("project roles changed", Operation::PermissionChanged),
    ("global permission added", Operation::PermissionChanged),
    ("global permission deleted", Operation::PermissionChanged),
    ("project created", Operation::ContainerCreated),
    ("project deleted", Operation::ContainerDeleted),
    ("project moved to trash", Operation::ContainerDeleted),
    // Confluence audit summaries.
    ("added user to group", Operation::UserAddedToGroup),
    ("removed user from group", Operation::UserRemovedFromGroup),
    ("space permission added", Operation::PermissionChanged),
    ("space permission removed", Operation::PermissionChanged),
    ("global permission removed", Operation::PermissionChanged),
    ("space created", Operation::ContainerCreated),
    ("space deleted", Operation::ContainerDeleted),
    ("space exported", Operation::ContentExported),
    ("space export completed", Operation::ContentExported),
    ("site backup completed", Operation::ContentExported),
    ("site settings updated", Operation::SettingsChanged),
];

/// Keyword rules, first match wins: every listed word must occur in the name.
pub const RULES: &[(&[&str], Operation)] = &[
    (&["login", "fail"], Operation::LoginFailed),
    (&["logged", "fail"], Operation::LoginFailed),
    (&["logout"], Operation::Logout),
    (&["logged out"], Operation::Logout),
    (&["login"], Operation::Login),
    (&["logged in"], Operation::Login),
    (&["admin", "grant"], Operation::AdminGranted),
    (&["admin", "revok"], Operation::AdminRevoked),
    (&["to group"], Operation::UserAddedToGroup),
    (&["from group"], Operation::UserRemovedFromGroup),
    (&["group", "creat"], Operation::GroupCreated),
    (&["group", "delet"], Operation::GroupDeleted),
    (&["token", "creat"], Operation::ApiTokenCreated),
    (&["token", "revok"], Operation::ApiTokenRevoked),
    // An account, not an app, domain or policy, joining or leaving (membership of a group in the
    // organization is caught by "to group" / "from group" above).
    (&["user", "added to", "organi"], Operation::UserAddedToOrg),
    (
        &["user", "removed from", "organi"],
        Operation::UserRemovedFromOrg,
    ),
    (&["role", "grant"], Operation::RoleGranted),
    (&["role", "assign"], Operation::RoleGranted),
    (&["role", "revok"], Operation::RoleRevoked),
    (&["role", "remov"], Operation::RoleRevoked),
    (&["access", "grant"], Operation::RoleGranted),
    (&["access", "revok"], Operation::RoleRevoked),
    (&["permission"], Operation::PermissionChanged),
    // Phrases, not words: "project role deleted" or "page trashed in space" delete
    // something inside a container, not the container.
    (&["project deleted"], Operation::ContainerDeleted),
    (&["project moved to", "trash"], Operation::ContainerDeleted),
    (&["space deleted"], Operation::ContainerDeleted),
    (&["space purged"], Operation::ContainerDeleted),
    (&["space moved to", "trash"], Operation::ContainerDeleted),
    (&["repository deleted"], Operation::ContainerDeleted),
    (&["export"], Operation::ContentExported),
    (&["user", "deactivat"], Operation::UserDeactivated),
    (&["user", "creat"], Operation::UserCreated),
    (&["setting"], Operation::SettingsChanged),
    (&["policy"], Operation::SettingsChanged),
    (&["configur"], Operation::SettingsChanged),
];

/// Groups whose membership makes someone an administrator.
pub const ADMIN_GROUPS: &[&str] = &[
    "site-admins",
    "org-admins",
    "administrators",
    "jira-administrators",
    "jira-admins",
    "confluence-administrators",
    "confluence-admins",
    "system-administrators",
    "bitbucket-admins",
];

fn normalise(name: &str) -> String {
    name.trim().to_lowercase().replace(['_', '-'], " ")
}

/// The operation of an audit action name (an org action key or a product audit summary).
pub fn audit_operation(name: &str) -> Operation {
    let name = normalise(name);
    if let Some((_, op)) = EXACT.iter().find(|(key, _)| *key == name) {
        return *op;
    }
    RULES
        .iter()
        .find(|(words, _)| words.iter().all(|w| name.contains(w)))
        .map_or(Operation::AuditOther, |(_, op)| *op)
}

/// Turns a membership change on an administrator group into an admin grant or revocation.
pub fn escalate_admin(op: Operation, group_name: Option<&str>) -> Operation {
    let is_admin_group =
        group_name.is_some_and(|g| ADMIN_GROUPS.contains(&g.trim().to_lowercase().as_str()));
    match op {
        Operation::UserAddedToGroup if is_admin_group => Operation::AdminGranted,
        Operation::UserRemovedFromGroup if is_admin_group => Operation::AdminRevoked,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exact_entry_maps_as_listed_whatever_its_spelling() {
        for (name, op) in EXACT {
            assert_eq!(audit_operation(name), *op, "{name}");
            assert_eq!(
                audit_operation(&name.replace(' ', "_")),
                *op,
                "{name} as a key"
            );
            assert_eq!(
                audit_operation(&name.to_uppercase()),
                *op,
                "{name} in capitals"
            );
        }
    }

    #[test]
    fn exact_names_are_unique_and_already_normalised() {
        let mut names: Vec<_> = EXACT.iter().map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EXACT.len());
        assert!(EXACT.iter().all(|(n, _)| normalise(n) == *n));
    }

    #[test]
    fn each_keyword_rule_catches_an_unlisted_name() {
        let cases = [
            ("user_login_failed_mfa", Operation::LoginFailed),
            (
                "User failed to log in (logged attempt failed)",
                Operation::LoginFailed,
            ),
            ("user_logout_all_sessions", Operation::Logout),
            ("User logged out of Bitbucket", Operation::Logout),
            ("user_login_with_sso", Operation::Login),
            ("User logged in via Google", Operation::Login),
            ("product_admin_granted", Operation::AdminGranted),
            ("product_admin_revoked", Operation::AdminRevoked),
            ("Member added to group", Operation::UserAddedToGroup),
            ("Member removed from group", Operation::UserRemovedFromGroup),
            ("external_group_created", Operation::GroupCreated),
            ("external_group_deleted", Operation::GroupDeleted),
            (
                "User added to the organisation via SCIM",
                Operation::UserAddedToOrg,
            ),
            (
                "user_removed_from_organization_by_sync",
                Operation::UserRemovedFromOrg,
            ),
            ("user_role_granted", Operation::RoleGranted),
            ("Project role assigned to user", Operation::RoleGranted),
            ("user_role_revoked", Operation::RoleRevoked),
            ("Role removed from user", Operation::RoleRevoked),
            ("jira_product_access_granted", Operation::RoleGranted),
            ("confluence_product_access_revoked", Operation::RoleRevoked),
            (
                "Issue security level permission changed",
                Operation::PermissionChanged,
            ),
            ("Project deleted permanently", Operation::ContainerDeleted),
            ("Project moved to the trash", Operation::ContainerDeleted),
            ("Space deleted permanently", Operation::ContainerDeleted),
            ("Space purged from the trash", Operation::ContainerDeleted),
            ("Space moved to the trash", Operation::ContainerDeleted),
            ("bitbucket_repository_deleted", Operation::ContainerDeleted),
            ("personal_access_token_created", Operation::ApiTokenCreated),
            ("personal_access_token_revoked", Operation::ApiTokenRevoked),
            ("Issues exported to CSV", Operation::ContentExported),
            (
                "User account deactivated by admin",
                Operation::UserDeactivated,
            ),
            ("managed_user_created", Operation::UserCreated),
            ("Mail server settings changed", Operation::SettingsChanged),
            ("authentication_policy_changed", Operation::SettingsChanged),
            ("Workflow configuration edited", Operation::SettingsChanged),
        ];
        assert_eq!(cases.len(), RULES.len(), "one case per rule");
        for (name, op) in cases {
            assert_eq!(audit_operation(name), op, "{name}");
        }
    }

    /// Names that share a rule's words but not its meaning: deleting something inside a
    /// container, or adding something other than an account to the organization.
    #[test]
    fn near_misses_do_not_take_a_rule_they_only_share_words_with() {
        for name in [
            "Project role deleted",
            "Project component deleted",
            "Page moved to the trash",
            "Page trashed in space",
            "Blog post deleted from space",
            "Repository branch deleted",
            "App added to the organization",
            "Domain removed from organization",
        ] {
            assert_eq!(audit_operation(name), Operation::AuditOther, "{name}");
        }
    }

    #[test]
    fn unknown_actions_are_audit_other() {
        assert_eq!(
            audit_operation("workflow_scheme_published"),
            Operation::AuditOther
        );
        assert_eq!(audit_operation(""), Operation::AuditOther);
    }

    #[test]
    fn membership_of_an_admin_group_is_an_admin_grant() {
        assert_eq!(
            escalate_admin(Operation::UserAddedToGroup, Some("site-admins")),
            Operation::AdminGranted
        );
        assert_eq!(
            escalate_admin(Operation::UserRemovedFromGroup, Some("Jira-Administrators")),
            Operation::AdminRevoked
        );
        assert_eq!(
            escalate_admin(Operation::UserAddedToGroup, Some("team-platform")),
            Operation::UserAddedToGroup
        );
        assert_eq!(
            escalate_admin(Operation::Login, Some("site-admins")),
            Operation::Login
        );
    }
}
