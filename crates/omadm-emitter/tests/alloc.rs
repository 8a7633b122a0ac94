//! Zero allocations per message once the buffer is warm: a counting global allocator (per
//! thread, so the test harness does not interfere) around `Emitter::emit_into`.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;

use omadm_emitter::{
    Account, Algorithm, Construction, Emitter, Integrity, Nonce, Report, Secret, Username,
};
use omadm_syncml::{Format, Mark};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to the system allocator with the caller's arguments unchanged;
// counting touches only a const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
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
