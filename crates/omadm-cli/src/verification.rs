//! The server side as the tool runs it: every device of a devices file turned into the
//! verifier's [`DeviceSecret`], and the [`Gate`] that runs `omadm-verifier` behind the HTTP edge.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use omadm_dmsec::{Algorithm, Carrier, Construction, Nonce, StoredSecret, Username};
use omadm_verifier::{
    DeviceSecret, IgnoreReason, Ignored, Policy, ReceivedReport, ReplayClaim, ReplayState,
    TransportMeta, Verifier,
};

use crate::config::{Device, Devices};
use crate::error::CliError;
use crate::registry::cache::Cache;
use crate::registry::{Entry, Registry};
use crate::server::gate::{NOT_CACHED, UNAVAILABLE};
use crate::server::metrics::CacheMetrics;
use crate::server::{Checked, Gate, Reason, ReplayView, Transport};
use crate::store::{AcceptedMessage, ReportRecord};

/// Ignored in the writer: the device's stored anti-replay state cannot be read. Its messages are
/// refused (rather than the state reset, which would reopen old MsgIDs) until an operator acts.
const REPLAY_STATE_CORRUPT: Reason = "replay-state-corrupt";

/// What the server holds: the verifier, every device of the devices file, and the bounded
/// cache of the database's device registry (which wins over the file).
#[derive(Debug)]
pub(crate) struct ServerSide {
    verifier: Verifier,
    devices: HashMap<String, Arc<Held>>,
    /// The registry, when `serve` has a `--db`: its devices, the refused ones and the absent
    /// ones, at most `--registry-cache` of them. Kept up to date by `registry::follow`, by the
    /// misses (read from the database on a message), and by the storage writer after a DM
    /// session's commit.
    registry: Option<Linked>,
    /// Without a registry: the devices file's devices whose nonce a DM session replaced (at
    /// most one entry per device of the file).
    rotated: RwLock<HashMap<String, Arc<Held>>>,
}

/// The registry a node follows: its bounded cache, and the database a miss reads.
struct Linked {
    cache: Cache<Known>,
    source: Arc<Registry>,
    metrics: CacheMetrics,
}

impl core::fmt::Debug for Linked {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Linked")
            .field("cached", &self.cache.len())
            .field("capacity", &self.cache.capacity())
            .finish_non_exhaustive()
    }
}

/// What the registry says of a username.
#[derive(Clone, Debug)]
enum Known {
    /// A device.
    Device(Arc<Held>),
    /// Disabled, or a row that does not validate: unknown to the server.
    Refused,
    /// No row: the devices file decides.
    Absent,
}

/// The registry cache does not hold the username (its row must be read first).
struct NotCached;

/// Why `authenticate` produced no message for the writer.
enum Refusal {
    Ignored(Ignored),
    NotCached,
}

impl From<Ignored> for Refusal {
    fn from(ignored: Ignored) -> Self {
        Self::Ignored(ignored)
    }
}

/// One device: the verifier's keys, and what a DM session of the device needs.
struct Held {
    secret: DeviceSecret,
    stored: StoredSecret,
    algorithm: Algorithm,
    construction: Construction,
    /// The registry entry a session's nonce is written as when the registry has no row for
    /// the device (a device of the devices file); `None` for registry devices, and for a file
    /// device the registry could not hold.
    import: Option<crate::registry::Entry>,
}

impl core::fmt::Debug for Held {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Held")
            .field("username", &self.secret.username())
            .finish_non_exhaustive()
    }
}

impl Held {
    /// The same device with another nonce.
    fn with_nonce(&self, nonce: Nonce) -> Option<Self> {
        let username = Username::new(self.secret.username().to_owned()).ok()?;
        let secret = DeviceSecret::new(
            username,
            self.secret.device_id().to_owned(),
            &self.stored,
            nonce,
            *self.secret.policy(),
        )
        .ok()?;
        Some(Self {
            secret,
            stored: self.stored.clone(),
            algorithm: self.algorithm,
            construction: self.construction,
            import: self.import.as_ref().map(|e| crate::registry::Entry {
                nonce: nonce.to_base64(),
                ..e.clone()
            }),
        })
    }
}

/// What a DM session needs of the device its client claims to be.
#[derive(Clone, Debug)]
pub(crate) struct SessionDevice {
    pub(crate) username: String,
    pub(crate) device_id: String,
    pub(crate) secret: StoredSecret,
    pub(crate) algorithm: Algorithm,
    pub(crate) construction: Construction,
    /// The nonce the server last issued to the device.
    pub(crate) nonce: Nonce,
    /// See [`Held::import`].
    pub(crate) import: Option<crate::registry::Entry>,
}

impl ServerSide {
    /// Builds the keys of every device (the stored digest, or one computed from `secret`), each
    /// pinned to its algorithm, construction and single carrier.
    pub(crate) fn new(devices: &Devices, max_msg_size: usize) -> Result<Self, CliError> {
        let mut secrets = HashMap::with_capacity(devices.len());
        for device in devices.iter() {
            let mut held = held(devices, device)?;
            held.import = import_entry(devices, device);
            secrets.insert(device.username.clone(), Arc::new(held));
        }
        Ok(Self {
            verifier: Verifier::new(max_msg_size),
            devices: secrets,
            registry: None,
            rotated: RwLock::default(),
        })
    }

    /// No device yet: all of them come from the registry.
    pub(crate) fn registry_only(max_msg_size: usize) -> Self {
        Self {
            verifier: Verifier::new(max_msg_size),
            devices: HashMap::new(),
            registry: None,
            rotated: RwLock::default(),
        }
    }

    /// Serves the devices of `registry` too, through a cache of at most `capacity` of them.
    pub(crate) fn with_registry(mut self, registry: Arc<Registry>, capacity: usize) -> Self {
        let cache = Cache::new(capacity, 0);
        let metrics = CacheMetrics::default();
        metrics.capacity.set(gauge(cache.capacity()));
        self.registry = Some(Linked {
            cache,
            source: registry,
            metrics,
        });
        self
    }

    /// The most registry devices cached (0: no registry).
    pub(crate) fn cache_capacity(&self) -> usize {
        self.registry.as_ref().map_or(0, |l| l.cache.capacity())
    }

    /// Fills the cache at start with `rows`, a snapshot of the registry at version `snapshot`.
    pub(crate) fn preload_registry(&self, rows: Vec<Entry>, snapshot: i64) {
        if let Some(linked) = &self.registry {
            linked.cache.preload(
                rows.into_iter()
                    .map(|e| (e.username.clone(), known(&e), e.version)),
                snapshot,
            );
            linked.metrics.entries.set(gauge(linked.cache.len()));
        }
    }

    /// Applies registry rows written since the last call (`newest`: the last one's version) to
    /// the cached devices; returns how many cached entries changed. A row older than what a
    /// cached entry came from (a DM session's commit applied already) changes nothing.
    pub(crate) fn apply_registry(&self, changes: &[Entry], newest: i64) -> usize {
        self.registry.as_ref().map_or(0, |linked| {
            linked
                .cache
                .apply(changes, |e| (e.username.as_str(), e.version), known, newest)
        })
    }

    /// The device `username` names, as the verifier holds it now (`Ok(None)`: unknown or
    /// disabled; `Err`: the registry cache does not hold it).
    fn current(&self, username: &str) -> Result<Option<Arc<Held>>, NotCached> {
        let known = match &self.registry {
            None => {
                let rotated = self
                    .rotated
                    .read()
                    .ok()
                    .and_then(|r| r.get(username).cloned());
                return Ok(rotated.or_else(|| self.devices.get(username).cloned()));
            }
            Some(linked) => linked.cache.get(username).ok_or(NotCached)?,
        };
        Ok(resolve(&self.devices, username, known))
    }

    /// What a DM session needs of the device `username` (`None`: unknown or disabled).
    pub(crate) fn device_for_session(&self, username: &str) -> Option<SessionDevice> {
        let held = self.current(username).ok().flatten()?;
        Some(SessionDevice {
            username: held.secret.username().to_owned(),
            device_id: held.secret.device_id().to_owned(),
            secret: held.stored.clone(),
            algorithm: held.algorithm,
            construction: held.construction,
            nonce: *held.secret.nonce(),
            import: held.import.clone(),
        })
    }

    /// Makes sure the registry cache holds `username` (a miss reads its row): a DM session
    /// looks its device up synchronously next. `Err`: the registry could not be read.
    pub(crate) async fn load(&self, username: &str) -> Result<(), Reason> {
        match (&self.registry, self.current(username)) {
            (Some(linked), Err(NotCached)) => self.fetch(linked, username).await.map(drop),
            _ => Ok(()),
        }
    }

    /// A DM session issued `nonce` to `username` and it was committed: the verifier expects it
    /// from now on. The cached entry keeps the registry version it came from: the row the
    /// commit wrote has a later one, which the registry follower applies (with the same nonce)
    /// when it polls. A device not cached is read, new nonce and all, on its next message.
    pub(crate) fn set_nonce(&self, username: &str, nonce: Nonce) {
        let Some(next) = self
            .current(username)
            .ok()
            .flatten()
            .and_then(|h| h.with_nonce(nonce))
        else {
            return;
        };
        match &self.registry {
            Some(linked) => {
                linked
                    .cache
                    .replace(username, Known::Device(Arc::new(next)));
            }
            None => {
                if let Ok(mut rotated) = self.rotated.write() {
                    rotated.insert(username.to_owned(), Arc::new(next));
                }
            }
        }
    }

    /// Reads the row of `username` (one query, with the registry's version) and caches it.
    async fn fetch(&self, linked: &Linked, username: &str) -> Result<Known, Reason> {
        linked.metrics.misses.inc();
        let (row, snapshot) = linked.source.lookup(username).await.map_err(|e| {
            tracing::warn!(username = %username, error = %e, "cannot read the device registry");
            UNAVAILABLE
        })?;
        let found = row.as_ref().map_or(Known::Absent, known);
        let version = row.as_ref().map_or(0, |e| e.version);
        if let Some(evicted) =
            linked
                .cache
                .insert_loaded(username, found.clone(), version, snapshot)
        {
            if evicted {
                linked.metrics.evictions.inc();
            }
            linked.metrics.entries.set(gauge(linked.cache.len()));
        }
        Ok(found)
    }

    /// The whole verification of one message with a fresh anti-replay state (for `verify`).
    pub(crate) fn verify_once(
        &self,
        body: &[u8],
        transport: &Transport<'_>,
    ) -> Result<AcceptedMessage, Ignored> {
        let checked = match self.authenticate(body, transport, None) {
            Ok(checked) => checked,
            Err(Refusal::Ignored(ignored)) => return Err(ignored),
            // invariant: `verify` builds no registry, so nothing is ever "not cached".
            Err(Refusal::NotCached) => return Err(Ignored::new(IgnoreReason::Internal)),
        };
        ReplayState::new().record(&checked.claim, SystemTime::now())?;
        Ok(checked.message)
    }

    /// Authenticates with the keys of `fetched` (a registry row just read) or, without it, of
    /// the cache and the devices file.
    fn authenticate(
        &self,
        body: &[u8],
        transport: &Transport<'_>,
        fetched: Option<&Known>,
    ) -> Result<Checked<ReplayClaim>, Refusal> {
        let meta = transport_meta(transport);
        let pending = self.verifier.start(body, &meta)?;
        let held = match fetched {
            Some(known) => resolve(&self.devices, pending.username(), known.clone()),
            None => self
                .current(pending.username())
                .map_err(|NotCached| Refusal::NotCached)?,
        }
        .ok_or_else(|| Ignored::new(IgnoreReason::UnknownDevice))?;
        let authenticated = pending.authenticate(&held.secret)?;
        let message = AcceptedMessage {
            username: authenticated.username().to_owned(),
            device_id: authenticated.device().to_owned(),
            msg_id: authenticated.msg_id().get(),
            reports: authenticated.reports().iter().map(record).collect(),
        };
        Ok(Checked {
            message,
            claim: authenticated.replay_claim(),
        })
    }

    /// Reads the registry row of the message's device (one query), caches it, and
    /// authenticates with it.
    async fn authenticate_uncached(
        &self,
        body: &[u8],
        transport: &Transport<'_>,
    ) -> Result<Checked<ReplayClaim>, Reason> {
        let Some(linked) = &self.registry else {
            return self
                .authenticate(body, transport, None)
                .map_err(|r| verdict(&r));
        };
        let username = {
            let meta = transport_meta(transport);
            match self.verifier.start(body, &meta) {
                Ok(pending) => pending.username().to_owned(),
                Err(ignored) => return Err(verdict(&Refusal::Ignored(ignored))),
            }
        };
        let found = self.fetch(linked, &username).await?;
        self.authenticate(body, transport, Some(&found))
            .map_err(|r| verdict(&r))
    }
}

/// The device of `username` given what the registry says of it.
fn resolve(
    devices: &HashMap<String, Arc<Held>>,
    username: &str,
    known: Known,
) -> Option<Arc<Held>> {
    match known {
        Known::Device(held) => Some(held),
        Known::Refused => None,
        Known::Absent => devices.get(username).cloned(),
    }
}

fn transport_meta<'t>(transport: &Transport<'t>) -> TransportMeta<'t> {
    let mut meta = TransportMeta::new();
    if let Some(value) = transport.hmac_header {
        meta = meta.with_hmac_header(value);
    }
    if let Some(value) = transport.content_type {
        meta = meta.with_content_type(value);
    }
    meta
}

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A registry row as the server uses it: a disabled row, or one that does not validate as a
/// devices-file entry would (logged), makes the device unknown.
fn known(entry: &Entry) -> Known {
    if entry.disabled {
        return Known::Refused;
    }
    match entry.to_devices().and_then(|d| match d.iter().next() {
        Some(device) => held(&d, device).map(Some),
        None => Ok(None),
    }) {
        Ok(Some(held)) => Known::Device(Arc::new(held)),
        Ok(None) => Known::Refused,
        Err(e) => {
            tracing::error!(username = %entry.username, error = %e, "registry entry refused");
            Known::Refused
        }
    }
}

/// The reason label of a refusal (logging our own bugs, which the peer never causes).
fn verdict(refusal: &Refusal) -> Reason {
    match refusal {
        Refusal::NotCached => NOT_CACHED,
        Refusal::Ignored(ignored) => {
            if matches!(ignored.reason(), IgnoreReason::Internal) {
                // Our bug, not the peer's: logged every time, at error level (it is also
                // counted under its own label, `internal`).
                tracing::error!(reason = %ignored.reason(), "message ignored by a verifier bug");
            }
            ignored.reason().as_str()
        }
    }
}

impl Gate for ServerSide {
    type Claim = ReplayClaim;

    fn check(
        &self,
        body: &[u8],
        transport: &Transport<'_>,
    ) -> Result<Checked<ReplayClaim>, Reason> {
        // Not logged here (but for our own bugs): the writer counts every ignored message and
        // logs a sample.
        self.authenticate(body, transport, None)
            .map_err(|r| verdict(&r))
    }

    fn check_uncached<'a>(
        &'a self,
        body: &'a [u8],
        transport: &'a Transport<'a>,
    ) -> impl std::future::Future<Output = Result<Checked<ReplayClaim>, Reason>> + Send + 'a {
        self.authenticate_uncached(body, transport)
    }

    fn load_device<'a>(
        &'a self,
        username: &'a str,
    ) -> impl std::future::Future<Output = Result<(), Reason>> + Send + 'a {
        self.load(username)
    }

    fn cache_metrics(&self) -> Option<CacheMetrics> {
        self.registry.as_ref().map(|l| l.metrics.clone())
    }

    fn replay(
        &self,
        checked: &Checked<ReplayClaim>,
        state: Option<&[u8]>,
    ) -> Result<Vec<u8>, Reason> {
        let mut replay = match state {
            None => ReplayState::new(),
            Some(bytes) => ReplayState::from_bytes(bytes).map_err(|e| {
                tracing::error!(
                    username = %checked.message.username,
                    error = %e,
                    "stored anti-replay state unreadable; refusing the device's messages"
                );
                REPLAY_STATE_CORRUPT
            })?,
        };
        replay
            .record(&checked.claim, SystemTime::now())
            .map_err(|ignored| ignored.reason().as_str())?;
        Ok(replay.to_bytes())
    }

    fn nonce_issued(&self, username: &str, nonce: Nonce) {
        self.set_nonce(username, nonce);
    }

    fn session_device(&self, username: &str) -> Option<SessionDevice> {
        self.device_for_session(username)
    }

    fn is_current(&self, checked: &Checked<ReplayClaim>) -> bool {
        match self.current(&checked.message.username) {
            Ok(held) => held.is_some_and(|held| held.secret.nonce() == checked.claim.nonce()),
            // Evicted since the check (the cache is smaller than the devices in flight): taken
            // as current. A session's nonce puts the device back in the cache at its commit, so
            // this misses a rotation only if the entry is evicted again within the same tick.
            Err(NotCached) => true,
        }
    }

    fn replay_view(&self, username: &str, state: &[u8], nonce: Option<&str>) -> Option<ReplayView> {
        let replay = ReplayState::from_bytes(state).ok()?;
        // The nonce the verifier holds now (the registry's, a session's, else the devices
        // file's); the registry row's as the page read it when the verifier knows none.
        let held = self.current(username).ok().flatten();
        let from_registry = nonce.and_then(|n| Nonce::from_base64(n).ok());
        let nonce = held
            .as_ref()
            .map(|h| h.secret.nonce())
            .or(from_registry.as_ref());
        Some(ReplayView {
            windows: replay.len(),
            highest_msg_id: nonce.and_then(|n| replay.highest(n)).map(|m| m.get()),
            last_accepted_ms: replay
                .last_accepted()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_millis()).ok()),
        })
    }
}

/// One report as stored and printed.
fn record(received: &ReceivedReport<'_>) -> ReportRecord {
    let report = &received.report;
    ReportRecord {
        cmd_id: received.cmd_id.get(),
        source_uri: report.source_uri().map(str::to_owned),
        alert_type: report.alert_type().to_owned(),
        format: report.format().as_str().to_owned(),
        mark: report.mark().map(|m| m.as_str().to_owned()),
        data: report.data().to_owned(),
    }
}

/// The registry entry a file device's session nonce is written as, if the registry can hold the
/// device (its digest serves the device's pinned scheme).
fn import_entry(devices: &Devices, device: &Device) -> Option<crate::registry::Entry> {
    let entry = crate::cmd::devices::entry_unchecked(devices, device).ok()?;
    let as_registry = entry.to_devices().ok()?;
    let first = as_registry.iter().next()?;
    held(&as_registry, first).ok().map(|_| entry)
}

fn held(devices: &Devices, device: &Device) -> Result<Held, CliError> {
    let at = format!("{}:{}", devices.path().display(), device.line);
    let username = Username::new(device.username.clone())
        .map_err(|e| CliError::input(format!("{at}: username: {e}")))?;
    let secret: StoredSecret = match (&device.secret, &device.secret_digest) {
        (Some(secret), _) => secret.clone().into(),
        (None, Some(digest)) => digest.clone().into(),
        (None, None) => {
            return Err(CliError::input(format!(
                "{at}: device \"{}\" has neither `secret` nor `secret_digest`",
                device.username
            )));
        }
    };
    let carrier = device.carrier;
    let policy = Carrier::ALL.into_iter().fold(
        Policy::new()
            .with_algorithm(device.algorithm)
            .with_construction(device.construction),
        |policy, c| policy.with_carrier(c, c == carrier),
    );
    let verifier_secret = DeviceSecret::new(
        username,
        device.device_id.clone(),
        &secret,
        device.nonce,
        policy,
    )
    .map_err(|_| {
        CliError::input(format!(
            "{at}: device \"{}\": the header carrier also checks an auth-md5 Cred, which \
                 needs `secret` or an MD5 `secret_digest`",
            device.username
        ))
    })?;
    Ok(Held {
        secret: verifier_secret,
        stored: secret,
        algorithm: device.algorithm,
        construction: device.construction,
        import: None,
    })
}
