//! The laws, as properties: a lossless exchange always ends authenticated with a nonce the next
//! sessionless report verifies with; no bit flip of a client message authenticates; replaying a
//! whole earlier session never yields a second accepted package 1.

use omadm_session::{
    Algorithm, AuthPin, ClientSession, Construction, EndReason, NodeValue, ServerConfig,
    ServerEvent, ServerSession,
};
use proptest::prelude::*;

use crate::handoff::{report_signed_with, verdict};
use crate::support::*;

fn arb_pin() -> impl Strategy<Value = AuthPin> {
    prop_oneof![
        Just(AuthPin::Md5),
        (
            prop_oneof![Just(Algorithm::Md5), Just(Algorithm::Sha256)],
            prop_oneof![Just(Construction::Digest), Just(Construction::Rfc2104)]
        )
            .prop_map(|(algorithm, construction)| AuthPin::Hmac {
                algorithm,
                construction
            }),
    ]
}

fn arb_hmac_pin() -> impl Strategy<Value = AuthPin> {
    (
        prop_oneof![Just(Algorithm::Md5), Just(Algorithm::Sha256)],
        prop_oneof![Just(Construction::Digest), Just(Construction::Rfc2104)],
    )
        .prop_map(|(algorithm, construction)| AuthPin::Hmac {
            algorithm,
            construction,
        })
}

/// A session setup: the pin, whether the client's nonce is stale, how many Gets the server
/// queues, and both MaxMsgSizes.
#[derive(Clone, Debug)]
struct Setup {
    pin: AuthPin,
    stale: bool,
    gets: usize,
    client_max: usize,
    server_max: usize,
}

fn arb_setup() -> impl Strategy<Value = Setup> {
    (
        arb_pin(),
        any::<bool>(),
        0usize..8,
        1024usize..4096,
        1600usize..4096,
    )
        .prop_map(|(pin, stale, gets, client_max, server_max)| Setup {
            pin,
            stale,
            gets,
            client_max,
            server_max,
        })
}

fn engines(
    setup: &Setup,
) -> (
    Store,
    ServerSession,
    ClientSession<omadm_session::MemoryTree>,
) {
    let store = Store::new(setup.pin, nonce(1));
    let mut cfg = ServerConfig::new(SERVER);
    cfg.max_msg_size = setup.server_max;
    let mut server = ServerSession::new(cfg);
    let mut t = tree();
    for i in 0..setup.gets {
        let uri = format!("./Vendor/Stats/Counter{i}");
        t.set(&uri, NodeValue::leaf("int", format!("{}", i * 1000)));
        server.queue(get(&uri)).unwrap();
    }
    let mut cc = client_config(setup.pin, if setup.stale { nonce(2) } else { nonce(1) });
    cc.max_msg_size = setup.client_max;
    cc.server_max_msg_size = setup.server_max;
    let client = ClientSession::new(cc, t).unwrap();
    (store, server, client)
}

proptest! {
    #[test]
    fn lossless_exchange_ends_authenticated_with_a_verifying_nonce(setup in arb_setup()) {
        let (mut store, mut server, mut client) = engines(&setup);
        let log = run(&mut server, &mut client, &store, &mut Counter::default());
        prop_assert!(log.errors.is_empty(), "{:?}", log.errors);
        let end = log.server_end().cloned().unwrap();
        prop_assert_eq!(end.reason, EndReason::Completed);
        prop_assert!(end.authenticated);
        let issued = end.next_nonce.unwrap();
        prop_assert_eq!(client.next_nonce(), Some(&issued));
        prop_assert_eq!(log.client_end().unwrap().reason, EndReason::Completed);
        let results = log.server_events.iter().filter(|e| matches!(e, ServerEvent::Results { .. })).count();
        prop_assert_eq!(results, setup.gets);
        for m in &log.server_msgs {
            prop_assert!(m.len() <= setup.client_max);
        }
        for m in &log.client_msgs {
            prop_assert!(m.body.len() <= setup.server_max);
        }
        store.nonce = issued;
        let report = report_signed_with(issued);
        prop_assert!(verdict(&report, store.nonce).is_accepted());
    }

    #[test]
    fn no_bit_flip_of_a_mac_protected_message_authenticates(
        pin in arb_hmac_pin(),
        later in any::<bool>(),
        at_bit in any::<prop::sample::Index>(),
    ) {
        let store = Store::new(pin, nonce(1));
        let mut server = server();
        server.queue(get("./DevDetail/SwV")).unwrap();
        let mut client = client(pin, nonce(1));
        let mut nonces = Counter::default();
        let mut msg = client.poll_transmit().unwrap();
        if later {
            deliver(&mut server, &store, &msg.body, msg.hmac.as_deref(), &mut nonces).unwrap();
            while server.poll_event().is_some() {}
            client.handle_message(&server.poll_transmit().unwrap().body).unwrap();
            msg = client.poll_transmit().unwrap();
        }
        // The bit flipped lies in the body or in the MAC of the x-syncml-hmac value (the
        // parameter names and the algorithm token are case-insensitive by DM 1.2's rule: a
        // case variant there is the same header, not a different message).
        let mut body = msg.body.clone();
        let mut header = msg.hmac.clone().unwrap().into_bytes();
        let mac_at = String::from_utf8_lossy(&header).find("mac=").unwrap() + "mac=".len();
        let mac_len = header.len() - mac_at;
        let bits = (body.len() + mac_len) * 8;
        let bit = at_bit.index(bits);
        if bit / 8 < body.len() {
            body[bit / 8] ^= 1 << (bit % 8);
        } else {
            header[mac_at + bit / 8 - body.len()] ^= 1 << (bit % 8);
        }
        let header = String::from_utf8(header).ok();
        let _ = deliver(&mut server, &store, &body, header.as_deref(), &mut nonces);
        let events: Vec<_> = std::iter::from_fn(|| server.poll_event()).collect();
        prop_assert!(!events.iter().any(|e| matches!(
            e,
            ServerEvent::Authenticated { .. } | ServerEvent::Results { .. } | ServerEvent::DevInfo(_)
        )), "{:?}", events);
    }

    #[test]
    fn no_bit_flip_of_an_md5_credential_authenticates(at_bit in any::<prop::sample::Index>()) {
        let store = Store::new(AuthPin::Md5, nonce(1));
        let mut client = client(AuthPin::Md5, nonce(1));
        let mut body = client.poll_transmit().unwrap().body;
        // The bytes auth-md5 covers: Source/LocName and Cred/Data.
        let text = String::from_utf8(body.clone()).unwrap();
        let name = text.find("<LocName>").unwrap() + "<LocName>".len();
        let cred = text.find("<Cred>").unwrap();
        let data = cred + text[cred..].find("<Data>").unwrap() + "<Data>".len();
        let data_end = cred + text[cred..].find("</Data>").unwrap();
        let spans = [name..name + USER.len(), data..data_end];
        let bits: usize = spans.iter().map(|s| s.len() * 8).sum();
        let mut bit = at_bit.index(bits);
        for span in spans {
            if bit < span.len() * 8 {
                body[span.start + bit / 8] ^= 1 << (bit % 8);
                break;
            }
            bit -= span.len() * 8;
        }
        let mut server = server();
        let _ = deliver(&mut server, &store, &body, None, &mut Counter::default());
        let authenticated = std::iter::from_fn(|| server.poll_event())
            .any(|e| matches!(e, ServerEvent::Authenticated { .. }));
        prop_assert!(!authenticated);
    }

    #[test]
    fn replaying_a_whole_session_never_authenticates_again(setup in arb_setup()) {
        let (mut store, mut server, mut client) = engines(&setup);
        let log = run(&mut server, &mut client, &store, &mut Counter::default());
        prop_assert!(log.server_authenticated(), "{:?}", log);
        // The caller persisted the session's closing nonce.
        store.nonce = log.server_end().unwrap().next_nonce.unwrap();
        let mut replay = ServerSession::new(ServerConfig::new(SERVER));
        replay.queue(get("./DevDetail/SwV")).unwrap();
        let mut nonces = Counter(1_000_000);
        let mut events = Vec::new();
        for m in &log.client_msgs {
            let _ = deliver(&mut replay, &store, &m.body, m.hmac.as_deref(), &mut nonces);
            while replay.poll_transmit().is_some() {}
            events.extend(std::iter::from_fn(|| replay.poll_event()));
        }
        prop_assert!(!events.iter().any(|e| matches!(
            e,
            ServerEvent::Authenticated { .. } | ServerEvent::DevInfo(_) | ServerEvent::Results { .. }
        )), "{:?}", events);
    }
}

/// Found by the replay law: statuses spilled into the next message hid the session's end from
/// the nonce logic, and a completed md5 session issued no NextNonce.
#[test]
fn regression_spilled_statuses_still_issue_the_closing_nonce() {
    let setup = Setup {
        pin: AuthPin::Md5,
        stale: false,
        gets: 7,
        client_max: 1456,
        server_max: 2589,
    };
    let (store, mut server, mut client) = engines(&setup);
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    assert_eq!(log.server_end().unwrap().reason, EndReason::Completed);
    assert!(log.server_end().unwrap().next_nonce.is_some());
}

/// Found by the lossless law: a package-1 `Replace` that could never fit the server's 1200-byte
/// MaxMsgSize beside the Status every later message carries was pushed back forever, each
/// message carrying only a Status (until the message limit). It now ends the session at once.
#[test]
fn regression_command_that_never_fits_ends_the_session() {
    let setup = Setup {
        pin: AuthPin::Md5,
        stale: false,
        gets: 0,
        client_max: 1024,
        server_max: 1200,
    };
    let (store, mut server, mut client) = engines(&setup);
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    assert!(log.client_msgs.len() <= 2, "{}", log.client_msgs.len());
    assert_eq!(log.client_end().unwrap().reason, EndReason::TooLarge);
}

/// Found by the lossless law (3000 cases): both sides had a package split over messages at once;
/// the client's leftover Results were overwritten by its next reply's leftovers and one `Get`
/// never got its Results. Leftovers now go first, before the rest of the package.
#[test]
fn regression_interleaved_split_packages_lose_nothing() {
    let setup = Setup {
        pin: AuthPin::Hmac {
            algorithm: Algorithm::Md5,
            construction: Construction::Digest,
        },
        stale: false,
        gets: 6,
        client_max: 1343,
        server_max: 1600,
    };
    let (store, mut server, mut client) = engines(&setup);
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    let results = log
        .server_events
        .iter()
        .filter(|e| matches!(e, ServerEvent::Results { .. }))
        .count();
    assert_eq!(results, 6);
    assert_eq!(log.server_end().unwrap().reason, EndReason::Completed);
}
