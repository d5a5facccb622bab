//! The JQL the simulator evaluates: `AND`-joined clauses over the issue fields it models
//! (`project`, `key`/`issuekey`, `id`, `status`, `issuetype`/`type`, `creator`, `reporter`,
//! `created`, `updated`) and `ORDER BY` over the sortable ones.
//!
//! Dates come in every form Jira documents for a date field: literals (`"yyyy-MM-dd HH:mm"`,
//! `"yyyy/MM/dd HH:mm"`, `"yyyy-MM-dd"`, `"yyyy/MM/dd"`, read in the API user's time zone, UTC,
//! to the minute), periods relative to now (`-30d`, `"-4w 2d"`, `-2h`, `-15m`) and the date
//! functions (`now()`, `startOfDay()`, `endOfWeek("-1w")`, …). "Now" is the simulator's clock,
//! passed in, never the wall clock — a query means the same thing however long a test has run.
//!
//! `OR`, parentheses and fields outside the list answer `400` like a query Jira cannot read
//! (docs/simulator.md §7 lists the subset); the `400` names what was not understood.

mod dates;

use crate::server::query_tokens::{tokens, Dialect, Tok};
use dates::{function, literal, period};

/// The account id `currentUser()` stands for: the API user (`/myself`).
pub(crate) const API_USER: &str = "5b10ac8d82e05b22cc7d4ef5";

/// An issue field the subset knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// `project` (key, name or id).
    Project,
    /// `key` / `issuekey` (also matches the id, as in Jira).
    Key,
    /// `id` (also matches the key).
    Id,
    /// `status` (name or id).
    Status,
    /// `issuetype` / `type` (name or id).
    IssueType,
    /// `creator` (account id).
    Creator,
    /// `reporter` (account id).
    Reporter,
    /// `created`.
    Created,
    /// `updated`.
    Updated,
}

impl Field {
    fn parse(name: &str) -> Result<Self, String> {
        Ok(match name.to_lowercase().as_str() {
            "project" => Self::Project,
            "key" | "issuekey" => Self::Key,
            "id" => Self::Id,
            "status" => Self::Status,
            "issuetype" | "type" => Self::IssueType,
            "creator" => Self::Creator,
            "reporter" => Self::Reporter,
            "created" | "createddate" => Self::Created,
            "updated" | "updateddate" => Self::Updated,
            _ => {
                return Err(format!(
                    "Field '{name}' does not exist or you do not have permission to view it."
                ))
            }
        })
    }

    fn is_date(self) -> bool {
        matches!(self, Self::Created | Self::Updated)
    }

    fn name(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Key => "key",
            Self::Id => "id",
            Self::Status => "status",
            Self::IssueType => "issuetype",
            Self::Creator => "creator",
            Self::Reporter => "reporter",
            Self::Created => "created",
            Self::Updated => "updated",
        }
    }
}

/// One restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Clause {
    /// A text field equal to one of `values` (case-insensitive), or to none when `negated`.
    Text {
        /// The field.
        field: Field,
        /// The accepted values.
        values: Vec<String>,
        /// `!=` / `not in`.
        negated: bool,
    },
    /// A date field inside `[from, to)`, epoch ms.
    Date {
        /// `created` or `updated`.
        field: Field,
        /// Inclusive lower bound.
        from: Option<i64>,
        /// Exclusive upper bound.
        to: Option<i64>,
    },
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Jql {
    /// Restrictions, all of which must hold.
    pub clauses: Vec<Clause>,
    /// `ORDER BY` fields, `true` for descending; empty when the query has none.
    pub order: Vec<(Field, bool)>,
}

/// What one issue is matched against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'a> {
    /// The forms `project` matches (key, name, id).
    pub project: [&'a str; 3],
    /// Issue key.
    pub key: &'a str,
    /// Issue id.
    pub id: &'a str,
    /// Status name and id.
    pub status: [&'a str; 2],
    /// Issue type name and id.
    pub issuetype: [&'a str; 2],
    /// Creator (and reporter) account id.
    pub creator: &'a str,
    /// Created, epoch ms.
    pub created: i64,
    /// Updated, epoch ms.
    pub updated: i64,
}

impl Jql {
    /// Whether the issue described by `facts` satisfies every clause.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.clauses.iter().all(|c| match c {
            Clause::Date { field, from, to } => {
                let t = if *field == Field::Created {
                    facts.created
                } else {
                    facts.updated
                };
                from.is_none_or(|f| t >= f) && to.is_none_or(|u| t < u)
            }
            Clause::Text {
                field,
                values,
                negated,
            } => {
                let forms: &[&str] = match field {
                    Field::Project => &facts.project,
                    Field::Key | Field::Id => &[facts.key, facts.id],
                    Field::Status => &facts.status,
                    Field::IssueType => &facts.issuetype,
                    Field::Creator | Field::Reporter => &[facts.creator],
                    Field::Created | Field::Updated => &[],
                };
                let hit = values
                    .iter()
                    .any(|v| forms.iter().any(|f| f.eq_ignore_ascii_case(v)));
                hit != *negated
            }
        })
    }
}

fn syntax(detail: &str) -> String {
    format!("Error in the JQL Query: {detail}")
}

/// JQL quotes with `"` or `'` and lists values with commas.
const JQL: Dialect = Dialect {
    quotes: "\"'",
    commas: true,
    unterminated: |s| syntax(&format!("The quoted string '{s}' has not been completed.")),
    lone_bang: || syntax("Expecting '=' or '~' after '!'."),
};

fn keyword(t: Option<&Tok>, k: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
}

/// A value as written: a string or word, or a function call with its arguments.
#[derive(Debug)]
enum Value {
    Plain(String),
    Call(String, Vec<String>),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Value::Plain(s)),
            Some(Tok::Word(w)) if self.peek() == Some(&Tok::Open) => {
                self.next();
                let mut args = Vec::new();
                loop {
                    match self.next() {
                        Some(Tok::Close) => break,
                        Some(Tok::Comma) => {}
                        Some(Tok::Word(a) | Tok::Str(a)) => args.push(a),
                        _ => {
                            return Err(syntax(&format!(
                                "Expecting ')' to close the arguments of '{w}'."
                            )))
                        }
                    }
                }
                Ok(Value::Call(w, args))
            }
            Some(Tok::Word(w)) => Ok(Value::Plain(w)),
            _ => Err(syntax("Expecting a value.")),
        }
    }

    fn list(&mut self) -> Result<Vec<Value>, String> {
        if self.next() != Some(Tok::Open) {
            return Err(syntax("Expecting '(' after 'in'."));
        }
        let mut values = Vec::new();
        loop {
            values.push(self.value()?);
            match self.next() {
                Some(Tok::Comma) => {}
                Some(Tok::Close) => return Ok(values),
                _ => return Err(syntax("Expecting ',' or ')' in the list.")),
            }
        }
    }
}

/// Parses `jql`, reading relative dates and date functions at `now_ms`.
///
/// # Errors
/// The message Jira gives for a query it cannot run (an unbounded query among them).
pub(crate) fn parse(jql: &str, now_ms: i64) -> Result<Jql, String> {
    let mut p = Parser {
        toks: tokens(jql, &JQL)?,
        pos: 0,
    };
    let mut out = Jql::default();
    let mut dates: Vec<(Field, Option<i64>, Option<i64>)> = Vec::new();
    while p.peek().is_some() && !keyword(p.peek(), "order") {
        if !out.clauses.is_empty() || !dates.is_empty() {
            if keyword(p.peek(), "or") {
                return Err(syntax(
                    "the simulator evaluates AND-joined clauses only, not 'OR'.",
                ));
            }
            if !keyword(p.peek(), "and") {
                return Err(syntax("Expecting 'AND' or 'ORDER BY' between clauses."));
            }
            p.next();
        }
        let field = match p.next() {
            Some(Tok::Word(w)) => Field::parse(&w)?,
            Some(Tok::Open) => {
                return Err(syntax(
                    "the simulator does not evaluate parenthesised clauses.",
                ))
            }
            _ => return Err(syntax("Expecting a field name.")),
        };
        let op = match p.next() {
            Some(Tok::Op(op)) => op,
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("in") => "in",
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not") && keyword(p.peek(), "in") => {
                p.next();
                "not in"
            }
            _ => {
                return Err(syntax(&format!(
                    "Expecting an operator after '{}'.",
                    field.name()
                )))
            }
        };
        if field.is_date() {
            let value = p.value()?;
            let (t, step) = date_value(&value, now_ms).map_err(|bad| {
                format!(
                    "Date value '{bad}' for field '{}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
                    field.name()
                )
            })?;
            let (from, to) = match op {
                ">=" => (Some(t), None),
                ">" => (Some(t + step), None),
                "<" => (None, Some(t)),
                "<=" => (None, Some(t + step)),
                "=" => (Some(t), Some(t + step)),
                _ => {
                    return Err(syntax(&format!(
                        "the operator '{op}' is not evaluated for the date field '{}'.",
                        field.name()
                    )))
                }
            };
            dates.push((field, from, to));
            continue;
        }
        let (values, negated) = match op {
            "=" | "!=" => (vec![p.value()?], op == "!="),
            "in" | "not in" => (p.list()?, op == "not in"),
            _ => {
                return Err(syntax(&format!(
                    "The operator '{op}' is not supported by the '{}' field.",
                    field.name()
                )))
            }
        };
        let values = values
            .into_iter()
            .map(text_value)
            .collect::<Result<_, _>>()?;
        out.clauses.push(Clause::Text {
            field,
            values,
            negated,
        });
    }
    // Several bounds on one field narrow it: `updated >= a AND updated < b`.
    for field in [Field::Created, Field::Updated] {
        let mine: Vec<_> = dates.iter().filter(|d| d.0 == field).collect();
        if mine.is_empty() {
            continue;
        }
        let from = mine.iter().filter_map(|d| d.1).max();
        let to = mine.iter().filter_map(|d| d.2).min();
        out.clauses.push(Clause::Date { field, from, to });
    }
    if p.peek().is_some() {
        p.next();
        if !keyword(p.next().as_ref(), "by") {
            return Err(syntax("Expecting 'BY' after 'ORDER'."));
        }
        loop {
            let field = match p.next() {
                Some(Tok::Word(w)) => Field::parse(&w)?,
                _ => return Err(syntax("Expecting a field name after 'ORDER BY'.")),
            };
            if matches!(field, Field::Creator | Field::Reporter) {
                return Err(syntax(&format!(
                    "the simulator does not order by '{}'.",
                    field.name()
                )));
            }
            let desc = if keyword(p.peek(), "desc") {
                p.next();
                true
            } else {
                if keyword(p.peek(), "asc") {
                    p.next();
                }
                false
            };
            out.order.push((field, desc));
            match p.next() {
                None => break,
                Some(Tok::Comma) if out.order.len() < 7 => {}
                Some(Tok::Comma) => {
                    return Err(syntax(
                        "The ORDER BY clause can contain a maximum of 7 fields.",
                    ))
                }
                _ => {
                    return Err(syntax(
                        "Expecting ',' or the end of the query after ORDER BY.",
                    ))
                }
            }
        }
    }
    if out.clauses.is_empty() {
        return Err("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.".into());
    }
    Ok(out)
}

fn text_value(v: Value) -> Result<String, String> {
    match v {
        Value::Plain(s) => Ok(s),
        Value::Call(f, _) if f.eq_ignore_ascii_case("currentUser") => Ok(API_USER.to_owned()),
        Value::Call(f, _) => Err(format!("Unable to find JQL function '{f}()'.")),
    }
}

/// A date value as an instant and its precision (a literal names a whole minute), epoch ms; the
/// text that could not be read otherwise.
fn date_value(v: &Value, now_ms: i64) -> Result<(i64, i64), String> {
    match v {
        Value::Plain(s) => literal(s)
            .map(|t| (t, 60_000))
            .or_else(|| period(s).map(|d| (now_ms + d, 1)))
            .ok_or_else(|| s.clone()),
        Value::Call(f, args) => function(f, args, now_ms).ok_or_else(|| format!("{f}()")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-09-16T10:30:00Z, a Wednesday.
    const NOW: i64 = 1_789_554_600_000;

    fn bounds(j: &Jql, field: Field) -> (Option<i64>, Option<i64>) {
        j.clauses
            .iter()
            .find_map(|c| match c {
                Clause::Date { field: f, from, to } if *f == field => Some((*from, *to)),
                _ => None,
            })
            .expect("a date clause")
    }

    #[test]
    fn the_subset_reads_minutes_projects_and_orderings_and_rejects_the_rest() {
        let j = parse(r#"updated >= "2026-09-14 08:00" AND updated < "2026-09-14 09:00" AND project in (PLAT, PAY) ORDER BY updated ASC, key DESC"#, NOW).unwrap();
        assert_eq!(
            bounds(&j, Field::Updated),
            (Some(1_789_372_800_000), Some(1_789_376_400_000))
        );
        assert!(j.clauses.contains(&Clause::Text {
            field: Field::Project,
            values: vec!["PLAT".into(), "PAY".into()],
            negated: false
        }));
        assert_eq!(j.order, vec![(Field::Updated, false), (Field::Key, true)]);
        assert!(parse("assignee = currentUser()", NOW)
            .unwrap_err()
            .contains("Field 'assignee' does not exist"));
        assert!(parse("ORDER BY key", NOW)
            .unwrap_err()
            .contains("Unbounded"));
        assert!(parse(r#"updated >= "yesterday""#, NOW)
            .unwrap_err()
            .contains("Date value 'yesterday'"));
        assert!(parse("project = A OR project = B", NOW).is_err());
    }

    #[test]
    fn relative_dates_are_read_against_the_given_clock() {
        for (jql, expected) in [
            ("updated >= -30d", NOW - 30 * 86_400_000),
            ("updated >= '-4w'", NOW - 28 * 86_400_000),
            ("updated>=-2h", NOW - 7_200_000),
            ("updated >= \"-15m\"", NOW - 900_000),
            ("updated >= \"-4w 2d\"", NOW - 30 * 86_400_000),
            ("updated >= now()", NOW),
        ] {
            let j = parse(jql, NOW).unwrap_or_else(|e| panic!("{jql}: {e}"));
            assert_eq!(bounds(&j, Field::Updated), (Some(expected), None), "{jql}");
        }
        let later = parse("updated >= -30d", NOW + 3_600_000).unwrap();
        assert_eq!(
            bounds(&later, Field::Updated).0,
            Some(NOW + 3_600_000 - 30 * 86_400_000),
            "the same query moves with the clock"
        );
    }

    #[test]
    fn date_functions_start_and_end_their_periods_in_utc() {
        let day = 1_789_516_800_000; // 2026-09-16T00:00:00Z
        let cases = [
            ("created >= startOfDay()", (Some(day), None)),
            ("created >= startOfDay(-1)", (Some(day - 86_400_000), None)),
            (
                "created >= startOfDay(\"-1d\")",
                (Some(day - 86_400_000), None),
            ),
            ("created <= endOfDay()", (None, Some(day + 86_400_000))),
            (
                "created >= startOfWeek()",
                (Some(day - 3 * 86_400_000), None),
            ),
            ("created >= startOfMonth()", (Some(1_788_220_800_000), None)),
            (
                "created < startOfMonth(\"+1M\")",
                (None, Some(1_790_812_800_000)),
            ),
            ("created >= startOfYear()", (Some(1_767_225_600_000), None)),
        ];
        for (jql, expected) in cases {
            let j = parse(jql, NOW).unwrap_or_else(|e| panic!("{jql}: {e}"));
            assert_eq!(bounds(&j, Field::Created), expected, "{jql}");
        }
        assert!(parse("created >= startOfFortnight()", NOW).is_err());
    }

    #[test]
    fn literals_take_the_whole_minute_and_dates_the_midnight() {
        let t = 1_789_372_800_000; // 2026-09-14 08:00
        let j = parse(r#"updated > "2026/09/14 08:00""#, NOW).unwrap();
        assert_eq!(bounds(&j, Field::Updated), (Some(t + 60_000), None));
        let j = parse(r#"updated <= "2026-09-14 08:00""#, NOW).unwrap();
        assert_eq!(bounds(&j, Field::Updated), (None, Some(t + 60_000)));
        let j = parse("created >= 2026-09-14", NOW).unwrap();
        assert_eq!(bounds(&j, Field::Created), (Some(t - 8 * 3_600_000), None));
    }
}
