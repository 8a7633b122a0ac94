//! `omadm session` against a DM server built from `omadm-session` (a tiny HTTP/1.1 server on
//! 127.0.0.1 in a thread): the session rotates the nonce, the state file keeps it, `emit` signs
//! with it, and the verifier accepts the report with the server's new nonce and ignores one
//! signed with the old nonce.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use omadm_dmsec::{Nonce, Secret, StoredSecret, Username};
use omadm_session::{
    AuthPin, DeviceAuth, Progress, ServerConfig, ServerEvent, ServerSession, Transport,
};
use omadm_verifier::{DeviceSecret, Policy, ReplayState, TransportMeta, Verifier};

use crate::support::{client_toml, devs, parts, reports_json, run, write};

/// What the test server learnt.
#[derive(Default)]
struct Seen {
    next_nonce: Option<Nonce>,
    discovered: Option<bool>,
}

/// Serves one DM session for `device` on a free port; returns the URL.
fn serve_one_session(device: DeviceAuth, seen: Arc<Mutex<Seen>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut server = ServerSession::new(ServerConfig::new("http://dm.test/dm"));
        server.start_discovery(None).unwrap();
        let mut counter = 0u8;
        let mut nonces = move || {
            counter += 1;
            Nonce::new(&[counter; 16]).unwrap()
        };
        // Bounded: one connection, at most 16 requests.
        let (stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        for _ in 0..16 {
            let mut length = 0;
            let mut hmac = None;
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            loop {
                line.clear();
                reader.read_line(&mut line).unwrap();
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                let (name, value) = l.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "x-syncml-hmac" => hmac = Some(value.trim().to_owned()),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let now = SystemTime::now();
            let t = Transport::with_hmac(hmac.as_deref());
            if let Progress::NeedSecret(_) =
                server.handle_message(&body, &t, now, &mut nonces).unwrap()
            {
                server.supply_secret(Some(&device), &mut nonces).unwrap();
            }
            let reply = server.poll_transmit().map(|t| t.body).unwrap_or_default();
            while let Some(e) = server.poll_event() {
                let mut seen = seen.lock().unwrap();
                match e {
                    ServerEvent::Ended(end) => seen.next_nonce = end.next_nonce,
                    ServerEvent::Discovery(a) => seen.discovered = a.supported,
                    _ => {}
                }
            }
            write!(
                writer,
                "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.syncml.dm+xml\r\nContent-Length: {}\r\n\r\n",
                reply.len()
            )
            .unwrap();
            writer.write_all(&reply).unwrap();
            writer.flush().unwrap();
        }
    });
    format!("http://{addr}/dm")
}

fn verdict_accepts(body: &[u8], dev: &crate::support::Dev, nonce: Nonce) -> bool {
    let secret = DeviceSecret::new(
        Username::new(dev.username.clone()).unwrap(),
        dev.device_id.clone(),
        &StoredSecret::Password(Secret::from(dev.secret.as_str())),
        nonce,
        Policy::default(),
    )
    .unwrap();
    match Verifier::new(16 * 1024).start(body, &TransportMeta::new()) {
        Ok(p) => p
            .finish(&secret, &mut ReplayState::new(), SystemTime::now())
            .is_accepted(),
        Err(_) => false,
    }
}

#[test]
fn session_stores_the_new_nonce_that_emit_then_signs_with() {
    for auth in ["hmac", "md5"] {
        let dir = tempfile::tempdir().unwrap();
        let dev = devs("s", 1).remove(0);
        let old = Nonce::from_base64(&dev.nonce).unwrap();
        let pin = if auth == "md5" {
            AuthPin::Md5
        } else {
            AuthPin::HMAC_SHA256
        };
        let device = DeviceAuth::new(
            Username::new(dev.username.clone()).unwrap(),
            dev.device_id.clone(),
            Secret::from(dev.secret.as_str()),
            pin,
            old,
        );
        let seen = Arc::new(Mutex::new(Seen::default()));
        let url = serve_one_session(device, seen.clone());
        let devices = write(
            dir.path(),
            "devices.toml",
            &client_toml(std::slice::from_ref(&dev)),
        );
        let state = dir.path().join("state.json");
        let state_s = state.to_str().unwrap();
        let out = run(&[
            "session",
            "--devices",
            &devices,
            "--device",
            &dev.username,
            "--url",
            &url,
            "--state",
            state_s,
            "--auth",
            auth,
            "--session-id",
            "42",
            "--timeout",
            "120",
        ]);
        let (code, stdout, stderr) = parts(&out);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(stdout.contains("authenticated"), "{stdout}");
        assert!(stdout.contains("new nonce stored"), "{stdout}");
        let (issued, discovered) = {
            let s = seen.lock().unwrap();
            (s.next_nonce.unwrap(), s.discovered)
        };
        assert_eq!(discovered, Some(true));
        let text = std::fs::read_to_string(&state).unwrap();
        assert!(text.contains(&issued.to_base64()), "{text}");

        // emit reads the nonce from the state file.
        let reports = write(dir.path(), "reports.json", &reports_json(1, 40));
        let out_dir = dir.path().join("out");
        let out = run(&[
            "emit",
            "--devices",
            &devices,
            "--reports",
            &reports,
            "--state",
            state_s,
            "--device",
            &dev.username,
            "--server-uri",
            "http://dm.test/dm",
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert_eq!(parts(&out).0, 0, "{:?}", parts(&out));
        let body = std::fs::read(out_dir.join("0001.xml")).unwrap();
        assert!(verdict_accepts(&body, &dev, issued), "{auth}");
        assert!(!verdict_accepts(&body, &dev, old), "{auth}");
        // The state still counts MsgIDs beside the nonce.
        assert!(
            std::fs::read_to_string(&state)
                .unwrap()
                .contains("\"next_msg_id\": 2")
        );
    }
}
