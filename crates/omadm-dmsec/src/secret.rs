//! Secrets in the forms a client or server may hold: the password, or only its key digest.

use core::fmt;

use zeroize::Zeroizing;

use crate::error::{AuthError, DecodeError};
use crate::hash::{self, B64Buf, MAX_OUTPUT};
use crate::names::Algorithm;

/// A password (`AAuthSecret`): arbitrary bytes, wiped on drop, `[redacted]` in `Debug`.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps the secret bytes. Strings and byte vectors move in without a copy.
    #[must_use]
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The secret bytes. Named so that every use is visible in review.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<Vec<u8>> for Secret {
    fn from(v: Vec<u8>) -> Self {
        Self::new(v)
    }
}

/// The key digest `B64(H(username ":" password))` for one hash `H`.
///
/// DM Security lets the server keep only this value instead of the password; it is all that
/// auth-md5 (with `H` = MD5) and both MAC constructions (with the MAC's `H`) need. A digest
/// serves its own hash only: an MD5 digest cannot check a SHA-256 MAC and the other way round,
/// and no digest can *produce* an auth-basic credential. It is as sensitive as the password for
/// these schemes, so it is wiped on drop and `[redacted]` in `Debug`.
#[derive(Clone)]
pub struct SecretDigest {
    algorithm: Algorithm,
    b64: B64Buf,
}

impl SecretDigest {
    /// Computes `B64(H(username ":" password))`.
    #[must_use]
    pub fn compute(algorithm: Algorithm, username: &str, password: &Secret) -> Self {
        Self {
            algorithm,
            b64: hash::key_digest(algorithm, username.as_bytes(), password.expose()),
        }
    }

    /// Takes a stored digest in its base64 form; the hash follows from the decoded length
    /// (16 bytes: MD5, 32 bytes: SHA-256).
    ///
    /// # Errors
    /// [`DecodeError::Base64`] if the text is not padded, canonical standard base64;
    /// [`DecodeError::Length`] if it decodes to neither 16 nor 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, DecodeError> {
        let mut raw = Zeroizing::new([0u8; MAX_OUTPUT + 1]);
        let len = hash::decode_into(text.as_bytes(), &mut raw[..]).ok_or(DecodeError::Base64)?;
        let algorithm = Algorithm::ALL
            .into_iter()
            .find(|a| a.output_len() == len)
            .ok_or(DecodeError::Length)?;
        let b64 = B64Buf::from_text(text.as_bytes()).ok_or(DecodeError::Length)?;
        Ok(Self { algorithm, b64 })
    }

    /// The hash this digest was made with.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The base64 text, for storage. Named so that every use is visible in review.
    #[must_use]
    pub fn expose_base64(&self) -> &str {
        self.b64.as_str()
    }

    pub(crate) fn b64_bytes(&self) -> &[u8] {
        self.b64.as_bytes()
    }

    pub(crate) const fn b64(&self) -> &B64Buf {
        &self.b64
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretDigest")
            .field("algorithm", &self.algorithm)
            .field("digest", &format_args!("[redacted]"))
            .finish()
    }
}

/// What a party holds to authenticate a user: the password, or only a key digest.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum StoredSecret {
    /// The password itself: serves every scheme and hash.
    Password(Secret),
    /// Only `B64(H(username ":" password))`: serves the MAC constructions with the same `H`,
    /// auth-md5 when `H` is MD5, and auth-basic *verification*.
    Digest(SecretDigest),
}

impl StoredSecret {
    /// The key digest for `algorithm`: computed from the password, or the stored digest if it
    /// was made with the same hash.
    ///
    /// # Errors
    /// [`AuthError::UnusableSecret`] if a stored digest was made with another hash.
    pub fn digest_for(
        &self,
        algorithm: Algorithm,
        username: &str,
    ) -> Result<SecretDigest, AuthError> {
        match self {
            Self::Password(password) => Ok(SecretDigest::compute(algorithm, username, password)),
            Self::Digest(digest) if digest.algorithm == algorithm => Ok(digest.clone()),
            Self::Digest(_) => Err(AuthError::UnusableSecret),
        }
    }
}

impl From<Secret> for StoredSecret {
    fn from(secret: Secret) -> Self {
        Self::Password(secret)
    }
}

impl From<SecretDigest> for StoredSecret {
    fn from(digest: SecretDigest) -> Self {
        Self::Digest(digest)
    }
}
