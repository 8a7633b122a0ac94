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
        "What the database holds (13 reports)",
        // The session lifecycle: challenged, authenticated, discovered, a new nonce, with
        // which a report is stored while one with the old nonce is ignored.
        "challenged (401), authenticated, discovered: SessionlessRpt = true, new nonce issued",
        "report signed with the new nonce (MsgID 1)       stored (1 report)",
        "report still signed with the old nonce (MsgID 1) ignored: bad-mac",
        "demo passed",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(!out.contains("UNEXPECTED"), "{out}");
}
