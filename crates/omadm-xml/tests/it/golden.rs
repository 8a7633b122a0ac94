//! Golden bytes: the spec vectors re-encode byte for byte, the Cred Data span is where the vector
//! README says, and our own fixed models encode to the files in `tests/golden/`.

use omadm_syncml::{Carriage, Command, SyncMlVersion};
use omadm_xml::{Limits, decode, decode_header, decode_located, encode, encoded_len};

use crate::support::{sessionless, shared_file};

fn reencode(rel: &str) -> (Vec<u8>, Vec<u8>) {
    let input = shared_file(rel);
    let msg = decode(&input, &Limits::default()).unwrap();
    let mut out = Vec::new();
    encode(&msg, &mut out);
    assert_eq!(out.len(), encoded_len(&msg));
    (input, out)
}

#[test]
fn in_message_vector_reencodes_identically() {
    let (input, out) = reencode("spec/vectors/in-message.xml");
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&input)
    );
}

#[test]
fn header_carrier_vector_reencodes_identically() {
    let (input, out) = reencode("spec/vectors/header-carrier.xml");
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&input)
    );
}

#[test]
fn in_message_cred_data_span_is_413_to_497() {
    let input = shared_file("spec/vectors/in-message.xml");
    let d = decode_located(&input, &Limits::default()).unwrap();
    assert_eq!(d.cred_data, Some(413..497));
    assert_eq!(
        &input[413..497],
        b"algorithm=SHA256, username=\"alice\", mac=ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA="
    );
    // The MAC input of the vector is the message without that span.
    let mac_input = shared_file("spec/vectors/in-message.mac-input.bin");
    let mut cut = input[..413].to_vec();
    cut.extend_from_slice(&input[497..]);
    assert_eq!(cut, mac_input);

    // The header scan finds the same header and span; the encoder reports the same span.
    let h = decode_header(&input, &Limits::default()).unwrap();
    assert_eq!(h.cred_data, Some(413..497));
    assert_eq!(h.hdr, d.message.hdr);
    assert_eq!(h.version, SyncMlVersion::V1_2);
    let mut out = Vec::new();
    assert_eq!(encode(&d.message, &mut out).cred_data, Some(413..497));
}

#[test]
fn in_message_vector_decodes_to_the_expected_model() {
    let input = shared_file("spec/vectors/in-message.xml");
    let m = decode(&input, &Limits::default()).unwrap();
    assert_eq!(m.hdr.msg_id.get(), 7);
    assert!(m.hdr.session_id.is_sessionless());
    assert_eq!(m.hdr.source.loc_name.as_deref(), Some("alice"));
    assert_eq!(
        m.hdr.cred.as_ref().unwrap().scheme(),
        Some("syncml:auth-MAC")
    );
    assert_eq!(m.body.commands.len(), 2);
    let Command::Alert(a) = &m.body.commands[1] else {
        panic!()
    };
    let d = a.items[0].data.as_ref().unwrap();
    assert_eq!(d.carriage, Carriage::Cdata);
    assert_eq!(d.value, "t=81C; zone=<cpu> & ]]> done");
}

#[test]
fn encode_appends_and_reports_absolute_spans() {
    let msg = sessionless(1);
    let mut out = b"prefix".to_vec();
    let e = encode(&msg, &mut out);
    let span = e.cred_data.unwrap();
    assert!(out[span.clone()].starts_with(b"algorithm=SHA256"));
    let d = decode_located(&out[6..], &Limits::default()).unwrap();
    assert_eq!(d.cred_data.unwrap(), span.start - 6..span.end - 6);
}

fn golden(name: &str, msg: &omadm_syncml::SyncMl<'_>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/").to_owned() + name;
    let mut out = Vec::new();
    encode(msg, &mut out);
    if std::env::var_os("OMADM_BLESS").is_some() {
        std::fs::write(&path, &out).unwrap();
    }
    let expected =
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e} (run with OMADM_BLESS=1)"));
    assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&expected),
        "{name}"
    );
    assert_eq!(
        decode(&expected, &Limits::default()).unwrap(),
        *msg,
        "{name} decodes back"
    );
}

#[test]
fn golden_files() {
    golden("sessionless-1.xml", &sessionless(1));
    golden("sessionless-3.xml", &sessionless(3));
    golden("dm-session.xml", &crate::roundtrip::dm_session());
}

#[test]
fn offsets_count_a_leading_bom() {
    let input = shared_file("spec/vectors/in-message.xml");
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&input);
    let d = decode_located(&with_bom, &Limits::default()).unwrap();
    assert_eq!(d.cred_data, Some(416..500));
    assert_eq!(
        decode_header(&with_bom, &Limits::default())
            .unwrap()
            .cred_data,
        Some(416..500)
    );
    // Errors too: the bad MsgID sits 3 bytes further on.
    let bad = String::from_utf8(input)
        .unwrap()
        .replace("<MsgID>7</MsgID>", "<MsgID>x</MsgID>");
    let at = bad.find("<MsgID>").unwrap();
    let e = decode(format!("\u{feff}{bad}").as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!(e.offset(), at + 3);
}
