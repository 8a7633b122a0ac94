//! The emitter's errors: a configuration it cannot work with, or reports it cannot send.

use core::fmt;

/// An [`Account`](crate::Account) the emitter cannot work with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// The server URI is empty or holds a character that XML cannot carry (a control character).
    ServerUri,
    /// The device id is empty or holds a character that XML cannot carry (a control character).
    DeviceId,
    /// The secret cannot serve the carrier and hash: a key digest made with another hash than the
    /// MAC's, or a SHA-256 digest where the auth-md5 `Cred` needs the password or an MD5 digest.
    UnusableSecret,
    /// MaxMsgSize is smaller than a message holding no report at all.
    MaxMsgSizeTooSmall {
        /// The size of the empty message, in bytes.
        min: usize,
        /// The configured MaxMsgSize.
        max: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServerUri => f.write_str("server uri is empty or holds a control character"),
            Self::DeviceId => f.write_str("device id is empty or holds a control character"),
            Self::UnusableSecret => {
                f.write_str("the stored secret cannot serve the configured carrier and hash")
            }
            Self::MaxMsgSizeTooSmall { min, max } => write!(
                f,
                "max message size {max} is smaller than an empty message ({min} bytes)"
            ),
        }
    }
}

impl core::error::Error for ConfigError {}

/// Reports that could not be turned into messages. Nothing was emitted and no MsgID was used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EmitError {
    /// No report was given: a message must hold at least one.
    NoReports,
    /// A report does not fit under MaxMsgSize even alone in the message that would carry it
    /// (whose MsgID follows the messages before it: a MsgID with one more digit makes the
    /// message one byte longer). It is never split: the spec forbids Large Objects (seed 5.4).
    ReportTooLarge {
        /// The position of the report in the input.
        index: usize,
        /// The size the message would have with that one report, in bytes.
        size: usize,
        /// The MaxMsgSize.
        max: usize,
    },
    /// The MsgID counter is exhausted: the next message would need MsgID 4294967295, which the
    /// emitter never uses so that the state to persist is always a valid MsgID. The account
    /// needs a new nonce (a DM session), after which numbering may restart at 1.
    MsgIdExhausted,
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoReports => f.write_str("no report to emit"),
            Self::ReportTooLarge { index, size, max } => write!(
                f,
                "report {index} does not fit in a message: {size} bytes, max message size {max}"
            ),
            Self::MsgIdExhausted => f.write_str("msgid counter exhausted"),
        }
    }
}

impl core::error::Error for EmitError {}
