//! The two encodings of a DM message on the wire, named by their media types, and the cheap look
//! at a body's first byte that tells them apart.

use core::fmt;
use core::str::FromStr;

/// The media type of an XML-encoded DM message.
pub const MEDIA_TYPE_XML: &str = "application/vnd.syncml.dm+xml";
/// The media type of a WBXML-encoded DM message.
pub const MEDIA_TYPE_WBXML: &str = "application/vnd.syncml.dm+wbxml";

/// How a DM message is encoded: XML (`omadm-xml`) or WBXML (`omadm-wbxml`). The set is closed:
/// DM RepPro defines these two media types for DM messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `application/vnd.syncml.dm+xml`.
    #[default]
    Xml,
    /// `application/vnd.syncml.dm+wbxml`.
    Wbxml,
}

impl Encoding {
    /// The media type that labels a message of this encoding.
    pub const fn media_type(self) -> &'static str {
        match self {
            Encoding::Xml => MEDIA_TYPE_XML,
            Encoding::Wbxml => MEDIA_TYPE_WBXML,
        }
    }

    /// The encoding a `Content-Type` value names: its type and subtype (ASCII case-insensitive,
    /// parameters such as `charset` ignored) must be one of the two DM media types.
    pub fn from_media_type(content_type: &str) -> Option<Self> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim_matches([' ', '\t']);
        if essence.eq_ignore_ascii_case(MEDIA_TYPE_XML) {
            Some(Encoding::Xml)
        } else if essence.eq_ignore_ascii_case(MEDIA_TYPE_WBXML) {
            Some(Encoding::Wbxml)
        } else {
            None
        }
    }

    /// The encoding a body's first byte shows: a WBXML document starts with its version byte
    /// (`0x01..=0x03` for WBXML 1.1-1.3), which no XML document can start with (XML starts with
    /// `<`, a byte order mark or white space). A cheap look, not a validation.
    pub fn of_body(body: &[u8]) -> Self {
        match body.first() {
            Some(1..=3) => Encoding::Wbxml,
            _ => Encoding::Xml,
        }
    }

    /// The short name: `xml` or `wbxml`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Xml => "xml",
            Encoding::Wbxml => "wbxml",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads the short name (`xml`, `wbxml`, ASCII case-insensitive).
impl FromStr for Encoding {
    type Err = UnknownEncoding;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("xml") {
            Ok(Encoding::Xml)
        } else if s.eq_ignore_ascii_case("wbxml") {
            Ok(Encoding::Wbxml)
        } else {
            Err(UnknownEncoding)
        }
    }
}

/// A name that is neither `xml` nor `wbxml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UnknownEncoding;

impl fmt::Display for UnknownEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown encoding: expected xml or wbxml")
    }
}

impl core::error::Error for UnknownEncoding {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_and_bodies() {
        for e in [Encoding::Xml, Encoding::Wbxml] {
            assert_eq!(Encoding::from_media_type(e.media_type()), Some(e));
            assert_eq!(e.as_str().parse(), Ok(e));
        }
        assert_eq!(
            Encoding::from_media_type("Application/Vnd.SyncML.DM+WBXML; charset=utf-8"),
            Some(Encoding::Wbxml)
        );
        assert_eq!(Encoding::from_media_type("application/xml"), None);
        assert_eq!(Encoding::of_body(&[0x02, 0xa4]), Encoding::Wbxml);
        assert_eq!(Encoding::of_body(b"<SyncML"), Encoding::Xml);
        assert_eq!(Encoding::of_body(b""), Encoding::Xml);
    }
}
