//! Internal hashing and base64 helpers shared by every scheme: no allocation, no copies of input.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use zeroize::Zeroize;

use crate::names::Algorithm;
use crate::sha256::{PublicSha256, SecretSha256, sha256_short};

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
    /// Encodes a digest. The 16- and 32-byte digests of MD5 and SHA-256 are encoded without
    /// table lookups or data-dependent branches, since they may be key material; any other
    /// length (never produced by this crate) goes through the `base64` crate, truncated to
    /// [`MAX_OUTPUT`] bytes.
    pub(crate) fn encode(bytes: &[u8]) -> Self {
        if let Ok(digest) = <&[u8; 32]>::try_from(bytes) {
            return Self::encode_fixed(digest);
        }
        if let Ok(digest) = <&[u8; 16]>::try_from(bytes) {
            return Self::encode_fixed(digest);
        }
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

    /// Constant-time padded base64 of `N` bytes, `N` at most 32. Every index is a compile-time
    /// constant once `N` is known, so the loops unroll and the copies are fixed-size.
    fn encode_fixed<const N: usize>(bytes: &[u8; N]) -> Self {
        const { assert!(N <= MAX_OUTPUT) };
        let mut buf = [b'='; MAX_B64];
        let full = N / 6;
        for i in 0..full {
            let mut group = [0u8; 8];
            group[2..].copy_from_slice(&bytes[6 * i..6 * i + 6]);
            buf[8 * i..8 * i + 8].copy_from_slice(&encode48(u64::from_be_bytes(group)));
        }
        let tail = N % 6;
        if tail > 0 {
            let mut group = [0u8; 8];
            group[2..2 + tail].copy_from_slice(&bytes[6 * full..]);
            let chars = encode48(u64::from_be_bytes(group));
            // Characters carrying input bits: ceil(8 * tail / 6); '=' padding follows.
            let used = (tail * 8).div_ceil(6);
            buf[8 * full..8 * full + used].copy_from_slice(&chars[..used]);
        }
        Self {
            buf,
            // invariant: 4 * ceil(32 / 3) = 44 fits in a u8
            len: u8::try_from(N.div_ceil(3) * 4).unwrap_or(0),
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

    /// The text (base64 is ASCII).
    pub(crate) fn as_str(&self) -> &str {
        // invariant: the buffer only ever holds base64 text (`encode`, or `from_text` of text
        // already checked), which is ASCII.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The whole 44-byte buffer: the text of a SHA-256 digest exactly.
    pub(crate) const fn as_sha256_text(&self) -> &[u8; MAX_B64] {
        &self.buf
    }
}

impl Drop for B64Buf {
    fn drop(&mut self) {
        self.buf.as_mut_slice().zeroize();
    }
}

/// The 48 low bits of `n` to 8 standard base64 characters, in constant time: the eight 6-bit
/// groups are spread one per byte, then each byte `v` becomes `'A' + v`, corrected by an offset
/// for every range boundary (25, 51, 61, 62) it lies above — the arithmetic of `base64ct`, done
/// on all eight bytes at once (no byte ever leaves 0..=255, so no carry crosses bytes).
#[inline(always)]
fn encode48(n: u64) -> [u8; 8] {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Spread the 48 bits into eight 6-bit values, one per byte: 24-bit halves into 32-bit
    // lanes, then 12-bit quarters into 16-bit lanes, then 6-bit values into bytes.
    let x = n & 0x0000_ffff_ffff_ffff;
    let x = ((x & 0x0000_ffff_ff00_0000) << 8) | (x & 0x0000_0000_00ff_ffff);
    let x = ((x & 0x00ff_f000_00ff_f000) << 4) | (x & 0x0000_0fff_0000_0fff);
    let v = ((x & 0x0fc0_0fc0_0fc0_0fc0) << 2) | (x & 0x003f_003f_003f_003f);
    // 1 in each byte whose value exceeds `k`.
    let above = |k: u64| ((v + ONES * (0x7f - k)) & (ONES * 0x80)) >> 7;
    let c = v + ONES * u64::from(b'A') + above(25) * 6 - above(51) * 75 - above(61) * 15
        + above(62) * 3;
    c.to_be_bytes()
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

/// `B64(H(parts))` for public data (a message body): the hash state is not wiped.
pub(crate) fn body_part(algorithm: Algorithm, parts: &[&[u8]]) -> B64Buf {
    match algorithm {
        Algorithm::Md5 => B64Buf::encode(&md5_parts(parts)),
        Algorithm::Sha256 => {
            let mut hasher = PublicSha256::new();
            for part in parts {
                hasher.update(part);
            }
            B64Buf::encode(&hasher.finalize())
        }
    }
}

/// `H(parts[0] || parts[1] || …)` with `H` chosen at run time, as raw bytes in the front of a
/// 32-byte buffer; the hash state is wiped (the caller wipes the result if it is sensitive).
pub(crate) fn hash_parts(algorithm: Algorithm, parts: &[&[u8]]) -> [u8; MAX_OUTPUT] {
    let mut out = [0u8; MAX_OUTPUT];
    match algorithm {
        Algorithm::Md5 => copy_out(&md5_parts(parts), &mut out),
        Algorithm::Sha256 => {
            out = sha256_short(parts).unwrap_or_else(|| {
                let mut hasher = SecretSha256::new();
                for part in parts {
                    hasher.update(part);
                }
                hasher.finalize()
            });
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
        }
    }
}
