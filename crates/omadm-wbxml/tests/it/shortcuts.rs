//! The differential law of the decoder's shortcuts: for any input and limits, `decode_located`
//! (which reads the usual shapes, a tag or an `END` between elements, one `STR_I` or one
//! `OPAQUE` as an element's text, without the general token loop) returns exactly what the
//! general token loop alone returns, the error's kind, offset, path and detail included.

use omadm_testkit::strategies::arb_sync_ml;
use omadm_wbxml::__private::decode_located_general;
use omadm_wbxml::{Limits, Options, decode_located, encode, encode_with};
use proptest::prelude::*;

use crate::support::{corpus_dir, fixture_wbxml, fixtures, limits};

/// Limits small enough that the shortcuts meet every one of them.
fn tight() -> [Limits; 4] {
    [
        Limits::default(),
        Limits::default().with_max_depth(4),
        Limits::default().with_max_elements(12),
        Limits::default().with_max_text(8),
    ]
}

fn assert_same(input: &[u8]) {
    for l in tight() {
        assert_eq!(
            decode_located(input, &l),
            decode_located_general(input, &l),
            "input {input:02x?}, limits {l:?}"
        );
    }
}

/// Byte values that change a token's meaning: global tokens, flags, UTF-8 lead and
/// continuation bytes, mb_u_int32 continuation.
const BYTES: [u8; 9] = [0x00, 0x01, 0x02, 0x03, 0x20, 0x7F, 0x80, 0xC3, 0xFF];

#[test]
fn every_byte_of_the_sessionless_message_changed_or_cut() {
    let bytes = fixture_wbxml(2);
    assert_same(&bytes);
    for i in 0..bytes.len() {
        assert_same(&bytes[..i]);
        let mut b = bytes.clone();
        for v in BYTES.into_iter().chain([bytes[i] ^ 0x40, bytes[i] ^ 0x80]) {
            b[i] = v;
            assert_same(&b);
        }
    }
}

#[test]
fn every_corpus_file() {
    let mut n = 0;
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "wbxml") {
            assert_same(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n >= 10, "the corpus has its WBXML files ({n} found)");
}

#[test]
fn decoded_and_general_agree_on_the_model_and_the_span() {
    let bytes = fixture_wbxml(3);
    let fast = decode_located(&bytes, &limits()).unwrap();
    assert_eq!(fast.message, fixtures::message(3));
    assert_eq!(decode_located_general(&bytes, &limits()).unwrap(), fast);
}

proptest! {
    #[test]
    fn shortcuts_change_nothing(
        m in arb_sync_ml(),
        table in any::<bool>(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut out = Vec::new();
        encode_with(&m, &Options::default().with_string_table(table), &mut out);
        for l in tight() {
            prop_assert_eq!(decode_located(&out, &l), decode_located_general(&out, &l));
        }
        let i = at.index(out.len());
        let mut changed = out.clone();
        changed[i] = byte;
        let cut = &out[..cut.index(out.len() + 1)];
        for input in [&changed[..], cut] {
            for l in tight() {
                prop_assert_eq!(decode_located(input, &l), decode_located_general(input, &l));
            }
        }
    }
}

/// Strings are sliced from a validated UTF-8 stretch of the input (1 KB at a time) instead of
/// being validated one by one. Multi-byte text at every phase around a stretch's end decodes to
/// what was encoded; and with any one of its bytes made invalid, or the message cut there, the
/// result is still exactly the general loop's, which validates each string alone.
#[test]
fn multi_byte_text_across_the_validated_stretch() {
    const TEXT: &str = "é€𝄞";
    for pad in 0..=TEXT.len() {
        let mut m = fixtures::message(5);
        m.hdr.source.loc_name = Some("a".repeat(pad + 1).into());
        for c in &mut m.body.commands {
            let omadm_syncml::Command::Alert(alert) = c else {
                unreachable!("the fixture's reports are alerts")
            };
            let item = &mut alert.items[0];
            item.data = Some(omadm_syncml::ItemData::cdata(TEXT.repeat(40)));
            if let Some(source) = &mut item.source {
                source.loc_uri = format!("./{}/{pad}", TEXT.repeat(3)).into();
            }
        }
        let mut bytes = Vec::new();
        encode(&m, &mut bytes);
        assert!(bytes.len() > 2048, "the message spans stretches");
        assert_eq!(decode_located(&bytes, &limits()).unwrap().message, m);
        assert_same(&bytes);
        for i in (0..bytes.len()).filter(|&i| bytes[i] >= 0x80) {
            assert_same(&bytes[..i]);
            let mut b = bytes.clone();
            for v in [0x20, 0x80, 0xC3, 0xFF] {
                b[i] = v;
                assert_same(&b);
            }
        }
    }
}
