//! Integration tests of the `omadm` binary: every subcommand and exit code, a real-socket load
//! test of `serve`, and crash safety under SIGKILL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod pg;
mod support;

mod cli;
mod convert;
mod crash;
mod demo;
mod emit;
mod inspect_lint;
mod multinode;
mod registry;
mod send_serve;
mod serve_session;
mod session;
mod status;
mod verify;
mod wbxml;
