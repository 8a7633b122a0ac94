//! Prints a SyncML DM message in a readable, indented form (header, Cred and its byte span,
//! each command with its items, Meta and data carriage), or the located error and exit code 1.
//!
//! ```text
//! cargo run -p omadm-xml --example inspect -- ../shared/spec/vectors/in-message.xml
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::process::ExitCode;

use omadm_syncml::{Carriage, Command, Cred, Item, ItemData, Meta, SyncMl};
use omadm_xml::{Error, Limits, decode_located};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: inspect FILE");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    println!("{} ({} bytes)", path.to_string_lossy(), bytes.len());
    match decode_located(&bytes, &Limits::default()) {
        Ok(d) => {
            print!("{}", render(&d.message, d.cred_data.as_ref(), &bytes));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{}", render_error(&e, &bytes));
            ExitCode::from(1)
        }
    }
}

/// The message, indented.
fn render(m: &SyncMl<'_>, span: Option<&std::ops::Range<usize>>, bytes: &[u8]) -> String {
    let mut o = String::new();
    let h = &m.hdr;
    let _ = writeln!(
        o,
        "SyncML {} ({})",
        m.version.ver_dtd(),
        m.version.namespace()
    );
    let _ = writeln!(o, "Header");
    field(&mut o, 1, "VerDTD", &h.ver_dtd);
    field(&mut o, 1, "VerProto", &h.ver_proto);
    let sessionless = if h.session_id.is_sessionless() {
        "  (sessionless)"
    } else {
        ""
    };
    field(
        &mut o,
        1,
        "SessionID",
        &format!("{}{sessionless}", h.session_id),
    );
    field(&mut o, 1, "MsgID", &h.msg_id.to_string());
    field(
        &mut o,
        1,
        "Target",
        &loc(&h.target.loc_uri, h.target.loc_name.as_deref()),
    );
    field(
        &mut o,
        1,
        "Source",
        &loc(&h.source.loc_uri, h.source.loc_name.as_deref()),
    );
    if let Some(r) = &h.resp_uri {
        field(&mut o, 1, "RespURI", r);
    }
    if h.no_resp {
        field(&mut o, 1, "NoResp", "yes");
    }
    match &h.cred {
        Some(c) => {
            cred(&mut o, 1, c);
            if let Some(s) = span {
                let raw = bytes.get(s.clone()).unwrap_or_default();
                let same = raw == c.data.as_bytes();
                let note = if same {
                    "raw bytes = text"
                } else {
                    "raw bytes differ from the text"
                };
                field(
                    &mut o,
                    2,
                    "Span",
                    &format!("bytes {}..{} ({} bytes, {note})", s.start, s.end, s.len()),
                );
            }
        }
        None => field(&mut o, 1, "Cred", "none"),
    }
    if let Some(meta) = &h.meta {
        field(&mut o, 1, "Meta", &meta_line(meta));
    }
    let n = m.body.commands.len();
    let _ = writeln!(
        o,
        "Body: {n} command{}, Final: {}",
        if n == 1 { "" } else { "s" },
        if m.body.is_final { "yes" } else { "no" }
    );
    for (i, c) in m.body.commands.iter().enumerate() {
        command(&mut o, 1, i + 1, c);
    }
    o
}

fn command(o: &mut String, depth: usize, index: usize, c: &Command<'_>) {
    let pad = "  ".repeat(depth);
    let mut title = format!("{pad}[{index}] {} (CmdID {})", c.name(), c.cmd_id());
    let items: &[Item<'_>];
    let mut meta: Option<&Meta<'_>> = None;
    let mut extra = Vec::new();
    match c {
        Command::Alert(a) => {
            if let Some(code) = a.data {
                let _ = write!(title, " code {code}{}", alert_name(code.get()));
            }
            if let Some(k) = &a.correlator {
                extra.push(("Correlator", k.to_string()));
            }
            items = &a.items;
        }
        Command::Add(x) | Command::Copy(x) | Command::Replace(x) => {
            meta = x.meta.as_deref();
            items = &x.items;
        }
        Command::Delete(x) => {
            meta = x.meta.as_deref();
            items = &x.items;
            if x.archive || x.sft_del {
                extra.push((
                    "Flags",
                    format!("archive {} sftdel {}", x.archive, x.sft_del),
                ));
            }
        }
        Command::Exec(x) => {
            meta = x.meta.as_deref();
            items = std::slice::from_ref(&*x.item);
            if let Some(k) = &x.correlator {
                extra.push(("Correlator", k.to_string()));
            }
        }
        Command::Get(x) => {
            meta = x.meta.as_deref();
            items = &x.items;
            if let Some(l) = &x.lang {
                extra.push(("Lang", l.to_string()));
            }
        }
        Command::Results(x) => {
            meta = x.meta.as_deref();
            items = &x.items;
            let msg_ref = x.msg_ref.map_or_else(|| "-".to_owned(), |m| m.to_string());
            extra.push((
                "Refers to",
                format!("MsgRef {msg_ref}, CmdRef {}", x.cmd_ref),
            ));
        }
        Command::Status(x) => {
            let _ = write!(title, " {} for {}", x.data, x.cmd);
            extra.push((
                "Refers to",
                format!("MsgRef {}, CmdRef {}", x.msg_ref, x.cmd_ref),
            ));
            if !x.target_ref.is_empty() {
                extra.push(("TargetRef", x.target_ref.join(", ")));
            }
            if !x.source_ref.is_empty() {
                extra.push(("SourceRef", x.source_ref.join(", ")));
            }
            if let Some(ch) = &x.chal {
                extra.push(("Chal", meta_line(&ch.meta)));
            }
            items = &x.items;
        }
        Command::Atomic(x) | Command::Sequence(x) => {
            let _ = writeln!(o, "{title}");
            if let Some(m) = &x.meta {
                field(o, depth + 2, "Meta", &meta_line(m));
            }
            for (i, inner) in x.commands.iter().enumerate() {
                command(o, depth + 2, i + 1, inner);
            }
            return;
        }
    }
    let _ = writeln!(o, "{title}");
    if let Some(c) = c.cred() {
        cred(o, depth + 2, c);
    }
    if let Some(m) = meta {
        field(o, depth + 2, "Meta", &meta_line(m));
    }
    for (k, v) in extra {
        field(o, depth + 2, k, &v);
    }
    for (i, it) in items.iter().enumerate() {
        item(o, depth + 2, i + 1, it);
    }
}

fn item(o: &mut String, depth: usize, index: usize, it: &Item<'_>) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(o, "{pad}Item {index}");
    if let Some(t) = &it.target {
        field(
            o,
            depth + 1,
            "Target",
            &loc(&t.loc_uri, t.loc_name.as_deref()),
        );
    }
    if let Some(s) = &it.source {
        field(
            o,
            depth + 1,
            "Source",
            &loc(&s.loc_uri, s.loc_name.as_deref()),
        );
    }
    if let Some(p) = &it.source_parent {
        field(o, depth + 1, "SourceParent", p);
    }
    if let Some(p) = &it.target_parent {
        field(o, depth + 1, "TargetParent", p);
    }
    if let Some(m) = &it.meta {
        field(o, depth + 1, "Meta", &meta_line(m));
    }
    match &it.data {
        Some(d) => field(o, depth + 1, "Data", &data_line(d)),
        None => field(o, depth + 1, "Data", "none"),
    }
    if it.more_data {
        field(
            o,
            depth + 1,
            "MoreData",
            "yes (a Large Object chunk follows)",
        );
    }
}

fn cred(o: &mut String, depth: usize, c: &Cred<'_>) {
    let scheme = c.scheme().unwrap_or("syncml:auth-basic (no Type)");
    let format = c
        .meta
        .as_ref()
        .and_then(|m| m.format.as_ref())
        .map_or_else(|| "chr (no Format)".to_owned(), ToString::to_string);
    field(o, depth, "Cred", &format!("{scheme}, format {format}"));
    field(o, depth + 1, "Data", &quote(&c.data, 120));
}

fn meta_line(m: &Meta<'_>) -> String {
    let mut parts = Vec::new();
    if m.field_level {
        parts.push("FieldLevel".to_owned());
    }
    if let Some(f) = &m.format {
        let note = if f.is_known() { "" } else { " (unknown)" };
        parts.push(format!("Format {f}{note}"));
    }
    if let Some(t) = &m.ty {
        parts.push(format!("Type {t}"));
    }
    if let Some(k) = &m.mark {
        let note = if k.is_level() { "" } else { " (not a level)" };
        parts.push(format!("Mark {k}{note}"));
    }
    if let Some(s) = m.size {
        parts.push(format!("Size {s}"));
    }
    if let Some(a) = &m.anchor {
        parts.push(format!(
            "Anchor last {} next {}",
            a.last.as_deref().unwrap_or("-"),
            a.next
        ));
    }
    if let Some(v) = &m.version {
        parts.push(format!("Version {v}"));
    }
    if let Some(n) = &m.next_nonce {
        parts.push(format!("NextNonce {n}"));
    }
    if let Some(n) = m.max_msg_size {
        parts.push(format!("MaxMsgSize {n}"));
    }
    if let Some(n) = m.max_obj_size {
        parts.push(format!("MaxObjSize {n}"));
    }
    for e in &m.emi {
        parts.push(format!("EMI {e}"));
    }
    if let Some(mem) = &m.mem {
        parts.push(format!("Mem free {} ids {}", mem.free_mem, mem.free_id));
    }
    if parts.is_empty() {
        "(empty)".to_owned()
    } else {
        parts.join(", ")
    }
}

fn data_line(d: &ItemData<'_>) -> String {
    let carriage = match d.carriage {
        Carriage::Cdata => "CDATA",
        Carriage::Escaped => "escaped text",
        Carriage::Mixed => "CDATA mixed with other text (not wholly CDATA-escaped)",
        Carriage::Xml => "XML fragment",
        _ => "other",
    };
    format!(
        "{carriage}, {} bytes: {}",
        d.value.len(),
        quote(&d.value, 200)
    )
}

fn quote(s: &str, max: usize) -> String {
    let mut cut = s;
    let mut more = "";
    if s.chars().count() > max {
        let end = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
        cut = &s[..end];
        more = " …";
    }
    format!("{cut:?}{more}")
}

fn loc(uri: &str, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("{uri}  (LocName {n})"),
        None => uri.to_owned(),
    }
}

fn field(o: &mut String, depth: usize, name: &str, value: &str) {
    let _ = writeln!(o, "{}{name:<12}{value}", "  ".repeat(depth));
}

fn alert_name(code: u16) -> &'static str {
    match code {
        1100 => " (display)",
        1101 => " (confirm or reject)",
        1102 => " (text input)",
        1103 => " (single choice)",
        1104 => " (multiple choice)",
        1200 => " (server-initiated management)",
        1201 => " (client-initiated management)",
        1222 => " (next message)",
        1223 => " (session abort)",
        1224 => " (client event)",
        1225 => " (no end of data)",
        1226 => " (generic alert)",
        1230 => " (sessionless report)",
        _ => "",
    }
}

/// The error, with the line it points into and a caret under the offending byte.
fn render_error(e: &Error, bytes: &[u8]) -> String {
    let mut o = format!("error: {e}\n");
    let at = e.offset().min(bytes.len());
    let line_start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line_end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    let line_no = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    // Show at most 60 bytes either side of the offset on that line.
    let from = line_start.max(at.saturating_sub(60));
    let to = line_end.min(at + 60);
    let before = String::from_utf8_lossy(&bytes[from..at]);
    let shown = String::from_utf8_lossy(&bytes[from..to]).replace('\t', " ");
    let column = before.chars().count();
    let _ = writeln!(o, "  --> line {line_no}, byte {at}");
    let _ = writeln!(o, "   | {shown}");
    let _ = writeln!(o, "   | {}^", " ".repeat(column));
    let _ = writeln!(o, "kind: {:?}", e.kind());
    o
}
