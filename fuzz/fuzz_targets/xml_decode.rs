//! Fuzzes omadm-xml's decoder on arbitrary bytes: no panic; a success respects the limits; the
//! header scan agrees with the full decode on the header and the Cred Data span; resuming from
//! the header scan (`DecodedHeader::into_body`) returns exactly what the full decode returns; the
//! fast path returns exactly what the event path returns (`decode_located_events_only`, a test
//! hook of the private `__test-hooks` feature).
#![no_main]

use libfuzzer_sys::fuzz_target;
use omadm_syncml::{Command, Item, ItemData, Meta, SyncMl};
use omadm_xml::{Limits, decode_header, decode_located, decode_located_events_only};

/// Small limits, so that the fuzzer reaches them.
const LIMITS: Limits = Limits::DEFAULT
    .with_max_size(16 * 1024)
    .with_max_depth(12)
    .with_max_elements(400)
    .with_max_text(512);

fuzz_target!(|data: &[u8]| {
    let full = decode_located(data, &LIMITS);
    assert_eq!(full, decode_located_events_only(data, &LIMITS));
    let head = decode_header(data, &LIMITS);
    if let Ok(d) = &full {
        assert!(data.len() <= LIMITS.max_size);
        let head = head
            .as_ref()
            .expect("decode succeeded, so the header scan must");
        assert_eq!(head.hdr, d.message.hdr);
        assert_eq!(head.cred_data, d.cred_data);
        assert_eq!(head.version, d.message.version);
        if let Some(span) = &d.cred_data {
            let raw = data.get(span.clone()).expect("span inside the input");
            let cred = d
                .message
                .hdr
                .cred
                .as_ref()
                .expect("a span only with a Cred");
            // Without markup or references the raw bytes are the text.
            if !raw.contains(&b'<') && !raw.contains(&b'&') {
                assert_eq!(raw, cred.data.as_bytes());
            }
        }
        let mut elements = 0;
        check_message(&d.message, &mut elements);
        assert!(elements <= LIMITS.max_elements);
    }
    // The resumed decode: the same message, span or error as the one-pass decode.
    if let Ok(head) = head {
        assert_eq!(head.into_body(), full);
    }
});

fn text(s: &str) {
    assert!(s.len() <= LIMITS.max_text, "text of {} bytes", s.len());
}

fn meta(m: &Meta<'_>, n: &mut usize) {
    *n += 1;
    for t in [
        m.ty.as_deref(),
        m.version.as_deref(),
        m.next_nonce.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        text(t);
    }
    for e in &m.emi {
        text(e);
    }
}

fn item(i: &Item<'_>, n: &mut usize) {
    *n += 1;
    if let Some(m) = &i.meta {
        meta(m, n);
    }
    if let Some(ItemData { value, .. }) = &i.data {
        text(value);
    }
}

fn command(c: &Command<'_>, depth: usize, n: &mut usize) {
    *n += 1;
    assert!(depth <= LIMITS.max_depth);
    let items: &[Item<'_>] = match c {
        Command::Add(c) | Command::Copy(c) | Command::Replace(c) => &c.items,
        Command::Alert(c) => &c.items,
        Command::Delete(c) => &c.items,
        Command::Exec(c) => std::slice::from_ref(&*c.item),
        Command::Get(c) => &c.items,
        Command::Results(c) => &c.items,
        Command::Status(c) => &c.items,
        Command::Atomic(c) | Command::Sequence(c) => {
            for inner in &c.commands {
                command(inner, depth + 1, n);
            }
            &[]
        }
    };
    for i in items {
        item(i, n);
    }
}

fn check_message(m: &SyncMl<'_>, n: &mut usize) {
    if let Some(c) = &m.hdr.cred {
        text(&c.data);
    }
    for c in &m.body.commands {
        // SyncML, SyncBody, the command: depth 3.
        command(c, 3, n);
    }
}
