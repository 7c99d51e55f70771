//! `kubectl get` tables (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): a Name
//! column, the resource's printer columns, and Age for built-ins.

use serde_json::{Value, json};

use crate::resources::{CellSource, PrinterColumn, ResourceDescriptor};

/// True when the client asked for a `meta.k8s.io` Table.
pub fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

/// What each row carries in `object` (`includeObject`): None, Metadata (default) or Object.
pub fn table(
    desc: &ResourceDescriptor,
    items: &[Value],
    rv: &str,
    include: &str,
    with_columns: bool,
) -> Value {
    let columns = columns(desc);
    let rows: Vec<Value> = items
        .iter()
        .map(|item| row(&columns, item, include))
        .collect();
    let definitions: Vec<Value> = if with_columns {
        columns.iter().map(column_definition).collect()
    } else {
        Vec::new()
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": rv},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

fn columns(desc: &ResourceDescriptor) -> Vec<PrinterColumn> {
    let name = PrinterColumn {
        name: "Name".into(),
        type_: "string".into(),
        description: "Name must be unique within a namespace.".into(),
        priority: 0,
        source: CellSource::Path(".metadata.name".into()),
    };
    let mut all = vec![name];
    all.extend(desc.columns.iter().cloned());
    if desc.schema.is_none() {
        all.push(PrinterColumn {
            name: "Age".into(),
            type_: "date".into(),
            description: "Time since the object was created.".into(),
            priority: 0,
            source: CellSource::Path(".metadata.creationTimestamp".into()),
        });
    }
    all
}

fn column_definition(c: &PrinterColumn) -> Value {
    let (type_, format) = match c.type_.as_str() {
        "date" => ("string", "date"),
        "string" if c.name == "Name" => ("string", "name"),
        other => (other, ""),
    };
    json!({"name": c.name, "type": type_, "format": format, "description": c.description,
           "priority": c.priority})
}

fn row(columns: &[PrinterColumn], item: &Value, include: &str) -> Value {
    let cells: Vec<Value> = columns.iter().map(|c| cell(c, item)).collect();
    let object = match include {
        "None" => Value::Null,
        "Object" => item.clone(),
        _ => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": item.get("metadata").cloned().unwrap_or_else(|| json!({})),
        }),
    };
    json!({"cells": cells, "object": object})
}

fn cell(column: &PrinterColumn, item: &Value) -> Value {
    match &column.source {
        CellSource::Count(path) => {
            let n = lookup(item, path).map(|v| match v {
                Value::Object(m) => m.len(),
                Value::Array(a) => a.len(),
                _ => 0,
            });
            json!(n.unwrap_or(0))
        }
        CellSource::Path(path) => {
            let value = lookup(item, path).cloned().unwrap_or(Value::Null);
            if column.type_ == "date" {
                return value
                    .as_str()
                    .map(age)
                    .map(Value::String)
                    .unwrap_or(Value::Null);
            }
            match value {
                Value::Null => json!("<none>"),
                Value::Object(_) | Value::Array(_) if column.type_ == "string" => {
                    json!(value.to_string())
                }
                other => other,
            }
        }
    }
}

/// Evaluates the simple JSONPath subset CRD printer columns use: `.a.b`, `.a[0].b`, and
/// `{.a.b}` wrappers.
pub fn lookup<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.trim().trim_start_matches('{').trim_end_matches('}');
    let mut current = obj;
    for part in path
        .trim_start_matches('.')
        .split('.')
        .filter(|p| !p.is_empty())
    {
        let (field, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !field.is_empty() {
            current = current.get(field)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let n: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get(n)?;
        }
    }
    Some(current)
}

/// Short human age like kubectl prints (`45s`, `3m`, `2h`, `5d`).
fn age(timestamp: &str) -> String {
    let Ok(then) = timestamp.parse::<jiff::Timestamp>() else {
        return "<invalid>".into();
    };
    let seconds = (jiff::Timestamp::now().as_second() - then.as_second()).max(0);
    match seconds {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonpath_subset_reads_nested_fields_and_indexes() {
        let obj = json!({"status": {"conditions": [{"type": "Ready"}]}, "spec": {"a": 1}});
        assert_eq!(
            lookup(&obj, ".status.conditions[0].type"),
            Some(&json!("Ready"))
        );
        assert_eq!(lookup(&obj, "{.spec.a}"), Some(&json!(1)));
        assert_eq!(lookup(&obj, ".spec.missing"), None);
    }

    #[test]
    fn only_a_leading_table_accept_asks_for_a_table() {
        assert!(wants_table(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
        ));
        assert!(!wants_table("application/json"));
    }
}
