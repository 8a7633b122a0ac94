#![doc = include_str!("../README.md")]

mod command;
mod encoding;
mod error;
mod ids;
mod message;
mod meta;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod sessionless;

pub use command::{
    Alert, Carriage, Command, Container, Delete, Exec, Get, Item, ItemCommand, ItemData, Results,
    Status,
};
pub use encoding::{Encoding, MEDIA_TYPE_WBXML, MEDIA_TYPE_XML, UnknownEncoding};
pub use error::ValueError;
pub use ids::{AlertCode, CmdId, CmdRef, MsgId, MsgRef, SessionId, StatusCode};
pub use message::{Chal, Cred, Source, SyncBody, SyncHdr, SyncMl, SyncMlVersion, Target};
pub use meta::{Anchor, Format, METINF_NAMESPACE, Mark, Mem, Meta};

/// Not public API: what the codec crates of this workspace (omadm-xml, and the WBXML codec) share
/// with the model and need in production, so that it cannot be a test hook. Hidden from the
/// docs, exempt from semver (as `serde::__private` is); do not use it from outside the workspace.
#[doc(hidden)]
pub mod __private {
    pub use crate::ids::parse_count;
}
