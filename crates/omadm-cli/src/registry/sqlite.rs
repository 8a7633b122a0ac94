//! The registry in the SQLite file of the store (table `devices`, created by the store's schema).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use super::{Change, Entry};
use crate::store::{SqliteStore, StoreError};

pub(crate) struct SqliteRegistry {
    conn: Mutex<Connection>,
}

impl SqliteRegistry {
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        // Creates the file and brings its schema (with `devices`) up to date.
        drop(SqliteStore::open(path)?);
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::new("registry connection poisoned"))?;
        f(&mut conn).map_err(StoreError::from)
    }

    pub(crate) fn upsert(&self, entries: &[Entry]) -> Result<usize, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version = next_version(&tx)?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO devices (username, device_id, secret_digest, nonce, algorithm, \
                     construction, carrier, disabled, version, nonce_issued_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                     ON CONFLICT (username) DO UPDATE SET device_id = excluded.device_id, \
                     secret_digest = excluded.secret_digest, nonce = excluded.nonce, \
                     nonce_issued_ms = CASE WHEN devices.nonce = excluded.nonce \
                     THEN devices.nonce_issued_ms ELSE excluded.nonce_issued_ms END, \
                     algorithm = excluded.algorithm, construction = excluded.construction, \
                     carrier = excluded.carrier, disabled = excluded.disabled, \
                     version = excluded.version",
                )?;
                for e in entries {
                    stmt.execute(params![
                        e.username,
                        e.device_id,
                        e.secret_digest,
                        e.nonce,
                        e.algorithm,
                        e.construction,
                        e.carrier,
                        e.disabled,
                        version,
                        e.nonce_issued_ms,
                    ])?;
                }
            }
            tx.commit()?;
            Ok(entries.len())
        })
    }

    pub(crate) fn change(&self, username: &str, change: &Change) -> Result<bool, StoreError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version = next_version(&tx)?;
            let n = match change {
                Change::Nonce { nonce, issued_ms } => tx.execute(
                    "UPDATE devices SET nonce = ?1, nonce_issued_ms = ?2, version = ?3 \
                     WHERE username = ?4",
                    params![nonce, issued_ms, version, username],
                )?,
                Change::Disable => tx.execute(
                    "UPDATE devices SET disabled = 1, version = ?1 WHERE username = ?2",
                    params![version, username],
                )?,
            };
            tx.commit()?;
            Ok(n == 1)
        })
    }

    pub(crate) fn changes_since(&self, version: i64) -> Result<Vec<Entry>, StoreError> {
        self.with(|conn| {
            let mut stmt =
                conn.prepare_cached(&format!("{SELECT} WHERE version > ?1 ORDER BY version"))?;
            let rows = stmt.query_map(params![version], row)?;
            rows.collect()
        })
    }

    pub(crate) fn lookup(&self, username: &str) -> Result<(Option<Entry>, i64), StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(LOOKUP)?;
            stmt.query_row(params![username], |r| {
                let snapshot: i64 = r.get(0)?;
                let found: Option<String> = r.get(1)?;
                Ok((found.map(|_| row_at(r, 1)).transpose()?, snapshot))
            })
        })
    }

    pub(crate) fn newest(&self, limit: usize) -> Result<(Vec<Entry>, i64), StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|conn| {
            // One read transaction: the rows and the version they are a snapshot of agree.
            let tx = conn.transaction()?;
            let snapshot: i64 =
                tx.query_row("SELECT coalesce(max(version), 0) FROM devices", [], |r| {
                    r.get(0)
                })?;
            let rows = {
                let mut stmt = tx.prepare_cached(&format!(
                    "{SELECT} WHERE version <= ?1 ORDER BY version DESC LIMIT ?2"
                ))?;
                stmt.query_map(params![snapshot, limit], row)?
                    .collect::<Result<Vec<_>, _>>()?
            };
            tx.commit()?;
            Ok((rows, snapshot))
        })
    }

    pub(crate) fn changes_after(
        &self,
        version: i64,
        username: &str,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!("{SELECT} {AFTER}"))?;
            let rows = stmt.query_map(params![version, username, limit], row)?;
            rows.collect()
        })
    }

    pub(crate) fn get(&self, username: &str) -> Result<Option<Entry>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE username = ?1"))?;
            stmt.query_row(params![username], row).optional()
        })
    }
}

/// The columns of an [`Entry`], in [`row`]'s order.
const SELECT: &str = "SELECT username, device_id, secret_digest, nonce, algorithm, \
    construction, carrier, disabled, version, nonce_issued_ms FROM devices";

fn row(r: &rusqlite::Row<'_>) -> Result<Entry, rusqlite::Error> {
    row_at(r, 0)
}

/// An [`Entry`] from the columns of [`SELECT`] starting at column `at`.
fn row_at(r: &rusqlite::Row<'_>, at: usize) -> Result<Entry, rusqlite::Error> {
    Ok(Entry {
        username: r.get(at)?,
        device_id: r.get(at + 1)?,
        secret_digest: r.get(at + 2)?,
        nonce: r.get(at + 3)?,
        algorithm: r.get(at + 4)?,
        construction: r.get(at + 5)?,
        carrier: r.get(at + 6)?,
        disabled: r.get(at + 7)?,
        version: r.get(at + 8)?,
        nonce_issued_ms: r.get(at + 9)?,
    })
}

/// The registry's version and the row of `?1` (NULLs: none), in one statement's snapshot.
const LOOKUP: &str = "SELECT s.v, d.username, d.device_id, d.secret_digest, d.nonce, \
    d.algorithm, d.construction, d.carrier, d.disabled, d.version, d.nonce_issued_ms \
    FROM (SELECT coalesce(max(version), 0) AS v FROM devices) AS s \
    LEFT JOIN devices d ON d.username = ?1";

/// After [`SELECT`]: the rows written after `(?1 version, ?2 username)`, at most `?3`.
const AFTER: &str = "WHERE version > ?1 OR (version = ?1 AND username > ?2) \
    ORDER BY version, username LIMIT ?3";

/// Sets the device's nonce and its issue time inside the caller's write transaction (the
/// store's group commit, where the same transaction saves the anti-replay state), with the next
/// registry version so that every node's cache sees it; `false`: no such row.
pub(crate) fn set_nonce(
    tx: &rusqlite::Transaction<'_>,
    username: &str,
    nonce: &str,
    issued_ms: i64,
) -> Result<bool, rusqlite::Error> {
    let n = tx
        .prepare_cached(
            "UPDATE devices SET nonce = ?1, nonce_issued_ms = ?2, \
             version = (SELECT coalesce(max(version), 0) + 1 FROM devices) WHERE username = ?3",
        )?
        .execute(params![nonce, issued_ms, username])?;
    Ok(n == 1)
}

/// The version the next change gets, read under the write lock.
fn next_version(tx: &rusqlite::Transaction<'_>) -> Result<i64, rusqlite::Error> {
    tx.query_row(
        "SELECT coalesce(max(version), 0) + 1 FROM devices",
        [],
        |r| r.get(0),
    )
}
