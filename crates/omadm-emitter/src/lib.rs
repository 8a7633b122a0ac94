#![doc = include_str!("../README.md")]

mod account;
pub mod discovery;
mod emitter;
mod error;
mod selfcheck;

pub use crate::account::Account;
pub use crate::emitter::{Emission, Emitter, HmacHeader, Outgoing, Written};
pub use crate::error::{ConfigError, EmitError};

/// The security types an [`Account`] is made of, and the name of the header the
/// [`Carrier::Header`] carrier uses, re-exported from `omadm-dmsec` so that a user of this crate
/// needs no direct dependency on it.
pub use omadm_dmsec::{
    Algorithm, Carrier, Construction, HMAC_HEADER, Nonce, Secret, SecretDigest, StoredSecret,
    Username,
};
/// The reports to send (validated Sessionless Reports: the Type, Format and Mark rules are
/// enforced when one is built, so the emitter never sees an invalid one), `MsgID`, the
/// [`Encoding`] of an [`Account`] and the media types of the messages this crate emits,
/// re-exported from `omadm-syncml`.
pub use omadm_syncml::{
    Encoding, MEDIA_TYPE_WBXML, MEDIA_TYPE_XML, MsgId,
    sessionless::{ReportError, SessionlessReport},
};
