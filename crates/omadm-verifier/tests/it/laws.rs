//! The laws against omadm-emitter, for XML and WBXML messages alike: everything it emits is
//! accepted with exactly its reports; no single bit flip or header change of a MAC-protected
//! message is ever accepted; a replay is `Replayed`; MsgIDs out of order inside the window are
//! accepted once each.

use std::borrow::Cow;

use omadm_dmsec::{Algorithm, Construction, Nonce, Secret, StoredSecret, Username};
use omadm_emitter::{Account, Emitter, HMAC_HEADER, MsgId, Outgoing};
use omadm_syncml::sessionless::SessionlessReport;
use omadm_syncml::{Encoding, SessionId, SyncMl};
use omadm_testkit::strategies::arb_reports;
use omadm_verifier::{
    Carrier, DeviceSecret, Policy, ReceivedReport, ReplayState, TransportMeta, Verdict, Verifier,
};
use omadm_xml::Limits;
use proptest::prelude::*;
use proptest::sample::Index;

use crate::{DEVICE, NONCE_B64, PASSWORD, SERVER, USER, at, outcome};

/// How an account signs: its carrier, hash and construction.
type Mode = (Carrier, Algorithm, Construction);

fn config() -> ProptestConfig {
    // 256 cases locally unless PROPTEST_CASES says otherwise (CI sets 64).
    ProptestConfig::default()
}

fn arb_algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![3 => Just(Algorithm::Sha256), 1 => Just(Algorithm::Md5)]
}

fn arb_construction() -> impl Strategy<Value = Construction> {
    prop_oneof![3 => Just(Construction::Digest), 1 => Just(Construction::Rfc2104)]
}

fn arb_mac_integrity() -> impl Strategy<Value = Mode> {
    (any::<bool>(), arb_algorithm(), arb_construction()).prop_map(
        |(header, algorithm, construction)| {
            if header {
                (Carrier::Header, algorithm, construction)
            } else {
                (Carrier::InMessage, algorithm, construction)
            }
        },
    )
}

fn arb_integrity() -> impl Strategy<Value = Mode> {
    prop_oneof![6 => arb_mac_integrity(), 1 => Just((Carrier::Transport, Algorithm::Sha256, Construction::Digest))]
}

/// The server-side view of the account an emitter signs for.
#[derive(Clone, Debug)]
struct Setup {
    mode: Mode,
    max_msg_size: usize,
    encoding: Encoding,
}

impl Setup {
    fn emitter(&self, first: MsgId) -> Emitter {
        let mut account = Account::new(
            SERVER,
            DEVICE,
            Username::new(USER).unwrap(),
            Secret::from(PASSWORD),
            Nonce::from_base64(NONCE_B64).unwrap(),
            self.max_msg_size,
        );
        (account.carrier, account.algorithm, account.construction) = self.mode;
        account.next_msg_id = first;
        account.encoding = self.encoding;
        Emitter::new(account).unwrap()
    }

    fn policy(&self) -> Policy {
        match self.mode {
            (Carrier::InMessage, algorithm, construction)
            | (Carrier::Header, algorithm, construction) => Policy::default()
                .with_algorithm(algorithm)
                .with_construction(construction),
            _ => Policy::default().with_carrier(Carrier::Transport, true),
        }
    }

    fn secret(&self) -> DeviceSecret {
        DeviceSecret::new(
            Username::new(USER).unwrap(),
            DEVICE,
            &StoredSecret::Password(Secret::from(PASSWORD)),
            Nonce::from_base64(NONCE_B64).unwrap(),
            self.policy(),
        )
        .unwrap()
    }

    fn verifier(&self) -> Verifier {
        Verifier::new(self.max_msg_size)
    }

    fn is_transport(&self) -> bool {
        self.mode.0 == Carrier::Transport
    }
}

fn arb_encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![Just(Encoding::Xml), Just(Encoding::Wbxml)]
}

fn arb_setup() -> impl Strategy<Value = Setup> {
    (arb_integrity(), 2048usize..=16 * 1024, arb_encoding()).prop_map(
        |(mode, max_msg_size, encoding)| Setup {
            mode,
            max_msg_size,
            encoding,
        },
    )
}

fn arb_mac_setup() -> impl Strategy<Value = Setup> {
    (arb_mac_integrity(), 2048usize..=16 * 1024, arb_encoding()).prop_map(
        |(mode, max_msg_size, encoding)| Setup {
            mode,
            max_msg_size,
            encoding,
        },
    )
}

/// Decodes a message of `setup`'s encoding.
fn decode_as<'a>(setup: &Setup, body: &'a [u8]) -> SyncMl<'a> {
    match setup.encoding {
        Encoding::Xml => omadm_xml::decode(body, &Limits::DEFAULT).unwrap(),
        Encoding::Wbxml => omadm_wbxml::decode(body, &omadm_wbxml::Limits::DEFAULT).unwrap(),
    }
}

/// Encodes a message in `setup`'s encoding.
fn encode_as(setup: &Setup, msg: &SyncMl<'_>) -> Vec<u8> {
    let mut body = Vec::new();
    match setup.encoding {
        Encoding::Xml => drop(omadm_xml::encode(msg, &mut body)),
        Encoding::Wbxml => drop(omadm_wbxml::encode(msg, &mut body)),
    }
    body
}

fn hmac_header(out: &Outgoing) -> Option<&str> {
    out.headers
        .iter()
        .find(|(name, _)| *name == HMAC_HEADER)
        .map(|(_, v)| v.as_str())
}

fn transport<'h>(setup: &Setup, out: &'h Outgoing) -> TransportMeta<'h> {
    assert_eq!(out.content_type, setup.encoding.media_type());
    let mut t = TransportMeta::new()
        .with_peer_authenticated(setup.is_transport())
        .with_content_type(out.content_type);
    if let Some(h) = hmac_header(out) {
        t = t.with_hmac_header(h);
    }
    t
}

fn check<'a>(
    setup: &Setup,
    body: &'a [u8],
    transport: &TransportMeta<'_>,
    replay: &mut ReplayState,
) -> Verdict<'a> {
    match setup.verifier().start(body, transport) {
        Ok(p) => p.finish(&setup.secret(), replay, at(1_700_000_000)),
        Err(i) => Verdict::Ignored(i),
    }
}

fn emit(setup: &Setup, reports: &[SessionlessReport<'static>], first: MsgId) -> Vec<Outgoing> {
    match setup.emitter(first).emit(reports) {
        Ok(emission) => emission.messages,
        // A generated report too large for the generated MaxMsgSize: nothing to check.
        Err(_) => Vec::new(),
    }
}

fn reports_of(verdict: Verdict<'_>) -> Vec<ReceivedReport<'static>> {
    match verdict {
        Verdict::Accepted(a) => a.into_owned().reports,
        Verdict::Ignored(i) => panic!("ignored: {i}"),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn emitted_messages_are_accepted_with_exactly_their_reports(
        setup in arb_setup(),
        reports in arb_reports(),
        first in 1u32..1_000_000,
    ) {
        let first = MsgId::new(first).unwrap();
        let messages = emit(&setup, &reports, first);
        let mut replay = ReplayState::new();
        let mut got = Vec::new();
        for (n, out) in messages.iter().enumerate() {
            prop_assert!(out.body.len() <= setup.max_msg_size);
            let verdict = check(&setup, &out.body, &transport(&setup, out), &mut replay);
            if let Verdict::Accepted(a) = &verdict {
                prop_assert_eq!(a.msg_id.get(), first.get() + u32::try_from(n).unwrap());
                prop_assert_eq!(&*a.username, USER);
                prop_assert_eq!(&*a.device, DEVICE);
            }
            let received = reports_of(verdict);
            prop_assert_eq!(received.len(), out.reports);
            for (i, r) in received.into_iter().enumerate() {
                prop_assert_eq!(r.cmd_id.get(), u32::try_from(i + 1).unwrap());
                got.push(r.report);
            }
        }
        if !messages.is_empty() {
            prop_assert_eq!(got, reports);
        }
    }

    #[test]
    fn no_single_bit_flip_is_accepted(
        setup in arb_mac_setup(),
        reports in arb_reports(),
        which in any::<Index>(),
        bit in any::<Index>(),
    ) {
        let messages = emit(&setup, &reports, MsgId::new(1).unwrap());
        prop_assume!(!messages.is_empty());
        let out = which.get(&messages);
        let mut body = out.body.clone();
        let at_bit = bit.index(body.len() * 8);
        body[at_bit / 8] ^= 1 << (at_bit % 8);
        let verdict = check(&setup, &body, &transport(&setup, out), &mut ReplayState::new());
        prop_assert!(!verdict.is_accepted(), "bit {} flipped: {:?}", at_bit, verdict);
    }

    #[test]
    fn a_flipped_header_value_never_changes_what_is_accepted(
        algorithm in arb_algorithm(),
        construction in arb_construction(),
        reports in arb_reports(),
        bit in any::<Index>(),
    ) {
        let setup = Setup {
            mode: (Carrier::Header, algorithm, construction),
            max_msg_size: 16 * 1024,
            encoding: Encoding::Xml,
        };
        let messages = emit(&setup, &reports, MsgId::new(1).unwrap());
        prop_assume!(!messages.is_empty());
        let out = &messages[0];
        let original = reports_of(check(&setup, &out.body, &transport(&setup, out), &mut ReplayState::new()));
        let mut value = hmac_header(out).unwrap().as_bytes().to_vec();
        let at_bit = bit.index(value.len() * 8);
        value[at_bit / 8] ^= 1 << (at_bit % 8);
        let value = String::from_utf8_lossy(&value);
        let t = TransportMeta::new().with_hmac_header(&value);
        // The DM 1.2 grammar is case-insensitive in names and tokens, so a flip may be harmless;
        // it may never change who spoke or what was said.
        if let Verdict::Accepted(a) = check(&setup, &out.body, &t, &mut ReplayState::new()) {
            prop_assert_eq!(a.into_owned().reports, original);
        }
    }

    #[test]
    fn no_header_change_is_accepted(
        setup in arb_mac_setup(),
        reports in arb_reports(),
        field in 0usize..10,
    ) {
        let messages = emit(&setup, &reports, MsgId::new(5).unwrap());
        prop_assume!(!messages.is_empty());
        let out = &messages[0];
        let mut msg: SyncMl<'_> = decode_as(&setup, &out.body);
        let hdr = &mut msg.hdr;
        match field {
            0 => hdr.msg_id = MsgId::new(6).unwrap(),
            1 => hdr.session_id = SessionId::new("1").unwrap(),
            2 => hdr.source.loc_uri = Cow::Borrowed("IMEI:000000000000000"),
            3 => hdr.source.loc_name = Some(Cow::Borrowed("mallory")),
            4 => hdr.target.loc_uri = Cow::Borrowed("https://evil.example/"),
            5 => hdr.ver_proto = Cow::Borrowed("DM/1.2"),
            6 => hdr.resp_uri = Some(Cow::Borrowed("https://evil.example/")),
            7 => hdr.no_resp = true,
            8 => hdr.meta = Some(omadm_syncml::Meta { max_msg_size: Some(1), ..Default::default() }),
            _ => hdr.target.loc_name = Some(Cow::Borrowed("x")),
        }
        let body = encode_as(&setup, &msg);
        prop_assert_ne!(&body, &out.body);
        let verdict = check(&setup, &body, &transport(&setup, out), &mut ReplayState::new());
        prop_assert!(!verdict.is_accepted(), "field {} changed: {:?}", field, verdict);
    }

    #[test]
    fn replaying_an_accepted_message_is_replayed(
        setup in arb_setup(),
        reports in arb_reports(),
    ) {
        let messages = emit(&setup, &reports, MsgId::new(1).unwrap());
        let mut replay = ReplayState::new();
        for out in &messages {
            let t = transport(&setup, out);
            prop_assert_eq!(outcome(&check(&setup, &out.body, &t, &mut replay)), "accepted");
            prop_assert_eq!(outcome(&check(&setup, &out.body, &t, &mut replay)), "replayed");
        }
        for out in &messages {
            let t = transport(&setup, out);
            prop_assert_eq!(outcome(&check(&setup, &out.body, &t, &mut replay)), "replayed");
        }
    }

    #[test]
    fn out_of_order_msg_ids_inside_the_window_are_accepted_once_each(
        setup in arb_setup(),
        order in Just((0..64usize).collect::<Vec<_>>()).prop_shuffle(),
        count in 1usize..=64,
        first in 1u32..1_000_000,
    ) {
        let mut emitter = setup.emitter(MsgId::new(first).unwrap());
        let report = SessionlessReport::new(None, "com.example.tick", omadm_syncml::Format::Chr, None, "t").unwrap();
        let messages: Vec<Outgoing> = (0..count)
            .map(|_| emitter.emit(std::slice::from_ref(&report)).unwrap().messages.remove(0))
            .collect();
        let order: Vec<usize> = order.into_iter().filter(|&i| i < count).collect();
        let mut replay = ReplayState::new();
        for &i in &order {
            let out = &messages[i];
            prop_assert_eq!(outcome(&check(&setup, &out.body, &transport(&setup, out), &mut replay)), "accepted");
            // Round-trip the persisted state between messages, as the server does.
            replay = ReplayState::from_bytes(&replay.to_bytes()).unwrap();
        }
        for &i in &order {
            let out = &messages[i];
            prop_assert_eq!(outcome(&check(&setup, &out.body, &transport(&setup, out), &mut replay)), "replayed");
        }
    }
}
