//! `omadm verify`: one received message through the server's checks (same strict policy as
//! `serve`, fresh anti-replay state). Exit 0 with one JSON line per report, or exit 1 with
//! `ignored: <reason>` on stderr.

use std::process::ExitCode;

use omadm_dmsec::HMAC_HEADER;
use serde::Serialize;

use crate::cli::VerifyArgs;
use crate::config::Devices;
use crate::detect;
use crate::error::{CliError, EXIT_FAILURE};
use crate::out;
use crate::server::Transport;
use crate::store::{AcceptedMessage, ReportRecord};
use crate::verification::ServerSide;

pub(crate) fn run(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let devices = Devices::load(&args.devices)?;
    let server = ServerSide::new(&devices, args.max_msg_size)?;
    let header = args.header.as_deref().map(header_value).transpose()?;
    let body = std::fs::read(&args.file).map_err(|e| CliError::read(&args.file, &e))?;
    // The media type a server would have been given: the one `--encoding` names, else the one
    // the first bytes show. A file that shows neither goes in without one, as a request without
    // a `Content-Type` would (the verifier then goes by its first byte), with a note.
    let (content_type, unrecognised) = match detect::codec(&body, args.encoding) {
        Ok(encoding) => (Some(encoding.media_type()), None),
        Err(why) => (None, Some(why)),
    };
    let transport = Transport {
        hmac_header: header.as_deref(),
        content_type,
    };
    match server.verify_once(&body, &transport) {
        Ok(message) => {
            out(&json_lines(&message)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(ignored) => {
            let reason = ignored.reason();
            // One line, as always; for a file that is neither encoding, what it looked like.
            match unrecognised {
                None => eprintln!("ignored: {}: {reason}", reason.as_str()),
                Some(why) => {
                    eprintln!("ignored: {}: {reason} (the file is {why})", reason.as_str())
                }
            }
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

/// One line per report, in message order.
pub(crate) fn json_lines(message: &AcceptedMessage) -> Result<String, CliError> {
    let mut text = String::new();
    for report in &message.reports {
        let line = serde_json::to_string(&ReportLine::new(message, report))
            .map_err(|e| CliError::failure(format!("cannot encode a report: {e}")))?;
        text.push_str(&line);
        text.push('\n');
    }
    Ok(text)
}

/// The JSON object of one accepted report.
#[derive(Serialize)]
struct ReportLine<'a> {
    device_id: &'a str,
    username: &'a str,
    msg_id: u32,
    cmd_id: u32,
    source_uri: Option<&'a str>,
    #[serde(rename = "type")]
    alert_type: &'a str,
    format: &'a str,
    mark: Option<&'a str>,
    data: &'a str,
}

impl<'a> ReportLine<'a> {
    fn new(message: &'a AcceptedMessage, report: &'a ReportRecord) -> Self {
        Self {
            device_id: &message.device_id,
            username: &message.username,
            msg_id: message.msg_id,
            cmd_id: report.cmd_id,
            source_uri: report.source_uri.as_deref(),
            alert_type: &report.alert_type,
            format: &report.format,
            mark: report.mark.as_deref(),
            data: &report.data,
        }
    }
}

/// The `x-syncml-hmac` value from `--header`: `x-syncml-hmac: …`, the bare value, or the
/// contents of an `emit` `.headers` file (other header lines are skipped; repeated values are
/// joined with `", "` as the server does).
fn header_value(arg: &str) -> Result<String, CliError> {
    let mut values = Vec::new();
    for line in arg.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line.split_once(':') {
            // A header name has neither `=` nor a quote; a bare value's text before its first
            // colon always has an `=` (`algorithm=…`, `username="…`).
            Some((name, value)) if !name.contains(['=', '"']) => {
                if name.trim().eq_ignore_ascii_case(HMAC_HEADER) {
                    values.push(value.trim());
                }
            }
            _ => values.push(line),
        }
    }
    if values.is_empty() {
        return Err(CliError::input(format!(
            "--header: no {HMAC_HEADER} value in {arg:?}"
        )));
    }
    Ok(values.join(", "))
}
