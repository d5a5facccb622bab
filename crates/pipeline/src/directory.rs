//! The directory's records read into accounts and groups: organization users (`account_id`,
//! `name`, `email`), the site's groups (`groupId`, `name`) and their members (`accountId`,
//! `displayName`, `emailAddress`). Pure, like the rest of the pipeline: what cannot identify an
//! account or a group comes back as the reason to quarantine it.

use crate::fields::text;
use crate::AccountRef;
use serde_json::Value;

fn field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(text)
}

/// An organization user's account.
///
/// # Errors
/// The reason to quarantine a user without an `account_id`.
pub fn org_user(user: &Value) -> Result<AccountRef, &'static str> {
    let account = AccountRef {
        account_id: field(user, "account_id"),
        display_name: field(user, "name"),
        email: field(user, "email"),
        bitbucket_uuid: None,
    };
    match account.account_id {
        Some(_) => Ok(account),
        None => Err("organization user without account_id"),
    }
}

/// A site group, as its members are listed under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteGroup {
    /// `groupId`: what its members are fetched by.
    pub group_id: String,
    /// Its name: what its team is named and mapped by.
    pub name: String,
}

/// A site group.
///
/// # Errors
/// The reason to quarantine a group without a `groupId` or `name`.
pub fn site_group(group: &Value) -> Result<SiteGroup, &'static str> {
    match (field(group, "groupId"), field(group, "name")) {
        (Some(group_id), Some(name)) => Ok(SiteGroup { group_id, name }),
        _ => Err("group without groupId or name"),
    }
}

/// A group member's account (which identity resolution refuses without an `accountId`).
pub fn group_member(member: &Value) -> AccountRef {
    AccountRef {
        account_id: field(member, "accountId"),
        display_name: field(member, "displayName"),
        email: field(member, "emailAddress"),
        bitbucket_uuid: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_organization_user_needs_an_account_id() {
        let user = org_user(&json!({"account_id": "a1", "name": "Ana", "email": "ana@x.test"}));
        assert_eq!(user.unwrap().display_name.as_deref(), Some("Ana"));
        assert_eq!(
            org_user(&json!({"account_id": "", "name": "Ana"})),
            Err("organization user without account_id")
        );
    }

    #[test]
    fn a_group_needs_an_id_and_a_name() {
        assert_eq!(
            site_group(&json!({"groupId": "g1", "name": "site-admins"})),
            Ok(SiteGroup {
                group_id: "g1".into(),
                name: "site-admins".into()
            })
        );
        assert!(site_group(&json!({"groupId": "g1"})).is_err());
        let member = group_member(&json!({"accountId": "a1", "displayName": "Ana"}));
        assert_eq!(member.account_id.as_deref(), Some("a1"));
    }
}
