//! `sessionless::check`, `reports` and `check_size`: every rule broken once (and kept once), the
//! locations they report, and the laws tying `check` to `reports`.

use std::borrow::Cow;

use proptest::prelude::*;

use omadm_syncml::sessionless::{
    ReportError, Rule, SessionlessReport, check, check_size, into_reports, reports,
};
use omadm_syncml::{
    AlertCode, Carriage, Command, Container, Cred, Format, ItemCommand, Mark, SessionId, Source,
    Status, StatusCode, SyncMl, SyncMlVersion,
};
use omadm_testkit::strategies::{arb_sessionless_case, arb_sync_ml};

use crate::support::{alert, cmd_id, conforming, meta, report};

/// Breaks a conforming message with `edit` and expects exactly `expect` (rule, path) pairs.
fn case(edit: impl FnOnce(&mut SyncMl<'static>), expect: &[(Rule, &str)]) {
    let mut m = conforming();
    edit(&mut m);
    let got: Vec<(Rule, String)> = check(&m)
        .into_iter()
        .map(|v| (v.rule, v.location.path))
        .collect();
    let expect: Vec<(Rule, String)> = expect.iter().map(|(r, p)| (*r, (*p).to_owned())).collect();
    assert_eq!(got, expect);
    // `reports` fails exactly when `check` finds something, with the first violation.
    match reports(&m) {
        Ok(_) => assert!(expect.is_empty()),
        Err(v) => assert_eq!((v.rule, v.location.path), expect[0].clone()),
    }
}

fn ok(edit: impl FnOnce(&mut SyncMl<'static>)) {
    case(edit, &[]);
}

const A1: &str = "SyncBody/Alert[1]";

#[test]
fn conforming_message_passes() {
    ok(|_| {});
    let m = conforming();
    let got = reports(&m).unwrap();
    assert_eq!(got, vec![report(1001), report(1002)]);
}

#[test]
fn alert_code() {
    case(
        |m| alert(m).data = Some(AlertCode::GENERIC_ALERT),
        &[(Rule::AlertCode, "SyncBody/Alert[1]/Data")],
    );
    case(
        |m| alert(m).data = None,
        &[(Rule::AlertCode, "SyncBody/Alert[1]/Data")],
    );
}

#[test]
fn item_count() {
    case(|m| alert(m).items.clear(), &[(Rule::ItemCount, A1)]);
    case(
        |m| {
            let a = alert(m);
            a.items.push(a.items[0].clone());
        },
        &[(Rule::ItemCount, A1)],
    );
}

#[test]
fn data_cdata() {
    for carriage in [Carriage::Escaped, Carriage::Mixed, Carriage::Xml] {
        case(
            |m| alert(m).items[0].data.as_mut().unwrap().carriage = carriage,
            &[(Rule::DataCdata, "SyncBody/Alert[1]/Item/Data")],
        );
    }
    case(
        |m| alert(m).items[0].data = None,
        &[(Rule::DataCdata, "SyncBody/Alert[1]/Item/Data")],
    );
}

#[test]
fn item_meta_type_and_format() {
    case(
        |m| alert(m).items[0].meta = None,
        &[(Rule::ItemMeta, "SyncBody/Alert[1]/Item/Meta")],
    );
    case(
        |m| meta(m).ty = None,
        &[(Rule::MetaType, "SyncBody/Alert[1]/Item/Meta/Type")],
    );
    case(
        |m| meta(m).ty = Some("text/plain".into()),
        &[(Rule::TypeValue, "SyncBody/Alert[1]/Item/Meta/Type")],
    );
    case(
        |m| meta(m).format = None,
        &[(Rule::MetaFormat, "SyncBody/Alert[1]/Item/Meta/Format")],
    );
    case(
        |m| meta(m).format = Some(Format::from_token("json")),
        &[(Rule::FormatValue, "SyncBody/Alert[1]/Item/Meta/Format")],
    );
    ok(|m| meta(m).ty = Some("Reversed-Domain-Name:com.microsoft.mdm.win32csp_install".into()));
    ok(|m| meta(m).format = Some(Format::Float));
}

#[test]
fn mark_value() {
    case(
        |m| meta(m).mark = Some(Mark::from_token("major")),
        &[(Rule::MarkValue, "SyncBody/Alert[1]/Item/Meta/Mark")],
    );
    ok(|m| meta(m).mark = None);
    ok(|m| meta(m).mark = Some(Mark::Indeterminate));
}

#[test]
fn source_uri() {
    case(
        |m| {
            alert(m).items[0].source = Some(Source {
                loc_uri: "".into(),
                loc_name: None,
            })
        },
        &[(Rule::SourceUri, "SyncBody/Alert[1]/Item/Source/LocURI")],
    );
    ok(|m| alert(m).items[0].source = None);
}

#[test]
fn data_value() {
    case(
        |m| alert(m).items[0].data.as_mut().unwrap().value = "a\u{0}b".into(),
        &[(Rule::DataValue, "SyncBody/Alert[1]/Item/Data")],
    );
    ok(|m| alert(m).items[0].data.as_mut().unwrap().value = "".into());
}

#[test]
fn header_cred() {
    case(|m| m.hdr.cred = None, &[(Rule::HeaderCred, "SyncHdr/Cred")]);
    ok(|m| {
        m.hdr.cred = Some(Cred {
            meta: None,
            data: "dXNlcjpwYXNz".into(),
        })
    });
}

#[test]
fn body_only_reports() {
    let add = Command::Add(ItemCommand {
        cmd_id: cmd_id(5000),
        no_resp: false,
        cred: None,
        meta: None,
        items: vec![report(1).to_item().into_owned()],
    });
    case(
        move |m| m.body.commands.push(add),
        &[(Rule::BodyOnlyReports, "SyncBody/Add[1]")],
    );
    let status = Command::Status(Status {
        cmd_id: cmd_id(1),
        msg_ref: omadm_syncml::MsgId::MIN.into(),
        cmd_ref: omadm_syncml::CmdRef::SYNC_HDR,
        cmd: "SyncHdr".into(),
        target_ref: vec![],
        source_ref: vec![],
        cred: None,
        chal: None,
        data: StatusCode::OK,
        items: vec![],
    });
    case(
        move |m| m.body.commands.insert(0, status),
        &[(Rule::BodyOnlyReports, "SyncBody/Status[1]")],
    );
    ok(|m| m.body.is_final = true);
}

#[test]
fn session_id() {
    case(
        |m| m.hdr.session_id = SessionId::new("1").unwrap(),
        &[(Rule::SessionId, "SyncHdr/SessionID")],
    );
    case(
        |m| m.hdr.session_id = SessionId::new("00").unwrap(),
        &[(Rule::SessionId, "SyncHdr/SessionID")],
    );
}

#[test]
fn versions() {
    ok(|m| m.hdr.ver_proto = "DM/1.2".into());
    for proto in ["DM/1.1", " DM/1.3", "DM/1.4", ""] {
        case(
            |m| m.hdr.ver_proto = proto.into(),
            &[(Rule::VerProto, "SyncHdr/VerProto")],
        );
    }
    case(
        |m| m.hdr.ver_dtd = "1.1".into(),
        &[(Rule::VerDtd, "SyncHdr/VerDTD")],
    );
    case(
        |m| m.version = SyncMlVersion::V1_1,
        &[(Rule::VerDtd, "SyncHdr/VerDTD")],
    );
}

#[test]
fn alert_level_cred_noresp_correlator() {
    case(
        |m| {
            alert(m).cred = Some(Box::new(Cred {
                meta: None,
                data: "x".into(),
            }))
        },
        &[(Rule::AlertCred, "SyncBody/Alert[1]/Cred")],
    );
    case(
        |m| alert(m).no_resp = true,
        &[(Rule::AlertNoResp, "SyncBody/Alert[1]/NoResp")],
    );
    case(
        |m| alert(m).correlator = Some("abc".into()),
        &[(Rule::AlertCorrelator, "SyncBody/Alert[1]/Correlator")],
    );
}

#[test]
fn cmd_id_unique() {
    case(
        |m| {
            let id = m.body.commands[0].cmd_id();
            if let Command::Alert(a) = &mut m.body.commands[1] {
                a.cmd_id = id;
            }
        },
        &[(Rule::CmdIdUnique, "SyncBody/Alert[2]/CmdID")],
    );
    // Decreasing but unique is fine.
    ok(|m| m.body.commands.reverse());
    // Inside a container (which C-007 also reports).
    case(
        |m| {
            let inner = m.body.commands[0].clone();
            m.body.commands.push(Command::Sequence(Container {
                cmd_id: cmd_id(9),
                no_resp: false,
                meta: None,
                commands: vec![inner],
            }));
        },
        &[
            (Rule::BodyOnlyReports, "SyncBody/Sequence[1]"),
            (Rule::CmdIdUnique, "SyncBody/Sequence[1]/Alert[1]/CmdID"),
        ],
    );
}

#[test]
fn body_empty() {
    case(
        |m| m.body.commands.clear(),
        &[(Rule::BodyEmpty, "SyncBody")],
    );
}

#[test]
fn more_data_and_large_object() {
    case(
        |m| alert(m).items[0].more_data = true,
        &[(Rule::MoreData, "SyncBody/Alert[1]/Item/MoreData")],
    );
    case(
        |m| meta(m).size = Some(100_000),
        &[(Rule::LargeObject, "SyncBody/Alert[1]/Item/Meta/Size")],
    );
    ok(|m| {
        let len = alert(m).items[0].data.as_ref().unwrap().value.len();
        meta(m).size = Some(len as u64);
    });
}

#[test]
fn message_size() {
    assert_eq!(check_size(16_384, 16_384), None);
    assert_eq!(check_size(0, 0), None);
    let v = check_size(16_385, 16_384).unwrap();
    assert_eq!(
        (v.rule, v.location.path.as_str()),
        (Rule::MessageSize, "SyncML")
    );
}

#[test]
fn every_violation_is_reported_in_document_order() {
    let mut m = conforming();
    m.hdr.session_id = SessionId::new("5").unwrap();
    m.hdr.cred = None;
    if let Command::Alert(a) = &mut m.body.commands[1] {
        a.items[0].meta.as_mut().unwrap().ty = None;
        a.items[0].more_data = true;
        a.cmd_id = cmd_id(1001);
    }
    let got: Vec<_> = check(&m).into_iter().map(|v| v.rule).collect();
    assert_eq!(
        got,
        [
            Rule::SessionId,
            Rule::HeaderCred,
            Rule::MetaType,
            Rule::MoreData,
            Rule::CmdIdUnique
        ]
    );
}

#[test]
fn locations_carry_the_command() {
    let mut m = conforming();
    if let Command::Alert(a) = &mut m.body.commands[1] {
        a.items[0].meta.as_mut().unwrap().format = None;
    }
    let v = check(&m).remove(0);
    assert_eq!(v.location.command, Some(1));
    assert_eq!(v.location.cmd_id, Some(cmd_id(1002)));
    assert_eq!(v.location.path, "SyncBody/Alert[2]/Item/Meta/Format");
    assert_eq!(
        v.to_string(),
        "meta-format (DM-SR-C-005-M): the meta must carry a format at SyncBody/Alert[2]/Item/Meta/Format (CmdID 1002)"
    );
    let header = check_size(2, 1).unwrap();
    assert_eq!(header.location.command, None);
    assert_eq!(header.location.cmd_id, None);
}

#[test]
fn item_paths_are_indexed_when_there_are_several() {
    let mut m = conforming();
    let a = alert(&mut m);
    a.items.push(a.items[0].clone());
    a.items[1].more_data = true;
    let got: Vec<_> = check(&m).into_iter().map(|v| v.location.path).collect();
    assert_eq!(got, [A1.to_owned(), format!("{A1}/Item[2]/MoreData")]);
}

#[test]
fn the_spec_example_breaks_only_what_it_should() {
    // Section 5.3 as a model: no Cred (the example's is broken), data carried with whitespace
    // around the CDATA section (Mixed).
    let mut m = conforming();
    m.hdr.cred = None;
    for c in &mut m.body.commands {
        if let Command::Alert(a) = c {
            let d = a.items[0].data.as_mut().unwrap();
            d.value = Cow::Owned(format!("\n \n{}\n", d.value));
            d.carriage = Carriage::Mixed;
        }
    }
    let got: Vec<_> = check(&m).into_iter().map(|v| v.rule).collect();
    assert_eq!(got, [Rule::HeaderCred, Rule::DataCdata, Rule::DataCdata]);
}

#[test]
fn rule_table() {
    let mut with_id = 0;
    for rule in Rule::ALL {
        assert_eq!(Rule::from_name(rule.as_str()), Some(rule));
        assert!(
            ["5.1", "5.2", "5.4", "5.6"].contains(&rule.section()),
            "{rule:?}"
        );
        let text = rule.to_string();
        assert!(text.starts_with(rule.as_str()), "{text}");
        match rule.conformance_id() {
            Some(id) => {
                with_id += 1;
                assert!(id.starts_with("DM-SR-C-00") && text.contains(id), "{text}");
            }
            None => assert!(text.contains(rule.section()), "{text}"),
        }
    }
    assert_eq!(with_id, 10);
    assert_eq!(Rule::from_name("nope"), None);
    assert_eq!(Rule::AlertCode.conformance_id(), Some("DM-SR-C-002-M"));
    assert_eq!(Rule::ItemCount.conformance_id(), Some("DM-SR-C-003-M"));
    assert_eq!(Rule::DataCdata.conformance_id(), Some("DM-SR-C-004-M"));
    assert_eq!(Rule::TypeValue.conformance_id(), Some("DM-SR-C-005-M"));
    assert_eq!(Rule::HeaderCred.conformance_id(), Some("DM-SR-C-006-M"));
    assert_eq!(
        Rule::BodyOnlyReports.conformance_id(),
        Some("DM-SR-C-007-M")
    );
}

proptest! {
    #[test]
    fn generated_sessionless_messages_conform((m, rs) in arb_sessionless_case()) {
        prop_assert_eq!(check(&m), vec![]);
        prop_assert_eq!(reports(&m), Ok(rs));
    }

    #[test]
    fn reports_fails_exactly_when_check_finds_something(m in arb_sync_ml()) {
        let found = check(&m);
        match reports(&m) {
            Ok(_) => prop_assert!(found.is_empty()),
            Err(v) => prop_assert_eq!(Some(&v), found.first()),
        }
    }

    #[test]
    fn into_reports_is_reports_with_cmd_ids(m in arb_sync_ml()) {
        let borrowed = reports(&m).map(|rs| {
            rs.into_iter().map(SessionlessReport::into_owned).collect::<Vec<_>>()
        });
        let ids: Vec<_> = m.body.commands.iter().map(Command::cmd_id).collect();
        let moved = into_reports(m).map(|rs| rs.into_iter().unzip::<_, _, Vec<_>, Vec<_>>());
        match (borrowed, moved) {
            (Ok(b), Ok((moved_ids, moved))) => {
                prop_assert_eq!(moved, b);
                prop_assert_eq!(moved_ids, ids);
            }
            (b, m) => prop_assert_eq!(b.err(), m.err()),
        }
    }

    #[test]
    fn into_reports_of_generated_sessionless_messages((m, rs) in arb_sessionless_case()) {
        let got: Vec<_> = into_reports(m).unwrap().into_iter().map(|(_, r)| r).collect();
        prop_assert_eq!(got, rs);
    }

    /// The word-at-a-time scan refuses exactly the characters XML 1.0 does not allow.
    #[test]
    fn data_char_rule_is_the_xml_char_set(chars in prop::collection::vec(prop_oneof![
        any::<char>(),
        Just('\0'), Just('\t'), Just('\u{1f}'), Just('\u{7f}'), Just('\u{ef}'),
        Just('\u{fffd}'), Just('\u{fffe}'), Just('\u{ffff}'), Just('\u{fbfe}'), Just('a'),
    ], 0..40)) {
        let data: String = chars.iter().collect();
        let xml = |c: char| matches!(c, '\t' | '\n' | '\r')
            || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}');
        let got = SessionlessReport::new(None, "urn:x:y", Format::Chr, None, data.as_str());
        if chars.iter().all(|&c| xml(c)) {
            prop_assert!(got.is_ok());
        } else {
            prop_assert_eq!(got.err(), Some(ReportError::DataChar));
        }
    }

    #[test]
    fn breaking_one_alert_is_found((mut m, _) in arb_sessionless_case(), which in any::<prop::sample::Index>()) {
        let i = which.index(m.body.commands.len());
        if let Command::Alert(a) = &mut m.body.commands[i] {
            a.items[0].data.as_mut().unwrap().carriage = Carriage::Escaped;
        }
        let found = check(&m);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].rule, Rule::DataCdata);
        prop_assert_eq!(found[0].location.command, Some(i));
    }
}

#[test]
fn many_violations_get_their_own_paths() {
    // Paths are built per violation in constant time: 5000 foreign commands sharing one CmdID.
    let mut m = conforming();
    let add = Command::Add(ItemCommand {
        cmd_id: cmd_id(1),
        no_resp: false,
        cred: None,
        meta: None,
        items: vec![],
    });
    m.body.commands = vec![add; 5000];
    let found = check(&m);
    assert_eq!(found.len(), 5000 + 4999);
    assert_eq!(found[4999].location.path, "SyncBody/Add[5000]");
    assert_eq!(found[4999].location.command, Some(4999));
    assert_eq!(
        found.last().unwrap().location.path,
        "SyncBody/Add[5000]/CmdID"
    );
    assert_eq!(found.last().unwrap().rule, Rule::CmdIdUnique);
}
