//! SHA-256 on `sha2`'s compression function, for the hot path: whole 64-byte blocks go straight
//! from the caller's slice to the (SHA-NI when present) compressor, and a state that saw key
//! material is wiped on drop with one bulk fill instead of per-byte volatile writes, while one
//! that only saw a public message body is not wiped at all.
//!
//! Why not `sha2::Sha256`: with the `zeroize` feature (needed so the HMAC states holding key
//! material are wiped), every `Sha256` drop costs ~100 single-byte volatile stores, which alone
//! breaks the pre-keyed-verify budget (≤ 1.25× one SHA-256 of a 1.2 KB body). Padding follows
//! FIPS 180-4 §5.1.1; `tests/it` checks this stream against `sha2::Sha256` on arbitrary splits.

use sha2::block_api::compress256;
use zeroize::Zeroize as _;

/// FIPS 180-4 §5.3.3.
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

const BLOCK: usize = 64;

/// An incremental SHA-256; with `SECRET = true` its memory is wiped on drop.
#[derive(Clone)]
pub(crate) struct Sha256Stream<const SECRET: bool> {
    state: [u32; 8],
    buf: [u8; BLOCK],
    buf_len: usize,
    /// Total bytes absorbed.
    len: u64,
}

/// For data that is public anyway (a message body): nothing to wipe.
pub(crate) type PublicSha256 = Sha256Stream<false>;
/// For key material: wiped on drop.
pub(crate) type SecretSha256 = Sha256Stream<true>;

impl<const SECRET: bool> Sha256Stream<SECRET> {
    pub(crate) const fn new() -> Self {
        Self {
            state: IV,
            buf: [0; BLOCK],
            buf_len: 0,
            len: 0,
        }
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        if self.buf_len > 0 {
            let take = (BLOCK - self.buf_len).min(data.len());
            let (head, rest) = data.split_at(take);
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(head);
            self.buf_len += take;
            data = rest;
            if self.buf_len < BLOCK {
                return;
            }
            compress256(&mut self.state, core::slice::from_ref(&self.buf));
            self.buf_len = 0;
        }
        let (blocks, rest) = data.as_chunks::<BLOCK>();
        if !blocks.is_empty() {
            compress256(&mut self.state, blocks);
        }
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
    }

    pub(crate) fn finalize(mut self) -> [u8; 32] {
        let bit_len = self.len.wrapping_mul(8);
        let used = self.buf_len;
        self.buf[used] = 0x80;
        self.buf[used + 1..].fill(0);
        if used + 1 > BLOCK - 8 {
            compress256(&mut self.state, core::slice::from_ref(&self.buf));
            self.buf.fill(0);
        }
        self.buf[BLOCK - 8..].copy_from_slice(&bit_len.to_be_bytes());
        compress256(&mut self.state, core::slice::from_ref(&self.buf));
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// Longest input [`sha256_short`] takes: three blocks less the 9 bytes of padding.
pub(crate) const SHORT_MAX: usize = 3 * BLOCK - 9;

/// SHA-256 of the concatenation of `parts` if it totals at most [`SHORT_MAX`] bytes: the padded
/// message is laid out once on the stack and compressed in one call, then wiped. This is the
/// shape of every key-bearing hash here (`user ":" secret`, and `K ":" nonce ":" B64(H(body))`
/// at most 154 bytes), and it skips the streaming bookkeeping. `None` if the input is longer.
pub(crate) fn sha256_short(parts: &[&[u8]]) -> Option<[u8; 32]> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total > SHORT_MAX {
        return None;
    }
    let mut blocks = [[0u8; BLOCK]; 3];
    let used = (total + 9).div_ceil(BLOCK);
    {
        let flat = blocks.as_flattened_mut();
        let mut at = 0;
        for part in parts {
            flat[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        flat[total] = 0x80;
        flat[used * BLOCK - 8..used * BLOCK].copy_from_slice(&((total as u64) * 8).to_be_bytes());
    }
    let mut state = IV;
    compress256(&mut state, &blocks[..used]);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    blocks.as_flattened_mut().zeroize();
    state.as_mut_slice().zeroize();
    Some(out)
}

/// `SHA-256(key ":" nonce ":" body_part)` for the digest construction, with `key` and
/// `body_part` the 44-character base64 of SHA-256 digests: like [`sha256_short`], but every copy
/// except the nonce's has a length known at compile time (no `memcpy` calls on the hot path).
pub(crate) fn sha256_outer(key: &[u8; 44], nonce: &[u8], body_part: &[u8; 44]) -> [u8; 32] {
    let nonce = nonce.get(..64).unwrap_or(nonce);
    let total = 44 + 1 + nonce.len() + 1 + 44;
    let used = (total + 9).div_ceil(BLOCK);
    let mut blocks = [[0u8; BLOCK]; 3];
    {
        let flat = blocks.as_flattened_mut();
        flat[..44].copy_from_slice(key);
        flat[44] = b':';
        flat[45..45 + nonce.len()].copy_from_slice(nonce);
        let at = 45 + nonce.len();
        flat[at] = b':';
        flat[at + 1..at + 45].copy_from_slice(body_part);
        flat[total] = 0x80;
        flat[used * BLOCK - 8..used * BLOCK].copy_from_slice(&((total as u64) * 8).to_be_bytes());
    }
    let mut state = IV;
    compress256(&mut state, &blocks[..used]);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    blocks.as_flattened_mut().zeroize();
    state.as_mut_slice().zeroize();
    out
}

impl<const SECRET: bool> Drop for Sha256Stream<SECRET> {
    fn drop(&mut self) {
        if SECRET {
            self.state.as_mut_slice().zeroize();
            self.buf.as_mut_slice().zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;
    use sha2::{Digest as _, Sha256};

    use super::{PublicSha256, SHORT_MAX, SecretSha256, sha256_outer, sha256_short};

    fn stream(parts: &[&[u8]]) -> [u8; 32] {
        let mut secret = SecretSha256::new();
        for part in parts {
            secret.update(part);
        }
        let mut s = PublicSha256::new();
        for part in parts {
            s.update(part);
        }
        let out = s.finalize();
        assert_eq!(secret.finalize(), out);
        let total: usize = parts.iter().map(|p| p.len()).sum();
        assert_eq!(sha256_short(parts), (total <= SHORT_MAX).then_some(out));
        out
    }

    #[test]
    fn every_length_around_the_block_and_padding_boundaries() {
        let data: Vec<u8> = (0..=255u8).cycle().take(400).collect();
        for len in 0..data.len() {
            let want: [u8; 32] = Sha256::digest(&data[..len]).into();
            assert_eq!(stream(&[&data[..len]]), want, "length {len}");
            // Byte by byte exercises the partial-block path.
            let bytes: Vec<&[u8]> = data[..len].chunks(1).collect();
            assert_eq!(stream(&bytes), want, "length {len}, bytewise");
        }
    }

    #[test]
    fn outer_matches_the_general_path() {
        let key = [b'K'; 44];
        let body = [b'B'; 44];
        for n in 0..=64u8 {
            let nonce: Vec<u8> = (0..n).collect();
            let want = stream(&[&key, b":", &nonce, b":", &body]);
            assert_eq!(sha256_outer(&key, &nonce, &body), want, "nonce length {n}");
        }
    }

    #[test]
    fn fips_180_examples() {
        let abc = stream(&[b"abc"]);
        assert_eq!(abc[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(abc[28..], [0xf2, 0x00, 0x15, 0xad]);
        let empty = stream(&[]);
        assert_eq!(empty[..4], [0xe3, 0xb0, 0xc4, 0x42]);
    }

    proptest! {
        #[test]
        fn matches_sha2_on_any_split(
            data in prop::collection::vec(any::<u8>(), 0..3000),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
            cuts.sort_unstable();
            let mut parts = Vec::new();
            let mut at = 0;
            for cut in cuts {
                parts.push(&data[at..cut]);
                at = cut;
            }
            parts.push(&data[at..]);
            let want: [u8; 32] = Sha256::digest(&data).into();
            prop_assert_eq!(stream(&parts), want);
        }
    }
}
