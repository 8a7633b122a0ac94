//! The embedded default store: SQLite in WAL mode with `synchronous=FULL`, one table of reports
//! and one of per-device anti-replay state.
//!
//! Why `FULL`: the HTTP edge acknowledges a message only after its transaction commits, and the
//! promise is that a crash loses nothing it acknowledged. With WAL, `NORMAL` survives a crash
//! of the process but may lose the last commits on power loss or an OS crash, because the WAL
//! is not synced at each commit. `FULL` syncs the WAL at each commit; with group commit that is
//! one fsync per tick, not one per message, so durability costs little throughput.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{AcceptedMessage, ReportStore, StoreError, StoreTx};

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reports (
    id          INTEGER PRIMARY KEY,
    received_ms INTEGER NOT NULL,  -- Unix time in milliseconds
    device_id   TEXT    NOT NULL,  -- SyncHdr/Source/LocURI
    username    TEXT    NOT NULL,  -- SyncHdr/Source/LocName
    msg_id      INTEGER NOT NULL,
    cmd_id      INTEGER NOT NULL,
    source_uri  TEXT,              -- Item/Source/LocURI
    type        TEXT    NOT NULL,
    format      TEXT    NOT NULL,
    mark        TEXT,
    data        TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_by_device ON reports (username, msg_id);
CREATE TABLE IF NOT EXISTS replay_state (
    username TEXT PRIMARY KEY,
    state    BLOB NOT NULL         -- the verifier's serialised anti-replay window
) WITHOUT ROWID;
";

/// A SQLite database file.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    conn: Connection,
}

/// One row of the `reports` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredReport {
    pub(crate) received_ms: i64,
    pub(crate) device_id: String,
    pub(crate) username: String,
    pub(crate) msg_id: u32,
    pub(crate) cmd_id: u32,
    pub(crate) source_uri: Option<String>,
    pub(crate) alert_type: String,
    pub(crate) format: String,
    pub(crate) mark: Option<String>,
    pub(crate) data: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the database for writing.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(format!(
                "cannot switch {} to WAL mode (got {mode})",
                path.display()
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::new(format!(
                "{} has schema version {version}, newer than this tool's {SCHEMA_VERSION}",
                path.display()
            )));
        }
        conn.execute_batch(SCHEMA)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Self { conn })
    }

    /// Opens an existing database read-only (for `demo` and tests).
    pub(crate) fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Self { conn })
    }

    /// Every stored report, oldest first.
    pub(crate) fn reports(&self) -> Result<Vec<StoredReport>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT received_ms, device_id, username, msg_id, cmd_id, source_uri, type, format, \
             mark, data FROM reports ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredReport {
                received_ms: r.get(0)?,
                device_id: r.get(1)?,
                username: r.get(2)?,
                msg_id: r.get(3)?,
                cmd_id: r.get(4)?,
                source_uri: r.get(5)?,
                alert_type: r.get(6)?,
                format: r.get(7)?,
                mark: r.get(8)?,
                data: r.get(9)?,
            })
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }
}

impl ReportStore for SqliteStore {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx }))
    }
}

struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl StoreTx for SqliteTx<'_> {
    fn replay_state(&mut self, username: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT state FROM replay_state WHERE username = ?1")?;
        Ok(stmt
            .query_row(params![username], |r| r.get::<_, Vec<u8>>(0))
            .optional()?)
    }

    fn save_replay_state(&mut self, username: &str, state: &[u8]) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO replay_state (username, state) VALUES (?1, ?2) \
             ON CONFLICT (username) DO UPDATE SET state = excluded.state",
        )?;
        stmt.execute(params![username, state])?;
        Ok(())
    }

    fn insert(&mut self, received_ms: i64, message: &AcceptedMessage) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO reports (received_ms, device_id, username, msg_id, cmd_id, source_uri, \
             type, format, mark, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for report in &message.reports {
            stmt.execute(params![
                received_ms,
                message.device_id,
                message.username,
                message.msg_id,
                report.cmd_id,
                report.source_uri,
                report.alert_type,
                report.format,
                report.mark,
                report.data,
            ])?;
        }
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit()?;
        Ok(())
    }
}
