//! `omadm inspect`: the decoded message, as an indented outline or as JSON.

use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::Value;

use crate::cli::InspectArgs;
use crate::detect;
use crate::error::{CliError, EXIT_FAILURE};
use crate::out;

pub(crate) fn run(args: &InspectArgs) -> Result<ExitCode, CliError> {
    let body = std::fs::read(&args.file).map_err(|e| CliError::read(&args.file, &e))?;
    let (encoding, message) = match detect::decode(&args.file, &body, args.encoding) {
        Ok(decoded) => decoded,
        Err(line) => {
            eprintln!("error: {line}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    let unrepresentable =
        |e: serde_json::Error| CliError::failure(format!("cannot represent the message: {e}"));
    if args.json {
        // Serialised straight from the model, so the fields keep the model's order.
        let mut text = serde_json::to_string_pretty(&message).map_err(unrepresentable)?;
        text.push('\n');
        out(&text);
    } else {
        let value = serde_json::to_value(&message).map_err(unrepresentable)?;
        let mut text = format!(
            "{} ({} bytes, {})\n",
            args.file.display(),
            body.len(),
            encoding.media_type()
        );
        outline(&mut text, &value, 0);
        out(&text);
    }
    Ok(ExitCode::SUCCESS)
}

/// An indented `key: value` outline of a JSON value; multi-line strings go in an indented block.
fn outline(out: &mut String, value: &Value, depth: usize) {
    let pad = "  ".repeat(depth);
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|k| (rank(k), k.as_str()));
            for key in keys {
                let Some(v) = map.get(key) else { continue };
                if is_scalar(v) {
                    let _ = writeln!(out, "{pad}{key}: {}", scalar(v, depth + 1));
                } else {
                    let _ = writeln!(out, "{pad}{key}:");
                    outline(out, v, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                if is_scalar(v) {
                    let _ = writeln!(out, "{pad}- {}", scalar(v, depth + 1));
                } else {
                    let _ = writeln!(out, "{pad}-");
                    outline(out, v, depth + 1);
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other, depth));
        }
    }
}

/// Puts the well-known keys in document order (JSON maps come out sorted by name).
fn rank(key: &str) -> usize {
    const ORDER: [&str; 16] = [
        "version",
        "hdr",
        "body",
        "ver_dtd",
        "ver_proto",
        "session_id",
        "msg_id",
        "target",
        "source",
        "cred",
        "command",
        "cmd_id",
        "data",
        "items",
        "meta",
        "format",
    ];
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

fn scalar(v: &Value, depth: usize) -> String {
    match v {
        Value::String(s) if s.contains('\n') => {
            let pad = "  ".repeat(depth);
            let mut block = String::from("|");
            for line in s.lines() {
                let _ = write!(block, "\n{pad}{line}");
            }
            block
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
