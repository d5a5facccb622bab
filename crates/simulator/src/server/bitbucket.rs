//! Bitbucket Cloud: repositories (`role`, BBQL `q`/`sort`), commits (newest first, no date
//! filter; also `POST` with a form body, the documented read for long `include`/`exclude`
//! lists) and pull requests (`state`, BBQL `q`/`sort`), page-numbered with absolute `next` links
//! built from the host the client used.
//!
//! Every commit here is on `main`, so `include`, `exclude` and `path` do not narrow a listing;
//! `fields` (partial responses) is accepted and the whole object served.

mod bbql;

use super::{bad_request, error, ok, params, query_string, Base, Family, Shared};
use crate::catalog::{COMMIT_MESSAGES, REPOS, TITLES};
use crate::dataset::Malformed;
use crate::dataset::{Dataset, PullRequest, BOT};
use crate::directory::Person;
use crate::format::{bitbucket, digest, git, hex, uuid, GARBLED_TIME};
use crate::paging::{offset_start, Params};
use crate::scenarios::silent_source::Stream;
use crate::view::View;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::sync::Arc;

fn repo_uuid(seed: u64, r: usize) -> String {
    format!(
        "{{{}}}",
        uuid(&digest(&[
            b"repo",
            &seed.to_le_bytes(),
            &(r as u64).to_le_bytes()
        ]))
    )
}

/// The hash of commit `c` of repository `r`.
pub(crate) fn commit_hash(seed: u64, r: usize, c: usize) -> String {
    hex(&digest(&[
        b"commit",
        &seed.to_le_bytes(),
        &(r as u64).to_le_bytes(),
        &(c as u64).to_le_bytes(),
    ])[..20])
}

fn account(p: &Person) -> Value {
    json!({ "type": "user", "display_name": p.name, "uuid": p.bitbucket_uuid, "account_id": p.account_id, "nickname": p.nickname })
}

fn repo_ref(state: &Shared, r: usize) -> Value {
    let (slug, name, _) = REPOS[r];
    json!({ "type": "repository", "full_name": format!("{}/{slug}", state.config.bitbucket.workspace), "name": name, "uuid": repo_uuid(state.config.seed, r) })
}

/// One page of `total` items (item `n` rendered by `render`) for `page`/`pagelen`, with an
/// absolute `next` link when more remain.
fn paged(
    base: &str,
    path: &str,
    p: &Params,
    duplicate: bool,
    max: usize,
    total: usize,
    render: impl Fn(usize) -> Value,
) -> Response {
    let (page, pagelen) = match (p.number("page", 1), p.limit("pagelen", 10, max)) {
        (Ok(pg), Ok(l)) => (pg.max(1), l),
        (Err(e), _) | (_, Err(e)) => return bad_request(Family::Bitbucket, &e),
    };
    let first = offset_start((page - 1) * pagelen, pagelen, duplicate);
    let values: Vec<Value> = (first..total.min(first + pagelen)).map(render).collect();
    let mut body = json!({ "pagelen": pagelen, "size": total, "page": page, "values": values });
    if first + pagelen < total {
        let mut pairs: Vec<(&str, String)> =
            p.0.iter()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
        pairs.push(("page", (page + 1).to_string()));
        body["next"] = json!(format!("{base}{path}?{}", query_string(&pairs)));
    }
    if page > 1 {
        let mut pairs: Vec<(&str, String)> =
            p.0.iter()
                .filter(|(k, _)| k != "page")
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
        pairs.push(("page", (page - 1).to_string()));
        body["previous"] = json!(format!("{base}{path}?{}", query_string(&pairs)));
    }
    ok(body)
}

fn check_workspace(state: &Shared, ws: &str) -> Option<Response> {
    (ws != state.config.bitbucket.workspace).then(|| {
        error(
            Family::Bitbucket,
            StatusCode::NOT_FOUND,
            "No workspace with identifier",
        )
    })
}

fn find_repo(state: &Shared, ws: &str, slug: &str) -> Result<usize, Box<Response>> {
    if let Some(r) = check_workspace(state, ws) {
        return Err(Box::new(r));
    }
    let uuid_of = |r: usize| repo_uuid(state.config.seed, r);
    (0..REPOS.len())
        .find(|r| REPOS[*r].0 == slug || uuid_of(*r) == slug)
        .ok_or_else(|| {
            Box::new(error(
                Family::Bitbucket,
                StatusCode::NOT_FOUND,
                &format!("Repository {ws}/{slug} not found"),
            ))
        })
}

/// `GET /2.0/repositories/{workspace}?pagelen=&page=`.
pub async fn repositories(
    State(state): State<Arc<Shared>>,
    Path(ws): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(r) = check_workspace(&state, &ws) {
        return r;
    }
    let p = params(query.as_deref());
    if let Some(role) = p.get("role") {
        // The API user sees every repository of the workspace in every role.
        if !["admin", "contributor", "member", "owner"].contains(&role) {
            return bad_request(
                Family::Bitbucket,
                &format!("'{role}' is not a valid role: use admin, contributor, member or owner"),
            );
        }
    }
    let data = state.data();
    let render = |r: usize| {
        let (slug, name, language) = REPOS[r];
        let full = format!("{ws}/{slug}");
        let created = data.start - 400 * 86_400_000;
        json!({
            "type": "repository", "uuid": repo_uuid(state.config.seed, r), "full_name": full, "name": name, "slug": slug,
            "is_private": true, "scm": "git", "description": format!("The {name} service"),
            "project": { "type": "project", "key": "ENG", "name": "Engineering" },
            "mainbranch": { "type": "branch", "name": "main" },
            "created_on": bitbucket(created), "updated_on": bitbucket(data.start),
            "size": 1_048_576 * (r as i64 + 1), "language": language, "has_issues": false, "has_wiki": false,
            "fork_policy": "no_public_forks",
            "links": { "self": { "href": format!("{base}/bitbucket/2.0/repositories/{full}") },
                       "html": { "href": format!("https://bitbucket.org/{full}") } },
        })
    };
    let all: Vec<Value> = (0..REPOS.len()).map(render).collect();
    let repos = match query_and_sort(&p, all, bbql::at) {
        Ok(r) => r,
        Err(e) => return bad_request(Family::Bitbucket, &e),
    };
    let path = format!("/bitbucket/2.0/repositories/{ws}");
    paged(
        &base,
        &path,
        &p,
        state.view().duplicate,
        100,
        repos.len(),
        |n| repos[n].clone(),
    )
}

/// `items` filtered by the request's BBQL `q` and ordered by its `sort` (a dotted field, `-`
/// for descending; ties keep `items`' order, reversed with the rest when descending); `field`
/// reads a field of an item.
///
/// # Errors
/// Why `q` cannot be read.
fn query_and_sort<T>(
    p: &Params,
    items: Vec<T>,
    field: impl Fn(&T, &str) -> Value,
) -> Result<Vec<T>, String> {
    let q = p
        .get("q")
        .map(bbql::parse)
        .transpose()
        .map_err(|e| format!("Invalid query: {e}"))?;
    let items: Vec<T> = match &q {
        None => items,
        Some(q) => items
            .into_iter()
            .filter(|it| q.matches(&|path: &str| field(it, path)))
            .collect(),
    };
    let Some(sort) = p.get("sort") else {
        return Ok(items);
    };
    let (path, desc) = match sort.strip_prefix('-') {
        Some(rest) => (rest, true),
        None => (sort, false),
    };
    let mut keyed: Vec<(Value, usize, T)> = items
        .into_iter()
        .enumerate()
        .map(|(n, it)| (field(&it, path), n, it))
        .collect();
    keyed.sort_by(|a, b| {
        let o = bbql::order(&a.0, &b.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.cmp(&b.1));
        if desc {
            o.reverse()
        } else {
            o
        }
    });
    Ok(keyed.into_iter().map(|(_, _, it)| it).collect())
}

/// `GET /2.0/repositories/{workspace}/{repo}/commits?include=&exclude=&path=&pagelen=&page=` —
/// newest first.
pub async fn commits(
    State(state): State<Arc<Shared>>,
    Path((ws, slug)): Path<(String, String)>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    list_commits(&state, &ws, &slug, &base, params(query.as_deref()))
}

/// `POST /2.0/repositories/{workspace}/{repo}/commits` — the same listing, with `include` and
/// `exclude` (or any of its parameters) also in an `application/x-www-form-urlencoded` body.
pub async fn commits_post(
    State(state): State<Arc<Shared>>,
    Path((ws, slug)): Path<(String, String)>,
    Base(base): Base,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut p = params(query.as_deref());
    let form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form {
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
            Ok(pairs) => p.0.extend(pairs),
            Err(_) => return bad_request(Family::Bitbucket, "The form body cannot be read"),
        }
    }
    list_commits(&state, &ws, &slug, &base, p)
}

fn list_commits(state: &Shared, ws: &str, slug: &str, base: &str, p: Params) -> Response {
    let r = match find_repo(state, ws, slug) {
        Ok(r) => r,
        Err(e) => return *e,
    };
    let view = state.view_of(Stream::BitbucketActivity);
    let data = state.data();
    let repo = &data.repos[r];
    let visible: Vec<usize> = (0..repo.commits.len())
        .rev()
        .filter(|c| view.visible(repo.commits[*c].stamp))
        .collect();
    let path = format!("/bitbucket/2.0/repositories/{ws}/{slug}/commits");
    paged(base, &path, &p, view.duplicate, 100, visible.len(), |n| {
        commit_json(state, &data, base, &view, r, visible[n])
    })
}

fn commit_json(
    state: &Shared,
    data: &Dataset,
    base: &str,
    view: &View,
    r: usize,
    c: usize,
) -> Value {
    let repo = &data.repos[r];
    let commit = &repo.commits[c];
    let seed = state.config.seed;
    let hash = commit_hash(seed, r, c);
    let message = format!(
        "{}\n",
        COMMIT_MESSAGES[usize::from(commit.message) % COMMIT_MESSAGES.len()]
    );
    let (author, zone) = if commit.author == BOT {
        (
            json!({ "type": "author", "raw": "build bot <ci@acme.example>" }),
            0,
        )
    } else {
        let p = &data.directory.people[usize::from(commit.author)];
        (
            json!({ "type": "author", "raw": format!("{} <{}>", p.name, p.email), "user": account(p) }),
            p.zone_minutes,
        )
    };
    let malformed = view.malformed && (r, c) == Malformed::commit(data);
    let parents: Vec<Value> = (c > 0)
        .then(|| json!({ "type": "commit", "hash": commit_hash(seed, r, c - 1) }))
        .into_iter()
        .collect();
    let full = format!("{}/{}", state.config.bitbucket.workspace, REPOS[r].0);
    json!({
        "type": "commit",
        "hash": hash,
        "date": if malformed { GARBLED_TIME.to_owned() } else { git(commit.stamp.at, zone) },
        "author": author,
        "message": message,
        "summary": { "raw": message, "markup": "markdown", "html": format!("<p>{}</p>", message.trim_end()) },
        "parents": parents,
        "repository": repo_ref(state, r),
        "links": { "self": { "href": format!("{base}/bitbucket/2.0/repositories/{full}/commit/{hash}") },
                   "html": { "href": format!("https://bitbucket.org/{full}/commits/{hash}") } },
    })
}

/// A pull request's state and `updated_on` as served now.
pub(crate) fn pr_state(view: &View, pr: &PullRequest) -> (&'static str, i64) {
    match pr.close.filter(|c| view.visible_child(pr.opened, c.stamp)) {
        Some(c) if c.merged => ("MERGED", c.stamp.at),
        Some(c) => ("DECLINED", c.stamp.at),
        None => ("OPEN", pr.opened.at),
    }
}

/// The states a pull request can be listed in.
const PR_STATES: &[&str] = &["OPEN", "MERGED", "DECLINED", "SUPERSEDED"];

/// A pull request as listed now: its `updated_on`, index and state.
type PrHit = (i64, usize, &'static str);

fn pr_json(state: &Shared, data: &Dataset, base: &str, r: usize, hit: &PrHit) -> Value {
    let (updated, i, st) = *hit;
    let repo = &data.repos[r];
    let full = format!("{}/{}", state.config.bitbucket.workspace, REPOS[r].0);
    let pr = &repo.prs[i];
    let people = &data.directory.people;
    let id = i + 1;
    let title = format!("{} (#{id})", TITLES[usize::from(pr.title)]);
    let branch = format!("feature/pr-{id}");
    let side = |name: &str, hash: String| json!({ "branch": { "name": name }, "commit": { "hash": hash }, "repository": repo_ref(state, r) });
    let head = hex(&digest(&[
        b"pr-head",
        &state.config.seed.to_le_bytes(),
        &(r as u64).to_le_bytes(),
        &(id as u64).to_le_bytes(),
    ])[..6]);
    let mut j = json!({
        "type": "pullrequest", "id": id, "title": title, "description": "",
        "summary": { "raw": "", "markup": "markdown", "html": "" },
        "state": st, "author": account(&people[usize::from(pr.author)]),
        "source": side(&branch, head.clone()), "destination": side("main", head[..8].to_owned() + "0000"),
        "comment_count": id % 7, "task_count": id % 3, "close_source_branch": true, "reason": "",
        "created_on": bitbucket(pr.opened.at), "updated_on": bitbucket(updated),
        "reviewers": [], "participants": [], "draft": false, "queued": false,
        "links": { "self": { "href": format!("{base}/bitbucket/2.0/repositories/{full}/pullrequests/{id}") },
                   "html": { "href": format!("https://bitbucket.org/{full}/pull-requests/{id}") } },
    });
    if let Some(c) = pr.close.filter(|_| st != "OPEN") {
        j["closed_by"] = account(&people[usize::from(c.by)]);
        if c.merged {
            j["merge_commit"] = json!({ "hash": head.clone() + "ff" });
        }
    }
    j
}

/// `GET /2.0/repositories/{workspace}/{repo}/pullrequests?state=&q=&sort=&pagelen=&page=`.
pub async fn pullrequests(
    State(state): State<Arc<Shared>>,
    Path((ws, slug)): Path<(String, String)>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    let r = match find_repo(&state, &ws, &slug) {
        Ok(r) => r,
        Err(e) => return *e,
    };
    let p = params(query.as_deref());
    let mut states: Vec<&str> = p.all("state");
    if let Some(bad) = states
        .iter()
        .find(|s| !PR_STATES.iter().any(|k| k.eq_ignore_ascii_case(s)))
    {
        return bad_request(
            Family::Bitbucket,
            &format!("'{bad}' is not a valid state: use OPEN, MERGED, DECLINED or SUPERSEDED"),
        );
    }
    if states.is_empty() {
        states.push("OPEN");
    }
    let view = state.view_of(Stream::BitbucketActivity);
    let data = state.data();
    let repo = &data.repos[r];
    let hits: Vec<PrHit> = repo
        .prs
        .iter()
        .enumerate()
        .filter(|(_, pr)| view.visible(pr.opened))
        .map(|(i, pr)| {
            let (st, updated) = pr_state(&view, pr);
            (updated, i, st)
        })
        .filter(|(_, _, st)| states.iter().any(|s| s.eq_ignore_ascii_case(st)))
        .collect();
    // The fields filters and sorts usually read are computed; anything else reads the rendering.
    let field = |hit: &PrHit, path: &str| match path {
        "state" => json!(hit.2),
        "updated_on" => json!(bitbucket(hit.0)),
        "created_on" => json!(bitbucket(repo.prs[hit.1].opened.at)),
        "id" => json!(hit.1 + 1),
        _ => bbql::at(&pr_json(&state, &data, &base, r, hit), path),
    };
    let hits = match query_and_sort(&p, hits, field) {
        Ok(h) => h,
        Err(e) => return bad_request(Family::Bitbucket, &e),
    };
    let path = format!("/bitbucket/2.0/repositories/{ws}/{slug}/pullrequests");
    paged(&base, &path, &p, view.duplicate, 50, hits.len(), |n| {
        pr_json(&state, &data, &base, r, &hits[n])
    })
}
