#![doc = include_str!("../README.md")]
// The tool's output is its job: it prints to stdout and stderr on purpose.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// The repository README's library example, run as a doctest (only under `cfg(doctest)`: the
/// README is not part of this crate's package).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct RootReadme;

mod cli;
mod client;
mod cmd;
mod config;
mod detect;
mod error;
mod registry;
mod reports;
mod server;
mod state;
mod store;
mod verification;

use std::process::ExitCode;

use clap::Parser as _;

/// Runs the `omadm` command line and returns the process exit code: 0 on success, 1 when the
/// operation's result is negative (a message ignored, lint findings, a failed send), 2 for bad
/// invocations and unreadable or invalid input files.
#[must_use]
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(error::EXIT_USAGE));
        }
    };
    match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code())
        }
    }
}

/// Writes to stdout. A closed pipe (`omadm … | head`) is not an error worth a panic: the rest of
/// the output is dropped.
pub(crate) fn out(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// One warning line on stderr.
pub(crate) fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Sends `tracing` output to stderr, as text or JSON lines; `OMADM_LOG` (error, warn, info,
/// debug, trace) overrides `default`.
pub(crate) fn init_tracing(default: tracing::Level, format: cli::LogFormat) {
    let level = std::env::var("OMADM_LOG")
        .ok()
        .and_then(|v| v.trim().parse::<tracing::Level>().ok())
        .unwrap_or(default);
    // Colours only for a terminal: a log file or a pipe gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_max_level(level)
        .with_target(false);
    let _ = match format {
        cli::LogFormat::Text => builder.try_init(),
        cli::LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
