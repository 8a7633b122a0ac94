//! Counters of the DM endpoint and their Prometheus text exposition (served on its own
//! listener, never on the DM port).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every counter the server keeps. Updated by the handlers (requests) and by the writer (what
/// became of each message, after its transaction).
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    requests: AtomicU64,
    accepted_messages: AtomicU64,
    stored_reports: AtomicU64,
    failed_messages: AtomicU64,
    commits: AtomicU64,
    committed_batch_messages: AtomicU64,
    store_errors: AtomicU64,
    ignored: Mutex<BTreeMap<&'static str, u64>>,
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
}

impl Snapshot {
    /// Ignored messages, all reasons together.
    pub(crate) fn ignored_total(&self) -> u64 {
        self.ignored.values().sum()
    }
}

impl Metrics {
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn accepted(&self, reports: usize) {
        self.accepted_messages.fetch_add(1, Ordering::Relaxed);
        self.stored_reports.fetch_add(
            u64::try_from(reports).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn ignored(&self, reason: &'static str) {
        let mut map = self
            .ignored
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry(reason).or_insert(0) += 1;
    }

    pub(crate) fn commit(&self, messages: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.committed_batch_messages.fetch_add(
            u64::try_from(messages).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn store_error(&self, messages: usize) {
        self.store_errors.fetch_add(1, Ordering::Relaxed);
        self.failed_messages.fetch_add(
            u64::try_from(messages).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            requests: self.requests.load(Ordering::Relaxed),
            accepted_messages: self.accepted_messages.load(Ordering::Relaxed),
            stored_reports: self.stored_reports.load(Ordering::Relaxed),
            failed_messages: self.failed_messages.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            store_errors: self.store_errors.load(Ordering::Relaxed),
            ignored: self
                .ignored
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub(crate) fn render(&self) -> String {
        let s = self.snapshot();
        let batch = self.committed_batch_messages.load(Ordering::Relaxed);
        let mut out = String::with_capacity(1024);
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {value}");
        };
        counter(
            "omadm_requests_total",
            "POST requests to the DM endpoint.",
            s.requests,
        );
        counter(
            "omadm_accepted_messages_total",
            "Messages accepted and committed.",
            s.accepted_messages,
        );
        counter(
            "omadm_stored_reports_total",
            "Reports committed to storage.",
            s.stored_reports,
        );
        counter(
            "omadm_failed_messages_total",
            "Messages answered 503 because their transaction failed.",
            s.failed_messages,
        );
        counter(
            "omadm_commits_total",
            "Group-commit transactions.",
            s.commits,
        );
        counter(
            "omadm_commit_messages_total",
            "Messages answered by group commits (accepted and ignored).",
            batch,
        );
        counter(
            "omadm_store_errors_total",
            "Group-commit transactions that failed.",
            s.store_errors,
        );
        let _ = writeln!(
            out,
            "# HELP omadm_ignored_messages_total Messages ignored, by reason."
        );
        let _ = writeln!(out, "# TYPE omadm_ignored_messages_total counter");
        for (reason, count) in &s.ignored {
            let _ = writeln!(
                out,
                "omadm_ignored_messages_total{{reason=\"{reason}\"}} {count}"
            );
        }
        out
    }
}
