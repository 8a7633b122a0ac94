//! Which codec a message file needs, told by its first bytes: the look `verify`, `lint`,
//! `inspect` and `convert` take at a file before decoding it (an `--encoding` flag overrides
//! it). Stricter than [`Encoding::of_body`], the server's one-byte look, so that a file that is
//! neither gets a clear error instead of the XML decoder's.

use core::fmt;
use std::path::Path;

use omadm_syncml::{Encoding, SyncMl};

use crate::error::line_col;

/// The codec `body` needs, or what it looked like instead.
///
/// - WBXML: what [`omadm_wbxml::looks_like_wbxml`] says is the start of a SyncML WBXML document,
///   a version byte `0x01..=0x03` (WBXML 1.1-1.3) followed by a SyncML 1.1 or 1.2 public id, the
///   "unknown" id, or a string-table reference (the decoder then checks the rest).
/// - XML: after an optional byte order mark (UTF-8, or UTF-16 which the XML decoder refuses
///   with its own error) and white space (space, tab, CR, LF), a `<`.
pub(crate) fn detect(body: &[u8]) -> Result<Encoding, Unrecognised> {
    match body {
        [] => Err(Unrecognised::Empty),
        _ if omadm_wbxml::looks_like_wbxml(body) => Ok(Encoding::Wbxml),
        [1..=3, ..] => Err(Unrecognised::Binary(head(body))),
        _ => {
            let text = body
                .strip_prefix(b"\xEF\xBB\xBF")
                .or_else(|| body.strip_prefix(b"\xFE\xFF"))
                .or_else(|| body.strip_prefix(b"\xFF\xFE"))
                .unwrap_or(body);
            let first = text
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
            match first.map(|at| (at, text[at])) {
                Some((_, b'<')) => Ok(Encoding::Xml),
                // UTF-16 markup: `<` then a zero byte (or the reverse) after the BOM.
                Some((_, 0)) if text.len() != body.len() => Ok(Encoding::Xml),
                None => Err(Unrecognised::Blank),
                Some((at, _)) => match core::str::from_utf8(&text[at..]) {
                    Ok(s) if !s.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
                        Err(Unrecognised::Text(s.chars().take(16).collect()))
                    }
                    _ => Err(Unrecognised::Binary(head(body))),
                },
            }
        }
    }
}

/// The first bytes of a file, for a message.
fn head(body: &[u8]) -> Vec<u8> {
    body.iter().take(8).copied().collect()
}

/// A file that is neither XML nor WBXML, by its first bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unrecognised {
    /// No bytes at all.
    Empty,
    /// Only white space (and maybe a byte order mark).
    Blank,
    /// Text that does not start with markup (its first characters).
    Text(String),
    /// Binary data that is not a WBXML header (its first bytes).
    Binary(Vec<u8>),
}

impl fmt::Display for Unrecognised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("neither XML nor WBXML: ")?;
        match self {
            Self::Empty => f.write_str("the file is empty"),
            Self::Blank => f.write_str("the file holds only white space"),
            Self::Text(start) => write!(f, "text that does not start with `<` ({start:?}…)"),
            Self::Binary(bytes) => {
                f.write_str("binary data without a SyncML WBXML header (first bytes")?;
                for b in bytes {
                    write!(f, " {b:02x}")?;
                }
                f.write_str(
                    "; SyncML WBXML starts with a version byte 01..03 and a SyncML public id)",
                )
            }
        }
    }
}

/// The codec to use: `forced` if given, else the detected one (or what the file looked like).
pub(crate) fn codec(body: &[u8], forced: Option<Encoding>) -> Result<Encoding, Unrecognised> {
    match forced {
        Some(encoding) => Ok(encoding),
        None => detect(body),
    }
}

/// Decodes a message file with the codec `forced` names, else the one its first bytes show
/// (default limits). The error is one line naming the file and the place: `FILE:LINE:COL` for
/// XML, the byte offset and element path for WBXML.
pub(crate) fn decode<'a>(
    path: &Path,
    body: &'a [u8],
    forced: Option<Encoding>,
) -> Result<(Encoding, SyncMl<'a>), String> {
    let name = path.display();
    match codec(body, forced) {
        Err(why) => Err(format!("{name}: not a SyncML DM message: {why}")),
        Ok(Encoding::Xml) => omadm_xml::decode(body, &omadm_xml::Limits::default())
            .map(|m| (Encoding::Xml, m))
            .map_err(|e| {
                let (line, column) = line_col(&String::from_utf8_lossy(body), e.offset());
                format!("{name}:{line}:{column}: not a SyncML DM message (XML): {e}")
            }),
        Ok(Encoding::Wbxml) => omadm_wbxml::decode(body, &omadm_wbxml::Limits::default())
            .map(|m| (Encoding::Wbxml, m))
            .map_err(|e| format!("{name}: not a SyncML DM message (WBXML): {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_encodings_apart_by_their_first_bytes() {
        let wbxml: &[&[u8]] = &[
            b"\x02\xa4\x01\x6a\x00\x6d",
            b"\x03\x9f\x53\x6a\x00",
            b"\x02\x00\x00\x6a\x1d",
            b"\x01\x01\x6a",
        ];
        for body in wbxml {
            assert_eq!(detect(body), Ok(Encoding::Wbxml), "{body:02x?}");
        }
        let xml: &[&[u8]] = &[
            b"<?xml version=\"1.0\"?><SyncML/>",
            b"<SyncML/>",
            b"\xEF\xBB\xBF<SyncML/>",
            b"\r\n\t <SyncML/>",
            b"\xFF\xFE<\x00S\x00",
            b"\xFE\xFF\x00<\x00S",
        ];
        for body in xml {
            assert_eq!(detect(body), Ok(Encoding::Xml), "{body:02x?}");
        }
    }

    #[test]
    fn says_what_a_file_that_is_neither_looked_like() {
        assert_eq!(detect(b""), Err(Unrecognised::Empty));
        assert_eq!(detect(b" \n"), Err(Unrecognised::Blank));
        assert_eq!(
            detect(b"hello world"),
            Err(Unrecognised::Text("hello world".to_owned()))
        );
        // PNG, gzip, a version byte with a truncated public id, a NUL-led file.
        for body in [
            &b"\x89PNG\r\n\x1a\n"[..],
            b"\x1f\x8b\x08\x00",
            b"\x02\xa4",
            b"\x02",
            b"\x02\x7f\x6a\x00",
            b"\x00\x00\x00",
        ] {
            let err = detect(body).unwrap_err();
            assert!(matches!(err, Unrecognised::Binary(_)), "{body:02x?}: {err}");
            let text = err.to_string();
            assert!(
                text.starts_with("neither XML nor WBXML: binary data"),
                "{text}"
            );
        }
        assert_eq!(
            detect(b"\x89PNG").unwrap_err().to_string(),
            "neither XML nor WBXML: binary data without a SyncML WBXML header (first bytes 89 50 4e 47; \
             SyncML WBXML starts with a version byte 01..03 and a SyncML public id)"
        );
    }

    #[test]
    fn a_forced_encoding_wins() {
        assert_eq!(codec(b"<a/>", Some(Encoding::Wbxml)), Ok(Encoding::Wbxml));
        assert_eq!(codec(b"", Some(Encoding::Xml)), Ok(Encoding::Xml));
        assert_eq!(codec(b"\x02\xa4\x01", None), Ok(Encoding::Wbxml));
    }
}
