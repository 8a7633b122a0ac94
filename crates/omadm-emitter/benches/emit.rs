//! Emit + sign throughput beside its floor (SHA-256 of the same output bytes plus a plain copy of
//! them): one ~1.2 KB one-report message into a reused buffer, and 1,000 reports packed under a
//! 16 KiB MaxMsgSize.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    missing_docs
)]

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use omadm_emitter::{
    Account, Algorithm, Carrier, Construction, Emitter, Nonce, Secret, SessionlessReport, Username,
};
use omadm_syncml::{Format, Mark};
use sha2::{Digest, Sha256};

/// How an account signs: its carrier, hash and construction.
type Mode = (Carrier, Algorithm, Construction);

fn account(mode: Mode, max: usize) -> Account {
    let mut account = Account::new(
        "https://dm.example.net/sessionless",
        "IMEI:356938035643809",
        Username::new("alice").unwrap(),
        Secret::from("correct-horse-battery-staple"),
        Nonce::from_base64("jzocDlt9kqTG4fCz1aeeIQ==").unwrap(),
        max,
    );
    (account.carrier, account.algorithm, account.construction) = mode;
    account
}

fn emitter(mode: Mode, max: usize) -> Emitter {
    Emitter::new(account(mode, max))
        .unwrap()
        .with_self_check(false)
}

fn report(data: String) -> SessionlessReport<'static> {
    SessionlessReport::new(
        Some(Cow::Borrowed("./Ext/Battery")),
        "urn:oma:mo:battery:1.0",
        Format::Chr,
        Some(Mark::Warning),
        data,
    )
    .unwrap()
}

/// The floor: a copy of `bytes` into a reused vector and the SHA-256 of the copy.
fn floor(copy: &mut Vec<u8>, bytes: &[u8]) -> [u8; 32] {
    copy.clear();
    copy.extend_from_slice(bytes);
    Sha256::digest(copy.as_slice()).into()
}

fn one_report(c: &mut Criterion) {
    // ~1.2 KB message: the header and one alert around 330 bytes of data.
    let reports = [report("r".repeat(330))];
    let modes = [
        ("in-message sha256", Mode::default()),
        (
            "x-syncml-hmac sha256",
            (Carrier::Header, Algorithm::Sha256, Construction::Digest),
        ),
    ];
    let mut body = Vec::new();
    emitter(Mode::default(), 16 * 1024)
        .emit_into(&reports, &mut body)
        .unwrap();
    eprintln!("1 report: {} bytes", body.len());

    let mut group = c.benchmark_group("emit/1-report");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.measurement_time(Duration::from_secs(4));
    for (name, mode) in modes {
        let mut em = emitter(mode, 16 * 1024);
        let mut buf = Vec::new();
        group.bench_function(format!("emit+sign {name}"), |b| {
            b.iter(|| {
                em.emit_into(black_box(&reports), &mut buf).unwrap();
                black_box(buf.len())
            });
        });
    }
    let mut copy = Vec::new();
    group.bench_function("floor sha256+copy", |b| {
        b.iter(|| floor(&mut copy, black_box(&body)));
    });
    group.bench_function("sha256", |b| {
        b.iter(|| Sha256::digest(black_box(&body)));
    });
    group.finish();
}

fn thousand_reports(c: &mut Criterion) {
    let reports: Vec<_> = (0..1000)
        .map(|i| report(format!("reading {i}: {}", "v".repeat(20 + i % 80))))
        .collect();
    // The output of one whole pass, for the floor.
    let mut bodies = Vec::new();
    {
        let mut em = emitter(Mode::default(), 16 * 1024);
        let mut buf = Vec::new();
        let mut rest = &reports[..];
        while !rest.is_empty() {
            rest = &rest[em.emit_into(rest, &mut buf).unwrap().reports..];
            bodies.push(buf.clone());
        }
    }
    let total: usize = bodies.iter().map(Vec::len).sum();
    eprintln!("1000 reports: {} messages, {total} bytes", bodies.len());

    let mut group = c.benchmark_group("emit/1000-reports-16KiB");
    group.throughput(Throughput::Bytes(total as u64));
    group.measurement_time(Duration::from_secs(6));
    let mut em = emitter(Mode::default(), 16 * 1024);
    let mut buf = Vec::new();
    group.bench_function("emit+sign in-message sha256", |b| {
        b.iter(|| {
            let mut rest = black_box(&reports[..]);
            while !rest.is_empty() {
                rest = &rest[em.emit_into(rest, &mut buf).unwrap().reports..];
            }
        });
    });
    let mut copy = Vec::new();
    group.bench_function("floor sha256+copy", |b| {
        b.iter(|| {
            for body in black_box(&bodies) {
                black_box(floor(&mut copy, body));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, one_report, thousand_reports);
criterion_main!(benches);
