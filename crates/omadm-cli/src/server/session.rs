//! DM sessions on the DM endpoint: a message whose `SessionID` is not `0` goes to an
//! `omadm-session` [`ServerSession`], kept live in memory between its HTTP requests and keyed
//! by (`SyncHdr/Source/LocURI`, `SessionID`), at most [`SessionConfig::max_live`] at once, each
//! ended after [`SessionConfig::idle_timeout`] of silence.
//!
//! What a session needs from the store and what it leaves there go through the storage writer,
//! in its group-commit transactions: at the start, the device's queued commands and whether
//! discovery ran; at the end (authenticated sessions only), the answered commands, discovery's
//! answer and the new nonce — written to the device's registry row in the same transaction as
//! the tick's anti-replay states, and handed to the gate before any later tick is judged and
//! before the reply that carries the nonce is released.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use omadm_dmsec::{Nonce, Username};
use omadm_session::discovery::DiscoveryTarget;
use omadm_session::{
    AuthPin, DeviceAuth, Encoding, EndReason, Header, NodeValue, ServerEvent, ServerSession,
    SessionEnd, Ticket, Transport, commands,
};
use omadm_syncml::Command;
use tokio::sync::Mutex as AsyncMutex;

use super::Metrics;
use super::gate::Gate;
use super::writer::{SessionDone, SessionOp, WriterHandle};
use crate::store::{Answered, Discovered, QueuedCommand, SessionFinish};
use crate::verification::SessionDevice;

/// How the server runs DM sessions.
#[derive(Clone, Debug)]
pub(crate) struct SessionConfig {
    /// Whether the store keeps session state (if not, session messages are refused).
    pub(crate) enabled: bool,
    /// Most sessions live at once; a new session beyond it is refused (503) once the expired
    /// ones are swept.
    pub(crate) max_live: usize,
    /// The longest silence between two messages of a session.
    pub(crate) idle_timeout: Duration,
    /// How devices authenticate in their sessions.
    pub(crate) auth: SessionAuthMode,
    /// Run discovery on a device's first session.
    pub(crate) discovery: bool,
    /// What discovery enables when the device supports it and offers the placeholder.
    pub(crate) discovery_target: Option<DiscoveryTarget>,
    /// The server's MaxMsgSize (also the sessions').
    pub(crate) max_msg_size: usize,
}

impl SessionConfig {
    /// Defaults: on, 1024 live sessions, 5 minutes idle, HMAC, discovery on without a target.
    pub(crate) fn new(max_msg_size: usize) -> Self {
        Self {
            enabled: true,
            max_live: 1024,
            idle_timeout: Duration::from_secs(300),
            auth: SessionAuthMode::Hmac,
            discovery: true,
            discovery_target: None,
            max_msg_size,
        }
    }
}

/// The scheme devices are pinned to in their sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionAuthMode {
    /// `x-syncml-hmac` over every message, with the device's algorithm and construction.
    Hmac,
    /// An auth-md5 `Cred` in package 1.
    Md5,
}

/// What the HTTP edge answers to a session message.
#[derive(Debug)]
pub(crate) enum Answer {
    /// The server's DM message.
    Message {
        body: Vec<u8>,
        content_type: &'static str,
    },
    /// The message could not be taken into a session (undecodable, out of sequence, another
    /// session's): 400, no body.
    Refused(&'static str),
    /// No room for a new session, or the store failed: 503, no body (the client may retry).
    Unavailable(&'static str),
    /// The store keeps no session state: 501.
    Unsupported,
}

type Key = (String, String);

/// The live sessions.
pub(crate) struct Sessions {
    config: SessionConfig,
    live: Mutex<HashMap<Key, Arc<AsyncMutex<Live>>>>,
    metrics: Arc<Metrics>,
}

struct Live {
    engine: ServerSession,
    /// Whether the store's start (queue, discovery) was read.
    started: bool,
    device: Option<SessionDevice>,
    /// Ticket of a queued command -> its row id.
    tickets: HashMap<Ticket, i64>,
    answered: HashMap<i64, Answered>,
    discovery: Option<Discovered>,
    enabling: Option<Ticket>,
    end: Option<SessionEnd>,
    last: Instant,
    /// The engine took at least one message.
    taken: bool,
    /// Removed from the map (ended): a request that waited for the lock must not use it.
    gone: bool,
}

impl Sessions {
    pub(crate) fn new(config: SessionConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            config,
            live: Mutex::new(HashMap::new()),
            metrics,
        }
    }

    /// How many sessions are live.
    pub(crate) fn len(&self) -> usize {
        self.live.lock().map_or(0, |l| l.len())
    }

    /// Handles one message of a session (its header already scanned).
    pub(crate) async fn handle<G: Gate>(
        &self,
        gate: &G,
        writer: &WriterHandle<G::Claim>,
        header: Header<'_>,
        hmac: Option<&str>,
    ) -> Answer {
        if !self.config.enabled {
            return Answer::Unsupported;
        }
        let hdr = header.hdr();
        let key = (
            hdr.source.loc_uri.clone().into_owned(),
            hdr.session_id.as_str().to_owned(),
        );
        let Some(entry) = self.entry(&key, &header, writer) else {
            return Answer::Unavailable("too-many-sessions");
        };
        let mut live = entry.lock().await;
        if live.gone {
            return Answer::Refused("session-ended");
        }
        live.last = Instant::now();
        if !live.started {
            let claimed = omadm_session::claimed_user(header.hdr(), hmac);
            if let Some(username) = &claimed
                && gate.load_device(username).await.is_err()
            {
                // The device registry could not be read (a cache miss while the database is
                // away): nothing is decided, the client may retry.
                return Answer::Unavailable("registry-unavailable");
            }
            if let Some(username) = claimed
                && let Some(device) = gate.session_device(&username)
            {
                let Some(SessionDone::Started(start)) =
                    writer.session(SessionOp::Start { username }).await
                else {
                    return Answer::Unavailable("store-failed");
                };
                for row in &start.queued {
                    let Some(cmd) = command_of(row) else {
                        tracing::warn!(id = row.id, command = %row.command, "queued command unusable; skipped");
                        continue;
                    };
                    if let Ok(ticket) = live.engine.queue(cmd) {
                        live.tickets.insert(ticket, row.id);
                    }
                }
                if self.config.discovery && !start.discovered {
                    let _ = live
                        .engine
                        .start_discovery(self.config.discovery_target.clone());
                }
                live.device = Some(device);
            }
            live.started = true;
        }
        let Some(mut pool) = NoncePool::fill() else {
            return Answer::Unavailable("no-randomness");
        };
        let pin = self.config.auth;
        // The device as the session started (loaded above), should a small registry cache
        // have evicted it since.
        let started_with = live.device.clone();
        let handled = live.engine.handle_header(
            header,
            &Transport::with_hmac(hmac),
            SystemTime::now(),
            &mut || pool.next(),
            |request| {
                gate.session_device(&request.username)
                    .or_else(|| {
                        started_with
                            .clone()
                            .filter(|d| d.username == request.username)
                    })
                    .and_then(|d| device_auth(&d, pin))
            },
        );
        if let Err(e) = handled {
            tracing::debug!(error = %e, "session message refused");
            if live.engine.is_ended() {
                self.remove(&key, &mut live);
                self.finish(writer, &mut live).await;
            } else if !live.taken {
                // A first message the engine did not take: no session to keep.
                self.remove(&key, &mut live);
            }
            return Answer::Refused("session-message-refused");
        }
        live.taken = true;
        live.drain_events();
        let transmit = live.engine.poll_transmit();
        if live.engine.is_ended() {
            self.remove(&key, &mut live);
            if !self.finish(writer, &mut live).await {
                // Nothing of the session was kept: the client does not get the message that
                // carries the new nonce, so both sides keep the old one.
                return Answer::Unavailable("store-failed");
            }
        }
        match transmit {
            Some(t) => Answer::Message {
                body: t.body,
                content_type: t.content_type,
            },
            None => Answer::Refused("no-reply"),
        }
    }

    /// The live session of `key`, created if new and there is room.
    fn entry<C: Send + 'static>(
        &self,
        key: &Key,
        header: &Header<'_>,
        writer: &WriterHandle<C>,
    ) -> Option<Arc<AsyncMutex<Live>>> {
        let mut expired = Vec::new();
        let entry = {
            let mut live = self.live.lock().ok()?;
            if let Some(entry) = live.get(key) {
                return Some(Arc::clone(entry));
            }
            if live.len() >= self.config.max_live {
                expired = sweep(
                    &mut live,
                    SystemTime::now(),
                    self.config.idle_timeout,
                    false,
                );
            }
            if live.len() >= self.config.max_live {
                None
            } else {
                let mut config = omadm_session::ServerConfig::new(
                    header.hdr().target.loc_uri.clone().into_owned(),
                );
                config.max_msg_size = self.config.max_msg_size;
                config.client_max_msg_size = self.config.max_msg_size;
                config.encoding = header.encoding();
                config.idle_timeout = self.config.idle_timeout;
                let entry = Arc::new(AsyncMutex::new(Live::new(ServerSession::new(config))));
                live.insert(key.clone(), Arc::clone(&entry));
                self.metrics.live_sessions(live.len());
                Some(entry)
            }
        };
        for live in expired {
            let writer = writer.clone();
            let metrics = Arc::clone(&self.metrics);
            tokio::spawn(async move {
                finish_ended(&writer, &metrics, &mut *live.lock().await).await;
            });
        }
        entry
    }

    fn remove(&self, key: &Key, live: &mut Live) {
        live.gone = true;
        if let Ok(mut map) = self.live.lock() {
            map.remove(key);
            self.metrics.live_sessions(map.len());
        }
    }

    /// Writes what an ended session leaves; `false` if the store failed.
    async fn finish<C: Send + 'static>(&self, writer: &WriterHandle<C>, live: &mut Live) -> bool {
        finish_ended(writer, &self.metrics, live).await
    }

    /// Ends the sessions idle past their timeout at `now` (every live one with `all`, at
    /// shutdown) and writes what they leave.
    pub(crate) async fn expire<C: Send + 'static>(
        &self,
        writer: &WriterHandle<C>,
        now: SystemTime,
        all: bool,
    ) {
        let ended = match self.live.lock() {
            Ok(mut live) => {
                let at = if all {
                    now + self.config.idle_timeout + Duration::from_secs(1)
                } else {
                    now
                };
                let ended = sweep(&mut live, at, self.config.idle_timeout, all);
                self.metrics.live_sessions(live.len());
                ended
            }
            Err(_) => Vec::new(),
        };
        for live in ended {
            finish_ended(writer, &self.metrics, &mut *live.lock().await).await;
        }
    }
}

/// Removes the sessions that `handle_timeout(now)` ends, and those that never took a message
/// and have waited `idle` (every one with `all`), skipping the ones a request holds.
fn sweep(
    live: &mut HashMap<Key, Arc<AsyncMutex<Live>>>,
    now: SystemTime,
    idle: Duration,
    all: bool,
) -> Vec<Arc<AsyncMutex<Live>>> {
    let mut ended = Vec::new();
    live.retain(|_, entry| {
        let Ok(mut session) = entry.try_lock() else {
            return true;
        };
        let ended_now = session.engine.handle_timeout(now) || session.engine.is_ended();
        if !ended_now && !all && session.last.elapsed() <= idle {
            return true;
        }
        session.gone = true;
        drop(session);
        ended.push(Arc::clone(entry));
        false
    });
    ended
}

/// Writes what an ended session leaves (nothing unless it authenticated); `false` if the store
/// failed.
async fn finish_ended<C: Send + 'static>(
    writer: &WriterHandle<C>,
    metrics: &Metrics,
    live: &mut Live,
) -> bool {
    live.drain_events();
    let Some(end) = live.end.take() else {
        return true;
    };
    let Some(device) = live.device.as_ref().filter(|_| end.authenticated) else {
        tracing::info!(reason = ?end.reason, "DM session ended unauthenticated");
        metrics.session_ended(end_label(end.reason), false, false);
        return true;
    };
    let finish = SessionFinish {
        username: device.username.clone(),
        at_ms: super::now_ms(),
        next_nonce: end.next_nonce.map(|n| n.to_base64()),
        import: device.import.clone(),
        answered: live
            .answered
            .values()
            .filter(|a| a.status != 0)
            .cloned()
            .collect(),
        discovery: live.discovery.clone(),
    };
    let rotated = finish.next_nonce.is_some();
    match writer.session(SessionOp::Finish(Box::new(finish))).await {
        Some(SessionDone::Finished(in_registry)) => {
            if rotated && !in_registry {
                tracing::warn!(
                    username = %device.username,
                    "the new nonce is not in the registry (the device's entry cannot be held \
                     there): expected until the server restarts"
                );
            }
            tracing::info!(
                username = %device.username,
                reason = ?end.reason,
                nonce_rotated = rotated,
                "DM session ended"
            );
            metrics.session_ended(end_label(end.reason), true, rotated);
            true
        }
        _ => {
            tracing::error!(username = %device.username, "DM session's store write failed");
            metrics.session_ended(end_label(end.reason), true, false);
            false
        }
    }
}

/// The `end` label of `omadm_dm_sessions_total` and the status page.
fn end_label(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Completed => "completed",
        EndReason::AuthenticationFailed => "authentication-failed",
        EndReason::Aborted => "aborted",
        EndReason::TooLarge => "too-large",
        EndReason::Expired => "expired",
        EndReason::TooManyMessages => "too-many-messages",
        EndReason::UnsupportedScheme => "unsupported-scheme",
        _ => "other",
    }
}

impl Live {
    fn new(engine: ServerSession) -> Self {
        Self {
            engine,
            started: false,
            device: None,
            tickets: HashMap::new(),
            answered: HashMap::new(),
            discovery: None,
            enabling: None,
            end: None,
            last: Instant::now(),
            taken: false,
            gone: false,
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.engine.poll_event() {
            match event {
                ServerEvent::Results { ticket, items } => {
                    if let Some(id) = self.tickets.get(&ticket) {
                        let results: Vec<serde_json::Value> = items
                            .iter()
                            .map(|n| {
                                serde_json::json!({
                                    "uri": n.uri, "format": n.format, "type": n.ty, "data": n.data,
                                })
                            })
                            .collect();
                        self.answered
                            .entry(*id)
                            .or_insert(Answered {
                                id: *id,
                                status: 0,
                                results: None,
                            })
                            .results = serde_json::to_string(&results).ok();
                    }
                }
                ServerEvent::Status { ticket, code, .. } => {
                    if let Some(id) = self.tickets.get(&ticket) {
                        self.answered
                            .entry(*id)
                            .or_insert(Answered {
                                id: *id,
                                status: 0,
                                results: None,
                            })
                            .status = code.get();
                    } else if Some(ticket) == self.enabling
                        && let Some(d) = &mut self.discovery
                    {
                        d.enabling_status = Some(code.get());
                    }
                }
                ServerEvent::Discovery(answer) => {
                    self.enabling = answer.enabling;
                    self.discovery = Some(Discovered {
                        supported: answer.supported,
                        status: answer.status.map(|s| s.get()),
                        placeholder: answer.placeholder,
                        enabling_status: None,
                    });
                }
                ServerEvent::Ended(end) => self.end = Some(end),
                _ => {}
            }
        }
    }
}

/// The engine's command for a queued row (`None`: a row this build cannot send).
fn command_of(row: &QueuedCommand) -> Option<Command<'static>> {
    let value = || {
        NodeValue::leaf(
            row.format.clone().unwrap_or_else(|| "chr".to_owned()),
            row.data.clone().unwrap_or_default(),
        )
    };
    Some(match row.command.as_str() {
        "get" => commands::get(&row.uri),
        "replace" => commands::replace(&[(row.uri.clone(), value())]),
        "add" => commands::add(&[(row.uri.clone(), value())]),
        "delete" => commands::delete(&row.uri),
        "exec" => commands::exec(&row.uri, row.data.as_deref()),
        _ => return None,
    })
}

/// The lookup's answer for a device, pinned to `mode`.
fn device_auth(device: &SessionDevice, mode: SessionAuthMode) -> Option<DeviceAuth> {
    let pin = match mode {
        SessionAuthMode::Md5 => AuthPin::Md5,
        SessionAuthMode::Hmac => AuthPin::Hmac {
            algorithm: device.algorithm,
            construction: device.construction,
        },
    };
    Some(DeviceAuth::new(
        Username::new(device.username.clone()).ok()?,
        device.device_id.clone(),
        device.secret.clone(),
        pin,
        device.nonce,
    ))
}

/// Whether `body` is a DM session message (its `SessionID` is not `0`), and its scanned header
/// if so. Only called for messages the sessionless verifier refused, so the sessionless path
/// pays nothing for it.
pub(crate) fn session_header<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    max_msg_size: usize,
) -> Option<Header<'a>> {
    let encoding = content_type
        .and_then(Encoding::from_media_type)
        .unwrap_or_else(|| Encoding::of_body(body));
    let limits = omadm_xml::Limits::DEFAULT.with_max_size(max_msg_size.max(1024));
    let header = omadm_session::decode_header(encoding, body, &limits).ok()?;
    (!header.hdr().session_id.is_sessionless()).then_some(header)
}

/// Fresh nonces for one message, drawn before the engine runs (it needs at most two: a
/// challenge's, or the closing `NextNonce`).
struct NoncePool {
    fresh: Vec<Nonce>,
    last: Nonce,
}

impl NoncePool {
    const SIZE: usize = 4;

    fn fill() -> Option<Self> {
        let mut bytes = [0u8; 16 * Self::SIZE];
        getrandom::fill(&mut bytes).ok()?;
        let mut fresh = bytes
            .chunks_exact(16)
            .map(|c| Nonce::new(c).ok())
            .collect::<Option<Vec<_>>>()?;
        let last = fresh.pop()?;
        Some(Self { fresh, last })
    }

    fn next(&mut self) -> Nonce {
        // invariant: one message draws at most two nonces of the four; should that change, the
        // last one is drawn again rather than a predictable one.
        self.fresh.pop().unwrap_or(self.last)
    }
}
