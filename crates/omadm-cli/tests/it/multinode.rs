//! Several `omadm serve` nodes on one PostgreSQL (started by the tests themselves, see `pg`):
//! a message posted to two nodes at once is stored once; a device's messages interleaved across
//! nodes are all stored once; SIGKILL of a node or a database restart loses nothing answered.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use crate::crash::{Msg, emit_all};
use crate::pg::{Postgres, execute, query, report_rows};
use crate::support::{
    Server, client_toml, devs, parts, post, reports_json, run, server_toml, write,
};

const MEDIA: &str = "application/vnd.syncml.dm+xml";

/// How long one message may take to be answered 204 across retries (a database restart lies
/// within it).
const DELIVERY_BUDGET: Duration = Duration::from_secs(30);

struct Fleet {
    _dir: tempfile::TempDir,
    pg: Postgres,
    devices: String,
    /// Per device, its messages in MsgID order.
    by_device: Vec<Vec<Msg>>,
}

impl Fleet {
    fn new(devices: usize, reports: usize) -> Self {
        let pg = Postgres::start();
        let dir = tempfile::tempdir().unwrap();
        let good = devs("node", devices);
        let usernames: Vec<String> = good.iter().map(|d| d.username.clone()).collect();
        let client = write(dir.path(), "client.toml", &client_toml(&good));
        let server_devices = write(dir.path(), "server.toml", &server_toml(&good));
        let reports = write(dir.path(), "r.json", &reports_json(reports, 150));
        let messages = emit_all(dir.path(), &client, &usernames, &reports);
        let by_device = usernames
            .iter()
            .map(|u| {
                let mut mine: Vec<Msg> = messages
                    .iter()
                    .filter(|m| &m.username == u)
                    .cloned()
                    .collect();
                mine.sort_by_key(|m| m.msg_id);
                mine
            })
            .collect();
        Self {
            _dir: dir,
            pg,
            devices: server_devices,
            by_device,
        }
    }

    fn node(&self) -> Server {
        Server::start(&self.devices, Path::new(&self.pg.url), &[])
    }

    fn messages(&self) -> impl Iterator<Item = &Msg> {
        self.by_device.iter().flatten()
    }

    fn total_reports(&self) -> usize {
        self.messages().map(|m| m.reports).sum()
    }

    /// Every report of every message is stored exactly once.
    fn assert_all_stored_once(&self) {
        let rows = report_rows(&self.pg.url);
        let mut seen = HashSet::new();
        let mut per_message: HashMap<(String, u32), usize> = HashMap::new();
        for (u, m, c, _) in &rows {
            assert!(
                seen.insert((u.clone(), *m, *c)),
                "report {u}/{m}/{c} stored twice"
            );
            *per_message.entry((u.clone(), *m)).or_default() += 1;
        }
        for m in self.messages() {
            assert_eq!(
                per_message.get(&(m.username.clone(), m.msg_id)).copied(),
                Some(m.reports),
                "message {}/{} not stored whole",
                m.username,
                m.msg_id
            );
        }
        assert_eq!(rows.len(), self.total_reports());
    }
}

/// POSTs `body` to `nodes[first]`, then to the others in turn, until one answers 204 or the
/// budget is spent (a 503, a reset or no answer are retried with the same bytes, as a device
/// would). Returns the index of the node that answered.
fn deliver(nodes: &[SocketAddr], first: usize, body: &[u8]) -> Option<usize> {
    let deadline = Instant::now() + DELIVERY_BUDGET;
    let mut at = first;
    while Instant::now() < deadline {
        if post(nodes[at], "/", MEDIA, &[], body) == Some(204) {
            return Some(at);
        }
        std::thread::sleep(Duration::from_millis(100));
        at = (at + 1) % nodes.len();
    }
    None
}

fn sum_metric(nodes: &[&Server], name: &str) -> u64 {
    nodes.iter().map(|n| n.metric(name)).sum()
}

#[test]
fn a_message_posted_to_two_nodes_at_once_is_stored_once() {
    let fleet = Fleet::new(12, 16);
    let (a, b) = (fleet.node(), fleet.node());
    let nodes = [a.addr, b.addr];
    std::thread::scope(|s| {
        for mine in &fleet.by_device {
            s.spawn(move || {
                for m in mine {
                    // Both copies leave at the same instant.
                    let start = Barrier::new(2);
                    let statuses: Vec<Option<u16>> = std::thread::scope(|s| {
                        let handles: Vec<_> = nodes
                            .iter()
                            .map(|&addr| {
                                let start = &start;
                                s.spawn(move || {
                                    start.wait();
                                    post(addr, "/", MEDIA, &[], &m.body)
                                })
                            })
                            .collect();
                        handles.into_iter().map(|h| h.join().unwrap()).collect()
                    });
                    assert_eq!(statuses, [Some(204), Some(204)]);
                }
            });
        }
    });
    let count = fleet.messages().count() as u64;
    assert!(count >= 48, "{count} messages");
    fleet.assert_all_stored_once();
    assert_eq!(
        sum_metric(
            &[&a, &b],
            "omadm_messages_total{outcome=\"accepted\",reason=\"\"}"
        ),
        count
    );
    assert_eq!(
        sum_metric(
            &[&a, &b],
            "omadm_messages_total{outcome=\"ignored\",reason=\"replayed\"}"
        ),
        count
    );
}

#[test]
fn a_device_interleaved_across_two_nodes_is_stored_once_in_one_window() {
    let fleet = Fleet::new(8, 24);
    let (a, b) = (fleet.node(), fleet.node());
    let nodes = [a.addr, b.addr];
    std::thread::scope(|s| {
        for mine in &fleet.by_device {
            s.spawn(move || {
                // Two consecutive messages of the device at once, one through each node.
                for pair in mine.chunks(2) {
                    std::thread::scope(|s| {
                        for (i, m) in pair.iter().enumerate() {
                            s.spawn(move || {
                                assert_eq!(post(nodes[i], "/", MEDIA, &[], &m.body), Some(204));
                            });
                        }
                    });
                }
            });
        }
    });
    fleet.assert_all_stored_once();
    let rows = report_rows(&fleet.pg.url).len();
    // One window per device, which both nodes advanced: every message replayed through either
    // node is ignored.
    let states = query(
        &fleet.pg.url,
        "SELECT count(*) FROM replay_state WHERE state IS NOT NULL",
    );
    assert_eq!(
        states[0][0].as_deref(),
        Some(fleet.by_device.len().to_string().as_str())
    );
    for (i, m) in fleet.messages().enumerate() {
        assert_eq!(post(nodes[i % 2], "/", MEDIA, &[], &m.body), Some(204));
    }
    assert_eq!(
        report_rows(&fleet.pg.url).len(),
        rows,
        "replays stored nothing"
    );
    assert_eq!(
        sum_metric(
            &[&a, &b],
            "omadm_messages_total{outcome=\"ignored\",reason=\"replayed\"}"
        ),
        fleet.messages().count() as u64
    );
}

/// Devices split over the two nodes; each message retried on the other node until answered.
/// `during` runs once a third of the messages are answered. Returns how many messages were
/// answered by each node.
fn load_with(fleet: &Fleet, nodes: [SocketAddr; 2], during: impl FnOnce() + Send) -> [usize; 2] {
    let total = fleet.messages().count();
    let answered = AtomicUsize::new(0);
    let per_node = Mutex::new([0usize; 2]);
    std::thread::scope(|s| {
        s.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while answered.load(Ordering::Relaxed) < total / 3 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            during();
        });
        for (d, mine) in fleet.by_device.iter().enumerate() {
            let (answered, per_node) = (&answered, &per_node);
            s.spawn(move || {
                for m in mine {
                    let node = deliver(&nodes, d % 2, &m.body).unwrap_or_else(|| {
                        panic!("{}/{} never answered 204", m.username, m.msg_id)
                    });
                    per_node.lock().unwrap()[node] += 1;
                    answered.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    per_node.into_inner().unwrap()
}

#[test]
fn sigkill_of_one_node_loses_nothing_answered_and_the_other_keeps_serving() {
    let fleet = Fleet::new(12, 40);
    let a = Arc::new(Mutex::new(fleet.node()));
    let b = fleet.node();
    let nodes = [a.lock().unwrap().addr, b.addr];
    let total = fleet.messages().count();
    assert!(total >= 100, "{total} messages");
    let killed = Arc::clone(&a);
    let per_node = load_with(&fleet, nodes, move || killed.lock().unwrap().kill());
    eprintln!(
        "answered by node a: {}, by node b: {}",
        per_node[0], per_node[1]
    );
    assert!(per_node[0] < total / 2, "node a died during the run");
    assert!(per_node[1] > total / 2, "node b took over");
    fleet.assert_all_stored_once();
    // The survivor still serves: replays through it are ignored, and answered.
    for m in fleet.messages().take(20) {
        assert_eq!(post(b.addr, "/", MEDIA, &[], &m.body), Some(204));
    }
    fleet.assert_all_stored_once();
}

#[test]
fn a_database_restart_mid_load_loses_nothing_answered() {
    let fleet = Fleet::new(12, 40);
    let (a, b) = (fleet.node(), fleet.node());
    let nodes = [a.addr, b.addr];
    let pg = &fleet.pg;
    let per_node = load_with(&fleet, nodes, || pg.restart(Duration::from_millis(500)));
    eprintln!(
        "answered by node a: {}, by node b: {}",
        per_node[0], per_node[1]
    );
    let logs = format!("{}{}", a.log.lock().unwrap(), b.log.lock().unwrap());
    assert!(
        logs.contains("group commit failed"),
        "the restart came during the run: {logs}"
    );
    fleet.assert_all_stored_once();
    // Both nodes recovered by themselves.
    for (i, m) in fleet.messages().take(20).enumerate() {
        assert_eq!(post(nodes[i % 2], "/", MEDIA, &[], &m.body), Some(204));
    }
    assert!(
        sum_metric(
            &[&a, &b],
            "omadm_messages_total{outcome=\"accepted\",reason=\"\"}"
        ) >= fleet.messages().count() as u64
    );
}

#[test]
fn db_migrate_applies_the_schema_once_and_serve_refuses_a_newer_one() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = parts(&run(&["db", "migrate", "--db", &pg.url]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("schema version 0 -> "), "{out}");
    let (code, out, _) = parts(&run(&["db", "migrate", "--db", &pg.url]));
    assert_eq!(code, 0);
    assert!(out.contains("up to date"), "{out}");
    let sqlite = dir.path().join("r.sqlite");
    let (code, out, err) = parts(&run(&["db", "migrate", "--db", sqlite.to_str().unwrap()]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("schema version 0 -> "), "{out}");

    execute(
        &pg.url,
        "INSERT INTO schema_migrations (version, description) VALUES (9999, 'from the future')",
    );
    let devices = write(dir.path(), "server.toml", &server_toml(&devs("m", 1)));
    let (code, _, err) = parts(&run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--devices",
        &devices,
        "--db",
        &pg.url,
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("newer than this tool"), "{err}");
}
