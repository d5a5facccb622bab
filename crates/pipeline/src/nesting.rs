//! The one bound on how deeply a record may nest, checked where every record enters
//! ([`crate::normalize`]), whatever parser produced it.
//!
//! Building an event copies `raw`, and storing it converts it to BSON; both recurse once per level,
//! so a record nested some thousands of levels deep would overflow a worker's stack. Connectors
//! cannot deliver one (the JSON parser stops at 128 levels), but importers and the ingest API read
//! other parsers' output. Every walk here is iterative, so checking, quarantining and dropping such
//! a record is safe at any depth.

use serde_json::Value;
use std::fmt::Write;

/// The deepest nesting a record may have. Atlassian's payloads nest about ten levels; the JSON
/// parser's own limit is 128.
pub const MAX_DEPTH: usize = 64;

/// Quarantined records deeper than [`MAX_DEPTH`] keep at most this much of their JSON text.
const KEPT_TEXT: usize = 64 * 1024;

/// Whether `v` nests deeper than `limit` levels (a scalar is one level, `[1]` two).
pub fn deeper_than(v: &Value, limit: usize) -> bool {
    let mut stack = vec![(v, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > limit {
            return true;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().map(|c| (c, depth + 1))),
            Value::Object(map) => stack.extend(map.values().map(|c| (c, depth + 1))),
            _ => {}
        }
    }
    false
}

/// `raw` in a form the rejects collection can store: itself when it is within [`MAX_DEPTH`],
/// else the start of its JSON text as a string (the original is dropped without recursion).
pub fn storable(raw: Value) -> Value {
    if !deeper_than(&raw, MAX_DEPTH) {
        return raw;
    }
    let text = json_text(&raw, KEPT_TEXT);
    drop_flat(raw);
    Value::String(text)
}

/// The compact JSON text of `v`, cut after about `max` bytes (marked with `…`), written without
/// recursion.
fn json_text(v: &Value, max: usize) -> String {
    enum Step<'a> {
        Value(&'a Value),
        Key(&'a str),
        Text(&'static str),
    }
    let mut out = String::new();
    let mut stack = vec![Step::Value(v)];
    while let Some(step) = stack.pop() {
        if out.len() >= max {
            out.push('…');
            break;
        }
        match step {
            Step::Text(t) => out.push_str(t),
            Step::Key(k) => {
                let _ = write!(out, "{}:", Value::String(k.to_owned()));
            }
            Step::Value(Value::Array(items)) => {
                out.push('[');
                stack.push(Step::Text("]"));
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push(Step::Value(item));
                    if i > 0 {
                        stack.push(Step::Text(","));
                    }
                }
            }
            Step::Value(Value::Object(map)) => {
                out.push('{');
                stack.push(Step::Text("}"));
                for (i, (k, item)) in map.iter().enumerate().rev() {
                    stack.push(Step::Value(item));
                    stack.push(Step::Key(k));
                    if i > 0 {
                        stack.push(Step::Text(","));
                    }
                }
            }
            Step::Value(Value::String(text)) if text.len() > max - out.len() => {
                // One long string must not carry the text past its budget.
                let mut end = max - out.len();
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                let _ = write!(out, "{}…", Value::String(text[..end].to_owned()));
                break;
            }
            Step::Value(scalar) => {
                let _ = write!(out, "{scalar}");
            }
        }
    }
    out
}

/// Drops `v` level by level instead of through the recursive default drop.
pub fn drop_flat(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, c)| c)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A value nested `levels` deep, built without recursion: `{"a":{"a":…1…}}`.
    fn nested(levels: usize) -> Value {
        let mut v = json!(1);
        for _ in 1..levels {
            let mut map = serde_json::Map::new();
            map.insert("a".into(), v);
            v = Value::Object(map);
        }
        v
    }

    #[test]
    fn depth_counts_levels_and_stops_at_the_limit() {
        assert!(!deeper_than(&json!(1), 1));
        assert!(deeper_than(&json!([1]), 1));
        assert!(!deeper_than(&json!({"a": [1, {"b": 2}]}), 4));
        assert!(deeper_than(&json!({"a": [1, {"b": 2}]}), 3));
        assert!(!deeper_than(&nested(MAX_DEPTH), MAX_DEPTH));
        assert!(deeper_than(&nested(MAX_DEPTH + 1), MAX_DEPTH));
    }

    #[test]
    fn the_text_of_a_value_is_its_compact_json() {
        let v = json!({"a": [1, "x\"y", null, {"b": true}], "c": {}});
        assert_eq!(json_text(&v, 1 << 20), v.to_string());
        let deep = nested(100_000);
        assert!(json_text(&deep, 100).ends_with('…'));
        let long = json!({"a": "x".repeat(10_000)});
        let cut = json_text(&long, 100);
        assert!(cut.len() < 120 && cut.ends_with('…'), "{cut}");
        drop_flat(deep);
    }

    #[test]
    fn a_record_a_hundred_thousand_levels_deep_is_kept_as_text_and_dropped_safely() {
        let kept = storable(nested(100_000));
        let text = kept.as_str().unwrap();
        assert!(text.starts_with(r#"{"a":{"a":"#));
        assert!(text.len() <= KEPT_TEXT + 4);
        let shallow = json!({"id": 1});
        assert_eq!(storable(shallow.clone()), shallow);
    }
}
