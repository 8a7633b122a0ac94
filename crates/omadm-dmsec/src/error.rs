//! The crate's error types: hand-written, free of secrets, matched on by kind.

use core::fmt;

/// A credential or MAC could not be produced or did not verify.
///
/// Like RustCrypto's `MacError`, [`AuthError::Rejected`] deliberately says nothing about *which*
/// part of a credential was wrong (user, secret, nonce, body or MAC): a server that tells a forger
/// which guess was closer helps the forger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthError {
    /// The credential or MAC did not verify (or could not even be decoded).
    Rejected,
    /// The stored secret cannot serve this scheme: a [`SecretDigest`](crate::SecretDigest) kept
    /// for one hash asked to serve the other, or a digest asked to produce auth-basic.
    /// This is a configuration problem on the caller's side, not peer input.
    UnusableSecret,
    /// The byte span to exclude from the MAC input does not lie within the message.
    SpanOutOfBounds,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rejected => "authentication failed",
            Self::UnusableSecret => "the stored secret cannot serve this scheme or hash",
            Self::SpanOutOfBounds => "excluded span lies outside the message",
        })
    }
}

impl core::error::Error for AuthError {}

/// An output buffer is shorter than what was to be written into it (a caller's sizing bug,
/// never peer input): [`needed`](Self::needed) says how long it must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferTooSmall {
    needed: usize,
}

impl BufferTooSmall {
    pub(crate) const fn new(needed: usize) -> Self {
        Self { needed }
    }

    /// The length, in bytes, the buffer must have.
    #[must_use]
    pub const fn needed(&self) -> usize {
        self.needed
    }
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "output buffer too small ({} bytes needed)", self.needed)
    }
}

impl core::error::Error for BufferTooSmall {}

/// A single value (nonce, MAC, digest, algorithm or scheme name) could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not standard, padded, canonical base64.
    Base64,
    /// Decoded to a length the value cannot have.
    Length,
    /// A name (algorithm, construction or auth type) that is not known.
    UnknownName,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Base64 => "invalid base64",
            Self::Length => "value has an invalid length",
            Self::UnknownName => "unknown name",
        })
    }
}

impl core::error::Error for DecodeError {}

/// What is wrong with a parameter list (`algorithm=…, username="…", mac=…`) or a username.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParamsErrorKind {
    /// The input is longer than [`MacParams::MAX_LEN`](crate::MacParams::MAX_LEN) bytes.
    TooLong,
    /// The input holds `<` or `&` (it travels verbatim inside XML and must not contain markup).
    Markup,
    /// The input does not follow the `name=value, name=value` grammar (empty element, missing
    /// `=`, unterminated quoted string, garbage after a value).
    Syntax,
    /// A parameter other than `algorithm`, `username` and `mac`.
    UnknownParam,
    /// A parameter given twice.
    Duplicate,
    /// `username` is absent.
    MissingUsername,
    /// `mac` is absent.
    MissingMac,
    /// `algorithm` names no supported hash.
    UnknownAlgorithm,
    /// `mac` is not standard, padded, canonical base64.
    MacBase64,
    /// `mac` decodes to a length other than the named algorithm's digest length.
    MacLength,
    /// The username is empty, longer than [`Username::MAX_LEN`](crate::Username::MAX_LEN) bytes,
    /// or holds a control character, `<`, `>` or `&`.
    Username,
}

/// A parameter list or username was rejected; carries the kind and the byte offset in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamsError {
    kind: ParamsErrorKind,
    offset: usize,
}

impl ParamsError {
    pub(crate) const fn new(kind: ParamsErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// What is wrong.
    #[must_use]
    pub const fn kind(&self) -> ParamsErrorKind {
        self.kind
    }

    /// Byte offset in the input where the problem was found.
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }
}

impl fmt::Display for ParamsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ParamsErrorKind::TooLong => "parameter list too long",
            ParamsErrorKind::Markup => "parameter list contains '<' or '&'",
            ParamsErrorKind::Syntax => "malformed parameter list",
            ParamsErrorKind::UnknownParam => "unknown parameter",
            ParamsErrorKind::Duplicate => "duplicate parameter",
            ParamsErrorKind::MissingUsername => "missing username parameter",
            ParamsErrorKind::MissingMac => "missing mac parameter",
            ParamsErrorKind::UnknownAlgorithm => "unknown algorithm",
            ParamsErrorKind::MacBase64 => "mac is not valid base64",
            ParamsErrorKind::MacLength => "mac length does not match the algorithm",
            ParamsErrorKind::Username => "invalid username",
        };
        write!(f, "{what} at byte {}", self.offset)
    }
}

impl core::error::Error for ParamsError {}
