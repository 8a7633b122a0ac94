//! Authentication of the client in a DM session: the scheme a device is pinned to, what the
//! caller's secret lookup returns, what the transport carries, and the checks themselves
//! (auth-md5 `Cred`, or an `x-syncml-hmac` MAC over the whole body).

use core::fmt;

use std::borrow::Cow;

use omadm_dmsec::{
    Algorithm, AuthError, AuthType, Construction, MacKey, MacParams, Nonce, StoredSecret, Username,
    md5_credential, verify_md5,
};
use omadm_syncml::{Chal, Cred, Format, Meta};

/// How a device authenticates in its DM sessions, pinned per device: the server never tries
/// another scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthPin {
    /// `syncml:auth-md5`: a `SyncHdr/Cred` with `B64(MD5(B64(MD5(user:pass)) ":" nonce))`, sent
    /// with package 1 only; Status 212 once accepted.
    Md5,
    /// `syncml:auth-MAC` (DM Security 1.2 §5.1.4): the `x-syncml-hmac` transport header over the
    /// whole body of *every* client message, each with the nonce the server's previous message
    /// gave; SyncHdr Status 200 each time.
    Hmac {
        /// MD5 (DM 1.2 "HMAC-MD5") or SHA-256.
        algorithm: Algorithm,
        /// The nested digest of DM 1.2 (default) or RFC 2104.
        construction: Construction,
    },
}

impl AuthPin {
    /// HMAC with SHA-256 and the nested-digest construction (the project's default).
    pub const HMAC_SHA256: AuthPin = AuthPin::Hmac {
        algorithm: Algorithm::Sha256,
        construction: Construction::Digest,
    };

    /// The `Meta/Type` that names the scheme in a `Chal` (and a `Cred`).
    #[must_use]
    pub const fn auth_type(self) -> AuthType {
        match self {
            AuthPin::Md5 => AuthType::Md5,
            AuthPin::Hmac { .. } => AuthType::Mac,
        }
    }
}

/// What the caller's secret lookup found for the claimed username: the device's identity, its
/// secret, its pin and the nonce the server issued to it last (the one it expects next, the same
/// the sessionless verifier holds).
#[derive(Clone)]
#[non_exhaustive]
pub struct DeviceAuth {
    /// The username (`SyncHdr/Source/LocName`, and the MAC parameter list's `username`).
    pub username: Username,
    /// The device id held for the username (`SyncHdr/Source/LocURI` must equal it).
    pub device_id: String,
    /// The password or its key digest.
    pub secret: StoredSecret,
    /// The scheme the device is pinned to.
    pub pin: AuthPin,
    /// The nonce the server last issued to this device.
    pub nonce: Nonce,
}

impl DeviceAuth {
    /// The lookup's answer.
    #[must_use]
    pub fn new(
        username: Username,
        device_id: impl Into<String>,
        secret: impl Into<StoredSecret>,
        pin: AuthPin,
        nonce: Nonce,
    ) -> Self {
        Self {
            username,
            device_id: device_id.into(),
            secret: secret.into(),
            pin,
            nonce,
        }
    }
}

impl fmt::Debug for DeviceAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuth")
            .field("username", &self.username)
            .field("device_id", &self.device_id)
            .field("secret", &format_args!("[redacted]"))
            .field("pin", &self.pin)
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// What the transport tells the engine about a message besides its body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transport<'a> {
    hmac: Option<&'a str>,
}

impl<'a> Transport<'a> {
    /// No transport metadata.
    pub const NONE: Transport<'static> = Transport { hmac: None };

    /// Metadata with the value of the `x-syncml-hmac` header, if the message had one.
    #[must_use]
    pub const fn with_hmac(hmac: Option<&'a str>) -> Self {
        Self { hmac }
    }

    /// The `x-syncml-hmac` header value.
    #[must_use]
    pub const fn hmac(&self) -> Option<&'a str> {
        self.hmac
    }
}

/// The result of checking a message's credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Authentic.
    Ok,
    /// No credential of the pinned scheme at all: Status 407.
    Missing,
    /// A credential that does not verify (wrong scheme, identity, nonce or MAC): Status 401.
    Invalid,
}

/// The server's view of one device, built once per session from [`DeviceAuth`].
pub(crate) struct Keys {
    pub(crate) username: Username,
    pub(crate) device_id: String,
    pub(crate) pin: AuthPin,
    state: KeyState,
}

enum KeyState {
    /// The MD5 key digest, for auth-md5.
    Md5(StoredSecret),
    /// The MAC key.
    Mac(MacKey),
}

impl Keys {
    pub(crate) fn new(auth: &DeviceAuth) -> Result<Self, AuthError> {
        let user = auth.username.as_str();
        let state = match auth.pin {
            AuthPin::Md5 => KeyState::Md5(StoredSecret::Digest(
                auth.secret.digest_for(Algorithm::Md5, user)?,
            )),
            AuthPin::Hmac {
                algorithm,
                construction,
            } => KeyState::Mac(MacKey::new(algorithm, construction, user, &auth.secret)?),
        };
        Ok(Self {
            username: auth.username.clone(),
            device_id: auth.device_id.clone(),
            pin: auth.pin,
            state,
        })
    }

    /// Checks the credentials of one client message: `loc_name` and `loc_uri` from its
    /// `SyncHdr/Source`, its `Cred`, the `x-syncml-hmac` value and the raw body.
    pub(crate) fn check(
        &self,
        nonce: &Nonce,
        source: (&str, Option<&str>),
        cred: Option<&Cred<'_>>,
        hmac: Option<&str>,
        body: &[u8],
    ) -> Check {
        let (loc_uri, loc_name) = source;
        match &self.state {
            KeyState::Md5(secret) => {
                let Some(cred) = cred.filter(|c| c.scheme() == Some(AuthType::Md5.as_str())) else {
                    return if cred.is_some() {
                        Check::Invalid
                    } else {
                        Check::Missing
                    };
                };
                let format_ok = cred
                    .meta
                    .as_ref()
                    .and_then(|m| m.format.as_ref())
                    .is_none_or(|f| *f == Format::B64);
                let identity_ok =
                    loc_name == Some(self.username.as_str()) && loc_uri == self.device_id;
                let verified =
                    verify_md5(self.username.as_str(), secret, nonce, &cred.data).is_ok();
                if format_ok && identity_ok && verified {
                    Check::Ok
                } else {
                    Check::Invalid
                }
            }
            KeyState::Mac(key) => {
                let Some(value) = hmac else {
                    return Check::Missing;
                };
                let Ok(params) = MacParams::parse(value) else {
                    return Check::Invalid;
                };
                let identity_ok = params.username() == &self.username
                    && loc_name == Some(self.username.as_str())
                    && loc_uri == self.device_id;
                let algorithm_ok = params.algorithm() == key.algorithm();
                let verified = key.verify(nonce, body, params.mac()).is_ok();
                if identity_ok && algorithm_ok && verified {
                    Check::Ok
                } else {
                    Check::Invalid
                }
            }
        }
    }
}

/// A `Chal` for `pin` carrying `nonce` as `NextNonce` (Format `b64`).
pub(crate) fn chal(pin: AuthPin, nonce: &Nonce) -> Chal<'static> {
    Chal {
        meta: Meta {
            format: Some(Format::B64),
            ty: Some(Cow::Borrowed(pin.auth_type().as_str())),
            next_nonce: Some(Cow::Owned(nonce.to_base64())),
            ..Meta::default()
        },
    }
}

/// The client's credentials for one message under `pin`: the `Cred` (auth-md5) or nothing, and
/// the `x-syncml-hmac` value over `body` (HMAC), computed by [`ClientKeys`].
pub(crate) struct ClientKeys {
    username: Username,
    secret: StoredSecret,
    mac: Option<MacKey>,
}

impl ClientKeys {
    pub(crate) fn new(
        username: Username,
        secret: StoredSecret,
        pin: AuthPin,
    ) -> Result<Self, AuthError> {
        let mac = match pin {
            AuthPin::Md5 => {
                // Fails now, not at the first message, if the secret cannot serve auth-md5.
                secret.digest_for(Algorithm::Md5, username.as_str())?;
                None
            }
            AuthPin::Hmac {
                algorithm,
                construction,
            } => Some(MacKey::new(
                algorithm,
                construction,
                username.as_str(),
                &secret,
            )?),
        };
        Ok(Self {
            username,
            secret,
            mac,
        })
    }

    pub(crate) fn username(&self) -> &Username {
        &self.username
    }

    /// The auth-md5 `Cred` for `nonce`.
    pub(crate) fn md5_cred(&self, nonce: &Nonce) -> Option<Cred<'static>> {
        let data = md5_credential(self.username.as_str(), &self.secret, nonce).ok()?;
        Some(Cred {
            meta: Some(Meta {
                format: Some(Format::B64),
                ty: Some(Cow::Borrowed(AuthType::Md5.as_str())),
                ..Meta::default()
            }),
            data: Cow::Owned(data),
        })
    }

    /// The `x-syncml-hmac` value over `body` with `nonce`, in HMAC mode.
    pub(crate) fn hmac_header(&self, nonce: &Nonce, body: &[u8]) -> Option<String> {
        let key = self.mac.as_ref()?;
        Some(MacParams::new(self.username.clone(), key.mac(nonce, body)).to_string())
    }
}
