//! Discovery (seed 5.5): the DevDetail node by which a client says it supports sessionless
//! reporting, and the commands a server uses to read it.
//!
//! The DM 1.3 DevDetail text is not available to us. The seed says the server reads "the
//! `SessionlessRpt` node under DevDetail MO (see \[DMStdObj\])": a node the standardized-objects
//! specification defines, so it sits among DevDetail's standard nodes ([`NODE_PATH`],
//! `./DevDetail/SessionlessRpt`) and not under `./DevDetail/Ext`, which DevDetail reserves for
//! vendor extensions. Its value is a `bool` leaf, like `./DevDetail/LrgObj`.
//!
//! ```
//! use omadm_emitter::discovery;
//! use omadm_syncml::{CmdId, MsgId};
//!
//! let cmd = CmdId::new(4).unwrap();
//! // The server asks ...
//! let get = discovery::get(cmd);
//! // ... the client answers with its published value ...
//! let results = discovery::results(CmdId::new(2).unwrap(), MsgId::new(1).unwrap(), cmd, true);
//! // ... and the server reads it.
//! if let omadm_syncml::Command::Results(r) = &results {
//!     assert_eq!(discovery::parse(&r.items[0]), Some(true));
//! }
//! # let _ = get;
//! ```

use std::borrow::Cow;

use omadm_syncml::{
    CmdId, CmdRef, Command, Format, Get, Item, ItemData, Meta, MsgId, Results, Source, Target,
};

/// The node a client publishes: `./DevDetail/SessionlessRpt`.
pub const NODE_PATH: &str = "./DevDetail/SessionlessRpt";

/// The `Item` a client publishes for the node (in a `Results`, or a `Replace` in a bootstrap):
/// `Source/LocURI` [`NODE_PATH`], Meta Format `bool`, Data `true` or `false`.
#[must_use]
pub fn published_item(supported: bool) -> Item<'static> {
    Item {
        source: Some(Source {
            loc_uri: Cow::Borrowed(NODE_PATH),
            loc_name: None,
        }),
        meta: Some(Meta {
            format: Some(Format::Bool),
            ..Meta::default()
        }),
        data: Some(ItemData::text(if supported { "true" } else { "false" })),
        ..Item::default()
    }
}

/// The `Get` a server sends to read the node: one Item with `Target/LocURI` [`NODE_PATH`].
#[must_use]
pub fn get(cmd_id: CmdId) -> Command<'static> {
    Command::Get(Get {
        cmd_id,
        no_resp: false,
        lang: None,
        cred: None,
        meta: None,
        items: vec![Item {
            target: Some(Target {
                loc_uri: Cow::Borrowed(NODE_PATH),
                loc_name: None,
            }),
            ..Item::default()
        }],
    })
}

/// The `Results` a client returns for that `Get` (`msg_ref`/`cmd_ref`: the message and command
/// that held it), carrying [`published_item`].
#[must_use]
pub fn results(cmd_id: CmdId, msg_ref: MsgId, cmd_ref: CmdId, supported: bool) -> Command<'static> {
    Command::Results(Results {
        cmd_id,
        msg_ref: Some(msg_ref.into()),
        cmd_ref: CmdRef::to(cmd_ref),
        meta: None,
        target_ref: None,
        source_ref: None,
        items: vec![published_item(supported)],
    })
}

/// Reads the node's value from an `Item` of a client's `Results`: `Some(true)` or `Some(false)`
/// if the item is about [`NODE_PATH`] (with or without the leading `./`), its Format is `bool`
/// or absent, and its Data is `true` or `false` (ASCII case-insensitive, surrounding whitespace
/// ignored); `None` otherwise.
#[must_use]
pub fn parse(item: &Item<'_>) -> Option<bool> {
    let uri = item.source.as_ref()?.loc_uri.trim();
    let relative = NODE_PATH.trim_start_matches("./");
    if uri != NODE_PATH && uri != relative {
        return None;
    }
    let format = item.meta.as_ref().and_then(|m| m.format.as_ref());
    if format.is_some_and(|f| *f != Format::Bool) {
        return None;
    }
    let value = item.data.as_ref()?.value.trim();
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
