//! The `write` pieces: they compose to `encode`, `alert_with_item` equals `command` on the same
//! Alert, and every `*_len` is exact.

use omadm_syncml::{AlertCode, CmdId, Command};
use omadm_xml::{encode, write};

use crate::support::sessionless;

#[test]
fn alert_with_item_equals_command() {
    let m = sessionless(2);
    for c in &m.body.commands {
        let Command::Alert(a) = c else { panic!() };
        let mut via_command = Vec::new();
        write::command(&mut via_command, c);
        let mut direct = Vec::new();
        write::alert_with_item(&mut direct, a.cmd_id, a.data.unwrap(), &a.items[0]);
        assert_eq!(direct, via_command);
        assert_eq!(
            write::alert_with_item_len(a.cmd_id, a.data.unwrap(), &a.items[0]),
            direct.len()
        );
    }
}

#[test]
fn pieces_compose_to_encode_and_lengths_are_exact() {
    let m = sessionless(5);
    let mut whole = Vec::new();
    let enc = encode(&m, &mut whole);
    let mut out = Vec::with_capacity(4096);
    let span = write::prologue(&mut out, m.version, &m.hdr);
    assert_eq!(out.len(), write::prologue_len(m.version, &m.hdr));
    for c in &m.body.commands {
        write::command(&mut out, c);
    }
    write::epilogue(&mut out, false);
    assert_eq!(out, whole);
    assert_eq!(span, enc.cred_data);
    assert_eq!(
        write::epilogue_len(true),
        "<Final/></SyncBody></SyncML>".len()
    );
    assert_eq!(write::epilogue_len(false), "</SyncBody></SyncML>".len());
}

#[test]
fn a_warm_buffer_is_reused() {
    let m = sessionless(1);
    let mut out = Vec::with_capacity(8192);
    let ptr = out.as_ptr();
    for _ in 0..3 {
        out.clear();
        encode(&m, &mut out);
    }
    assert_eq!(out.as_ptr(), ptr);
    let _ = (CmdId::new(1), AlertCode::SESSIONLESS_REPORT);
}
