//! The one integration-test binary of omadm-dmsec: known answers, parser cases, laws, secrecy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod alloc;
mod params;
mod props;
mod secrets;
mod vectors;

use std::path::PathBuf;

/// `../shared` beside the repository root, where the spec and its vector files live.
pub(crate) fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}
