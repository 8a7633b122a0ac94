//! The errors of the data model: a value that a validated type refuses.

use core::fmt;

/// A text or number that a validated model type does not accept. It names the type, never the
/// value (the value may come from a peer and be arbitrarily large).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueError {
    /// `MsgID`: not a decimal integer in 1 ..= 2^32-1.
    MsgId,
    /// `MsgRef`: not a decimal integer in 0 ..= 2^32-1 (`0` is read leniently, see
    /// [`MsgRef`](crate::MsgRef)).
    MsgRef,
    /// `CmdID`: not a decimal integer in 1 ..= 2^32-1.
    CmdId,
    /// `CmdRef`: not a decimal integer in 0 ..= 2^32-1.
    CmdRef,
    /// `SessionID`: empty, longer than 32 characters, or holding whitespace, a control
    /// character, `<` or `&`.
    SessionId,
    /// Alert code: not a decimal integer of at most four digits.
    AlertCode,
    /// Status code: not a decimal integer in 100 ..= 999.
    StatusCode,
    /// A MetInf count (`Size`, `MaxMsgSize`, ...): not a decimal integer.
    Count,
    /// `Format`: not a MetInf format token.
    Format,
    /// `Mark`: not one of the Generic Alert importance levels.
    Mark,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueError::MsgId => "invalid MsgID: expected an integer in 1..=4294967295",
            ValueError::MsgRef => "invalid MsgRef: expected an integer in 0..=4294967295",
            ValueError::CmdId => "invalid CmdID: expected an integer in 1..=4294967295",
            ValueError::CmdRef => "invalid CmdRef: expected an integer in 0..=4294967295",
            ValueError::SessionId => "invalid SessionID: expected 1 to 32 characters",
            ValueError::AlertCode => "invalid alert code: expected at most four digits",
            ValueError::StatusCode => "invalid status code: expected an integer in 100..=999",
            ValueError::Count => "invalid count: expected a decimal integer",
            ValueError::Format => "invalid Format: not a MetInf format",
            ValueError::Mark => "invalid Mark: not a Generic Alert importance level",
        })
    }
}

impl core::error::Error for ValueError {}
