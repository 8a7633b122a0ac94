//! Discovery (seed 5.5): the published node, the server's Get, and the client's Results.

use std::borrow::Cow;

use omadm_emitter::discovery::{self, NODE_PATH};
use omadm_syncml::{CmdId, Command, Format, Item, ItemData, Meta, MsgId, Source};

#[test]
fn node_path() {
    assert_eq!(NODE_PATH, "./DevDetail/SessionlessRpt");
}

#[test]
fn published_item() {
    let item = discovery::published_item(true);
    assert_eq!(item.source.as_ref().unwrap().loc_uri, NODE_PATH);
    assert_eq!(item.meta.as_ref().unwrap().format, Some(Format::Bool));
    assert_eq!(item.data.as_ref().unwrap().value, "true");
    assert_eq!(discovery::parse(&item), Some(true));
    assert_eq!(
        discovery::parse(&discovery::published_item(false)),
        Some(false)
    );
}

#[test]
fn get_targets_the_node() {
    let cmd = CmdId::new(3).unwrap();
    let Command::Get(get) = discovery::get(cmd) else {
        panic!("not a Get")
    };
    assert_eq!(get.cmd_id, cmd);
    assert_eq!(get.items.len(), 1);
    assert_eq!(get.items[0].target.as_ref().unwrap().loc_uri, NODE_PATH);
}

#[test]
fn results_answer_the_get() {
    let Command::Results(results) = discovery::results(
        CmdId::new(2).unwrap(),
        MsgId::new(1).unwrap(),
        CmdId::new(3).unwrap(),
        true,
    ) else {
        panic!("not a Results")
    };
    assert_eq!(results.msg_ref.unwrap().get(), 1);
    assert_eq!(results.cmd_ref.get(), 3);
    assert_eq!(discovery::parse(&results.items[0]), Some(true));
}

#[test]
fn parse_is_lenient_on_form_strict_on_meaning() {
    let item = |uri: &str, format: Option<Format<'static>>, data: &str| Item {
        source: Some(Source {
            loc_uri: Cow::Owned(uri.to_owned()),
            loc_name: None,
        }),
        meta: format.map(|f| Meta {
            format: Some(f),
            ..Meta::default()
        }),
        data: Some(ItemData::text(data.to_owned())),
        ..Item::default()
    };
    assert_eq!(
        discovery::parse(&item(NODE_PATH, None, " TRUE ")),
        Some(true)
    );
    assert_eq!(
        discovery::parse(&item(
            "DevDetail/SessionlessRpt",
            Some(Format::Bool),
            "false"
        )),
        Some(false)
    );
    assert_eq!(
        discovery::parse(&item(NODE_PATH, Some(Format::Chr), "true")),
        None
    );
    assert_eq!(discovery::parse(&item(NODE_PATH, None, "yes")), None);
    assert_eq!(
        discovery::parse(&item("./DevDetail/LrgObj", None, "true")),
        None
    );
    assert_eq!(discovery::parse(&Item::default()), None);
}
