//! `omadm emit`: reports in, signed message files out; and the emitter set-up `send` and `demo`
//! share.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use omadm_emitter::{
    Account, Carrier, Emission, EmitError, Emitter, MsgId, Nonce, SessionlessReport, Username,
};
use omadm_syncml::{Encoding, Format, Mark};

use crate::cli::{EmitArgs, EmitCommon};
use crate::config::{Device, Devices};
use crate::error::CliError;
use crate::out;
use crate::reports::{self, ReportSpec};
use crate::state::ClientState;

/// MaxMsgSize when neither the flag nor the device says.
pub(crate) const DEFAULT_MAX_MSG_SIZE: usize = 16 * 1024;

pub(crate) fn run(args: &EmitArgs) -> Result<ExitCode, CliError> {
    let devices = Devices::load(&args.common.devices)?;
    let device = devices.require(&args.device)?;
    let reports = load_reports(&args.common.reports)?;
    let mut state = ClientState::load(args.common.state.as_deref())?;
    let overrides = Overrides::of(&args.common);
    let mut emitter = emitter_for(
        &devices,
        device,
        &args.server_uri,
        overrides,
        state.next_msg_id(&device.username),
        state.nonce(&device.username),
    )?;
    // The file extension is the encoding's short name: 0001.xml or 0001.wbxml.
    let extension = overrides.encoding.unwrap_or(device.encoding).as_str();
    let emission = emit(&mut emitter, &reports, &args.common.reports)?;

    std::fs::create_dir_all(&args.out).map_err(|e| CliError::write(&args.out, &e))?;
    let mut summary = String::new();
    for (i, message) in emission.messages.iter().enumerate() {
        let stem = format!("{:04}", i + 1);
        let file = args.out.join(format!("{stem}.{extension}"));
        std::fs::write(&file, &message.body).map_err(|e| CliError::write(&file, &e))?;
        if !message.headers.is_empty() {
            let headers_path = args.out.join(format!("{stem}.headers"));
            let mut text = String::new();
            for (name, value) in &message.headers {
                let _ = writeln!(text, "{name}: {value}");
            }
            std::fs::write(&headers_path, text).map_err(|e| CliError::write(&headers_path, &e))?;
        }
        let _ = writeln!(
            summary,
            "{}  MsgID {}, {} report(s), {} bytes",
            file.display(),
            message.msg_id,
            message.reports,
            message.body.len()
        );
    }
    state.set_next_msg_id(&device.username, emission.next_msg_id.get());
    state.save()?;
    out(&summary);
    Ok(ExitCode::SUCCESS)
}

/// Reads a reports file and builds validated reports (the profile's rules apply here).
pub(crate) fn load_reports(path: &Path) -> Result<Vec<SessionlessReport<'static>>, CliError> {
    reports::load(path)?
        .into_iter()
        .enumerate()
        .map(|(i, spec)| build_report(spec).map_err(|why| report_error(path, i, &why)))
        .collect()
}

fn build_report(spec: ReportSpec) -> Result<SessionlessReport<'static>, String> {
    let ReportSpec {
        source_uri,
        alert_type,
        format,
        mark,
        data,
    } = spec;
    SessionlessReport::new(
        source_uri.map(Cow::Owned),
        alert_type,
        Format::from_token(format),
        mark.map(Mark::from_token),
        data,
    )
    .map_err(|e| format!("{e} (rule {})", e.rule()))
}

fn report_error(path: &Path, index: usize, why: &str) -> CliError {
    CliError::input(format!(
        "{}: report {} (of the array, counted from 1): {why}",
        path.display(),
        index + 1
    ))
}

/// What the command line says over the device's own settings (`None`: the device's).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Overrides {
    pub(crate) carrier: Option<Carrier>,
    pub(crate) max_msg_size: Option<usize>,
    pub(crate) encoding: Option<Encoding>,
}

impl Overrides {
    /// The flags of an emitting command.
    pub(crate) fn of(common: &EmitCommon) -> Self {
        Self {
            carrier: common.carrier,
            max_msg_size: common.max_msg_size,
            encoding: common.encoding,
        }
    }
}

/// The emitter for one device: carrier, MaxMsgSize and encoding as given, else the device's;
/// the nonce a DM session gave (`omadm session`, kept in the state file), else the devices
/// file's.
pub(crate) fn emitter_for(
    devices: &Devices,
    device: &Device,
    server_uri: &str,
    overrides: Overrides,
    next_msg_id: u32,
    nonce: Option<Nonce>,
) -> Result<Emitter, CliError> {
    let secret = device.require_secret(devices.path())?;
    let username = username_of(devices, device)?;
    let max_msg_size = overrides
        .max_msg_size
        .or(device.max_msg_size)
        .unwrap_or(DEFAULT_MAX_MSG_SIZE);
    let mut account = Account::new(
        server_uri,
        device.device_id.clone(),
        username,
        secret.clone(),
        nonce.unwrap_or(device.nonce),
        max_msg_size,
    );
    account.carrier = overrides.carrier.unwrap_or(device.carrier);
    account.encoding = overrides.encoding.unwrap_or(device.encoding);
    account.algorithm = device.algorithm;
    account.construction = device.construction;
    account.next_msg_id = MsgId::new(next_msg_id).map_err(|_| {
        CliError::input(format!(
            "the state's next MsgID {next_msg_id} is not a valid MsgID"
        ))
    })?;
    Emitter::new(account)
        .map(|e| e.with_self_check(false))
        .map_err(|e| CliError::input(format!("device \"{}\": {e}", device.username)))
}

/// The device's username as a validated [`Username`], or an error naming the devices file line.
pub(crate) fn username_of(devices: &Devices, device: &Device) -> Result<Username, CliError> {
    Username::new(device.username.clone()).map_err(|e| {
        CliError::input(format!(
            "{}:{}: username: {e}",
            devices.path().display(),
            device.line
        ))
    })
}

/// Emits every report, turning a report too large for MaxMsgSize into an input error.
pub(crate) fn emit(
    emitter: &mut Emitter,
    reports: &[SessionlessReport<'_>],
    reports_path: &Path,
) -> Result<Emission, CliError> {
    emitter.emit(reports).map_err(|e| match e {
        EmitError::ReportTooLarge { index, size, max } => report_error(
            reports_path,
            index,
            &format!(
                "too large for MaxMsgSize: the message would be {size} bytes, the limit is {max} \
                 (rule message-size; reports are never split)"
            ),
        ),
        other => CliError::input(other.to_string()),
    })
}
