//! `omadm devices` on both stores: the registry holds digests only, and a running server
//! follows additions, nonce rotations and disabling without a restart.

use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::pg::Postgres;
use crate::support::{
    Server, bin, client_toml, devs, get, parts, reports_json, run, server_toml, write,
};

/// How long a registry change may take to reach a server (it polls every second).
const PROPAGATION: Duration = Duration::from_secs(10);

fn add_generated(db: &str, username: &str, device_id: &str) -> String {
    let (code, out, err) = parts(&run(&[
        "devices",
        "add",
        "--db",
        db,
        "--username",
        username,
        "--device-id",
        device_id,
        "--generate",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("secret = \""), "{out}");
    out
}

fn add_from_stdin(db: &str, username: &str, device_id: &str, secret: &str) -> String {
    let mut child = bin()
        .args(["devices", "add", "--db", db, "--username", username])
        .args(["--device-id", device_id, "--secret-from-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{secret}").unwrap();
    let out = child.wait_with_output().unwrap();
    let (code, out, err) = parts(&out);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("secret = \"{secret}\"")), "{out}");
    out
}

/// One `omadm send` of `reports` as `username`; whether the POST was answered.
fn send(dir: &Path, client: &str, username: &str, server: &Server) -> bool {
    let reports = write(dir, "r.json", &reports_json(1, 10));
    let state = dir.join("state.json");
    let url = format!("http://{}/dm", server.addr);
    let (code, _, _) = parts(&run(&[
        "send",
        "--devices",
        client,
        "--device",
        username,
        "--url",
        &url,
        "--reports",
        &reports,
        "--state",
        state.to_str().unwrap(),
        "--quiet",
    ]));
    code == 0
}

/// Sends as `username` until the server's counter `metric` exceeds `before`.
fn until(dir: &Path, client: &str, username: &str, server: &Server, metric: &str, before: u64) {
    let deadline = Instant::now() + PROPAGATION;
    while Instant::now() < deadline {
        assert!(send(dir, client, username, server));
        if server.metric(metric) > before {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "{metric} stayed at {before} for {username}: {}",
        server.log.lock().unwrap()
    );
}

/// `field` of `username`'s line in `devices list --json`.
fn listed_field(listed: &str, username: &str, field: &str) -> serde_json::Value {
    listed
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["username"] == username)
        .unwrap_or_else(|| panic!("{username} not listed: {listed}"))[field]
        .clone()
}

fn registry_law(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // import: a file with secrets is stored as digests
    let imported = devs("imp", 2);
    let file = write(d, "import.toml", &client_toml(&imported));
    let (code, out, err) = parts(&run(&["devices", "import", "--db", db, &file]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 device(s) imported"), "{out}");
    let first = add_generated(db, "reg1", "IMEI:1");
    let (code, listed, _) = parts(&run(&["devices", "list", "--db", db, "--json"]));
    assert_eq!(code, 0);
    assert_eq!(listed.lines().count(), 3, "{listed}");
    assert!(listed.contains("\"username\":\"reg1\""), "{listed}");
    for secret_word in ["secret", imported[0].secret.as_str()] {
        assert!(
            !listed.contains(secret_word),
            "list shows no secret: {listed}"
        );
    }
    let issued_at_import = listed_field(&listed, "imp0", "nonce_issued_ms")
        .as_i64()
        .unwrap();
    assert!(
        listed_field(&listed, "reg1", "nonce_age_secs")
            .as_u64()
            .unwrap()
            < 600
    );
    let (_, text, _) = parts(&run(&["devices", "list", "--db", db]));
    assert!(text.lines().all(|l| l.contains("\tnonce age ")), "{text}");

    // A server with no devices file: every device comes from the registry.
    let server = Server::start_with(&["--db", db]);
    // None has reported: all listed as never seen, with the age of their nonce.
    let (status, body) = get(server.metrics, "/api/devices").unwrap();
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let list = v["devices"].as_array().unwrap();
    assert_eq!(list.len(), 3, "{v}");
    for d in list {
        assert_eq!(d["never_seen"], true, "{d}");
        assert_eq!(d["last_seen_ms"], serde_json::Value::Null, "{d}");
        assert_eq!(
            (d["registered"].clone(), d["reports"].clone()),
            (true.into(), 0.into())
        );
        assert!(d["nonce_age_secs"].as_u64().unwrap() < 600, "{d}");
    }
    let (_, page) = get(server.metrics, "/").unwrap();
    assert_eq!(
        page.matches("<tr class=\"device never\">").count(),
        3,
        "{page}"
    );
    assert!(page.contains("never seen"), "{page}");
    let client = write(
        d,
        "client.toml",
        &format!("{first}\n{}", client_toml(&imported)),
    );
    let accepted = "omadm_messages_total{outcome=\"accepted\",reason=\"\"}";
    until(d, &client, "reg1", &server, accepted, 0);
    until(d, &client, "imp0", &server, accepted, 1);
    let (_, body) = get(server.metrics, "/api/devices").unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let list = v["devices"].as_array().unwrap();
    let seen: Vec<&str> = list
        .iter()
        .filter(|d| d["never_seen"] == false)
        .map(|d| d["username"].as_str().unwrap())
        .collect();
    assert_eq!(seen.len(), 2, "reported first, then the never seen: {v}");
    assert!(seen.contains(&"reg1") && seen.contains(&"imp0"), "{v}");
    assert_eq!(list[2]["username"], "imp1", "{v}");
    assert_eq!(list[2]["never_seen"], true, "{v}");
    assert_eq!(
        list[0]["replay"]["highest_msg_id"], 1,
        "the registry's nonce: {v}"
    );

    // Added while it runs.
    let second = add_from_stdin(db, "reg2", "IMEI:2", "a-secret-from-stdin-0123");
    let client = write(
        d,
        "client.toml",
        &format!("{first}\n{second}\n{}", client_toml(&imported)),
    );
    let now = server.metric(accepted);
    until(d, &client, "reg2", &server, accepted, now);

    // Disabled while it runs: ignored as unknown.
    let (code, _, err) = parts(&run(&["devices", "disable", "--db", db, "reg1"]));
    assert_eq!(code, 0, "{err}");
    let unknown = "omadm_messages_total{outcome=\"ignored\",reason=\"unknown-device\"}";
    until(d, &client, "reg1", &server, unknown, 0);

    // A new nonce: the device's old one no longer verifies, the new one does.
    let (_, listed, _) = parts(&run(&["devices", "list", "--db", db, "--json"]));
    let issued_before = listed_field(&listed, "reg2", "nonce_issued_ms")
        .as_i64()
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    let (code, out, err) = parts(&run(&["devices", "rotate-nonce", "--db", db, "reg2"]));
    assert_eq!(code, 0, "{err}");
    let (_, listed, _) = parts(&run(&["devices", "list", "--db", db, "--json"]));
    let issued_after = listed_field(&listed, "reg2", "nonce_issued_ms")
        .as_i64()
        .unwrap();
    assert!(
        issued_after > issued_before,
        "rotate-nonce sets the time: {listed}"
    );
    let nonce = out.split('"').nth(1).unwrap().to_owned();
    let bad_mac = "omadm_messages_total{outcome=\"ignored\",reason=\"bad-mac\"}";
    until(d, &client, "reg2", &server, bad_mac, 0);
    let old_nonce = second
        .split("nonce = \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let rotated = second.replace(old_nonce, &nonce);
    let client = write(
        d,
        "client.toml",
        &format!("{first}\n{rotated}\n{}", client_toml(&imported)),
    );
    let now = server.metric(accepted);
    until(d, &client, "reg2", &server, accepted, now);

    // The server-side file format also imports (digests as they are).
    let (code, _, err) = parts(&run(&[
        "devices",
        "import",
        "--db",
        db,
        &write(d, "s.toml", &server_toml(&devs("srv", 3))),
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, listed, _) = parts(&run(&["devices", "list", "--db", db]));
    assert_eq!(listed.lines().count(), 7, "{listed}");
    // Importing the same devices again keeps their nonces' times.
    std::thread::sleep(Duration::from_millis(5));
    let (code, _, err) = parts(&run(&["devices", "import", "--db", db, &file]));
    assert_eq!(code, 0, "{err}");
    let (_, json, _) = parts(&run(&["devices", "list", "--db", db, "--json"]));
    assert_eq!(
        listed_field(&json, "imp0", "nonce_issued_ms")
            .as_i64()
            .unwrap(),
        issued_at_import
    );
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("reg1\t") && l.ends_with("disabled")),
        "{listed}"
    );
}

#[test]
fn the_registry_in_sqlite_is_followed_by_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    registry_law(dir.path().join("r.sqlite").to_str().unwrap());
}

#[test]
fn the_registry_in_postgres_is_followed_by_a_running_server() {
    let pg = Postgres::start();
    registry_law(&pg.url);
}

#[test]
fn add_refuses_an_existing_device_and_a_missing_secret_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.sqlite");
    let db = db.to_str().unwrap();
    add_generated(db, "dup", "IMEI:9");
    let (code, _, err) = parts(&run(&[
        "devices",
        "add",
        "--db",
        db,
        "--username",
        "dup",
        "--device-id",
        "IMEI:9",
        "--generate",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("exists"), "{err}");
    let (code, _, _) = parts(&run(&[
        "devices",
        "add",
        "--db",
        db,
        "--username",
        "x",
        "--device-id",
        "IMEI:8",
    ]));
    assert_eq!(
        code, 2,
        "one of --secret-from-stdin and --generate is required"
    );
}

/// Regression: `rotate-nonce` and `disable` used to read the whole row and write it back, so a
/// rotation that read before a concurrent `disable` committed wrote the device back enabled.
/// Each change is now one `UPDATE` of its own column: however they interleave, the device ends
/// disabled and with one of the rotated nonces.
#[test]
fn concurrent_rotations_never_undo_a_disable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.sqlite");
    let db = db.to_str().unwrap();
    add_generated(db, "race", "IMEI:7");
    let rotations: Vec<_> = (0..6)
        .map(|_| {
            bin()
                .args(["devices", "rotate-nonce", "--db", db, "race"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let (code, _, err) = parts(&run(&["devices", "disable", "--db", db, "race"]));
    assert_eq!(code, 0, "{err}");
    let mut nonces = Vec::new();
    for child in rotations {
        let (code, out, err) = parts(&child.wait_with_output().unwrap());
        assert_eq!(code, 0, "{err}");
        nonces.push(out.split('"').nth(1).unwrap().to_owned());
    }
    let (code, listed, err) = parts(&run(&["devices", "list", "--db", db, "--json"]));
    assert_eq!(code, 0, "{err}");
    assert!(listed.contains("\"disabled\":true"), "{listed}");
    assert!(
        nonces.iter().any(|n| listed.contains(n.as_str())),
        "the last rotation's nonce is kept: {listed}"
    );
    let (code, _, err) = parts(&run(&["devices", "disable", "--db", db, "nobody"]));
    assert_ne!(code, 0);
    assert!(err.contains("no device \"nobody\""), "{err}");
}

/// Issue 13's bounded cache: a node that holds 2 of 6 registry devices still verifies all of
/// them (a miss reads the one device from the database), never holds more than 2, and sees a
/// `disable` and a `rotate-nonce` of a cached device and of an evicted one within the poll
/// bound.
fn small_cache_law(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let all = devs("sc", 6);
    let file = write(d, "import.toml", &client_toml(&all));
    let (code, _, err) = parts(&run(&["devices", "import", "--db", db, &file]));
    assert_eq!(code, 0, "{err}");
    let server = Server::start_with(&["--db", db, "--registry-cache", "2"]);
    assert_eq!(server.metric("omadm_registry_cache_capacity"), 2);
    let accepted = "omadm_messages_total{outcome=\"accepted\",reason=\"\"}";
    for round in 0..2 {
        for dev in &all {
            assert!(send(d, &file, &dev.username, &server), "round {round}");
            assert!(server.metric("omadm_registry_cache_entries") <= 2);
        }
    }
    assert_eq!(
        server.metric(accepted),
        12,
        "{}",
        server.log.lock().unwrap()
    );
    let misses = server.metric("omadm_registry_cache_misses_total");
    let evictions = server.metric("omadm_registry_cache_evictions_total");
    assert!(
        misses >= 10,
        "at least every device of the second round but the last two: {misses}"
    );
    assert!(evictions >= 8, "{evictions}");

    // sc5 was sent last: cached. sc0 was evicted long ago. Both disabled: both refused.
    let unknown = "omadm_messages_total{outcome=\"ignored\",reason=\"unknown-device\"}";
    for (n, user) in ["sc5", "sc0"].into_iter().enumerate() {
        let (code, _, err) = parts(&run(&["devices", "disable", "--db", db, user]));
        assert_eq!(code, 0, "{err}");
        until(d, &file, user, &server, unknown, u64::try_from(n).unwrap());
    }
    // A rotation of a cached device (sc4, sent again just now) reaches the node too.
    assert!(send(d, &file, "sc4", &server));
    let (code, _, err) = parts(&run(&["devices", "rotate-nonce", "--db", db, "sc4"]));
    assert_eq!(code, 0, "{err}");
    let bad_mac = "omadm_messages_total{outcome=\"ignored\",reason=\"bad-mac\"}";
    until(d, &file, "sc4", &server, bad_mac, 0);
    // The others are untouched.
    let now = server.metric(accepted);
    assert!(send(d, &file, "sc1", &server));
    assert_eq!(server.metric(accepted), now + 1);
    assert!(server.metric("omadm_registry_cache_entries") <= 2);
}

#[test]
fn a_cache_smaller_than_the_sqlite_registry_serves_every_device() {
    let dir = tempfile::tempdir().unwrap();
    small_cache_law(dir.path().join("r.sqlite").to_str().unwrap());
}

#[test]
fn a_cache_smaller_than_the_postgres_registry_serves_every_device() {
    let pg = Postgres::start();
    small_cache_law(&pg.url);
}

/// A miss while the database is away is answered 503 (never a 204 for a report not stored),
/// counted as `registry-unavailable`; once the database is back the device is served.
#[test]
fn a_miss_while_postgres_is_down_is_answered_503_then_served() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let all = devs("down", 3);
    let file = write(d, "import.toml", &client_toml(&all));
    let (code, _, err) = parts(&run(&["devices", "import", "--db", &pg.url, &file]));
    assert_eq!(code, 0, "{err}");
    let server = Server::start_with(&["--db", &pg.url, "--registry-cache", "1"]);
    // down0 cached (sent last), down1 and down2 not.
    assert!(send(d, &file, "down1", &server));
    assert!(send(d, &file, "down0", &server));
    let unavailable = "omadm_messages_total{outcome=\"failed\",reason=\"registry-unavailable\"}";
    std::thread::scope(|s| {
        s.spawn(|| pg.restart(Duration::from_secs(4)));
        std::thread::sleep(Duration::from_millis(700));
        assert!(
            !send(d, &file, "down2", &server),
            "a miss with the database away"
        );
    });
    assert!(
        server.metric(unavailable) >= 1,
        "{}",
        server.log.lock().unwrap()
    );
    let accepted = "omadm_messages_total{outcome=\"accepted\",reason=\"\"}";
    until(d, &file, "down2", &server, accepted, 2);
}
