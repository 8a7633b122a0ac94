//! Group commit: one writer collects the verdicts of a short tick, runs the anti-replay checks
//! and inserts in ONE transaction, commits, and only then releases every answer of the tick —
//! accepted and ignored alike, so timing does not tell them apart.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

use super::gate::{Checked, Gate, Reason};
use super::metrics::Metrics;
use super::summary::SAMPLED_PER_INTERVAL;
use crate::store::{ReportStore, StoreError};

/// What the handler hands to the writer.
#[derive(Debug)]
pub(crate) enum Work<C> {
    /// Passed the CPU-bound checks; the anti-replay check remains.
    Checked(Box<Checked<C>>),
    /// Already ignored.
    Ignored(Reason),
}

/// What became of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Committed, with this many reports.
    Stored(usize),
    /// Ignored for this reason.
    Ignored(Reason),
    /// The transaction failed: nothing of the tick was stored.
    Failed,
}

/// Group-commit settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tick {
    /// How long a message may wait for its transaction: the writer collects until the oldest
    /// message of the tick has waited this long (or the batch is full).
    pub(crate) period: Duration,
    /// Most messages in one transaction.
    pub(crate) max_batch: usize,
}

impl Default for Tick {
    fn default() -> Self {
        Self {
            period: Duration::from_millis(5),
            max_batch: 1024,
        }
    }
}

struct Job<C> {
    received_ms: i64,
    /// When the job was queued: its tick ends `period` later.
    queued: Instant,
    work: Work<C>,
    reply: oneshot::Sender<Outcome>,
}

/// The handlers' side of the writer. When every clone is dropped, the writer commits what it
/// holds and stops.
pub(crate) struct WriterHandle<C> {
    tx: mpsc::Sender<Job<C>>,
}

impl<C> Clone for WriterHandle<C> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<C: Send + 'static> WriterHandle<C> {
    /// Queues `work` and waits until its tick is committed.
    pub(crate) async fn submit(&self, received_ms: i64, work: Work<C>) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            received_ms,
            queued: Instant::now(),
            work,
            reply,
        };
        if self.tx.send(job).await.is_err() {
            return Outcome::Failed;
        }
        answer.await.unwrap_or(Outcome::Failed)
    }
}

/// Starts the writer task. `events`, if given, receives every outcome in commit order (the demo
/// reads it).
pub(crate) fn spawn<G: Gate>(
    gate: Arc<G>,
    store: Box<dyn ReportStore>,
    metrics: Arc<Metrics>,
    tick: Tick,
    events: Option<mpsc::UnboundedSender<Outcome>>,
) -> (WriterHandle<G::Claim>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(tick.max_batch.saturating_mul(4).max(16));
    let task = tokio::spawn(run(gate, store, metrics, tick, events, rx));
    (WriterHandle { tx }, task)
}

async fn run<G: Gate>(
    gate: Arc<G>,
    store: Box<dyn ReportStore>,
    metrics: Arc<Metrics>,
    tick: Tick,
    events: Option<mpsc::UnboundedSender<Outcome>>,
    mut rx: mpsc::Receiver<Job<G::Claim>>,
) {
    let mut store = Some(store);
    while let Some(first) = rx.recv().await {
        // The tick ends `period` after the oldest job was queued: jobs that queued up while the
        // previous transaction ran have waited long enough and go into the next one at once.
        let deadline = first.queued + tick.period;
        let mut batch = vec![first];
        while batch.len() < tick.max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => match timeout_at(deadline, rx.recv()).await {
                    Ok(Some(job)) => batch.push(job),
                    Ok(None) | Err(_) => break,
                },
            }
        }
        let Some(mut owned) = store.take() else {
            break;
        };
        let gate2 = Arc::clone(&gate);
        let joined = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let result = commit_with_retries(owned.as_mut(), gate2.as_ref(), &batch);
            (owned, batch, result, started.elapsed())
        })
        .await;
        let Ok((owned, batch, result, took)) = joined else {
            tracing::error!("the storage writer panicked; stopping");
            break;
        };
        store = Some(owned);
        let outcomes = match result {
            Ok(outcomes) => {
                metrics.commit(batch.len(), took);
                outcomes
            }
            Err(e) => {
                tracing::error!(error = %e, messages = batch.len(), "group commit failed; answering 503");
                metrics.store_error(batch.len(), took);
                vec![Outcome::Failed; batch.len()]
            }
        };
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            match outcome {
                Outcome::Stored(n) => metrics.accepted(n),
                Outcome::Ignored(reason) => {
                    // Counted always, logged as a sample: the summary line has the totals.
                    let nth = metrics.ignored(reason);
                    if nth <= SAMPLED_PER_INTERVAL {
                        tracing::debug!(reason, nth, "message ignored (sampled)");
                    }
                }
                Outcome::Failed => {}
            }
            if let Some(events) = &events {
                let _ = events.send(outcome);
            }
            let _ = job.reply.send(outcome);
        }
    }
}

/// Attempts of one tick's transaction when the store calls a failure transient.
const COMMIT_ATTEMPTS: u32 = 6;
/// Pause before the second attempt; doubled before each next one (0.05 + 0.1 + … + 0.8 s).
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// [`commit`], run again (the whole tick, from its first read) while the store calls the
/// failure transient — a serialization failure, a deadlock, a lost connection — at most
/// [`COMMIT_ATTEMPTS`] times. A retry after a commit whose answer was lost is safe: the
/// anti-replay windows it committed make the second attempt ignore what the first stored.
fn commit_with_retries<G: Gate>(
    store: &mut dyn ReportStore,
    gate: &G,
    batch: &[Job<G::Claim>],
) -> Result<Vec<Outcome>, StoreError> {
    let mut pause = FIRST_RETRY_PAUSE;
    let mut attempt = 1;
    loop {
        match commit(store, gate, batch) {
            Err(e) if e.is_retryable() && attempt < COMMIT_ATTEMPTS => {
                tracing::warn!(error = %e, attempt, "group commit failed; retrying");
                // On the writer's blocking thread: sleeping here holds up no request task.
                std::thread::sleep(pause);
                pause = pause.saturating_mul(2);
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// One transaction for the whole tick. Messages already ignored take part only by being
/// answered at its end; the transaction runs even when none was accepted, so that the answer
/// path is the same.
fn commit<G: Gate>(
    store: &mut dyn ReportStore,
    gate: &G,
    batch: &[Job<G::Claim>],
) -> Result<Vec<Outcome>, StoreError> {
    let mut tx = store.begin()?;
    let mut usernames: Vec<&str> = batch
        .iter()
        .filter_map(|job| match &job.work {
            Work::Checked(checked) => Some(checked.message.username.as_str()),
            Work::Ignored(_) => None,
        })
        .collect();
    usernames.sort_unstable();
    usernames.dedup();
    tx.lock(&usernames)?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let outcome = match &job.work {
            Work::Ignored(reason) => Outcome::Ignored(reason),
            Work::Checked(checked) => {
                let username = &checked.message.username;
                let state = tx.replay_state(username)?;
                match gate.replay(checked, state.as_deref()) {
                    Ok(next) => {
                        tx.save_replay_state(username, &next)?;
                        tx.insert(job.received_ms, &checked.message)?;
                        Outcome::Stored(checked.message.reports.len())
                    }
                    Err(reason) => Outcome::Ignored(reason),
                }
            }
        };
        outcomes.push(outcome);
    }
    tx.commit()?;
    Ok(outcomes)
}
