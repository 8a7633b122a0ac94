#![doc = include_str!("../README.md")]

mod error;
mod policy;
mod replay;
mod verify;

pub use crate::error::{IgnoreReason, Ignored, Pinned, ReplayStateError};
pub use crate::policy::{DeviceSecret, Policy, TransportMeta};
pub use crate::replay::{ReplayState, WINDOW_WIDTH};
pub use crate::verify::{
    Accepted, Authenticated, Finding, Pending, ReceivedReport, ReplayClaim, Verdict, Verifier,
};

/// Where the proof of origin travels: the type of `omadm-dmsec`, re-exported so that a
/// [`Policy`] can be built without a direct dependency on it.
pub use omadm_dmsec::Carrier;
