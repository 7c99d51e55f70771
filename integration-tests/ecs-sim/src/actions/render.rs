//! Shared pieces of ECS response bodies.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::model::Tags;

/// ECS's response time format, `yyyy-MM-ddTHH:mm:ssZ` in UTC.
pub fn time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `{"Tag": [{"TagKey", "TagValue"}]}`, the shape of most resources.
pub fn tags(tags: &Tags) -> Value {
    let list: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect();
    json!({ "Tag": list })
}

/// `{"Tag": [{"Key", "Value"}]}`, the shape snapshot groups use.
pub fn key_value_tags(tags: &Tags) -> Value {
    let list: Vec<Value> = tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    json!({ "Tag": list })
}

/// A JSON array of strings serialised into one string, as in `TimePoints`.
pub fn json_string_list(values: &[u8]) -> String {
    let list: Vec<String> = values.iter().map(u8::to_string).collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned())
}

/// Whether every `(key, Some(value))` filter matches exactly and every `(key, None)` exists.
pub fn tags_match(tags: &Tags, filters: &[(String, Option<String>)]) -> bool {
    filters.iter().all(|(key, value)| match value {
        Some(value) => tags.get(key) == Some(value),
        None => tags.contains_key(key),
    })
}
