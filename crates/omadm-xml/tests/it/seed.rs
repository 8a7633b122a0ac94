//! The seed spec's example message (section 5.3): repaired it decodes to the expected model;
//! as published (with its stray `</Cred>`) it fails with a located error.

use omadm_syncml::{Carriage, Command, Format, Mark, SyncMlVersion};
use omadm_xml::{ErrorKind, Limits, decode, decode_located};

use crate::support::shared_file;

/// The `<SyncML ...>...</SyncML>` text of section 5.3, as published.
fn example() -> String {
    let spec = String::from_utf8(shared_file("spec/sessionless-reporting.txt")).unwrap();
    let start = spec.find("<SyncML xmlns=").expect("example start");
    let end = spec[start..].find("</SyncML>").expect("example end") + start + "</SyncML>".len();
    spec[start..end].to_owned()
}

/// The example with the stray `</Cred>` line removed.
fn repaired() -> String {
    let ex = example();
    let lines: Vec<&str> = ex.lines().filter(|l| l.trim() != "</Cred>").collect();
    assert_eq!(
        lines.len() + 1,
        ex.lines().count(),
        "exactly one stray </Cred> line"
    );
    lines.join("\n")
}

#[test]
fn published_example_fails_with_a_located_error() {
    let ex = example();
    let e = decode(ex.as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::Syntax, "{e}");
    let at = ex.find("</Cred>").unwrap();
    assert_eq!(e.offset(), at, "{e}");
    assert_eq!(e.path(), "/SyncML/SyncHdr");
    assert!(e.to_string().contains(&format!("at byte {at}")), "{e}");
}

#[test]
fn repaired_example_decodes_to_the_expected_model() {
    let text = repaired();
    let d = decode_located(text.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(
        d.cred_data, None,
        "the example has no Cred (it only closes one)"
    );
    let m = d.message;
    assert_eq!(m.version, SyncMlVersion::V1_2);
    assert_eq!(m.hdr.ver_dtd, "1.2");
    assert_eq!(m.hdr.ver_proto, "DM/1.3", "leading space trimmed");
    assert!(m.hdr.session_id.is_sessionless());
    assert_eq!(m.hdr.msg_id.get(), 1);
    assert_eq!(m.hdr.target.loc_uri, "http://www.syncml.org/mgmt-server");
    assert_eq!(m.hdr.source.loc_uri, "IMEI:493005100592800");
    assert_eq!(m.hdr.cred, None);
    assert_eq!(m.body.commands.len(), 2);
    assert!(!m.body.is_final);
    let expect = [
        (
            1001,
            "./MOA/ExtA",
            Mark::Informational,
            "urn:oma:mo:samplealert1:1.0",
        ),
        (
            1002,
            "./MOB/ExtB",
            Mark::Critical,
            "urn:oma:mo:samplealert2:1.0",
        ),
    ];
    for (cmd, (id, src, mark, ty)) in m.body.commands.iter().zip(expect) {
        let Command::Alert(a) = cmd else {
            panic!("{cmd:?}")
        };
        assert_eq!(a.cmd_id.get(), id);
        assert_eq!(a.data.unwrap().get(), 1230);
        assert_eq!(a.items.len(), 1);
        let item = &a.items[0];
        assert_eq!(item.source.as_ref().unwrap().loc_uri, src);
        let meta = item.meta.as_ref().unwrap();
        assert_eq!(meta.mark, Some(mark));
        assert_eq!(
            meta.ty.as_deref(),
            Some(ty),
            "comment skipped, text joined and trimmed"
        );
        assert_eq!(meta.format, Some(Format::Xml));
        let data = item.data.as_ref().unwrap();
        assert_eq!(
            data.carriage,
            Carriage::Mixed,
            "newlines around the CDATA section"
        );
        assert!(
            data.value
                .contains("<!-- Sessionless Report Alert data goes here -->")
        );
        assert!(data.value.starts_with(" \n"), "{:?}", data.value);
    }
}
