//! `omadm send`: emit and POST, with bounded retries; with `--repeat` and `--concurrency`, a load
//! generator with a progress bar and a throughput and latency summary.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hyper::body::Bytes;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::emit::{Overrides, emit, emitter_for, load_reports};
use super::serve::{runtime, seconds};
use crate::cli::SendArgs;
use crate::client::{Client, Delivery, Target};
use crate::config::Devices;
use crate::error::{CliError, EXIT_FAILURE};
use crate::out;
use crate::state::ClientState;

/// One message to POST.
struct Job {
    /// Which device sent it (index among the devices sent from).
    device: usize,
    /// Which device sent it (username).
    username: String,
    /// Its MsgID.
    msg_id: u32,
    /// Reports it holds.
    reports: usize,
    /// The exact signed bytes.
    body: Bytes,
    /// Their media type (the device's encoding).
    content_type: &'static str,
    /// Transport headers (`x-syncml-hmac` for the header carrier).
    headers: Vec<(&'static str, String)>,
}

pub(crate) fn run(args: &SendArgs) -> Result<ExitCode, CliError> {
    let targets = args
        .url
        .iter()
        .map(|url| Target::parse(url))
        .collect::<Result<Vec<_>, _>>()?;
    let urls = args.url.join(", ");
    let timeout = seconds("--timeout", args.timeout)?;
    if args.repeat == 0 {
        return Err(CliError::input("--repeat: expected at least 1"));
    }
    let devices = Devices::load(&args.common.devices)?;
    let mut usernames: Vec<String> = if args.all_devices {
        devices.iter().map(|d| d.username.clone()).collect()
    } else {
        args.device.clone()
    };
    // A device named twice would number two streams from the same MsgID.
    let mut seen = std::collections::HashSet::new();
    usernames.retain(|u| seen.insert(u.clone()));
    let reports = load_reports(&args.common.reports)?;
    let server_uri = args
        .server_uri
        .as_deref()
        .or_else(|| args.url.first().map(String::as_str))
        .unwrap_or_default();
    let mut state = ClientState::load(args.common.state.as_deref())?;

    // Emit everything first, and persist the MsgIDs before sending, so that a crash never
    // reuses one (the server would ignore the second use as a replay).
    let mut jobs = Vec::new();
    for (index, username) in usernames.iter().enumerate() {
        let device = devices.require(username)?;
        let mut emitter = emitter_for(
            &devices,
            device,
            server_uri,
            Overrides::of(&args.common),
            state.next_msg_id(&device.username),
            state.nonce(&device.username),
        )?;
        for _ in 0..args.repeat {
            for message in emit(&mut emitter, &reports, &args.common.reports)?.messages {
                jobs.push(Job {
                    device: index,
                    username: device.username.clone(),
                    msg_id: message.msg_id.get(),
                    reports: message.reports,
                    body: Bytes::from(message.body),
                    content_type: message.content_type,
                    headers: message.headers,
                });
            }
        }
        state.set_next_msg_id(&device.username, emitter.next_msg_id().get());
    }
    state.save()?;
    let concurrency = args.concurrency.max(1);
    if concurrency > usernames.len() && concurrency > 1 {
        eprintln!(
            "note: --concurrency {concurrency} capped at {}: each device sends one message at a \
             time, in MsgID order",
            usernames.len()
        );
    }

    let load = args.repeat > 1 || args.concurrency > 1;
    let progress = if load && !args.quiet {
        let bar =
            ProgressBar::with_draw_target(Some(jobs.len() as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} messages ({per_sec})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let total = jobs.len();
    let started = Instant::now();
    let results = runtime()?.block_on(post_all(
        jobs,
        targets,
        timeout,
        args.retries,
        concurrency,
        progress.clone(),
    ));
    let elapsed = started.elapsed();
    progress.finish_and_clear();

    let failed: Vec<&(JobInfo, Delivery)> =
        results.iter().filter(|(_, d)| !d.is_success()).collect();
    if load {
        out(&summary(&results, elapsed));
    } else {
        let mut text = String::new();
        for (job, delivery) in &results {
            let _ = writeln!(
                text,
                "{} MsgID {}: {} report(s), {} ({} attempt{})",
                job.username,
                job.msg_id,
                job.reports,
                delivery.describe(),
                delivery.attempts,
                if delivery.attempts == 1 { "" } else { "s" }
            );
        }
        out(&text);
    }
    match failed.first() {
        None => Ok(ExitCode::SUCCESS),
        Some((job, delivery)) => {
            eprintln!(
                "error: {} of {total} message(s) not delivered to {}; first: {} MsgID {}: {} \
                 after {} attempt(s)",
                failed.len(),
                urls,
                job.username,
                job.msg_id,
                delivery.describe(),
                delivery.attempts
            );
            Ok(ExitCode::from(EXIT_FAILURE))
        }
    }
}

/// What is kept of a job once sent.
struct JobInfo {
    username: String,
    msg_id: u32,
    reports: usize,
}

/// POSTs every job with up to `concurrency` workers, one connection each; results in job
/// order.
///
/// Each device's messages go out one at a time and in order, as a device sends them: a worker
/// owns a set of devices and takes their messages in turn. (Sending one device's messages in
/// parallel would let a delayed one fall more than the anti-replay window behind, and the
/// server would rightly ignore it.) Worker w sends to `targets[w mod n]`.
async fn post_all(
    jobs: Vec<Job>,
    targets: Vec<Target>,
    timeout: Duration,
    retries: u32,
    concurrency: usize,
    progress: ProgressBar,
) -> Vec<(JobInfo, Delivery)> {
    let total = jobs.len();
    let devices = jobs.iter().map(|j| j.device + 1).max().unwrap_or(0);
    let workers_wanted = concurrency.clamp(1, devices.max(1));
    // Worker w owns devices w, w + W, w + 2W, …; each keeps its devices' queues in order.
    let mut queues: Vec<Vec<VecDeque<(usize, Job)>>> =
        (0..workers_wanted).map(|_| Vec::new()).collect();
    let mut slot = vec![(0usize, 0usize); devices];
    for (device, s) in slot.iter_mut().enumerate() {
        let worker = device % workers_wanted;
        *s = (worker, queues[worker].len());
        queues[worker].push(VecDeque::new());
    }
    for (index, job) in jobs.into_iter().enumerate() {
        let (worker, queue) = slot[job.device];
        queues[worker][queue].push_back((index, job));
    }
    let mut workers = tokio::task::JoinSet::new();
    for (w, mut owned) in queues.into_iter().enumerate() {
        let target = targets[w % targets.len().max(1)].clone();
        let progress = progress.clone();
        workers.spawn(async move {
            let mut client = Client::new(target, timeout);
            let mut done = Vec::new();
            while owned.iter().any(|q| !q.is_empty()) {
                for queue in &mut owned {
                    let Some((index, job)) = queue.pop_front() else {
                        continue;
                    };
                    let delivery = client
                        .post(&job.body, job.content_type, &job.headers, retries)
                        .await;
                    progress.inc(1);
                    let info = JobInfo {
                        username: job.username,
                        msg_id: job.msg_id,
                        reports: job.reports,
                    };
                    done.push((index, info, delivery));
                }
            }
            done
        });
    }
    let mut all = Vec::with_capacity(total);
    while let Some(done) = workers.join_next().await {
        if let Ok(done) = done {
            all.extend(done);
        }
    }
    all.sort_by_key(|(index, _, _)| *index);
    all.into_iter().map(|(_, info, d)| (info, d)).collect()
}

/// Throughput and latency of a load run.
fn summary(results: &[(JobInfo, Delivery)], elapsed: Duration) -> String {
    let messages = results.len();
    let delivered: Vec<&(JobInfo, Delivery)> =
        results.iter().filter(|(_, d)| d.is_success()).collect();
    let reports: usize = delivered.iter().map(|(j, _)| j.reports).sum();
    let retried = results.iter().filter(|(_, d)| d.attempts > 1).count();
    let mut latencies: Vec<Duration> = delivered.iter().map(|(_, d)| d.latency).collect();
    latencies.sort_unstable();
    let secs = elapsed.as_secs_f64().max(f64::EPSILON);
    let pct = |p: f64| -> String {
        if latencies.is_empty() {
            return "-".to_owned();
        }
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        let at = rank.clamp(1, latencies.len()) - 1;
        format!("{:.2} ms", latencies[at].as_secs_f64() * 1000.0)
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "messages: {messages} sent, {} delivered (2xx), {} failed, {retried} retried",
        delivered.len(),
        messages - delivered.len()
    );
    let _ = writeln!(s, "reports:  {reports} delivered");
    let _ = writeln!(
        s,
        "elapsed:  {:.3} s; {:.0} messages/s, {:.0} reports/s",
        secs,
        delivered.len() as f64 / secs,
        reports as f64 / secs
    );
    let _ = writeln!(
        s,
        "latency:  p50 {}, p90 {}, p99 {}, max {}",
        pct(50.0),
        pct(90.0),
        pct(99.0),
        pct(100.0)
    );
    s
}
