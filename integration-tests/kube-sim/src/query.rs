//! Query parameters of resource requests, parsed once and checked for bad values.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// How unknown or duplicate fields in a write are treated (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    Ignore,
    #[default]
    Warn,
    Strict,
}

#[derive(Debug, Clone, Default)]
pub struct Params {
    pub watch: bool,
    pub label_selector: String,
    pub field_selector: String,
    pub resource_version: String,
    pub resource_version_match: String,
    pub limit: Option<usize>,
    pub continue_token: String,
    pub timeout_seconds: Option<u64>,
    pub allow_bookmarks: bool,
    pub send_initial_events: bool,
    pub dry_run: bool,
    pub field_manager: String,
    pub force: bool,
    pub field_validation: FieldValidation,
    pub include_object: String,
    pub propagation_policy: String,
}

impl Params {
    pub fn parse(raw: &HashMap<String, String>) -> Result<Self> {
        let get = |k: &str| raw.get(k).cloned().unwrap_or_default();
        Ok(Self {
            watch: flag(raw, "watch")?,
            label_selector: get("labelSelector"),
            field_selector: get("fieldSelector"),
            resource_version: get("resourceVersion"),
            resource_version_match: get("resourceVersionMatch"),
            limit: number(raw, "limit")?.filter(|n| *n > 0).map(|n| n as usize),
            continue_token: get("continue"),
            timeout_seconds: number(raw, "timeoutSeconds")?,
            allow_bookmarks: flag(raw, "allowWatchBookmarks")?,
            send_initial_events: flag(raw, "sendInitialEvents")?,
            dry_run: dry_run(raw)?,
            field_manager: get("fieldManager"),
            force: flag(raw, "force")?,
            field_validation: field_validation(raw)?,
            include_object: get("includeObject"),
            propagation_policy: get("propagationPolicy"),
        })
    }

    /// Parsed `resourceVersion`, `None` when empty; "0" is returned as `Some(0)`.
    pub fn resource_version_number(&self) -> Result<Option<u64>> {
        if self.resource_version.is_empty() {
            return Ok(None);
        }
        let rv = self.resource_version.parse().map_err(|_| {
            Error::bad_request(format!(
                "invalid resource version \"{}\"",
                self.resource_version
            ))
        })?;
        Ok(Some(rv))
    }
}

fn flag(raw: &HashMap<String, String>, key: &str) -> Result<bool> {
    match raw.get(key).map(String::as_str) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(Error::bad_request(format!(
            "invalid value \"{other}\" for {key}: want true or false"
        ))),
    }
}

fn number(raw: &HashMap<String, String>, key: &str) -> Result<Option<u64>> {
    match raw.get(key).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            Error::bad_request(format!(
                "invalid value \"{text}\" for {key}: want a non-negative integer"
            ))
        }),
    }
}

fn dry_run(raw: &HashMap<String, String>) -> Result<bool> {
    match raw.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(Error::bad_request(format!(
            "invalid dry run option \"{other}\": only \"All\" is supported"
        ))),
    }
}

fn field_validation(raw: &HashMap<String, String>) -> Result<FieldValidation> {
    match raw.get("fieldValidation").map(String::as_str) {
        None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
        Some("Ignore") => Ok(FieldValidation::Ignore),
        Some("Strict") => Ok(FieldValidation::Strict),
        Some(other) => Err(Error::bad_request(format!(
            "fieldValidation must be one of Ignore, Warn or Strict, got \"{other}\""
        ))),
    }
}
