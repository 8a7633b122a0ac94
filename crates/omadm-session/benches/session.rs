//! Criterion benchmark of a full two-package DM session (client package 1 -> server package 2
//! with 3 Gets -> client package 3 -> server package 4), both engines in one process, beside the
//! codec floor over the very messages exchanged, measured in the same run: decode + encode of
//! every message plus the MAC (HMAC-SHA256 digest construction) of every client message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#![allow(dead_code, unreachable_pub)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use omadm_dmsec::{Algorithm, Construction, MacKey, StoredSecret};
use omadm_session::{AuthPin, ClientSession, MemoryTree, NodeValue, Nonce, Secret, ServerSession};
use omadm_xml::Limits;

/// The integration tests' device, store and channel.
#[path = "../tests/it/support.rs"]
mod support;

use support::{Counter, PASSWORD, Store, USER, client_config, deliver, get, nonce, server};

const GETS: [&str; 3] = ["./DevDetail/SwV", "./DevDetail/FwV", "./DevDetail/HwV"];

fn engines(pin: AuthPin) -> (ServerSession, ClientSession<MemoryTree>) {
    let mut server = server();
    for uri in GETS {
        server.queue(get(uri)).unwrap();
    }
    let mut tree = MemoryTree::new();
    for (uri, v) in GETS.iter().zip(["1.0.7", "fw-22", "rev-b"]) {
        tree.set(uri, NodeValue::chr(v));
    }
    (
        server,
        ClientSession::new(client_config(pin, nonce(1)), tree).unwrap(),
    )
}

/// Runs one session to its end, handing every message exchanged to `keep` (with whether it is
/// the client's); returns the nonce the client persists.
fn session(
    store: &Store,
    (mut server, mut client): (ServerSession, ClientSession<MemoryTree>),
    mut keep: impl FnMut(&[u8], bool),
) -> Option<Nonce> {
    let mut nonces = Counter::default();
    while let Some(t) = client.poll_transmit() {
        keep(&t.body, true);
        deliver(&mut server, store, &t.body, t.hmac.as_deref(), &mut nonces).unwrap();
        while server.poll_event().is_some() {}
        while let Some(reply) = server.poll_transmit() {
            keep(&reply.body, false);
            client.handle_message(&reply.body).unwrap();
        }
    }
    client.next_nonce().copied()
}

fn bench(c: &mut Criterion) {
    for (name, pin) in [("md5", AuthPin::Md5), ("hmac-sha256", AuthPin::HMAC_SHA256)] {
        let store = Store::new(pin, nonce(1));
        let mut messages: Vec<(Vec<u8>, bool)> = Vec::new();
        let issued = session(&store, engines(pin), |b, from_client| {
            messages.push((b.to_vec(), from_client));
        });
        assert!(issued.is_some());
        assert_eq!(messages.len(), 4, "Pkg1, Pkg2, Pkg3, Pkg4");
        let bytes: usize = messages.iter().map(|(m, _)| m.len()).sum();
        let key = MacKey::new(
            Algorithm::Sha256,
            Construction::Digest,
            USER,
            &StoredSecret::Password(Secret::from(PASSWORD)),
        )
        .unwrap();

        let mut group = c.benchmark_group(format!("session/{name}"));
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("floor: decode+encode+mac of the 4 messages", |b| {
            let mut out = Vec::with_capacity(4096);
            b.iter(|| {
                for (m, from_client) in &messages {
                    let msg = omadm_xml::decode(black_box(m), &Limits::DEFAULT).unwrap();
                    out.clear();
                    omadm_xml::encode(&msg, &mut out);
                    if *from_client {
                        black_box(key.mac(&nonce(1), m));
                    }
                    black_box(&out);
                }
            });
        });
        group.bench_function("both engines: Pkg1..Pkg4", |b| {
            b.iter_batched(
                || engines(pin),
                |e| black_box(session(&store, e, |_, _| {})),
                BatchSize::SmallInput,
            );
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
