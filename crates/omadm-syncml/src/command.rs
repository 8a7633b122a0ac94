//! The DM command set (Add, Alert, Atomic, Copy, Delete, Exec, Get, Replace, Results, Sequence,
//! Status) and the `Item` they carry.

use std::borrow::Cow;

use crate::ids::{AlertCode, CmdId, CmdRef, MsgRef, StatusCode};
use crate::message::{Chal, Cred, Source, Target};
use crate::meta::{Meta, owned};

/// A command of a DM `SyncBody` (or of an `Atomic`/`Sequence`). The set is closed: it is the DM
/// command set of the SyncML DM representation protocol. Parts that DM messages rarely carry at
/// command level (`Cred`, which DM allows only in the header; command `Meta`; `Chal`) are boxed so
/// that a command stays small. The data-sync-only commands (`Sync`,
/// `Map`, `Put`, `Search`, `Move`) are not part of DM and are not represented.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "command")
)]
pub enum Command<'a> {
    /// `Add (CmdID, NoResp?, Cred?, Meta?, Item+)`.
    Add(#[cfg_attr(feature = "serde", serde(borrow))] ItemCommand<'a>),
    /// `Alert (CmdID, NoResp?, Cred?, Data?, Correlator?, Item*)`.
    Alert(#[cfg_attr(feature = "serde", serde(borrow))] Alert<'a>),
    /// `Atomic (CmdID, NoResp?, Meta?, commands+)`.
    Atomic(#[cfg_attr(feature = "serde", serde(borrow))] Container<'a>),
    /// `Copy (CmdID, NoResp?, Cred?, Meta?, Item+)`.
    Copy(#[cfg_attr(feature = "serde", serde(borrow))] ItemCommand<'a>),
    /// `Delete (CmdID, NoResp?, Archive?, SftDel?, Cred?, Meta?, Item+)`.
    Delete(#[cfg_attr(feature = "serde", serde(borrow))] Delete<'a>),
    /// `Exec (CmdID, NoResp?, Cred?, Meta?, Correlator?, Item)`.
    Exec(#[cfg_attr(feature = "serde", serde(borrow))] Exec<'a>),
    /// `Get (CmdID, NoResp?, Lang?, Cred?, Meta?, Item+)`.
    Get(#[cfg_attr(feature = "serde", serde(borrow))] Get<'a>),
    /// `Replace (CmdID, NoResp?, Cred?, Meta?, Item+)`.
    Replace(#[cfg_attr(feature = "serde", serde(borrow))] ItemCommand<'a>),
    /// `Results (CmdID, MsgRef?, CmdRef, Meta?, TargetRef?, SourceRef?, Item+)`.
    Results(#[cfg_attr(feature = "serde", serde(borrow))] Results<'a>),
    /// `Sequence (CmdID, NoResp?, Meta?, commands+)`.
    Sequence(#[cfg_attr(feature = "serde", serde(borrow))] Container<'a>),
    /// `Status (CmdID, MsgRef, CmdRef, Cmd, TargetRef*, SourceRef*, Cred?, Chal?, Data, Item*)`.
    Status(#[cfg_attr(feature = "serde", serde(borrow))] Status<'a>),
}

impl<'a> Command<'a> {
    /// The element name, e.g. `"Alert"`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Add(_) => "Add",
            Command::Alert(_) => "Alert",
            Command::Atomic(_) => "Atomic",
            Command::Copy(_) => "Copy",
            Command::Delete(_) => "Delete",
            Command::Exec(_) => "Exec",
            Command::Get(_) => "Get",
            Command::Replace(_) => "Replace",
            Command::Results(_) => "Results",
            Command::Sequence(_) => "Sequence",
            Command::Status(_) => "Status",
        }
    }

    /// The command's `CmdID`.
    pub fn cmd_id(&self) -> CmdId {
        match self {
            Command::Add(c) | Command::Copy(c) | Command::Replace(c) => c.cmd_id,
            Command::Alert(c) => c.cmd_id,
            Command::Atomic(c) | Command::Sequence(c) => c.cmd_id,
            Command::Delete(c) => c.cmd_id,
            Command::Exec(c) => c.cmd_id,
            Command::Get(c) => c.cmd_id,
            Command::Results(c) => c.cmd_id,
            Command::Status(c) => c.cmd_id,
        }
    }

    /// Sets the command's `CmdID` (not those of the commands an `Atomic` or `Sequence` holds).
    pub fn set_cmd_id(&mut self, id: CmdId) {
        match self {
            Command::Add(c) | Command::Copy(c) | Command::Replace(c) => c.cmd_id = id,
            Command::Alert(c) => c.cmd_id = id,
            Command::Atomic(c) | Command::Sequence(c) => c.cmd_id = id,
            Command::Delete(c) => c.cmd_id = id,
            Command::Exec(c) => c.cmd_id = id,
            Command::Get(c) => c.cmd_id = id,
            Command::Results(c) => c.cmd_id = id,
            Command::Status(c) => c.cmd_id = id,
        }
    }

    /// Whether the command carries `NoResp` (the sender asks for no Status). `Results` and
    /// `Status` have no `NoResp` element: `false`.
    pub fn no_resp(&self) -> bool {
        match self {
            Command::Add(c) | Command::Copy(c) | Command::Replace(c) => c.no_resp,
            Command::Alert(c) => c.no_resp,
            Command::Atomic(c) | Command::Sequence(c) => c.no_resp,
            Command::Delete(c) => c.no_resp,
            Command::Exec(c) => c.no_resp,
            Command::Get(c) => c.no_resp,
            Command::Results(_) | Command::Status(_) => false,
        }
    }

    /// The command-level `Cred`, for the commands that may carry one (DM allows `Cred` only in
    /// the `SyncHdr`; the sessionless profile refuses it on an `Alert`).
    pub fn cred(&self) -> Option<&Cred<'a>> {
        match self {
            Command::Add(c) | Command::Copy(c) | Command::Replace(c) => c.cred.as_deref(),
            Command::Alert(c) => c.cred.as_deref(),
            Command::Delete(c) => c.cred.as_deref(),
            Command::Exec(c) => c.cred.as_deref(),
            Command::Get(c) => c.cred.as_deref(),
            Command::Status(c) => c.cred.as_deref(),
            Command::Atomic(_) | Command::Sequence(_) | Command::Results(_) => None,
        }
    }

    /// Detaches the command from the input it borrows from.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Command::Add(c) => Command::Add(c.into_owned()),
            Command::Alert(c) => Command::Alert(c.into_owned()),
            Command::Atomic(c) => Command::Atomic(c.into_owned()),
            Command::Copy(c) => Command::Copy(c.into_owned()),
            Command::Delete(c) => Command::Delete(c.into_owned()),
            Command::Exec(c) => Command::Exec(c.into_owned()),
            Command::Get(c) => Command::Get(c.into_owned()),
            Command::Replace(c) => Command::Replace(c.into_owned()),
            Command::Results(c) => Command::Results(c.into_owned()),
            Command::Sequence(c) => Command::Sequence(c.into_owned()),
            Command::Status(c) => Command::Status(c.into_owned()),
        }
    }
}

/// The body of `Add`, `Copy` and `Replace`: `(CmdID, NoResp?, Cred?, Meta?, Item+)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ItemCommand<'a> {
    /// `CmdID`.
    pub cmd_id: CmdId,
    /// `NoResp`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub no_resp: bool,
    /// `Cred`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub cred: Option<Box<Cred<'a>>>,
    /// `Meta`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Box<Meta<'a>>>,
    /// `Item+`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub items: Vec<Item<'a>>,
}

impl ItemCommand<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> ItemCommand<'static> {
        ItemCommand {
            cmd_id: self.cmd_id,
            no_resp: self.no_resp,
            cred: self.cred.map(|c| Box::new(c.into_owned())),
            meta: self.meta.map(|m| Box::new(m.into_owned())),
            items: items_owned(self.items),
        }
    }
}

/// `Alert (CmdID, NoResp?, Cred?, Data?, Correlator?, Item*)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Alert<'a> {
    /// `CmdID`.
    pub cmd_id: CmdId,
    /// `NoResp`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub no_resp: bool,
    /// `Cred`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub cred: Option<Box<Cred<'a>>>,
    /// `Data`: the alert code (1230 for a sessionless report).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub data: Option<AlertCode>,
    /// `Correlator`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub correlator: Option<Cow<'a, str>>,
    /// `Item*`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub items: Vec<Item<'a>>,
}

impl Alert<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Alert<'static> {
        Alert {
            cmd_id: self.cmd_id,
            no_resp: self.no_resp,
            cred: self.cred.map(|c| Box::new(c.into_owned())),
            data: self.data,
            correlator: self.correlator.map(owned),
            items: items_owned(self.items),
        }
    }
}

/// The body of `Atomic` and `Sequence`: `(CmdID, NoResp?, Meta?, commands+)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Container<'a> {
    /// `CmdID`.
    pub cmd_id: CmdId,
    /// `NoResp`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub no_resp: bool,
    /// `Meta`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Box<Meta<'a>>>,
    /// The nested commands (`Add`, `Alert`, `Atomic`, `Copy`, `Delete`, `Exec`, `Get`, `Replace`,
    /// `Sequence`).
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub commands: Vec<Command<'a>>,
}

impl Container<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Container<'static> {
        Container {
            cmd_id: self.cmd_id,
            no_resp: self.no_resp,
            meta: self.meta.map(|m| Box::new(m.into_owned())),
            commands: self.commands.into_iter().map(Command::into_owned).collect(),
        }
    }
}

/// `Delete (CmdID, NoResp?, Archive?, SftDel?, Cred?, Meta?, Item+)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Delete<'a> {
    /// `CmdID`.
    pub cmd_id: CmdId,
    /// `NoResp`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub no_resp: bool,
    /// `Archive`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub archive: bool,
    /// `SftDel`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub sft_del: bool,
    /// `Cred`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub cred: Option<Box<Cred<'a>>>,
    /// `Meta`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Box<Meta<'a>>>,
    /// `Item+`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub items: Vec<Item<'a>>,
}

impl Delete<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Delete<'static> {
        Delete {
            cmd_id: self.cmd_id,
            no_resp: self.no_resp,
            archive: self.archive,
            sft_del: self.sft_del,
            cred: self.cred.map(|c| Box::new(c.into_owned())),
            meta: self.meta.map(|m| Box::new(m.into_owned())),
            items: items_owned(self.items),
        }
    }
}

/// `Exec (CmdID, NoResp?, Cred?, Meta?, Correlator?, Item)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Exec<'a> {
    /// `CmdID`.
    pub cmd_id: CmdId,
    /// `NoResp`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub no_resp: bool,
    /// `Cred`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub cred: Option<Box<Cred<'a>>>,
    /// `Meta`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Box<Meta<'a>>>,
    /// `Correlator`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub correlator: Option<Cow<'a, str>>,
    /// `Item`: exactly one.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub item: Box<Item<'a>>,
}

impl Exec<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Exec<'static> {
        Exec {
            cmd_id: self.cmd_id,
            no_resp: self.no_resp,
            cred: self.cred.map(|c| Box::new(c.into_owned())),
            meta: self.meta.map(|m| Box::new(m.into_owned())),
            correlator: self.correlator.map(owned),
            item: Box::new(self.item.into_owned()),
        }
    }
}

/// `Get (CmdID, NoResp?, Lang?, Cred?, Meta?, Item+)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Get<'a> {
    /// `CmdID`.
    pub cmd_id: CmdId,
    /// `NoResp`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub no_resp: bool,
    /// `Lang`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub lang: Option<Cow<'a, str>>,
    /// `Cred`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub cred: Option<Box<Cred<'a>>>,
    /// `Meta`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Box<Meta<'a>>>,
    /// `Item+`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub items: Vec<Item<'a>>,
}

impl Get<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Get<'static> {
        Get {
            cmd_id: self.cmd_id,
            no_resp: self.no_resp,
            lang: self.lang.map(owned),
            cred: self.cred.map(|c| Box::new(c.into_owned())),
            meta: self.meta.map(|m| Box::new(m.into_owned())),
            items: items_owned(self.items),
        }
    }
}

/// `Results (CmdID, MsgRef?, CmdRef, Meta?, TargetRef?, SourceRef?, Item+)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Results<'a> {
    /// `CmdID`.
    pub cmd_id: CmdId,
    /// `MsgRef`.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub msg_ref: Option<MsgRef>,
    /// `CmdRef`: the `Get` answered.
    pub cmd_ref: CmdRef,
    /// `Meta`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Box<Meta<'a>>>,
    /// `TargetRef`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub target_ref: Option<Cow<'a, str>>,
    /// `SourceRef`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub source_ref: Option<Cow<'a, str>>,
    /// `Item+`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub items: Vec<Item<'a>>,
}

impl Results<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Results<'static> {
        Results {
            cmd_id: self.cmd_id,
            msg_ref: self.msg_ref,
            cmd_ref: self.cmd_ref,
            meta: self.meta.map(|m| Box::new(m.into_owned())),
            target_ref: self.target_ref.map(owned),
            source_ref: self.source_ref.map(owned),
            items: items_owned(self.items),
        }
    }
}

/// `Status (CmdID, MsgRef, CmdRef, Cmd, TargetRef*, SourceRef*, Cred?, Chal?, Data, Item*)`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Status<'a> {
    /// `CmdID`.
    pub cmd_id: CmdId,
    /// `MsgRef`: the message that held the command answered.
    pub msg_ref: MsgRef,
    /// `CmdRef`: the command answered (`0` for the `SyncHdr`).
    pub cmd_ref: CmdRef,
    /// `Cmd`: the name of the command answered (`SyncHdr` for the header).
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub cmd: Cow<'a, str>,
    /// `TargetRef*`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub target_ref: Vec<Cow<'a, str>>,
    /// `SourceRef*`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub source_ref: Vec<Cow<'a, str>>,
    /// `Cred`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub cred: Option<Box<Cred<'a>>>,
    /// `Chal`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub chal: Option<Box<Chal<'a>>>,
    /// `Data`: the status code.
    pub data: StatusCode,
    /// `Item*`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Vec::is_empty")
    )]
    pub items: Vec<Item<'a>>,
}

impl Status<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Status<'static> {
        Status {
            cmd_id: self.cmd_id,
            msg_ref: self.msg_ref,
            cmd_ref: self.cmd_ref,
            cmd: owned(self.cmd),
            target_ref: self.target_ref.into_iter().map(owned).collect(),
            source_ref: self.source_ref.into_iter().map(owned).collect(),
            cred: self.cred.map(|c| Box::new(c.into_owned())),
            chal: self.chal.map(|c| Box::new(c.into_owned())),
            data: self.data,
            items: items_owned(self.items),
        }
    }
}

/// `Item (Target?, Source?, SourceParent?, TargetParent?, Meta?, Data?, MoreData?)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Item<'a> {
    /// `Target`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub target: Option<Target<'a>>,
    /// `Source`: for a Generic Alert or Sessionless Report, the URI of the management object the
    /// report concerns.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub source: Option<Source<'a>>,
    /// `SourceParent/LocURI`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub source_parent: Option<Cow<'a, str>>,
    /// `TargetParent/LocURI`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub target_parent: Option<Cow<'a, str>>,
    /// `Meta`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub meta: Option<Meta<'a>>,
    /// `Data`.
    #[cfg_attr(
        feature = "serde",
        serde(borrow, default, skip_serializing_if = "Option::is_none")
    )]
    pub data: Option<ItemData<'a>>,
    /// `MoreData`: a Large Object chunk follows (forbidden in sessionless reports).
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "core::ops::Not::not")
    )]
    pub more_data: bool,
}

impl Item<'_> {
    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> Item<'static> {
        Item {
            target: self.target.map(Target::into_owned),
            source: self.source.map(Source::into_owned),
            source_parent: self.source_parent.map(owned),
            target_parent: self.target_parent.map(owned),
            meta: self.meta.map(Meta::into_owned),
            data: self.data.map(ItemData::into_owned),
            more_data: self.more_data,
        }
    }
}

/// The content of an `Item/Data` element, and how it was carried.
///
/// `value` is the character data exactly as XML defines it (every character between `<Data>` and
/// `</Data>`, including whitespace, CDATA sections joined, entities resolved), or, for
/// [`Carriage::Xml`], the raw XML fragment between the tags, or, for [`Carriage::Binary`], the
/// base64 of the bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ItemData<'a> {
    /// The data.
    #[cfg_attr(feature = "serde", serde(borrow))]
    pub value: Cow<'a, str>,
    /// How it was carried.
    pub carriage: Carriage,
}

impl<'a> ItemData<'a> {
    /// Data carried as CDATA, as sessionless reports require.
    pub fn cdata(value: impl Into<Cow<'a, str>>) -> Self {
        Self {
            value: value.into(),
            carriage: Carriage::Cdata,
        }
    }

    /// Data carried as (escaped) character data.
    pub fn text(value: impl Into<Cow<'a, str>>) -> Self {
        Self {
            value: value.into(),
            carriage: Carriage::Escaped,
        }
    }

    /// Detaches the value from the input it borrows from.
    pub fn into_owned(self) -> ItemData<'static> {
        ItemData {
            value: owned(self.value),
            carriage: self.carriage,
        }
    }
}

/// How `Item/Data` content was carried in the XML.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
#[non_exhaustive]
pub enum Carriage {
    /// Character data only, no CDATA section (markup, if any, escaped as entities). Also what an
    /// empty `<Data/>` is.
    #[default]
    Escaped,
    /// One or more CDATA sections and nothing else, not even whitespace: "CDATA escaped" as the
    /// sessionless profile (DM-SR-C-004-M) requires.
    Cdata,
    /// CDATA sections together with other character data (e.g. whitespace around the section).
    /// The value is complete, but the data is not wholly CDATA-escaped.
    Mixed,
    /// Child elements (a DevInf document, a DDF `MgmtTree`): `value` is the raw XML fragment.
    Xml,
    /// Binary data, which only WBXML carries as such: `OPAQUE` bytes that are not UTF-8 text
    /// (Format `bin`, an embedded WBXML document). `value` is their base64 (RFC 4648, padded),
    /// the text XML carries binary data as (Format `b64`); the WBXML encoder writes the bytes
    /// back, the XML encoder writes the base64 as text. Not CDATA: a sessionless report's data
    /// must be text (DM-SR-C-004-M).
    Binary,
}

fn items_owned(items: Vec<Item<'_>>) -> Vec<Item<'static>> {
    items.into_iter().map(Item::into_owned).collect()
}
