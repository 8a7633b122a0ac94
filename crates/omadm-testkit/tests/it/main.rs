//! Checks that the testkit's strategies produce what they promise and that its paths resolve.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod paths;
mod strategies;
