//! Fuzzes omadm-wbxml's decoder on arbitrary bytes: no panic; the header scan agrees with the
//! full decode (header, Cred Data span) and resuming from it returns exactly what the full decode
//! returns; a span lies in the input and holds the Cred Data; the decoder's shortcuts change
//! nothing (the general token loop alone returns the same, errors included). And the
//! differential with the XML codec: whatever omadm-xml decodes, WBXML-encoded, decodes with omadm-wbxml to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use omadm_wbxml::__private::decode_located_general;
use omadm_wbxml::{Limits, decode, decode_header, decode_located, encode};

/// Small limits, so that the fuzzer reaches them.
const LIMITS: Limits = Limits::DEFAULT
    .with_max_size(16 * 1024)
    .with_max_depth(12)
    .with_max_elements(400)
    .with_max_text(512)
    .with_max_string_table(1024);

fuzz_target!(|data: &[u8]| {
    let full = decode_located(data, &LIMITS);
    let head = decode_header(data, &LIMITS);
    assert_eq!(
        full,
        decode_located_general(data, &LIMITS),
        "shortcuts vs general loop"
    );
    if let Ok(d) = &full {
        assert!(data.len() <= LIMITS.max_size);
        let head = head
            .as_ref()
            .expect("decode succeeded, so the header scan must");
        assert_eq!(head.hdr, d.message.hdr);
        assert_eq!(head.cred_data, d.cred_data);
        assert_eq!(head.version, d.message.version);
        match (&d.cred_data, &d.message.hdr.cred) {
            (Some(Ok(span)), Some(cred)) => {
                let raw = data.get(span.clone()).expect("span inside the input");
                assert_eq!(raw, cred.data.as_bytes());
            }
            (Some(Err(_)), Some(_)) | (None, None) => {}
            (span, cred) => panic!("span {span:?} with cred {cred:?}"),
        }
    }
    if let Ok(head) = head {
        assert_eq!(head.into_body(), full);
    }
    // The differential: XML -> model -> WBXML -> model.
    let xml_limits = omadm_xml::Limits::default().with_max_size(16 * 1024);
    if let Ok(m) = omadm_xml::decode(data, &xml_limits) {
        let mut out = Vec::new();
        encode(&m, &mut out);
        let back = decode(&out, &Limits::default().with_max_size(usize::MAX))
            .unwrap_or_else(|e| panic!("WBXML of a decoded XML message does not decode: {e}"));
        assert_eq!(back, m);
    }
});
