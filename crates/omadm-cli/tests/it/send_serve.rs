//! `omadm send` against a real `omadm serve` on loopback: many devices concurrently, forged and
//! unknown senders mixed in; then rows, metrics and answers must agree. Also the HTTP edge's
//! uniform answers, graceful shutdown, and send's failures.

use std::collections::HashSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use omadm_syncml::MEDIA_TYPE_XML;

use crate::support::{
    Server, bin, client_toml, db_rows, devs, get, parts, post, reports_json, run, server_toml,
    write,
};

/// Waits for a child with a deadline; returns (code, stdout, stderr).
fn finish(child: Child, limit: Duration) -> (i32, String, String) {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("omadm send (pid {pid}) did not finish in {limit:?}"))
        .unwrap();
    parts(&out)
}

fn send(devices: &str, reports: &str, url: &str, extra: &[&str]) -> Child {
    bin()
        .args([
            "send",
            "--devices",
            devices,
            "--all-devices",
            "--reports",
            reports,
            "--url",
            url,
        ])
        .args(["--quiet"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn thousands_of_reports_from_many_devices() {
    const DEVICES: usize = 40;
    const REPEAT: usize = 30;
    const FORGED: usize = 10;
    const FORGED_REPEAT: usize = 5;
    const GHOSTS: usize = 5;
    const GHOST_REPEAT: usize = 4;

    let dir = tempfile::tempdir().unwrap();
    let good = devs("dev", DEVICES);
    let mut forged = good[..FORGED].to_vec();
    for d in &mut forged {
        d.secret = format!("not-{}", d.secret);
    }
    let ghosts = devs("ghost", GHOSTS);
    let server_devices = write(dir.path(), "server.toml", &server_toml(&good));
    let client = write(dir.path(), "client.toml", &client_toml(&good));
    let attacker = write(dir.path(), "attacker.toml", &client_toml(&forged));
    let ghost = write(dir.path(), "ghost.toml", &client_toml(&ghosts));
    let reports = write(dir.path(), "r.json", &reports_json(2, 40));
    let db = dir.path().join("reports.sqlite");
    let server = Server::start(&server_devices, &db, &[]);
    let url = format!("http://{}/dm", server.addr);

    let started = Instant::now();
    let state = dir.path().join("state.json");
    let senders = [
        send(
            &client,
            &reports,
            &url,
            &[
                "--repeat",
                &REPEAT.to_string(),
                "--concurrency",
                "16",
                "--state",
                state.to_str().unwrap(),
            ],
        ),
        send(
            &attacker,
            &reports,
            &url,
            &["--repeat", &FORGED_REPEAT.to_string(), "--concurrency", "4"],
        ),
        send(
            &ghost,
            &reports,
            &url,
            &["--repeat", &GHOST_REPEAT.to_string(), "--concurrency", "2"],
        ),
    ];
    let results: Vec<_> = senders
        .into_iter()
        .map(|c| finish(c, Duration::from_secs(120)))
        .collect();
    for (code, out, err) in &results {
        assert_eq!(*code, 0, "{out}{err}");
    }
    let good_messages = DEVICES * REPEAT;
    assert!(
        results[0].1.contains(&format!(
            "{good_messages} sent, {good_messages} delivered (2xx), 0 failed"
        )),
        "{}",
        results[0].1
    );
    eprintln!("load run took {:?}", started.elapsed());

    // Every good message was answered 204 (send exits 0 only then): all stored, exactly once.
    let rows = db_rows(&db);
    assert_eq!(rows.len(), good_messages * 2);
    let distinct: HashSet<(String, u32, u32)> = rows
        .iter()
        .map(|(u, m, c, _)| (u.clone(), *m, *c))
        .collect();
    assert_eq!(distinct.len(), rows.len(), "no report stored twice");
    for d in &good {
        let n = rows.iter().filter(|r| r.0 == d.username).count();
        assert_eq!(n, REPEAT * 2, "{}", d.username);
    }
    assert!(rows.iter().all(|r| !r.0.starts_with("ghost")));

    let forged_messages = FORGED * FORGED_REPEAT;
    let ghost_messages = GHOSTS * GHOST_REPEAT;
    assert_eq!(
        server.metric("omadm_requests_total"),
        (good_messages + forged_messages + ghost_messages) as u64
    );
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"accepted\",reason=\"\"}"),
        good_messages as u64
    );
    assert_eq!(
        server.metric("omadm_reports_stored_total"),
        rows.len() as u64
    );
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"ignored\",reason=\"bad-mac\"}"),
        forged_messages as u64
    );
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"ignored\",reason=\"unknown-device\"}"),
        ghost_messages as u64
    );
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"failed\",reason=\"store-error\"}"),
        0
    );
    let state = std::fs::read_to_string(&state).unwrap();
    assert!(
        state.contains(&format!("\"next_msg_id\": {}", REPEAT + 1)),
        "{state}"
    );
}

#[test]
fn the_edge_answers_alike_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let good = devs("dev", 1);
    let server_devices = write(dir.path(), "server.toml", &server_toml(&good));
    let client = write(dir.path(), "client.toml", &client_toml(&good));
    let reports = write(dir.path(), "r.json", &reports_json(1, 10));
    let db = dir.path().join("reports.sqlite");
    let mut server = Server::start(&server_devices, &db, &["--max-msg-size", "2048"]);
    let dm = server.addr;

    assert_eq!(get(dm, "/").unwrap().0, 405, "wrong method");
    assert_eq!(get(dm, "/dm").unwrap().0, 405, "wrong method");
    assert_eq!(
        get(dm, "/metrics").unwrap().0,
        404,
        "no metrics on the DM port"
    );
    assert_eq!(
        post(dm, "/", "text/xml", &[], b"<SyncML/>"),
        Some(204),
        "media type"
    );
    assert_eq!(
        post(dm, "/", MEDIA_TYPE_XML, &[], &vec![b'x'; 4096]),
        Some(204),
        "oversize"
    );
    assert_eq!(post(dm, "/dm", MEDIA_TYPE_XML, &[], b"junk"), Some(204));
    let (code, out, err) = parts(&run(&[
        "send",
        "--devices",
        &client,
        "--device",
        "dev0",
        "--reports",
        &reports,
        "--url",
        &format!("http://{dm}/"),
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("dev0 MsgID 1: 1 report(s), HTTP 204 (1 attempt)"),
        "{out}"
    );

    assert_eq!(
        server
            .metric("omadm_messages_total{outcome=\"ignored\",reason=\"unsupported-media-type\"}"),
        1
    );
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"ignored\",reason=\"too-large\"}"),
        1
    );
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"ignored\",reason=\"malformed\"}"),
        1
    );
    assert_eq!(
        server.metric("omadm_messages_total{outcome=\"accepted\",reason=\"\"}"),
        1
    );

    let status = server
        .terminate(Duration::from_secs(15))
        .expect("stops on SIGTERM");
    assert!(status.success(), "{status:?}");
    assert_eq!(db_rows(&db).len(), 1);
    let log = server.log.lock().unwrap().clone();
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn send_failures_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let client = write(dir.path(), "client.toml", &client_toml(&devs("dev", 1)));
    let reports = write(dir.path(), "r.json", &reports_json(1, 10));
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let base = [
        "send",
        "--devices",
        &client,
        "--device",
        "dev0",
        "--reports",
        &reports,
    ];
    let (code, _, err) = parts(&run(
        &[&base[..], &["--url", &url, "--retries", "1"]].concat()
    ));
    assert_eq!(code, 1, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("connection refused after 2 attempt(s)"),
        "{err}"
    );
    for (url, expected) in [
        ("https://example.net/", "https is not built in"),
        ("not a url", "invalid url"),
    ] {
        let (code, _, err) = parts(&run(&[&base[..], &["--url", url]].concat()));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(expected), "{err}");
    }
}

#[test]
fn serve_refuses_bad_setups() {
    let dir = tempfile::tempdir().unwrap();
    let devices = write(dir.path(), "server.toml", &server_toml(&devs("dev", 1)));
    let bad = write(dir.path(), "bad.toml", "[[device]]\nusername = \"x\"\n");
    for (args, expected) in [
        (
            vec!["--devices", bad.as_str(), "--db", "x.sqlite"],
            "bad.toml:1:1: missing field",
        ),
        (
            vec![
                "--devices",
                devices.as_str(),
                "--db",
                "/nonexistent/dir/x.sqlite",
            ],
            "cannot open database",
        ),
        (vec!["--devices", devices.as_str()], "--db"),
    ] {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend(args);
        let (code, _, err) = parts(&run(&all));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(expected), "{err}");
    }
}
