//! Counters of the DM endpoint, their Prometheus exposition (on `prometheus-client`, served on its
//! own listener, never on the DM port), and the in-memory rate windows the status page reads.
//!
//! Names follow the Prometheus conventions: a `omadm_` prefix, base units (`_seconds`), `_total`
//! on counters, one family with labels instead of one metric per label value
//! (`omadm_messages_total{outcome, reason}`), and `omadm_build_info` as the `1`-valued
//! info metric.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

use super::gate::Reason;
use super::status::rates::{Rates, Totals};

/// The content type of the Prometheus text format the `/metrics` endpoint serves by default.
pub(crate) const PROMETHEUS_TEXT: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
/// The content type of the OpenMetrics text format (served when the scraper asks for it).
pub(crate) const OPENMETRICS_TEXT: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `outcome` label of `omadm_messages_total`.
pub(crate) const ACCEPTED: &str = "accepted";
/// The `outcome` label of an ignored message (its `reason` label says why).
pub(crate) const IGNORED: &str = "ignored";
/// The `outcome` label of a message answered 503 (its transaction failed).
pub(crate) const FAILED: &str = "failed";
/// The `reason` of a message answered 503 because the device registry could not be read.
pub(crate) const REGISTRY_UNAVAILABLE: &str = "registry-unavailable";

/// The device registry cache's figures: updated by the gate that owns the cache, exposed with
/// the server's (the handles share their values).
#[derive(Clone, Debug, Default)]
pub(crate) struct CacheMetrics {
    /// Look-ups of a device the cache did not hold (each one database query).
    pub(crate) misses: Counter,
    /// Entries evicted to make room.
    pub(crate) evictions: Counter,
    /// Entries held.
    pub(crate) entries: Gauge,
    /// The most entries held.
    pub(crate) capacity: Gauge,
}

/// Every counter the server keeps. Updated by the handlers (requests) and by the writer (what
/// became of each message, after its transaction).
pub(crate) struct Metrics {
    registry: Registry,
    requests: Counter,
    messages: Family<MessageLabels, Counter>,
    reports_stored: Counter,
    commits: Counter,
    commit_messages: Counter,
    store_errors: Counter,
    commit_duration: Histogram,
    /// The same facts, read cheaply by the status page, the demo and the tests.
    accepted_messages: AtomicU64,
    stored_reports: AtomicU64,
    failed_messages: AtomicU64,
    commit_nanos: AtomicU64,
    commit_max_nanos: AtomicU64,
    sessions: Family<SessionLabels, Counter>,
    session_nonces: Counter,
    live_sessions: Gauge,
    counts: Mutex<Counts>,
    started: Instant,
}

/// Ignored messages by reason: since start, and since the last summary line.
#[derive(Debug, Default)]
struct Counts {
    ignored: BTreeMap<Reason, u64>,
    sessions: SessionCounts,
    interval: Interval,
    rates: Rates,
}

/// What happened since the last summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Interval {
    pub(crate) accepted: u64,
    pub(crate) reports: u64,
    pub(crate) failed: u64,
    pub(crate) commits: u64,
    pub(crate) ignored: BTreeMap<Reason, u64>,
}

impl Interval {
    /// Ignored messages, all reasons together.
    pub(crate) fn ignored_total(&self) -> u64 {
        self.ignored.values().sum()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MessageLabels {
    outcome: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SessionLabels {
    end: &'static str,
    authenticated: &'static str,
}

/// The DM sessions that ended since the start: by end reason, how many authenticated, how many
/// left the device a new nonce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SessionCounts {
    pub(crate) ended: BTreeMap<&'static str, u64>,
    pub(crate) authenticated: u64,
    pub(crate) nonces_issued: u64,
    /// Live now.
    pub(crate) live: u64,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) requests: u64,
    pub(crate) accepted_messages: u64,
    pub(crate) stored_reports: u64,
    pub(crate) failed_messages: u64,
    pub(crate) commits: u64,
    pub(crate) store_errors: u64,
    pub(crate) ignored: BTreeMap<&'static str, u64>,
    /// DM sessions (not sessionless messages).
    pub(crate) sessions: SessionCounts,
    /// Total time spent in group-commit transactions.
    pub(crate) commit_time: Duration,
    /// The longest group commit.
    pub(crate) commit_max: Duration,
    /// Since the server started.
    pub(crate) uptime: Duration,
}

impl Snapshot {
    /// Ignored messages, all reasons together.
    pub(crate) fn ignored_total(&self) -> u64 {
        self.ignored.values().sum()
    }

    /// The mean group-commit time, if there was a commit.
    pub(crate) fn commit_mean(&self) -> Option<Duration> {
        let n = u32::try_from(self.commits).ok().filter(|n| *n > 0)?;
        Some(self.commit_time / n)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Metrics")
            .field("snapshot", &self.snapshot())
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// Fresh counters, registered under the `omadm_` prefix.
    pub(crate) fn new() -> Self {
        Self::with_cache(None)
    }

    /// [`Metrics::new`], plus the registry cache's figures if the gate has a cache.
    pub(crate) fn with_cache(cache: Option<CacheMetrics>) -> Self {
        let mut registry = Registry::with_prefix("omadm");
        if let Some(cache) = cache {
            registry.register(
                "registry_cache_misses",
                "Look-ups of a device the registry cache did not hold (one database query each)",
                cache.misses,
            );
            registry.register(
                "registry_cache_evictions",
                "Registry cache entries evicted to make room",
                cache.evictions,
            );
            registry.register(
                "registry_cache_entries",
                "Devices (known, refused or absent) the registry cache holds",
                cache.entries,
            );
            registry.register(
                "registry_cache_capacity",
                "The most devices the registry cache holds (serve --registry-cache)",
                cache.capacity,
            );
        }
        let requests = Counter::default();
        registry.register(
            "requests",
            "POST requests to the DM endpoint",
            requests.clone(),
        );
        let messages = Family::<MessageLabels, Counter>::default();
        registry.register(
            "messages",
            "Messages by outcome (accepted, ignored, failed) and, for ignored ones, reason",
            messages.clone(),
        );
        let reports_stored = Counter::default();
        registry.register(
            "reports_stored",
            "Reports committed to storage",
            reports_stored.clone(),
        );
        let commits = Counter::default();
        registry.register("commits", "Group-commit transactions", commits.clone());
        let commit_messages = Counter::default();
        registry.register(
            "commit_messages",
            "Messages answered by group commits (accepted and ignored)",
            commit_messages.clone(),
        );
        let store_errors = Counter::default();
        registry.register(
            "store_errors",
            "Group-commit transactions that failed",
            store_errors.clone(),
        );
        // 0.25 ms .. ~4 s: a tick's transaction is one fsync on a good disk, seconds on a sick one.
        let commit_duration = Histogram::new(exponential_buckets(0.000_25, 2.0, 15));
        registry.register(
            "commit_duration_seconds",
            "Wall time of one group-commit transaction, from BEGIN to COMMIT",
            commit_duration.clone(),
        );
        let sessions = Family::<SessionLabels, Counter>::default();
        registry.register(
            "dm_sessions",
            "DM sessions (SessionID not 0) that ended, by end reason and whether the device \
             authenticated",
            sessions.clone(),
        );
        let session_nonces = Counter::default();
        registry.register(
            "dm_session_nonces_issued",
            "Nonces that ended DM sessions left their devices (the next sessionless reports' \
             nonce), committed",
            session_nonces.clone(),
        );
        let live_sessions = Gauge::default();
        registry.register(
            "dm_sessions_live",
            "DM sessions in progress on this node",
            live_sessions.clone(),
        );
        registry.register(
            "build",
            "The omadm build serving these metrics",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Self {
            registry,
            requests,
            messages,
            reports_stored,
            commits,
            commit_messages,
            store_errors,
            commit_duration,
            accepted_messages: AtomicU64::new(0),
            stored_reports: AtomicU64::new(0),
            failed_messages: AtomicU64::new(0),
            commit_nanos: AtomicU64::new(0),
            commit_max_nanos: AtomicU64::new(0),
            sessions,
            session_nonces,
            live_sessions,
            counts: Mutex::default(),
            started: Instant::now(),
        }
    }

    pub(crate) fn request(&self) {
        self.requests.inc();
    }

    /// One message committed with `reports` reports.
    pub(crate) fn accepted(&self, reports: usize) {
        let reports = u64::try_from(reports).unwrap_or(u64::MAX);
        self.accepted_messages.fetch_add(1, Ordering::Relaxed);
        self.stored_reports.fetch_add(reports, Ordering::Relaxed);
        self.messages
            .get_or_create(&MessageLabels {
                outcome: ACCEPTED,
                reason: "",
            })
            .inc();
        self.reports_stored.inc_by(reports);
        let mut counts = self.counts();
        counts.interval.accepted += 1;
        counts.interval.reports += reports;
        counts.rates.accepted(unix_now(), reports);
    }

    /// One message ignored for `reason`. Returns how many were ignored for it since the last
    /// summary line, this one included (the writer logs only the first few: a flood of forgeries
    /// must not become a flood of log lines).
    pub(crate) fn ignored(&self, reason: Reason) -> u64 {
        self.messages
            .get_or_create(&MessageLabels {
                outcome: IGNORED,
                reason,
            })
            .inc();
        let mut counts = self.counts();
        *counts.ignored.entry(reason).or_insert(0) += 1;
        counts.rates.ignored(unix_now(), reason);
        let n = counts.interval.ignored.entry(reason).or_insert(0);
        *n += 1;
        *n
    }

    /// One group commit of `messages` messages that took `took`.
    pub(crate) fn commit(&self, messages: usize, took: Duration) {
        self.commits.inc();
        self.commit_messages
            .inc_by(u64::try_from(messages).unwrap_or(u64::MAX));
        self.observe_commit(took);
        self.counts().interval.commits += 1;
    }

    /// One message answered 503 because the device registry could not be read for it (a cache
    /// miss while the database is away).
    pub(crate) fn registry_unavailable(&self) {
        self.failed_messages.fetch_add(1, Ordering::Relaxed);
        self.messages
            .get_or_create(&MessageLabels {
                outcome: FAILED,
                reason: REGISTRY_UNAVAILABLE,
            })
            .inc();
        let mut counts = self.counts();
        counts.interval.failed += 1;
        counts.rates.failed(unix_now(), 1);
    }

    /// One failed group commit of `messages` messages that took `took`.
    pub(crate) fn store_error(&self, messages: usize, took: Duration) {
        let messages = u64::try_from(messages).unwrap_or(u64::MAX);
        self.store_errors.inc();
        self.failed_messages.fetch_add(messages, Ordering::Relaxed);
        self.messages
            .get_or_create(&MessageLabels {
                outcome: FAILED,
                reason: "store-error",
            })
            .inc_by(messages);
        self.observe_commit(took);
        let mut counts = self.counts();
        counts.interval.failed += messages;
        counts.rates.failed(unix_now(), messages);
    }

    /// One DM session ended for `end` (a kebab-case reason); `nonce_issued`: the new nonce it
    /// left the device was committed.
    pub(crate) fn session_ended(&self, end: &'static str, authenticated: bool, nonce_issued: bool) {
        self.sessions
            .get_or_create(&SessionLabels {
                end,
                authenticated: if authenticated { "true" } else { "false" },
            })
            .inc();
        if nonce_issued {
            self.session_nonces.inc();
        }
        let mut counts = self.counts();
        *counts.sessions.ended.entry(end).or_insert(0) += 1;
        counts.sessions.authenticated += u64::from(authenticated);
        counts.sessions.nonces_issued += u64::from(nonce_issued);
    }

    /// The number of DM sessions in progress.
    pub(crate) fn live_sessions(&self, live: usize) {
        let live = i64::try_from(live).unwrap_or(i64::MAX);
        self.live_sessions.set(live);
    }

    fn observe_commit(&self, took: Duration) {
        self.commit_duration.observe(took.as_secs_f64());
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.commit_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.commit_max_nanos.fetch_max(nanos, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        // One guard: a second `self.counts()` in the same expression would wait for the first.
        let counts = self.counts();
        Snapshot {
            requests: self.requests.get(),
            accepted_messages: self.accepted_messages.load(Ordering::Relaxed),
            stored_reports: self.stored_reports.load(Ordering::Relaxed),
            failed_messages: self.failed_messages.load(Ordering::Relaxed),
            commits: self.commits.get(),
            store_errors: self.store_errors.get(),
            ignored: counts.ignored.clone(),
            sessions: SessionCounts {
                live: u64::try_from(self.live_sessions.get()).unwrap_or(0),
                ..counts.sessions.clone()
            },
            commit_time: Duration::from_nanos(self.commit_nanos.load(Ordering::Relaxed)),
            commit_max: Duration::from_nanos(self.commit_max_nanos.load(Ordering::Relaxed)),
            uptime: self.started.elapsed(),
        }
    }

    /// What happened since the last call (or the start), and starts a new interval.
    pub(crate) fn take_interval(&self) -> Interval {
        core::mem::take(&mut self.counts().interval)
    }

    /// Totals of the last `secs` seconds, per reason, from the in-memory rate window.
    pub(crate) fn recent(&self, secs: u64) -> Totals {
        self.counts().rates.totals(unix_now(), secs)
    }

    /// Messages per second (accepted, ignored) of the last `secs` seconds, oldest first.
    pub(crate) fn per_second(&self, secs: u64) -> Vec<(u64, u64)> {
        self.counts().rates.per_second(unix_now(), secs)
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        // invariant: writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }

    /// The OpenMetrics text format (ends with `# EOF`).
    pub(crate) fn render_openmetrics(&self) -> String {
        let mut out = String::with_capacity(2048);
        // invariant: writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whole seconds since the Unix epoch (the rate window's clock).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
