//! The verification pipeline: `start` (size, header scan, claimed identity), `authenticate`
//! (pinning, MAC over raw bytes, full decode, server rules) and `record` (anti-replay).

use core::fmt;
use core::ops::{ControlFlow, Range};
use std::borrow::Cow;
use std::time::SystemTime;

use omadm_dmsec::{Algorithm, AuthError, AuthType, Carrier, MacParams, Nonce, verify_md5};
use omadm_syncml::sessionless::{self, SessionlessReport};
use omadm_syncml::{CmdId, Encoding, Format, MsgId, SyncHdr, SyncMl};
use omadm_xml::Limits;

use crate::error::{IgnoreReason, Ignored, Pinned};
use crate::policy::{DeviceSecret, TransportMeta};
use crate::replay::ReplayState;

/// The server side of sessionless reporting: bytes and transport metadata in, a [`Verdict`] out.
///
/// A `Verifier` holds only configuration (the size limit and the decoder's limits); it is cheap
/// to copy and share between threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verifier {
    max_msg_size: usize,
    limits: Limits,
}

impl Verifier {
    /// A verifier for messages of at most `max_msg_size` bytes (the server's MaxMsgSize), with
    /// the decoder's default limits otherwise (depth 32, 100 000 elements).
    #[must_use]
    pub const fn new(max_msg_size: usize) -> Self {
        Self {
            max_msg_size,
            limits: Limits::DEFAULT.with_max_size(max_msg_size),
        }
    }

    /// Sets the decoder's limits (depth, element count, text length). Their `max_size` is
    /// replaced by this verifier's `max_msg_size`.
    #[must_use]
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits.with_max_size(self.max_msg_size);
        self
    }

    /// The largest body accepted, in bytes.
    #[must_use]
    pub const fn max_msg_size(&self) -> usize {
        self.max_msg_size
    }

    /// The decoder's limits.
    #[must_use]
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The cheap first step: the size limit (one comparison, before anything is read), then the
    /// header only (the decoder stops at `</SyncHdr>`), to find who claims to speak and how.
    ///
    /// Checks, in order: size, header well-formed, `Cred` present, `Cred/Data` free of markup,
    /// `Cred` scheme usable (not both carriers; an authenticated transport for a MAC-less
    /// auth-md5 `Cred`), the MAC parameter list (canonical when in the message), and the MAC's
    /// username equal to `Source/LocName`. The returned [`Pending`] names the username and device id; look up the
    /// device's [`DeviceSecret`] and call [`Pending::finish`] (or [`Pending::authenticate`]).
    ///
    /// # Errors
    /// [`Ignored`] with the first reason found.
    pub fn start<'a>(
        &self,
        body: &'a [u8],
        transport: &TransportMeta<'_>,
    ) -> Result<Pending<'a>, Ignored> {
        if body.len() > self.max_msg_size {
            return Err(Ignored::new(IgnoreReason::TooLarge {
                size: body.len(),
                limit: self.max_msg_size,
            }));
        }
        let encoding = encoding(body, transport).map_err(Ignored::new)?;
        let header = Header::decode(encoding, body, &self.limits).map_err(Ignored::new)?;
        let mut first = None;
        let claim = inspect_header(
            body,
            header.hdr(),
            header.cred_span(),
            transport,
            &mut |r| {
                first = Some(r);
                ControlFlow::Break(())
            },
        );
        match (claim, first) {
            (ControlFlow::Continue(Some(claim)), None) => Ok(Pending {
                body,
                header,
                claim,
            }),
            (_, Some(reason)) => Err(Ignored::new(reason)),
            // invariant: `inspect_header` yields no claim only after reporting a reason; should
            // that change, ignore the message rather than panic.
            (_, None) => Err(Ignored::new(IgnoreReason::Internal)),
        }
    }

    /// Runs every check that needs no device secret and returns every finding rather than the
    /// first: the size limit, decoding (with the size limit lifted, so that an oversize message
    /// is still examined), the `Cred` and carrier checks of [`start`](Self::start), and the whole
    /// sessionless profile ([`sessionless::check`]). An empty vector means that only the
    /// secret-dependent checks (pinning, MAC, device binding, replay) remain.
    #[must_use]
    pub fn lint(&self, body: &[u8], transport: &TransportMeta<'_>) -> Vec<Finding> {
        let mut found = Vec::new();
        if body.len() > self.max_msg_size {
            found.push(Finding::new(IgnoreReason::TooLarge {
                size: body.len(),
                limit: self.max_msg_size,
            }));
        }
        let limits = self.limits.with_max_size(body.len().max(self.max_msg_size));
        let encoding = match encoding(body, transport) {
            Ok(e) => e,
            Err(reason) => {
                found.push(Finding::new(reason));
                return found;
            }
        };
        let decoded = Header::decode(encoding, body, &limits).and_then(Header::into_body);
        let (message, cred_span) = match decoded {
            Ok(d) => d,
            Err(reason) => {
                found.push(Finding::new(reason));
                return found;
            }
        };
        let msg = &message;
        let _ = inspect_header(body, &msg.hdr, cred_span, transport, &mut |r| {
            found.push(Finding::new(r));
            ControlFlow::Continue(())
        });
        let missing_cred = msg.hdr.cred.is_none();
        found.extend(
            sessionless::check(msg)
                .into_iter()
                // A missing Cred is already reported as `MissingCred` (same SCR id).
                .filter(|v| !(missing_cred && v.rule == sessionless::Rule::HeaderCred))
                .map(|v| Finding::new(IgnoreReason::NotSessionless(v))),
        );
        found
    }
}

/// One finding of [`Verifier::lint`]: a reason the verifier would ignore the message for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The reason; [`IgnoreReason::conformance_id`] gives the spec's SCR id when there is one.
    pub reason: IgnoreReason,
}

impl Finding {
    const fn new(reason: IgnoreReason) -> Self {
        Self { reason }
    }
}

impl fmt::Display for Finding {
    /// `name: reason`; the reason's own text names the conformance id where there is one, so
    /// the id is printed once.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.as_str(), self.reason)
    }
}

/// A message whose claimed identity is known but not yet proven: look up the device's secret
/// state by [`username`](Self::username) (synchronously or not), then call
/// [`finish`](Self::finish), or [`authenticate`](Self::authenticate) and later
/// [`Authenticated::record`].
///
/// Everything it reports is *claimed*, not authenticated.
#[derive(Debug)]
#[must_use]
pub struct Pending<'a> {
    body: &'a [u8],
    /// The header scan, which the full decode resumes after the MAC check.
    header: Header<'a>,
    claim: Claim,
}

impl<'a> Pending<'a> {
    /// The claimed username (from the MAC parameter list, or `Source/LocName` for the transport
    /// carrier; the two are equal whenever both exist).
    #[must_use]
    pub fn username(&self) -> &str {
        self.claim.username(self.header.hdr())
    }

    /// The claimed device id, `SyncHdr/Source/LocURI`.
    #[must_use]
    pub fn device_id(&self) -> &str {
        &self.header.hdr().source.loc_uri
    }

    /// Where the proof of origin travels.
    #[must_use]
    pub const fn carrier(&self) -> Carrier {
        self.claim.carrier
    }

    /// The scheme of the `Cred` (auth-MAC for the in-message carrier, auth-md5 otherwise).
    #[must_use]
    pub const fn auth_type(&self) -> AuthType {
        self.claim.carrier.cred_type()
    }

    /// The MAC's hash, `None` for the transport carrier.
    #[must_use]
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.claim.params.as_ref().map(MacParams::algorithm)
    }

    /// The claimed `MsgID`.
    #[must_use]
    pub const fn msg_id(&self) -> MsgId {
        self.header.hdr().msg_id
    }

    /// Both steps at once: [`authenticate`](Self::authenticate), then [`Authenticated::record`].
    pub fn finish(
        self,
        secret: &DeviceSecret,
        replay: &mut ReplayState,
        now: SystemTime,
    ) -> Verdict<'a> {
        match self.authenticate(secret) {
            Ok(authenticated) => authenticated.record(replay, now),
            Err(ignored) => Verdict::Ignored(ignored),
        }
    }

    /// Everything but the replay check, with no state to update, so it can run on any thread:
    ///
    /// 1. `secret` is the claimed user's (else [`IgnoreReason::UnknownDevice`]);
    /// 2. the carrier and hash are the ones pinned for the device ([`IgnoreReason::WrongScheme`]);
    /// 3. the MAC over the raw bytes, in constant time ([`IgnoreReason::BadMac`]), and for the
    ///    header and transport carriers the auth-md5 `Cred` ([`IgnoreReason::BadCredential`]);
    /// 4. the full decode ([`IgnoreReason::Malformed`]);
    /// 5. `Source/LocURI` is the device id held for the username ([`IgnoreReason::DeviceMismatch`]);
    /// 6. the sessionless profile ([`IgnoreReason::NotSessionless`] with the first violation).
    ///
    /// # Errors
    /// [`Ignored`] with the first reason found.
    pub fn authenticate(self, secret: &DeviceSecret) -> Result<Authenticated<'a>, Ignored> {
        self.authenticate_inner(secret).map_err(Ignored::new)
    }

    fn authenticate_inner(self, secret: &DeviceSecret) -> Result<Authenticated<'a>, IgnoreReason> {
        let Self {
            body,
            header,
            claim,
        } = self;
        let hdr = header.hdr();
        if secret.username() != claim.username(hdr) {
            return Err(IgnoreReason::UnknownDevice);
        }
        let policy = secret.policy();
        if !policy.allows(claim.carrier) {
            return Err(IgnoreReason::WrongScheme(Pinned::Carrier(claim.carrier)));
        }
        let nonce = secret.nonce();

        // The proof of origin, over the raw bytes, before the body is read. The carrier alone
        // decides what must verify: a MAC carrier without a MAC can never pass.
        if matches!(claim.carrier, Carrier::InMessage | Carrier::Header) {
            let params = claim.params.as_ref().ok_or(IgnoreReason::BadMac)?;
            if params.algorithm() != policy.algorithm() {
                return Err(IgnoreReason::WrongScheme(Pinned::Algorithm));
            }
            // invariant: `DeviceSecret::new` keys the MAC whenever the policy allows a MAC
            // carrier, which was just checked; a missing key is our bug, not the peer's.
            let key = secret.mac_key().ok_or(IgnoreReason::Internal)?;
            let verified = if claim.carrier == Carrier::InMessage {
                key.verify_excluding(nonce, body, claim.cred_span.clone(), params.mac())
            } else {
                key.verify(nonce, body, params.mac())
            };
            verified.map_err(|e| peer_or_internal(e, IgnoreReason::BadMac))?;
        }
        if matches!(claim.carrier, Carrier::Header | Carrier::Transport) {
            // invariant: as above, the MD5 key digest exists whenever these carriers are allowed.
            let md5 = secret.md5().ok_or(IgnoreReason::Internal)?;
            let cred_data = hdr.cred.as_ref().map_or("", |c| &*c.data);
            verify_md5(claim.username(hdr), md5, nonce, cred_data)
                .map_err(|e| peer_or_internal(e, IgnoreReason::BadCredential))?;
        }

        // Authenticated: now read the body, resuming after the header scan.
        let (mut msg, _) = header.into_body()?;
        if *msg.hdr.source.loc_uri != *secret.device_id() {
            return Err(IgnoreReason::DeviceMismatch);
        }
        // The first violation, in the order `check` reports them; otherwise the reports, one
        // per command (every command is now a Sessionless Report Alert), in body order, moved
        // out of the message: their texts keep borrowing the body.
        // The identity is moved out first (no profile rule reads the header's Source).
        let username = msg.hdr.source.loc_name.take();
        let device = core::mem::take(&mut msg.hdr.source.loc_uri);
        let msg_id = msg.hdr.msg_id;
        let reports = sessionless::into_reports(msg)
            .map_err(IgnoreReason::NotSessionless)?
            .into_iter()
            .map(|(cmd_id, report)| ReceivedReport { cmd_id, report })
            .collect();
        // invariant: an authenticated claim named a non-empty `Source/LocName` (checked by
        // `inspect_header` for every carrier).
        let username = username.ok_or(IgnoreReason::Internal)?;
        Ok(Authenticated {
            username,
            device,
            msg_id,
            carrier: claim.carrier,
            nonce: *nonce,
            reports,
        })
    }
}

/// A message whose origin and content are proven, before the replay check. Call
/// [`record`](Self::record) with the device's [`ReplayState`] (inside the transaction that stores
/// the reports and the state).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Authenticated<'a> {
    username: Cow<'a, str>,
    device: Cow<'a, str>,
    msg_id: MsgId,
    carrier: Carrier,
    nonce: Nonce,
    reports: Vec<ReceivedReport<'a>>,
}

impl<'a> Authenticated<'a> {
    /// The authenticated username (`SyncHdr/Source/LocName`).
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The device id (`SyncHdr/Source/LocURI`).
    #[must_use]
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The authenticated `MsgID`.
    #[must_use]
    pub const fn msg_id(&self) -> MsgId {
        self.msg_id
    }

    /// How the message was authenticated.
    #[must_use]
    pub const fn carrier(&self) -> Carrier {
        self.carrier
    }

    /// The reports, in message order. They are not accepted yet: keep them only if the replay
    /// check passes.
    #[must_use]
    pub fn reports(&self) -> &[ReceivedReport<'a>] {
        &self.reports
    }

    /// What the anti-replay check needs, for a caller that runs it apart from this value (e.g.
    /// in a database writer, with [`ReplayState::record`]).
    #[must_use]
    pub const fn replay_claim(&self) -> ReplayClaim {
        ReplayClaim {
            nonce: self.nonce,
            msg_id: self.msg_id,
        }
    }

    /// The anti-replay check: accepts the message if its `MsgID` is fresh under the nonce, and
    /// records it in `replay`; otherwise [`IgnoreReason::Replayed`] and `replay` is unchanged.
    /// `now` is stored as the window's last-use time; it plays no part in the decision.
    pub fn record(self, replay: &mut ReplayState, now: SystemTime) -> Verdict<'a> {
        if let Err(ignored) = replay.record(&self.replay_claim(), now) {
            return Verdict::Ignored(ignored);
        }
        Verdict::Accepted(Accepted {
            username: self.username,
            device: self.device,
            msg_id: self.msg_id,
            carrier: self.carrier,
            reports: self.reports,
        })
    }
}

/// The (nonce, `MsgID`) pair of an authenticated message: all the anti-replay check needs. Only
/// [`Authenticated::replay_claim`] makes one, so only authenticated messages move a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplayClaim {
    nonce: Nonce,
    msg_id: MsgId,
}

impl ReplayClaim {
    /// The nonce the message was signed with.
    #[must_use]
    pub const fn nonce(&self) -> &Nonce {
        &self.nonce
    }

    /// The message's `MsgID`.
    #[must_use]
    pub const fn msg_id(&self) -> MsgId {
        self.msg_id
    }
}

/// What the verifier decided. Nothing in it is meant for the sender.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Verdict<'a> {
    /// The message is authentic, conforming and fresh.
    Accepted(Accepted<'a>),
    /// The message is ignored, silently.
    Ignored(Ignored),
}

impl Verdict<'_> {
    /// Whether the message was accepted.
    #[must_use]
    pub const fn is_accepted(&self) -> bool {
        matches!(self, Verdict::Accepted(_))
    }

    /// The reason, if the message was ignored.
    #[must_use]
    pub const fn ignore_reason(&self) -> Option<&IgnoreReason> {
        match self {
            Verdict::Accepted(_) => None,
            Verdict::Ignored(i) => Some(i.reason()),
        }
    }

    /// Detaches the verdict from the body it borrows from.
    pub fn into_owned(self) -> Verdict<'static> {
        match self {
            Verdict::Accepted(a) => Verdict::Accepted(a.into_owned()),
            Verdict::Ignored(i) => Verdict::Ignored(i),
        }
    }
}

impl From<Ignored> for Verdict<'_> {
    fn from(ignored: Ignored) -> Self {
        Verdict::Ignored(ignored)
    }
}

/// An accepted message: who sent it and its reports, in message order.
///
/// The username and device id borrow from the body; the reports are copies (see
/// [`ReceivedReport`]). [`into_owned`](Self::into_owned) detaches the whole value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted<'a> {
    /// The authenticated username (`SyncHdr/Source/LocName`).
    pub username: Cow<'a, str>,
    /// The device id (`SyncHdr/Source/LocURI`), the one held for the username.
    pub device: Cow<'a, str>,
    /// The message's `MsgID`.
    pub msg_id: MsgId,
    /// How the message was authenticated.
    pub carrier: Carrier,
    /// The reports, in message order.
    pub reports: Vec<ReceivedReport<'a>>,
}

impl Accepted<'_> {
    /// Detaches the value from the body it borrows from.
    pub fn into_owned(self) -> Accepted<'static> {
        Accepted {
            username: Cow::Owned(self.username.into_owned()),
            device: Cow::Owned(self.device.into_owned()),
            msg_id: self.msg_id,
            carrier: self.carrier,
            reports: self
                .reports
                .into_iter()
                .map(ReceivedReport::into_owned)
                .collect(),
        }
    }
}

/// One report of an accepted message, with the `CmdID` of the Alert that carried it.
///
/// The report's texts borrow the body wherever the decoder could borrow them (text that needed
/// no unescaping or joining): they are moved out of the decoded message, not copied.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedReport<'a> {
    /// The `CmdID` of the Sessionless Report Alert.
    pub cmd_id: CmdId,
    /// The report.
    pub report: SessionlessReport<'a>,
}

impl ReceivedReport<'_> {
    /// Detaches the value from the body it borrows from.
    pub fn into_owned(self) -> ReceivedReport<'static> {
        ReceivedReport {
            cmd_id: self.cmd_id,
            report: self.report.into_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The header inspection shared by `start` (first reason) and `lint` (every reason).

/// Who claims to speak, and how.
#[derive(Debug)]
struct Claim {
    carrier: Carrier,
    /// The MAC parameter list (in-message and header carriers).
    params: Option<MacParams>,
    /// The `Cred/Data` content span.
    cred_span: Range<usize>,
}

impl Claim {
    /// The parameter list's username, or `Source/LocName` for the transport carrier (the two
    /// are equal whenever both exist).
    fn username<'s>(&'s self, hdr: &'s SyncHdr<'_>) -> &'s str {
        match &self.params {
            Some(p) => p.username().as_str(),
            // Peer input: no `LocName` claims the empty name, which no device has (a claim
            // without a MAC is only built with a non-empty one).
            None => hdr.source.loc_name.as_deref().unwrap_or_default(),
        }
    }
}

/// Reports every header-level reason to `sink`, in check order; yields the claim when there was
/// none. Stops early when `sink` breaks.
/// The codec for `body`: the one its `Content-Type` names, which must be the one its first byte
/// shows; without a `Content-Type`, the one its first byte shows.
fn encoding(body: &[u8], transport: &TransportMeta<'_>) -> Result<Encoding, IgnoreReason> {
    let shown = Encoding::of_body(body);
    match transport.content_type().map(Encoding::from_media_type) {
        None => Ok(shown),
        Some(None) => Err(IgnoreReason::UnsupportedMediaType),
        Some(Some(named)) if named != shown => Err(IgnoreReason::MediaTypeMismatch),
        Some(Some(named)) => Ok(named),
    }
}

/// The header scan of either codec, resumed by the full decode. Both variants are large (each
/// holds its decoder's state); boxing one would cost an allocation per message, so they stay
/// inline.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)]
enum Header<'a> {
    Xml(omadm_xml::DecodedHeader<'a>),
    Wbxml(omadm_wbxml::DecodedHeader<'a>),
}

impl<'a> Header<'a> {
    fn decode(encoding: Encoding, body: &'a [u8], limits: &Limits) -> Result<Self, IgnoreReason> {
        match encoding {
            Encoding::Xml => omadm_xml::decode_header(body, limits)
                .map(Header::Xml)
                .map_err(IgnoreReason::Malformed),
            Encoding::Wbxml => omadm_wbxml::decode_header(body, &wbxml_limits(limits))
                .map(Header::Wbxml)
                .map_err(IgnoreReason::MalformedWbxml),
        }
    }

    const fn hdr(&self) -> &SyncHdr<'a> {
        match self {
            Header::Xml(h) => &h.hdr,
            Header::Wbxml(h) => &h.hdr,
        }
    }

    /// The MAC span of `SyncHdr/Cred/Data`; `None` without a `Cred`, and in WBXML also when the
    /// data is not exactly one `STR_I` (then `inspect_header` reports `BadCredData`).
    fn cred_span(&self) -> Option<Range<usize>> {
        match self {
            Header::Xml(h) => h.cred_data.clone(),
            Header::Wbxml(h) => h.cred_data.clone().and_then(Result::ok),
        }
    }

    fn into_body(self) -> Result<(SyncMl<'a>, Option<Range<usize>>), IgnoreReason> {
        match self {
            Header::Xml(h) => h
                .into_body()
                .map(|d| (d.message, d.cred_data))
                .map_err(IgnoreReason::Malformed),
            Header::Wbxml(h) => h
                .into_body()
                .map(|d| (d.message, d.cred_data.and_then(Result::ok)))
                .map_err(IgnoreReason::MalformedWbxml),
        }
    }
}

/// The WBXML decoder's limits from the verifier's (the same bounds).
fn wbxml_limits(l: &Limits) -> omadm_wbxml::Limits {
    omadm_wbxml::Limits::default()
        .with_max_size(l.max_size)
        .with_max_depth(l.max_depth)
        .with_max_elements(l.max_elements)
        .with_max_text(l.max_text)
}

fn inspect_header(
    body: &[u8],
    hdr: &SyncHdr<'_>,
    cred_span: Option<Range<usize>>,
    transport: &TransportMeta<'_>,
    sink: &mut dyn FnMut(IgnoreReason) -> ControlFlow<()>,
) -> ControlFlow<(), Option<Claim>> {
    let mut clean = true;
    let mut emit = |reason| {
        clean = false;
        sink(reason)
    };
    let (Some(cred), Some(span)) = (&hdr.cred, cred_span) else {
        // A Cred without a span: a WBXML Cred/Data that is not exactly one STR_I.
        let reason = match hdr.cred {
            Some(_) => IgnoreReason::BadCredData,
            None => IgnoreReason::MissingCred,
        };
        emit(reason)?;
        return ControlFlow::Continue(None);
    };
    // invariant: the decoder's Cred Data span lies within the bytes it decoded; one that does
    // not is our bug, reported as such rather than as the peer's bad Cred.
    let Some(raw) = body.get(span.clone()) else {
        emit(IgnoreReason::Internal)?;
        return ControlFlow::Continue(None);
    };
    // The raw bytes the MAC excludes must be exactly the text the decoder read: no markup,
    // reference, comment or CDATA section.
    if raw.iter().any(|&b| b == b'<' || b == b'&') || raw != cred.data.as_bytes() {
        emit(IgnoreReason::BadCredData)?;
    }

    let meta = cred.meta.as_ref();
    let auth_type = meta
        .and_then(|m| m.ty.as_deref())
        .and_then(|t| t.parse::<AuthType>().ok());
    let format = meta.and_then(|m| m.format.as_ref());
    let header = transport.hmac_header();
    let carrier = match (auth_type, header) {
        (Some(AuthType::Mac), None) if format.is_none_or(|f| *f == Format::Chr) => {
            Some(Carrier::InMessage)
        }
        (Some(AuthType::Mac), Some(_)) => {
            emit(IgnoreReason::BothCarriers)?;
            None
        }
        (Some(AuthType::Md5), Some(_)) if format == Some(&Format::B64) => Some(Carrier::Header),
        (Some(AuthType::Md5), None) if format == Some(&Format::B64) => {
            if !transport.peer_authenticated() {
                emit(IgnoreReason::TransportNotAuthenticated)?;
            }
            Some(Carrier::Transport)
        }
        _ => {
            emit(IgnoreReason::UnsupportedScheme)?;
            None
        }
    };

    // The parameter list is read even beside a conflicting header, so that `lint` reports
    // everything wrong with it.
    let params_text = match (carrier, auth_type) {
        (Some(Carrier::Header), _) => header,
        (_, Some(AuthType::Mac)) => Some(&*cred.data),
        _ => None,
    };
    let params = match params_text.map(MacParams::parse) {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => {
            emit(IgnoreReason::BadMacParams(e))?;
            None
        }
        None => None,
    };
    // The MAC does not cover the in-message parameter list, so it must be the one canonical
    // spelling: then no byte of an accepted message can change without the message being
    // ignored (no case, spacing or order variants ride along unauthenticated).
    if let (Some(p), Some(AuthType::Mac)) = (&params, auth_type)
        && !is_canonical(p, &cred.data)
    {
        emit(IgnoreReason::BadCredData)?;
    }

    let loc_name = hdr.source.loc_name.as_deref();
    match (&params, carrier) {
        (Some(p), _) if loc_name != Some(p.username().as_str()) => {
            emit(IgnoreReason::IdentityMismatch)?;
        }
        (None, Some(Carrier::Transport)) if loc_name.is_none_or(str::is_empty) => {
            emit(IgnoreReason::IdentityMismatch)?;
        }
        _ => {}
    }

    ControlFlow::Continue(match carrier {
        Some(carrier) if clean => Some(Claim {
            carrier,
            params,
            cred_span: span,
        }),
        _ => None,
    })
}

/// The reason for a failed MAC or credential check: `peer` when it did not verify, and
/// [`IgnoreReason::Internal`] for anything else (a span outside the message, a key digest of
/// the wrong hash): those are bugs on this side, never the peer's doing.
fn peer_or_internal(err: AuthError, peer: IgnoreReason) -> IgnoreReason {
    match err {
        AuthError::Rejected => peer,
        _ => IgnoreReason::Internal,
    }
}

/// Whether `text` is exactly the canonical form of `params` (compared as it is formatted, without
/// building the string).
fn is_canonical(params: &MacParams, text: &str) -> bool {
    struct Compare<'t>(&'t str);
    impl fmt::Write for Compare<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 = self.0.strip_prefix(s).ok_or(fmt::Error)?;
            Ok(())
        }
    }
    let mut rest = Compare(text);
    fmt::write(&mut rest, format_args!("{params}")).is_ok() && rest.0.is_empty()
}

#[cfg(test)]
mod tests {
    use omadm_dmsec::AuthError;

    use super::peer_or_internal;
    use crate::error::IgnoreReason;

    /// Issue 10: a Cred span outside the message (`AuthError::SpanOutOfBounds`) or a key digest
    /// of the wrong hash is our bug: `internal`, never the peer's `bad-mac` / `bad-credential`.
    #[test]
    fn issue_10_our_auth_errors_are_internal_not_the_peers() {
        for peer in [IgnoreReason::BadMac, IgnoreReason::BadCredential] {
            assert_eq!(peer_or_internal(AuthError::Rejected, peer.clone()), peer);
            for ours in [AuthError::SpanOutOfBounds, AuthError::UnusableSecret] {
                assert_eq!(peer_or_internal(ours, peer.clone()), IgnoreReason::Internal);
            }
        }
        assert_eq!(IgnoreReason::Internal.as_str(), "internal");
    }
}
