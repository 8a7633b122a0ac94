//! Criterion benchmarks of verification (size check, header scan, MAC, full decode, profile,
//! replay) on 1-, 10- and 100-report messages from omadm-emitter, beside two floors over the same
//! bytes in the same run: SHA-256 of the body, and SHA-256 plus a bare quick-xml `Reader` event
//! pass. The same reports emitted as WBXML right after, in the same run (group `.../wbxml`):
//! SHA-256 of the WBXML body, its decode and its whole verification, to set beside the XML
//! verification's time. Also: rejecting an oversize body.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use omadm_dmsec::{Nonce, Secret, StoredSecret, Username};
use omadm_emitter::{Account, Emitter, SessionlessReport};
use omadm_syncml::{Encoding, Format, Mark};
use omadm_verifier::{DeviceSecret, Policy, ReplayState, TransportMeta, Verifier};
use quick_xml::Reader;
use quick_xml::events::Event;
use sha2::{Digest, Sha256};

const NONCE: &str = "jzocDlt9kqTG4fCz1aeeIQ==";
const MAX: usize = 128 * 1024;

/// One signed message (in-message carrier, HMAC-SHA256) holding `n` reports of ~450 bytes.
fn message(n: usize, data_len: usize, encoding: Encoding) -> Vec<u8> {
    let mut account = Account::new(
        "https://dm.example.net/sessionless",
        "IMEI:356938035643809",
        Username::new("alice").unwrap(),
        Secret::from("correct-horse-battery-staple"),
        Nonce::from_base64(NONCE).unwrap(),
        MAX,
    );
    account.encoding = encoding;
    let mut emitter = Emitter::new(account).unwrap().with_self_check(false);
    let data: String = "level=42; temp=81C; zone=<cpu> & fan=on; "
        .chars()
        .cycle()
        .take(data_len)
        .collect();
    let reports: Vec<SessionlessReport<'_>> = (0..n)
        .map(|_| {
            SessionlessReport::new(
                Some("./Ext/Battery".into()),
                "urn:oma:mo:battery:1.0",
                Format::Chr,
                Some(Mark::Warning),
                data.as_str(),
            )
            .unwrap()
        })
        .collect();
    let mut emission = emitter.emit(&reports).unwrap();
    assert_eq!(emission.messages.len(), 1);
    emission.messages.remove(0).body
}

fn secret() -> DeviceSecret {
    DeviceSecret::new(
        Username::new("alice").unwrap(),
        "IMEI:356938035643809",
        &StoredSecret::Password(Secret::from("correct-horse-battery-staple")),
        Nonce::from_base64(NONCE).unwrap(),
        Policy::default(),
    )
    .unwrap()
}

/// The floor: every event of the message, nothing else.
fn quick_xml_events(bytes: &[u8]) -> usize {
    let mut reader = Reader::from_reader(bytes);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => return n,
            Ok(_) => n += 1,
        }
    }
}

fn verify(c: &mut Criterion) {
    let verifier = Verifier::new(MAX);
    let secret = secret();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let transport = TransportMeta::new();
    // 1 report: a ~1.2 KB message; 10 and 100 reports: ~6 KB and ~60 KB.
    for (n, data_len) in [(1usize, 380usize), (10, 380), (100, 380)] {
        let body = message(n, data_len, Encoding::Xml);
        let mut group = c.benchmark_group(format!("verify/{n}-report ({} B)", body.len()));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("floor: sha256", |b| {
            b.iter(|| Sha256::digest(black_box(&body)))
        });
        group.bench_function("floor: sha256 + quick-xml events", |b| {
            b.iter(|| {
                (
                    Sha256::digest(black_box(&body)),
                    quick_xml_events(black_box(&body)),
                )
            })
        });
        group.bench_function("start", |b| {
            b.iter(|| verifier.start(black_box(&body), &transport).unwrap())
        });
        group.bench_function("decode_header", |b| {
            b.iter(|| omadm_xml::decode_header(black_box(&body), verifier.limits()).unwrap())
        });
        group.bench_function("decode", |b| {
            b.iter(|| omadm_xml::decode(black_box(&body), verifier.limits()).unwrap())
        });
        group.bench_function("start + finish", |b| {
            b.iter(|| {
                let mut replay = ReplayState::new();
                let verdict = verifier
                    .start(black_box(&body), &transport)
                    .unwrap()
                    .finish(&secret, &mut replay, now);
                assert!(verdict.is_accepted());
                verdict
            })
        });
        group.finish();

        // The same reports in WBXML, in the same run.
        let wbxml = message(n, data_len, Encoding::Wbxml);
        let mut group = c.benchmark_group(format!("verify/{n}-report/wbxml ({} B)", wbxml.len()));
        group.throughput(Throughput::Bytes(wbxml.len() as u64));
        group.bench_function("floor: sha256", |b| {
            b.iter(|| Sha256::digest(black_box(&wbxml)))
        });
        let wbxml_limits = omadm_wbxml::Limits::default().with_max_size(MAX);
        group.bench_function("decode", |b| {
            b.iter(|| omadm_wbxml::decode(black_box(&wbxml), &wbxml_limits).unwrap())
        });
        group.bench_function("start", |b| {
            b.iter(|| verifier.start(black_box(&wbxml), &transport).unwrap())
        });
        group.bench_function("start + finish", |b| {
            b.iter(|| {
                let mut replay = ReplayState::new();
                let verdict = verifier
                    .start(black_box(&wbxml), &transport)
                    .unwrap()
                    .finish(&secret, &mut replay, now);
                assert!(verdict.is_accepted());
                verdict
            })
        });
        group.finish();
    }

    let mut group = c.benchmark_group("verify/oversize");
    let limit = Verifier::new(16 * 1024);
    for len in [16 * 1024 + 1, 10 * 1024 * 1024] {
        let body = vec![b'<'; len];
        group.bench_function(format!("reject {len} B"), |b| {
            b.iter(|| limit.start(black_box(&body), &transport).unwrap_err())
        });
    }
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
