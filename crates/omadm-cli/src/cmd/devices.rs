//! `omadm devices`: the device registry in the database (SQLite file or PostgreSQL URL). The
//! database keeps the secret's digest only; `add` prints the device-side entry, with the
//! secret, once.

use std::fmt::Write as _;
use std::io::BufRead as _;
use std::path::Path;
use std::process::ExitCode;

use omadm_dmsec::{Algorithm, Carrier, Construction, Secret, SecretDigest};

use super::demo::{random_hex, random_nonce};
use super::serve::runtime;
use crate::cli::{DevicesAddArgs, DevicesCommand};
use crate::config::{Device, Devices};
use crate::error::CliError;
use crate::out;
use crate::registry::{Change, Entry, Registry, nonce_age_secs};
use crate::server::now_ms;
use crate::server::status::page::duration;
use crate::store::Location;
use crate::verification::ServerSide;

pub(crate) fn run(command: &DevicesCommand) -> Result<ExitCode, CliError> {
    let rt = runtime()?;
    match command {
        DevicesCommand::Import(args) => {
            let devices = Devices::load(&args.file)?;
            let entries = devices
                .iter()
                .map(|d| entry_of(&devices, d))
                .collect::<Result<Vec<_>, _>>()?;
            rt.block_on(async {
                let (registry, location) = open(&args.db).await?;
                let n = registry
                    .upsert(&entries)
                    .await
                    .map_err(|e| failed(&location, &e))?;
                out(&format!(
                    "{location}: {n} device(s) imported from {}\n",
                    args.file.display()
                ));
                Ok(ExitCode::SUCCESS)
            })
        }
        DevicesCommand::Add(args) => add(&rt, args),
        DevicesCommand::List(args) => rt.block_on(async {
            let (registry, location) = open(&args.db).await?;
            let all = registry.list().await.map_err(|e| failed(&location, &e))?;
            let now = now_ms();
            let mut text = String::new();
            for e in &all {
                let age_secs = nonce_age_secs(now, e.nonce_issued_ms);
                if args.json {
                    let line = serde_json::to_string(&Listed {
                        entry: e,
                        nonce_age_secs: age_secs,
                    })
                    .map_err(|e| CliError::failure(format!("cannot encode: {e}")))?;
                    text.push_str(&line);
                    text.push('\n');
                } else {
                    let _ = writeln!(
                        text,
                        "{}\t{}\t{}/{}/{}\tnonce age {}\t{}",
                        e.username,
                        e.device_id,
                        e.algorithm,
                        e.construction,
                        e.carrier,
                        age_secs.map_or_else(|| "unknown".to_owned(), duration),
                        if e.disabled { "disabled" } else { "enabled" }
                    );
                }
            }
            out(&text);
            Ok(ExitCode::SUCCESS)
        }),
        DevicesCommand::RotateNonce(args) => rt.block_on(async {
            let nonce = random_nonce()?;
            let (registry, location) = open(&args.db).await?;
            change(
                &registry,
                &location,
                &args.username,
                Change::Nonce {
                    nonce: nonce.clone(),
                    issued_ms: now_ms(),
                },
            )
            .await?;
            out(&format!("{}: nonce = \"{nonce}\"\n", args.username));
            Ok(ExitCode::SUCCESS)
        }),
        DevicesCommand::Disable(args) => rt.block_on(async {
            let (registry, location) = open(&args.db).await?;
            change(&registry, &location, &args.username, Change::Disable).await?;
            out(&format!("{}: disabled\n", args.username));
            Ok(ExitCode::SUCCESS)
        }),
    }
}

fn add(rt: &tokio::runtime::Runtime, args: &DevicesAddArgs) -> Result<ExitCode, CliError> {
    let algorithm = Algorithm::from_token(&args.algorithm)
        .map_err(|_| CliError::input("--algorithm: expected SHA256 or MD5"))?;
    let construction: Construction = args
        .construction
        .parse()
        .map_err(|_| CliError::input("--construction: expected digest or rfc2104"))?;
    let secret = if args.generate {
        random_hex(16)?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::failure(format!("cannot read the secret from stdin: {e}")))?;
        let secret = line.trim_end_matches(['\r', '\n']).to_owned();
        if secret.is_empty() {
            return Err(CliError::input(
                "--secret-from-stdin: the first line is empty",
            ));
        }
        secret
    };
    let nonce = random_nonce()?;
    let entry = Entry {
        username: args.username.clone(),
        device_id: args.device_id.clone(),
        secret_digest: SecretDigest::compute(
            algorithm,
            &args.username,
            &Secret::from(secret.as_str()),
        )
        .expose_base64()
        .to_owned(),
        nonce: nonce.clone(),
        nonce_issued_ms: Some(now_ms()),
        algorithm: algorithm.as_str().to_owned(),
        construction: construction.as_str().to_owned(),
        carrier: args.carrier.as_str().to_owned(),
        disabled: false,
        version: 0,
    };
    validate(&entry)?;
    rt.block_on(async {
        let (registry, location) = open(&args.db).await?;
        if registry
            .get(&entry.username)
            .await
            .map_err(|e| failed(&location, &e))?
            .is_some()
        {
            return Err(CliError::input(format!(
                "{location}: device \"{}\" exists (rotate its nonce, disable it, or import a \
                 file to replace it)",
                entry.username
            )));
        }
        registry
            .upsert(std::slice::from_ref(&entry))
            .await
            .map_err(|e| failed(&location, &e))?;
        Ok::<_, CliError>(())
    })?;
    // The device side, once: the database keeps only the digest.
    let mut text = format!(
        "[[device]]\nusername = \"{}\"\ndevice_id = \"{}\"\nsecret = \"{}\"\nnonce = \"{nonce}\"\n",
        entry.username,
        entry.device_id.replace('\\', "\\\\").replace('"', "\\\""),
        secret.replace('\\', "\\\\").replace('"', "\\\"")
    );
    if algorithm != Algorithm::default() {
        let _ = writeln!(text, "algorithm = \"{}\"", entry.algorithm);
    }
    if construction != Construction::default() {
        let _ = writeln!(text, "construction = \"{}\"", entry.construction);
    }
    if args.carrier != Carrier::default() {
        let _ = writeln!(text, "carrier = \"{}\"", entry.carrier);
    }
    out(&text);
    Ok(ExitCode::SUCCESS)
}

/// A line of `devices list --json`: the entry and how old its nonce is.
#[derive(serde::Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    entry: &'a Entry,
    /// Seconds since the nonce was set (`null`: unknown).
    nonce_age_secs: Option<u64>,
}

/// Reads the row of `username`, changes it and writes it back with a new version.
async fn change(
    registry: &Registry,
    location: &Location,
    username: &str,
    change: Change,
) -> Result<(), CliError> {
    let found = registry
        .change(username, change)
        .await
        .map_err(|e| failed(location, &e))?;
    if found {
        Ok(())
    } else {
        Err(CliError::input(format!(
            "{location}: no device \"{username}\""
        )))
    }
}

/// The registry row of a devices file entry (a `secret` becomes its digest).
fn entry_of(devices: &Devices, device: &Device) -> Result<Entry, CliError> {
    let entry = entry_unchecked(devices, device)?;
    validate(&entry).map_err(|e| {
        CliError::input(format!("{}:{}: {e}", devices.path().display(), device.line))
    })?;
    Ok(entry)
}

/// The registry entry of a devices file's device (the secret as its digest), not validated.
pub(crate) fn entry_unchecked(devices: &Devices, device: &Device) -> Result<Entry, CliError> {
    let digest = match (&device.secret_digest, &device.secret) {
        (Some(digest), _) => digest.expose_base64().to_owned(),
        (None, Some(secret)) => SecretDigest::compute(device.algorithm, &device.username, secret)
            .expose_base64()
            .to_owned(),
        (None, None) => {
            return Err(CliError::input(format!(
                "{}:{}: device \"{}\" has neither `secret` nor `secret_digest`",
                devices.path().display(),
                device.line,
                device.username
            )));
        }
    };
    let entry = Entry {
        username: device.username.clone(),
        device_id: device.device_id.clone(),
        secret_digest: digest,
        nonce: device.nonce.to_base64(),
        // A nonce the row already holds keeps its time (see `Registry::upsert`).
        nonce_issued_ms: Some(now_ms()),
        algorithm: device.algorithm.as_str().to_owned(),
        construction: device.construction.as_str().to_owned(),
        carrier: device.carrier.as_str().to_owned(),
        disabled: false,
        version: 0,
    };
    Ok(entry)
}

/// Refuses an entry a server could not use (e.g. the header carrier with a SHA-256 digest).
fn validate(entry: &Entry) -> Result<(), CliError> {
    ServerSide::new(&entry.to_devices()?, 16 * 1024).map(drop)
}

async fn open(db: &Path) -> Result<(Registry, Location), CliError> {
    let location = Location::parse(db);
    let registry = Registry::open(&location)
        .await
        .map_err(|e| CliError::input(format!("cannot open database {location}: {e}")))?;
    Ok((registry, location))
}

fn failed(location: &Location, e: &crate::store::StoreError) -> CliError {
    CliError::failure(format!("{location}: {e}"))
}
