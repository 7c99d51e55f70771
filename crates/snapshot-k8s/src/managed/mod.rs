//! Which PVCs this product manages, and the cloud disk behind each: the one rule every
//! controller applies, so that they all count the same volumes.
//!
//! A PVC is managed when it is bound to a PV that is bound back to it, the PV is a CSI volume
//! of one of the configured drivers (default [`DEFAULT_DISK_DRIVER`]), and its `volumeHandle` is
//! an ECS disk ID. Anything else is [`Unmanaged`], with a reason to count and log, never an
//! error: other storage in the cluster is normal.

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use kube::ResourceExt;
use snapshot_domain::ecs_naming::check_disk_id;

/// The Alibaba Cloud disk CSI driver.
pub const DEFAULT_DISK_DRIVER: &str = "diskplugin.csi.alibabacloud.com";

/// The CSI drivers whose volumes are ECS cloud disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskDrivers(Vec<String>);

impl Default for DiskDrivers {
    fn default() -> Self {
        Self(vec![DEFAULT_DISK_DRIVER.to_owned()])
    }
}

impl DiskDrivers {
    /// Drivers from configuration; an empty list means the default driver.
    pub fn new(drivers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let drivers: Vec<String> = drivers.into_iter().map(Into::into).collect();
        if drivers.is_empty() {
            Self::default()
        } else {
            Self(drivers)
        }
    }

    pub fn contains(&self, driver: &str) -> bool {
        self.0.iter().any(|d| d == driver)
    }
}

/// A PVC's managed cloud disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedDisk {
    /// The ECS disk ID (the PV's `csi.volumeHandle`).
    pub disk_id: String,
    /// The bound PV's name.
    pub pv_name: String,
    /// The PV's CSI driver.
    pub driver: String,
}

/// Why a PVC is not managed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmanaged {
    /// The PVC is not bound to a PV yet (or is lost).
    Unbound,
    /// The PVC names a PV that does not exist (deleted, or not seen by the cache yet).
    PvMissing { pv_name: String },
    /// The PV's `claimRef` points to another claim: the binding is not complete.
    ClaimMismatch { pv_name: String },
    /// The PV is not a CSI volume (in-tree or local storage).
    NotCsi { pv_name: String },
    /// The PV belongs to a CSI driver that is not a configured disk driver.
    OtherDriver { pv_name: String, driver: String },
    /// The PV's `volumeHandle` is not an ECS disk ID.
    NotADisk {
        pv_name: String,
        volume_handle: String,
    },
}

impl Unmanaged {
    /// A CamelCase reason, bounded for metric labels and event reasons.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Unbound => "Unbound",
            Self::PvMissing { .. } => "PersistentVolumeMissing",
            Self::ClaimMismatch { .. } => "ClaimMismatch",
            Self::NotCsi { .. } => "NotCsi",
            Self::OtherDriver { .. } => "OtherDriver",
            Self::NotADisk { .. } => "NotADisk",
        }
    }
}

impl std::fmt::Display for Unmanaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unbound => write!(f, "the claim is not bound to a volume"),
            Self::PvMissing { pv_name } => write!(f, "volume {pv_name} does not exist"),
            Self::ClaimMismatch { pv_name } => {
                write!(f, "volume {pv_name} is bound to another claim")
            }
            Self::NotCsi { pv_name } => write!(f, "volume {pv_name} is not a CSI volume"),
            Self::OtherDriver { pv_name, driver } => {
                write!(
                    f,
                    "volume {pv_name} belongs to CSI driver {driver}, not a disk driver"
                )
            }
            Self::NotADisk {
                pv_name,
                volume_handle,
            } => write!(
                f,
                "volume {pv_name} has volumeHandle {volume_handle:?}, which is not an ECS disk ID"
            ),
        }
    }
}

/// The PV name a bound PVC points to, for looking the PV up before [`resolve`].
pub fn bound_pv_name(pvc: &PersistentVolumeClaim) -> Option<&str> {
    let bound = pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
    let name = pvc.spec.as_ref().and_then(|s| s.volume_name.as_deref());
    name.filter(|n| bound && !n.is_empty())
}

/// Decides whether `pvc` is managed; `pv` is the PV named by [`bound_pv_name`] if it exists.
pub fn resolve(
    pvc: &PersistentVolumeClaim,
    pv: Option<&PersistentVolume>,
    drivers: &DiskDrivers,
) -> Result<ManagedDisk, Unmanaged> {
    let pv_name = bound_pv_name(pvc).ok_or(Unmanaged::Unbound)?.to_owned();
    let Some(pv) = pv.filter(|pv| pv.name_any() == pv_name) else {
        return Err(Unmanaged::PvMissing { pv_name });
    };
    if !claim_ref_matches(pvc, pv) {
        return Err(Unmanaged::ClaimMismatch { pv_name });
    }

    let Some(csi) = pv.spec.as_ref().and_then(|s| s.csi.as_ref()) else {
        return Err(Unmanaged::NotCsi { pv_name });
    };
    if !drivers.contains(&csi.driver) {
        let driver = csi.driver.clone();
        return Err(Unmanaged::OtherDriver { pv_name, driver });
    }
    if check_disk_id(&csi.volume_handle).is_err() {
        let volume_handle = csi.volume_handle.clone();
        return Err(Unmanaged::NotADisk {
            pv_name,
            volume_handle,
        });
    }

    Ok(ManagedDisk {
        disk_id: csi.volume_handle.clone(),
        pv_name,
        driver: csi.driver.clone(),
    })
}

/// The PV's `claimRef` names this PVC (and, when both carry one, the same uid).
fn claim_ref_matches(pvc: &PersistentVolumeClaim, pv: &PersistentVolume) -> bool {
    let Some(claim) = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) else {
        return false;
    };
    let same_name = claim.name.as_deref() == pvc.metadata.name.as_deref()
        && claim.namespace.as_deref() == pvc.metadata.namespace.as_deref();
    let same_uid = match (claim.uid.as_deref(), pvc.metadata.uid.as_deref()) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    };
    same_name && same_uid
}

#[cfg(test)]
mod tests;
