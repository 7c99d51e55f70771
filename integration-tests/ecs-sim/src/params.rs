//! Typed access to an RPC request's parameters, with ECS's own error for each kind of bad value.
//!
//! RPC parameters arrive as strings: integers and booleans too (Python SDKs send `True`), lists
//! either as a JSON array inside one string (`diskIds=["d-1"]`) or flattened as `Name.N`.

use std::collections::BTreeMap;

use crate::api_error::ApiError;
use crate::model::Tags;

/// Decoded parameters of one request; later duplicates of a name override earlier ones.
#[derive(Debug, Clone, Default)]
pub struct Params {
    map: BTreeMap<String, String>,
}

impl Params {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            map: pairs.into_iter().collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// A parameter that must be present and non-empty.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.text(name).ok_or_else(|| ApiError::missing(name))
    }

    /// A parameter's value, treating an empty string as absent (as ECS does for optional ones).
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A boolean, case-insensitive (`true`, `True`, `TRUE`).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::invalid(
                name,
                format_args!("is not a boolean: {v:?}."),
            )),
        }
    }

    /// An integer within `min..=max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(text) = self.text(name) else {
            return Ok(None);
        };
        let value: i64 = text
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid(name, format_args!("is not an integer: {text:?}.")))?;
        if value < min || value > max {
            let why = format_args!("must be between {min} and {max}, got {value}.");
            return Err(ApiError::invalid(name, why));
        }
        Ok(Some(value))
    }

    /// A JSON array of strings serialised into one parameter, e.g. `["d-1","d-2"]`.
    pub fn json_list(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(text) = self.text(name) else {
            return Ok(None);
        };
        let malformed = || {
            let message = format!(
                "The specified parameter \"{name}\" is not a JSON array of strings: {text}"
            );
            ApiError::new(
                400,
                format!("Invalid{}.Malformed", upper_first(name)),
                message,
            )
        };
        let values: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|_| malformed())?;
        values
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                serde_json::Value::Number(n) => Ok(n.to_string()),
                _ => Err(malformed()),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// A flattened list `Name.1`, `Name.2`, … in index order; `max` bounds the index.
    pub fn indexed(&self, name: &str, max: usize) -> Result<Vec<String>, ApiError> {
        let mut items = BTreeMap::new();
        for (key, value) in &self.map {
            let Some(index) = key
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('.'))
            else {
                continue;
            };
            let index = parse_index(name, index, max)?;
            if !value.is_empty() {
                items.insert(index, value.clone());
            }
        }
        Ok(items.into_values().collect())
    }

    /// `Prefix.N.Key` / `Prefix.N.Value` pairs (values may be absent → `None`).
    pub fn tag_pairs(&self, prefix: &str) -> Result<Vec<(String, Option<String>)>, ApiError> {
        let mut keys = BTreeMap::new();
        let mut values = BTreeMap::new();
        for (key, value) in &self.map {
            let Some(rest) = key.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let Some((index, field)) = rest.split_once('.') else {
                continue;
            };
            let index = parse_index(prefix, index, 20)?;
            match field {
                "Key" => keys.insert(index, value.clone()),
                "Value" => values.insert(index, value.clone()),
                _ => None,
            };
        }
        if let Some(index) = values.keys().find(|i| !keys.contains_key(i)) {
            let message =
                format!("The tag value {prefix}.{index}.Value has no {prefix}.{index}.Key.");
            return Err(ApiError::new(400, "InvalidParameter.TagValue", message));
        }
        Ok(keys
            .into_iter()
            .map(|(i, k)| (k, values.remove(&i)))
            .collect())
    }

    /// `Tag.N.Key/Value` to set on a resource, validated by ECS's tag rules.
    pub fn tags_to_set(&self, prefix: &str) -> Result<Tags, ApiError> {
        let mut tags = Tags::new();
        for (key, value) in self.tag_pairs(prefix)? {
            let value = value.unwrap_or_default();
            check_tag(&key, &value)?;
            if tags.insert(key.clone(), value).is_some() {
                let message = format!("The tag key {key} is specified more than once.");
                return Err(ApiError::new(400, "InvalidTagKey.Duplicated", message));
            }
        }
        Ok(tags)
    }
}

fn parse_index(name: &str, index: &str, max: usize) -> Result<usize, ApiError> {
    match index.parse::<usize>() {
        Ok(i) if (1..=max).contains(&i) => Ok(i),
        _ => Err(ApiError::invalid(
            &format!("{name}.{index}"),
            format_args!("has an index outside 1..{max}."),
        )),
    }
}

/// ECS's tag rules: key 1..128 chars, not `aliyun`/`acs:` prefixed, no URLs; value ≤128.
pub fn check_tag(key: &str, value: &str) -> Result<(), ApiError> {
    let has_url = |s: &str| s.contains("http://") || s.contains("https://");
    let key_len = key.chars().count();
    if key_len == 0
        || key_len > 128
        || key.starts_with("aliyun")
        || key.starts_with("acs:")
        || has_url(key)
    {
        let message = format!(
            "The tag key {key:?} must be 1-128 characters, must not start with aliyun or acs: \
             and must not contain http:// or https://."
        );
        return Err(ApiError::new(400, "InvalidTagKey.Malformed", message));
    }
    if value.chars().count() > 128 || has_url(value) {
        let message =
            format!("The tag value of {key:?} must be at most 128 characters without URLs.");
        return Err(ApiError::new(400, "InvalidTagValue.Malformed", message));
    }
    Ok(())
}

fn upper_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn booleans_are_case_insensitive() {
        let p = params(&[("A", "True"), ("B", "false"), ("C", "yes")]);
        assert_eq!(p.bool("A").unwrap(), Some(true));
        assert_eq!(p.bool("B").unwrap(), Some(false));
        assert_eq!(p.bool("C").unwrap_err().code, "InvalidParameter");
    }

    #[test]
    fn json_lists_and_indexed_lists() {
        let p = params(&[
            ("diskIds", r#"["d-1","d-2"]"#),
            ("DiskId.2", "b"),
            ("DiskId.1", "a"),
        ]);
        assert_eq!(p.json_list("diskIds").unwrap().unwrap(), ["d-1", "d-2"]);
        assert_eq!(p.indexed("DiskId", 16).unwrap(), ["a", "b"]);
        let bad = params(&[("diskIds", "d-1")]);
        assert_eq!(
            bad.json_list("diskIds").unwrap_err().code,
            "InvalidDiskIds.Malformed"
        );
    }

    #[test]
    fn tags_follow_ecs_rules() {
        let p = params(&[
            ("Tag.1.Key", "team"),
            ("Tag.1.Value", "a"),
            ("Tag.2.Key", "x"),
        ]);
        let tags = p.tags_to_set("Tag").unwrap();
        assert_eq!(tags.get("team").map(String::as_str), Some("a"));
        assert_eq!(tags.get("x").map(String::as_str), Some(""));
        let reserved = params(&[("Tag.1.Key", "acs:owner")]);
        assert_eq!(
            reserved.tags_to_set("Tag").unwrap_err().code,
            "InvalidTagKey.Malformed"
        );
        let orphan = params(&[("Tag.3.Value", "v")]);
        assert_eq!(
            orphan.tag_pairs("Tag").unwrap_err().code,
            "InvalidParameter.TagValue"
        );
    }
}
