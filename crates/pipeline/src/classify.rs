//! Category and severity of an event.
//!
//! - Category follows the pipeline: audit records are `security`, activity is `content`.
//! - Severity follows the operation, by the policy written out for auditors in
//!   `docs/normalisation.md` (a test reads that table and checks it against this function):
//!   - **high** — changes to who can do what (admin and role grants and revocations, permission
//!     changes, group membership, groups created or deleted, API tokens and admin API keys
//!     created), ways around the controls (impersonation, two-step verification disabled,
//!     authentication policy changes, audit-log and retention settings changed, public access
//!     enabled), and actions that destroy or take out data (projects, spaces and repositories
//!     deleted; exports);
//!   - **medium** — worth a look: failed sign-ins, accounts created, deactivated, added to or
//!     removed from the organization, revoked tokens, settings changes, issues, pages and other
//!     content deleted (everyday one at a time; a run of them is a detection's business), and
//!     every audit action the vocabulary does not name yet (a security record whose meaning is
//!     unknown is shown, not buried);
//!   - **low** — routine: sign-ins and outs, projects/spaces created, all content activity.

use domain::{Category, Operation, Pipeline, Severity};

/// The category of events from `pipeline`.
pub fn category(pipeline: Pipeline) -> Category {
    match pipeline {
        Pipeline::Audit => Category::Security,
        Pipeline::Activity => Category::Content,
    }
}

/// The severity of an operation.
pub fn severity(op: Operation) -> Severity {
    use Operation::*;
    match op {
        AdminGranted | AdminRevoked | RoleGranted | RoleRevoked | PermissionChanged
        | UserAddedToGroup | UserRemovedFromGroup | GroupCreated | GroupDeleted
        | ApiTokenCreated | ContainerDeleted | ContentExported => Severity::High,
        // Ways around the controls: acting as someone else, weaker sign-in, a credential with
        // admin reach, less evidence kept, data opened to everyone.
        UserImpersonated | MfaDisabled | AuthPolicyChanged | ApiKeyCreated
        | AuditSettingsChanged | PublicAccessEnabled => Severity::High,
        // One deleted issue or page is everyday work, unlike a deleted container; it is worth a
        // look, and many of them in a row are the detection pack's business, not one event's.
        LoginFailed | UserCreated | UserDeactivated | UserAddedToOrg | UserRemovedFromOrg
        | ApiTokenRevoked | SettingsChanged | ContentDeleted | AuditOther => Severity::Medium,
        Login | Logout | ContainerCreated | IssueCreated | IssueUpdated | IssueTransitioned
        | CommentAdded | PageCreated | PageUpdated | BlogpostPublished | CommitPushed
        | PrOpened | PrMerged | PrDeclined | RequestCreated | RequestResolved | ActivityOther => {
            Severity::Low
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ways_around_the_controls_are_high() {
        for op in [
            Operation::UserImpersonated,
            Operation::MfaDisabled,
            Operation::AuthPolicyChanged,
            Operation::ApiKeyCreated,
            Operation::AuditSettingsChanged,
            Operation::PublicAccessEnabled,
        ] {
            assert_eq!(severity(op), Severity::High, "{op}");
        }
    }

    #[test]
    fn privilege_changes_are_high_failed_sign_ins_medium_content_low() {
        assert_eq!(severity(Operation::AdminGranted), Severity::High);
        assert_eq!(severity(Operation::PermissionChanged), Severity::High);
        assert_eq!(severity(Operation::UserAddedToGroup), Severity::High);
        assert_eq!(severity(Operation::LoginFailed), Severity::Medium);
        assert_eq!(severity(Operation::ContentDeleted), Severity::Medium);
        assert_eq!(severity(Operation::Login), Severity::Low);
        assert_eq!(severity(Operation::PageUpdated), Severity::Low);
        assert_eq!(category(Pipeline::Audit), Category::Security);
        assert_eq!(category(Pipeline::Activity), Category::Content);
    }
}
