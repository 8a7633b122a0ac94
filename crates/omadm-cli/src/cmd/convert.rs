//! `omadm convert`: a message from XML to WBXML or back, strict both ways (the input must
//! decode, and the output must decode to the same message with the other codec).

use std::io::Write as _;
use std::process::ExitCode;

use omadm_syncml::{Carriage, Command, Encoding, Item, SyncMl};

use crate::cli::ConvertArgs;
use crate::detect;
use crate::error::CliError;

pub(crate) fn run(args: &ConvertArgs) -> Result<ExitCode, CliError> {
    let body = std::fs::read(&args.input).map_err(|e| CliError::read(&args.input, &e))?;
    // A file that is neither XML nor WBXML is refused here, saying what it looked like.
    let (from, message) = detect::decode(&args.input, &body, None).map_err(CliError::input)?;
    let to = args.to.unwrap_or(match from {
        Encoding::Xml => Encoding::Wbxml,
        Encoding::Wbxml => Encoding::Xml,
    });
    let name = args.input.display();
    let mut out = Vec::new();
    match to {
        Encoding::Xml => drop(omadm_xml::encode(&message, &mut out)),
        Encoding::Wbxml => drop(omadm_wbxml::encode(&message, &mut out)),
    }
    // Strict on the way out too: what is written must read back as the same message.
    match decode(to, &out) {
        Ok(back) if back == message => {}
        Ok(_) if to == Encoding::Xml && has_binary_data(&message.body.commands) => {
            return Err(CliError::input(format!(
                "{name}: an Item/Data holds binary data (WBXML OPAQUE bytes that are not UTF-8), \
                 which XML carries only as base64 text: the message cannot be written as XML \
                 unchanged"
            )));
        }
        Ok(_) => {
            return Err(CliError::input(format!(
                "{name}: the message does not survive {to} unchanged"
            )));
        }
        Err(e) => {
            return Err(CliError::input(format!(
                "{name}: the message cannot be written as {to}: {e}"
            )));
        }
    }
    match &args.output {
        Some(path) => std::fs::write(path, &out).map_err(|e| CliError::write(path, &e))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .map_err(|e| CliError::failure(format!("cannot write to stdout: {e}")))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Decodes with the codec of `encoding` (default limits); the error as one line.
fn decode(encoding: Encoding, body: &[u8]) -> Result<SyncMl<'_>, String> {
    match encoding {
        Encoding::Xml => {
            omadm_xml::decode(body, &omadm_xml::Limits::default()).map_err(|e| e.to_string())
        }
        Encoding::Wbxml => {
            omadm_wbxml::decode(body, &omadm_wbxml::Limits::default()).map_err(|e| e.to_string())
        }
    }
}

/// Whether an `Item/Data` is binary ([`Carriage::Binary`]), at any depth.
fn has_binary_data(commands: &[Command<'_>]) -> bool {
    commands.iter().any(|c| {
        let items: &[Item<'_>] = match c {
            Command::Add(c) | Command::Copy(c) | Command::Replace(c) => &c.items,
            Command::Alert(c) => &c.items,
            Command::Atomic(c) | Command::Sequence(c) => return has_binary_data(&c.commands),
            Command::Delete(c) => &c.items,
            Command::Exec(c) => core::slice::from_ref(&*c.item),
            Command::Get(c) => &c.items,
            Command::Results(c) => &c.items,
            Command::Status(c) => &c.items,
        };
        items.iter().any(|i| {
            i.data
                .as_ref()
                .is_some_and(|d| d.carriage == Carriage::Binary)
        })
    })
}
