#![doc = include_str!("../README.md")]

mod account;
pub mod discovery;
mod emitter;
mod error;
mod selfcheck;

pub use crate::account::{Account, Integrity};
pub use crate::emitter::{Emission, Emitter, HmacHeader, Outgoing, Written};
pub use crate::error::{ConfigError, EmitError};

/// Why a [`Report`] could not be built (names the rule).
pub use omadm_syncml::sessionless::ReportError;
/// A report to send: a validated Sessionless Report (source URI, Type, Format, Mark, data).
///
/// This is [`omadm_syncml::sessionless::SessionlessReport`]: the Type, Format and Mark rules are
/// enforced when it is built, so the emitter never sees an invalid one.
pub use omadm_syncml::sessionless::SessionlessReport as Report;

/// The security types an [`Account`] is made of, re-exported so that a user of this crate needs
/// no direct dependency on `omadm-dmsec`.
pub use omadm_dmsec::{
    Algorithm, Construction, Nonce, Secret, SecretDigest, StoredSecret, Username,
};
/// `MsgID`, re-exported from `omadm-syncml`.
pub use omadm_syncml::MsgId;

/// The media type of every message this crate emits (`application/vnd.syncml.dm+xml`).
pub const CONTENT_TYPE: &str = omadm_syncml::MEDIA_TYPE_XML;

/// The name of the HTTP header that carries the MAC in [`Integrity::HeaderMac`] mode.
pub const HMAC_HEADER: &str = "x-syncml-hmac";
