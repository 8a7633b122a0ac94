//! Internal hashing and base64 helpers shared by every scheme, on the libraries' own APIs:
//! `sha2::Sha256` and `md5::Md5` hashers, `base64ct`'s constant-time encoder (digests may be
//! key material), the `base64` crate's strict decoder. No allocation, no copies of input.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64ct::{Base64, Encoding as _};
use md5::{Digest as _, Md5};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::names::Algorithm;

/// Largest digest we handle (SHA-256).
pub(crate) const MAX_OUTPUT: usize = 32;
/// Padded base64 length of [`MAX_OUTPUT`] bytes.
pub(crate) const MAX_B64: usize = 44;

/// Padded standard base64 of a digest (at most 32 bytes), held on the stack and wiped on drop.
#[derive(Clone)]
pub(crate) struct B64Buf {
    buf: [u8; MAX_B64],
    len: usize,
}

impl B64Buf {
    /// Encodes a digest of at most [`MAX_OUTPUT`] bytes with `base64ct` (no table lookups, no
    /// data-dependent branches: a digest may be key material).
    pub(crate) fn encode(digest: &[u8]) -> Self {
        let mut buf = [0u8; MAX_B64];
        // invariant: every caller passes a digest (16 or 32 bytes), whose padded base64 (24 or
        // 44 characters) fits the 44-byte buffer.
        #[allow(clippy::expect_used)]
        let len = Base64::encode(digest, &mut buf)
            .expect("invariant: the base64 of a digest fits 44 bytes")
            .len();
        Self { buf, len }
    }

    /// Takes base64 text that is already known to be valid and at most [`MAX_B64`] bytes.
    pub(crate) fn from_text(text: &[u8]) -> Option<Self> {
        let mut buf = [0u8; MAX_B64];
        buf.get_mut(..text.len())?.copy_from_slice(text);
        Some(Self {
            buf,
            len: text.len(),
        })
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The text (base64 is ASCII).
    pub(crate) fn as_str(&self) -> &str {
        // invariant: the buffer only ever holds base64 text (`encode`, or `from_text` of text
        // already decoded as base64), which is ASCII.
        #[allow(clippy::expect_used)]
        core::str::from_utf8(self.as_bytes()).expect("invariant: base64 text is ASCII")
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

/// `B64(H(parts))` for public data (a message body).
///
/// `sha2`'s `zeroize` feature (on, for the keyed states) also wipes this public state on drop;
/// docs/PERFORMANCE.md has the cost measured.
pub(crate) fn body_part(algorithm: Algorithm, parts: &[&[u8]]) -> B64Buf {
    let raw = hash_parts(algorithm, parts);
    B64Buf::encode(&raw[..algorithm.output_len()])
}

/// `H(parts[0] || parts[1] || …)` with `H` chosen at run time, as raw bytes in the front of a
/// 32-byte buffer; the hash state is wiped on drop (`zeroize` features of `md-5` and `sha2`;
/// the caller wipes the result if it is sensitive).
pub(crate) fn hash_parts(algorithm: Algorithm, parts: &[&[u8]]) -> [u8; MAX_OUTPUT] {
    let mut out = [0u8; MAX_OUTPUT];
    match algorithm {
        Algorithm::Md5 => copy_out(&md5_parts(parts), &mut out),
        Algorithm::Sha256 => {
            let mut hasher = Sha256::new();
            for part in parts {
                hasher.update(part);
            }
            copy_out(&hasher.finalize(), &mut out);
        }
    }
    out
}

fn md5_parts(parts: &[&[u8]]) -> [u8; 16] {
    let mut hasher = Md5::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    use super::B64Buf;

    #[test]
    fn every_six_bit_value_encodes_like_the_base64_crate() {
        // 0x00, 0x10, 0x83, … : each group of 3 bytes covers four 6-bit values.
        let all: Vec<u8> = (0..64u32)
            .collect::<Vec<_>>()
            .chunks(4)
            .flat_map(|v| {
                let n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
                [(n >> 16) as u8, (n >> 8) as u8, n as u8]
            })
            .collect();
        assert_eq!(all.len(), 48);
        for chunk in all.chunks(24) {
            assert_eq!(
                B64Buf::encode(chunk).as_bytes(),
                STANDARD.encode(chunk).as_bytes()
            );
        }
    }

    proptest! {
        #[test]
        fn encodes_like_the_base64_crate(bytes in prop::collection::vec(any::<u8>(), 0..=32)) {
            let (ours, theirs) = (B64Buf::encode(&bytes), STANDARD.encode(&bytes));
            prop_assert_eq!(ours.as_bytes(), theirs.as_bytes());
            prop_assert_eq!(ours.as_str(), theirs.as_str());
        }
    }
}
