//! The Rules pages' data and actions: the list (last fired, alerts per day), the form a rule is
//! edited with (its fields as the URL and the form carry them), preview over stored history,
//! save, enable, snooze and delete.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use domain::{CorrelateBy, Correlation, Dedup, Exclusions, Field, RuleKind, RuleSpec, Severity};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A rule's form: every field as text, exactly as the form and the URL carry it, so a preview
/// link reproduces the form and "Alert on this" can pre-fill it from an Events view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    /// The rule being edited (empty for a new one).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    /// The Events query string.
    pub filter: String,
    /// `match`, `threshold`, `new_value`, `baseline`, `absence` or `sync_health`.
    pub kind: String,
    /// Threshold: events.
    pub count: String,
    /// Threshold: window in minutes.
    pub window_minutes: String,
    /// Threshold, new value, baseline: the group field.
    pub group_by: String,
    /// New value: the field remembered.
    pub field: String,
    /// New value and baseline: history in days.
    pub history_days: String,
    /// Baseline: window in hours.
    pub window_hours: String,
    /// Baseline: times the median.
    pub factor: String,
    /// Baseline: the least count.
    pub floor: String,
    /// Absence: minutes of silence.
    pub silent_minutes: String,
    /// Sync health: failed runs in a row.
    pub failures_in_a_row: String,
    /// Sync health: days of warning before a credential expires.
    pub expiry_warning_days: String,
    /// The dedup key template.
    pub dedup_key: String,
    /// The dedup period in minutes.
    pub dedup_minutes: String,
    /// Excluded people (ids, comma-separated).
    pub exclude_people: String,
    /// Excluded teams (ids, comma-separated).
    pub exclude_teams: String,
    /// Excluded addresses or blocks (comma-separated).
    pub exclude_ips: String,
    /// Destination ids (comma-separated).
    pub destinations: String,
    /// `on` when enabled.
    pub enabled: String,
    /// What its incidents are chosen by: `auto`, `person`, `ip`, `object` or `rule`.
    pub correlate_by: String,
    /// The incident lookback in hours.
    pub lookback_hours: String,
    /// The reopen window in hours (0: off).
    pub reopen_hours: String,
}

/// The form's parameter names, as the URL carries them.
pub const FORM_PARAMS: [&str; 27] = [
    "id",
    "name",
    "description",
    "severity",
    "filter",
    "kind",
    "count",
    "window_minutes",
    "group_by",
    "field",
    "history_days",
    "window_hours",
    "factor",
    "floor",
    "silent_minutes",
    "failures_in_a_row",
    "expiry_warning_days",
    "dedup_key",
    "dedup_minutes",
    "exclude_people",
    "exclude_teams",
    "exclude_ips",
    "destinations",
    "enabled",
    "correlate_by",
    "lookback_hours",
    "reopen_hours",
];

fn number<T: std::str::FromStr>(text: &str, what: &str, default: T) -> Result<T, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(default);
    }
    t.parse()
        .map_err(|_| format!("{what} must be a number, not `{t}`"))
}

fn list<T: std::str::FromStr>(text: &str) -> Result<Vec<T>, String>
where
    T::Err: std::fmt::Display,
{
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<T>().map_err(|e| e.to_string()))
        .collect()
}

fn field(text: &str, default: Field) -> Result<Field, String> {
    if text.trim().is_empty() {
        Ok(default)
    } else {
        text.trim()
            .parse()
            .map_err(|e: domain::RuleError| e.to_string())
    }
}

impl RuleForm {
    /// Reads the form from a lookup of its parameters (the URL's query or a submitted form).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let v = |k: &str| get(k).unwrap_or_default();
        Self {
            id: v("id"),
            name: v("name"),
            description: v("description"),
            severity: v("severity"),
            filter: v("filter"),
            kind: v("kind"),
            count: v("count"),
            window_minutes: v("window_minutes"),
            group_by: v("group_by"),
            field: v("field"),
            history_days: v("history_days"),
            window_hours: v("window_hours"),
            factor: v("factor"),
            floor: v("floor"),
            silent_minutes: v("silent_minutes"),
            failures_in_a_row: v("failures_in_a_row"),
            expiry_warning_days: v("expiry_warning_days"),
            dedup_key: v("dedup_key"),
            dedup_minutes: v("dedup_minutes"),
            exclude_people: v("exclude_people"),
            exclude_teams: v("exclude_teams"),
            exclude_ips: v("exclude_ips"),
            destinations: v("destinations"),
            enabled: v("enabled"),
            correlate_by: v("correlate_by"),
            lookback_hours: v("lookback_hours"),
            reopen_hours: v("reopen_hours"),
        }
    }

    /// The form of a stored rule.
    pub fn of(id: &str, spec: &RuleSpec) -> Self {
        let join = |v: Vec<String>| v.join(", ");
        let mut f = Self {
            id: id.to_owned(),
            name: spec.name.clone(),
            description: spec.description.clone(),
            severity: spec.severity.as_str().to_owned(),
            filter: spec.filter.clone(),
            kind: spec.kind.name().to_owned(),
            dedup_key: spec.dedup.key.clone(),
            dedup_minutes: spec.dedup.period_minutes.to_string(),
            exclude_people: join(
                spec.exclusions
                    .people
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            exclude_teams: join(
                spec.exclusions
                    .teams
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            exclude_ips: join(
                spec.exclusions
                    .ips
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            destinations: spec.destinations.join(", "),
            enabled: if spec.enabled {
                "on".into()
            } else {
                String::new()
            },
            correlate_by: spec.correlation.by.as_str().to_owned(),
            lookback_hours: spec.correlation.lookback_hours.to_string(),
            reopen_hours: spec.correlation.reopen_hours.to_string(),
            ..Self::default()
        };
        match &spec.kind {
            RuleKind::Match => {}
            RuleKind::Threshold {
                count,
                window_minutes,
                group_by,
            } => {
                f.count = count.to_string();
                f.window_minutes = window_minutes.to_string();
                f.group_by = group_by.as_str().into();
            }
            RuleKind::NewValue {
                field,
                group_by,
                history_days,
            } => {
                f.field = field.as_str().into();
                f.group_by = group_by.as_str().into();
                f.history_days = history_days.to_string();
            }
            RuleKind::Baseline {
                group_by,
                window_hours,
                history_days,
                factor,
                floor,
            } => {
                f.group_by = group_by.as_str().into();
                f.window_hours = window_hours.to_string();
                f.history_days = history_days.to_string();
                f.factor = factor.to_string();
                f.floor = floor.to_string();
            }
            RuleKind::Absence { silent_minutes } => f.silent_minutes = silent_minutes.to_string(),
            RuleKind::SyncHealth {
                failures_in_a_row,
                expiry_warning_days,
            } => {
                f.failures_in_a_row = failures_in_a_row.to_string();
                f.expiry_warning_days = expiry_warning_days.to_string();
            }
        }
        f
    }

    /// The query string of the form (for a preview link or a redirect back to it).
    pub fn to_query(&self) -> String {
        let values = [
            &self.id,
            &self.name,
            &self.description,
            &self.severity,
            &self.filter,
            &self.kind,
            &self.count,
            &self.window_minutes,
            &self.group_by,
            &self.field,
            &self.history_days,
            &self.window_hours,
            &self.factor,
            &self.floor,
            &self.silent_minutes,
            &self.failures_in_a_row,
            &self.expiry_warning_days,
            &self.dedup_key,
            &self.dedup_minutes,
            &self.exclude_people,
            &self.exclude_teams,
            &self.exclude_ips,
            &self.destinations,
            &self.enabled,
            &self.correlate_by,
            &self.lookback_hours,
            &self.reopen_hours,
        ];
        FORM_PARAMS
            .iter()
            .zip(values)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", domain::url::encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The rule the form describes, validated.
    ///
    /// # Errors
    /// The first field that is wrong, and how.
    pub fn to_spec(&self) -> Result<RuleSpec, String> {
        let severity = if self.severity.trim().is_empty() {
            Severity::Medium
        } else {
            self.severity
                .trim()
                .parse::<Severity>()
                .map_err(|e| e.to_string())?
        };
        let kind = match self.kind.trim() {
            "" | "match" => RuleKind::Match,
            "threshold" => RuleKind::Threshold {
                count: number(&self.count, "the count", 5)?,
                window_minutes: number(&self.window_minutes, "the window", 10)?,
                group_by: field(&self.group_by, Field::Person)?,
            },
            "new_value" => RuleKind::NewValue {
                field: field(&self.field, Field::Ip)?,
                group_by: field(&self.group_by, Field::Person)?,
                history_days: number(&self.history_days, "the history", 30)?,
            },
            "baseline" => RuleKind::Baseline {
                group_by: field(&self.group_by, Field::Person)?,
                window_hours: number(&self.window_hours, "the window", 24)?,
                history_days: number(&self.history_days, "the history", 30)?,
                factor: number(&self.factor, "the factor", 10.0)?,
                floor: number(&self.floor, "the floor", 50)?,
            },
            "absence" => RuleKind::Absence {
                silent_minutes: number(&self.silent_minutes, "the silence", 1440)?,
            },
            "sync_health" => RuleKind::SyncHealth {
                failures_in_a_row: number(&self.failures_in_a_row, "the failures in a row", 3)?,
                expiry_warning_days: number(&self.expiry_warning_days, "the warning", 14)?,
            },
            other => {
                return Err(format!(
                    "`{other}` is not a kind; use match, threshold, new_value, baseline, absence or sync_health"
                ))
            }
        };
        let default_key = match kind.group_by() {
            Some(g) => format!("{{{g}}}"),
            None => "{person}".to_owned(),
        };
        let spec = RuleSpec {
            name: self.name.trim().to_owned(),
            description: self.description.trim().to_owned(),
            severity,
            filter: self.filter.trim().trim_start_matches('?').to_owned(),
            kind,
            dedup: Dedup {
                key: if self.dedup_key.trim().is_empty() {
                    default_key
                } else {
                    self.dedup_key.trim().to_owned()
                },
                period_minutes: number(&self.dedup_minutes, "the dedup period", 60)?,
            },
            exclusions: Exclusions {
                people: list(&self.exclude_people)?,
                teams: list(&self.exclude_teams)?,
                ips: list(&self.exclude_ips)?,
            },
            destinations: self
                .destinations
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            enabled: matches!(self.enabled.as_str(), "on" | "true" | "1"),
            snoozed_until: None,
            correlation: Correlation {
                by: if self.correlate_by.trim().is_empty() {
                    CorrelateBy::Auto
                } else {
                    self.correlate_by
                        .trim()
                        .parse()
                        .map_err(|e: domain::UnknownValue| e.to_string())?
                },
                lookback_hours: number(
                    &self.lookback_hours,
                    "the incident lookback",
                    domain::incident::DEFAULT_LOOKBACK_HOURS,
                )?,
                reopen_hours: number(&self.reopen_hours, "the reopen window", 0)?,
            },
        };
        spec.check().map_err(|e| e.to_string())?;
        Ok(spec)
    }
}

/// One rule on the Rules page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it detects.
    pub description: String,
    /// The kind in words.
    pub logic: String,
    /// Its filter (an Events query string).
    pub filter: String,
    /// Severity of its alerts.
    pub severity: Severity,
    /// Shipped with AtlasLens.
    pub builtin: bool,
    /// Evaluated at all.
    pub enabled: bool,
    /// Notifications held until then.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// When it last recorded an alert.
    pub last_fired_at: Option<DateTime<Utc>>,
    /// Alerts over the last 7 days.
    pub alerts_7d: u64,
    /// A stored rule that no longer validates, and why.
    pub invalid: Option<String>,
}

/// A rule's edit page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleEditor {
    /// Its form.
    pub form: RuleForm,
    /// Built-in (cannot be deleted).
    pub builtin: bool,
}

/// What a preview found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewView {
    /// Over how many days.
    pub days: u32,
    /// Events its filter matches in the window (what the Events page counts).
    pub matching_events: u64,
    /// The Events query of those events.
    pub events_query: String,
    /// Only the first matching events were evaluated.
    pub truncated: bool,
    /// How many alerts it would have recorded.
    pub alerts: usize,
    /// The first ones: when, the group, why.
    pub first: Vec<(DateTime<Utc>, String, String)>,
    /// More than one an hour.
    pub noisy: bool,
}

/// Every rule, built-in first.
#[server(endpoint = "rules/list")]
pub async fn list_rules() -> Result<Vec<RuleRow>, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let now = Utc::now();
    let rules = state.store.rules.all().await?;
    let states = state.store.rules.states().await?;
    let mut rows = Vec::with_capacity(rules.len());
    for r in rules {
        let alerts_7d = state
            .store
            .alerts
            .count_for_rule(&r.id, now - chrono::Duration::days(7))
            .await?;
        rows.push(RuleRow {
            id: r.id.to_string(),
            logic: r.spec.kind.describe(),
            invalid: r.spec.check().err().map(|e| e.to_string()),
            name: r.spec.name,
            description: r.spec.description,
            filter: r.spec.filter,
            severity: r.spec.severity,
            builtin: r.builtin,
            enabled: r.spec.enabled,
            snoozed_until: r.spec.snoozed_until.filter(|t| *t > now),
            last_fired_at: states.get(r.id.as_str()).and_then(|s| s.last_fired_at),
            alerts_7d,
        });
    }
    Ok(rows)
}

/// A stored rule's form.
#[server(endpoint = "rules/get")]
pub async fn get_rule(id: String) -> Result<RuleEditor, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let id = domain::RuleId::parse(&id).map_err(|_| crate::ssr::not_found())?;
    let rule = state
        .store
        .rules
        .get(&id)
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    Ok(RuleEditor {
        form: RuleForm::of(rule.id.as_str(), &rule.spec),
        builtin: rule.builtin,
    })
}

/// "Would have fired N times over the last `days` days", by the evaluator itself.
#[server(endpoint = "rules/preview")]
pub async fn preview_rule(form: RuleForm, days: u32) -> Result<PreviewView, ApiError> {
    crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let spec = form.to_spec().map_err(crate::ssr::bad_request)?;
    if !(1..=90).contains(&days) {
        return Err(crate::ssr::bad_request("a preview covers 1 to 90 days"));
    }
    let now = Utc::now();
    let p = rules::preview::preview(&state.store, &spec, &state.streams, days, now).await?;
    let mut q = domain::rule::parse_filter(&spec.filter).unwrap_or_default();
    q.from = (now - chrono::Duration::days(i64::from(days)))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    q.to = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Ok(PreviewView {
        days,
        matching_events: p.matching_events,
        events_query: q.to_query(&[]),
        truncated: p.truncated,
        alerts: p.alerts,
        first: p
            .first
            .iter()
            .map(|a| {
                let group = a
                    .group
                    .iter()
                    .map(|(f, v)| format!("{f} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                (a.seen_at, group, a.why.clone())
            })
            .collect(),
        noisy: p.noisy,
    })
}

/// Saves the form: a new rule (its id from its name) or changes to a stored one. Returns the id.
#[server(endpoint = "rules/save")]
pub async fn save_rule(form: RuleForm) -> Result<String, ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let spec = form.to_spec().map_err(crate::ssr::bad_request)?;
    let now = Utc::now();
    let id = if form.id.trim().is_empty() {
        let suffix = format!("{:x}", now.timestamp_millis() % 0xfffff);
        let id = domain::RuleId::from_name(&spec.name, &suffix);
        state
            .store
            .rules
            .create(&id, &spec, &user.username, now)
            .await?;
        id
    } else {
        let id = domain::RuleId::parse(form.id.trim()).map_err(crate::ssr::bad_request)?;
        let snoozed = state
            .store
            .rules
            .get(&id)
            .await?
            .ok_or_else(crate::ssr::not_found)?
            .spec
            .snoozed_until;
        let spec = RuleSpec {
            snoozed_until: snoozed,
            ..spec
        };
        state
            .store
            .rules
            .update(&id, &spec, &user.username, now)
            .await?;
        id
    };
    tracing::info!(rule.id = %id, admin = %user.username, "rule saved");
    leptos_axum::redirect("/rules");
    Ok(id.to_string())
}

/// Switches a rule on or off, or snoozes it for `snooze_hours` (0 ends a snooze).
#[server(endpoint = "rules/set")]
pub async fn set_rule(
    id: String,
    enabled: Option<bool>,
    snooze_hours: Option<u32>,
) -> Result<(), ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let id = domain::RuleId::parse(&id).map_err(|_| crate::ssr::not_found())?;
    let rule = state
        .store
        .rules
        .get(&id)
        .await?
        .ok_or_else(crate::ssr::not_found)?;
    let now = Utc::now();
    let mut spec = rule.spec;
    if let Some(on) = enabled {
        spec.enabled = on;
    }
    if let Some(hours) = snooze_hours {
        if hours > 24 * 30 {
            return Err(crate::ssr::bad_request("a snooze lasts at most 30 days"));
        }
        spec.snoozed_until = (hours > 0).then(|| now + chrono::Duration::hours(i64::from(hours)));
    }
    state
        .store
        .rules
        .update(&id, &spec, &user.username, now)
        .await?;
    tracing::info!(rule.id = %id, admin = %user.username, enabled = spec.enabled, "rule changed");
    Ok(())
}

/// Deletes a rule that is not built in.
#[server(endpoint = "rules/delete")]
pub async fn delete_rule(id: String) -> Result<(), ApiError> {
    let user = crate::ssr::require_user().await?;
    let state = crate::ssr::state()?;
    let id = domain::RuleId::parse(&id).map_err(|_| crate::ssr::not_found())?;
    state.store.rules.delete(&id).await?;
    rules::memory::forget(&state.store, &id).await?;
    tracing::info!(rule.id = %id, admin = %user.username, "rule deleted");
    Ok(())
}
