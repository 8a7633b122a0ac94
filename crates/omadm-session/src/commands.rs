//! Builders for the commands a server queues most: `Get`, `Replace`, `Add`, `Delete` and `Exec` of
//! nodes by URI (their `CmdID`s are set when they are sent).

use std::borrow::Cow;

use omadm_syncml::{
    CmdId, Command, Delete, Exec, Format, Get, Item, ItemCommand, ItemData, Meta, Target,
};

use crate::tree::NodeValue;

/// `Get` of one node.
#[must_use]
pub fn get(uri: &str) -> Command<'static> {
    Command::Get(Get {
        cmd_id: CmdId::MIN,
        no_resp: false,
        lang: None,
        cred: None,
        meta: None,
        items: vec![target_item(uri)],
    })
}

/// One `Replace` of every node given (URI, value), in order.
#[must_use]
pub fn replace(nodes: &[(String, NodeValue)]) -> Command<'static> {
    Command::Replace(with_values(nodes))
}

/// One `Add` of every node given (URI, value), in order.
#[must_use]
pub fn add(nodes: &[(String, NodeValue)]) -> Command<'static> {
    Command::Add(with_values(nodes))
}

fn with_values(nodes: &[(String, NodeValue)]) -> ItemCommand<'static> {
    ItemCommand {
        cmd_id: CmdId::MIN,
        no_resp: false,
        cred: None,
        meta: None,
        items: nodes
            .iter()
            .map(|(uri, value)| Item {
                meta: Some(Meta {
                    format: Some(Format::from_token(value.format.clone())),
                    ty: value.ty.clone().map(Cow::Owned),
                    ..Meta::default()
                }),
                data: Some(ItemData::text(value.data.clone())),
                ..target_item(uri)
            })
            .collect(),
    }
}

/// `Delete` of one node (and everything under it).
#[must_use]
pub fn delete(uri: &str) -> Command<'static> {
    Command::Delete(Delete {
        cmd_id: CmdId::MIN,
        no_resp: false,
        archive: false,
        sft_del: false,
        cred: None,
        meta: None,
        items: vec![target_item(uri)],
    })
}

/// `Exec` of one node, with optional data.
#[must_use]
pub fn exec(uri: &str, data: Option<&str>) -> Command<'static> {
    Command::Exec(Exec {
        cmd_id: CmdId::MIN,
        no_resp: false,
        cred: None,
        meta: None,
        correlator: None,
        item: Box::new(Item {
            data: data.map(|d| ItemData::text(d.to_owned())),
            ..target_item(uri)
        }),
    })
}

fn target_item(uri: &str) -> Item<'static> {
    Item {
        target: Some(Target {
            loc_uri: Cow::Owned(uri.to_owned()),
            loc_name: None,
        }),
        ..Item::default()
    }
}
