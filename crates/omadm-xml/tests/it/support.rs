//! Shared helpers: where `../shared` is, and a few model builders.

use std::path::PathBuf;

use omadm_syncml::{
    Alert, AlertCode, CmdId, Command, Format, Item, ItemData, Mark, Meta, MsgId, Source, SyncBody,
    SyncHdr, SyncMl, SyncMlVersion,
};
use omadm_xml::{Error, ErrorKind, Limits};

/// The read-only shared directory beside the repository (`../shared`).
pub(crate) fn shared() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

/// Reads a file below `../shared`.
pub(crate) fn shared_file(rel: &str) -> Vec<u8> {
    let p = shared().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// Decodes with the default limits and returns the error (panics on success).
pub(crate) fn decode_err(input: &[u8]) -> Error {
    match omadm_xml::decode(input, &Limits::default()) {
        Ok(m) => panic!("expected an error, decoded {m:#?}"),
        Err(e) => e,
    }
}

/// One line per case: `check(input, expected kind)`.
pub(crate) fn check(input: &str, kind: ErrorKind) {
    let e = decode_err(input.as_bytes());
    assert_eq!(*e.kind(), kind, "input: {input}\nerror: {e}");
}

/// The fixed messages the benchmarks and this binary (the allocation test, the header below) use:
/// one definition for both.
#[allow(dead_code, unreachable_pub)]
#[path = "../fixtures/messages.rs"]
pub(crate) mod fixtures;

/// A realistic sessionless header (as in the spec vectors), with an auth-MAC `Cred`.
pub(crate) fn header(msg_id: u32) -> SyncHdr<'static> {
    SyncHdr {
        msg_id: MsgId::new(msg_id).unwrap(),
        ..fixtures::header()
    }
}

/// A sessionless report alert.
pub(crate) fn report(
    cmd_id: u32,
    source: Option<&'static str>,
    ty: &'static str,
    data: &'static str,
) -> Command<'static> {
    Command::Alert(Alert {
        cmd_id: CmdId::new(cmd_id).unwrap(),
        no_resp: false,
        cred: None,
        data: Some(AlertCode::SESSIONLESS_REPORT),
        correlator: None,
        items: vec![Item {
            source: source.map(|s| Source {
                loc_uri: s.into(),
                loc_name: None,
            }),
            meta: Some(Meta {
                format: Some(Format::Chr),
                ty: Some(ty.into()),
                mark: Some(Mark::Warning),
                ..Meta::default()
            }),
            data: Some(ItemData::cdata(data)),
            ..Item::default()
        }],
    })
}

/// A message of `n` sessionless reports.
pub(crate) fn sessionless(n: u32) -> SyncMl<'static> {
    SyncMl {
        version: SyncMlVersion::V1_2,
        hdr: header(7),
        body: SyncBody {
            commands: (1..=n)
                .map(|i| {
                    report(
                        i,
                        Some("./Ext/Battery"),
                        "urn:oma:mo:battery:1.0",
                        "level=12; t=31C",
                    )
                })
                .collect(),
            is_final: false,
        },
    }
}
