//! `kubectl get` tables (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): a Name
//! column, the resource's printer columns, and Age for built-ins.

use serde_json::{Value, json};

use crate::jsonpath::KubePath;
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
    let paths: Vec<Option<KubePath>> = columns.iter().map(compile).collect();
    let rows: Vec<Value> = items
        .iter()
        .map(|item| row(&columns, &paths, item, include))
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

/// A path that does not compile gives empty cells, as kube-apiserver gives for a path that
/// finds nothing (CRD admission already refuses such paths).
fn compile(column: &PrinterColumn) -> Option<KubePath> {
    let (CellSource::Path(path) | CellSource::Count(path)) = &column.source;
    match KubePath::parse(path) {
        Ok(compiled) => Some(compiled),
        Err(problem) => {
            tracing::warn!(column = %column.name, %problem, "printer column path skipped");
            None
        }
    }
}

fn row(
    columns: &[PrinterColumn],
    paths: &[Option<KubePath>],
    item: &Value,
    include: &str,
) -> Value {
    let cells: Vec<Value> = columns
        .iter()
        .zip(paths)
        .map(|(c, path)| cell(c, path.as_ref().and_then(|p| p.first(item))))
        .collect();
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

fn cell(column: &PrinterColumn, found: Option<&Value>) -> Value {
    match &column.source {
        CellSource::Count(_) => {
            let n = found.map(|v| match v {
                Value::Object(m) => m.len(),
                Value::Array(a) => a.len(),
                _ => 0,
            });
            json!(n.unwrap_or(0))
        }
        CellSource::Path(_) => {
            let value = found.cloned().unwrap_or(Value::Null);
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
    fn filtered_printer_columns_fill_cells() {
        let column = PrinterColumn {
            name: "Ready".into(),
            type_: "string".into(),
            description: String::new(),
            priority: 0,
            source: CellSource::Path(r#".status.conditions[?(@.type=="Ready")].status"#.into()),
        };
        let path = compile(&column);
        let ready = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let found = path.as_ref().and_then(|p| p.first(&ready));
        assert_eq!(cell(&column, found), json!("True"));
        let pending = json!({"status": {}});
        let found = path.as_ref().and_then(|p| p.first(&pending));
        assert_eq!(cell(&column, found), json!("<none>"));
    }

    #[test]
    fn only_a_leading_table_accept_asks_for_a_table() {
        assert!(wants_table(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
        ));
        assert!(!wants_table("application/json"));
    }
}
