//! The named choices of DM security: hash algorithm, MAC construction, where the proof travels
//! (carrier) and Cred auth type, and the name of the `x-syncml-hmac` transport header.

use core::fmt;
use core::str::FromStr;

use crate::error::DecodeError;

/// `Display` (the canonical name, `as_str`) and `FromStr` (any name of `ALL`, ASCII
/// case-insensitive; [`DecodeError::UnknownName`] otherwise) for an enum of named choices.
macro_rules! named_choice {
    ($ty:ty) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = DecodeError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|c| c.as_str().eq_ignore_ascii_case(s))
                    .ok_or(DecodeError::UnknownName)
            }
        }
    };
}

/// The hash `H` of a MAC (and of the `B64(H(user ":" secret))` key digest).
///
/// The set is closed by the specifications we implement (DM 1.2 `MD5`, DM 1.3 `SHA256`), but a
/// later DM version may add one, hence `#[non_exhaustive]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// MD5: DM 1.2 "HMAC-MD5" (`algorithm=MD5`); 16-byte MACs, 24 base64 characters.
    Md5,
    /// SHA-256: "HMAC-SHA256" (`algorithm=SHA256`), the default; 32-byte MACs, 44 base64
    /// characters.
    #[default]
    Sha256,
}

impl Algorithm {
    /// Every algorithm, in a stable order.
    pub const ALL: [Self; 2] = [Self::Md5, Self::Sha256];

    /// The canonical token written in `algorithm=…`: `MD5` or `SHA256`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA256",
        }
    }

    /// Length in bytes of this algorithm's digest and MAC (16 or 32).
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha256 => 32,
        }
    }

    /// Length in characters of the padded base64 of a digest or MAC (24 or 44).
    #[must_use]
    pub const fn base64_len(self) -> usize {
        match self {
            Self::Md5 => 24,
            Self::Sha256 => 44,
        }
    }

    /// Parses a token as found in `algorithm=…`: `MD5`, `SHA256`, and the aliases `SHA-256`,
    /// `HMAC-MD5`, `HMAC-SHA256`, all ASCII case-insensitive. The alias names the hash only:
    /// `HMAC-SHA256` does not select the RFC 2104 construction.
    ///
    /// # Errors
    /// [`DecodeError::UnknownName`] for any other token.
    pub fn from_token(token: &str) -> Result<Self, DecodeError> {
        const TOKENS: [(&str, Algorithm); 5] = [
            ("MD5", Algorithm::Md5),
            ("HMAC-MD5", Algorithm::Md5),
            ("SHA256", Algorithm::Sha256),
            ("SHA-256", Algorithm::Sha256),
            ("HMAC-SHA256", Algorithm::Sha256),
        ];
        TOKENS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(token))
            .map(|&(_, algorithm)| algorithm)
            .ok_or(DecodeError::UnknownName)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_token(s)
    }
}

/// How the MAC is built from the key digest, the nonce and the body hash.
///
/// Both constructions use the same key material, `K = B64(H(username ":" secret))`, and the same
/// body part, `B = B64(H(body))`:
///
/// * [`Construction::Digest`] (the default, DM 1.2 `syncml:auth-MAC`):
///   `B64(H(K ":" nonce ":" B))`;
/// * [`Construction::Rfc2104`]: `B64(HMAC-H(key = K, msg = nonce ":" B))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Construction {
    /// The nested digest of DM Security 1.2 (what DM 1.2 calls "HMAC-MD5").
    #[default]
    Digest,
    /// A real RFC 2104 HMAC keyed with the key digest (opt-in; seen in the wild).
    Rfc2104,
}

impl Construction {
    /// Every construction, in a stable order.
    pub const ALL: [Self; 2] = [Self::Digest, Self::Rfc2104];

    /// A configuration name: `digest` or `rfc2104` (`FromStr` reads it in any ASCII case).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Digest => "digest",
            Self::Rfc2104 => "rfc2104",
        }
    }
}

named_choice!(Construction);

/// The name of the transport header that carries the MAC in the [`Carrier::Header`] mode
/// (DM Security 1.2, HTTP binding): `x-syncml-hmac`. Header names are case-insensitive.
pub const HMAC_HEADER: &str = "x-syncml-hmac";

/// Where the proof of origin travels: the one name the emitter, the verifier and the `omadm`
/// tool use for it.
///
/// * [`Carrier::InMessage`] (the default, transport-neutral): an auth-MAC `SyncHdr/Cred` whose
///   `Data` is the parameter list; the MAC covers the message without the `Cred/Data` content.
/// * [`Carrier::Header`]: the [`HMAC_HEADER`] transport header over the whole body, with an
///   auth-md5 `Cred` in the message built from the same nonce.
/// * [`Carrier::Transport`]: no MAC, an auth-md5 `Cred` alone, for a transport that
///   authenticates the peer itself (TLS client certificates).
///
/// The set is closed by definition (the proof is in the message, beside it in the transport's
/// header, or below it in the transport), so the enum is not `#[non_exhaustive]`: users match
/// on it without a wildcard arm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Carrier {
    /// An auth-MAC `SyncHdr/Cred` whose `Data` is the parameter list.
    #[default]
    InMessage,
    /// The `x-syncml-hmac` transport header, with an auth-md5 `Cred` in the message.
    Header,
    /// No MAC: an auth-md5 `Cred` on a transport that authenticated the peer.
    Transport,
}

impl Carrier {
    /// Every carrier, in a stable order.
    pub const ALL: [Self; 3] = [Self::InMessage, Self::Header, Self::Transport];

    /// A stable name: `in-message`, `header` or `transport` (`FromStr` reads it in any ASCII
    /// case).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InMessage => "in-message",
            Self::Header => "header",
            Self::Transport => "transport",
        }
    }

    /// Whether the carrier holds a MAC (the in-message and header carriers do).
    #[must_use]
    pub const fn has_mac(self) -> bool {
        !matches!(self, Self::Transport)
    }

    /// The auth type of the `SyncHdr/Cred` that goes with this carrier: auth-MAC in the
    /// message, auth-md5 with the header or the transport.
    #[must_use]
    pub const fn cred_type(self) -> AuthType {
        match self {
            Self::InMessage => AuthType::Mac,
            Self::Header | Self::Transport => AuthType::Md5,
        }
    }
}

named_choice!(Carrier);

/// The `Meta/Type` of a `Cred`: which authentication scheme the credential uses.
///
/// Only the three schemes this crate implements are listed; `syncml:auth-X509` and the token
/// schemes are out of scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AuthType {
    /// `syncml:auth-basic`: `B64(username ":" password)`.
    Basic,
    /// `syncml:auth-md5`: `B64(MD5(B64(MD5(username ":" password)) ":" nonce))`.
    Md5,
    /// `syncml:auth-MAC`: a MAC over the message (see [`MacKey`](crate::MacKey)).
    Mac,
}

impl AuthType {
    /// Every auth type, in a stable order.
    pub const ALL: [Self; 3] = [Self::Basic, Self::Md5, Self::Mac];

    /// The canonical `Meta/Type` value: `syncml:auth-basic`, `syncml:auth-md5` or
    /// `syncml:auth-MAC` (`FromStr` reads it in any ASCII case: `syncml:auth-mac` is accepted).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "syncml:auth-basic",
            Self::Md5 => "syncml:auth-md5",
            Self::Mac => "syncml:auth-MAC",
        }
    }

    /// Whether the scheme hashes a nonce (auth-md5 and auth-MAC do).
    #[must_use]
    pub const fn needs_nonce(self) -> bool {
        !matches!(self, Self::Basic)
    }
}

named_choice!(AuthType);
