//! `R.json`: the reports to emit, `[{"source_uri"?, "type", "format", "mark"?, "data"}, …]`,
//! with errors that name the file, the line and the field.

use std::path::Path;

use serde::Deserialize;

use crate::error::{CliError, lowercase_first};

/// One report as written in the file (validated by the model when it is built).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportSpec {
    /// `Item/Source/LocURI`.
    #[serde(default)]
    pub(crate) source_uri: Option<String>,
    /// `Meta/Type`.
    #[serde(rename = "type")]
    pub(crate) alert_type: String,
    /// `Meta/Format`.
    pub(crate) format: String,
    /// `Meta/Mark`.
    #[serde(default)]
    pub(crate) mark: Option<String>,
    /// `Item/Data`, as text.
    pub(crate) data: String,
}

/// Reads a reports file.
pub(crate) fn load(path: &Path) -> Result<Vec<ReportSpec>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::read(path, &e))?;
    parse(path, &text)
}

/// Parses the text of a reports file; `path` only names it in messages.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Vec<ReportSpec>, CliError> {
    let reports: Vec<ReportSpec> = serde_json::from_str(text).map_err(|e| {
        // serde_json says "… at line L column C"; put the place first, like the TOML errors.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(head, _)| head);
        CliError::input(format!(
            "{}:{}:{}: {}",
            path.display(),
            e.line(),
            e.column().max(1),
            lowercase_first(message)
        ))
    })?;
    if reports.is_empty() {
        return Err(CliError::input(format!(
            "{}: the array holds no report",
            path.display()
        )));
    }
    Ok(reports)
}
