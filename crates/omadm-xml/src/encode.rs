//! The encoder: model -> compact, canonical SyncML DM XML, written straight into a byte buffer
//! (or into a counter, so that sizes are computed by the very code that writes).

use std::ops::Range;

use omadm_syncml::{
    Alert, AlertCode, Anchor, Carriage, Chal, CmdId, Command, Container, Cred, Delete, Exec, Get,
    Item, ItemCommand, ItemData, Mem, Meta, Results, Status, SyncHdr, SyncMl, SyncMlVersion,
};

use crate::names::find_cdata_end;

/// What [`encode`] wrote besides the bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Encoded {
    /// The span, as indices into the output buffer (counted from its start, including whatever
    /// it held before), of the `SyncHdr/Cred/Data` content written; `None` without a `Cred`.
    pub cred_data: Option<Range<usize>>,
}

/// Appends the message to `out` as compact XML: `<?xml version="1.0"?>`, the root with its
/// `xmlns`, no white space between elements, `xmlns="syncml:metinf"` on each MetInf element,
/// `Meta` children in MetInf DTD order, `Item/Data` as its carriage says (`Cdata` as CDATA with
/// any `]]>` split), everything else escaped. Never fails; the model is not validated (text with
/// characters XML does not allow produces a message the decoder refuses).
///
/// It is exactly [`write::prologue`](crate::write::prologue), [`write::command`](crate::write::command)
/// for each command, and [`write::epilogue`](crate::write::epilogue).
pub fn encode(msg: &SyncMl<'_>, out: &mut Vec<u8>) -> Encoded {
    let cred_data = message(out, msg);
    Encoded { cred_data }
}

/// The number of bytes [`encode`] would append for `msg`.
pub fn encoded_len(msg: &SyncMl<'_>) -> usize {
    let mut n = Count(0);
    message(&mut n, msg);
    n.0
}

/// Where the writers put bytes: a buffer, or a counter.
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

/// `<name>` escaped text `</name>`.
macro_rules! text_el {
    ($o:expr, $name:literal, $text:expr) => {{
        $o.raw(concat!("<", $name, ">").as_bytes());
        escape($o, $text);
        $o.raw(concat!("</", $name, ">").as_bytes());
    }};
}

/// `<name xmlns="syncml:metinf">` escaped text `</name>`.
macro_rules! metinf_el {
    ($o:expr, $name:literal, $text:expr) => {{
        $o.raw(concat!("<", $name, " xmlns=\"syncml:metinf\">").as_bytes());
        escape($o, $text);
        $o.raw(concat!("</", $name, ">").as_bytes());
    }};
}

/// `<name>` decimal `</name>`.
macro_rules! num_el {
    ($o:expr, $name:literal, $n:expr) => {{
        $o.raw(concat!("<", $name, ">").as_bytes());
        decimal($o, u64::from($n));
        $o.raw(concat!("</", $name, ">").as_bytes());
    }};
}

fn message(o: &mut impl Out, msg: &SyncMl<'_>) -> Option<Range<usize>> {
    let span = prologue(o, msg.version, &msg.hdr);
    for c in &msg.body.commands {
        command(o, c);
    }
    epilogue(o, msg.body.is_final);
    span
}

pub(crate) fn prologue(
    o: &mut impl Out,
    version: SyncMlVersion,
    hdr: &SyncHdr<'_>,
) -> Option<Range<usize>> {
    o.raw(b"<?xml version=\"1.0\"?>");
    o.raw(match version {
        SyncMlVersion::V1_1 => b"<SyncML xmlns=\"SYNCML:SYNCML1.1\">",
        SyncMlVersion::V1_2 => b"<SyncML xmlns=\"SYNCML:SYNCML1.2\">",
    });
    o.raw(b"<SyncHdr>");
    text_el!(o, "VerDTD", &hdr.ver_dtd);
    text_el!(o, "VerProto", &hdr.ver_proto);
    text_el!(o, "SessionID", hdr.session_id.as_str());
    num_el!(o, "MsgID", hdr.msg_id.get());
    o.raw(b"<Target>");
    loc(o, &hdr.target.loc_uri, hdr.target.loc_name.as_deref());
    o.raw(b"</Target><Source>");
    loc(o, &hdr.source.loc_uri, hdr.source.loc_name.as_deref());
    o.raw(b"</Source>");
    if let Some(r) = &hdr.resp_uri {
        text_el!(o, "RespURI", r);
    }
    if hdr.no_resp {
        o.raw(b"<NoResp/>");
    }
    let span = hdr.cred.as_ref().map(|c| cred(o, c));
    if let Some(m) = &hdr.meta {
        meta(o, m);
    }
    o.raw(b"</SyncHdr><SyncBody>");
    span
}

pub(crate) fn epilogue(o: &mut impl Out, is_final: bool) {
    if is_final {
        o.raw(b"<Final/>");
    }
    o.raw(b"</SyncBody></SyncML>");
}

pub(crate) fn command(o: &mut impl Out, c: &Command<'_>) {
    match c {
        Command::Add(c) => item_command(o, "Add", c),
        Command::Alert(c) => alert(o, c),
        Command::Atomic(c) => container(o, "Atomic", c),
        Command::Copy(c) => item_command(o, "Copy", c),
        Command::Delete(c) => delete(o, c),
        Command::Exec(c) => exec(o, c),
        Command::Get(c) => get(o, c),
        Command::Replace(c) => item_command(o, "Replace", c),
        Command::Results(c) => results(o, c),
        Command::Sequence(c) => container(o, "Sequence", c),
        Command::Status(c) => status(o, c),
    }
}

/// Exactly what [`command`] writes for an `Alert` with this `CmdID`, `Data` and single item.
pub(crate) fn alert_with_item(o: &mut impl Out, cmd_id: CmdId, code: AlertCode, it: &Item<'_>) {
    o.raw(b"<Alert>");
    num_el!(o, "CmdID", cmd_id.get());
    num_el!(o, "Data", code.get());
    item(o, it);
    o.raw(b"</Alert>");
}

fn open(o: &mut impl Out, name: &str) {
    o.raw(b"<");
    o.raw(name.as_bytes());
    o.raw(b">");
}

fn close(o: &mut impl Out, name: &str) {
    o.raw(b"</");
    o.raw(name.as_bytes());
    o.raw(b">");
}

fn loc(o: &mut impl Out, uri: &str, name: Option<&str>) {
    text_el!(o, "LocURI", uri);
    if let Some(n) = name {
        text_el!(o, "LocName", n);
    }
}

/// Writes a `Cred`; returns the span of its `Data` content.
fn cred(o: &mut impl Out, c: &Cred<'_>) -> Range<usize> {
    o.raw(b"<Cred>");
    if let Some(m) = &c.meta {
        meta(o, m);
    }
    o.raw(b"<Data>");
    let start = o.pos();
    escape(o, &c.data);
    let end = o.pos();
    o.raw(b"</Data></Cred>");
    start..end
}

fn chal(o: &mut impl Out, c: &Chal<'_>) {
    o.raw(b"<Chal>");
    meta(o, &c.meta);
    o.raw(b"</Chal>");
}

fn meta(o: &mut impl Out, m: &Meta<'_>) {
    o.raw(b"<Meta>");
    if m.field_level {
        o.raw(b"<FieldLevel xmlns=\"syncml:metinf\"/>");
    }
    if let Some(f) = &m.format {
        metinf_el!(o, "Format", f.as_str());
    }
    if let Some(t) = &m.ty {
        metinf_el!(o, "Type", t);
    }
    if let Some(k) = &m.mark {
        metinf_el!(o, "Mark", k.as_str());
    }
    if let Some(n) = m.size {
        o.raw(b"<Size xmlns=\"syncml:metinf\">");
        decimal(o, n);
        o.raw(b"</Size>");
    }
    if let Some(a) = &m.anchor {
        anchor(o, a);
    }
    if let Some(v) = &m.version {
        metinf_el!(o, "Version", v);
    }
    if let Some(n) = &m.next_nonce {
        metinf_el!(o, "NextNonce", n);
    }
    if let Some(n) = m.max_msg_size {
        o.raw(b"<MaxMsgSize xmlns=\"syncml:metinf\">");
        decimal(o, n);
        o.raw(b"</MaxMsgSize>");
    }
    if let Some(n) = m.max_obj_size {
        o.raw(b"<MaxObjSize xmlns=\"syncml:metinf\">");
        decimal(o, n);
        o.raw(b"</MaxObjSize>");
    }
    for e in &m.emi {
        metinf_el!(o, "EMI", e);
    }
    if let Some(mem) = &m.mem {
        mem_el(o, mem);
    }
    o.raw(b"</Meta>");
}

fn anchor(o: &mut impl Out, a: &Anchor<'_>) {
    o.raw(b"<Anchor xmlns=\"syncml:metinf\">");
    if let Some(l) = &a.last {
        text_el!(o, "Last", l);
    }
    text_el!(o, "Next", &a.next);
    o.raw(b"</Anchor>");
}

fn mem_el(o: &mut impl Out, m: &Mem<'_>) {
    o.raw(b"<Mem xmlns=\"syncml:metinf\">");
    if m.shared_mem {
        o.raw(b"<SharedMem/>");
    }
    text_el!(o, "FreeMem", &m.free_mem);
    text_el!(o, "FreeID", &m.free_id);
    o.raw(b"</Mem>");
}

/// `CmdID`, `NoResp?`: the start of every command.
fn head(o: &mut impl Out, cmd_id: CmdId, no_resp: bool) {
    num_el!(o, "CmdID", cmd_id.get());
    if no_resp {
        o.raw(b"<NoResp/>");
    }
}

fn opt_cred(o: &mut impl Out, c: Option<&Cred<'_>>) {
    if let Some(c) = c {
        cred(o, c);
    }
}

fn opt_meta(o: &mut impl Out, m: Option<&Meta<'_>>) {
    if let Some(m) = m {
        meta(o, m);
    }
}

fn items(o: &mut impl Out, items: &[Item<'_>]) {
    for it in items {
        item(o, it);
    }
}

fn item_command(o: &mut impl Out, name: &str, c: &ItemCommand<'_>) {
    open(o, name);
    head(o, c.cmd_id, c.no_resp);
    opt_cred(o, c.cred.as_deref());
    opt_meta(o, c.meta.as_deref());
    items(o, &c.items);
    close(o, name);
}

fn alert(o: &mut impl Out, c: &Alert<'_>) {
    o.raw(b"<Alert>");
    head(o, c.cmd_id, c.no_resp);
    opt_cred(o, c.cred.as_deref());
    if let Some(d) = c.data {
        num_el!(o, "Data", d.get());
    }
    if let Some(k) = &c.correlator {
        text_el!(o, "Correlator", k);
    }
    items(o, &c.items);
    o.raw(b"</Alert>");
}

fn container(o: &mut impl Out, name: &str, c: &Container<'_>) {
    open(o, name);
    head(o, c.cmd_id, c.no_resp);
    opt_meta(o, c.meta.as_deref());
    for cmd in &c.commands {
        command(o, cmd);
    }
    close(o, name);
}

fn delete(o: &mut impl Out, c: &Delete<'_>) {
    o.raw(b"<Delete>");
    head(o, c.cmd_id, c.no_resp);
    if c.archive {
        o.raw(b"<Archive/>");
    }
    if c.sft_del {
        o.raw(b"<SftDel/>");
    }
    opt_cred(o, c.cred.as_deref());
    opt_meta(o, c.meta.as_deref());
    items(o, &c.items);
    o.raw(b"</Delete>");
}

fn exec(o: &mut impl Out, c: &Exec<'_>) {
    o.raw(b"<Exec>");
    head(o, c.cmd_id, c.no_resp);
    opt_cred(o, c.cred.as_deref());
    opt_meta(o, c.meta.as_deref());
    if let Some(k) = &c.correlator {
        text_el!(o, "Correlator", k);
    }
    item(o, &c.item);
    o.raw(b"</Exec>");
}

fn get(o: &mut impl Out, c: &Get<'_>) {
    o.raw(b"<Get>");
    head(o, c.cmd_id, c.no_resp);
    if let Some(l) = &c.lang {
        text_el!(o, "Lang", l);
    }
    opt_cred(o, c.cred.as_deref());
    opt_meta(o, c.meta.as_deref());
    items(o, &c.items);
    o.raw(b"</Get>");
}

fn results(o: &mut impl Out, c: &Results<'_>) {
    o.raw(b"<Results>");
    num_el!(o, "CmdID", c.cmd_id.get());
    if let Some(m) = c.msg_ref {
        num_el!(o, "MsgRef", m.get());
    }
    num_el!(o, "CmdRef", c.cmd_ref.get());
    opt_meta(o, c.meta.as_deref());
    if let Some(t) = &c.target_ref {
        text_el!(o, "TargetRef", t);
    }
    if let Some(s) = &c.source_ref {
        text_el!(o, "SourceRef", s);
    }
    items(o, &c.items);
    o.raw(b"</Results>");
}

fn status(o: &mut impl Out, c: &Status<'_>) {
    o.raw(b"<Status>");
    num_el!(o, "CmdID", c.cmd_id.get());
    num_el!(o, "MsgRef", c.msg_ref.get());
    num_el!(o, "CmdRef", c.cmd_ref.get());
    text_el!(o, "Cmd", &c.cmd);
    for t in &c.target_ref {
        text_el!(o, "TargetRef", t);
    }
    for s in &c.source_ref {
        text_el!(o, "SourceRef", s);
    }
    opt_cred(o, c.cred.as_deref());
    if let Some(ch) = &c.chal {
        chal(o, ch);
    }
    num_el!(o, "Data", c.data.get());
    items(o, &c.items);
    o.raw(b"</Status>");
}

fn item(o: &mut impl Out, it: &Item<'_>) {
    o.raw(b"<Item>");
    if let Some(t) = &it.target {
        o.raw(b"<Target>");
        loc(o, &t.loc_uri, t.loc_name.as_deref());
        o.raw(b"</Target>");
    }
    if let Some(s) = &it.source {
        o.raw(b"<Source>");
        loc(o, &s.loc_uri, s.loc_name.as_deref());
        o.raw(b"</Source>");
    }
    if let Some(p) = &it.source_parent {
        o.raw(b"<SourceParent>");
        text_el!(o, "LocURI", p);
        o.raw(b"</SourceParent>");
    }
    if let Some(p) = &it.target_parent {
        o.raw(b"<TargetParent>");
        text_el!(o, "LocURI", p);
        o.raw(b"</TargetParent>");
    }
    if let Some(m) = &it.meta {
        meta(o, m);
    }
    if let Some(d) = &it.data {
        item_data(o, d);
    }
    if it.more_data {
        o.raw(b"<MoreData/>");
    }
    o.raw(b"</Item>");
}

fn item_data(o: &mut impl Out, d: &ItemData<'_>) {
    o.raw(b"<Data>");
    match d.carriage {
        Carriage::Cdata => cdata(o, &d.value),
        Carriage::Xml => o.raw(d.value.as_bytes()),
        Carriage::Mixed => {
            escape(o, &d.value);
            o.raw(b"<![CDATA[]]>");
        }
        // `Escaped`, and any carriage added to the model later.
        _ => escape(o, &d.value),
    }
    o.raw(b"</Data>");
}

/// One or more CDATA sections holding `s`: every `]]>` is split as `]]]]><![CDATA[>`.
fn cdata(o: &mut impl Out, s: &str) {
    o.raw(b"<![CDATA[");
    let mut rest = s.as_bytes();
    while let Some(i) = find_cdata_end(rest) {
        let (head, tail) = rest.split_at(i + 2);
        o.raw(head);
        o.raw(b"]]><![CDATA[");
        rest = tail;
    }
    o.raw(rest);
    o.raw(b"]]>");
}

/// Character data: `<` `&` `>` as entities, CR as `&#13;`; quotes as they are.
fn escape(o: &mut impl Out, s: &str) {
    let b = s.as_bytes();
    let mut last = 0;
    for (i, &c) in b.iter().enumerate() {
        let rep: &[u8] = match c {
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'&' => b"&amp;",
            b'\r' => b"&#13;",
            _ => continue,
        };
        o.raw(&b[last..i]);
        o.raw(rep);
        last = i + 1;
    }
    o.raw(&b[last..]);
}

fn decimal(o: &mut impl Out, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        // invariant: n % 10 < 10, so the cast cannot truncate.
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    o.raw(&buf[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut v = Vec::new();
        escape(&mut v, s);
        String::from_utf8(v).unwrap()
    }

    fn cd(s: &str) -> String {
        let mut v = Vec::new();
        cdata(&mut v, s);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn escaping() {
        assert_eq!(esc("a<b>&\"'\r\n"), "a&lt;b&gt;&amp;\"'&#13;\n");
        assert_eq!(esc(""), "");
    }

    #[test]
    fn cdata_splits_every_terminator() {
        assert_eq!(cd(""), "<![CDATA[]]>");
        assert_eq!(cd("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
        assert_eq!(cd("]]>]]>"), "<![CDATA[]]]]><![CDATA[>]]]]><![CDATA[>]]>");
        assert_eq!(cd("]]]>"), "<![CDATA[]]]]]><![CDATA[>]]>");
        // Across and inside eight-byte words, with brackets that start no terminator.
        assert_eq!(
            cd("0123456]]>abcdef]]x]"),
            "<![CDATA[0123456]]]]><![CDATA[>abcdef]]x]]]>"
        );
        assert_eq!(cd("]"), "<![CDATA[]]]>");
        assert_eq!(cd("]]"), "<![CDATA[]]]]>");
    }

    #[test]
    fn decimals() {
        for n in [0u64, 7, 10, 1230, u64::MAX] {
            let mut v = Vec::new();
            decimal(&mut v, n);
            assert_eq!(String::from_utf8(v).unwrap(), n.to_string());
        }
    }
}
