//! The server side as the tool runs it: every device of a devices file turned into the
//! verifier's [`DeviceSecret`], and the [`Gate`] that runs `omadm-verifier` behind the HTTP edge.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use omadm_dmsec::{Carrier, Nonce, StoredSecret, Username};
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
    devices: HashMap<String, DeviceSecret>,
    /// Devices of the database registry, which override the file's (`None`: disabled, or an
    /// entry that does not validate). Kept up to date by `registry::follow`.
    registry: RwLock<HashMap<String, Option<Arc<DeviceSecret>>>>,
}

impl ServerSide {
    /// Builds the keys of every device (the stored digest, or one computed from `secret`), each
    /// pinned to its algorithm, construction and single carrier.
    pub(crate) fn new(devices: &Devices, max_msg_size: usize) -> Result<Self, CliError> {
        let mut secrets = HashMap::with_capacity(devices.len());
        for device in devices.iter() {
            secrets.insert(device.username.clone(), device_secret(devices, device)?);
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
                    Some(device) => device_secret(&d, device).map(Some),
                    None => Ok(None),
                }) {
                    Ok(Some(secret)) => Some(Arc::new(secret)),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::error!(username = %entry.username, error = %e, "registry entry refused");
                        None
                    }
                }
            };
            keys.push((entry.username.clone(), secret));
        }
        if let Ok(mut registry) = self.registry.write() {
            registry.extend(keys);
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
        let unknown = || Ignored::new(IgnoreReason::UnknownDevice);
        let from_registry = self
            .registry
            .read()
            .ok()
            .and_then(|r| r.get(pending.username()).cloned());
        let held;
        let secret = match from_registry {
            Some(Some(secret)) => {
                held = secret;
                &*held
            }
            Some(None) => return Err(unknown()),
            None => self.devices.get(pending.username()).ok_or_else(unknown)?,
        };
        let authenticated = pending.authenticate(secret)?;
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

    fn replay_view(&self, username: &str, state: &[u8], nonce: Option<&str>) -> Option<ReplayView> {
        let replay = ReplayState::from_bytes(state).ok()?;
        // The registry's nonce when it has one (the registry overrides the file), else the
        // devices file's.
        let from_registry = nonce.and_then(|n| Nonce::from_base64(n).ok());
        let nonce = from_registry
            .as_ref()
            .or_else(|| self.devices.get(username).map(DeviceSecret::nonce));
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

fn device_secret(devices: &Devices, device: &Device) -> Result<DeviceSecret, CliError> {
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
    DeviceSecret::new(
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
    })
}
