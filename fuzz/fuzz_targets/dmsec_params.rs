//! Fuzz target for omadm-dmsec's parameter-list parser (`x-syncml-hmac` / in-message Cred Data).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omadm_dmsec::{Mac, MacParams, Nonce, SecretDigest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    // Never panics; whatever parses formats to a canonical form that parses back to itself.
    if let Ok(params) = MacParams::parse(text) {
        let canonical = params.to_string();
        assert_eq!(canonical.len(), params.len());
        assert_eq!(MacParams::parse(&canonical).ok(), Some(params));
    }
    // The value decoders on the same bytes: no panics, and canonical base64 round-trips.
    if let Ok(nonce) = Nonce::from_base64(text) {
        assert_eq!(nonce.to_base64(), text);
    }
    if let Ok(mac) = Mac::from_base64(text) {
        assert_eq!(mac.to_base64(), text);
    }
    let _ = SecretDigest::from_base64(text);
});
