//! The DM session tables in PostgreSQL (migration 4): the command queue as `omadm queue` edits
//! it, and the rows the writer reads and writes (see `store::session`).

use tokio_postgres::Row;

use super::{classify, get, pool};
use crate::store::{QueuedCommand, StoreError};

/// The columns of a [`QueuedCommand`], in [`queued`]'s order.
pub(super) const QUEUE_COLUMNS: &str = "id, username, queued_ms, command, uri, data, format, \
    state, status, results, answered_ms";

pub(super) fn queued(r: &Row) -> QueuedCommand {
    QueuedCommand {
        id: r.get(0),
        username: r.get(1),
        queued_ms: r.get(2),
        command: r.get(3),
        uri: r.get(4),
        data: r.get(5),
        format: r.get(6),
        state: r.get(7),
        status: r
            .get::<_, Option<i32>>(8)
            .and_then(|s| u16::try_from(s).ok()),
        results: r.get(9),
        answered_ms: r.get(10),
    }
}

/// Queues one command for `username` in the database at `url`; returns its id.
pub(crate) async fn enqueue(
    url: &str,
    username: &str,
    queued_ms: i64,
    command: &str,
    uri: &str,
    data: Option<&str>,
    format: Option<&str>,
) -> Result<i64, StoreError> {
    super::PgStore::connect(url, true).await?;
    let client = get(&pool(url)?).await?;
    let row = client
        .query_one(
            "INSERT INTO command_queue (username, queued_ms, command, uri, data, format) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&username, &queued_ms, &command, &uri, &data, &format],
        )
        .await
        .map_err(classify)?;
    Ok(row.get(0))
}

/// Every queued command (of `username` if given), oldest first.
pub(crate) async fn list(
    url: &str,
    username: Option<&str>,
) -> Result<Vec<QueuedCommand>, StoreError> {
    super::PgStore::connect(url, true).await?;
    let client = get(&pool(url)?).await?;
    let rows = client
        .query(
            &format!(
                "SELECT {QUEUE_COLUMNS} FROM command_queue \
                 WHERE $1::text IS NULL OR username = $1 ORDER BY id"
            ),
            &[&username],
        )
        .await
        .map_err(classify)?;
    Ok(rows.iter().map(queued).collect())
}
