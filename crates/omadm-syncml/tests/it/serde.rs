//! The `serde` feature: JSON round trips, the JSON shape, borrowing, validation of reports.

use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::json;

use omadm_syncml::sessionless::{SessionlessReport, check};
use omadm_syncml::{Command, Format, Mark, SyncMl};
use omadm_testkit::strategies::{arb_report, arb_sessionless_message, arb_sync_ml};

use crate::support::conforming;

#[test]
fn message_shape() {
    let m = conforming();
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["version"], "SYNCML:SYNCML1.2");
    assert_eq!(v["hdr"]["session_id"], "0");
    assert_eq!(v["hdr"]["msg_id"], 1);
    assert_eq!(v["hdr"]["cred"]["meta"]["type"], "syncml:auth-md5");
    assert_eq!(v["hdr"]["cred"]["meta"]["format"], "b64");
    assert!(
        v["hdr"].get("resp_uri").is_none(),
        "absent options are left out"
    );
    assert!(
        v["hdr"].get("no_resp").is_none(),
        "false flags are left out"
    );
    assert!(v["body"].get("final").is_none());
    let alert = &v["body"]["commands"][0];
    assert_eq!(alert["command"], "Alert");
    assert_eq!(alert["cmd_id"], 1001);
    assert_eq!(alert["data"], 1230);
    let item = &alert["items"][0];
    assert_eq!(item["source"]["loc_uri"], "./MO1001/Ext");
    assert_eq!(item["meta"]["mark"], "critical");
    assert_eq!(item["meta"]["format"], "xml");
    assert_eq!(item["data"]["carriage"], "cdata");
}

#[test]
fn message_from_hand_written_json() {
    let text = json!({
        "version": "SYNCML:SYNCML1.2",
        "hdr": {
            "ver_dtd": "1.2", "ver_proto": "DM/1.3", "session_id": "0", "msg_id": 3,
            "target": {"loc_uri": "https://dm.example.com"},
            "source": {"loc_uri": "IMEI:1", "loc_name": "dev"},
            "cred": {"data": "x"}
        },
        "body": {"commands": [{
            "command": "Alert", "cmd_id": 1, "data": 1230,
            "items": [{"meta": {"type": "a.b", "format": "chr"},
                       "data": {"value": "hi", "carriage": "cdata"}}]
        }], "final": true}
    })
    .to_string();
    let m: SyncMl<'_> = serde_json::from_str(&text).unwrap();
    assert!(m.body.is_final);
    assert_eq!(check(&m), vec![]);
    // Refusals: a zero id, a bad session id, an unknown command.
    for bad in [
        text.replace("\"msg_id\":3", "\"msg_id\":0"),
        text.replace("\"session_id\":\"0\"", "\"session_id\":\"a b\""),
        text.replace("\"command\":\"Alert\"", "\"command\":\"Sync\""),
        text.replace("\"data\":1230", "\"data\":12300"),
    ] {
        assert_ne!(bad, text);
        assert!(serde_json::from_str::<SyncMl<'_>>(&bad).is_err(), "{bad}");
    }
}

#[test]
fn texts_borrow_from_the_json() {
    let m = conforming();
    let text = serde_json::to_string(&m).unwrap();
    let back: SyncMl<'_> = serde_json::from_str(&text).unwrap();
    assert!(matches!(back.hdr.source.loc_uri, Cow::Borrowed(_)));
    let Command::Alert(a) = &back.body.commands[0] else {
        panic!("not an alert")
    };
    // Item data with an escaped quote cannot borrow; a plain one can.
    assert!(matches!(
        a.items[0].source.as_ref().unwrap().loc_uri,
        Cow::Borrowed(_)
    ));
}

#[test]
fn report_shape() {
    let r = SessionlessReport::new(
        Some("./MOA/ExtA".into()),
        "urn:oma:mo:samplealert1:1.0",
        Format::Xml,
        Some(Mark::Warning),
        "<a/>",
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"source_uri": "./MOA/ExtA", "type": "urn:oma:mo:samplealert1:1.0",
               "format": "xml", "mark": "warning", "data": "<a/>"})
    );
    let plain = SessionlessReport::new(None, "a.b", Format::Chr, None, "").unwrap();
    assert_eq!(
        serde_json::to_value(&plain).unwrap(),
        json!({"source_uri": null, "type": "a.b", "format": "chr", "mark": null, "data": ""})
    );
    let back: SessionlessReport<'_> =
        serde_json::from_str(r#"{"type": "a.b", "format": "chr", "data": ""}"#).unwrap();
    assert_eq!(back, plain);
}

#[test]
fn report_deserialization_validates() {
    for bad in [
        r#"{"type": "text/plain", "format": "chr", "data": ""}"#,
        r#"{"type": "a.b", "format": "json", "data": ""}"#,
        r#"{"type": "a.b", "format": "chr", "mark": "major", "data": ""}"#,
        r#"{"type": "a.b", "format": "chr", "data": "\u0000"}"#,
        r#"{"source_uri": "", "type": "a.b", "format": "chr", "data": ""}"#,
        r#"{"type": "a.b", "format": "chr"}"#,
        r#"{"type": "a.b", "format": "chr", "data": "", "extra": 1}"#,
    ] {
        assert!(
            serde_json::from_str::<SessionlessReport<'_>>(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn violations_serialize() {
    let mut m = conforming();
    m.hdr.cred = None;
    let v = serde_json::to_value(check(&m)).unwrap();
    assert_eq!(
        v,
        json!([{"rule": "header-cred", "conformance_id": "DM-SR-C-006-M", "section": "5.2",
                "path": "SyncHdr/Cred", "command": null, "cmd_id": null}])
    );
}

proptest! {
    #[test]
    fn json_round_trip_of_any_message(m in arb_sync_ml()) {
        let text = serde_json::to_string(&m).unwrap();
        let back: SyncMl<'_> = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, m);
    }

    #[test]
    fn json_round_trip_of_sessionless_messages(m in arb_sessionless_message()) {
        // Borrowing types are not `DeserializeOwned`: read from bytes, then detach.
        let bytes = serde_json::to_vec_pretty(&m).unwrap();
        let back: SyncMl<'static> = serde_json::from_slice::<SyncMl<'_>>(&bytes).unwrap().into_owned();
        prop_assert_eq!(back, m);
    }

    #[test]
    fn json_round_trip_of_reports(r in arb_report()) {
        let text = serde_json::to_string(&r).unwrap();
        let back: SessionlessReport<'_> = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, r);
    }
}
