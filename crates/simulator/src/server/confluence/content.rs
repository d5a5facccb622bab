//! Confluence REST v2 content: `GET /wiki/api/v2/{pages|blogposts}` and their `/{id}/versions`,
//! with every query parameter the published document lists for these operations.
//!
//! Every page and blog post here is `current` and a plain page (no live docs), so `status` and
//! `subtype` filters either keep everything or nothing; bodies are generated from the title in
//! the format `body-format` asks for. An unknown `sort`, `status`, `subtype` or `body-format`
//! value, a non-numeric id, or a cursor of another listing is refused with v2's own `400`.

use super::super::jira::site_index;
use super::super::{ok, params, query_string, Base, Shared};
use super::{v2_bad, v2_not_found};
use crate::catalog::{SPACES, TITLES};
use crate::dataset::Malformed;
use crate::dataset::{Content, SiteData, CONTENT_ID_BASE};
use crate::directory::Directory;
use crate::format::{iso_z, GARBLED_TIME};
use crate::paging::{decode_cursor, encode_cursor, next_start, Params};
use crate::scenarios::silent_source::Stream;
use crate::view::View;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::LINK;
use axum::http::HeaderValue;
use axum::response::Response;
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::sync::Arc;

fn kind(path: &str) -> Option<bool> {
    match path {
        "pages" => Some(false),
        "blogposts" => Some(true),
        _ => None,
    }
}

/// The version index that is a content's current version now, if it is visible at all.
pub(crate) fn current_version(view: &View, data: &SiteData, c: &Content) -> Option<usize> {
    let first = c.start as usize;
    if !view.visible(data.versions[first].stamp) {
        return None;
    }
    (first..c.end as usize)
        .rev()
        .find(|v| view.visible(data.versions[*v].stamp))
}

fn version_json(dir: &Directory, data: &SiteData, view: &View, c: &Content, v: usize) -> Value {
    let ver = &data.versions[v];
    let malformed = view.malformed && v == Malformed::version(data);
    json!({
        "createdAt": if malformed { GARBLED_TIME.to_owned() } else { iso_z(ver.stamp.at) },
        "message": "",
        "number": v - c.start as usize + 1,
        "minorEdit": false,
        "authorId": dir.people[usize::from(ver.author)].account_id,
    })
}

/// Where a v2 page of results stands: what the next page's cursor and link are made of.
struct PageAt<'a> {
    /// Index of the page's first result.
    start: usize,
    /// Results in the whole listing.
    total: usize,
    /// What the cursor is tagged with (the listing it belongs to).
    tag: &'a str,
    /// The listing's path, for the next link.
    path: String,
    /// The request's parameters, repeated in the next link.
    params: &'a Params,
    /// The page size.
    limit: usize,
    /// Whether pages overlap (the duplicate fault).
    duplicate: bool,
    /// The wiki's base URL (`_links.base`).
    wiki: String,
}

/// A v2 page: `{results, _links: {base, next?}}` and, when more follow, a `Link` header naming
/// the next page (the request's own parameters with a new cursor) and the base.
fn v2_page(results: Vec<Value>, at: PageAt<'_>) -> Response {
    let served = results.len();
    let mut body = json!({ "results": results, "_links": { "base": at.wiki } });
    if at.start + served < at.total {
        let cursor = encode_cursor(at.tag, next_start(at.start, served, at.duplicate), &[]);
        let mut pairs: Vec<(&str, String)> = at
            .params
            .0
            .iter()
            .filter(|(k, _)| k != "cursor" && k != "limit")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        pairs.push(("limit", at.limit.to_string()));
        pairs.push(("cursor", cursor));
        let next = format!("{}?{}", at.path, query_string(&pairs));
        body["_links"]["next"] = json!(next);
        let link = format!("<{next}>; rel=\"next\", <{}>; rel=\"base\"", at.wiki);
        let mut r = ok(body);
        if let Ok(l) = HeaderValue::from_str(&link) {
            r.headers_mut().insert(LINK, l);
        }
        r
    } else {
        ok(body)
    }
}

/// `value` when it is one of `allowed`, else the title of v2's refusal naming the parameter.
fn one_of<'a>(name: &str, value: &'a str, allowed: &[&str]) -> Result<&'a str, String> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "Provided value {{{value}}} for '{name}' is not the correct type. Expected one of: {}",
            allowed.join(", ")
        ))
    }
}

/// The `body` of a page, blog post or version in the requested representation.
fn body(format: &str, title: &str) -> Value {
    let value = if format == "storage" {
        format!("<p>{title}</p>")
    } else {
        json!({ "type": "doc", "version": 1, "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": title }] }] })
            .to_string()
    };
    let mut out = serde_json::Map::new();
    out.insert(
        format.to_owned(),
        json!({ "representation": format, "value": value }),
    );
    Value::Object(out)
}

const BODY_FORMATS: &[&str] = &["storage", "atlas_doc_format"];

fn body_format(p: &Params) -> Result<Option<&str>, String> {
    p.get("body-format")
        .map(|f| one_of("body-format", f, BODY_FORMATS))
        .transpose()
}

fn limit_and_start(p: &Params, tag: &str) -> Result<(usize, usize), String> {
    let limit = p.limit("limit", 25, 250)?;
    let start = match p.get("cursor").map(|c| decode_cursor(tag, c)) {
        None => 0,
        Some(Some((pos, _))) => pos,
        Some(None) => return Err("Invalid cursor".into()),
    };
    Ok((limit, start))
}

/// What `GET /pages` and `GET /blogposts` filter and sort by.
struct ListQuery<'a> {
    ids: Option<Vec<u64>>,
    spaces: Option<Vec<&'a str>>,
    /// Whether the asked statuses include `current` (the only status content has here).
    current: bool,
    title: Option<&'a str>,
    /// `subtype=live` (no content here is a live doc).
    live_only: bool,
    /// Sort key and descending; `None` for the default (newest-modified first).
    sort: Option<(&'a str, bool)>,
    body_format: Option<&'a str>,
}

fn numbers(name: &str, values: &[&str], max: usize) -> Result<Vec<u64>, String> {
    if values.len() > max {
        return Err(format!("'{name}' takes at most {max} values"));
    }
    values
        .iter()
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                format!(
                    "Provided value {{{v}}} for '{name}' is not the correct type. Expected type is long"
                )
            })
        })
        .collect()
}

impl<'a> ListQuery<'a> {
    /// # Errors
    /// The title of v2's refusal.
    fn parse(p: &'a Params, blog: bool) -> Result<Self, String> {
        let ids = p.list("id");
        let spaces = p.list("space-id");
        numbers("space-id", &spaces, 100)?;
        let statuses: &[&str] = if blog {
            &["current", "deleted", "trashed"]
        } else {
            &["current", "archived", "deleted", "trashed"]
        };
        let asked = p.list("status");
        for s in &asked {
            one_of("status", s, statuses)?;
        }
        let sorts: &[&str] = if blog {
            &[
                "id",
                "-id",
                "created-date",
                "-created-date",
                "modified-date",
                "-modified-date",
            ]
        } else {
            &[
                "id",
                "-id",
                "created-date",
                "-created-date",
                "modified-date",
                "-modified-date",
                "title",
                "-title",
            ]
        };
        let sort = p
            .get("sort")
            .map(|s| one_of("sort", s, sorts))
            .transpose()?
            .map(|s| match s.strip_prefix('-') {
                Some(key) => (key, true),
                None => (s, false),
            });
        let subtype = if blog {
            None
        } else {
            p.get("subtype")
                .map(|s| one_of("subtype", s, &["live", "page"]))
                .transpose()?
        };
        Ok(Self {
            ids: (!ids.is_empty())
                .then(|| numbers("id", &ids, 250))
                .transpose()?,
            spaces: (!spaces.is_empty()).then_some(spaces),
            current: asked.is_empty() || asked.contains(&"current"),
            title: p.get("title"),
            live_only: subtype == Some("live"),
            sort,
            body_format: body_format(p)?,
        })
    }
}

fn title_of(c: &Content, id: u64) -> String {
    format!("{} ({id})", TITLES[usize::from(c.title)])
}

/// `GET /wiki/api/v2/{pages|blogposts}?id=&space-id=&sort=&status=&title=&body-format=&subtype=&cursor=&limit=`.
pub async fn list(
    State(state): State<Arc<Shared>>,
    Path((site, kind_path)): Path<(String, String)>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(blog) = kind(&kind_path) else {
        return v2_not_found();
    };
    let p = params(query.as_deref());
    let (q, (limit, start)) = match (ListQuery::parse(&p, blog), limit_and_start(&p, &kind_path)) {
        (Ok(q), Ok(ls)) => (q, ls),
        (Err(e), _) | (_, Err(e)) => return v2_bad(&e),
    };
    let view = state.view_of(Stream::ConfluenceActivity);
    let s = site_index(&state, &site);
    let snapshot = state.data();
    let data = &snapshot.sites[s];
    // (index, current version, created, modified)
    let mut items: Vec<(usize, usize, i64, i64)> = if !q.current || q.live_only {
        Vec::new()
    } else {
        data.contents
            .iter()
            .enumerate()
            .filter(|(_, c)| c.blog == blog)
            .filter(|(i, _)| {
                q.ids
                    .as_ref()
                    .is_none_or(|ids| ids.contains(&(CONTENT_ID_BASE + *i as u64)))
            })
            .filter(|(_, c)| {
                q.spaces
                    .as_ref()
                    .is_none_or(|ss| ss.contains(&SPACES[usize::from(c.space)].2))
            })
            .filter(|(i, c)| {
                q.title
                    .is_none_or(|t| title_of(c, CONTENT_ID_BASE + *i as u64) == t)
            })
            .filter_map(|(i, c)| {
                current_version(&view, data, c).map(|v| {
                    let created = data.versions[c.start as usize].stamp.at;
                    (i, v, created, data.versions[v].stamp.at)
                })
            })
            .collect()
    };
    let by = |a: &(usize, usize, i64, i64), b: &(usize, usize, i64, i64)| -> Ordering {
        match q.sort {
            // Newest-modified first when no order is asked for (what the connectors ask for).
            None => b.3.cmp(&a.3).then(b.0.cmp(&a.0)),
            Some((key, desc)) => {
                let o = match key {
                    "created-date" => a.2.cmp(&b.2),
                    "modified-date" => a.3.cmp(&b.3),
                    "title" => title_of(&data.contents[a.0], CONTENT_ID_BASE + a.0 as u64)
                        .cmp(&title_of(&data.contents[b.0], CONTENT_ID_BASE + b.0 as u64)),
                    _ => Ordering::Equal,
                }
                .then(a.0.cmp(&b.0));
                if desc {
                    o.reverse()
                } else {
                    o
                }
            }
        }
    };
    items.sort_unstable_by(by);
    let people = &snapshot.directory.people;
    let results: Vec<Value> = items
        .iter()
        .skip(start)
        .take(limit)
        .map(|(i, v, created, _)| {
            let c = &data.contents[*i];
            let id = CONTENT_ID_BASE + *i as u64;
            let (space_key, _, space_id) = SPACES[usize::from(c.space)];
            let title = title_of(c, id);
            let author = &people[usize::from(c.author)].account_id;
            let mut item = json!({
                "id": id.to_string(), "status": "current", "title": title, "spaceId": space_id,
                "authorId": author, "createdAt": iso_z(*created),
                "version": version_json(&snapshot.directory, data, &view, c, *v),
                "_links": { "webui": format!("/spaces/{space_key}/{kind_path}/{id}"), "tinyui": format!("/x/{id}") },
            });
            if !blog {
                item["parentType"] = json!("page");
                item["ownerId"] = json!(author);
                item["position"] = json!(*i % 100);
            }
            if let Some(f) = q.body_format {
                item["body"] = body(f, &title);
            }
            item
        })
        .collect();
    v2_page(
        results,
        PageAt {
            start,
            total: items.len(),
            tag: &kind_path,
            path: format!("/site/{site}/wiki/api/v2/{kind_path}"),
            params: &p,
            limit,
            duplicate: view.duplicate,
            wiki: format!("{base}/site/{site}/wiki"),
        },
    )
}

/// `GET /wiki/api/v2/{pages|blogposts}/{id}/versions?sort=&body-format=&limit=&cursor=` —
/// newest first unless `sort=modified-date`.
pub async fn versions(
    State(state): State<Arc<Shared>>,
    Path((site, kind_path, id)): Path<(String, String, String)>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(blog) = kind(&kind_path) else {
        return v2_not_found();
    };
    let p = params(query.as_deref());
    let tag = format!("{kind_path}-versions");
    let (limit, start) = match limit_and_start(&p, &tag) {
        Ok(ls) => ls,
        Err(e) => return v2_bad(&e),
    };
    let sort = match p
        .get("sort")
        .map(|s| one_of("sort", s, &["modified-date", "-modified-date"]))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return v2_bad(&e),
    };
    let format = match body_format(&p) {
        Ok(f) => f,
        Err(e) => return v2_bad(&e),
    };
    let view = state.view_of(Stream::ConfluenceActivity);
    let s = site_index(&state, &site);
    let snapshot = state.data();
    let data = &snapshot.sites[s];
    let Ok(number) = id.parse::<u64>() else {
        return v2_bad(&format!(
            "Provided value {{{id}}} for 'id' is not the correct type. Expected type is long"
        ));
    };
    let index = number
        .checked_sub(CONTENT_ID_BASE)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|i| data.contents.get(*i).is_some_and(|c| c.blog == blog));
    let Some(i) = index else {
        return v2_not_found();
    };
    let c = &data.contents[i];
    let Some(current) = current_version(&view, data, c) else {
        return v2_not_found();
    };
    let mut all: Vec<usize> = (c.start as usize..=current)
        .filter(|v| view.visible(data.versions[*v].stamp))
        .collect();
    if sort != Some("modified-date") {
        all.reverse();
    }
    let entity = if blog { "blogpost" } else { "page" };
    let title = title_of(c, CONTENT_ID_BASE + i as u64);
    let results: Vec<Value> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|v| {
            let mut j = version_json(&snapshot.directory, data, &view, c, *v);
            j[entity] = json!({ "id": id, "title": title });
            if let Some(f) = format {
                j[entity]["body"] = body(f, &title);
            }
            j
        })
        .collect();
    v2_page(
        results,
        PageAt {
            start,
            total: all.len(),
            tag: &tag,
            path: format!("/site/{site}/wiki/api/v2/{kind_path}/{id}/versions"),
            params: &p,
            limit,
            duplicate: view.duplicate,
            wiki: format!("{base}/site/{site}/wiki"),
        },
    )
}
