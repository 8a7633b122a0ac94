//! `syncml:auth-basic` and `syncml:auth-md5`: the Cred `Data` values, produced and verified.

use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::error::AuthError;
use crate::hash::{self, MAX_OUTPUT};
use crate::names::Algorithm;
use crate::nonce::Nonce;
use crate::secret::{Secret, SecretDigest, StoredSecret};

/// Longest auth-basic Cred `Data` accepted, in base64 characters.
const MAX_BASIC_DATA: usize = 4096;

/// The `syncml:auth-basic` Cred `Data`: `B64(username ":" password)`.
#[must_use]
pub fn basic_credential(username: &str, password: &Secret) -> String {
    let mut plain = Zeroizing::new(Vec::with_capacity(
        username.len() + 1 + password.expose().len(),
    ));
    plain.extend_from_slice(username.as_bytes());
    plain.push(b':');
    plain.extend_from_slice(password.expose());
    hash::encode(&plain)
}

/// Verifies a `syncml:auth-basic` Cred `Data` for `username`.
///
/// Works with either secret form: against a password, the decoded credential must equal
/// `username ":" password`; against a key digest, `B64(H(decoded))` must equal the digest.
/// Both comparisons are constant-time (the password comparison goes through SHA-256, so not
/// even the password's length leaks).
///
/// # Errors
/// [`AuthError::Rejected`] if the credential is not valid base64 or does not match.
pub fn verify_basic(username: &str, secret: &StoredSecret, data: &str) -> Result<(), AuthError> {
    if data.len() > MAX_BASIC_DATA {
        return Err(AuthError::Rejected);
    }
    let decoded = hash::decode_secret(data.as_bytes()).ok_or(AuthError::Rejected)?;
    let ok: bool = match secret {
        StoredSecret::Password(password) => {
            let got = Zeroizing::new(hash::hash_parts(Algorithm::Sha256, &[&decoded]));
            let want = Zeroizing::new(hash::hash_parts(
                Algorithm::Sha256,
                &[username.as_bytes(), b":", password.expose()],
            ));
            got.ct_eq(&*want).into()
        }
        StoredSecret::Digest(digest) => {
            let got = hash::b64_hash(digest.algorithm(), &[&decoded]);
            got.as_bytes().ct_eq(digest.b64_bytes()).into()
        }
    };
    if ok { Ok(()) } else { Err(AuthError::Rejected) }
}

/// The `syncml:auth-md5` Cred `Data`: `B64(MD5(B64(MD5(username ":" password)) ":" nonce))`,
/// with `nonce` the decoded nonce bytes.
///
/// # Errors
/// [`AuthError::UnusableSecret`] if `secret` is a SHA-256 key digest.
pub fn md5_credential(
    username: &str,
    secret: &StoredSecret,
    nonce: &Nonce,
) -> Result<String, AuthError> {
    let digest = md5_raw(username, secret, nonce)?;
    Ok(hash::encode(&digest[..Algorithm::Md5.output_len()]))
}

/// Verifies a `syncml:auth-md5` Cred `Data` for `username` and the nonce the server last gave,
/// in constant time.
///
/// # Errors
/// [`AuthError::Rejected`] if the credential is not valid base64 of 16 bytes or does not match;
/// [`AuthError::UnusableSecret`] if `secret` is a SHA-256 key digest.
pub fn verify_md5(
    username: &str,
    secret: &StoredSecret,
    nonce: &Nonce,
    data: &str,
) -> Result<(), AuthError> {
    let want = md5_raw(username, secret, nonce)?;
    let mut got = [0u8; MAX_OUTPUT];
    let len = hash::decode_into(data.as_bytes(), &mut got).ok_or(AuthError::Rejected)?;
    // The length of the received credential is public; only its bytes are compared.
    if len != Algorithm::Md5.output_len() {
        return Err(AuthError::Rejected);
    }
    if bool::from(got.ct_eq(&*want)) {
        Ok(())
    } else {
        Err(AuthError::Rejected)
    }
}

/// `MD5(B64(MD5(username ":" password)) ":" nonce)` in the front of a 32-byte buffer.
fn md5_raw(
    username: &str,
    secret: &StoredSecret,
    nonce: &Nonce,
) -> Result<Zeroizing<[u8; MAX_OUTPUT]>, AuthError> {
    let key: SecretDigest = secret.digest_for(Algorithm::Md5, username)?;
    Ok(Zeroizing::new(hash::hash_parts(
        Algorithm::Md5,
        &[key.b64_bytes(), b":", nonce.as_bytes()],
    )))
}
