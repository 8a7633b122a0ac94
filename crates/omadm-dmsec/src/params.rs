//! The parameter list `algorithm=…, username="…", mac=…` of the `x-syncml-hmac` header and of
//! the in-message `Cred/Data`: a strict, bounded parser and the canonical formatter.

use core::fmt;
use core::str::FromStr;

use crate::error::{ParamsError, ParamsErrorKind};
use crate::mac::Mac;
use crate::names::Algorithm;

/// A username as it may appear in a parameter list (and in `SyncHdr/Source/LocName`).
///
/// 1 to [`Username::MAX_LEN`] bytes of UTF-8 without control characters, `<`, `>` or `&`: the
/// parameter list is written verbatim inside XML, so it may hold no markup (which also rules
/// out `]]>`). `"` and `\` are allowed and escaped when formatted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Longest username accepted, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Validates a username.
    ///
    /// # Errors
    /// [`ParamsErrorKind::Username`], with the offset of the offending character (or 0 for an
    /// empty name, [`Username::MAX_LEN`] for a long one).
    pub fn new(name: impl Into<String>) -> Result<Self, ParamsError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ParamsError::new(ParamsErrorKind::Username, 0));
        }
        if name.len() > Self::MAX_LEN {
            return Err(ParamsError::new(ParamsErrorKind::Username, Self::MAX_LEN));
        }
        if let Some((at, _)) = name
            .char_indices()
            .find(|&(_, c)| c.is_control() || matches!(c, '<' | '>' | '&'))
        {
            return Err(ParamsError::new(ParamsErrorKind::Username, at));
        }
        Ok(Self(name))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Length of the name inside quotes once `"` and `\` are escaped.
    fn quoted_len(&self) -> usize {
        self.0.len() + self.0.bytes().filter(|b| matches!(b, b'"' | b'\\')).count()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Username {
    type Err = ParamsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The MAC parameter list: who claims to speak, and the MAC (which names its algorithm).
///
/// Parsing accepts the parameters in any order, optional whitespace (space, tab, CR, LF) around
/// `,` and `=`, ASCII case-insensitive parameter names, quoted or bare values (quoted strings
/// may use `\` escapes), and algorithm aliases (see [`Algorithm::from_token`]). An absent
/// `algorithm` means MD5, per the DM 1.2 grammar. Formatting always writes the canonical form
/// `algorithm=SHA256, username="alice", mac=<base64>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacParams {
    username: Username,
    mac: Mac,
}

impl MacParams {
    /// Longest parameter list accepted by [`parse`](Self::parse), in bytes.
    pub const MAX_LEN: usize = 512;

    /// Pairs a username with a MAC (the algorithm is the MAC's).
    #[must_use]
    pub const fn new(username: Username, mac: Mac) -> Self {
        Self { username, mac }
    }

    /// Parses a parameter list.
    ///
    /// # Errors
    /// A [`ParamsError`] with its kind and byte offset: the input is longer than
    /// [`MAX_LEN`](Self::MAX_LEN), holds `<` or `&`, breaks the grammar, names an unknown or
    /// repeated parameter, lacks `username` or `mac`, names an unknown algorithm, or carries a
    /// MAC that is not canonical base64 of the algorithm's length, or an invalid username.
    pub fn parse(input: &str) -> Result<Self, ParamsError> {
        Parser::new(input)?.run()
    }

    /// The MAC's algorithm.
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.mac.algorithm()
    }

    /// Who claims to speak (must equal `SyncHdr/Source/LocName`; checking that is the
    /// caller's job).
    #[must_use]
    pub const fn username(&self) -> &Username {
        &self.username
    }

    /// The MAC.
    #[must_use]
    pub const fn mac(&self) -> &Mac {
        &self.mac
    }

    /// The length in bytes of the canonical form for `algorithm` and `username`: lets a sender
    /// size a message before it has the MAC (the MAC's base64 length is fixed per algorithm).
    #[must_use]
    pub fn encoded_len(algorithm: Algorithm, username: &Username) -> usize {
        ALGORITHM_PREFIX.len()
            + algorithm.as_str().len()
            + USERNAME_PREFIX.len()
            + username.quoted_len()
            + MAC_PREFIX.len()
            + algorithm.base64_len()
    }

    /// The length in bytes of this list's canonical form.
    #[must_use]
    pub fn len(&self) -> usize {
        Self::encoded_len(self.algorithm(), &self.username)
    }

    /// Always `false`: a parameter list is never empty (present to pair with [`len`](Self::len)).
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        false
    }
}

const ALGORITHM_PREFIX: &str = "algorithm=";
const USERNAME_PREFIX: &str = ", username=\"";
const MAC_PREFIX: &str = "\", mac=";

impl fmt::Display for MacParams {
    /// The canonical form `algorithm=SHA256, username="alice", mac=<base64>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ALGORITHM_PREFIX)?;
        f.write_str(self.algorithm().as_str())?;
        f.write_str(USERNAME_PREFIX)?;
        for piece in self.username.0.split_inclusive(['"', '\\']) {
            match piece.strip_suffix(['"', '\\']) {
                Some(head) => {
                    f.write_str(head)?;
                    f.write_str("\\")?;
                    f.write_str(&piece[head.len()..])?;
                }
                None => f.write_str(piece)?,
            }
        }
        f.write_str(MAC_PREFIX)?;
        f.write_str(&self.mac.to_base64())
    }
}

impl FromStr for MacParams {
    type Err = ParamsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A value as read: its text (unescaped if it was quoted) and where it started.
struct Value {
    text: String,
    offset: usize,
}

/// Which parameter a name designates.
#[derive(Clone, Copy)]
enum Param {
    Algorithm,
    Username,
    Mac,
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Result<Self, ParamsError> {
        if input.len() > MacParams::MAX_LEN {
            return Err(ParamsError::new(
                ParamsErrorKind::TooLong,
                MacParams::MAX_LEN,
            ));
        }
        if let Some(at) = input.find(['<', '&']) {
            return Err(ParamsError::new(ParamsErrorKind::Markup, at));
        }
        Ok(Self {
            input: input.as_bytes(),
            pos: 0,
        })
    }

    fn run(mut self) -> Result<MacParams, ParamsError> {
        let mut algorithm: Option<Value> = None;
        let mut username: Option<Value> = None;
        let mut mac: Option<Value> = None;

        self.skip_ws();
        loop {
            let name_at = self.pos;
            let param = self.name()?;
            self.skip_ws();
            self.expect(b'=')?;
            self.skip_ws();
            let value = self.value()?;
            let slot = match param {
                Param::Algorithm => &mut algorithm,
                Param::Username => &mut username,
                Param::Mac => &mut mac,
            };
            if slot.is_some() {
                return Err(ParamsError::new(ParamsErrorKind::Duplicate, name_at));
            }
            *slot = Some(value);
            self.skip_ws();
            if self.pos == self.input.len() {
                break;
            }
            self.expect(b',')?;
            self.skip_ws();
        }

        let end = self.input.len();
        let username = username.ok_or(ParamsError::new(ParamsErrorKind::MissingUsername, end))?;
        let mac = mac.ok_or(ParamsError::new(ParamsErrorKind::MissingMac, end))?;
        let algorithm = match algorithm {
            None => Algorithm::Md5,
            Some(v) => Algorithm::from_token(&v.text)
                .map_err(|_| ParamsError::new(ParamsErrorKind::UnknownAlgorithm, v.offset))?,
        };
        let mac_value = Mac::from_base64(&mac.text).map_err(|e| {
            let kind = match e {
                crate::DecodeError::Length => ParamsErrorKind::MacLength,
                _ => ParamsErrorKind::MacBase64,
            };
            ParamsError::new(kind, mac.offset)
        })?;
        if mac_value.algorithm() != algorithm {
            return Err(ParamsError::new(ParamsErrorKind::MacLength, mac.offset));
        }
        let name = Username::new(username.text)
            .map_err(|_| ParamsError::new(ParamsErrorKind::Username, username.offset))?;
        Ok(MacParams::new(name, mac_value))
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), ParamsError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn syntax(&self) -> ParamsError {
        ParamsError::new(ParamsErrorKind::Syntax, self.pos)
    }

    /// A parameter name: `[A-Za-z0-9_-]+`, matched ASCII case-insensitively.
    fn name(&mut self) -> Result<Param, ParamsError> {
        let start = self.pos;
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            self.pos += 1;
        }
        let name = &self.input[start..self.pos];
        if name.is_empty() {
            return Err(self.syntax());
        }
        if name.eq_ignore_ascii_case(b"algorithm") {
            Ok(Param::Algorithm)
        } else if name.eq_ignore_ascii_case(b"username") {
            Ok(Param::Username)
        } else if name.eq_ignore_ascii_case(b"mac") {
            Ok(Param::Mac)
        } else {
            Err(ParamsError::new(ParamsErrorKind::UnknownParam, start))
        }
    }

    /// A quoted string (RFC 2616, `\` escapes any character) or a bare run of characters up to
    /// whitespace or `,` (bare values may hold `=`, as base64 padding does).
    fn value(&mut self) -> Result<Value, ParamsError> {
        let offset = self.pos;
        let mut text = Vec::new();
        if self.peek() == Some(b'"') {
            self.pos += 1;
            loop {
                match self.peek() {
                    None => return Err(self.syntax()),
                    Some(b'"') => {
                        self.pos += 1;
                        break;
                    }
                    Some(b'\\') => {
                        self.pos += 1;
                        let Some(escaped) = self.peek() else {
                            return Err(self.syntax());
                        };
                        text.push(escaped);
                        self.pos += 1;
                    }
                    Some(b) => {
                        text.push(b);
                        self.pos += 1;
                    }
                }
            }
        } else {
            while let Some(b) = self.peek() {
                if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'"') {
                    break;
                }
                text.push(b);
                self.pos += 1;
            }
            if text.is_empty() {
                return Err(self.syntax());
            }
        }
        // Escaping a byte of a multi-byte character (`\` before its lead byte) still yields the
        // same byte sequence, so the text stays UTF-8; check anyway rather than assume.
        let text = String::from_utf8(text)
            .map_err(|_| ParamsError::new(ParamsErrorKind::Syntax, offset))?;
        Ok(Value { text, offset })
    }
}
