//! Group commit: one writer collects the verdicts of a short tick, runs the anti-replay checks
//! and inserts in ONE transaction, commits, and only then releases every answer of the tick —
//! accepted and ignored alike, so timing does not tell them apart.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};

use super::gate::{Checked, Gate, Reason, STALE_NONCE};
use super::metrics::Metrics;
use super::summary::SAMPLED_PER_INTERVAL;
use crate::store::{ReportStore, SessionFinish, SessionStart, StoreError};

/// What the handler hands to the writer.
#[derive(Debug)]
pub(crate) enum Work<C> {
    /// Passed the CPU-bound checks; the anti-replay check remains.
    Checked(Box<Checked<C>>),
    /// Already ignored.
    Ignored(Reason),
}

/// What a DM session asks of the store, in the writer's transaction (so that a session's new
/// nonce commits in the same transaction as the tick's anti-replay states, and the gate expects
/// it before any later tick is judged).
#[derive(Debug)]
pub(crate) enum SessionOp {
    /// The device's queued commands and whether discovery ran.
    Start { username: String },
    /// An authenticated session ended.
    Finish(Box<SessionFinish>),
}

/// The store's answer to a [`SessionOp`].
#[derive(Debug)]
pub(crate) enum SessionDone {
    Started(SessionStart),
    /// Whether the new nonce is in the registry (`false`: none issued, or the registry cannot
    /// hold the device).
    Finished(bool),
}

/// One job's work.
enum Task<C> {
    Message(Work<C>),
    Session(SessionOp),
}

/// One job's answer.
enum Done {
    Message(Outcome),
    Session(SessionDone),
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
    work: Task<C>,
    reply: Reply,
}

enum Reply {
    Message(oneshot::Sender<Outcome>),
    Session(oneshot::Sender<Option<SessionDone>>),
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
            work: Task::Message(work),
            reply: Reply::Message(reply),
        };
        if self.tx.send(job).await.is_err() {
            return Outcome::Failed;
        }
        answer.await.unwrap_or(Outcome::Failed)
    }

    /// Runs a session's store operation in the next tick; `None` when its transaction failed
    /// (nothing of it was kept).
    pub(crate) async fn session(&self, op: SessionOp) -> Option<SessionDone> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            received_ms: 0,
            queued: Instant::now(),
            work: Task::Session(op),
            reply: Reply::Session(reply),
        };
        self.tx.send(job).await.ok()?;
        answer.await.ok().flatten()
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
        let outcomes: Vec<Option<Done>> = match result {
            Ok(outcomes) => {
                metrics.commit(batch.len(), took);
                outcomes.into_iter().map(Some).collect()
            }
            Err(e) => {
                tracing::error!(error = %e, messages = batch.len(), "group commit failed; answering 503");
                metrics.store_error(batch.len(), took);
                batch.iter().map(|_| None).collect()
            }
        };
        // The nonces sessions issued in this tick are expected from now on: before any answer
        // is released, and before the next tick judges anything.
        for (job, done) in batch.iter().zip(&outcomes) {
            if let (
                Task::Session(SessionOp::Finish(finish)),
                Some(Done::Session(SessionDone::Finished(_))),
            ) = (&job.work, done)
                && let Some(nonce) = finish
                    .next_nonce
                    .as_deref()
                    .and_then(|n| omadm_dmsec::Nonce::from_base64(n).ok())
            {
                gate.nonce_issued(&finish.username, nonce);
            }
        }
        for (job, done) in batch.into_iter().zip(outcomes) {
            let outcome = match (job.reply, done) {
                (Reply::Session(reply), done) => {
                    let _ = reply.send(match done {
                        Some(Done::Session(d)) => Some(d),
                        _ => None,
                    });
                    continue;
                }
                (Reply::Message(reply), Some(Done::Message(outcome))) => (reply, outcome),
                (Reply::Message(reply), _) => (reply, Outcome::Failed),
            };
            let (reply, outcome) = outcome;
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
            let _ = reply.send(outcome);
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
) -> Result<Vec<Done>, StoreError> {
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
) -> Result<Vec<Done>, StoreError> {
    let mut tx = store.begin()?;
    let mut usernames: Vec<&str> = batch
        .iter()
        .filter_map(|job| match &job.work {
            Task::Message(Work::Checked(checked)) => Some(checked.message.username.as_str()),
            Task::Message(Work::Ignored(_)) => None,
            Task::Session(SessionOp::Start { username }) => Some(username.as_str()),
            Task::Session(SessionOp::Finish(finish)) => Some(finish.username.as_str()),
        })
        .collect();
    usernames.sort_unstable();
    usernames.dedup();
    tx.lock(&usernames)?;
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let outcome = match &job.work {
            Task::Session(SessionOp::Start { username }) => {
                outcomes.push(Done::Session(SessionDone::Started(
                    tx.session_start(username)?,
                )));
                continue;
            }
            Task::Session(SessionOp::Finish(finish)) => {
                // The new nonce and the tick's anti-replay states commit together.
                let written = match &finish.next_nonce {
                    Some(nonce) => tx.set_nonce(&finish.username, nonce, finish.at_ms)?,
                    None => false,
                };
                outcomes.push(Done::Session(SessionDone::Finished(
                    tx.session_finish(finish, written)?,
                )));
                continue;
            }
            Task::Message(Work::Ignored(reason)) => Outcome::Ignored(reason),
            // Signed with a nonce a session (or an operator) replaced after the check.
            Task::Message(Work::Checked(checked)) if !gate.is_current(checked) => {
                Outcome::Ignored(STALE_NONCE)
            }
            Task::Message(Work::Checked(checked)) => {
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
        outcomes.push(Done::Message(outcome));
    }
    tx.commit()?;
    Ok(outcomes)
}
