//! `omadm queue`: server commands for a device's next DM session, in the store that `serve`
//! uses (a SQLite file or a PostgreSQL URL) (the server reads a device's pending commands when its session starts and marks
//! each one answered, with the device's Status and a Get's results, when the session ends).

use std::fmt::Write as _;
use std::process::ExitCode;

use super::serve::runtime;
use crate::cli::{QueueAddArgs, QueueCommand, QueueListArgs};
use crate::error::CliError;
use crate::out;
use crate::server::now_ms;
use crate::store::{Location, SqliteStore, postgres, session};

pub(crate) fn run(command: &QueueCommand) -> Result<ExitCode, CliError> {
    match command {
        QueueCommand::Add(args) => add(args),
        QueueCommand::List(args) => list(args),
    }
}

fn add(args: &QueueAddArgs) -> Result<ExitCode, CliError> {
    let command = args.command.to_ascii_lowercase();
    if !session::COMMANDS.contains(&command.as_str()) {
        return Err(CliError::input(format!(
            "unknown command \"{}\": expected one of {}",
            args.command,
            session::COMMANDS.join(", ")
        )));
    }
    if !args.uri.starts_with("./") && !args.uri.starts_with('.') {
        return Err(CliError::input(format!(
            "\"{}\": a node URI starts with \"./\" (e.g. ./DevDetail/SwV)",
            args.uri
        )));
    }
    let value = args.value.as_deref();
    match (command.as_str(), value) {
        ("replace", None) => return Err(CliError::input("replace needs a VALUE")),
        ("get" | "delete", Some(_)) => {
            return Err(CliError::input(format!("{command} takes no VALUE")));
        }
        _ => {}
    }
    let format = matches!(command.as_str(), "replace" | "add").then_some(args.format.as_str());
    let location = Location::parse(&args.db);
    let id = match &location {
        Location::Postgres(url) => runtime()?.block_on(postgres::session::enqueue(
            url,
            &args.device,
            now_ms(),
            &command,
            &args.uri,
            value,
            format,
        )),
        Location::Sqlite(path) => session::sqlite_enqueue(
            &open(path)?,
            &args.device,
            now_ms(),
            &command,
            &args.uri,
            value,
            format,
        ),
    }
    .map_err(|e| CliError::failure(format!("{location}: {e}")))?;
    out(&format!(
        "queued #{id} for {}: {command} {}\n",
        args.device, args.uri
    ));
    Ok(ExitCode::SUCCESS)
}

fn list(args: &QueueListArgs) -> Result<ExitCode, CliError> {
    let location = Location::parse(&args.db);
    let rows = match &location {
        Location::Postgres(url) => {
            runtime()?.block_on(postgres::session::list(url, args.device.as_deref()))
        }
        Location::Sqlite(path) => session::sqlite_list(&open(path)?, args.device.as_deref()),
    }
    .map_err(|e| CliError::failure(format!("{location}: {e}")))?;
    let mut text = String::new();
    for row in &rows {
        if args.json {
            let line = serde_json::to_string(row)
                .map_err(|e| CliError::failure(format!("cannot encode: {e}")))?;
            text.push_str(&line);
            text.push('\n');
        } else {
            let _ = writeln!(
                text,
                "#{}\t{}\t{} {}{}\t{}{}{}",
                row.id,
                row.username,
                row.command,
                row.uri,
                row.data
                    .as_deref()
                    .map(|d| format!(" {d}"))
                    .unwrap_or_default(),
                row.state,
                row.status.map(|s| format!(" {s}")).unwrap_or_default(),
                row.results
                    .as_deref()
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default(),
            );
        }
    }
    out(&text);
    Ok(ExitCode::SUCCESS)
}

/// The SQLite file (created, with the schema, if missing).
fn open(path: &std::path::Path) -> Result<rusqlite::Connection, CliError> {
    drop(
        SqliteStore::open(path)
            .map_err(|e| CliError::input(format!("cannot open {}: {e}", path.display())))?,
    );
    let conn = rusqlite::Connection::open(path)
        .map_err(|e| CliError::input(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| CliError::failure(format!("{}: {e}", path.display())))?;
    Ok(conn)
}
