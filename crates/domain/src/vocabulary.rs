//! The closed vocabularies every event is classified with: product, pipeline, category, severity and
//! operation. Each one serialises as its snake_case name, which is also what MongoDB stores and what
//! URLs carry, so a value read back from any of them parses to the same variant.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A string that is not a member of the vocabulary it was parsed as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a known {vocabulary}")]
pub struct UnknownValue {
    /// Which vocabulary was asked for (e.g. "product").
    pub vocabulary: &'static str,
    /// The rejected input.
    pub value: String,
}

/// Declares a closed vocabulary: the enum, its snake_case names, `Display`, `FromStr` and `ALL`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $label:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every member, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and displayed name.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { vocabulary: $label, value: s.to_owned() }),
                }
            }
        }
    };
}

vocabulary!(
    /// The Atlassian product (or the organization itself) a record came from, or `external`.
    Product, "product" {
        /// Jira Software / Jira Work Management.
        Jira => "jira",
        /// Confluence.
        Confluence => "confluence",
        /// Bitbucket Cloud.
        Bitbucket => "bitbucket",
        /// Jira Service Management.
        Jsm => "jsm",
        /// The Atlassian organization (admin API).
        Org => "org",
        /// A source outside Atlassian (an IdP, a VPN, a home-grown tool), sending generic
        /// AtlasLens events through an import or the ingest API.
        External => "external",
    }
);

vocabulary!(
    /// Which of the two ingestion pipelines produced an event.
    Pipeline, "pipeline" {
        /// Audit logs: sign-ins, permission and group changes, admin actions.
        Audit => "audit",
        /// Activity: issues, pages, commits, pull requests, service requests.
        Activity => "activity",
    }
);

vocabulary!(
    /// The broad kind of an event; audit events are security, activity events are content.
    Category, "category" {
        /// Security-relevant: authentication, authorisation, administration.
        Security => "security",
        /// Work done in the products.
        Content => "content",
    }
);

vocabulary!(
    /// How much attention an event deserves from a security reviewer.
    Severity, "severity" {
        /// Routine.
        Low => "low",
        /// Worth a look (e.g. failed sign-ins, audit actions not yet in the vocabulary).
        Medium => "medium",
        /// Changes who can do what, destroys or takes data out (admin grants, permission and group
        /// changes, deletions of projects/spaces/repositories, exports).
        High => "high",
    }
);

vocabulary!(
    /// The controlled operation vocabulary. Every source action maps to exactly one of these; an
    /// action with no specific member maps to `AuditOther` or `ActivityOther` and keeps its original
    /// name in the raw payload.
    Operation, "operation" {
        /// A successful sign-in.
        Login => "login",
        /// A failed sign-in attempt.
        LoginFailed => "login_failed",
        /// A sign-out.
        Logout => "logout",
        /// An administrator signed in as another user (impersonation): what follows is done in
        /// that user's name by someone else.
        UserImpersonated => "user_impersonated",
        /// Two-step verification was turned off, or is no longer enforced, for a user or the
        /// organization.
        MfaDisabled => "mfa_disabled",
        /// How people sign in changed: an authentication policy, the SSO / SAML / identity
        /// provider configuration, the password policy or the IP allowlist.
        AuthPolicyChanged => "auth_policy_changed",
        /// A permission or permission scheme changed.
        PermissionChanged => "permission_changed",
        /// An account was added to a group.
        UserAddedToGroup => "user_added_to_group",
        /// An account was removed from a group.
        UserRemovedFromGroup => "user_removed_from_group",
        /// A group was created.
        GroupCreated => "group_created",
        /// A group was deleted.
        GroupDeleted => "group_deleted",
        /// Someone received administrator rights.
        AdminGranted => "admin_granted",
        /// Someone lost administrator rights.
        AdminRevoked => "admin_revoked",
        /// An account was created or invited.
        UserCreated => "user_created",
        /// An account was deactivated or removed.
        UserDeactivated => "user_deactivated",
        /// An account became a member of the organization.
        UserAddedToOrg => "user_added_to_org",
        /// An account stopped being a member of the organization.
        UserRemovedFromOrg => "user_removed_from_org",
        /// A role or product access short of administrator was granted.
        RoleGranted => "role_granted",
        /// A role or product access short of administrator was revoked.
        RoleRevoked => "role_revoked",
        /// An API token was created.
        ApiTokenCreated => "api_token_created",
        /// An API token was revoked.
        ApiTokenRevoked => "api_token_revoked",
        /// An organization admin API key was created: a credential with administrator reach that
        /// belongs to no person (user API tokens are `api_token_created`).
        ApiKeyCreated => "api_key_created",
        /// A product or organization setting changed.
        SettingsChanged => "settings_changed",
        /// The audit log's configuration or the data-retention settings changed: what evidence is
        /// kept, and for how long.
        AuditSettingsChanged => "audit_settings_changed",
        /// Public or anonymous access was turned on (a space or repository made public, a public
        /// link created).
        PublicAccessEnabled => "public_access_enabled",
        /// A project, space or repository was created.
        ContainerCreated => "container_created",
        /// A project, space or repository was deleted.
        ContainerDeleted => "container_deleted",
        /// An issue, page, blog post, attachment or comment was deleted, trashed or purged (its
        /// container, a project, space or repository, is `container_deleted`).
        ContentDeleted => "content_deleted",
        /// Content or user details were exported (pages, spaces, a site, issues, user lists).
        ContentExported => "content_exported",
        /// An audit action with no more specific member.
        AuditOther => "audit_other",
        /// A Jira issue was created.
        IssueCreated => "issue_created",
        /// A Jira issue's fields changed.
        IssueUpdated => "issue_updated",
        /// A Jira issue moved to another status.
        IssueTransitioned => "issue_transitioned",
        /// A comment was added to an issue.
        CommentAdded => "comment_added",
        /// A Confluence page was created.
        PageCreated => "page_created",
        /// A Confluence page got a new version.
        PageUpdated => "page_updated",
        /// A Confluence blog post was created or updated.
        BlogpostPublished => "blogpost_published",
        /// A commit was pushed to Bitbucket.
        CommitPushed => "commit_pushed",
        /// A pull request was opened.
        PrOpened => "pr_opened",
        /// A pull request was merged.
        PrMerged => "pr_merged",
        /// A pull request was declined.
        PrDeclined => "pr_declined",
        /// A service request was raised.
        RequestCreated => "request_created",
        /// A service request was resolved.
        RequestResolved => "request_resolved",
        /// An activity record with no more specific member.
        ActivityOther => "activity_other",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_variant() {
        for p in Product::ALL {
            assert_eq!(p.as_str().parse::<Product>().unwrap(), *p);
        }
        for o in Operation::ALL {
            assert_eq!(o.as_str().parse::<Operation>().unwrap(), *o);
            assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
        }
        for s in Severity::ALL {
            assert_eq!(s.to_string().parse::<Severity>().unwrap(), *s);
        }
    }

    #[test]
    fn unknown_names_are_rejected_with_the_vocabulary_named() {
        let err = "jiraa".parse::<Product>().unwrap_err();
        assert_eq!(err.to_string(), "`jiraa` is not a known product");
        assert!(
            "LOGIN".parse::<Operation>().is_err(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn severity_orders_from_low_to_high() {
        assert!(Severity::Low < Severity::Medium && Severity::Medium < Severity::High);
    }
}
