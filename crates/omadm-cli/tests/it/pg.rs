//! A throw-away PostgreSQL for the multi-node tests: `initdb` and `postgres` (through
//! `pg_ctl`) under a temporary directory, on a free loopback port, as the `postgres` system user
//! when the tests run as root — or, when `OMADM_TEST_POSTGRES` holds a URL, a fresh database in
//! that server. Never skipped: without binaries the test fails and names the package.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The package that provides `initdb`, `pg_ctl` and `postgres`.
pub(crate) const PACKAGE: &str = "postgresql-15";

/// A PostgreSQL database for one test.
pub(crate) struct Postgres {
    /// `postgres://…` of the test's database.
    pub(crate) url: String,
    own: Option<Cluster>,
    /// The external server's admin URL and the database made in it (dropped afterwards).
    external: Option<(String, String)>,
}

struct Cluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    socket_dir: PathBuf,
    log: PathBuf,
    port: u16,
    bin: PathBuf,
    as_postgres: bool,
}

impl Postgres {
    /// Starts a cluster (or makes a database in `OMADM_TEST_POSTGRES`).
    pub(crate) fn start() -> Self {
        if let Ok(admin) = std::env::var("OMADM_TEST_POSTGRES")
            && !admin.trim().is_empty()
        {
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let name = format!(
                "omadm_test_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            execute(&admin, &format!("CREATE DATABASE {name}"));
            let url = with_database(&admin, &name);
            return Self {
                url,
                own: None,
                external: Some((admin, name)),
            };
        }
        let cluster = Cluster::init();
        cluster.start();
        let url = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);
        Self {
            url,
            own: Some(cluster),
            external: None,
        }
    }

    /// Takes the database away and brings it back: a real stop and start (immediate mode: the
    /// server crashes and recovers from its WAL) for an own cluster; for an external server,
    /// every connection of the test's database is terminated.
    pub(crate) fn restart(&self, down_for: Duration) {
        match &self.own {
            Some(cluster) => {
                cluster.stop("immediate");
                std::thread::sleep(down_for);
                cluster.start();
            }
            None => {
                let (admin, name) = self.external.as_ref().unwrap();
                execute(
                    admin,
                    &format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                    ),
                );
            }
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(cluster) = &self.own {
            cluster.stop("fast");
        }
        if let Some((admin, name)) = &self.external {
            let _ = try_execute(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

impl Cluster {
    fn init() -> Self {
        let bin = find_bin();
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("omadm-pg-")
            .tempdir()
            .unwrap();
        if as_postgres {
            let (uid, gid) = postgres_ids();
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let data = dir.path().join("data");
        let socket_dir = dir.path().to_owned();
        let log = dir.path().join("postgres.log");
        let cluster = Self {
            _dir: dir,
            data,
            socket_dir,
            log,
            port: 0,
            bin,
            as_postgres,
        };
        let out = cluster.run(
            "initdb",
            &[
                "-D".as_ref(),
                cluster.data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-sync".as_ref(),
                "--no-instructions".as_ref(),
            ],
        );
        assert!(out.status.success(), "initdb failed: {}", text(&out));
        Self {
            port: free_port(),
            ..cluster
        }
    }

    /// `pg_ctl start`, waiting until the server accepts connections.
    fn start(&self) {
        // fsync off: the tests kill servers, not machines (a crash of the postgres processes
        // still loses nothing committed: the WAL is in the OS's page cache).
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off \
             -c max_connections=40 -c shared_buffers=32MB",
            self.port,
            self.socket_dir.display()
        );
        let out = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data.as_os_str(),
                "-l".as_ref(),
                self.log.as_os_str(),
                "-o".as_ref(),
                options.as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "30".as_ref(),
                "start".as_ref(),
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            text(&out),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// `pg_ctl stop` in `mode` (fast, immediate), waiting at most 20 s.
    fn stop(&self, mode: &str) {
        let _ = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data.as_os_str(),
                "-m".as_ref(),
                mode.as_ref(),
                "-w".as_ref(),
                "-t".as_ref(),
                "20".as_ref(),
                "stop".as_ref(),
            ],
        );
    }

    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) -> Output {
        let program = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        cmd.args(args)
            .current_dir(&self.socket_dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()))
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: `OMADM_PG_BIN`, else `PATH`, else
/// Debian's `/usr/lib/postgresql/<version>/bin` (newest first).
fn find_bin() -> PathBuf {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("OMADM_PG_BIN") {
        candidates.push(dir.into());
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev());
    }
    candidates
        .into_iter()
        .find(|dir| has_all(dir))
        .map(|dir| {
            // /usr/local/bin/initdb may be a symlink into Debian's directory: resolve it, so that
            // pg_ctl finds its own postgres.
            std::fs::canonicalize(dir.join("initdb"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_owned))
                .filter(|d| has_all(d))
                .unwrap_or(dir)
        })
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in OMADM_PG_BIN, \
                 PATH or /usr/lib/postgresql/*/bin: install {PACKAGE} (Debian package \
                 {PACKAGE}: apt-get install {PACKAGE}; `cargo xtask ci` does it), or set \
                 OMADM_TEST_POSTGRES=postgres://user@host:port/db to use a running server"
            )
        })
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// The uid and gid of the `postgres` system user, which the server runs as under root.
fn postgres_ids() -> (u32, u32) {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    match (id("-u"), id("-g")) {
        (Some(uid), Some(gid)) => (uid, gid),
        _ => panic!(
            "running as root, the test cluster runs as the `postgres` system user, which does \
             not exist: install {PACKAGE} (Debian package {PACKAGE} creates it)"
        ),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let base = match rest.find('/') {
        Some(i) => &base[..base.len() - rest.len() + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn try_execute(url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    runtime().block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        let task = tokio::spawn(conn);
        let result = client.batch_execute(sql).await;
        drop(client);
        let _ = task.await;
        result
    })
}

/// Runs `sql` (no result rows wanted).
pub(crate) fn execute(url: &str, sql: &str) {
    try_execute(url, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs a query; every row as text columns.
pub(crate) fn query(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    runtime().block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        let task = tokio::spawn(conn);
        let messages = client
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        drop(client);
        let _ = task.await;
        messages
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    })
}

/// Rows of the reports table: (username, msg_id, cmd_id, data), in insertion order.
pub(crate) fn report_rows(url: &str) -> Vec<(String, u32, u32, String)> {
    query(
        url,
        "SELECT username, msg_id, cmd_id, data FROM reports ORDER BY id",
    )
    .into_iter()
    .map(|r| {
        let col = |i: usize| r[i].clone().unwrap();
        (
            col(0),
            col(1).parse().unwrap(),
            col(2).parse().unwrap(),
            col(3),
        )
    })
    .collect()
}
