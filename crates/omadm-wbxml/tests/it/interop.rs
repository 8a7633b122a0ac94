//! The interop corpus (`../shared/corpus/interop/`): every WBXML file has its outcome as
//! `MANIFEST.json` labels it ("decodes with the SyncML tables" or "malformed; fuzz crash"), and
//! every XML message that `omadm-xml` decodes goes XML -> model -> WBXML -> model unchanged.

use omadm_syncml::ValueError;
use omadm_wbxml::{ErrorKind, Options, decode, decode_header, decode_located, encode, encode_with};

use crate::support::{corpus_dir, limits, read};

enum Expect {
    /// Decodes, agrees with the header scan, round-trips, and its Cred/Data has a MAC span.
    Decodes,
    /// Fails with this kind.
    Fails(ErrorKind),
}

use Expect::{Decodes, Fails};

/// `(file, outcome, reason where it departs from the MANIFEST label)`.
const WBXML: &[(&str, Expect, &str)] = &[
    ("aosp-dm11-get.wbxml", Decodes, ""),
    ("aosp-dm11-replace.wbxml", Decodes, ""),
    ("aosp-dm12-add.wbxml", Decodes, ""),
    ("aosp-dm12-delete.wbxml", Decodes, ""),
    ("aosp-dm12-get-cred-basic.wbxml", Decodes, ""),
    ("aosp-dm12-replace.wbxml", Decodes, ""),
    (
        "buteo-basic-transport.wbxml",
        Fails(ErrorKind::InvalidValue(ValueError::SessionId)),
        "well-formed WBXML, but its SessionID is empty, as in its XML twin (the model needs 1 to 32 characters)",
    ),
    (
        "libwbxml-fuzz-crash-sigabrt-syncml.wbxml",
        Fails(ErrorKind::UnsupportedCharset(0)),
        "",
    ),
    (
        "libwbxml-fuzz-crash-sigsegv-1.wbxml",
        Fails(ErrorKind::UnsupportedVersion(0x83)),
        "",
    ),
    (
        "libwbxml-fuzz-crash-sigsegv-2.wbxml",
        Fails(ErrorKind::UnsupportedVersion(0x07)),
        "",
    ),
];

#[test]
fn the_table_lists_every_wbxml_file_of_the_corpus() {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".wbxml"))
        .collect();
    names.sort();
    let table: Vec<&str> = WBXML.iter().map(|r| r.0).collect();
    assert_eq!(names, table);
}

#[test]
fn every_wbxml_file_has_the_outcome_its_manifest_label_gives() {
    let manifest = std::fs::read_to_string(corpus_dir().join("MANIFEST.json")).unwrap();
    for (name, expect, reason) in WBXML {
        let label = manifest_label(&manifest, name);
        let bytes = read(name);
        match expect {
            Decodes => {
                assert_eq!(
                    label, "binary WBXML (decodes with the SyncML tables)",
                    "{name}"
                );
                let d = decode_located(&bytes, &limits()).unwrap_or_else(|e| panic!("{name}: {e}"));
                let head = decode_header(&bytes, &limits()).unwrap();
                assert_eq!(head.hdr, d.message.hdr, "{name}");
                assert_eq!(head.cred_data, d.cred_data, "{name}");
                if let Some(cred) = &d.message.hdr.cred {
                    let span = d.cred_data.clone().unwrap().unwrap();
                    assert_eq!(&bytes[span], cred.data.as_bytes(), "{name}");
                }
                assert_round_trips(name, &d.message);
            }
            Fails(kind) => {
                let err = decode(&bytes, &limits()).unwrap_err();
                assert_eq!(err.kind(), kind, "{name}: {err}");
                if reason.is_empty() {
                    assert_eq!(label, "binary WBXML (malformed; fuzz crash)", "{name}");
                }
                // A header scan refuses it too, with the same error when it fails in the header.
                assert!(decode_header(&bytes, &limits()).is_err(), "{name}");
            }
        }
    }
}

/// Every XML message of the corpus that `omadm-xml` decodes: XML -> model -> WBXML -> model is
/// the identity, with and without a string table.
#[test]
fn xml_corpus_messages_survive_wbxml() {
    let mut checked = 0;
    for (name, bytes) in xml_messages() {
        let Ok(model) = omadm_xml::decode(&bytes, &omadm_xml::Limits::default()) else {
            continue;
        };
        assert_round_trips(&name, &model);
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} XML corpus messages decode");
}

pub(crate) fn xml_messages() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    names.sort();
    names.into_iter().map(|n| (n.clone(), read(&n))).collect()
}

fn assert_round_trips(name: &str, m: &omadm_syncml::SyncMl<'_>) {
    for table in [false, true] {
        let mut out = Vec::new();
        encode_with(m, &Options::default().with_string_table(table), &mut out);
        let back = decode(&out, &limits()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&back, m, "{name} (string table {table})");
    }
    let mut a = Vec::new();
    encode(m, &mut a);
    let mut b = Vec::new();
    encode(&decode(&a, &limits()).unwrap(), &mut b);
    assert_eq!(a, b, "{name}: encoding is canonical");
}

/// The `wf` label of a file in `MANIFEST.json` (a flat list of objects; read without a JSON
/// dependency: the label follows the name within its object).
fn manifest_label<'m>(manifest: &'m str, name: &str) -> &'m str {
    let key = format!("\"name\": \"{name}\"");
    let at = manifest
        .find(&key)
        .unwrap_or_else(|| panic!("{name} not in MANIFEST.json"));
    let rest = &manifest[at..];
    let wf = rest.find("\"wf\": \"").unwrap() + 7;
    let end = rest[wf..].find('"').unwrap();
    &rest[wf..wf + end]
}
