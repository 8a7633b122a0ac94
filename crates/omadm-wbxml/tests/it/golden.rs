//! The worked example of `../shared/spec/digest.md` §6.6: 265 bytes that libwbxml
//! (`xml2wbxml -n -v 1.2`) wrote for a 940-byte XML message. Our decoder reads it to the model
//! the XML codec reads from the XML, and our encoder writes the very same bytes back.

use omadm_syncml::{Carriage, Command, Format, Mark};
use omadm_wbxml::{decode_header, decode_located, encode};

use crate::support::limits;

/// The hex of the worked example, byte-exact.
pub(crate) const WORKED_EXAMPLE: &str = "02a4016a006d6c7103312e3200017203444d2f312e33000165033000015b033100016e5703687474703a2f2f646d2e6578616d706c652f73000101675703494d45493a343933303035313030353932383030000156036465760001014e5a000147036236340001530373796e636d6c3a617574682d6d643500010100004f035a7a36456976523379656161454e63524e366c7041513d3d000101016b464b033100014f03313233300001546757032e2f4d4f412f457874410001015a00014703786d6c0001530375726e3a6f6d613a6d6f3a73616d706c65616c657274313a312e3000014b03696e666f726d6174696f6e616c00010100004fc3083c723e313c2f723e010101120101";

/// The XML the example was encoded from (one line).
const WORKED_EXAMPLE_XML: &str = r#"<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.3</VerProto><SessionID>0</SessionID><MsgID>1</MsgID><Target><LocURI>http://dm.example/s</LocURI></Target><Source><LocURI>IMEI:493005100592800</LocURI><LocName>dev</LocName></Source><Cred><Meta><Format xmlns="syncml:metinf">b64</Format><Type xmlns="syncml:metinf">syncml:auth-md5</Type></Meta><Data>Zz6EivR3yeaaENcRN6lpAQ==</Data></Cred></SyncHdr><SyncBody><Alert><CmdID>1</CmdID><Data>1230</Data><Item><Source><LocURI>./MOA/ExtA</LocURI></Source><Meta><Format xmlns="syncml:metinf">xml</Format><Type xmlns="syncml:metinf">urn:oma:mo:samplealert1:1.0</Type><Mark xmlns="syncml:metinf">informational</Mark></Meta><Data><![CDATA[<r>1</r>]]></Data></Item></Alert><Final/></SyncBody></SyncML>"#;

pub(crate) fn worked_example() -> Vec<u8> {
    hex(WORKED_EXAMPLE)
}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn worked_example_decodes_to_the_xml_model() {
    let bytes = worked_example();
    assert_eq!(bytes.len(), 265);
    let d = decode_located(&bytes, &limits()).unwrap();
    let xml =
        omadm_xml::decode(WORKED_EXAMPLE_XML.as_bytes(), &omadm_xml::Limits::default()).unwrap();
    assert_eq!(d.message, xml);
    let m = &d.message;
    assert_eq!(m.hdr.source.loc_name.as_deref(), Some("dev"));
    let Command::Alert(alert) = &m.body.commands[0] else {
        panic!("not an alert")
    };
    let item = &alert.items[0];
    let meta = item.meta.as_ref().unwrap();
    assert_eq!(meta.format, Some(Format::Xml));
    assert_eq!(meta.mark, Some(Mark::Informational));
    let data = item.data.as_ref().unwrap();
    assert_eq!((&*data.value, data.carriage), ("<r>1</r>", Carriage::Cdata));
    assert!(m.body.is_final);
    // The MAC span is the bytes of the Cred/Data STR_I.
    let span = d.cred_data.clone().unwrap().unwrap();
    assert_eq!(&bytes[span], b"Zz6EivR3yeaaENcRN6lpAQ==");
}

#[test]
fn worked_example_re_encodes_byte_exact() {
    let bytes = worked_example();
    let m = decode_located(&bytes, &limits()).unwrap();
    let mut out = Vec::new();
    let enc = encode(&m.message, &mut out);
    assert_eq!(out, bytes, "our encoder writes what libwbxml wrote");
    assert_eq!(enc.cred_data, m.cred_data.unwrap().ok());
}

#[test]
fn worked_example_header_scan_finds_the_same_span() {
    let bytes = worked_example();
    let full = decode_located(&bytes, &limits()).unwrap();
    let head = decode_header(&bytes, &limits()).unwrap();
    assert_eq!(head.cred_data, full.cred_data);
    assert_eq!(head.hdr, full.message.hdr);
    assert_eq!(head.into_body().unwrap(), full);
}

pub(crate) fn worked_example_model() -> omadm_syncml::SyncMl<'static> {
    omadm_wbxml::decode(&worked_example(), &limits())
        .unwrap()
        .into_owned()
}
