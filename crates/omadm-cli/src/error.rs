//! The one error type of the tool: a clear one-line message and the exit code it maps to.

use core::fmt;
use std::path::Path;

/// Exit code for bad invocations and bad input files (clap uses 2 for usage errors too).
pub(crate) const EXIT_USAGE: u8 = 2;
/// Exit code for an operation whose result is negative: a message ignored, lint findings, a
/// failed send, a demo outcome that was not the expected one.
pub(crate) const EXIT_FAILURE: u8 = 1;

/// What went wrong, already phrased for the user, with the process exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    code: u8,
    message: String,
}

impl CliError {
    /// A bad invocation or bad input (exit 2).
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// A negative result of a well-formed request (exit 1).
    pub(crate) fn failure(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_FAILURE,
            message: message.into(),
        }
    }

    /// A file that cannot be read (exit 2).
    pub(crate) fn read(path: &Path, err: &std::io::Error) -> Self {
        Self::input(format!(
            "cannot read {}: {}",
            path.display(),
            io_reason(err)
        ))
    }

    /// A file or directory that cannot be written (exit 1: the inputs were fine).
    pub(crate) fn write(path: &Path, err: &std::io::Error) -> Self {
        Self::failure(format!(
            "cannot write {}: {}",
            path.display(),
            io_reason(err)
        ))
    }

    /// The process exit code.
    pub(crate) const fn code(&self) -> u8 {
        self.code
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl core::error::Error for CliError {}

/// An I/O error as a short lowercase phrase (no "(os error 2)" noise).
pub(crate) fn io_reason(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::NotFound => "no such file or directory".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "is a directory".to_owned(),
        ErrorKind::InvalidData => "not valid utf-8".to_owned(),
        _ => {
            let text = err.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
            lowercase_first(&text)
        }
    }
}

/// `"Connection refused"` -> `"connection refused"`, leaving the rest (and acronyms such as
/// `"EOF while …"`) alone.
pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), second) if !second.is_some_and(char::is_uppercase) => {
            first.to_lowercase().chain(second).chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// 1-based line and column of a byte offset in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}
