//! Where the service binaries are: `SSM_BIN_DIR`, else the directory of the running executable
//! (`target/debug` for binaries, its parent for test executables in `target/debug/deps`).

use std::path::{Path, PathBuf};

use crate::WalkthroughError;

/// The directory holding the workspace's built binaries.
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SSM_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        return dir.parent().map(Path::to_path_buf).unwrap_or(dir);
    }
    dir
}

/// The path of binary `name` built by `package`, or an error saying how to build it.
pub fn binary(name: &str, package: &str) -> Result<PathBuf, WalkthroughError> {
    let path = bin_dir().join(name);
    if path.is_file() {
        return Ok(path);
    }
    Err(WalkthroughError::MissingBinary {
        name: name.to_owned(),
        package: package.to_owned(),
        path,
    })
}

/// Whether binary `name` exists (used for services that may not be built yet).
pub fn exists(name: &str) -> bool {
    bin_dir().join(name).is_file()
}
