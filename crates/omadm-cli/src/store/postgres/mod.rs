//! The networked store: PostgreSQL through `tokio-postgres` and a small `deadpool-postgres`
//! pool, shared by any number of `omadm serve` nodes.
//!
//! Each group commit is one transaction: the anti-replay rows of the tick's devices are locked
//! with `SELECT … FOR UPDATE` in username order (one global order, so two nodes never
//! deadlock), the verifier checks and advances each window, the changed windows and the reports
//! are written with one statement each, and the transaction commits before any request of the
//! tick is answered. A message posted to two nodes at once is therefore stored once: the second
//! transaction waits for the first one's row lock and then reads the window it committed.
//!
//! The writer calls this store from a blocking thread (`spawn_blocking`), so each step drives
//! its future with [`Handle::block_on`], bounded by [`STEP_TIMEOUT`].

mod query;
pub(crate) mod schema;
pub(crate) mod session;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio::runtime::Handle;
use tokio_postgres::NoTls;

use super::session::{SessionFinish, SessionStart};
use super::{AcceptedMessage, ReportQuery, ReportStore, StoreError, StoreTx};

/// The longest any one step (getting a connection, one statement, the commit) may take before
/// the transaction is given up as lost (and retried by the writer).
pub(crate) const STEP_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections per node: the writer uses one at a time; the rest serve the device registry and
/// the tools.
const POOL_SIZE: usize = 4;

/// A PostgreSQL database, by URL.
pub(crate) struct PgStore {
    pool: Pool,
    rt: Handle,
    /// Usernames whose `replay_state` row is known to exist (it is created once, outside the
    /// transactions, so that the transactions only ever lock existing rows in one order).
    known: HashSet<String>,
}

impl core::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects (the URL as libpq reads it: `postgres://user:password@host:port/db`), applies
    /// the migrations the database lacks when `migrate` is set, and checks the schema
    /// version. Must run inside the tokio runtime the store is later used with.
    pub(crate) async fn connect(url: &str, migrate: bool) -> Result<Self, StoreError> {
        let pool = pool(url)?;
        let mut client = get(&pool).await?;
        if migrate {
            schema::migrate(&mut client).await?;
        }
        schema::check(&client).await?;
        drop(client);
        Ok(Self {
            pool,
            rt: Handle::current(),
            known: HashSet::new(),
        })
    }

    /// Applies the migrations the database lacks; returns the versions before and after.
    pub(crate) async fn migrate(url: &str) -> Result<(i32, i32), StoreError> {
        let pool = pool(url)?;
        let mut client = get(&pool).await?;
        schema::migrate(&mut client).await
    }

    fn block<T>(
        &self,
        what: &str,
        f: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, StoreError> {
        block(&self.rt, what, f)
    }
}

impl ReportStore for PgStore {
    fn begin(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let client = self.rt.block_on(get(&self.pool))?;
        Ok(Box::new(PgTx {
            store: self,
            client: Some(client),
            open: false,
            registry_locked: false,
            states: HashMap::new(),
            changed: BTreeMap::new(),
            rows: Rows::default(),
        }))
    }

    fn supports_sessions(&self) -> bool {
        true
    }

    fn reader(&self) -> Result<Option<std::sync::Arc<dyn ReportQuery>>, StoreError> {
        Ok(Some(std::sync::Arc::new(query::PgQuery {
            pool: self.pool.clone(),
            rt: self.rt.clone(),
        })))
    }
}

/// One group commit.
struct PgTx<'a> {
    store: &'a mut PgStore,
    /// `None` only once dropped for good (a connection in an unknown state is not reused).
    client: Option<Object>,
    /// `BEGIN` sent and neither `COMMIT` nor `ROLLBACK` yet.
    open: bool,
    /// The registry writers' table lock is held (by `set_nonce`): no row lock may follow.
    registry_locked: bool,
    /// The locked rows' states.
    states: HashMap<String, Option<Vec<u8>>>,
    /// States changed by this transaction, written at commit.
    changed: BTreeMap<String, Vec<u8>>,
    /// Reports inserted at commit, column by column.
    rows: Rows,
}

impl PgTx<'_> {
    fn client(&self) -> Result<&Object, StoreError> {
        self.client
            .as_ref()
            .ok_or_else(|| StoreError::transient("connection dropped"))
    }

    fn open(&mut self) -> Result<(), StoreError> {
        if !self.open {
            let client = self.client()?;
            self.store.block("BEGIN", client.batch_execute("BEGIN"))?;
            self.open = true;
        }
        Ok(())
    }
}

impl StoreTx for PgTx<'_> {
    fn lock(&mut self, usernames: &[&str]) -> Result<(), StoreError> {
        let wanted: Vec<&str> = usernames
            .iter()
            .copied()
            .filter(|u| !self.states.contains_key(*u))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        if self.registry_locked {
            // Our bug, not a database failure: a row lock after the table lock could deadlock
            // with a node that holds the row and waits for the table.
            return Err(StoreError::new(
                "anti-replay rows locked after set_nonce (lock every device first)",
            ));
        }
        let missing: Vec<&str> = wanted
            .iter()
            .copied()
            .filter(|u| !self.store.known.contains(*u))
            .collect();
        if !missing.is_empty() {
            // Outside the transaction when it has not begun: the rows exist (unlocked) before
            // any transaction locks them, so lock order is only ever the username order.
            let client = self.client()?;
            self.store.block(
                "create anti-replay rows",
                client.execute(
                    "INSERT INTO replay_state (username) \
                     SELECT u FROM unnest($1::text[]) AS u ORDER BY u \
                     ON CONFLICT (username) DO NOTHING",
                    &[&missing],
                ),
            )?;
        }
        self.open()?;
        let client = self.client()?;
        let rows = self.store.block(
            "lock anti-replay rows",
            client.query(
                "SELECT username, state FROM replay_state WHERE username = ANY($1::text[]) \
                 ORDER BY username FOR UPDATE",
                &[&wanted],
            ),
        )?;
        let mut found = HashSet::with_capacity(rows.len());
        for row in rows {
            let username: String = row.get(0);
            let state: Option<Vec<u8>> = row.get(1);
            found.insert(username.clone());
            self.store.known.insert(username.clone());
            self.states.insert(username, state);
        }
        for username in wanted {
            if !found.contains(username) {
                // Deleted since we created it: created again at the next tick; the upsert at
                // commit keeps this tick's window.
                self.store.known.remove(username);
                self.states.insert(username.to_owned(), None);
            }
        }
        Ok(())
    }

    fn replay_state(&mut self, username: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(state) = self.changed.get(username) {
            return Ok(Some(state.clone()));
        }
        if !self.states.contains_key(username) {
            self.lock(&[username])?;
        }
        Ok(self.states.get(username).cloned().flatten())
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
        self.open()?;
        let client = self.client()?;
        if !self.registry_locked {
            self.store.block(
                "lock the device registry",
                client.batch_execute(crate::registry::pg::LOCK),
            )?;
            self.registry_locked = true;
        }
        let client = self.client()?;
        let n = self.store.block(
            "set the nonce",
            client.execute(
                crate::registry::pg::SET_NONCE,
                &[&nonce, &issued_ms, &username],
            ),
        )?;
        Ok(n == 1)
    }

    fn insert(&mut self, received_ms: i64, message: &AcceptedMessage) -> Result<(), StoreError> {
        self.rows.push(received_ms, message);
        Ok(())
    }

    fn session_start(&mut self, username: &str) -> Result<SessionStart, StoreError> {
        self.open()?;
        let client = self.client()?;
        let rows = self.store.block(
            "read the command queue",
            client.query(
                &format!(
                    "SELECT {} FROM command_queue WHERE username = $1 AND state = 'pending' \
                     ORDER BY id",
                    session::QUEUE_COLUMNS
                ),
                &[&username],
            ),
        )?;
        let queued = rows.iter().map(session::queued).collect();
        let discovered = self
            .store
            .block(
                "read discovery",
                client.query_opt("SELECT 1 FROM discovery WHERE username = $1", &[&username]),
            )?
            .is_some();
        Ok(SessionStart { queued, discovered })
    }

    fn session_finish(
        &mut self,
        finish: &SessionFinish,
        nonce_written: bool,
    ) -> Result<bool, StoreError> {
        self.open()?;
        let client = self.client()?;
        for a in &finish.answered {
            self.store.block(
                "mark a queued command answered",
                client.execute(
                    "UPDATE command_queue SET state = 'done', status = $1, results = $2, \
                     answered_ms = $3 WHERE id = $4 AND username = $5",
                    &[
                        &i32::from(a.status),
                        &a.results,
                        &finish.at_ms,
                        &a.id,
                        &finish.username,
                    ],
                ),
            )?;
        }
        if let Some(d) = &finish.discovery {
            self.store.block(
                "record discovery",
                client.execute(
                    "INSERT INTO discovery (username, discovered_ms, supported, status, \
                     placeholder, enabling_status) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (username) DO UPDATE SET discovered_ms = excluded.discovered_ms, \
                     supported = excluded.supported, status = excluded.status, \
                     placeholder = excluded.placeholder, enabling_status = excluded.enabling_status",
                    &[
                        &finish.username,
                        &finish.at_ms,
                        &d.supported,
                        &d.status.map(i32::from),
                        &d.placeholder,
                        &d.enabling_status.map(i32::from),
                    ],
                ),
            )?;
        }
        let (Some(nonce), Some(e), false) = (&finish.next_nonce, &finish.import, nonce_written)
        else {
            return Ok(nonce_written);
        };
        if !self.registry_locked {
            self.store.block(
                "lock the device registry",
                client.batch_execute(crate::registry::pg::LOCK),
            )?;
            self.registry_locked = true;
        }
        let client = self.client()?;
        self.store.block(
            "import the device",
            client.execute(
                "INSERT INTO devices (username, device_id, secret_digest, nonce, nonce_issued_ms, \
                 algorithm, construction, carrier, disabled, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false, \
                 (SELECT coalesce(max(version), 0) + 1 FROM devices))",
                &[
                    &e.username,
                    &e.device_id,
                    &e.secret_digest,
                    nonce,
                    &finish.at_ms,
                    &e.algorithm,
                    &e.construction,
                    &e.carrier,
                ],
            ),
        )?;
        Ok(true)
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.open()?;
        let changed = std::mem::take(&mut self.changed);
        let rows = std::mem::take(&mut self.rows);
        let client = self.client()?;
        if !changed.is_empty() {
            let (usernames, states): (Vec<String>, Vec<Vec<u8>>) = changed.into_iter().unzip();
            self.store.block(
                "save anti-replay state",
                client.execute(
                    "INSERT INTO replay_state (username, state) \
                     SELECT * FROM unnest($1::text[], $2::bytea[]) \
                     ON CONFLICT (username) DO UPDATE SET state = excluded.state",
                    &[&usernames, &states],
                ),
            )?;
        }
        if !rows.received_ms.is_empty() {
            self.store.block(
                "insert reports",
                client.execute(
                    "INSERT INTO reports (received_ms, device_id, username, msg_id, cmd_id, \
                     source_uri, type, format, mark, data) \
                     SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[], \
                     $5::int8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])",
                    &[
                        &rows.received_ms,
                        &rows.device_id,
                        &rows.username,
                        &rows.msg_id,
                        &rows.cmd_id,
                        &rows.source_uri,
                        &rows.alert_type,
                        &rows.format,
                        &rows.mark,
                        &rows.data,
                    ],
                ),
            )?;
        }
        self.store.block("COMMIT", client.batch_execute("COMMIT"))?;
        self.open = false;
        self.registry_locked = false;
        Ok(())
    }
}

impl Drop for PgTx<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        let rolled_back = match &self.client {
            Some(client) => self
                .store
                .block("ROLLBACK", client.batch_execute("ROLLBACK"))
                .is_ok(),
            None => true,
        };
        if !rolled_back && let Some(client) = self.client.take() {
            // State unknown: close the connection (the server rolls back) instead of pooling it.
            drop(Object::take(client));
        }
    }
}

/// The reports of a tick as columns, for one `INSERT … SELECT * FROM unnest(…)`.
#[derive(Default)]
struct Rows {
    received_ms: Vec<i64>,
    device_id: Vec<String>,
    username: Vec<String>,
    msg_id: Vec<i64>,
    cmd_id: Vec<i64>,
    source_uri: Vec<Option<String>>,
    alert_type: Vec<String>,
    format: Vec<String>,
    mark: Vec<Option<String>>,
    data: Vec<String>,
}

impl Rows {
    fn push(&mut self, received_ms: i64, message: &AcceptedMessage) {
        for report in &message.reports {
            self.received_ms.push(received_ms);
            self.device_id.push(message.device_id.clone());
            self.username.push(message.username.clone());
            self.msg_id.push(i64::from(message.msg_id));
            self.cmd_id.push(i64::from(report.cmd_id));
            self.source_uri.push(report.source_uri.clone());
            self.alert_type.push(report.alert_type.clone());
            self.format.push(report.format.clone());
            self.mark.push(report.mark.clone());
            self.data.push(report.data.clone());
        }
    }
}

/// A pool for `url`: bounded waits everywhere, closed connections replaced on the next use (so
/// a database restart needs no operator).
pub(crate) fn pool(url: &str) -> Result<Pool, StoreError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::new(format!("invalid PostgreSQL URL: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(STEP_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("omadm");
    }
    // A node that hangs inside a transaction must not hold its row locks for long; a lock that
    // long in coming is a failure to retry, not a wait.
    let mut options = config.get_options().unwrap_or_default().to_owned();
    options.push_str(" -c lock_timeout=4s -c idle_in_transaction_session_timeout=15s");
    config.options(options.trim());
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(POOL_SIZE)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(STEP_TIMEOUT))
        .create_timeout(Some(STEP_TIMEOUT))
        .recycle_timeout(Some(STEP_TIMEOUT))
        .build()
        .map_err(|e| StoreError::new(format!("cannot build the connection pool: {e}")))
}

/// A connection from the pool (a failure to get one is transient: the database may be
/// restarting).
pub(crate) async fn get(pool: &Pool) -> Result<Object, StoreError> {
    pool.get().await.map_err(|e| {
        StoreError::transient(format!("cannot connect to PostgreSQL: {}", pool_reason(&e)))
    })
}

fn pool_reason(e: &deadpool_postgres::PoolError) -> String {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(e) => pg_reason(e),
        other => other.to_string(),
    }
}

/// Runs `f` to completion on `rt` from a blocking thread, within [`STEP_TIMEOUT`].
fn block<T>(
    rt: &Handle,
    what: &str,
    f: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, StoreError> {
    match rt.block_on(tokio::time::timeout(STEP_TIMEOUT, f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(classify_step(what, &e)),
        Err(_) => Err(StoreError::transient(format!(
            "{what}: no answer within {} s",
            STEP_TIMEOUT.as_secs()
        ))),
    }
}

/// A driver error as a [`StoreError`], transient when a new attempt may succeed.
pub(crate) fn classify(e: tokio_postgres::Error) -> StoreError {
    classify_step("query", &e)
}

fn classify_step(what: &str, e: &tokio_postgres::Error) -> StoreError {
    let message = format!("{what}: {}", pg_reason(e));
    if is_transient(e) {
        StoreError::transient(message)
    } else {
        StoreError::new(message)
    }
}

/// Serialization failures, deadlocks, lock timeouts, shutdowns and lost connections; never a
/// constraint or syntax error.
fn is_transient(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        // No SQLSTATE: the connection failed, closed or timed out.
        None => true,
        Some(state) => {
            let code = state.code();
            code.starts_with("08")
                || code.starts_with("40")
                || code.starts_with("57P")
                || code == "55P03"
                || code == "25P03"
                || code == "53300"
        }
    }
}

/// The server's message (with its SQLSTATE) or the driver's.
fn pg_reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            use std::error::Error as _;
            match e.source() {
                Some(source) => format!("{e}: {source}"),
                None => e.to_string(),
            }
        }
    }
}
