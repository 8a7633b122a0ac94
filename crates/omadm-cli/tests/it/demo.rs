//! `omadm demo` passes and says what it did.

use crate::support::{parts, run};

#[test]
fn demo_passes() {
    let (code, out, err) = parts(&run(&["demo"]));
    assert_eq!(code, 0, "{out}\n{err}");
    for expected in [
        "ignored: replayed",
        "ignored: bad-mac",
        "ignored: unknown-device",
        "ignored: too-large",
        "ignored: media-type-mismatch",
        "valid (WBXML)",
        "tampered WBXML",
        "stored (2 reports)",
        "What the database holds (11 reports)",
        "demo passed",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(!out.contains("UNEXPECTED"), "{out}");
}
