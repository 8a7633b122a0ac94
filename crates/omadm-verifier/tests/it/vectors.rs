//! The worked examples of `../shared/spec/vectors/` are accepted with the inputs its README
//! states, with each carrier and construction, and only with the pinned one.

use omadm_dmsec::{Algorithm, AuthType, Construction};
use omadm_syncml::{Format, Mark};
use omadm_verifier::{Carrier, IgnoreReason, Pinned, Policy, TransportMeta, Verdict, Verifier};

use crate::{DEVICE, USER, device, header_for, outcome, vector, verify};

const HEADER: &str =
    r#"algorithm=SHA256, username="alice", mac=8QMpmw7imKu/4FkmZd2aWMlL/f6VnuhbewR9j6k0dSw="#;
const DIGEST_MAC: &str = "ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA=";
const RFC2104_MAC: &str = "xrETQmx9aNT8964Tzue+kIXDE6EEFqzOF4W6QwAQo0o=";

fn verifier() -> Verifier {
    Verifier::new(16 * 1024)
}

/// The in-message vector with its MAC replaced by the RFC 2104 value (same length, same span).
fn rfc2104_body() -> Vec<u8> {
    let body = String::from_utf8(vector("in-message.xml")).unwrap();
    assert!(body.contains(DIGEST_MAC));
    body.replace(DIGEST_MAC, RFC2104_MAC).into_bytes()
}

fn check_reports(verdict: &Verdict<'_>, carrier: Carrier) {
    let Verdict::Accepted(accepted) = verdict else {
        panic!("expected accepted, got {verdict:?}");
    };
    assert_eq!(accepted.username, USER);
    assert_eq!(accepted.device, DEVICE);
    assert_eq!(accepted.msg_id.get(), 7);
    assert_eq!(accepted.carrier, carrier);
    assert_eq!(accepted.reports.len(), 2);

    let first = &accepted.reports[0];
    assert_eq!(first.cmd_id.get(), 1);
    assert_eq!(first.report.source_uri(), Some("./Ext/Battery"));
    assert_eq!(first.report.alert_type(), "urn:oma:mo:battery:1.0");
    assert_eq!(first.report.format(), &Format::Int);
    assert_eq!(first.report.mark(), Some(&Mark::Warning));
    assert_eq!(first.report.data(), "12");

    let second = &accepted.reports[1];
    assert_eq!(second.cmd_id.get(), 2);
    assert_eq!(second.report.source_uri(), None);
    assert_eq!(
        second.report.alert_type(),
        "Reversed-Domain-Name:com.example.thermal"
    );
    assert_eq!(second.report.format(), &Format::Chr);
    assert_eq!(second.report.mark(), None);
    assert_eq!(second.report.data(), "t=81C; zone=<cpu> & ]]> done");
}

#[test]
fn in_message_vector_is_accepted() {
    let body = vector("in-message.xml");
    assert_eq!(body.len(), 1096);
    let pending = verifier().start(&body, &TransportMeta::new()).unwrap();
    assert_eq!(pending.username(), USER);
    assert_eq!(pending.device_id(), DEVICE);
    assert_eq!(pending.carrier(), Carrier::InMessage);
    assert_eq!(pending.auth_type(), AuthType::Mac);
    assert_eq!(pending.algorithm(), Some(Algorithm::Sha256));
    assert_eq!(pending.msg_id().get(), 7);
    let verdict = verify(
        &verifier(),
        &body,
        &TransportMeta::new(),
        &device(Policy::default()),
    );
    check_reports(&verdict, Carrier::InMessage);
}

#[test]
fn an_owned_verdict_outlives_the_body() {
    let body = vector("in-message.xml");
    let verdict = verify(
        &verifier(),
        &body,
        &TransportMeta::new(),
        &device(Policy::default()),
    );
    let owned = verdict.into_owned();
    drop(body);
    check_reports(&owned, Carrier::InMessage);
}

#[test]
fn in_message_vector_rfc2104_is_accepted_when_pinned() {
    let rfc = Policy::default().with_construction(Construction::Rfc2104);
    let body = rfc2104_body();
    check_reports(
        &verify(&verifier(), &body, &TransportMeta::new(), &device(rfc)),
        Carrier::InMessage,
    );
    // Never tried when not pinned, and the digest MAC fails under the RFC 2104 pin.
    let default = device(Policy::default());
    assert_eq!(
        outcome(&verify(&verifier(), &body, &TransportMeta::new(), &default)),
        "bad-mac"
    );
    let digest_body = vector("in-message.xml");
    assert_eq!(
        outcome(&verify(
            &verifier(),
            &digest_body,
            &TransportMeta::new(),
            &device(rfc)
        )),
        "bad-mac"
    );
}

#[test]
fn header_vector_is_accepted() {
    let body = vector("header-carrier.xml");
    assert_eq!(body.len(), 1036);
    let transport = TransportMeta::new().with_hmac_header(HEADER);
    let pending = verifier().start(&body, &transport).unwrap();
    assert_eq!(pending.carrier(), Carrier::Header);
    assert_eq!(pending.auth_type(), AuthType::Md5);
    check_reports(
        &verify(&verifier(), &body, &transport, &device(Policy::default())),
        Carrier::Header,
    );
}

#[test]
fn header_vector_needs_its_header_or_an_authenticated_transport() {
    let body = vector("header-carrier.xml");
    let v = verifier();
    // Without the header: an auth-md5 Cred alone, refused on a plain transport.
    assert_eq!(
        outcome(&verify(
            &v,
            &body,
            &TransportMeta::new(),
            &device(Policy::default())
        )),
        "transport-not-authenticated"
    );
    // On an authenticated transport: only for a device pinned to it.
    let tls = TransportMeta::new().with_peer_authenticated(true);
    assert_eq!(
        verify(&v, &body, &tls, &device(Policy::default())).ignore_reason(),
        Some(&IgnoreReason::WrongScheme(Pinned::Carrier(
            Carrier::Transport
        )))
    );
    let transport_pin = Policy::default().with_carrier(Carrier::Transport, true);
    check_reports(
        &verify(&v, &body, &tls, &device(transport_pin)),
        Carrier::Transport,
    );
}

#[test]
fn carriers_are_pinned() {
    let v = verifier();
    let header_only = Policy::default().with_carrier(Carrier::InMessage, false);
    let in_message_only = Policy::default().with_carrier(Carrier::Header, false);
    let body = vector("in-message.xml");
    assert_eq!(
        verify(&v, &body, &TransportMeta::new(), &device(header_only)).ignore_reason(),
        Some(&IgnoreReason::WrongScheme(Pinned::Carrier(
            Carrier::InMessage
        )))
    );
    let body = vector("header-carrier.xml");
    let transport = TransportMeta::new().with_hmac_header(HEADER);
    assert_eq!(
        verify(&v, &body, &transport, &device(in_message_only)).ignore_reason(),
        Some(&IgnoreReason::WrongScheme(Pinned::Carrier(Carrier::Header)))
    );
}

#[test]
fn md5_pin_refuses_the_sha256_vector() {
    let md5 = Policy::default().with_algorithm(Algorithm::Md5);
    let body = vector("in-message.xml");
    assert_eq!(
        verify(&verifier(), &body, &TransportMeta::new(), &device(md5)).ignore_reason(),
        Some(&IgnoreReason::WrongScheme(Pinned::Algorithm))
    );
}

#[test]
fn header_vector_with_wrong_md5_cred_is_ignored() {
    let body = String::from_utf8(vector("header-carrier.xml"))
        .unwrap()
        .replace("HctEaFlc8TUq2DqnzdSBdw==", "AAAAAAAAAAAAAAAAAAAAAA==");
    // The header MAC covers the whole body, so it fails first; re-sign to reach the Cred check.
    let transport = TransportMeta::new().with_hmac_header(HEADER);
    assert_eq!(
        outcome(&verify(
            &verifier(),
            body.as_bytes(),
            &transport,
            &device(Policy::default())
        )),
        "bad-mac"
    );
    let resigned = header_for(body.as_bytes());
    let transport = TransportMeta::new().with_hmac_header(&resigned);
    assert_eq!(
        outcome(&verify(
            &verifier(),
            body.as_bytes(),
            &transport,
            &device(Policy::default())
        )),
        "bad-credential"
    );
    let tls = TransportMeta::new().with_peer_authenticated(true);
    let transport_pin = Policy::default().with_carrier(Carrier::Transport, true);
    assert_eq!(
        outcome(&verify(
            &verifier(),
            body.as_bytes(),
            &tls,
            &device(transport_pin)
        )),
        "bad-credential"
    );
}

#[test]
fn every_single_bit_flip_of_the_vectors_is_ignored() {
    let v = verifier();
    let secret = device(Policy::default());
    for (name, header) in [
        ("in-message.xml", None),
        ("header-carrier.xml", Some(HEADER)),
    ] {
        let body = vector(name);
        let mut transport = TransportMeta::new();
        if let Some(h) = header {
            transport = transport.with_hmac_header(h);
        }
        assert!(verify(&v, &body, &transport, &secret).is_accepted());
        let mut flipped = body.clone();
        for bit in 0..body.len() * 8 {
            flipped[bit / 8] ^= 1 << (bit % 8);
            let verdict = verify(&v, &flipped, &transport, &secret);
            assert!(
                !verdict.is_accepted(),
                "{name}: bit {bit} flipped was accepted"
            );
            flipped[bit / 8] ^= 1 << (bit % 8);
        }
    }
}

#[test]
fn accepted_reports_borrow_the_body() {
    // Reports are moved out of the decoded message, not copied: texts that needed no unescaping
    // point into the body.
    let body = vector("in-message.xml");
    let verdict = verify(
        &verifier(),
        &body,
        &TransportMeta::new(),
        &device(Policy::default()),
    );
    let Verdict::Accepted(accepted) = &verdict else {
        panic!("expected accepted, got {verdict:?}");
    };
    let inside = |s: &str| body.as_ptr_range().contains(&s.as_ptr());
    let first = &accepted.reports[0].report;
    assert!(inside(first.data()));
    assert!(inside(first.alert_type()));
    assert!(inside(first.source_uri().unwrap()));
    assert!(inside(accepted.reports[1].report.alert_type()));
}
