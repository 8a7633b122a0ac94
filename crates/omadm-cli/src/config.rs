//! `devices.toml`: the devices a client can speak for or a server accepts, with load errors
//! that name the file, line and field.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use omadm_dmsec::{Algorithm, Carrier, Construction, Nonce, Secret, SecretDigest};
use omadm_syncml::Encoding;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{CliError, line_col};
use crate::warn;

/// Secrets shorter than this draw a warning (DM Security recommends at least 128 bits).
pub(crate) const MIN_SECRET_LEN: usize = 16;

/// Parses a carrier the tool can use (`--carrier` and the `carrier` field): `in-message` or
/// `header`. The transport carrier needs a TLS client certificate, which the tool's HTTP
/// edge does not check, so it is refused here.
pub(crate) fn parse_carrier(text: &str) -> Result<Carrier, String> {
    match text.parse::<Carrier>() {
        Ok(Carrier::Transport) => Err(
            "the transport carrier needs a TLS client certificate, which omadm does not check \
             (expected in-message or header)"
                .to_owned(),
        ),
        Ok(carrier) => Ok(carrier),
        Err(_) => Err("unknown carrier (expected in-message or header)".to_owned()),
    }
}

/// One `[[device]]` entry, validated.
#[derive(Debug)]
pub(crate) struct Device {
    /// `SyncHdr/Source/LocName`, the Cred username.
    pub(crate) username: String,
    /// `SyncHdr/Source/LocURI`.
    pub(crate) device_id: String,
    /// The password (a device needs it).
    pub(crate) secret: Option<Secret>,
    /// `B64(H(username ":" secret))` (what a server should hold instead of the password).
    pub(crate) secret_digest: Option<SecretDigest>,
    /// The last nonce the server issued.
    pub(crate) nonce: Nonce,
    /// The pinned hash.
    pub(crate) algorithm: Algorithm,
    /// The pinned MAC construction.
    pub(crate) construction: Construction,
    /// The pinned carrier.
    pub(crate) carrier: Carrier,
    /// How the device encodes its messages (device side only: a server accepts both).
    pub(crate) encoding: Encoding,
    /// The server's MaxMsgSize as the device knows it.
    pub(crate) max_msg_size: Option<usize>,
    /// 1-based line of the entry, for messages.
    pub(crate) line: usize,
}

/// Every device of one file, by username.
#[derive(Debug)]
pub(crate) struct Devices {
    path: PathBuf,
    list: Vec<Device>,
    by_username: HashMap<String, usize>,
}

impl Devices {
    /// Reads and validates a devices file. Warnings (short secrets) go to stderr.
    pub(crate) fn load(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::read(path, &e))?;
        Self::parse(path, &text)
    }

    /// Validates the text of a devices file; `path` only names it in messages.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self, CliError> {
        let at = |offset: usize| {
            let (line, column) = line_col(text, offset);
            format!("{}:{line}:{column}", path.display())
        };
        let file: FileToml = toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map_or_else(|| path.display().to_string(), |s| at(s.start));
            CliError::input(format!("{place}: {}", one_line(e.message())))
        })?;
        if file.device.is_empty() {
            return Err(CliError::input(format!(
                "{}: no [[device]] entry",
                path.display()
            )));
        }
        let mut list = Vec::with_capacity(file.device.len());
        let mut by_username = HashMap::with_capacity(file.device.len());
        for entry in file.device {
            let device = validate(entry, &at, text)?;
            if by_username
                .insert(device.username.clone(), list.len())
                .is_some()
            {
                return Err(CliError::input(format!(
                    "{}: username: device \"{}\" is listed twice",
                    at(entry_offset(text, device.line)),
                    device.username
                )));
            }
            if let Some(secret) = &device.secret
                && secret.expose().len() < MIN_SECRET_LEN
            {
                warn(&format!(
                    "{}:{}: secret of device \"{}\" is shorter than {MIN_SECRET_LEN} bytes",
                    path.display(),
                    device.line,
                    device.username
                ));
            }
            list.push(device);
        }
        Ok(Self {
            path: path.to_owned(),
            list,
            by_username,
        })
    }

    /// The file these devices came from.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Every device, in file order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Device> {
        self.list.iter()
    }

    /// The device with this username, if any.
    pub(crate) fn get(&self, username: &str) -> Option<&Device> {
        self.by_username
            .get(username)
            .and_then(|&i| self.list.get(i))
    }

    /// The device with this username, or the "unknown device" error.
    pub(crate) fn require(&self, username: &str) -> Result<&Device, CliError> {
        self.get(username).ok_or_else(|| {
            CliError::input(format!(
                "unknown device \"{username}\" (not in {})",
                self.path.display()
            ))
        })
    }

    /// Number of devices.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// Warns once per device that a server file holds a password rather than a digest.
    pub(crate) fn warn_plain_secrets_for_server(&self) {
        for device in &self.list {
            if device.secret.is_some() && device.secret_digest.is_none() {
                warn(&format!(
                    "{}:{}: device \"{}\" has a plain `secret`; a server's file should hold \
                     `secret_digest` only",
                    self.path.display(),
                    device.line,
                    device.username
                ));
            }
        }
    }
}

impl Device {
    /// The password, which a sending device needs.
    pub(crate) fn require_secret(&self, path: &Path) -> Result<&Secret, CliError> {
        self.secret.as_ref().ok_or_else(|| {
            CliError::input(format!(
                "{}:{}: device \"{}\" has no `secret` (a device needs its secret; \
                 `secret_digest` is for servers)",
                path.display(),
                self.line,
                self.username
            ))
        })
    }
}

/// Collapses a multi-line parser message into one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Byte offset of the start of a 1-based line.
fn entry_offset(text: &str, line: usize) -> usize {
    text.split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    device: Vec<Spanned<DeviceToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceToml {
    username: Spanned<String>,
    device_id: Spanned<String>,
    secret: Option<Spanned<String>>,
    secret_digest: Option<Spanned<String>>,
    nonce: Spanned<String>,
    algorithm: Option<Spanned<String>>,
    construction: Option<Spanned<String>>,
    carrier: Option<Spanned<String>>,
    encoding: Option<Spanned<String>>,
    max_msg_size: Option<Spanned<i64>>,
}

fn validate(
    spanned: Spanned<DeviceToml>,
    at: &dyn Fn(usize) -> String,
    text: &str,
) -> Result<Device, CliError> {
    {
        let line = line_col(text, spanned.span().start).0;
        let entry = spanned.into_inner();
        let bad = |span: core::ops::Range<usize>, field: &str, why: &str| {
            CliError::input(format!("{}: {field}: {why}", at(span.start)))
        };
        let username = entry.username.get_ref().clone();
        if username.is_empty() || username.contains('"') || username.len() > 128 {
            return Err(bad(
                entry.username.span(),
                "username",
                "must be 1 to 128 bytes without a double quote",
            ));
        }
        let device_id = entry.device_id.get_ref().clone();
        if device_id.is_empty() {
            return Err(bad(
                entry.device_id.span(),
                "device_id",
                "must not be empty",
            ));
        }
        let nonce = Nonce::from_base64(entry.nonce.get_ref().trim()).map_err(|e| {
            bad(
                entry.nonce.span(),
                "nonce",
                &format!("{e} (expected the base64 of 1 to 64 bytes)"),
            )
        })?;
        let algorithm = match &entry.algorithm {
            None => Algorithm::default(),
            Some(a) => Algorithm::from_token(a.get_ref()).map_err(|_| {
                bad(
                    a.span(),
                    "algorithm",
                    "unknown algorithm (expected SHA256 or MD5)",
                )
            })?,
        };
        let construction = match &entry.construction {
            None => Construction::default(),
            Some(c) => c.get_ref().parse::<Construction>().map_err(|_| {
                bad(
                    c.span(),
                    "construction",
                    "unknown construction (expected digest or rfc2104)",
                )
            })?,
        };
        let carrier = match &entry.carrier {
            None => Carrier::default(),
            Some(c) => parse_carrier(c.get_ref()).map_err(|why| bad(c.span(), "carrier", &why))?,
        };
        let encoding = match &entry.encoding {
            None => Encoding::default(),
            Some(e) => e
                .get_ref()
                .parse::<Encoding>()
                .map_err(|why| bad(e.span(), "encoding", &why.to_string()))?,
        };
        let max_msg_size = match &entry.max_msg_size {
            None => None,
            Some(m) => Some(
                usize::try_from(*m.get_ref())
                    .ok()
                    .filter(|&n| n > 0 && n <= u32::MAX as usize)
                    .ok_or_else(|| {
                        bad(m.span(), "max_msg_size", "must be a positive size in bytes")
                    })?,
            ),
        };
        let secret = entry
            .secret
            .as_ref()
            .map(|s| Secret::new(s.get_ref().as_bytes()));
        let secret_digest = match &entry.secret_digest {
            None => None,
            Some(d) => {
                let digest = SecretDigest::from_base64(d.get_ref().trim()).map_err(|_| {
                    bad(
                        d.span(),
                        "secret_digest",
                        "expected B64(SHA256(username:secret)) or B64(MD5(username:secret))",
                    )
                })?;
                if digest.algorithm() != algorithm {
                    return Err(bad(
                        d.span(),
                        "secret_digest",
                        &format!(
                            "this is a {} digest but the device's algorithm is {algorithm}",
                            digest.algorithm()
                        ),
                    ));
                }
                Some(digest)
            }
        };
        if secret.is_none() && secret_digest.is_none() {
            return Err(CliError::input(format!(
                "{}: device \"{username}\" needs `secret` (device side) or `secret_digest` \
                 (server side)",
                at(entry.username.span().start)
            )));
        }
        Ok(Device {
            username,
            device_id,
            secret,
            secret_digest,
            nonce,
            algorithm,
            construction,
            carrier,
            encoding,
            max_msg_size,
            line,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn parse(text: &str) -> Result<Devices, String> {
        Devices::parse(Path::new("devices.toml"), text).map_err(|e| e.to_string())
    }

    const GOOD: &str = r#"
[[device]]
username  = "dev1"
device_id = "IMEI:493005100592800"
secret    = "0123456789abcdef0123"
nonce     = "AAECAwQFBgcICQoLDA0ODw=="

[[device]]
username      = "dev2"
device_id     = "IMEI:2"
secret_digest = "R97sly7ZBZJBy453p8EcsTXjWZs9+cyuHXyPGRtKXlU="
nonce         = "AAECAwQFBgcICQoLDA0ODw=="
carrier       = "header"
encoding      = "wbxml"
max_msg_size  = 4096
"#;

    #[test]
    fn four_keys_are_enough() {
        let devices = parse(GOOD).unwrap();
        assert_eq!(devices.len(), 2);
        let dev1 = devices.get("dev1").unwrap();
        assert_eq!(dev1.device_id, "IMEI:493005100592800");
        assert_eq!(dev1.algorithm, Algorithm::Sha256);
        assert_eq!(dev1.construction, Construction::Digest);
        assert_eq!(dev1.carrier, Carrier::InMessage);
        assert_eq!(dev1.encoding, Encoding::Xml);
        assert_eq!(dev1.line, 2);
        let dev2 = devices.get("dev2").unwrap();
        assert!(dev2.secret.is_none());
        assert_eq!(dev2.carrier, Carrier::Header);
        assert_eq!(dev2.encoding, Encoding::Wbxml);
        assert_eq!(dev2.max_msg_size, Some(4096));
        assert!(dev2.secret_digest.is_some());
        assert!(devices.require("nobody").is_err());
    }

    #[test]
    fn errors_name_line_and_field() {
        let cases: &[(&str, &str)] = &[
            (
                "[[device]]\nusername = \"a\"\n",
                "devices.toml:1:1: missing field `device_id`",
            ),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nsecret = \"s\"\nnonce = \"!!\"\n",
                "devices.toml:5:9: nonce:",
            ),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nsecret = \"s\"\nnonce = \"AA==\"\ncolour = 1\n",
                "devices.toml:6:1: unknown field `colour`",
            ),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nnonce = \"AA==\"\n",
                "devices.toml:2:12: device \"a\" needs `secret`",
            ),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nsecret = \"s\"\nnonce = \"AA==\"\nalgorithm = \"SHA1\"\n",
                "devices.toml:6:13: algorithm: unknown algorithm",
            ),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nsecret = \"s\"\nnonce = \"AA==\"\ncarrier = \"cred\"\n",
                "devices.toml:6:11: carrier: unknown carrier (expected in-message or header)",
            ),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nsecret = \"s\"\nnonce = \"AA==\"\ncarrier = \"transport\"\n",
                "devices.toml:6:11: carrier: the transport carrier needs a TLS client certificate",
            ),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nsecret = \"s\"\nnonce = \"AA==\"\nencoding = \"json\"\n",
                "devices.toml:6:12: encoding: unknown encoding: expected xml or wbxml",
            ),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nsecret = \"s\"\nnonce = \"AA==\"\nmax_msg_size = 0\n",
                "devices.toml:6:16: max_msg_size:",
            ),
            ("device = 3\n", "devices.toml:1:10: invalid type"),
            ("", "devices.toml: no [[device]] entry"),
            ("[[device]\n", "devices.toml:1:"),
            (
                "[[device]]\nusername = \"a\"\ndevice_id = \"d\"\nsecret_digest = \"jxV8pZIclfahTD9kZLyLWw==\"\nnonce = \"AA==\"\n",
                "devices.toml:4:17: secret_digest: this is a MD5 digest",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text)
                .err()
                .unwrap_or_else(|| panic!("accepted {text:?}"));
            assert!(
                err.starts_with(expected),
                "{text:?}: got {err:?}, want {expected:?}"
            );
            assert!(!err.contains('\n'), "one line: {err:?}");
        }
    }

    #[test]
    fn a_username_listed_twice_is_refused() {
        let text = format!(
            "{GOOD}\n[[device]]\nusername = \"dev1\"\ndevice_id = \"x\"\nsecret = \"0123456789abcdef\"\nnonce = \"AA==\"\n"
        );
        let err = parse(&text).err().unwrap();
        assert!(err.contains("listed twice"), "{err}");
    }
}
