//! The codec's errors: a decode error with a kind to match on, the byte offset in the input and
//! the element path where decoding stopped; and the typed refusal of a `Cred/Data` that the MAC
//! rule cannot locate.

use core::fmt;

use omadm_syncml::ValueError;

/// Why a message could not be decoded, where, and in which element.
///
/// Tests and callers match on [`Error::kind`]; the [`Display`](fmt::Display) text (lowercase, one
/// line) is for people and includes the offset and the path.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    offset: usize,
    path: Box<str>,
    detail: Option<&'static str>,
}

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The byte offset in the input of the token (or header field) where the problem was found:
    /// the tag byte of the offending element, the first byte of a bad string or number, or the
    /// `END` of an element that lacks a required child.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// The element path where the problem was found, e.g. `/SyncML/SyncHdr/MsgID` (XML local
    /// names); `/` before the root element.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    pub(crate) fn new(kind: ErrorKind, offset: usize, path: Box<str>) -> Self {
        Self(Box::new(Inner {
            kind,
            offset,
            path,
            detail: None,
        }))
    }

    pub(crate) fn with_detail(mut self, detail: &'static str) -> Self {
        self.0.detail = Some(detail);
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("path", &self.0.path)
            .field("detail", &self.0.detail)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        if let Some(detail) = self.0.detail {
            write!(f, " ({detail})")?;
        }
        write!(f, " at byte {} in {}", self.0.offset, self.0.path)
    }
}

/// No `source()`: the `Display` of an [`ErrorKind::InvalidValue`] already prints its
/// `ValueError` (as `omadm-xml`'s error does), so a report chain would print it twice.
impl core::error::Error for Error {}

/// The kinds of [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The version byte is not WBXML 1.1, 1.2 or 1.3 (`0x01..=0x03`).
    UnsupportedVersion(u8),
    /// The public identifier is neither SyncML 1.1 nor 1.2 (numeric, or as a string-table
    /// reference) nor "unknown" (`0x01`).
    UnsupportedPublicId,
    /// The charset is not UTF-8 (IANA MIBenum 106); holds the MIBenum found.
    UnsupportedCharset(u32),
    /// An mb_u_int32 with a leading `0x80` byte (an overlong encoding).
    OverlongInteger,
    /// An mb_u_int32 that does not fit in 32 bits (more than five bytes, or a value above
    /// `u32::MAX`).
    IntegerOverflow,
    /// A string-table reference (`STR_T`, or the public identifier's index) at or beyond the end
    /// of the string table.
    StringTableIndex,
    /// A tag with attributes (the `0x80` flag), or an attribute token: SyncML has none.
    Attribute,
    /// A `SWITCH_PAGE` to a code page other than 0 (SyncML) and 1 (MetInf).
    UnknownCodePage(u8),
    /// A tag token that the code page does not define, or a `LITERAL` tag.
    UnknownElement,
    /// A global token SyncML does not use here: `EXT_*`, `PI`, or a token where an element or
    /// content must be.
    UnsupportedToken(u8),
    /// A string that is not UTF-8, or opaque data that must be text and is not UTF-8.
    Encoding,
    /// An `ENTITY` whose code is not a Unicode scalar value.
    Entity,
    /// A SyncML or MetInf element where its parent's content model does not allow it (including
    /// a MetInf element outside `Meta`, and a child in an element that holds only text).
    MisplacedElement,
    /// A single-occurrence child given twice (e.g. two `SyncHdr`, two `MsgID`).
    DuplicateElement,
    /// A required child is absent; names it (e.g. `"SyncBody"`, `"MsgID"`).
    MissingElement(&'static str),
    /// An element's text is not a valid value for it (e.g. `MsgID` `abc`, `CmdID` `0`).
    InvalidValue(ValueError),
    /// A data-synchronisation command that is not part of OMA DM; names it.
    UnsupportedCommand(&'static str),
    /// A configured [`Limits`](crate::Limits) value was exceeded.
    LimitExceeded(Limit),
    /// Text or opaque data where only elements may appear.
    UnexpectedText,
    /// Bytes after the root element's `END`.
    TrailingContent,
    /// The input ends inside the header, a token or an element.
    UnexpectedEof,
    /// An `END` with no open element.
    UnbalancedEnd,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::UnsupportedVersion(v) => write!(f, "unsupported wbxml version 0x{v:02x}"),
            ErrorKind::UnsupportedPublicId => f.write_str("not a syncml 1.1 or 1.2 public id"),
            ErrorKind::UnsupportedCharset(mib) => write!(f, "unsupported charset (mib {mib})"),
            ErrorKind::OverlongInteger => f.write_str("overlong mb_u_int32"),
            ErrorKind::IntegerOverflow => f.write_str("mb_u_int32 overflows 32 bits"),
            ErrorKind::StringTableIndex => f.write_str("string table index out of bounds"),
            ErrorKind::Attribute => f.write_str("attribute not allowed"),
            ErrorKind::UnknownCodePage(p) => write!(f, "unknown code page {p}"),
            ErrorKind::UnknownElement => f.write_str("unknown element"),
            ErrorKind::UnsupportedToken(t) => write!(f, "unsupported token 0x{t:02x}"),
            ErrorKind::Encoding => f.write_str("not utf-8"),
            ErrorKind::Entity => f.write_str("entity is not a unicode scalar value"),
            ErrorKind::MisplacedElement => f.write_str("misplaced element"),
            ErrorKind::DuplicateElement => f.write_str("duplicate element"),
            ErrorKind::MissingElement(name) => write!(f, "missing element {name}"),
            ErrorKind::InvalidValue(e) => write!(f, "{e}"),
            ErrorKind::UnsupportedCommand(c) => {
                write!(f, "data-sync command {c} is unsupported in dm")
            }
            ErrorKind::LimitExceeded(l) => write!(f, "{l} limit exceeded"),
            ErrorKind::UnexpectedText => f.write_str("unexpected text"),
            ErrorKind::TrailingContent => f.write_str("content after the root element"),
            ErrorKind::UnexpectedEof => f.write_str("unexpected end of input"),
            ErrorKind::UnbalancedEnd => f.write_str("end token without open element"),
        }
    }
}

/// Which of the [`Limits`](crate::Limits) was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// The input is larger than `max_size` bytes.
    Size,
    /// Elements are nested deeper than `max_depth`.
    Depth,
    /// The input holds more than `max_elements` elements.
    Elements,
    /// An element's text is longer than `max_text` bytes.
    TextLength,
    /// The string table is longer than `max_string_table` bytes.
    StringTable,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Size => "message size",
            Limit::Depth => "nesting depth",
            Limit::Elements => "element count",
            Limit::TextLength => "text length",
            Limit::StringTable => "string table",
        })
    }
}

/// Why the `SyncHdr/Cred/Data` of a WBXML message has no MAC span: the in-message MAC rule needs
/// the content to be exactly one `STR_I` (the span is that string's bytes), and it is not. The
/// message itself may decode; a verifier ignores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredDataForm {
    /// `Data` has no content at all (a bare tag).
    NoContent,
    /// A string-table reference (`STR_T`).
    StringTable,
    /// `OPAQUE` data.
    Opaque,
    /// An `ENTITY`.
    Entity,
    /// More than one piece (several strings, or strings and other tokens).
    Pieces,
}

impl fmt::Display for CredDataForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredDataForm::NoContent => "cred data has no content",
            CredDataForm::StringTable => "cred data is a string-table reference",
            CredDataForm::Opaque => "cred data is opaque",
            CredDataForm::Entity => "cred data is an entity",
            CredDataForm::Pieces => "cred data has several pieces",
        })
    }
}

impl core::error::Error for CredDataForm {}
