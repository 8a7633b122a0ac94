//! The client state file of `emit`, `send` and `session`: the next MsgID per device, so that
//! MsgIDs keep rising across runs (the server's anti-replay window depends on it), and the nonce
//! the device's last DM session gave (which then replaces the devices file's).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use omadm_dmsec::Nonce;

use crate::error::{CliError, io_reason};

/// `{"dev1": {"next_msg_id": 5, "nonce": "…"}, …}` (`nonce` only after `omadm session`).
#[derive(Debug, Default)]
pub(crate) struct ClientState {
    path: Option<PathBuf>,
    devices: BTreeMap<String, DeviceState>,
}

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
struct DeviceState {
    next_msg_id: u32,
    /// Base64 of the nonce the last DM session issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
}

impl ClientState {
    /// Reads `path` (a missing file is an empty state), or an in-memory state when `None`.
    pub(crate) fn load(path: Option<&Path>) -> Result<Self, CliError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let devices = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                CliError::input(format!(
                    "{}:{}:{}: invalid state file ({})",
                    path.display(),
                    e.line(),
                    e.column(),
                    crate::error::lowercase_first(&e.to_string())
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(CliError::read(path, &e)),
        };
        Ok(Self {
            path: Some(path.to_owned()),
            devices,
        })
    }

    /// The MsgID the device's next message gets (1 for a device never seen).
    pub(crate) fn next_msg_id(&self, username: &str) -> u32 {
        self.devices.get(username).map_or(1, |d| d.next_msg_id)
    }

    /// Records the MsgID of the device's next message.
    pub(crate) fn set_next_msg_id(&mut self, username: &str, next: u32) {
        self.entry(username).next_msg_id = next;
    }

    /// The nonce the device's last DM session issued, if `omadm session` recorded one (an
    /// entry that does not decode counts as none).
    pub(crate) fn nonce(&self, username: &str) -> Option<Nonce> {
        let text = self.devices.get(username)?.nonce.as_deref()?;
        Nonce::from_base64(text).ok()
    }

    /// Records the nonce a DM session issued to the device.
    pub(crate) fn set_nonce(&mut self, username: &str, nonce: &Nonce) {
        self.entry(username).nonce = Some(nonce.to_base64());
    }

    fn entry(&mut self, username: &str) -> &mut DeviceState {
        self.devices
            .entry(username.to_owned())
            .or_insert(DeviceState {
                next_msg_id: 1,
                nonce: None,
            })
    }

    /// Writes the file atomically (temporary file, then rename), if there is one.
    pub(crate) fn save(&self) -> Result<(), CliError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut text = serde_json::to_string_pretty(&self.devices)
            .map_err(|e| CliError::failure(format!("cannot encode the state: {e}")))?;
        text.push('\n');
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| CliError::write(&tmp, &e))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            CliError::failure(format!(
                "cannot replace {}: {}",
                path.display(),
                io_reason(&e)
            ))
        })
    }
}
