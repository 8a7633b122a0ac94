//! Proptest strategies for the DM model: whole valid messages for codec round trips, and valid
//! sessionless reports and messages for the emitter and verifier laws.
//!
//! "Valid" follows the contract between the model and the codec: token texts (VerDTD, LocURI,
//! MetInf values, ...) have no surrounding XML whitespace (space, TAB, LF), every text is made of
//! XML 1.0 characters, no text holds a CR (a conforming parser would turn it into LF), and a
//! [`Carriage::Mixed`] value is never empty. Texts deliberately include `<`, `&`, `>`, `]]>`,
//! quotes, entity-looking text, non-ASCII (including non-BMP and private-use characters) and
//! Unicode whitespace that XML does not trim (NBSP). Sizes stay modest: at most four body
//! commands, nesting depth at most three, one or two items per command.

use std::borrow::Cow;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use omadm_syncml::sessionless::{ReportError, SessionlessReport};
use omadm_syncml::{
    Alert, AlertCode, Anchor, Carriage, Chal, CmdId, CmdRef, Command, Container, Cred, Delete,
    Exec, Format, Get, Item, ItemCommand, ItemData, Mark, Mem, Meta, MsgId, MsgRef, Results,
    SessionId, Source, Status, StatusCode, SyncBody, SyncHdr, SyncMl, SyncMlVersion, Target,
};

/// Pieces of text that stress an encoder and a decoder: markup characters, the CDATA end,
/// entity-looking text, quotes, and non-ASCII characters of every UTF-8 length.
const SPECIAL: &[&str] = &[
    "<",
    ">",
    "&",
    "]]>",
    "]]",
    "]",
    "\"",
    "'",
    "&amp;",
    "&#13;",
    "<![CDATA[",
    "<a>",
    "-->",
    "é",
    "ß",
    "日本",
    "😀",
    "\u{FFFD}",
    "\u{E000}",
    "\u{10FFFF}",
    "\u{A0}",
    "\u{85}",
    "\u{7F}",
    "\u{FEFF}",
    ";",
    "/",
    ":",
    "=",
    ".",
    "%",
];

/// XML whitespace that may appear inside texts (never CR).
const XML_SPACE: &[&str] = &[" ", "\t", "\n"];

fn piece(with_space: bool) -> BoxedStrategy<String> {
    let word = "[A-Za-z0-9._-]{1,6}".boxed();
    let special = select(SPECIAL).prop_map(str::to_owned).boxed();
    if with_space {
        let space = select(XML_SPACE).prop_map(str::to_owned);
        prop_oneof![4 => word, 2 => special, 1 => space].boxed()
    } else {
        prop_oneof![4 => word, 2 => special].boxed()
    }
    .boxed()
}

fn trim_xml_space(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r'])
}

/// Free text of up to `max_pieces` pieces: may be empty, may start or end with whitespace. What
/// `Cred/Data` and `Item/Data` (which are never trimmed) may hold.
pub fn arb_free_text(max_pieces: usize) -> BoxedStrategy<String> {
    vec(piece(true), 0..=max_pieces)
        .prop_map(|v| v.concat())
        .boxed()
}

/// Token text (for the elements the decoder trims): may be empty, holds inner whitespace but none
/// around it.
pub fn arb_token_text(max_pieces: usize) -> BoxedStrategy<String> {
    arb_free_text(max_pieces)
        .prop_map(|s| trim_xml_space(&s).to_owned())
        .boxed()
}

/// Non-empty token text.
pub fn arb_nonempty_token_text(max_pieces: usize) -> BoxedStrategy<String> {
    (piece(false), arb_free_text(max_pieces))
        .prop_map(|(head, tail)| trim_xml_space(&(head + &tail)).to_owned())
        .boxed()
}

fn token() -> BoxedStrategy<Cow<'static, str>> {
    arb_token_text(5).prop_map(Cow::Owned).boxed()
}

fn opt_token() -> BoxedStrategy<Option<Cow<'static, str>>> {
    option::weighted(0.4, token()).boxed()
}

fn nonzero() -> BoxedStrategy<u32> {
    prop_oneof![1u32..=20, 1u32..=u32::MAX].boxed()
}

/// A `MsgID`.
pub fn arb_msg_id() -> BoxedStrategy<MsgId> {
    nonzero()
        .prop_map(|n| MsgId::new(n).unwrap_or(MsgId::MIN))
        .boxed()
}

/// A `SessionID` (1 to 32 characters, mostly short).
pub fn arb_session_id() -> BoxedStrategy<SessionId<'static>> {
    prop_oneof![3 => "[0-9A-Za-zé日]{1,4}", 1 => "[0-9A-Za-zé日]{5,32}"]
        .prop_map(|s| SessionId::new(s).unwrap_or(SessionId::SESSIONLESS))
        .boxed()
}

/// A `Format`: mostly a known token, sometimes an unknown one ([`Format::Other`], non-empty and
/// distinct from the known tokens).
pub fn arb_format() -> BoxedStrategy<Format<'static>> {
    prop_oneof![
        8 => select(Format::KNOWN.to_vec()),
        1 => arb_nonempty_token_text(3).prop_map(Format::from_token),
    ]
    .boxed()
}

/// A `Mark`: mostly one of the seven levels, sometimes another token ([`Mark::Other`]).
pub fn arb_mark() -> BoxedStrategy<Mark<'static>> {
    prop_oneof![
        8 => select(Mark::LEVELS.to_vec()),
        1 => prop_oneof![
            select(vec!["major", "draft", "final", "read"]).prop_map(Mark::from_token),
            arb_nonempty_token_text(3).prop_map(Mark::from_token),
        ],
    ]
    .boxed()
}

/// A `Meta` in which every MetInf element may appear (including an empty `Meta`).
pub fn arb_meta() -> BoxedStrategy<Meta<'static>> {
    let anchor = (opt_token(), token()).prop_map(|(last, next)| Box::new(Anchor { last, next }));
    let mem = (any::<bool>(), token(), token()).prop_map(|(shared_mem, free_mem, free_id)| {
        Box::new(Mem {
            shared_mem,
            free_mem,
            free_id,
        })
    });
    let count = || option::weighted(0.3, prop_oneof![0u64..=100_000, any::<u64>()]);
    (
        (
            any::<bool>(),
            option::weighted(0.5, arb_format()),
            opt_token(),
            option::weighted(0.3, arb_mark()),
            count(),
            option::weighted(0.15, anchor),
        ),
        (
            opt_token(),
            opt_token(),
            count(),
            count(),
            vec(token(), 0..=2),
            option::weighted(0.15, mem),
        ),
    )
        .prop_map(
            |(
                (field_level, format, ty, mark, size, anchor),
                (version, next_nonce, max_msg_size, max_obj_size, emi, mem),
            )| Meta {
                field_level,
                format,
                ty,
                mark,
                size,
                anchor,
                version,
                next_nonce,
                max_msg_size,
                max_obj_size,
                emi,
                mem,
            },
        )
        .boxed()
}

/// A simple well-formed XML fragment of elements (text escaped), as `Item/Data` with
/// [`Carriage::Xml`] holds it: e.g. `<a>x &amp; y</a><b/>`.
pub fn arb_xml_fragment() -> BoxedStrategy<String> {
    let name = select(vec!["a", "b", "Node", "Value", "DevID", "Data", "x1"]);
    let text = || arb_free_text(3).prop_map(|t| escape(&t));
    let element = prop_oneof![
        (name.clone(), text()).prop_map(|(n, t)| format!("<{n}>{t}</{n}>")),
        name.clone().prop_map(|n| format!("<{n}/>")),
        (name.clone(), name, text()).prop_map(|(n, m, t)| format!("<{n}><{m}>{t}</{m}></{n}>")),
    ];
    vec(element, 1..=3).prop_map(|v| v.concat()).boxed()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `Item/Data` in each of the four carriages (a `Mixed` value is non-empty).
pub fn arb_item_data() -> BoxedStrategy<ItemData<'static>> {
    let data = |value: String, carriage| ItemData {
        value: Cow::Owned(value),
        carriage,
    };
    prop_oneof![
        arb_free_text(8).prop_map(move |v| data(v, Carriage::Escaped)),
        arb_free_text(8).prop_map(move |v| data(v, Carriage::Cdata)),
        (piece(true), arb_free_text(6)).prop_map(move |(h, t)| data(h + &t, Carriage::Mixed)),
        arb_xml_fragment().prop_map(move |v| data(v, Carriage::Xml)),
    ]
    .boxed()
}

fn arb_target() -> BoxedStrategy<Target<'static>> {
    (token(), opt_token())
        .prop_map(|(loc_uri, loc_name)| Target { loc_uri, loc_name })
        .boxed()
}

fn arb_source() -> BoxedStrategy<Source<'static>> {
    (token(), opt_token())
        .prop_map(|(loc_uri, loc_name)| Source { loc_uri, loc_name })
        .boxed()
}

/// A `Cred`: optional `Meta`, and `Data` as free text (never trimmed).
pub fn arb_cred() -> BoxedStrategy<Cred<'static>> {
    (option::weighted(0.6, arb_meta()), arb_free_text(6))
        .prop_map(|(meta, data)| Cred {
            meta,
            data: Cow::Owned(data),
        })
        .boxed()
}

fn arb_chal() -> BoxedStrategy<Chal<'static>> {
    arb_meta().prop_map(|meta| Chal { meta }).boxed()
}

/// An `Item` in which every field may appear.
pub fn arb_item() -> BoxedStrategy<Item<'static>> {
    (
        option::weighted(0.3, arb_target()),
        option::weighted(0.5, arb_source()),
        option::weighted(0.15, token()),
        option::weighted(0.15, token()),
        option::weighted(0.6, arb_meta()),
        option::weighted(0.8, arb_item_data()),
        any::<bool>(),
    )
        .prop_map(
            |(target, source, source_parent, target_parent, meta, data, more_data)| Item {
                target,
                source,
                source_parent,
                target_parent,
                meta,
                data,
                more_data,
            },
        )
        .boxed()
}

fn boxed_cred() -> BoxedStrategy<Option<Box<Cred<'static>>>> {
    option::weighted(0.15, arb_cred().prop_map(Box::new)).boxed()
}

fn boxed_meta() -> BoxedStrategy<Option<Box<Meta<'static>>>> {
    option::weighted(0.3, arb_meta().prop_map(Box::new)).boxed()
}

fn items(min: usize) -> BoxedStrategy<Vec<Item<'static>>> {
    vec(arb_item(), min..=2).boxed()
}

/// Every command's `CmdID` is `1` here; [`arb_sync_ml`] renumbers them.
fn item_command() -> BoxedStrategy<ItemCommand<'static>> {
    (any::<bool>(), boxed_cred(), boxed_meta(), items(1))
        .prop_map(|(no_resp, cred, meta, items)| ItemCommand {
            cmd_id: CmdId::MIN,
            no_resp,
            cred,
            meta,
            items,
        })
        .boxed()
}

fn alert() -> BoxedStrategy<Alert<'static>> {
    let code = prop_oneof![
        select(vec![1200u16, 1201, 1222, 1223, 1224, 1226, 1230]),
        0u16..=9999
    ]
    .prop_map(|c| AlertCode::new(c).unwrap_or(AlertCode::GENERIC_ALERT));
    (
        any::<bool>(),
        boxed_cred(),
        option::weighted(0.9, code),
        opt_token(),
        items(0),
    )
        .prop_map(|(no_resp, cred, data, correlator, items)| Alert {
            cmd_id: CmdId::MIN,
            no_resp,
            cred,
            data,
            correlator,
            items,
        })
        .boxed()
}

/// The commands that may stand inside `Atomic` and `Sequence`, without the containers.
fn nestable_leaf() -> BoxedStrategy<Command<'static>> {
    let delete = (
        (any::<bool>(), any::<bool>(), any::<bool>()),
        boxed_cred(),
        boxed_meta(),
        items(1),
    )
        .prop_map(|((no_resp, archive, sft_del), cred, meta, items)| {
            Command::Delete(Delete {
                cmd_id: CmdId::MIN,
                no_resp,
                archive,
                sft_del,
                cred,
                meta,
                items,
            })
        });
    let exec = (
        any::<bool>(),
        boxed_cred(),
        boxed_meta(),
        opt_token(),
        arb_item(),
    )
        .prop_map(|(no_resp, cred, meta, correlator, item)| {
            Command::Exec(Exec {
                cmd_id: CmdId::MIN,
                no_resp,
                cred,
                meta,
                correlator,
                item: Box::new(item),
            })
        });
    let get = (
        any::<bool>(),
        opt_token(),
        boxed_cred(),
        boxed_meta(),
        items(1),
    )
        .prop_map(|(no_resp, lang, cred, meta, items)| {
            Command::Get(Get {
                cmd_id: CmdId::MIN,
                no_resp,
                lang,
                cred,
                meta,
                items,
            })
        });
    prop_oneof![
        item_command().prop_map(Command::Add),
        alert().prop_map(Command::Alert),
        item_command().prop_map(Command::Copy),
        delete,
        exec,
        get,
        item_command().prop_map(Command::Replace),
    ]
    .boxed()
}

/// A command that may stand inside `Atomic`/`Sequence`, containers included (nesting depth at
/// most three).
fn nestable() -> BoxedStrategy<Command<'static>> {
    nestable_leaf()
        .prop_recursive(2, 8, 3, |inner| {
            let container = (any::<bool>(), boxed_meta(), vec(inner, 1..=3))
                .prop_map(|(no_resp, meta, commands)| Container {
                    cmd_id: CmdId::MIN,
                    no_resp,
                    meta,
                    commands,
                })
                .boxed();
            prop_oneof![
                container.clone().prop_map(Command::Atomic),
                container.prop_map(Command::Sequence),
            ]
        })
        .boxed()
}

fn results() -> BoxedStrategy<Command<'static>> {
    (
        option::of(any::<u32>().prop_map(MsgRef::from)),
        any::<u32>(),
        boxed_meta(),
        opt_token(),
        opt_token(),
        items(1),
    )
        .prop_map(|(msg_ref, cmd_ref, meta, target_ref, source_ref, items)| {
            Command::Results(Results {
                cmd_id: CmdId::MIN,
                msg_ref,
                cmd_ref: CmdRef::from(cmd_ref),
                meta,
                target_ref,
                source_ref,
                items,
            })
        })
        .boxed()
}

fn status() -> BoxedStrategy<Command<'static>> {
    let code = prop_oneof![select(vec![200u16, 212, 401, 407, 500]), 100u16..=999]
        .prop_map(|c| StatusCode::new(c).unwrap_or(StatusCode::OK));
    (
        (any::<u32>().prop_map(MsgRef::from), any::<u32>(), token()),
        vec(token(), 0..=2),
        vec(token(), 0..=2),
        boxed_cred(),
        option::weighted(0.3, arb_chal().prop_map(Box::new)),
        code,
        items(0).prop_map(|mut v| {
            v.truncate(1);
            v
        }),
    )
        .prop_map(
            |((msg_ref, cmd_ref, cmd), target_ref, source_ref, cred, chal, data, items)| {
                Command::Status(Status {
                    cmd_id: CmdId::MIN,
                    msg_ref,
                    cmd_ref: CmdRef::from(cmd_ref),
                    cmd,
                    target_ref,
                    source_ref,
                    cred,
                    chal,
                    data,
                    items,
                })
            },
        )
        .boxed()
}

/// A body command of any kind (nested `Atomic`/`Sequence` included). `CmdID`s are all `1`; use
/// [`renumber`] to make them unique.
pub fn arb_command() -> BoxedStrategy<Command<'static>> {
    prop_oneof![
        6 => nestable(),
        1 => results(),
        2 => status(),
    ]
    .boxed()
}

/// Numbers every command of the tree in document order, from `first` on (so that `CmdID`s are
/// unique and increasing). Returns the next free number.
pub fn renumber(commands: &mut [Command<'_>], first: u32) -> u32 {
    let mut next = first;
    for command in commands {
        command.set_cmd_id(CmdId::new(next).unwrap_or(CmdId::MIN));
        next = next.saturating_add(1);
        if let Command::Atomic(c) | Command::Sequence(c) = command {
            next = renumber(&mut c.commands, next);
        }
    }
    next
}

/// A `SyncHdr` with every field possibly present (VerDTD and VerProto consistent with
/// `version`).
pub fn arb_sync_hdr(version: SyncMlVersion) -> BoxedStrategy<SyncHdr<'static>> {
    let protos = match version {
        SyncMlVersion::V1_1 => vec!["DM/1.1"],
        _ => vec!["DM/1.2", "DM/1.3"],
    };
    (
        (select(protos), arb_session_id(), arb_msg_id()),
        arb_target(),
        arb_source(),
        opt_token(),
        any::<bool>(),
        option::weighted(0.7, arb_cred()),
        option::weighted(0.4, arb_meta()),
    )
        .prop_map(
            move |(
                (ver_proto, session_id, msg_id),
                target,
                source,
                resp_uri,
                no_resp,
                cred,
                meta,
            )| {
                SyncHdr {
                    ver_dtd: Cow::Borrowed(version.ver_dtd()),
                    ver_proto: Cow::Borrowed(ver_proto),
                    session_id,
                    msg_id,
                    target,
                    source,
                    resp_uri,
                    no_resp,
                    cred,
                    meta,
                }
            },
        )
        .boxed()
}

/// An arbitrary valid DM message: every command kind, nested `Atomic`/`Sequence`, `Status` with
/// `Chal`, items and metas with every field, all four carriages; one to four body commands with
/// unique increasing `CmdID`s.
pub fn arb_sync_ml() -> BoxedStrategy<SyncMl<'static>> {
    prop_oneof![
        1 => Just(SyncMlVersion::V1_1),
        4 => Just(SyncMlVersion::V1_2),
    ]
    .prop_flat_map(|version| {
        (
            arb_sync_hdr(version),
            vec(arb_command(), 1..=4),
            any::<bool>(),
            prop_oneof![Just(1u32), 1u32..=5000],
        )
            .prop_map(move |(hdr, mut commands, is_final, first)| {
                renumber(&mut commands, first);
                SyncMl {
                    version,
                    hdr,
                    body: SyncBody { commands, is_final },
                }
            })
    })
    .boxed()
}

/// The parts of a sessionless report, as generated (before [`SessionlessReport::new`] checks
/// them).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportParts {
    /// `Item/Source/LocURI`.
    pub source_uri: Option<String>,
    /// `Meta/Type`.
    pub alert_type: String,
    /// `Meta/Format`.
    pub format: Format<'static>,
    /// `Meta/Mark`.
    pub mark: Option<Mark<'static>>,
    /// `Item/Data`.
    pub data: String,
}

impl ReportParts {
    /// Builds the report (borrowing the parts).
    pub fn build(&self) -> Result<SessionlessReport<'_>, ReportError> {
        SessionlessReport::new(
            self.source_uri.as_deref().map(Cow::Borrowed),
            &*self.alert_type,
            self.format.clone(),
            self.mark.clone(),
            &*self.data,
        )
    }
}

/// A Type in each form of the grammar `SessionlessReport::new` accepts.
pub fn arb_alert_type() -> BoxedStrategy<String> {
    let label = || "[A-Za-z0-9_-]{1,8}";
    let rdn = || vec(label(), 2..=4).prop_map(|v| v.join("."));
    let space = || select(vec!["", " "]);
    prop_oneof![
        (label(), "[0-9]\\.[0-9]").prop_map(|(l, v)| format!("urn:oma:at:{l}:{v}")),
        ("[A-Za-z0-9][A-Za-z0-9-]{0,8}", "[A-Za-z0-9:._/é%-]{1,20}")
            .prop_map(|(nid, nss)| format!("urn:{nid}:{nss}")),
        (space(), rdn(), option::of("/[A-Za-z0-9]{1,8}")).prop_map(|(sp, rdn, path)| format!(
            "Reversed-Domain-Name:{sp}{rdn}{}",
            path.unwrap_or_default()
        )),
        (
            space(),
            "[a-z]{1,8}/[a-z0-9.+-]{1,12}",
            option::of("; charset=utf-8")
        )
            .prop_map(|(sp, mime, params)| format!(
                "Content-Type:{sp}{mime}{}",
                params.unwrap_or_default()
            )),
        rdn(),
    ]
    .boxed()
}

/// A source URI: a DM tree path, sometimes with characters that need escaping.
pub fn arb_source_uri() -> BoxedStrategy<String> {
    let segment = prop_oneof![
        4 => "[A-Za-z0-9_-]{1,8}".boxed(),
        1 => select(vec!["Ext&1", "<x>", "ü", "日本", "a b", "q\"'", "]]>"]).prop_map(str::to_owned).boxed(),
    ];
    (select(vec!["./", ""]), vec(segment, 1..=3))
        .prop_map(|(root, v)| root.to_owned() + &v.join("/"))
        .boxed()
}

/// The parts of a valid report (see [`ReportParts::build`]).
pub fn arb_report_parts() -> BoxedStrategy<ReportParts> {
    (
        option::weighted(0.8, arb_source_uri()),
        arb_alert_type(),
        select(Format::KNOWN.to_vec()),
        option::of(select(Mark::LEVELS.to_vec())),
        arb_free_text(12),
    )
        .prop_map(|(source_uri, alert_type, format, mark, data)| ReportParts {
            source_uri,
            alert_type,
            format,
            mark,
            data,
        })
        .boxed()
}

/// A valid sessionless report (owned). Its data may hold `<`, `&`, `]]>`, quotes, line breaks
/// and non-ASCII, never CR.
pub fn arb_report() -> BoxedStrategy<SessionlessReport<'static>> {
    arb_report_parts()
        .prop_filter_map(
            "SessionlessReport::new refused a generated report (strategy bug)",
            |parts| parts.build().ok().map(SessionlessReport::into_owned),
        )
        .boxed()
}

/// One to five valid reports.
pub fn arb_reports() -> BoxedStrategy<Vec<SessionlessReport<'static>>> {
    vec(arb_report(), 1..=5).boxed()
}

/// A conforming Sessionless Report Message (`sessionless::check` finds nothing) together with
/// the reports it carries, in body order.
pub fn arb_sessionless_case() -> BoxedStrategy<(SyncMl<'static>, Vec<SessionlessReport<'static>>)> {
    let cred = prop_oneof![
        "[A-Za-z0-9+/]{22}==".prop_map(|d| ("syncml:auth-md5", "b64", d)),
        "[A-Za-z0-9+/]{43}=".prop_map(|mac| (
            "syncml:auth-MAC",
            "chr",
            format!("algorithm=SHA256, username=\"dev1\", mac={mac}")
        )),
        "[A-Za-z0-9+/]{8,16}".prop_map(|d| ("syncml:auth-basic", "b64", d)),
    ]
    .prop_map(|(ty, format, data)| Cred {
        meta: Some(Meta {
            format: Some(Format::from_token(format)),
            ty: Some(Cow::Borrowed(ty)),
            ..Meta::default()
        }),
        data: Cow::Owned(data),
    });
    let max_msg_size = option::weighted(
        0.3,
        (1024u64..=1 << 20).prop_map(|n| Meta {
            max_msg_size: Some(n),
            ..Meta::default()
        }),
    );
    (
        arb_reports(),
        (
            select(vec!["DM/1.2", "DM/1.3"]),
            arb_msg_id(),
            prop_oneof![Just(1u32), 1u32..=5000],
        ),
        "https://dm\\.example\\.com/[a-z]{1,8}",
        "IMEI:[0-9]{15}",
        option::weighted(0.8, "[a-z0-9]{1,8}"),
        cred,
        max_msg_size,
        any::<bool>(),
    )
        .prop_map(
            |(reports, (ver_proto, msg_id, first), server, device, user, cred, meta, is_final)| {
                let mut commands: Vec<Command<'static>> = reports
                    .iter()
                    .map(|r| Command::Alert(r.to_alert(CmdId::MIN).into_owned()))
                    .collect();
                renumber(&mut commands, first);
                let msg = SyncMl {
                    version: SyncMlVersion::V1_2,
                    hdr: SyncHdr {
                        ver_dtd: Cow::Borrowed("1.2"),
                        ver_proto: Cow::Borrowed(ver_proto),
                        session_id: SessionId::SESSIONLESS,
                        msg_id,
                        target: Target {
                            loc_uri: Cow::Owned(server),
                            loc_name: None,
                        },
                        source: Source {
                            loc_uri: Cow::Owned(device),
                            loc_name: user.map(Cow::Owned),
                        },
                        resp_uri: None,
                        no_resp: false,
                        cred: Some(cred),
                        meta,
                    },
                    body: SyncBody { commands, is_final },
                };
                (msg, reports)
            },
        )
        .boxed()
}

/// A conforming Sessionless Report Message: one to five reports, header with `SessionID` `0`,
/// `Cred`, VerProto `DM/1.2` or `DM/1.3`.
pub fn arb_sessionless_message() -> BoxedStrategy<SyncMl<'static>> {
    arb_sessionless_case().prop_map(|(msg, _)| msg).boxed()
}
