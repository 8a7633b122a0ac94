//! Fuzzes omadm-verifier end to end (`start`, `finish`, `lint`) on arbitrary bytes and header
//! strings: never panics, `lint` agrees with `start` (`agree::lint_agrees_with_start`), and never
//! accepts a message without a valid MAC (checked again here, independently, with omadm-dmsec
//! over the span omadm-xml locates).
//!
//! Input layout: byte 0 = flags (bit 0: an `x-syncml-hmac` header follows; bit 1: the transport
//! authenticated the peer; bit 2: the device allows the transport carrier), byte 1 = header
//! length `n` (when bit 0 is set), then `n` header bytes (read as lossy UTF-8), then the body.
#![no_main]

use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use omadm_dmsec::{
    Algorithm, Construction, MacKey, MacParams, Nonce, Secret, StoredSecret, Username, verify_md5,
};
use omadm_syncml::sessionless;
use omadm_verifier::{
    Carrier, DeviceSecret, Policy, ReplayState, TransportMeta, Verdict, Verifier,
};
use omadm_xml::Limits;

/// The relation between `lint` and `start` (one definition, shared with the verifier's tests).
#[path = "../../crates/omadm-verifier/tests/common/agree.rs"]
mod agree;

const USER: &str = "alice";
const PASSWORD: &str = "correct-horse-battery-staple";
const DEVICE: &str = "IMEI:356938035643809";
const NONCE: &str = "jzocDlt9kqTG4fCz1aeeIQ==";

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (header, body) = if flags & 1 != 0 {
        let Some((&n, rest)) = rest.split_first() else {
            return;
        };
        let n = usize::from(n).min(rest.len());
        let (h, b) = rest.split_at(n);
        (Some(String::from_utf8_lossy(h).into_owned()), b)
    } else {
        (None, rest)
    };
    let mut transport = TransportMeta::new().with_peer_authenticated(flags & 2 != 0);
    if let Some(h) = &header {
        transport = transport.with_hmac_header(h);
    }
    let policy = Policy::default().with_carrier(Carrier::Transport, flags & 4 != 0);
    let stored = StoredSecret::Password(Secret::from(PASSWORD));
    let nonce = Nonce::from_base64(NONCE).expect("valid nonce");
    let secret = DeviceSecret::new(
        Username::new(USER).expect("valid"),
        DEVICE,
        &stored,
        nonce,
        policy,
    )
    .expect("password serves every policy");

    let verifier = Verifier::new(64 * 1024);
    let findings = verifier.lint(body, &transport);
    let started = verifier.start(body, &transport);
    agree::lint_agrees_with_start(&findings, started.as_ref().err().map(|e| e.reason()));
    let Ok(pending) = started else {
        return;
    };
    let _ = (
        pending.username(),
        pending.device_id(),
        pending.algorithm(),
        pending.msg_id(),
    );
    let mut replay = ReplayState::new();
    let verdict = pending.finish(&secret, &mut replay, SystemTime::UNIX_EPOCH);
    let Verdict::Accepted(accepted) = verdict else {
        assert!(
            replay.is_empty(),
            "an ignored message moved the replay window"
        );
        return;
    };

    // Accepted: prove the origin again, independently of the verifier.
    let decoded = omadm_xml::decode_located(body, &Limits::DEFAULT.with_max_size(64 * 1024))
        .expect("an accepted message decodes");
    let msg = &decoded.message;
    let cred = msg
        .hdr
        .cred
        .as_ref()
        .expect("an accepted message has a Cred");
    let key = MacKey::new(Algorithm::Sha256, Construction::Digest, USER, &stored).expect("key");
    match accepted.carrier {
        Carrier::InMessage => {
            let params = MacParams::parse(&cred.data).expect("parameter list");
            let span = decoded.cred_data.clone().expect("span");
            key.verify_excluding(&nonce, body, span, params.mac())
                .expect("accepted without a valid in-message MAC");
        }
        Carrier::Header => {
            let params = MacParams::parse(header.as_deref().expect("header")).expect("params");
            key.verify(&nonce, body, params.mac())
                .expect("accepted without a valid header MAC");
            verify_md5(USER, &stored, &nonce, &cred.data).expect("auth-md5 Cred");
        }
        Carrier::Transport => {
            assert!(
                flags & 6 == 6,
                "transport carrier without an authenticated, allowed transport"
            );
            verify_md5(USER, &stored, &nonce, &cred.data).expect("auth-md5 Cred");
        }
    }
    assert_eq!(msg.hdr.source.loc_uri, DEVICE);
    assert_eq!(msg.hdr.source.loc_name.as_deref(), Some(USER));
    // Exactly the reports the message holds, in order.
    let expected = sessionless::reports(msg).expect("an accepted message conforms");
    assert_eq!(accepted.reports.len(), expected.len());
    for (got, want) in accepted.reports.iter().zip(&expected) {
        assert_eq!(&got.report, want);
    }
    // The replay state took the message, round-trips, and refuses it now.
    let state = ReplayState::from_bytes(&replay.to_bytes()).expect("state round-trips");
    assert_eq!(state, replay);
    assert!(!state.is_fresh(&nonce, msg.hdr.msg_id));
});
