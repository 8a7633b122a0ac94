//! The read side of a store, for the status page and its JSON API: recent reports and when each
//! device was last seen. A small trait of its own, so that every back end (SQLite here, a
//! networked database beside it) answers the page the same way, on a connection of its own that
//! never waits for the writer.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, params};

use super::{StoreError, StoredReport};

/// Most rows one query returns, whatever the caller asks.
pub(crate) const MAX_LIMIT: usize = 500;

/// What a device has done, as the store knows it: a device that reported, or one of the
/// device registry that never did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeviceSeen {
    /// `SyncHdr/Source/LocName`.
    pub(crate) username: String,
    /// `SyncHdr/Source/LocURI` of its latest report (the registry's, if it never reported).
    pub(crate) device_id: String,
    /// When its latest report was received (Unix milliseconds); `None`: never reported.
    pub(crate) last_seen_ms: Option<i64>,
    /// How many of its reports are stored.
    pub(crate) reports: u64,
    /// The highest MsgID among them.
    pub(crate) last_msg_id: Option<u32>,
    /// Its serialised anti-replay state, if one was saved.
    pub(crate) replay_state: Option<Vec<u8>>,
    /// Its row in the device registry (`None`: a device of a devices file).
    pub(crate) registered: Option<Registered>,
}

/// What the device registry says of a device, for the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Registered {
    /// The current nonce (base64).
    pub(crate) nonce: String,
    /// When it was set (Unix milliseconds); `None`: before the registry recorded it.
    pub(crate) nonce_issued_ms: Option<i64>,
    pub(crate) disabled: bool,
}

/// Read-only questions to a store. Implementations use their own connection (or pool): the
/// page's queries run beside the writer's transactions and never hold them up.
pub(crate) trait ReportQuery: Send + Sync {
    /// The `limit` (at most [`MAX_LIMIT`]) most recent reports, newest first; only those of
    /// `device` (matched against the username or the device id) if given.
    fn recent_reports(
        &self,
        device: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredReport>, StoreError>;

    /// The `limit` (at most [`MAX_LIMIT`]) devices seen most recently, newest first, then the
    /// registry's devices that never reported (by username).
    fn devices(&self, limit: usize) -> Result<Vec<DeviceSeen>, StoreError>;
}

/// A read-only connection to a SQLite database (WAL: readers never block the writer).
#[derive(Debug)]
pub(crate) struct SqliteQuery {
    conn: Mutex<Connection>,
}

impl SqliteQuery {
    /// Opens `path` read-only.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(2))?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ReportQuery for SqliteQuery {
    fn recent_reports(
        &self,
        device: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredReport>, StoreError> {
        let limit = i64::try_from(limit.min(MAX_LIMIT)).unwrap_or(0);
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT received_ms, device_id, username, msg_id, cmd_id, source_uri, type, format, \
             mark, data FROM reports WHERE ?1 IS NULL OR username = ?1 OR device_id = ?1 \
             ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![device, limit], super::sqlite::stored_report)?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }

    fn devices(&self, limit: usize) -> Result<Vec<DeviceSeen>, StoreError> {
        let limit = i64::try_from(limit.min(MAX_LIMIT)).unwrap_or(0);
        let conn = self.conn();
        // SQLite gives the bare column `device_id` from a row holding a MAX().
        let mut stmt = conn.prepare_cached(
            "WITH seen AS (SELECT username, device_id, MAX(received_ms) AS last_ms, \
             COUNT(*) AS n, MAX(msg_id) AS msg FROM reports GROUP BY username) \
             SELECT u.username, COALESCE(s.device_id, d.device_id), s.last_ms, \
             COALESCE(s.n, 0), s.msg, \
             (SELECT r.state FROM replay_state r WHERE r.username = u.username), \
             d.nonce, d.nonce_issued_ms, COALESCE(d.disabled, 0) \
             FROM (SELECT username FROM seen UNION SELECT username FROM devices) AS u \
             LEFT JOIN seen s ON s.username = u.username \
             LEFT JOIN devices d ON d.username = u.username \
             ORDER BY s.last_ms IS NULL, s.last_ms DESC, u.username LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit], |r| {
            let nonce: Option<String> = r.get(6)?;
            Ok(DeviceSeen {
                username: r.get(0)?,
                device_id: r.get(1)?,
                last_seen_ms: r.get(2)?,
                reports: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                last_msg_id: r.get(4)?,
                replay_state: r.get(5)?,
                registered: match nonce {
                    Some(nonce) => Some(Registered {
                        nonce,
                        nonce_issued_ms: r.get(7)?,
                        disabled: r.get(8)?,
                    }),
                    None => None,
                },
            })
        })?;
        rows.collect::<Result<_, _>>().map_err(StoreError::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::store::{AcceptedMessage, ReportStore as _, SqliteStore};

    fn message(user: &str, msg_id: u32, data: &str) -> AcceptedMessage {
        AcceptedMessage::one_report(user, msg_id, data)
    }

    #[test]
    fn recent_reports_and_devices_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut store = SqliteStore::open(&path).unwrap();
        let reader = store.reader().unwrap().unwrap();
        let mut tx = store.begin().unwrap();
        tx.insert(10, &message("a", 1, "first")).unwrap();
        tx.insert(20, &message("b", 1, "second")).unwrap();
        tx.insert(30, &message("a", 2, "third")).unwrap();
        tx.save_replay_state("a", b"state").unwrap();
        tx.commit().unwrap();

        let all = reader.recent_reports(None, 10).unwrap();
        let data: Vec<&str> = all.iter().map(|r| r.data.as_str()).collect();
        assert_eq!(data, ["third", "second", "first"]);
        assert_eq!(reader.recent_reports(None, 1).unwrap().len(), 1);
        let of_b = reader.recent_reports(Some("IMEI:b"), 10).unwrap();
        assert_eq!(of_b.len(), 1);
        assert_eq!(of_b[0].data, "second");
        assert_eq!(reader.recent_reports(Some("a"), 10).unwrap().len(), 2);
        assert!(
            reader
                .recent_reports(Some("nobody"), 10)
                .unwrap()
                .is_empty()
        );

        let devices = reader.devices(10).unwrap();
        assert_eq!(devices.len(), 2);
        assert_eq!(
            (
                devices[0].username.as_str(),
                devices[0].last_seen_ms,
                devices[0].reports,
                devices[0].last_msg_id
            ),
            ("a", Some(30), 2, Some(2))
        );
        assert_eq!(devices[0].replay_state.as_deref(), Some(&b"state"[..]));
        assert_eq!(devices[1].username, "b");
        assert_eq!(devices[1].replay_state, None);
    }
}
