//! Bitbucket's filtering and sorting language (BBQL, the `q` and `sort` parameters of every
//! listing that documents them): comparisons `field op value` over dotted paths into the served
//! object (`state`, `updated_on`, `author.display_name`, `source.branch.name`, …), joined with
//! `AND`/`OR` and grouped with parentheses.
//!
//! Operators `=`, `!=`, `~` and `!~` (case-insensitive "contains"), `>`, `>=`, `<`, `<=`;
//! values are double-quoted strings, numbers, `true`, `false`, `null`, or bare date-times
//! (`2026-09-01T00:00:00+00:00`, `2026-09-01`), which compare as instants. A field the object
//! does not carry reads as `null`. A query that does not parse is refused with Bitbucket's `400`.

use crate::format::parse_instant;
use crate::server::query_tokens::{tokens, Dialect, Tok};
use chrono::NaiveDate;
use serde_json::Value;
use std::cmp::Ordering;

/// A parsed `q`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Query {
    /// `a AND b`.
    And(Box<Query>, Box<Query>),
    /// `a OR b`.
    Or(Box<Query>, Box<Query>),
    /// `path op value`.
    Cmp(String, &'static str, Value),
}

/// BBQL quotes with `"` only; a comma is part of a word.
const BBQL: Dialect = Dialect {
    quotes: "\"",
    commas: false,
    unterminated: |_| "unterminated string".into(),
    lone_bang: || "'!' must be followed by '=' or '~'".into(),
};

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn at_keyword(&self, k: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn or(&mut self) -> Result<Query, String> {
        let mut q = self.and()?;
        while self.at_keyword("or") {
            self.pos += 1;
            q = Query::Or(Box::new(q), Box::new(self.and()?));
        }
        Ok(q)
    }

    fn and(&mut self) -> Result<Query, String> {
        let mut q = self.primary()?;
        while self.at_keyword("and") {
            self.pos += 1;
            q = Query::And(Box::new(q), Box::new(self.primary()?));
        }
        Ok(q)
    }

    fn primary(&mut self) -> Result<Query, String> {
        match self.next() {
            Some(Tok::Open) => {
                let q = self.or()?;
                match self.next() {
                    Some(Tok::Close) => Ok(q),
                    _ => Err("expecting ')'".into()),
                }
            }
            Some(Tok::Word(path)) => {
                let Some(Tok::Op(op)) = self.next() else {
                    return Err(format!("expecting an operator after '{path}'"));
                };
                let value = match self.next() {
                    Some(Tok::Str(s)) => Value::String(s),
                    Some(Tok::Word(w)) => match w.as_str() {
                        "true" => Value::Bool(true),
                        "false" => Value::Bool(false),
                        "null" => Value::Null,
                        _ => match w.parse::<f64>() {
                            Ok(n) => serde_json::Number::from_f64(n)
                                .map(Value::Number)
                                .unwrap_or(Value::String(w)),
                            Err(_) if instant(&w).is_some() => Value::String(w),
                            Err(_) => return Err(format!("cannot read the value '{w}'")),
                        },
                    },
                    _ => return Err(format!("expecting a value after '{path} {op}'")),
                };
                Ok(Query::Cmp(path, op, value))
            }
            _ => Err("expecting a field name".into()),
        }
    }
}

/// Parses a `q` parameter.
///
/// # Errors
/// What could not be read.
pub(crate) fn parse(q: &str) -> Result<Query, String> {
    let mut p = Parser {
        toks: tokens(q, &BBQL)?,
        pos: 0,
    };
    let query = p.or()?;
    if p.pos < p.toks.len() {
        return Err("expecting AND, OR or the end of the query".into());
    }
    Ok(query)
}

/// A date-time or date as epoch ms.
fn instant(s: &str) -> Option<i64> {
    parse_instant(s)
        .filter(|_| s.parse::<i64>().is_err())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_millis())
        })
}

/// Orders two JSON values: numbers numerically, strings that both read as times by instant,
/// other strings lexically; `None` when they do not compare.
pub(crate) fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => match (instant(x), instant(y)) {
            (Some(i), Some(j)) => Some(i.cmp(&j)),
            _ => Some(x.cmp(y)),
        },
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    }
}

/// The value at dotted `path` in `v` (`null` when absent).
pub(crate) fn at(v: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(v, |v, k| v.get(k))
        .cloned()
        .unwrap_or(Value::Null)
}

impl Query {
    /// Whether an object whose fields `field` reads satisfies the query.
    pub fn matches(&self, field: &dyn Fn(&str) -> Value) -> bool {
        match self {
            Self::And(a, b) => a.matches(field) && b.matches(field),
            Self::Or(a, b) => a.matches(field) || b.matches(field),
            Self::Cmp(path, op, value) => {
                let actual = field(path);
                let contains = || match (&actual, value) {
                    (Value::String(a), Value::String(v)) => {
                        a.to_lowercase().contains(&v.to_lowercase())
                    }
                    _ => false,
                };
                let o = order(&actual, value);
                match *op {
                    "=" => o == Some(Ordering::Equal),
                    "!=" => o != Some(Ordering::Equal),
                    "~" => contains(),
                    "!~" => !contains(),
                    ">" => o == Some(Ordering::Greater),
                    ">=" => matches!(o, Some(Ordering::Greater | Ordering::Equal)),
                    "<" => o == Some(Ordering::Less),
                    _ => matches!(o, Some(Ordering::Less | Ordering::Equal)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn queries_compare_times_as_instants_and_join_with_and_or() {
        let pr = json!({ "state": "MERGED", "id": 7, "updated_on": "2026-09-08T09:14:02.331455+00:00",
                          "author": { "display_name": "Zoë Ångström" } });
        let f = |p: &str| at(&pr, p);
        for (q, want) in [
            ("updated_on >= 2026-09-08T09:00:00+00:00", true),
            ("updated_on>2026-09-09", false),
            ("state = \"MERGED\" AND id > 5", true),
            (
                "state = \"OPEN\" OR (author.display_name ~ \"zoë\" AND id <= 7)",
                true,
            ),
            ("author.display_name !~ \"zoë\"", false),
            ("closed_by = null", true),
            ("id != 7", false),
        ] {
            assert_eq!(parse(q).unwrap().matches(&f), want, "{q}");
        }
        for bad in [
            "state",
            "state = ",
            "(state = \"OPEN\"",
            "state = OPEN",
            "a = 1 b = 2",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
