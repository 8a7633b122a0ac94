//! Criterion benchmarks of the codec on 1-, 10- and 100-alert sessionless messages, with two
//! floors measured over the same bytes in the same run: SHA-256 of the message and a bare
//! quick-xml `Reader` event pass.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use omadm_xml::{Limits, decode, decode_header, encode};
use quick_xml::Reader;
use quick_xml::events::Event;
use sha2::{Digest, Sha256};

#[path = "../tests/fixtures/messages.rs"]
#[allow(dead_code, unreachable_pub)]
mod fixtures;

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

fn codec(c: &mut Criterion) {
    let limits = Limits::default();
    for alerts in [1u32, 10, 100] {
        let msg = fixtures::message(alerts);
        let bytes = fixtures::encoded(alerts);
        let mut group = c.benchmark_group(format!("{alerts}-alert ({} B)", bytes.len()));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("sha256", |b| b.iter(|| Sha256::digest(black_box(&bytes))));
        group.bench_function("quick_xml_events", |b| {
            b.iter(|| quick_xml_events(black_box(&bytes)))
        });
        group.bench_function("decode", |b| {
            b.iter(|| decode(black_box(&bytes), &limits).unwrap())
        });
        group.bench_function("decode_header", |b| {
            b.iter(|| decode_header(black_box(&bytes), &limits).unwrap())
        });
        group.bench_function("decode_header + into_body", |b| {
            b.iter(|| {
                decode_header(black_box(&bytes), &limits)
                    .unwrap()
                    .into_body()
                    .unwrap()
            })
        });
        let mut out = Vec::with_capacity(bytes.len());
        group.bench_function("encode", |b| {
            b.iter(|| {
                out.clear();
                encode(black_box(&msg), &mut out);
            })
        });
        group.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
