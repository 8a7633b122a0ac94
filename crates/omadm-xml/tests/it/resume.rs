//! The resumed decode agrees with the one-pass decode: `decode_body(decode_header(x))` returns
//! exactly what `decode_located(x)` returns (message, span, or the same error) whenever the
//! header scan succeeds, and the header scan fails only where the full decode fails.

use std::path::Path;

use omadm_xml::{Limits, decode_body, decode_header, decode_located, encode};
use proptest::prelude::*;

use crate::roundtrip::run_property;
use crate::support::shared;

/// Small limits, so that some inputs reach them.
const SMALL: Limits = Limits::DEFAULT
    .with_max_size(16 * 1024)
    .with_max_depth(12)
    .with_max_elements(400)
    .with_max_text(512);

/// The agreement law on one input and one set of limits.
fn agree(input: &[u8], limits: &Limits) {
    let full = decode_located(input, limits);
    match decode_header(input, limits) {
        Ok(head) => {
            if let Ok(d) = &full {
                assert_eq!(head.hdr, d.message.hdr, "header");
            }
            let resumed = decode_body(input, head, limits);
            assert_eq!(resumed, full, "resumed decode disagrees");
        }
        Err(_) => assert!(full.is_err(), "header scan failed on a decodable input"),
    }
}

fn encoded(m: &omadm_syncml::SyncMl<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(m, &mut out);
    out
}

fn agree_all(input: &[u8]) {
    agree(input, &Limits::DEFAULT);
    agree(input, &SMALL);
}

fn files(dir: &Path, out: &mut Vec<Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(std::fs::read(&p).unwrap());
        }
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    files(&shared().join("corpus"), &mut out);
    files(&shared().join("spec/vectors"), &mut out);
    out
}

#[test]
fn resumed_decode_agrees_on_every_corpus_file() {
    for input in corpus() {
        agree_all(&input);
    }
}

#[test]
fn resumed_decode_agrees_on_every_truncation_of_the_corpus() {
    for input in corpus().iter().filter(|f| f.len() < 8 * 1024) {
        for end in 0..input.len() {
            agree(&input[..end], &Limits::DEFAULT);
        }
    }
}

#[test]
fn resumed_decode_falls_back_for_another_input() {
    let a = encoded(&crate::support::sessionless(1));
    let b = a.clone();
    let head = decode_header(&a, &Limits::DEFAULT).unwrap();
    assert_eq!(
        decode_body(&b, head, &Limits::DEFAULT),
        decode_located(&b, &Limits::DEFAULT)
    );
}

#[test]
fn resumed_decode_agrees_on_arbitrary_messages() {
    run_property(omadm_testkit::strategies::arb_sync_ml, |m| {
        agree_all(&encoded(&m));
    });
}

#[test]
fn resumed_decode_agrees_on_mutated_messages() {
    run_property(
        || {
            (
                omadm_testkit::strategies::arb_sync_ml(),
                proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            )
        },
        |(m, edits)| {
            let mut bytes = encoded(&m);
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            agree_all(&bytes);
        },
    );
}
