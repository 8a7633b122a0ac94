//! `omadm emit`: files, headers, state, and every bad input as one line and exit 2.

use crate::support::{client_toml, devs, parts, reports_json, run, write};

fn setup() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let devices = write(dir.path(), "devices.toml", &client_toml(&devs("dev", 2)));
    let reports = write(dir.path(), "r.json", &reports_json(2, 10));
    (dir, devices, reports)
}

#[test]
fn writes_signed_files_and_continues_msg_ids() {
    let (dir, devices, reports) = setup();
    let out_dir = dir.path().join("out");
    let state = dir.path().join("state.json");
    let args = |out: &str| {
        vec![
            "emit".to_owned(),
            "--devices".to_owned(),
            devices.clone(),
            "--device".to_owned(),
            "dev1".to_owned(),
            "--server-uri".to_owned(),
            "http://server/dm".to_owned(),
            "--reports".to_owned(),
            reports.clone(),
            "--out".to_owned(),
            out.to_owned(),
            "--state".to_owned(),
            state.to_str().unwrap().to_owned(),
        ]
    };
    let a = args(out_dir.to_str().unwrap());
    let (code, out, err) = parts(&run(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("MsgID 1, 2 report(s)"), "{out}");
    let xml = std::fs::read(out_dir.join("0001.xml")).unwrap();
    assert!(
        xml.starts_with(b"<?xml version=\"1.0\"?><SyncML"),
        "exact signed bytes"
    );
    assert!(!xml.ends_with(b"\n"), "nothing added");
    assert!(!out_dir.join("0001.headers").exists());
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .contains("\"next_msg_id\": 2")
    );

    // Second run: MsgID 2, header carrier.
    let out2 = dir.path().join("out2");
    let mut a = args(out2.to_str().unwrap());
    a.extend(["--carrier".to_owned(), "header".to_owned()]);
    let (code, out, err) = parts(&run(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("MsgID 2"), "{out}");
    let headers = std::fs::read_to_string(out2.join("0001.headers")).unwrap();
    assert!(
        headers.starts_with("x-syncml-hmac: algorithm=SHA256, username=\"dev1\", mac="),
        "{headers}"
    );

    // Small MaxMsgSize: one report per message.
    let out3 = dir.path().join("out3");
    let mut a = args(out3.to_str().unwrap());
    a.extend(["--max-msg-size".to_owned(), "1000".to_owned()]);
    let (code, out, err) = parts(&run(&a.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(code, 0, "{err}");
    assert!(out3.join("0002.xml").exists(), "{out}");
}

/// Runs emit with a devices text and a reports text; returns (code, stderr).
fn emit_with(devices_text: &str, reports_text: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let devices = write(dir.path(), "devices.toml", devices_text);
    let reports = write(dir.path(), "r.json", reports_text);
    let out = dir.path().join("out");
    let mut args = vec![
        "emit",
        "--devices",
        &devices,
        "--server-uri",
        "http://s/",
        "--reports",
        &reports,
        "--out",
        out.to_str().unwrap(),
    ];
    if !extra.contains(&"--device") {
        args.extend(["--device", "dev0"]);
    }
    args.extend(extra);
    let (code, stdout, err) = parts(&run(&args));
    assert!(stdout.is_empty() || code == 0, "{stdout}");
    (code, err)
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let good_devices = client_toml(&devs("dev", 1));
    let good_reports = reports_json(1, 4);
    let cases: Vec<(String, String, Vec<&str>, &str)> = vec![
        (
            "[[device]]\nusername = \"dev0\"\n".to_owned(),
            good_reports.clone(),
            vec![],
            "devices.toml:1:1: missing field `device_id`",
        ),
        (
            good_devices.replace("nonce = \"", "nonce = \"!"),
            good_reports.clone(),
            vec![],
            "devices.toml:5:9: nonce:",
        ),
        (
            good_devices.clone(),
            good_reports.clone(),
            vec!["--device", "nobody"],
            "unknown device \"nobody\"",
        ),
        (
            good_devices.clone(),
            "[{\"type\": \"urn:x:y\", \"format\": \"chr\"}]".to_owned(),
            vec![],
            "r.json:1:37: missing field `data`",
        ),
        (
            good_devices.clone(),
            "[\n{\"type\": \"urn:x:y\", \"format\": \"chr\", \"data\": \"x\", \"colour\": 1}]"
                .to_owned(),
            vec![],
            "r.json:2:58: unknown field `colour`",
        ),
        (
            good_devices.clone(),
            "[{\"type\": \"urn:x:y\", \"format\": \"chr\", \"mark\": \"loud\", \"data\": \"x\"}]"
                .to_owned(),
            vec![],
            "report 1 (of the array, counted from 1): the mark is not one of the seven importance levels (rule mark-value",
        ),
        (
            good_devices.clone(),
            "[{\"type\": \"not a type\", \"format\": \"chr\", \"data\": \"x\"}]".to_owned(),
            vec![],
            "(rule type-value (DM-SR-C-005-M)",
        ),
        (
            good_devices.clone(),
            reports_json(1, 5000),
            vec!["--max-msg-size", "2000"],
            "too large for MaxMsgSize",
        ),
        (
            good_devices.replace("secret = ", "secret_digest_typo = "),
            good_reports.clone(),
            vec![],
            "unknown field `secret_digest_typo`",
        ),
        (
            good_devices.clone(),
            "[".to_owned(),
            vec![],
            "r.json:1:1: EOF while parsing a list",
        ),
        (
            good_devices.clone(),
            "{}".to_owned(),
            vec![],
            "r.json:1:1: invalid type: map, expected a sequence",
        ),
    ];
    for (devices, reports, extra, expected) in &cases {
        let (code, err) = emit_with(devices, reports, extra);
        assert_eq!(code, 2, "{expected}: {err}");
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {err}");
        assert!(lines[0].starts_with("error: "), "{err}");
        assert!(err.contains(expected), "want {expected:?}, got {err}");
    }
}

#[test]
fn a_device_needs_its_secret_and_short_secrets_warn() {
    let mut d = devs("dev", 1);
    d[0].secret = "short".to_owned();
    let (code, err) = emit_with(&client_toml(&d), &reports_json(1, 4), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning:") && err.contains("shorter than 16 bytes"),
        "{err}"
    );

    let server_side = crate::support::server_toml(&devs("dev", 1));
    let (code, err) = emit_with(&server_side, &reports_json(1, 4), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("has no `secret`"), "{err}");
}

#[test]
fn unreadable_files_exit_2() {
    let (dir, devices, reports) = setup();
    let out = dir.path().join("o");
    let (code, _, err) = parts(&run(&[
        "emit",
        "--devices",
        "/nonexistent/devices.toml",
        "--device",
        "dev0",
        "--server-uri",
        "x",
        "--reports",
        &reports,
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: cannot read /nonexistent/devices.toml: no such file or directory\n"
    );
    let (code, _, err) = parts(&run(&[
        "emit",
        "--devices",
        &devices,
        "--device",
        "dev0",
        "--server-uri",
        "x",
        "--reports",
        "/nonexistent/r.json",
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(code, 2, "{err}");
}
