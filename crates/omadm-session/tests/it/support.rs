//! A device, a server store of one, and a lossless channel between the two engines.

use std::time::{Duration, SystemTime};

use omadm_session::{
    AuthPin, ClientConfig, ClientEvent, ClientSession, DeviceAuth, MemoryTree, NodeValue, Nonce,
    NonceSource, Progress, Secret, ServerConfig, ServerEvent, ServerSession, SessionEnd, Transport,
    Username,
};
use omadm_syncml::SyncMl;
use omadm_xml::Limits;

pub const SERVER: &str = "https://dm.example.net/dm";
pub const DEVICE: &str = "IMEI:493005100592800";
pub const USER: &str = "dev1";
pub const PASSWORD: &str = "correct horse";

pub fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

pub fn nonce(seed: u8) -> Nonce {
    Nonce::new(&[seed; 16]).unwrap()
}

/// Deterministic "random" nonces: 16 bytes from a counter.
#[derive(Default)]
pub struct Counter(pub u64);

impl NonceSource for Counter {
    fn fresh_nonce(&mut self) -> Nonce {
        self.0 += 1;
        let mut b = [0xA5u8; 16];
        b[..8].copy_from_slice(&self.0.to_be_bytes());
        Nonce::new(&b).unwrap()
    }
}

/// The server's record of the one device.
#[derive(Clone, Debug)]
pub struct Store {
    pub pin: AuthPin,
    pub password: String,
    pub nonce: Nonce,
}

impl Store {
    pub fn new(pin: AuthPin, nonce: Nonce) -> Self {
        Self {
            pin,
            password: PASSWORD.to_owned(),
            nonce,
        }
    }

    pub fn device(&self) -> DeviceAuth {
        DeviceAuth::new(
            Username::new(USER).unwrap(),
            DEVICE,
            Secret::from(self.password.as_str()),
            self.pin,
            self.nonce,
        )
    }
}

pub fn client_config(pin: AuthPin, nonce: Nonce) -> ClientConfig {
    ClientConfig::new(
        Username::new(USER).unwrap(),
        Secret::from(PASSWORD),
        pin,
        nonce,
        SERVER,
        DEVICE,
        "4711",
    )
}

pub fn tree() -> MemoryTree {
    let mut t = MemoryTree::new();
    t.set("./DevDetail/SwV", NodeValue::chr("1.0.7"));
    t.set("./DevDetail/FwV", NodeValue::chr("fw-22"));
    t.set("./DevDetail/HwV", NodeValue::chr("rev-b"));
    t.set("./DevDetail/LrgObj", NodeValue::leaf("bool", "false"));
    t.set(
        "./DevDetail/SessionlessRpt",
        NodeValue::leaf("bool", "true"),
    );
    t
}

pub fn client(pin: AuthPin, nonce: Nonce) -> ClientSession<MemoryTree> {
    ClientSession::new(client_config(pin, nonce), tree()).unwrap()
}

pub fn server() -> ServerSession {
    ServerSession::new(ServerConfig::new(SERVER))
}

/// One exchanged message.
#[derive(Clone, Debug)]
pub struct Wire {
    pub body: Vec<u8>,
    pub hmac: Option<String>,
}

/// Everything that crossed the channel and came out of the engines.
#[derive(Debug, Default)]
pub struct Log {
    pub client_msgs: Vec<Wire>,
    pub server_msgs: Vec<Vec<u8>>,
    pub server_events: Vec<ServerEvent>,
    pub client_events: Vec<ClientEvent>,
    pub errors: Vec<String>,
}

impl Log {
    pub fn server_end(&self) -> Option<&SessionEnd> {
        self.server_events.iter().find_map(|e| match e {
            ServerEvent::Ended(end) => Some(end),
            _ => None,
        })
    }

    pub fn client_end(&self) -> Option<&SessionEnd> {
        self.client_events.iter().find_map(|e| match e {
            ClientEvent::Ended(end) => Some(end),
            _ => None,
        })
    }

    pub fn server_authenticated(&self) -> bool {
        self.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
    }
}

/// Feeds one client message to the server, answering a secret lookup from `store`.
pub fn deliver(
    server: &mut ServerSession,
    store: &Store,
    body: &[u8],
    hmac: Option<&str>,
    nonces: &mut Counter,
) -> Result<(), omadm_session::SessionError> {
    match server.handle_message(body, &Transport::with_hmac(hmac), at(1_000), nonces)? {
        Progress::Done => Ok(()),
        Progress::NeedSecret(req) => {
            let device = store.device();
            let found = (req.username == USER).then_some(&device);
            server.supply_secret(found, nonces)
        }
    }
}

/// Runs the two engines against each other over a lossless channel until neither moves.
pub fn run(
    server: &mut ServerSession,
    client: &mut ClientSession<MemoryTree>,
    store: &Store,
    nonces: &mut Counter,
) -> Log {
    let mut log = Log::default();
    for _ in 0..200 {
        let mut moved = false;
        while let Some(t) = client.poll_transmit() {
            moved = true;
            log.client_msgs.push(Wire {
                body: t.body.clone(),
                hmac: t.hmac.clone(),
            });
            if let Err(e) = deliver(server, store, &t.body, t.hmac.as_deref(), nonces) {
                log.errors.push(format!("server: {e}"));
            }
        }
        while let Some(t) = server.poll_transmit() {
            moved = true;
            log.server_msgs.push(t.body.clone());
            if let Err(e) = client.handle_message(&t.body) {
                log.errors.push(format!("client: {e}"));
            }
        }
        while let Some(e) = server.poll_event() {
            moved = true;
            log.server_events.push(e);
        }
        while let Some(e) = client.poll_event() {
            moved = true;
            log.client_events.push(e);
        }
        if !moved {
            break;
        }
    }
    log
}

pub fn decode(body: &[u8]) -> SyncMl<'_> {
    omadm_xml::decode(body, &Limits::DEFAULT).unwrap()
}

/// The SyncHdr Status (code, has a Chal with NextNonce) of a server message.
pub fn header_status(body: &[u8]) -> (u16, Option<String>) {
    let msg = decode(body);
    msg.body
        .commands
        .iter()
        .find_map(|c| match c {
            omadm_syncml::Command::Status(s) if s.cmd_ref.get() == 0 => Some((
                s.data.get(),
                s.chal
                    .as_ref()
                    .and_then(|c| c.meta.next_nonce.as_deref().map(str::to_owned)),
            )),
            _ => None,
        })
        .unwrap()
}

/// A `Get` of `uri`, for queueing.
pub fn get(uri: &str) -> omadm_syncml::Command<'static> {
    omadm_session::commands::get(uri)
}
