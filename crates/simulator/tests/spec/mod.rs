//! Reading Atlassian's published OpenAPI documents (vendored unmodified in `specs/`, provenance
//! in `specs/SOURCES.md`) at test time: response schemas to validate against, and the parameters
//! each operation documents, with the values the documents themselves list for them.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::PathBuf;

fn specs_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs");
    assert!(
        dir.join("SOURCES.md").exists(),
        "the OpenAPI documents are missing: expected them in {}",
        dir.display()
    );
    dir
}

/// The document `name` in `specs/`.
pub fn spec(name: &str) -> Value {
    let path = specs_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The saved Jira platform document.
pub const JIRA: &str = "jira-platform-v3.json";

/// The Jira document, with `AuditRecordBean` declaring `authorAccountId`, which Atlassian's own
/// response example for the audit operation carries (schemas.rs checks the example does).
pub fn jira_doc() -> Value {
    let mut jira = spec(JIRA);
    jira["components"]["schemas"]["AuditRecordBean"]["properties"]["authorAccountId"] =
        json!({ "type": "string" });
    jira
}

/// OpenAPI 3.0's `nullable: true` is not JSON Schema; turn it into a `null` type alternative.
pub fn json_schema(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("nullable") == Some(&Value::Bool(true)) {
                    if let Some(Value::String(t)) = map.get("type").cloned() {
                        map.insert("type".into(), json!([t, "null"]));
                    }
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// A validator for `schema`, resolving `#/components/...` in `doc`.
pub fn validator(doc: &Value, schema: &Value, what: &str) -> jsonschema::Validator {
    let mut root = json_schema(schema.clone());
    if let Some(obj) = root.as_object_mut() {
        obj.insert("components".into(), json_schema(doc["components"].clone()));
    }
    jsonschema::draft4::options()
        .should_validate_formats(false)
        .build(&root)
        .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}"))
}

/// The first errors of `instance` against `validator`, empty when it matches.
pub fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// Validates `instance` against `schema`, resolving `#/components/...` in `doc`.
pub fn check(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let errors = errors(&validator(doc, schema, what), instance);
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n{}",
        errors.join("\n")
    );
}

/// The `200` schema of `method path` in `doc`.
pub fn response_schema_of(doc: &Value, path: &str, method: &str) -> Value {
    let schema =
        &doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {path} has no 200 JSON schema");
    schema.clone()
}

/// The `200` schema of `GET path` in `doc`.
pub fn response_schema(doc: &Value, path: &str) -> Value {
    response_schema_of(doc, path, "get")
}

/// `v`, or what its `$ref` points at in `doc`.
pub fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |node, key| &node[key]),
        None => v,
    }
}

/// A parameter an operation documents.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// `query`, `path`, or `body` for a property of the JSON request body.
    pub location: String,
    /// Its schema, `$ref` resolved.
    pub schema: Value,
    /// Its description.
    pub description: String,
}

/// The parameters (path-level and operation-level) of `method path`, `$ref`s resolved.
pub fn parameters(doc: &Value, path: &str, method: &str) -> Vec<Param> {
    let item = &doc["paths"][path];
    assert!(
        item[method].is_object(),
        "the document has no {method} {path}"
    );
    let listed = item["parameters"]
        .as_array()
        .into_iter()
        .chain(item[method]["parameters"].as_array())
        .flatten();
    listed
        .map(|p| {
            let p = resolve(doc, p);
            Param {
                name: p["name"].as_str().unwrap().to_owned(),
                location: p["in"].as_str().unwrap().to_owned(),
                schema: resolve(doc, &p["schema"]).clone(),
                description: p["description"].as_str().unwrap_or("").to_owned(),
            }
        })
        .collect()
}

/// The properties of the JSON request body of `method path`, as `body` parameters.
pub fn body_properties(doc: &Value, path: &str, method: &str) -> Vec<Param> {
    let body = resolve(doc, &doc["paths"][path][method]["requestBody"]);
    let schema = resolve(doc, &body["content"]["application/json"]["schema"]);
    let props = schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} has no JSON body properties"));
    props
        .iter()
        .map(|(name, s)| {
            let s = resolve(doc, s);
            Param {
                name: name.clone(),
                location: "body".into(),
                schema: s.clone(),
                description: s["description"].as_str().unwrap_or("").to_owned(),
            }
        })
        .collect()
}

/// The values a parameter's documentation lists: its schema's `enum` (or its items'), else the
/// values its description enumerates — a bullet list of code spans (`` *  `status` Returns… ``)
/// or a "Valid values: 'a', 'b'." sentence. Empty when it lists none.
pub fn documented_values(p: &Param) -> Vec<String> {
    let from_enum = p.schema["enum"]
        .as_array()
        .or_else(|| p.schema["items"]["enum"].as_array());
    if let Some(values) = from_enum {
        return values
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
    }
    let mut out = Vec::new();
    for line in p.description.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix('*') {
            let rest = rest.trim_start();
            if let Some(code) = rest.strip_prefix('`') {
                if let Some(end) = code.find('`') {
                    out.push(code[..end].to_owned());
                }
            }
        }
    }
    if out.is_empty() {
        if let Some(i) = p.description.find("Valid values:") {
            let tail = &p.description[i + "Valid values:".len()..];
            let sentence = tail.split('.').next().unwrap_or("");
            out = sentence
                .split(',')
                .map(|v| v.trim().trim_matches('\'').to_owned())
                .filter(|v| !v.is_empty())
                .collect();
        }
    }
    out
}

/// Query parameter names an operation's description shows in example requests
/// (`#### GET /…/commits/?include=foo&exclude=fu`), for operations that document their
/// parameters only in prose.
pub fn parameters_in_examples(description: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in description.lines().filter(|l| l.starts_with("####")) {
        if let Some((_, q)) = line.split_once('?') {
            for pair in q.split('&') {
                let name = pair.split('=').next().unwrap_or("").trim().to_owned();
                if !name.is_empty() && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}
