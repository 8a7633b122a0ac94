//! The device registry in the database (SQLite or PostgreSQL), which `omadm devices` edits and
//! every `omadm serve` node follows without a restart.
//!
//! A row holds what a server needs of a device — the secret's digest, never the secret. Every
//! change gives the row the next `version` (registry writes are serialised: SQLite's write
//! lock, a table lock in PostgreSQL), so a node that has applied everything up to version `v`
//! asks only for `version > v`: the poll every [`POLL`] is one indexed query that usually
//! returns nothing. Rows are turned into `config::Device` by the same validation as a devices
//! file (`Devices::parse`), so both sources mean the same.

pub(crate) mod cache;
pub(crate) mod pg;
pub(crate) mod sqlite;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Devices;
use crate::error::CliError;
use crate::store::{Location, StoreError};
use crate::verification::ServerSide;

/// How often a node asks for registry changes: the longest a change takes to reach it.
pub(crate) const POLL: Duration = Duration::from_secs(1);

/// Devices a node caches when `serve --registry-cache` does not say.
pub(crate) const DEFAULT_CACHE: u64 = 100_000;

/// One device as the registry holds it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Entry {
    pub(crate) username: String,
    pub(crate) device_id: String,
    /// `B64(H(username ":" secret))`.
    #[serde(skip)]
    pub(crate) secret_digest: String,
    /// The last nonce issued to the device (base64).
    pub(crate) nonce: String,
    /// When `nonce` was set (Unix milliseconds): by `import`, `add`, `rotate-nonce` or a DM
    /// session. `None`: set before the registry recorded it (a database of schema 2).
    pub(crate) nonce_issued_ms: Option<i64>,
    /// `SHA256` or `MD5`.
    pub(crate) algorithm: String,
    /// `digest` or `rfc2104`.
    pub(crate) construction: String,
    /// `in-message` or `header`.
    pub(crate) carrier: String,
    pub(crate) disabled: bool,
    /// The change that last wrote the row.
    pub(crate) version: i64,
}

impl Entry {
    /// The entry as a one-device devices file (server side), for `Devices::parse`.
    pub(crate) fn to_toml(&self) -> String {
        format!(
            "[[device]]\nusername = {}\ndevice_id = {}\nsecret_digest = {}\nnonce = {}\n\
             algorithm = {}\nconstruction = {}\ncarrier = {}\n",
            toml_str(&self.username),
            toml_str(&self.device_id),
            toml_str(&self.secret_digest),
            toml_str(&self.nonce),
            toml_str(&self.algorithm),
            toml_str(&self.construction),
            toml_str(&self.carrier),
        )
    }

    /// The device the entry describes, validated as a devices file entry is.
    pub(crate) fn to_devices(&self) -> Result<Devices, CliError> {
        Devices::parse(
            Path::new(&format!("registry:{}", self.username)),
            &self.to_toml(),
        )
    }
}

/// One edit of a registry row that `omadm devices` makes in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// A new last nonce (base64), set at `issued_ms` (Unix milliseconds).
    Nonce { nonce: String, issued_ms: i64 },
    /// The device is refused from now on.
    Disable,
}

/// A registry, in the database of a `--db` value.
pub(crate) enum Registry {
    Sqlite(sqlite::SqliteRegistry),
    Postgres(pg::PgRegistry),
}

impl Registry {
    /// Opens the registry (applying missing migrations).
    pub(crate) async fn open(location: &Location) -> Result<Self, StoreError> {
        Ok(match location {
            Location::Sqlite(path) => Self::Sqlite(sqlite::SqliteRegistry::open(path)?),
            Location::Postgres(url) => Self::Postgres(pg::PgRegistry::open(url).await?),
        })
    }

    /// Inserts or replaces every entry (matched by username) in one transaction; each gets a
    /// new version. A row whose nonce the entry leaves unchanged keeps its `nonce_issued_ms`
    /// (importing a file again does not make old nonces look new). Returns how many rows were
    /// written.
    pub(crate) async fn upsert(&self, entries: &[Entry]) -> Result<usize, StoreError> {
        match self {
            Self::Sqlite(r) => r.upsert(entries),
            Self::Postgres(r) => r.upsert(entries).await,
        }
    }

    /// Every entry, by username.
    pub(crate) async fn list(&self) -> Result<Vec<Entry>, StoreError> {
        self.changes_since(0).await.map(|mut all| {
            all.sort_by(|a, b| a.username.cmp(&b.username));
            all
        })
    }

    /// The entries written after `version`, oldest change first.
    pub(crate) async fn changes_since(&self, version: i64) -> Result<Vec<Entry>, StoreError> {
        match self {
            Self::Sqlite(r) => r.changes_since(version),
            Self::Postgres(r) => r.changes_since(version).await,
        }
    }

    /// Applies one change to the row of `username` in a single statement under the writers'
    /// lock, with the next version; `false` when there is no such device. Two operators
    /// changing one device at once both win (a read-modify-write of the whole row would lose
    /// one of the changes).
    pub(crate) async fn change(&self, username: &str, change: Change) -> Result<bool, StoreError> {
        match self {
            Self::Sqlite(r) => r.change(username, &change),
            Self::Postgres(r) => r.change(username, &change).await,
        }
    }

    /// The entry of `username`, if any, and the registry version of the snapshot it was read
    /// in (one statement).
    pub(crate) async fn lookup(&self, username: &str) -> Result<(Option<Entry>, i64), StoreError> {
        match self {
            Self::Sqlite(r) => r.lookup(username),
            Self::Postgres(r) => r.lookup(username).await,
        }
    }

    /// The `limit` most recently changed entries and the registry version they are a snapshot
    /// of.
    pub(crate) async fn newest(&self, limit: usize) -> Result<(Vec<Entry>, i64), StoreError> {
        match self {
            Self::Sqlite(r) => r.newest(limit),
            Self::Postgres(r) => r.newest(limit).await,
        }
    }

    /// At most `limit` entries written after `(version, username)`, in that order.
    pub(crate) async fn changes_after(
        &self,
        version: i64,
        username: &str,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        match self {
            Self::Sqlite(r) => r.changes_after(version, username, limit),
            Self::Postgres(r) => r.changes_after(version, username, limit).await,
        }
    }

    /// The entry of `username`, if any.
    pub(crate) async fn get(&self, username: &str) -> Result<Option<Entry>, StoreError> {
        match self {
            Self::Sqlite(r) => r.get(username),
            Self::Postgres(r) => r.get(username).await,
        }
    }
}

/// Rows of one poll's page (a bulk import is read in pages, never all at once).
pub(crate) const PAGE: usize = 1000;

/// Fills the gate's cache with the most recently changed devices, up to its capacity, and
/// records the registry version they are a snapshot of; returns that version.
pub(crate) async fn load(registry: &Registry, gate: &ServerSide) -> Result<i64, StoreError> {
    let (rows, snapshot) = registry.newest(gate.cache_capacity()).await?;
    gate.preload_registry(rows, snapshot);
    Ok(snapshot)
}

/// Polls for changes every [`POLL`] and applies them to the cache, for as long as the runtime
/// runs: the rows written after the newest version applied, in pages of [`PAGE`] ordered by
/// `(version, username)`. A failed poll (database down) is logged and tried again from the
/// same place; the devices cached so far keep working.
pub(crate) async fn follow(registry: Arc<Registry>, gate: Arc<ServerSide>, mut last: i64) {
    let mut failing = false;
    let mut after_username = String::new();
    loop {
        tokio::time::sleep(POLL).await;
        loop {
            match registry.changes_after(last, &after_username, PAGE).await {
                Ok(changes) => {
                    if failing {
                        tracing::info!("device registry reachable again");
                        failing = false;
                    }
                    let full = changes.len() == PAGE;
                    if let Some(newest) = changes.last() {
                        last = newest.version;
                        after_username.clone_from(&newest.username);
                        let replaced = gate.apply_registry(&changes, last);
                        tracing::info!(
                            changed = changes.len(),
                            cached = replaced,
                            version = last,
                            "device registry changes applied"
                        );
                    }
                    if !full {
                        break;
                    }
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "cannot read the device registry; retrying");
                        failing = true;
                    }
                    break;
                }
            }
        }
    }
}

/// Whole seconds from `issued_ms` to `now_ms` (0 for a time in the future: clocks differ).
pub(crate) fn nonce_age_secs(now_ms: i64, issued_ms: Option<i64>) -> Option<u64> {
    issued_ms.map(|t| u64::try_from((now_ms - t).max(0) / 1000).unwrap_or(0))
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_entry_reads_back_as_a_devices_file_entry() {
        let entry = Entry {
            username: "dev1".to_owned(),
            device_id: "IMEI:\"1\"\\\n".to_owned(),
            secret_digest: "R97sly7ZBZJBy453p8EcsTXjWZs9+cyuHXyPGRtKXlU=".to_owned(),
            nonce: "AAECAwQFBgcICQoLDA0ODw==".to_owned(),
            nonce_issued_ms: Some(1),
            algorithm: "SHA256".to_owned(),
            construction: "digest".to_owned(),
            carrier: "in-message".to_owned(),
            disabled: false,
            version: 3,
        };
        let devices = entry.to_devices().unwrap();
        let device = devices.get("dev1").unwrap();
        assert_eq!(device.device_id, "IMEI:\"1\"\\\n");
        assert!(device.secret.is_none());
        assert!(device.secret_digest.is_some());
    }
}

#[cfg(test)]
mod store_tests;

/// The integration tests' throw-away PostgreSQL, for the tests of this crate's internals.
#[cfg(test)]
#[path = "../../tests/it/pg.rs"]
#[allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod pg_harness;
