//! `omadm lint`: every sessionless-profile violation of each file, with its conformance id and
//! location. No credentials needed: the MAC is not checked.

use std::path::Path;
use std::process::ExitCode;

use omadm_syncml::sessionless;
use omadm_xml::Limits;

use crate::cli::LintArgs;
use crate::error::{CliError, EXIT_FAILURE, line_col};
use crate::out;

pub(crate) fn run(args: &LintArgs) -> Result<ExitCode, CliError> {
    let mut findings = 0usize;
    for path in &args.files {
        let body = std::fs::read(path).map_err(|e| CliError::read(path, &e))?;
        let lines = lint(path, &body);
        if lines.is_empty() {
            out(&format!(
                "{}: conforms to the sessionless profile\n",
                path.display()
            ));
        }
        findings += lines.len();
        for line in lines {
            out(&format!("{line}\n"));
        }
    }
    Ok(if findings == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILURE)
    })
}

/// One line per finding: `FILE: rule (SCR id): what it asks at Location`.
fn lint(path: &Path, body: &[u8]) -> Vec<String> {
    let name = path.display();
    let message = match omadm_xml::decode(body, &Limits::default()) {
        Ok(message) => message,
        Err(e) => {
            let text = String::from_utf8_lossy(body);
            let (line, column) = line_col(&text, e.offset());
            return vec![format!(
                "{name}:{line}:{column}: not a SyncML DM message: {e}"
            )];
        }
    };
    sessionless::check(&message)
        .into_iter()
        .map(|v| format!("{name}: {v}"))
        .collect()
}
