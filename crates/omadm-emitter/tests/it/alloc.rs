//! Zero allocations per message once the buffer is warm: a counting global allocator around
//! `Emitter::emit_into`.
//!
//! The allocator is installed for the whole `it` binary (a global allocator is per binary); it
//! counts per thread, so the other tests, running on other threads, do not disturb the count.

use omadm_emitter::{Algorithm, Carrier, Construction, Emitter, Encoding};
use omadm_testkit::alloc::CountingAlloc;

use crate::support::{Mode, TRANSPORT, chr_report, vector_account};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// How many allocations `f` made on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    omadm_testkit::alloc::allocations(f).0
}

fn encodings() -> [Encoding; 2] {
    [Encoding::Xml, Encoding::Wbxml]
}

fn modes() -> [Mode; 3] {
    [
        Mode::default(),
        (Carrier::Header, Algorithm::Md5, Construction::Rfc2104),
        TRANSPORT,
    ]
}

#[test]
fn one_report_messages_allocate_nothing_once_warm() {
    let reports = [chr_report(&"b".repeat(600))];
    for (mode, encoding) in modes()
        .into_iter()
        .flat_map(|m| encodings().map(|e| (m, e)))
    {
        let mut account = vector_account(mode);
        account.encoding = encoding;
        // The self-check decodes each message (allocating); it is on by default in debug builds.
        let mut emitter = Emitter::new(account).unwrap().with_self_check(false);
        let mut buf = Vec::new();
        emitter.emit_into(&reports, &mut buf).unwrap();
        let n = allocations(|| {
            for _ in 0..100 {
                let written = emitter.emit_into(&reports, &mut buf).unwrap();
                assert_eq!(written.reports, 1);
                std::hint::black_box(&written);
            }
        });
        assert_eq!(n, 0, "{mode:?} {encoding}: {n} allocations in 100 messages");
    }
}

#[test]
fn packing_a_thousand_reports_allocates_nothing_once_warm() {
    let reports: Vec<_> = (0..1000)
        .map(|i| chr_report(&format!("reading {i}: {}", "x".repeat(i % 97))))
        .collect();
    for (mode, encoding) in modes()
        .into_iter()
        .flat_map(|m| encodings().map(|e| (m, e)))
    {
        let mut account = vector_account(mode);
        account.encoding = encoding;
        let mut buf = Vec::new();
        // Warm the buffer with a whole pass.
        let mut warm = Emitter::new(account.clone())
            .unwrap()
            .with_self_check(false);
        let mut rest = &reports[..];
        while !rest.is_empty() {
            rest = &rest[warm.emit_into(rest, &mut buf).unwrap().reports..];
        }
        let mut emitter = Emitter::new(account).unwrap().with_self_check(false);
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
            "{mode:?} {encoding}: {n} allocations in {messages} messages"
        );
    }
}
