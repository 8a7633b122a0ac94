//! What both engines put on the wire: headers, `Status` commands, and the packer that fills
//! one message from a queue of commands up to the peer's `MaxMsgSize`, numbering `CmdID`s.

use std::borrow::Cow;
use std::collections::VecDeque;

use omadm_syncml::{
    Alert, AlertCode, CmdId, CmdRef, Command, Item, Meta, MsgId, MsgRef, SessionId, Source, Status,
    StatusCode, SyncBody, SyncHdr, SyncMl, SyncMlVersion, Target,
};

use crate::codec::{self, Encoding};

/// A node as a session reports it: from an `Item` (`Source/LocURI`, or `Target/LocURI` when
/// there is no source), with its `Meta/Format`, `Meta/Type` and `Data`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Node {
    /// The node's URI.
    pub uri: String,
    /// `Meta/Format`, if given.
    pub format: Option<String>,
    /// `Meta/Type`, if given.
    pub ty: Option<String>,
    /// `Data`, if given.
    pub data: Option<String>,
}

impl Node {
    pub(crate) fn from_item(item: &Item<'_>, cmd_meta: Option<&Meta<'_>>) -> Self {
        let uri = item
            .source
            .as_ref()
            .map(|s| &*s.loc_uri)
            .or(item.target.as_ref().map(|t| &*t.loc_uri))
            .unwrap_or_default();
        let meta = item.meta.as_ref();
        let format = meta
            .and_then(|m| m.format.as_ref())
            .or(cmd_meta.and_then(|m| m.format.as_ref()));
        let ty = meta
            .and_then(|m| m.ty.as_deref())
            .or(cmd_meta.and_then(|m| m.ty.as_deref()));
        Self {
            uri: uri.trim().to_owned(),
            format: format.map(|f| f.as_str().to_owned()),
            ty: ty.map(str::to_owned),
            data: item.data.as_ref().map(|d| d.value.clone().into_owned()),
        }
    }
}

/// The fixed parts of the headers an engine writes.
pub(crate) struct HeaderParts<'s> {
    pub(crate) version: SyncMlVersion,
    pub(crate) ver_proto: &'s str,
    pub(crate) session_id: &'s SessionId<'static>,
    pub(crate) target: &'s str,
    pub(crate) source: &'s str,
    pub(crate) loc_name: Option<&'s str>,
    pub(crate) max_msg_size: usize,
}

impl<'s> HeaderParts<'s> {
    pub(crate) fn header(&self, msg_id: MsgId) -> SyncHdr<'s> {
        SyncHdr {
            ver_dtd: Cow::Borrowed(self.version.ver_dtd()),
            ver_proto: Cow::Borrowed(self.ver_proto),
            session_id: self.session_id.clone(),
            msg_id,
            target: Target {
                loc_uri: Cow::Borrowed(self.target),
                loc_name: None,
            },
            source: Source {
                loc_uri: Cow::Borrowed(self.source),
                loc_name: self.loc_name.map(Cow::Borrowed),
            },
            resp_uri: None,
            no_resp: false,
            cred: None,
            meta: Some(Meta {
                max_msg_size: Some(self.max_msg_size as u64),
                ..Meta::default()
            }),
        }
    }
}

/// A `Status` for command `cmd_ref` (named `cmd`) of message `msg_ref`; its `CmdID` is set
/// when it is packed.
pub(crate) fn status(
    msg_ref: MsgId,
    cmd_ref: CmdRef,
    cmd: &str,
    code: StatusCode,
) -> Status<'static> {
    Status {
        cmd_id: CmdId::MIN,
        msg_ref: MsgRef::to(msg_ref),
        cmd_ref,
        cmd: Cow::Owned(cmd.to_owned()),
        target_ref: Vec::new(),
        source_ref: Vec::new(),
        cred: None,
        chal: None,
        data: code,
        items: Vec::new(),
    }
}

/// The `Status` for a received `SyncHdr`, with its `TargetRef` and `SourceRef`.
pub(crate) fn header_status(hdr: &SyncHdr<'_>, code: StatusCode) -> Status<'static> {
    let mut s = status(hdr.msg_id, CmdRef::SYNC_HDR, "SyncHdr", code);
    s.target_ref
        .push(Cow::Owned(hdr.target.loc_uri.clone().into_owned()));
    s.source_ref
        .push(Cow::Owned(hdr.source.loc_uri.clone().into_owned()));
    s
}

/// `Alert 1222` (NEXT MESSAGE).
pub(crate) fn next_message_alert() -> Command<'static> {
    Command::Alert(Alert {
        cmd_id: CmdId::MIN,
        no_resp: false,
        cred: None,
        data: Some(AlertCode::NEXT_MESSAGE),
        correlator: None,
        items: Vec::new(),
    })
}

/// A command waiting to be sent, with the caller's ticket when it is a queued command.
pub(crate) struct Outbound {
    pub(crate) cmd: Command<'static>,
    pub(crate) ticket: Option<u32>,
}

/// One command put into a message: its `CmdID` there, its name and its ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Placed {
    pub(crate) cmd_id: CmdId,
    pub(crate) name: &'static str,
    pub(crate) ticket: Option<u32>,
}

/// Room kept for one `Status` when deciding whether a command can ever fit.
const STATUS_RESERVE: usize = 160;

/// The packer's result.
pub(crate) struct Packed<'s> {
    pub(crate) msg: SyncMl<'s>,
    /// Every command placed (nested ones included), in order.
    pub(crate) placed: Vec<Placed>,
    /// The queue was emptied into this message.
    pub(crate) complete: bool,
    /// The message fits the limit.
    pub(crate) fits: bool,
}

/// Builds one message: `pinned` first (always), then as many commands from the front of `queue`
/// as fit within `limit` bytes, then `trailer` (always). `Final` is set when the queue was
/// emptied and `final_when_complete` holds. `CmdID`s are numbered 1, 2, ... in message order
/// (nested commands included).
pub(crate) fn pack<'s>(
    encoding: Encoding,
    hdr: SyncHdr<'s>,
    pinned: Vec<Command<'static>>,
    queue: &mut VecDeque<Outbound>,
    trailer: Option<Command<'static>>,
    limit: usize,
    final_when_complete: bool,
) -> Packed<'s> {
    let mut commands: Vec<Command<'s>> = Vec::with_capacity(pinned.len() + queue.len() + 1);
    let mut tickets: Vec<Option<u32>> = Vec::with_capacity(commands.capacity());
    for c in pinned {
        commands.push(c);
        tickets.push(None);
    }
    let n_pinned = commands.len();
    for o in queue.drain(..) {
        commands.push(o.cmd);
        tickets.push(o.ticket);
    }
    let has_trailer = trailer.is_some();
    if let Some(t) = trailer {
        commands.push(t);
        tickets.push(None);
    }
    let mut msg = SyncMl {
        version: SyncMlVersion::V1_2,
        hdr,
        body: SyncBody {
            commands,
            is_final: final_when_complete,
        },
    };
    let mut next = 1;
    for c in &mut msg.body.commands {
        renumber(c, &mut next);
    }
    let mut complete = true;
    let mut len = codec::encoded_len(encoding, &msg);
    // Rarely taken: move queued commands back, last first, until the message fits.
    while len > limit {
        let queued_end = msg.body.commands.len() - usize::from(has_trailer);
        if queued_end <= n_pinned {
            break;
        }
        let cmd = msg.body.commands.remove(queued_end - 1);
        let ticket = tickets.remove(queued_end - 1);
        queue.push_front(Outbound {
            cmd: into_static(cmd),
            ticket,
        });
        complete = false;
        msg.body.is_final = false;
        next = 1;
        for c in &mut msg.body.commands {
            renumber(c, &mut next);
        }
        len = codec::encoded_len(encoding, &msg);
    }
    // A first queued command that does not fit even alone cannot be sent (that would need a
    // Large Object): the message does not fit then either.
    let taken = msg.body.commands.len() - n_pinned - usize::from(has_trailer);
    let mut stuck = taken == 0 && !queue.is_empty();
    // A command pushed back that would not fit even with nothing but the pinned commands, the
    // trailer and one Status beside it never will (every later message carries at least that):
    // refuse now rather than send Status-only messages forever.
    let placed_real = msg.body.commands[n_pinned..]
        .iter()
        .any(|c| !matches!(c, Command::Status(_) | Command::Alert(_)));
    if !stuck
        && !placed_real
        && let Some(front) = queue.front()
        && !matches!(front.cmd, Command::Status(_))
    {
        let mut alone = SyncMl {
            version: msg.version,
            hdr: msg.hdr.clone(),
            body: SyncBody {
                commands: msg.body.commands[..n_pinned].to_vec(),
                is_final: false,
            },
        };
        alone.body.commands.push(front.cmd.clone());
        stuck = codec::encoded_len(encoding, &alone) + STATUS_RESERVE > limit;
    }
    let mut placed = Vec::with_capacity(msg.body.commands.len());
    for (c, t) in msg.body.commands.iter().zip(&tickets) {
        collect(c, *t, &mut placed);
    }
    Packed {
        msg,
        placed,
        complete,
        fits: len <= limit && !stuck,
    }
}

/// The commands of the message are `'static` (owned) except for the header's borrow; this
/// re-asserts it for a command moved back to the queue.
fn into_static(cmd: Command<'_>) -> Command<'static> {
    cmd.into_owned()
}

/// Sets `CmdID`s in order, nested commands after their container.
fn renumber(cmd: &mut Command<'_>, next: &mut u32) {
    cmd.set_cmd_id(CmdId::new(*next).unwrap_or(CmdId::MIN));
    *next = next.saturating_add(1);
    if let Command::Atomic(c) | Command::Sequence(c) = cmd {
        for inner in &mut c.commands {
            renumber(inner, next);
        }
    }
}

fn collect(cmd: &Command<'_>, ticket: Option<u32>, out: &mut Vec<Placed>) {
    out.push(Placed {
        cmd_id: cmd.cmd_id(),
        name: cmd.name(),
        ticket,
    });
    if let Command::Atomic(c) | Command::Sequence(c) = cmd {
        for inner in &c.commands {
            collect(inner, ticket, out);
        }
    }
}

/// Whether an item carries `MoreData` anywhere in the command.
pub(crate) fn has_more_data(cmd: &Command<'_>) -> bool {
    let items: &[Item<'_>] = match cmd {
        Command::Add(c) | Command::Copy(c) | Command::Replace(c) => &c.items,
        Command::Alert(c) => &c.items,
        Command::Delete(c) => &c.items,
        Command::Exec(c) => core::slice::from_ref(&*c.item),
        Command::Get(c) => &c.items,
        Command::Results(c) => &c.items,
        Command::Status(c) => &c.items,
        Command::Atomic(c) | Command::Sequence(c) => {
            return c.commands.iter().any(has_more_data);
        }
    };
    items.iter().any(|i| i.more_data)
}

/// The `MsgID` after `id` (saturating: a session never gets near 2^32 messages).
pub(crate) fn next_msg_id(id: MsgId) -> MsgId {
    id.next().unwrap_or(id)
}
