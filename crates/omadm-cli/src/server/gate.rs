//! The seam between the HTTP edge and the protocol logic: the verification steps the server
//! runs, split where the anti-replay check must join the database transaction.

use std::future::Future;

use super::status::ReplayView;
use crate::store::AcceptedMessage;

/// Why a message was ignored: a stable, lowercase label for logs and metrics. The sender never
/// sees it.
pub(crate) type Reason = &'static str;

/// Ignored at the HTTP edge: the body is larger than MaxMsgSize (not read beyond it).
pub(crate) const OVERSIZE: Reason = "too-large";
/// Ignored at the HTTP edge, before the body is read: a `Content-Type` that names neither DM
/// media type (`application/vnd.syncml.dm+xml`, `application/vnd.syncml.dm+wbxml`). The
/// verifier's label for the same thing ([`omadm_verifier::IgnoreReason::UnsupportedMediaType`]).
pub(crate) const MEDIA_TYPE: Reason = "unsupported-media-type";
/// Ignored at the HTTP edge: the body did not arrive within the body read timeout.
pub(crate) const BODY_TIMEOUT: Reason = "body-timeout";
/// Ignored at the HTTP edge: the connection failed while the body was read.
pub(crate) const BODY_ERROR: Reason = "body-error";
/// Not a verdict: `check` does not hold the device's keys (a bounded cache's miss); the
/// handler then awaits [`Gate::check_uncached`].
pub(crate) const NOT_CACHED: Reason = "not-cached";
/// Not a verdict either: the device registry could not be read for the message's device. The
/// request is answered 503, as when a transaction fails (nothing was acknowledged).
pub(crate) const UNAVAILABLE: Reason = super::metrics::REGISTRY_UNAVAILABLE;

/// Ignored in the writer: the message was signed with a nonce the device no longer holds — a DM
/// session (or an operator) issued a new one after the message was checked and before its
/// transaction ran.
pub(crate) const STALE_NONCE: Reason = "stale-nonce";

/// What the transport tells the verifier besides the body.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Transport<'a> {
    /// The `x-syncml-hmac` header, if the request had one (several are joined with `", "`,
    /// which the verifier then refuses as a repeated parameter).
    pub(crate) hmac_header: Option<&'a str>,
    /// The request's `Content-Type` (`None`: the request had none, and the body's first byte
    /// picks the codec).
    pub(crate) content_type: Option<&'a str>,
}

/// A message that passed the CPU-bound checks (size, identity, MAC, decoding, profile): it waits
/// only for the anti-replay check, which runs inside the storage transaction.
#[derive(Debug)]
pub(crate) struct Checked<C> {
    /// What is stored if the anti-replay check passes.
    pub(crate) message: AcceptedMessage,
    /// What the anti-replay check needs (the gate's own type).
    pub(crate) claim: C,
}

/// The verification steps. `check` runs on the request's task, in parallel with other
/// requests; `replay` runs in the writer, inside the transaction that stores the message.
pub(crate) trait Gate: Send + Sync + 'static {
    /// What `check` hands to `replay`.
    type Claim: Send + 'static;

    /// Size, identity, MAC, decoding and profile checks, with the keys the gate holds in
    /// memory; [`NOT_CACHED`] when it would need to read them first.
    fn check(&self, body: &[u8], transport: &Transport<'_>)
    -> Result<Checked<Self::Claim>, Reason>;

    /// The same checks after looking the device up in the database, for a message `check`
    /// answered [`NOT_CACHED`] ([`UNAVAILABLE`]: the look-up failed).
    fn check_uncached<'a>(
        &'a self,
        body: &'a [u8],
        transport: &'a Transport<'a>,
    ) -> impl Future<Output = Result<Checked<Self::Claim>, Reason>> + Send + 'a {
        async move { self.check(body, transport) }
    }

    /// Makes sure a later synchronous look-up of `username` ([`Gate::session_device`]) finds
    /// the device if it exists (a bounded cache's miss reads it). `Err(UNAVAILABLE)`: it could
    /// not be read.
    fn load_device<'a>(
        &'a self,
        username: &'a str,
    ) -> impl Future<Output = Result<(), Reason>> + Send + 'a {
        let _ = username;
        async { Ok(()) }
    }

    /// The registry cache's figures, for `/metrics` (`None`: the gate has no cache).
    fn cache_metrics(&self) -> Option<super::metrics::CacheMetrics> {
        None
    }

    /// The anti-replay check against the device's stored state (`None`: never saved). On
    /// success returns the state to save.
    fn replay(
        &self,
        checked: &Checked<Self::Claim>,
        state: Option<&[u8]>,
    ) -> Result<Vec<u8>, Reason>;

    /// Whether the message was signed with the nonce the device holds now (checked in the
    /// writer, inside the transaction, right before the anti-replay check: a nonce a DM session
    /// issued in an earlier tick has replaced it).
    fn is_current(&self, checked: &Checked<Self::Claim>) -> bool {
        let _ = checked;
        true
    }

    /// A DM session's new nonce for `username` was committed: the gate expects it from now on.
    fn nonce_issued(&self, username: &str, nonce: omadm_dmsec::Nonce) {
        let _ = (username, nonce);
    }

    /// What a DM session needs of the device `username` (`None`: unknown, or the gate serves no
    /// sessions).
    fn session_device(&self, username: &str) -> Option<crate::verification::SessionDevice> {
        let _ = username;
        None
    }

    /// What the status page shows of a device's stored anti-replay state (`None`: nothing the
    /// gate can read). `nonce` is the device's current nonce (base64) as the device registry
    /// holds it, if it has a row there.
    fn replay_view(&self, username: &str, state: &[u8], nonce: Option<&str>) -> Option<ReplayView> {
        let _ = (username, state, nonce);
        None
    }
}
