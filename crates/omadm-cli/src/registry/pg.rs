//! The registry in PostgreSQL (table `devices`, migration 2). Writers take a table lock so that
//! versions are given in commit order and a node polling `version > v` misses nothing.

use deadpool_postgres::Pool;

use super::{Change, Entry};
use crate::store::StoreError;
use crate::store::postgres::{classify, get, pool};

pub(crate) struct PgRegistry {
    pool: Pool,
}

impl PgRegistry {
    pub(crate) async fn open(url: &str) -> Result<Self, StoreError> {
        crate::store::PgStore::migrate(url).await?;
        Ok(Self { pool: pool(url)? })
    }

    pub(crate) async fn upsert(&self, entries: &[Entry]) -> Result<usize, StoreError> {
        let mut client = get(&self.pool).await?;
        let tx = client.transaction().await.map_err(classify)?;
        let version = lock_next_version(&tx).await?;
        let column = |f: fn(&Entry) -> &String| entries.iter().map(f).cloned().collect::<Vec<_>>();
        let disabled: Vec<bool> = entries.iter().map(|e| e.disabled).collect();
        let issued: Vec<Option<i64>> = entries.iter().map(|e| e.nonce_issued_ms).collect();
        tx.execute(
            "INSERT INTO devices (username, device_id, secret_digest, nonce, algorithm, \
             construction, carrier, disabled, nonce_issued_ms, version) \
             SELECT u.*, $10::int8 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::bool[], $9::int8[]) AS u \
             ON CONFLICT (username) DO UPDATE SET device_id = excluded.device_id, \
             secret_digest = excluded.secret_digest, nonce = excluded.nonce, \
             nonce_issued_ms = CASE WHEN devices.nonce = excluded.nonce \
             THEN devices.nonce_issued_ms ELSE excluded.nonce_issued_ms END, \
             algorithm = excluded.algorithm, construction = excluded.construction, \
             carrier = excluded.carrier, disabled = excluded.disabled, version = excluded.version",
            &[
                &column(|e| &e.username),
                &column(|e| &e.device_id),
                &column(|e| &e.secret_digest),
                &column(|e| &e.nonce),
                &column(|e| &e.algorithm),
                &column(|e| &e.construction),
                &column(|e| &e.carrier),
                &disabled,
                &issued,
                &version,
            ],
        )
        .await
        .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        Ok(entries.len())
    }

    pub(crate) async fn change(&self, username: &str, change: &Change) -> Result<bool, StoreError> {
        let mut client = get(&self.pool).await?;
        let tx = client.transaction().await.map_err(classify)?;
        let version = lock_next_version(&tx).await?;
        let n = match change {
            Change::Nonce { nonce, issued_ms } => {
                tx.execute(
                    "UPDATE devices SET nonce = $1, nonce_issued_ms = $2, version = $3 \
                     WHERE username = $4",
                    &[nonce, issued_ms, &version, &username],
                )
                .await
            }
            Change::Disable => {
                tx.execute(
                    "UPDATE devices SET disabled = true, version = $1 WHERE username = $2",
                    &[&version, &username],
                )
                .await
            }
        }
        .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        Ok(n == 1)
    }

    pub(crate) async fn changes_since(&self, version: i64) -> Result<Vec<Entry>, StoreError> {
        let client = get(&self.pool).await?;
        let rows = client
            .query(
                &format!("{SELECT} WHERE version > $1 ORDER BY version"),
                &[&version],
            )
            .await
            .map_err(classify)?;
        Ok(rows.iter().map(entry).collect())
    }

    pub(crate) async fn lookup(&self, username: &str) -> Result<(Option<Entry>, i64), StoreError> {
        let client = get(&self.pool).await?;
        let r = client
            .query_one(
                "SELECT s.v, d.username, d.device_id, d.secret_digest, d.nonce, d.algorithm, \
                 d.construction, d.carrier, d.disabled, d.version, d.nonce_issued_ms \
                 FROM (SELECT coalesce(max(version), 0) AS v FROM devices) AS s \
                 LEFT JOIN devices d ON d.username = $1",
                &[&username],
            )
            .await
            .map_err(classify)?;
        let snapshot: i64 = r.get(0);
        let found: Option<String> = r.get(1);
        Ok((found.map(|_| entry_at(&r, 1)), snapshot))
    }

    pub(crate) async fn newest(&self, limit: usize) -> Result<(Vec<Entry>, i64), StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = get(&self.pool).await?;
        // One statement: the rows and the version they are a snapshot of agree.
        let rows = client
            .query(
                "WITH s AS (SELECT coalesce(max(version), 0) AS v FROM devices) \
                 SELECT s.v, d.username, d.device_id, d.secret_digest, d.nonce, d.algorithm, \
                 d.construction, d.carrier, d.disabled, d.version, d.nonce_issued_ms \
                 FROM s LEFT JOIN LATERAL (SELECT * FROM devices WHERE version <= s.v \
                 ORDER BY version DESC LIMIT $1) d ON true",
                &[&limit],
            )
            .await
            .map_err(classify)?;
        let snapshot = rows.first().map_or(0, |r| r.get(0));
        let entries = rows
            .iter()
            .filter(|r| r.get::<_, Option<String>>(1).is_some())
            .map(|r| entry_at(r, 1))
            .collect();
        Ok((entries, snapshot))
    }

    pub(crate) async fn changes_after(
        &self,
        version: i64,
        username: &str,
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = get(&self.pool).await?;
        let rows = client
            .query(
                &format!(
                    "{SELECT} WHERE version > $1 OR (version = $1 AND username > $2) \
                     ORDER BY version, username LIMIT $3"
                ),
                &[&version, &username, &limit],
            )
            .await
            .map_err(classify)?;
        Ok(rows.iter().map(entry).collect())
    }

    pub(crate) async fn get(&self, username: &str) -> Result<Option<Entry>, StoreError> {
        let client = get(&self.pool).await?;
        let row = client
            .query_opt(&format!("{SELECT} WHERE username = $1"), &[&username])
            .await
            .map_err(classify)?;
        Ok(row.as_ref().map(entry))
    }
}

/// Takes the writers' table lock and returns the version the change gets (commit order).
async fn lock_next_version(tx: &deadpool_postgres::Transaction<'_>) -> Result<i64, StoreError> {
    tx.batch_execute(LOCK).await.map_err(classify)?;
    Ok(tx
        .query_one("SELECT coalesce(max(version), 0) + 1 FROM devices", &[])
        .await
        .map_err(classify)?
        .get(0))
}

/// The registry writers' lock: versions are given in commit order under it. It conflicts with
/// itself and with row writes, never with the nodes' reads.
pub(crate) const LOCK: &str = "LOCK TABLE devices IN SHARE ROW EXCLUSIVE MODE";

/// Sets the device's nonce and its issue time, with the next registry version, in one statement
/// of the caller's open transaction (which must hold [`LOCK`], taken after every anti-replay row
/// lock of the transaction: see `PgTx::set_nonce`).
pub(crate) const SET_NONCE: &str = "UPDATE devices SET nonce = $1, nonce_issued_ms = $2, \
    version = (SELECT coalesce(max(version), 0) + 1 FROM devices) WHERE username = $3";

/// The columns of an [`Entry`], in [`entry`]'s order.
const SELECT: &str = "SELECT username, device_id, secret_digest, nonce, algorithm, \
    construction, carrier, disabled, version, nonce_issued_ms FROM devices";

fn entry(r: &tokio_postgres::Row) -> Entry {
    entry_at(r, 0)
}

/// An [`Entry`] from the columns of [`SELECT`] starting at column `at`.
fn entry_at(r: &tokio_postgres::Row, at: usize) -> Entry {
    Entry {
        username: r.get(at),
        device_id: r.get(at + 1),
        secret_digest: r.get(at + 2),
        nonce: r.get(at + 3),
        algorithm: r.get(at + 4),
        construction: r.get(at + 5),
        carrier: r.get(at + 6),
        disabled: r.get(at + 7),
        version: r.get(at + 8),
        nonce_issued_ms: r.get(at + 9),
    }
}
