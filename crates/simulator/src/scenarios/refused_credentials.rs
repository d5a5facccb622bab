//! `refused-credentials`: one product stops accepting the deployment's credentials — every
//! request to it answers `401` (the token was revoked) or `403` (the account lost the
//! permission), in that product's error shape, while the other products go on serving. A sync
//! of that product then fails as refused, which is what a detection of broken collection (and
//! the Sync page) must show. The `reject_credentials` fault does the same for every product at
//! once, with `401`.

use std::collections::BTreeMap;
use std::sync::RwLock;

/// The switch's name in the control API.
pub const NAME: &str = "refused-credentials";

/// What it does.
pub const ABOUT: &str = "`?product=<org|jira|confluence|jsm|bitbucket>&status=<401|403>` makes \
                         that product refuse every request; `&off=true` lets it in again";

/// A product API, as the simulator serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Api {
    /// The organization Admin API (`/admin/…`).
    Org,
    /// Jira (`/site/<site>/rest/api/…`).
    Jira,
    /// Confluence (`/site/<site>/wiki/…`).
    Confluence,
    /// Jira Service Management (`/site/<site>/rest/servicedeskapi/…`).
    Jsm,
    /// Bitbucket (`/bitbucket/…`).
    Bitbucket,
}

impl Api {
    /// Every API.
    pub const ALL: [Api; 5] = [
        Api::Org,
        Api::Jira,
        Api::Confluence,
        Api::Jsm,
        Api::Bitbucket,
    ];

    /// Its name in the control API (the product's).
    pub const fn name(self) -> &'static str {
        match self {
            Api::Org => "org",
            Api::Jira => "jira",
            Api::Confluence => "confluence",
            Api::Jsm => "jsm",
            Api::Bitbucket => "bitbucket",
        }
    }

    /// The API called `name`.
    pub fn parse(name: &str) -> Option<Api> {
        Api::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The API a request path belongs to.
    pub fn of_path(path: &str) -> Option<Api> {
        if path.starts_with("/admin/") {
            return Some(Api::Org);
        }
        if path.starts_with("/bitbucket/") {
            return Some(Api::Bitbucket);
        }
        let rest = path.strip_prefix("/site/")?;
        let (_, rest) = rest.split_once('/')?;
        if rest.starts_with("wiki/") {
            Some(Api::Confluence)
        } else if rest.starts_with("rest/servicedeskapi/") {
            Some(Api::Jsm)
        } else {
            Some(Api::Jira)
        }
    }
}

/// Which APIs refuse every request, with which status (401 or 403).
#[derive(Debug, Default)]
pub struct Refusals(RwLock<BTreeMap<Api, u16>>);

impl Refusals {
    /// Makes `api` refuse with `status`, or with `None` accept again.
    pub fn set(&self, api: Api, status: Option<u16>) {
        let mut map = self.0.write().expect("refusals lock");
        match status {
            Some(s) => {
                map.insert(api, s);
            }
            None => {
                map.remove(&api);
            }
        }
    }

    /// The status `api` refuses with, if it does.
    pub fn status(&self, api: Api) -> Option<u16> {
        self.0.read().expect("refusals lock").get(&api).copied()
    }

    /// Every refusing API with its status.
    pub fn all(&self) -> Vec<(Api, u16)> {
        let map = self.0.read().expect("refusals lock");
        map.iter().map(|(a, s)| (*a, *s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_belongs_to_its_products_api() {
        for (path, api) in [
            ("/admin/v1/orgs/acme-org/events-stream", Api::Org),
            ("/site/acme/rest/api/3/auditing/record", Api::Jira),
            ("/site/acme/wiki/rest/api/audit", Api::Confluence),
            ("/site/acme/wiki/api/v2/pages", Api::Confluence),
            ("/site/acme/rest/servicedeskapi/request", Api::Jsm),
            ("/bitbucket/2.0/repositories/acme", Api::Bitbucket),
        ] {
            assert_eq!(Api::of_path(path), Some(api), "{path}");
        }
        assert_eq!(Api::of_path("/_sim/manifest"), None);
    }

    #[test]
    fn a_refusal_holds_until_lifted() {
        let r = Refusals::default();
        r.set(Api::Jira, Some(403));
        assert_eq!(r.status(Api::Jira), Some(403));
        assert_eq!(r.status(Api::Confluence), None);
        r.set(Api::Jira, None);
        assert!(r.all().is_empty());
    }
}
