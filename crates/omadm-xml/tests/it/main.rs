//! The crate's integration tests: golden bytes, the spec vectors and seed example, the interop
//! corpus, every bad-input class, the round-trip and fast-path laws, the `write` pieces and the
//! allocation budget.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod alloc;
mod bad_input;
mod golden;
mod interop;
mod resume;
mod roundtrip;
mod seed;
mod support;
mod write_api;
