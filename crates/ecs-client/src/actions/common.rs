//! Types shared by several actions.

use serde::{Deserialize, Serialize};

/// A tag to set or match exactly: `Tag.N.Key` / `Tag.N.Value`. An empty value is a real value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A tag filter for listing: without a value it matches any value of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagFilter {
    pub key: String,
    pub value: Option<String>,
}

/// A tag as most ECS responses spell it (`TagKey` / `TagValue`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceTag {
    #[serde(rename = "TagKey", default)]
    pub key: String,
    #[serde(rename = "TagValue", default)]
    pub value: String,
}

crate::wire::wrapped_list!(resource_tags, "Tag", ResourceTag);

/// Parses an ECS response time: `yyyy-MM-ddTHH:mm:ssZ` or the minute-precision
/// `yyyy-MM-ddTHH:mmZ` some policy responses use. `None` when it is neither.
pub fn parse_ecs_time(text: &str) -> Option<jiff::Timestamp> {
    if let Ok(ts) = text.parse() {
        return Some(ts);
    }
    let minutes = text.strip_suffix('Z')?;
    format!("{minutes}:00Z").parse().ok()
}

/// Formats a time the way ECS filters expect it (`yyyy-MM-ddTHH:mmZ`, UTC).
pub fn format_filter_time(time: jiff::Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%MZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_time_precisions() {
        let seconds = parse_ecs_time("2024-05-20T08:30:15Z").unwrap();
        let minutes = parse_ecs_time("2024-05-20T08:30Z").unwrap();
        assert_eq!(seconds.as_second() - minutes.as_second(), 15);
        assert!(parse_ecs_time("yesterday").is_none());
    }

    #[test]
    fn formats_filter_time_to_the_minute() {
        let ts: jiff::Timestamp = "2024-05-20T08:30:15Z".parse().unwrap();
        assert_eq!(format_filter_time(ts), "2024-05-20T08:30Z");
    }
}
