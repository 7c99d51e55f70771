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
    /// [`K8sError::InvalidSelector`] for an empty selector, an unknown operator, `In`/`NotIn`
    /// without values, or `Exists`/`DoesNotExist` with values.
    pub fn new(selector: &PvcSelector) -> Result<Self, K8sError> {
        let labels = selector.match_labels.clone().unwrap_or_default();
        let expressions = selector.match_expressions.clone().unwrap_or_default();
        if labels.is_empty() && expressions.is_empty() {
            return Err(invalid("it names no label and would select every PVC"));
        }
        for (i, e) in expressions.iter().enumerate() {
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
}
