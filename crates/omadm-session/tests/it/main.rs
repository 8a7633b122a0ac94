//! The integration tests of omadm-session: scenarios, the laws (proptest), the interop corpus,
//! the memory bound and the emitter/verifier hand-off.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(missing_docs, unreachable_pub)]

#[global_allocator]
static GLOBAL: omadm_testkit::alloc::CountingAlloc = omadm_testkit::alloc::CountingAlloc;

mod handoff;
mod interop;
mod laws;
mod memory;
mod scenarios;
mod support;
