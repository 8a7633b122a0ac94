//! The ingestion server behind `omadm serve` (and `omadm demo`): an HTTP/1.1 edge on hyper and
//! axum, a verification [`Gate`], a group-commit writer and a metrics listener of its own.
//!
//! Every POST to the DM endpoint gets the same answer, `204 No Content` with no body, released
//! when the tick it joined has committed — whatever became of it (accepted, ignored, oversize,
//! wrong media type). Only a failed transaction changes the answer (`503` for the whole tick), so
//! a sender may retry what was not stored.

pub(crate) mod gate;
pub(crate) mod metrics;
pub(crate) mod session;
pub(crate) mod status;
mod summary;
pub(crate) mod writer;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use omadm_dmsec::HMAC_HEADER;
use omadm_syncml::Encoding;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use self::gate::{BODY_ERROR, BODY_TIMEOUT, MEDIA_TYPE, NOT_CACHED, OVERSIZE, UNAVAILABLE};
pub(crate) use self::gate::{Checked, Gate, Reason, Transport};
pub(crate) use self::metrics::Metrics;
use self::session::{Answer, Sessions};
pub(crate) use self::session::{SessionAuthMode, SessionConfig};
pub(crate) use self::status::ReplayView;
pub(crate) use self::writer::{Outcome, Tick};
use self::writer::{Work, WriterHandle};
use crate::store::ReportStore;

/// How the server listens and paces itself.
#[derive(Clone, Debug)]
pub(crate) struct ServerConfig {
    pub(crate) listen: SocketAddr,
    pub(crate) metrics_listen: Option<SocketAddr>,
    pub(crate) max_msg_size: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) tick: Tick,
    pub(crate) shutdown_grace: Duration,
    /// How often one info line sums up what happened (`None`: never).
    pub(crate) summary_interval: Option<Duration>,
    /// DM sessions (messages whose `SessionID` is not `0`).
    pub(crate) sessions: SessionConfig,
}

impl ServerConfig {
    /// Defaults for everything but the address.
    pub(crate) fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            metrics_listen: None,
            max_msg_size: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 1024,
            tick: Tick::default(),
            shutdown_grace: Duration::from_secs(10),
            summary_interval: Some(Duration::from_secs(60)),
            sessions: SessionConfig::new(16 * 1024),
        }
    }
}

/// A started server.
#[derive(Debug)]
pub(crate) struct Running {
    /// The bound DM address.
    pub(crate) addr: SocketAddr,
    /// The bound metrics address, if any.
    pub(crate) metrics_addr: Option<SocketAddr>,
    /// The live counters.
    pub(crate) metrics: Arc<Metrics>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets open requests finish (within the grace period), commits the last
    /// tick and returns.
    pub(crate) async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds the listeners and starts serving. `events` receives every outcome in commit order.
pub(crate) async fn start<G: Gate>(
    config: &ServerConfig,
    gate: Arc<G>,
    store: Box<dyn ReportStore>,
    events: Option<mpsc::UnboundedSender<Outcome>>,
) -> io::Result<Running> {
    let listener = listen(config.listen)?;
    let addr = listener.local_addr()?;
    let metrics = Arc::new(Metrics::with_cache(gate.cache_metrics()));
    let (shutdown, shutdown_rx) = watch::channel(false);

    let metrics_listener = match config.metrics_listen {
        Some(at) => Some(TcpListener::bind(at).await?),
        None => None,
    };
    let metrics_addr = match &metrics_listener {
        Some(l) => Some(l.local_addr()?),
        None => None,
    };
    // The status page reads the store on a connection of its own, opened before the writer
    // takes the store.
    let query = match &metrics_listener {
        Some(_) => store
            .reader()
            .map_err(|e| io::Error::other(e.to_string()))?,
        None => None,
    };

    let mut session_config = config.sessions.clone();
    session_config.enabled &= store.supports_sessions();
    session_config.max_msg_size = config.max_msg_size;
    let sessions = Arc::new(Sessions::new(session_config, Arc::clone(&metrics)));
    let (writer, writer_task) = writer::spawn(
        Arc::clone(&gate),
        store,
        Arc::clone(&metrics),
        config.tick,
        events,
    );
    let replay_gate = Arc::clone(&gate);
    let sweeper = tokio::spawn(sweep_sessions(
        Arc::clone(&sessions),
        writer.clone(),
        config.sessions.idle_timeout,
        shutdown_rx.clone(),
    ));
    let app = Arc::new(App {
        gate,
        writer,
        sessions,
        metrics: Arc::clone(&metrics),
        max_msg_size: config.max_msg_size,
        body_timeout: config.body_timeout,
    });
    let router = Router::new()
        .route("/", post(dm_post::<G>))
        .route("/dm", post(dm_post::<G>))
        .with_state(app);

    let status = Arc::new(status::Status {
        metrics: Arc::clone(&metrics),
        query,
        replay: Arc::new(move |user: &str, state: &[u8], nonce: Option<&str>| {
            replay_gate.replay_view(user, state, nonce)
        }),
        facts: status::Facts {
            max_msg_size: config.max_msg_size,
            tick_ms: u64::try_from(config.tick.period.as_millis()).unwrap_or(u64::MAX),
            max_batch: config.tick.max_batch,
            replay_window: omadm_verifier::WINDOW_WIDTH,
        },
    });
    let summary_task = config
        .summary_interval
        .map(|every| summary::spawn(Arc::clone(&metrics), every, shutdown_rx.clone()));
    let metrics_task = metrics_listener.map(|l| {
        let router = status::router(status);
        let mut rx = shutdown_rx.clone();
        tokio::spawn(async move {
            let stop = async move { stop_requested(&mut rx).await };
            if let Err(e) = axum::serve(l, router).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "metrics listener failed");
            }
        })
    });

    let task = tokio::spawn(accept_loop(
        listener,
        router,
        config.clone(),
        shutdown_rx,
        sweeper,
        writer_task,
        [metrics_task, summary_task],
    ));
    Ok(Running {
        addr,
        metrics_addr,
        metrics,
        shutdown,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    config: ServerConfig,
    mut shutdown: watch::Receiver<bool>,
    sweeper: JoinHandle<()>,
    writer_task: JoinHandle<()>,
    side_tasks: [Option<JoinHandle<()>>; 2],
) {
    let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            () = stop_requested(&mut shutdown) => break,
            permit = Arc::clone(&limit).acquire_owned() => permit,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            () = stop_requested(&mut shutdown) => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        connections.spawn(async move {
            let _permit = permit;
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    drop(router);
    tracing::info!("shutting down: finishing open requests");
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("grace period over; closing the remaining connections");
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    // The sweeper ends the live sessions (writing what they leave) and drops its writer handle.
    let _ = sweeper.await;
    // Every writer handle is gone now: the writer commits its last tick and stops.
    let _ = writer_task.await;
    for task in side_tasks.into_iter().flatten() {
        let _ = task.await;
    }
    tracing::info!("stopped");
}

/// Pending connections the kernel queues before `accept` (tokio's `bind` uses 128, too few for a
/// burst of devices: the overflow costs a SYN retransmission, a second).
const LISTEN_BACKLOG: u32 = 4096;

/// A listener with [`LISTEN_BACKLOG`] (the kernel caps it at `net.core.somaxconn`).
fn listen(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Resolves once shutdown is requested (or the sender is gone).
async fn stop_requested(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Ends idle sessions every second (or a quarter of the timeout, if shorter); at shutdown, ends
/// every live one and writes what it leaves, then returns (dropping its writer handle).
async fn sweep_sessions<C: Send + 'static>(
    sessions: Arc<Sessions>,
    writer: WriterHandle<C>,
    idle_timeout: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let every = (idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    loop {
        tokio::select! {
            () = stop_requested(&mut shutdown) => break,
            () = tokio::time::sleep(every) => {}
        }
        sessions.expire(&writer, SystemTime::now(), false).await;
    }
    if sessions.len() > 0 {
        tracing::info!(live = sessions.len(), "ending the live DM sessions");
    }
    sessions.expire(&writer, SystemTime::now(), true).await;
}

struct App<G: Gate> {
    gate: Arc<G>,
    writer: WriterHandle<G::Claim>,
    sessions: Arc<Sessions>,
    metrics: Arc<Metrics>,
    max_msg_size: usize,
    body_timeout: Duration,
}

async fn dm_post<G: Gate>(State(app): State<Arc<App<G>>>, request: Request) -> Response {
    app.metrics.request();
    let received_ms = now_ms();
    let work = match app.examine(request).await {
        Examined::Work(work) => work,
        Examined::Refused {
            body,
            hmac_header,
            content_type,
            reason,
        } => {
            // Refused as a sessionless report: a DM session message (SessionID not 0) goes to
            // its session instead; anything else is answered as an ignored report.
            if let Some(header) =
                session::session_header(&body, content_type.as_deref(), app.max_msg_size)
            {
                return session_response(
                    app.sessions
                        .handle(
                            app.gate.as_ref(),
                            &app.writer,
                            header,
                            hmac_header.as_deref(),
                        )
                        .await,
                );
            }
            Work::Ignored(reason)
        }
        Examined::Unavailable => {
            // The device registry could not be read: answered as a failed transaction is.
            app.metrics.registry_unavailable();
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    match app.writer.submit(received_ms, work).await {
        Outcome::Failed => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Outcome::Stored(_) | Outcome::Ignored(_) => StatusCode::NO_CONTENT.into_response(),
    }
}

/// The HTTP answer to a session message.
fn session_response(answer: Answer) -> Response {
    match answer {
        Answer::Message { body, content_type } => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            Body::from(body),
        )
            .into_response(),
        Answer::Refused(why) => {
            tracing::debug!(why, "session message refused");
            StatusCode::BAD_REQUEST.into_response()
        }
        Answer::Unavailable(why) => {
            tracing::warn!(why, "session message not served");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Answer::Unsupported => {
            tracing::warn!(
                "DM session message refused: this store keeps no session state (DM sessions \
                 need a database: --db FILE or URL)"
            );
            StatusCode::NOT_IMPLEMENTED.into_response()
        }
    }
}

/// What the HTTP edge made of a request.
enum Examined<C> {
    /// For the writer.
    Work(Work<C>),
    /// Read whole, and refused by the sessionless verifier: a DM session message, or an ignored
    /// report.
    Refused {
        body: Vec<u8>,
        hmac_header: Option<String>,
        content_type: Option<String>,
        reason: Reason,
    },
    /// The device registry could not be read for the message's device (answered 503).
    Unavailable,
}

impl<G: Gate> App<G> {
    async fn examine(&self, request: Request) -> Examined<G::Claim> {
        let (parts, body) = request.into_parts();
        let content_type = match content_type(&parts.headers) {
            Ok(content_type) => content_type,
            Err(()) => return Examined::Work(Work::Ignored(MEDIA_TYPE)),
        };
        if content_length(&parts.headers).is_some_and(|len| len > self.max_msg_size as u64) {
            return Examined::Work(Work::Ignored(OVERSIZE));
        }
        let hmac_header = hmac_header(&parts.headers);
        let body =
            match tokio::time::timeout(self.body_timeout, read_limited(body, self.max_msg_size))
                .await
            {
                Err(_) => return Examined::Work(Work::Ignored(BODY_TIMEOUT)),
                Ok(Err(reason)) => return Examined::Work(Work::Ignored(reason)),
                Ok(Ok(body)) => body,
            };
        let transport = Transport {
            hmac_header: hmac_header.as_deref(),
            content_type,
        };
        let verdict = match self.gate.check(&body, &transport) {
            Err(NOT_CACHED) => self.gate.check_uncached(&body, &transport).await,
            verdict => verdict,
        };
        match verdict {
            Ok(checked) => Examined::Work(Work::Checked(Box::new(checked))),
            Err(UNAVAILABLE | NOT_CACHED) => Examined::Unavailable,
            Err(reason) => Examined::Refused {
                content_type: content_type.map(str::to_owned),
                body,
                hmac_header,
                reason,
            },
        }
    }
}

/// The `Content-Type`, checked before the body is read: `Ok(None)` without one (the verifier
/// then goes by the body's first byte), `Ok(Some(value))` for either DM media type (any case,
/// parameters allowed; the verifier checks it against the body), `Err` for anything else —
/// another type, a repeated header, a value that is not visible ASCII.
fn content_type(headers: &HeaderMap) -> Result<Option<&str>, ()> {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(());
    }
    let value = value.to_str().map_err(|_| ())?;
    match Encoding::from_media_type(value) {
        Some(_) => Ok(Some(value)),
        None => Err(()),
    }
}

/// The `x-syncml-hmac` values, joined with `", "` if repeated (a value that is not UTF-8 is
/// read lossily: U+FFFD matches no token, MAC or username).
fn hmac_header(headers: &HeaderMap) -> Option<String> {
    let mut joined: Option<String> = None;
    for value in headers.get_all(HMAC_HEADER) {
        let text = String::from_utf8_lossy(value.as_bytes());
        match &mut joined {
            Some(all) => {
                all.push_str(", ");
                all.push_str(&text);
            }
            None => joined = Some(text.into_owned()),
        }
    }
    joined
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads the body, stopping as soon as it exceeds `limit` bytes.
async fn read_limited(mut body: Body, limit: usize) -> Result<Vec<u8>, Reason> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BODY_ERROR)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(OVERSIZE);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod session_tests;
