#![doc = include_str!("../README.md")]

mod cred;
mod error;
mod hash;
mod mac;
mod names;
mod nonce;
mod params;
mod secret;

pub use crate::cred::{basic_credential, md5_credential, verify_basic, verify_md5};
pub use crate::error::{AuthError, BufferTooSmall, DecodeError, ParamsError, ParamsErrorKind};
pub use crate::mac::{Mac, MacKey};
pub use crate::names::{Algorithm, AuthType, Carrier, Construction, HMAC_HEADER};
pub use crate::nonce::Nonce;
pub use crate::params::{MacParams, Username};
pub use crate::secret::{Secret, SecretDigest, StoredSecret};
