//! One info line per interval (a minute by default) that sums up what the server did: the log's
//! view of traffic. Single messages are logged at debug level only, and only a sample of the
//! ignored ones (see [`SAMPLED_PER_INTERVAL`]), so a flood of forgeries stays one line a minute.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::metrics::{Interval, Metrics};

/// Ignored messages logged (at debug level) per reason and interval; the rest are only counted.
pub(crate) const SAMPLED_PER_INTERVAL: u64 = 5;

/// Starts the task that logs the summary every `every` until shutdown is requested.
pub(crate) fn spawn(
    metrics: Arc<Metrics>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => log(&metrics.take_interval(), every),
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
        }
    })
}

fn log(i: &Interval, every: Duration) {
    tracing::info!(
        interval_secs = every.as_secs_f64(),
        accepted = i.accepted,
        reports = i.reports,
        ignored = i.ignored_total(),
        ignored_by_reason = %by_reason(i),
        failed = i.failed,
        commits = i.commits,
        "summary"
    );
}

/// `bad-mac=3 replayed=1`, or `-` when nothing was ignored.
fn by_reason(i: &Interval) -> String {
    if i.ignored.is_empty() {
        return "-".to_owned();
    }
    let mut out = String::new();
    for (reason, n) in &i.ignored {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{reason}={n}");
    }
    out
}
