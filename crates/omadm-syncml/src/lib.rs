#![doc = include_str!("../README.md")]

mod command;
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
pub use error::ValueError;
pub use ids::{AlertCode, CmdId, CmdRef, MsgId, MsgRef, SessionId, StatusCode, parse_count};
pub use message::{Chal, Cred, Source, SyncBody, SyncHdr, SyncMl, SyncMlVersion, Target};
pub use meta::{Anchor, Format, METINF_NAMESPACE, Mark, Mem, Meta};

/// The media type of an XML-encoded DM message.
pub const MEDIA_TYPE_XML: &str = "application/vnd.syncml.dm+xml";
/// The media type of a WBXML-encoded DM message.
pub const MEDIA_TYPE_WBXML: &str = "application/vnd.syncml.dm+wbxml";
