//! Evaluation of a policy's `pvcSelector` against PVC labels, with Kubernetes' rules for
//! well-formed selectors (kube's `Selector` does the matching; this module refuses what
//! Kubernetes would refuse and what would select every PVC).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use kube::core::{Selector, SelectorExt};

use crate::{K8sError, vsp::PvcSelector};

/// A checked selector, ready to match labels or to be sent as a list filter.
#[derive(Debug, Clone)]
pub struct PvcMatcher(Selector);

impl PvcMatcher {
    /// Checks and converts a policy's selector.
    ///
    /// # Errors
    /// [`K8sError::InvalidSelector`] for an empty selector, a label key or value Kubernetes
    /// would refuse (the API server answers a list with such a selector with 400), an unknown
    /// operator, `In`/`NotIn` without values, or `Exists`/`DoesNotExist` with values.
    pub fn new(selector: &PvcSelector) -> Result<Self, K8sError> {
        let labels = selector.match_labels.clone().unwrap_or_default();
        let expressions = selector.match_expressions.clone().unwrap_or_default();
        if labels.is_empty() && expressions.is_empty() {
            return Err(invalid("it names no label and would select every PVC"));
        }
        for (key, value) in &labels {
            label_key(&format!("matchLabels[{key:?}]"), key)?;
            label_value(&format!("matchLabels[{key:?}]"), value)?;
        }
        for (i, e) in expressions.iter().enumerate() {
            label_key(&format!("matchExpressions[{i}].key"), &e.key)?;
            for (j, value) in e.values.iter().flatten().enumerate() {
                label_value(&format!("matchExpressions[{i}].values[{j}]"), value)?;
            }
            check_requirement(i, &e.operator, e.values.as_deref())?;
        }

        let selector = LabelSelector {
            match_labels: Some(labels),
            match_expressions: Some(expressions.into_iter().map(requirement).collect()),
        };
        Selector::try_from(selector)
            .map(Self)
            .map_err(|e| invalid(&e.0))
    }

    /// Whether a PVC with `labels` is selected.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.matches(labels)
    }

    /// The kube `Selector`, e.g. for `ListParams::labels_from` or its `Display` form
    /// (`app=nginx,tier in (db)`).
    pub fn selector(&self) -> &Selector {
        &self.0
    }
}

fn check_requirement(
    index: usize,
    operator: &str,
    values: Option<&[String]>,
) -> Result<(), K8sError> {
    let has_values = values.is_some_and(|v| !v.is_empty());
    match (operator, has_values) {
        ("In" | "NotIn", true) | ("Exists" | "DoesNotExist", false) => Ok(()),
        ("In" | "NotIn", false) => Err(invalid(&format!(
            "matchExpressions[{index}]: operator {operator} needs at least one value"
        ))),
        ("Exists" | "DoesNotExist", true) => Err(invalid(&format!(
            "matchExpressions[{index}]: operator {operator} takes no values"
        ))),
        _ => Err(invalid(&format!(
            "matchExpressions[{index}]: operator {operator:?} is not In, NotIn, Exists or \
             DoesNotExist"
        ))),
    }
}

/// A label key: an optional DNS subdomain prefix (at most 253 characters) and `/`, then a name
/// of at most 63 alphanumerics, `-`, `_` and `.`, starting and ending alphanumeric.
fn label_key(at: &str, key: &str) -> Result<(), K8sError> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| p.len() <= 253 && is_dns_subdomain(p));
    if prefix_ok && !name.is_empty() && is_label_name(name) {
        return Ok(());
    }
    Err(invalid(&format!(
        "{at}: label key {key:?} is invalid: use an optional DNS subdomain prefix and '/', then \
         at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    )))
}

/// A label value: empty, or like a key's name part.
fn label_value(at: &str, value: &str) -> Result<(), K8sError> {
    if value.is_empty() || is_label_name(value) {
        return Ok(());
    }
    Err(invalid(&format!(
        "{at}: label value {value:?} is invalid: use at most 63 letters, digits, '-', '_' or \
         '.', starting and ending with a letter or digit (or an empty value)"
    )))
}

fn is_label_name(s: &str) -> bool {
    let inner = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    edges_alphanumeric(s, |b| b.is_ascii_alphanumeric()) && s.len() <= 63 && s.bytes().all(inner)
}

fn is_dns_subdomain(s: &str) -> bool {
    let lower = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    s.split('.').all(|label| {
        label.len() <= 63
            && edges_alphanumeric(label, lower)
            && label.bytes().all(|b| lower(b) || b == b'-')
    })
}

fn edges_alphanumeric(s: &str, ok: impl Fn(u8) -> bool) -> bool {
    let bytes = s.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => ok(first) && ok(last),
        _ => false,
    }
}

fn requirement(e: crate::vsp::SelectorRequirement) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: e.key,
        operator: e.operator,
        values: e.values,
    }
}

fn invalid(reason: &str) -> K8sError {
    K8sError::InvalidSelector(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vsp::SelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, operator: &str, values: &[&str]) -> SelectorRequirement {
        SelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn matcher(match_labels: &[(&str, &str)], exprs: Vec<SelectorRequirement>) -> PvcMatcher {
        let selector = PvcSelector {
            match_labels: (!match_labels.is_empty()).then(|| labels(match_labels)),
            match_expressions: (!exprs.is_empty()).then_some(exprs),
        };
        PvcMatcher::new(&selector).unwrap()
    }

    #[test]
    fn match_labels_and_every_operator_are_anded() {
        let m = matcher(
            &[("app", "nginx")],
            vec![
                expr("tier", "In", &["db", "cache"]),
                expr("env", "NotIn", &["dev"]),
                expr("backup", "Exists", &[]),
                expr("skip", "DoesNotExist", &[]),
            ],
        );
        let base = [("app", "nginx"), ("tier", "db"), ("backup", "yes")];
        assert!(m.matches(&labels(&base)));
        assert!(m.matches(&labels(&[
            ("app", "nginx"),
            ("tier", "cache"),
            ("env", "prod"),
            ("backup", "")
        ])));
        assert!(!m.matches(&labels(&[
            ("app", "web"),
            ("tier", "db"),
            ("backup", "yes")
        ])));
        assert!(!m.matches(&labels(&[
            ("app", "nginx"),
            ("tier", "web"),
            ("backup", "yes")
        ])));
        assert!(!m.matches(&labels(&[
            ("app", "nginx"),
            ("tier", "db"),
            ("env", "dev"),
            ("backup", "y")
        ])));
        assert!(!m.matches(&labels(&[("app", "nginx"), ("tier", "db")])));
        assert!(!m.matches(&labels(&[
            ("app", "nginx"),
            ("tier", "db"),
            ("backup", "y"),
            ("skip", "1")
        ])));
        let text = m.selector().to_string();
        assert!(
            text.contains("app=nginx") && text.contains("tier in (cache,db)"),
            "{text}"
        );
    }

    #[test]
    fn malformed_selectors_are_refused_with_the_expression_named() {
        let cases = [
            (PvcSelector::default(), "would select every PVC"),
            (
                PvcSelector {
                    match_labels: Some(BTreeMap::new()),
                    match_expressions: Some(vec![]),
                },
                "every PVC",
            ),
            (
                PvcSelector {
                    match_labels: None,
                    match_expressions: Some(vec![expr("a", "In", &[])]),
                },
                "matchExpressions[0]: operator In needs",
            ),
            (
                PvcSelector {
                    match_labels: None,
                    match_expressions: Some(vec![expr("a", "Exists", &["x"])]),
                },
                "takes no values",
            ),
            (
                PvcSelector {
                    match_labels: None,
                    match_expressions: Some(vec![
                        expr("a", "Exists", &[]),
                        expr("a", "Equals", &["x"]),
                    ]),
                },
                "matchExpressions[1]: operator \"Equals\"",
            ),
        ];
        for (selector, expected) in cases {
            let err = PvcMatcher::new(&selector).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn label_keys_and_values_follow_kubernetes_rules() {
        let only_labels = |k: &str, v: &str| PvcSelector {
            match_labels: Some(labels(&[(k, v)])),
            match_expressions: None,
        };
        let long_name = "a".repeat(63);
        let good_keys = [
            "app",
            "example.com/app",
            "a-b_c.d",
            long_name.as_str(),
            "x/y",
        ];
        for key in good_keys {
            assert!(PvcMatcher::new(&only_labels(key, "v")).is_ok(), "{key}");
        }
        assert!(PvcMatcher::new(&only_labels("app", "")).is_ok());

        let too_long = "a".repeat(64);
        let upper_prefix = "Example.com/app";
        for key in [
            "bad key!",
            "-app",
            "app-",
            "/app",
            "a/",
            upper_prefix,
            &too_long,
        ] {
            let err = PvcMatcher::new(&only_labels(key, "v"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("label key {key:?}")), "{err}");
            assert!(err.contains(&format!("matchLabels[{key:?}]")), "{err}");
        }
        for value in ["v@lue", "-v", "bad value!", too_long.as_str()] {
            let err = PvcMatcher::new(&only_labels("app", value))
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("label value {value:?}")), "{err}");
        }

        let in_expression = PvcSelector {
            match_labels: None,
            match_expressions: Some(vec![expr("app", "In", &["ok", "bad value!"])]),
        };
        let err = PvcMatcher::new(&in_expression).unwrap_err().to_string();
        assert!(err.contains("matchExpressions[0].values[1]"), "{err}");
        let bad_key = PvcSelector {
            match_labels: None,
            match_expressions: Some(vec![expr("bad key!", "Exists", &[])]),
        };
        let err = PvcMatcher::new(&bad_key).unwrap_err().to_string();
        assert!(err.contains("matchExpressions[0].key"), "{err}");
    }
}
