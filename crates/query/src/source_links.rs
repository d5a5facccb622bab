//! Links from an event back to the object in its product (an issue, a page, a pull request, a
//! request), built from the deployment's configured site or workspace and the object's key. The
//! simulator's deployments produce links of the same shape under the simulator's address.

use connectors::deployments::Deployments;
use domain::{Event, Product};
use url::Url;

/// The object types that are work items (shown on a person's page).
pub const WORK_ITEM_TYPES: [&str; 5] = ["issue", "page", "blogpost", "pull_request", "request"];

/// Where `event`'s object lives in its product, when the deployment and the object allow a link.
pub fn source_url(deployments: &Deployments, event: &Event) -> Option<String> {
    let object = event.object_ref.as_ref()?;
    let kind = event.object_type.as_deref()?;
    let deployment = deployments.get(&event.deployment)?;
    let site = || deployment.site.as_ref().map(|s| s.url.clone());
    let with_path = |mut base: Url, segments: &[&str]| {
        base.path_segments_mut()
            .ok()?
            .pop_if_empty()
            .extend(segments);
        Some(base)
    };
    let url = match (event.product, kind) {
        (Product::Jira | Product::Jsm, "issue" | "request") => {
            with_path(site()?, &["browse", &object.id])?
        }
        (Product::Confluence, "page" | "blogpost") => {
            let mut url = with_path(site()?, &["wiki", "pages", "viewpage.action"])?;
            url.query_pairs_mut().append_pair("pageId", &object.id);
            url
        }
        (Product::Bitbucket, "pull_request") => {
            let repo: Vec<&str> = object.container.as_deref()?.split('/').collect();
            let number = object.id.trim_start_matches('#');
            let base = Url::parse("https://bitbucket.org/").ok()?;
            with_path(base, &[&repo[..], &["pull-requests", number]].concat())?
        }
        _ => return None,
    };
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use domain::{
        Category, DeploymentId, EventId, ObjectRef, Operation, Pipeline, Severity, SourceId,
    };

    fn deployments() -> Deployments {
        Deployments::parse(
            r#"
            [[deployment]]
            id = "acme"
            [deployment.site]
            url = "https://acme.atlassian.net/"
            email = "bot@acme.test"
            api_token_env = "LINKS_TEST_TOKEN"
            "#,
            |_| Some("x".to_owned()),
        )
        .unwrap()
    }

    fn event(product: Product, kind: &str, id: &str, container: Option<&str>) -> Event {
        let deployment = DeploymentId::parse("acme").unwrap();
        Event {
            id: EventId::new(&deployment, product, &SourceId::parse("s-1").unwrap()),
            occurred_at: Utc::now(),
            ingested_at: Utc::now(),
            deployment,
            product,
            pipeline: Pipeline::Activity,
            actor_id: None,
            actor_raw: None,
            operation: Operation::IssueCreated,
            category: Category::Content,
            severity: Severity::Low,
            object_type: Some(kind.into()),
            object_ref: Some(ObjectRef {
                id: id.into(),
                name: None,
                container: container.map(Into::into),
            }),
            source_ip: None,
            country: None,
            raw: serde_json::Value::Null,
        }
    }

    #[test]
    fn each_work_item_links_to_its_product() {
        let d = deployments();
        let url = |e| source_url(&d, &e);
        assert_eq!(
            url(event(Product::Jira, "issue", "OPS-12", None)).as_deref(),
            Some("https://acme.atlassian.net/browse/OPS-12")
        );
        assert_eq!(
            url(event(Product::Confluence, "page", "98765", None)).as_deref(),
            Some("https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=98765")
        );
        assert_eq!(
            url(event(
                Product::Bitbucket,
                "pull_request",
                "#7",
                Some("acme/web app")
            ))
            .as_deref(),
            Some("https://bitbucket.org/acme/web%20app/pull-requests/7")
        );
        assert_eq!(url(event(Product::Jira, "group", "g", None)), None);
    }
}
