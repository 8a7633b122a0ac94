//! The integration tests of omadm-wbxml: the worked example, the interop corpus, libwbxml both
//! ways, bad input, the round-trip law and the header/body split.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod alloc;
mod bad_input;
mod binary;
mod golden;
mod interop;
mod libwbxml;
mod roundtrip;
mod shortcuts;
mod support;

#[global_allocator]
static GLOBAL: omadm_testkit::alloc::CountingAlloc = omadm_testkit::alloc::CountingAlloc;
