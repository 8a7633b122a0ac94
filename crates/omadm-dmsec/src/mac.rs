//! `syncml:auth-MAC`: the MAC value, and the per-device pre-keyed state that computes and
//! verifies it over a message given whole, in pieces, or with the `Cred/Data` span cut out.

use core::fmt;
use core::ops::Range;

use base64ct::{Base64, Encoding as _};
use hmac::{Hmac, KeyInit as _, Mac as _};
use md5::Digest;
use md5::Md5;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroize as _;

use crate::error::{AuthError, BufferTooSmall, DecodeError};
use crate::hash::{self, B64Buf, MAX_OUTPUT};
use crate::names::{Algorithm, Construction};
use crate::nonce::Nonce;
use crate::secret::{SecretDigest, StoredSecret};

/// A MAC value: 16 bytes (MD5) or 32 bytes (SHA-256), base64 on the wire.
///
/// A MAC is not secret (it travels in the message) but comparing two is still constant-time:
/// `==` on `Mac` does not return early.
#[derive(Clone, Copy)]
pub struct Mac {
    algorithm: Algorithm,
    bytes: [u8; MAX_OUTPUT],
}

impl Mac {
    /// Takes raw MAC bytes for `algorithm`.
    ///
    /// # Errors
    /// [`DecodeError::Length`] if `bytes` is not exactly `algorithm.output_len()` long.
    pub fn new(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() != algorithm.output_len() {
            return Err(DecodeError::Length);
        }
        let mut mac = Self {
            algorithm,
            bytes: [0; MAX_OUTPUT],
        };
        hash::copy_out(bytes, &mut mac.bytes);
        Ok(mac)
    }

    /// Decodes base64 text; the algorithm follows from the length (24 characters: MD5,
    /// 44 characters: SHA-256).
    ///
    /// # Errors
    /// [`DecodeError::Base64`] for anything but padded, canonical standard base64;
    /// [`DecodeError::Length`] if it decodes to neither 16 nor 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, DecodeError> {
        let mut raw = [0u8; MAX_OUTPUT + 1];
        let len = hash::decode_into(text.as_bytes(), &mut raw).ok_or(DecodeError::Base64)?;
        let algorithm = Algorithm::ALL
            .into_iter()
            .find(|a| a.output_len() == len)
            .ok_or(DecodeError::Length)?;
        Self::new(algorithm, &raw[..len])
    }

    /// The hash that produced this MAC.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw MAC bytes (16 or 32).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.algorithm.output_len()]
    }

    /// The padded standard base64 text (24 or 44 characters).
    #[must_use]
    pub fn to_base64(&self) -> String {
        String::from(self.base64().as_str())
    }

    /// Writes the padded standard base64 text into the front of `out`, without allocating
    /// (`base64ct`, constant-time), and returns its length:
    /// [`algorithm().base64_len()`](Algorithm::base64_len), 24 or 44. Size `out` with
    /// [`Algorithm::base64_len`], or take 44 bytes, which hold either.
    ///
    /// # Errors
    /// [`BufferTooSmall`] (naming the length needed) if `out` is shorter than that; `out` is
    /// then left as it was.
    pub fn write_base64(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let needed = self.algorithm.base64_len();
        let out = out.get_mut(..needed).ok_or(BufferTooSmall::new(needed))?;
        Base64::encode(self.as_bytes(), out)
            .map(str::len)
            .map_err(|_| BufferTooSmall::new(needed))
    }

    /// The base64 text on the stack.
    fn base64(&self) -> B64Buf {
        B64Buf::encode(self.as_bytes())
    }
}

impl PartialEq for Mac {
    /// Constant-time in the MAC bytes.
    fn eq(&self, other: &Self) -> bool {
        // The algorithm is public (it is written next to the MAC); the bytes are compared
        // without an early exit. Unused tail bytes are zero for both MD5 MACs. The four 8-byte
        // words are XOR-folded (no branch), then one `subtle` comparison with zero: `subtle`'s
        // byte-slice `ct_eq` costs ten times as much here (docs/PERFORMANCE.md).
        let (ours, _) = self.bytes.as_chunks::<8>();
        let (theirs, _) = other.bytes.as_chunks::<8>();
        let diff = ours.iter().zip(theirs).fold(0u64, |diff, (a, b)| {
            diff | (u64::from_ne_bytes(*a) ^ u64::from_ne_bytes(*b))
        });
        let same_bytes: bool = diff.ct_eq(&0).into();
        same_bytes & (self.algorithm == other.algorithm)
    }
}

impl Eq for Mac {}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mac({}, {})", self.algorithm, self.base64().as_str())
    }
}

impl fmt::Display for Mac {
    /// The base64 text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base64().as_str())
    }
}

/// The pre-keyed MAC state of one device: built once from (algorithm, construction, user,
/// secret), then every MAC costs one hash of the body plus a constant.
///
/// `K = B64(H(username ":" secret))` is computed once. For [`Construction::Digest`] the state is
/// a hasher that has absorbed `K ":"` (cloned for every MAC); for [`Construction::Rfc2104`] it
/// is an HMAC whose inner and outer pads are already absorbed. The state is wiped on drop and
/// `[redacted]` in `Debug`.
#[derive(Clone)]
pub struct MacKey {
    algorithm: Algorithm,
    construction: Construction,
    state: KeyState,
}

impl MacKey {
    /// Builds the state from a password or a stored key digest.
    ///
    /// # Errors
    /// [`AuthError::UnusableSecret`] if `secret` is a digest made with another hash than
    /// `algorithm`.
    pub fn new(
        algorithm: Algorithm,
        construction: Construction,
        username: &str,
        secret: &StoredSecret,
    ) -> Result<Self, AuthError> {
        match secret {
            StoredSecret::Password(password) => {
                let key = hash::key_digest(algorithm, username.as_bytes(), password.expose());
                Ok(Self::from_key(algorithm, construction, key))
            }
            StoredSecret::Digest(digest) if digest.algorithm() == algorithm => {
                Ok(Self::from_digest(construction, digest))
            }
            StoredSecret::Digest(_) => Err(AuthError::UnusableSecret),
        }
    }

    /// Builds the state from a key digest (the hash is the digest's).
    #[must_use]
    pub fn from_digest(construction: Construction, digest: &SecretDigest) -> Self {
        Self::from_key(digest.algorithm(), construction, digest.b64().clone())
    }

    /// Builds the state from `K`, the base64 text of the key digest.
    fn from_key(algorithm: Algorithm, construction: Construction, key: B64Buf) -> Self {
        let state = match (algorithm, construction) {
            (Algorithm::Md5, Construction::Digest) => KeyState::DigestMd5(digest_keyed(&key)),
            (Algorithm::Sha256, Construction::Digest) => KeyState::DigestSha256(digest_keyed(&key)),
            (Algorithm::Md5, Construction::Rfc2104) => {
                KeyState::HmacMd5(Box::new(hmac_keyed(key.as_bytes())))
            }
            (Algorithm::Sha256, Construction::Rfc2104) => {
                KeyState::HmacSha256(Box::new(hmac_keyed(key.as_bytes())))
            }
        };
        Self {
            algorithm,
            construction,
            state,
        }
    }

    /// The hash of the MACs this key makes.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The construction of the MACs this key makes.
    #[must_use]
    pub const fn construction(&self) -> Construction {
        self.construction
    }

    /// The MAC over `body` (the exact octets sent).
    #[must_use]
    pub fn mac(&self, nonce: &Nonce, body: &[u8]) -> Mac {
        self.mac_parts(nonce, &[body])
    }

    /// The MAC over the concatenation of `parts`, hashed in order without copying them.
    #[must_use]
    pub fn mac_parts(&self, nonce: &Nonce, parts: &[&[u8]]) -> Mac {
        let body_b64 = hash::body_part(self.algorithm, parts);
        let body = body_b64.as_bytes();
        let mut out = [0u8; MAX_OUTPUT];
        match &self.state {
            KeyState::DigestMd5(prefix) => digest_mac(prefix, nonce, body, &mut out),
            KeyState::DigestSha256(prefix) => digest_mac(prefix, nonce, body, &mut out),
            KeyState::HmacMd5(keyed) => hmac_mac(keyed, nonce, body, &mut out),
            KeyState::HmacSha256(keyed) => hmac_mac(keyed, nonce, body, &mut out),
        }
        Mac {
            algorithm: self.algorithm,
            bytes: out,
        }
    }

    /// The MAC over `message` with the bytes in `excluded` removed: `message[..start]` then
    /// `message[end..]` are hashed in two pieces, without a copy. This is the in-message
    /// carrier's rule, where `excluded` is the content of `SyncHdr/Cred/Data`.
    ///
    /// # Errors
    /// [`AuthError::SpanOutOfBounds`] if `start > end` or `end > message.len()`.
    pub fn mac_excluding(
        &self,
        nonce: &Nonce,
        message: &[u8],
        excluded: Range<usize>,
    ) -> Result<Mac, AuthError> {
        let (before, after) = split_around(message, excluded)?;
        Ok(self.mac_parts(nonce, &[before, after]))
    }

    /// Checks `mac` against the MAC over `body`, in constant time.
    ///
    /// # Errors
    /// [`AuthError::Rejected`] if it does not match (including a MAC of another algorithm).
    pub fn verify(&self, nonce: &Nonce, body: &[u8], mac: &Mac) -> Result<(), AuthError> {
        self.verify_parts(nonce, &[body], mac)
    }

    /// Checks `mac` against the MAC over the concatenation of `parts`, in constant time.
    ///
    /// # Errors
    /// [`AuthError::Rejected`] if it does not match.
    pub fn verify_parts(&self, nonce: &Nonce, parts: &[&[u8]], mac: &Mac) -> Result<(), AuthError> {
        if self.mac_parts(nonce, parts) == *mac {
            Ok(())
        } else {
            Err(AuthError::Rejected)
        }
    }

    /// Checks `mac` against [`mac_excluding`](Self::mac_excluding), in constant time.
    ///
    /// # Errors
    /// [`AuthError::SpanOutOfBounds`] for a span outside the message, [`AuthError::Rejected`]
    /// if the MAC does not match.
    pub fn verify_excluding(
        &self,
        nonce: &Nonce,
        message: &[u8],
        excluded: Range<usize>,
        mac: &Mac,
    ) -> Result<(), AuthError> {
        let (before, after) = split_around(message, excluded)?;
        self.verify_parts(nonce, &[before, after], mac)
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacKey")
            .field("algorithm", &self.algorithm)
            .field("construction", &self.construction)
            .field("key", &format_args!("[redacted]"))
            .finish()
    }
}

/// The keyed state; every variant, and every clone made to compute a MAC, is wiped on drop
/// (the `zeroize` features of `md-5`, `sha2` and `hmac`).
#[derive(Clone)]
enum KeyState {
    /// A hasher that has absorbed `K ":"`.
    DigestMd5(Md5),
    /// A hasher that has absorbed `K ":"` (45 bytes: buffered, not yet compressed).
    DigestSha256(Sha256),
    /// An HMAC keyed with `K` (boxed: it is three times the size of the other states, and
    /// moving it around would tax every [`MacKey`]).
    HmacMd5(Box<Hmac<Md5>>),
    /// An HMAC keyed with `K` (boxed, as above).
    HmacSha256(Box<Hmac<Sha256>>),
}

/// An HMAC keyed with `key` (24 or 44 bytes, shorter than the 64-byte block of MD5 and SHA-256).
///
/// RFC 2104 pads a key shorter than the block with zeros, so keying with the zero-padded block
/// is the same HMAC as keying with `key`, and cannot fail.
fn hmac_keyed<D>(key: &[u8]) -> Hmac<D>
where
    D: hmac::EagerHash,
    Hmac<D>: hmac::KeyInit,
{
    let mut block = hmac::digest::Key::<Hmac<D>>::default();
    for (b, k) in block.iter_mut().zip(key) {
        *b = *k;
    }
    let keyed = Hmac::<D>::new(&block);
    block[..].zeroize();
    keyed
}

/// A hasher that has absorbed `K ":"`, the constant prefix of the digest construction.
fn digest_keyed<D: Digest>(key: &B64Buf) -> D {
    let mut prefix = D::new();
    prefix.update(key.as_bytes());
    prefix.update(b":");
    prefix
}

/// `H(K ":" nonce ":" body_part)` into the front of `out`, given a hasher that has absorbed
/// `K ":"` (cloned; the clone is wiped when it is dropped).
fn digest_mac<D: Digest + Clone>(
    prefix: &D,
    nonce: &Nonce,
    body_part: &[u8],
    out: &mut [u8; MAX_OUTPUT],
) {
    let mut hasher = prefix.clone();
    hasher.update(nonce.as_bytes());
    hasher.update(b":");
    hasher.update(body_part);
    hash::copy_out(&hasher.finalize(), out);
}

/// `HMAC-H(K, nonce ":" body_part)` into the front of `out`, given an HMAC keyed with `K`.
fn hmac_mac<D>(keyed: &Hmac<D>, nonce: &Nonce, body_part: &[u8], out: &mut [u8; MAX_OUTPUT])
where
    D: hmac::EagerHash,
    Hmac<D>: Clone + hmac::Mac,
{
    let mut mac = keyed.clone();
    mac.update(nonce.as_bytes());
    mac.update(b":");
    mac.update(body_part);
    hash::copy_out(&mac.finalize().into_bytes(), out);
}

/// `(message[..start], message[end..])`, or an error for a span outside the message.
fn split_around(message: &[u8], excluded: Range<usize>) -> Result<(&[u8], &[u8]), AuthError> {
    if excluded.start > excluded.end {
        return Err(AuthError::SpanOutOfBounds);
    }
    let before = message
        .get(..excluded.start)
        .ok_or(AuthError::SpanOutOfBounds)?;
    let after = message
        .get(excluded.end..)
        .ok_or(AuthError::SpanOutOfBounds)?;
    Ok((before, after))
}
