//! The parameter list `algorithm=…, username="…", mac=…` of the `x-syncml-hmac` header and of
//! the in-message `Cred/Data`: a strict, bounded parser and the canonical formatter.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use crate::error::{ParamsError, ParamsErrorKind};
use crate::mac::Mac;
use crate::names::Algorithm;

/// A username as it may appear in a parameter list (and in `SyncHdr/Source/LocName`).
///
/// 1 to [`Username::MAX_LEN`] bytes of UTF-8 without control characters, `<`, `>` or `&`: the
/// parameter list is written verbatim inside XML, so it may hold no markup (which also rules
/// out `]]>`). `"` and `\` are allowed and escaped when formatted.
///
/// Held inline (no heap allocation), so that parsing a parameter list allocates nothing.
#[derive(Clone)]
pub struct Username {
    buf: [u8; Username::MAX_LEN],
    len: u8,
}

impl Username {
    /// Longest username accepted, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Validates a username.
    ///
    /// # Errors
    /// [`ParamsErrorKind::Username`], with the offset of the offending character (or 0 for an
    /// empty name, [`Username::MAX_LEN`] for a long one).
    pub fn new(name: impl Into<String>) -> Result<Self, ParamsError> {
        Self::from_text(&name.into())
    }

    /// Validates and copies a username without allocating.
    fn from_text(name: &str) -> Result<Self, ParamsError> {
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
        let mut buf = [0u8; Self::MAX_LEN];
        buf[..name.len()].copy_from_slice(name.as_bytes());
        // invariant: 1 <= name.len() <= MAX_LEN = 128, checked above.
        #[allow(clippy::expect_used)]
        let len = u8::try_from(name.len()).expect("invariant: a username is at most 128 bytes");
        Ok(Self { buf, len })
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // invariant: the buffer's first `len` bytes were copied from a `&str` (`from_text`).
        #[allow(clippy::expect_used)]
        core::str::from_utf8(&self.buf[..usize::from(self.len)])
            .expect("invariant: a username is copied from a str")
    }

    /// Length of the name inside quotes once `"` and `\` are escaped.
    fn quoted_len(&self) -> usize {
        let name = self.as_str();
        name.len() + name.bytes().filter(|b| matches!(b, b'"' | b'\\')).count()
    }
}

impl PartialEq for Username {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Username {}

impl Hash for Username {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Username {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Username {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Username").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Username {
    type Err = ParamsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_text(s)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        self.as_str()
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
        for piece in self.username.as_str().split_inclusive(['"', '\\']) {
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
        fmt::Display::fmt(&self.mac, f)
    }
}

impl FromStr for MacParams {
    type Err = ParamsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A value as read, borrowed from the input: the bytes between the quotes (still escaped) or
/// the bare run, whether it was quoted, and where it started.
#[derive(Clone, Copy)]
struct Value<'a> {
    raw: &'a str,
    quoted: bool,
    offset: usize,
}

impl Value<'_> {
    /// A syntax error at the value's start.
    const fn syntax(&self) -> ParamsError {
        ParamsError::new(ParamsErrorKind::Syntax, self.offset)
    }

    /// The value's text with `\` escapes resolved: the input itself when there are none,
    /// otherwise unescaped into `scratch` (never longer than the raw bytes). `None` if the
    /// result is not UTF-8 or does not fit in `scratch`.
    fn text<'s>(&'s self, scratch: &'s mut [u8]) -> Option<&'s str> {
        if !self.quoted || !self.raw.contains('\\') {
            return Some(self.raw);
        }
        let mut len = 0;
        let mut bytes = self.raw.as_bytes().iter();
        while let Some(&b) = bytes.next() {
            // The scanner only ends a quoted value after the byte that follows a `\`.
            let b = if b == b'\\' { *bytes.next()? } else { b };
            *scratch.get_mut(len)? = b;
            len += 1;
        }
        // Dropping a `\` before any byte of a UTF-8 string leaves UTF-8 (`\` is a character
        // of its own); check anyway rather than assume.
        core::str::from_utf8(scratch.get(..len)?).ok()
    }
}

/// Which parameter a name designates.
#[derive(Clone, Copy)]
enum Param {
    Algorithm,
    Username,
    Mac,
}

struct Parser<'a> {
    /// The input, to borrow values from (they start and end beside ASCII delimiters, so on
    /// character boundaries).
    text: &'a str,
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
        // A byte scan: `<` and `&` are ASCII, so this is the offset `str::find` would give,
        // for a fraction of the cost of its `char` pattern.
        if let Some(at) = input.bytes().position(|b| matches!(b, b'<' | b'&')) {
            return Err(ParamsError::new(ParamsErrorKind::Markup, at));
        }
        Ok(Self {
            text: input,
            input: input.as_bytes(),
            pos: 0,
        })
    }

    fn run(mut self) -> Result<MacParams, ParamsError> {
        let mut algorithm: Option<Value<'a>> = None;
        let mut username: Option<Value<'a>> = None;
        let mut mac: Option<Value<'a>> = None;

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

        // Every value is at most the input's length, itself at most `MAX_LEN` (checked in `new`).
        let mut scratch = [0u8; MacParams::MAX_LEN];
        let end = self.input.len();
        let username = username.ok_or(ParamsError::new(ParamsErrorKind::MissingUsername, end))?;
        let mac = mac.ok_or(ParamsError::new(ParamsErrorKind::MissingMac, end))?;
        let algorithm = match algorithm {
            None => Algorithm::Md5,
            Some(v) => {
                let text = v.text(&mut scratch).ok_or(v.syntax())?;
                Algorithm::from_token(text)
                    .map_err(|_| ParamsError::new(ParamsErrorKind::UnknownAlgorithm, v.offset))?
            }
        };
        let mac_text = mac.text(&mut scratch).ok_or(mac.syntax())?;
        let mac_value = Mac::from_base64(mac_text).map_err(|e| {
            let kind = match e {
                crate::DecodeError::Length => ParamsErrorKind::MacLength,
                _ => ParamsErrorKind::MacBase64,
            };
            ParamsError::new(kind, mac.offset)
        })?;
        if mac_value.algorithm() != algorithm {
            return Err(ParamsError::new(ParamsErrorKind::MacLength, mac.offset));
        }
        let name_text = username.text(&mut scratch).ok_or(username.syntax())?;
        let name = Username::from_text(name_text)
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
    /// whitespace or `,` (bare values may hold `=`, as base64 padding does). Borrowed: escapes
    /// are resolved later, by [`Value::text`].
    fn value(&mut self) -> Result<Value<'a>, ParamsError> {
        let offset = self.pos;
        if self.peek() == Some(b'"') {
            self.pos += 1;
            let start = self.pos;
            loop {
                match self.peek() {
                    None => return Err(self.syntax()),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        if self.pos + 1 >= self.input.len() {
                            self.pos += 1;
                            return Err(self.syntax());
                        }
                        self.pos += 2;
                    }
                    Some(_) => self.pos += 1,
                }
            }
            let raw = self.text.get(start..self.pos).ok_or(self.syntax())?;
            self.pos += 1;
            Ok(Value {
                raw,
                quoted: true,
                offset,
            })
        } else {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'"') {
                    break;
                }
                self.pos += 1;
            }
            if self.pos == start {
                return Err(self.syntax());
            }
            Ok(Value {
                raw: self.text.get(start..self.pos).ok_or(self.syntax())?,
                quoted: false,
                offset,
            })
        }
    }
}
