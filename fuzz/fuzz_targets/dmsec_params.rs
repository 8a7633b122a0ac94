//! Fuzz target for omadm-dmsec's parameter-list parser (`x-syncml-hmac` / in-message Cred Data).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omadm_dmsec::{Mac, MacParams, Nonce, SecretDigest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    // Never panics; whatever parses formats to a canonical form that parses back to itself; a
    // refusal points inside the input.
    match MacParams::parse(text) {
        Ok(params) => {
            let canonical = params.to_string();
            assert_eq!(canonical.len(), params.len());
            assert_eq!(MacParams::parse(&canonical).ok(), Some(params));
        }
        Err(e) => assert!(
            e.offset() <= text.len(),
            "{e:?} outside {} bytes",
            text.len()
        ),
    }
    // The value decoders on the same bytes: no panics, and canonical base64 round-trips.
    if let Ok(nonce) = Nonce::from_base64(text) {
        assert_eq!(nonce.to_base64(), text);
    }
    if let Ok(mac) = Mac::from_base64(text) {
        assert_eq!(mac.to_base64(), text);
    }
    if let Ok(digest) = SecretDigest::from_base64(text) {
        assert_eq!(digest.expose_base64(), text);
    }
});
