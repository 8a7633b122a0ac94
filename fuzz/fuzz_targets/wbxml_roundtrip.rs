//! Fuzzes omadm-wbxml's round trip: whatever decodes, encodes (with and without a string table)
//! to bytes that decode to the same model, with the Cred Data span the encoder reports, and
//! `encoded_len` is what `encode` writes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omadm_wbxml::{Limits, Options, decode_located, encode_with, encoded_len};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().with_max_size(64 * 1024);
    let Ok(first) = decode_located(data, &limits) else {
        return;
    };
    let relaxed = Limits::default().with_max_size(usize::MAX);
    for table in [false, true] {
        let mut out = Vec::new();
        let enc = encode_with(
            &first.message,
            &Options::default().with_string_table(table),
            &mut out,
        );
        if !table {
            assert_eq!(out.len(), encoded_len(&first.message));
        }
        let second = decode_located(&out, &relaxed)
            .unwrap_or_else(|e| panic!("re-encoded message does not decode: {e}"));
        assert_eq!(second.message, first.message);
        if let Some(span) = second.cred_data {
            assert_eq!(span.ok(), enc.cred_data);
        }
    }
});
