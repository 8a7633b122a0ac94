//! The demo's second part: DM sessions on the same endpoint, and what they change for
//! sessionless reports. dev6, new in the fleet, holds its provisioning nonce, which the server
//! no longer does: its first session is challenged, authenticates with the challenge's nonce,
//! is discovered (`./DevDetail/SessionlessRpt`) and gets a new nonce, with which its reports are
//! stored; one still signed with the old nonce is ignored. dev1, whose reports were stored above,
//! then runs a session too: the nonce its earlier reports were signed with stops working.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use omadm_dmsec::Nonce;
use omadm_session::{AuthPin, ClientConfig, ClientEvent, ClientSession, EndReason};
use tokio::sync::mpsc;

use super::{Files, ONE_DATA, Outcome, plural, report, signed_message};
use crate::client::{Client, Target};
use crate::cmd::emit::username_of;
use crate::cmd::session::{exchange, tree};
use crate::error::CliError;
use crate::store::session::sqlite_discovery;

/// The device that joins for the lifecycle.
pub(super) const NEW_DEVICE: &str = "dev6";

/// What the lifecycle found.
pub(super) struct Lifecycle {
    /// What was not as expected.
    pub(super) wrong: Vec<String>,
    /// Reports it stored.
    pub(super) stored: usize,
}

pub(super) async fn run(
    files: &Files,
    url: &str,
    db: &Path,
    events: &mut mpsc::UnboundedReceiver<Outcome>,
    text: &mut String,
) -> Result<Lifecycle, CliError> {
    let mut out = Lifecycle {
        wrong: Vec::new(),
        stored: 0,
    };
    let _ = write!(
        text,
        "\nDM sessions on the same endpoint (SessionID not 0: real DM replies), then sessionless \
         reports:\n"
    );
    let mut step = 0;
    // dev6: challenged (the server no longer holds its provisioning nonce), then the whole
    // lifecycle; dev1: its reports above were signed with the nonce its session replaces.
    for (username, challenged, msg_id) in [(NEW_DEVICE, true, 1), ("dev1", false, 3)] {
        let device = files.client.require(username)?;
        let old = device.nonce;
        step += 1;
        let session = session(files, username, url, old, &format!("{step}")).await?;
        let discovered = sqlite_discovery(
            &rusqlite::Connection::open(db)
                .map_err(|e| CliError::failure(format!("{}: {e}", db.display())))?,
            username,
        )
        .map_err(|e| CliError::failure(format!("{}: {e}", db.display())))?;
        let mut said = Vec::new();
        if let Some(code) = session.challenged {
            said.push(format!("challenged ({code})"));
        }
        if session.authenticated {
            said.push("authenticated".to_owned());
        }
        match &discovered {
            Some(d) => said.push(format!(
                "discovered: SessionlessRpt = {}",
                d.supported
                    .map_or_else(|| "absent".to_owned(), |b| b.to_string())
            )),
            None => said.push("not discovered".to_owned()),
        }
        let new = session.next_nonce.filter(|n| *n != old);
        if new.is_some() {
            said.push("new nonce issued".to_owned());
        }
        let ok = session.completed
            && session.authenticated
            && session.challenged.is_some() == challenged
            && discovered.is_some_and(|d| d.supported == Some(true))
            && new.is_some();
        line(
            text,
            &mut out,
            &format!("L{step}"),
            username,
            "DM session (HMAC in x-syncml-hmac)",
            &format!("{} ({} messages)", said.join(", "), session.messages),
            ok,
        );
        let Some(new) = new else {
            continue;
        };
        for (what, nonce, expect) in [
            ("report signed with the new nonce", new, None),
            (
                "report still signed with the old nonce",
                old,
                Some("bad-mac"),
            ),
        ] {
            step += 1;
            let verdict = post(files, username, url, nonce, msg_id, events).await?;
            let ok = match (expect, verdict) {
                (None, Some(Outcome::Stored(n))) => {
                    out.stored += n;
                    true
                }
                (Some(r), Some(Outcome::Ignored(s))) => r == s,
                _ => false,
            };
            let said = match verdict {
                Some(Outcome::Stored(n)) => format!("stored ({n} report{})", plural(n)),
                Some(Outcome::Ignored(reason)) => format!("ignored: {reason}"),
                Some(Outcome::Failed) => "storage failed".to_owned(),
                None => "no outcome".to_owned(),
            };
            line(
                text,
                &mut out,
                &format!("L{step}"),
                username,
                &format!("{what} (MsgID {msg_id})"),
                &said,
                ok,
            );
        }
    }
    Ok(out)
}

fn line(
    text: &mut String,
    out: &mut Lifecycle,
    step: &str,
    device: &str,
    what: &str,
    verdict: &str,
    ok: bool,
) {
    let mark = if ok { "" } else { "   <-- UNEXPECTED" };
    let _ = writeln!(text, "{step:>3}  {device:<5} {what:<48} {verdict}{mark}");
    if !ok {
        out.wrong
            .push(format!("{step} ({device}, {what}): {verdict}"));
    }
}

/// How a client session went.
struct Session {
    messages: u32,
    challenged: Option<u16>,
    authenticated: bool,
    completed: bool,
    next_nonce: Option<Nonce>,
}

async fn session(
    files: &Files,
    username: &str,
    url: &str,
    nonce: Nonce,
    session_id: &str,
) -> Result<Session, CliError> {
    let device = files.client.require(username)?;
    let secret = device.require_secret(files.client.path())?;
    let config = ClientConfig::new(
        username_of(&files.client, device)?,
        secret.clone(),
        AuthPin::Hmac {
            algorithm: device.algorithm,
            construction: device.construction,
        },
        nonce,
        super::SERVER_URI,
        device.device_id.clone(),
        session_id.to_owned(),
    );
    let mut client = ClientSession::new(config, tree(device))
        .map_err(|e| CliError::failure(format!("demo session: {e}")))?;
    let mut http = Client::new(Target::parse(url)?, Duration::from_secs(10));
    let messages = exchange(&mut client, &mut http, url, None).await?;
    let mut s = Session {
        messages,
        challenged: None,
        authenticated: false,
        completed: false,
        next_nonce: None,
    };
    while let Some(event) = client.poll_event() {
        match event {
            ClientEvent::Challenged { code } => s.challenged = Some(code.get()),
            ClientEvent::Authenticated => s.authenticated = true,
            ClientEvent::Ended(end) => {
                s.completed = end.reason == EndReason::Completed && end.authenticated;
                s.next_nonce = end.next_nonce;
            }
            _ => {}
        }
    }
    Ok(s)
}

/// Posts one report of `username` signed with `nonce`; the writer's outcome.
async fn post(
    files: &Files,
    username: &str,
    url: &str,
    nonce: Nonce,
    msg_id: u32,
    events: &mut mpsc::UnboundedReceiver<Outcome>,
) -> Result<Option<Outcome>, CliError> {
    let one = vec![report(
        "./Ext/Battery",
        "urn:oma:mo:battery:1.0",
        "int",
        None,
        ONE_DATA,
    )?];
    let message = signed_message(&files.client, username, &one, None, msg_id, Some(nonce))?;
    let mut http = Client::new(Target::parse(url)?, Duration::from_secs(10));
    let delivery = http
        .post(&message.body, message.content_type, &message.headers, 0)
        .await;
    if !delivery.status.as_ref().is_ok_and(|s| s.as_u16() == 204) {
        return Ok(None);
    }
    Ok(tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .ok()
        .flatten())
}
