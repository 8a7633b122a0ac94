//! Shared helpers: the corpus and the decoders with default limits.

use std::path::PathBuf;

use omadm_wbxml::Limits;

pub(crate) fn corpus_dir() -> PathBuf {
    omadm_testkit::corpus_dir()
}

pub(crate) fn read(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn limits() -> Limits {
    Limits::default()
}
