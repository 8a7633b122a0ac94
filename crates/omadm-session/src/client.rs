//! The client engine: opens a session (package 1 with DevInfo), answers the server's commands
//! through a caller's [`Tree`], follows challenges, and returns the nonce to persist for the
//! next session and for sessionless reports.

use std::borrow::Cow;
use std::collections::VecDeque;

use omadm_dmsec::{AuthError, Nonce, StoredSecret, Username};
use omadm_syncml::{
    Alert, AlertCode, CmdId, CmdRef, Command, Container, Format, Item, ItemCommand, ItemData, Meta,
    MsgId, MsgRef, Results, SessionId, Source, StatusCode, SyncMl, SyncMlVersion,
};
use omadm_xml::Limits;

use crate::MIN_MSG_SIZE;
use crate::auth::{AuthPin, ClientKeys};
use crate::codec::{self, Encoding};
use crate::error::{ConfigError, SessionError};
use crate::event::{ClientEvent, EndReason, SessionEnd, Transmit};
use crate::tree::{NodeValue, Tree, status};
use crate::wire::{self, HeaderParts, Outbound};

/// How a [`ClientSession`] behaves.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The server's URI (`SyncHdr/Target/LocURI`).
    pub server_uri: String,
    /// The device id (`SyncHdr/Source/LocURI`, `./DevInfo/DevId`).
    pub device_id: String,
    /// The username (`SyncHdr/Source/LocName`).
    pub username: Username,
    /// The password or its key digest.
    pub secret: StoredSecret,
    /// The scheme the account is pinned to.
    pub pin: AuthPin,
    /// The last nonce the server gave (DMAcc `AAuthData`).
    pub nonce: Nonce,
    /// The `SessionID` (1 to 32 characters, not `0`).
    pub session_id: String,
    /// `Alert` 1201 (client-initiated, the default) or 1200 (server-initiated, after a
    /// notification).
    pub initiation: AlertCode,
    /// The `./DevInfo` nodes sent in package 1 (URI, value).
    pub dev_info: Vec<(String, NodeValue)>,
    /// The largest server message accepted, advertised as `MaxMsgSize`.
    pub max_msg_size: usize,
    /// The server's `MaxMsgSize` assumed until it states one.
    pub server_max_msg_size: usize,
    /// The wire encoding.
    pub encoding: Encoding,
    /// The decoder's limits.
    pub limits: Limits,
    /// The most server messages a session takes.
    pub max_messages: u32,
}

impl ClientConfig {
    /// The account (username, secret, pin, the last nonce the server gave), the server and
    /// device, and the `SessionID`; with the DevInfo nodes `DevId` (the device id), `Man`, `Mod`, `DmV` and
    /// `Lang` (`omadm`, `omadm-session`, `1.3`, `en`), MaxMsgSize 16 KiB both ways, XML.
    #[must_use]
    pub fn new(
        username: Username,
        secret: impl Into<StoredSecret>,
        pin: AuthPin,
        nonce: Nonce,
        server_uri: impl Into<String>,
        device_id: impl Into<String>,
        session_id: impl Into<String>,
    ) -> Self {
        let device_id = device_id.into();
        let dev_info = vec![
            (
                "./DevInfo/DevId".to_owned(),
                NodeValue::chr(device_id.clone()),
            ),
            ("./DevInfo/Man".to_owned(), NodeValue::chr("omadm")),
            ("./DevInfo/Mod".to_owned(), NodeValue::chr("omadm-session")),
            ("./DevInfo/DmV".to_owned(), NodeValue::chr("1.3")),
            ("./DevInfo/Lang".to_owned(), NodeValue::chr("en")),
        ];
        Self {
            server_uri: server_uri.into(),
            device_id,
            username,
            secret: secret.into(),
            pin,
            nonce,
            session_id: session_id.into(),
            initiation: AlertCode::CLIENT_INITIATED_MGMT,
            dev_info,
            max_msg_size: 16 * 1024,
            server_max_msg_size: 16 * 1024,
            encoding: Encoding::Xml,
            limits: Limits::DEFAULT.with_max_size(64 * 1024),
            max_messages: 64,
        }
    }
}

/// The client side of one DM session over a management tree `T`.
///
/// [`new`](Self::new) prepares package 1; send what [`poll_transmit`](Self::poll_transmit)
/// yields and feed every server reply to [`handle_message`](Self::handle_message), until
/// [`ClientEvent::Ended`]. Its [`SessionEnd::next_nonce`] (also
/// [`next_nonce`](Self::next_nonce)) is the nonce to persist: the next session and every
/// sessionless report sign with it.
pub struct ClientSession<T> {
    tree: T,
    keys: ClientKeys,
    pin: AuthPin,
    server_uri: String,
    device_id: String,
    session_id: SessionId<'static>,
    initiation: AlertCode,
    dev_info: Vec<(String, NodeValue)>,
    max_msg_size: usize,
    server_max_msg_size: usize,
    encoding: Encoding,
    limits: Limits,
    max_messages: u32,
    /// The nonce the next credential is built with.
    nonce: Nonce,
    /// The NextNonce received after authentication: the one to persist.
    next_nonce: Option<Nonce>,
    retried: bool,
    authenticated: bool,
    ended: bool,
    /// Waiting for the server's reply to a sent message.
    waiting: bool,
    next_msg_id: MsgId,
    last_sent: MsgId,
    expect_msg_id: MsgId,
    messages: u32,
    out: VecDeque<Outbound>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ClientEvent>,
}

impl<T: Tree> ClientSession<T> {
    /// A session with package 1 ready to transmit.
    ///
    /// # Errors
    /// [`ConfigError`] for an invalid `SessionID`, an identifier a message cannot carry, or a
    /// secret that cannot serve the pin.
    pub fn new(config: ClientConfig, tree: T) -> Result<Self, ConfigError> {
        let session_id = SessionId::new(config.session_id.clone())
            .map_err(|_| ConfigError::SessionId)?
            .into_owned();
        if session_id.is_sessionless() {
            return Err(ConfigError::SessionId);
        }
        for id in [&config.server_uri, &config.device_id] {
            if id.is_empty() || id.contains(['<', '&']) {
                return Err(ConfigError::Identifier);
            }
        }
        let keys = ClientKeys::new(config.username.clone(), config.secret.clone(), config.pin)
            .map_err(|_: AuthError| ConfigError::UnusableSecret)?;
        let mut session = Self {
            tree,
            keys,
            pin: config.pin,
            server_uri: config.server_uri,
            device_id: config.device_id,
            session_id,
            initiation: config.initiation,
            dev_info: config.dev_info,
            max_msg_size: config.max_msg_size.max(MIN_MSG_SIZE),
            server_max_msg_size: config.server_max_msg_size,
            encoding: config.encoding,
            limits: config.limits,
            max_messages: config.max_messages,
            nonce: config.nonce,
            next_nonce: None,
            retried: false,
            authenticated: false,
            ended: false,
            waiting: false,
            next_msg_id: MsgId::MIN,
            last_sent: MsgId::MIN,
            expect_msg_id: MsgId::MIN,
            messages: 0,
            out: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        session.package1();
        Ok(session)
    }

    /// The tree.
    pub const fn tree(&self) -> &T {
        &self.tree
    }

    /// The tree, mutably.
    pub const fn tree_mut(&mut self) -> &mut T {
        &mut self.tree
    }

    /// The tree, the session consumed.
    pub fn into_tree(self) -> T {
        self.tree
    }

    /// Whether the server accepted the credentials.
    #[must_use]
    pub const fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// Whether the session has ended.
    #[must_use]
    pub const fn is_ended(&self) -> bool {
        self.ended
    }

    /// The nonce to persist once the session has ended authenticated: the last `NextNonce` the
    /// server gave after accepting the credentials. `None` before, or if it gave none (keep the
    /// old one then).
    #[must_use]
    pub fn next_nonce(&self) -> Option<&Nonce> {
        if self.ended && self.authenticated {
            self.next_nonce.as_ref()
        } else {
            None
        }
    }

    /// The next message to send to the server.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// Takes one server message.
    ///
    /// # Errors
    /// A [`SessionError`] when the message cannot be taken into the session; nothing changes
    /// then.
    pub fn handle_message(&mut self, body: &[u8]) -> Result<(), SessionError> {
        if self.ended {
            return Err(SessionError::Ended);
        }
        if !self.waiting {
            return Err(SessionError::OutOfTurn);
        }
        let msg =
            codec::decode(self.encoding, body, &self.limits).map_err(SessionError::Malformed)?;
        let hdr = &msg.hdr;
        if hdr.session_id != self.session_id {
            return Err(SessionError::WrongSession);
        }
        if hdr.msg_id != self.expect_msg_id {
            return Err(SessionError::UnexpectedMsgId {
                expected: self.expect_msg_id.get(),
                got: hdr.msg_id.get(),
            });
        }
        self.expect_msg_id = wire::next_msg_id(hdr.msg_id);
        self.waiting = false;
        self.messages = self.messages.saturating_add(1);
        if self.messages > self.max_messages {
            self.end(EndReason::TooManyMessages);
            return Err(SessionError::TooManyMessages);
        }
        if let Some(size) = hdr.meta.as_ref().and_then(|m| m.max_msg_size) {
            self.server_max_msg_size = usize::try_from(size).unwrap_or(usize::MAX);
        }
        self.process(&msg);
        Ok(())
    }

    // -----------------------------------------------------------------------------------------

    fn package1(&mut self) {
        self.out.clear();
        let alert = Command::Alert(Alert {
            cmd_id: CmdId::MIN,
            no_resp: false,
            cred: None,
            data: Some(self.initiation),
            correlator: None,
            items: Vec::new(),
        });
        let replace = Command::Replace(ItemCommand {
            cmd_id: CmdId::MIN,
            no_resp: false,
            cred: None,
            meta: None,
            items: self
                .dev_info
                .iter()
                .map(|(uri, value)| value_item(uri, value))
                .collect(),
        });
        let mut queue: VecDeque<Outbound> = [alert, replace]
            .into_iter()
            .map(|cmd| Outbound { cmd, ticket: None })
            .collect();
        self.send(Vec::new(), &mut queue, None);
    }

    /// Packs one message from `pinned` and `queue` (the rest stays in `self.out`) and queues it.
    fn send(
        &mut self,
        pinned: Vec<Command<'static>>,
        queue: &mut VecDeque<Outbound>,
        trailer: Option<Command<'static>>,
    ) {
        let msg_id = self.next_msg_id;
        let parts = HeaderParts {
            version: SyncMlVersion::V1_2,
            ver_proto: "DM/1.2",
            session_id: &self.session_id,
            target: &self.server_uri,
            source: &self.device_id,
            loc_name: Some(self.keys.username().as_str()),
            max_msg_size: self.max_msg_size,
        };
        let mut hdr = parts.header(msg_id);
        if !self.authenticated && self.pin == AuthPin::Md5 {
            hdr.cred = self.keys.md5_cred(&self.nonce);
        }
        let limit = self.server_max_msg_size.max(MIN_MSG_SIZE);
        let packed = wire::pack(self.encoding, hdr, pinned, queue, trailer, limit, true);
        if !packed.fits {
            drop(packed);
            self.end(EndReason::TooLarge);
            return;
        }
        let mut body = Vec::with_capacity(1024);
        codec::encode(self.encoding, &packed.msg, &mut body);
        drop(packed);
        let hmac = self.keys.hmac_header(&self.nonce, &body);
        // What did not fit goes first next time, before the rest of the package.
        queue.extend(self.out.drain(..));
        self.out = core::mem::take(queue);
        self.last_sent = msg_id;
        self.next_msg_id = wire::next_msg_id(msg_id);
        self.waiting = true;
        self.transmits.push_back(Transmit {
            body,
            content_type: self.encoding.media_type(),
            msg_id,
            hmac,
        });
    }

    fn process(&mut self, msg: &SyncMl<'_>) {
        let hdr_status = msg.body.commands.iter().find_map(|c| match c {
            Command::Status(s)
                if s.cmd_ref == CmdRef::SYNC_HDR && s.msg_ref == MsgRef::to(self.last_sent) =>
            {
                Some(s)
            }
            _ => None,
        });
        if let Some(s) = hdr_status {
            let challenge = s.chal.as_ref().and_then(|c| {
                let ty = c.meta.ty.as_deref()?;
                let nonce = Nonce::from_base64(c.meta.next_nonce.as_deref()?.trim()).ok()?;
                Some((
                    ty.eq_ignore_ascii_case(self.pin.auth_type().as_str()),
                    nonce,
                ))
            });
            match s.data {
                StatusCode::INVALID_CREDENTIALS | StatusCode::MISSING_CREDENTIALS => {
                    self.events
                        .push_back(ClientEvent::Challenged { code: s.data });
                    match challenge {
                        _ if self.retried || self.authenticated => {
                            self.end(EndReason::AuthenticationFailed);
                        }
                        Some((true, nonce)) => {
                            // Retry package 1 once, with the challenge's nonce (used for this
                            // session only: it is not the nonce to persist).
                            self.retried = true;
                            self.nonce = nonce;
                            self.package1();
                        }
                        Some((false, _)) => self.end(EndReason::UnsupportedScheme),
                        None => self.end(EndReason::AuthenticationFailed),
                    }
                    return;
                }
                code if code.get() / 100 == 2 => {
                    if !self.authenticated {
                        self.authenticated = true;
                        self.events.push_back(ClientEvent::Authenticated);
                    }
                    if let Some((_, nonce)) = challenge {
                        self.next_nonce = Some(nonce);
                        if matches!(self.pin, AuthPin::Hmac { .. }) {
                            self.nonce = nonce;
                        }
                    }
                }
                _ => {
                    self.end(EndReason::AuthenticationFailed);
                    return;
                }
            }
        } else if !self.authenticated {
            // No verdict on our credentials: nothing can be trusted yet.
            self.end(EndReason::AuthenticationFailed);
            return;
        }

        let server_msg = msg.hdr.msg_id;
        let mut replies = VecDeque::new();
        let mut only_statuses = true;
        for cmd in &msg.body.commands {
            if matches!(cmd, Command::Status(_)) {
                continue;
            }
            only_statuses = false;
            if let Command::Alert(a) = cmd
                && a.data == Some(AlertCode::SESSION_ABORT)
            {
                self.end(EndReason::Aborted);
                return;
            }
            self.execute(server_msg, cmd, &mut replies);
        }

        // Every reply starts with the Status for the server's SyncHdr.
        let header = vec![Command::Status(wire::header_status(
            &msg.hdr,
            StatusCode::OK,
        ))];
        if !msg.body.is_final {
            self.send(header, &mut replies, Some(wire::next_message_alert()));
        } else if only_statuses && self.out.is_empty() {
            self.end(EndReason::Completed);
        } else {
            // The server's package is complete (or it asked for the next message): the
            // answers, then what is left of the client's own package.
            let mut queue = replies;
            queue.extend(core::mem::take(&mut self.out));
            self.send(header, &mut queue, None);
        }
    }

    /// Runs one server command; pushes its Status (and Results) to `replies`.
    fn execute(&mut self, msg_id: MsgId, cmd: &Command<'_>, replies: &mut VecDeque<Outbound>) {
        let (code, results) = self.run(msg_id, cmd, replies);
        if !cmd.no_resp() {
            replies.push_back(Outbound {
                cmd: Command::Status(wire::status(
                    msg_id,
                    CmdRef::to(cmd.cmd_id()),
                    cmd.name(),
                    code,
                )),
                ticket: None,
            });
        }
        if let Some(r) = results {
            replies.push_back(Outbound {
                cmd: r,
                ticket: None,
            });
        }
        self.events.push_back(ClientEvent::Executed {
            cmd: cmd.name(),
            code,
        });
    }

    fn run(
        &mut self,
        msg_id: MsgId,
        cmd: &Command<'_>,
        replies: &mut VecDeque<Outbound>,
    ) -> (StatusCode, Option<Command<'static>>) {
        if wire::has_more_data(cmd) {
            // This client reassembles no Large Objects.
            return (status(406), None);
        }
        match cmd {
            Command::Get(g) => {
                let mut items = Vec::with_capacity(g.items.len());
                for item in &g.items {
                    let uri = target_uri(item);
                    match self.tree.get(uri) {
                        Ok(v) => items.push(value_source_item(uri, &v)),
                        Err(code) => return (code, None),
                    }
                }
                let results = Command::Results(Results {
                    cmd_id: CmdId::MIN,
                    msg_ref: Some(MsgRef::to(msg_id)),
                    cmd_ref: CmdRef::to(g.cmd_id),
                    meta: None,
                    target_ref: None,
                    source_ref: None,
                    items,
                });
                (StatusCode::OK, Some(results))
            }
            Command::Replace(c) | Command::Add(c) => {
                let add = matches!(cmd, Command::Add(_));
                for item in &c.items {
                    let value = item_value(item, c.meta.as_deref());
                    let uri = target_uri(item);
                    let done = if add {
                        self.tree.add(uri, value)
                    } else {
                        self.tree.replace(uri, value)
                    };
                    if let Err(code) = done {
                        return (code, None);
                    }
                }
                (StatusCode::OK, None)
            }
            Command::Delete(d) => {
                for item in &d.items {
                    if let Err(code) = self.tree.delete(target_uri(item)) {
                        return (code, None);
                    }
                }
                (StatusCode::OK, None)
            }
            Command::Exec(e) => {
                let data = e.item.data.as_ref().map(|d| &*d.value);
                match self.tree.exec(target_uri(&e.item), data) {
                    Ok(()) => (StatusCode::OK, None),
                    Err(code) => (code, None),
                }
            }
            Command::Alert(a) => match a.data {
                Some(code) if (1100..=1104).contains(&code.get()) => {
                    let texts: Vec<&str> = a
                        .items
                        .iter()
                        .filter_map(|i| i.data.as_ref().map(|d| &*d.value))
                        .collect();
                    (self.tree.alert(code, &texts), None)
                }
                Some(AlertCode::NEXT_MESSAGE) => (StatusCode::OK, None),
                _ => (StatusCode::COMMAND_NOT_ALLOWED, None),
            },
            Command::Sequence(c) => {
                for inner in &c.commands {
                    self.execute(msg_id, inner, replies);
                }
                (StatusCode::OK, None)
            }
            Command::Atomic(c) => self.atomic(msg_id, c, replies),
            // Not supported by this engine, or not a server command.
            Command::Copy(_) => (status(406), None),
            Command::Results(_) | Command::Status(_) => (StatusCode::COMMAND_NOT_ALLOWED, None),
        }
    }

    fn atomic(
        &mut self,
        msg_id: MsgId,
        c: &Container<'_>,
        replies: &mut VecDeque<Outbound>,
    ) -> (StatusCode, Option<Command<'static>>) {
        if !self.tree.begin_atomic() {
            for inner in &c.commands {
                if !inner.no_resp() {
                    replies.push_back(Outbound {
                        cmd: Command::Status(wire::status(
                            msg_id,
                            CmdRef::to(inner.cmd_id()),
                            inner.name(),
                            status(215),
                        )),
                        ticket: None,
                    });
                }
            }
            return (status(507), None);
        }
        let mut inner_replies = VecDeque::new();
        for inner in &c.commands {
            self.execute(msg_id, inner, &mut inner_replies);
        }
        let failed = inner_replies.iter().any(|o| match &o.cmd {
            Command::Status(s) => s.data.get() >= 300,
            _ => false,
        });
        self.tree.end_atomic(!failed);
        if failed {
            // Rolled back: the successful commands report 216, results are dropped.
            for mut o in inner_replies {
                if let Command::Status(s) = &mut o.cmd {
                    if s.data.get() < 300 {
                        s.data = status(216);
                    }
                    replies.push_back(o);
                }
            }
            (status(507), None)
        } else {
            replies.extend(inner_replies);
            (StatusCode::OK, None)
        }
    }

    fn end(&mut self, reason: EndReason) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.waiting = false;
        self.out.clear();
        self.events.push_back(ClientEvent::Ended(SessionEnd {
            reason,
            authenticated: self.authenticated,
            next_nonce: if self.authenticated {
                self.next_nonce
            } else {
                None
            },
        }));
    }
}

impl<T> core::fmt::Debug for ClientSession<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientSession")
            .field("session_id", &self.session_id)
            .field("authenticated", &self.authenticated)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

fn target_uri<'i>(item: &'i Item<'_>) -> &'i str {
    item.target
        .as_ref()
        .map(|t| t.loc_uri.trim())
        .unwrap_or_default()
}

fn item_value(item: &Item<'_>, cmd_meta: Option<&Meta<'_>>) -> NodeValue {
    let meta = item.meta.as_ref();
    let format = meta
        .and_then(|m| m.format.as_ref())
        .or(cmd_meta.and_then(|m| m.format.as_ref()))
        .map_or("chr", Format::as_str);
    let ty = meta
        .and_then(|m| m.ty.as_deref())
        .or(cmd_meta.and_then(|m| m.ty.as_deref()));
    NodeValue {
        format: format.to_owned(),
        ty: ty.map(str::to_owned),
        data: item
            .data
            .as_ref()
            .map(|d| d.value.clone().into_owned())
            .unwrap_or_default(),
    }
}

fn value_meta(value: &NodeValue) -> Meta<'static> {
    Meta {
        format: Some(Format::from_token(value.format.clone())),
        ty: value.ty.clone().map(Cow::Owned),
        ..Meta::default()
    }
}

/// A package-1 item: `Source/LocURI`, Meta, Data.
fn value_item(uri: &str, value: &NodeValue) -> Item<'static> {
    value_source_item(uri, value)
}

fn value_source_item(uri: &str, value: &NodeValue) -> Item<'static> {
    Item {
        source: Some(Source {
            loc_uri: Cow::Owned(uri.to_owned()),
            loc_name: None,
        }),
        meta: Some(value_meta(value)),
        data: (!value.is_interior() || !value.data.is_empty())
            .then(|| ItemData::text(value.data.clone())),
        ..Item::default()
    }
}
