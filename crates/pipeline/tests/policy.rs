//! The severity policy as auditors read it — the table in `docs/normalisation.md` — is exactly
//! what the code does: one row per operation, each row's severity, and each example source action
//! mapping to that row's operation.

use domain::{Operation, Severity};
use pipeline::classify::severity;
use pipeline::operations::audit_operation;

struct Row {
    line: usize,
    operation: Operation,
    severity: Severity,
    examples: Vec<String>,
}

/// The text between backticks in `cell`.
fn quoted(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn table() -> Vec<Row> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/normalisation.md");
    let doc = std::fs::read_to_string(path).expect("docs/normalisation.md is readable");
    let start = doc
        .find("<!-- severity-table -->")
        .expect("the table's start marker");
    let end = doc
        .find("<!-- /severity-table -->")
        .expect("the table's end marker");
    let first_line = doc[..start].lines().count() + 1;
    doc[start..end]
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("| `"))
        .map(|(i, l)| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 4, "line {}: four columns", first_line + i);
            let name = quoted(cells[0]).pop().expect("an operation in backticks");
            Row {
                line: first_line + i,
                operation: name
                    .parse()
                    .unwrap_or_else(|e| panic!("line {}: {e}", first_line + i)),
                severity: cells[1]
                    .parse()
                    .unwrap_or_else(|e| panic!("line {}: {e}", first_line + i)),
                examples: quoted(cells[3]),
            }
        })
        .collect()
}

#[test]
fn the_severity_table_in_the_docs_is_what_the_code_does() {
    let rows = table();
    for op in Operation::ALL {
        let n = rows.iter().filter(|r| r.operation == *op).count();
        assert_eq!(n, 1, "`{op}` has exactly one row (found {n})");
    }
    for row in &rows {
        assert_eq!(
            severity(row.operation),
            row.severity,
            "line {}: `{}`",
            row.line,
            row.operation
        );
        for example in &row.examples {
            assert_eq!(
                audit_operation(example),
                row.operation,
                "line {}: the example `{example}`",
                row.line
            );
        }
    }
    let audit_rows = rows.iter().filter(|r| !r.examples.is_empty()).count();
    assert!(audit_rows >= 20, "the audit operations carry examples");
}

/// Regression: an organization "User added to the organization" event came out `audit_other`
/// at low severity.
#[test]
fn joining_the_organization_is_a_named_medium_event() {
    let op = audit_operation("User added to the organization");
    assert_eq!(
        (op, severity(op)),
        (Operation::UserAddedToOrg, Severity::Medium)
    );
}

/// Regression: every audit action outside the vocabulary landed at low severity.
#[test]
fn an_unknown_audit_action_is_medium_not_low() {
    let op = audit_operation("marketplace_app_installed");
    assert_eq!(
        (op, severity(op)),
        (Operation::AuditOther, Severity::Medium)
    );
}

/// Regression: a deleted project and a completed space export were medium.
#[test]
fn deletions_and_exports_are_high() {
    for action in [
        "Project deleted",
        "Space export completed",
        "bitbucket_repository_deleted",
        "user_details_exported",
    ] {
        let op = audit_operation(action);
        assert_eq!(severity(op), Severity::High, "{action} → {op}");
    }
}
