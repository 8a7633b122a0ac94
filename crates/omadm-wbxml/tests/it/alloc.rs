//! Allocation budgets (counted per thread by the testkit's counting allocator, installed for this
//! binary in `main.rs`): encoding into a buffer with room allocates nothing; decoding allocates
//! at most 10 plus 1 per command for the sessionless fixtures (the growing command list, one
//! item list per alert: 2 / 13 / 106 for 1 / 10 / 100 alerts); the header scan allocates nothing
//! (the element stack is an array).

use omadm_testkit::alloc::allocations;
use omadm_wbxml::{decode, decode_header, encode};

use crate::support::{fixtures, limits};

#[test]
fn allocation_budget() {
    for alerts in [1u32, 10, 100] {
        let msg = fixtures::message(alerts);
        let mut bytes = Vec::new();
        encode(&msg, &mut bytes);
        let mut out = Vec::with_capacity(bytes.len());
        let (n, _) = allocations(|| encode(&msg, &mut out));
        assert_eq!(n, 0, "encode into a warm buffer allocates nothing");
        assert_eq!(out, bytes);

        let (n, m) = allocations(|| decode(&bytes, &limits()).unwrap());
        let budget = 10 + m.body.commands.len();
        assert!(
            n <= budget,
            "decode {alerts} alerts: {n} allocations > {budget}"
        );
        let (n, _) = allocations(|| decode_header(&bytes, &limits()).unwrap());
        assert_eq!(
            n, 0,
            "decode_header (the verifier's header scan) allocates nothing"
        );
    }
}
