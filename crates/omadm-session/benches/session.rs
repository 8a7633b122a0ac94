//! Criterion benchmark of a full two-package DM session (client package 1 -> server package 2
//! with 3 Gets -> client package 3 -> server package 4), both engines in one process, beside the
//! codec floor over the very messages exchanged, measured in the same run: decode + encode of
//! every message plus the MAC (HMAC-SHA256 digest construction) of every client message.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use omadm_dmsec::{Algorithm, Construction, MacKey, StoredSecret};
use omadm_session::{
    AuthPin, ClientConfig, ClientSession, DeviceAuth, MemoryTree, NodeValue, Nonce, NonceSource,
    Progress, Secret, ServerConfig, ServerSession, Transport, Username,
};
use omadm_xml::Limits;

const SERVER: &str = "https://dm.example.net/dm";
const DEVICE: &str = "IMEI:493005100592800";
const USER: &str = "dev1";
const PASSWORD: &str = "correct horse";
const GETS: [&str; 3] = ["./DevDetail/SwV", "./DevDetail/FwV", "./DevDetail/HwV"];

struct Counter(u64);

impl NonceSource for Counter {
    fn fresh_nonce(&mut self) -> Nonce {
        self.0 += 1;
        let mut b = [0xA5u8; 16];
        b[..8].copy_from_slice(&self.0.to_be_bytes());
        Nonce::new(&b).unwrap()
    }
}

fn stored() -> Nonce {
    Nonce::new(&[1; 16]).unwrap()
}

fn get(uri: &str) -> omadm_syncml::Command<'static> {
    omadm_syncml::Command::Get(omadm_syncml::Get {
        cmd_id: omadm_syncml::CmdId::MIN,
        no_resp: false,
        lang: None,
        cred: None,
        meta: None,
        items: vec![omadm_syncml::Item {
            target: Some(omadm_syncml::Target {
                loc_uri: uri.to_owned().into(),
                loc_name: None,
            }),
            ..Default::default()
        }],
    })
}

fn engines(pin: AuthPin) -> (ServerSession, ClientSession<MemoryTree>) {
    let mut server = ServerSession::new(ServerConfig::new(SERVER));
    for uri in GETS {
        server.queue(get(uri)).unwrap();
    }
    let mut tree = MemoryTree::new();
    for (uri, v) in GETS.iter().zip(["1.0.7", "fw-22", "rev-b"]) {
        tree.set(uri, NodeValue::chr(v));
    }
    let config = ClientConfig::new(
        SERVER,
        DEVICE,
        Username::new(USER).unwrap(),
        Secret::from(PASSWORD),
        pin,
        stored(),
        "4711",
    );
    (server, ClientSession::new(config, tree).unwrap())
}

/// Runs one session to its end; returns every message exchanged (client's with their header).
fn session(
    pin: AuthPin,
    device: &DeviceAuth,
    (mut server, mut client): (ServerSession, ClientSession<MemoryTree>),
    mut keep: impl FnMut(&[u8], bool),
) -> Option<Nonce> {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let mut nonces = Counter(0);
    while let Some(t) = client.poll_transmit() {
        keep(&t.body, true);
        let transport = Transport::with_hmac(t.hmac.as_deref());
        if let Progress::NeedSecret(_) = server
            .handle_message(&t.body, &transport, now, &mut nonces)
            .unwrap()
        {
            server.supply_secret(Some(device), &mut nonces).unwrap();
        }
        while server.poll_event().is_some() {}
        while let Some(reply) = server.poll_transmit() {
            keep(&reply.body, false);
            client.handle_message(&reply.body).unwrap();
        }
    }
    let _ = pin;
    client.next_nonce().copied()
}

fn bench(c: &mut Criterion) {
    for (name, pin) in [("md5", AuthPin::Md5), ("hmac-sha256", AuthPin::HMAC_SHA256)] {
        let device = DeviceAuth::new(
            Username::new(USER).unwrap(),
            DEVICE,
            Secret::from(PASSWORD),
            pin,
            stored(),
        );
        let mut messages: Vec<(Vec<u8>, bool)> = Vec::new();
        let issued = session(pin, &device, engines(pin), |b, from_client| {
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
                        black_box(key.mac(&stored(), m));
                    }
                    black_box(&out);
                }
            });
        });
        group.bench_function("both engines: Pkg1..Pkg4", |b| {
            b.iter_batched(
                || engines(pin),
                |e| black_box(session(pin, &device, e, |_, _| {})),
                BatchSize::SmallInput,
            );
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
