//! The codec seam: one `Encoding` value names how messages travel, and the engines decode and
//! encode only through it, so a new codec (WBXML) is one variant and one match arm per function.

use core::fmt;

use omadm_syncml::SyncMl;
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

    /// Decodes one message.
    pub(crate) fn decode<'a>(
        self,
        bytes: &'a [u8],
        limits: &Limits,
    ) -> Result<SyncMl<'a>, CodecError> {
        match self {
            Encoding::Xml => omadm_xml::decode(bytes, limits).map_err(CodecError::Xml),
            Encoding::Wbxml => {
                let limits = omadm_wbxml::Limits::DEFAULT
                    .with_max_size(limits.max_size)
                    .with_max_depth(limits.max_depth)
                    .with_max_elements(limits.max_elements)
                    .with_max_text(limits.max_text);
                omadm_wbxml::decode(bytes, &limits).map_err(CodecError::Wbxml)
            }
        }
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
