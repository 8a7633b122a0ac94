//! Counts heap allocations while decoding the 1-, 10- and 100-alert sessionless messages and
//! asserts the budget: at most 10 allocations plus 2 per command.
//!
//! The counting global allocator is installed for the whole `it` binary (a global allocator is
//! per binary); it counts per thread, so the other tests, running on other threads, do not
//! disturb the count, and they pay one thread-local increment per allocation.
#![allow(clippy::print_stdout)]

use omadm_testkit::alloc::{CountingAlloc, allocations as count};
use omadm_xml::{Limits, decode, decode_header, encode};

use crate::support::fixtures;

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

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
