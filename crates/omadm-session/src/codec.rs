//! The codec seam: one `Encoding` value names how messages travel, and the engines decode and
//! encode only through it, so a new codec (WBXML) is one variant and one match arm per function.

use core::fmt;

use omadm_syncml::{SyncHdr, SyncMl};
use omadm_xml::Limits;

/// How the messages of a session are encoded on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// SyncML DM XML, `application/vnd.syncml.dm+xml` (the `omadm-xml` codec).
    #[default]
    Xml,
    /// SyncML DM WBXML, `application/vnd.syncml.dm+wbxml` (the `omadm-wbxml` codec).
    Wbxml,
}

impl Encoding {
    /// Every encoding this build supports.
    pub const ALL: [Encoding; 2] = [Encoding::Xml, Encoding::Wbxml];

    /// The media type that labels a message in this encoding.
    #[must_use]
    pub const fn media_type(self) -> &'static str {
        match self {
            Encoding::Xml => omadm_syncml::MEDIA_TYPE_XML,
            Encoding::Wbxml => omadm_syncml::MEDIA_TYPE_WBXML,
        }
    }

    /// The encoding a `Content-Type` value names (parameters such as `charset` ignored, ASCII
    /// case-insensitive), if this build supports it.
    #[must_use]
    pub fn from_media_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        Self::ALL
            .into_iter()
            .find(|e| e.media_type().eq_ignore_ascii_case(essence))
    }

    /// Decodes one message: the header scan, resumed into the body (one pass).
    pub(crate) fn decode<'a>(
        self,
        bytes: &'a [u8],
        limits: &Limits,
    ) -> Result<SyncMl<'a>, CodecError> {
        self.decode_header(bytes, limits)?.into_message()
    }

    /// Decodes the prologue, the root and the `SyncHdr` only, and stops there: enough to route
    /// a message (its `SessionID`, its sender) before the body is read. The returned
    /// [`Header`] resumes the same decode where it stopped
    /// ([`ServerSession::handle_header`](crate::ServerSession::handle_header)), so a message
    /// routed this way is still decoded exactly once.
    ///
    /// # Errors
    /// [`CodecError`] for a header that does not decode within `limits`.
    pub fn decode_header<'a>(
        self,
        bytes: &'a [u8],
        limits: &Limits,
    ) -> Result<Header<'a>, CodecError> {
        let scan = match self {
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

    /// Appends the encoded message to `out`.
    pub(crate) fn encode(self, msg: &SyncMl<'_>, out: &mut Vec<u8>) {
        match self {
            Encoding::Xml => {
                let _ = omadm_xml::encode(msg, out);
            }
            Encoding::Wbxml => {
                let _ = omadm_wbxml::encode(msg, out);
            }
        }
    }

    /// The number of bytes [`encode`](Self::encode) would append.
    pub(crate) fn encoded_len(self, msg: &SyncMl<'_>) -> usize {
        match self {
            Encoding::Xml => omadm_xml::encoded_len(msg),
            Encoding::Wbxml => omadm_wbxml::encoded_len(msg),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.media_type())
    }
}

/// A message whose `SyncHdr` is decoded and whose body is not yet: what
/// [`Encoding::decode_header`] returns. The body decode resumes from where the header scan
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
