//! The status page's facts as JSON: `GET /api/summary`, `/api/reports?device=&limit=` and
//! `/api/devices?limit=`. The page renders exactly these values.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::rates::Totals;
use super::{Facts, ReplayView, Status};
use crate::server::now_ms;
use crate::store::{DeviceSeen, MAX_LIMIT, StoredReport};

/// Reports listed when the caller gives no `limit`.
pub(crate) const DEFAULT_REPORTS: usize = 50;
/// Devices listed when the caller gives no `limit`.
pub(crate) const DEFAULT_DEVICES: usize = 100;
/// Seconds of the messages-per-second series.
pub(crate) const SERIES_SECS: u64 = 300;

/// `GET /api/summary`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Summary {
    pub(crate) version: &'static str,
    pub(crate) now_ms: i64,
    pub(crate) uptime_secs: u64,
    /// Whether accepted reports are stored (false with `--store none`).
    pub(crate) reports_kept: bool,
    pub(crate) totals: AllTime,
    pub(crate) last_minute: Window,
    pub(crate) last_hour: Window,
    pub(crate) commit: Commit,
    pub(crate) sessions: Sessions,
    pub(crate) config: Facts,
    pub(crate) per_second: Series,
}

/// Counters since the server started.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct AllTime {
    pub(crate) requests: u64,
    pub(crate) accepted: u64,
    pub(crate) reports_stored: u64,
    pub(crate) ignored: u64,
    pub(crate) failed: u64,
    pub(crate) commits: u64,
    pub(crate) store_errors: u64,
    pub(crate) ignored_by_reason: BTreeMap<&'static str, u64>,
}

/// Sums over the last `secs` seconds, with the mean rates.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Window {
    pub(crate) secs: u64,
    pub(crate) accepted: u64,
    pub(crate) reports: u64,
    pub(crate) ignored: u64,
    pub(crate) failed: u64,
    pub(crate) accepted_per_sec: f64,
    pub(crate) ignored_per_sec: f64,
    pub(crate) ignored_by_reason: BTreeMap<&'static str, u64>,
}

/// DM sessions (messages whose `SessionID` is not 0): live now, and those that ended since the
/// start.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Sessions {
    pub(crate) live: u64,
    pub(crate) ended: u64,
    pub(crate) authenticated: u64,
    /// New nonces committed for the devices' next sessionless reports.
    pub(crate) nonces_issued: u64,
    pub(crate) ended_by_reason: BTreeMap<&'static str, u64>,
}

/// Group-commit timing since the start.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Commit {
    pub(crate) count: u64,
    pub(crate) mean_ms: Option<f64>,
    pub(crate) max_ms: f64,
}

/// Messages per second, oldest first, ending at `end_sec` (Unix seconds).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Series {
    pub(crate) end_sec: u64,
    pub(crate) accepted: Vec<u64>,
    pub(crate) ignored: Vec<u64>,
}

/// One device, as the store, the device registry and the anti-replay state know it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Device {
    pub(crate) username: String,
    pub(crate) device_id: String,
    /// A device of the registry that has no stored report.
    pub(crate) never_seen: bool,
    /// `None`: never reported.
    pub(crate) last_seen_ms: Option<i64>,
    pub(crate) reports: u64,
    /// `None`: never reported.
    pub(crate) last_msg_id: Option<u32>,
    /// Whether the device registry holds the device (else it is a devices file's).
    pub(crate) registered: bool,
    /// Disabled in the registry: its messages are ignored as unknown.
    pub(crate) disabled: bool,
    /// When the device's current nonce was set (Unix milliseconds); `None`: unknown (a devices
    /// file's device, or a nonce set before the registry recorded the time).
    pub(crate) nonce_issued_ms: Option<i64>,
    /// Seconds since then, at `now_ms`.
    pub(crate) nonce_age_secs: Option<u64>,
    /// `None`: no state saved, or one the gate cannot read.
    pub(crate) replay: Option<ReplayView>,
}

/// `GET /api/reports` and `/api/devices` answer with their list under a key, beside the limit
/// applied.
#[derive(Debug, Serialize)]
struct Listing<T> {
    limit: usize,
    #[serde(flatten)]
    items: T,
}

#[derive(Debug, Serialize)]
struct Reports {
    reports: Vec<StoredReport>,
}

#[derive(Debug, Serialize)]
struct Devices {
    devices: Vec<Device>,
}

/// Query parameters of the lists.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListParams {
    pub(crate) device: Option<String>,
    pub(crate) limit: Option<usize>,
}

pub(crate) async fn summary(State(status): State<Arc<Status>>) -> Json<Summary> {
    Json(collect_summary(&status))
}

pub(crate) async fn reports(
    State(status): State<Arc<Status>>,
    Query(params): Query<ListParams>,
) -> Response {
    let limit = bounded(params.limit, DEFAULT_REPORTS);
    let device = params.device.filter(|d| !d.is_empty());
    match load_reports(&status, device, limit).await {
        Ok(reports) => Json(Listing {
            limit,
            items: Reports { reports },
        })
        .into_response(),
        Err(e) => unavailable(&e),
    }
}

pub(crate) async fn devices(
    State(status): State<Arc<Status>>,
    Query(params): Query<ListParams>,
) -> Response {
    let limit = bounded(params.limit, DEFAULT_DEVICES);
    match load_devices(&status, limit).await {
        Ok(devices) => Json(Listing {
            limit,
            items: Devices { devices },
        })
        .into_response(),
        Err(e) => unavailable(&e),
    }
}

/// A limit between 1 and [`MAX_LIMIT`].
pub(crate) fn bounded(asked: Option<usize>, default: usize) -> usize {
    asked.unwrap_or(default).clamp(1, MAX_LIMIT)
}

fn unavailable(error: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({ "error": error })),
    )
        .into_response()
}

/// The counters, the last minute and hour, and the per-second series.
pub(crate) fn collect_summary(status: &Status) -> Summary {
    let m = &status.metrics;
    let s = m.snapshot();
    let now = now_ms();
    let end_sec = u64::try_from(now / 1000).unwrap_or(0);
    let series = m.per_second(SERIES_SECS);
    Summary {
        version: env!("CARGO_PKG_VERSION"),
        now_ms: now,
        uptime_secs: s.uptime.as_secs(),
        reports_kept: status.query.is_some(),
        totals: AllTime {
            requests: s.requests,
            accepted: s.accepted_messages,
            reports_stored: s.stored_reports,
            ignored: s.ignored_total(),
            failed: s.failed_messages,
            commits: s.commits,
            store_errors: s.store_errors,
            ignored_by_reason: s.ignored.clone(),
        },
        last_minute: window(&m.recent(60)),
        last_hour: window(&m.recent(3600)),
        commit: Commit {
            count: s.commits,
            mean_ms: s.commit_mean().map(|d| d.as_secs_f64() * 1000.0),
            max_ms: s.commit_max.as_secs_f64() * 1000.0,
        },
        sessions: Sessions {
            live: s.sessions.live,
            ended: s.sessions.ended.values().sum(),
            authenticated: s.sessions.authenticated,
            nonces_issued: s.sessions.nonces_issued,
            ended_by_reason: s.sessions.ended.clone(),
        },
        config: status.facts,
        per_second: Series {
            end_sec,
            accepted: series.iter().map(|(a, _)| *a).collect(),
            ignored: series.iter().map(|(_, i)| *i).collect(),
        },
    }
}

fn window(t: &Totals) -> Window {
    // invariant: a span is at most 3600 seconds, exact in an f64.
    #[allow(clippy::cast_precision_loss)]
    let per_sec = |n: u64| n as f64 / t.secs as f64;
    Window {
        secs: t.secs,
        accepted: t.accepted,
        reports: t.reports,
        ignored: t.ignored_total(),
        failed: t.failed,
        accepted_per_sec: per_sec(t.accepted),
        ignored_per_sec: per_sec(t.ignored_total()),
        ignored_by_reason: t.ignored.clone(),
    }
}

/// The most recent reports (off the async workers: the query is blocking I/O).
pub(crate) async fn load_reports(
    status: &Status,
    device: Option<String>,
    limit: usize,
) -> Result<Vec<StoredReport>, String> {
    let Some(query) = status.query.clone() else {
        return Ok(Vec::new());
    };
    tokio::task::spawn_blocking(move || query.recent_reports(device.as_deref(), limit))
        .await
        .map_err(|e| format!("the store query failed: {e}"))?
        .map_err(|e| e.to_string())
}

/// The devices seen most recently, with their anti-replay state, then the registry's devices
/// that never reported.
pub(crate) async fn load_devices(status: &Status, limit: usize) -> Result<Vec<Device>, String> {
    let Some(query) = status.query.clone() else {
        return Ok(Vec::new());
    };
    let rows = tokio::task::spawn_blocking(move || query.devices(limit))
        .await
        .map_err(|e| format!("the store query failed: {e}"))?
        .map_err(|e| e.to_string())?;
    let now = now_ms();
    Ok(rows.into_iter().map(|d| device(status, now, d)).collect())
}

fn device(status: &Status, now: i64, d: DeviceSeen) -> Device {
    let nonce = d.registered.as_ref().map(|r| r.nonce.as_str());
    let replay = d
        .replay_state
        .as_deref()
        .and_then(|state| (status.replay)(&d.username, state, nonce));
    let nonce_issued_ms = d.registered.as_ref().and_then(|r| r.nonce_issued_ms);
    Device {
        never_seen: d.last_seen_ms.is_none(),
        last_seen_ms: d.last_seen_ms,
        reports: d.reports,
        last_msg_id: d.last_msg_id,
        registered: d.registered.is_some(),
        disabled: d.registered.as_ref().is_some_and(|r| r.disabled),
        nonce_issued_ms,
        nonce_age_secs: crate::registry::nonce_age_secs(now, nonce_issued_ms),
        replay,
        username: d.username,
        device_id: d.device_id,
    }
}
