//! `omadm db migrate`: brings a SQLite file or a PostgreSQL database to this build's schema.

use std::process::ExitCode;

use super::serve::runtime;
use crate::cli::DbCommand;
use crate::error::CliError;
use crate::out;
use crate::store::{self, Location};

pub(crate) fn run(command: &DbCommand) -> Result<ExitCode, CliError> {
    match command {
        DbCommand::Migrate(args) => {
            let location = Location::parse(&args.db);
            let (before, after) = runtime()?
                .block_on(store::migrate(&location))
                .map_err(|e| CliError::failure(format!("cannot migrate {location}: {e}")))?;
            if before == after {
                out(&format!("{location}: schema version {after}, up to date\n"));
            } else {
                out(&format!("{location}: schema version {before} -> {after}\n"));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
