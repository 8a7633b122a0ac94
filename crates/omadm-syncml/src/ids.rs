//! Validated identifiers and codes of the SyncML header and commands: each newtype can only hold a
//! value the representation protocol allows.

use core::fmt;
use core::num::NonZeroU32;
use core::str::FromStr;

use std::borrow::Cow;

use crate::error::ValueError;

/// Parses a decimal unsigned integer as SyncML writes it: ASCII digits only, no sign, no
/// whitespace (the decoder trims surrounding XML whitespace before calling this).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

macro_rules! nonzero_id {
    ($(#[$doc:meta])* $name:ident, $err:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(
            feature = "serde",
            derive(serde::Serialize, serde::Deserialize),
            serde(try_from = "u32", into = "u32")
        )]
        pub struct $name(NonZeroU32);

        impl $name {
            /// The first identifier, `1`.
            pub const MIN: Self = Self(NonZeroU32::MIN);

            /// Makes the identifier from a number; `0` is refused.
            pub const fn new(value: u32) -> Result<Self, ValueError> {
                match NonZeroU32::new(value) {
                    Some(v) => Ok(Self(v)),
                    None => Err(ValueError::$err),
                }
            }

            /// The number.
            pub const fn get(self) -> u32 {
                self.0.get()
            }

            /// The next identifier, or `None` when the number space is exhausted.
            pub const fn next(self) -> Option<Self> {
                match self.0.checked_add(1) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }
        }

        impl FromStr for $name {
            type Err = ValueError;

            /// Parses the element text: decimal digits, value 1 ..= 2^32-1.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let v = parse_decimal(s).ok_or(ValueError::$err)?;
                let v = u32::try_from(v).map_err(|_| ValueError::$err)?;
                Self::new(v)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<$name> for u32 {
            fn from(id: $name) -> u32 {
                id.get()
            }
        }

        impl TryFrom<u32> for $name {
            type Error = ValueError;

            fn try_from(v: u32) -> Result<Self, ValueError> {
                Self::new(v)
            }
        }
    };
}

nonzero_id!(
    /// `MsgID`: the message number within a session, a positive integer
    /// (XSD `positiveInteger`, bounded here to 32 bits). Sessionless reports number their
    /// messages from the account's persisted counter.
    MsgId,
    MsgId
);

nonzero_id!(
    /// `CmdID`: a command's number, unique within its message and never `0` (`0` is how a
    /// `Status` refers to the `SyncHdr`, see [`CmdRef`]).
    CmdId,
    CmdId
);

/// `CmdRef` in `Status` and `Results`: the `CmdID` of the command answered, or `0` for the
/// `SyncHdr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct CmdRef(u32);

impl CmdRef {
    /// The reference to the `SyncHdr` (`0`).
    pub const SYNC_HDR: CmdRef = CmdRef(0);

    /// A reference to a command.
    pub const fn to(cmd: CmdId) -> Self {
        Self(cmd.get())
    }

    /// The number (`0` for the header).
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for CmdRef {
    fn from(v: u32) -> Self {
        Self(v)
    }
}

impl FromStr for CmdRef {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = parse_decimal(s).ok_or(ValueError::CmdRef)?;
        u32::try_from(v).map(Self).map_err(|_| ValueError::CmdRef)
    }
}

impl fmt::Display for CmdRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<CmdRef> for u32 {
    fn from(r: CmdRef) -> u32 {
        r.get()
    }
}

/// `MsgRef` in `Status` and `Results`: the `MsgID` of the message that held the command answered.
///
/// The XSD gives it the type of `MsgID` (a positive integer), but real peers answer with `0` (a
/// Windows MDM check-in sends `<MsgRef>0</MsgRef>` in its Status for the server's header), so the
/// model reads any 32-bit number here, leniently, and keeps it as sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct MsgRef(u32);

impl MsgRef {
    /// A reference to a message.
    pub const fn to(msg: MsgId) -> Self {
        Self(msg.get())
    }

    /// The number (`0` only when a peer sent it).
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for MsgRef {
    fn from(v: u32) -> Self {
        Self(v)
    }
}

impl From<MsgId> for MsgRef {
    fn from(id: MsgId) -> Self {
        Self::to(id)
    }
}

impl FromStr for MsgRef {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = parse_decimal(s).ok_or(ValueError::MsgRef)?;
        u32::try_from(v).map(Self).map_err(|_| ValueError::MsgRef)
    }
}

impl fmt::Display for MsgRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<MsgRef> for u32 {
    fn from(r: MsgRef) -> u32 {
        r.get()
    }
}

/// `SessionID`: a session's identifier, 1 to [`SessionId::MAX_CHARS`] characters, without
/// whitespace, control characters or markup. Sessionless report messages use `0`
/// ([`SessionId::SESSIONLESS`]; the sessionless profile requires exactly that).
///
/// The XSD says `maxLength` 4, but real peers send longer ones (AOSP's DM test server sends
/// `18629`, data-sync servers send 10-digit ids), so the model accepts up to 32 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionId<'a>(Cow<'a, str>);

impl<'a> SessionId<'a> {
    /// `0`, the session identifier every sessionless report message carries.
    pub const SESSIONLESS: SessionId<'static> = SessionId(Cow::Borrowed("0"));

    /// The longest identifier accepted, in characters.
    pub const MAX_CHARS: usize = 32;

    /// Checks and wraps a session identifier.
    pub fn new(value: impl Into<Cow<'a, str>>) -> Result<Self, ValueError> {
        let value = value.into();
        let n = value.chars().count();
        let clean = value
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '<' && c != '&');
        if (1..=Self::MAX_CHARS).contains(&n) && clean {
            Ok(Self(value))
        } else {
            Err(ValueError::SessionId)
        }
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the sessionless identifier `0`.
    pub fn is_sessionless(&self) -> bool {
        &*self.0 == "0"
    }

    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> SessionId<'static> {
        SessionId(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for SessionId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An alert code: the `Data` of an `Alert` (DM RepPro, alert codes table). Any four-digit code is
/// representable; the named constants are the ones DM defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "u16", into = "u16")
)]
pub struct AlertCode(u16);

impl AlertCode {
    /// 1100 DISPLAY (user interaction).
    pub const DISPLAY: AlertCode = AlertCode(1100);
    /// 1101 CONFIRM OR REJECT.
    pub const CONFIRM_OR_REJECT: AlertCode = AlertCode(1101);
    /// 1102 TEXT INPUT.
    pub const TEXT_INPUT: AlertCode = AlertCode(1102);
    /// 1103 SINGLE CHOICE.
    pub const SINGLE_CHOICE: AlertCode = AlertCode(1103);
    /// 1104 MULTIPLE CHOICE.
    pub const MULTIPLE_CHOICE: AlertCode = AlertCode(1104);
    /// 1200 SERVER-INITIATED MGMT.
    pub const SERVER_INITIATED_MGMT: AlertCode = AlertCode(1200);
    /// 1201 CLIENT-INITIATED MGMT.
    pub const CLIENT_INITIATED_MGMT: AlertCode = AlertCode(1201);
    /// 1222 NEXT MESSAGE.
    pub const NEXT_MESSAGE: AlertCode = AlertCode(1222);
    /// 1223 SESSION ABORT.
    pub const SESSION_ABORT: AlertCode = AlertCode(1223);
    /// 1224 CLIENT EVENT.
    pub const CLIENT_EVENT: AlertCode = AlertCode(1224);
    /// 1225 NO END OF DATA.
    pub const NO_END_OF_DATA: AlertCode = AlertCode(1225);
    /// 1226 GENERIC ALERT.
    pub const GENERIC_ALERT: AlertCode = AlertCode(1226);
    /// 1230 SESSIONLESS REPORT (DM 1.3).
    pub const SESSIONLESS_REPORT: AlertCode = AlertCode(1230);

    /// Wraps a code; at most four decimal digits.
    pub const fn new(code: u16) -> Result<Self, ValueError> {
        if code <= 9999 {
            Ok(Self(code))
        } else {
            Err(ValueError::AlertCode)
        }
    }

    /// The numeric code.
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl FromStr for AlertCode {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = parse_decimal(s).ok_or(ValueError::AlertCode)?;
        u16::try_from(v)
            .map_err(|_| ValueError::AlertCode)
            .and_then(Self::new)
    }
}

impl fmt::Display for AlertCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<AlertCode> for u16 {
    fn from(code: AlertCode) -> u16 {
        code.get()
    }
}

impl TryFrom<u16> for AlertCode {
    type Error = ValueError;

    fn try_from(code: u16) -> Result<Self, ValueError> {
        Self::new(code)
    }
}

/// A status code: the `Data` of a `Status` (100 ..= 999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "u16", into = "u16")
)]
pub struct StatusCode(u16);

impl StatusCode {
    /// 200 OK.
    pub const OK: StatusCode = StatusCode(200);
    /// 202 Accepted for processing.
    pub const ACCEPTED: StatusCode = StatusCode(202);
    /// 212 Authentication accepted.
    pub const AUTHENTICATION_ACCEPTED: StatusCode = StatusCode(212);
    /// 213 Chunked item accepted and buffered.
    pub const CHUNKED_ITEM_ACCEPTED: StatusCode = StatusCode(213);
    /// 400 Bad request.
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401 Invalid credentials.
    pub const INVALID_CREDENTIALS: StatusCode = StatusCode(401);
    /// 403 Forbidden.
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404 Not found.
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405 Command not allowed.
    pub const COMMAND_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 407 Missing credentials.
    pub const MISSING_CREDENTIALS: StatusCode = StatusCode(407);
    /// 413 Request entity too large.
    pub const REQUEST_ENTITY_TOO_LARGE: StatusCode = StatusCode(413);
    /// 415 Unsupported media type or format.
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    /// 500 Command failed.
    pub const COMMAND_FAILED: StatusCode = StatusCode(500);

    /// Wraps a code in 100 ..= 999.
    pub const fn new(code: u16) -> Result<Self, ValueError> {
        if code >= 100 && code <= 999 {
            Ok(Self(code))
        } else {
            Err(ValueError::StatusCode)
        }
    }

    /// The numeric code.
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl FromStr for StatusCode {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let v = parse_decimal(s).ok_or(ValueError::StatusCode)?;
        u16::try_from(v)
            .map_err(|_| ValueError::StatusCode)
            .and_then(Self::new)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<StatusCode> for u16 {
    fn from(code: StatusCode) -> u16 {
        code.get()
    }
}

impl TryFrom<u16> for StatusCode {
    type Error = ValueError;

    fn try_from(code: u16) -> Result<Self, ValueError> {
        Self::new(code)
    }
}

/// Parses a MetInf count (`Size`, `MaxMsgSize`, `MaxObjSize`, `FreeMem`, `FreeID`): decimal digits.
///
/// Reached through [`crate::__private`] only (every codec reads counts the same way).
pub fn parse_count(s: &str) -> Result<u64, ValueError> {
    parse_decimal(s).ok_or(ValueError::Count)
}
