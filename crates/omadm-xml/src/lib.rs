#![doc = include_str!("../README.md")]

mod decode;
mod encode;
mod error;
mod limits;
mod names;
pub mod write;

#[cfg(feature = "__test-hooks")]
pub use decode::decode_located_events_only;
pub use decode::{Decoded, DecodedHeader, decode, decode_header, decode_located};
pub use encode::{Encoded, encode, encoded_len};
pub use error::{DsCommand, Error, ErrorKind, Limit};
pub use limits::Limits;
