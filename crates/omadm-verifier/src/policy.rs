//! What the server pins per device (hash, construction, carriers), the secret state it holds
//! for a device, and what the transport tells the verifier about a message.

use core::fmt;

use omadm_dmsec::{
    Algorithm, AuthError, Carrier, Construction, MacKey, Nonce, StoredSecret, Username,
};

/// The bit of a carrier in a [`Policy`]'s set.
const fn bit(carrier: Carrier) -> u8 {
    match carrier {
        Carrier::InMessage => 1,
        Carrier::Header => 2,
        Carrier::Transport => 4,
    }
}

/// What the server accepts from one device: one hash, one construction, and a set of carriers.
/// The verifier never tries several.
///
/// The default is HMAC-SHA256 with the digest construction, carried in the message or in the
/// `x-syncml-hmac` header. MD5, the RFC 2104 construction and the transport carrier (auth-md5
/// without a MAC) are accepted only when set here by the operator.
///
/// ```
/// use omadm_dmsec::{Algorithm, Carrier, Construction};
/// use omadm_verifier::Policy;
///
/// let p = Policy::default();
/// assert_eq!(p.algorithm(), Algorithm::Sha256);
/// assert_eq!(p.construction(), Construction::Digest);
/// assert!(p.allows(Carrier::InMessage) && p.allows(Carrier::Header));
/// assert!(!p.allows(Carrier::Transport));
///
/// let legacy = Policy::default()
///     .with_algorithm(Algorithm::Md5)
///     .with_carrier(Carrier::InMessage, false);
/// assert!(!legacy.allows(Carrier::InMessage));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    algorithm: Algorithm,
    construction: Construction,
    carriers: u8,
}

impl Policy {
    /// HMAC-SHA256, digest construction, in-message or header carrier.
    pub const DEFAULT: Self = Self {
        algorithm: Algorithm::Sha256,
        construction: Construction::Digest,
        carriers: bit(Carrier::InMessage) | bit(Carrier::Header),
    };

    /// The default policy.
    #[must_use]
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// Pins the hash.
    #[must_use]
    pub const fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Pins the construction.
    #[must_use]
    pub const fn with_construction(mut self, construction: Construction) -> Self {
        self.construction = construction;
        self
    }

    /// Allows or refuses a carrier.
    #[must_use]
    pub const fn with_carrier(mut self, carrier: Carrier, allowed: bool) -> Self {
        if allowed {
            self.carriers |= bit(carrier);
        } else {
            self.carriers &= !bit(carrier);
        }
        self
    }

    /// The pinned hash.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The pinned construction.
    #[must_use]
    pub const fn construction(&self) -> Construction {
        self.construction
    }

    /// Whether the carrier is allowed.
    #[must_use]
    pub const fn allows(&self, carrier: Carrier) -> bool {
        self.carriers & bit(carrier) != 0
    }

    const fn needs_mac_key(&self) -> bool {
        self.allows(Carrier::InMessage) || self.allows(Carrier::Header)
    }

    const fn needs_md5(&self) -> bool {
        self.allows(Carrier::Header) || self.allows(Carrier::Transport)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What the server holds for one device, ready to verify its messages: the username, the device
/// id (`SyncHdr/Source/LocURI`) bound to it, the pinned [`Policy`], the pre-keyed MAC state, the
/// auth-md5 key digest (for the header and transport carriers), and the nonce the device signs
/// with (the last `NextNonce` the server gave it).
///
/// Build it once per device and keep it (it is `Clone`; secrets are wiped on drop and never
/// shown by `Debug`).
#[derive(Clone)]
pub struct DeviceSecret {
    username: Username,
    device_id: String,
    policy: Policy,
    nonce: Nonce,
    mac_key: Option<MacKey>,
    md5: Option<StoredSecret>,
}

impl DeviceSecret {
    /// Derives the keys the policy needs from the stored secret: the MAC key for the in-message
    /// and header carriers, the auth-md5 key digest for the header and transport carriers.
    ///
    /// # Errors
    /// [`AuthError::UnusableSecret`] if `secret` is a key digest that cannot serve the policy: a
    /// digest of another hash than the pinned one, or (when the header or transport carrier is
    /// allowed) a digest that is not MD5. A device whose server keeps only a SHA-256 digest
    /// must be pinned to the in-message carrier.
    pub fn new(
        username: Username,
        device_id: impl Into<String>,
        secret: &StoredSecret,
        nonce: Nonce,
        policy: Policy,
    ) -> Result<Self, AuthError> {
        let mac_key = if policy.needs_mac_key() {
            Some(MacKey::new(
                policy.algorithm,
                policy.construction,
                username.as_str(),
                secret,
            )?)
        } else {
            None
        };
        let md5 = if policy.needs_md5() {
            Some(StoredSecret::Digest(
                secret.digest_for(Algorithm::Md5, username.as_str())?,
            ))
        } else {
            None
        };
        Ok(Self {
            username,
            device_id: device_id.into(),
            policy,
            nonce,
            mac_key,
            md5,
        })
    }

    /// The username.
    #[must_use]
    pub fn username(&self) -> &str {
        self.username.as_str()
    }

    /// The device id bound to the username.
    #[must_use]
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The pinned policy.
    #[must_use]
    pub const fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The nonce the device signs with.
    #[must_use]
    pub const fn nonce(&self) -> &Nonce {
        &self.nonce
    }

    pub(crate) const fn mac_key(&self) -> Option<&MacKey> {
        self.mac_key.as_ref()
    }

    pub(crate) const fn md5(&self) -> Option<&StoredSecret> {
        self.md5.as_ref()
    }
}

impl fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSecret")
            .field("username", &self.username)
            .field("device_id", &self.device_id)
            .field("policy", &self.policy)
            .field("nonce", &self.nonce)
            .field("keys", &format_args!("[redacted]"))
            .finish()
    }
}

/// What the transport knows about a message: the `x-syncml-hmac` header, if any, and whether
/// the transport authenticated the peer (TLS client certificate).
///
/// ```
/// use omadm_verifier::TransportMeta;
///
/// let plain = TransportMeta::new();
/// let with_header = TransportMeta::new()
///     .with_hmac_header("algorithm=SHA256, username=\"alice\", mac=...");
/// # let _ = (plain, with_header);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransportMeta<'h> {
    hmac_header: Option<&'h str>,
    peer_authenticated: bool,
    content_type: Option<&'h str>,
}

impl<'h> TransportMeta<'h> {
    /// No header, peer not authenticated.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            hmac_header: None,
            peer_authenticated: false,
            content_type: None,
        }
    }

    /// The value of the `x-syncml-hmac` header, as received. If the header appears more than
    /// once, pass the values joined with `", "`: the parameter list then repeats a parameter and
    /// the message is ignored. A value that is not UTF-8 can be passed through
    /// `String::from_utf8_lossy`: U+FFFD fits no algorithm token or MAC, and a username holding
    /// it must still match `Source/LocName` and verify.
    #[must_use]
    pub const fn with_hmac_header(mut self, value: &'h str) -> Self {
        self.hmac_header = Some(value);
        self
    }

    /// Whether the transport authenticated the peer (a TLS client certificate the server
    /// checked). Only then can an auth-md5 `Cred` without a MAC be accepted, and only for a
    /// device whose policy allows [`Carrier::Transport`].
    #[must_use]
    pub const fn with_peer_authenticated(mut self, authenticated: bool) -> Self {
        self.peer_authenticated = authenticated;
        self
    }

    /// The `Content-Type` the body came with: it picks the codec (XML or WBXML). A body whose
    /// first byte shows the other encoding is ignored ([`IgnoreReason::MediaTypeMismatch`]), a
    /// type that is neither DM media type too ([`IgnoreReason::UnsupportedMediaType`]). Without
    /// it (a file, a transport without media types) the body's first byte picks the codec.
    ///
    /// [`IgnoreReason::MediaTypeMismatch`]: crate::IgnoreReason::MediaTypeMismatch
    /// [`IgnoreReason::UnsupportedMediaType`]: crate::IgnoreReason::UnsupportedMediaType
    #[must_use]
    pub const fn with_content_type(mut self, value: &'h str) -> Self {
        self.content_type = Some(value);
        self
    }

    /// The `Content-Type` value, if any.
    #[must_use]
    pub const fn content_type(&self) -> Option<&'h str> {
        self.content_type
    }

    /// The `x-syncml-hmac` header value, if any.
    #[must_use]
    pub const fn hmac_header(&self) -> Option<&'h str> {
        self.hmac_header
    }

    /// Whether the transport authenticated the peer.
    #[must_use]
    pub const fn peer_authenticated(&self) -> bool {
        self.peer_authenticated
    }
}
