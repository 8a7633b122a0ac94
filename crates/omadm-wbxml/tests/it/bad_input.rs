//! Every class of bad input gives its typed, located error (one line per case through `check`),
//! and no input panics: every truncation and every single-byte change of the worked example.

use omadm_syncml::ValueError;
use omadm_wbxml::{CredDataForm, ErrorKind, Limit, Limits, decode, decode_header, decode_located};

use crate::golden::{hex, worked_example};
use crate::support::limits;

/// The document header of the worked example (WBXML 1.2, SyncML 1.2, UTF-8, no string table).
const HEAD: &str = "02a4016a00";
/// `<SyncML><SyncHdr>` ... a minimal valid header ... `</SyncHdr>`.
const HDR: &str =
    "6d6c7103312e3200017203444d2f312e33000165033000015b033100016e5703610001016757036200010101";

fn check(input: &str, kind: ErrorKind, offset: usize, path: &str) {
    let bytes = hex(input);
    let err = decode(&bytes, &limits()).unwrap_err();
    assert_eq!(
        (err.kind(), err.offset(), err.path()),
        (&kind, offset, path),
        "{input}: {err}"
    );
}

#[test]
fn bad_document_headers() {
    check("", ErrorKind::UnexpectedEof, 0, "/");
    check("00a4016a00", ErrorKind::UnsupportedVersion(0), 0, "/");
    check("04a4016a00", ErrorKind::UnsupportedVersion(4), 0, "/");
    check("02a401", ErrorKind::UnexpectedEof, 3, "/");
    check("027f6a00", ErrorKind::UnsupportedPublicId, 1, "/");
    check("02a4010300", ErrorKind::UnsupportedCharset(3), 3, "/");
    check("02a401846a00", ErrorKind::UnsupportedCharset(0x26A), 3, "/");
    check("0280016a00", ErrorKind::OverlongInteger, 1, "/");
    check("02ffffffff7f6a00", ErrorKind::IntegerOverflow, 1, "/");
    check("02ffffffffff016a00", ErrorKind::IntegerOverflow, 1, "/");
    check("02a4016a05616263", ErrorKind::UnexpectedEof, 8, "/");
    // Public id from the string table: index beyond the table, or an unknown FPI.
    check("0200056a0378797a00", ErrorKind::StringTableIndex, 1, "/");
    check("0200006a0378797a00", ErrorKind::UnsupportedPublicId, 1, "/");
}

#[test]
fn string_table_public_ids_name_the_version() {
    let fpi = b"-//SYNCML//DTD SyncML 1.1//EN";
    let mut bytes = vec![0x02, 0x00, 0x00, 0x6A, fpi.len() as u8];
    bytes.extend_from_slice(fpi); // no NUL: the string runs to the end of the table
    bytes.extend(hex(HDR));
    bytes.extend(hex("6b46" /* <SyncBody><Alert> */));
    bytes.extend(hex("4b03310001" /* CmdID 1 */));
    bytes.extend(hex("010101"));
    let m = decode(&bytes, &limits()).unwrap();
    assert_eq!(m.version, omadm_syncml::SyncMlVersion::V1_1);
}

#[test]
fn bad_tokens() {
    let doc = |body: &str| format!("{HEAD}{body}");
    check(&doc("ed"), ErrorKind::Attribute, 5, "/");
    check(&doc("6dec"), ErrorKind::Attribute, 6, "/SyncML");
    check(&doc("6d0002"), ErrorKind::UnknownCodePage(2), 6, "/SyncML");
    check(&doc("6d70"), ErrorKind::UnknownElement, 6, "/SyncML");
    check(&doc("6d3f"), ErrorKind::UnknownElement, 6, "/SyncML");
    check(&doc("6d0400"), ErrorKind::UnknownElement, 6, "/SyncML");
    check(
        &doc("6d40"),
        ErrorKind::UnsupportedToken(0x40),
        6,
        "/SyncML",
    );
    check(
        &doc("6d43"),
        ErrorKind::UnsupportedToken(0x43),
        6,
        "/SyncML",
    );
    check(
        &doc("6dc0"),
        ErrorKind::UnsupportedToken(0xC0),
        6,
        "/SyncML",
    );
    check(
        &doc("6d82"),
        ErrorKind::UnsupportedToken(0x82),
        6,
        "/SyncML",
    );
    check(&doc("01"), ErrorKind::UnbalancedEnd, 5, "/");
    check(
        &doc("6d6c7103ff00"),
        ErrorKind::Encoding,
        8,
        "/SyncML/SyncHdr/VerDTD",
    );
    check(
        &doc("6d6c71029fffffff7f"),
        ErrorKind::IntegerOverflow,
        9,
        "/SyncML/SyncHdr/VerDTD",
    );
    check(
        &doc("6d6c7102c4808000"),
        ErrorKind::Entity,
        8,
        "/SyncML/SyncHdr/VerDTD",
    );
    check(
        &doc("6d6c718305"),
        ErrorKind::StringTableIndex,
        8,
        "/SyncML/SyncHdr/VerDTD",
    );
    check(
        &doc("6d6c7103312e32"),
        ErrorKind::UnexpectedEof,
        12,
        "/SyncML/SyncHdr/VerDTD",
    );
    check(
        &doc("6d6c71c305"),
        ErrorKind::UnexpectedEof,
        10,
        "/SyncML/SyncHdr/VerDTD",
    );
    check(&doc("6d03783000"), ErrorKind::UnexpectedText, 6, "/SyncML");
}

#[test]
fn bad_structure() {
    let doc = |body: &str| format!("{HEAD}{body}");
    check(&doc("6c"), ErrorKind::MisplacedElement, 5, "/");
    check(
        &doc("6d6b01"),
        ErrorKind::MissingElement("SyncHdr"),
        6,
        "/SyncML",
    );
    check(
        &doc("6d01"),
        ErrorKind::MissingElement("SyncHdr"),
        6,
        "/SyncML",
    );
    check(
        &doc(&format!("{HDR}01")),
        ErrorKind::MissingElement("SyncBody"),
        49,
        "/SyncML",
    );
    check(
        &doc(&format!("{HDR}{}", &HDR[2..])),
        ErrorKind::DuplicateElement,
        49,
        "/SyncML",
    );
    check(
        &doc(&format!("{HDR}6b0101ff")),
        ErrorKind::TrailingContent,
        52,
        "/",
    );
    check(
        &doc(&format!("{HDR}6b6a")),
        ErrorKind::UnsupportedCommand("Sync"),
        50,
        "/SyncML/SyncBody",
    );
    check(
        &doc(&format!("{HDR}6b12460101")),
        ErrorKind::MisplacedElement,
        51,
        "/SyncML/SyncBody",
    );
    // A MetInf element outside Meta, and a SyncML element inside Meta.
    check(
        &doc("6d6c00014701"),
        ErrorKind::MisplacedElement,
        9,
        "/SyncML/SyncHdr",
    );
    check(
        &doc("6d6c5a4b"),
        ErrorKind::MisplacedElement,
        8,
        "/SyncML/SyncHdr/Meta",
    );
    check(
        &doc("6d6c5b0361620001"),
        ErrorKind::InvalidValue(ValueError::MsgId),
        7,
        "/SyncML/SyncHdr/MsgID",
    );
    check(
        &doc("6d6c5b5b03"),
        ErrorKind::MisplacedElement,
        8,
        "/SyncML/SyncHdr/MsgID",
    );
}

#[test]
fn limits_are_enforced() {
    let bytes = worked_example();
    let one = |l: Limits| *decode(&bytes, &l).unwrap_err().kind();
    assert_eq!(
        one(Limits::default().with_max_size(264)),
        ErrorKind::LimitExceeded(Limit::Size)
    );
    assert_eq!(
        one(Limits::default().with_max_depth(4)),
        ErrorKind::LimitExceeded(Limit::Depth)
    );
    assert_eq!(
        one(Limits::default().with_max_elements(10)),
        ErrorKind::LimitExceeded(Limit::Elements)
    );
    assert_eq!(
        one(Limits::default().with_max_text(5)),
        ErrorKind::LimitExceeded(Limit::TextLength)
    );
    let table = hex("0200006a1e2d2f2f53594e434d4c2f2f4454442053796e634d4c20312e322f2f454e00");
    let err = decode(&table, &Limits::default().with_max_string_table(29)).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::LimitExceeded(Limit::StringTable));
    assert!(decode(&bytes, &Limits::default().with_max_size(265)).is_ok());
}

#[test]
fn cred_data_in_any_other_form_has_no_span() {
    // The worked example's Cred/Data `4f 03 <24 bytes> 00 01` rewritten in other forms.
    let base = worked_example();
    let at = base.windows(2).position(|w| w == [0x4f, 0x03]).unwrap();
    let data_end = at + 2 + 24 + 2; // after the Data's END
    let with = |content: &[u8], bare: bool| {
        let mut b = base[..at].to_vec();
        if bare {
            b.push(0x0f);
        } else {
            b.push(0x4f);
            b.extend_from_slice(content);
            b.push(0x01);
        }
        b.extend_from_slice(&base[data_end..]);
        b
    };
    let form = |b: &[u8]| {
        let d = decode_located(b, &limits()).unwrap();
        let h = decode_header(b, &limits()).unwrap();
        assert_eq!(h.cred_data, d.cred_data, "one locator");
        d.cred_data.unwrap()
    };
    assert_eq!(form(&with(&[], true)), Err(CredDataForm::NoContent));
    assert_eq!(
        form(&with(&[0xc3, 0x01, b'x'], false)),
        Err(CredDataForm::Opaque)
    );
    assert_eq!(form(&with(&[0x02, 0x41], false)), Err(CredDataForm::Entity));
    assert_eq!(
        form(&with(&[0x03, b'a', 0, 0x03, b'b', 0], false)),
        Err(CredDataForm::Pieces)
    );
    let empty = with(&[0x03, 0], false);
    assert_eq!(form(&empty), Ok(at + 2..at + 2));
    // A string-table reference: the same header with a one-string table.
    let mut t = vec![0x02, 0xa4, 0x01, 0x6a, 0x02, b'z', 0];
    t.extend_from_slice(&with(&[0x83, 0x00], false)[5..]);
    assert_eq!(form(&t), Err(CredDataForm::StringTable));
}

#[test]
fn no_change_of_one_byte_panics() {
    let bytes = worked_example();
    for i in 0..bytes.len() {
        for v in [
            0x00,
            0x01,
            0x03,
            0x40,
            0x7f,
            0x80,
            0x83,
            0xc3,
            0xff,
            bytes[i] ^ 0x40,
        ] {
            let mut b = bytes.clone();
            b[i] = v;
            let _ = decode_located(&b, &limits());
            let _ = decode_header(&b, &limits()).map(|h| h.into_body());
        }
    }
}
