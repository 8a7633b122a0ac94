//! Fuzzes omadm-xml's round trip: whatever decodes, encodes to bytes that decode to the same
//! model, with the same Cred Data span as the encoder reports.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omadm_xml::{Limits, decode_located, encode, encoded_len};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().with_max_size(64 * 1024);
    let Ok(first) = decode_located(data, &limits) else {
        return;
    };
    let mut out = Vec::new();
    let enc = encode(&first.message, &mut out);
    assert_eq!(out.len(), encoded_len(&first.message));
    // Escaping and per-element namespace declarations may make the message larger.
    let relaxed = Limits::default().with_max_size(usize::MAX);
    let second = match decode_located(&out, &relaxed) {
        Ok(d) => d,
        Err(e) => panic!(
            "re-encoded message does not decode: {e}\n{}",
            String::from_utf8_lossy(&out)
        ),
    };
    assert_eq!(
        second.message,
        first.message,
        "\n{}",
        String::from_utf8_lossy(&out)
    );
    assert_eq!(second.cred_data, enc.cred_data);
});
