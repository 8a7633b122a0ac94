//! Anti-replay through the verifier: once per (nonce, MsgID), out of order inside the window,
//! persisted between messages, a new window per nonce.

use omadm_dmsec::{MacKey, MacParams, Nonce, Username};
use omadm_verifier::{
    DeviceSecret, IgnoreReason, Policy, ReplayState, TransportMeta, Verdict, Verifier,
};

use crate::{
    DEVICE, USER, at, device, outcome, report_alert, sign, stored, template, vector, verify_with,
};

fn verifier() -> Verifier {
    Verifier::new(16 * 1024)
}

/// Verifies and persists the state through its byte form, as the server does.
fn round(body: &[u8], secret: &DeviceSecret, stored_state: &mut Vec<u8>) -> &'static str {
    let mut state = ReplayState::from_bytes(stored_state).unwrap();
    let before = state.clone();
    let verdict = verify_with(&verifier(), body, &TransportMeta::new(), secret, &mut state);
    if !verdict.is_accepted() {
        assert_eq!(state, before, "an ignored message must not move the window");
    }
    *stored_state = state.to_bytes();
    outcome(&verdict)
}

#[test]
fn replaying_the_vector_is_ignored() {
    let body = vector("in-message.xml");
    let secret = device(Policy::default());
    let mut state = ReplayState::new().to_bytes();
    assert_eq!(round(&body, &secret, &mut state), "accepted");
    assert_eq!(round(&body, &secret, &mut state), "replayed");
    assert_eq!(round(&body, &secret, &mut state), "replayed");
}

#[test]
fn out_of_order_inside_the_window_once_each() {
    let secret = device(Policy::default());
    let mut state = ReplayState::new().to_bytes();
    let msg = |id: u32| sign(&template(id, &report_alert(1, "1")));
    for (id, expect) in [
        (100, "accepted"),
        (37, "accepted"), // 63 below the highest: the window's last slot
        (36, "replayed"), // 64 below: older than the window
        (99, "accepted"),
        (50, "accepted"),
        (100, "replayed"),
        (99, "replayed"),
        (37, "replayed"),
        (101, "accepted"),
        (38, "accepted"), // 63 below 101
        (37, "replayed"),
        (200, "accepted"),
        (137, "accepted"),
        (136, "replayed"),
        (150, "accepted"),
        (150, "replayed"),
    ] {
        assert_eq!(round(&msg(id), &secret, &mut state), expect, "MsgID {id}");
    }
}

#[test]
fn a_new_nonce_opens_a_new_window() {
    let old = device(Policy::default());
    let mut state = ReplayState::new().to_bytes();
    let first = sign(&template(500, &report_alert(1, "1")));
    assert_eq!(round(&first, &old, &mut state), "accepted");

    // A DM session gave the device a new nonce; its MsgID counter may start anywhere.
    let fresh = Nonce::new(&[7u8; 16]).unwrap();
    let new = DeviceSecret::new(
        Username::new(USER).unwrap(),
        DEVICE,
        &stored(),
        fresh,
        Policy::default(),
    )
    .unwrap();
    let t = template(1, &report_alert(1, "1"));
    let (before, after) = t.split_once("@CRED@").unwrap();
    let key = MacKey::new(
        new.policy().algorithm(),
        new.policy().construction(),
        USER,
        &stored(),
    )
    .unwrap();
    let mac = key.mac_parts(&fresh, &[before.as_bytes(), after.as_bytes()]);
    let params = MacParams::new(Username::new(USER).unwrap(), mac).to_string();
    let body = format!("{before}{params}{after}");
    assert_eq!(round(body.as_bytes(), &new, &mut state), "accepted");
    assert_eq!(round(body.as_bytes(), &new, &mut state), "replayed");
    // Messages signed with the old nonce no longer authenticate.
    let stale = sign(&template(501, &report_alert(1, "1")));
    assert_eq!(round(&stale, &new, &mut state), "bad-mac");
    let state = ReplayState::from_bytes(&state).unwrap();
    assert_eq!(state.len(), 2);
    assert_eq!(state.highest(&fresh).map(|m| m.get()), Some(1));
}

#[test]
fn the_replay_check_can_run_apart() {
    // The server's shape: authenticate on any thread, check replay in the storage transaction.
    let body = vector("in-message.xml");
    let secret = device(Policy::default());
    let authenticated = verifier()
        .start(&body, &TransportMeta::new())
        .unwrap()
        .authenticate(&secret)
        .unwrap();
    assert_eq!(authenticated.reports().len(), 2);
    assert_eq!(authenticated.username(), USER);
    assert_eq!(authenticated.device(), DEVICE);
    let claim = authenticated.replay_claim();
    assert_eq!(claim.msg_id().get(), 7);

    let mut state = ReplayState::new();
    state.record(&claim, at(10)).unwrap();
    assert_eq!(
        state.record(&claim, at(11)).unwrap_err().reason(),
        &IgnoreReason::Replayed
    );
    assert_eq!(state.last_accepted(), Some(at(10)));
    // `record` on the value itself agrees.
    let verdict = authenticated.record(&mut state, at(12));
    assert!(matches!(verdict, Verdict::Ignored(_)));
}

#[test]
fn the_server_can_move_every_step_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Verifier>();
    send_sync::<DeviceSecret>();
    send_sync::<ReplayState>();
    send_sync::<omadm_verifier::Pending<'static>>();
    send_sync::<omadm_verifier::Authenticated<'static>>();
    send_sync::<omadm_verifier::ReplayClaim>();
    send_sync::<Verdict<'static>>();
    send_sync::<omadm_verifier::Ignored>();
}
