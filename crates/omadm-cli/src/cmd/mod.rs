//! One module per subcommand; `run` dispatches.

mod convert;
mod db;
pub(crate) mod demo;
pub(crate) mod devices;
pub(crate) mod emit;
mod inspect;
mod lint;
mod queue;
mod send;
mod serve;
pub(crate) mod session;
mod verify;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::error::CliError;

/// Runs one parsed command line.
pub(crate) fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Emit(args) => emit::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Send(args) => send::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Db(command) => db::run(&command),
        Command::Devices(command) => devices::run(&command),
        Command::Session(args) => session::run(&args),
        Command::Queue(command) => queue::run(&command),
    }
}
