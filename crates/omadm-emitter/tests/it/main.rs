//! The one integration-test binary of omadm-emitter: the spec vectors and golden files byte for
//! byte, the packing and signing laws (proptest), report-data edge cases, errors, discovery, the
//! allocation budget.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod alloc;
mod discovery;
mod edge;
mod errors;
mod golden;
mod props;
mod support;
