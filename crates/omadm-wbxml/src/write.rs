//! The pieces [`encode`](fn@crate::encode) is made of, so that an emitter can write a message
//! straight into a reused buffer without first building a `Vec` of commands, and the matching
//! `*_len` functions, which return the exact number of bytes the writer would append (they run
//! the same code into a counter). The same shape as `omadm-xml`'s `write` module.
//!
//! `prologue` + any number of `command`/`alert_with_item` + `epilogue` gives exactly the bytes
//! [`encode`](fn@crate::encode) writes for the same message (each piece starts and ends on the
//! SyncML code page).
//!
//! ```
//! use omadm_syncml::{AlertCode, CmdId, Item, ItemData, MsgId, SessionId, Source, SyncHdr,
//!     SyncMlVersion, Target};
//! use omadm_wbxml::write;
//!
//! let hdr = SyncHdr {
//!     ver_dtd: "1.2".into(),
//!     ver_proto: "DM/1.3".into(),
//!     session_id: SessionId::SESSIONLESS,
//!     msg_id: MsgId::new(1).unwrap(),
//!     target: Target { loc_uri: "https://dm.example.net/".into(), loc_name: None },
//!     source: Source { loc_uri: "IMEI:356938035643809".into(), loc_name: None },
//!     resp_uri: None,
//!     no_resp: false,
//!     cred: None,
//!     meta: None,
//! };
//! let item = Item { data: Some(ItemData::cdata("42")), ..Item::default() };
//! let code = AlertCode::SESSIONLESS_REPORT;
//!
//! let mut out = Vec::new();
//! write::prologue(&mut out, SyncMlVersion::V1_2, &hdr);
//! let before = out.len();
//! write::alert_with_item(&mut out, CmdId::new(1).unwrap(), code, &item);
//! assert_eq!(out.len() - before, write::alert_with_item_len(CmdId::new(1).unwrap(), code, &item));
//! write::epilogue(&mut out, false);
//! // ... <Data> OPAQUE(2) "42" </Data> </Item> </Alert> </SyncBody> </SyncML>
//! assert!(out.ends_with(&[0x4f, 0xc3, 0x02, b'4', b'2', 0x01, 0x01, 0x01, 0x01, 0x01]));
//! ```

use std::ops::Range;

use omadm_syncml::{AlertCode, CmdId, Command, Item, SyncHdr, SyncMlVersion};

use crate::encode::{Count, pieces};

/// Appends the WBXML document header, the root tag, the whole `SyncHdr` and `SyncBody`'s tag.
/// Returns the span (indices into `out`) of the `SyncHdr/Cred/Data` string, if there is a
/// `Cred` (and its data holds no NUL).
pub fn prologue(
    out: &mut Vec<u8>,
    version: SyncMlVersion,
    hdr: &SyncHdr<'_>,
) -> Option<Range<usize>> {
    pieces::prologue(out, version, hdr)
}

/// Appends one command.
pub fn command(out: &mut Vec<u8>, command: &Command<'_>) {
    pieces::command(out, command);
}

/// Appends `Alert` with this `CmdID`, this `Data` code and this one `Item`, and nothing else:
/// the same bytes as [`command`] on such an `Alert`, without building it.
pub fn alert_with_item(out: &mut Vec<u8>, cmd_id: CmdId, code: AlertCode, item: &Item<'_>) {
    pieces::alert_with_item(out, cmd_id, code, item);
}

/// Appends `Final` if `is_final`, then the ends of `SyncBody` and `SyncML`.
pub fn epilogue(out: &mut Vec<u8>, is_final: bool) {
    pieces::epilogue(out, is_final);
}

/// The number of bytes [`prologue`] appends.
pub fn prologue_len(version: SyncMlVersion, hdr: &SyncHdr<'_>) -> usize {
    let mut n = Count(0);
    pieces::prologue(&mut n, version, hdr);
    n.0
}

/// The number of bytes [`command`] appends.
pub fn command_len(command: &Command<'_>) -> usize {
    let mut n = Count(0);
    pieces::command(&mut n, command);
    n.0
}

/// The number of bytes [`alert_with_item`] appends.
pub fn alert_with_item_len(cmd_id: CmdId, code: AlertCode, item: &Item<'_>) -> usize {
    let mut n = Count(0);
    pieces::alert_with_item(&mut n, cmd_id, code, item);
    n.0
}

/// The number of bytes [`epilogue`] appends.
pub fn epilogue_len(is_final: bool) -> usize {
    let mut n = Count(0);
    pieces::epilogue(&mut n, is_final);
    n.0
}
