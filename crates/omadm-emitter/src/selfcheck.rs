//! The self-check: every emitted message is decoded again and must pass the sessionless profile
//! check; a failure is a bug in this crate, never a property of the input.

use omadm_syncml::{Encoding, sessionless};

/// Decodes `message` and checks it against the sessionless profile and MaxMsgSize.
///
/// # Panics
/// If the message does not decode, breaks a profile rule or exceeds `max`: each would be a bug in
/// the emitter (the reports and the account were validated before anything was written).
pub(crate) fn run(encoding: Encoding, message: &[u8], max: usize) {
    let size = sessionless::check_size(message.len(), u64::try_from(max).unwrap_or(u64::MAX));
    assert!(
        size.is_none(),
        "omadm-emitter bug: an emitted message exceeds the max message size: {size:?}"
    );
    // Room for any message the emitter may write: every element takes at least 7 bytes.
    let decoded = match encoding {
        Encoding::Xml => {
            let limits = omadm_xml::Limits::default()
                .with_max_size(message.len())
                .with_max_elements(message.len());
            omadm_xml::decode(message, &limits).map_err(|e| e.to_string())
        }
        Encoding::Wbxml => {
            let limits = omadm_wbxml::Limits::default()
                .with_max_size(message.len())
                .with_max_elements(message.len());
            omadm_wbxml::decode(message, &limits).map_err(|e| e.to_string())
        }
    };
    assert!(
        decoded.is_ok(),
        "omadm-emitter bug: an emitted message does not decode: {:?}",
        decoded.as_ref().err()
    );
    if let Ok(decoded) = decoded {
        let violations = sessionless::check(&decoded);
        assert!(
            violations.is_empty(),
            "omadm-emitter bug: an emitted message breaks the sessionless profile: {violations:?}"
        );
    }
}
