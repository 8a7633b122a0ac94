//! Byte-exact output: the spec vectors of `../shared/spec/vectors/`, and this crate's own golden
//! files in `tests/golden/` (regenerate them with `OMADM_BLESS=1 cargo test -p omadm-emitter`,
//! then review the diff).

use std::borrow::Cow;
use std::path::PathBuf;

use omadm_emitter::{Algorithm, Carrier, Construction, MsgId, SessionlessReport};
use omadm_syncml::{Format, Mark};

use crate::support::{
    Mode, TRANSPORT, emit_verified, shared_dir, vector, vector_account, vector_reports,
};

#[test]
fn in_message_vector_byte_for_byte() {
    let account = vector_account(Mode::default());
    let messages = emit_verified(&account, &vector_reports());
    assert_eq!(messages.len(), 1);
    assert_eq!(text(&messages[0].body), text(&vector("in-message.xml")));
    assert!(messages[0].headers.is_empty());
    assert_eq!(messages[0].msg_id.get(), 7);
    assert_eq!(messages[0].content_type, "application/vnd.syncml.dm+xml");
}

#[test]
fn in_message_mac_input_is_the_vector_mac_input() {
    // What the emitter signs (the message with the Cred Data content cut out) is the vector's
    // MAC input, byte for byte.
    let account = vector_account(Mode::default());
    let messages = emit_verified(&account, &vector_reports());
    let body = &messages[0].body;
    let span = omadm_xml::decode_located(body, &omadm_xml::Limits::default())
        .unwrap()
        .cred_data
        .unwrap();
    let params = readme_value("algorithm=SHA256, username=\"alice\", mac=ylB0");
    assert_eq!(&body[span.clone()], params.as_bytes());
    let mut input = body[..span.start].to_vec();
    input.extend_from_slice(&body[span.end..]);
    assert_eq!(input, vector("in-message.mac-input.bin"));
}

#[test]
fn header_carrier_vector_byte_for_byte() {
    let account = vector_account((Carrier::Header, Algorithm::Sha256, Construction::Digest));
    let messages = emit_verified(&account, &vector_reports());
    assert_eq!(messages.len(), 1);
    assert_eq!(text(&messages[0].body), text(&vector("header-carrier.xml")));
    let expected = readme_value("x-syncml-hmac: ");
    let value = expected.strip_prefix("x-syncml-hmac: ").unwrap();
    assert_eq!(
        messages[0].headers,
        vec![("x-syncml-hmac", value.to_owned())]
    );
}

#[test]
fn rfc2104_vector_mac() {
    // The README gives the RFC 2104 MAC over the same MAC input: only the Cred Data differs.
    let account = vector_account((Carrier::InMessage, Algorithm::Sha256, Construction::Rfc2104));
    let messages = emit_verified(&account, &vector_reports());
    let line = readme_value("Opt-in RFC 2104");
    let mac = line.rsplit('`').nth(1).unwrap();
    let expected = text(&vector("in-message.xml")).replace(
        "mac=ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA=",
        &format!("mac={mac}"),
    );
    assert_eq!(text(&messages[0].body), expected);
}

#[test]
fn golden_md5_in_message() {
    let account = vector_account((Carrier::InMessage, Algorithm::Md5, Construction::Digest));
    let messages = emit_verified(&account, &vector_reports());
    golden("md5-in-message.xml", &messages[0].body);
}

#[test]
fn golden_rfc2104_header() {
    let account = vector_account((Carrier::Header, Algorithm::Sha256, Construction::Rfc2104));
    let messages = emit_verified(&account, &vector_reports());
    golden("rfc2104-header.xml", &messages[0].body);
    let (name, value) = &messages[0].headers[0];
    golden(
        "rfc2104-header.hmac.txt",
        format!("{name}: {value}").as_bytes(),
    );
}

#[test]
fn golden_transport_authenticated_with_final() {
    let mut account = vector_account(TRANSPORT);
    account.include_final = true;
    account.next_msg_id = MsgId::new(41).unwrap();
    let reports = [SessionlessReport::new(
        Some(Cow::Borrowed("./DevDetail/Ext/Temp")),
        "Content-Type: application/json",
        Format::Xml,
        Some(Mark::Critical),
        r#"{"t": 81, "note": "<b>hot</b> & rising"}"#,
    )
    .unwrap()];
    let messages = emit_verified(&account, &reports);
    golden("transport-final.xml", &messages[0].body);
}

#[test]
fn golden_packing() {
    // Five reports of growing size under a MaxMsgSize that fits two of the first ones: the
    // greedy packing gives 2 + 2 + 1 messages, MsgIDs 7, 8, 9.
    // The empty message is 551 bytes and report i adds 204 + 40 i: 1239 bytes hold reports 3
    // and 4, 1403 would be needed for 1 to 3.
    let mut account = vector_account(Mode::default());
    account.max_msg_size = 1300;
    let reports: Vec<SessionlessReport<'static>> = (1..=5)
        .map(|i| {
            SessionlessReport::new(
                None,
                format!("urn:oma:at:example:1.0:tick{i}"),
                Format::Chr,
                None,
                "x".repeat(40 * i),
            )
            .unwrap()
        })
        .collect();
    let messages = emit_verified(&account, &reports);
    let counts: Vec<usize> = messages.iter().map(|m| m.reports).collect();
    assert_eq!(counts, [2, 2, 1]);
    let ids: Vec<u32> = messages.iter().map(|m| m.msg_id.get()).collect();
    assert_eq!(ids, [7, 8, 9]);
    for (i, m) in messages.iter().enumerate() {
        golden(&format!("packed-{}.xml", i + 1), &m.body);
    }
}

/// Compares `actual` with `tests/golden/<name>`, or writes it there when `OMADM_BLESS` is set.
fn golden(name: &str, actual: &[u8]) {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden")).join(name);
    if std::env::var_os("OMADM_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with OMADM_BLESS=1 to create it)",
            path.display()
        )
    });
    assert_eq!(text(actual), text(&expected), "{name} changed");
}

/// The first line of the vectors README that contains `needle`, from `needle` on (or, when the
/// needle is a label, the whole line).
fn readme_value(needle: &str) -> String {
    let path = shared_dir().join("spec/vectors/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let line = readme
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in the vectors README"));
    let at = line.find(needle).unwrap();
    line[at..].to_owned()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}
