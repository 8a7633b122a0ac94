//! Shared helpers: the corpus, the sessionless fixtures and the default limits.

use std::path::PathBuf;

use omadm_wbxml::Limits;

/// The XML codec's sessionless fixtures (1, 10, 100 alerts), shared with the benches.
#[path = "../../../omadm-xml/tests/fixtures/messages.rs"]
#[allow(dead_code, unreachable_pub)]
pub(crate) mod fixtures;

/// The `alerts`-alert sessionless fixture, WBXML-encoded.
pub(crate) fn fixture_wbxml(alerts: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    omadm_wbxml::encode(&fixtures::message(alerts), &mut bytes);
    bytes
}

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
