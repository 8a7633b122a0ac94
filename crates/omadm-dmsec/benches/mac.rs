//! Criterion benchmarks of MAC verification against the raw SHA-256 floor over the same bytes.
//!
//! Run: `cargo bench -p omadm-dmsec --bench mac -- --warm-up-time 1 --measurement-time 3`.
//! Each `mac/*` group is one body size; compare `verify_*` with `sha256_floor` of the same group.
//! The `params` group parses and formats parameter lists (the verifier parses one per message).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sha2::{Digest as _, Sha256};

use omadm_dmsec::{Algorithm, Construction, MacKey, MacParams, Nonce, Secret, StoredSecret};

/// Body sizes: a one-report message, a few reports, a message near a large MaxMsgSize; and an
/// empty body, which isolates the constant cost of each path.
const SIZES: [(&str, usize); 4] = [
    ("0B", 0),
    ("1.2KB", 1_200),
    ("6.5KB", 6_500),
    ("60KB", 60_000),
];

fn body(len: usize) -> Vec<u8> {
    // XML-ish bytes; the content does not matter to a hash, the length does.
    b"<Alert><CmdID>1</CmdID><Data>1230</Data><Item><Data><![CDATA[t=81C]]></Data></Item></Alert>"
        .iter()
        .copied()
        .cycle()
        .take(len)
        .collect()
}

fn bench(c: &mut Criterion) {
    let user = "IMEI:356938035643809";
    let secret = StoredSecret::from(Secret::from("correct-horse-battery-staple"));
    let nonce = Nonce::from_base64("jzocDlt9kqTG4fCz1aeeIQ==").unwrap();
    let digest = MacKey::new(Algorithm::Sha256, Construction::Digest, user, &secret).unwrap();
    let rfc2104 = MacKey::new(Algorithm::Sha256, Construction::Rfc2104, user, &secret).unwrap();

    for (name, len) in SIZES {
        let body = body(len);
        let mac = digest.mac(&nonce, &body);
        let rfc_mac = rfc2104.mac(&nonce, &body);
        let mut group = c.benchmark_group(format!("mac/{name}"));
        group.throughput(Throughput::Bytes(len as u64));

        group.bench_function("sha256_floor", |b| {
            b.iter(|| Sha256::digest(black_box(&body[..])));
        });
        group.bench_function("verify_prekeyed", |b| {
            b.iter(|| {
                digest
                    .verify(black_box(&nonce), black_box(&body), black_box(&mac))
                    .unwrap()
            });
        });
        group.bench_function("verify_key_per_message", |b| {
            b.iter(|| {
                let key = MacKey::new(
                    Algorithm::Sha256,
                    Construction::Digest,
                    black_box(user),
                    black_box(&secret),
                )
                .unwrap();
                key.verify(black_box(&nonce), black_box(&body), black_box(&mac))
                    .unwrap();
            });
        });
        group.bench_function("verify_prekeyed_rfc2104", |b| {
            b.iter(|| {
                rfc2104
                    .verify(black_box(&nonce), black_box(&body), black_box(&rfc_mac))
                    .unwrap()
            });
        });
        group.finish();
    }
}

/// Parameter lists as the verifier meets them: the canonical form, a lenient one (reordered,
/// quoted MAC, alias, odd spacing), and a quoted username with escapes.
const PARAMS: [(&str, &str); 3] = [
    (
        "canonical",
        r#"algorithm=SHA256, username="alice", mac=ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA="#,
    ),
    (
        "lenient",
        r#"mac="aSBvnDHzBa7JhdjeEEUR2g==" ,username=Bruce2, algorithm=hmac-md5"#,
    ),
    (
        "escaped",
        r#"algorithm=SHA256, username="IMEI:35\"69\\38", mac=ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA="#,
    ),
];

fn bench_params(c: &mut Criterion) {
    let mut group = c.benchmark_group("params");
    for (name, text) in PARAMS {
        let params = MacParams::parse(text).unwrap();
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| MacParams::parse(black_box(text)).unwrap());
        });
        group.bench_function(format!("display/{name}"), |b| {
            b.iter(|| black_box(&params).to_string());
        });
    }
    group.finish();
}

criterion_group!(benches, bench, bench_params);
criterion_main!(benches);
