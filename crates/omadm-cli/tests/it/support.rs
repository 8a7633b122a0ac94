//! Test support: running the binary, generated devices files, a `serve` child process, a tiny
//! HTTP client, and re-signing hand-made messages.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use omadm_dmsec::{
    Algorithm, Construction, MacKey, MacParams, Nonce, Secret, SecretDigest, Username,
};

/// The binary under test.
pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_omadm"))
}

/// Runs the binary to completion.
pub(crate) fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// Exit code, stdout, stderr.
pub(crate) fn parts(out: &Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The shared spec files (read-only, outside the repository).
pub(crate) fn shared() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")).to_path_buf()
}

/// A device with everything both sides need.
#[derive(Clone, Debug)]
pub(crate) struct Dev {
    pub(crate) username: String,
    pub(crate) device_id: String,
    pub(crate) secret: String,
    pub(crate) nonce: String,
}

/// `n` devices named `{prefix}{i}`.
pub(crate) fn devs(prefix: &str, n: usize) -> Vec<Dev> {
    (0..n)
        .map(|i| {
            let mut nonce = [0u8; 16];
            for (j, b) in nonce.iter_mut().enumerate() {
                *b = (i * 31 + j * 7) as u8;
            }
            Dev {
                username: format!("{prefix}{i}"),
                device_id: format!("IMEI:35{i:013}"),
                secret: format!("secret-of-{prefix}{i}-0123456789"),
                nonce: Nonce::new(&nonce).unwrap().to_base64(),
            }
        })
        .collect()
}

/// The device side: `secret`.
pub(crate) fn client_toml(devs: &[Dev]) -> String {
    let mut s = String::new();
    for d in devs {
        let _ = write!(
            s,
            "[[device]]\nusername = \"{}\"\ndevice_id = \"{}\"\nsecret = \"{}\"\nnonce = \"{}\"\n\n",
            d.username, d.device_id, d.secret, d.nonce
        );
    }
    s
}

/// The server side: `secret_digest` only.
pub(crate) fn server_toml(devs: &[Dev]) -> String {
    let mut s = String::new();
    for d in devs {
        let digest = SecretDigest::compute(
            Algorithm::Sha256,
            &d.username,
            &Secret::from(d.secret.as_str()),
        );
        let _ = write!(
            s,
            "[[device]]\nusername = \"{}\"\ndevice_id = \"{}\"\nsecret_digest = \"{}\"\nnonce = \"{}\"\n\n",
            d.username,
            d.device_id,
            digest.expose_base64(),
            d.nonce
        );
    }
    s
}

/// Writes `text` to `dir/name` and returns the path as a string.
pub(crate) fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A reports file of `n` reports, each with `data_len` bytes of data.
pub(crate) fn reports_json(n: usize, data_len: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| {
            let data: String = std::iter::repeat_n('d', data_len).collect();
            format!(
                r#"{{"source_uri": "./Ext/R{i}", "type": "urn:oma:mo:test:1.0", "format": "chr", "mark": "minor", "data": "{i}:{data}"}}"#
            )
        })
        .collect();
    format!("[\n{}\n]\n", items.join(",\n"))
}

/// Signs an in-message carrier template (whose `SyncHdr/Cred/Data` is empty) as `dev`.
pub(crate) fn sign_in_message(template: &str, dev: &Dev) -> Vec<u8> {
    let marker = "syncml:auth-MAC</Type></Meta><Data>";
    let at = template.find(marker).unwrap() + marker.len();
    let key = MacKey::new(
        Algorithm::Sha256,
        Construction::Digest,
        &dev.username,
        &Secret::from(dev.secret.as_str()).into(),
    )
    .unwrap();
    let nonce = Nonce::from_base64(&dev.nonce).unwrap();
    let mac = key
        .mac_excluding(&nonce, template.as_bytes(), at..at)
        .unwrap();
    let params = MacParams::new(Username::new(dev.username.clone()).unwrap(), mac).to_string();
    let mut body = template.as_bytes().to_vec();
    body.splice(at..at, params.bytes());
    body
}

/// A message template for `dev` with one alert whose body part is `item`.
pub(crate) fn template(dev: &Dev, msg_id: u32, item: &str) -> String {
    format!(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.3</VerProto>\
         <SessionID>0</SessionID><MsgID>{msg_id}</MsgID><Target><LocURI>http://server/dm</LocURI></Target>\
         <Source><LocURI>{}</LocURI><LocName>{}</LocName></Source><Cred><Meta>\
         <Format xmlns=\"syncml:metinf\">chr</Format><Type xmlns=\"syncml:metinf\">syncml:auth-MAC</Type></Meta>\
         <Data></Data></Cred></SyncHdr><SyncBody><Alert><CmdID>1</CmdID><Data>1230</Data><Item>{item}</Item>\
         </Alert></SyncBody></SyncML>",
        dev.device_id, dev.username
    )
}

/// One POST on a fresh connection; the status, or `None` if no answer came.
pub(crate) fn post(
    addr: SocketAddr,
    path: &str,
    content_type: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<u16> {
    let typed = [("Content-Type".to_owned(), content_type.to_owned())];
    let all: Vec<(String, String)> = typed.iter().chain(headers).cloned().collect();
    post_untyped(addr, path, &all, body)
}

/// [`post`] without a `Content-Type` of its own (`headers` may hold one, or several).
pub(crate) fn post_untyped(
    addr: SocketAddr,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    let _ = stream.write_all(body);
    status_of(&mut stream)
}

/// A GET; the status and body.
pub(crate) fn get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let (status, _head, body) = get_with(addr, path, &[])?;
    Some((status, body))
}

/// A GET with extra request headers; the status, the response head and the body.
pub(crate) fn get_with(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> Option<(u16, String, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((status, head.to_owned(), body.to_owned()))
}

fn status_of(stream: &mut TcpStream) -> Option<u16> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    line.split(' ').nth(1)?.parse().ok()
}

/// A running `omadm serve`.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: SocketAddr,
    pub(crate) metrics: SocketAddr,
    pub(crate) log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `omadm serve` on 127.0.0.1:0 with metrics; waits for its addresses.
    pub(crate) fn start(devices: &str, db: &Path, extra: &[&str]) -> Self {
        Self::start_with_env(devices, db, extra, &[])
    }

    /// [`Server::start`] with environment variables (e.g. `OMADM_LOG`).
    pub(crate) fn start_with_env(
        devices: &str,
        db: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut args = vec!["--devices", devices, "--db", db.to_str().unwrap()];
        args.extend_from_slice(extra);
        Self::spawn(&args, env)
    }

    /// Starts `omadm serve` on 127.0.0.1:0 with metrics and `args`; waits for its addresses.
    pub(crate) fn start_with(args: &[&str]) -> Self {
        Self::spawn(args, &[])
    }

    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = bin()
            .envs(env.iter().copied())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        // Drains stderr for the whole life of the child (a full pipe would stall it).
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                for (prefix, kind) in [("listening on ", 0), ("metrics on ", 1)] {
                    if let Some(addr) = line.strip_prefix(prefix) {
                        let _ = tx.send((kind, addr.parse::<SocketAddr>().unwrap()));
                    }
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut addr = None;
        let mut metrics = None;
        let deadline = Instant::now() + Duration::from_secs(20);
        while addr.is_none() || metrics.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((0, a)) => addr = Some(a),
                Ok((_, a)) => metrics = Some(a),
                Err(_) => {
                    let _ = child.kill();
                    panic!("serve did not start: {}", log.lock().unwrap());
                }
            }
        }
        Self {
            child,
            addr: addr.unwrap(),
            metrics: metrics.unwrap(),
            log,
        }
    }

    /// The value of a metric line (`name` includes labels, e.g. `x{reason="bad-mac"}`); 0 if
    /// absent.
    pub(crate) fn metric(&self, name: &str) -> u64 {
        let (status, text) = get(self.metrics, "/metrics").unwrap();
        assert_eq!(status, 200);
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or(0)
    }

    /// SIGKILL, now.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM (graceful shutdown), then waits at most `limit`.
    pub(crate) fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Rows of the reports table: (username, msg_id, cmd_id, data).
pub(crate) fn db_rows(db: &Path) -> Vec<(String, u32, u32, String)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = conn
        .prepare("SELECT username, msg_id, cmd_id, data FROM reports ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}
