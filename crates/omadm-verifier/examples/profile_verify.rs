//! Runs verification of one emitted message in a loop, for a profiler (callgrind, perf) or for
//! CPU-time measurements that a loaded machine disturbs less than wall-clock benchmarks:
//! `profile_verify [ITERATIONS] [REPORTS] [verify|start|header|decode|sha256|floor]`, then
//! `perf stat -e task-clock` on it.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use omadm_dmsec::{Nonce, Secret, StoredSecret, Username};
use omadm_emitter::{Account, Emitter, SessionlessReport};
use omadm_syncml::{Format, Mark};
use omadm_verifier::{DeviceSecret, Policy, ReplayState, TransportMeta, Verifier};
use sha2::{Digest, Sha256};

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: usize = args.next().map_or(10_000, |s| s.parse().unwrap());
    let reports: usize = args.next().map_or(1, |s| s.parse().unwrap());
    let mode = args.next().unwrap_or_else(|| "verify".to_owned());
    let nonce = Nonce::from_base64("jzocDlt9kqTG4fCz1aeeIQ==").unwrap();
    let account = Account::new(
        "https://dm.example.net/sessionless",
        "IMEI:356938035643809",
        Username::new("alice").unwrap(),
        Secret::from("correct-horse-battery-staple"),
        nonce,
        128 * 1024,
    );
    let mut emitter = Emitter::new(account).unwrap();
    let data: String = "level=42; temp=81C; zone=<cpu> & fan=on; "
        .chars()
        .cycle()
        .take(380)
        .collect();
    let report = SessionlessReport::new(
        Some("./Ext/Battery".into()),
        "urn:oma:mo:battery:1.0",
        Format::Chr,
        Some(Mark::Warning),
        data.as_str(),
    )
    .unwrap();
    let body = emitter
        .emit(&vec![report; reports])
        .unwrap()
        .messages
        .remove(0)
        .body;
    let secret = DeviceSecret::new(
        Username::new("alice").unwrap(),
        "IMEI:356938035643809",
        &StoredSecret::Password(Secret::from("correct-horse-battery-staple")),
        nonce,
        Policy::default(),
    )
    .unwrap();
    let verifier = Verifier::new(128 * 1024);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1);
    let mut n = 0usize;
    for _ in 0..iterations {
        n += match mode.as_str() {
            "start" => usize::from(
                verifier
                    .start(black_box(&body), &TransportMeta::new())
                    .is_ok(),
            ),
            "header" => usize::from(
                omadm_xml::decode_header(black_box(&body), verifier.limits())
                    .unwrap()
                    .cred_data
                    .is_some(),
            ),
            "decode" => omadm_xml::decode(black_box(&body), verifier.limits())
                .unwrap()
                .body
                .commands
                .len(),
            "sha256" => usize::from(Sha256::digest(black_box(&body))[0]),
            "floor" => usize::from(Sha256::digest(black_box(&body))[0]) + events(black_box(&body)),
            _ => {
                let mut replay = ReplayState::new();
                let verdict = verifier
                    .start(black_box(&body), &TransportMeta::new())
                    .unwrap()
                    .finish(&secret, &mut replay, now);
                usize::from(verdict.is_accepted())
            }
        };
    }
    println!("{} bytes, {mode}: {n}", body.len());
}

/// The floor's XML half: a bare quick-xml event pass.
fn events(bytes: &[u8]) -> usize {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut n = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) | Err(_) => return n,
            Ok(_) => n += 1,
        }
    }
}
