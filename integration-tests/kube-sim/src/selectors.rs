//! Label selectors (every operator of `labels.Parse`) and field selectors (`=`, `==`, `!=` on
//! the fields each resource declares selectable).

use serde_json::Value;

use crate::error::{Error, Result};
use crate::meta;
use crate::resources::ResourceDescriptor;

#[derive(Debug, Clone, PartialEq)]
enum LabelReq {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    Greater(String, i64),
    Less(String, i64),
}

/// A parsed `labelSelector`; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    reqs: Vec<LabelReq>,
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self> {
        let mut reqs = Vec::new();
        for term in split_terms(text) {
            let term = term.trim();
            if !term.is_empty() {
                reqs.push(parse_term(term).map_err(|why| {
                    Error::bad_request(format!("unable to parse requirement: {why} in \"{term}\""))
                })?);
            }
        }
        Ok(Self { reqs })
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let labels = meta::labels(obj);
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.reqs.iter().all(|r| match r {
            LabelReq::Equals(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEquals(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
            LabelReq::Greater(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            LabelReq::Less(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        })
    }
}

/// Splits on commas that are not inside a `( … )` value set.
fn split_terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
}

fn parse_term(term: &str) -> std::result::Result<LabelReq, String> {
    if let Some(key) = term.strip_prefix('!') {
        return Ok(LabelReq::NotExists(label_key(key)?));
    }
    for (op, build) in [("!=", 0), ("==", 1), ("=", 1), (">", 2), ("<", 3)] {
        if let Some((k, v)) = term.split_once(op) {
            let key = label_key(k)?;
            let value = v.trim().to_string();
            return match build {
                0 => Ok(LabelReq::NotEquals(key, label_value(value)?)),
                1 => Ok(LabelReq::Equals(key, label_value(value)?)),
                2 => Ok(LabelReq::Greater(key, number(&value)?)),
                _ => Ok(LabelReq::Less(key, number(&value)?)),
            };
        }
    }
    let words: Vec<&str> = term.splitn(2, char::is_whitespace).collect();
    match words.as_slice() {
        [key] => Ok(LabelReq::Exists(label_key(key)?)),
        [key, rest] => set_requirement(key, rest.trim()),
        _ => Err("empty requirement".into()),
    }
}

fn set_requirement(key: &str, rest: &str) -> std::result::Result<LabelReq, String> {
    let (op, values) = rest
        .split_once(char::is_whitespace)
        .map(|(o, v)| (o, v.trim()))
        .or_else(|| rest.find('(').map(|i| (rest[..i].trim(), &rest[i..])))
        .ok_or("expected 'in' or 'notin' followed by a value set")?;
    let inner = values
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .ok_or("a value set must be enclosed in parentheses")?;
    let set: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
    for v in &set {
        label_value(v.clone())?;
    }
    match op {
        "in" => Ok(LabelReq::In(label_key(key)?, set)),
        "notin" => Ok(LabelReq::NotIn(label_key(key)?, set)),
        other => Err(format!("unknown operator '{other}'")),
    }
}

fn label_key(key: &str) -> std::result::Result<String, String> {
    let key = key.trim();
    let (prefix, name) = key.rsplit_once('/').unwrap_or(("", key));
    let ok_name = !name.is_empty() && name.len() <= 63 && name.chars().all(is_label_char);
    let ok_prefix = prefix.len() <= 253
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if ok_name && ok_prefix && edge_alnum(name) {
        Ok(key.to_string())
    } else {
        Err(format!("invalid label key \"{key}\""))
    }
}

fn label_value(value: String) -> std::result::Result<String, String> {
    let ok = value.len() <= 63
        && value.chars().all(is_label_char)
        && (value.is_empty() || edge_alnum(&value));
    if ok {
        Ok(value)
    } else {
        Err(format!("invalid label value: \"{value}\""))
    }
}

fn number(value: &str) -> std::result::Result<i64, String> {
    value.parse().map_err(|_| {
        format!("for 'Gt', 'Lt' operators, the value must be an integer, got \"{value}\"")
    })
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

fn edge_alnum(s: &str) -> bool {
    let first = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let last = s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    first && last
}

/// A parsed `fieldSelector`; only the labels the resource supports are accepted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    reqs: Vec<(String, bool, String)>,
}

impl FieldSelector {
    /// `supported` lists field labels beyond `metadata.name` and `metadata.namespace`.
    pub fn parse(text: &str, supported: &[String]) -> Result<Self> {
        let mut reqs = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (field, equal, value) = if let Some((f, v)) = term.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (f, true, v)
            } else {
                return Err(Error::bad_request(format!(
                    "invalid selector: '{term}'; can't understand '{term}'"
                )));
            };
            let field = field.trim();
            let known = matches!(field, "metadata.name" | "metadata.namespace");
            if !known && !supported.iter().any(|s| s == field) {
                return Err(Error::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            reqs.push((field.to_string(), equal, value.trim().to_string()));
        }
        Ok(Self { reqs })
    }

    /// Parses `text` for `desc`, each label rewritten to the stored field it reads (they differ
    /// for the events.k8s.io view of core Events), so it matches stored objects.
    pub fn for_resource(text: &str, desc: &ResourceDescriptor) -> Result<Self> {
        let mut selector = Self::parse(text, &desc.field_labels)?;
        for (field, _, _) in &mut selector.reqs {
            *field = crate::events::stored_field_label(desc, field);
        }
        Ok(selector)
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.reqs.iter().all(|(field, equal, value)| {
            let pointer = format!("/{}", field.replace('.', "/"));
            let actual = match obj.pointer(&pointer) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            (actual == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns", "labels": labels}})
    }

    #[test]
    fn every_label_operator_matches_like_kubernetes() {
        let o = obj(json!({"app": "web", "tier": "front", "n": "5"}));
        let cases = [
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("missing!=x", true),
            ("app in (web, db)", true),
            ("app notin (web)", false),
            ("missing notin (web)", true),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("n>4", true),
            ("n<5", false),
            ("", true),
        ];
        for (sel, want) in cases {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&o),
                want,
                "{sel}"
            );
        }
    }

    #[test]
    fn malformed_label_selectors_are_bad_requests() {
        for sel in ["app in web", "a b c", "-bad=x", "app=(x"] {
            let err = LabelSelector::parse(sel).unwrap_err();
            assert_eq!(err.code_and_reason().0, 400, "{sel}");
        }
    }

    #[test]
    fn field_selectors_accept_only_declared_fields() {
        let o = obj(json!({}));
        let sel = FieldSelector::parse("metadata.name=a,metadata.namespace!=x", &[]).unwrap();
        assert!(sel.matches(&o));
        assert!(
            !FieldSelector::parse("metadata.name=b", &[])
                .unwrap()
                .matches(&o)
        );
        let err = FieldSelector::parse("spec.x=1", &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("field label not supported: spec.x")
        );
    }
}
