//! The codec seam: one [`Encoding`] value (omadm-syncml's) names how messages travel, and the
//! engines decode and encode only through these functions, one match arm per codec.

use core::fmt;

use omadm_syncml::{SyncHdr, SyncMl};
use omadm_xml::Limits;

pub use omadm_syncml::Encoding;

/// Decodes one message: the header scan, resumed into the body (one pass).
pub(crate) fn decode<'a>(
    encoding: Encoding,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<SyncMl<'a>, CodecError> {
    decode_header(encoding, bytes, limits)?.into_message()
}

/// Decodes the prologue, the root and the `SyncHdr` only, and stops there: enough to route a
/// message (its `SessionID`, its sender) before the body is read. The returned [`Header`]
/// resumes the same decode where it stopped
/// ([`ServerSession::handle_header`](crate::ServerSession::handle_header)), so a message routed
/// this way is still decoded exactly once.
///
/// # Errors
/// [`CodecError`] for a header that does not decode within `limits`.
pub fn decode_header<'a>(
    encoding: Encoding,
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<Header<'a>, CodecError> {
    let scan = match encoding {
        Encoding::Xml => omadm_xml::decode_header(bytes, limits)
            .map(Scan::Xml)
            .map_err(CodecError::Xml)?,
        Encoding::Wbxml => {
            let limits = omadm_wbxml::Limits::DEFAULT
                .with_max_size(limits.max_size)
                .with_max_depth(limits.max_depth)
                .with_max_elements(limits.max_elements)
                .with_max_text(limits.max_text);
            omadm_wbxml::decode_header(bytes, &limits)
                .map(Scan::Wbxml)
                .map_err(CodecError::Wbxml)?
        }
    };
    Ok(Header { body: bytes, scan })
}

/// Appends the message, encoded in `encoding`, to `out`.
pub(crate) fn encode(encoding: Encoding, msg: &SyncMl<'_>, out: &mut Vec<u8>) {
    match encoding {
        Encoding::Xml => {
            let _ = omadm_xml::encode(msg, out);
        }
        Encoding::Wbxml => {
            let _ = omadm_wbxml::encode(msg, out);
        }
    }
}

/// The number of bytes [`encode`] would append.
pub(crate) fn encoded_len(encoding: Encoding, msg: &SyncMl<'_>) -> usize {
    match encoding {
        Encoding::Xml => omadm_xml::encoded_len(msg),
        Encoding::Wbxml => omadm_wbxml::encoded_len(msg),
    }
}

/// A message whose `SyncHdr` is decoded and whose body is not yet: what
/// [`decode_header`] returns. The body decode resumes from where the header scan
/// stopped (the codecs' `DecodedHeader::into_body`), never reading the header again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    body: &'a [u8],
    scan: Scan<'a>,
}

/// Both variants hold their decoder's state; boxing one would cost an allocation per message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
enum Scan<'a> {
    Xml(omadm_xml::DecodedHeader<'a>),
    Wbxml(omadm_wbxml::DecodedHeader<'a>),
}

impl<'a> Header<'a> {
    /// The decoded header.
    #[must_use]
    pub const fn hdr(&self) -> &SyncHdr<'a> {
        match &self.scan {
            Scan::Xml(h) => &h.hdr,
            Scan::Wbxml(h) => &h.hdr,
        }
    }

    /// The encoding the header was decoded from.
    #[must_use]
    pub const fn encoding(&self) -> Encoding {
        match &self.scan {
            Scan::Xml(_) => Encoding::Xml,
            Scan::Wbxml(_) => Encoding::Wbxml,
        }
    }

    /// The whole message's bytes (what a MAC covers).
    #[must_use]
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Finishes the decode: the body, from where the header scan stopped.
    pub(crate) fn into_message(self) -> Result<SyncMl<'a>, CodecError> {
        match self.scan {
            Scan::Xml(h) => h.into_body().map(|d| d.message).map_err(CodecError::Xml),
            Scan::Wbxml(h) => h.into_body().map(|d| d.message).map_err(CodecError::Wbxml),
        }
    }
}

/// Why a message could not be decoded, by codec.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// The XML codec's error (kind, byte offset, element path).
    Xml(omadm_xml::Error),
    /// The WBXML codec's error.
    Wbxml(omadm_wbxml::Error),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Xml(e) => write!(f, "xml: {e}"),
            CodecError::Wbxml(e) => write!(f, "wbxml: {e}"),
        }
    }
}

impl core::error::Error for CodecError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            CodecError::Xml(e) => Some(e),
            CodecError::Wbxml(e) => Some(e),
        }
    }
}
