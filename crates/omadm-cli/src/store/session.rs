//! What DM sessions keep in the store: the per-device queue of server commands (`omadm queue`),
//! what discovery learnt, and the nonce a session issued (written to the device's registry row
//! in the writer's transaction, beside the tick's anti-replay states).

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::StoreError;
use crate::registry::Entry;

/// The commands `omadm queue add` can queue.
pub(crate) const COMMANDS: [&str; 5] = ["get", "replace", "add", "delete", "exec"];

/// A server command queued for a device, as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct QueuedCommand {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) queued_ms: i64,
    /// One of [`COMMANDS`].
    pub(crate) command: String,
    /// The target node's URI.
    pub(crate) uri: String,
    /// The value (`replace`, `add`) or the `Exec` data.
    pub(crate) data: Option<String>,
    /// `Meta/Format` of the value (`chr` when not given).
    pub(crate) format: Option<String>,
    /// `pending` until the device answered it, then `done`.
    pub(crate) state: String,
    /// The device's Status code.
    pub(crate) status: Option<u16>,
    /// A `get`'s results: a JSON array of {uri, format, type, data}.
    pub(crate) results: Option<String>,
    pub(crate) answered_ms: Option<i64>,
}

/// What a session needs from the store when it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SessionStart {
    /// The device's pending commands, oldest first.
    pub(crate) queued: Vec<QueuedCommand>,
    /// Whether discovery already ran for the device.
    pub(crate) discovered: bool,
}

/// A queued command the device answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answered {
    pub(crate) id: i64,
    pub(crate) status: u16,
    pub(crate) results: Option<String>,
}

/// What discovery learnt (`./DevDetail/SessionlessRpt`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Discovered {
    /// The node's value (`None`: absent or not a boolean).
    pub(crate) supported: Option<bool>,
    /// The Status of the `Get`.
    pub(crate) status: Option<u16>,
    /// Whether the placeholder answered 200 (`None`: no target configured).
    pub(crate) placeholder: Option<bool>,
    /// The Status of the enabling `Replace`, if one was sent and answered.
    pub(crate) enabling_status: Option<u16>,
}

/// What an ended (authenticated) session writes, in one transaction.
#[derive(Clone, Debug)]
pub(crate) struct SessionFinish {
    pub(crate) username: String,
    pub(crate) at_ms: i64,
    /// The nonce issued for the client's next use (base64); `None`: keep the one held.
    pub(crate) next_nonce: Option<String>,
    /// The registry entry to create when the registry has no row for the device (a devices
    /// file's device); its nonce is replaced by `next_nonce`.
    pub(crate) import: Option<Entry>,
    pub(crate) answered: Vec<Answered>,
    pub(crate) discovery: Option<Discovered>,
}

/// The session tables of the SQLite schema (migration 4).
pub(super) const SQLITE_SCHEMA: &str = "
-- version 4: DM sessions
CREATE TABLE IF NOT EXISTS command_queue (
    id          INTEGER PRIMARY KEY,
    username    TEXT    NOT NULL,
    queued_ms   INTEGER NOT NULL,
    command     TEXT    NOT NULL,  -- get | replace | add | delete | exec
    uri         TEXT    NOT NULL,
    data        TEXT,
    format      TEXT,
    state       TEXT    NOT NULL DEFAULT 'pending',  -- pending | done
    status      INTEGER,           -- the device's Status code
    results     TEXT,              -- a Get's results (JSON)
    answered_ms INTEGER
);
CREATE INDEX IF NOT EXISTS command_queue_pending ON command_queue (username, state, id);
CREATE TABLE IF NOT EXISTS discovery (
    username        TEXT    PRIMARY KEY,
    discovered_ms   INTEGER NOT NULL,
    supported       INTEGER,       -- ./DevDetail/SessionlessRpt: 1, 0, NULL (absent or not bool)
    status          INTEGER,       -- the Get's Status
    placeholder     INTEGER,       -- the placeholder answered 200 (NULL: no target)
    enabling_status INTEGER        -- the enabling Replace's Status
) WITHOUT ROWID;
";

const QUEUE_COLUMNS: &str = "id, username, queued_ms, command, uri, data, format, state, status, \
    results, answered_ms";

fn queued(r: &rusqlite::Row<'_>) -> rusqlite::Result<QueuedCommand> {
    Ok(QueuedCommand {
        id: r.get(0)?,
        username: r.get(1)?,
        queued_ms: r.get(2)?,
        command: r.get(3)?,
        uri: r.get(4)?,
        data: r.get(5)?,
        format: r.get(6)?,
        state: r.get(7)?,
        status: r.get(8)?,
        results: r.get(9)?,
        answered_ms: r.get(10)?,
    })
}

/// [`SessionStart`] of `username`, inside the writer's transaction.
pub(super) fn sqlite_start(
    tx: &Transaction<'_>,
    username: &str,
) -> Result<SessionStart, StoreError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {QUEUE_COLUMNS} FROM command_queue WHERE username = ?1 AND state = 'pending' \
         ORDER BY id"
    ))?;
    let queued = stmt
        .query_map(params![username], queued)?
        .collect::<Result<Vec<_>, _>>()?;
    let discovered = tx
        .prepare_cached("SELECT 1 FROM discovery WHERE username = ?1")?
        .query_row(params![username], |_| Ok(()))
        .optional()?
        .is_some();
    Ok(SessionStart { queued, discovered })
}

/// Writes `finish`'s answered commands and discovery's answer; when the session's nonce was
/// not written to the registry (`nonce_written`: [`StoreTx::set_nonce`](super::StoreTx) found no
/// row) and the device has an entry to import, creates its row with the new nonce. Returns
/// whether the new nonce is now in the registry.
pub(super) fn sqlite_finish(
    tx: &Transaction<'_>,
    finish: &SessionFinish,
    nonce_written: bool,
) -> Result<bool, StoreError> {
    {
        let mut stmt = tx.prepare_cached(
            "UPDATE command_queue SET state = 'done', status = ?1, results = ?2, \
             answered_ms = ?3 WHERE id = ?4 AND username = ?5",
        )?;
        for a in &finish.answered {
            stmt.execute(params![
                a.status,
                a.results,
                finish.at_ms,
                a.id,
                finish.username
            ])?;
        }
    }
    if let Some(d) = &finish.discovery {
        tx.prepare_cached(
            "INSERT INTO discovery (username, discovered_ms, supported, status, placeholder, \
             enabling_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (username) DO UPDATE \
             SET discovered_ms = excluded.discovered_ms, supported = excluded.supported, \
             status = excluded.status, placeholder = excluded.placeholder, \
             enabling_status = excluded.enabling_status",
        )?
        .execute(params![
            finish.username,
            finish.at_ms,
            d.supported,
            d.status,
            d.placeholder,
            d.enabling_status
        ])?;
    }
    let (Some(nonce), Some(e), false) = (&finish.next_nonce, &finish.import, nonce_written) else {
        return Ok(nonce_written);
    };
    tx.prepare_cached(
        "INSERT INTO devices (username, device_id, secret_digest, nonce, nonce_issued_ms, \
         algorithm, construction, carrier, disabled, version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, \
         (SELECT coalesce(max(version), 0) + 1 FROM devices))",
    )?
    .execute(params![
        e.username,
        e.device_id,
        e.secret_digest,
        nonce,
        finish.at_ms,
        e.algorithm,
        e.construction,
        e.carrier,
    ])?;
    Ok(true)
}

/// Queues one command for `username`; returns its id.
pub(crate) fn sqlite_enqueue(
    conn: &rusqlite::Connection,
    username: &str,
    queued_ms: i64,
    command: &str,
    uri: &str,
    data: Option<&str>,
    format: Option<&str>,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO command_queue (username, queued_ms, command, uri, data, format) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![username, queued_ms, command, uri, data, format],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Every queued command (of `username` if given), oldest first.
pub(crate) fn sqlite_list(
    conn: &rusqlite::Connection,
    username: Option<&str>,
) -> Result<Vec<QueuedCommand>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {QUEUE_COLUMNS} FROM command_queue WHERE ?1 IS NULL OR username = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map(params![username], queued)?;
    rows.collect::<Result<_, _>>().map_err(StoreError::from)
}

/// What discovery recorded for `username`.
pub(crate) fn sqlite_discovery(
    conn: &rusqlite::Connection,
    username: &str,
) -> Result<Option<Discovered>, StoreError> {
    conn.query_row(
        "SELECT supported, status, placeholder, enabling_status FROM discovery \
         WHERE username = ?1",
        params![username],
        |r| {
            Ok(Discovered {
                supported: r.get(0)?,
                status: r.get(1)?,
                placeholder: r.get(2)?,
                enabling_status: r.get(3)?,
            })
        },
    )
    .optional()
    .map_err(StoreError::from)
}
