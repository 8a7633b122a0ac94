//! What the engines hand back: messages to transmit, events, the typed pause for the secret
//! lookup, and how a session ended (with the nonce to persist).

use omadm_dmsec::Nonce;
use omadm_syncml::{AlertCode, CmdId, MsgId, StatusCode};

use crate::discovery::DiscoveryAnswer;
use crate::wire::Node;

/// A message to send to the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transmit {
    /// The encoded message, exactly the bytes to send.
    pub body: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
    /// Its `MsgID`.
    pub msg_id: MsgId,
    /// The `x-syncml-hmac` header value to send with it (client, HMAC mode).
    pub hmac: Option<String>,
}

/// A command the caller queued on a [`ServerSession`](crate::ServerSession), named in the events
/// about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub(crate) u32);

impl Ticket {
    /// The ticket's number (1, 2, ... in queueing order).
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// What [`ServerSession::handle_message`](crate::ServerSession::handle_message) needs next.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Progress {
    /// The message is handled: poll for transmits and events.
    Done,
    /// The message names a user whose secret is needed: look it up (synchronously or not) and
    /// call [`ServerSession::supply_secret`](crate::ServerSession::supply_secret).
    NeedSecret(SecretRequest),
}

/// Who a message claims to come from; nothing in it is authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretRequest {
    /// The claimed username (the `x-syncml-hmac` username, else `SyncHdr/Source/LocName`).
    pub username: String,
    /// The claimed device id (`SyncHdr/Source/LocURI`).
    pub device_id: String,
}

/// Something a [`ServerSession`](crate::ServerSession) learnt.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The client proved who it is.
    Authenticated {
        /// The username.
        username: String,
        /// The device id.
        device_id: String,
    },
    /// The client's `Replace` (or `Add`) of `./DevInfo` nodes in package 1.
    DevInfo(Vec<Node>),
    /// A client alert (1224 client event, 1226 generic alert, ...) with its items.
    Alert {
        /// The alert code.
        code: AlertCode,
        /// Its items.
        items: Vec<Node>,
    },
    /// The client's `Results` for a queued `Get`.
    Results {
        /// The `Get`'s ticket.
        ticket: Ticket,
        /// The nodes returned.
        items: Vec<Node>,
    },
    /// The client's `Status` for a queued command (or a command nested in a queued `Atomic` or
    /// `Sequence`).
    Status {
        /// The queued command's ticket.
        ticket: Ticket,
        /// The command's element name (`Get`, `Replace`, ...).
        cmd: &'static str,
        /// Its `CmdID` in the message that carried it.
        cmd_id: CmdId,
        /// The status code.
        code: StatusCode,
    },
    /// The discovery job's answer.
    Discovery(DiscoveryAnswer),
    /// The session ended.
    Ended(SessionEnd),
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionEnd {
    /// Why.
    pub reason: EndReason,
    /// Whether the client authenticated in the session.
    pub authenticated: bool,
    /// The last `NextNonce` issued to the authenticated client: the nonce it uses next (in its
    /// next session's package 1 and in its sessionless reports). Persist it, with the replay
    /// state, atomically. `None` when none was issued: keep the nonce held before.
    pub next_nonce: Option<Nonce>,
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndReason {
    /// Both packages of the last exchange were complete and nothing was left to send.
    Completed,
    /// The client failed to authenticate twice (or a later message of an HMAC session failed).
    AuthenticationFailed,
    /// The peer sent Alert 1223 (session abort).
    Aborted,
    /// A message exceeded the receiver's `MaxMsgSize` (413), or the peer's `MaxMsgSize` is too
    /// small for the smallest reply.
    TooLarge,
    /// The session idled past its timeout.
    Expired,
    /// The session reached its message limit.
    TooManyMessages,
    /// A challenge asked for a scheme this client cannot answer.
    UnsupportedScheme,
}

/// Something a [`ClientSession`](crate::ClientSession) learnt.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server challenged (401/407); the client retries with the new nonce.
    Challenged {
        /// The status code (401 or 407).
        code: StatusCode,
    },
    /// The server accepted the credentials (212, or 200 in HMAC mode).
    Authenticated,
    /// The server's command was answered through the tree.
    Executed {
        /// The command's element name.
        cmd: &'static str,
        /// The status code answered.
        code: StatusCode,
    },
    /// The session ended.
    Ended(SessionEnd),
}
