//! Where accepted reports and the anti-replay state live: a small trait so that a networked
//! database can join the embedded SQLite one, plus a no-op store for measurements.

mod null;
mod open;
pub(crate) mod postgres;
mod query;
pub(crate) mod session;
mod sqlite;

use core::fmt;

pub(crate) use null::NullStore;
pub(crate) use open::{Location, migrate, open};
pub(crate) use postgres::PgStore;
pub(crate) use query::{DeviceSeen, MAX_LIMIT, Registered, ReportQuery, SqliteQuery};
pub(crate) use session::{Answered, Discovered, QueuedCommand, SessionFinish, SessionStart};
pub(crate) use sqlite::{SqliteStore, StoredReport};

/// One report of an accepted message, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReportRecord {
    /// The Alert's CmdID.
    pub(crate) cmd_id: u32,
    /// `Item/Source/LocURI`, if present.
    pub(crate) source_uri: Option<String>,
    /// `Meta/Type`.
    pub(crate) alert_type: String,
    /// `Meta/Format`.
    pub(crate) format: String,
    /// `Meta/Mark`, if present.
    pub(crate) mark: Option<String>,
    /// The report data as text (CDATA sections joined).
    pub(crate) data: String,
}

/// A message that passed every check but the anti-replay one, with its reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AcceptedMessage {
    /// `SyncHdr/Source/LocName`.
    pub(crate) username: String,
    /// `SyncHdr/Source/LocURI`.
    pub(crate) device_id: String,
    /// `SyncHdr/MsgID`.
    pub(crate) msg_id: u32,
    /// The reports, in message order.
    pub(crate) reports: Vec<ReportRecord>,
}

#[cfg(test)]
impl AcceptedMessage {
    /// A message of `user` (device id `IMEI:{user}`) with one `chr` report of `data`.
    pub(crate) fn one_report(user: &str, msg_id: u32, data: &str) -> Self {
        Self {
            username: user.to_owned(),
            device_id: format!("IMEI:{user}"),
            msg_id,
            reports: vec![ReportRecord {
                cmd_id: 1,
                source_uri: None,
                alert_type: "urn:test".to_owned(),
                format: "chr".to_owned(),
                mark: None,
                data: data.to_owned(),
            }],
        }
    }
}

/// A storage back end. One writer owns it; every change happens inside a [`StoreTx`].
///
/// The contract that makes the HTTP edge safe: what a committed transaction wrote survives a
/// crash of the process (and, for SQLite with `synchronous=FULL`, of the machine), and the
/// replay state read inside a transaction is the one the same transaction overwrites, so two
/// copies of a message cannot both be stored. A networked implementation gets the second
/// property from row locks (`SELECT … FOR UPDATE` on the device's state row).
pub(crate) trait ReportStore: Send {
    /// Opens a write transaction. Dropping it without [`StoreTx::commit`] rolls it back.
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError>;

    /// A read-only view of the same data on a connection of its own, for the status page
    /// (`None`: the store keeps nothing worth showing).
    fn reader(&self) -> Result<Option<std::sync::Arc<dyn ReportQuery>>, StoreError> {
        Ok(None)
    }

    /// Whether the store keeps DM sessions' state ([`StoreTx::session_start`] and
    /// [`StoreTx::session_finish`]); the server refuses DM sessions on a store that does not.
    fn supports_sessions(&self) -> bool {
        false
    }
}

/// One write transaction.
pub(crate) trait StoreTx {
    /// The device's serialised anti-replay state, if one was ever saved.
    fn replay_state(&mut self, username: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Locks the anti-replay state of every device of the tick before any is read. `usernames`
    /// is sorted and free of duplicates, so every node takes its locks in one global order and
    /// two ticks cannot deadlock. A store that is alone on its data (SQLite's write lock, the
    /// in-memory store) has nothing to do.
    fn lock(&mut self, usernames: &[&str]) -> Result<(), StoreError> {
        let _ = usernames;
        Ok(())
    }
    /// Replaces the device's anti-replay state.
    fn save_replay_state(&mut self, username: &str, state: &[u8]) -> Result<(), StoreError>;
    /// Makes `nonce` (base64) the device's current nonce in the device registry, issued at
    /// `issued_ms` (Unix milliseconds), as part of this transaction: a DM session's new nonce
    /// and the anti-replay state saved beside it commit together or not at all. The registry
    /// row gets the next version, so every node's registry cache drops its old copy.
    ///
    /// Call it after [`StoreTx::lock`] (and after every [`StoreTx::replay_state`] of a device
    /// not locked by it): on PostgreSQL it takes the registry writers' table lock until the end
    /// of the transaction, and locking anti-replay rows after that lock is refused (it could
    /// deadlock with another node). `Ok(false)`: the device has no registry row (a devices
    /// file's device) or the store keeps no registry (`--store none`); nothing was written.
    fn set_nonce(
        &mut self,
        username: &str,
        nonce: &str,
        issued_ms: i64,
    ) -> Result<bool, StoreError> {
        let _ = (username, nonce, issued_ms);
        Ok(false)
    }
    /// Inserts one row per report of `message`.
    fn insert(&mut self, received_ms: i64, message: &AcceptedMessage) -> Result<(), StoreError>;
    /// What a DM session of `username` starts with: the pending queued commands and whether
    /// discovery ran.
    fn session_start(&mut self, username: &str) -> Result<SessionStart, StoreError> {
        let _ = username;
        Err(StoreError::sessions_unsupported())
    }
    /// What an ended DM session writes besides its nonce: the answered commands and
    /// discovery's answer; and, when [`StoreTx::set_nonce`] found no registry row
    /// (`nonce_written` false), the devices file's device imported with the new nonce. Returns
    /// whether the new nonce is in the registry.
    fn session_finish(
        &mut self,
        finish: &SessionFinish,
        nonce_written: bool,
    ) -> Result<bool, StoreError> {
        let _ = (finish, nonce_written);
        Err(StoreError::sessions_unsupported())
    }
    /// Makes everything durable.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// A storage failure, with the back end's own words.
#[derive(Debug)]
pub(crate) struct StoreError {
    message: String,
    /// Worth running the whole transaction again (a serialization failure, a deadlock, a lost
    /// connection): nothing of it was kept, or the anti-replay window will tell.
    retryable: bool,
}

impl StoreError {
    pub(crate) fn new(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            retryable: false,
        }
    }

    /// A failure that a new attempt of the same transaction may not meet.
    pub(crate) fn transient(message: impl fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            retryable: true,
        }
    }

    /// The store keeps no DM session state (see [`ReportStore::supports_sessions`]).
    pub(crate) fn sessions_unsupported() -> Self {
        Self::new("this store keeps no DM session state (DM sessions need a database: --db)")
    }

    /// Whether the transaction is worth another attempt.
    pub(crate) fn is_retryable(&self) -> bool {
        self.retryable
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage failed: {}", self.message)
    }
}

impl core::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::new(e)
    }
}
