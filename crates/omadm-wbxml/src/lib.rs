#![doc = include_str!("../README.md")]

mod decode;
mod encode;
mod error;
mod limits;
mod names;
pub mod write;

pub use decode::{
    CredSpan, Decoded, DecodedHeader, decode, decode_header, decode_located, looks_like_wbxml,
};
/// Not part of the API: for the crate's own tests and fuzz targets.
#[doc(hidden)]
pub mod __private {
    pub use crate::decode::decode_located_general;
}
pub use encode::{Encoded, Options, encode, encode_with, encoded_len};
pub use error::{CredDataForm, Error, ErrorKind, Limit};
pub use limits::Limits;
