//! Request paths: which discovery document or which resource a URL addresses.

use crate::registry::Registry;

/// A resource URL, after the `/api/v1` or `/apis/GROUP/VERSION` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub plural: String,
    /// Empty for cluster-scoped requests and for lists across all namespaces.
    pub namespace: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The deprecated `/watch/` path prefix was used.
    pub watch_prefix: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Version,
    Healthz,
    CoreVersions,
    Groups,
    Group(String),
    GroupVersion { group: String, version: String },
    OpenApiV2,
    OpenApiV3Index,
    OpenApiV3 { group: String, version: String },
    Resource(ResourcePath),
    Unknown,
}

/// Parses an absolute path; the registry resolves `namespaces/X/Y`, which is either a
/// namespaced resource `Y` in namespace `X` or subresource `Y` of namespace `X`.
pub fn parse(path: &str, registry: &Registry) -> Target {
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segments.as_slice() {
        ["version"] => Target::Version,
        ["healthz" | "livez" | "readyz", ..] => Target::Healthz,
        ["api"] => Target::CoreVersions,
        ["apis"] => Target::Groups,
        ["openapi", "v2"] => Target::OpenApiV2,
        ["openapi", "v3"] => Target::OpenApiV3Index,
        ["openapi", "v3", "api", version] => Target::OpenApiV3 {
            group: String::new(),
            version: version.to_string(),
        },
        ["openapi", "v3", "apis", group, version] => Target::OpenApiV3 {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["api", version] => Target::GroupVersion {
            group: String::new(),
            version: version.to_string(),
        },
        ["apis", group] => Target::Group(group.to_string()),
        ["apis", group, version] => Target::GroupVersion {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["api", version, rest @ ..] => resource("", version, rest, registry),
        ["apis", group, version, rest @ ..] => resource(group, version, rest, registry),
        _ => Target::Unknown,
    }
}

fn resource(group: &str, version: &str, rest: &[&str], registry: &Registry) -> Target {
    let (watch_prefix, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    let is_namespaced = |plural: &str| {
        registry
            .find(group, version, plural)
            .is_some_and(|d| d.namespaced)
    };
    let (namespace, plural, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 2 && is_namespaced(plural) => {
            (ns.to_string(), *plural, tail.first(), tail.get(1))
        }
        [plural, tail @ ..] if tail.len() <= 2 => {
            (String::new(), *plural, tail.first(), tail.get(1))
        }
        _ => return Target::Unknown,
    };
    Target::Resource(ResourcePath {
        group: group.into(),
        version: version.into(),
        plural: plural.into(),
        namespace,
        name: name.map(|s| s.to_string()),
        subresource: sub.map(|s| s.to_string()),
        watch_prefix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match parse(path, &Registry::new(std::iter::empty())) {
            Target::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaced_and_namespace_paths_are_told_apart() {
        let cm = res("/api/v1/namespaces/ns1/configmaps/c1");
        assert_eq!(
            (cm.plural.as_str(), cm.namespace.as_str()),
            ("configmaps", "ns1")
        );
        assert_eq!(cm.name.as_deref(), Some("c1"));

        let ns_status = res("/api/v1/namespaces/ns1/status");
        assert_eq!(ns_status.plural, "namespaces");
        assert_eq!(ns_status.name.as_deref(), Some("ns1"));
        assert_eq!(ns_status.subresource.as_deref(), Some("status"));

        let all = res("/apis/apps/v1/deployments");
        assert_eq!((all.namespace.as_str(), all.name.clone()), ("", None));

        let watch = res("/api/v1/watch/namespaces/a/secrets");
        assert!(watch.watch_prefix);
        assert_eq!(watch.plural, "secrets");
    }

    #[test]
    fn over_long_paths_are_unknown() {
        let reg = Registry::new(std::iter::empty());
        assert_eq!(
            parse("/api/v1/namespaces/a/configmaps/b/c/d", &reg),
            Target::Unknown
        );
        assert_eq!(parse("/nope", &reg), Target::Unknown);
    }
}
