//! `omadm serve` answers DM sessions: `omadm queue add` before, `omadm session` against the
//! running server (it stores the new nonce in the state file), `omadm queue list` shows the
//! device's answer, and `omadm send` with the state's nonce is stored while one signed with the
//! devices file's old nonce is ignored.

use crate::support::{
    Server, client_toml, db_rows, devs, parts, reports_json, run, server_toml, write,
};

#[test]
fn a_session_against_serve_delivers_the_queue_and_rotates_the_nonce() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let stored = lifecycle(dir.path(), db.to_str().unwrap());
    assert_eq!(db_rows(&db).len(), stored);
}

#[test]
fn the_same_on_postgresql() {
    let pg = crate::pg::Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    lifecycle(dir.path(), &pg.url);
}

/// The whole exchange against a `serve` on `db`; returns how many reports it stored.
fn lifecycle(dir: &std::path::Path, db_s: &str) -> usize {
    let db = std::path::Path::new(db_s);
    let devs = devs("s", 1);
    let client = write(dir, "client.toml", &client_toml(&devs));
    let server = write(dir, "server.toml", &server_toml(&devs));
    let reports = write(dir, "r.json", &reports_json(1, 8));
    let state = dir.join("state.json");
    let state_s = state.to_str().unwrap();

    let (code, out, err) = parts(&run(&[
        "queue",
        "add",
        "--db",
        db_s,
        "--device",
        "s0",
        "get",
        "./DevDetail/SwV",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("queued #1 for s0: get ./DevDetail/SwV"),
        "{out}"
    );
    // Refused: an unknown command, a missing value, a URI that is not a node's.
    for bad in [
        &[
            "queue", "add", "--db", db_s, "--device", "s0", "fetch", "./X",
        ][..],
        &[
            "queue", "add", "--db", db_s, "--device", "s0", "replace", "./X",
        ][..],
        &[
            "queue",
            "add",
            "--db",
            db_s,
            "--device",
            "s0",
            "get",
            "DevDetail",
        ][..],
    ] {
        assert_eq!(parts(&run(bad)).0, 2, "{bad:?}");
    }

    let mut serve = Server::start(&server, db, &["--tick-ms", "2"]);
    let url = format!("http://{}/dm", serve.addr);
    let (code, out, err) = parts(&run(&[
        "session",
        "--devices",
        &client,
        "--device",
        "s0",
        "--url",
        &url,
        "--state",
        state_s,
    ]));
    assert_eq!(code, 0, "{out}\n{err}\n{}", serve.log.lock().unwrap());
    assert!(out.contains("new nonce stored"), "{out}");

    let (code, out, _) = parts(&run(&["queue", "list", "--db", db_s, "--json"]));
    assert_eq!(code, 0);
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(row["state"], "done", "{out}");
    assert_eq!(row["status"], 200, "{out}");
    assert!(
        row["results"].as_str().unwrap().contains("./DevDetail/SwV"),
        "{out}"
    );

    // The state file's nonce (the session's) is accepted; the devices file's is not any more.
    let send = |extra: &[&str]| {
        let mut args = vec![
            "send",
            "--devices",
            &client,
            "--device",
            "s0",
            "--reports",
            &reports,
            "--url",
            &url,
            "--quiet",
        ];
        args.extend_from_slice(extra);
        parts(&run(&args))
    };
    assert_eq!(send(&["--state", state_s]).0, 0);
    assert_eq!(send(&[]).0, 0);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        serve.metric("omadm_messages_total{outcome=\"ignored\",reason=\"bad-mac\"}"),
        1
    );
    assert_eq!(
        serve
            .terminate(std::time::Duration::from_secs(20))
            .map(|s| s.success()),
        Some(true)
    );
    1
}
