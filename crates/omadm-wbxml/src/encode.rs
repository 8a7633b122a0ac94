//! The encoder: model -> compact, deterministic SyncML DM WBXML, written straight into a byte
//! buffer (or into a counter, so that sizes are computed by the very code that writes), with an
//! optional string table for repeated strings.

use std::collections::HashMap;
use std::ops::Range;

use base64::Engine as _;

use omadm_syncml::{
    Alert, AlertCode, Anchor, Carriage, Chal, CmdId, Command, Container, Cred, Delete, Exec, Get,
    Item, ItemCommand, ItemData, Mem, Meta, Results, Status, SyncHdr, SyncMl, SyncMlVersion,
};

use crate::names::{self as tok, El};

/// What [`encode`] wrote besides the bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Encoded {
    /// The span, as indices into the output buffer (counted from its start, including whatever
    /// it held before), of the `SyncHdr/Cred/Data` string written (the bytes of its one `STR_I`);
    /// `None` without a `Cred`, or when the data holds a NUL character (which no `STR_I` can
    /// carry: it is then written in several pieces and has no MAC span).
    pub cred_data: Option<Range<usize>>,
}

/// How to encode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Options {
    /// Put strings that occur more than once into the string table and refer to them with
    /// `STR_T`, where that makes the message shorter. Off by default: without it the encoder
    /// allocates nothing.
    pub string_table: bool,
}

impl Options {
    /// Sets [`Options::string_table`].
    #[must_use]
    pub const fn with_string_table(mut self, on: bool) -> Self {
        self.string_table = on;
        self
    }
}

/// Appends the message to `out` as WBXML 1.2 (public id SyncML 1.1 `0x0FD3` or 1.2 `0x1201`,
/// UTF-8, no string table): tags on code pages 0 and 1 (switching only when a tag of the other
/// page is written), no attributes, text as `STR_I`, `Item/Data` as its carriage says (`Cdata`
/// as one `OPAQUE`), `Meta` children in MetInf DTD order, empty texts and flags as bare tags.
/// Never fails and allocates nothing once `out` has the capacity; the model is not validated.
pub fn encode(msg: &SyncMl<'_>, out: &mut Vec<u8>) -> Encoded {
    encode_with(msg, &Options::default(), out)
}

/// [`encode`] with [`Options`].
pub fn encode_with(msg: &SyncMl<'_>, options: &Options, out: &mut Vec<u8>) -> Encoded {
    if !options.string_table {
        let mut w = Writer::new(out, None);
        return Encoded {
            cred_data: message(&mut w, msg, &[]),
        };
    }
    let table = StringTable::build(msg);
    let mut w = Writer::new(out, Some(&table));
    Encoded {
        cred_data: message(&mut w, msg, &table.bytes),
    }
}

/// The number of bytes [`encode`] would append for `msg`.
pub fn encoded_len(msg: &SyncMl<'_>) -> usize {
    let mut n = Count(0);
    let mut w = Writer::new(&mut n, None);
    message(&mut w, msg, &[]);
    n.0
}

/// Where the writers put bytes: a buffer, a counter, or a collector of strings.
pub(crate) trait Out {
    fn raw(&mut self, bytes: &[u8]);
    fn pos(&self) -> usize;
}

impl Out for Vec<u8> {
    #[inline]
    fn raw(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    #[inline]
    fn pos(&self) -> usize {
        self.len()
    }
}

impl<O: Out> Out for &mut O {
    #[inline]
    fn raw(&mut self, bytes: &[u8]) {
        (**self).raw(bytes);
    }

    #[inline]
    fn pos(&self) -> usize {
        (**self).pos()
    }
}

/// Counts bytes instead of writing them.
pub(crate) struct Count(pub(crate) usize);

impl Out for Count {
    #[inline]
    fn raw(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }

    #[inline]
    fn pos(&self) -> usize {
        self.0
    }
}

/// The strings of a message, in first-occurrence order, with their counts.
#[derive(Default)]
pub(crate) struct Collect<'m> {
    order: Vec<&'m str>,
    counts: HashMap<&'m str, usize>,
}

/// A string table: its bytes and the offset of each string in it.
struct StringTable<'m> {
    bytes: Vec<u8>,
    offsets: HashMap<&'m str, u32>,
}

impl<'m> StringTable<'m> {
    /// Collects the strings of `msg` and keeps those whose `STR_T` references save bytes over
    /// inline strings, in first-occurrence order (so the table is deterministic).
    fn build(msg: &'m SyncMl<'m>) -> Self {
        let mut collect = Collect::default();
        {
            let mut n = Count(0);
            let mut w = Writer::new(&mut n, None);
            w.collect = Some(&mut collect);
            message(&mut w, msg, &[]);
        }
        let mut bytes = Vec::new();
        let mut offsets = HashMap::new();
        for s in collect.order {
            let count = collect.counts.get(s).copied().unwrap_or(0);
            let offset = bytes.len();
            let Ok(offset32) = u32::try_from(offset) else {
                break;
            };
            let inline = count * (s.len() + 2);
            let referenced = s.len() + 1 + count * (1 + mb_len(offset32));
            if count >= 2 && referenced < inline {
                bytes.extend_from_slice(s.as_bytes());
                bytes.push(0);
                offsets.insert(s, offset32);
            }
        }
        Self { bytes, offsets }
    }
}

/// The writer: the output, the current code page, and the string table in use (or being
/// collected).
struct Writer<'m, 't, O: Out> {
    out: O,
    page: u8,
    table: Option<&'t StringTable<'m>>,
    collect: Option<&'t mut Collect<'m>>,
}

impl<'m, 't, O: Out> Writer<'m, 't, O> {
    fn new(out: O, table: Option<&'t StringTable<'m>>) -> Self {
        Self {
            out,
            page: tok::PAGE_SYNCML,
            table,
            collect: None,
        }
    }

    #[inline]
    fn raw(&mut self, b: &[u8]) {
        self.out.raw(b);
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.out.raw(&[b]);
    }

    fn mb(&mut self, v: u32) {
        let mut buf = [0u8; 5];
        let n = mb_write(v, &mut buf);
        self.raw(&buf[5 - n..]);
    }

    /// A tag, switching the code page first if it is another.
    #[inline]
    fn tag(&mut self, el: El, content: bool) {
        let (page, id) = el.token();
        if page != self.page {
            self.raw(&[tok::SWITCH_PAGE, page]);
            self.page = page;
        }
        self.byte(if content { id | tok::HAS_CONTENT } else { id });
    }

    /// Switches back to the SyncML code page if another is current.
    #[inline]
    fn page_zero(&mut self) {
        if self.page != tok::PAGE_SYNCML {
            self.raw(&[tok::SWITCH_PAGE, tok::PAGE_SYNCML]);
            self.page = tok::PAGE_SYNCML;
        }
    }

    #[inline]
    fn open(&mut self, el: El) {
        self.tag(el, true);
    }

    #[inline]
    fn end(&mut self) {
        self.byte(tok::END);
    }

    /// A flag (an `EMPTY` element), if set.
    #[inline]
    fn flag(&mut self, el: El, on: bool) {
        if on {
            self.tag(el, false);
        }
    }

    /// A text element: a bare tag when the text is empty.
    fn text_el(&mut self, el: El, s: &'m str) {
        if s.is_empty() {
            self.tag(el, false);
        } else {
            self.open(el);
            self.text(s);
            self.end();
        }
    }

    fn opt_text_el(&mut self, el: El, s: Option<&'m str>) {
        if let Some(s) = s {
            self.text_el(el, s);
        }
    }

    fn decimal_el(&mut self, el: El, n: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut n = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.open(el);
        self.byte(tok::STR_I);
        self.raw(&buf[i..]);
        self.byte(0);
        self.end();
    }

    /// Text: a string-table reference when the table holds it, else inline.
    fn text(&mut self, s: &'m str) {
        if let Some(c) = self.collect.as_deref_mut()
            && !s.as_bytes().contains(&0)
        {
            let n = c.counts.entry(s).or_insert(0);
            if *n == 0 {
                c.order.push(s);
            }
            *n += 1;
        }
        if let Some(offset) = self.table.and_then(|t| t.offsets.get(s).copied()) {
            self.byte(tok::STR_T);
            self.mb(offset);
            return;
        }
        self.inline(s, false);
    }

    /// Inline strings: one `STR_I` (also when empty, if `force`), or, for text holding NUL
    /// characters, `STR_I` pieces with `ENTITY 0` between them. Returns the span of the string
    /// when it was written as one `STR_I`.
    fn inline(&mut self, s: &str, force: bool) -> Option<Range<usize>> {
        let b = s.as_bytes();
        if !b.contains(&0) {
            if b.is_empty() && !force {
                return None;
            }
            self.byte(tok::STR_I);
            let start = self.out.pos();
            self.raw(b);
            let end = self.out.pos();
            self.byte(0);
            return Some(start..end);
        }
        for (i, piece) in b.split(|&c| c == 0).enumerate() {
            if i > 0 {
                self.raw(&[tok::ENTITY, 0]);
            }
            if !piece.is_empty() {
                self.byte(tok::STR_I);
                self.raw(piece);
                self.byte(0);
            }
        }
        None
    }

    fn opaque(&mut self, b: &[u8]) {
        self.byte(tok::OPAQUE);
        self.mb(u32::try_from(b.len()).unwrap_or(u32::MAX));
        self.raw(b);
    }
}

fn message<'m, O: Out>(
    w: &mut Writer<'m, '_, O>,
    msg: &'m SyncMl<'m>,
    table: &[u8],
) -> Option<Range<usize>> {
    let span = prologue(w, msg.version, &msg.hdr, table);
    for c in &msg.body.commands {
        command(w, c);
    }
    epilogue(w, msg.body.is_final);
    span
}

/// The document header, `SyncML`, the whole `SyncHdr` and `SyncBody`'s tag.
fn prologue<'m, O: Out>(
    w: &mut Writer<'m, '_, O>,
    version: SyncMlVersion,
    hdr: &'m SyncHdr<'m>,
    table: &[u8],
) -> Option<Range<usize>> {
    w.byte(0x02);
    match version {
        SyncMlVersion::V1_1 => w.mb(tok::PUBLIC_ID_SYNCML_1_1),
        _ => w.mb(tok::PUBLIC_ID_SYNCML_1_2),
    }
    w.mb(tok::UTF_8);
    w.mb(u32::try_from(table.len()).unwrap_or(u32::MAX));
    w.raw(table);
    w.open(El::SyncML);
    let span = sync_hdr(w, hdr);
    w.open(El::SyncBody);
    span
}

/// `Final` if set, then the ends of `SyncBody` and `SyncML`.
fn epilogue<O: Out>(w: &mut Writer<'_, '_, O>, is_final: bool) {
    w.flag(El::Final, is_final);
    w.end();
    w.end();
}

/// The pieces [`encode`] is made of (without a string table), for the [`write`](crate::write)
/// module: each starts and ends on the SyncML code page.
pub(crate) mod pieces {
    use super::*;

    pub(crate) fn prologue(
        out: &mut impl Out,
        version: SyncMlVersion,
        hdr: &SyncHdr<'_>,
    ) -> Option<Range<usize>> {
        super::prologue(&mut Writer::new(out, None), version, hdr, &[])
    }

    pub(crate) fn command(out: &mut impl Out, c: &Command<'_>) {
        super::command(&mut Writer::new(out, None), c);
    }

    pub(crate) fn alert_with_item(
        out: &mut impl Out,
        cmd_id: CmdId,
        code: AlertCode,
        it: &Item<'_>,
    ) {
        let mut w = Writer::new(out, None);
        w.open(El::Alert);
        head(&mut w, cmd_id, false);
        alert_code(&mut w, code);
        item(&mut w, it);
        w.end();
    }

    pub(crate) fn epilogue(out: &mut impl Out, is_final: bool) {
        super::epilogue(&mut Writer::new(out, None), is_final);
    }
}

fn sync_hdr<'m, O: Out>(w: &mut Writer<'m, '_, O>, h: &'m SyncHdr<'m>) -> Option<Range<usize>> {
    w.open(El::SyncHdr);
    w.text_el(El::VerDTD, &h.ver_dtd);
    w.text_el(El::VerProto, &h.ver_proto);
    w.text_el(El::SessionID, h.session_id.as_str());
    w.decimal_el(El::MsgID, u64::from(h.msg_id.get()));
    loc(
        w,
        El::Target,
        &h.target.loc_uri,
        h.target.loc_name.as_deref(),
    );
    loc(
        w,
        El::Source,
        &h.source.loc_uri,
        h.source.loc_name.as_deref(),
    );
    w.opt_text_el(El::RespURI, h.resp_uri.as_deref());
    w.flag(El::NoResp, h.no_resp);
    let span = h.cred.as_ref().and_then(|c| cred(w, c));
    if let Some(m) = &h.meta {
        meta(w, m);
    }
    w.end();
    span
}

fn loc<'m, O: Out>(w: &mut Writer<'m, '_, O>, el: El, uri: &'m str, name: Option<&'m str>) {
    w.open(el);
    w.text_el(El::LocURI, uri);
    w.opt_text_el(El::LocName, name);
    w.end();
}

/// `Cred`: the `Data` always as one `STR_I` (even empty), never from the string table, so that
/// the in-message MAC rule can locate it.
fn cred<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Cred<'m>) -> Option<Range<usize>> {
    w.open(El::Cred);
    if let Some(m) = &c.meta {
        meta(w, m);
    }
    w.open(El::Data);
    let span = w.inline(&c.data, true);
    w.end();
    w.end();
    span
}

fn chal<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Chal<'m>) {
    w.open(El::Chal);
    meta(w, &c.meta);
    w.end();
}

fn meta<'m, O: Out>(w: &mut Writer<'m, '_, O>, m: &'m Meta<'m>) {
    if m.is_empty() {
        w.tag(El::Meta, false);
        return;
    }
    w.open(El::Meta);
    w.flag(El::FieldLevel, m.field_level);
    if let Some(f) = &m.format {
        w.text_el(El::Format, f.as_str());
    }
    w.opt_text_el(El::Type, m.ty.as_deref());
    if let Some(mark) = &m.mark {
        w.text_el(El::Mark, mark.as_str());
    }
    if let Some(n) = m.size {
        w.decimal_el(El::Size, n);
    }
    if let Some(a) = &m.anchor {
        anchor(w, a);
    }
    w.opt_text_el(El::Version, m.version.as_deref());
    w.opt_text_el(El::NextNonce, m.next_nonce.as_deref());
    if let Some(n) = m.max_msg_size {
        w.decimal_el(El::MaxMsgSize, n);
    }
    if let Some(n) = m.max_obj_size {
        w.decimal_el(El::MaxObjSize, n);
    }
    for e in &m.emi {
        w.text_el(El::EMI, e);
    }
    if let Some(mem) = &m.mem {
        mem_el(w, mem);
    }
    w.end();
    // Back to the SyncML page right away (END is page-independent, and a SyncML tag, or the end
    // of the message, follows every Meta), so that every piece of `write` starts and ends on
    // page 0; where a SyncML tag follows, these are the bytes a lazy switch writes too.
    w.page_zero();
}

fn anchor<'m, O: Out>(w: &mut Writer<'m, '_, O>, a: &'m Anchor<'m>) {
    w.open(El::Anchor);
    w.opt_text_el(El::Last, a.last.as_deref());
    w.text_el(El::Next, &a.next);
    w.end();
}

fn mem_el<'m, O: Out>(w: &mut Writer<'m, '_, O>, m: &'m Mem<'m>) {
    w.open(El::Mem);
    w.flag(El::SharedMem, m.shared_mem);
    w.text_el(El::FreeMem, &m.free_mem);
    w.text_el(El::FreeID, &m.free_id);
    w.end();
}

fn head<O: Out>(w: &mut Writer<'_, '_, O>, cmd_id: CmdId, no_resp: bool) {
    w.decimal_el(El::CmdID, u64::from(cmd_id.get()));
    w.flag(El::NoResp, no_resp);
}

fn opt_cred<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: Option<&'m Cred<'m>>) {
    if let Some(c) = c {
        cred(w, c);
    }
}

fn opt_meta<'m, O: Out>(w: &mut Writer<'m, '_, O>, m: Option<&'m Meta<'m>>) {
    if let Some(m) = m {
        meta(w, m);
    }
}

fn items<'m, O: Out>(w: &mut Writer<'m, '_, O>, items: &'m [Item<'m>]) {
    for it in items {
        item(w, it);
    }
}

fn command<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Command<'m>) {
    match c {
        Command::Add(c) => item_command(w, El::Add, c),
        Command::Copy(c) => item_command(w, El::Copy, c),
        Command::Replace(c) => item_command(w, El::Replace, c),
        Command::Alert(c) => alert(w, c),
        Command::Atomic(c) => container(w, El::Atomic, c),
        Command::Sequence(c) => container(w, El::Sequence, c),
        Command::Delete(c) => delete(w, c),
        Command::Exec(c) => exec(w, c),
        Command::Get(c) => get(w, c),
        Command::Results(c) => results(w, c),
        Command::Status(c) => status(w, c),
    }
}

fn item_command<'m, O: Out>(w: &mut Writer<'m, '_, O>, el: El, c: &'m ItemCommand<'m>) {
    w.open(el);
    head(w, c.cmd_id, c.no_resp);
    opt_cred(w, c.cred.as_deref());
    opt_meta(w, c.meta.as_deref());
    items(w, &c.items);
    w.end();
}

fn alert<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Alert<'m>) {
    w.open(El::Alert);
    head(w, c.cmd_id, c.no_resp);
    opt_cred(w, c.cred.as_deref());
    if let Some(code) = c.data {
        alert_code(w, code);
    }
    w.opt_text_el(El::Correlator, c.correlator.as_deref());
    items(w, &c.items);
    w.end();
}

fn alert_code<O: Out>(w: &mut Writer<'_, '_, O>, code: AlertCode) {
    w.decimal_el(El::Data, u64::from(code.get()));
}

fn container<'m, O: Out>(w: &mut Writer<'m, '_, O>, el: El, c: &'m Container<'m>) {
    w.open(el);
    head(w, c.cmd_id, c.no_resp);
    opt_meta(w, c.meta.as_deref());
    for c in &c.commands {
        command(w, c);
    }
    w.end();
}

fn delete<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Delete<'m>) {
    w.open(El::Delete);
    head(w, c.cmd_id, c.no_resp);
    w.flag(El::Archive, c.archive);
    w.flag(El::SftDel, c.sft_del);
    opt_cred(w, c.cred.as_deref());
    opt_meta(w, c.meta.as_deref());
    items(w, &c.items);
    w.end();
}

fn exec<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Exec<'m>) {
    w.open(El::Exec);
    head(w, c.cmd_id, c.no_resp);
    opt_cred(w, c.cred.as_deref());
    opt_meta(w, c.meta.as_deref());
    w.opt_text_el(El::Correlator, c.correlator.as_deref());
    item(w, &c.item);
    w.end();
}

fn get<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Get<'m>) {
    w.open(El::Get);
    head(w, c.cmd_id, c.no_resp);
    w.opt_text_el(El::Lang, c.lang.as_deref());
    opt_cred(w, c.cred.as_deref());
    opt_meta(w, c.meta.as_deref());
    items(w, &c.items);
    w.end();
}

fn results<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Results<'m>) {
    w.open(El::Results);
    w.decimal_el(El::CmdID, u64::from(c.cmd_id.get()));
    if let Some(r) = c.msg_ref {
        w.decimal_el(El::MsgRef, u64::from(r.get()));
    }
    w.decimal_el(El::CmdRef, u64::from(c.cmd_ref.get()));
    opt_meta(w, c.meta.as_deref());
    w.opt_text_el(El::TargetRef, c.target_ref.as_deref());
    w.opt_text_el(El::SourceRef, c.source_ref.as_deref());
    items(w, &c.items);
    w.end();
}

fn status<'m, O: Out>(w: &mut Writer<'m, '_, O>, c: &'m Status<'m>) {
    w.open(El::Status);
    w.decimal_el(El::CmdID, u64::from(c.cmd_id.get()));
    w.decimal_el(El::MsgRef, u64::from(c.msg_ref.get()));
    w.decimal_el(El::CmdRef, u64::from(c.cmd_ref.get()));
    w.text_el(El::Cmd, &c.cmd);
    for t in &c.target_ref {
        w.text_el(El::TargetRef, t);
    }
    for s in &c.source_ref {
        w.text_el(El::SourceRef, s);
    }
    opt_cred(w, c.cred.as_deref());
    if let Some(ch) = &c.chal {
        chal(w, ch);
    }
    w.decimal_el(El::Data, u64::from(c.data.get()));
    items(w, &c.items);
    w.end();
}

fn item<'m, O: Out>(w: &mut Writer<'m, '_, O>, it: &'m Item<'m>) {
    w.open(El::Item);
    if let Some(t) = &it.target {
        loc(w, El::Target, &t.loc_uri, t.loc_name.as_deref());
    }
    if let Some(s) = &it.source {
        loc(w, El::Source, &s.loc_uri, s.loc_name.as_deref());
    }
    if let Some(p) = &it.source_parent {
        w.open(El::SourceParent);
        w.text_el(El::LocURI, p);
        w.end();
    }
    if let Some(p) = &it.target_parent {
        w.open(El::TargetParent);
        w.text_el(El::LocURI, p);
        w.end();
    }
    if let Some(m) = &it.meta {
        meta(w, m);
    }
    if let Some(d) = &it.data {
        item_data(w, d);
    }
    w.flag(El::MoreData, it.more_data);
    w.end();
}

/// `Item/Data` by carriage: `Escaped` as strings (a bare tag when empty), `Cdata` as one
/// `OPAQUE`, `Mixed` as strings followed by an empty `OPAQUE`, `Xml` as an empty `OPAQUE`
/// followed by an `OPAQUE` holding the fragment, `Binary` as one `OPAQUE` holding the bytes
/// its base64 value stands for (a value that is not base64 is written as `Escaped`).
fn item_data<'m, O: Out>(w: &mut Writer<'m, '_, O>, d: &'m ItemData<'m>) {
    let v: &'m str = &d.value;
    match d.carriage {
        Carriage::Binary => match base64::engine::general_purpose::STANDARD.decode(v) {
            Ok(bytes) => {
                w.open(El::Data);
                w.opaque(&bytes);
                w.end();
            }
            Err(_) => w.text_el(El::Data, v),
        },
        Carriage::Cdata => {
            w.open(El::Data);
            w.opaque(v.as_bytes());
            w.end();
        }
        Carriage::Mixed => {
            w.open(El::Data);
            w.inline(v, true);
            w.opaque(b"");
            w.end();
        }
        Carriage::Xml => {
            w.open(El::Data);
            w.opaque(b"");
            w.opaque(v.as_bytes());
            w.end();
        }
        _ => w.text_el(El::Data, v),
    }
}

/// Writes `v` as an mb_u_int32 into the end of `buf`; returns the number of bytes.
fn mb_write(mut v: u32, buf: &mut [u8; 5]) -> usize {
    let mut i = 4;
    buf[i] = (v & 0x7F) as u8;
    v >>= 7;
    while v != 0 {
        i -= 1;
        buf[i] = 0x80 | (v & 0x7F) as u8;
        v >>= 7;
    }
    5 - i
}

/// The length of `v` as an mb_u_int32.
fn mb_len(v: u32) -> usize {
    let mut buf = [0u8; 5];
    mb_write(v, &mut buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mb_u_int32_bytes() {
        let enc = |v| {
            let mut b = [0u8; 5];
            let n = mb_write(v, &mut b);
            b[5 - n..].to_vec()
        };
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(0x6A), [0x6A]);
        assert_eq!(enc(0x80), [0x81, 0x00]);
        assert_eq!(enc(0x1201), [0xA4, 0x01]);
        assert_eq!(enc(0x0FD3), [0x9F, 0x53]);
        assert_eq!(enc(u32::MAX), [0x8F, 0xFF, 0xFF, 0xFF, 0x7F]);
    }
}
