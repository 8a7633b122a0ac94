//! The SyncML message: `SyncML`, `SyncHdr`, `SyncBody`, and the header's `Target`, `Source`,
//! `Cred` and `Chal`.

use std::borrow::Cow;

use crate::command::Command;
use crate::ids::{MsgId, SessionId};
use crate::meta::{Meta, owned};

/// A SyncML DM message: `SyncML (SyncHdr, SyncBody)`.
///
/// Text fields borrow from the decoded input where they can (`Cow::Borrowed`) and own only what
/// had to be unescaped; [`SyncMl::into_owned`] detaches a message from its input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SyncMl<'a> {
    /// The representation protocol version, from the root element's namespace.
    pub version: SyncMlVersion,
    /// `SyncHdr`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub hdr: SyncHdr<'a>,
    /// `SyncBody`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub body: SyncBody<'a>,
}

impl SyncMl<'_> {
    /// Detaches the message from the input it borrows from.
    pub fn into_owned(self) -> SyncMl<'static> {
        SyncMl {
            version: self.version,
            hdr: self.hdr.into_owned(),
            body: self.body.into_owned(),
        }
    }
}

/// The SyncML representation version, i.e. the root namespace: `SYNCML:SYNCML1.1` (DM 1.1.2) or
/// `SYNCML:SYNCML1.2` (DM 1.2 and 1.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SyncMlVersion {
    /// `SYNCML:SYNCML1.1`.
    #[cfg_attr(feature = "serde", serde(rename = "SYNCML:SYNCML1.1"))]
    V1_1,
    /// `SYNCML:SYNCML1.2` (DM 1.2, DM 1.3; what sessionless reports use).
    #[default]
    #[cfg_attr(feature = "serde", serde(rename = "SYNCML:SYNCML1.2"))]
    V1_2,
}

impl SyncMlVersion {
    /// The root namespace URI.
    pub const fn namespace(self) -> &'static str {
        match self {
            SyncMlVersion::V1_1 => "SYNCML:SYNCML1.1",
            SyncMlVersion::V1_2 => "SYNCML:SYNCML1.2",
        }
    }

    /// The version for a root namespace URI (case-sensitive), if it is a SyncML one.
    pub fn from_namespace(uri: &str) -> Option<Self> {
        match uri {
            "SYNCML:SYNCML1.1" => Some(SyncMlVersion::V1_1),
            "SYNCML:SYNCML1.2" => Some(SyncMlVersion::V1_2),
            _ => None,
        }
    }

    /// The `VerDTD` text that goes with this version.
    pub const fn ver_dtd(self) -> &'static str {
        match self {
            SyncMlVersion::V1_1 => "1.1",
            SyncMlVersion::V1_2 => "1.2",
        }
    }
}

/// `SyncHdr (VerDTD, VerProto, SessionID, MsgID, Target, Source, RespURI?, NoResp?, Cred?, Meta?)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SyncHdr<'a> {
    /// `VerDTD`, e.g. `1.2`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub ver_dtd: Cow<'a, str>,
    /// `VerProto`, e.g. `DM/1.3` (trimmed of surrounding whitespace).
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub ver_proto: Cow<'a, str>,
    /// `SessionID`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub session_id: SessionId<'a>,
    /// `MsgID`.
    pub msg_id: MsgId,
    /// `Target`: the recipient (the server URI in a client message).
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub target: Target<'a>,
    /// `Source`: the sender (the device id, and the user name in `LocName`).
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub source: Source<'a>,
    /// `RespURI`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub resp_uri: Option<Cow<'a, str>>,
    /// `NoResp`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub no_resp: bool,
    /// `Cred`: mandatory in a sessionless report message (DM-SR-C-006-M).
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub cred: Option<Cred<'a>>,
    /// `Meta` (e.g. `MaxMsgSize`).
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Meta<'a>>,
}

impl SyncHdr<'_> {
    /// Detaches the header from the input it borrows from.
    pub fn into_owned(self) -> SyncHdr<'static> {
        SyncHdr {
            ver_dtd: owned(self.ver_dtd),
            ver_proto: owned(self.ver_proto),
            session_id: self.session_id.into_owned(),
            msg_id: self.msg_id,
            target: self.target.into_owned(),
            source: self.source.into_owned(),
            resp_uri: self.resp_uri.map(owned),
            no_resp: self.no_resp,
            cred: self.cred.map(Cred::into_owned),
            meta: self.meta.map(Meta::into_owned),
        }
    }
}

/// `Target (LocURI, LocName?)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Target<'a> {
    /// `LocURI`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub loc_uri: Cow<'a, str>,
    /// `LocName`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub loc_name: Option<Cow<'a, str>>,
}

impl Target<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Target<'static> {
        Target {
            loc_uri: owned(self.loc_uri),
            loc_name: self.loc_name.map(owned),
        }
    }
}

/// `Source (LocURI, LocName?)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Source<'a> {
    /// `LocURI`: in a header, the device id (e.g. `IMEI:493005100592800`).
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub loc_uri: Cow<'a, str>,
    /// `LocName`: in a header, the authentication user name.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub loc_name: Option<Cow<'a, str>>,
}

impl Source<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Source<'static> {
        Source {
            loc_uri: owned(self.loc_uri),
            loc_name: self.loc_name.map(owned),
        }
    }
}

/// `Cred (Meta?, Data)`: a credential. `Meta/Type` names the scheme (`syncml:auth-basic` when
/// absent) and `Meta/Format` the encoding of `Data`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Cred<'a> {
    /// `Meta`: `Type` (the scheme) and `Format`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Meta<'a>>,
    /// `Data`: the credential text, exactly as carried (not trimmed).
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub data: Cow<'a, str>,
}

impl Cred<'_> {
    /// The scheme named by `Meta/Type`, if any.
    pub fn scheme(&self) -> Option<&str> {
        self.meta.as_ref().and_then(|m| m.ty.as_deref())
    }

    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Cred<'static> {
        Cred {
            meta: self.meta.map(Meta::into_owned),
            data: owned(self.data),
        }
    }
}

/// `Chal (Meta)`: a challenge; `Meta` carries `Type`, `Format` and `NextNonce`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Chal<'a> {
    /// `Meta`.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub meta: Meta<'a>,
}

impl Chal<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Chal<'static> {
        Chal {
            meta: self.meta.into_owned(),
        }
    }
}

/// `SyncBody (commands+, Final?)`. The DTD asks for at least one command; the decoder also reads an
/// empty body (real peers send `<SyncBody/>`) and the sessionless check reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SyncBody<'a> {
    /// The commands, in message order.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub commands: Vec<Command<'a>>,
    /// `Final`: this is the last message of its package.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "final", default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub is_final: bool,
}

impl SyncBody<'_> {
    /// Detaches the body from the input it borrows from.
    pub fn into_owned(self) -> SyncBody<'static> {
        SyncBody {
            commands: self.commands.into_iter().map(Command::into_owned).collect(),
            is_final: self.is_final,
        }
    }
}
