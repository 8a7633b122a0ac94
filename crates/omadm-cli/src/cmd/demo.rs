//! `omadm demo`: a server in-process on 127.0.0.1 with a temporary database and generated
//! devices; good reports from several devices (one of them speaking WBXML), then a replayed, a
//! forged, a tampered (XML and WBXML), a mislabelled, an unknown-device and an oversize message;
//! then DM sessions on the same endpoint (challenge, authentication, discovery, a new nonce) and
//! reports signed with the new and the old nonce (`lifecycle`); what was stored and what was
//! ignored and why. Exit 0 only if every outcome is the expected one.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Bytes;
use omadm_dmsec::{Algorithm, Nonce, Secret, SecretDigest};
use omadm_emitter::SessionlessReport;
use omadm_syncml::{Format, MEDIA_TYPE_WBXML, MEDIA_TYPE_XML, Mark};
use tokio::sync::mpsc;

use super::emit::{Overrides, emitter_for};
use super::serve::runtime;
use crate::cli::DemoArgs;
use crate::client::{Client, Target};
use crate::config::Devices;
use crate::error::{CliError, EXIT_FAILURE};
use crate::out;
use crate::server::{self, Outcome, ServerConfig};
use crate::store::{SqliteStore, StoredReport};
use crate::verification::ServerSide;

/// The demo server's MaxMsgSize (small, so that the oversize case stays small too).
const MAX_MSG_SIZE: usize = 4096;
const SERVER_URI: &str = "http://127.0.0.1/dm";
/// The device that speaks WBXML (`dev5`).
const WBXML_DEVICE: usize = 5;
/// The data of the one-report messages (the tampered ones get its first digit changed).
const ONE_DATA: &str = "42";

/// What a case should come to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Stored(usize),
    Ignored(&'static str),
}

struct Case {
    what: &'static str,
    device: String,
    msg_id: u32,
    body: Bytes,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    expect: Expect,
}

pub(crate) fn run(args: &DemoArgs) -> Result<ExitCode, CliError> {
    let dir = tempfile::Builder::new()
        .prefix("omadm-demo-")
        .tempdir()
        .map_err(|e| CliError::failure(format!("cannot create a temporary directory: {e}")))?;
    let files = write_devices(dir.path())?;
    let linger = if args.linger == 0.0 {
        None
    } else {
        Some(super::serve::seconds("--linger", args.linger)?)
    };
    let result = runtime()?.block_on(demo(dir.path(), &files, args.metrics_listen, linger));
    if args.keep {
        let kept = dir.keep();
        eprintln!("kept {}", kept.display());
    }
    result
}

/// The three generated devices files.
struct Files {
    client: Devices,
    server: Devices,
    attacker: Devices,
}

/// dev1..dev3: HMAC-SHA256 in the message (the default); dev4: a DM 1.2 device, HMAC-MD5 in the
/// `x-syncml-hmac` header; dev5: HMAC-SHA256 in the message, encoded in WBXML. The server's file
/// holds digests only (and no encoding: a server takes both). The attacker's file has a wrong
/// secret for dev1 and a device the server does not know.
fn write_devices(dir: &Path) -> Result<Files, CliError> {
    let mut client = String::new();
    let mut server = String::new();
    for n in 1..=5 {
        let username = format!("dev{n}");
        let secret = random_hex(16)?;
        let nonce = random_nonce()?;
        let legacy = n == 4;
        let algorithm = if legacy {
            Algorithm::Md5
        } else {
            Algorithm::Sha256
        };
        let extra = if legacy {
            "algorithm = \"MD5\"\ncarrier   = \"header\"\n"
        } else {
            ""
        };
        let device_only = if n == WBXML_DEVICE {
            "encoding  = \"wbxml\"\n"
        } else {
            ""
        };
        let digest = SecretDigest::compute(algorithm, &username, &Secret::from(secret.as_str()));
        let _ = write!(
            client,
            "[[device]]\nusername  = \"{username}\"\ndevice_id = \"IMEI:35693803564380{n}\"\n\
             secret    = \"{secret}\"\nnonce     = \"{nonce}\"\n{extra}{device_only}\n"
        );
        let _ = write!(
            server,
            "[[device]]\nusername      = \"{username}\"\ndevice_id     = \"IMEI:35693803564380{n}\"\n\
             secret_digest = \"{}\"\nnonce         = \"{nonce}\"\n{extra}\n",
            digest.expose_base64()
        );
    }
    // dev6 joins the fleet for the session lifecycle: its device holds the nonce of its
    // provisioning profile, the server another one (rotated since).
    {
        let username = lifecycle::NEW_DEVICE;
        let secret = random_hex(16)?;
        let digest =
            SecretDigest::compute(Algorithm::Sha256, username, &Secret::from(secret.as_str()));
        let _ = write!(
            client,
            "[[device]]\nusername  = \"{username}\"\ndevice_id = \"IMEI:356938035643806\"\n\
             secret    = \"{secret}\"\nnonce     = \"{}\"\n\n",
            random_nonce()?
        );
        let _ = write!(
            server,
            "[[device]]\nusername      = \"{username}\"\ndevice_id     = \"IMEI:356938035643806\"\n\
             secret_digest = \"{}\"\nnonce         = \"{}\"\n\n",
            digest.expose_base64(),
            random_nonce()?
        );
    }
    let client_dev1_nonce = nonce_of(&client, "dev1")?;
    let attacker = format!(
        "[[device]]\nusername  = \"dev1\"\ndevice_id = \"IMEI:356938035643801\"\n\
         secret    = \"{}\"\nnonce     = \"{client_dev1_nonce}\"\n\n\
         [[device]]\nusername  = \"mallory\"\ndevice_id = \"IMEI:000000000000000\"\n\
         secret    = \"{}\"\nnonce     = \"{}\"\n",
        random_hex(16)?,
        random_hex(16)?,
        random_nonce()?
    );
    let load = |name: &str, text: &str| -> Result<Devices, CliError> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| CliError::write(&path, &e))?;
        Devices::parse(&path, text)
    };
    Ok(Files {
        client: load("devices.toml", &client)?,
        server: load("server.toml", &server)?,
        attacker: load("attacker.toml", &attacker)?,
    })
}

async fn demo(
    dir: &Path,
    files: &Files,
    metrics_listen: Option<std::net::SocketAddr>,
    linger: Option<Duration>,
) -> Result<ExitCode, CliError> {
    let db = dir.join("reports.sqlite");
    let store = SqliteStore::open(&db)
        .map_err(|e| CliError::failure(format!("cannot open {}: {e}", db.display())))?;
    let gate = Arc::new(ServerSide::new(&files.server, MAX_MSG_SIZE)?);
    let mut config = ServerConfig::new(([127, 0, 0, 1], 0).into());
    config.max_msg_size = MAX_MSG_SIZE;
    config.metrics_listen = metrics_listen;
    config.summary_interval = None;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let running = server::start(&config, gate, Box::new(store), Some(events_tx))
        .await
        .map_err(|e| CliError::failure(format!("cannot start the server: {e}")))?;
    let url = format!("http://{}/dm", running.addr);

    let mut text = format!(
        "omadm demo: server on {url} (MaxMsgSize {MAX_MSG_SIZE}), database {}\n\
         devices: dev1..dev3 sign with HMAC-SHA256 in the message, dev4 with HMAC-MD5 in the \
         x-syncml-hmac header,\ndev5 with HMAC-SHA256 in the message and speaks WBXML \
         ({MEDIA_TYPE_WBXML});\nthe server's file holds key digests only.\n\n",
        db.display()
    );
    let cases = cases(files)?;
    let mut client = Client::new(Target::parse(&url)?, Duration::from_secs(10));
    let _ = writeln!(
        text,
        "{:>2}  {:<36} {:<8} {:>5}  {:<4}  server's verdict (never told to the sender)",
        "#", "message", "device", "MsgID", "HTTP"
    );
    let mut wrong = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let delivery = client
            .post(&case.body, case.content_type, &case.headers, 0)
            .await;
        let status = delivery.describe().replace("HTTP ", "");
        let outcome = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .ok()
            .flatten();
        let verdict = match outcome {
            Some(Outcome::Stored(n)) => format!("stored ({n} report{})", plural(n)),
            Some(Outcome::Ignored(reason)) => format!("ignored: {reason}"),
            Some(Outcome::Failed) => "storage failed".to_owned(),
            None => "no outcome".to_owned(),
        };
        let as_expected = match (case.expect, outcome) {
            (Expect::Stored(n), Some(Outcome::Stored(m))) => n == m,
            (Expect::Ignored(r), Some(Outcome::Ignored(s))) => r == s,
            _ => false,
        } && delivery.status.as_ref().is_ok_and(|s| s.as_u16() == 204);
        let mark = if as_expected { "" } else { "   <-- UNEXPECTED" };
        let _ = writeln!(
            text,
            "{:>2}  {:<36} {:<8} {:>5}  {:<4}  {verdict}{mark}",
            i + 1,
            case.what,
            case.device,
            case.msg_id,
            status
        );
        if !as_expected {
            wrong.push(format!(
                "case {} ({}): expected {:?}, got {verdict} with {status}",
                i + 1,
                case.what,
                case.expect
            ));
        }
    }
    let lifecycle = lifecycle::run(files, &url, &db, &mut events, &mut text).await?;
    wrong.extend(lifecycle.wrong);
    let metrics = running.metrics.snapshot();
    if let Some(page) = running.metrics_addr {
        // What was said so far now, then the page for as long as asked.
        out(&text);
        text.clear();
        let linger = linger.unwrap_or_default();
        eprintln!(
            "status page: http://{page}/ (up for {} s more; Ctrl-C ends it)",
            linger.as_secs_f64()
        );
        tokio::select! {
            () = tokio::time::sleep(linger) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    running.shutdown().await;

    let rows: Vec<StoredReport> = SqliteStore::open_read_only(&db)
        .and_then(|s| s.reports())
        .map_err(|e| CliError::failure(format!("cannot read {}: {e}", db.display())))?;
    let _ = write!(
        text,
        "\nEvery sessionless POST got the same answer, 204 No Content, released after the group \
         commit;\nDM session messages got the server's DM replies.\n\n\
         What the database holds ({} reports):\n",
        rows.len()
    );
    let _ = writeln!(
        text,
        "  {:<7} {:>5} {:>5}  {:<40} {:<6} {:<8} data",
        "device", "MsgID", "CmdID", "type", "format", "mark"
    );
    for row in &rows {
        let _ = writeln!(
            text,
            "  {:<7} {:>5} {:>5}  {:<40} {:<6} {:<8} {}",
            row.username,
            row.msg_id,
            row.cmd_id,
            row.alert_type,
            row.format,
            row.mark.as_deref().unwrap_or("-"),
            row.data
        );
    }
    let _ = write!(
        text,
        "\nMetrics: {} requests, {} messages accepted, {} reports stored, {} ignored (",
        metrics.requests,
        metrics.accepted_messages,
        metrics.stored_reports,
        metrics.ignored_total()
    );
    let reasons: Vec<String> = metrics
        .ignored
        .iter()
        .map(|(reason, n)| format!("{reason}: {n}"))
        .collect();
    let _ = writeln!(
        text,
        "{}), {} commits.",
        reasons.join(", "),
        metrics.commits
    );

    let stored_expected: usize = cases
        .iter()
        .map(|c| match c.expect {
            Expect::Stored(n) => n,
            Expect::Ignored(_) => 0,
        })
        .sum::<usize>()
        + lifecycle.stored;
    if rows.len() != stored_expected {
        wrong.push(format!(
            "the database holds {} reports, expected {stored_expected}",
            rows.len()
        ));
    }
    if wrong.is_empty() {
        let _ = writeln!(text, "\ndemo passed: every outcome was the expected one.");
        out(&text);
        Ok(ExitCode::SUCCESS)
    } else {
        let _ = writeln!(text, "\ndemo FAILED:");
        for w in &wrong {
            let _ = writeln!(text, "  {w}");
        }
        out(&text);
        Ok(ExitCode::from(EXIT_FAILURE))
    }
}

/// One emitted message.
struct Emitted {
    msg_id: u32,
    body: Bytes,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
}

/// The first message of `username` (from `devices`) holding `reports`, with MsgID `msg_id`.
fn first_message(
    devices: &Devices,
    username: &str,
    reports: &[SessionlessReport<'static>],
    max_msg_size: Option<usize>,
    msg_id: u32,
) -> Result<Emitted, CliError> {
    signed_message(devices, username, reports, max_msg_size, msg_id, None)
}

/// [`first_message`] signed with `nonce` instead of the devices file's.
fn signed_message(
    devices: &Devices,
    username: &str,
    reports: &[SessionlessReport<'static>],
    max_msg_size: Option<usize>,
    msg_id: u32,
    nonce: Option<Nonce>,
) -> Result<Emitted, CliError> {
    let device = devices.require(username)?;
    let mut emitter = emitter_for(
        devices,
        device,
        SERVER_URI,
        Overrides {
            max_msg_size,
            ..Overrides::default()
        },
        msg_id,
        nonce,
    )?;
    let emission = emitter
        .emit(reports)
        .map_err(|e| CliError::failure(format!("demo emitter: {e}")))?;
    let first = emission
        .messages
        .into_iter()
        .next()
        .ok_or_else(|| CliError::failure("demo emitter: no message"))?;
    Ok(Emitted {
        msg_id: first.msg_id.get(),
        body: Bytes::from(first.body),
        content_type: first.content_type,
        headers: first.headers,
    })
}

impl Case {
    fn new(what: &'static str, device: &str, message: Emitted, expect: Expect) -> Self {
        Self {
            what,
            device: device.to_owned(),
            msg_id: message.msg_id,
            body: message.body,
            content_type: message.content_type,
            headers: message.headers,
            expect,
        }
    }
}

/// Cases 1-5: one good message per device (MsgID 1); then the bad ones; then dev1 again with
/// the MsgID the forger used, to show that a forgery burns nothing.
fn cases(files: &Files) -> Result<Vec<Case>, CliError> {
    let mut cases = Vec::new();
    for n in 1..=5 {
        let username = format!("dev{n}");
        let reports = vec![
            report(
                "./Ext/Battery",
                "urn:oma:mo:battery:1.0",
                "int",
                Some("warning"),
                &format!("{}", 10 + n),
            )?,
            report(
                "./Ext/Thermal",
                "Reversed-Domain-Name:com.example.thermal",
                "chr",
                None,
                &format!("t={}C; zone=<cpu> & ]]> ok", 60 + n),
            )?,
        ];
        let what = match n {
            4 => "valid (DM 1.2 style: MD5, header)",
            WBXML_DEVICE => "valid (WBXML)",
            _ => "valid report",
        };
        let message = first_message(&files.client, &username, &reports, None, 1)?;
        cases.push(Case::new(what, &username, message, Expect::Stored(2)));
    }
    let replayed = Emitted {
        msg_id: cases[0].msg_id,
        body: cases[0].body.clone(),
        content_type: cases[0].content_type,
        headers: cases[0].headers.clone(),
    };
    cases.push(Case::new(
        "replayed (case 1 sent again)",
        "dev1",
        replayed,
        Expect::Ignored("replayed"),
    ));
    let one = vec![report(
        "./Ext/Battery",
        "urn:oma:mo:battery:1.0",
        "int",
        None,
        ONE_DATA,
    )?];
    cases.push(Case::new(
        "forged (signed with a wrong secret)",
        "dev1",
        first_message(&files.attacker, "dev1", &one, None, 2)?,
        Expect::Ignored("bad-mac"),
    ));
    let mut tampered = first_message(&files.client, "dev2", &one, None, 2)?;
    tampered.body = tamper(&tampered.body, ONE_DATA);
    cases.push(Case::new(
        "tampered (data changed in transit)",
        "dev2",
        tampered,
        Expect::Ignored("bad-mac"),
    ));
    let wbxml = format!("dev{WBXML_DEVICE}");
    let mut tampered = first_message(&files.client, &wbxml, &one, None, 2)?;
    tampered.body = tamper(&tampered.body, ONE_DATA);
    cases.push(Case::new(
        "tampered WBXML (data changed)",
        &wbxml,
        tampered,
        Expect::Ignored("bad-mac"),
    ));
    // A good WBXML message under the XML media type: ignored before any key is looked up.
    let mut mislabelled = first_message(&files.client, &wbxml, &one, None, 3)?;
    mislabelled.content_type = MEDIA_TYPE_XML;
    cases.push(Case::new(
        "WBXML body labelled as XML",
        &wbxml,
        mislabelled,
        Expect::Ignored("media-type-mismatch"),
    ));
    cases.push(Case::new(
        "unknown device",
        "mallory",
        first_message(&files.attacker, "mallory", &one, None, 1)?,
        Expect::Ignored("unknown-device"),
    ));
    let big = vec![report(
        "./Ext/Log",
        "urn:oma:mo:log:1.0",
        "chr",
        Some("minor"),
        &"x".repeat(2 * MAX_MSG_SIZE),
    )?];
    cases.push(Case::new(
        "oversize (larger than MaxMsgSize)",
        "dev3",
        first_message(&files.client, "dev3", &big, Some(4 * MAX_MSG_SIZE), 2)?,
        Expect::Ignored("too-large"),
    ));
    cases.push(Case::new(
        "valid (same MsgID as the forgery)",
        "dev1",
        first_message(&files.client, "dev1", &one, None, 2)?,
        Expect::Stored(1),
    ));
    Ok(cases)
}

fn report(
    source: &str,
    alert_type: &str,
    format: &str,
    mark: Option<&str>,
    data: &str,
) -> Result<SessionlessReport<'static>, CliError> {
    SessionlessReport::new(
        Some(source.to_owned().into()),
        alert_type.to_owned(),
        Format::from_token(format.to_owned()),
        mark.map(|m| Mark::from_token(m.to_owned())),
        data.to_owned(),
    )
    .map_err(|e| CliError::failure(format!("demo report: {e}")))
}

/// Changes the first digit of the report data `data` (inside the CDATA section in XML, the
/// OPAQUE in WBXML): its last occurrence, since the report is the last thing a message holds.
fn tamper(body: &Bytes, data: &str) -> Bytes {
    let mut bytes = body.to_vec();
    let data = data.as_bytes();
    if let Some(at) = bytes.windows(data.len()).rposition(|w| w == data)
        && let Some(b) = bytes.get_mut(at)
    {
        *b = if *b == b'9' { b'8' } else { b'9' };
    }
    Bytes::from(bytes)
}

pub(crate) fn random_hex(len: usize) -> Result<String, CliError> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::failure(format!("no randomness from the system: {e}")))?;
    Ok(bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

pub(crate) fn random_nonce() -> Result<String, CliError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| CliError::failure(format!("no randomness from the system: {e}")))?;
    Nonce::new(&bytes)
        .map(|n| n.to_base64())
        .map_err(|e| CliError::failure(format!("nonce: {e}")))
}

/// The nonce line of a device in a generated file.
fn nonce_of(text: &str, username: &str) -> Result<String, CliError> {
    let entry = text
        .split("[[device]]")
        .find(|e| e.contains(&format!("\"{username}\"")))
        .ok_or_else(|| CliError::failure("demo: device missing"))?;
    entry
        .lines()
        .find_map(|l| l.trim().strip_prefix("nonce"))
        .and_then(|rest| rest.split('"').nth(1))
        .map(str::to_owned)
        .ok_or_else(|| CliError::failure("demo: nonce missing"))
}

mod lifecycle;

const fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
