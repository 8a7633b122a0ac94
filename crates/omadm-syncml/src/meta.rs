//! `Meta` and the MetInf elements (namespace `syncml:metinf`), with the `Format` and `Mark`
//! vocabularies that Generic Alerts and Sessionless Reports use.

use core::fmt;

use std::borrow::Cow;

use crate::error::ValueError;

/// The MetInf namespace URI. Namespace URIs are case-sensitive.
pub const METINF_NAMESPACE: &str = "syncml:metinf";

/// A `Meta` element: the MetInf children that describe a header, command or item.
///
/// The field order is the MetInf DTD order (`FieldLevel?, Format?, Type?, Mark?, Size?, Anchor?,
/// Version?, NextNonce?, MaxMsgSize?, MaxObjSize?, EMI*, Mem?`), which is the order the encoder
/// writes; the decoder accepts the children in any order. Values are kept as the peer sent them
/// (trimmed of surrounding XML whitespace); [`Format`] and [`Mark`] keep unknown tokens in their
/// `Other` variant so that lenient decoding loses nothing. The data-sync-only `Anchor` and `Mem`
/// are boxed so that the common case stays small.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Meta<'a> {
    /// `FieldLevel` (an empty element; DS only, kept for completeness).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub field_level: bool,
    /// `Format`: the encoding of the sibling `Data`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub format: Option<Format<'a>>,
    /// `Type`: the MIME type, URN or reverse-domain identifier of the data.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "type",
            borrow,
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub ty: Option<Cow<'a, str>>,
    /// `Mark`: for Generic Alerts and Sessionless Reports, the importance level.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub mark: Option<Mark<'a>>,
    /// `Size`: the size of the data in bytes as carried.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub size: Option<u64>,
    /// `Anchor` (DS only, kept for completeness).
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub anchor: Option<Box<Anchor<'a>>>,
    /// `Version`: the version of the data.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub version: Option<Cow<'a, str>>,
    /// `NextNonce`: the base64 nonce the peer must use in its next credential (kept as text; the
    /// security layer decodes it).
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub next_nonce: Option<Cow<'a, str>>,
    /// `MaxMsgSize`: the largest message, in bytes, the sender of this header can receive.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub max_msg_size: Option<u64>,
    /// `MaxObjSize`: the largest object, in bytes, the sender of this header can receive.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub max_obj_size: Option<u64>,
    /// `EMI`: extended meta information, zero or more.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub emi: Vec<Cow<'a, str>>,
    /// `Mem` (DS only, kept for completeness).
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub mem: Option<Box<Mem<'a>>>,
}

impl<'a> Meta<'a> {
    /// Whether no MetInf element is present.
    pub fn is_empty(&self) -> bool {
        *self == Meta::default()
    }

    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Meta<'static> {
        Meta {
            field_level: self.field_level,
            format: self.format.map(Format::into_owned),
            ty: self.ty.map(owned),
            mark: self.mark.map(Mark::into_owned),
            size: self.size,
            anchor: self.anchor.map(|a| Box::new(a.into_owned())),
            version: self.version.map(owned),
            next_nonce: self.next_nonce.map(owned),
            max_msg_size: self.max_msg_size,
            max_obj_size: self.max_obj_size,
            emi: self.emi.into_iter().map(owned).collect(),
            mem: self.mem.map(|m| Box::new(m.into_owned())),
        }
    }
}

/// `Anchor` (`Last?, Next`): DS synchronisation anchors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Anchor<'a> {
    /// `Last`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub last: Option<Cow<'a, str>>,
    /// `Next`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub next: Cow<'a, str>,
}

impl Anchor<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Anchor<'static> {
        Anchor {
            last: self.last.map(owned),
            next: owned(self.next),
        }
    }
}

/// `Mem` (`SharedMem?, FreeMem, FreeID`): DS memory information.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Mem<'a> {
    /// `SharedMem` (empty element).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub shared_mem: bool,
    /// `FreeMem`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub free_mem: Cow<'a, str>,
    /// `FreeID`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub free_id: Cow<'a, str>,
}

impl Mem<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Mem<'static> {
        Mem {
            shared_mem: self.shared_mem,
            free_mem: owned(self.free_mem),
            free_id: owned(self.free_id),
        }
    }
}

/// A MetInf `Format` token: how the sibling `Data` is encoded.
///
/// The eleven known tokens are those of SyncML MetaInfo (`b64`, `bin`, `bool`, `chr`, `int`,
/// `node`, `null`, `xml`) and DM TND (`date`, `time`, `float`). Anything else decodes to
/// [`Format::Other`] so that lenient decoding keeps it; the sessionless profile refuses it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format<'a> {
    /// `b64`: base64 text.
    B64,
    /// `bin`: binary (WBXML opaque).
    Bin,
    /// `bool`: `true` or `false`.
    Bool,
    /// `chr`: text (the default when `Format` is absent).
    Chr,
    /// `int`: an unsigned integer as text.
    Int,
    /// `node`: an interior node (no data).
    Node,
    /// `null`: no content.
    Null,
    /// `xml`: XML content.
    Xml,
    /// `date`: an ISO 8601 date (DM TND).
    Date,
    /// `time`: an ISO 8601 time (DM TND).
    Time,
    /// `float`: a floating-point number (DM TND).
    Float,
    /// A token outside the known set, kept as sent.
    Other(Cow<'a, str>),
}

impl<'a> Format<'a> {
    /// Every known format, in the order listed above.
    pub const KNOWN: [Format<'static>; 11] = [
        Format::B64,
        Format::Bin,
        Format::Bool,
        Format::Chr,
        Format::Int,
        Format::Node,
        Format::Null,
        Format::Xml,
        Format::Date,
        Format::Time,
        Format::Float,
    ];

    /// Reads a token leniently: a known token becomes its variant, anything else
    /// [`Format::Other`]. Tokens are case-sensitive, as in the MetInf DTD.
    pub fn from_token(token: impl Into<Cow<'a, str>>) -> Self {
        let token = token.into();
        match Self::known(&token) {
            Some(f) => f,
            None => Format::Other(token),
        }
    }

    /// Reads a token strictly: only the eleven known tokens.
    pub fn parse_known(token: &str) -> Result<Format<'static>, ValueError> {
        Self::known(token).ok_or(ValueError::Format)
    }

    fn known(token: &str) -> Option<Format<'static>> {
        Some(match token {
            "b64" => Format::B64,
            "bin" => Format::Bin,
            "bool" => Format::Bool,
            "chr" => Format::Chr,
            "int" => Format::Int,
            "node" => Format::Node,
            "null" => Format::Null,
            "xml" => Format::Xml,
            "date" => Format::Date,
            "time" => Format::Time,
            "float" => Format::Float,
            _ => return None,
        })
    }

    /// The token as written in a message.
    pub fn as_str(&self) -> &str {
        match self {
            Format::B64 => "b64",
            Format::Bin => "bin",
            Format::Bool => "bool",
            Format::Chr => "chr",
            Format::Int => "int",
            Format::Node => "node",
            Format::Null => "null",
            Format::Xml => "xml",
            Format::Date => "date",
            Format::Time => "time",
            Format::Float => "float",
            Format::Other(s) => s,
        }
    }

    /// Whether this is one of the eleven known tokens.
    pub fn is_known(&self) -> bool {
        !matches!(self, Format::Other(_))
    }

    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Format<'static> {
        match self {
            Format::Other(s) => Format::Other(owned(s)),
            Format::B64 => Format::B64,
            Format::Bin => Format::Bin,
            Format::Bool => Format::Bool,
            Format::Chr => Format::Chr,
            Format::Int => Format::Int,
            Format::Node => Format::Node,
            Format::Null => Format::Null,
            Format::Xml => Format::Xml,
            Format::Date => Format::Date,
            Format::Time => Format::Time,
            Format::Float => Format::Float,
        }
    }
}

impl fmt::Display for Format<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `Mark`: for Generic Alerts and Sessionless Reports, the importance level (DM Protocol,
/// Generic Alert), most important first. Absent means [`Mark::Informational`].
///
/// Other tokens (the DS values `draft`, `final`, ..., or a `major` that DM 1.3 may add) decode to
/// [`Mark::Other`]; the sessionless profile refuses them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mark<'a> {
    /// `fatal`.
    Fatal,
    /// `critical`.
    Critical,
    /// `minor`.
    Minor,
    /// `warning`.
    Warning,
    /// `informational` (the meaning of an absent Mark).
    Informational,
    /// `harmless`.
    Harmless,
    /// `indeterminate`.
    Indeterminate,
    /// A token outside the seven levels, kept as sent.
    Other(Cow<'a, str>),
}

impl<'a> Mark<'a> {
    /// The seven importance levels, most important first.
    pub const LEVELS: [Mark<'static>; 7] = [
        Mark::Fatal,
        Mark::Critical,
        Mark::Minor,
        Mark::Warning,
        Mark::Informational,
        Mark::Harmless,
        Mark::Indeterminate,
    ];

    /// Reads a token leniently: a level becomes its variant, anything else [`Mark::Other`].
    pub fn from_token(token: impl Into<Cow<'a, str>>) -> Self {
        let token = token.into();
        match Self::level(&token) {
            Some(m) => m,
            None => Mark::Other(token),
        }
    }

    /// Reads a token strictly: only the seven levels.
    pub fn parse_level(token: &str) -> Result<Mark<'static>, ValueError> {
        Self::level(token).ok_or(ValueError::Mark)
    }

    fn level(token: &str) -> Option<Mark<'static>> {
        Some(match token {
            "fatal" => Mark::Fatal,
            "critical" => Mark::Critical,
            "minor" => Mark::Minor,
            "warning" => Mark::Warning,
            "informational" => Mark::Informational,
            "harmless" => Mark::Harmless,
            "indeterminate" => Mark::Indeterminate,
            _ => return None,
        })
    }

    /// The token as written in a message.
    pub fn as_str(&self) -> &str {
        match self {
            Mark::Fatal => "fatal",
            Mark::Critical => "critical",
            Mark::Minor => "minor",
            Mark::Warning => "warning",
            Mark::Informational => "informational",
            Mark::Harmless => "harmless",
            Mark::Indeterminate => "indeterminate",
            Mark::Other(s) => s,
        }
    }

    /// Whether this is one of the seven levels.
    pub fn is_level(&self) -> bool {
        !matches!(self, Mark::Other(_))
    }

    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Mark<'static> {
        match self {
            Mark::Other(s) => Mark::Other(owned(s)),
            Mark::Fatal => Mark::Fatal,
            Mark::Critical => Mark::Critical,
            Mark::Minor => Mark::Minor,
            Mark::Warning => Mark::Warning,
            Mark::Informational => Mark::Informational,
            Mark::Harmless => Mark::Harmless,
            Mark::Indeterminate => Mark::Indeterminate,
        }
    }
}

impl fmt::Display for Mark<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Turns a borrowed text into an owned one.
pub(crate) fn owned(s: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(s.into_owned())
}
