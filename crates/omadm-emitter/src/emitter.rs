//! The emitter: packs reports into as few Sessionless Report Messages as MaxMsgSize allows, numbers
//! them, and signs the exact bytes, writing into a caller's reused buffer without allocating.

use core::fmt;

use std::borrow::Cow;
use std::io::Write as _;

use omadm_dmsec::{
    AuthError, AuthType, Carrier, HMAC_HEADER, Mac, MacKey, MacParams, Nonce, md5_credential,
};
use omadm_syncml::sessionless::SessionlessReport;
use omadm_syncml::{
    AlertCode, CmdId, Cred, Encoding, Format, Item, Meta, MsgId, SessionId, Source, SyncHdr,
    SyncMlVersion, Target,
};

use crate::account::Account;
use crate::error::{ConfigError, EmitError};
use crate::selfcheck;

/// The client side of sessionless reporting for one account: reports in, signed conforming
/// messages out.
///
/// Building it does the per-account work once (validating the addresses, keying the MAC,
/// computing the auth-md5 credential, formatting the constant part of the parameter list,
/// writing the header bytes), so that each message costs one pass to write its alerts and one
/// hash to sign it.
///
/// The emitter owns the MsgID counter: every message it emits takes the next MsgID, and
/// [`next_msg_id`](Self::next_msg_id) is the value to persist. The nonce never changes (no reply
/// ever comes to a sessionless report).
pub struct Emitter {
    /// The message header, written once by the codec's `write::prologue` and kept as bytes
    /// around the MsgID value, which is the only part that changes between messages.
    prologue: Prologue,
    /// XML or WBXML.
    encoding: Encoding,
    signer: Signer,
    nonce: Nonce,
    /// The canonical parameter list up to and including `mac=` (empty without a MAC).
    params_prefix: String,
    /// The full length of the parameter list once the MAC is appended (0 without a MAC).
    params_len: usize,
    max_msg_size: usize,
    include_final: bool,
    /// The length of `</SyncBody></SyncML>` (with `<Final/>` if configured).
    epilogue_len: usize,
    next_msg_id: MsgId,
    self_check: bool,
    /// For `Debug`.
    server_uri: String,
}

/// The bytes of `write::prologue` for the account's header, split around the MsgID value.
struct Prologue {
    /// From the XML declaration through `<MsgID>`.
    head: Vec<u8>,
    /// From `</MsgID>` through `<SyncBody>`. The Cred Data content is already in place: the
    /// auth-md5 credential, or, in the in-message mode, a placeholder exactly as long as the
    /// parameter list, overwritten once the MAC is known.
    tail: Vec<u8>,
    /// Where the Cred Data content starts in `tail`.
    cred_at: usize,
}

/// Where the MAC goes, with the pre-keyed state that computes it.
enum Signer {
    /// In `SyncHdr/Cred/Data`, over the message without that content.
    InMessage(MacKey),
    /// In the `x-syncml-hmac` header, over the whole body.
    Header(MacKey),
    /// No MAC: the transport authenticates.
    None,
}

/// One message written by [`Emitter::emit_into`]: how many reports it took and how to send it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Written {
    /// How many reports, from the front of the input, the message holds (at least one).
    pub reports: usize,
    /// The message's MsgID.
    pub msg_id: MsgId,
    /// The `x-syncml-hmac` header to send with the body, with the [`Carrier::Header`] carrier.
    pub hmac_header: Option<HmacHeader>,
}

/// The value of an `x-syncml-hmac` header, held inline (no allocation).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HmacHeader {
    buf: [u8; MacParams::MAX_LEN],
    len: usize,
}

impl HmacHeader {
    /// The header value: `algorithm=SHA256, username="…", mac=…`.
    #[must_use]
    pub fn value(&self) -> &str {
        // invariant: the buffer holds a UTF-8 prefix followed by base64 text (see `Emitter::sign`).
        #[allow(clippy::expect_used)]
        core::str::from_utf8(&self.buf[..self.len]).expect("invariant: the header value is UTF-8")
    }
}

impl fmt::Debug for HmacHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HmacHeader").field(&self.value()).finish()
    }
}

impl fmt::Display for HmacHeader {
    /// The header value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.value())
    }
}

/// A message ready to send: the body, its media type and the transport headers it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outgoing {
    /// The message bytes, exactly as signed.
    pub body: Vec<u8>,
    /// The media type of the account's [`Encoding`]: `application/vnd.syncml.dm+xml` or
    /// `application/vnd.syncml.dm+wbxml`.
    pub content_type: &'static str,
    /// Transport headers to send with the body: [`HMAC_HEADER`] with the [`Carrier::Header`]
    /// carrier, nothing otherwise.
    pub headers: Vec<(&'static str, String)>,
    /// The message's MsgID.
    pub msg_id: MsgId,
    /// How many reports the message holds.
    pub reports: usize,
}

/// The result of [`Emitter::emit`]: the messages, in order, and the account state to persist.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Emission {
    /// The messages, holding the reports in the order given.
    pub messages: Vec<Outgoing>,
    /// The MsgID of the next message: persist it before sending (the nonce is unchanged).
    pub next_msg_id: MsgId,
}

impl Emitter {
    /// Prepares the emitter for `account`.
    ///
    /// # Errors
    /// [`ConfigError`] if the server URI or device id cannot be written, the secret cannot
    /// serve the carrier and hash, or MaxMsgSize is smaller than a message without reports.
    pub fn new(account: Account) -> Result<Self, ConfigError> {
        let Account {
            server_uri,
            device_id,
            username,
            secret,
            last_nonce,
            max_msg_size,
            carrier,
            algorithm,
            construction,
            next_msg_id,
            include_final,
            encoding,
        } = account;
        if !is_writable(&server_uri) {
            return Err(ConfigError::ServerUri);
        }
        if !is_writable(&device_id) {
            return Err(ConfigError::DeviceId);
        }
        let unusable = |_: AuthError| ConfigError::UnusableSecret;

        let (signer, cred, algorithm) = match carrier {
            Carrier::InMessage => {
                let key = MacKey::new(algorithm, construction, username.as_str(), &secret)
                    .map_err(unusable)?;
                let cred = cred(Format::Chr, AuthType::Mac, String::new());
                (Signer::InMessage(key), cred, Some(algorithm))
            }
            Carrier::Header => {
                let key = MacKey::new(algorithm, construction, username.as_str(), &secret)
                    .map_err(unusable)?;
                let data =
                    md5_credential(username.as_str(), &secret, &last_nonce).map_err(unusable)?;
                (
                    Signer::Header(key),
                    cred(Format::B64, AuthType::Md5, data),
                    Some(algorithm),
                )
            }
            Carrier::Transport => {
                let data =
                    md5_credential(username.as_str(), &secret, &last_nonce).map_err(unusable)?;
                (Signer::None, cred(Format::B64, AuthType::Md5, data), None)
            }
        };

        // The constant part of the parameter list, formatted by dmsec itself: the canonical list
        // of a placeholder MAC, without the MAC's base64 (its length is fixed per algorithm).
        let (params_prefix, params_len) = match algorithm {
            Some(algorithm) => {
                let zeros = [0u8; 32];
                let placeholder = zeros
                    .get(..algorithm.output_len())
                    .and_then(|bytes| Mac::new(algorithm, bytes).ok());
                let Some(placeholder) = placeholder else {
                    unreachable!("invariant: every algorithm's output fits in 32 bytes")
                };
                let mut text = MacParams::new(username.clone(), placeholder).to_string();
                let len = text.len();
                text.truncate(len.saturating_sub(algorithm.base64_len()));
                (text, MacParams::encoded_len(algorithm, &username))
            }
            None => (String::new(), 0),
        };

        let hdr = SyncHdr {
            ver_dtd: Cow::Borrowed(SyncMlVersion::V1_2.ver_dtd()),
            ver_proto: Cow::Borrowed(VER_PROTO),
            session_id: SessionId::SESSIONLESS,
            msg_id: next_msg_id,
            target: Target {
                loc_uri: Cow::Borrowed(&server_uri),
                loc_name: None,
            },
            source: Source {
                loc_uri: Cow::Borrowed(&device_id),
                loc_name: Some(Cow::Borrowed(username.as_str())),
            },
            resp_uri: None,
            no_resp: false,
            cred: Some(cred),
            meta: None,
        };
        let placeholder = match signer {
            Signer::InMessage(_) => params_len,
            Signer::Header(_) | Signer::None => 0,
        };
        let prologue = Prologue::new(encoding, &hdr, placeholder);

        let emitter = Self {
            prologue,
            encoding,
            signer,
            nonce: last_nonce,
            params_prefix,
            params_len,
            max_msg_size,
            include_final,
            epilogue_len: codec::epilogue_len(encoding, include_final),
            next_msg_id,
            self_check: cfg!(debug_assertions),
            server_uri,
        };
        let min = emitter.empty_size(next_msg_id);
        if min > max_msg_size {
            return Err(ConfigError::MaxMsgSizeTooSmall {
                min,
                max: max_msg_size,
            });
        }
        Ok(emitter)
    }

    /// Turns on or off the self-check: decoding every emitted message again and running
    /// [`omadm_syncml::sessionless::check`] on it, panicking on any violation (which would be a
    /// bug in this crate). On by default in debug builds, off in release builds. The check
    /// allocates and costs a full decode per message.
    #[must_use]
    pub fn with_self_check(mut self, on: bool) -> Self {
        self.self_check = on;
        self
    }

    /// The MsgID the next message will carry: the account state to persist.
    #[must_use]
    pub const fn next_msg_id(&self) -> MsgId {
        self.next_msg_id
    }

    /// The MaxMsgSize every message respects.
    #[must_use]
    pub const fn max_msg_size(&self) -> usize {
        self.max_msg_size
    }

    /// Emits all `reports`, in order, in as few messages as MaxMsgSize allows (each message is
    /// filled before the next is started), and returns them with the next MsgID to persist.
    ///
    /// All or nothing: on error no message is returned and the MsgID counter is unchanged.
    /// An empty input gives no message.
    ///
    /// # Errors
    /// [`EmitError::ReportTooLarge`] if a report cannot fit in a message alone (with its index
    /// in `reports`), [`EmitError::MsgIdExhausted`].
    pub fn emit(&mut self, reports: &[SessionlessReport<'_>]) -> Result<Emission, EmitError> {
        let first = self.next_msg_id;
        let mut messages = Vec::new();
        let mut buf = Vec::new();
        let mut done = 0;
        while let Some(rest) = reports.get(done..).filter(|rest| !rest.is_empty()) {
            let written = match self.emit_into(rest, &mut buf) {
                Ok(written) => written,
                Err(err) => {
                    self.next_msg_id = first;
                    return Err(err.shifted(done));
                }
            };
            let headers = match &written.hmac_header {
                Some(header) => vec![(HMAC_HEADER, header.value().to_owned())],
                None => Vec::new(),
            };
            messages.push(Outgoing {
                body: buf.clone(),
                content_type: self.encoding.media_type(),
                headers,
                msg_id: written.msg_id,
                reports: written.reports,
            });
            done += written.reports;
        }
        Ok(Emission {
            messages,
            next_msg_id: self.next_msg_id,
        })
    }

    /// Writes one signed message into `out` (cleared first), holding as many reports from the
    /// front of `reports` as fit under MaxMsgSize, and says how many it took. Call it again
    /// with the rest to emit them all.
    ///
    /// Once `out` has grown to the size of a message, this allocates nothing.
    ///
    /// # Errors
    /// [`EmitError::NoReports`] for an empty input, [`EmitError::ReportTooLarge`] (index 0) if
    /// the first report cannot fit in a message alone, [`EmitError::MsgIdExhausted`]. On error, `out` is empty and the MsgID is not used.
    pub fn emit_into(
        &mut self,
        reports: &[SessionlessReport<'_>],
        out: &mut Vec<u8>,
    ) -> Result<Written, EmitError> {
        out.clear();
        if reports.is_empty() {
            return Err(EmitError::NoReports);
        }
        let msg_id = self.next_msg_id;
        let following = msg_id.next().ok_or(EmitError::MsgIdExhausted)?;
        let max = self.max_msg_size;

        let cred = self.prologue.write(out, msg_id);
        // Bytes still to come after the alerts (the Cred Data is already at its final length).
        let tail = self.epilogue_len;
        let mut taken = 0;
        for report in reports {
            let Some(cmd_id) = u32::try_from(taken + 1)
                .ok()
                .and_then(|n| CmdId::new(n).ok())
            else {
                break; // the CmdID space is exhausted: the message is full.
            };
            let mark = out.len();
            codec::alert_with_item(
                self.encoding,
                out,
                cmd_id,
                AlertCode::SESSIONLESS_REPORT,
                &report.to_item(),
            );
            let size = out.len() + tail;
            if size > max {
                out.truncate(mark);
                if taken == 0 {
                    out.clear();
                    return Err(EmitError::ReportTooLarge {
                        index: 0,
                        size,
                        max,
                    });
                }
                break;
            }
            taken += 1;
        }
        codec::epilogue(self.encoding, out, self.include_final);

        let hmac_header = self.sign(out, cred);
        self.next_msg_id = following;
        if self.self_check {
            selfcheck::run(self.encoding, out, max);
        }
        Ok(Written {
            reports: taken,
            msg_id,
            hmac_header,
        })
    }

    /// Signs the finished message in `out`: overwrites the placeholder at `cred` (the Cred Data
    /// content) with the parameter list (in-message mode), or returns the header value (header
    /// mode).
    fn sign(&self, out: &mut [u8], cred: usize) -> Option<HmacHeader> {
        match &self.signer {
            Signer::InMessage(key) => {
                // The MAC input is the message without the Cred Data content: the bytes before
                // and after the placeholder, hashed in two pieces without a copy.
                let end = cred + self.params_len;
                let mac = key.mac_parts(&self.nonce, &[&out[..cred], &out[end..]]);
                let prefix_end = cred + self.params_prefix.len();
                out[cred..prefix_end].copy_from_slice(self.params_prefix.as_bytes());
                encode_mac(&mac, &mut out[prefix_end..end]);
                None
            }
            Signer::Header(key) => {
                let mac = key.mac(&self.nonce, out);
                let mut header = HmacHeader {
                    buf: [0; MacParams::MAX_LEN],
                    len: self.params_len,
                };
                let prefix_end = self.params_prefix.len();
                header.buf[..prefix_end].copy_from_slice(self.params_prefix.as_bytes());
                encode_mac(&mac, &mut header.buf[prefix_end..self.params_len]);
                Some(header)
            }
            Signer::None => None,
        }
    }

    /// The size of a message without reports carrying `msg_id`.
    fn empty_size(&self, msg_id: MsgId) -> usize {
        self.prologue.len(msg_id) + self.epilogue_len
    }
}

impl Prologue {
    /// Writes the prologue of `hdr` once and splits it around the MsgID value; in the Cred Data
    /// content (empty in `hdr` when `placeholder` > 0), puts `placeholder` bytes.
    fn new(encoding: Encoding, hdr: &SyncHdr<'_>, placeholder: usize) -> Self {
        let mut bytes = Vec::new();
        let cred = codec::prologue(encoding, &mut bytes, hdr);
        // invariant: the writers emit the MsgID right after `SessionID`, before any text that
        // could hold its markers (VerDTD, VerProto and SessionID are fixed), and the header has
        // a Cred, after the MsgID. XML: `<MsgID>7</MsgID>`; WBXML: `MsgID STR_I "7" 00 END`.
        let (open_mark, close_mark): (&[u8], &[u8]) = match encoding {
            Encoding::Xml => (b"<MsgID>", b"</MsgID>"),
            Encoding::Wbxml => (&[0x5B, 0x03], &[0x00]),
        };
        let open = find(&bytes, open_mark).map(|at| at + open_mark.len());
        let close = open.and_then(|open| find(&bytes[open..], close_mark).map(|at| open + at));
        let (Some(open), Some(close), Some(cred)) = (open, close, cred) else {
            unreachable!("invariant: the prologue holds a MsgID and a Cred")
        };
        let head = bytes[..open].to_vec();
        let mut tail = bytes[close..].to_vec();
        let cred_at = cred.start - close;
        tail.splice(cred_at..cred_at, core::iter::repeat_n(b'=', placeholder));
        Self {
            head,
            tail,
            cred_at,
        }
    }

    /// Clears `out` and writes the prologue with `msg_id`; returns where the Cred Data content
    /// starts in `out`.
    fn write(&self, out: &mut Vec<u8>, msg_id: MsgId) -> usize {
        out.clear();
        out.extend_from_slice(&self.head);
        // Writing to a Vec cannot fail.
        let _ = write!(out, "{msg_id}");
        let cred = out.len() + self.cred_at;
        out.extend_from_slice(&self.tail);
        cred
    }

    /// The length of the prologue with `msg_id`.
    fn len(&self, msg_id: MsgId) -> usize {
        let digits = msg_id.get().checked_ilog10().unwrap_or(0) as usize + 1;
        self.head.len() + digits + self.tail.len()
    }
}

impl fmt::Debug for Emitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let carrier = match self.signer {
            Signer::InMessage(_) => Carrier::InMessage,
            Signer::Header(_) => Carrier::Header,
            Signer::None => Carrier::Transport,
        };
        f.debug_struct("Emitter")
            .field("server_uri", &self.server_uri)
            .field("carrier", &carrier)
            .field("max_msg_size", &self.max_msg_size)
            .field("next_msg_id", &self.next_msg_id)
            .field("include_final", &self.include_final)
            .field("encoding", &self.encoding)
            .finish_non_exhaustive()
    }
}

impl EmitError {
    /// The same error with a report index counted from `offset` reports earlier.
    fn shifted(self, offset: usize) -> Self {
        match self {
            Self::ReportTooLarge { index, size, max } => Self::ReportTooLarge {
                index: index + offset,
                size,
                max,
            },
            other => other,
        }
    }
}

// Every parameter list fits an `HmacHeader`: `algorithm=SHA256, username="…", mac=` around a
// username of at most `Username::MAX_LEN` bytes, each escaped to at most two, and 44 base64
// characters.
const _: () = assert!(
    "algorithm=SHA256, username=\"\", mac=".len() + 2 * omadm_dmsec::Username::MAX_LEN + 44
        <= MacParams::MAX_LEN
);

/// The codec of each [`Encoding`]: the `write` pieces of `omadm-xml` or `omadm-wbxml`.
mod codec {
    use super::*;

    pub(super) fn prologue(
        e: Encoding,
        out: &mut Vec<u8>,
        hdr: &SyncHdr<'_>,
    ) -> Option<core::ops::Range<usize>> {
        match e {
            Encoding::Xml => omadm_xml::write::prologue(out, SyncMlVersion::V1_2, hdr),
            Encoding::Wbxml => omadm_wbxml::write::prologue(out, SyncMlVersion::V1_2, hdr),
        }
    }

    pub(super) fn alert_with_item(
        e: Encoding,
        out: &mut Vec<u8>,
        cmd_id: CmdId,
        code: AlertCode,
        item: &Item<'_>,
    ) {
        match e {
            Encoding::Xml => omadm_xml::write::alert_with_item(out, cmd_id, code, item),
            Encoding::Wbxml => omadm_wbxml::write::alert_with_item(out, cmd_id, code, item),
        }
    }

    pub(super) fn epilogue(e: Encoding, out: &mut Vec<u8>, is_final: bool) {
        match e {
            Encoding::Xml => omadm_xml::write::epilogue(out, is_final),
            Encoding::Wbxml => omadm_wbxml::write::epilogue(out, is_final),
        }
    }

    pub(super) fn epilogue_len(e: Encoding, is_final: bool) -> usize {
        match e {
            Encoding::Xml => omadm_xml::write::epilogue_len(is_final),
            Encoding::Wbxml => omadm_wbxml::write::epilogue_len(is_final),
        }
    }
}

/// `VerProto` of every emitted message.
const VER_PROTO: &str = "DM/1.3";

/// A header `Cred` of the given scheme.
fn cred(format: Format<'static>, scheme: AuthType, data: String) -> Cred<'static> {
    Cred {
        meta: Some(Meta {
            format: Some(format),
            ty: Some(Cow::Borrowed(scheme.as_str())),
            ..Meta::default()
        }),
        data: Cow::Owned(data),
    }
}

/// Whether a header address can be written: not empty, no control character (XML 1.0 cannot
/// carry most of them, and the others would not survive a round trip).
fn is_writable(text: &str) -> bool {
    !text.is_empty() && !text.chars().any(char::is_control)
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes the padded base64 of `mac` into `out`, which is exactly its length (the slot was
/// sized with the algorithm's base64 length, so `write_base64` cannot run short).
fn encode_mac(mac: &Mac, out: &mut [u8]) {
    // invariant: the slot is the MAC's base64 length (`MacParams::encoded_len`).
    #[allow(clippy::expect_used)]
    let written = mac
        .write_base64(out)
        .expect("invariant: the MAC slot holds the MAC's base64");
    debug_assert_eq!(
        written,
        out.len(),
        "the MAC slot has the MAC's base64 length"
    );
}
