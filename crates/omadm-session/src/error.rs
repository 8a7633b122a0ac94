//! The errors of the session engines: what a caller did out of turn, or a peer message the
//! engine could not take into the session. A message refused with an error changes nothing.

use core::fmt;

use crate::codec::CodecError;

/// Why [`ServerSession`](crate::ServerSession) or [`ClientSession`](crate::ClientSession) did
/// not take a message (or a call) into the session. The session state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The message does not decode.
    Malformed(CodecError),
    /// `SessionID` is `0`: a sessionless report, not a DM session message.
    Sessionless,
    /// The `SessionID` is not this session's.
    WrongSession,
    /// `SyncHdr/Source/LocURI` differs from the one the session started with.
    WrongSender,
    /// The `MsgID` is not the next one of the peer's sequence (a repeated, lost or reordered
    /// message).
    UnexpectedMsgId {
        /// The `MsgID` the engine waits for.
        expected: u32,
        /// The `MsgID` received.
        got: u32,
    },
    /// A message is waiting for its secret lookup: call `supply_secret` first.
    SecretPending,
    /// `supply_secret` was called while no lookup was pending.
    NoSecretRequested,
    /// The engine is waiting for its peer's message to be transmitted, or for nothing at all:
    /// a message arrived out of turn.
    OutOfTurn,
    /// The session has ended.
    Ended,
    /// The session idled longer than its configured timeout, and has ended.
    Expired,
    /// The session reached its configured message count, and has ended.
    TooManyMessages,
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Malformed(e) => write!(f, "malformed message: {e}"),
            SessionError::Sessionless => f.write_str("sessionid 0 is a sessionless report"),
            SessionError::WrongSession => f.write_str("message of another session"),
            SessionError::WrongSender => f.write_str("source locuri changed within the session"),
            SessionError::UnexpectedMsgId { expected, got } => {
                write!(f, "msgid {got} out of sequence (expected {expected})")
            }
            SessionError::SecretPending => f.write_str("a secret lookup is pending"),
            SessionError::NoSecretRequested => f.write_str("no secret lookup is pending"),
            SessionError::OutOfTurn => f.write_str("message out of turn"),
            SessionError::Ended => f.write_str("session has ended"),
            SessionError::Expired => f.write_str("session expired"),
            SessionError::TooManyMessages => f.write_str("session message limit reached"),
        }
    }
}

impl core::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            SessionError::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a session configuration or a queued command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// A URI or device id is empty or holds characters a message cannot carry.
    Identifier,
    /// The `SessionID` is not valid (1 to 32 characters) or is `0`.
    SessionId,
    /// The secret cannot serve the pinned scheme (a key digest of another hash).
    UnusableSecret,
    /// `MaxMsgSize` is below the engine's minimum ([`MIN_MSG_SIZE`](crate::MIN_MSG_SIZE)).
    MaxMsgSize,
    /// A server may not queue this command (`Results`, `Status`, or an `Alert` other than
    /// 1100 to 1104).
    CommandNotQueueable,
    /// The session has ended or is past the point where commands can be queued.
    Closed,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigError::Identifier => "identifier empty or not representable",
            ConfigError::SessionId => "invalid session id",
            ConfigError::UnusableSecret => "secret unusable for the pinned scheme",
            ConfigError::MaxMsgSize => "maxmsgsize below the minimum",
            ConfigError::CommandNotQueueable => "command cannot be queued by a server",
            ConfigError::Closed => "session closed",
        })
    }
}

impl core::error::Error for ConfigError {}
