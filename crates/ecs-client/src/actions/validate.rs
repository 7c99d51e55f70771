//! Local checks that mirror ECS's documented parameter limits, so a request ECS would refuse
//! fails before it costs a signed call and a rate-limit token.

use std::collections::HashSet;

use super::common::{Tag, TagFilter};
use crate::Error;

/// The most tags ECS accepts in one request (`Tag.N`, N = 1..20).
pub(crate) const MAX_TAGS: usize = 20;

/// Reserved tag-key prefixes.
const RESERVED_TAG_PREFIXES: &[&str] = &["aliyun", "acs:"];

/// Prefixes ECS forbids at the start of names, descriptions and tags.
const URL_PREFIXES: &[&str] = &["http://", "https://"];

/// Which punctuation a name may contain besides letters and digits.
pub(crate) struct NameRule {
    pub(crate) extra: &'static [char],
    /// A case-insensitive prefix reserved by ECS (`auto` for manual snapshot names).
    pub(crate) reserved_prefix: Option<&'static str>,
}

/// Checks for one action; every failure names the action and the parameter.
#[derive(Clone, Copy)]
pub(crate) struct Check(pub(crate) &'static str);

impl Check {
    pub(crate) fn fail(self, parameter: &str, reason: impl Into<String>) -> Error {
        Error::invalid(self.0, parameter, reason.into())
    }

    /// A resource ID: non-empty, at most 128 characters, no whitespace or control characters.
    pub(crate) fn id(self, parameter: &str, value: &str) -> Result<(), Error> {
        if value.is_empty() {
            return Err(self.fail(parameter, "must not be empty"));
        }
        if value.chars().count() > 128 {
            return Err(self.fail(parameter, "must be at most 128 characters"));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(self.fail(parameter, format!("{value:?} contains whitespace")));
        }
        Ok(())
    }

    pub(crate) fn opt_id(self, parameter: &str, value: Option<&String>) -> Result<(), Error> {
        value.map_or(Ok(()), |value| self.id(parameter, value))
    }

    /// A list of IDs with ECS's count limits; duplicates are refused because ECS treats them
    /// as an error in some actions and as noise in the rest.
    pub(crate) fn ids(
        self,
        parameter: &str,
        ids: &[String],
        min: usize,
        max: usize,
    ) -> Result<(), Error> {
        self.count(parameter, ids.len(), min, max)?;
        let mut seen = HashSet::new();
        for id in ids {
            self.id(parameter, id)?;
            if !seen.insert(id) {
                return Err(self.fail(parameter, format!("{id:?} is listed twice")));
            }
        }
        Ok(())
    }

    /// A region ID such as `cn-hangzhou`: lower-case letters, digits and hyphens.
    pub(crate) fn region(self, parameter: &str, value: &str) -> Result<(), Error> {
        let valid = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(self.fail(
                parameter,
                format!("{value:?} is not a region ID like cn-hangzhou"),
            ));
        }
        Ok(())
    }

    pub(crate) fn count(
        self,
        parameter: &str,
        len: usize,
        min: usize,
        max: usize,
    ) -> Result<(), Error> {
        if len < min || len > max {
            return Err(self.fail(
                parameter,
                format!("has {len} entries, allowed {min}..={max}"),
            ));
        }
        Ok(())
    }

    pub(crate) fn range(
        self,
        parameter: &str,
        value: i64,
        min: i64,
        max: i64,
    ) -> Result<(), Error> {
        if value < min || value > max {
            return Err(self.fail(parameter, format!("{value} is outside {min}..={max}")));
        }
        Ok(())
    }

    pub(crate) fn opt_range(
        self,
        parameter: &str,
        value: Option<i64>,
        min: i64,
        max: i64,
    ) -> Result<(), Error> {
        value.map_or(Ok(()), |value| self.range(parameter, value, min, max))
    }

    /// Retention of an automatic snapshot policy: `-1` (forever) or 1..=65535 days.
    pub(crate) fn policy_retention(self, parameter: &str, days: i32) -> Result<(), Error> {
        if days == -1 || (1..=65535).contains(&days) {
            return Ok(());
        }
        Err(self.fail(
            parameter,
            format!("{days} is neither -1 (keep forever) nor 1..=65535"),
        ))
    }

    pub(crate) fn one_of(
        self,
        parameter: &str,
        value: &str,
        allowed: &[&str],
    ) -> Result<(), Error> {
        if allowed.contains(&value) {
            return Ok(());
        }
        Err(self.fail(
            parameter,
            format!("{value:?} is not one of {}", allowed.join(", ")),
        ))
    }

    /// A resource name: `min..=128` characters, starting with a letter (CJK included), then
    /// letters, digits and the rule's punctuation; never a URL.
    pub(crate) fn name(self, parameter: &str, value: &str, rule: &NameRule) -> Result<(), Error> {
        self.length(parameter, value, 2, 128)?;
        self.not_url(parameter, value)?;

        if !value.chars().next().is_some_and(char::is_alphabetic) {
            return Err(self.fail(parameter, format!("{value:?} must start with a letter")));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !c.is_alphanumeric() && !rule.extra.contains(c))
        {
            let allowed: String = rule.extra.iter().collect();
            let reason = format!("{value:?} contains {bad:?}; allowed: letters, digits, {allowed}");
            return Err(self.fail(parameter, reason));
        }
        let lower = value.to_ascii_lowercase();
        if let Some(prefix) = rule.reserved_prefix.filter(|p| lower.starts_with(p)) {
            let reason = format!("{value:?} starts with reserved {prefix:?}");
            return Err(self.fail(parameter, reason));
        }
        Ok(())
    }

    pub(crate) fn opt_name(
        self,
        parameter: &str,
        value: Option<&String>,
        rule: &NameRule,
    ) -> Result<(), Error> {
        value.map_or(Ok(()), |value| self.name(parameter, value, rule))
    }

    /// A description: 2..=256 characters, not starting with a URL scheme.
    pub(crate) fn description(self, parameter: &str, value: Option<&String>) -> Result<(), Error> {
        let Some(value) = value else { return Ok(()) };
        self.length(parameter, value, 2, 256)?;
        self.not_url(parameter, value)
    }

    /// `ClientToken`: 1..=64 ASCII characters.
    pub(crate) fn client_token(self, value: Option<&String>) -> Result<(), Error> {
        let Some(value) = value else { return Ok(()) };
        if value.is_empty() || value.len() > 64 || !value.is_ascii() {
            return Err(self.fail("ClientToken", "must be 1..=64 ASCII characters"));
        }
        Ok(())
    }

    /// Tags: at most `max`, keys 1..=128 characters, unique, not reserved, values up to 128.
    pub(crate) fn tags(self, prefix: &str, tags: &[Tag], max: usize) -> Result<(), Error> {
        self.count(prefix, tags.len(), 0, max)?;
        let mut keys = HashSet::new();
        for (i, tag) in tags.iter().enumerate() {
            self.tag_key(&format!("{prefix}.{}.Key", i + 1), &tag.key)?;
            self.tag_value(&format!("{prefix}.{}.Value", i + 1), &tag.value)?;
            if !keys.insert(tag.key.as_str()) {
                return Err(self.fail(prefix, format!("tag key {:?} appears twice", tag.key)));
            }
        }
        Ok(())
    }

    pub(crate) fn tag_filters(self, prefix: &str, filters: &[TagFilter]) -> Result<(), Error> {
        self.count(prefix, filters.len(), 0, MAX_TAGS)?;
        for (i, filter) in filters.iter().enumerate() {
            if filter.key.is_empty() || filter.key.chars().count() > 128 {
                return Err(self.fail(
                    &format!("{prefix}.{}.Key", i + 1),
                    "must be 1..=128 characters",
                ));
            }
            if let Some(value) = &filter.value {
                self.tag_value(&format!("{prefix}.{}.Value", i + 1), value)?;
            }
        }
        Ok(())
    }

    /// Hours of the day (0..=23, ECS reads them as UTC+8), 1..=24 distinct entries.
    pub(crate) fn hours(self, parameter: &str, hours: &[u8]) -> Result<(), Error> {
        self.small_set(parameter, hours, 0, 23)
    }

    /// ISO weekdays (1 = Monday ..= 7 = Sunday), 1..=7 distinct entries.
    pub(crate) fn weekdays(self, parameter: &str, days: &[u8]) -> Result<(), Error> {
        self.small_set(parameter, days, 1, 7)
    }

    fn small_set(self, parameter: &str, values: &[u8], min: u8, max: u8) -> Result<(), Error> {
        let span = usize::from(max - min) + 1;
        self.count(parameter, values.len(), 1, span)?;
        let mut seen = HashSet::new();
        for &value in values {
            self.range(parameter, i64::from(value), i64::from(min), i64::from(max))?;
            if !seen.insert(value) {
                return Err(self.fail(parameter, format!("{value} is listed twice")));
            }
        }
        Ok(())
    }

    fn tag_key(self, parameter: &str, key: &str) -> Result<(), Error> {
        self.length(parameter, key, 1, 128)?;
        self.not_url_anywhere(parameter, key)?;
        let lower = key.to_ascii_lowercase();
        if let Some(prefix) = RESERVED_TAG_PREFIXES.iter().find(|p| lower.starts_with(*p)) {
            return Err(self.fail(
                parameter,
                format!("{key:?} starts with reserved {prefix:?}"),
            ));
        }
        Ok(())
    }

    fn tag_value(self, parameter: &str, value: &str) -> Result<(), Error> {
        self.length(parameter, value, 0, 128)?;
        self.not_url_anywhere(parameter, value)
    }

    fn length(self, parameter: &str, value: &str, min: usize, max: usize) -> Result<(), Error> {
        let len = value.chars().count();
        if len < min || len > max {
            return Err(self.fail(
                parameter,
                format!("is {len} characters long, allowed {min}..={max}"),
            ));
        }
        Ok(())
    }

    fn not_url(self, parameter: &str, value: &str) -> Result<(), Error> {
        let lower = value.to_ascii_lowercase();
        if URL_PREFIXES.iter().any(|p| lower.starts_with(p)) {
            return Err(self.fail(parameter, "must not start with http:// or https://"));
        }
        Ok(())
    }

    fn not_url_anywhere(self, parameter: &str, value: &str) -> Result<(), Error> {
        let lower = value.to_ascii_lowercase();
        if URL_PREFIXES.iter().any(|p| lower.contains(p)) {
            return Err(self.fail(parameter, "must not contain http:// or https://"));
        }
        Ok(())
    }
}
