//! Binary `Item/Data`: `OPAQUE` bytes that are not UTF-8 text (Format `bin`, an embedded WBXML
//! document; digest §3.3 and §6.6) are kept, as the base64 of the bytes under
//! `Carriage::Binary`; every other place where text is expected still refuses them.

use omadm_syncml::{Carriage, Command, ItemData, SyncMl};
use omadm_wbxml::{ErrorKind, Limit, Limits, decode, encode};

use crate::golden::{WORKED_EXAMPLE, hex};
use crate::support::limits;

/// The worked example's `Item/Data` (`OPAQUE` of `<r>1</r>`).
const TEXT_DATA: &str = "4fc3083c723e313c2f723e01";

/// The worked example with `data` (hex, `<Data>` … `</Data>` included) as its item's data.
fn with_data(data: &str) -> Vec<u8> {
    assert_eq!(WORKED_EXAMPLE.matches(TEXT_DATA).count(), 1);
    hex(&WORKED_EXAMPLE.replace(TEXT_DATA, data))
}

fn item_data<'m>(m: &'m SyncMl<'_>) -> &'m ItemData<'m> {
    match &m.body.commands[0] {
        Command::Alert(a) => a.items[0].data.as_ref().unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn binary_opaque_data_is_kept_as_its_base64_and_written_back_byte_exact() {
    // An embedded WBXML document's first bytes, a NUL, a lone continuation byte.
    let bytes = with_data("4fc306 02a4016a0080 01".replace(' ', "").as_str());
    let m = decode(&bytes, &limits()).unwrap();
    let data = item_data(&m);
    assert_eq!(data.carriage, Carriage::Binary);
    assert_eq!(data.value, "AqQBagCA");
    let mut out = Vec::new();
    encode(&m, &mut out);
    assert_eq!(
        out, bytes,
        "the worked example's encoder writes the same bytes back"
    );
    assert_eq!(decode(&out, &limits()).unwrap(), m);

    // Several OPAQUE pieces are joined (and written back as one).
    let split = with_data("4fc30302a401c3036a0080 01".replace(' ', "").as_str());
    let m2 = decode(&split, &limits()).unwrap();
    assert_eq!(item_data(&m2), data);

    // XML has no raw bytes: its encoder writes the base64 as text (Format b64's form).
    let mut xml = Vec::new();
    omadm_xml::encode(&m, &mut xml);
    let xml = String::from_utf8(xml).unwrap();
    assert!(xml.contains("<Data>AqQBagCA</Data>"), "{xml}");
}

#[test]
fn text_is_still_text_and_other_shapes_are_still_refused() {
    // UTF-8 bytes in an OPAQUE are text (CDATA), as before.
    let text = with_data(TEXT_DATA);
    let m = decode(&text, &limits()).unwrap();
    assert_eq!(item_data(&m).carriage, Carriage::Cdata);
    let refused = |data: &str, at: usize| {
        let err = decode(&with_data(data), &limits()).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Encoding, "{data}: {err}");
        assert_eq!(err.offset(), at, "{data}: {err}");
        assert_eq!(
            err.path(),
            "/SyncML/SyncBody/Alert/Item/Data",
            "{data}: {err}"
        );
    };
    let data_at = WORKED_EXAMPLE.find(TEXT_DATA).unwrap() / 2;
    // A string beside binary OPAQUE; a non-UTF-8 string; the Xml marker (empty OPAQUE first)
    // before binary; a character split across two OPAQUEs (each piece must be UTF-8 alone).
    refused("4f03616200c302ff8001", data_at + 5);
    refused("4fc302ff800361620001", data_at + 1);
    refused("4f03ff0001", data_at + 1);
    refused("4fc300c302ff8001", data_at + 3);
    refused("4fc301c3c301a901", data_at + 1);

    // Where a string is expected, non-UTF-8 OPAQUE is refused as before (here: VerDTD).
    let verdtd = WORKED_EXAMPLE.replacen("7103312e320001", "71c302ff8001", 1);
    let err = decode(&hex(&verdtd), &limits()).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Encoding, "{err}");
    assert_eq!(err.path(), "/SyncML/SyncHdr/VerDTD", "{err}");
}

#[test]
fn binary_data_counts_against_the_text_limit_as_its_base64() {
    // 30 bytes: 40 characters of base64, more than any other text of the message (27).
    let bytes = with_data(&format!("4fc31e{}01", "ff".repeat(30)));
    let mut tight = Limits::default();
    tight.max_text = 39;
    let err = decode(&bytes, &tight).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::LimitExceeded(Limit::TextLength),
        "{err}"
    );
    assert_eq!(err.path(), "/SyncML/SyncBody/Alert/Item/Data", "{err}");
    tight.max_text = 40;
    assert_eq!(
        item_data(&decode(&bytes, &tight).unwrap()).value,
        "/".repeat(40)
    );
}
