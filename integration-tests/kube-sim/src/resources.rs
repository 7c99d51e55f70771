//! What a resource is, and the table of built-in resources this server serves.
//!
//! Every behaviour that differs between kinds (scope, verbs, subresources, generation tracking,
//! table columns, selectable fields) is data in a [`ResourceDescriptor`]; handlers never match
//! on a kind. Custom resources get descriptors built from their CRD (see `crd`).

use std::sync::Arc;

use crate::validation::StructuralSchema;

/// The verbs kube-apiserver lists for an ordinary read/write resource.
pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Where a table cell's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum CellSource {
    /// A Kubernetes JSONPath such as `.status.phase` (see `crate::jsonpath`).
    Path(String),
    /// Number of entries of the map or list at the path (ConfigMap/Secret `DATA`).
    Count(String),
}

/// One column of a `kubectl get` table, besides the leading Name.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    pub name: String,
    /// OpenAPI type: `string`, `integer`, `number`, `boolean` or `date`.
    pub type_: String,
    pub description: String,
    pub priority: i64,
    pub source: CellSource,
}

/// Everything the server needs to know to serve one group/version/resource.
#[derive(Debug, Clone)]
pub struct ResourceDescriptor {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub namespaced: bool,
    /// Whether `/status` exists; when it does, main-resource writes cannot change `.status`.
    pub status_subresource: bool,
    pub verbs: Vec<String>,
    /// Whether `metadata.generation` is maintained (bumped when anything but metadata/status
    /// changes).
    pub tracks_generation: bool,
    /// Whether objects of this version are what is stored (one version per resource is).
    pub storage: bool,
    pub columns: Vec<PrinterColumn>,
    /// Field selector labels accepted besides `metadata.name` and `metadata.namespace`.
    pub field_labels: Vec<String>,
    /// `.status` a new object starts with when the resource has a status subresource.
    pub initial_status: Option<serde_json::Value>,
    /// Schema of a custom resource version; `None` for built-ins.
    pub schema: Option<Arc<StructuralSchema>>,
}

impl ResourceDescriptor {
    /// `group/version`, or just `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn allows(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// Identity of the stored collection, shared by every version of the resource (and by
    /// both Event groups, see `crate::events`).
    pub fn key(&self) -> ResourceKey {
        if crate::events::is_events_view(self) {
            return crate::events::core_key();
        }
        ResourceKey {
            group: self.group.clone(),
            plural: self.plural.clone(),
        }
    }
}

/// Names a stored collection independently of the version it is read in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    pub group: String,
    pub plural: String,
}

/// Compact row of the built-in table; expanded into a [`ResourceDescriptor`].
struct Builtin {
    gv: &'static str,
    kind: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    /// Categories such as `all` (`kubectl get all`).
    categories: &'static [&'static str],
    namespaced: bool,
    status: bool,
    generation: bool,
    create_only: bool,
    columns: &'static [(&'static str, &'static str, &'static str)],
    field_labels: &'static [&'static str],
    /// JSON of the initial `.status`, or "" for none.
    initial_status: &'static str,
}

const fn row(gv: &'static str, kind: &'static str, plural: &'static str) -> Builtin {
    Builtin {
        gv,
        kind,
        plural,
        short: &[],
        categories: &[],
        namespaced: true,
        status: false,
        generation: false,
        create_only: false,
        columns: &[],
        field_labels: &[],
        initial_status: "",
    }
}

const EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
];

/// The events.k8s.io view's names for [`EVENT_FIELDS`] (see `crate::events`).
const EVENTS_V1_FIELDS: &[&str] = &[
    "regarding.kind",
    "regarding.namespace",
    "regarding.name",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "reason",
    "reportingController",
    "type",
];

/// Column spec `(name, type, jsonpath)`; a path starting with `#` counts entries.
type Col = (&'static str, &'static str, &'static str);

const PV_COLS: &[Col] = &[
    ("Capacity", "string", ".spec.capacity.storage"),
    (
        "Reclaim Policy",
        "string",
        ".spec.persistentVolumeReclaimPolicy",
    ),
    ("Status", "string", ".status.phase"),
    ("StorageClass", "string", ".spec.storageClassName"),
];
const PVC_COLS: &[Col] = &[
    ("Status", "string", ".status.phase"),
    ("Volume", "string", ".spec.volumeName"),
    ("Capacity", "string", ".status.capacity.storage"),
    ("StorageClass", "string", ".spec.storageClassName"),
];
const EVENT_COLS: &[Col] = &[
    ("Type", "string", ".type"),
    ("Reason", "string", ".reason"),
    ("Object", "string", ".involvedObject.name"),
    ("Message", "string", ".message"),
];
const EVENTS_V1_COLS: &[Col] = &[
    ("Type", "string", ".type"),
    ("Reason", "string", ".reason"),
    ("Object", "string", ".regarding.name"),
    ("Note", "string", ".note"),
];

fn builtins() -> Vec<Builtin> {
    vec![
        Builtin {
            namespaced: false,
            status: true,
            short: &["ns"],
            columns: &[("Status", "string", ".status.phase")],
            field_labels: &["status.phase"],
            ..row("v1", "Namespace", "namespaces")
        },
        Builtin {
            namespaced: false,
            status: true,
            short: &["pv"],
            initial_status: r#"{"phase": "Pending"}"#,
            columns: PV_COLS,
            ..row("v1", "PersistentVolume", "persistentvolumes")
        },
        Builtin {
            status: true,
            short: &["pvc"],
            initial_status: r#"{"phase": "Pending"}"#,
            columns: PVC_COLS,
            ..row("v1", "PersistentVolumeClaim", "persistentvolumeclaims")
        },
        Builtin {
            short: &["ev"],
            columns: EVENT_COLS,
            field_labels: EVENT_FIELDS,
            ..row("v1", "Event", "events")
        },
        Builtin {
            columns: &[("Type", "string", ".type"), ("Data", "integer", "#.data")],
            field_labels: &["type"],
            ..row("v1", "Secret", "secrets")
        },
        Builtin {
            short: &["cm"],
            columns: &[("Data", "integer", "#.data")],
            ..row("v1", "ConfigMap", "configmaps")
        },
        Builtin {
            short: &["sa"],
            ..row("v1", "ServiceAccount", "serviceaccounts")
        },
        Builtin {
            status: true,
            short: &["svc"],
            categories: &["all"],
            columns: &[
                ("Type", "string", ".spec.type"),
                ("Cluster-IP", "string", ".spec.clusterIP"),
            ],
            ..row("v1", "Service", "services")
        },
        Builtin {
            columns: &[("Holder", "string", ".spec.holderIdentity")],
            ..row("coordination.k8s.io/v1", "Lease", "leases")
        },
        Builtin {
            status: true,
            generation: true,
            short: &["sts"],
            categories: &["all"],
            columns: &[("Replicas", "integer", ".spec.replicas")],
            ..row("apps/v1", "StatefulSet", "statefulsets")
        },
        Builtin {
            status: true,
            generation: true,
            short: &["deploy"],
            categories: &["all"],
            columns: &[("Replicas", "integer", ".spec.replicas")],
            ..row("apps/v1", "Deployment", "deployments")
        },
        row("rbac.authorization.k8s.io/v1", "Role", "roles"),
        Builtin {
            namespaced: false,
            ..row(
                "rbac.authorization.k8s.io/v1",
                "ClusterRole",
                "clusterroles",
            )
        },
        Builtin {
            columns: &[("Role", "string", ".roleRef.name")],
            ..row(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                "rolebindings",
            )
        },
        Builtin {
            namespaced: false,
            columns: &[("Role", "string", ".roleRef.name")],
            ..row(
                "rbac.authorization.k8s.io/v1",
                "ClusterRoleBinding",
                "clusterrolebindings",
            )
        },
        Builtin {
            generation: true,
            short: &["netpol"],
            ..row("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies")
        },
        Builtin {
            status: true,
            generation: true,
            short: &["pdb"],
            columns: &[
                ("Min Available", "string", ".spec.minAvailable"),
                ("Max Unavailable", "string", ".spec.maxUnavailable"),
            ],
            ..row("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets")
        },
        Builtin {
            namespaced: false,
            create_only: true,
            ..row("authentication.k8s.io/v1", "TokenReview", "tokenreviews")
        },
        Builtin {
            namespaced: false,
            create_only: true,
            ..row(
                "authorization.k8s.io/v1",
                "SelfSubjectAccessReview",
                "selfsubjectaccessreviews",
            )
        },
        Builtin {
            short: &["ev"],
            columns: EVENTS_V1_COLS,
            field_labels: EVENTS_V1_FIELDS,
            ..row("events.k8s.io/v1", "Event", "events")
        },
        Builtin {
            namespaced: false,
            status: true,
            generation: true,
            short: &["crd", "crds"],
            columns: &[("Created At", "date", ".metadata.creationTimestamp")],
            ..row(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                "customresourcedefinitions",
            )
        },
    ]
}

impl Builtin {
    fn expand(&self) -> ResourceDescriptor {
        let (group, version) = match self.gv.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", self.gv),
        };
        let verbs: &[&str] = if self.create_only {
            &["create"]
        } else {
            ALL_VERBS
        };
        ResourceDescriptor {
            group: group.into(),
            version: version.into(),
            kind: self.kind.into(),
            plural: self.plural.into(),
            singular: self.kind.to_lowercase(),
            short_names: self.short.iter().map(|s| s.to_string()).collect(),
            categories: self.categories.iter().map(|s| s.to_string()).collect(),
            namespaced: self.namespaced,
            status_subresource: self.status,
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            tracks_generation: self.generation,
            storage: true,
            columns: self.columns.iter().map(expand_column).collect(),
            field_labels: self.field_labels.iter().map(|s| s.to_string()).collect(),
            initial_status: serde_json::from_str(self.initial_status).ok(),
            schema: None,
        }
    }
}

fn expand_column(col: &Col) -> PrinterColumn {
    let (name, type_, path) = *col;
    let source = match path.strip_prefix('#') {
        Some(p) => CellSource::Count(p.into()),
        None => CellSource::Path(path.into()),
    };
    PrinterColumn {
        name: name.into(),
        type_: type_.into(),
        description: String::new(),
        priority: 0,
        source,
    }
}

/// Descriptors of every built-in resource, in discovery order.
pub fn builtin_descriptors() -> Vec<ResourceDescriptor> {
    builtins().iter().map(Builtin::expand).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_has_unique_group_resource_pairs_per_version() {
        let all = builtin_descriptors();
        let mut seen = std::collections::HashSet::new();
        for d in &all {
            assert!(
                seen.insert((d.group.clone(), d.version.clone(), d.plural.clone())),
                "{d:?}"
            );
        }
        let token = all
            .iter()
            .find(|d| d.plural == "tokenreviews")
            .expect("tokenreviews");
        assert_eq!(token.verbs, vec!["create".to_string()]);
        assert!(!token.namespaced);
    }
}
