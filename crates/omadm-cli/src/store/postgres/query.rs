//! The status page's read side on PostgreSQL: the same questions as SQLite's
//! [`SqliteQuery`](crate::store::SqliteQuery), on a connection of the node's pool, never inside
//! the writer's transaction.

use deadpool_postgres::Pool;
use tokio::runtime::Handle;

use super::{block, get};
use crate::store::{DeviceSeen, MAX_LIMIT, Registered, ReportQuery, StoreError, StoredReport};

/// Read-only queries on the node's pool (called from blocking threads).
pub(crate) struct PgQuery {
    pub(super) pool: Pool,
    pub(super) rt: Handle,
}

impl PgQuery {
    fn rows(
        &self,
        what: &str,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let client = self.rt.block_on(get(&self.pool))?;
        block(&self.rt, what, client.query(sql, params))
    }
}

fn limit(asked: usize) -> i64 {
    i64::try_from(asked.min(MAX_LIMIT)).unwrap_or(0)
}

fn id(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

impl ReportQuery for PgQuery {
    fn recent_reports(
        &self,
        device: Option<&str>,
        asked: usize,
    ) -> Result<Vec<StoredReport>, StoreError> {
        let rows = self.rows(
            "recent reports",
            "SELECT received_ms, device_id, username, msg_id, cmd_id, source_uri, type, format, \
             mark, data FROM reports WHERE $1::text IS NULL OR username = $1 OR device_id = $1 \
             ORDER BY id DESC LIMIT $2",
            &[&device, &limit(asked)],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredReport {
                received_ms: r.get(0),
                device_id: r.get(1),
                username: r.get(2),
                msg_id: id(r.get(3)),
                cmd_id: id(r.get(4)),
                source_uri: r.get(5),
                alert_type: r.get(6),
                format: r.get(7),
                mark: r.get(8),
                data: r.get(9),
            })
            .collect())
    }

    fn devices(&self, asked: usize) -> Result<Vec<DeviceSeen>, StoreError> {
        let rows = self.rows(
            "devices",
            "WITH seen AS (SELECT username, (array_agg(device_id ORDER BY id DESC))[1] AS device_id, \
             max(received_ms) AS last_ms, count(*) AS n, max(msg_id) AS msg \
             FROM reports GROUP BY username) \
             SELECT u.username, coalesce(s.device_id, d.device_id), s.last_ms, \
             coalesce(s.n, 0), s.msg, \
             (SELECT r.state FROM replay_state r WHERE r.username = u.username), \
             d.nonce, d.nonce_issued_ms, coalesce(d.disabled, false) \
             FROM (SELECT username FROM seen UNION SELECT username FROM devices) AS u \
             LEFT JOIN seen s ON s.username = u.username \
             LEFT JOIN devices d ON d.username = u.username \
             ORDER BY s.last_ms DESC NULLS LAST, u.username LIMIT $1",
            &[&limit(asked)],
        )?;
        Ok(rows
            .iter()
            .map(|r| DeviceSeen {
                username: r.get(0),
                device_id: r.get(1),
                last_seen_ms: r.get(2),
                reports: u64::try_from(r.get::<_, i64>(3)).unwrap_or(0),
                last_msg_id: r.get::<_, Option<i64>>(4).map(id),
                replay_state: r.get(5),
                registered: r.get::<_, Option<String>>(6).map(|nonce| Registered {
                    nonce,
                    nonce_issued_ms: r.get(7),
                    disabled: r.get(8),
                }),
            })
            .collect())
    }
}
