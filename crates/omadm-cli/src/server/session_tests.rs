//! The session path of the server over HTTP on 127.0.0.1, with the real gate (`ServerSide`),
//! the SQLite store and the `omadm-session` client engine: a session rotates the nonce, the
//! sessionless verifier takes the new one at once and ignores the old one; a replayed package 1
//! is challenged; queued commands are delivered; discovery is recorded.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Bytes;
use omadm_dmsec::Nonce;
use omadm_emitter::SessionlessReport;
use omadm_session::{
    AuthPin, ClientConfig, ClientEvent, ClientSession, EndReason, SessionEnd, Transmit,
};
use omadm_syncml::{CmdRef, Command, Format, MEDIA_TYPE_XML};
use tokio::sync::mpsc;

use super::*;
use crate::client::{Client, Target};
use crate::cmd::emit::{Overrides, emitter_for, username_of};
use crate::cmd::session::{exchange, tree};
use crate::config::Devices;
use crate::store::{SqliteStore, session};
use crate::verification::ServerSide;

const SERVER_URI: &str = "http://127.0.0.1/dm";

struct Harness {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    devices: Devices,
    running: Running,
    url: String,
    events: mpsc::UnboundedReceiver<Outcome>,
}

fn devices(dir: &Path) -> Devices {
    let nonce = Nonce::new(&[7u8; 16]).unwrap().to_base64();
    let text = format!(
        "[[device]]\nusername = \"dev1\"\ndevice_id = \"IMEI:1\"\n\
         secret = \"correct horse battery\"\nnonce = \"{nonce}\"\n"
    );
    let path = dir.join("devices.toml");
    std::fs::write(&path, &text).unwrap();
    Devices::parse(&path, &text).unwrap()
}

async fn harness(auth: SessionAuthMode, discovery: bool) -> Harness {
    harness_with(auth, discovery, None).await
}

async fn harness_with(
    auth: SessionAuthMode,
    discovery: bool,
    target: Option<omadm_session::discovery::DiscoveryTarget>,
) -> Harness {
    harness_on(Backing::Sqlite, |config| {
        config.sessions.auth = auth;
        config.sessions.discovery = discovery;
        config.sessions.discovery_target = target;
    })
    .await
}

/// The store a harness's server runs on.
enum Backing {
    /// `db.sqlite` in the harness's directory.
    Sqlite,
    /// No store: no session state either.
    Null,
}

/// A server on 127.0.0.1 with the real gate and the one-device devices file, on `backing`,
/// with `configure` applied to its configuration.
async fn harness_on(backing: Backing, configure: impl FnOnce(&mut ServerConfig)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let devices = devices(dir.path());
    let store: Box<dyn ReportStore> = match backing {
        Backing::Sqlite => Box::new(SqliteStore::open(&db).unwrap()),
        Backing::Null => Box::new(crate::store::NullStore::default()),
    };
    let gate = Arc::new(ServerSide::new(&devices, 16 * 1024).unwrap());
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.tick.period = Duration::from_millis(2);
    config.summary_interval = None;
    configure(&mut config);
    let (tx, events) = mpsc::unbounded_channel();
    let running = start(&config, gate, store, Some(tx)).await.unwrap();
    let url = format!("http://{}/dm", running.addr);
    Harness {
        _dir: dir,
        db,
        devices,
        running,
        url,
        events,
    }
}

impl Harness {
    fn client(
        &self,
        nonce: Nonce,
        session_id: &str,
        pin: AuthPin,
    ) -> ClientSession<omadm_session::MemoryTree> {
        self.client_in(nonce, session_id, pin, omadm_session::Encoding::Xml)
    }

    fn client_in(
        &self,
        nonce: Nonce,
        session_id: &str,
        pin: AuthPin,
        encoding: omadm_session::Encoding,
    ) -> ClientSession<omadm_session::MemoryTree> {
        let device = self.devices.require("dev1").unwrap();
        let mut config = ClientConfig::new(
            username_of(&self.devices, device).unwrap(),
            device.secret.clone().unwrap(),
            pin,
            nonce,
            SERVER_URI,
            device.device_id.clone(),
            session_id.to_owned(),
        );
        config.encoding = encoding;
        ClientSession::new(config, tree(device)).unwrap()
    }

    /// A whole session; returns how it ended, the client's events and what it sent.
    async fn session(
        &self,
        nonce: Nonce,
        session_id: &str,
        pin: AuthPin,
    ) -> (SessionEnd, Vec<ClientEvent>, Vec<Transmit>) {
        let mut client = self.client(nonce, session_id, pin);
        let mut http = Client::new(Target::parse(&self.url).unwrap(), Duration::from_secs(5));
        let mut sent = Vec::new();
        exchange(&mut client, &mut http, &self.url, Some(&mut sent))
            .await
            .unwrap();
        let mut events = Vec::new();
        let mut end = None;
        while let Some(e) = client.poll_event() {
            if let ClientEvent::Ended(x) = &e {
                end = Some(x.clone());
            }
            events.push(e);
        }
        (end.expect("the session ended"), events, sent)
    }

    /// Posts a sessionless report of dev1 signed with `nonce`; returns the writer's outcome.
    async fn report(&mut self, nonce: Nonce, msg_id: u32) -> Outcome {
        let device = self.devices.require("dev1").unwrap();
        let mut emitter = emitter_for(
            &self.devices,
            device,
            SERVER_URI,
            Overrides::default(),
            msg_id,
            Some(nonce),
        )
        .unwrap();
        let report = SessionlessReport::new(
            Some("./Ext/Battery".to_owned().into()),
            "urn:oma:mo:battery:1.0".to_owned(),
            Format::from_token("int".to_owned()),
            None,
            "42".to_owned(),
        )
        .unwrap();
        let message = emitter.emit(&[report]).unwrap().messages.remove(0);
        let mut http = Client::new(Target::parse(&self.url).unwrap(), Duration::from_secs(5));
        let delivery = http
            .post(
                &Bytes::from(message.body),
                MEDIA_TYPE_XML,
                &message.headers,
                0,
            )
            .await;
        assert_eq!(delivery.status.unwrap().as_u16(), 204);
        tokio::time::timeout(Duration::from_secs(5), self.events.recv())
            .await
            .unwrap()
            .unwrap()
    }

    fn conn(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).unwrap()
    }

    fn registry_nonce(&self) -> Option<String> {
        self.conn()
            .query_row(
                "SELECT nonce FROM devices WHERE username = 'dev1'",
                [],
                |r| r.get(0),
            )
            .ok()
    }
}

fn initial_nonce() -> Nonce {
    Nonce::new(&[7u8; 16]).unwrap()
}

/// The SyncHdr Status code of a server message.
fn header_status(body: &[u8]) -> u16 {
    let msg = omadm_xml::decode(body, &omadm_xml::Limits::DEFAULT).unwrap();
    msg.body
        .commands
        .iter()
        .find_map(|c| match c {
            Command::Status(s) if s.cmd_ref == CmdRef::SYNC_HDR => Some(s.data.get()),
            _ => None,
        })
        .expect("a SyncHdr status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_rotates_the_nonce_and_the_verifier_follows_at_once() {
    for pin in [AuthPin::HMAC_SHA256, AuthPin::Md5] {
        let mode = if pin == AuthPin::Md5 {
            SessionAuthMode::Md5
        } else {
            SessionAuthMode::Hmac
        };
        let mut h = harness(mode, true).await;
        let old = initial_nonce();
        assert_eq!(h.report(old, 1).await, Outcome::Stored(1), "{pin:?}");

        let (end, _, _) = h.session(old, "1", pin).await;
        assert_eq!(end.reason, EndReason::Completed, "{pin:?}");
        assert!(end.authenticated);
        let new = end.next_nonce.expect("a new nonce");
        assert_ne!(new, old);
        // Written to the registry (the file's device imported), in the writer's transaction.
        assert_eq!(h.registry_nonce(), Some(new.to_base64()), "{pin:?}");
        // Counted for the operator: the status page's card and `/metrics`.
        let seen = h.running.metrics.snapshot().sessions;
        assert_eq!(seen.ended.get("completed"), Some(&1), "{pin:?}");
        assert_eq!(
            (seen.authenticated, seen.nonces_issued, seen.live),
            (1, 1, 0)
        );
        let exposition = h.running.metrics.render();
        assert!(
            exposition
                .contains("omadm_dm_sessions_total{end=\"completed\",authenticated=\"true\"} 1"),
            "{exposition}"
        );
        assert!(exposition.contains("omadm_dm_session_nonces_issued_total 1"));

        // The running server expects the new nonce at once, and no longer the old one.
        assert_eq!(h.report(new, 1).await, Outcome::Stored(1), "{pin:?}");
        assert_eq!(
            h.report(old, 2).await,
            Outcome::Ignored("bad-mac"),
            "{pin:?}"
        );
        assert_eq!(h.report(new, 2).await, Outcome::Stored(1), "{pin:?}");
        h.running.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_package_1_is_challenged_not_accepted() {
    let h = harness(SessionAuthMode::Md5, false).await;
    let (end, _, sent) = h.session(initial_nonce(), "7", AuthPin::Md5).await;
    assert_eq!(end.reason, EndReason::Completed);
    let package1 = &sent[0];
    // The same bytes again, after the session ended: a new session, whose credential was built
    // with the nonce the first session replaced.
    let mut http = Client::new(Target::parse(&h.url).unwrap(), Duration::from_secs(5));
    let (status, answer) = http
        .request(
            &Bytes::from(package1.body.clone()),
            package1.content_type,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200);
    let code = header_status(&answer);
    assert!(
        code == 401 || code == 407,
        "replayed package 1 answered {code}"
    );
    // And while a session is live (a queued command keeps it open after package 2), its
    // package 1 again is out of sequence: refused.
    session::sqlite_enqueue(&h.conn(), "dev1", 1, "get", "./DevDetail/SwV", None, None).unwrap();
    let mut client = h.client(end.next_nonce.unwrap(), "8", AuthPin::Md5);
    let first = client.poll_transmit().unwrap();
    let (status, answer) = http
        .request(&Bytes::from(first.body.clone()), first.content_type, &[])
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200);
    assert_eq!(header_status(&answer), 212);
    let (status, _) = http
        .request(&Bytes::from(first.body.clone()), first.content_type, &[])
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 400);
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_commands_are_delivered_and_discovery_is_recorded_once() {
    let h = harness(SessionAuthMode::Hmac, true).await;
    let conn = h.conn();
    let get =
        session::sqlite_enqueue(&conn, "dev1", 1, "get", "./DevDetail/SwV", None, None).unwrap();
    let replace = session::sqlite_enqueue(
        &conn,
        "dev1",
        2,
        "replace",
        "./DevDetail/Ext/Note",
        Some("hello"),
        None,
    )
    .unwrap();
    let (end, events, _) = h.session(initial_nonce(), "1", AuthPin::HMAC_SHA256).await;
    assert_eq!(end.reason, EndReason::Completed);
    let executed: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Executed { cmd, .. } => Some(*cmd),
            _ => None,
        })
        .collect();
    // The queue's Get and Replace, then discovery's Get.
    assert_eq!(executed, ["Get", "Replace", "Get"], "{events:?}");
    let rows = session::sqlite_list(&conn, Some("dev1")).unwrap();
    let by_id = |id| rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(by_id(get).state, "done");
    assert_eq!(by_id(get).status, Some(200));
    let results = by_id(get).results.as_deref().unwrap();
    assert!(results.contains(env!("CARGO_PKG_VERSION")), "{results}");
    assert_eq!(by_id(replace).state, "done");
    assert!(by_id(replace).status.is_some());
    let discovered = session::sqlite_discovery(&conn, "dev1").unwrap().unwrap();
    assert_eq!(discovered.supported, Some(true));
    assert_eq!(discovered.status, Some(200));

    // The second session: nothing queued, discovery not run again.
    let (end2, events2, _) = h
        .session(end.next_nonce.unwrap(), "2", AuthPin::HMAC_SHA256)
        .await;
    assert_eq!(end2.reason, EndReason::Completed);
    assert!(
        !events2
            .iter()
            .any(|e| matches!(e, ClientEvent::Executed { .. })),
        "{events2:?}"
    );
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_on_a_store_without_session_state_are_refused() {
    let h = harness_on(Backing::Null, |_| {}).await;
    let mut client = h.client(initial_nonce(), "1", AuthPin::HMAC_SHA256);
    let first = client.poll_transmit().unwrap();
    let headers: Vec<(&str, String)> = first
        .hmac
        .map(|v| vec![(omadm_dmsec::HMAC_HEADER, v)])
        .unwrap_or_default();
    let mut http = Client::new(Target::parse(&h.url).unwrap(), Duration::from_secs(5));
    let (status, _) = http
        .request(&Bytes::from(first.body), first.content_type, &headers)
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 501);
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wbxml_session_is_answered_in_wbxml() {
    let mut h = harness(SessionAuthMode::Hmac, true).await;
    let mut client = h.client_in(
        initial_nonce(),
        "9",
        AuthPin::HMAC_SHA256,
        omadm_session::Encoding::Wbxml,
    );
    let mut http = Client::new(Target::parse(&h.url).unwrap(), Duration::from_secs(5));
    let mut replies = Vec::new();
    while let Some(t) = client.poll_transmit() {
        assert_eq!(t.content_type, omadm_syncml::MEDIA_TYPE_WBXML);
        let headers: Vec<(&str, String)> = t
            .hmac
            .map(|v| vec![(omadm_dmsec::HMAC_HEADER, v)])
            .unwrap_or_default();
        let (status, answer) = http
            .request(&Bytes::from(t.body), t.content_type, &headers)
            .await
            .unwrap();
        assert_eq!(status.as_u16(), 200);
        // A WBXML document (its version byte), not XML.
        assert!(matches!(answer.first(), Some(1..=3)), "{answer:?}");
        replies.push(answer.clone());
        client.handle_message(&answer).unwrap();
    }
    let mut end = None;
    while let Some(e) = client.poll_event() {
        if let ClientEvent::Ended(x) = e {
            end = Some(x);
        }
    }
    let end = end.unwrap();
    assert_eq!(end.reason, EndReason::Completed);
    let new = end.next_nonce.unwrap();
    assert_eq!(h.registry_nonce(), Some(new.to_base64()));
    assert_eq!(h.report(new, 1).await, Outcome::Stored(1));
    h.running.shutdown().await;
}

/// A report checked with the old nonce, then committed after a session's new nonce was
/// committed, is not stored: the writer judges it against the nonce the gate holds then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_checked_before_a_rotation_and_committed_after_it_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let devices = devices(dir.path());
    let gate = Arc::new(ServerSide::new(&devices, 16 * 1024).unwrap());
    let store = SqliteStore::open(&dir.path().join("db.sqlite")).unwrap();
    let (writer, task) = writer::spawn(
        Arc::clone(&gate),
        Box::new(store),
        Arc::new(Metrics::default()),
        Tick::default(),
        None,
    );
    let device = devices.require("dev1").unwrap();
    let body = |msg_id| {
        let mut emitter = emitter_for(
            &devices,
            device,
            SERVER_URI,
            Overrides::default(),
            msg_id,
            None,
        )
        .unwrap();
        let report = SessionlessReport::new(
            None,
            "urn:x:y".to_owned(),
            Format::from_token("chr".to_owned()),
            None,
            "x".to_owned(),
        )
        .unwrap();
        emitter.emit(&[report]).unwrap().messages.remove(0).body
    };
    let transport = Transport::default();
    let first = gate.check(&body(1), &transport).unwrap();
    let second = gate.check(&body(2), &transport).unwrap();
    assert_eq!(
        writer.submit(0, Work::Checked(Box::new(first))).await,
        Outcome::Stored(1)
    );
    gate.nonce_issued("dev1", Nonce::new(&[9u8; 16]).unwrap());
    assert_eq!(
        writer.submit(0, Work::Checked(Box::new(second))).await,
        Outcome::Ignored(super::gate::STALE_NONCE)
    );
    drop(writer);
    task.await.unwrap();
}

/// With a target, discovery reads the placeholder and, the device supporting the feature,
/// sets the target's nodes; the enabling Replace's Status is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_enables_through_the_placeholder() {
    use omadm_session::NodeValue;
    use omadm_session::discovery::DiscoveryTarget;

    const PLACEHOLDER: &str = "./Vendor/MO/SessionlessRpt";
    const ENABLE: &str = "./Vendor/MO/SessionlessRpt/Enabled";
    let target = DiscoveryTarget::new(
        PLACEHOLDER,
        vec![(ENABLE.to_owned(), NodeValue::leaf("bool", "true"))],
    );
    let h = harness_with(SessionAuthMode::Hmac, true, Some(target)).await;
    let device = h.devices.require("dev1").unwrap();
    let mut tree = tree(device);
    tree.set(PLACEHOLDER, NodeValue::interior());
    tree.set(ENABLE, NodeValue::leaf("bool", "false"));
    let config = ClientConfig::new(
        username_of(&h.devices, device).unwrap(),
        device.secret.clone().unwrap(),
        AuthPin::HMAC_SHA256,
        initial_nonce(),
        SERVER_URI,
        device.device_id.clone(),
        "5".to_owned(),
    );
    let mut client = ClientSession::new(config, tree).unwrap();
    let mut http = Client::new(Target::parse(&h.url).unwrap(), Duration::from_secs(5));
    exchange(&mut client, &mut http, &h.url, None)
        .await
        .unwrap();
    let tree = client.into_tree();
    assert_eq!(tree.value(ENABLE).map(|v| v.data.as_str()), Some("true"));
    let discovered = session::sqlite_discovery(&h.conn(), "dev1")
        .unwrap()
        .unwrap();
    assert_eq!(discovered.supported, Some(true));
    assert_eq!(discovered.placeholder, Some(true));
    assert_eq!(discovered.enabling_status, Some(200));
    h.running.shutdown().await;
}

/// First messages the engine refuses leave no session behind: they cannot fill the live map.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_first_messages_do_not_fill_the_live_sessions() {
    let h = harness_on(Backing::Sqlite, |config| config.sessions.max_live = 2).await;
    let mut http = Client::new(Target::parse(&h.url).unwrap(), Duration::from_secs(5));
    for n in 0..5 {
        // A well-formed header, a body that does not decode.
        let body = format!(
            "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD>\
             <VerProto>DM/1.2</VerProto><SessionID>{}</SessionID><MsgID>1</MsgID>\
             <Target><LocURI>{SERVER_URI}</LocURI></Target><Source><LocURI>IMEI:{n}</LocURI>\
             </Source></SyncHdr><SyncBody><Bogus/></SyncBody></SyncML>",
            n + 1
        );
        let (status, _) = http
            .request(&Bytes::from(body), MEDIA_TYPE_XML, &[])
            .await
            .unwrap();
        assert_eq!(status.as_u16(), 400);
    }
    let (end, _, _) = h.session(initial_nonce(), "77", AuthPin::HMAC_SHA256).await;
    assert_eq!(end.reason, EndReason::Completed);
    h.running.shutdown().await;
}
