//! Fuzzes the omadm-session server engine with arbitrary bytes as client messages: it never
//! panics, answers every message with at most one message of its own that its own decoder reads
//! back, and its state stays bounded (the session ends by its message limit at the latest).
//!
//! Input layout: byte 0 = flags (bit 0: the device is pinned to HMAC-SHA256, else auth-md5;
//! bit 1: Large Objects allowed; bit 2: the session speaks WBXML, else XML; bit 3: messages go
//! through `decode_header` + `handle_header` with a synchronous lookup, as `omadm serve` routes
//! them, else `handle_message` + `supply_secret`), then client messages separated by the two bytes `FF FE`
//! (never in UTF-8 text). A message that starts with `x-syncml-hmac:` carries that header up to
//! the first `\n`. Fresh nonces come from a counter (byte-for-byte those of the seeds' server).
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use omadm_dmsec::{Nonce, Secret, Username};
use omadm_session::{
    AuthPin, DeviceAuth, Encoding, Progress, ServerConfig, ServerEvent, ServerSession, Transport,
};
use omadm_xml::Limits;

const USER: &str = "dev1";
const PASSWORD: &str = "correct horse";
const DEVICE: &str = "IMEI:493005100592800";
const MAX_MESSAGES: u32 = 16;

struct Counter(u64);

impl omadm_session::NonceSource for Counter {
    fn fresh_nonce(&mut self) -> Nonce {
        self.0 += 1;
        let mut b = [0xA5u8; 16];
        b[..8].copy_from_slice(&self.0.to_be_bytes());
        Nonce::new(&b).expect("16 bytes")
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let pin = if flags & 1 != 0 {
        AuthPin::HMAC_SHA256
    } else {
        AuthPin::Md5
    };
    let device = DeviceAuth::new(
        Username::new(USER).expect("valid"),
        DEVICE,
        Secret::from(PASSWORD),
        pin,
        Nonce::new(&[1; 16]).expect("16 bytes"),
    );
    let mut config = ServerConfig::new("https://dm.example.net/dm");
    config.max_messages = MAX_MESSAGES;
    config.large_objects = (flags & 2 != 0).then_some(4096);
    let encoding = if flags & 4 != 0 {
        Encoding::Wbxml
    } else {
        Encoding::Xml
    };
    config.encoding = encoding;
    let routed = flags & 8 != 0;
    let limits = config.limits;
    let mut server = ServerSession::new(config);
    let _ = server.queue(omadm_session::commands::get("./DevDetail/SwV"));
    let _ = server.start_discovery(None);
    let mut nonces = Counter(0);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    let mut taken = 0u32;
    for piece in split(rest) {
        let (hmac, body) = match piece.strip_prefix(b"x-syncml-hmac:") {
            Some(tail) => {
                let end = tail.iter().position(|&b| b == b'\n').unwrap_or(tail.len());
                let value = String::from_utf8_lossy(&tail[..end]).trim().to_owned();
                (Some(value), tail.get(end + 1..).unwrap_or_default())
            }
            None => (None, piece),
        };
        let transport = Transport::with_hmac(hmac.as_deref());
        if routed {
            if let Ok(header) = omadm_session::decode_header(encoding, body, &limits) {
                let mut lookups = 0;
                let handled = server.handle_header(header, &transport, now, &mut nonces, |req| {
                    lookups += 1;
                    (req.username == USER).then(|| device.clone())
                });
                assert!(lookups <= 1);
                if handled.is_ok() {
                    taken += 1;
                }
            }
        } else {
            match server.handle_message(body, &transport, now, &mut nonces) {
                Ok(Progress::Done) => taken += 1,
                Ok(Progress::NeedSecret(req)) => {
                    let found = (req.username == USER).then_some(&device);
                    server
                        .supply_secret(found, &mut nonces)
                        .expect("a lookup was pending");
                    taken += 1;
                }
                Err(_) => {}
            }
        }
        assert!(taken <= MAX_MESSAGES);
        let mut replies = 0;
        while let Some(t) = server.poll_transmit() {
            replies += 1;
            assert_eq!(t.content_type, encoding.media_type());
            match encoding {
                Encoding::Xml => {
                    omadm_xml::decode(&t.body, &Limits::DEFAULT)
                        .expect("the server reads its own reply");
                }
                Encoding::Wbxml => {
                    omadm_wbxml::decode(&t.body, &omadm_wbxml::Limits::DEFAULT)
                        .expect("the server reads its own reply");
                }
            }
        }
        assert!(replies <= 1, "one reply per message");
        let mut events = 0;
        while let Some(e) = server.poll_event() {
            events += 1;
            if let ServerEvent::Ended(end) = e {
                assert!(end.authenticated || end.next_nonce.is_none());
            }
        }
        // At most one event per command of a message (bounded by the decoder's element limit)
        // plus authentication, discovery and the end.
        assert!(events <= 100_000);
    }
});

fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let d = rest?;
        match d.windows(2).position(|w| w == [0xFF, 0xFE]) {
            Some(i) => {
                rest = Some(&d[i + 2..]);
                Some(&d[..i])
            }
            None => {
                rest = None;
                Some(d)
            }
        }
    })
}
