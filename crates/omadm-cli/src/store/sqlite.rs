//! The embedded default store: SQLite in WAL mode with `synchronous=FULL`, one table of reports
//! and one of per-device anti-replay state.
//!
//! Why `FULL`: the HTTP edge acknowledges a message only after its transaction commits, and the
//! promise is that a crash loses nothing it acknowledged. With WAL, `NORMAL` survives a crash
//! of the process but may lose the last commits on power loss or an OS crash, because the WAL
//! is not synced at each commit. `FULL` syncs the WAL at each commit; with group commit that is
//! one fsync per tick, not one per message, so durability costs little throughput.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{
    AcceptedMessage, ReportQuery, ReportStore, SessionFinish, SessionStart, SqliteQuery,
    StoreError, StoreTx,
};

/// The schema version this build writes and reads (`PRAGMA user_version`).
pub(crate) const SCHEMA_VERSION: i64 = 4;

/// Versions 1 and 2, written idempotently (they predate numbered steps); later versions are
/// [`MIGRATIONS`].
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
-- version 2: the device registry (see registry/mod.rs)
CREATE TABLE IF NOT EXISTS devices (
    username      TEXT    PRIMARY KEY,
    device_id     TEXT    NOT NULL,
    secret_digest TEXT    NOT NULL,  -- B64(H(username:secret)); never the secret
    nonce         TEXT    NOT NULL,
    algorithm     TEXT    NOT NULL,
    construction  TEXT    NOT NULL,
    carrier       TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS devices_by_version ON devices (version);
";

/// `(version, SQL)` after [`SCHEMA`], oldest first, each applied once in the transaction that
/// also sets `user_version`. A released step is never edited: a change is a new row (the same
/// numbers and meaning as PostgreSQL's migrations).
const MIGRATIONS: &[(i64, &str)] = &[
    (
        3,
        // When the device's current nonce was set (Unix ms; NULL: set before this was recorded).
        "ALTER TABLE devices ADD COLUMN nonce_issued_ms INTEGER;",
    ),
    // DM sessions: the command queue and what discovery learnt.
    (4, super::session::SQLITE_SCHEMA),
];

/// A SQLite database file.
///
/// The anti-replay states are cached: a transaction reads a device's state from the cache and
/// writes the states it changed once, at commit. The cache is dropped whenever another
/// connection has committed to the database since this one last did (`PRAGMA data_version`), so
/// two servers on one file stay correct, only slower.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    conn: Connection,
    replay_cache: HashMap<String, Vec<u8>>,
    /// `PRAGMA data_version` after our last commit.
    data_version: Option<i64>,
}

/// One row of the `reports` table (serialised as the status API shows it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct StoredReport {
    pub(crate) received_ms: i64,
    pub(crate) device_id: String,
    pub(crate) username: String,
    pub(crate) msg_id: u32,
    pub(crate) cmd_id: u32,
    pub(crate) source_uri: Option<String>,
    #[serde(rename = "type")]
    pub(crate) alert_type: String,
    pub(crate) format: String,
    pub(crate) mark: Option<String>,
    pub(crate) data: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the database for writing.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
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
        if version < SCHEMA_VERSION {
            migrate_in_place(&mut conn)?;
        }
        Ok(Self {
            conn,
            replay_cache: HashMap::new(),
            data_version: None,
        })
    }

    /// Brings the file's schema up to date (creating it if missing); returns the versions
    /// before and after.
    pub(crate) fn migrate(path: &Path) -> Result<(i64, i64), StoreError> {
        let before: i64 =
            Connection::open(path)?.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Self::open(path)?;
        Ok((before, SCHEMA_VERSION))
    }

    /// Opens an existing database read-only (for `demo` and tests).
    pub(crate) fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Self {
            conn,
            replay_cache: HashMap::new(),
            data_version: None,
        })
    }

    /// Every stored report, oldest first.
    pub(crate) fn reports(&self) -> Result<Vec<StoredReport>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT received_ms, device_id, username, msg_id, cmd_id, source_uri, type, format, \
             mark, data FROM reports ORDER BY id",
        )?;
        let rows = stmt.query_map([], stored_report)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }
}

/// Applies the missing steps in one write transaction: two processes opening an old file at
/// once apply each step once (the second one reads the first one's version under the lock).
fn migrate_in_place(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= SCHEMA_VERSION {
        // Another process migrated (or is newer: `open` refuses that on its next start).
        return Ok(());
    }
    if version < 2 {
        tx.execute_batch(SCHEMA)?;
    }
    for &(step, sql) in MIGRATIONS {
        if step > version {
            tx.execute_batch(sql)
                .map_err(|e| StoreError::new(format!("migration {step}: {e}")))?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// A row of `SELECT received_ms, device_id, username, msg_id, cmd_id, source_uri, type, format,
/// mark, data FROM reports`.
pub(super) fn stored_report(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredReport> {
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
}

impl ReportStore for SqliteStore {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let Self {
            conn,
            replay_cache,
            data_version,
        } = self;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Inside the write lock: no other connection can commit until we are done.
        let now: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if *data_version != Some(now) {
            replay_cache.clear();
        }
        Ok(Box::new(SqliteTx {
            tx,
            cache: replay_cache,
            data_version,
            version_at_begin: now,
            changed: HashMap::new(),
        }))
    }

    fn supports_sessions(&self) -> bool {
        true
    }

    fn reader(&self) -> Result<Option<std::sync::Arc<dyn ReportQuery>>, StoreError> {
        match self.conn.path().filter(|p| !p.is_empty()) {
            Some(path) => Ok(Some(std::sync::Arc::new(SqliteQuery::open(Path::new(
                path,
            ))?))),
            None => Ok(None),
        }
    }
}

struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    cache: &'a mut HashMap<String, Vec<u8>>,
    data_version: &'a mut Option<i64>,
    version_at_begin: i64,
    /// States changed by this transaction, written at commit.
    changed: HashMap<String, Vec<u8>>,
}

impl StoreTx for SqliteTx<'_> {
    fn replay_state(&mut self, username: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(state) = self
            .changed
            .get(username)
            .or_else(|| self.cache.get(username))
        {
            return Ok(Some(state.clone()));
        }
        let mut stmt = self
            .tx
            .prepare_cached("SELECT state FROM replay_state WHERE username = ?1")?;
        let state = stmt
            .query_row(params![username], |r| r.get::<_, Vec<u8>>(0))
            .optional()?;
        if let Some(state) = &state {
            // Committed state, read under the write lock: safe to keep.
            self.cache.insert(username.to_owned(), state.clone());
        }
        Ok(state)
    }

    fn save_replay_state(&mut self, username: &str, state: &[u8]) -> Result<(), StoreError> {
        self.changed.insert(username.to_owned(), state.to_vec());
        Ok(())
    }

    fn set_nonce(
        &mut self,
        username: &str,
        nonce: &str,
        issued_ms: i64,
    ) -> Result<bool, StoreError> {
        Ok(crate::registry::sqlite::set_nonce(
            &self.tx, username, nonce, issued_ms,
        )?)
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

    fn session_start(&mut self, username: &str) -> Result<SessionStart, StoreError> {
        super::session::sqlite_start(&self.tx, username)
    }

    fn session_finish(
        &mut self,
        finish: &SessionFinish,
        nonce_written: bool,
    ) -> Result<bool, StoreError> {
        super::session::sqlite_finish(&self.tx, finish, nonce_written)
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let Self {
            tx,
            cache,
            data_version,
            version_at_begin,
            changed,
        } = *self;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO replay_state (username, state) VALUES (?1, ?2) \
                 ON CONFLICT (username) DO UPDATE SET state = excluded.state",
            )?;
            for (username, state) in &changed {
                stmt.execute(params![username, state])?;
            }
        }
        tx.commit()?;
        // A connection's own commits do not change the data_version it reads.
        *data_version = Some(version_at_begin);
        cache.extend(changed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::store::ReportRecord;

    fn state(store: &mut SqliteStore, user: &str) -> Option<Vec<u8>> {
        let mut tx = store.begin().unwrap();
        let s = tx.replay_state(user).unwrap();
        tx.commit().unwrap();
        s
    }

    fn save(store: &mut SqliteStore, user: &str, value: &[u8]) {
        let mut tx = store.begin().unwrap();
        tx.save_replay_state(user, value).unwrap();
        tx.commit().unwrap();
    }

    #[test]
    fn a_transaction_sees_its_own_states_and_a_rollback_forgets_them() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("db")).unwrap();
        {
            let mut tx = store.begin().unwrap();
            assert_eq!(tx.replay_state("dev1").unwrap(), None);
            tx.save_replay_state("dev1", b"one").unwrap();
            assert_eq!(
                tx.replay_state("dev1").unwrap().as_deref(),
                Some(&b"one"[..])
            );
            // Dropped without commit.
        }
        assert_eq!(state(&mut store, "dev1"), None);
        save(&mut store, "dev1", b"two");
        assert_eq!(state(&mut store, "dev1").as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn the_cache_follows_commits_of_other_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut a = SqliteStore::open(&path).unwrap();
        let mut b = SqliteStore::open(&path).unwrap();
        save(&mut a, "dev1", b"from a");
        assert_eq!(state(&mut a, "dev1").as_deref(), Some(&b"from a"[..]));
        save(&mut b, "dev1", b"from b");
        assert_eq!(state(&mut a, "dev1").as_deref(), Some(&b"from b"[..]));
        save(&mut a, "dev1", b"a again");
        assert_eq!(state(&mut b, "dev1").as_deref(), Some(&b"a again"[..]));
    }

    #[test]
    fn reports_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut store = SqliteStore::open(&path).unwrap();
        let message = AcceptedMessage {
            username: "dev1".to_owned(),
            device_id: "IMEI:1".to_owned(),
            msg_id: 7,
            reports: vec![ReportRecord {
                cmd_id: 2,
                source_uri: None,
                alert_type: "urn:x:y".to_owned(),
                format: "chr".to_owned(),
                mark: Some("minor".to_owned()),
                data: "<a> & ]]>".to_owned(),
            }],
        };
        let mut tx = store.begin().unwrap();
        tx.insert(42, &message).unwrap();
        tx.commit().unwrap();
        let rows = SqliteStore::open_read_only(&path)
            .unwrap()
            .reports()
            .unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!((row.received_ms, row.msg_id, row.cmd_id), (42, 7, 2));
        assert_eq!(row.data, "<a> & ]]>");
        assert_eq!(row.mark.as_deref(), Some("minor"));
        assert_eq!(row.source_uri, None);
    }
}
