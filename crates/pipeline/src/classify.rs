//! Category and severity of an event.
//!
//! - Category follows the pipeline: audit records are `security`, activity is `content`.
//! - Severity follows the operation:
//!   - **high** — changes to who can do what: admin grants and revocations, permission changes,
//!     group membership changes, group creation and deletion, API tokens created;
//!   - **medium** — worth a look: failed sign-ins, accounts created or deactivated, revoked
//!     tokens, settings changes, content exports, projects/spaces deleted;
//!   - **low** — routine: sign-ins and outs, other audit entries, all content activity.

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
        AdminGranted | AdminRevoked | PermissionChanged | UserAddedToGroup
        | UserRemovedFromGroup | GroupCreated | GroupDeleted | ApiTokenCreated => Severity::High,
        LoginFailed | UserCreated | UserDeactivated | ApiTokenRevoked | SettingsChanged
        | ContentExported | ContainerDeleted => Severity::Medium,
        Login | Logout | ContainerCreated | AuditOther | IssueCreated | IssueUpdated
        | IssueTransitioned | CommentAdded | PageCreated | PageUpdated | BlogpostPublished
        | CommitPushed | PrOpened | PrMerged | PrDeclined | RequestCreated | RequestResolved
        | ActivityOther => Severity::Low,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privilege_changes_are_high_failed_sign_ins_medium_content_low() {
        assert_eq!(severity(Operation::AdminGranted), Severity::High);
        assert_eq!(severity(Operation::PermissionChanged), Severity::High);
        assert_eq!(severity(Operation::UserAddedToGroup), Severity::High);
        assert_eq!(severity(Operation::LoginFailed), Severity::Medium);
        assert_eq!(severity(Operation::Login), Severity::Low);
        assert_eq!(severity(Operation::PageUpdated), Severity::Low);
        assert_eq!(category(Pipeline::Audit), Category::Security);
        assert_eq!(category(Pipeline::Activity), Category::Content);
    }
}
