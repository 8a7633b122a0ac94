//! The memory a live session holds, beyond the messages themselves: measured with the counting
//! allocator (heap bytes left allocated) plus the engine's own size.

use omadm_session::{AuthPin, ServerSession};
use omadm_testkit::alloc::net_bytes;

use crate::support::*;

/// The stated bound (issue 12): 4 KiB per live server session.
const BOUND: usize = 4096;

/// A server session between package 2 and package 3 (3 Gets in flight), every message and event
/// taken out.
fn live_server(pin: AuthPin) -> (usize, ServerSession) {
    let store = Store::new(pin, nonce(1));
    let mut client = client(pin, nonce(1));
    let pkg1 = client.poll_transmit().unwrap();
    let mut nonces = Counter::default();
    let (heap, server) = net_bytes(|| {
        let mut server = server();
        for uri in ["./DevDetail/SwV", "./DevDetail/FwV", "./DevDetail/HwV"] {
            server.queue(get(uri)).unwrap();
        }
        deliver(
            &mut server,
            &store,
            &pkg1.body,
            pkg1.hmac.as_deref(),
            &mut nonces,
        )
        .unwrap();
        let pkg2 = server.poll_transmit().unwrap();
        while server.poll_event().is_some() {}
        drop(pkg2);
        server
    });
    assert!(!server.is_ended() && server.is_authenticated());
    let heap = usize::try_from(heap).unwrap();
    (heap + size_of::<ServerSession>(), server)
}

#[test]
fn a_live_server_session_holds_at_most_4_kib() {
    for pin in [AuthPin::Md5, AuthPin::HMAC_SHA256] {
        let (bytes, _session) = live_server(pin);
        assert!(bytes <= BOUND, "{pin:?}: {bytes} bytes");
        eprintln!("live server session ({pin:?}): {bytes} bytes");
    }
}
