//! What the client knows about its relationship with one DM server: addresses, identity,
//! secret, the last nonce, the server's MaxMsgSize, the carrier, hash and MAC construction, and
//! the MsgID counter.

use omadm_dmsec::{Algorithm, Carrier, Construction, Nonce, StoredSecret, Username};
use omadm_syncml::{Encoding, MsgId};

/// MsgID 1, where a fresh account starts.
const FIRST_MSG_ID: MsgId = match MsgId::new(1) {
    Ok(id) => id,
    // invariant: 1 is a valid MsgID (evaluated at compile time).
    Err(_) => unreachable!(),
};

/// One client account with one DM server (a `DMAcc` in DM terms), as the emitter needs it.
///
/// Build it with [`Account::new`] and adjust the optional fields directly:
///
/// ```
/// # use omadm_emitter::{Account, Carrier, MsgId, Nonce, Secret, Username};
/// let mut account = Account::new(
///     "https://dm.example.net/sessionless",
///     "IMEI:356938035643809",
///     Username::new("alice").unwrap(),
///     Secret::from("correct-horse-battery-staple"),
///     Nonce::from_base64("jzocDlt9kqTG4fCz1aeeIQ==").unwrap(),
///     16 * 1024,
/// );
/// account.next_msg_id = MsgId::new(7).unwrap();
/// account.carrier = Carrier::Transport;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Account {
    /// The server URI, written as `SyncHdr/Target/LocURI`.
    pub server_uri: String,
    /// The device id (e.g. `IMEI:…`, `./DevInfo/DevId`), written as `SyncHdr/Source/LocURI`.
    pub device_id: String,
    /// The client's user name with this server (`AAuthName`), written as `SyncHdr/Source/LocName`
    /// and in the credential.
    pub username: Username,
    /// The client's secret (`AAuthSecret`): the password, or its key digest
    /// `B64(H(username ":" password))`. A digest serves only its own hash, so an MD5 digest
    /// cannot sign SHA-256 MACs, and the auth-md5 Cred of the header and transport carriers
    /// needs the password or an MD5 digest.
    pub secret: StoredSecret,
    /// The last nonce the server issued (`NextNonce`): every credential and MAC uses it
    /// (DM-SR-C-008-M). No reply ever comes to a sessionless report, so it never changes here.
    pub last_nonce: Nonce,
    /// The server's MaxMsgSize: the largest body, in bytes, any emitted message may have.
    pub max_msg_size: usize,
    /// Where the proof of origin travels (default [`Carrier::InMessage`]). Every carrier puts a
    /// `Cred` in the header, as DM-SR-C-006-M requires:
    ///
    /// * [`Carrier::InMessage`]: the MAC rides in the message, as the `Data` of a
    ///   `SyncHdr/Cred` with Meta Type `syncml:auth-MAC` and Format `chr`, holding the
    ///   parameter list `algorithm=SHA256, username="…", mac=…`; it covers the message bytes
    ///   with that `Data` content removed;
    /// * [`Carrier::Header`]: the DM 1.2 HTTP carrier, the MAC covers the whole body and
    ///   travels in the `x-syncml-hmac` header; the message holds an auth-md5 `Cred` built from
    ///   the same nonce;
    /// * [`Carrier::Transport`]: for transports that already authenticate the client and
    ///   protect integrity (TLS with a client certificate): an auth-md5 `Cred` alone, no MAC
    ///   (`algorithm` and `construction` are then unused).
    pub carrier: Carrier,
    /// The MAC's hash (default SHA-256).
    pub algorithm: Algorithm,
    /// The MAC construction (default the DM digest construction).
    pub construction: Construction,
    /// The MsgID of the next message; the emitter increments it for every message.
    pub next_msg_id: MsgId,
    /// Whether to end each message with `<Final/>` (default `false`, as in the seed's example).
    pub include_final: bool,
    /// How messages are encoded (default [`Encoding::Xml`]): XML
    /// (`application/vnd.syncml.dm+xml`) or WBXML (`application/vnd.syncml.dm+wbxml`, what most
    /// DM clients in the field send). MaxMsgSize counts the encoded bytes either way, and the
    /// MAC covers them.
    pub encoding: Encoding,
}

impl Account {
    /// An account with the default carrier, hash and construction (in-message HMAC-SHA256,
    /// digest construction), MsgID 1 and no `<Final/>`.
    #[must_use]
    pub fn new(
        server_uri: impl Into<String>,
        device_id: impl Into<String>,
        username: Username,
        secret: impl Into<StoredSecret>,
        last_nonce: Nonce,
        max_msg_size: usize,
    ) -> Self {
        Self {
            server_uri: server_uri.into(),
            device_id: device_id.into(),
            username,
            secret: secret.into(),
            last_nonce,
            max_msg_size,
            carrier: Carrier::default(),
            algorithm: Algorithm::default(),
            construction: Construction::default(),
            next_msg_id: FIRST_MSG_ID,
            include_final: false,
            encoding: Encoding::Xml,
        }
    }
}
