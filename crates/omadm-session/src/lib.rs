#![doc = include_str!("../README.md")]

mod auth;
mod client;
mod codec;
pub mod commands;
pub mod discovery;
mod error;
mod event;
mod server;
mod tree;
mod wire;

pub use crate::auth::{AuthPin, DeviceAuth, Transport};
pub use crate::client::{ClientConfig, ClientSession};
pub use crate::codec::{CodecError, Encoding, Header, decode_header};
pub use crate::error::{ConfigError, SessionError};
pub use crate::event::{
    ClientEvent, EndReason, Progress, SecretRequest, ServerEvent, SessionEnd, Ticket, Transmit,
};
pub use crate::server::{ServerConfig, ServerSession, claimed_user};
pub use crate::tree::{MemoryTree, NodeValue, Tree};
pub use crate::wire::Node;

/// The security types a session is configured with, re-exported so that a user of this crate
/// needs no direct dependency on `omadm-dmsec`.
pub use omadm_dmsec::{
    Algorithm, Construction, Nonce, Secret, SecretDigest, StoredSecret, Username,
};

/// The smallest `MaxMsgSize` the engines honour: a peer stating less is treated as stating
/// this (a header, its Status and one command must fit in a message).
pub const MIN_MSG_SIZE: usize = 1024;

/// Where an engine gets fresh nonces: the caller's randomness (16 random octets recommended,
/// DM Security 1.2 §5.1.3.3). Any `FnMut() -> Nonce` is one.
pub trait NonceSource {
    /// A fresh, unpredictable nonce.
    fn fresh_nonce(&mut self) -> Nonce;
}

impl<F: FnMut() -> Nonce> NonceSource for F {
    fn fresh_nonce(&mut self) -> Nonce {
        self()
    }
}
