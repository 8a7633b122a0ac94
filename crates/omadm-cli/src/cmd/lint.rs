//! `omadm lint`: every sessionless-profile violation of each file, with its conformance id and
//! location. No credentials needed: the MAC is not checked.

use std::path::Path;
use std::process::ExitCode;

use omadm_syncml::{Encoding, sessionless};

use crate::cli::LintArgs;
use crate::detect;
use crate::error::{CliError, EXIT_FAILURE};
use crate::out;

pub(crate) fn run(args: &LintArgs) -> Result<ExitCode, CliError> {
    let mut findings = 0usize;
    for path in &args.files {
        let body = std::fs::read(path).map_err(|e| CliError::read(path, &e))?;
        let lines = lint(path, &body, args.encoding);
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
fn lint(path: &Path, body: &[u8], encoding: Option<Encoding>) -> Vec<String> {
    let name = path.display();
    let message = match detect::decode(path, body, encoding) {
        Ok((_, message)) => message,
        Err(line) => return vec![line],
    };
    sessionless::check(&message)
        .into_iter()
        .map(|v| format!("{name}: {v}"))
        .collect()
}
