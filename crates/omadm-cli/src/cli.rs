//! The command line: every subcommand and flag, with the help text `--help` prints.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use omadm_dmsec::Carrier;
use omadm_syncml::Encoding;

use crate::config::parse_carrier;

/// Emit, send, verify, lint, inspect and serve OMA DM Sessionless Reports.
#[derive(Debug, Parser)]
#[command(name = "omadm", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Build signed sessionless report messages and write them to files.
    Emit(EmitArgs),
    /// Build signed messages and POST them to a server (or load-test one).
    Send(SendArgs),
    /// Verify one received message as the server would; print the accepted reports as JSON lines.
    Verify(VerifyArgs),
    /// List every sessionless-profile violation of messages, with its conformance id.
    Lint(LintArgs),
    /// Show a decoded message, readable or as JSON.
    Inspect(InspectArgs),
    /// Convert a message between XML and WBXML, strictly (bad input: exit 2).
    Convert(ConvertArgs),
    /// Run the ingestion server: verify POSTed reports and store the accepted ones in SQLite.
    Serve(ServeArgs),
    /// Start a server in-process, send good and bad reports to it, and show what it did.
    Demo(DemoArgs),
    /// Database maintenance (schema migrations) for SQLite files and PostgreSQL URLs.
    #[command(subcommand)]
    Db(DbCommand),
    /// The device registry in the database, which running servers follow without a restart.
    #[command(subcommand)]
    Devices(DevicesCommand),
    /// Run a device's DM session against a server and store the new nonce in the state file,
    /// where `emit` and `send` read it.
    Session(SessionArgs),
    /// Server commands for a device's next DM session: queue and list them.
    #[command(subcommand)]
    Queue(QueueCommand),
}

/// What every emitting command needs.
#[derive(Debug, Args)]
pub(crate) struct EmitCommon {
    /// The devices file (TOML, `[[device]]` entries with username, device_id, secret, nonce).
    #[arg(long, value_name = "F")]
    pub(crate) devices: PathBuf,
    /// The reports: a JSON array of {"source_uri"?, "type", "format", "mark"?, "data"}.
    #[arg(long, value_name = "R.json")]
    pub(crate) reports: PathBuf,
    /// Where the MAC travels: in-message or header (default: the device's `carrier`, else
    /// in-message).
    #[arg(long, value_name = "C", value_parser = parse_carrier)]
    pub(crate) carrier: Option<Carrier>,
    /// The server's MaxMsgSize in bytes (default: the device's `max_msg_size`, else 16384).
    #[arg(long, value_name = "N")]
    pub(crate) max_msg_size: Option<usize>,
    /// How messages are encoded: xml or wbxml (default: the device's `encoding`, else xml).
    /// WBXML is sent as `application/vnd.syncml.dm+wbxml`; MaxMsgSize counts its bytes.
    #[arg(long, value_name = "E")]
    pub(crate) encoding: Option<Encoding>,
    /// A JSON file holding the next MsgID per device; read (created if missing) and updated.
    #[arg(long, value_name = "S")]
    pub(crate) state: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct EmitArgs {
    #[command(flatten)]
    pub(crate) common: EmitCommon,
    /// The device (its username in the devices file).
    #[arg(long, value_name = "USER")]
    pub(crate) device: String,
    /// SyncHdr/Target/LocURI: the server's URI.
    #[arg(long, value_name = "URI")]
    pub(crate) server_uri: String,
    /// Output directory (created if needed): 0001.xml, 0002.xml, … (0001.wbxml, … in WBXML)
    /// and, for the header carrier, 0001.headers, ….
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    pub(crate) common: EmitCommon,
    /// The device to send as; repeat to send from several devices.
    #[arg(long, value_name = "USER", required_unless_present = "all_devices")]
    pub(crate) device: Vec<String>,
    /// Send from every device of the devices file.
    #[arg(long, conflicts_with = "device")]
    pub(crate) all_devices: bool,
    /// The server's URL (http:// only; put TLS in a proxy). Repeat it to spread the load over
    /// several servers: connection w sends to URL w mod n, and a device always to the same one.
    #[arg(long, value_name = "URL", required = true)]
    pub(crate) url: Vec<String>,
    /// SyncHdr/Target/LocURI (default: the URL).
    #[arg(long, value_name = "URI")]
    pub(crate) server_uri: Option<String>,
    /// Send the reports this many times per device (fresh MsgIDs each time): a load generator.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) repeat: u32,
    /// Messages in flight at once (one connection each).
    #[arg(long, value_name = "C", default_value_t = 1)]
    pub(crate) concurrency: usize,
    /// Retries of a failed POST (connect error, timeout, 5xx), with the same bytes.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) retries: u32,
    /// Timeout of one POST attempt, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub(crate) timeout: f64,
    /// No progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The devices file (server side: `secret_digest` per device).
    #[arg(long, value_name = "F")]
    pub(crate) devices: PathBuf,
    /// The `x-syncml-hmac` header the message came with (`x-syncml-hmac: …` or just the value).
    #[arg(long, value_name = "HEADER")]
    pub(crate) header: Option<String>,
    /// The server's MaxMsgSize in bytes.
    #[arg(long, value_name = "N", default_value_t = 16384)]
    pub(crate) max_msg_size: usize,
    /// The encoding the message came as: xml or wbxml (default: told by its first bytes). The
    /// verifier is given its media type, as a server the `Content-Type`: a body that shows the
    /// other encoding is ignored (`media-type-mismatch`).
    #[arg(long, value_name = "E")]
    pub(crate) encoding: Option<Encoding>,
    /// The message file (the exact bytes received).
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Message files (XML or WBXML, told apart by their first bytes).
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Decode every file as xml or wbxml instead of telling by its first bytes.
    #[arg(long, value_name = "E")]
    pub(crate) encoding: Option<Encoding>,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The message file (XML or WBXML, told apart by its first bytes).
    pub(crate) file: PathBuf,
    /// Decode the file as xml or wbxml instead of telling by its first bytes.
    #[arg(long, value_name = "E")]
    pub(crate) encoding: Option<Encoding>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The arguments of `convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The message file (XML or WBXML, told apart by its first bytes).
    pub(crate) input: PathBuf,
    /// The encoding to write: xml or wbxml (default: the other one).
    #[arg(long, value_name = "E")]
    pub(crate) to: Option<Encoding>,
    /// Where to write (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    pub(crate) output: Option<PathBuf>,
}

/// Storage back end of `serve`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum StoreKind {
    /// SQLite (WAL, synchronous=FULL) at --db.
    #[default]
    Sqlite,
    /// No storage: anti-replay in memory, reports dropped (for measurements only).
    None,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The DM endpoint's address (POST / and /dm).
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: SocketAddr,
    /// The devices file (server side: `secret_digest` per device). Devices of the database's
    /// registry (`omadm devices`) are served too, and win over the file's.
    #[arg(long, value_name = "F")]
    pub(crate) devices: Option<PathBuf>,
    /// The database: a SQLite file (created if missing) or a `postgres://user@host/db` URL.
    #[arg(long, value_name = "PATH|URL", required_if_eq("store", "sqlite"))]
    pub(crate) db: Option<PathBuf>,
    /// Storage back end.
    #[arg(long, value_enum, default_value_t = StoreKind::Sqlite)]
    pub(crate) store: StoreKind,
    /// Most devices of the `--db` registry held in memory; others are read from the database
    /// when they send (and the least recently used one makes room).
    #[arg(long, value_name = "N", default_value_t = crate::registry::DEFAULT_CACHE,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) registry_cache: u64,
    /// The server's MaxMsgSize in bytes; larger bodies are ignored unread.
    #[arg(long, value_name = "N", default_value_t = 16384)]
    pub(crate) max_msg_size: usize,
    /// Where to serve Prometheus `/metrics` (never on the DM port).
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// Seconds a client may take to send the request head.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub(crate) header_timeout: f64,
    /// Seconds a client may take to send the body.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub(crate) body_timeout: f64,
    /// Most connections served at once.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub(crate) max_connections: usize,
    /// Group-commit tick in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5)]
    pub(crate) tick_ms: u64,
    /// Most messages per group commit.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub(crate) max_batch: usize,
    /// Log lines as text or as JSON objects (one per line, fields at the top level).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Seconds between the info lines that sum up the traffic (0: none).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub(crate) summary_interval: f64,
    /// How devices authenticate in their DM sessions (messages whose SessionID is not 0).
    #[arg(long, value_enum, default_value_t = SessionAuth::Hmac)]
    pub(crate) session_auth: SessionAuth,
    /// Seconds a DM session may stay silent between two messages before it ends.
    #[arg(long, value_name = "SECS", default_value_t = 300.0)]
    pub(crate) session_timeout: f64,
    /// Most DM sessions live at once (a new one beyond it is answered 503).
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub(crate) max_sessions: usize,
    /// Do not run discovery (a Get of ./DevDetail/SessionlessRpt) in a device's first session.
    #[arg(long)]
    pub(crate) no_discovery: bool,
    /// Discovery also reads this placeholder node (the MO's, e.g. ./Vendor/MO/SessionlessRpt)
    /// and, when the device supports the feature and the placeholder answers 200, sets the
    /// --discovery-set nodes in one Replace.
    #[arg(long, value_name = "URI", conflicts_with = "no_discovery")]
    pub(crate) discovery_placeholder: Option<String>,
    /// A node discovery sets (repeatable): URI=VALUE, or URI=FORMAT:VALUE with FORMAT one of
    /// chr, int, bool (default chr).
    #[arg(long, value_name = "URI=VALUE", requires = "discovery_placeholder")]
    pub(crate) discovery_set: Vec<String>,
}

/// How `serve` writes its log lines (to stderr).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for log shippers).
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Keep the temporary directory (devices, database) and print its path.
    #[arg(long)]
    pub(crate) keep: bool,
    /// Also serve the status page, JSON API and `/metrics` here (e.g. 127.0.0.1:9100).
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// Seconds to keep the server (and its status page) up after the traffic (Ctrl-C ends early).
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub(crate) linger: f64,
}

/// `omadm db …`.
#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Apply the schema migrations the database lacks (`serve` also does at start).
    Migrate(DbArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    /// A SQLite file or a `postgres://user@host/db` URL.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) db: PathBuf,
}

/// `omadm devices …`.
#[derive(Debug, Subcommand)]
pub(crate) enum DevicesCommand {
    /// Add (or replace) every device of a devices file; a `secret` is stored as its digest.
    Import(DevicesImportArgs),
    /// Add one device and print its device-side entry (with the secret) once.
    Add(DevicesAddArgs),
    /// List the devices (never their secrets or digests).
    List(DevicesListArgs),
    /// Give a device a new random nonce and print it (the device must be given it).
    RotateNonce(DevicesUserArgs),
    /// Disable a device: its messages are ignored from the next poll of every server on.
    Disable(DevicesUserArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DevicesImportArgs {
    /// A SQLite file or a `postgres://user@host/db` URL.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) db: PathBuf,
    /// The devices file (TOML, `[[device]]` entries).
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("secret_source").required(true).args(["secret_from_stdin", "generate"])))]
pub(crate) struct DevicesAddArgs {
    /// A SQLite file or a `postgres://user@host/db` URL.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) db: PathBuf,
    /// `SyncHdr/Source/LocName`, the Cred username.
    #[arg(long, value_name = "U")]
    pub(crate) username: String,
    /// `SyncHdr/Source/LocURI`.
    #[arg(long, value_name = "ID")]
    pub(crate) device_id: String,
    /// Read the secret from the first line of standard input.
    #[arg(long)]
    pub(crate) secret_from_stdin: bool,
    /// Generate a random 128-bit secret.
    #[arg(long)]
    pub(crate) generate: bool,
    /// Where the MAC travels: in-message or header.
    #[arg(long, value_name = "C", value_parser = parse_carrier, default_value = "in-message")]
    pub(crate) carrier: Carrier,
    /// The pinned hash: SHA256 or MD5.
    #[arg(long, value_name = "ALG", default_value = "SHA256")]
    pub(crate) algorithm: String,
    /// The pinned MAC construction: digest or rfc2104.
    #[arg(long, value_name = "C", default_value = "digest")]
    pub(crate) construction: String,
}

#[derive(Debug, Args)]
pub(crate) struct DevicesListArgs {
    /// A SQLite file or a `postgres://user@host/db` URL.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) db: PathBuf,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DevicesUserArgs {
    /// A SQLite file or a `postgres://user@host/db` URL.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) db: PathBuf,
    /// The device's username.
    pub(crate) username: String,
}

/// How a device authenticates in its DM sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SessionAuth {
    /// `x-syncml-hmac` over every message, with the device's algorithm and construction.
    Hmac,
    /// An auth-md5 `Cred` in package 1.
    Md5,
}

/// `omadm queue …`.
#[derive(Debug, Subcommand)]
pub(crate) enum QueueCommand {
    /// Queue one command for the device's next DM session: get URI, replace URI VALUE,
    /// add URI [VALUE], delete URI, exec URI [DATA].
    Add(QueueAddArgs),
    /// List the queued commands (pending and answered, with the device's answers).
    List(QueueListArgs),
}

#[derive(Debug, Args)]
pub(crate) struct QueueAddArgs {
    /// The database `serve` uses: a SQLite file or a `postgres://user@host/db` URL.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) db: PathBuf,
    /// The device's username.
    #[arg(long, value_name = "USER")]
    pub(crate) device: String,
    /// `Meta/Format` of the value (replace, add).
    #[arg(long, value_name = "F", default_value = "chr")]
    pub(crate) format: String,
    /// The command: get, replace, add, delete or exec.
    #[arg(value_name = "COMMAND")]
    pub(crate) command: String,
    /// The target node's URI (e.g. ./DevDetail/SwV).
    #[arg(value_name = "URI")]
    pub(crate) uri: String,
    /// The value (replace, add) or the Exec data.
    #[arg(value_name = "VALUE")]
    pub(crate) value: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct QueueListArgs {
    /// The database `serve` uses: a SQLite file or a `postgres://user@host/db` URL.
    #[arg(long, value_name = "PATH|URL")]
    pub(crate) db: PathBuf,
    /// Only this device's commands.
    #[arg(long, value_name = "USER")]
    pub(crate) device: Option<String>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SessionArgs {
    /// The devices file (the device side: `secret`).
    #[arg(long, value_name = "F")]
    pub(crate) devices: PathBuf,
    /// The device (its username in the devices file).
    #[arg(long, value_name = "USER")]
    pub(crate) device: String,
    /// The server's URL (http:// only; put TLS in a proxy).
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,
    /// SyncHdr/Target/LocURI (default: the URL).
    #[arg(long, value_name = "URI")]
    pub(crate) server_uri: Option<String>,
    /// The state file `emit` and `send` read: the nonce the session issued is stored there.
    #[arg(long, value_name = "S")]
    pub(crate) state: PathBuf,
    /// The SessionID (default: derived from the clock).
    #[arg(long, value_name = "ID")]
    pub(crate) session_id: Option<String>,
    /// The scheme the server pins the device to.
    #[arg(long, value_enum, default_value_t = SessionAuth::Hmac)]
    pub(crate) auth: SessionAuth,
    /// Timeout of one exchange, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub(crate) timeout: f64,
}
