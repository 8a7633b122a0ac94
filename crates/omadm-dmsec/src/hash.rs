//! Internal hashing and base64 helpers shared by every scheme: no allocation, no copies of input.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use zeroize::Zeroize;

use crate::names::Algorithm;
use crate::sha256::Sha256Stream;

/// Largest digest we handle (SHA-256).
pub(crate) const MAX_OUTPUT: usize = 32;
/// Padded base64 length of [`MAX_OUTPUT`] bytes.
pub(crate) const MAX_B64: usize = 44;

/// Padded standard base64 of a digest (at most 32 bytes), held on the stack and wiped on drop.
#[derive(Clone)]
pub(crate) struct B64Buf {
    buf: [u8; MAX_B64],
    len: u8,
}

impl B64Buf {
    /// Encodes `bytes` (at most [`MAX_OUTPUT`] bytes; longer input is truncated to that).
    pub(crate) fn encode(bytes: &[u8]) -> Self {
        let bytes = bytes.get(..MAX_OUTPUT).unwrap_or(bytes);
        let mut buf = [0u8; MAX_B64];
        // invariant: 44 bytes hold the padded base64 of up to 32 input bytes, so the only error
        // encode_slice can return (output too small) cannot happen.
        let len = STANDARD.encode_slice(bytes, &mut buf).unwrap_or(0);
        Self {
            buf,
            // invariant: len <= 44
            len: u8::try_from(len).unwrap_or(0),
        }
    }

    /// Takes base64 text that is already known to be valid and at most [`MAX_B64`] bytes.
    pub(crate) fn from_text(text: &[u8]) -> Option<Self> {
        let mut buf = [0u8; MAX_B64];
        buf.get_mut(..text.len())?.copy_from_slice(text);
        Some(Self {
            buf,
            len: u8::try_from(text.len()).ok()?,
        })
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl Drop for B64Buf {
    fn drop(&mut self) {
        self.buf.as_mut_slice().zeroize();
    }
}

/// `B64(H(username ":" secret))`, the key digest of DM Security (`key_part` in `digest.md`).
pub(crate) fn key_digest(algorithm: Algorithm, username: &[u8], secret: &[u8]) -> B64Buf {
    b64_hash(algorithm, &[username, b":", secret])
}

/// `B64(H(parts[0] || parts[1] || …))`, with the raw digest wiped.
pub(crate) fn b64_hash(algorithm: Algorithm, parts: &[&[u8]]) -> B64Buf {
    let mut raw = hash_parts(algorithm, parts);
    let b64 = B64Buf::encode(&raw[..algorithm.output_len()]);
    raw.as_mut_slice().zeroize();
    b64
}

/// `H(parts[0] || parts[1] || …)` with `H` chosen at run time, as raw bytes in a 32-byte buffer.
pub(crate) fn hash_parts(algorithm: Algorithm, parts: &[&[u8]]) -> [u8; MAX_OUTPUT] {
    match algorithm {
        Algorithm::Md5 => {
            let mut hasher = Md5::new();
            for part in parts {
                hasher.update(part);
            }
            let mut out = [0u8; MAX_OUTPUT];
            copy_out(&hasher.finalize(), &mut out);
            out
        }
        Algorithm::Sha256 => {
            let mut hasher = Sha256Stream::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize()
        }
    }
}

/// Copies a digest into the front of a 32-byte buffer.
pub(crate) fn copy_out(digest: &[u8], out: &mut [u8; MAX_OUTPUT]) {
    for (o, d) in out.iter_mut().zip(digest) {
        *o = *d;
    }
}

/// Longest base64 text [`decode_into`] accepts (the padded base64 of 96 bytes).
const MAX_DECODE_TEXT: usize = 128;

/// Decodes strict base64 (standard alphabet, canonical padding) into the front of `out`;
/// returns the decoded length. `None` if the text is not valid base64, is longer than 128
/// characters, or decodes to more than `out` holds.
pub(crate) fn decode_into(text: &[u8], out: &mut [u8]) -> Option<usize> {
    if text.len() > MAX_DECODE_TEXT {
        return None;
    }
    // The engine wants room for its length estimate (3 bytes per 4 characters), which exceeds
    // the exact length when there is padding: decode into scratch space, then copy.
    let mut scratch = [0u8; MAX_DECODE_TEXT / 4 * 3];
    let decoded = STANDARD
        .decode_slice(text, &mut scratch)
        .ok()
        .and_then(|n| {
            let src = scratch.get(..n)?;
            out.get_mut(..n)?.copy_from_slice(src);
            Some(n)
        });
    scratch.as_mut_slice().zeroize();
    decoded
}

/// Decodes strict base64 of any length into a vector that is wiped on drop.
pub(crate) fn decode_secret(text: &[u8]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    STANDARD.decode(text).ok().map(zeroize::Zeroizing::new)
}

/// Standard padded base64 of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}
