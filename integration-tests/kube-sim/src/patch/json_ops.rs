//! JSON patch (RFC 6902) with kube-apiserver's one deviation: its patch library treats a
//! `test` of a missing member against `null` as passing (kube-runtime's `finalizer()` sends
//! `test /metadata/finalizers null` for objects without finalizers). The parent must exist.

use serde_json::Value;

/// Applies `body` to `doc`; on error `doc` may be partly patched (callers patch a copy).
/// Errors: the text of the operation that failed, or of a malformed body.
pub fn patch(doc: &mut Value, body: &[u8]) -> Result<(), PatchError> {
    let ops: Vec<Value> = serde_json::from_slice(body).map_err(PatchError::Decode)?;
    for op in ops {
        if missing_member_tested_against_null(doc, &op) {
            continue;
        }
        let one: json_patch::Patch =
            serde_json::from_value(Value::Array(vec![op])).map_err(PatchError::Decode)?;
        json_patch::patch(doc, &one).map_err(|e| PatchError::Apply(e.to_string()))?;
    }
    Ok(())
}

#[derive(Debug)]
pub enum PatchError {
    Decode(serde_json::Error),
    Apply(String),
}

fn missing_member_tested_against_null(doc: &Value, op: &Value) -> bool {
    let is_null_test = op.get("op").and_then(Value::as_str) == Some("test")
        && op.get("value").is_some_and(Value::is_null);
    let Some(path) = op.get("path").and_then(Value::as_str) else {
        return false;
    };
    let Some((parent, _)) = path.rsplit_once('/') else {
        return false;
    };
    is_null_test && doc.pointer(path).is_none() && doc.pointer(parent).is_some()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_missing_member_tests_equal_to_null() {
        let mut doc = json!({"metadata": {"name": "a"}});
        let body = br#"[{"op":"test","path":"/metadata/finalizers","value":null},
            {"op":"add","path":"/metadata/finalizers","value":["x"]}]"#;
        patch(&mut doc, body).unwrap();
        assert_eq!(doc["metadata"]["finalizers"], json!(["x"]));
    }

    #[test]
    fn other_tests_still_fail() {
        let mut doc = json!({"metadata": {"finalizers": ["y"]}});
        let null = br#"[{"op":"test","path":"/metadata/finalizers","value":null}]"#;
        assert!(matches!(patch(&mut doc, null), Err(PatchError::Apply(_))));
        let no_parent = br#"[{"op":"test","path":"/spec/x","value":null}]"#;
        assert!(patch(&mut doc, no_parent).is_err());
        let missing = br#"[{"op":"test","path":"/metadata/labels","value":{}}]"#;
        assert!(patch(&mut doc, missing).is_err());
        assert!(matches!(patch(&mut doc, b"{}"), Err(PatchError::Decode(_))));
    }
}
