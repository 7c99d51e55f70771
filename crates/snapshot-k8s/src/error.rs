use thiserror::Error;

/// What the Kubernetes vocabulary refuses.
#[derive(Debug, Error)]
pub enum K8sError {
    /// A name or ID broke a domain rule (see `snapshot_domain::DomainError`).
    #[error(transparent)]
    Domain(#[from] snapshot_domain::DomainError),

    /// A `pvcSelector` that Kubernetes would refuse or that would select every PVC.
    #[error("pvcSelector is invalid: {0}")]
    InvalidSelector(String),

    /// The CRD could not be rendered as YAML.
    #[error("cannot render the CRD as YAML: {0}")]
    Render(String),
}
