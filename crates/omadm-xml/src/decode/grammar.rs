//! The SyncML DM grammar: one function per element, reading its children as its content model
//! allows, in the order `encode.rs` writes them (header, body, commands, then the parts commands
//! share, then `Item`), so that each element's decode and encode read side by side.

use std::borrow::Cow;
use std::ops::Range;

use omadm_syncml::{
    Alert, AlertCode, Anchor, Carriage, Chal, CmdId, CmdRef, Command, Container, Cred, Delete,
    Exec, Format, Get, Item, ItemCommand, ItemData, Mark, Mem, Meta, MsgId, MsgRef, Results,
    SessionId, Source, Status, StatusCode, SyncBody, SyncHdr, Target,
};

use super::ns::Tag;
use super::{Acc, Ctx, Decoder, Ev, Result};
use crate::error::{ErrorKind, Limit};
use crate::names::El;

/// Rejects a second occurrence of a single child.
macro_rules! once {
    ($self:ident, $slot:expr, $tag:expr, $value:expr) => {{
        if $slot.is_some() {
            return Err($self.err_here(ErrorKind::DuplicateElement, $tag.at()));
        }
        $slot = Some($value);
    }};
}

/// Reads an empty flag element once.
macro_rules! flag {
    ($self:ident, $flag:expr, $tag:expr) => {{
        if $flag {
            return Err($self.err_here(ErrorKind::DuplicateElement, $tag.at()));
        }
        $self.empty()?;
        $flag = true;
    }};
}

impl<'a> Decoder<'a> {
    /// The root's first child, which must be `SyncHdr`.
    pub(super) fn first_header(&mut self) -> Result<(SyncHdr<'a>, Option<Range<usize>>)> {
        match self.child(Ctx::Other)? {
            Some(tag) if tag.el == El::SyncHdr => self.sync_hdr(),
            Some(tag) if tag.el == El::SyncBody => Err(self
                .err_here(ErrorKind::MissingElement("SyncHdr"), tag.at())
                .with_detail("SyncBody before SyncHdr")),
            Some(tag) => Err(self.unexpected(&tag, Ctx::Other)),
            None => Err(self.err_closed(ErrorKind::MissingElement("SyncHdr"), self.pos)),
        }
    }

    /// After `SyncHdr`: `SyncBody` and the root's end.
    pub(super) fn rest_of_root(&mut self) -> Result<SyncBody<'a>> {
        let mut body = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::SyncBody => once!(self, body, tag, self.sync_body()?),
                El::SyncHdr => return Err(self.err_here(ErrorKind::DuplicateElement, tag.at())),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        self.required(body, "SyncBody")
    }

    fn sync_hdr(&mut self) -> Result<(SyncHdr<'a>, Option<Range<usize>>)> {
        let mut ver_dtd = None;
        let mut ver_proto = None;
        let mut session_id = None;
        let mut msg_id = None;
        let mut target = None;
        let mut source = None;
        let mut resp_uri = None;
        let mut no_resp = false;
        let mut cred = None;
        let mut span = None;
        let mut meta = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::VerDTD => once!(self, ver_dtd, tag, self.token()?),
                El::VerProto => once!(self, ver_proto, tag, self.token()?),
                El::SessionID => once!(self, session_id, tag, {
                    let t = self.token()?;
                    SessionId::new(t)
                        .map_err(|e| self.err_closed(ErrorKind::InvalidValue(e), tag.at()))?
                }),
                El::MsgID => once!(self, msg_id, tag, self.parse::<MsgId>(&tag)?),
                El::Target => once!(self, target, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    Target { loc_uri, loc_name }
                }),
                El::Source => once!(self, source, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    Source { loc_uri, loc_name }
                }),
                El::RespURI => once!(self, resp_uri, tag, self.token()?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Cred => once!(self, cred, tag, {
                    let (c, s) = self.cred()?;
                    span = Some(s);
                    c
                }),
                El::Meta => once!(self, meta, tag, self.meta()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        let hdr = SyncHdr {
            ver_dtd: self.required(ver_dtd, "VerDTD")?,
            ver_proto: self.required(ver_proto, "VerProto")?,
            session_id: self.required(session_id, "SessionID")?,
            msg_id: self.required(msg_id, "MsgID")?,
            target: self.required(target, "Target")?,
            source: self.required(source, "Source")?,
            resp_uri,
            no_resp,
            cred,
            meta,
        };
        Ok((hdr, span))
    }

    fn sync_body(&mut self) -> Result<SyncBody<'a>> {
        let mut commands = Vec::new();
        let mut is_final = false;
        while let Some(tag) = self.child(Ctx::Commands)? {
            if tag.el == El::Final {
                flag!(self, is_final, tag);
                continue;
            }
            if is_final {
                return Err(self
                    .err_here(ErrorKind::MisplacedElement, tag.at())
                    .with_detail("command after Final"));
            }
            match self.command(&tag, true)? {
                Some(c) => commands.push(c),
                None => return Err(self.unexpected(&tag, Ctx::Commands)),
            }
        }
        Ok(SyncBody { commands, is_final })
    }

    /// A command element (its start tag already read); `None` if `tag` names no command allowed
    /// here. `Results` and `Status` are allowed only at body level.
    fn command(&mut self, tag: &Tag, body_level: bool) -> Result<Option<Command<'a>>> {
        Ok(Some(match tag.el {
            El::Alert => Command::Alert(self.alert()?),
            El::Add => Command::Add(self.item_command()?),
            El::Replace => Command::Replace(self.item_command()?),
            El::Copy => Command::Copy(self.item_command()?),
            El::Delete => Command::Delete(self.delete()?),
            El::Exec => Command::Exec(self.exec()?),
            El::Get => Command::Get(self.get()?),
            El::Atomic => Command::Atomic(self.container()?),
            El::Sequence => Command::Sequence(self.container()?),
            El::Status if body_level => Command::Status(self.status()?),
            El::Results if body_level => Command::Results(self.results()?),
            _ => return Ok(None),
        }))
    }

    /// `Target`/`Source`: `(LocURI, LocName?)`.
    fn loc(&mut self) -> Result<(Cow<'a, str>, Option<Cow<'a, str>>)> {
        let mut loc_uri = None;
        let mut loc_name = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::LocURI => once!(self, loc_uri, tag, self.token()?),
                El::LocName => once!(self, loc_name, tag, self.token()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok((self.required(loc_uri, "LocURI")?, loc_name))
    }

    /// `SourceParent`/`TargetParent`: `(LocURI)`.
    fn parent_loc(&mut self) -> Result<Cow<'a, str>> {
        let mut loc_uri = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::LocURI => once!(self, loc_uri, tag, self.token()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        self.required(loc_uri, "LocURI")
    }

    /// `Cred (Meta?, Data)`, with the raw span of the `Data` content.
    fn cred(&mut self) -> Result<(Cred<'a>, Range<usize>)> {
        let mut meta = None;
        let mut data = None;
        let mut span = 0..0;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::Meta => once!(self, meta, tag, self.meta()?),
                El::Data => once!(self, data, tag, {
                    let start = self.after();
                    let text = self.text()?.into_cow();
                    span = start..self.pos.max(start);
                    text
                }),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        let data = self.required(data, "Data")?;
        Ok((Cred { meta, data }, span))
    }

    fn chal(&mut self) -> Result<Chal<'a>> {
        let mut meta = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::Meta => once!(self, meta, tag, self.meta()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Chal {
            meta: self.required(meta, "Meta")?,
        })
    }

    fn meta(&mut self) -> Result<Meta<'a>> {
        let mut m = Meta::default();
        self.meta_into(&mut m)?;
        Ok(m)
    }

    /// Reads a `Meta` into `m` (in place: a `Meta` is large).
    fn meta_into(&mut self, m: &mut Meta<'a>) -> Result<()> {
        while let Some(tag) = self.metinf_child()? {
            match tag.el {
                El::FieldLevel => flag!(self, m.field_level, tag),
                El::Format => once!(self, m.format, tag, Format::from_token(self.token()?)),
                El::Type => once!(self, m.ty, tag, self.token()?),
                El::Mark => once!(self, m.mark, tag, Mark::from_token(self.token()?)),
                El::Size => once!(self, m.size, tag, self.count(&tag)?),
                El::Anchor => once!(self, m.anchor, tag, Box::new(self.anchor()?)),
                El::Version => once!(self, m.version, tag, self.token()?),
                El::NextNonce => once!(self, m.next_nonce, tag, self.token()?),
                El::MaxMsgSize => once!(self, m.max_msg_size, tag, self.count(&tag)?),
                El::MaxObjSize => once!(self, m.max_obj_size, tag, self.count(&tag)?),
                El::EMI => {
                    let t = self.token()?;
                    m.emi.push(t);
                }
                El::Mem => once!(self, m.mem, tag, Box::new(self.mem()?)),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(())
    }

    fn anchor(&mut self) -> Result<Anchor<'a>> {
        let mut last = None;
        let mut next = None;
        while let Some(tag) = self.metinf_child()? {
            match tag.el {
                El::Last => once!(self, last, tag, self.token()?),
                El::Next => once!(self, next, tag, self.token()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Anchor {
            last,
            next: self.required(next, "Next")?,
        })
    }

    fn mem(&mut self) -> Result<Mem<'a>> {
        let mut shared_mem = false;
        let mut free_mem = None;
        let mut free_id = None;
        while let Some(tag) = self.metinf_child()? {
            match tag.el {
                El::SharedMem => flag!(self, shared_mem, tag),
                El::FreeMem => once!(self, free_mem, tag, self.token()?),
                El::FreeID => once!(self, free_id, tag, self.token()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Mem {
            shared_mem,
            free_mem: self.required(free_mem, "FreeMem")?,
            free_id: self.required(free_id, "FreeID")?,
        })
    }

    fn item_command(&mut self) -> Result<ItemCommand<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut cred = None;
        let mut meta = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(ItemCommand {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            cred,
            meta,
            items,
        })
    }

    fn alert(&mut self) -> Result<Alert<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut cred = None;
        let mut data = None;
        let mut correlator = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Data => once!(self, data, tag, self.parse::<AlertCode>(&tag)?),
                El::Correlator => once!(self, correlator, tag, self.token()?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Alert {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            cred,
            data,
            correlator,
            items,
        })
    }

    fn container(&mut self) -> Result<Container<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut meta = None;
        let mut commands = Vec::new();
        while let Some(tag) = self.child(Ctx::Commands)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
                _ => match self.command(&tag, false)? {
                    Some(c) => commands.push(c),
                    None => return Err(self.unexpected(&tag, Ctx::Commands)),
                },
            }
        }
        Ok(Container {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            meta,
            commands,
        })
    }

    fn delete(&mut self) -> Result<Delete<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut archive = false;
        let mut sft_del = false;
        let mut cred = None;
        let mut meta = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Archive => flag!(self, archive, tag),
                El::SftDel => flag!(self, sft_del, tag),
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Delete {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            archive,
            sft_del,
            cred,
            meta,
            items,
        })
    }

    fn exec(&mut self) -> Result<Exec<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut cred = None;
        let mut meta = None;
        let mut correlator = None;
        let mut item = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
                El::Correlator => once!(self, correlator, tag, self.token()?),
                El::Item => once!(self, item, tag, Box::new(self.item()?)),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Exec {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            cred,
            meta,
            correlator,
            item: self.required(item, "Item")?,
        })
    }

    fn get(&mut self) -> Result<Get<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut lang = None;
        let mut cred = None;
        let mut meta = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Lang => once!(self, lang, tag, self.token()?),
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Get {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            lang,
            cred,
            meta,
            items,
        })
    }

    fn results(&mut self) -> Result<Results<'a>> {
        let mut cmd_id = None;
        let mut msg_ref = None;
        let mut cmd_ref = None;
        let mut meta = None;
        let mut target_ref = None;
        let mut source_ref = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::MsgRef => once!(self, msg_ref, tag, self.parse::<MsgRef>(&tag)?),
                El::CmdRef => once!(self, cmd_ref, tag, self.parse::<CmdRef>(&tag)?),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
                El::TargetRef => once!(self, target_ref, tag, self.token()?),
                El::SourceRef => once!(self, source_ref, tag, self.token()?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Results {
            cmd_id: self.required(cmd_id, "CmdID")?,
            msg_ref,
            cmd_ref: self.required(cmd_ref, "CmdRef")?,
            meta,
            target_ref,
            source_ref,
            items,
        })
    }

    fn status(&mut self) -> Result<Status<'a>> {
        let mut cmd_id = None;
        let mut msg_ref = None;
        let mut cmd_ref = None;
        let mut cmd = None;
        let mut target_ref = Vec::new();
        let mut source_ref = Vec::new();
        let mut cred = None;
        let mut chal = None;
        let mut data = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::MsgRef => once!(self, msg_ref, tag, self.parse::<MsgRef>(&tag)?),
                El::CmdRef => once!(self, cmd_ref, tag, self.parse::<CmdRef>(&tag)?),
                El::Cmd => once!(self, cmd, tag, self.token()?),
                El::TargetRef => {
                    let t = self.token()?;
                    target_ref.push(t);
                }
                El::SourceRef => {
                    let t = self.token()?;
                    source_ref.push(t);
                }
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Chal => once!(self, chal, tag, Box::new(self.chal()?)),
                El::Data => once!(self, data, tag, self.parse::<StatusCode>(&tag)?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Status {
            cmd_id: self.required(cmd_id, "CmdID")?,
            msg_ref: self.required(msg_ref, "MsgRef")?,
            cmd_ref: self.required(cmd_ref, "CmdRef")?,
            cmd: self.required(cmd, "Cmd")?,
            target_ref,
            source_ref,
            cred,
            chal,
            data: self.required(data, "Data")?,
            items,
        })
    }

    fn item(&mut self) -> Result<Item<'a>> {
        let mut item = Item::default();
        self.item_into(&mut item)?;
        Ok(item)
    }

    /// Reads an `Item` straight into the end of `items` (an `Item` is large).
    fn push_item(&mut self, items: &mut Vec<Item<'a>>) -> Result<()> {
        items.push(Item::default());
        match items.last_mut() {
            Some(item) => self.item_into(item),
            None => Ok(()),
        }
    }

    fn item_into(&mut self, item: &mut Item<'a>) -> Result<()> {
        let mut seen_data = false;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::Target => once!(self, item.target, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    Target { loc_uri, loc_name }
                }),
                El::Source => once!(self, item.source, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    Source { loc_uri, loc_name }
                }),
                El::SourceParent => once!(self, item.source_parent, tag, self.parent_loc()?),
                El::TargetParent => once!(self, item.target_parent, tag, self.parent_loc()?),
                El::Meta => {
                    if item.meta.is_some() {
                        return Err(self.err_here(ErrorKind::DuplicateElement, tag.at()));
                    }
                    self.meta_into(item.meta.insert(Meta::default()))?;
                }
                El::Data => {
                    if seen_data {
                        return Err(self.err_here(ErrorKind::DuplicateElement, tag.at()));
                    }
                    seen_data = true;
                    item.data = Some(self.item_data()?);
                }
                El::MoreData => flag!(self, item.more_data, tag),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(())
    }

    /// `Item/Data`: character data (escaped, CDATA or both, never trimmed) or an XML fragment.
    fn item_data(&mut self) -> Result<ItemData<'a>> {
        let content_start = self.after();
        let mut acc = Acc::Empty;
        let mut cdata = false;
        let mut other = false;
        let saved = (self.foreign_from, self.prefix_floor);
        self.foreign_from = self.stack.len() + 1;
        self.prefix_floor = self.prefixes.len();
        loop {
            match self.next()? {
                Ev::Text => {
                    acc.push(self.piece);
                    other = true;
                }
                Ev::Char(c) => {
                    acc.push_char(c);
                    other = true;
                }
                Ev::CData => {
                    acc.push(self.piece);
                    cdata = true;
                }
                Ev::Start(_) => {
                    let value = self.fragment(content_start)?;
                    (self.foreign_from, self.prefix_floor) = saved;
                    return Ok(ItemData {
                        value: Cow::Borrowed(value),
                        carriage: Carriage::Xml,
                    });
                }
                Ev::End => break,
            }
            if acc.len() > self.max_text {
                return Err(self.err_here(ErrorKind::LimitExceeded(Limit::TextLength), self.pos));
            }
        }
        (self.foreign_from, self.prefix_floor) = saved;
        let carriage = match (cdata, other) {
            (false, _) => Carriage::Escaped,
            (true, true) => Carriage::Mixed,
            (true, false) => Carriage::Cdata,
        };
        Ok(ItemData {
            value: acc.into_cow(),
            carriage,
        })
    }

    /// The rest of an `Item/Data` that holds elements (the first child's start tag was just
    /// read): checked as it is read, kept as the raw fragment between the `Data` tags.
    fn fragment(&mut self, content_start: usize) -> Result<&'a str> {
        let mut level = 1usize;
        loop {
            match self.next()? {
                Ev::Start(_) => level += 1,
                Ev::End if level == 0 => break,
                Ev::End => level -= 1,
                Ev::Text | Ev::Char(_) | Ev::CData => {}
            }
            if self.pos.saturating_sub(content_start) > self.max_text {
                return Err(self.err_here(ErrorKind::LimitExceeded(Limit::TextLength), self.pos));
            }
        }
        let end = self.pos;
        self.input
            .get(content_start..end)
            .and_then(|b| core::str::from_utf8(b).ok())
            .ok_or_else(|| self.syntax(end, "internal: fragment outside input"))
    }
}
