//! The resumed decode agrees with the one-pass decode: `decode_header(x)?.into_body()` returns
//! exactly what `decode_located(x)` returns (message, span, or the same error) whenever the
//! header scan succeeds, and the header scan fails only where the full decode fails.
//!
//! The same laws hold the decoder's own lexer (text, references, start and end tags and CDATA
//! sections cut by its own scan, the rest read through quick-xml) to the event path: every input
//! decodes exactly as with every byte read through quick-xml's events
//! (`decode_located_events_only`, a test hook of the private `__test-hooks` feature).

use std::path::Path;

use omadm_xml::{
    ErrorKind, Limits, decode_header, decode_located, decode_located_events_only, encode,
};
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
    assert_eq!(
        full,
        decode_located_events_only(input, limits),
        "the fast path disagrees with the event path"
    );
    match decode_header(input, limits) {
        Ok(head) => {
            if let Ok(d) = &full {
                assert_eq!(head.hdr, d.message.hdr, "header");
            }
            let resumed = head.into_body();
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

/// Header scans compare by value: equal inputs at different addresses, scanned with equal
/// limits, give equal values; other limits or other bytes give different ones.
#[test]
fn header_scans_compare_by_value() {
    let a = encoded(&crate::support::sessionless(1));
    let b = a.clone();
    let head_a = decode_header(&a, &Limits::DEFAULT).unwrap();
    assert_eq!(head_a, decode_header(&b, &Limits::DEFAULT).unwrap());
    assert_ne!(head_a, decode_header(&a, &SMALL).unwrap());
    let mut c = a.clone();
    c.extend_from_slice(b"<!-- -->");
    assert_ne!(head_a, decode_header(&c, &Limits::DEFAULT).unwrap());
    assert_eq!(
        head_a.into_body(),
        decode_located(&b, &Limits::DEFAULT),
        "the resumed decode reads the input it scanned"
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

/// Edits that land on the bytes the fast path decides on: markup, references, CDATA brackets,
/// white space in end tags, invalid UTF-8.
#[test]
fn fast_path_agrees_on_messages_with_markup_edits() {
    const BYTES: &[u8] = b"<>/&;]![ \xFFx";
    run_property(
        || {
            (
                omadm_testkit::strategies::arb_sync_ml(),
                proptest::collection::vec(
                    (
                        any::<prop::sample::Index>(),
                        any::<prop::sample::Index>(),
                        any::<bool>(),
                    ),
                    1..4,
                ),
            )
        },
        |(m, edits)| {
            let mut bytes = encoded(&m);
            for (at, byte, insert) in edits {
                let i = at.index(bytes.len());
                let b = BYTES[byte.index(BYTES.len())];
                if insert {
                    bytes.insert(i, b);
                } else {
                    bytes[i] = b;
                }
            }
            agree_all(&bytes);
        },
    );
}

/// A message whose `<VerDTD>1.2</VerDTD>` is replaced by `element`.
fn with_element(element: &str) -> Vec<u8> {
    let good = encoded(&crate::support::sessionless(1));
    let text = String::from_utf8(good).unwrap();
    assert!(
        text.contains("<VerDTD>1.2</VerDTD>"),
        "the fixture has a VerDTD"
    );
    text.replacen("<VerDTD>1.2</VerDTD>", element, 1)
        .into_bytes()
}

/// A message whose `VerDTD` content (and end tag) is `content`.
fn with_ver_dtd(content: &str) -> Vec<u8> {
    with_element(&format!("<VerDTD>{content}"))
}

/// Decodes `input` both ways, checks they agree, and returns the error kind.
fn both_ways(input: &[u8]) -> Option<ErrorKind> {
    let fast = decode_located(input, &Limits::DEFAULT);
    assert_eq!(
        fast,
        decode_located_events_only(input, &Limits::DEFAULT),
        "{}",
        String::from_utf8_lossy(input)
    );
    agree_all(input);
    fast.err().map(|e| *e.kind())
}

/// Start tags: the lexer's scan takes every tag it finds whole and valid UTF-8 (its end is the
/// first `>` outside quotes, as quick-xml finds it); quick-xml reads the rest.
#[test]
fn fast_path_start_tags_agree_with_the_event_path() {
    let cases: &[(&str, Option<ErrorKind>)] = &[
        ("<VerDTD/>", None),
        ("<VerDTD xmlns=\"SYNCML:SYNCML1.2\">1.2</VerDTD>", None),
        ("<VerDTD xmlns='SYNCML:SYNCML1.2'>1.2</VerDTD>", None),
        ("<VerDTD >1.2</VerDTD>", None),
        ("<VerDTD\n>1.2</VerDTD>", None),
        ("\n  <VerDTD>1.2</VerDTD>\n  ", None),
        (
            "<s:VerDTD xmlns:s=\"SYNCML:SYNCML1.2\">1.2</s:VerDTD>",
            None,
        ),
        (
            "<VerDTD xmlns=\"syncml:metinf\">1.2</VerDTD>",
            Some(ErrorKind::UnknownElement),
        ),
        ("<VerDTD a=\"x>y\">1.2</VerDTD>", Some(ErrorKind::Attribute)),
        (
            "<VerDTD xmlns=\"syncml:metinf\" a=\"1\">1.2</VerDTD>",
            Some(ErrorKind::Attribute),
        ),
        ("<VerDTDs>1.2</VerDTDs>", Some(ErrorKind::UnknownElement)),
        ("<VerDTD<a>1.2</VerDTD>", Some(ErrorKind::Syntax)),
        (
            "<VerDTD>1.2</VerDTD><VerDTD>1.2</VerDTD>",
            Some(ErrorKind::DuplicateElement),
        ),
        ("<VerDTD>1.2", Some(ErrorKind::MisplacedElement)),
    ];
    for (element, expected) in cases {
        assert_eq!(both_ways(&with_element(element)), *expected, "{element}");
    }
}

/// Content: each shape the fast path declines, decoded both ways, with what the event path says
/// about it.
#[test]
fn fast_path_declines_every_other_shape() {
    let cases: &[(&str, Option<ErrorKind>)] = &[
        // Shapes it takes.
        ("1.2</VerDTD>", None),
        ("<![CDATA[1.2]]></VerDTD>", None),
        (" 1.2 </VerDTD>", None),
        // Shapes it leaves to the event path, which accepts them.
        ("1.2</VerDTD >", None),
        ("1&#46;2</VerDTD>", None),
        ("1<![CDATA[.2]]></VerDTD>", None),
        ("<![CDATA[1.]]>2</VerDTD>", None),
        ("1.<!-- c -->2</VerDTD>", None),
        // ... and rejects them.
        ("1.2</VerProto>", Some(ErrorKind::Syntax)),
        ("1.2</VerDT>", Some(ErrorKind::Syntax)),
        ("1.2</VerDTDx>", Some(ErrorKind::Syntax)),
        ("1]]>2</VerDTD>", Some(ErrorKind::Syntax)),
        // The section runs on to the next `]]>` (in the item data), then no `</VerDTD>`.
        ("<![CDATA[1.2</VerDTD>", Some(ErrorKind::Syntax)),
        ("1&bogus;2</VerDTD>", Some(ErrorKind::Entity)),
        ("<b>1.2</b></VerDTD>", Some(ErrorKind::UnknownElement)),
    ];
    for (content, expected) in cases {
        assert_eq!(both_ways(&with_ver_dtd(content)), *expected, "{content}");
    }
}

/// The lexer's own scan against quick-xml's on the boundaries it decides: `>` inside quoted
/// attribute values (in start and end tags), white space and attributes in end tags, non-ASCII
/// and invalid UTF-8 inside tags and references, `&` that starts no reference, a second BOM.
#[test]
fn own_scan_agrees_with_quick_xml_on_tag_and_reference_boundaries() {
    let elements = [
        "<VerDTD a=\"x>y\" b='>'>1.2</VerDTD>",
        "<VerDTD a='\"'>1.2</VerDTD>",
        "<VerDTD>1.2</VerDTD a=\">\">",
        "<VerDTD>1.2</VerDTD\t\n>",
        "<VerDTD>1.2</ VerDTD>",
        "<VerDTD>1.2</VerDTD/>",
        "<VerDTD é='1'>1.2</VerDTD>",
        "<VerDTDé>1.2</VerDTDé>",
        "<é:VerDTD xmlns:é=\"SYNCML:SYNCML1.2\">1.2</é:VerDTD>",
        "<VerDTD>1&amp2</VerDTD>",
        "<VerDTD>1&amp<x/>;</VerDTD>",
        "<VerDTD>1&é;</VerDTD>",
        "<VerDTD>1&#x31;&#49;&lt;&gt;&apos;&quot;</VerDTD>",
        "<VerDTD><></VerDTD>",
        "<VerDTD></></VerDTD>",
        "<VerDTD><![CDATA[a]]]></VerDTD>",
        "<VerDTD><![CDATA[]]></VerDTD>",
        "<VerDTD><!---->1.2</VerDTD>",
        "<VerDTD><?pi x?>1.2</VerDTD>",
    ];
    for element in elements {
        both_ways(&with_element(element));
    }
    let good = with_element("<VerDTD>1.2</VerDTD>");
    let at = good.windows(8).position(|w| w == b"<VerDTD>").unwrap();
    for (offset, bad) in [(1, 0xFFu8), (3, 0xC3), (10, 0xFF), (12, 0x80)] {
        let mut input = good.clone();
        input[at + offset] = bad;
        both_ways(&input);
    }
    let mut two_boms = b"\xEF\xBB\xBF\xEF\xBB\xBF".to_vec();
    two_boms.extend_from_slice(&good);
    assert_eq!(both_ways(&two_boms), Some(ErrorKind::UnexpectedText));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(&good);
    assert_eq!(both_ways(&bom), None);
}

/// Text over the limit, and invalid UTF-8, are reported at the same place either way.
#[test]
fn fast_path_leaves_limits_and_encoding_errors_to_the_event_path() {
    let long = with_ver_dtd(&format!("{}</VerDTD>", "1".repeat(600)));
    let e = decode_located(&long, &SMALL).unwrap_err();
    assert_eq!(
        *e.kind(),
        ErrorKind::LimitExceeded(omadm_xml::Limit::TextLength)
    );
    assert_eq!(Err(e), decode_located_events_only(&long, &SMALL));

    let mut bad = with_ver_dtd("1.2</VerDTD>");
    let at = bad.windows(3).position(|w| w == b"1.2").unwrap();
    bad[at + 1] = 0xFF;
    let e = decode_located(&bad, &Limits::DEFAULT).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::Encoding);
    assert_eq!(e.offset(), at + 1);
    assert_eq!(Err(e), decode_located_events_only(&bad, &Limits::DEFAULT));
}

/// An end tag after the root's end: the event path names it (quick-xml's own check of unmatched
/// end tags is off, since the fast path closes elements it never sees).
#[test]
fn end_tag_after_the_root_is_a_syntax_error() {
    let mut input = encoded(&crate::support::sessionless(1));
    let root_end = input.len();
    input.extend_from_slice(b"</SyncML>");
    let e = decode_located(&input, &Limits::DEFAULT).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::Syntax);
    assert_eq!(e.offset(), root_end);
    assert_eq!(Err(e), decode_located_events_only(&input, &Limits::DEFAULT));
}
