//! WBXML through the tool: `emit`/`send --encoding wbxml` (and a device's `encoding`), the
//! first-bytes look of `verify`, `lint`, `inspect` and `convert`, and `serve` with both media
//! types, a mislabelled body and none at all.

use std::path::{Path, PathBuf};

use omadm_syncml::{MEDIA_TYPE_WBXML, MEDIA_TYPE_XML};

use crate::support::{
    Server, client_toml, db_rows, devs, parts, post, post_untyped, run, server_toml, write,
};

const REPORTS: &str = r#"[
  {"source_uri": "./Ext/Battery", "type": "urn:oma:mo:battery:1.0", "format": "int", "mark": "warning", "data": "12"},
  {"type": "Reversed-Domain-Name:com.example.thermal", "format": "chr", "data": "t=81C; zone=<cpu> & ]]> done\nline 2"}
]"#;

/// `omadm emit` for dev0 into `dir/name` with `extra` flags; the files it wrote, sorted.
fn emit(dir: &Path, devices: &str, name: &str, extra: &[&str]) -> Vec<PathBuf> {
    let reports = write(dir, "r.json", REPORTS);
    let out = dir.join(name);
    let mut args = vec![
        "emit",
        "--devices",
        devices,
        "--device",
        "dev0",
        "--server-uri",
        "http://s/dm",
        "--reports",
        &reports,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, stdout, err) = parts(&run(&args));
    assert_eq!(code, 0, "{err}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.iter().filter(|f| f.extension().unwrap() != "headers") {
        assert!(stdout.contains(&f.display().to_string()), "{stdout}");
    }
    files
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn emit_wbxml_then_verify_gives_the_reports_of_the_xml_message() {
    let dir = tempfile::tempdir().unwrap();
    let d = devs("dev", 1);
    let client = write(dir.path(), "client.toml", &client_toml(&d));
    let server = write(dir.path(), "server.toml", &server_toml(&d));
    let xml = emit(dir.path(), &client, "xml", &[]);
    let wbxml = emit(dir.path(), &client, "wbxml", &["--encoding", "wbxml"]);
    assert_eq!(xml.len(), 1);
    assert_eq!(wbxml.len(), 1);
    assert_eq!(xml[0].extension().unwrap(), "xml");
    assert_eq!(wbxml[0].extension().unwrap(), "wbxml");
    let bytes = std::fs::read(&wbxml[0]).unwrap();
    assert_eq!(&bytes[..2], b"\x02\xa4", "WBXML 1.2, SyncML 1.2 public id");
    assert!(bytes.len() < std::fs::read(&xml[0]).unwrap().len());

    let (code, from_xml, err) = parts(&run(&["verify", "--devices", &server, s(&xml[0])]));
    assert_eq!(code, 0, "{err}");
    let (code, from_wbxml, err) = parts(&run(&["verify", "--devices", &server, s(&wbxml[0])]));
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert_eq!(from_wbxml.lines().count(), 2);
    assert_eq!(from_wbxml, from_xml, "the same reports, however encoded");

    // Forced to the other media type, as a server given the wrong Content-Type.
    for (file, wrong) in [(&wbxml[0], "xml"), (&xml[0], "wbxml")] {
        let (code, out, err) = parts(&run(&[
            "verify",
            "--devices",
            &server,
            "--encoding",
            wrong,
            s(file),
        ]));
        assert_eq!((code, out.as_str()), (1, ""), "{err}");
        assert!(err.starts_with("ignored: media-type-mismatch: "), "{err}");
    }
    // One bit changed: ignored.
    let mut flipped = bytes.clone();
    let last_digit = flipped.iter().rposition(|&b| b == b'2').unwrap();
    flipped[last_digit] = b'3';
    let tampered = dir.path().join("tampered.wbxml");
    std::fs::write(&tampered, &flipped).unwrap();
    let (code, _, err) = parts(&run(&["verify", "--devices", &server, s(&tampered)]));
    assert_eq!(code, 1);
    assert!(err.starts_with("ignored: bad-mac: "), "{err}");
}

#[test]
fn a_devices_encoding_and_the_header_carrier_in_wbxml() {
    let dir = tempfile::tempdir().unwrap();
    let d = devs("dev", 1);
    let text = client_toml(&d).replace("\n\n", "\nencoding = \"wbxml\"\ncarrier = \"header\"\n\n");
    let client = write(dir.path(), "client.toml", &text);
    // The header carrier also checks an auth-md5 Cred: the server needs the secret itself.
    let server = write(
        dir.path(),
        "server.toml",
        &client_toml(&d).replace("\n\n", "\ncarrier = \"header\"\n\n"),
    );
    let files = emit(dir.path(), &client, "out", &[]);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["0001.headers", "0001.wbxml"]);
    let headers = std::fs::read_to_string(&files[0]).unwrap();
    let (code, out, err) = parts(&run(&[
        "verify",
        "--devices",
        &server,
        "--header",
        &headers,
        s(&files[1]),
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2);
    // The flag wins over the device's setting.
    let files = emit(dir.path(), &client, "as-xml", &["--encoding", "xml"]);
    assert_eq!(files[1].file_name().unwrap(), "0001.xml");
}

#[test]
fn lint_inspect_and_convert_tell_the_encoding_by_the_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = devs("dev", 1);
    let client = write(dir.path(), "client.toml", &client_toml(&d));
    let wbxml = emit(dir.path(), &client, "wbxml", &["--encoding", "wbxml"]).remove(0);
    let xml = emit(dir.path(), &client, "xml", &[]).remove(0);

    let (code, out, err) = parts(&run(&["lint", s(&wbxml), s(&xml)]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.matches("conforms to the sessionless profile").count(),
        2
    );

    let (code, out, err) = parts(&run(&["inspect", s(&wbxml)]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(MEDIA_TYPE_WBXML), "{out}");
    assert!(out.contains("t=81C; zone=<cpu> & ]]> done"), "{out}");
    let (_, out, _) = parts(&run(&["inspect", s(&xml)]));
    assert!(out.contains(MEDIA_TYPE_XML), "{out}");
    // The same model from both files but for the MsgID and the MAC (emitted separately).
    let json = |f: &Path| -> serde_json::Value {
        let (code, out, err) = parts(&run(&["inspect", "--json", s(f)]));
        assert_eq!(code, 0, "{err}");
        let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["hdr"]["msg_id"] = serde_json::Value::Null;
        v["hdr"]["cred"] = serde_json::Value::Null;
        v
    };
    assert_eq!(json(&wbxml), json(&xml));

    // Forcing the wrong codec: the decoder's own error, located.
    let (code, _, err) = parts(&run(&["inspect", "--encoding", "xml", s(&wbxml)]));
    assert_eq!(code, 1);
    assert!(err.contains("not a SyncML DM message (XML)"), "{err}");
    let (code, out, _) = parts(&run(&["lint", "--encoding", "wbxml", s(&xml)]));
    assert_eq!(code, 1);
    assert!(out.contains("not a SyncML DM message (WBXML)"), "{out}");
    assert!(out.contains(" at byte 0 in /"), "{out}");

    // Neither XML nor WBXML: said so, with what the file looked like.
    let png = dir.path().join("picture.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "dear server, all is well").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    for (file, looked) in [
        (
            &png,
            "binary data without a SyncML WBXML header (first bytes 89 50 4e 47 0d 0a 1a 0a;",
        ),
        (
            &text,
            "text that does not start with `<` (\"dear server, all\"…)",
        ),
        (&empty, "the file is empty"),
    ] {
        let expected = format!(
            "{}: not a SyncML DM message: neither XML nor WBXML: {looked}",
            file.display()
        );
        let (code, out, err) = parts(&run(&["convert", s(file)]));
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert!(err.contains(&expected), "{err}\nwanted {expected}");
        assert!(!err.contains("malformed"), "{err}");
        let (code, out, _) = parts(&run(&["lint", s(file)]));
        assert_eq!(code, 1);
        assert!(out.contains(&expected), "{out}");
        let (code, _, err) = parts(&run(&["inspect", s(file)]));
        assert_eq!(code, 1);
        assert!(err.contains(&expected), "{err}");
    }
    let server = write(dir.path(), "server.toml", &server_toml(&d));
    let (code, _, err) = parts(&run(&["verify", "--devices", &server, s(&png)]));
    assert_eq!(code, 1);
    assert!(err.starts_with("ignored: malformed: "), "{err}");
    assert!(
        err.contains("(the file is neither XML nor WBXML: binary data"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn serve_takes_both_media_types_and_ignores_a_mislabelled_body() {
    let dir = tempfile::tempdir().unwrap();
    let d = devs("dev", 1);
    let client = write(dir.path(), "client.toml", &client_toml(&d));
    let devices = write(dir.path(), "server.toml", &server_toml(&d));
    let db = dir.path().join("reports.sqlite");
    let server = Server::start(&devices, &db, &[]);
    let state = dir.path().join("state.json");
    // MsgIDs 1..=6, alternately WBXML and XML, kept in the state file.
    let mut wbxml = Vec::new();
    let mut xml = Vec::new();
    for i in 0..3 {
        for (encoding, into) in [("wbxml", &mut wbxml), ("xml", &mut xml)] {
            let files = emit(
                dir.path(),
                &client,
                &format!("{encoding}{i}"),
                &["--encoding", encoding, "--state", s(&state)],
            );
            into.push(std::fs::read(&files[0]).unwrap());
        }
    }
    let no_headers: &[(String, String)] = &[];
    let post_as = |content_type: &str, body: &[u8]| {
        assert_eq!(
            post(server.addr, "/dm", content_type, no_headers, body),
            Some(204)
        );
    };
    post_as(MEDIA_TYPE_WBXML, &wbxml[0]); // MsgID 1: accepted
    post_as("Application/Vnd.SyncML.DM+WBXML; charset=utf-8", &xml[0]); // 2: mismatch
    post_as(MEDIA_TYPE_XML, &wbxml[1]); // 3: mismatch
    post_as(MEDIA_TYPE_XML, &xml[1]); // 4: accepted
    // No Content-Type: the first byte decides.
    assert_eq!(
        post_untyped(server.addr, "/dm", no_headers, &wbxml[2]),
        Some(204)
    ); // 5
    assert_eq!(
        post_untyped(server.addr, "/dm", no_headers, &xml[2]),
        Some(204)
    ); // 6
    // Neither DM type, or two Content-Type headers: ignored before the body is read.
    post_as("application/octet-stream", &wbxml[0]);
    let twice = [
        ("Content-Type".to_owned(), MEDIA_TYPE_WBXML.to_owned()),
        ("Content-Type".to_owned(), MEDIA_TYPE_WBXML.to_owned()),
    ];
    assert_eq!(
        post_untyped(server.addr, "/dm", &twice, &wbxml[0]),
        Some(204)
    );

    let ignored = |reason: &str| {
        server.metric(&format!(
            "omadm_messages_total{{outcome=\"ignored\",reason=\"{reason}\"}}"
        ))
    };
    assert_eq!(ignored("media-type-mismatch"), 2);
    assert_eq!(ignored("unsupported-media-type"), 2);
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"accepted\",reason=\"\"}"),
        4
    );
    let msg_ids: Vec<u32> = db_rows(&db).iter().map(|r| r.1).collect();
    assert_eq!(msg_ids, [1, 1, 4, 4, 5, 5, 6, 6]);

    // `send` posts WBXML with its media type.
    let reports = write(dir.path(), "r.json", REPORTS);
    let (code, out, err) = parts(&run(&[
        "send",
        "--devices",
        &client,
        "--device",
        "dev0",
        "--reports",
        &reports,
        "--encoding",
        "wbxml",
        "--state",
        s(&state),
        "--url",
        &format!("http://{}/dm", server.addr),
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("dev0 MsgID 7: 2 report(s), HTTP 204"), "{out}");
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"accepted\",reason=\"\"}"),
        5
    );
    assert_eq!(db_rows(&db).len(), 10);
}

#[test]
fn binary_item_data_is_read_but_neither_converted_to_xml_nor_accepted_as_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = devs("dev", 1);
    let client = write(dir.path(), "client.toml", &client_toml(&d));
    let server = write(dir.path(), "server.toml", &server_toml(&d));
    let file = emit(dir.path(), &client, "wbxml", &["--encoding", "wbxml"]).remove(0);
    let bytes = std::fs::read(&file).unwrap();
    // The first report's data ("12", one OPAQUE) replaced by binary bytes of the same length:
    // the MAC no longer verifies, but the codec's part is what is looked at here.
    let at = bytes.windows(4).position(|w| w == b"\xc3\x0212").unwrap();
    let mut binary = bytes.clone();
    binary[at + 2..at + 4].copy_from_slice(b"\xff\xfe");
    let path = dir.path().join("binary.wbxml");
    std::fs::write(&path, &binary).unwrap();

    let (code, out, err) = parts(&run(&["inspect", "--json", s(&path)]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let data = &v["body"]["commands"][0]["items"][0]["data"];
    assert_eq!(data["carriage"], "binary", "{out}");
    assert_eq!(data["value"], "//4=", "{out}");

    let (code, out, err) = parts(&run(&["convert", s(&path)]));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("holds binary data"), "{err}");
    // WBXML to WBXML keeps the bytes.
    let copy = dir.path().join("copy.wbxml");
    let (code, _, err) = parts(&run(&[
        "convert",
        "--to",
        "wbxml",
        s(&path),
        "-o",
        s(&copy),
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), binary);

    // Not a report's data: that must be text in CDATA (lint checks the profile without the
    // MAC; verify stops at the MAC the change broke).
    let (code, out, _) = parts(&run(&["lint", s(&path)]));
    assert_eq!(code, 1);
    assert!(out.contains("data-cdata (DM-SR-C-004-M)"), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let (code, _, err) = parts(&run(&["verify", "--devices", &server, s(&path)]));
    assert_eq!(code, 1);
    assert!(err.starts_with("ignored: bad-mac: "), "{err}");
}
