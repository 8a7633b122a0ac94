//! The relation between `Verifier::lint` and `Verifier::start`, asserted by the `it` binary's
//! `lint::lint_agrees_with_start` law and by the `verify` fuzz target (which includes this file
//! with `#[path]`), so the two cannot drift apart.

use omadm_verifier::{Finding, IgnoreReason};

/// `lint` runs `start`'s checks in `start`'s order but collects every finding instead of
/// stopping at the first, decodes the whole message (with the size limit lifted) instead of the
/// header only, and adds the profile check. So:
/// - `start` refuses with `TooLarge` exactly when `lint`'s first finding is that same `TooLarge`;
/// - when `start` refuses a malformed header, `lint` reports a malformed message too (the full
///   decode reads the same header first);
/// - when `start` refuses for a header reason (Cred, scheme, parameter list, identity), `lint`
///   reports that same reason, unless the body after the header is malformed (then `lint` stops
///   at the `Malformed` finding, which it then holds);
/// - when `start` accepts, `lint` finds only what `start` does not look at: a malformed body or
///   a profile violation (`NotSessionless`);
/// - a message `lint` finds nothing wrong with, `start` accepts.
pub(crate) fn lint_agrees_with_start(findings: &[Finding], refused: Option<&IgnoreReason>) {
    let has = |r: &IgnoreReason| findings.iter().any(|f| f.reason == *r);
    let malformed = findings.iter().any(|f| {
        matches!(
            f.reason,
            IgnoreReason::Malformed(_) | IgnoreReason::MalformedWbxml(_)
        )
    });
    let too_large = findings
        .first()
        .filter(|f| matches!(f.reason, IgnoreReason::TooLarge { .. }));
    match refused {
        Some(r @ IgnoreReason::TooLarge { .. }) => {
            assert_eq!(too_large.map(|f| &f.reason), Some(r), "{findings:?}");
        }
        Some(r @ (IgnoreReason::Malformed(_) | IgnoreReason::MalformedWbxml(_))) => {
            assert!(
                too_large.is_none(),
                "start passed the size check: {findings:?}"
            );
            assert!(malformed, "start: {r}; lint: {findings:?}");
        }
        Some(r) => {
            assert!(
                too_large.is_none(),
                "start passed the size check: {findings:?}"
            );
            assert!(has(r) || malformed, "start: {r:?}; lint: {findings:?}");
        }
        None => {
            for f in findings {
                assert!(
                    matches!(
                        f.reason,
                        IgnoreReason::Malformed(_)
                            | IgnoreReason::MalformedWbxml(_)
                            | IgnoreReason::NotSessionless(_)
                    ),
                    "start accepted, lint found {f:?}"
                );
            }
        }
    }
    if findings.is_empty() {
        assert!(
            refused.is_none(),
            "lint found nothing, start refused: {refused:?}"
        );
    }
}
