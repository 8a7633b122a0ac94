#![doc = include_str!("../README.md")]

pub mod alloc;
pub mod strategies;

use std::path::PathBuf;

/// The environment variable that overrides [`shared_dir`].
pub const SHARED_ENV: &str = "OMADM_SHARED";

/// The project's read-only `shared/` directory (spec text, test vectors, interop corpus): the
/// repository's sibling `shared/`, found from this crate's `CARGO_MANIFEST_DIR`, or the directory
/// named by the environment variable `OMADM_SHARED` when it is set and non-empty.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os(SHARED_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
            dir.canonicalize().unwrap_or(dir)
        }
    }
}

/// The interop corpus: `shared/corpus/interop` (real DM messages from other implementations,
/// described by its `MANIFEST.json`).
pub fn corpus_dir() -> PathBuf {
    shared_dir().join("corpus").join("interop")
}

/// The byte-exact worked examples of the sessionless MAC: `shared/spec/vectors`.
pub fn spec_vectors_dir() -> PathBuf {
    shared_dir().join("spec").join("vectors")
}
