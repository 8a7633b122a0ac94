#![doc = include_str!("../README.md")]

mod error;
mod policy;
mod replay;
mod verify;

pub use crate::error::{IgnoreReason, Ignored, Pinned, ReplayStateError};
pub use crate::policy::{Carrier, DeviceSecret, Policy, TransportMeta};
pub use crate::replay::{ReplayState, WINDOW_WIDTH};
pub use crate::verify::{
    Accepted, Authenticated, Finding, Pending, ReceivedReport, ReplayClaim, Verdict, Verifier,
};
