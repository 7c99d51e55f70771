//! Custom resource admission against a CRD version's `openAPIV3Schema`: pruning of unknown
//! fields, defaults, structural validation (types, required, enums, bounds, patterns,
//! `x-kubernetes-list-type` uniqueness) and
//! `x-kubernetes-validations` CEL rules, reported as one 422 with a cause per field.
//!
//! Built-in kinds are not modelled field by field and pass unchanged (see the README).

mod cel;
mod list_types;
mod prune;
mod schema;

use std::fmt;

use serde_json::Value;

use crate::error::{Cause, Error, Result};
use crate::meta;
use crate::query::FieldValidation;
use crate::resources::ResourceDescriptor;

/// A CRD version's schema, compiled once when the CRD is stored.
pub struct StructuralSchema {
    raw: Value,
    validator: std::result::Result<jsonschema::Validator, String>,
    rules: kube_cel::CompiledSchema,
}

impl fmt::Debug for StructuralSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StructuralSchema")
            .field("raw", &self.raw)
            .finish_non_exhaustive()
    }
}

impl StructuralSchema {
    pub fn new(raw: Value) -> Self {
        let validator = schema::compile(&raw);
        let rules = kube_cel::compile_schema(&raw);
        Self {
            raw,
            validator,
            rules,
        }
    }

    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// Problems that make the schema unusable (invalid JSON Schema, CEL that does not
    /// compile), for rejecting the CRD that carries it.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = &self.validator {
            problems.push(format!("invalid schema: {e}"));
        }
        for e in self.rules.compilation_errors() {
            problems.push(format!("invalid x-kubernetes-validations rule: {e}"));
        }
        problems
    }
}

/// Prunes, defaults and validates a custom resource in place; built-ins pass unchanged.
/// `old` is the stored object on updates, for transition rules (`oldSelf`).
///
/// Errors: 400 BadRequest for unknown fields under `fieldValidation=Strict`, 422 Invalid
/// listing every failed field otherwise.
pub fn admit(
    desc: &ResourceDescriptor,
    obj: &mut Value,
    mode: FieldValidation,
    old: Option<&Value>,
) -> Result<()> {
    let Some(schema) = &desc.schema else {
        return Ok(());
    };
    let unknown = prune::prune(&schema.raw, obj);
    if mode == FieldValidation::Strict && !unknown.is_empty() {
        let list: Vec<String> = unknown
            .iter()
            .map(|f| format!("unknown field \"{f}\""))
            .collect();
        return Err(Error::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: \
             strict decoding error: {}",
            list.join(", "),
            kind = desc.kind,
            version = desc.version,
        )));
    }
    for field in &unknown {
        tracing::warn!(kind = %desc.kind, name = meta::name(obj), field, "pruned unknown field");
    }
    *obj = kube_cel::apply_defaults(&schema.raw, obj);

    let mut causes = match &schema.validator {
        Ok(validator) => schema::check(validator, obj),
        Err(_) => Vec::new(),
    };
    causes.extend(list_types::check(&schema.raw, obj));
    if causes.is_empty() {
        causes.extend(cel::check(desc, schema, obj, old));
    }
    if causes.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(
        &desc.kind,
        &desc.group,
        &desc.plural,
        meta::name(obj),
        causes,
    ))
}

/// Dotted field path from a JSON pointer: `/spec/items/0/name` -> `spec.items[0].name`.
pub(crate) fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// How kube-apiserver shows a bad value: the value itself for scalars, its type otherwise.
pub(crate) fn shown_value(value: Option<&Value>) -> String {
    match value {
        Some(Value::Object(_)) => "\"object\"".into(),
        Some(Value::Array(_)) => "\"array\"".into(),
        Some(Value::Null) | None => "null".into(),
        Some(other) => other.to_string(),
    }
}

pub(crate) fn invalid(field: String, detail: &str, value: Option<&Value>) -> Cause {
    let message = format!("Invalid value: {}: {detail}", shown_value(value));
    Cause::new("FieldValueInvalid", field, message)
}

#[cfg(test)]
mod tests;
