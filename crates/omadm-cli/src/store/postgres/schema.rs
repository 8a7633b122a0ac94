//! The PostgreSQL schema as numbered migrations, applied in order under an advisory lock (so
//! that nodes starting together do not race), and the version check every node makes.

use tokio_postgres::Client;

use super::classify;
use crate::store::StoreError;

/// `(version, what it does, SQL)`, oldest first. A released migration is never edited: a change
/// is a new row.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "reports and per-device anti-replay state",
        "
CREATE TABLE reports (
    id          bigserial PRIMARY KEY,
    received_ms bigint NOT NULL,  -- Unix time in milliseconds
    device_id   text   NOT NULL,  -- SyncHdr/Source/LocURI
    username    text   NOT NULL,  -- SyncHdr/Source/LocName
    msg_id      bigint NOT NULL,
    cmd_id      bigint NOT NULL,
    source_uri  text,             -- Item/Source/LocURI
    type        text   NOT NULL,
    format      text   NOT NULL,
    mark        text,
    data        text   NOT NULL
);
CREATE INDEX reports_by_device ON reports (username, msg_id);
CREATE TABLE replay_state (
    username text PRIMARY KEY,
    state    bytea            -- the verifier's serialised window; NULL: never saved
);
",
    ),
    (
        2,
        "device registry",
        "
CREATE TABLE devices (
    username      text    PRIMARY KEY,  -- SyncHdr/Source/LocName, the Cred username
    device_id     text    NOT NULL,     -- SyncHdr/Source/LocURI
    secret_digest text    NOT NULL,     -- B64(H(username:secret)); never the secret
    nonce         text    NOT NULL,     -- the last nonce issued (base64)
    algorithm     text    NOT NULL,
    construction  text    NOT NULL,
    carrier       text    NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    version       bigint  NOT NULL      -- the registry change that last wrote the row
);
CREATE INDEX devices_by_version ON devices (version);
",
    ),
    (
        3,
        "when each device's nonce was set",
        "
-- Unix ms; NULL: set before this was recorded.
ALTER TABLE devices ADD COLUMN nonce_issued_ms bigint;
",
    ),
    (
        4,
        "DM sessions: the command queue and what discovery learnt",
        "
CREATE TABLE command_queue (
    id          bigserial PRIMARY KEY,
    username    text    NOT NULL,
    queued_ms   bigint  NOT NULL,
    command     text    NOT NULL,  -- get | replace | add | delete | exec
    uri         text    NOT NULL,
    data        text,
    format      text,
    state       text    NOT NULL DEFAULT 'pending',  -- pending | done
    status      integer,           -- the device's Status code
    results     text,              -- a Get's results (JSON)
    answered_ms bigint
);
CREATE INDEX command_queue_pending ON command_queue (username, state, id);
CREATE TABLE discovery (
    username        text    PRIMARY KEY,
    discovered_ms   bigint  NOT NULL,
    supported       boolean,       -- ./DevDetail/SessionlessRpt (NULL: absent or not bool)
    status          integer,       -- the Get's Status
    placeholder     boolean,       -- the placeholder answered 200 (NULL: no target)
    enabling_status integer        -- the enabling Replace's Status
);
",
    ),
];

/// The schema version this build writes and reads.
pub(crate) const SCHEMA_VERSION: i32 = latest();

const fn latest() -> i32 {
    match MIGRATIONS.last() {
        Some((version, _, _)) => *version,
        None => 0,
    }
}

/// The key of the advisory lock that serialises migrations ("omadm" in ASCII).
const MIGRATION_LOCK: i64 = 0x6f_6d_61_64_6d;

/// Applies every migration the database lacks; returns the versions before and after.
pub(crate) async fn migrate(client: &mut Client) -> Result<(i32, i32), StoreError> {
    migrate_to(client, SCHEMA_VERSION).await
}

/// Applies the migrations up to `target` (tests build old schemas with it).
pub(crate) async fn migrate_to(client: &mut Client, target: i32) -> Result<(i32, i32), StoreError> {
    let tx = client.transaction().await.map_err(classify)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(classify)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     integer PRIMARY KEY,
             description text NOT NULL,
             applied_at  timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(classify)?;
    let before = current(&tx).await?;
    refuse_newer(before)?;
    for &(version, description, sql) in MIGRATIONS {
        if version <= before || version > target {
            continue;
        }
        tx.batch_execute(sql)
            .await
            .map_err(|e| StoreError::new(format!("migration {version} ({description}): {e}")))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description) VALUES ($1, $2)",
            &[&version, &description],
        )
        .await
        .map_err(classify)?;
    }
    tx.commit().await.map_err(classify)?;
    Ok((before, target.max(before)))
}

/// The database's schema version, which must be this build's.
pub(crate) async fn check(client: &Client) -> Result<i32, StoreError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(classify)?
        .get(0);
    let version = if exists { current(client).await? } else { 0 };
    refuse_newer(version)?;
    if version < SCHEMA_VERSION {
        return Err(StoreError::new(format!(
            "the database has schema version {version}, this tool needs {SCHEMA_VERSION} \
             (run `omadm db migrate`)"
        )));
    }
    Ok(version)
}

async fn current(client: &impl tokio_postgres::GenericClient) -> Result<i32, StoreError> {
    let row = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await
        .map_err(classify)?;
    Ok(row.get(0))
}

fn refuse_newer(version: i32) -> Result<(), StoreError> {
    if version > SCHEMA_VERSION {
        return Err(StoreError::new(format!(
            "the database has schema version {version}, newer than this tool's {SCHEMA_VERSION}"
        )));
    }
    Ok(())
}
