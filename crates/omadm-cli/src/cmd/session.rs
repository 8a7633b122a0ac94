//! `omadm session`: one DM session of a device against a server (the `omadm-session` client
//! engine over HTTP), answering from a small management tree, and the nonce the session issued
//! stored in the state file, where `emit` and `send` read it.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::body::Bytes;
use omadm_dmsec::HMAC_HEADER;
use omadm_session::{
    AuthPin, ClientConfig, ClientEvent, ClientSession, EndReason, MemoryTree, NodeValue,
    discovery::NODE_PATH,
};

use super::emit::username_of;
use super::serve::{runtime, seconds};
use crate::cli::{SessionArgs, SessionAuth};
use crate::client::{Client, Target};
use crate::config::{Device, Devices};
use crate::error::{CliError, EXIT_FAILURE};
use crate::out;
use crate::state::ClientState;

pub(crate) fn run(args: &SessionArgs) -> Result<ExitCode, CliError> {
    let devices = Devices::load(&args.devices)?;
    let device = devices.require(&args.device)?;
    let secret = device.require_secret(devices.path())?;
    let username = username_of(&devices, device)?;
    let target = Target::parse(&args.url)?;
    let timeout = seconds("--timeout", args.timeout)?;
    let mut state = ClientState::load(Some(&args.state))?;
    let nonce = state.nonce(&device.username).unwrap_or(device.nonce);
    let pin = match args.auth {
        SessionAuth::Md5 => AuthPin::Md5,
        SessionAuth::Hmac => AuthPin::Hmac {
            algorithm: device.algorithm,
            construction: device.construction,
        },
    };
    let session_id = args.session_id.clone().unwrap_or_else(clock_session_id);
    let config = ClientConfig::new(
        username,
        secret.clone(),
        pin,
        nonce,
        args.server_uri.as_deref().unwrap_or(&args.url),
        device.device_id.clone(),
        session_id,
    );
    let mut client = ClientSession::new(config, tree(device))
        .map_err(|e| CliError::input(format!("device \"{}\": {e}", device.username)))?;

    let mut http = Client::new(target, timeout);
    let exchanged = runtime()?.block_on(exchange(&mut client, &mut http, &args.url, None))?;

    let mut summary = String::new();
    let mut end = None;
    while let Some(event) = client.poll_event() {
        match event {
            ClientEvent::Challenged { code } => {
                let _ = writeln!(
                    summary,
                    "challenged ({code}): retrying with the server's nonce"
                );
            }
            ClientEvent::Authenticated => {
                let _ = writeln!(summary, "authenticated");
            }
            ClientEvent::Executed { cmd, code } => {
                let _ = writeln!(summary, "{cmd}: {code}");
            }
            ClientEvent::Ended(e) => end = Some(e),
            _ => {}
        }
    }
    let Some(end) = end else {
        return Err(CliError::failure(format!(
            "{}: the session did not end after {exchanged} message(s)",
            args.url
        )));
    };
    if end.reason != EndReason::Completed || !end.authenticated {
        out(&summary);
        out(&format!(
            "session failed ({:?}); the stored nonce is unchanged\n",
            end.reason
        ));
        return Ok(ExitCode::from(EXIT_FAILURE));
    }
    match end.next_nonce {
        Some(next) => {
            state.set_nonce(&device.username, &next);
            state.save()?;
            let _ = writeln!(
                summary,
                "session complete ({exchanged} message(s)): new nonce stored in {}",
                args.state.display()
            );
        }
        None => {
            let _ = writeln!(
                summary,
                "session complete ({exchanged} message(s)): the server issued no new nonce"
            );
        }
    }
    out(&summary);
    Ok(ExitCode::SUCCESS)
}

/// Runs the session over HTTP until the client has nothing left to send; returns how many
/// messages it sent. Every message sent is appended to `sent` if given.
pub(crate) async fn exchange(
    client: &mut ClientSession<MemoryTree>,
    http: &mut Client,
    url: &str,
    mut sent: Option<&mut Vec<omadm_session::Transmit>>,
) -> Result<u32, CliError> {
    let mut messages = 0u32;
    while let Some(t) = client.poll_transmit() {
        if let Some(sent) = sent.as_deref_mut() {
            sent.push(t.clone());
        }
        let headers: Vec<(&str, String)> =
            t.hmac.map(|h| vec![(HMAC_HEADER, h)]).unwrap_or_default();
        let (status, answer) = http
            .request(&Bytes::from(t.body), t.content_type, &headers)
            .await
            .map_err(|e| CliError::failure(format!("{url}: {e}")))?;
        if !status.is_success() {
            return Err(CliError::failure(format!(
                "{url}: the server answered HTTP {status}"
            )));
        }
        client
            .handle_message(&answer)
            .map_err(|e| CliError::failure(format!("{url}: {e}")))?;
        messages += 1;
    }
    Ok(messages)
}

/// The device's management tree for the session: DevDetail with the `SessionlessRpt` node
/// (`true`: this tool sends sessionless reports) and the software version.
pub(crate) fn tree(device: &Device) -> MemoryTree {
    let mut tree = MemoryTree::new();
    tree.set("./DevDetail/SwV", NodeValue::chr(env!("CARGO_PKG_VERSION")));
    tree.set("./DevDetail/LrgObj", NodeValue::leaf("bool", "false"));
    tree.set(NODE_PATH, NodeValue::leaf("bool", "true"));
    tree.set("./DevInfo/DevId", NodeValue::chr(device.device_id.clone()));
    tree
}

/// A SessionID from the clock: the seconds since the epoch, modulo 10^9 (never 0).
fn clock_session_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| d.as_secs() % 1_000_000_000);
    secs.max(1).to_string()
}
