//! Crash safety: SIGKILL the server in the middle of a load run, restart it on the same
//! database; every report of every answered message is there exactly once, and replaying any
//! answered message is ignored.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use omadm_syncml::MEDIA_TYPE_XML;

use crate::support::{
    Server, client_toml, db_rows, devs, parts, post, reports_json, run, server_toml, write,
};

/// One emitted message.
#[derive(Clone, Debug)]
pub(crate) struct Msg {
    pub(crate) username: String,
    pub(crate) msg_id: u32,
    pub(crate) reports: usize,
    pub(crate) body: Arc<Vec<u8>>,
}

/// Emits `reports` for each device with a small MaxMsgSize, so each gets many messages.
pub(crate) fn emit_all(dir: &Path, devices: &str, usernames: &[String], reports: &str) -> Vec<Msg> {
    let mut all = Vec::new();
    for username in usernames {
        let out = dir.join(format!("out-{username}"));
        let (code, stdout, err) = parts(&run(&[
            "emit",
            "--devices",
            devices,
            "--device",
            username,
            "--server-uri",
            "http://s/dm",
            "--reports",
            reports,
            "--out",
            out.to_str().unwrap(),
            "--max-msg-size",
            "1800",
        ]));
        assert_eq!(code, 0, "{err}");
        // "<path>  MsgID <n>, <k> report(s), <b> bytes"
        for line in stdout.lines() {
            let (path, rest) = line.split_once("  MsgID ").unwrap();
            let (msg_id, rest) = rest.split_once(", ").unwrap();
            let reports = rest.split_once(' ').unwrap().0;
            all.push(Msg {
                username: username.clone(),
                msg_id: msg_id.parse().unwrap(),
                reports: reports.parse().unwrap(),
                body: Arc::new(std::fs::read(path).unwrap()),
            });
        }
    }
    all
}

/// Posts `messages` with `workers` threads until done or until the server stops answering.
/// Returns the indices of the messages answered 204.
fn load(
    addr: SocketAddr,
    messages: &[Msg],
    workers: usize,
    acked_count: &AtomicUsize,
) -> HashSet<usize> {
    let next = AtomicUsize::new(0);
    let acked = Mutex::new(HashSet::new());
    let dead = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while !dead.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(m) = messages.get(i) else { break };
                    match post(addr, "/", MEDIA_TYPE_XML, &[], &m.body) {
                        Some(204) => {
                            acked.lock().unwrap().insert(i);
                            acked_count.fetch_add(1, Ordering::Relaxed);
                        }
                        Some(other) => panic!("unexpected status {other}"),
                        None => dead.store(true, Ordering::Relaxed),
                    }
                }
            });
        }
    });
    acked.into_inner().unwrap()
}

#[test]
fn sigkill_mid_load_loses_nothing_answered() {
    let dir = tempfile::tempdir().unwrap();
    let good = devs("dev", 16);
    let usernames: Vec<String> = good.iter().map(|d| d.username.clone()).collect();
    let client = write(dir.path(), "client.toml", &client_toml(&good));
    let server_devices = write(dir.path(), "server.toml", &server_toml(&good));
    let reports = write(dir.path(), "r.json", &reports_json(60, 200));
    let mut messages = emit_all(dir.path(), &client, &usernames, &reports);
    // Interleave devices, as concurrent senders would.
    messages.sort_by_key(|m| (m.msg_id, m.username.clone()));
    assert!(messages.len() >= 300, "{} messages", messages.len());
    let db = dir.path().join("reports.sqlite");

    let server = Arc::new(Mutex::new(Server::start(&server_devices, &db, &[])));
    let addr = server.lock().unwrap().addr;
    let acked_count = Arc::new(AtomicUsize::new(0));
    let killer = {
        let server = Arc::clone(&server);
        let acked_count = Arc::clone(&acked_count);
        let total = messages.len();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acked_count.load(Ordering::Relaxed) < total / 3 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            server.lock().unwrap().kill();
        })
    };
    let acked = load(addr, &messages, 8, &acked_count);
    killer.join().unwrap();
    assert!(!acked.is_empty());
    assert!(
        acked.len() < messages.len(),
        "the kill came before the end of the run"
    );
    eprintln!(
        "{} of {} messages answered before SIGKILL",
        acked.len(),
        messages.len()
    );

    // After the crash, before any restart: every answered message is stored, exactly once.
    let check_answered = |rows: &[(String, u32, u32, String)]| {
        let mut per_message: HashMap<(String, u32), usize> = HashMap::new();
        let mut seen = HashSet::new();
        for (u, m, c, _) in rows {
            assert!(
                seen.insert((u.clone(), *m, *c)),
                "report {u}/{m}/{c} stored twice"
            );
            *per_message.entry((u.clone(), *m)).or_default() += 1;
        }
        for &i in &acked {
            let m = &messages[i];
            assert_eq!(
                per_message
                    .get(&(m.username.clone(), m.msg_id))
                    .copied()
                    .unwrap_or(0),
                m.reports,
                "answered message {}/{} not fully stored",
                m.username,
                m.msg_id
            );
        }
    };
    let rows_after_crash = db_rows(&db);
    check_answered(&rows_after_crash);

    // Restart on the same database: replaying any answered message is ignored.
    let restarted = Server::start(&server_devices, &db, &[]);
    for &i in &acked {
        assert_eq!(
            post(restarted.addr, "/", MEDIA_TYPE_XML, &[], &messages[i].body),
            Some(204)
        );
    }
    assert_eq!(
        db_rows(&db).len(),
        rows_after_crash.len(),
        "replays stored nothing"
    );
    assert_eq!(
        restarted.metric("omadm_messages_total{outcome=\"ignored\",reason=\"replayed\"}"),
        acked.len() as u64
    );

    // Sending everything again completes the set: every report exactly once.
    let acked_count = AtomicUsize::new(0);
    let all = load(restarted.addr, &messages, 8, &acked_count);
    assert_eq!(all.len(), messages.len());
    let rows = db_rows(&db);
    let expected: usize = messages.iter().map(|m| m.reports).sum();
    assert_eq!(rows.len(), expected);
    check_answered(&rows);
}
