//! Zero allocations per message once the buffer is warm: a counting global allocator (per
//! thread, so the test harness does not interfere) around `Emitter::emit_into`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::borrow::Cow;

use omadm_emitter::{
    Account, Algorithm, Construction, Emitter, Integrity, Nonce, Report, Secret, Username,
};
use omadm_syncml::{Format, Mark};
use omadm_testkit::alloc::CountingAlloc;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// How many allocations `f` made on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    omadm_testkit::alloc::allocations(f).0
}

fn account(integrity: Integrity, max: usize) -> Account {
    let mut account = Account::new(
        "https://dm.example.net/sessionless",
        "IMEI:356938035643809",
        Username::new("alice").unwrap(),
        Secret::from("correct-horse-battery-staple"),
        Nonce::from_base64("jzocDlt9kqTG4fCz1aeeIQ==").unwrap(),
        max,
    );
    account.integrity = integrity;
    account
}

fn modes() -> [Integrity; 3] {
    [
        Integrity::default(),
        Integrity::HeaderMac {
            algorithm: Algorithm::Md5,
            construction: Construction::Rfc2104,
        },
        Integrity::TransportAuthenticated,
    ]
}

fn report(data: String) -> Report<'static> {
    Report::new(
        Some(Cow::Borrowed("./Ext/Battery")),
        "urn:oma:mo:battery:1.0",
        Format::Chr,
        Some(Mark::Warning),
        data,
    )
    .unwrap()
}

#[test]
fn one_report_messages_allocate_nothing_once_warm() {
    let reports = [report("b".repeat(600))];
    for integrity in modes() {
        // The self-check decodes each message (allocating); it is on by default in debug builds.
        let mut emitter = Emitter::new(account(integrity, 16 * 1024))
            .unwrap()
            .with_self_check(false);
        let mut buf = Vec::new();
        emitter.emit_into(&reports, &mut buf).unwrap();
        let n = allocations(|| {
            for _ in 0..100 {
                let written = emitter.emit_into(&reports, &mut buf).unwrap();
                assert_eq!(written.reports, 1);
                std::hint::black_box(&written);
            }
        });
        assert_eq!(n, 0, "{integrity:?}: {n} allocations in 100 messages");
    }
}

#[test]
fn packing_a_thousand_reports_allocates_nothing_once_warm() {
    let reports: Vec<_> = (0..1000)
        .map(|i| report(format!("reading {i}: {}", "x".repeat(i % 97))))
        .collect();
    for integrity in modes() {
        let mut buf = Vec::new();
        // Warm the buffer with a whole pass.
        let mut warm = Emitter::new(account(integrity, 16 * 1024))
            .unwrap()
            .with_self_check(false);
        let mut rest = &reports[..];
        while !rest.is_empty() {
            rest = &rest[warm.emit_into(rest, &mut buf).unwrap().reports..];
        }
        let mut emitter = Emitter::new(account(integrity, 16 * 1024))
            .unwrap()
            .with_self_check(false);
        let mut messages = 0;
        let n = allocations(|| {
            let mut rest = &reports[..];
            while !rest.is_empty() {
                rest = &rest[emitter.emit_into(rest, &mut buf).unwrap().reports..];
                messages += 1;
            }
        });
        assert!(messages > 1);
        assert_eq!(
            n, 0,
            "{integrity:?}: {n} allocations in {messages} messages"
        );
    }
}
