//! Why a message was ignored (for operators' logs and metrics, never for the sender), and the
//! error of reading a persisted replay state.

use core::fmt;

use omadm_dmsec::{Carrier, ParamsError};
use omadm_syncml::sessionless::Violation;

/// Why the verifier ignored a message.
///
/// Every variant has a stable short name ([`as_str`](Self::as_str), e.g. `"bad-mac"`) for metrics
/// labels and a one-line lowercase [`Display`](fmt::Display) for logs. Nothing here is meant for
/// the sender: the DM server answers an ignored message exactly as an accepted one.
///
/// The variants are listed in the order the verifier checks them (see the crate docs).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IgnoreReason {
    /// The body is larger than the server's MaxMsgSize. Checked before anything is read.
    TooLarge {
        /// The body's length in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not a well-formed SyncML DM message within the decoder's limits (including a
    /// document type declaration, an entity, excessive depth or element count).
    Malformed(omadm_xml::Error),
    /// The `Content-Type` names neither DM media type (`application/vnd.syncml.dm+xml`,
    /// `application/vnd.syncml.dm+wbxml`). Checked before anything is read.
    UnsupportedMediaType,
    /// The `Content-Type` names one encoding and the body's first byte shows the other (a
    /// WBXML version byte under the XML media type, or anything else under the WBXML one).
    MediaTypeMismatch,
    /// The body (sent as WBXML) is not a well-formed SyncML DM WBXML document within the
    /// decoder's limits.
    MalformedWbxml(omadm_wbxml::Error),
    /// The header carries no `Cred` (DM-SR-C-006-M).
    MissingCred,
    /// The `Cred` names a scheme the sessionless profile cannot authenticate with: no `Meta/Type`
    /// (which means `syncml:auth-basic`), `syncml:auth-basic`, or an unknown type; or its
    /// `Meta/Format` is not the scheme's (`chr` or none for auth-MAC, `b64` for auth-md5).
    UnsupportedScheme,
    /// The `Cred/Data` content holds markup, an entity or character reference, a comment or a
    /// CDATA section, so its raw bytes (which the MAC excludes) and its text could differ; in
    /// WBXML, it is not exactly one inline string (`STR_I`); or,
    /// for the in-message carrier, it is not exactly the canonical parameter list
    /// `algorithm=SHA256, username="…", mac=…` (the bytes the MAC excludes may not vary).
    BadCredData,
    /// The MAC parameter list (in `Cred/Data` or the `x-syncml-hmac` header) does not parse:
    /// bad syntax, an unknown algorithm token, a MAC of the wrong length, a missing username.
    BadMacParams(ParamsError),
    /// The message carries an auth-MAC `Cred` and an `x-syncml-hmac` header.
    BothCarriers,
    /// An auth-md5 `Cred` without any MAC, on a transport that did not authenticate the peer.
    TransportNotAuthenticated,
    /// The username the MAC names is not `SyncHdr/Source/LocName` (or there is no `LocName`).
    IdentityMismatch,
    /// No device is known for the claimed username. The verifier returns it when the secret
    /// handed to it belongs to another user; the caller returns it when its lookup fails
    /// (`Ignored::new(IgnoreReason::UnknownDevice)`).
    UnknownDevice,
    /// The message uses a carrier, hash or construction that is not the one pinned for the device.
    WrongScheme(Pinned),
    /// The MAC does not verify (checked in constant time over the raw bytes).
    BadMac,
    /// The auth-md5 `Cred` does not verify (header and transport carriers).
    BadCredential,
    /// `SyncHdr/Source/LocURI` is not the device id held for the username.
    DeviceMismatch,
    /// The message breaks a rule of the sessionless profile (the first one found).
    NotSessionless(Violation),
    /// The `MsgID` was already accepted under this nonce, or is older than the 64-wide window.
    Replayed,
    /// A bug on this side, never the peer's doing: a check of this crate or its dependencies
    /// disagreed with another (the profile check passed but did not yield one report per
    /// command), or an internal step failed (the decoder's `Cred/Data` span outside the message,
    /// a key the device's policy needs missing). The message is ignored rather than accepted
    /// with different content, under its own name (`internal`) so that operators count it apart
    /// from the peer's failures (it is never reported as [`BadMac`](Self::BadMac)).
    Internal,
}

/// Which pinned setting a message did not match ([`IgnoreReason::WrongScheme`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Pinned {
    /// The carrier (in-message, header, transport) is not allowed for the device.
    Carrier(Carrier),
    /// The MAC's hash is not the device's.
    Algorithm,
}

impl IgnoreReason {
    /// The stable short name, for metrics labels: `too-large`, `unsupported-media-type`,
    /// `media-type-mismatch`, `malformed` (XML or WBXML), `missing-cred`,
    /// `unsupported-scheme`, `bad-cred-data`, `bad-mac-params`, `both-carriers`,
    /// `transport-not-authenticated`, `identity-mismatch`, `unknown-device`, `wrong-scheme`,
    /// `bad-mac`, `bad-credential`, `device-mismatch`, `not-sessionless`, `replayed`, `internal`.
    #[must_use]
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too-large",
            Self::Malformed(_) | Self::MalformedWbxml(_) => "malformed",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::MediaTypeMismatch => "media-type-mismatch",
            Self::MissingCred => "missing-cred",
            Self::UnsupportedScheme => "unsupported-scheme",
            Self::BadCredData => "bad-cred-data",
            Self::BadMacParams(_) => "bad-mac-params",
            Self::BothCarriers => "both-carriers",
            Self::TransportNotAuthenticated => "transport-not-authenticated",
            Self::IdentityMismatch => "identity-mismatch",
            Self::UnknownDevice => "unknown-device",
            Self::WrongScheme(_) => "wrong-scheme",
            Self::BadMac => "bad-mac",
            Self::BadCredential => "bad-credential",
            Self::DeviceMismatch => "device-mismatch",
            Self::NotSessionless(_) => "not-sessionless",
            Self::Replayed => "replayed",
            Self::Internal => "internal",
        }
    }

    /// The spec's static conformance requirement id the reason stands for, when it has one
    /// (`DM-SR-C-006-M` for a missing `Cred`, the violated rule's id for
    /// [`NotSessionless`](Self::NotSessionless)).
    #[must_use]
    pub fn conformance_id(&self) -> Option<&'static str> {
        match self {
            Self::MissingCred => Some("DM-SR-C-006-M"),
            Self::NotSessionless(v) => v.rule.conformance_id(),
            _ => None,
        }
    }
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => {
                write!(
                    f,
                    "message of {size} bytes exceeds the limit of {limit} bytes"
                )
            }
            Self::Malformed(e) => write!(f, "malformed message: {e}"),
            Self::MalformedWbxml(e) => write!(f, "malformed wbxml message: {e}"),
            Self::UnsupportedMediaType => f.write_str("the content type is no dm media type"),
            Self::MediaTypeMismatch => {
                f.write_str("the content type names one encoding and the body is the other")
            }
            Self::MissingCred => f.write_str("the header carries no cred (DM-SR-C-006-M)"),
            Self::UnsupportedScheme => {
                f.write_str("the cred uses no scheme usable for sessionless reports")
            }
            Self::BadCredData => f.write_str(
                "the cred data holds markup, a reference, a comment or cdata, or is not canonical",
            ),
            Self::BadMacParams(e) => write!(f, "bad mac parameter list: {e}"),
            Self::BothCarriers => {
                f.write_str("both an auth-mac cred and an x-syncml-hmac header are present")
            }
            Self::TransportNotAuthenticated => f.write_str(
                "auth-md5 without a mac on a transport that did not authenticate the peer",
            ),
            Self::IdentityMismatch => {
                f.write_str("the mac's username is not the header's source locname")
            }
            Self::UnknownDevice => f.write_str("no device is known for the username"),
            Self::WrongScheme(Pinned::Carrier(c)) => {
                write!(f, "carrier {c} is not pinned for the device")
            }
            Self::WrongScheme(Pinned::Algorithm) => {
                f.write_str("the mac's algorithm is not the one pinned for the device")
            }
            Self::BadMac => f.write_str("the mac does not verify"),
            Self::BadCredential => f.write_str("the auth-md5 credential does not verify"),
            Self::DeviceMismatch => {
                f.write_str("the header's source locuri is not the device id held for the username")
            }
            Self::NotSessionless(v) => write!(f, "not a sessionless report message: {v}"),
            Self::Replayed => f.write_str("msgid replayed or older than the anti-replay window"),
            Self::Internal => {
                f.write_str("internal error of the verifier (a bug, not the peer's doing)")
            }
        }
    }
}

/// A message the verifier ignored, and why. It is a value for the operator: the sender learns
/// nothing from it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Ignored(IgnoreReason);

impl Ignored {
    /// Wraps a reason (e.g. [`IgnoreReason::UnknownDevice`] when the caller's lookup fails).
    pub const fn new(reason: IgnoreReason) -> Self {
        Self(reason)
    }

    /// Why.
    #[must_use]
    pub const fn reason(&self) -> &IgnoreReason {
        &self.0
    }

    /// The reason, by value.
    #[must_use]
    pub fn into_reason(self) -> IgnoreReason {
        self.0
    }
}

impl From<IgnoreReason> for Ignored {
    fn from(reason: IgnoreReason) -> Self {
        Self(reason)
    }
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ignored ({}): {}", self.0.as_str(), self.0)
    }
}

impl core::error::Error for Ignored {}

/// A persisted [`ReplayState`](crate::ReplayState) could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplayStateError {
    /// The format version is not one this crate reads.
    Version,
    /// The input ends before the state does.
    Truncated,
    /// Bytes follow the state.
    TrailingBytes,
    /// More windows than [`ReplayState::MAX_WINDOWS`](crate::ReplayState::MAX_WINDOWS).
    TooManyWindows,
    /// A nonce of invalid length.
    Nonce,
    /// The same nonce holds two windows.
    DuplicateNonce,
    /// A window whose highest `MsgID` and seen map disagree.
    Window,
}

impl fmt::Display for ReplayStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Version => "unknown replay state version",
            Self::Truncated => "truncated replay state",
            Self::TrailingBytes => "bytes after the replay state",
            Self::TooManyWindows => "too many windows in the replay state",
            Self::Nonce => "invalid nonce in the replay state",
            Self::DuplicateNonce => "nonce held twice in the replay state",
            Self::Window => "inconsistent window in the replay state",
        })
    }
}

impl core::error::Error for ReplayStateError {}
