//! Integration tests of the data model and the sessionless profile.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod check;
mod ids;
mod report;
#[cfg(feature = "serde")]
mod serde;
mod sizes;
mod support;
