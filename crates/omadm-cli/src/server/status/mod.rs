//! The operator's view on the metrics listener (never on the DM port): a server-rendered status
//! page at `GET /`, the same facts as JSON under `/api/`, and Prometheus `/metrics`.
//!
//! Two sources feed it: the store's read side ([`ReportQuery`]: recent reports, per-device last
//! seen, anti-replay state) and the server's own memory ([`Metrics`]: counters and the one-hour
//! rate window, where ignored messages — never stored — become visible). Report data is peer
//! input: the page escapes every string it shows ([`page`]), the JSON API encodes it with serde.

pub(crate) mod api;
pub(crate) mod page;
pub(crate) mod rates;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::metrics::{Metrics, OPENMETRICS_TEXT, PROMETHEUS_TEXT};
use crate::store::ReportQuery;

/// What the status page shows of one device's anti-replay state.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ReplayView {
    /// How many nonce windows the state holds.
    pub(crate) windows: usize,
    /// The highest MsgID accepted under the device's current nonce.
    pub(crate) highest_msg_id: Option<u32>,
    /// When the verifier last accepted a message of the device (Unix milliseconds).
    pub(crate) last_accepted_ms: Option<i64>,
}

/// Reads a device's stored anti-replay state for the page (the gate knows its format).
/// Its arguments: the username, the state, and the device's current nonce (base64) if the
/// device registry holds it.
pub(crate) type ReplayReader =
    dyn Fn(&str, &[u8], Option<&str>) -> Option<ReplayView> + Send + Sync;

/// Fixed facts about the server, shown on the page.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub(crate) struct Facts {
    pub(crate) max_msg_size: usize,
    pub(crate) tick_ms: u64,
    pub(crate) max_batch: usize,
    /// MsgIDs the anti-replay window remembers below the highest one.
    pub(crate) replay_window: u32,
}

/// Everything the handlers of the metrics listener need.
pub(crate) struct Status {
    pub(crate) metrics: Arc<Metrics>,
    /// The store's read side (`None`: `--store none`, reports are not kept).
    pub(crate) query: Option<Arc<dyn ReportQuery>>,
    pub(crate) replay: Arc<ReplayReader>,
    pub(crate) facts: Facts,
}

/// The metrics listener's routes.
pub(crate) fn router(status: Arc<Status>) -> Router {
    Router::new()
        .route("/", get(page::handler))
        .route("/metrics", get(metrics))
        .route("/api/summary", get(api::summary))
        .route("/api/reports", get(api::reports))
        .route("/api/devices", get(api::devices))
        .with_state(status)
}

/// Prometheus text (0.0.4), or OpenMetrics when the scraper's `Accept` asks for it.
async fn metrics(
    axum::extract::State(status): axum::extract::State<Arc<Status>>,
    headers: HeaderMap,
) -> Response {
    let openmetrics = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/openmetrics-text"));
    if openmetrics {
        (
            [(header::CONTENT_TYPE, OPENMETRICS_TEXT)],
            status.metrics.render_openmetrics(),
        )
            .into_response()
    } else {
        (
            [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
            status.metrics.render(),
        )
            .into_response()
    }
}
