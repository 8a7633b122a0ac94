//! Report data edge cases: each is emitted under every carrier, verified, and decoded back
//! to exactly the input.

use omadm_emitter::{Algorithm, Carrier, Construction, ReportError, SessionlessReport};
use omadm_syncml::{Encoding, Format};

use crate::support::{Mode, TRANSPORT, chr_report, emit_verified, vector_account};

/// Every carrier, with both hashes and both constructions.
fn modes() -> Vec<Mode> {
    let mut modes = vec![TRANSPORT];
    for algorithm in Algorithm::ALL {
        for construction in Construction::ALL {
            modes.push((Carrier::InMessage, algorithm, construction));
            modes.push((Carrier::Header, algorithm, construction));
        }
    }
    modes
}

/// Emits `reports` under every mode, in XML and in WBXML; each message verifies and decodes back
/// to the input.
fn check(reports: &[SessionlessReport<'_>]) {
    for mode in modes() {
        for encoding in [Encoding::Xml, Encoding::Wbxml] {
            let mut account = vector_account(mode);
            account.encoding = encoding;
            emit_verified(&account, reports);
        }
    }
}

/// The body of the only message `reports` give under the default mode.
fn body(reports: &[SessionlessReport<'_>]) -> String {
    let messages = emit_verified(&vector_account(Mode::default()), reports);
    assert_eq!(messages.len(), 1);
    String::from_utf8(messages[0].body.clone()).unwrap()
}

#[test]
fn empty_data() {
    check(&[chr_report("")]);
    assert!(body(&[chr_report("")]).contains("<Data><![CDATA[]]></Data>"));
}

#[test]
fn data_with_cdata_end() {
    for data in ["]]>", "a]]>b", "]]>]]>", "]]]]>", "]]", "]", ">", "x]]>"] {
        check(&[chr_report(data)]);
    }
    assert!(body(&[chr_report("a]]>b")]).contains("<Data><![CDATA[a]]]]><![CDATA[>b]]></Data>"));
}

#[test]
fn data_with_cdata_start() {
    for data in ["<![CDATA[", "<![CDATA[x]]>", "<![CDATA[<![CDATA[]]>]]>"] {
        check(&[chr_report(data)]);
    }
}

#[test]
fn data_with_markup_and_entities() {
    let data = "<?xml version=\"1.0\"?><a x='1'>&amp; &lt; &#0; <!-- c --></a>";
    let report = SessionlessReport::new(None, "com.example.doc", Format::Xml, None, data).unwrap();
    check(&[report]);
}

#[test]
fn binary_as_b64() {
    // NUL-free binary (every byte value but 0) sent as b64.
    assert_eq!(
        [base64(b"f"), base64(b"fo"), base64(b"foo"), base64(b"foob")],
        ["Zg==", "Zm8=", "Zm9v", "Zm9vYg=="]
    );
    let bytes: Vec<u8> = (1..=255).collect();
    let b64 = base64(&bytes);
    let report = SessionlessReport::new(
        None,
        "Content-Type: application/octet-stream",
        Format::B64,
        None,
        b64,
    )
    .unwrap();
    check(&[report]);
}

#[test]
fn non_ascii_utf8() {
    for data in [
        "héllo wörld",
        "日本語のレポート",
        "🎉🚀 emoji",
        "\u{a0}nbsp\u{2028}ls",
        "\u{fffd}",
        "\u{10ffff}",
    ] {
        check(&[chr_report(data)]);
    }
}

#[test]
fn whitespace_and_line_ends_are_kept() {
    for data in [" ", "\t", "\n", " lead", "trail ", "a\r\nb", "\r", "\n\n\n"] {
        check(&[chr_report(data)]);
    }
}

#[test]
fn very_long_type() {
    // 256 bytes is the longest Type accepted; 257 is refused when the report is built.
    let longest = format!("urn:example:{}", "a".repeat(256 - 12));
    assert_eq!(longest.len(), 256);
    let report = SessionlessReport::new(None, longest.clone(), Format::Chr, None, "x").unwrap();
    check(&[report]);
    let longer = format!("{longest}a");
    let err = SessionlessReport::new(None, longer, Format::Chr, None, "x").unwrap_err();
    assert_eq!(err, ReportError::TypeTooLong);
}

#[test]
fn non_xml_characters_are_refused_when_the_report_is_built() {
    for data in ["\0", "a\u{1}b", "\u{fffe}", "\u{ffff}", "\u{b}"] {
        let err =
            SessionlessReport::new(None, "com.example.x", Format::Chr, None, data).unwrap_err();
        assert_eq!(err, ReportError::DataChar, "{data:?}");
    }
}

#[test]
fn every_format_and_mark() {
    use omadm_syncml::Mark;
    let mut reports = Vec::new();
    for format in Format::KNOWN {
        reports.push(SessionlessReport::new(None, "com.example.f", format, None, "1").unwrap());
    }
    for mark in Mark::LEVELS {
        reports.push(
            SessionlessReport::new(None, "com.example.m", Format::Chr, Some(mark), "1").unwrap(),
        );
    }
    check(&reports);
}

#[test]
fn many_reports_in_one_message() {
    // CmdIDs grow past one digit, two and three.
    let reports: Vec<_> = (0..1200).map(|i| chr_report(&i.to_string())).collect();
    let mut account = vector_account(Mode::default());
    account.max_msg_size = 1 << 20;
    let messages = emit_verified(&account, &reports);
    assert_eq!(messages.len(), 1);
}

/// Padded standard base64 (the emitter has no base64 dependency; this test needs an encoder).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(group >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
