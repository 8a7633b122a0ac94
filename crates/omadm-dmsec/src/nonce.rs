//! The nonce a server hands out in `Chal/Meta/NextNonce`: arbitrary bytes, base64 on the wire.

use core::fmt;

use crate::error::DecodeError;
use crate::hash;

/// A nonce as the hash functions see it: the *decoded* bytes of a `NextNonce`.
///
/// Nonces are arbitrary binary (the spec's own examples include non-UTF-8 ones) of
/// [`Nonce::MIN_LEN`]`..=`[`Nonce::MAX_LEN`] bytes. A nonce is not a secret (it travels in clear),
/// so `Debug` shows its base64.
#[derive(Clone, Copy)]
pub struct Nonce {
    bytes: [u8; Self::MAX_LEN],
    len: u8,
}

impl Nonce {
    /// Shortest nonce accepted, in bytes.
    pub const MIN_LEN: usize = 1;
    /// Longest nonce accepted, in bytes (DM recommends 16; 64 leaves ample room).
    pub const MAX_LEN: usize = 64;

    /// Takes raw nonce bytes.
    ///
    /// # Errors
    /// [`DecodeError::Length`] unless `1 <= bytes.len() <= 64`.
    pub fn new(bytes: &[u8]) -> Result<Self, DecodeError> {
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            return Err(DecodeError::Length);
        }
        let mut nonce = Self {
            bytes: [0; Self::MAX_LEN],
            len: u8::try_from(bytes.len()).map_err(|_| DecodeError::Length)?,
        };
        nonce.bytes[..bytes.len()].copy_from_slice(bytes);
        Ok(nonce)
    }

    /// Decodes the base64 text of a `NextNonce` (standard alphabet, canonical padding, no
    /// whitespace: trim XML text before calling).
    ///
    /// # Errors
    /// [`DecodeError::Base64`] for invalid base64 (including text longer than any allowed
    /// nonce), [`DecodeError::Length`] for a decoded length outside `1..=64`.
    pub fn from_base64(text: &str) -> Result<Self, DecodeError> {
        let mut raw = [0u8; Self::MAX_LEN + 3];
        let len = hash::decode_into(text.as_bytes(), &mut raw).ok_or(DecodeError::Base64)?;
        Self::new(&raw[..len])
    }

    /// The padded standard base64 text, as written in `NextNonce`.
    #[must_use]
    pub fn to_base64(&self) -> String {
        hash::encode(self.as_bytes())
    }

    /// The raw bytes, as hashed.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

impl PartialEq for Nonce {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Nonce {}

impl core::hash::Hash for Nonce {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", self.to_base64())
    }
}

impl fmt::Display for Nonce {
    /// The base64 text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}
