//! WBXML messages (issue 11): the codec is picked from the `Content-Type` (or, without one, from
//! the body's first byte); a body whose media type disagrees with its first byte is ignored with
//! its own reason; a WBXML `Cred/Data` that is not exactly one `STR_I` is ignored; everything
//! else is the XML path's (the laws in `laws.rs` run in both encodings).

use omadm_emitter::{Account, Emitter, Encoding, Outgoing};
use omadm_syncml::{MEDIA_TYPE_WBXML, MEDIA_TYPE_XML};
use omadm_testkit::strategies::arb_report;
use omadm_verifier::{Policy, TransportMeta, Verdict, Verifier};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::{DEVICE, NONCE_B64, PASSWORD, SERVER, USER, device, outcome, verify};

fn emitted(encoding: Encoding) -> Outgoing {
    let mut account = Account::new(
        SERVER,
        DEVICE,
        omadm_dmsec::Username::new(USER).unwrap(),
        omadm_dmsec::Secret::from(PASSWORD),
        omadm_dmsec::Nonce::from_base64(NONCE_B64).unwrap(),
        16 * 1024,
    );
    account.encoding = encoding;
    let report = arb_report()
        .new_tree(&mut TestRunner::deterministic())
        .unwrap()
        .current();
    let mut emission = Emitter::new(account).unwrap().emit(&[report]).unwrap();
    emission.messages.remove(0)
}

fn check(body: &[u8], content_type: Option<&str>) -> &'static str {
    let mut t = TransportMeta::new();
    if let Some(ct) = content_type {
        t = t.with_content_type(ct);
    }
    outcome(&verify(
        &Verifier::new(16 * 1024),
        body,
        &t,
        &device(Policy::default()),
    ))
}

#[test]
fn the_content_type_picks_the_codec() {
    let w = emitted(Encoding::Wbxml);
    let x = emitted(Encoding::Xml);
    assert_eq!(w.content_type, MEDIA_TYPE_WBXML);
    assert_eq!(check(&w.body, Some(MEDIA_TYPE_WBXML)), "accepted");
    assert_eq!(
        check(
            &w.body,
            Some("Application/vnd.syncml.dm+WBXML; charset=UTF-8")
        ),
        "accepted"
    );
    assert_eq!(
        check(&w.body, None),
        "accepted",
        "without a type, the first byte decides"
    );
    assert_eq!(check(&x.body, Some(MEDIA_TYPE_XML)), "accepted");
    assert_eq!(check(&x.body, None), "accepted");
}

#[test]
fn a_media_type_that_disagrees_with_the_body_is_ignored() {
    let w = emitted(Encoding::Wbxml);
    let x = emitted(Encoding::Xml);
    assert_eq!(check(&w.body, Some(MEDIA_TYPE_XML)), "media-type-mismatch");
    assert_eq!(
        check(&x.body, Some(MEDIA_TYPE_WBXML)),
        "media-type-mismatch"
    );
    assert_eq!(
        check(&w.body, Some("application/octet-stream")),
        "unsupported-media-type"
    );
    assert_eq!(check(b"", Some(MEDIA_TYPE_WBXML)), "media-type-mismatch");
}

#[test]
fn the_same_reports_are_accepted_from_either_encoding() {
    let reports = |o: &Outgoing, ct: &str| {
        let t = TransportMeta::new().with_content_type(ct);
        match verify(
            &Verifier::new(16 * 1024),
            &o.body,
            &t,
            &device(Policy::default()),
        ) {
            Verdict::Accepted(a) => a.into_owned().reports,
            Verdict::Ignored(i) => panic!("{i}"),
        }
    };
    assert_eq!(
        reports(&emitted(Encoding::Wbxml), MEDIA_TYPE_WBXML),
        reports(&emitted(Encoding::Xml), MEDIA_TYPE_XML)
    );
}

/// The in-message MAC rule: `SyncHdr/Cred/Data` must be exactly one STR_I. The same text as
/// OPAQUE (`C3 len bytes` instead of `03 bytes 00`) is ignored, never authenticated.
#[test]
fn a_cred_data_that_is_not_one_str_i_is_ignored() {
    let w = emitted(Encoding::Wbxml);
    let d = omadm_wbxml::decode_located(&w.body, &omadm_wbxml::Limits::DEFAULT).unwrap();
    let span = d.cred_data.unwrap().unwrap();
    let text = &w.body[span.clone()];
    let mut body = w.body[..span.start - 1].to_vec();
    body.push(0xC3);
    body.push(u8::try_from(text.len()).unwrap());
    body.extend_from_slice(text);
    body.extend_from_slice(&w.body[span.end + 1..]);
    assert_eq!(check(&body, Some(MEDIA_TYPE_WBXML)), "bad-cred-data");
    // Two STR_I pieces holding the same text.
    let mut body = w.body[..span.end].to_vec();
    body.truncate(span.start + 3);
    body.extend_from_slice(&[0x00, 0x03]);
    body.extend_from_slice(&text[3..]);
    body.extend_from_slice(&w.body[span.end..]);
    assert_eq!(check(&body, Some(MEDIA_TYPE_WBXML)), "bad-cred-data");
}
