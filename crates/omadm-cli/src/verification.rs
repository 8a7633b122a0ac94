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
use crate::server::{Checked, Gate, Reason, ReplayView, Transport};
use crate::store::{AcceptedMessage, ReportRecord};

/// Ignored in the writer: the device's stored anti-replay state cannot be read. Its messages are
/// refused (rather than the state reset, which would reopen old MsgIDs) until an operator acts.
const REPLAY_STATE_CORRUPT: Reason = "replay-state-corrupt";

/// What the server holds: the verifier and every device's keys, by username.
#[derive(Debug)]
pub(crate) struct ServerSide {
    verifier: Verifier,
    devices: HashMap<String, Arc<Held>>,
    /// Devices of the database registry, which override the file's (`None`: disabled, or an
    /// entry that does not validate), and the nonces DM sessions issued. Kept up to date by
    /// `registry::follow` and by the storage writer after a session's commit.
    registry: RwLock<HashMap<String, Registered>>,
}

/// A registry entry as applied: the registry version that wrote it, and the device (`None`:
/// disabled or refused).
#[derive(Clone, Debug)]
struct Registered {
    version: i64,
    held: Option<Arc<Held>>,
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
            registry: RwLock::default(),
        })
    }

    /// No device yet: all of them come from the registry.
    pub(crate) fn registry_only(max_msg_size: usize) -> Self {
        Self {
            verifier: Verifier::new(max_msg_size),
            devices: HashMap::new(),
            registry: RwLock::default(),
        }
    }

    /// Applies registry entries (newer than what was applied before). A disabled entry, or one
    /// that does not validate (logged), makes the device unknown.
    pub(crate) fn apply_registry(&self, entries: &[crate::registry::Entry]) {
        let mut keys = Vec::with_capacity(entries.len());
        for entry in entries {
            let secret = if entry.disabled {
                None
            } else {
                match entry.to_devices().and_then(|d| match d.iter().next() {
                    Some(device) => held(&d, device).map(Some),
                    None => Ok(None),
                }) {
                    Ok(Some(held)) => Some(Arc::new(held)),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::error!(username = %entry.username, error = %e, "registry entry refused");
                        None
                    }
                }
            };
            keys.push((
                entry.username.clone(),
                Registered {
                    version: entry.version,
                    held: secret,
                },
            ));
        }
        if let Ok(mut registry) = self.registry.write() {
            for (username, registered) in keys {
                // A change applied already (by a session's commit) is never undone by an
                // older row read before it.
                if registry
                    .get(&username)
                    .is_none_or(|held| held.version <= registered.version)
                {
                    registry.insert(username, registered);
                }
            }
        }
    }

    /// The device `username` names, as the verifier holds it now.
    fn current(&self, username: &str) -> Option<Arc<Held>> {
        let from_registry = self
            .registry
            .read()
            .ok()
            .and_then(|r| r.get(username).cloned());
        match from_registry {
            Some(registered) => registered.held,
            None => self.devices.get(username).cloned(),
        }
    }

    /// What a DM session needs of the device `username` (`None`: unknown or disabled).
    pub(crate) fn device_for_session(&self, username: &str) -> Option<SessionDevice> {
        let held = self.current(username)?;
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

    /// A DM session issued `nonce` to `username` and it was committed: the verifier expects it
    /// from now on. The registry version held stays: the row the commit wrote has a later one,
    /// which the registry follower applies (with the same nonce) when it polls.
    pub(crate) fn set_nonce(&self, username: &str, nonce: Nonce) {
        let Some(next) = self.current(username).and_then(|h| h.with_nonce(nonce)) else {
            return;
        };
        if let Ok(mut registry) = self.registry.write() {
            let version = registry.get(username).map_or(0, |r| r.version);
            registry.insert(
                username.to_owned(),
                Registered {
                    version,
                    held: Some(Arc::new(next)),
                },
            );
        }
    }

    /// The whole verification of one message with a fresh anti-replay state (for `verify`).
    pub(crate) fn verify_once(
        &self,
        body: &[u8],
        transport: &Transport<'_>,
    ) -> Result<AcceptedMessage, Ignored> {
        let checked = self.authenticate(body, transport)?;
        ReplayState::new().record(&checked.claim, SystemTime::now())?;
        Ok(checked.message)
    }

    fn authenticate(
        &self,
        body: &[u8],
        transport: &Transport<'_>,
    ) -> Result<Checked<ReplayClaim>, Ignored> {
        let mut meta = TransportMeta::new();
        if let Some(value) = transport.hmac_header {
            meta = meta.with_hmac_header(value);
        }
        if let Some(value) = transport.content_type {
            meta = meta.with_content_type(value);
        }
        let pending = self.verifier.start(body, &meta)?;
        let held = self
            .current(pending.username())
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
        self.authenticate(body, transport).map_err(|ignored| {
            if matches!(ignored.reason(), IgnoreReason::Internal) {
                // Our bug, not the peer's: logged every time, at error level (it is also
                // counted under its own label, `internal`).
                tracing::error!(reason = %ignored.reason(), "message ignored by a verifier bug");
            }
            ignored.reason().as_str()
        })
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
        self.current(&checked.message.username)
            .is_some_and(|held| held.secret.nonce() == checked.claim.nonce())
    }

    fn replay_view(&self, username: &str, state: &[u8], nonce: Option<&str>) -> Option<ReplayView> {
        let replay = ReplayState::from_bytes(state).ok()?;
        // The nonce the verifier holds now (the registry's, a session's, else the devices
        // file's); the registry row's as the page read it when the verifier knows none.
        let held = self.current(username);
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
