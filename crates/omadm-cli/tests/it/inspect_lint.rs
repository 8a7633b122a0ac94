//! `omadm lint` and `omadm inspect`.

use crate::support::{devs, parts, run, shared, sign_in_message, template, write};

#[test]
fn lint_accepts_the_spec_vectors() {
    let vectors = shared().join("spec/vectors");
    let a = vectors.join("in-message.xml");
    let b = vectors.join("header-carrier.xml");
    let (code, out, err) = parts(&run(&["lint", a.to_str().unwrap(), b.to_str().unwrap()]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.matches("conforms to the sessionless profile").count(),
        2,
        "{out}"
    );
}

#[test]
fn lint_lists_every_violation_with_its_conformance_id() {
    let dir = tempfile::tempdir().unwrap();
    let d = &devs("dev", 1)[0];
    // Item data not in CDATA, no Meta/Type, and a Generic Alert in the body.
    let item = "<Meta><Format xmlns=\"syncml:metinf\">chr</Format></Meta><Data>plain</Data>";
    let text = template(d, 1, item).replace(
        "</SyncBody>",
        "<Alert><CmdID>2</CmdID><Data>1226</Data><Item><Data>x</Data></Item></Alert></SyncBody>",
    );
    let file = dir.path().join("bad.xml");
    std::fs::write(&file, sign_in_message(&text, d)).unwrap();
    let (code, out, err) = parts(&run(&["lint", file.to_str().unwrap()]));
    assert_eq!(code, 1, "{err}");
    for expected in [
        "data-cdata (DM-SR-C-004-M)",
        "meta-type (DM-SR-C-005-M)",
        "alert-code (DM-SR-C-002-M)",
        "SyncBody/Alert[1]/Item/Data (CmdID 1)",
        "SyncBody/Alert[2]",
    ] {
        assert!(out.contains(expected), "want {expected:?} in\n{out}");
    }
    assert!(
        out.lines().all(|l| l.starts_with(file.to_str().unwrap())),
        "{out}"
    );
}

#[test]
fn lint_of_broken_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "x.xml", "<SyncML>\n  <oops>");
    let (code, out, _) = parts(&run(&["lint", &file]));
    assert_eq!(code, 1);
    assert!(out.contains("x.xml:"), "{out}");
    assert!(out.contains("not a SyncML DM message"), "{out}");
    let (code, _, err) = parts(&run(&["lint", "/nonexistent.xml"]));
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: cannot read /nonexistent.xml: no such file or directory\n"
    );
}

#[test]
fn inspect_readable_and_json() {
    let file = shared().join("spec/vectors/in-message.xml");
    let file = file.to_str().unwrap();
    let (code, out, err) = parts(&run(&["inspect", file]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("msg_id: 7"), "{out}");
    assert!(out.contains("type: urn:oma:mo:battery:1.0"), "{out}");
    assert!(out.contains("value: t=81C; zone=<cpu> & ]]> done"), "{out}");
    let (code, out, err) = parts(&run(&["inspect", "--json", file]));
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["hdr"]["msg_id"], 7);
    assert_eq!(json["hdr"]["source"]["loc_name"], "alice");

    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.xml", "not xml");
    let (code, out, err) = parts(&run(&["inspect", &bad]));
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: ")
            && err.contains("bad.xml: not a SyncML DM message: neither XML nor WBXML: text"),
        "{err}"
    );
    // XML that does not decode: the line and column.
    let bad = write(dir.path(), "bad2.xml", "<SyncML>\n  <SyncHdr>");
    let (code, _, err) = parts(&run(&["inspect", &bad]));
    assert_eq!(code, 1);
    assert!(err.contains("bad2.xml:2:"), "{err}");
}
