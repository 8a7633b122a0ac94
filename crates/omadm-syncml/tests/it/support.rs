//! Builders for the tests: a conforming sessionless message that a test then breaks in one place.

use std::borrow::Cow;

use omadm_syncml::sessionless::SessionlessReport;
use omadm_syncml::{
    Alert, CmdId, Command, Cred, Format, Mark, Meta, MsgId, SessionId, Source, SyncBody, SyncHdr,
    SyncMl, SyncMlVersion, Target,
};

/// A valid report with every field.
pub(crate) fn report(n: u32) -> SessionlessReport<'static> {
    SessionlessReport::new(
        Some(Cow::Owned(format!("./MO{n}/Ext"))),
        format!("urn:oma:mo:samplealert{n}:1.0"),
        Format::Xml,
        Some(Mark::Critical),
        format!("<r n=\"{n}\">]]> &amp; é</r>"),
    )
    .unwrap()
}

pub(crate) fn cmd_id(n: u32) -> CmdId {
    CmdId::new(n).unwrap()
}

/// A conforming message with two reports (CmdIDs 1001 and 1002).
pub(crate) fn conforming() -> SyncMl<'static> {
    let commands = [1001, 1002]
        .into_iter()
        .map(|n| Command::Alert(report(n).to_alert(cmd_id(n)).into_owned()))
        .collect();
    SyncMl {
        version: SyncMlVersion::V1_2,
        hdr: SyncHdr {
            ver_dtd: "1.2".into(),
            ver_proto: "DM/1.3".into(),
            session_id: SessionId::SESSIONLESS,
            msg_id: MsgId::MIN,
            target: Target {
                loc_uri: "https://dm.example.com/mgmt".into(),
                loc_name: None,
            },
            source: Source {
                loc_uri: "IMEI:493005100592800".into(),
                loc_name: Some("dev1".into()),
            },
            resp_uri: None,
            no_resp: false,
            cred: Some(Cred {
                meta: Some(Meta {
                    format: Some(Format::B64),
                    ty: Some("syncml:auth-md5".into()),
                    ..Meta::default()
                }),
                data: "Zm9vYmFyYmF6cXV4eHl6MTIz".into(),
            }),
            meta: None,
        },
        body: SyncBody {
            commands,
            is_final: false,
        },
    }
}

/// The first body command as an Alert.
pub(crate) fn alert<'m>(m: &'m mut SyncMl<'static>) -> &'m mut Alert<'static> {
    match &mut m.body.commands[0] {
        Command::Alert(a) => a,
        other => panic!("not an alert: {other:?}"),
    }
}

/// The first item's Meta of the first Alert.
pub(crate) fn meta<'m>(m: &'m mut SyncMl<'static>) -> &'m mut Meta<'static> {
    alert(m).items[0].meta.as_mut().unwrap()
}
