//! The laws: `decode(encode(m)) == m` for every model value (with and without a string table),
//! `encoded_len` is what `encode` writes, encoding is deterministic, the span `encode` reports is
//! the one the decoder locates, and the header scan plus `into_body` is `decode_located`.

use omadm_testkit::strategies::arb_sync_ml;
use omadm_wbxml::{Options, decode_header, decode_located, encode, encode_with, encoded_len};
use proptest::prelude::*;

use crate::support::limits;

proptest! {
    #[test]
    fn decode_inverts_encode(m in arb_sync_ml()) {
        let mut out = Vec::new();
        let enc = encode(&m, &mut out);
        prop_assert_eq!(out.len(), encoded_len(&m));
        let d = decode_located(&out, &limits()).unwrap();
        prop_assert_eq!(&d.message, &m);
        let has_nul = m.hdr.cred.as_ref().is_some_and(|c| c.data.contains('\0'));
        if m.hdr.cred.is_some() && !has_nul {
            prop_assert_eq!(d.cred_data.clone().unwrap().ok(), enc.cred_data);
        }
        let head = decode_header(&out, &limits()).unwrap();
        prop_assert_eq!(&head.hdr, &m.hdr);
        prop_assert_eq!(&head.cred_data, &d.cred_data);
        prop_assert_eq!(head.into_body().unwrap(), d);
        let mut again = Vec::new();
        encode(&m, &mut again);
        prop_assert_eq!(again, out);
    }

    #[test]
    fn decode_inverts_encode_with_a_string_table(m in arb_sync_ml()) {
        let mut out = Vec::new();
        let enc = encode_with(&m, &Options::default().with_string_table(true), &mut out);
        let d = decode_located(&out, &limits()).unwrap();
        prop_assert_eq!(&d.message, &m);
        if m.hdr.cred.is_some() {
            prop_assert_eq!(d.cred_data.unwrap().ok(), enc.cred_data);
        }
        prop_assert!(out.len() <= encoded_len(&m), "the table never makes a message longer");
    }

    #[test]
    fn every_truncation_is_a_typed_error(m in arb_sync_ml()) {
        let mut out = Vec::new();
        encode(&m, &mut out);
        for n in 0..out.len() {
            prop_assert!(decode_located(&out[..n], &limits()).is_err());
        }
    }
}

#[test]
fn a_nul_in_cred_data_round_trips_without_a_span() {
    let mut m = crate::golden::worked_example_model();
    m.hdr.cred.as_mut().unwrap().data = "a\0b".into();
    let mut out = Vec::new();
    let enc = encode(&m, &mut out);
    assert_eq!(enc.cred_data, None);
    let d = decode_located(&out, &limits()).unwrap();
    assert_eq!(d.message, m);
    assert_eq!(d.cred_data, Some(Err(omadm_wbxml::CredDataForm::Pieces)));
}

proptest! {
    /// `write`'s pieces make exactly what `encode` writes, and their `_len`s count it.
    #[test]
    fn write_pieces_are_encode(m in arb_sync_ml()) {
        use omadm_wbxml::write;
        let mut whole = Vec::new();
        let enc = encode(&m, &mut whole);
        let mut out = Vec::new();
        let span = write::prologue(&mut out, m.version, &m.hdr);
        prop_assert_eq!(out.len(), write::prologue_len(m.version, &m.hdr));
        prop_assert_eq!(span, enc.cred_data);
        for c in &m.body.commands {
            let before = out.len();
            write::command(&mut out, c);
            prop_assert_eq!(out.len() - before, write::command_len(c));
            if let omadm_syncml::Command::Alert(a) = c
                && let ([item], Some(code), false, None, None) =
                    (a.items.as_slice(), a.data, a.no_resp, &a.cred, &a.correlator)
            {
                let mut one = Vec::new();
                write::alert_with_item(&mut one, a.cmd_id, code, item);
                prop_assert_eq!(&one[..], &out[before..]);
            }
        }
        write::epilogue(&mut out, m.body.is_final);
        prop_assert_eq!(out, whole);
    }
}
