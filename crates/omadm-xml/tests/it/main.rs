//! The crate's integration tests: golden bytes, the spec vectors and seed example, the interop
//! corpus, every bad-input class, the round-trip law, the `write` pieces and fuzz regressions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod golden;
mod interop;
mod resume;
mod roundtrip;
mod seed;
mod support;
mod write_api;
