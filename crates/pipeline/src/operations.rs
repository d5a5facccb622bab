//! The operation vocabulary: how each product's own action names map onto [`Operation`].
//!
//! Organization events name actions with keys (`user_added_to_group`); Jira and Confluence audit
//! records with English summaries ("User added to group"). Both go through one mapping: the name is
//! lower-cased with `_` read as a space, looked up in [`EXACT`], and otherwise matched by the
//! ordered keyword [`RULES`]; what matches nothing is `audit_other` (the original name stays in the
//! raw payload). Group-membership changes on administrator groups become admin grants and
//! revocations ([`escalate_admin`]), and so do role grants and revocations of an administrator
//! role, when the record names the role ([`escalate_admin_role`]).

use domain::Operation;

/// Source action names with a fixed meaning (normalised: lower case, spaces for `_`).
pub const EXACT: &[(&str, Operation)] = &[
    // Organization audit log action keys.
    ("user login", Operation::Login),
    ("user logged in", Operation::Login),
    ("user login failed", Operation::LoginFailed),
    ("user logout", Operation::Logout),
    ("user logged in as user", Operation::UserImpersonated),
    ("twosv disabled for user", Operation::MfaDisabled),
    ("two step verification disabled", Operation::MfaDisabled),
    (
        "two step verification enforcement removed",
        Operation::MfaDisabled,
    ),
    ("2fa disabled", Operation::MfaDisabled),
    ("mfa disabled", Operation::MfaDisabled),
    (
        "authentication policy updated",
        Operation::AuthPolicyChanged,
    ),
    ("sso configuration updated", Operation::AuthPolicyChanged),
    ("saml configuration changed", Operation::AuthPolicyChanged),
    ("password policy updated", Operation::AuthPolicyChanged),
    ("ip allowlist updated", Operation::AuthPolicyChanged),
    ("user added to group", Operation::UserAddedToGroup),
    ("user removed from group", Operation::UserRemovedFromGroup),
    ("group created", Operation::GroupCreated),
    ("group deleted", Operation::GroupDeleted),
    ("org admin role granted", Operation::AdminGranted),
    ("org admin role revoked", Operation::AdminRevoked),
    ("site admin role granted", Operation::AdminGranted),
    ("site admin role revoked", Operation::AdminRevoked),
    ("added org admin", Operation::AdminGranted),
    ("removed org admin", Operation::AdminRevoked),
    ("group granted admin access", Operation::AdminGranted),
    ("group revoked admin access", Operation::AdminRevoked),
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
    // The key names no role: an administrator role is escalated by `escalate_admin_role` when
    // the record names it, and otherwise stays a role grant.
    ("user granted role", Operation::RoleGranted),
    ("user revoked role", Operation::RoleRevoked),
    ("product access granted", Operation::RoleGranted),
    ("product access revoked", Operation::RoleRevoked),
    ("user details exported", Operation::ContentExported),
    ("site export", Operation::ContentExported),
    ("api token created", Operation::ApiTokenCreated),
    ("api token revoked", Operation::ApiTokenRevoked),
    // An organization API key is an admin credential; a user's API token is not.
    ("admin api key created", Operation::ApiKeyCreated),
    ("api key created", Operation::ApiKeyCreated),
    ("api key revoked", Operation::ApiTokenRevoked),
    // A policy of unnamed kind is a setting; authentication policies are named above.
    ("policy updated", Operation::SettingsChanged),
    (
        "audit log settings updated",
        Operation::AuditSettingsChanged,
    ),
    (
        "audit log configuration updated",
        Operation::AuditSettingsChanged,
    ),
    (
        "audit log retention changed",
        Operation::AuditSettingsChanged,
    ),
    (
        "data retention policy updated",
        Operation::AuditSettingsChanged,
    ),
    ("anonymous access enabled", Operation::PublicAccessEnabled),
    ("anonymous access granted", Operation::PublicAccessEnabled),
    ("public access enabled", Operation::PublicAccessEnabled),
    ("public link created", Operation::PublicAccessEnabled),
    ("space made public", Operation::PublicAccessEnabled),
    ("repository made public", Operation::PublicAccessEnabled),
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
    ("issue deleted", Operation::ContentDeleted),
    // Confluence audit summaries.
    ("added user to group", Operation::UserAddedToGroup),
    ("removed user from group", Operation::UserRemovedFromGroup),
    ("space permission added", Operation::PermissionChanged),
    ("space permission removed", Operation::PermissionChanged),
    ("global permission removed", Operation::PermissionChanged),
    ("space created", Operation::ContainerCreated),
    ("space deleted", Operation::ContainerDeleted),
    ("page deleted", Operation::ContentDeleted),
    ("page trashed", Operation::ContentDeleted),
    ("page purged", Operation::ContentDeleted),
    ("blog post deleted", Operation::ContentDeleted),
    ("attachment deleted", Operation::ContentDeleted),
    ("space exported", Operation::ContentExported),
    ("space export completed", Operation::ContentExported),
    ("site backup completed", Operation::ContentExported),
    ("site settings updated", Operation::SettingsChanged),
];

/// Keyword rules, first match wins: every listed word must occur in the name.
pub const RULES: &[(&[&str], Operation)] = &[
    (&["login", "fail"], Operation::LoginFailed),
    (&["logged", "fail"], Operation::LoginFailed),
    // Acting as someone else, before the sign-in rules whose words it shares.
    (&["impersonat"], Operation::UserImpersonated),
    (&["logged in as"], Operation::UserImpersonated),
    (&["logout"], Operation::Logout),
    (&["logged out"], Operation::Logout),
    (&["login"], Operation::Login),
    (&["logged in"], Operation::Login),
    // API keys before the admin rules: "admin api key revoked" is not an admin losing rights.
    (&["api key", "creat"], Operation::ApiKeyCreated),
    (&["api key", "revok"], Operation::ApiTokenRevoked),
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
    // Opening something to everyone, before the access rules ("anonymous access granted" is no
    // role granted to anyone).
    (
        &["anonymous access", "enabl"],
        Operation::PublicAccessEnabled,
    ),
    (
        &["anonymous access", "grant"],
        Operation::PublicAccessEnabled,
    ),
    (&["public access", "enabl"], Operation::PublicAccessEnabled),
    (&["public link", "creat"], Operation::PublicAccessEnabled),
    (&["made public"], Operation::PublicAccessEnabled),
    (&["role", "grant"], Operation::RoleGranted),
    (&["role", "assign"], Operation::RoleGranted),
    (&["role", "revok"], Operation::RoleRevoked),
    (&["role", "remov"], Operation::RoleRevoked),
    (&["access", "grant"], Operation::RoleGranted),
    (&["access", "revok"], Operation::RoleRevoked),
    // Second factors switched off, before the permission and settings rules.
    (&["two step", "disabl"], Operation::MfaDisabled),
    (&["two step", "remov"], Operation::MfaDisabled),
    (&["twosv", "disabl"], Operation::MfaDisabled),
    (&["twosv", "remov"], Operation::MfaDisabled),
    (&["2fa", "disabl"], Operation::MfaDisabled),
    (&["mfa", "disabl"], Operation::MfaDisabled),
    (&["multi factor", "disabl"], Operation::MfaDisabled),
    (&["permission"], Operation::PermissionChanged),
    // Phrases, not words: "project role deleted" or "page trashed in space" delete
    // something inside a container, not the container.
    (&["project deleted"], Operation::ContainerDeleted),
    (&["project moved to", "trash"], Operation::ContainerDeleted),
    (&["space deleted"], Operation::ContainerDeleted),
    (&["space purged"], Operation::ContainerDeleted),
    (&["space moved to", "trash"], Operation::ContainerDeleted),
    (&["repository deleted"], Operation::ContainerDeleted),
    // Content inside a container, by phrase too: "issue type deleted" removes configuration.
    (&["issue deleted"], Operation::ContentDeleted),
    (&["issues deleted"], Operation::ContentDeleted),
    (&["page deleted"], Operation::ContentDeleted),
    (&["page trashed"], Operation::ContentDeleted),
    (&["page purged"], Operation::ContentDeleted),
    (&["page moved to", "trash"], Operation::ContentDeleted),
    (&["blog post deleted"], Operation::ContentDeleted),
    (&["blogpost deleted"], Operation::ContentDeleted),
    (&["attachment deleted"], Operation::ContentDeleted),
    (&["comment deleted"], Operation::ContentDeleted),
    (&["export"], Operation::ContentExported),
    // What evidence is kept and for how long; after exports ("audit log exported" takes data
    // out), before the settings and policy rules.
    (&["audit log", "setting"], Operation::AuditSettingsChanged),
    (&["audit log", "configur"], Operation::AuditSettingsChanged),
    (&["audit log", "disabl"], Operation::AuditSettingsChanged),
    (&["retention"], Operation::AuditSettingsChanged),
    (&["user", "deactivat"], Operation::UserDeactivated),
    (&["user", "creat"], Operation::UserCreated),
    // How people sign in; late, because an account or a membership changed "via SAML" or "by
    // the identity provider" is that change. Phrases where a word alone sits inside others
    // ("sso" is in "associated").
    (&["authentication policy"], Operation::AuthPolicyChanged),
    (&["sso configur"], Operation::AuthPolicyChanged),
    (&["sso setting"], Operation::AuthPolicyChanged),
    (&["single sign on"], Operation::AuthPolicyChanged),
    (&["saml"], Operation::AuthPolicyChanged),
    (&["identity provider"], Operation::AuthPolicyChanged),
    (&["password policy"], Operation::AuthPolicyChanged),
    (&["ip allowlist"], Operation::AuthPolicyChanged),
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

/// Turns a grant or revocation of an administrator role into an admin grant or revocation.
/// `role` is the role the record names (organization `user_granted_role` events name none in
/// their key; see the org normaliser for where a role is read from): a name containing
/// `admin` (`site-admin`, `org-admin`, `atlassian/admin`) is an administrator role.
pub fn escalate_admin_role(op: Operation, role: Option<&str>) -> Operation {
    let is_admin_role = role.is_some_and(|r| normalise(r).contains("admin"));
    match op {
        Operation::RoleGranted if is_admin_role => Operation::AdminGranted,
        Operation::RoleRevoked if is_admin_role => Operation::AdminRevoked,
        other => other,
    }
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
            ("admin_impersonation_started", Operation::UserImpersonated),
            (
                "Admin logged in as Zoë Ångström",
                Operation::UserImpersonated,
            ),
            ("org_api_key_created", Operation::ApiKeyCreated),
            ("admin_api_key_revoked", Operation::ApiTokenRevoked),
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
            (
                "Anonymous access enabled for space",
                Operation::PublicAccessEnabled,
            ),
            (
                "Anonymous access granted to the site",
                Operation::PublicAccessEnabled,
            ),
            (
                "public_access_enabled_for_repo",
                Operation::PublicAccessEnabled,
            ),
            (
                "Public link created for page",
                Operation::PublicAccessEnabled,
            ),
            ("Blog made public", Operation::PublicAccessEnabled),
            ("jira_product_access_granted", Operation::RoleGranted),
            ("confluence_product_access_revoked", Operation::RoleRevoked),
            (
                "Two-step verification disabled by admin",
                Operation::MfaDisabled,
            ),
            (
                "Two-step verification requirement removed",
                Operation::MfaDisabled,
            ),
            ("twosv_disabled", Operation::MfaDisabled),
            ("twosv_enforcement_removed", Operation::MfaDisabled),
            ("user_2fa_disabled", Operation::MfaDisabled),
            ("MFA disabled for the organization", Operation::MfaDisabled),
            (
                "Multi-factor authentication disabled",
                Operation::MfaDisabled,
            ),
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
            ("Issue deleted permanently", Operation::ContentDeleted),
            ("Issues deleted in bulk", Operation::ContentDeleted),
            ("Page deleted from space", Operation::ContentDeleted),
            ("Page trashed in space", Operation::ContentDeleted),
            ("Page purged from the trash", Operation::ContentDeleted),
            ("Page moved to the trash", Operation::ContentDeleted),
            ("Blog post deleted from space", Operation::ContentDeleted),
            ("blogpost_deleted", Operation::ContentDeleted),
            ("Attachment deleted from page", Operation::ContentDeleted),
            ("Comment deleted from issue", Operation::ContentDeleted),
            ("personal_access_token_created", Operation::ApiTokenCreated),
            ("personal_access_token_revoked", Operation::ApiTokenRevoked),
            ("Issues exported to CSV", Operation::ContentExported),
            (
                "Audit log settings changed",
                Operation::AuditSettingsChanged,
            ),
            (
                "audit_log_configuration_edited",
                Operation::AuditSettingsChanged,
            ),
            ("Audit logging disabled", Operation::AuditSettingsChanged),
            ("Retention rules changed", Operation::AuditSettingsChanged),
            (
                "User account deactivated by admin",
                Operation::UserDeactivated,
            ),
            ("managed_user_created", Operation::UserCreated),
            (
                "authentication_policy_changed",
                Operation::AuthPolicyChanged,
            ),
            ("SSO configuration deleted", Operation::AuthPolicyChanged),
            ("sso_settings_changed", Operation::AuthPolicyChanged),
            ("Single sign-on enforced", Operation::AuthPolicyChanged),
            ("SAML certificate rotated", Operation::AuthPolicyChanged),
            ("identity_provider_linked", Operation::AuthPolicyChanged),
            ("Password policy changed", Operation::AuthPolicyChanged),
            ("IP allowlist rule added", Operation::AuthPolicyChanged),
            ("Mail server settings changed", Operation::SettingsChanged),
            ("Mobile app policy changed", Operation::SettingsChanged),
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
            "Issue type deleted",
            "Repository branch deleted",
            "App added to the organization",
            "Domain removed from organization",
            "Audit log viewed",
            "Two-step verification enabled",
            "Public access disabled",
        ] {
            assert_eq!(audit_operation(name), Operation::AuditOther, "{name}");
        }
    }

    /// Names that carry a new rule's words inside other words or phrases, and keep the meaning
    /// they had.
    #[test]
    fn names_that_only_contain_a_security_rules_words_keep_their_meaning() {
        for (name, op) in [
            (
                "Workflow associated configuration updated",
                Operation::SettingsChanged,
            ),
            ("User logged in with single sign-on", Operation::Login),
            ("User added to group via SAML", Operation::UserAddedToGroup),
            (
                "User created by the identity provider",
                Operation::UserCreated,
            ),
            ("Audit log exported", Operation::ContentExported),
            ("user_login_failed", Operation::LoginFailed),
        ] {
            assert_eq!(audit_operation(name), op, "{name}");
        }
    }

    /// The source names the detection pack relies on, exactly as the sources write them.
    #[test]
    fn every_detection_source_name_maps_to_its_operation() {
        let cases = [
            ("user_logged_in_as_user", Operation::UserImpersonated),
            ("User logged in as user", Operation::UserImpersonated),
            ("Admin impersonated user", Operation::UserImpersonated),
            ("twosv_disabled_for_user", Operation::MfaDisabled),
            ("Two-step verification disabled", Operation::MfaDisabled),
            ("2FA disabled", Operation::MfaDisabled),
            ("MFA disabled", Operation::MfaDisabled),
            (
                "Two-step verification enforcement removed",
                Operation::MfaDisabled,
            ),
            (
                "Authentication policy updated",
                Operation::AuthPolicyChanged,
            ),
            (
                "authentication_policy_updated",
                Operation::AuthPolicyChanged,
            ),
            ("SSO configuration updated", Operation::AuthPolicyChanged),
            ("SAML configuration changed", Operation::AuthPolicyChanged),
            ("Identity provider added", Operation::AuthPolicyChanged),
            ("Password policy updated", Operation::AuthPolicyChanged),
            ("IP allowlist updated", Operation::AuthPolicyChanged),
            ("policy_updated", Operation::SettingsChanged),
            ("admin_api_key_created", Operation::ApiKeyCreated),
            ("Admin API key created", Operation::ApiKeyCreated),
            ("api_key_created", Operation::ApiKeyCreated),
            ("api_token_created", Operation::ApiTokenCreated),
            (
                "Audit log settings updated",
                Operation::AuditSettingsChanged,
            ),
            (
                "Audit log configuration updated",
                Operation::AuditSettingsChanged,
            ),
            (
                "Audit log retention changed",
                Operation::AuditSettingsChanged,
            ),
            (
                "Data retention policy updated",
                Operation::AuditSettingsChanged,
            ),
            ("Retention policy applied", Operation::AuditSettingsChanged),
            ("Anonymous access enabled", Operation::PublicAccessEnabled),
            ("Public access enabled", Operation::PublicAccessEnabled),
            ("Public link created", Operation::PublicAccessEnabled),
            ("Space made public", Operation::PublicAccessEnabled),
            ("Repository made public", Operation::PublicAccessEnabled),
            ("Anonymous access granted", Operation::PublicAccessEnabled),
            ("Issue deleted", Operation::ContentDeleted),
            ("Page deleted", Operation::ContentDeleted),
            ("Page trashed", Operation::ContentDeleted),
            ("Page purged", Operation::ContentDeleted),
            ("Blog post deleted", Operation::ContentDeleted),
            ("Attachment deleted", Operation::ContentDeleted),
            ("Project deleted", Operation::ContainerDeleted),
            ("Space deleted", Operation::ContainerDeleted),
            ("bitbucket_repository_deleted", Operation::ContainerDeleted),
            ("added_org_admin", Operation::AdminGranted),
            ("group_granted_admin_access", Operation::AdminGranted),
            ("user_granted_role", Operation::RoleGranted),
        ];
        for (name, op) in cases {
            assert_eq!(audit_operation(name), op, "{name}");
        }
    }

    #[test]
    fn a_role_grant_of_an_administrator_role_is_an_admin_grant() {
        assert_eq!(
            escalate_admin_role(Operation::RoleGranted, Some("atlassian/site-admin")),
            Operation::AdminGranted
        );
        assert_eq!(
            escalate_admin_role(Operation::RoleRevoked, Some("Org Admin")),
            Operation::AdminRevoked
        );
        assert_eq!(
            escalate_admin_role(Operation::RoleGranted, Some("atlassian/user")),
            Operation::RoleGranted
        );
        assert_eq!(
            escalate_admin_role(Operation::RoleGranted, None),
            Operation::RoleGranted,
            "a role the record does not name stays a role grant"
        );
        assert_eq!(
            escalate_admin_role(Operation::Login, Some("site-admin")),
            Operation::Login
        );
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
