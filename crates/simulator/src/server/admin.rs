//! The organization Admin API: `events-stream` (cursor paged, in `processedAt` order, ascending
//! or descending by `sortOrder`, which the cursor remembers), the action catalogue, and the
//! managed users.

use super::{bad_request, error, ok, params, query_string, Base, Family, Shared};
use crate::catalog::{OrgTarget, ORG_ACTIONS, SPACES};
use crate::dataset::Malformed;
use crate::dataset::{Dataset, OrgEvent, Stamp};
use crate::directory::Place;
use crate::format::{digest, iso_z, uuid, GARBLED_TIME};
use crate::paging::{decode_cursor, encode_cursor, next_start};
use crate::scenarios::silent_source::Stream;
use crate::view::View;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// Organization events in stream order: by `processedAt` (visibility plus 0–3 s), which late
/// records change, so the order is rebuilt when lateness settings change.
#[derive(Debug)]
pub struct StreamOrder(Vec<u32>);

impl StreamOrder {
    /// The order under `view`'s lateness.
    pub fn build(data: &Dataset, view: &View) -> Self {
        let mut order: Vec<u32> = (0..data.org.len() as u32).collect();
        order.sort_by_key(|i| processed_at(view, &data.org[*i as usize]));
        Self(order)
    }
}

fn processed_at(view: &View, e: &OrgEvent) -> i64 {
    view.visible_at(e.stamp) + i64::from(e.jitter)
}

/// The id of organization event `index`.
pub fn event_id(seed: u64, index: usize) -> String {
    uuid(&digest(&[
        b"org-event",
        &seed.to_le_bytes(),
        &(index as u64).to_le_bytes(),
    ]))
}

fn site_id(seed: u64, site: &str) -> String {
    uuid(&digest(&[b"site", &seed.to_le_bytes(), site.as_bytes()]))
}

fn check_org(state: &Shared, org: &str) -> Option<Response> {
    (org != state.config.org_id).then(|| {
        error(
            Family::Admin,
            StatusCode::NOT_FOUND,
            "Organization not found",
        )
    })
}

fn admin_error(code: &str, title: &str) -> Response {
    let body = json!({ "errors": [{ "code": code, "title": title, "status": "400" }] });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// `GET /admin/v1/orgs/{org}/events-stream?from=&to=&cursor=&limit=&sortOrder=`.
pub async fn events_stream(
    State(state): State<Arc<Shared>>,
    Path(org): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(r) = check_org(&state, &org) {
        return r;
    }
    let p = params(query.as_deref());
    let limit = match p.limit("limit", 200, 500) {
        Ok(l) => l,
        Err(e) => return bad_request(Family::Admin, &e),
    };
    let mut bounds = [None, None];
    for (slot, name) in bounds.iter_mut().zip(["from", "to"]) {
        if let Some(v) = p.get(name) {
            match v.trim().parse::<i64>() {
                Ok(ms) => *slot = Some(ms),
                Err(_) => {
                    return admin_error(
                        "Error.InvalidSearchTimeDate",
                        &format!("'{name}' must be epoch milliseconds"),
                    )
                }
            }
        }
    }
    let [mut from, mut to] = bounds;
    let mut descending = match p.get("sortOrder") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return admin_error(
                "Error.InvalidSortOrder",
                &format!("'sortOrder' must be asc or desc, got {other:?}"),
            )
        }
    };
    let view = state.view_of(Stream::OrgAudit);
    // The order first: the data is never changed while it is held (see `Shared::stream`).
    let order = state.stream.read().expect("stream lock");
    let data = state.data();
    let data = &*data;
    let processed = |pos: usize| processed_at(&view, &data.org[order.0[pos] as usize]);
    // Nothing processed after this can be visible now or have occurred inside the window
    // (a record is processed at most the late delay plus 3 s after it occurred).
    let mut horizon = view.now + 3_000;
    if let Some(t) = to {
        horizon = horizon.min(view.visible_at(Stamp { at: t, roll: 0 }) + 3_000);
    }
    // The first position served (in the direction of travel), if any.
    let start: Option<usize> = match p.get("cursor") {
        Some(c) => match decode_cursor("events", c) {
            // The cursor remembers the window and the direction, as the real one does.
            Some((pos, extra)) if extra.len() == 2 || extra.len() == 3 => {
                from = (extra[0] != i64::MIN).then_some(extra[0]);
                to = (extra[1] != i64::MAX).then_some(extra[1]);
                descending = extra.get(2) == Some(&1);
                Some(pos)
            }
            _ => return admin_error("Error.InvalidPageCursor", "Invalid page cursor"),
        },
        None if descending => order
            .0
            .partition_point(|i| processed_at(&view, &data.org[*i as usize]) <= horizon)
            .checked_sub(1),
        None => Some(from.map_or(0, |f| {
            order
                .0
                .partition_point(|i| processed_at(&view, &data.org[*i as usize]) < f)
        })),
    };
    let positions: Box<dyn Iterator<Item = usize>> = match start {
        None => Box::new(std::iter::empty()),
        Some(_) if order.0.is_empty() => Box::new(std::iter::empty()),
        Some(s) if descending => Box::new((0..=s.min(order.0.len() - 1)).rev()),
        Some(s) => Box::new(s..order.0.len()),
    };
    let mut served: Vec<(usize, usize)> = Vec::with_capacity(limit);
    let mut more = false;
    for pos in positions {
        let i = order.0[pos] as usize;
        let e = &data.org[i];
        let at = processed(pos);
        if at > horizon {
            if descending {
                continue;
            }
            break;
        }
        if descending && from.is_some_and(|f| at < f) {
            // Processed before the window opened, so it (and all before it) occurred before it.
            break;
        }
        let inside = from.is_none_or(|f| e.stamp.at >= f) && to.is_none_or(|t| e.stamp.at < t);
        if !inside || !view.visible(e.stamp) {
            continue;
        }
        if served.len() == limit {
            more = true;
            break;
        }
        served.push((pos, i));
    }
    let page: Vec<Value> = served
        .iter()
        .map(|(_, i)| render_event(&state, data, &view, *i, &base))
        .collect();
    let window = [
        from.unwrap_or(i64::MIN),
        to.unwrap_or(i64::MAX),
        i64::from(descending),
    ];
    let next = match served.last() {
        Some((last, _)) if more => {
            let resume = if view.duplicate && served.len() > 1 {
                Some(*last)
            } else if descending {
                last.checked_sub(1)
            } else {
                Some(last + 1)
            };
            resume.map(|r| encode_cursor("events", r, &window))
        }
        _ => None,
    };
    let path = format!("{base}/admin/v1/orgs/{org}/events-stream");
    let self_link = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let mut links = json!({ "self": self_link });
    if let Some(n) = &next {
        links["next"] = json!(format!(
            "{path}?{}",
            query_string(&[("cursor", n.clone()), ("limit", limit.to_string())])
        ));
    }
    ok(json!({ "data": page, "meta": { "next": next, "page_size": served.len() }, "links": links }))
}

/// The organization events visible now that occurred in `[from_ms, to_ms)`, in time order, as
/// the audit-log webhook would push them (the same ids and shapes `events-stream` serves).
pub fn pushed_events(state: &Shared, from_ms: i64, to_ms: i64, base: &str) -> Vec<Value> {
    let view = state.view_of(Stream::OrgAudit);
    let data = state.data();
    let mut picked: Vec<usize> = (0..data.org.len())
        .filter(|i| {
            let e = &data.org[*i];
            e.stamp.at >= from_ms && e.stamp.at < to_ms && view.visible(e.stamp)
        })
        .collect();
    picked.sort_by_key(|i| data.org[*i].stamp.at);
    picked
        .into_iter()
        .map(|i| render_event(state, &data, &view, i, base))
        .collect()
}

/// The event Atlassian's "Test audit event" button sends: an ordinary organization event (so
/// it is stored and shown like any other), with an action no real activity has.
pub fn test_event(state: &Shared, at_ms: i64) -> Value {
    json!({
        "id": uuid(&digest(&[b"webhook-test", &state.config.seed.to_le_bytes(), &at_ms.to_le_bytes()])),
        "type": "events",
        "attributes": {
            "time": iso_z(at_ms),
            "action": "audit_log_webhook_test",
            "actor": { "id": "atlassian", "name": "Atlassian" },
            "context": [],
            "container": [],
        },
    })
}

/// `location` of an event from `ip`, located at `place`: a person's own addresses are in their
/// home country, the addresses the scenarios add wherever the scenario put them.
fn location(ip: &str, (country, region, city): Place) -> Value {
    json!({ "ip": ip, "countryName": country, "regionName": region, "city": city })
}

/// The name of the policy a policy event acts on.
fn policy_name(target: OrgTarget) -> &'static str {
    match target {
        OrgTarget::RetentionPolicy => "Data retention policy",
        _ => "Authentication policy",
    }
}

fn render_event(state: &Shared, data: &Dataset, view: &View, i: usize, base: &str) -> Value {
    let cfg = &state.config;
    let e = &data.org[i];
    let action = &ORG_ACTIONS[usize::from(e.action)];
    let dir = &data.directory;
    let actor = &dir.people[usize::from(e.actor)];
    let id = event_id(cfg.seed, i);
    let site_name = cfg
        .sites
        .get(usize::from(e.site))
        .map_or("acme", |s| s.name.as_str());
    let site = json!({ "id": site_id(cfg.seed, site_name), "type": "sites",
        "attributes": { "siteName": site_name, "siteHostName": format!("https://{site_name}.atlassian.net") } });
    let user = |p: usize| {
        let person = &dir.people[p % dir.people.len()];
        json!({ "id": person.account_id, "type": "users", "attributes": { "name": person.name, "email": person.email } })
    };
    let object_id = |kind: &[u8]| {
        uuid(&digest(&[
            kind,
            &cfg.seed.to_le_bytes(),
            &e.target.to_le_bytes(),
        ]))
    };
    let subject = (usize::from(e.actor) + 1 + i) % dir.people.len();
    let (context, what) = match action.target {
        OrgTarget::Site => (vec![site.clone()], site_name.to_owned()),
        OrgTarget::Group => {
            let g = &dir.groups[usize::from(e.target) % dir.groups.len()];
            let group =
                json!({ "id": g.id, "type": "groups", "attributes": { "groupName": g.name } });
            (
                vec![user(subject), group],
                format!("{} in {}", dir.people[subject].name, g.name),
            )
        }
        OrgTarget::User => {
            let p = usize::from(e.target) % dir.people.len();
            (vec![user(p)], dir.people[p].name.clone())
        }
        OrgTarget::Space => {
            let (key, name, space_id) = SPACES[usize::from(e.target) % SPACES.len()];
            let space = json!({ "id": space_id, "type": "space", "attributes": { "key": key, "name": name, "permissionName": "Add Pages" } });
            (vec![site.clone(), space], format!("space {name}"))
        }
        OrgTarget::Policy | OrgTarget::RetentionPolicy => {
            let name = policy_name(action.target);
            (
                vec![
                    json!({ "id": object_id(name.as_bytes()), "type": "policies", "attributes": { "name": name } }),
                ],
                name.to_owned(),
            )
        }
        OrgTarget::ApiKey => {
            let label = format!("admin-key-{}", e.target);
            (
                vec![
                    json!({ "id": object_id(b"api-key"), "type": "api-keys", "attributes": { "name": label } }),
                ],
                label,
            )
        }
        OrgTarget::Token => {
            let label = format!("ci-token-{}", e.target);
            (
                vec![
                    json!({ "id": object_id(b"token"), "type": "api-tokens", "attributes": { "name": label } }),
                ],
                label,
            )
        }
        OrgTarget::App => (
            vec![
                json!({ "id": object_id(b"app"), "type": "apps", "attributes": { "name": "Tempo Timesheets" } }),
            ],
            "Tempo Timesheets".to_owned(),
        ),
    };
    let (ip, place) = data.org_address(e);
    let malformed = view.malformed && i == Malformed::org(data);
    let time = if malformed {
        GARBLED_TIME.to_owned()
    } else {
        iso_z(e.stamp.at)
    };
    json!({
        "id": id,
        "type": "events",
        "attributes": {
            "time": time,
            "processedAt": iso_z(processed_at(view, e)),
            "action": action.key,
            "actor": { "id": actor.account_id, "name": actor.name, "email": actor.email,
                       "links": { "self": format!("https://api.atlassian.com/users/{}/manage/profile", actor.account_id) } },
            "context": context,
            "container": [site],
            "location": location(ip, place),
        },
        "links": { "self": format!("{base}/admin/v1/orgs/{}/events/{id}", cfg.org_id) },
        "message": { "content": format!("{} — {}: {}", actor.name, action.display, what), "format": "simple" },
    })
}

/// `GET /admin/v1/orgs/{org}/event-actions`.
pub async fn event_actions(State(state): State<Arc<Shared>>, Path(org): Path<String>) -> Response {
    if let Some(r) = check_org(&state, &org) {
        return r;
    }
    let data: Vec<Value> = ORG_ACTIONS
        .iter()
        .map(|a| json!({ "id": a.key, "type": "event-actions", "attributes": { "displayName": a.display, "groupDisplayName": a.group } }))
        .collect();
    ok(json!({ "data": data }))
}

/// `GET /admin/v1/orgs/{org}/users?cursor=` — pages of 20 managed accounts.
pub async fn users(
    State(state): State<Arc<Shared>>,
    Path(org): Path<String>,
    Base(base): Base,
    RawQuery(query): RawQuery,
) -> Response {
    const PAGE: usize = 20;
    if let Some(r) = check_org(&state, &org) {
        return r;
    }
    let p = params(query.as_deref());
    let start = match p.get("cursor") {
        Some(c) => match decode_cursor("users", c) {
            Some((pos, _)) => pos,
            None => return admin_error("Error.InvalidPageCursor", "Invalid page cursor"),
        },
        None => 0,
    };
    let data = state.data();
    let people = &data.directory.people;
    let view = state.view();
    let page: Vec<Value> = people
        .iter()
        .skip(start)
        .take(PAGE)
        .map(|person| {
            json!({
                "account_id": person.account_id,
                "account_type": "atlassian",
                "account_status": "active",
                "name": person.name,
                "picture": format!("https://avatar-management.services.atlassian.com/default/{}", person.nickname),
                "email": person.email,
                "access_billable": true,
                "last_active": iso_z(view.now - 86_400_000),
            })
        })
        .collect();
    let served = page.len();
    let path = format!("{base}/admin/v1/orgs/{org}/users");
    let mut links = json!({ "self": path });
    let mut meta = json!({ "total": people.len() });
    if start + served < people.len() {
        let cursor = encode_cursor("users", next_start(start, served, view.duplicate), &[]);
        links["next"] = json!(format!(
            "{path}?{}",
            query_string(&[("cursor", cursor.clone())])
        ));
        meta["next"] = json!(cursor);
    }
    ok(json!({ "data": page, "meta": meta, "links": links }))
}
