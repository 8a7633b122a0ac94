//! The Sessionless Reporting profile (OMA DM 1.3) as types: a [`SessionlessReport`] that can only
//! be built valid, and [`check`], which lints a whole message against the profile's rules.
//!
//! The rules come from the Sessionless Reporting TS (sections 5.1, 5.2, 5.4 and its conformance
//! requirements DM-SR-C-002-M ... DM-SR-C-007-M) and the interpretation decisions of the project
//! (Type grammar, Format and Mark vocabularies, VerProto). Each rule is a [`Rule`] with a stable
//! machine-readable name, the SCR id when the spec gives one, and the section it comes from.

use core::fmt;
use core::fmt::Write as _;
use core::ops::ControlFlow;

use std::borrow::Cow;
use std::collections::HashSet;

use crate::command::{Alert, Carriage, Command, Item, ItemData};
use crate::ids::{AlertCode, CmdId};
use crate::message::{Source, SyncMl, SyncMlVersion};
use crate::meta::{Format, Mark, Meta, owned};

/// The longest `Meta/Type` accepted, in bytes.
pub const MAX_TYPE_LEN: usize = 256;
/// The longest `Item/Source/LocURI` accepted, in bytes.
pub const MAX_SOURCE_URI_LEN: usize = 1024;
/// The largest report data accepted, in bytes (1 MiB). The message that carries it must still
/// fit the server's `MaxMsgSize` ([`check_size`]); this bound only keeps a report finite.
pub const MAX_DATA_LEN: usize = 1 << 20;

/// The `VerProto` values a sessionless report message may carry.
pub const VER_PROTOS: [&str; 2] = ["DM/1.2", "DM/1.3"];

/// One sessionless report: the content of the single `Item` of a Sessionless Report Alert (alert
/// code 1230).
///
/// It can only be built valid ([`SessionlessReport::new`], [`SessionlessReport::from_alert`]):
/// a `Type` that follows the Generic Alert grammar (see [`SessionlessReport::new`]), one of the
/// eleven known [`Format`]s, an optional [`Mark`] that is one of the seven levels, and texts made
/// of XML characters. The texts borrow (`Cow<'a, str>`); [`SessionlessReport::into_owned`]
/// detaches a report.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionlessReport<'a> {
    source_uri: Option<Cow<'a, str>>,
    alert_type: Cow<'a, str>,
    format: Format<'static>,
    mark: Option<Mark<'static>>,
    data: Cow<'a, str>,
}

impl<'a> SessionlessReport<'a> {
    /// Checks and builds a report.
    ///
    /// - `source_uri` (`Item/Source/LocURI`, the management object the report concerns): if
    ///   present, non-empty, at most [`MAX_SOURCE_URI_LEN`] bytes, no surrounding whitespace, no
    ///   control character.
    /// - `alert_type` (`Meta/Type`): non-empty, at most [`MAX_TYPE_LEN`] bytes, no surrounding
    ///   whitespace, no control character, and one of:
    ///   - a URN: `urn:` (any case) + a namespace id (1 to 32 ASCII letters, digits or `-`,
    ///     starting with a letter or digit) + `:` + a non-empty rest without whitespace, e.g.
    ///     `urn:oma:mo:samplealert1:1.0`;
    ///   - `Reversed-Domain-Name:` + at most one space + a non-empty value without whitespace,
    ///     e.g. `Reversed-Domain-Name: org.openmobilealliance.dm.samplealert`;
    ///   - `Content-Type:` + at most one space + a non-empty value that does not start with
    ///     whitespace (MIME parameters may hold spaces), e.g. `Content-Type: application/json`;
    ///   - a bare reverse-domain name: two or more `.`-separated labels of ASCII letters, digits,
    ///     `-` or `_`, e.g. `com.example.battery`.
    ///
    ///   The prefixes `Reversed-Domain-Name:` and `Content-Type:` are case-sensitive.
    /// - `format`: one of the eleven known tokens ([`Format::KNOWN`]).
    /// - `mark`: absent (meaning informational) or one of the seven levels ([`Mark::LEVELS`]).
    /// - `data`: at most [`MAX_DATA_LEN`] bytes of XML characters (anything XML 1.0 allows,
    ///   including `<`, `&`, `]]>` and line breaks; not NUL, other C0 controls, U+FFFE, U+FFFF).
    pub fn new(
        source_uri: Option<Cow<'a, str>>,
        alert_type: impl Into<Cow<'a, str>>,
        format: Format<'_>,
        mark: Option<Mark<'_>>,
        data: impl Into<Cow<'a, str>>,
    ) -> Result<Self, ReportError> {
        let alert_type = alert_type.into();
        let data = data.into();
        if let Some(uri) = &source_uri {
            check_source_uri(uri)?;
        }
        check_type(&alert_type)?;
        let format = known_format(&format).ok_or(ReportError::Format)?;
        let mark = match mark {
            Some(m) => Some(level(&m).ok_or(ReportError::Mark)?),
            None => None,
        };
        check_data(&data)?;
        Ok(Self {
            source_uri,
            alert_type,
            format,
            mark,
            data,
        })
    }

    /// Reads the report of a Sessionless Report Alert, borrowing its texts (no copy of the data).
    ///
    /// Every alert-level rule of [`check`] applies (alert code 1230, exactly one `Item`, `Meta`
    /// with a valid `Type` and `Format`, a valid `Mark` if any, CDATA-carried `Data`, no
    /// `MoreData`, a `Size` that matches the data, no `Cred`, `NoResp` or `Correlator` on the
    /// alert); the first broken one is returned. The violation's location starts at `Alert`.
    pub fn from_alert<'m>(alert: &'m Alert<'_>) -> Result<SessionlessReport<'m>, Violation> {
        let mut first = None;
        let flow = inspect_alert(alert, &mut |rule, spot| {
            first = Some((rule, spot));
            ControlFlow::Break(())
        });
        if let ControlFlow::Continue(Some(report)) = flow {
            return Ok(report);
        }
        // `inspect_alert` yields no report only after naming a rule; the fallback is never used.
        let (rule, spot) = first.unwrap_or((Rule::ItemCount, Spot::Alert));
        Err(alert_violation(alert.cmd_id, rule, spot))
    }

    /// `Item/Source/LocURI`: the URI of the management object the report concerns, if any.
    pub fn source_uri(&self) -> Option<&str> {
        self.source_uri.as_deref()
    }

    /// `Item/Meta/Type`: what kind of report this is.
    pub fn alert_type(&self) -> &str {
        &self.alert_type
    }

    /// `Item/Meta/Format`: how the data is encoded (one of the eleven known tokens).
    pub fn format(&self) -> &Format<'static> {
        &self.format
    }

    /// `Item/Meta/Mark`: the importance level, if one was given.
    pub fn mark(&self) -> Option<&Mark<'static>> {
        self.mark.as_ref()
    }

    /// The importance level, [`Mark::Informational`] when none was given.
    pub fn effective_mark(&self) -> &Mark<'static> {
        self.mark.as_ref().unwrap_or(&Mark::Informational)
    }

    /// `Item/Data`: the report data, exactly as carried (opaque; nothing parses it).
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The `Item` of the Sessionless Report Alert that carries this report: `Source/LocURI` if
    /// any, `Meta` with `Format`, `Type` and `Mark` (if any), and the data as
    /// [`Carriage::Cdata`]. It borrows from the report.
    pub fn to_item(&self) -> Item<'_> {
        Item {
            source: self.source_uri.as_deref().map(|uri| Source {
                loc_uri: Cow::Borrowed(uri),
                loc_name: None,
            }),
            meta: Some(Meta {
                format: Some(self.format.clone()),
                ty: Some(Cow::Borrowed(&*self.alert_type)),
                mark: self.mark.clone(),
                ..Meta::default()
            }),
            data: Some(ItemData::cdata(Cow::Borrowed(&*self.data))),
            ..Item::default()
        }
    }

    /// The Sessionless Report Alert that carries this report: alert code 1230 and
    /// [`SessionlessReport::to_item`] as its one `Item`.
    pub fn to_alert(&self, cmd_id: CmdId) -> Alert<'_> {
        Alert {
            cmd_id,
            no_resp: false,
            cred: None,
            data: Some(AlertCode::SESSIONLESS_REPORT),
            correlator: None,
            items: vec![self.to_item()],
        }
    }

    /// Detaches the report from the input it borrows from.
    pub fn into_owned(self) -> SessionlessReport<'static> {
        SessionlessReport {
            source_uri: self.source_uri.map(owned),
            alert_type: owned(self.alert_type),
            format: self.format,
            mark: self.mark,
            data: owned(self.data),
        }
    }
}

/// Reads the report of a Sessionless Report Alert by moving its texts out: the report keeps the
/// alert's lifetime (for a decoded message, the input's) and nothing is copied. The rules and
/// the error are those of [`SessionlessReport::from_alert`].
impl<'a> TryFrom<Alert<'a>> for SessionlessReport<'a> {
    type Error = Violation;

    fn try_from(alert: Alert<'a>) -> Result<Self, Violation> {
        let (format, mark) = {
            let checked = SessionlessReport::from_alert(&alert)?;
            (checked.format, checked.mark)
        };
        let cmd_id = alert.cmd_id;
        // `from_alert` succeeded: one item with Meta, Type and Data. The fallback is never used.
        let missing = || alert_violation(cmd_id, Rule::ItemCount, Spot::Alert);
        let item = alert.items.into_iter().next().ok_or_else(missing)?;
        let meta = item.meta.ok_or_else(missing)?;
        Ok(SessionlessReport {
            source_uri: item.source.map(|s| s.loc_uri),
            alert_type: meta.ty.ok_or_else(missing)?,
            format,
            mark,
            data: item.data.ok_or_else(missing)?.value,
        })
    }
}

fn alert_violation(cmd_id: CmdId, rule: Rule, spot: Spot) -> Violation {
    Violation {
        rule,
        location: Location::build(None, Some(cmd_id), |p| {
            p.push_str("Alert");
            spot.write(p);
        }),
    }
}

/// Why [`SessionlessReport::new`] refused a report. Each variant names the broken rule;
/// [`ReportError::rule`] gives the matching [`Rule`] of [`check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportError {
    /// The source URI is present but empty.
    SourceUriEmpty,
    /// The source URI is longer than [`MAX_SOURCE_URI_LEN`] bytes.
    SourceUriTooLong,
    /// The source URI starts or ends with whitespace.
    SourceUriWhitespace,
    /// The source URI holds a control character or a character XML does not allow.
    SourceUriChar,
    /// The Type is empty.
    TypeEmpty,
    /// The Type is longer than [`MAX_TYPE_LEN`] bytes.
    TypeTooLong,
    /// The Type starts or ends with whitespace.
    TypeWhitespace,
    /// The Type is not a URN, a `Reversed-Domain-Name:` or `Content-Type:` value, or a bare
    /// reverse-domain name (or holds a control character).
    TypeSyntax,
    /// The Format is not one of the eleven known tokens.
    Format,
    /// The Mark is not one of the seven importance levels.
    Mark,
    /// The data is longer than [`MAX_DATA_LEN`] bytes.
    DataTooLong,
    /// The data holds a character XML does not allow (NUL, another C0 control, U+FFFE, U+FFFF).
    DataChar,
}

impl ReportError {
    /// The rule of [`check`] that this refusal corresponds to.
    pub fn rule(self) -> Rule {
        match self {
            ReportError::SourceUriEmpty
            | ReportError::SourceUriTooLong
            | ReportError::SourceUriWhitespace
            | ReportError::SourceUriChar => Rule::SourceUri,
            ReportError::TypeEmpty
            | ReportError::TypeTooLong
            | ReportError::TypeWhitespace
            | ReportError::TypeSyntax => Rule::TypeValue,
            ReportError::Format => Rule::FormatValue,
            ReportError::Mark => Rule::MarkValue,
            ReportError::DataTooLong | ReportError::DataChar => Rule::DataValue,
        }
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportError::SourceUriEmpty => "the source uri is empty",
            ReportError::SourceUriTooLong => "the source uri is longer than 1024 bytes",
            ReportError::SourceUriWhitespace => "the source uri starts or ends with whitespace",
            ReportError::SourceUriChar => "the source uri holds a control or non-xml character",
            ReportError::TypeEmpty => "the type is empty",
            ReportError::TypeTooLong => "the type is longer than 256 bytes",
            ReportError::TypeWhitespace => "the type starts or ends with whitespace",
            ReportError::TypeSyntax => {
                "the type is not a urn, a reversed-domain-name or content-type value, or a reverse-domain name"
            }
            ReportError::Format => "the format is not one of the eleven known formats",
            ReportError::Mark => "the mark is not one of the seven importance levels",
            ReportError::DataTooLong => "the data is longer than 1048576 bytes",
            ReportError::DataChar => "the data holds a character xml does not allow",
        })
    }
}

impl core::error::Error for ReportError {}

/// A rule of the sessionless profile that a message can break.
///
/// | name | SCR id | section | what it checks |
/// |---|---|---|---|
/// | `alert-code` | DM-SR-C-002-M | 5.1 | every `Alert` of the body has `Data` 1230 |
/// | `item-count` | DM-SR-C-003-M | 5.1 | every such `Alert` has exactly one `Item` |
/// | `data-cdata` | DM-SR-C-004-M | 5.1 | `Item/Data` is present and wholly CDATA ([`Carriage::Cdata`]) |
/// | `item-meta` | DM-SR-C-005-M | 5.1 | `Item/Meta` is present |
/// | `meta-type` | DM-SR-C-005-M | 5.1 | `Meta/Type` is present |
/// | `type-value` | DM-SR-C-005-M | 5.1 | `Meta/Type` follows the Generic Alert grammar |
/// | `meta-format` | DM-SR-C-005-M | 5.1 | `Meta/Format` is present |
/// | `format-value` | DM-SR-C-005-M | 5.1 | `Meta/Format` is one of the eleven known |
/// | `header-cred` | DM-SR-C-006-M | 5.2 | `SyncHdr/Cred` is present |
/// | `body-only-reports` | DM-SR-C-007-M | 5.2 | the body holds nothing but `Alert`s |
/// | `mark-value` | — | 5.1 | `Meta/Mark`, if any, is one of the seven levels |
/// | `source-uri` | — | 5.1 | `Item/Source/LocURI`, if any, is non-empty, trimmed, short |
/// | `data-value` | — | 5.1 | the data is XML characters, at most 1 MiB |
/// | `session-id` | — | 5.2 | `SessionID` is `0` |
/// | `ver-dtd` | — | 5.2 | namespace `SYNCML:SYNCML1.2` and `VerDTD` `1.2` |
/// | `ver-proto` | — | 5.2 | `VerProto` is `DM/1.2` or `DM/1.3` |
/// | `alert-cred` | — | 5.2 | no `Cred` on an `Alert` (DM allows it only in the header) |
/// | `alert-no-resp` | — | 5.6 | no `NoResp` on an `Alert` (no response ever flows back) |
/// | `alert-correlator` | — | 5.1 | no `Correlator` on an `Alert` |
/// | `cmd-id-unique` | — | 5.2 | `CmdID`s are unique within the message |
/// | `body-empty` | — | 5.2 | the body holds at least one command |
/// | `more-data` | — | 5.4 | no `Item/MoreData` (no Large Object chunk) |
/// | `large-object` | — | 5.4 | `Item/Meta/Size`, if any, equals the data length in bytes |
/// | `message-size` | — | 5.4 | the encoded message fits `MaxMsgSize` ([`check_size`]) |
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `alert-code` (DM-SR-C-002-M): the alert code is 1230.
    AlertCode,
    /// `item-count` (DM-SR-C-003-M): exactly one `Item`.
    ItemCount,
    /// `data-cdata` (DM-SR-C-004-M): `Item/Data` present and CDATA-escaped.
    DataCdata,
    /// `item-meta` (DM-SR-C-005-M): `Item/Meta` present.
    ItemMeta,
    /// `meta-type` (DM-SR-C-005-M): `Meta/Type` present.
    MetaType,
    /// `type-value` (DM-SR-C-005-M): `Meta/Type` follows the Generic Alert grammar.
    TypeValue,
    /// `meta-format` (DM-SR-C-005-M): `Meta/Format` present.
    MetaFormat,
    /// `format-value` (DM-SR-C-005-M): `Meta/Format` is a known format.
    FormatValue,
    /// `header-cred` (DM-SR-C-006-M): `Cred` in the `SyncHdr`.
    HeaderCred,
    /// `body-only-reports` (DM-SR-C-007-M): the body holds only Sessionless Report Alerts.
    BodyOnlyReports,
    /// `mark-value`: `Meta/Mark` is one of the seven levels.
    MarkValue,
    /// `source-uri`: `Item/Source/LocURI` is usable as a report's source URI.
    SourceUri,
    /// `data-value`: the report data is XML characters and at most [`MAX_DATA_LEN`] bytes.
    DataValue,
    /// `session-id`: `SessionID` is `0`.
    SessionId,
    /// `ver-dtd`: the `SYNCML:SYNCML1.2` namespace and `VerDTD` `1.2`.
    VerDtd,
    /// `ver-proto`: `VerProto` is `DM/1.2` or `DM/1.3`.
    VerProto,
    /// `alert-cred`: no `Cred` on an `Alert`.
    AlertCred,
    /// `alert-no-resp`: no `NoResp` on an `Alert`.
    AlertNoResp,
    /// `alert-correlator`: no `Correlator` on an `Alert`.
    AlertCorrelator,
    /// `cmd-id-unique`: `CmdID`s unique within the message.
    CmdIdUnique,
    /// `body-empty`: the body holds at least one command.
    BodyEmpty,
    /// `more-data`: no `MoreData` (Large Object chunk).
    MoreData,
    /// `large-object`: `Item/Meta/Size` agrees with the data (no Large Object).
    LargeObject,
    /// `message-size`: the encoded message fits `MaxMsgSize`.
    MessageSize,
}

impl Rule {
    /// Every rule, in the order of the table above.
    pub const ALL: [Rule; 24] = [
        Rule::AlertCode,
        Rule::ItemCount,
        Rule::DataCdata,
        Rule::ItemMeta,
        Rule::MetaType,
        Rule::TypeValue,
        Rule::MetaFormat,
        Rule::FormatValue,
        Rule::HeaderCred,
        Rule::BodyOnlyReports,
        Rule::MarkValue,
        Rule::SourceUri,
        Rule::DataValue,
        Rule::SessionId,
        Rule::VerDtd,
        Rule::VerProto,
        Rule::AlertCred,
        Rule::AlertNoResp,
        Rule::AlertCorrelator,
        Rule::CmdIdUnique,
        Rule::BodyEmpty,
        Rule::MoreData,
        Rule::LargeObject,
        Rule::MessageSize,
    ];

    /// The stable machine-readable name, e.g. `"alert-code"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rule::AlertCode => "alert-code",
            Rule::ItemCount => "item-count",
            Rule::DataCdata => "data-cdata",
            Rule::ItemMeta => "item-meta",
            Rule::MetaType => "meta-type",
            Rule::TypeValue => "type-value",
            Rule::MetaFormat => "meta-format",
            Rule::FormatValue => "format-value",
            Rule::HeaderCred => "header-cred",
            Rule::BodyOnlyReports => "body-only-reports",
            Rule::MarkValue => "mark-value",
            Rule::SourceUri => "source-uri",
            Rule::DataValue => "data-value",
            Rule::SessionId => "session-id",
            Rule::VerDtd => "ver-dtd",
            Rule::VerProto => "ver-proto",
            Rule::AlertCred => "alert-cred",
            Rule::AlertNoResp => "alert-no-resp",
            Rule::AlertCorrelator => "alert-correlator",
            Rule::CmdIdUnique => "cmd-id-unique",
            Rule::BodyEmpty => "body-empty",
            Rule::MoreData => "more-data",
            Rule::LargeObject => "large-object",
            Rule::MessageSize => "message-size",
        }
    }

    /// The rule with this machine-readable name.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The static conformance requirement (SCR) id of the spec, when the rule has one.
    pub const fn conformance_id(self) -> Option<&'static str> {
        match self {
            Rule::AlertCode => Some("DM-SR-C-002-M"),
            Rule::ItemCount => Some("DM-SR-C-003-M"),
            Rule::DataCdata => Some("DM-SR-C-004-M"),
            Rule::ItemMeta
            | Rule::MetaType
            | Rule::TypeValue
            | Rule::MetaFormat
            | Rule::FormatValue => Some("DM-SR-C-005-M"),
            Rule::HeaderCred => Some("DM-SR-C-006-M"),
            Rule::BodyOnlyReports => Some("DM-SR-C-007-M"),
            _ => None,
        }
    }

    /// The section of the Sessionless Reporting TS whose text states the rule (the SCR table
    /// refers every SCR to 5.1; the header and body rules are stated in 5.2).
    pub const fn section(self) -> &'static str {
        match self {
            Rule::AlertCode
            | Rule::ItemCount
            | Rule::DataCdata
            | Rule::ItemMeta
            | Rule::MetaType
            | Rule::TypeValue
            | Rule::MetaFormat
            | Rule::FormatValue
            | Rule::MarkValue
            | Rule::SourceUri
            | Rule::DataValue
            | Rule::AlertCorrelator => "5.1",
            Rule::HeaderCred
            | Rule::BodyOnlyReports
            | Rule::SessionId
            | Rule::VerDtd
            | Rule::VerProto
            | Rule::AlertCred
            | Rule::CmdIdUnique
            | Rule::BodyEmpty => "5.2",
            Rule::AlertNoResp => "5.6",
            Rule::MoreData | Rule::LargeObject | Rule::MessageSize => "5.4",
        }
    }

    /// What the rule asks for, in a few lowercase words.
    pub const fn description(self) -> &'static str {
        match self {
            Rule::AlertCode => "the alert code must be 1230",
            Rule::ItemCount => "the alert must hold exactly one item",
            Rule::DataCdata => "the item data must be present and cdata-escaped",
            Rule::ItemMeta => "the item must carry meta",
            Rule::MetaType => "the meta must carry a type",
            Rule::TypeValue => {
                "the type must be a urn, a reversed-domain-name or content-type value, or a reverse-domain name"
            }
            Rule::MetaFormat => "the meta must carry a format",
            Rule::FormatValue => "the format must be one of the eleven known formats",
            Rule::HeaderCred => "the header must carry cred",
            Rule::BodyOnlyReports => "the body must hold only sessionless report alerts",
            Rule::MarkValue => "the mark must be one of the seven importance levels",
            Rule::SourceUri => {
                "the source uri must be non-empty, without surrounding whitespace or control characters, at most 1024 bytes"
            }
            Rule::DataValue => "the data must be xml characters, at most 1048576 bytes",
            Rule::SessionId => "the session id must be 0",
            Rule::VerDtd => "the message must be syncml 1.2 (verdtd 1.2)",
            Rule::VerProto => "verproto must be DM/1.2 or DM/1.3",
            Rule::AlertCred => "an alert must not carry cred (it belongs in the header)",
            Rule::AlertNoResp => "an alert must not carry noresp",
            Rule::AlertCorrelator => "an alert must not carry a correlator",
            Rule::CmdIdUnique => "cmdids must be unique within the message",
            Rule::BodyEmpty => "the body must hold at least one report",
            Rule::MoreData => "an item must not carry moredata (no large object)",
            Rule::LargeObject => "the item size must equal the data length (no large object)",
            Rule::MessageSize => "the encoded message must fit maxmsgsize",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.conformance_id() {
            Some(id) => write!(f, "{} ({id}): {}", self.as_str(), self.description()),
            None => write!(
                f,
                "{} (section {}): {}",
                self.as_str(),
                self.section(),
                self.description()
            ),
        }
    }
}

/// A broken rule and where it is broken.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// Where.
    pub location: Location,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.rule, self.location)
    }
}

impl core::error::Error for Violation {}

/// Where a [`Violation`] is: the body command it is in and an element path.
///
/// The path names elements from the root's children down, e.g. `SyncHdr/SessionID` or
/// `SyncBody/Alert[2]/Item/Meta/Type`; `[n]` is the 1-based position among the siblings of the
/// same name, as in XPath. A missing element is located where it should be.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Location {
    /// The 0-based index, in `SyncBody`, of the command the violation is in (for a nested
    /// command, the top-level command that holds it); `None` for the header and the message.
    pub command: Option<usize>,
    /// The `CmdID` of the command concerned, if any.
    pub cmd_id: Option<CmdId>,
    /// The element path.
    pub path: String,
}

impl Location {
    fn build(
        command: Option<usize>,
        cmd_id: Option<CmdId>,
        path: impl FnOnce(&mut String),
    ) -> Self {
        let mut p = String::new();
        path(&mut p);
        Self {
            command,
            cmd_id,
            path: p,
        }
    }

    fn at(path: &str) -> Self {
        Self::build(None, None, |p| p.push_str(path))
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(id) = self.cmd_id {
            write!(f, " (CmdID {id})")?;
        }
        Ok(())
    }
}

/// Lints a message against the sessionless profile: every message-intrinsic rule (all of
/// [`Rule`] but [`Rule::MessageSize`], see [`check_size`]). Returns every violation, header
/// first, then the body in document order, then duplicate `CmdID`s; an empty vector means the
/// message conforms. Allocates only for the violations it finds (and for a `CmdID` set when the
/// `CmdID`s are not increasing).
pub fn check(msg: &SyncMl<'_>) -> Vec<Violation> {
    let mut found = Vec::new();
    let _ = walk(
        msg,
        &mut |v| {
            found.push(v);
            ControlFlow::Continue(())
        },
        &mut |_| {},
    );
    found
}

/// The 5.4 size rule: a message of `encoded_len` bytes (as encoded for transport) must not exceed
/// the server's `MaxMsgSize`.
pub fn check_size(encoded_len: usize, max_msg_size: u64) -> Option<Violation> {
    let len = u64::try_from(encoded_len).unwrap_or(u64::MAX);
    (len > max_msg_size).then(|| Violation {
        rule: Rule::MessageSize,
        location: Location::at("SyncML"),
    })
}

/// The reports of a conforming message, in body order, borrowing from it; or the first
/// violation [`check`] would report. `reports(m).is_ok()` exactly when `check(m)` is empty.
pub fn reports<'m>(msg: &'m SyncMl<'_>) -> Result<Vec<SessionlessReport<'m>>, Violation> {
    let mut first = None;
    let mut out = Vec::with_capacity(msg.body.commands.len());
    let _ = walk(
        msg,
        &mut |v| {
            first = Some(v);
            ControlFlow::Break(())
        },
        &mut |r| out.push(r),
    );
    match first {
        Some(v) => Err(v),
        None => Ok(out),
    }
}

/// The reports of a conforming message, in body order, each with the `CmdID` of its alert,
/// moving the texts out of `msg` (no copy: for a decoded message they keep borrowing the input);
/// or the first violation [`check`] would report. `into_reports(m)` is `reports(&m)` with the
/// `CmdID`s added and the message consumed; the rules run once.
pub fn into_reports(msg: SyncMl<'_>) -> Result<Vec<(CmdId, SessionlessReport<'_>)>, Violation> {
    let mut first = None;
    // What the walk decided per report; the texts are moved out below, already checked.
    let mut checked = Vec::with_capacity(msg.body.commands.len());
    let _ = walk(
        &msg,
        &mut |v| {
            first = Some(v);
            ControlFlow::Break(())
        },
        &mut |r| checked.push((r.format, r.mark)),
    );
    if let Some(v) = first {
        return Err(v);
    }
    // No violation: every command is a clean Sessionless Report Alert with one Item, Meta, Type
    // and Data, and `checked` has one entry per command. The fallbacks are never used.
    let commands = msg.body.commands;
    if checked.len() != commands.len() {
        return Err(violation(Rule::BodyOnlyReports, "SyncBody"));
    }
    commands
        .into_iter()
        .zip(checked)
        .map(|(command, (format, mark))| {
            let cmd_id = command.cmd_id();
            let missing = || alert_violation(cmd_id, Rule::ItemCount, Spot::Alert);
            let Command::Alert(alert) = command else {
                return Err(missing());
            };
            let item = alert.items.into_iter().next().ok_or_else(missing)?;
            let meta = item.meta.ok_or_else(missing)?;
            let report = SessionlessReport {
                source_uri: item.source.map(|s| s.loc_uri),
                alert_type: meta.ty.ok_or_else(missing)?,
                format,
                mark,
                data: item.data.ok_or_else(missing)?.value,
            };
            Ok((cmd_id, report))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The walk: one pass that both `check` (every violation) and `reports` (first violation, plus
// the reports) drive.

type Sink<'s> = dyn FnMut(Violation) -> ControlFlow<()> + 's;

fn walk<'m>(
    msg: &'m SyncMl<'_>,
    sink: &mut Sink<'_>,
    on_report: &mut dyn FnMut(SessionlessReport<'m>),
) -> ControlFlow<()> {
    let hdr = &msg.hdr;
    if msg.version != SyncMlVersion::V1_2 || hdr.ver_dtd != "1.2" {
        sink(violation(Rule::VerDtd, "SyncHdr/VerDTD"))?;
    }
    if !VER_PROTOS.contains(&&*hdr.ver_proto) {
        sink(violation(Rule::VerProto, "SyncHdr/VerProto"))?;
    }
    if !hdr.session_id.is_sessionless() {
        sink(violation(Rule::SessionId, "SyncHdr/SessionID"))?;
    }
    if hdr.cred.is_none() {
        sink(violation(Rule::HeaderCred, "SyncHdr/Cred"))?;
    }

    let commands = &msg.body.commands;
    if commands.is_empty() {
        sink(violation(Rule::BodyEmpty, "SyncBody"))?;
    }
    let mut ordinals = Ordinals::default();
    for (index, command) in commands.iter().enumerate() {
        let cmd_id = command.cmd_id();
        let k = ordinals.next(command);
        match command {
            Command::Alert(alert) => {
                let report = inspect_alert(alert, &mut |rule, spot| {
                    sink(Violation {
                        rule,
                        location: Location::build(Some(index), Some(cmd_id), |p| {
                            push_step(p, "SyncBody", "Alert", k);
                            spot.write(p);
                        }),
                    })
                })?;
                if let Some(report) = report {
                    on_report(report);
                }
            }
            _ => sink(Violation {
                rule: Rule::BodyOnlyReports,
                location: Location::build(Some(index), Some(cmd_id), |p| {
                    push_step(p, "SyncBody", command.name(), k);
                }),
            })?,
        }
    }
    check_cmd_ids(commands, sink)
}

fn violation(rule: Rule, path: &str) -> Violation {
    Violation {
        rule,
        location: Location::at(path),
    }
}

/// Writes `parent/Name[k]`.
fn push_step(p: &mut String, parent: &str, name: &str, k: u32) {
    // Writing to a String cannot fail.
    let _ = write!(p, "{parent}/{name}[{k}]");
}

/// Counts the siblings of each command name seen so far: the `k` of `Name[k]` in a path, in
/// constant time per command.
#[derive(Default)]
struct Ordinals([u32; 11]);

impl Ordinals {
    fn next(&mut self, command: &Command<'_>) -> u32 {
        let slot = match command {
            Command::Add(_) => 0,
            Command::Alert(_) => 1,
            Command::Atomic(_) => 2,
            Command::Copy(_) => 3,
            Command::Delete(_) => 4,
            Command::Exec(_) => 5,
            Command::Get(_) => 6,
            Command::Replace(_) => 7,
            Command::Results(_) => 8,
            Command::Sequence(_) => 9,
            Command::Status(_) => 10,
        };
        self.0[slot] += 1;
        self.0[slot]
    }
}

/// Where, inside an `Alert`, an alert-level rule is broken.
#[derive(Clone, Copy, Debug)]
enum Spot {
    Alert,
    Code,
    NoResp,
    Cred,
    Correlator,
    Item {
        index: usize,
        count: usize,
        part: ItemPart,
    },
}

#[derive(Clone, Copy, Debug)]
enum ItemPart {
    SourceUri,
    Meta,
    Type,
    Format,
    Mark,
    Size,
    Data,
    MoreData,
}

impl Spot {
    /// Appends the path below the `Alert` element.
    fn write(self, p: &mut String) {
        let tail = match self {
            Spot::Alert => return,
            Spot::Code => "/Data",
            Spot::NoResp => "/NoResp",
            Spot::Cred => "/Cred",
            Spot::Correlator => "/Correlator",
            Spot::Item { index, count, part } => {
                p.push_str("/Item");
                if count > 1 {
                    let _ = write!(p, "[{}]", index + 1);
                }
                match part {
                    ItemPart::SourceUri => "/Source/LocURI",
                    ItemPart::Meta => "/Meta",
                    ItemPart::Type => "/Meta/Type",
                    ItemPart::Format => "/Meta/Format",
                    ItemPart::Mark => "/Meta/Mark",
                    ItemPart::Size => "/Meta/Size",
                    ItemPart::Data => "/Data",
                    ItemPart::MoreData => "/MoreData",
                }
            }
        };
        p.push_str(tail);
    }
}

/// Runs the alert-level rules, reporting each broken one to `sink`; yields the report when the
/// alert broke none.
fn inspect_alert<'m>(
    alert: &'m Alert<'_>,
    sink: &mut dyn FnMut(Rule, Spot) -> ControlFlow<()>,
) -> ControlFlow<(), Option<SessionlessReport<'m>>> {
    let mut clean = true;
    let mut emit = |rule, spot| {
        clean = false;
        sink(rule, spot)
    };
    if alert.data != Some(AlertCode::SESSIONLESS_REPORT) {
        emit(Rule::AlertCode, Spot::Code)?;
    }
    if alert.no_resp {
        emit(Rule::AlertNoResp, Spot::NoResp)?;
    }
    if alert.cred.is_some() {
        emit(Rule::AlertCred, Spot::Cred)?;
    }
    if alert.correlator.is_some() {
        emit(Rule::AlertCorrelator, Spot::Correlator)?;
    }
    let count = alert.items.len();
    if count != 1 {
        emit(Rule::ItemCount, Spot::Alert)?;
    }
    let mut report = None;
    for (index, item) in alert.items.iter().enumerate() {
        report = inspect_item(item, &mut |rule, part| {
            emit(rule, Spot::Item { index, count, part })
        })?;
    }
    ControlFlow::Continue(if clean { report } else { None })
}

/// Runs the item-level rules; yields the report when all the parts it needs are present and
/// valid (the caller decides whether the item as a whole was clean).
fn inspect_item<'m>(
    item: &'m Item<'_>,
    emit: &mut dyn FnMut(Rule, ItemPart) -> ControlFlow<()>,
) -> ControlFlow<(), Option<SessionlessReport<'m>>> {
    let source_uri = match &item.source {
        Some(source) => match check_source_uri(&source.loc_uri) {
            Ok(()) => Some(Cow::Borrowed(&*source.loc_uri)),
            Err(e) => {
                emit(e.rule(), ItemPart::SourceUri)?;
                None
            }
        },
        None => None,
    };

    let (mut alert_type, mut format, mut mark) = (None, None, None);
    match &item.meta {
        None => emit(Rule::ItemMeta, ItemPart::Meta)?,
        Some(meta) => {
            match &meta.ty {
                None => emit(Rule::MetaType, ItemPart::Type)?,
                Some(ty) => match check_type(ty) {
                    Ok(()) => alert_type = Some(Cow::Borrowed(&**ty)),
                    Err(e) => emit(e.rule(), ItemPart::Type)?,
                },
            }
            match &meta.format {
                None => emit(Rule::MetaFormat, ItemPart::Format)?,
                Some(f) => match known_format(f) {
                    Some(f) => format = Some(f),
                    None => emit(Rule::FormatValue, ItemPart::Format)?,
                },
            }
            if let Some(m) = &meta.mark {
                match level(m) {
                    Some(m) => mark = Some(m),
                    None => emit(Rule::MarkValue, ItemPart::Mark)?,
                }
            }
            if let Some(size) = meta.size {
                let len = item.data.as_ref().map_or(0, |d| d.value.len());
                if u64::try_from(len) != Ok(size) {
                    emit(Rule::LargeObject, ItemPart::Size)?;
                }
            }
        }
    }

    let mut data = None;
    match &item.data {
        Some(d) if d.carriage == Carriage::Cdata => match check_data(&d.value) {
            Ok(()) => data = Some(Cow::Borrowed(&*d.value)),
            Err(e) => emit(e.rule(), ItemPart::Data)?,
        },
        _ => emit(Rule::DataCdata, ItemPart::Data)?,
    }
    if item.more_data {
        emit(Rule::MoreData, ItemPart::MoreData)?;
    }

    let source_ok = item.source.is_none() || source_uri.is_some();
    ControlFlow::Continue(match (alert_type, format, data) {
        (Some(alert_type), Some(format), Some(data)) if source_ok => Some(SessionlessReport {
            source_uri,
            alert_type,
            format,
            mark,
            data,
        }),
        _ => None,
    })
}

/// `cmd-id-unique` over the whole command tree. The common case (increasing `CmdID`s in
/// document order, as every emitter numbers them) needs no set.
fn check_cmd_ids(commands: &[Command<'_>], sink: &mut Sink<'_>) -> ControlFlow<()> {
    fn increasing(commands: &[Command<'_>], last: &mut u32) -> bool {
        commands.iter().all(|c| {
            let id = c.cmd_id().get();
            let ok = id > *last;
            *last = id;
            ok && match c {
                Command::Atomic(c) | Command::Sequence(c) => increasing(&c.commands, last),
                _ => true,
            }
        })
    }
    if increasing(commands, &mut 0) {
        return ControlFlow::Continue(());
    }
    let mut seen = HashSet::new();
    duplicates(commands, None, &mut seen, sink)
}

/// A command's place in the tree, to build its path only when it is needed.
struct Frame<'f> {
    up: Option<&'f Frame<'f>>,
    name: &'static str,
    k: u32,
    index: usize,
}

impl Frame<'_> {
    fn top_index(&self) -> usize {
        self.up.map_or(self.index, Frame::top_index)
    }

    fn write(&self, p: &mut String) {
        match self.up {
            None => push_step(p, "SyncBody", self.name, self.k),
            Some(up) => {
                up.write(p);
                push_step(p, "", self.name, self.k);
            }
        }
    }
}

fn duplicates(
    commands: &[Command<'_>],
    up: Option<&Frame<'_>>,
    seen: &mut HashSet<u32>,
    sink: &mut Sink<'_>,
) -> ControlFlow<()> {
    let mut ordinals = Ordinals::default();
    for (index, command) in commands.iter().enumerate() {
        let frame = Frame {
            up,
            name: command.name(),
            k: ordinals.next(command),
            index,
        };
        let cmd_id = command.cmd_id();
        if !seen.insert(cmd_id.get()) {
            sink(Violation {
                rule: Rule::CmdIdUnique,
                location: Location::build(Some(frame.top_index()), Some(cmd_id), |p| {
                    frame.write(p);
                    p.push_str("/CmdID");
                }),
            })?;
        }
        if let Command::Atomic(c) | Command::Sequence(c) = command {
            duplicates(&c.commands, Some(&frame), seen, sink)?;
        }
    }
    ControlFlow::Continue(())
}

// ---------------------------------------------------------------------------------------------
// The value rules shared by `SessionlessReport::new` and the lint.

fn known_format(format: &Format<'_>) -> Option<Format<'static>> {
    // A known variant holds no text: the clone allocates nothing.
    format.is_known().then(|| format.clone().into_owned())
}

fn level(mark: &Mark<'_>) -> Option<Mark<'static>> {
    mark.is_level().then(|| mark.clone().into_owned())
}

/// Whether every character is an XML 1.0 `Char`. A `str` holds no surrogate, so this only has to
/// refuse the C0 controls other than TAB, LF, CR, and U+FFFE and U+FFFF (UTF-8 `EF BF BE/BF`).
///
/// The decoder of `omadm-xml` only yields XML characters, so for a decoded message this rule
/// never fires; it stays for models built by hand. Plain byte iteration (no hand-rolled word
/// scan: docs/PERFORMANCE.md has the figure).
fn is_xml_text(s: &str) -> bool {
    let b = s.as_bytes();
    !b.iter().enumerate().any(|(i, &c)| match c {
        b'\t' | b'\n' | b'\r' => false,
        0x00..=0x1F => true,
        0xEF => b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)),
        _ => false,
    })
}

/// Whether `s` holds only XML characters and no control character (`char::is_control`: C0, DEL,
/// C1). ASCII text, the common case, is checked byte by byte without decoding.
fn is_plain_text(s: &str) -> bool {
    if s.is_ascii() {
        return !s.bytes().any(|b| b < 0x20 || b == 0x7F);
    }
    is_xml_text(s) && !s.chars().any(char::is_control)
}

fn has_surrounding_whitespace(s: &str) -> bool {
    s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace)
}

fn check_source_uri(uri: &str) -> Result<(), ReportError> {
    if uri.is_empty() {
        Err(ReportError::SourceUriEmpty)
    } else if uri.len() > MAX_SOURCE_URI_LEN {
        Err(ReportError::SourceUriTooLong)
    } else if has_surrounding_whitespace(uri) {
        Err(ReportError::SourceUriWhitespace)
    } else if !is_plain_text(uri) {
        Err(ReportError::SourceUriChar)
    } else {
        Ok(())
    }
}

fn check_data(data: &str) -> Result<(), ReportError> {
    if data.len() > MAX_DATA_LEN {
        Err(ReportError::DataTooLong)
    } else if !is_xml_text(data) {
        Err(ReportError::DataChar)
    } else {
        Ok(())
    }
}

/// The Type grammar documented on [`SessionlessReport::new`].
fn check_type(ty: &str) -> Result<(), ReportError> {
    if ty.is_empty() {
        return Err(ReportError::TypeEmpty);
    }
    if ty.len() > MAX_TYPE_LEN {
        return Err(ReportError::TypeTooLong);
    }
    if has_surrounding_whitespace(ty) {
        return Err(ReportError::TypeWhitespace);
    }
    if !is_plain_text(ty) {
        return Err(ReportError::TypeSyntax);
    }
    let ok = if let Some(rest) = strip_prefix_ignore_ascii_case(ty, "urn:") {
        is_urn_body(rest)
    } else if let Some(rest) = ty.strip_prefix("Reversed-Domain-Name:") {
        prefixed_value(rest).is_some_and(|v| !v.contains(char::is_whitespace))
    } else if let Some(rest) = ty.strip_prefix("Content-Type:") {
        prefixed_value(rest).is_some()
    } else {
        is_reverse_domain_name(ty)
    };
    if ok {
        Ok(())
    } else {
        Err(ReportError::TypeSyntax)
    }
}

fn strip_prefix_ignore_ascii_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// After `urn:`: a namespace id, `:`, and a non-empty specific string without whitespace.
fn is_urn_body(rest: &str) -> bool {
    let Some((nid, nss)) = rest.split_once(':') else {
        return false;
    };
    (1..=32).contains(&nid.len())
        && nid.starts_with(|c: char| c.is_ascii_alphanumeric())
        && nid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !nss.is_empty()
        && !nss.contains(char::is_whitespace)
}

/// After a `Reversed-Domain-Name:`/`Content-Type:` prefix: at most one space, then a non-empty
/// value that does not start with whitespace.
fn prefixed_value(rest: &str) -> Option<&str> {
    let value = rest.strip_prefix(' ').unwrap_or(rest);
    (!value.is_empty() && !value.starts_with(char::is_whitespace)).then_some(value)
}

/// Two or more `.`-separated labels of ASCII letters, digits, `-` or `_`.
fn is_reverse_domain_name(s: &str) -> bool {
    let mut labels = 0;
    for label in s.split('.') {
        if label.is_empty()
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}
