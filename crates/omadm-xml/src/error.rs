//! The codec's error: a kind to match on, the byte offset in the input and the element path
//! where decoding stopped.

use core::fmt;

use omadm_syncml::ValueError;

use crate::names::El;

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

    /// The byte offset in the input (counted from the first byte, BOM included) of the markup
    /// or text where the problem was found: the `<` of the offending tag, the start of the bad
    /// text, or the end tag of an element that lacks a required child.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// The element path where the problem was found, e.g. `/SyncML/SyncHdr/MsgID` (local names,
    /// prefixes dropped); `/` before the root element.
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

/// No [`source`](core::error::Error::source): the one underlying error, an
/// [`ErrorKind::InvalidValue`]'s `ValueError`, is already in the `Display` line (and in
/// [`Error::kind`]), so that a printed error chain names it once.
impl core::error::Error for Error {}

/// The kinds of [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not well-formed XML (bad markup, mismatched end tag, `--` in a comment, a
    /// character XML does not allow, text `]]>`, a misplaced XML declaration, ...).
    Syntax,
    /// The input is not UTF-8, or its XML declaration names another encoding.
    Encoding,
    /// A namespace problem: the root in a namespace other than SyncML 1.1/1.2 (or none), an
    /// element in the wrong namespace, an undeclared prefix, a bad namespace declaration.
    Namespace,
    /// An element that SyncML DM does not define.
    UnknownElement,
    /// A SyncML or MetInf element where its parent's content model does not allow it (including a
    /// `syncml:metinf` element outside `Meta`, and a child in an element that holds only text).
    MisplacedElement,
    /// A single-occurrence child given twice (e.g. two `SyncHdr`, two `MsgID`).
    DuplicateElement,
    /// A required child is absent; names it (e.g. `"SyncBody"`, `"MsgID"`).
    MissingElement(&'static str),
    /// An element's text is not a valid value for it (e.g. `MsgID` `abc`, `CmdID` `0`).
    InvalidValue(ValueError),
    /// A document type declaration with an internal subset (or a lowercase `<!doctype`), or a
    /// second one. No DTD is ever read, fetched or expanded.
    Doctype,
    /// A reference to an entity other than the five predefined ones, or a character reference
    /// to a character XML does not allow. Nothing is ever expanded.
    Entity,
    /// A data-synchronisation command that is not part of OMA DM.
    UnsupportedCommand(DsCommand),
    /// A configured [`Limits`](crate::Limits) value was exceeded.
    LimitExceeded(Limit),
    /// Character data where only elements may appear.
    UnexpectedText,
    /// Something other than comments, processing instructions and whitespace after the root.
    TrailingContent,
    /// The input ends inside the document (or holds no root element).
    UnexpectedEof,
    /// An attribute: SyncML elements carry none except namespace declarations; or a malformed or
    /// repeated attribute.
    Attribute,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Syntax => f.write_str("malformed xml"),
            ErrorKind::Encoding => f.write_str("not utf-8"),
            ErrorKind::Namespace => f.write_str("namespace error"),
            ErrorKind::UnknownElement => f.write_str("unknown element"),
            ErrorKind::MisplacedElement => f.write_str("misplaced element"),
            ErrorKind::DuplicateElement => f.write_str("duplicate element"),
            ErrorKind::MissingElement(name) => write!(f, "missing element {name}"),
            ErrorKind::InvalidValue(e) => write!(f, "{e}"),
            ErrorKind::Doctype => f.write_str("refused document type declaration"),
            ErrorKind::Entity => f.write_str("refused entity reference"),
            ErrorKind::UnsupportedCommand(c) => {
                write!(f, "data-sync command {} is unsupported in dm", c.name())
            }
            ErrorKind::LimitExceeded(l) => write!(f, "{l} limit exceeded"),
            ErrorKind::UnexpectedText => f.write_str("unexpected text"),
            ErrorKind::TrailingContent => f.write_str("content after the root element"),
            ErrorKind::UnexpectedEof => f.write_str("unexpected end of input"),
            ErrorKind::Attribute => f.write_str("attribute not allowed"),
        }
    }
}

/// A SyncML data-synchronisation command, which OMA DM does not use.
///
/// The set is closed: these are the SyncML RepPro commands that the DM command set leaves out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DsCommand {
    /// `Sync`.
    Sync,
    /// `Map`.
    Map,
    /// `Put`.
    Put,
    /// `Search`.
    Search,
    /// `Move`.
    Move,
}

impl DsCommand {
    /// The element name.
    pub const fn name(self) -> &'static str {
        match self {
            DsCommand::Sync => "Sync",
            DsCommand::Map => "Map",
            DsCommand::Put => "Put",
            DsCommand::Search => "Search",
            DsCommand::Move => "Move",
        }
    }

    pub(crate) fn from_el(el: El) -> Option<Self> {
        Some(match el {
            El::Sync => DsCommand::Sync,
            El::Map => DsCommand::Map,
            El::Put => DsCommand::Put,
            El::Search => DsCommand::Search,
            El::Move => DsCommand::Move,
            _ => return None,
        })
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
    /// An element's text (or an `Item/Data` XML fragment) is longer than `max_text` bytes.
    TextLength,
    /// More than 64 attributes on one element, or more than 64 namespace prefix declarations in
    /// scope (fixed bounds, not configurable).
    Attributes,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Size => "message size",
            Limit::Depth => "nesting depth",
            Limit::Elements => "element count",
            Limit::TextLength => "text length",
            Limit::Attributes => "attribute count",
        })
    }
}
