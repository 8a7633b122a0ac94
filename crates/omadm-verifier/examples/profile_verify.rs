//! Runs verification of one emitted 1.2 KB message in a loop, for a profiler (callgrind, perf).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use omadm_dmsec::{Nonce, Secret, StoredSecret, Username};
use omadm_emitter::{Account, Emitter, Report};
use omadm_syncml::{Format, Mark};
use omadm_verifier::{DeviceSecret, Policy, ReplayState, TransportMeta, Verifier};

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .map_or(10_000, |s| s.parse().unwrap());
    let nonce = Nonce::from_base64("jzocDlt9kqTG4fCz1aeeIQ==").unwrap();
    let account = Account::new(
        "https://dm.example.net/sessionless",
        "IMEI:356938035643809",
        Username::new("alice").unwrap(),
        Secret::from("correct-horse-battery-staple"),
        nonce,
        16 * 1024,
    );
    let mut emitter = Emitter::new(account).unwrap();
    let data: String = "level=42; temp=81C; zone=<cpu> & fan=on; "
        .chars()
        .cycle()
        .take(380)
        .collect();
    let report = Report::new(
        Some("./Ext/Battery".into()),
        "urn:oma:mo:battery:1.0",
        Format::Chr,
        Some(Mark::Warning),
        data.as_str(),
    )
    .unwrap();
    let body = emitter.emit(&[report]).unwrap().messages.remove(0).body;
    let secret = DeviceSecret::new(
        Username::new("alice").unwrap(),
        "IMEI:356938035643809",
        &StoredSecret::Password(Secret::from("correct-horse-battery-staple")),
        nonce,
        Policy::default(),
    )
    .unwrap();
    let verifier = Verifier::new(16 * 1024);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1);
    let mut accepted = 0;
    for _ in 0..iterations {
        let mut replay = ReplayState::new();
        let verdict = verifier
            .start(black_box(&body), &TransportMeta::new())
            .unwrap()
            .finish(&secret, &mut replay, now);
        accepted += usize::from(verdict.is_accepted());
    }
    println!("{} bytes, {accepted} accepted", body.len());
}
