//! The round-trip law `decode(encode(m)) == m`, on a fixed model that uses every element and on
//! arbitrary valid models (proptest).

use std::borrow::Cow;

use omadm_syncml::{
    Alert, AlertCode, Anchor, Carriage, Chal, CmdId, CmdRef, Command, Container, Cred, Delete,
    Exec, Format, Get, Item, ItemCommand, ItemData, Mark, Mem, Meta, MsgId, Results, SessionId,
    Source, Status, StatusCode, SyncBody, SyncHdr, SyncMl, SyncMlVersion, Target,
};
use omadm_xml::{Limits, decode, encode, encoded_len, write};
use proptest::prelude::*;

fn cmd_id(n: u32) -> CmdId {
    CmdId::new(n).unwrap()
}

/// A DM session message that uses every command, every Meta field and every carriage.
pub(crate) fn dm_session() -> SyncMl<'static> {
    let full_meta = Meta {
        field_level: true,
        format: Some(Format::Other("x-custom".into())),
        ty: Some("text/plain".into()),
        mark: Some(Mark::Other("major".into())),
        size: Some(42),
        anchor: Some(Box::new(Anchor {
            last: Some("1".into()),
            next: "2".into(),
        })),
        version: Some("1.0".into()),
        next_nonce: Some("jzocDlt9kqTG4fCz1aeeIQ==".into()),
        max_msg_size: Some(16384),
        max_obj_size: Some(65536),
        emi: vec!["a".into(), "b & c".into()],
        mem: Some(Box::new(Mem {
            shared_mem: true,
            free_mem: "1000".into(),
            free_id: "7".into(),
        })),
    };
    let item = |uri: &'static str, data: ItemData<'static>| Item {
        target: Some(Target {
            loc_uri: uri.into(),
            loc_name: Some("n".into()),
        }),
        source: Some(Source {
            loc_uri: "./src".into(),
            loc_name: None,
        }),
        source_parent: Some("./sp".into()),
        target_parent: Some("./tp".into()),
        meta: Some(Meta {
            format: Some(Format::Chr),
            ..Meta::default()
        }),
        data: Some(data),
        more_data: false,
    };
    let basic = Cred {
        meta: Some(Meta {
            format: Some(Format::B64),
            ty: Some("syncml:auth-basic".into()),
            ..Meta::default()
        }),
        data: "QnJ1Y2UyOk9oQmVoYXZl".into(),
    };
    SyncMl {
        version: SyncMlVersion::V1_1,
        hdr: SyncHdr {
            ver_dtd: "1.1".into(),
            ver_proto: "DM/1.1".into(),
            session_id: SessionId::new("1A").unwrap(),
            msg_id: MsgId::new(3).unwrap(),
            target: Target {
                loc_uri: "IMEI:493005100592800".into(),
                loc_name: Some("dev".into()),
            },
            source: Source {
                loc_uri: "http://www.syncml.org/mgmt-server?a=1&b=<2>".into(),
                loc_name: None,
            },
            resp_uri: Some("http://dm.example/?s=1&t=2".into()),
            no_resp: true,
            cred: Some(basic.clone()),
            meta: Some(full_meta.clone()),
        },
        body: SyncBody {
            commands: vec![
                Command::Status(Status {
                    cmd_id: cmd_id(1),
                    msg_ref: MsgId::new(2).unwrap().into(),
                    cmd_ref: CmdRef::SYNC_HDR,
                    cmd: "SyncHdr".into(),
                    target_ref: vec!["t1".into(), "t2".into()],
                    source_ref: vec!["s1".into()],
                    cred: Some(Box::new(basic.clone())),
                    chal: Some(Box::new(Chal {
                        meta: Meta {
                            format: Some(Format::B64),
                            ty: Some("syncml:auth-md5".into()),
                            next_nonce: Some("Tm9uY2U=".into()),
                            ..Meta::default()
                        },
                    })),
                    data: StatusCode::new(407).unwrap(),
                    items: vec![Item::default()],
                }),
                Command::Results(Results {
                    cmd_id: cmd_id(2),
                    msg_ref: Some(MsgId::new(2).unwrap().into()),
                    cmd_ref: CmdRef::from(4),
                    meta: Some(Box::new(full_meta.clone())),
                    target_ref: Some("./a".into()),
                    source_ref: Some("./b".into()),
                    items: vec![item(
                        "./DevDetail",
                        ItemData {
                            value: "<MgmtTree xmlns=\"syncml:dmddf1.2\"><VerDTD>1.2</VerDTD><Node a=\"1\"/></MgmtTree>".into(),
                            carriage: Carriage::Xml,
                        },
                    )],
                }),
                Command::Add(ItemCommand {
                    cmd_id: cmd_id(3),
                    no_resp: true,
                    cred: Some(Box::new(basic)),
                    meta: Some(Box::new(Meta::default())),
                    items: vec![
                        item("./a", ItemData::text("x < y & z > w\r\n\"q\" 'a'")),
                        item("./b", ItemData::text("")),
                        item("./c", ItemData::cdata("")),
                        item("./d", ItemData::cdata("a]]>b]]]>c")),
                        item(
                            "./e",
                            ItemData {
                                value: "  mixed <\r".into(),
                                carriage: Carriage::Mixed,
                            },
                        ),
                    ],
                }),
                Command::Replace(ItemCommand {
                    cmd_id: cmd_id(4),
                    no_resp: false,
                    cred: None,
                    meta: None,
                    items: vec![Item {
                        more_data: true,
                        ..Item::default()
                    }],
                }),
                Command::Copy(ItemCommand {
                    cmd_id: cmd_id(5),
                    no_resp: false,
                    cred: None,
                    meta: None,
                    items: vec![],
                }),
                Command::Delete(Delete {
                    cmd_id: cmd_id(6),
                    no_resp: true,
                    archive: true,
                    sft_del: true,
                    cred: None,
                    meta: Some(Box::new(full_meta)),
                    items: vec![Item::default()],
                }),
                Command::Exec(Exec {
                    cmd_id: cmd_id(7),
                    no_resp: false,
                    cred: None,
                    meta: None,
                    correlator: Some("abc123".into()),
                    item: Box::new(Item::default()),
                }),
                Command::Get(Get {
                    cmd_id: cmd_id(8),
                    no_resp: false,
                    lang: Some("en-US".into()),
                    cred: None,
                    meta: None,
                    items: vec![Item::default()],
                }),
                Command::Atomic(Container {
                    cmd_id: cmd_id(9),
                    no_resp: false,
                    meta: None,
                    commands: vec![Command::Sequence(Container {
                        cmd_id: cmd_id(10),
                        no_resp: true,
                        meta: Some(Box::new(Meta::default())),
                        commands: vec![Command::Alert(Alert {
                            cmd_id: cmd_id(11),
                            no_resp: true,
                            cred: None,
                            data: Some(AlertCode::CONFIRM_OR_REJECT),
                            correlator: Some("c".into()),
                            items: vec![],
                        })],
                    })],
                }),
                Command::Alert(Alert {
                    cmd_id: cmd_id(12),
                    no_resp: false,
                    cred: None,
                    data: None,
                    correlator: None,
                    items: vec![],
                }),
            ],
            is_final: true,
        },
    }
}

fn roundtrip(m: &SyncMl<'_>) {
    let mut out = Vec::new();
    encode(m, &mut out);
    assert_eq!(out.len(), encoded_len(m));
    let back = decode(&out, &Limits::default())
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&out)));
    assert_eq!(back, *m, "\n{}", String::from_utf8_lossy(&out));
    // The write pieces give the same bytes.
    let mut pieces = Vec::new();
    let span = write::prologue(&mut pieces, m.version, &m.hdr);
    for c in &m.body.commands {
        write::command(&mut pieces, c);
        assert_eq!(write::command_len(c), omadm_xml_len(c));
    }
    write::epilogue(&mut pieces, m.body.is_final);
    assert_eq!(pieces, out);
    assert_eq!(span, encode(m, &mut Vec::new()).cred_data);
}

fn omadm_xml_len(c: &Command<'_>) -> usize {
    let mut v = Vec::new();
    write::command(&mut v, c);
    v.len()
}

#[test]
fn fixed_dm_session_roundtrips() {
    roundtrip(&dm_session());
}

#[test]
fn sessionless_messages_roundtrip() {
    for n in [0, 1, 2, 10] {
        roundtrip(&crate::support::sessionless(n));
    }
}

#[test]
fn borrowed_text_stays_borrowed() {
    let m = crate::support::sessionless(1);
    let mut out = Vec::new();
    encode(&m, &mut out);
    let back = decode(&out, &Limits::default()).unwrap();
    assert!(matches!(back.hdr.source.loc_uri, Cow::Borrowed(_)));
    let Command::Alert(a) = &back.body.commands[0] else {
        panic!()
    };
    assert!(matches!(
        a.items[0].data.as_ref().unwrap().value,
        Cow::Borrowed(_)
    ));
}

// ---------------------------------------------------------------------------------------------
// Strategies (local; the shared ones live in omadm-testkit)

/// Text of XML characters, no CR (see the CR caveat).
fn xml_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[\\t\\n\\x20-\\x7e\\u{a0}-\\u{d7ff}\\u{e000}-\\u{fffd}\\u{10000}-\\u{10ffff}]{0,24}",
    )
    .unwrap()
}

/// Token text: XML characters without surrounding white space.
fn token() -> impl Strategy<Value = String> {
    xml_text().prop_map(|s| {
        s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n'))
            .to_owned()
    })
}

fn opt<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

fn cow(s: String) -> Cow<'static, str> {
    Cow::Owned(s)
}

fn arb_format() -> impl Strategy<Value = Format<'static>> {
    prop_oneof![
        proptest::sample::select(Format::KNOWN.to_vec()),
        token().prop_map(Format::from_token),
    ]
}

fn arb_mark() -> impl Strategy<Value = Mark<'static>> {
    prop_oneof![
        proptest::sample::select(Mark::LEVELS.to_vec()),
        token().prop_map(Mark::from_token),
    ]
}

fn arb_meta() -> impl Strategy<Value = Meta<'static>> {
    (
        (
            any::<bool>(),
            opt(arb_format()),
            opt(token()),
            opt(arb_mark()),
            opt(any::<u64>()),
        ),
        (
            opt((opt(token()), token())),
            opt(token()),
            opt(token()),
            opt(any::<u64>()),
            opt(any::<u64>()),
            proptest::collection::vec(token(), 0..3),
            opt((any::<bool>(), token(), token())),
        ),
    )
        .prop_map(
            |(
                (field_level, format, ty, mark, size),
                (anchor, version, next_nonce, mms, mos, emi, mem),
            )| Meta {
                field_level,
                format,
                ty: ty.map(cow),
                mark,
                size,
                anchor: anchor.map(|(last, next)| {
                    Box::new(Anchor {
                        last: last.map(cow),
                        next: cow(next),
                    })
                }),
                version: version.map(cow),
                next_nonce: next_nonce.map(cow),
                max_msg_size: mms,
                max_obj_size: mos,
                emi: emi.into_iter().map(cow).collect(),
                mem: mem.map(|(shared_mem, free_mem, free_id)| {
                    Box::new(Mem {
                        shared_mem,
                        free_mem: cow(free_mem),
                        free_id: cow(free_id),
                    })
                }),
            },
        )
}

fn arb_item_data() -> impl Strategy<Value = ItemData<'static>> {
    prop_oneof![
        xml_text().prop_map(ItemData::text),
        xml_text().prop_map(ItemData::cdata),
        xml_text()
            .prop_filter("mixed data is never empty", |v| !v.is_empty())
            .prop_map(|v| ItemData {
                value: v.into(),
                carriage: Carriage::Mixed
            }),
        (token(), xml_text()).prop_map(|(a, t)| {
            let mut v = Vec::new();
            let el = omadm_syncml::ItemData::text(t);
            // A small fragment: an element with escaped text and an attribute.
            v.extend_from_slice(b"<x:V xmlns:x=\"urn:x\" a=\"");
            v.extend_from_slice(
                a.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('"', "&quot;")
                    .as_bytes(),
            );
            v.extend_from_slice(b"\">");
            v.extend_from_slice(
                el.value
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .as_bytes(),
            );
            v.extend_from_slice(b"</x:V>");
            ItemData {
                value: String::from_utf8(v).unwrap().into(),
                carriage: Carriage::Xml,
            }
        }),
    ]
}

fn arb_loc() -> impl Strategy<Value = (Cow<'static, str>, Option<Cow<'static, str>>)> {
    (token(), opt(token())).prop_map(|(u, n)| (cow(u), n.map(cow)))
}

fn arb_item() -> impl Strategy<Value = Item<'static>> {
    (
        opt(arb_loc()),
        opt(arb_loc()),
        opt(token()),
        opt(token()),
        opt(arb_meta()),
        opt(arb_item_data()),
        any::<bool>(),
    )
        .prop_map(|(t, s, sp, tp, meta, data, more_data)| Item {
            target: t.map(|(loc_uri, loc_name)| Target { loc_uri, loc_name }),
            source: s.map(|(loc_uri, loc_name)| Source { loc_uri, loc_name }),
            source_parent: sp.map(cow),
            target_parent: tp.map(cow),
            meta,
            data,
            more_data,
        })
}

fn arb_cred() -> impl Strategy<Value = Cred<'static>> {
    (opt(arb_meta()), xml_text()).prop_map(|(meta, data)| Cred {
        meta,
        data: cow(data),
    })
}

fn arb_cmd_id() -> impl Strategy<Value = CmdId> {
    (1u32..).prop_map(|n| CmdId::new(n).unwrap())
}

fn items() -> impl Strategy<Value = Vec<Item<'static>>> {
    proptest::collection::vec(arb_item(), 0..3)
}

fn leaf_command() -> impl Strategy<Value = Command<'static>> {
    let boxed_cred = || opt(arb_cred().prop_map(Box::new));
    let boxed_meta = || opt(arb_meta().prop_map(Box::new));
    prop_oneof![
        (
            arb_cmd_id(),
            any::<bool>(),
            boxed_cred(),
            opt((0u16..=9999).prop_map(|c| AlertCode::new(c).unwrap())),
            opt(token()),
            items()
        )
            .prop_map(
                |(cmd_id, no_resp, cred, data, correlator, items)| Command::Alert(Alert {
                    cmd_id,
                    no_resp,
                    cred,
                    data,
                    correlator: correlator.map(cow),
                    items
                })
            ),
        (
            arb_cmd_id(),
            any::<bool>(),
            boxed_cred(),
            boxed_meta(),
            items(),
            0..3u8
        )
            .prop_map(|(cmd_id, no_resp, cred, meta, items, which)| {
                let c = ItemCommand {
                    cmd_id,
                    no_resp,
                    cred,
                    meta,
                    items,
                };
                match which {
                    0 => Command::Add(c),
                    1 => Command::Copy(c),
                    _ => Command::Replace(c),
                }
            }),
        (
            arb_cmd_id(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            boxed_cred(),
            boxed_meta(),
            items()
        )
            .prop_map(|(cmd_id, no_resp, archive, sft_del, cred, meta, items)| {
                Command::Delete(Delete {
                    cmd_id,
                    no_resp,
                    archive,
                    sft_del,
                    cred,
                    meta,
                    items,
                })
            }),
        (
            arb_cmd_id(),
            any::<bool>(),
            boxed_cred(),
            boxed_meta(),
            opt(token()),
            arb_item()
        )
            .prop_map(
                |(cmd_id, no_resp, cred, meta, correlator, item)| Command::Exec(Exec {
                    cmd_id,
                    no_resp,
                    cred,
                    meta,
                    correlator: correlator.map(cow),
                    item: Box::new(item)
                })
            ),
        (
            arb_cmd_id(),
            any::<bool>(),
            opt(token()),
            boxed_cred(),
            boxed_meta(),
            items()
        )
            .prop_map(
                |(cmd_id, no_resp, lang, cred, meta, items)| Command::Get(Get {
                    cmd_id,
                    no_resp,
                    lang: lang.map(cow),
                    cred,
                    meta,
                    items
                })
            ),
    ]
}

fn body_command() -> impl Strategy<Value = Command<'static>> {
    let nested = leaf_command().prop_recursive(3, 12, 3, |inner| {
        (
            arb_cmd_id(),
            any::<bool>(),
            opt(arb_meta().prop_map(Box::new)),
            proptest::collection::vec(inner, 0..3),
            any::<bool>(),
        )
            .prop_map(|(cmd_id, no_resp, meta, commands, seq)| {
                let c = Container {
                    cmd_id,
                    no_resp,
                    meta,
                    commands,
                };
                if seq {
                    Command::Sequence(c)
                } else {
                    Command::Atomic(c)
                }
            })
    });
    prop_oneof![
        nested,
        (
            arb_cmd_id(),
            opt((1u32..).prop_map(|n| MsgId::new(n).unwrap())),
            any::<u32>(),
            opt(arb_meta().prop_map(Box::new)),
            opt(token()),
            opt(token()),
            items()
        )
            .prop_map(
                |(cmd_id, msg_ref, cmd_ref, meta, t, s, items)| Command::Results(Results {
                    cmd_id,
                    msg_ref: msg_ref.map(Into::into),
                    cmd_ref: CmdRef::from(cmd_ref),
                    meta,
                    target_ref: t.map(cow),
                    source_ref: s.map(cow),
                    items
                })
            ),
        (
            (
                arb_cmd_id(),
                (1u32..).prop_map(|n| MsgId::new(n).unwrap()),
                any::<u32>(),
                token()
            ),
            (
                proptest::collection::vec(token(), 0..2),
                proptest::collection::vec(token(), 0..2)
            ),
            (
                opt(arb_cred().prop_map(Box::new)),
                opt(arb_meta().prop_map(|meta| Box::new(Chal { meta }))),
                (100u16..=999).prop_map(|c| StatusCode::new(c).unwrap()),
                items()
            ),
        )
            .prop_map(
                |((cmd_id, msg_ref, cmd_ref, cmd), (t, s), (cred, chal, data, items))| {
                    Command::Status(Status {
                        cmd_id,
                        msg_ref: msg_ref.into(),
                        cmd_ref: CmdRef::from(cmd_ref),
                        cmd: cow(cmd),
                        target_ref: t.into_iter().map(cow).collect(),
                        source_ref: s.into_iter().map(cow).collect(),
                        cred,
                        chal,
                        data,
                        items,
                    })
                }
            ),
    ]
}

fn session_id() -> impl Strategy<Value = SessionId<'static>> {
    proptest::string::string_regex("[0-9A-Za-z\u{e9}]{1,4}")
        .unwrap()
        .prop_map(|s| SessionId::new(s).unwrap())
}

fn arb_sync_ml() -> impl Strategy<Value = SyncMl<'static>> {
    (
        (
            any::<bool>(),
            token(),
            token(),
            session_id(),
            (1u32..).prop_map(|n| MsgId::new(n).unwrap()),
        ),
        (
            arb_loc(),
            arb_loc(),
            opt(token()),
            any::<bool>(),
            opt(arb_cred()),
            opt(arb_meta()),
        ),
        (
            proptest::collection::vec(body_command(), 0..4),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (v11, ver_dtd, ver_proto, session_id, msg_id),
                (t, s, resp_uri, no_resp, cred, meta),
                (commands, is_final),
            )| SyncMl {
                version: if v11 {
                    SyncMlVersion::V1_1
                } else {
                    SyncMlVersion::V1_2
                },
                hdr: SyncHdr {
                    ver_dtd: cow(ver_dtd),
                    ver_proto: cow(ver_proto),
                    session_id,
                    msg_id,
                    target: Target {
                        loc_uri: t.0,
                        loc_name: t.1,
                    },
                    source: Source {
                        loc_uri: s.0,
                        loc_name: s.1,
                    },
                    resp_uri: resp_uri.map(cow),
                    no_resp,
                    cred,
                    meta,
                },
                body: SyncBody { commands, is_final },
            },
        )
}

/// Runs a property on a thread with a large stack: the nested strategies build deep values, and
/// test code is not optimised.
pub(crate) fn run_property<S: Strategy>(
    strategy: impl FnOnce() -> S + Send + 'static,
    test: impl Fn(S::Value) + Send + Sync + 'static,
) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let config = ProptestConfig {
                source_file: Some(file!()),
                ..ProptestConfig::default()
            };
            let mut runner = proptest::test_runner::TestRunner::new(config);
            if let Err(e) = runner.run(&strategy(), |v| {
                test(v);
                Ok(())
            }) {
                panic!("{e}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn decode_encode_is_identity() {
    run_property(omadm_testkit::strategies::arb_sync_ml, |m| roundtrip(&m));
}

#[test]
fn decode_encode_is_identity_for_sessionless_messages() {
    run_property(omadm_testkit::strategies::arb_sessionless_message, |m| {
        roundtrip(&m);
    });
}

/// The local strategies (more Meta/carriage variety, attributes and prefixes in fragments).
#[test]
fn decode_encode_is_identity_local_strategies() {
    run_property(arb_sync_ml, |m| roundtrip(&m));
}
