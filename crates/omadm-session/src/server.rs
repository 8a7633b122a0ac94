//! The server engine: client messages in (`handle_message`, with a typed pause for the secret
//! lookup), server messages and events out (`poll_transmit`, `poll_event`). No I/O, no clock,
//! no randomness: `now` and fresh nonces are arguments.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use omadm_dmsec::{MacParams, Nonce};
use omadm_syncml::{
    AlertCode, CmdRef, Command, MsgId, SessionId, Status, StatusCode, SyncMl, SyncMlVersion,
};
use omadm_xml::Limits;

use crate::auth::{AuthPin, Check, DeviceAuth, Keys, Transport, chal};
use crate::codec::{self, Encoding};
use crate::commands;
use crate::discovery::{self, DiscoveryAnswer, DiscoveryTarget, Job};
use crate::error::{ConfigError, SessionError};
use crate::event::{EndReason, Progress, SecretRequest, ServerEvent, SessionEnd, Ticket, Transmit};
use crate::tree::status;
use crate::wire::{self, HeaderParts, Node, Outbound, Placed};
use crate::{MIN_MSG_SIZE, NonceSource};

/// How a [`ServerSession`] behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The server's URI (`SyncHdr/Source/LocURI` of its messages).
    pub server_uri: String,
    /// The largest client message accepted (413 above it), advertised as `MaxMsgSize` in every
    /// server header.
    pub max_msg_size: usize,
    /// The `MaxMsgSize` assumed for the client until it states one.
    pub client_max_msg_size: usize,
    /// The decoder's limits (their `max_size` is the hard cap on what is decoded at all).
    pub limits: Limits,
    /// The wire encoding.
    pub encoding: Encoding,
    /// `None`: Large Objects are refused (406 for any item with `MoreData`). `Some(n)`: chunks
    /// of a `Replace`, `Add` or `Results` item are reassembled up to `n` bytes (413 above).
    pub large_objects: Option<usize>,
    /// The scheme challenged when the claimed user is unknown (so that the answer does not say
    /// whether the user exists).
    pub unknown_device_pin: AuthPin,
    /// The most client messages a session takes.
    pub max_messages: u32,
    /// The longest silence between two client messages.
    pub idle_timeout: Duration,
}

impl ServerConfig {
    /// Defaults: MaxMsgSize 16 KiB both ways, XML, no Large Objects, HMAC-SHA256 challenged for
    /// unknown users, at most 64 client messages, 5 minutes idle.
    #[must_use]
    pub fn new(server_uri: impl Into<String>) -> Self {
        Self {
            server_uri: server_uri.into(),
            max_msg_size: 16 * 1024,
            client_max_msg_size: 16 * 1024,
            limits: Limits::DEFAULT.with_max_size(64 * 1024),
            encoding: Encoding::Xml,
            large_objects: None,
            unknown_device_pin: AuthPin::HMAC_SHA256,
            max_messages: 64,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// The server side of one DM session.
///
/// Feed every client message to [`handle_message`](Self::handle_message); when it returns
/// [`Progress::NeedSecret`], look the user up and call [`supply_secret`](Self::supply_secret).
/// Then send everything [`poll_transmit`](Self::poll_transmit) yields and read
/// [`poll_event`](Self::poll_event). Queue commands for the client with
/// [`queue`](Self::queue) (before package 1 arrives, or while the session runs: they go in the
/// next server package).
pub struct ServerSession {
    config: ServerConfig,
    state: State,
    /// Set by the first message.
    ids: Option<Ids>,
    /// The next client `MsgID` expected.
    expect_msg_id: Option<MsgId>,
    next_msg_id: MsgId,
    client_max_msg_size: usize,
    lookup: Lookup,
    /// The nonce the next credential must be built with (the stored one until a challenge).
    expected_nonce: Option<Nonce>,
    failures: u8,
    authenticated: bool,
    last_issued: Option<Nonce>,
    /// Commands the caller queued, not yet in a package.
    queued: VecDeque<Outbound>,
    /// The rest of the server package being sent (split over messages).
    out: VecDeque<Outbound>,
    sent: Vec<Sent>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ServerEvent>,
    next_ticket: u32,
    discovery: Option<Job>,
    large: Option<Chunked>,
    messages: u32,
    last_activity: Option<SystemTime>,
}

#[derive(Debug)]
enum State {
    /// Waiting for the client's next message.
    Ready,
    /// A message waits for its secret lookup.
    AwaitingSecret(Box<PendingMsg>),
    Ended,
}

#[derive(Debug)]
struct PendingMsg {
    body: Vec<u8>,
    hmac: Option<String>,
    now: SystemTime,
}

/// The session's identity, from the first message.
struct Ids {
    session_id: SessionId<'static>,
    client_uri: String,
    ver_proto: String,
    version: SyncMlVersion,
}

enum Lookup {
    NotDone,
    Done(Option<Box<Keys>>),
}

/// A command sent, awaiting its Status (and Results for a Get).
#[derive(Clone, Copy, Debug)]
struct Sent {
    msg_id: MsgId,
    placed: Placed,
}

/// A Large Object being reassembled.
struct Chunked {
    kind: ChunkKind,
    uri: String,
    declared: Option<u64>,
    first: Node,
    data: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ChunkKind {
    DevInfo,
    Results(Option<Ticket>),
}

impl ServerSession {
    /// A session waiting for the client's package 1.
    #[must_use]
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            state: State::Ready,
            ids: None,
            expect_msg_id: None,
            next_msg_id: MsgId::MIN,
            client_max_msg_size: 0,
            lookup: Lookup::NotDone,
            expected_nonce: None,
            failures: 0,
            authenticated: false,
            last_issued: None,
            queued: VecDeque::new(),
            out: VecDeque::new(),
            sent: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            next_ticket: 1,
            discovery: None,
            large: None,
            messages: 0,
            last_activity: None,
        }
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether the client has authenticated.
    #[must_use]
    pub const fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Whether the session has ended.
    #[must_use]
    pub const fn is_ended(&self) -> bool {
        matches!(self.state, State::Ended)
    }

    /// The `SessionID`, once the first message arrived.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.ids.as_ref().map(|i| i.session_id.as_str())
    }

    /// Queues a command for the client: `Get`, `Replace`, `Add`, `Delete`, `Copy`, `Exec`,
    /// `Atomic`, `Sequence`, or `Alert` 1100 to 1104. Its `CmdID`s are set when it is sent. It
    /// goes in the next server package.
    ///
    /// # Errors
    /// [`ConfigError::CommandNotQueueable`] for another command; [`ConfigError::Closed`] once
    /// the session has ended.
    pub fn queue(&mut self, cmd: Command<'static>) -> Result<Ticket, ConfigError> {
        if self.is_ended() {
            return Err(ConfigError::Closed);
        }
        if !queueable(&cmd) {
            return Err(ConfigError::CommandNotQueueable);
        }
        let ticket = Ticket(self.next_ticket);
        self.next_ticket = self.next_ticket.saturating_add(1);
        self.queued.push_back(Outbound {
            cmd,
            ticket: Some(ticket.0),
        });
        Ok(ticket)
    }

    /// Starts the discovery job: queues a `Get` of [`NODE_PATH`](discovery::NODE_PATH) (and of
    /// the target's placeholder). When the answers arrive, a [`ServerEvent::Discovery`] reports
    /// them; if the device supports the feature and the placeholder answered 200, one `Replace`
    /// of the target's nodes is queued (its ticket is in the answer).
    ///
    /// # Errors
    /// [`ConfigError::Closed`] once the session has ended.
    pub fn start_discovery(&mut self, target: Option<DiscoveryTarget>) -> Result<(), ConfigError> {
        let node = self.queue(commands::get(discovery::NODE_PATH))?;
        let placeholder = match &target {
            Some(t) => Some(self.queue(commands::get(&t.placeholder))?),
            None => None,
        };
        self.discovery = Some(Job {
            node,
            placeholder,
            target,
            supported: None,
            status: None,
            placeholder_status: None,
        });
        Ok(())
    }

    /// Takes one client message: the raw body, what the transport carried, and `now`. `nonces`
    /// is called for every fresh nonce the reply needs (a challenge, the session's closing
    /// `NextNonce`, every message in HMAC mode).
    ///
    /// # Errors
    /// A [`SessionError`] when the message cannot be taken into the session (undecodable,
    /// another session, out of sequence, out of turn); nothing changes then.
    pub fn handle_message(
        &mut self,
        body: &[u8],
        transport: &Transport<'_>,
        now: SystemTime,
        nonces: &mut impl NonceSource,
    ) -> Result<Progress, SessionError> {
        self.ready()?;
        self.check_limits(now)?;
        let header = codec::decode_header(self.config.encoding, body, &self.config.limits)
            .map_err(SessionError::Malformed)?;
        self.check_header(header.hdr())?;
        if matches!(self.lookup, Lookup::NotDone)
            && let Some(username) = claimed_user(header.hdr(), transport.hmac())
        {
            let request = SecretRequest {
                username,
                device_id: header.hdr().source.loc_uri.clone().into_owned(),
            };
            self.state = State::AwaitingSecret(Box::new(PendingMsg {
                body: body.to_vec(),
                hmac: transport.hmac().map(str::to_owned),
                now,
            }));
            return Ok(Progress::NeedSecret(request));
        }
        let msg = header.into_message().map_err(SessionError::Malformed)?;
        self.process(msg, body, transport.hmac(), now, nonces);
        Ok(Progress::Done)
    }

    /// [`handle_message`](Self::handle_message) for a caller that has already scanned the
    /// header ([`decode_header`](crate::decode_header), e.g. to route the message by its `SessionID`) and
    /// can look the secret up synchronously: the decode resumes from the header scan, and
    /// `lookup` is called (at most once per session, as `handle_message` would pause) with the
    /// claimed identity. The message is decoded exactly once. The header's encoding is used
    /// whatever the configured one is.
    ///
    /// # Errors
    /// As [`handle_message`](Self::handle_message); nothing changes then (`lookup` is called only
    /// once the whole message has decoded).
    pub fn handle_header(
        &mut self,
        header: crate::codec::Header<'_>,
        transport: &Transport<'_>,
        now: SystemTime,
        nonces: &mut impl NonceSource,
        lookup: impl FnOnce(&SecretRequest) -> Option<DeviceAuth>,
    ) -> Result<(), SessionError> {
        self.ready()?;
        self.check_limits(now)?;
        self.check_header(header.hdr())?;
        let body = header.body();
        let request = match self.lookup {
            Lookup::NotDone => {
                claimed_user(header.hdr(), transport.hmac()).map(|username| SecretRequest {
                    username,
                    device_id: header.hdr().source.loc_uri.clone().into_owned(),
                })
            }
            Lookup::Done(_) => None,
        };
        let msg = header.into_message().map_err(SessionError::Malformed)?;
        if let Some(request) = request {
            let device = lookup(&request);
            self.take_secret(device.as_ref());
        }
        self.process(msg, body, transport.hmac(), now, nonces);
        Ok(())
    }

    /// Answers the pending secret lookup: the device found for the claimed user, or `None`
    /// (unknown user, or a device whose secret cannot serve its pin: both are challenged
    /// alike). The pending message is then handled.
    ///
    /// # Errors
    /// [`SessionError::NoSecretRequested`] if no lookup is pending.
    pub fn supply_secret(
        &mut self,
        device: Option<&DeviceAuth>,
        nonces: &mut impl NonceSource,
    ) -> Result<(), SessionError> {
        let State::AwaitingSecret(_) = self.state else {
            return Err(SessionError::NoSecretRequested);
        };
        let State::AwaitingSecret(pending) = core::mem::replace(&mut self.state, State::Ready)
        else {
            return Err(SessionError::NoSecretRequested);
        };
        self.take_secret(device);
        let PendingMsg { body, hmac, now } = *pending;
        // invariant: the same bytes decoded in `handle_message`, and nothing changed since.
        let Ok(msg) = codec::decode(self.config.encoding, &body, &self.config.limits) else {
            return Ok(());
        };
        self.process(msg, &body, hmac.as_deref(), now, nonces);
        Ok(())
    }

    /// Keeps the secret lookup's answer.
    fn take_secret(&mut self, device: Option<&DeviceAuth>) {
        let keys = device.and_then(|d| Keys::new(d).ok()).map(Box::new);
        if let (Some(d), Some(_), None) = (device, &keys, self.expected_nonce) {
            // The stored nonce, unless a challenge already issued a fresh one.
            self.expected_nonce = Some(d.nonce);
        }
        self.lookup = Lookup::Done(keys);
    }

    /// `Ok` when a message may be handled now.
    fn ready(&self) -> Result<(), SessionError> {
        match self.state {
            State::Ready => Ok(()),
            State::AwaitingSecret(_) => Err(SessionError::SecretPending),
            State::Ended => Err(SessionError::Ended),
        }
    }

    /// The next message to send to the client.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Ends the session if it idled past its timeout at `now` (call it from a timer); returns
    /// whether it ended.
    pub fn handle_timeout(&mut self, now: SystemTime) -> bool {
        if !self.is_ended() && self.idle(now) {
            self.end(EndReason::Expired);
            return true;
        }
        false
    }

    // -----------------------------------------------------------------------------------------

    fn idle(&self, now: SystemTime) -> bool {
        self.last_activity.is_some_and(|t| {
            now.duration_since(t)
                .is_ok_and(|d| d > self.config.idle_timeout)
        })
    }

    fn check_limits(&mut self, now: SystemTime) -> Result<(), SessionError> {
        if self.idle(now) {
            self.end(EndReason::Expired);
            return Err(SessionError::Expired);
        }
        if self.messages >= self.config.max_messages {
            self.end(EndReason::TooManyMessages);
            return Err(SessionError::TooManyMessages);
        }
        Ok(())
    }

    /// The header checks that can refuse a message without changing anything.
    fn check_header(&self, hdr: &omadm_syncml::SyncHdr<'_>) -> Result<(), SessionError> {
        if hdr.session_id.is_sessionless() {
            return Err(SessionError::Sessionless);
        }
        if let Some(ids) = &self.ids {
            if hdr.session_id != ids.session_id {
                return Err(SessionError::WrongSession);
            }
            if *hdr.source.loc_uri != *ids.client_uri {
                return Err(SessionError::WrongSender);
            }
        }
        if let Some(expected) = self.expect_msg_id
            && hdr.msg_id != expected
        {
            return Err(SessionError::UnexpectedMsgId {
                expected: expected.get(),
                got: hdr.msg_id.get(),
            });
        }
        Ok(())
    }

    /// Takes a message that passed [`check_header`](Self::check_header) into the session.
    fn process(
        &mut self,
        msg: SyncMl<'_>,
        body: &[u8],
        hmac: Option<&str>,
        now: SystemTime,
        nonces: &mut impl NonceSource,
    ) {
        let hdr = &msg.hdr;
        if self.ids.is_none() {
            self.ids = Some(Ids {
                session_id: hdr.session_id.clone().into_owned(),
                client_uri: hdr.source.loc_uri.clone().into_owned(),
                ver_proto: hdr.ver_proto.trim().to_owned(),
                version: msg.version,
            });
        }
        self.expect_msg_id = Some(wire::next_msg_id(hdr.msg_id));
        self.messages = self.messages.saturating_add(1);
        self.last_activity = Some(now);
        if let Some(size) = hdr.meta.as_ref().and_then(|m| m.max_msg_size) {
            self.client_max_msg_size = usize::try_from(size).unwrap_or(usize::MAX);
        } else if self.client_max_msg_size == 0 {
            self.client_max_msg_size = self.config.client_max_msg_size;
        }

        // A message above the server's MaxMsgSize: 413 for everything, and the session ends.
        if body.len() > self.config.max_msg_size {
            let code = status(413);
            let statuses = refusals(&msg, code);
            self.reply(
                wire::header_status(hdr, code),
                statuses,
                None,
                nonces,
                Some(EndReason::TooLarge),
            );
            return;
        }

        let hmac_mode = matches!(self.pin(), AuthPin::Hmac { .. });
        let mut header_code = StatusCode::OK;
        if !self.authenticated || hmac_mode {
            let check = self.check(&msg, body, hmac);
            if check != Check::Ok {
                self.auth_failed(&msg, check, nonces);
                return;
            }
            if !self.authenticated {
                self.authenticated = true;
                if let Lookup::Done(Some(keys)) = &self.lookup {
                    self.events.push_back(ServerEvent::Authenticated {
                        username: keys.username.as_str().to_owned(),
                        device_id: keys.device_id.clone(),
                    });
                }
                if !hmac_mode {
                    header_code = StatusCode::AUTHENTICATION_ACCEPTED;
                }
            }
        }

        let mut statuses = VecDeque::new();
        let mut aborted = false;
        for cmd in &msg.body.commands {
            let code = self.command(cmd, &mut aborted);
            if let Some(code) = code.filter(|_| !cmd.no_resp()) {
                statuses.push_back(Outbound {
                    cmd: Command::Status(wire::status(
                        hdr.msg_id,
                        CmdRef::to(cmd.cmd_id()),
                        cmd.name(),
                        code,
                    )),
                    ticket: None,
                });
            }
        }
        self.discovery_step();

        let header = wire::header_status(hdr, header_code);
        if aborted {
            self.reply(header, statuses, None, nonces, Some(EndReason::Aborted));
            return;
        }
        if !msg.body.is_final {
            // The client's package continues: ask for its next message, and send nothing of
            // the server's own package meanwhile.
            self.reply(
                header,
                statuses,
                Some(wire::next_message_alert()),
                nonces,
                None,
            );
            return;
        }
        // The client's package is complete (or it asked for the next message): the server's
        // package goes on with what is left of it, then what the caller queued.
        let queued = core::mem::take(&mut self.queued);
        self.out.extend(queued);
        self.reply(header, statuses, None, nonces, None);
    }

    fn pin(&self) -> AuthPin {
        match &self.lookup {
            Lookup::Done(Some(keys)) => keys.pin,
            _ => self.config.unknown_device_pin,
        }
    }

    fn check(&self, msg: &SyncMl<'_>, body: &[u8], hmac: Option<&str>) -> Check {
        let hdr = &msg.hdr;
        match (&self.lookup, self.expected_nonce) {
            (Lookup::Done(Some(keys)), Some(nonce)) => keys.check(
                &nonce,
                (&hdr.source.loc_uri, hdr.source.loc_name.as_deref()),
                hdr.cred.as_ref(),
                hmac,
                body,
            ),
            _ if hdr.cred.is_some() || hmac.is_some() => Check::Invalid,
            _ => Check::Missing,
        }
    }

    fn auth_failed(&mut self, msg: &SyncMl<'_>, check: Check, nonces: &mut impl NonceSource) {
        let code = if check == Check::Missing {
            StatusCode::MISSING_CREDENTIALS
        } else {
            StatusCode::INVALID_CREDENTIALS
        };
        // A failed-auth response holds only Status commands, one per command received.
        let statuses = refusals(msg, code);
        let mut header = wire::header_status(&msg.hdr, code);
        self.failures = self.failures.saturating_add(1);
        if self.authenticated || self.failures >= 2 {
            self.reply(
                header,
                statuses,
                None,
                nonces,
                Some(EndReason::AuthenticationFailed),
            );
            return;
        }
        // One more challenge, with a fresh nonce, which the retry must use. It stays local to
        // the session: the stored nonce changes only when a session ends authenticated.
        let fresh = nonces.fresh_nonce();
        header.chal = Some(Box::new(chal(self.pin(), &fresh)));
        self.expected_nonce = Some(fresh);
        self.reply_raw(header, statuses, None, None);
    }

    /// Handles one client command; returns the status to answer with (`None`: no Status, e.g.
    /// for a `Status`).
    fn command(&mut self, cmd: &Command<'_>, aborted: &mut bool) -> Option<StatusCode> {
        let large = self.config.large_objects;
        if self.large.is_some()
            && !matches!(cmd, Command::Status(_))
            && !continues_chunk(self.large.as_ref(), cmd)
        {
            // A new command before the last chunk: the object is incomplete (1225 semantics).
            self.large = None;
        }
        if large.is_none() && wire::has_more_data(cmd) {
            return Some(status(406));
        }
        match cmd {
            Command::Status(s) => {
                self.on_status(s);
                None
            }
            Command::Results(r) => {
                let ticket = self.take_sent(r.msg_ref.map(|m| m.get()), r.cmd_ref, true);
                let mut nodes = Vec::with_capacity(r.items.len());
                for item in &r.items {
                    let node = Node::from_item(item, r.meta.as_deref());
                    if item.more_data || self.large.is_some() {
                        match self.chunk(
                            ChunkKind::Results(ticket),
                            node,
                            item.more_data,
                            item_size(item, r.meta.as_deref()),
                        ) {
                            Chunk::Buffered => return Some(status(213)),
                            Chunk::Refused(code) => return Some(code),
                            Chunk::Complete(n) => nodes.push(n),
                        }
                    } else {
                        nodes.push(node);
                    }
                }
                if let Some(ticket) = ticket {
                    self.discovery_results(ticket, &nodes);
                    self.events.push_back(ServerEvent::Results {
                        ticket,
                        items: nodes,
                    });
                }
                Some(StatusCode::OK)
            }
            Command::Alert(a) => {
                let code = a.data?;
                Some(match code {
                    AlertCode::CLIENT_INITIATED_MGMT | AlertCode::SERVER_INITIATED_MGMT => {
                        StatusCode::OK
                    }
                    // The server's package goes on in its reply anyway.
                    AlertCode::NEXT_MESSAGE => StatusCode::OK,
                    AlertCode::SESSION_ABORT => {
                        *aborted = true;
                        StatusCode::OK
                    }
                    AlertCode::CLIENT_EVENT | AlertCode::GENERIC_ALERT => {
                        let items = a.items.iter().map(|i| Node::from_item(i, None)).collect();
                        self.events.push_back(ServerEvent::Alert { code, items });
                        StatusCode::OK
                    }
                    // 1100-1104 are server-to-client; 1230 never rides in a session.
                    _ => StatusCode::COMMAND_NOT_ALLOWED,
                })
            }
            Command::Replace(c) | Command::Add(c) => {
                let devinfo = !c.items.is_empty()
                    && c.items.iter().all(|i| {
                        let n = Node::from_item(i, None);
                        n.uri.starts_with("./DevInfo") || n.uri.starts_with("DevInfo")
                    });
                if !devinfo {
                    return Some(StatusCode::COMMAND_NOT_ALLOWED);
                }
                let mut nodes = Vec::with_capacity(c.items.len());
                for item in &c.items {
                    let node = Node::from_item(item, c.meta.as_deref());
                    if item.more_data || self.large.is_some() {
                        match self.chunk(
                            ChunkKind::DevInfo,
                            node,
                            item.more_data,
                            item_size(item, c.meta.as_deref()),
                        ) {
                            Chunk::Buffered => return Some(status(213)),
                            Chunk::Refused(code) => return Some(code),
                            Chunk::Complete(n) => nodes.push(n),
                        }
                    } else {
                        nodes.push(node);
                    }
                }
                self.events.push_back(ServerEvent::DevInfo(nodes));
                Some(StatusCode::OK)
            }
            // The server holds no tree for the client to manage.
            Command::Get(_)
            | Command::Delete(_)
            | Command::Exec(_)
            | Command::Copy(_)
            | Command::Atomic(_)
            | Command::Sequence(_) => Some(StatusCode::COMMAND_NOT_ALLOWED),
        }
    }

    fn chunk(&mut self, kind: ChunkKind, node: Node, more: bool, size: Option<u64>) -> Chunk {
        let Some(max) = self.config.large_objects else {
            return Chunk::Refused(status(406));
        };
        let piece = node.data.clone().unwrap_or_default();
        let mut lo = match self.large.take() {
            Some(lo) if lo.kind == kind && lo.uri == node.uri => lo,
            _ => {
                if size.is_some_and(|s| s > max as u64) {
                    return Chunk::Refused(StatusCode::REQUEST_ENTITY_TOO_LARGE);
                }
                Chunked {
                    kind,
                    uri: node.uri.clone(),
                    declared: size,
                    first: node,
                    data: String::new(),
                }
            }
        };
        if lo.data.len() + piece.len() > max {
            return Chunk::Refused(StatusCode::REQUEST_ENTITY_TOO_LARGE);
        }
        lo.data.push_str(&piece);
        if more {
            self.large = Some(lo);
            return Chunk::Buffered;
        }
        if lo.declared.is_some_and(|d| d != lo.data.len() as u64) {
            return Chunk::Refused(status(424));
        }
        let mut done = lo.first;
        done.data = Some(lo.data);
        Chunk::Complete(done)
    }

    fn on_status(&mut self, s: &Status<'_>) {
        if s.cmd_ref == CmdRef::SYNC_HDR {
            return;
        }
        let Some(i) = self.find_sent(Some(s.msg_ref.get()), s.cmd_ref) else {
            return;
        };
        let sent = self.sent[i];
        if sent.placed.name != "Get" {
            self.sent.swap_remove(i);
        }
        let Some(ticket) = sent.placed.ticket.map(Ticket) else {
            return;
        };
        if let Some(job) = &mut self.discovery {
            if ticket == job.node && job.status.is_none() {
                job.status = Some(s.data);
            } else if Some(ticket) == job.placeholder && job.placeholder_status.is_none() {
                job.placeholder_status = Some(s.data);
            }
        }
        self.events.push_back(ServerEvent::Status {
            ticket,
            cmd: sent.placed.name,
            cmd_id: sent.placed.cmd_id,
            code: s.data,
        });
    }

    fn find_sent(&self, msg_ref: Option<u32>, cmd_ref: CmdRef) -> Option<usize> {
        // Without a MsgRef, the command is one of the last server message's.
        let msg = msg_ref.or_else(|| self.sent.iter().map(|s| s.msg_id.get()).max())?;
        self.sent
            .iter()
            .position(|s| s.msg_id.get() == msg && s.placed.cmd_id.get() == cmd_ref.get())
    }

    fn take_sent(
        &mut self,
        msg_ref: Option<u32>,
        cmd_ref: CmdRef,
        results: bool,
    ) -> Option<Ticket> {
        let i = self.find_sent(msg_ref, cmd_ref)?;
        let sent = self.sent[i];
        if results && sent.placed.name != "Get" {
            return None;
        }
        self.sent.swap_remove(i);
        sent.placed.ticket.map(Ticket)
    }

    fn discovery_results(&mut self, ticket: Ticket, nodes: &[Node]) {
        if let Some(job) = &mut self.discovery
            && ticket == job.node
        {
            job.supported = nodes.first().and_then(discovery::parse);
        }
    }

    fn discovery_step(&mut self) {
        let Some(job) = self.discovery.take_if(|j| j.answered()) else {
            return;
        };
        let placeholder = job
            .placeholder
            .map(|_| job.placeholder_status == Some(StatusCode::OK));
        let mut enabling = None;
        if job.supported == Some(true)
            && placeholder == Some(true)
            && let Some(target) = &job.target
            && !target.nodes.is_empty()
        {
            enabling = self.queue(commands::replace(&target.nodes)).ok();
        }
        self.events
            .push_back(ServerEvent::Discovery(DiscoveryAnswer {
                supported: job.supported,
                status: job.status,
                placeholder,
                enabling,
            }));
    }

    /// Builds, encodes and queues the reply; `end` ends the session after it.
    fn reply(
        &mut self,
        mut header: Status<'static>,
        statuses: VecDeque<Outbound>,
        trailer: Option<Command<'static>>,
        nonces: &mut impl NonceSource,
        end: Option<EndReason>,
    ) {
        let hmac_mode = matches!(self.pin(), AuthPin::Hmac { .. });
        let ending_possible = end.is_some()
            || (trailer.is_none()
                && statuses
                    .iter()
                    .chain(&self.out)
                    .all(|o| matches!(o.cmd, Command::Status(_))));
        // While the client's package continues (a trailer asks for its next message), the
        // server's own package waits.
        // The NextNonce for the client's next use: on every message of an HMAC session, and on
        // the last message of every authenticated session.
        let issue = self.authenticated
            && end != Some(EndReason::AuthenticationFailed)
            && (hmac_mode || ending_possible);
        let fresh = issue.then(|| nonces.fresh_nonce());
        if let Some(nonce) = &fresh {
            header.chal = Some(Box::new(chal(self.pin(), nonce)));
        }
        let ended = self.reply_raw(header, statuses, trailer, end);
        if let Some(nonce) = fresh {
            if !ended && !hmac_mode {
                // Not the last message after all (md5): the Chal was removed, no nonce issued.
                return;
            }
            self.last_issued = Some(nonce);
            if hmac_mode {
                self.expected_nonce = Some(nonce);
            }
        }
        if ended {
            self.end(end.unwrap_or(EndReason::Completed));
        }
    }

    /// Packs and queues one message; returns whether it ends the session.
    fn reply_raw(
        &mut self,
        header: Status<'static>,
        statuses: VecDeque<Outbound>,
        trailer: Option<Command<'static>>,
        end: Option<EndReason>,
    ) -> bool {
        let Some(ids) = &self.ids else {
            return false;
        };
        let mut queue = statuses;
        let has_trailer = trailer.is_some();
        if end.is_none() && !has_trailer {
            queue.extend(self.out.drain(..));
        }
        let parts = HeaderParts {
            version: ids.version,
            ver_proto: if ids.ver_proto.is_empty() {
                "DM/1.2"
            } else {
                &ids.ver_proto
            },
            session_id: &ids.session_id,
            target: &ids.client_uri,
            source: &self.config.server_uri,
            loc_name: None,
            max_msg_size: self.config.max_msg_size,
        };
        let msg_id = self.next_msg_id;
        let limit = self.client_max_msg_size.max(MIN_MSG_SIZE);
        let mut packed = wire::pack(
            self.config.encoding,
            parts.header(msg_id),
            vec![Command::Status(header)],
            &mut queue,
            trailer,
            limit,
            true,
        );
        if !packed.fits {
            drop(packed);
            self.out.clear();
            self.end(EndReason::TooLarge);
            return false;
        }
        let only_statuses = packed.placed.iter().all(|p| p.name == "Status");
        let ends = end.is_some() || (packed.complete && !has_trailer && only_statuses);
        if !ends
            && let Some(Command::Status(h)) = packed.msg.body.commands.first_mut()
            && !matches!(self.pin(), AuthPin::Hmac { .. })
            && h.data != StatusCode::INVALID_CREDENTIALS
            && h.data != StatusCode::MISSING_CREDENTIALS
        {
            h.chal = None;
        }
        let mut body = Vec::with_capacity(1024);
        codec::encode(self.config.encoding, &packed.msg, &mut body);
        for placed in packed.placed {
            if placed.ticket.is_some() {
                self.sent.push(Sent { msg_id, placed });
            }
        }
        // What did not fit goes first next time, before the rest of the package.
        queue.extend(self.out.drain(..));
        self.out = queue;
        self.next_msg_id = wire::next_msg_id(msg_id);
        self.transmits.push_back(Transmit {
            body,
            content_type: self.config.encoding.media_type(),
            msg_id,
            hmac: None,
        });
        ends
    }

    fn end(&mut self, reason: EndReason) {
        if self.is_ended() {
            return;
        }
        self.state = State::Ended;
        self.queued.clear();
        self.out.clear();
        self.sent.clear();
        self.large = None;
        self.events.push_back(ServerEvent::Ended(SessionEnd {
            reason,
            authenticated: self.authenticated,
            next_nonce: if self.authenticated {
                self.last_issued
            } else {
                None
            },
        }));
    }
}

impl core::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerSession")
            .field("session_id", &self.session_id())
            .field("authenticated", &self.authenticated)
            .field("ended", &self.is_ended())
            .field("queued", &self.queued.len())
            .finish_non_exhaustive()
    }
}

enum Chunk {
    Buffered,
    Refused(StatusCode),
    Complete(Node),
}

fn continues_chunk(lo: Option<&Chunked>, cmd: &Command<'_>) -> bool {
    let Some(lo) = lo else { return true };
    let items = match cmd {
        Command::Replace(c) | Command::Add(c) => &c.items,
        Command::Results(r) => &r.items,
        _ => return false,
    };
    items
        .first()
        .is_some_and(|i| Node::from_item(i, None).uri == lo.uri)
}

fn item_size(
    item: &omadm_syncml::Item<'_>,
    cmd_meta: Option<&omadm_syncml::Meta<'_>>,
) -> Option<u64> {
    item.meta
        .as_ref()
        .and_then(|m| m.size)
        .or(cmd_meta.and_then(|m| m.size))
}

/// A Status with `code` for every command of `msg` that asks for one.
fn refusals(msg: &SyncMl<'_>, code: StatusCode) -> VecDeque<Outbound> {
    msg.body
        .commands
        .iter()
        .filter(|c| !matches!(c, Command::Status(_)) && !c.no_resp())
        .map(|c| Outbound {
            cmd: Command::Status(wire::status(
                msg.hdr.msg_id,
                CmdRef::to(c.cmd_id()),
                c.name(),
                code,
            )),
            ticket: None,
        })
        .collect()
}

fn queueable(cmd: &Command<'_>) -> bool {
    match cmd {
        Command::Alert(a) => a.data.is_some_and(|c| (1100..=1104).contains(&c.get())),
        Command::Atomic(c) | Command::Sequence(c) => c.commands.iter().all(queueable),
        Command::Results(_) | Command::Status(_) => false,
        _ => true,
    }
}

/// The username a message claims, as the server engine reads it when it asks for the secret: the
/// `x-syncml-hmac` header's username (`hmac` is that header's value), else `Source/LocName`.
/// `None` when neither names one.
#[must_use]
pub fn claimed_user(hdr: &omadm_syncml::SyncHdr<'_>, hmac: Option<&str>) -> Option<String> {
    if let Some(params) = hmac.and_then(|h| MacParams::parse(h).ok()) {
        return Some(params.username().as_str().to_owned());
    }
    hdr.source
        .loc_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}
