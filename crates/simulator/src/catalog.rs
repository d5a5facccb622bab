//! The fixed vocabularies records draw from: organization action keys, Jira and Confluence audit
//! summaries (every name maps to a real operation in `pipeline::operations`, except one
//! deliberately unknown org action), projects, spaces, repositories, request types and titles.
//! Weights set the mix: sign-ins dominate, privilege changes are rare. Actions of weight 0 are
//! never generated at random: only the detection scenarios (`crate::scenarios`) write them, so
//! the ordinary data never looks like an attack by accident.

/// What an organization event is about, which decides its `context`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgTarget {
    /// The site signed in to.
    Site,
    /// A group (membership changes, creation).
    Group,
    /// Another user.
    User,
    /// A Confluence space.
    Space,
    /// The organization's authentication policy.
    Policy,
    /// The organization's data-retention policy.
    RetentionPolicy,
    /// An API token.
    Token,
    /// An organization admin API key.
    ApiKey,
    /// A Marketplace app.
    App,
}

/// One organization audit action.
#[derive(Debug, Clone, Copy)]
pub struct OrgAction {
    /// The action key (`user_login`).
    pub key: &'static str,
    /// The catalogue's display name.
    pub display: &'static str,
    /// The catalogue's group name.
    pub group: &'static str,
    /// Relative frequency.
    pub weight: u32,
    /// What it acts on.
    pub target: OrgTarget,
}

const fn org(
    key: &'static str,
    display: &'static str,
    group: &'static str,
    weight: u32,
    target: OrgTarget,
) -> OrgAction {
    OrgAction {
        key,
        display,
        group,
        weight,
        target,
    }
}

/// An organization action deliberately outside the pipeline's vocabulary: it must land in
/// `audit_other`, and it is the only record that may.
pub const UNMAPPED_ORG_ACTION: &str = "marketplace_app_installed";

/// The organization actions generated, with their weights.
pub const ORG_ACTIONS: &[OrgAction] = &[
    org(
        "user_login",
        "User logged in",
        "Authentication",
        40,
        OrgTarget::Site,
    ),
    org(
        "user_login_failed",
        "User login failed",
        "Authentication",
        6,
        OrgTarget::Site,
    ),
    org(
        "user_logout",
        "User logged out",
        "Authentication",
        8,
        OrgTarget::Site,
    ),
    org(
        "user_added_to_group",
        "User added to group",
        "Groups",
        8,
        OrgTarget::Group,
    ),
    org(
        "user_removed_from_group",
        "User removed from group",
        "Groups",
        4,
        OrgTarget::Group,
    ),
    org(
        "group_created",
        "Group created",
        "Groups",
        1,
        OrgTarget::Group,
    ),
    org(
        "org_admin_role_granted",
        "Organization admin role granted",
        "Admin roles",
        1,
        OrgTarget::User,
    ),
    org(
        "site_admin_role_granted",
        "Site admin role granted",
        "Admin roles",
        1,
        OrgTarget::User,
    ),
    org(
        "site_admin_role_revoked",
        "Site admin role revoked",
        "Admin roles",
        1,
        OrgTarget::User,
    ),
    org(
        "api_token_created",
        "API token created",
        "API tokens",
        3,
        OrgTarget::Token,
    ),
    org(
        "api_token_revoked",
        "API token revoked",
        "API tokens",
        2,
        OrgTarget::Token,
    ),
    org(
        "policy_updated",
        "Policy updated",
        "Policies",
        2,
        OrgTarget::Policy,
    ),
    org(
        "confluence_added_space_permission",
        "Added space permission",
        "Confluence",
        4,
        OrgTarget::Space,
    ),
    org(
        "confluence_removed_space_permission",
        "Removed space permission",
        "Confluence",
        2,
        OrgTarget::Space,
    ),
    org(
        "user_invited",
        "User invited",
        "User management",
        2,
        OrgTarget::User,
    ),
    org(
        "user_deactivated",
        "User deactivated",
        "User management",
        1,
        OrgTarget::User,
    ),
    org(
        UNMAPPED_ORG_ACTION,
        "App installed",
        "Apps",
        1,
        OrgTarget::App,
    ),
    // Written by the detection scenarios only (weight 0).
    org(
        "added_org_admin",
        "Organization admin added",
        "Admin roles",
        0,
        OrgTarget::User,
    ),
    org(
        "user_logged_in_as_user",
        "User logged in as user",
        "Authentication",
        0,
        OrgTarget::User,
    ),
    org(
        "twosv_disabled_for_user",
        "Two-step verification disabled for user",
        "Security",
        0,
        OrgTarget::User,
    ),
    org(
        "authentication_policy_updated",
        "Authentication policy updated",
        "Policies",
        0,
        OrgTarget::Policy,
    ),
    org(
        "data_retention_policy_updated",
        "Data retention policy updated",
        "Policies",
        0,
        OrgTarget::RetentionPolicy,
    ),
    org(
        "admin_api_key_created",
        "Admin API key created",
        "API keys",
        0,
        OrgTarget::ApiKey,
    ),
    org(
        "user_details_exported",
        "User details exported",
        "User management",
        0,
        OrgTarget::Site,
    ),
];

/// The index of organization action `key` in [`ORG_ACTIONS`].
pub fn org_action(key: &str) -> Option<u8> {
    ORG_ACTIONS
        .iter()
        .position(|a| a.key == key)
        .map(|i| i as u8)
}

/// What a product audit record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditTarget {
    /// A group; the acted-on user is associated.
    Group,
    /// A project or space.
    Container,
    /// A permission scheme or global permission.
    Permission,
    /// Site configuration.
    Settings,
    /// A Jira issue or a Confluence page (deletions).
    Content,
    /// The audit log's own settings.
    AuditLog,
}

/// One product audit summary.
#[derive(Debug, Clone, Copy)]
pub struct AuditAction {
    /// The summary (`User added to group`).
    pub summary: &'static str,
    /// The category.
    pub category: &'static str,
    /// Relative frequency.
    pub weight: u32,
    /// What it acts on.
    pub target: AuditTarget,
}

const fn audit(
    summary: &'static str,
    category: &'static str,
    weight: u32,
    target: AuditTarget,
) -> AuditAction {
    AuditAction {
        summary,
        category,
        weight,
        target,
    }
}

/// Jira audit summaries.
pub const JIRA_AUDIT: &[AuditAction] = &[
    audit(
        "User added to group",
        "group management",
        5,
        AuditTarget::Group,
    ),
    audit(
        "User removed from group",
        "group management",
        2,
        AuditTarget::Group,
    ),
    audit(
        "Permission scheme updated",
        "permissions",
        3,
        AuditTarget::Permission,
    ),
    audit(
        "Global permission added",
        "permissions",
        1,
        AuditTarget::Permission,
    ),
    audit(
        "Project roles changed",
        "projects",
        3,
        AuditTarget::Container,
    ),
    audit("Project created", "projects", 1, AuditTarget::Container),
    audit(
        "Workflow configuration updated",
        "workflows",
        2,
        AuditTarget::Settings,
    ),
    // Now and then an issue is deleted; the mass-deletion scenario deletes many.
    audit("Issue deleted", "issue management", 1, AuditTarget::Content),
];

/// Confluence audit summaries.
pub const CONFLUENCE_AUDIT: &[AuditAction] = &[
    audit(
        "Added user to group",
        "Users and groups",
        4,
        AuditTarget::Group,
    ),
    audit(
        "Removed user from group",
        "Users and groups",
        2,
        AuditTarget::Group,
    ),
    audit(
        "Space permission added",
        "Permissions",
        4,
        AuditTarget::Permission,
    ),
    audit(
        "Space permission removed",
        "Permissions",
        2,
        AuditTarget::Permission,
    ),
    audit("Space created", "Spaces", 1, AuditTarget::Container),
    audit("Space exported", "Import/Export", 1, AuditTarget::Container),
    audit(
        "Site settings updated",
        "Global configuration",
        1,
        AuditTarget::Settings,
    ),
    // Now and then a page is deleted; the mass-deletion scenario deletes many.
    audit("Page deleted", "Pages", 1, AuditTarget::Content),
    // Written by the detection scenarios only (weight 0).
    audit(
        "Audit log retention changed",
        "Auditing",
        0,
        AuditTarget::AuditLog,
    ),
    audit(
        "Anonymous access enabled",
        "Permissions",
        0,
        AuditTarget::Container,
    ),
];

/// The index of audit summary `summary` in `catalogue`.
pub fn audit_action(catalogue: &[AuditAction], summary: &str) -> Option<u8> {
    catalogue
        .iter()
        .position(|a| a.summary == summary)
        .map(|i| i as u8)
}

/// Jira projects: key, name, id.
pub const PROJECTS: &[(&str, &str, &str)] = &[
    ("PLAT", "Platform", "10001"),
    ("PAY", "Payments", "10002"),
    ("MOB", "Mobile", "10003"),
    ("DATA", "Data", "10004"),
];

/// Confluence spaces: key, name, id.
pub const SPACES: &[(&str, &str, &str)] = &[
    ("PLAT", "Platform", "65538"),
    ("ENG", "Engineering", "65539"),
    ("HR", "People & Culture", "65540"),
    ("OPS", "Operations", "65541"),
];

/// Bitbucket repositories: slug, name, language.
pub const REPOS: &[(&str, &str, &str)] = &[
    ("exporter", "Exporter", "rust"),
    ("web-app", "Web app", "typescript"),
    ("billing-service", "Billing service", "java"),
    ("mobile-app", "Mobile app", "kotlin"),
    ("infra", "Infrastructure", "hcl"),
    ("data-pipeline", "Data pipeline", "python"),
];

/// Jira workflow statuses: name, id, category key.
pub const STATUSES: &[(&str, &str, &str)] = &[
    ("To Do", "10000", "new"),
    ("In Progress", "3", "indeterminate"),
    ("In Review", "10001", "indeterminate"),
    ("Done", "10002", "done"),
];

/// Jira issue types.
pub const ISSUE_TYPES: &[(&str, &str)] = &[("Bug", "10004"), ("Story", "10001"), ("Task", "10002")];

/// Non-status fields a changelog entry may change.
pub const CHANGED_FIELDS: &[(&str, &str)] = &[
    ("assignee", "assignee"),
    ("priority", "priority"),
    ("labels", "labels"),
    ("summary", "summary"),
];

/// Priorities cycled through by priority changes.
pub const PRIORITIES: &[&str] = &["Low", "Medium", "High", "Highest"];

/// JSM request types: id, name.
pub const REQUEST_TYPES: &[(&str, &str)] = &[
    ("25", "Get IT help"),
    ("26", "Request new hardware"),
    ("27", "Report a system problem"),
];

/// Summaries and titles; an index picks one and a number makes it distinct.
pub const TITLES: &[&str] = &[
    "Exporter drops events on 429",
    "Add cursor persistence",
    "Incident postmortem: login outage",
    "Quarterly planning — Überblick",
    "VPN drops every 30 minutes",
    "Rotate API tokens before expiry",
    "Dashboard loads slowly for large orgs",
    "Onboarding checklist for new hires",
    "Migrate build agents to ARM",
    "Café wifi blocks the SSO redirect",
    "Document the retention policy",
    "Fix flaky integration test",
    "Laptop request: 32 GB RAM",
    "設計レビュー: search service",
];

/// Commit messages.
pub const COMMIT_MESSAGES: &[&str] = &[
    "Fix retry loop in exporter",
    "Bump dependencies",
    "Add metrics for queue depth",
    "Refactor pagination helpers",
    "Handle empty pages",
    "Update README",
    "Tighten CSP headers",
    "Merge branch 'main' into feature",
];
