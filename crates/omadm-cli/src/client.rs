//! The HTTP/1.1 client of `send` and `demo`: hyper's connection API over a plain TCP socket (no
//! TLS stack; put TLS in a proxy), one kept-alive connection per worker, bounded retries of the
//! same bytes.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode, Uri, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::error::{CliError, io_reason};

/// Where to POST: `http://host[:port]/path`.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// `host:port`, to connect to.
    authority: String,
    /// The `Host` header.
    host: String,
    /// The request target.
    path: String,
}

impl Target {
    /// Parses an `http://` URL.
    pub(crate) fn parse(url: &str) -> Result<Self, CliError> {
        let bad = |why: &str| CliError::input(format!("invalid url {url:?}: {why}"));
        let uri: Uri = url.parse().map_err(|_| bad("not a url"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err(bad(
                    "https is not built in; send to an http:// address behind a TLS proxy",
                ));
            }
            _ => return Err(bad("expected http://host[:port]/path")),
        }
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let connect = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Self {
            authority: connect,
            host: authority.as_str().to_owned(),
            path: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        })
    }
}

/// Why one attempt failed.
#[derive(Debug)]
pub(crate) enum AttemptError {
    /// The TCP connection could not be made.
    Connect(std::io::Error),
    /// No answer within the timeout.
    Timeout,
    /// The connection failed during the exchange.
    Http(hyper::Error),
}

impl core::fmt::Display for AttemptError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot connect: {}", io_reason(e)),
            Self::Timeout => f.write_str("timed out"),
            Self::Http(e) => write!(f, "connection failed: {e}"),
        }
    }
}

/// The result of a POST after retries.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// The final status, if any answer came.
    pub(crate) status: Result<StatusCode, AttemptError>,
    /// Attempts made (1 = no retry).
    pub(crate) attempts: u32,
    /// Time from the first attempt to the final answer.
    pub(crate) latency: Duration,
}

impl Delivery {
    /// A 2xx answer.
    pub(crate) fn is_success(&self) -> bool {
        self.status.as_ref().is_ok_and(StatusCode::is_success)
    }

    /// One line about the failure (or the status).
    pub(crate) fn describe(&self) -> String {
        match &self.status {
            Ok(status) => format!("HTTP {}", status.as_u16()),
            Err(e) => e.to_string(),
        }
    }
}

/// One connection's worth of client (reconnects as needed).
pub(crate) struct Client {
    target: Target,
    timeout: Duration,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Client {
    pub(crate) fn new(target: Target, timeout: Duration) -> Self {
        Self {
            target,
            timeout,
            sender: None,
        }
    }

    /// POSTs `body`, retrying up to `retries` times after a connect error, a timeout, a failed
    /// connection or a 5xx answer, with the same bytes and a growing pause.
    pub(crate) async fn post(
        &mut self,
        body: &Bytes,
        content_type: &str,
        headers: &[(&str, String)],
        retries: u32,
    ) -> Delivery {
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let status = self.attempt(body, content_type, headers).await;
            let retry = match &status {
                Ok(s) => s.is_server_error(),
                Err(_) => true,
            };
            if !retry || attempt > retries {
                return Delivery {
                    status,
                    attempts: attempt,
                    latency: start.elapsed(),
                };
            }
            let pause = Duration::from_millis(50u64.saturating_mul(1 << attempt.min(6)));
            tokio::time::sleep(pause).await;
        }
    }

    async fn attempt(
        &mut self,
        body: &Bytes,
        content_type: &str,
        headers: &[(&str, String)],
    ) -> Result<StatusCode, AttemptError> {
        self.request(body, content_type, headers)
            .await
            .map(|(status, _)| status)
    }

    /// One POST (no retry: a DM session message must not be sent twice), within the timeout;
    /// the answer's status and body.
    pub(crate) async fn request(
        &mut self,
        body: &Bytes,
        content_type: &str,
        headers: &[(&str, String)],
    ) -> Result<(StatusCode, Bytes), AttemptError> {
        let result = tokio::time::timeout(self.timeout, self.exchange(body, content_type, headers))
            .await
            .unwrap_or(Err(AttemptError::Timeout));
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        body: &Bytes,
        content_type: &str,
        headers: &[(&str, String)],
    ) -> Result<(StatusCode, Bytes), AttemptError> {
        let sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.connect().await?,
        };
        let mut sender = sender;
        sender.ready().await.map_err(AttemptError::Http)?;
        let mut request = Request::post(self.target.path.as_str())
            .header(header::HOST, self.target.host.as_str())
            .header(header::CONTENT_TYPE, content_type);
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request
            .body(Full::new(body.clone()))
            // invariant: the path, host and header values come from a parsed URL and from
            // the emitter, which writes visible ASCII only; should one ever be invalid,
            // an empty request to "/" is sent and the server ignores it.
            .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())));
        let response = sender
            .send_request(request)
            .await
            .map_err(AttemptError::Http)?;
        let status = response.status();
        // Read the answer (empty for a sessionless report) so that the connection can carry
        // the next request.
        let answer = response
            .into_body()
            .collect()
            .await
            .map_err(AttemptError::Http)?
            .to_bytes();
        self.sender = Some(sender);
        Ok((status, answer))
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, AttemptError> {
        let stream = TcpStream::connect(&self.target.authority)
            .await
            .map_err(AttemptError::Connect)?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(AttemptError::Http)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }
}
