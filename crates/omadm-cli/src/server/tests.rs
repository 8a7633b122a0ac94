//! Tests of the server skeleton with a stand-in gate: HTTP edge, group commit, anti-replay in
//! the transaction, metrics, shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use omadm_syncml::MEDIA_TYPE_XML;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use super::*;
use crate::store::{AcceptedMessage, NullStore, SqliteStore};

/// Body `user:msg_id:data`; known users `dev1`, `dev2`; the replay state is the seen MsgIDs.
struct StubGate;

impl Gate for StubGate {
    type Claim = u32;

    fn check(&self, body: &[u8], _t: &Transport<'_>) -> Result<Checked<u32>, Reason> {
        let text = std::str::from_utf8(body).map_err(|_| "not_utf8")?;
        let mut parts = text.splitn(3, ':');
        let user = parts.next().ok_or("syntax")?;
        let msg_id: u32 = parts.next().and_then(|m| m.parse().ok()).ok_or("syntax")?;
        let data = parts.next().ok_or("syntax")?;
        if user != "dev1" && user != "dev2" {
            return Err("unknown_device");
        }
        Ok(Checked {
            message: AcceptedMessage::one_report(user, msg_id, data),
            claim: msg_id,
        })
    }

    fn replay(&self, checked: &Checked<u32>, state: Option<&[u8]>) -> Result<Vec<u8>, Reason> {
        let mut seen: Vec<u32> = state
            .map(|s| {
                std::str::from_utf8(s)
                    .unwrap()
                    .split(',')
                    .filter(|x| !x.is_empty())
                    .map(|x| x.parse().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if seen.contains(&checked.claim) {
            return Err("replay");
        }
        seen.push(checked.claim);
        Ok(seen
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
            .into_bytes())
    }
}

fn config() -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    config.max_msg_size = 64;
    config.tick.period = Duration::from_millis(3);
    config
}

async fn start_sqlite(dir: &tempfile::TempDir) -> Running {
    let store = SqliteStore::open(&dir.path().join("db.sqlite")).unwrap();
    start(&config(), Arc::new(StubGate), Box::new(store), None)
        .await
        .unwrap()
}

/// One HTTP/1.1 exchange on a fresh connection; returns the status and the body.
async fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (and close) before reading an oversize body: ignore write errors.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

async fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> u16 {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    exchange(addr, &head, body).await.0
}

async fn post_dm(addr: SocketAddr, body: &str) -> u16 {
    post(addr, "/", MEDIA_TYPE_XML, body.as_bytes()).await
}

fn rows(dir: &tempfile::TempDir) -> Vec<crate::store::StoredReport> {
    SqliteStore::open_read_only(&dir.path().join("db.sqlite"))
        .unwrap()
        .reports()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_message_is_stored_before_its_204() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_sqlite(&dir).await;
    assert_eq!(post_dm(server.addr, "dev1:1:hello").await, 204);
    // Answered means committed: a reader sees the row now.
    let stored = rows(&dir);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].username, "dev1");
    assert_eq!(stored[0].device_id, "IMEI:dev1");
    assert_eq!(stored[0].msg_id, 1);
    assert_eq!(stored[0].data, "hello");
    assert_eq!(
        post(
            server.addr,
            "/dm",
            "application/vnd.syncml.dm+xml; charset=utf-8",
            b"dev2:1:x"
        )
        .await,
        204
    );
    assert_eq!(rows(&dir).len(), 2);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_post_gets_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_sqlite(&dir).await;
    let addr = server.addr;
    assert_eq!(post_dm(addr, "dev1:1:ok").await, 204);
    assert_eq!(post_dm(addr, "dev1:1:ok").await, 204, "replay");
    assert_eq!(post_dm(addr, "nobody:1:x").await, 204, "unknown device");
    assert_eq!(post_dm(addr, "garbage").await, 204, "syntax");
    assert_eq!(
        post(addr, "/", "text/plain", b"dev1:2:x").await,
        204,
        "media type"
    );
    let big = format!("dev1:3:{}", "x".repeat(100));
    assert_eq!(post_dm(addr, &big).await, 204, "oversize by content-length");
    // Chunked, so that only reading tells the size.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {MEDIA_TYPE_XML}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut chunked = Vec::new();
    for _ in 0..4 {
        chunked.extend_from_slice(b"20\r\n01234567890123456789012345678901\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, body) = exchange(addr, &head, &chunked).await;
    assert_eq!((status, body.as_str()), (204, ""), "oversize while reading");
    assert_eq!(rows(&dir).len(), 1);

    let m = server.metrics.snapshot();
    assert_eq!(m.requests, 7);
    assert_eq!(m.accepted_messages, 1);
    assert_eq!(m.stored_reports, 1);
    assert_eq!(m.ignored.get("replay"), Some(&1));
    assert_eq!(m.ignored.get("unknown_device"), Some(&1));
    assert_eq!(m.ignored.get("syntax"), Some(&1));
    assert_eq!(m.ignored.get(gate::MEDIA_TYPE), Some(&1));
    assert_eq!(m.ignored.get(gate::OVERSIZE), Some(&2));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_is_405_and_metrics_live_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_sqlite(&dir).await;
    let (status, _) = exchange(
        server.addr,
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"",
    )
    .await;
    assert_eq!(status, 405);
    let (status, _) = exchange(
        server.addr,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"",
    )
    .await;
    assert_eq!(status, 404, "no metrics on the DM port");
    assert_eq!(post_dm(server.addr, "dev1:1:a").await, 204);
    let (status, text) = exchange(
        server.metrics_addr.unwrap(),
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"",
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.contains("omadm_requests_total 1\n"), "{text}");
    assert!(text.contains("omadm_reports_stored_total 1\n"), "{text}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_copies_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_sqlite(&dir).await;
    let addr = server.addr;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..40 {
        tasks.spawn(async move { post_dm(addr, "dev2:7:same").await });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 204);
    }
    assert_eq!(rows(&dir).len(), 1);
    let m = server.metrics.snapshot();
    assert_eq!(m.accepted_messages, 1);
    assert_eq!(m.ignored.get("replay"), Some(&39));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_sqlite(&dir).await;
    assert_eq!(post_dm(server.addr, "dev1:1:a").await, 204);
    server.shutdown().await;
    let server = start_sqlite(&dir).await;
    assert_eq!(post_dm(server.addr, "dev1:1:a").await, 204);
    assert_eq!(post_dm(server.addr, "dev1:2:b").await, 204);
    assert_eq!(rows(&dir).len(), 2);
    assert_eq!(server.metrics.snapshot().ignored.get("replay"), Some(&1));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_store_still_refuses_replays() {
    let server = start(
        &config(),
        Arc::new(StubGate),
        Box::new(NullStore::default()),
        None,
    )
    .await
    .unwrap();
    assert_eq!(post_dm(server.addr, "dev1:1:a").await, 204);
    assert_eq!(post_dm(server.addr, "dev1:1:a").await, 204);
    let m = server.metrics.snapshot();
    assert_eq!((m.accepted_messages, m.ignored_total()), (1, 1));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_are_cut_off_and_answered_alike() {
    let mut config = config();
    config.body_timeout = Duration::from_millis(200);
    let server = start(
        &config,
        Arc::new(StubGate),
        Box::new(NullStore::default()),
        None,
    )
    .await
    .unwrap();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: {MEDIA_TYPE_XML}\r\nContent-Length: 20\r\nConnection: close\r\n\r\ndev1:1:"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The rest of the body never comes.
    let mut response = Vec::new();
    let started = std::time::Instant::now();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 204"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(150));
    let m = server.metrics.snapshot();
    assert_eq!(m.ignored.get(gate::BODY_TIMEOUT), Some(&1));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_time_out_and_connections_are_bounded() {
    let mut config = config();
    config.header_timeout = Duration::from_millis(300);
    config.max_connections = 1;
    let server = start(
        &config,
        Arc::new(StubGate),
        Box::new(NullStore::default()),
        None,
    )
    .await
    .unwrap();
    // An idle connection holds the only slot until the header timeout closes it.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    assert_eq!(post_dm(server.addr, "dev1:1:a").await, 204);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "the second connection waited for the slot: {:?}",
        started.elapsed()
    );
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the idle connection was closed");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_commits_what_is_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("db.sqlite")).unwrap();
    let mut config = config();
    config.tick.period = Duration::from_millis(200);
    let server = start(&config, Arc::new(StubGate), Box::new(store), None)
        .await
        .unwrap();
    let addr = server.addr;
    let posting = tokio::spawn(async move { post_dm(addr, "dev1:1:late").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown().await;
    assert_eq!(posting.await.unwrap(), 204);
    assert_eq!(rows(&dir).len(), 1);
}
