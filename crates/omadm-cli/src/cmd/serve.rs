//! `omadm serve`: the ingestion server until SIGINT or SIGTERM.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use omadm_session::NodeValue;
use omadm_session::discovery::DiscoveryTarget;

use crate::cli::{ServeArgs, SessionAuth, StoreKind};
use crate::config::Devices;
use crate::error::{CliError, io_reason};
use crate::registry::{self, Registry};
use crate::server::{self, ServerConfig, SessionAuthMode, SessionConfig, Tick};
use crate::store::{self, Location, NullStore, ReportStore};
use crate::verification::ServerSide;

pub(crate) fn run(args: &ServeArgs) -> Result<ExitCode, CliError> {
    crate::init_tracing(tracing::Level::INFO, args.log_format);
    let gate = match &args.devices {
        Some(path) => {
            let devices = Devices::load(path)?;
            devices.warn_plain_secrets_for_server();
            ServerSide::new(&devices, args.max_msg_size)?
        }
        None if args.db.is_some() => ServerSide::registry_only(args.max_msg_size),
        None => {
            return Err(CliError::input(
                "serve needs --devices FILE or a --db whose device registry holds the devices",
            ));
        }
    };
    let rt = runtime()?;
    let store: Box<dyn ReportStore> = match (args.store, &args.db) {
        (StoreKind::None, _) => Box::new(NullStore::default()),
        (StoreKind::Sqlite, Some(db)) => rt.block_on(open_store(db))?,
        (StoreKind::Sqlite, None) => {
            return Err(CliError::input("--db is required with --store sqlite"));
        }
    };
    let gate = match &args.db {
        Some(db) => {
            // The registry in the database: its newest devices cached before listening (up to
            // --registry-cache), then followed.
            let location = Location::parse(db);
            let opened = rt.block_on(async {
                let registry = Arc::new(Registry::open(&location).await?);
                let gate = Arc::new(gate.with_registry(
                    Arc::clone(&registry),
                    usize::try_from(args.registry_cache).unwrap_or(usize::MAX),
                ));
                let last = registry::load(&registry, &gate).await?;
                let follower = registry::follow(registry, Arc::clone(&gate), last);
                Ok::<_, store::StoreError>((gate, follower))
            });
            let (gate, follower) = opened.map_err(|e| {
                CliError::input(format!(
                    "cannot read the device registry in {location}: {e}"
                ))
            })?;
            rt.spawn(follower);
            gate
        }
        None => Arc::new(gate),
    };
    let config = ServerConfig {
        metrics_listen: args.metrics_listen,
        max_msg_size: args.max_msg_size,
        header_timeout: seconds("--header-timeout", args.header_timeout)?,
        body_timeout: seconds("--body-timeout", args.body_timeout)?,
        max_connections: args.max_connections.max(1),
        tick: Tick {
            period: Duration::from_millis(args.tick_ms),
            max_batch: args.max_batch.max(1),
        },
        summary_interval: summary_interval(args.summary_interval)?,
        sessions: SessionConfig {
            max_live: args.max_sessions.max(1),
            idle_timeout: seconds("--session-timeout", args.session_timeout)?,
            auth: match args.session_auth {
                SessionAuth::Hmac => SessionAuthMode::Hmac,
                SessionAuth::Md5 => SessionAuthMode::Md5,
            },
            discovery: !args.no_discovery,
            discovery_target: discovery_target(args)?,
            ..SessionConfig::new(args.max_msg_size)
        },
        ..ServerConfig::new(args.listen)
    };
    rt.block_on(async {
        let running = server::start(&config, gate, store, None)
            .await
            .map_err(|e| CliError::failure(format!("cannot listen: {}", io_reason(&e))))?;
        eprintln!("listening on {}", running.addr);
        if let Some(addr) = running.metrics_addr {
            eprintln!("metrics on {addr}");
        }
        shutdown_signal().await;
        running.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// Opens the store `--db` names (a SQLite file or a `postgres://` URL), applying missing
/// migrations; an input error if it cannot be.
pub(crate) async fn open_store(db: &Path) -> Result<Box<dyn ReportStore>, CliError> {
    let location = Location::parse(db);
    store::open(&location)
        .await
        .map_err(|e| CliError::input(format!("cannot open database {location}: {e}")))
}

/// A multi-threaded tokio runtime.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {}", io_reason(&e))))
}

/// A positive number of seconds.
pub(crate) fn seconds(flag: &str, secs: f64) -> Result<Duration, CliError> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| CliError::input(format!("{flag}: expected a positive number of seconds")))
}

/// `--discovery-placeholder` and its `--discovery-set` nodes.
fn discovery_target(args: &ServeArgs) -> Result<Option<DiscoveryTarget>, CliError> {
    let Some(placeholder) = &args.discovery_placeholder else {
        return Ok(None);
    };
    let node_uri = |uri: &str, flag: &str| {
        if uri.starts_with("./") {
            Ok(())
        } else {
            Err(CliError::input(format!(
                "{flag}: \"{uri}\" is not a node URI (it starts with \"./\")"
            )))
        }
    };
    node_uri(placeholder, "--discovery-placeholder")?;
    let mut nodes = Vec::with_capacity(args.discovery_set.len());
    for set in &args.discovery_set {
        let (uri, value) = set.split_once('=').ok_or_else(|| {
            CliError::input(format!(
                "--discovery-set: expected URI=VALUE, got \"{set}\""
            ))
        })?;
        node_uri(uri, "--discovery-set")?;
        let (format, data) = match value.split_once(':') {
            Some((f @ ("chr" | "int" | "bool"), data)) => (f, data),
            _ => ("chr", value),
        };
        nodes.push((uri.to_owned(), NodeValue::leaf(format, data)));
    }
    Ok(Some(DiscoveryTarget::new(placeholder.clone(), nodes)))
}

/// `--summary-interval`: 0 for none, else a positive number of seconds.
fn summary_interval(secs: f64) -> Result<Option<Duration>, CliError> {
    if secs == 0.0 {
        return Ok(None);
    }
    seconds("--summary-interval", secs).map(Some)
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutdown requested");
}
