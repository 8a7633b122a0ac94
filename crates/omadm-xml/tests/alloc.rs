//! Counts heap allocations while decoding the 1-, 10- and 100-alert sessionless messages and
//! asserts the budget: at most 10 allocations plus 2 per command.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use omadm_xml::{Limits, decode, decode_header, encode};

#[path = "fixtures/messages.rs"]
#[allow(dead_code, unreachable_pub)]
mod fixtures;

/// The system allocator, counting allocations and reallocations made by a thread that has
/// switched counting on (the test harness's own threads allocate concurrently).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counted() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` unchanged; the counter has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        counted();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    let v = f();
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.load(Ordering::Relaxed) - before, v)
}

// One test function, so that no other test thread allocates while we count.
#[test]
fn allocation_budget() {
    let limits = Limits::default();
    // Warm up anything lazily initialised.
    drop(decode(&fixtures::encoded(1), &limits).unwrap());
    for alerts in [1u32, 10, 100] {
        let bytes = fixtures::encoded(alerts);
        let (n, msg) = count(|| decode(&bytes, &limits).unwrap());
        let commands = msg.body.commands.len();
        let budget = 10 + 2 * commands;
        println!(
            "decode {alerts:>3} alerts ({} B): {n} allocations (budget {budget})",
            bytes.len()
        );
        assert!(n <= budget, "{alerts} alerts: {n} allocations > {budget}");
        drop(msg);

        let (n, h) = count(|| decode_header(&bytes, &limits).unwrap());
        println!("decode_header {alerts:>3} alerts: {n} allocations");
        assert!(n <= 10, "decode_header: {n} allocations");
        drop(h);

        let msg = fixtures::message(alerts);
        let mut out = Vec::with_capacity(bytes.len());
        let (n, _) = count(|| encode(&msg, &mut out));
        println!("encode {alerts:>3} alerts into a warm buffer: {n} allocations");
        assert_eq!(n, 0, "encode into a buffer with room allocates nothing");
    }
}
