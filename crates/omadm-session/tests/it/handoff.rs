//! Session -> nonce -> emitter signs -> verifier accepts; a report signed with the old nonce is
//! ignored.

use std::borrow::Cow;

use omadm_emitter::{Account, Emitter, SessionlessReport as Report};
use omadm_session::{AuthPin, Nonce, Secret, StoredSecret, Username};
use omadm_syncml::Format;
use omadm_verifier::{
    DeviceSecret, IgnoreReason, Policy, ReplayState, TransportMeta, Verdict, Verifier,
};

use crate::support::*;

/// One signed sessionless report made with `nonce` (in-message HMAC-SHA256, the default).
pub fn report_signed_with(nonce: Nonce) -> Vec<u8> {
    let account = Account::new(
        SERVER,
        DEVICE,
        Username::new(USER).unwrap(),
        Secret::from(PASSWORD),
        nonce,
        8192,
    );
    let mut emitter = Emitter::new(account).unwrap();
    let report = Report::new(
        Some(Cow::Borrowed("./Vendor/Battery")),
        "urn:oma:mo:battery:1.0",
        Format::Int,
        None,
        "41",
    )
    .unwrap();
    emitter.emit(&[report]).unwrap().messages.remove(0).body
}

/// The verifier's verdict on `body` with the server holding `nonce` for the device.
pub fn verdict(body: &[u8], nonce: Nonce) -> Verdict<'_> {
    let secret = DeviceSecret::new(
        Username::new(USER).unwrap(),
        DEVICE,
        &StoredSecret::Password(Secret::from(PASSWORD)),
        nonce,
        Policy::default(),
    )
    .unwrap();
    match Verifier::new(8192).start(body, &TransportMeta::new()) {
        Ok(p) => p.finish(&secret, &mut ReplayState::new(), at(2_000)),
        Err(i) => Verdict::Ignored(i),
    }
}

#[test]
fn session_nonce_signs_the_next_sessionless_report() {
    for pin in [AuthPin::Md5, AuthPin::HMAC_SHA256] {
        let old = nonce(7);
        let mut store = Store::new(pin, old);
        let mut server = server();
        let mut client = client(pin, old);
        let log = run(&mut server, &mut client, &store, &mut Counter::default());
        let issued = log.server_end().unwrap().next_nonce.unwrap();
        // The caller persists it; the client does the same.
        store.nonce = issued;
        let persisted = *client.next_nonce().unwrap();
        assert_eq!(persisted, issued);

        let fresh = report_signed_with(persisted);
        assert!(verdict(&fresh, store.nonce).is_accepted());
        let stale = report_signed_with(old);
        assert_eq!(
            verdict(&stale, store.nonce).ignore_reason(),
            Some(&IgnoreReason::BadMac)
        );
    }
}
