//! The decoder: a borrowing reader of WBXML tokens mapped onto the `omadm-syncml` model without a
//! DOM, with the same content models, values and leniencies as the XML codec, and the one
//! `SyncHdr/Cred/Data` locator that the header scan and the full decode share.

use core::fmt;
use core::str::FromStr;

use std::borrow::Cow;
use std::ops::Range;

use base64::Engine as _;
use omadm_syncml::__private::parse_count;
use omadm_syncml::{
    Alert, AlertCode, Anchor, Carriage, Chal, CmdId, CmdRef, Command, Container, Cred, Delete,
    Exec, Format, Get, Item, ItemCommand, ItemData, Mark, Mem, Meta, MsgId, MsgRef, Results,
    SessionId, Source, Status, StatusCode, SyncBody, SyncHdr, SyncMl, SyncMlVersion, Target,
    ValueError,
};

use crate::error::{CredDataForm, Error, ErrorKind, Limit};
use crate::limits::Limits;
use crate::names::{self as tok, El};

type Result<T> = core::result::Result<T, Error>;

/// Where the MAC span of `SyncHdr/Cred/Data` lies: the bytes of its one `STR_I` (after the `0x03`
/// token, up to and excluding the `0x00` terminator), or why there is none.
pub type CredSpan = core::result::Result<Range<usize>, CredDataForm>;

/// A decoded message and where its `SyncHdr/Cred/Data` string lies in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decoded<'a> {
    /// The message.
    pub message: SyncMl<'a>,
    /// `None` when the header has no `Cred`; otherwise the span of its `Data`'s one `STR_I`
    /// string (possibly empty), or the [`CredDataForm`] that has no span.
    pub cred_data: Option<CredSpan>,
}

/// A decoded `SyncHdr` (the body was not read) and where its `Cred/Data` string lies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodedHeader<'a> {
    /// The SyncML version (from the public identifier, or from `VerDTD` when it is "unknown").
    pub version: SyncMlVersion,
    /// The header.
    pub hdr: SyncHdr<'a>,
    /// The `SyncHdr/Cred/Data` span, found by the same code as [`decode_located`]'s.
    pub cred_data: Option<CredSpan>,
    /// Where the scan stopped, for [`DecodedHeader::into_body`].
    resume: Resume<'a>,
}

impl<'a> DecodedHeader<'a> {
    /// Finishes what [`decode_header`] started: reads the body from where the header scan
    /// stopped, without reading the header again, with the same input and limits, and returns
    /// exactly what [`decode_located`] returns for them (the same message, or the same error).
    ///
    /// # Errors
    ///
    /// As [`decode`], for the part of the input after the `SyncHdr`.
    pub fn into_body(self) -> Result<Decoded<'a>> {
        let DecodedHeader {
            version,
            hdr,
            cred_data,
            resume: Resume(mut d),
        } = self;
        let body = d.rest_of_root()?;
        d.epilog()?;
        Ok(Decoded {
            message: SyncMl { version, hdr, body },
            cred_data,
        })
    }
}

/// The decoder's state right after the `SyncHdr`'s `END`.
#[derive(Clone)]
struct Resume<'a>(Decoder<'a>);

impl fmt::Debug for Resume<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resume")
            .field("at", &self.0.pos)
            .finish_non_exhaustive()
    }
}

/// Two states are equal when they stopped at the same place of the same input.
impl PartialEq for Resume<'_> {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self.0.input, other.0.input) && self.0.pos == other.0.pos
    }
}

impl Eq for Resume<'_> {}

/// Decodes a WBXML SyncML DM message. Strings borrow from `input` (inline strings and the string
/// table) unless they had to be joined.
///
/// # Errors
///
/// Any input that is not a well-formed SyncML DM WBXML document within `limits`; see
/// [`ErrorKind`].
pub fn decode<'a>(input: &'a [u8], limits: &Limits) -> Result<SyncMl<'a>> {
    decode_with(input, limits, true, |message, _| message)
}

/// Decodes a message like [`decode`] and also reports the span of the `SyncHdr/Cred/Data`
/// string, which the in-message MAC leaves out of the bytes it authenticates.
///
/// # Errors
///
/// As [`decode`].
pub fn decode_located<'a>(input: &'a [u8], limits: &Limits) -> Result<Decoded<'a>> {
    decode_with(input, limits, true, |message, cred_data| Decoded {
        message,
        cred_data,
    })
}

/// [`decode_located`] without the shortcuts for the usual shapes: every token goes through the
/// general token loop. The differential law (tests and the `wbxml_decode` fuzz target) holds
/// the two equal, errors included; not for use otherwise.
#[doc(hidden)]
pub fn decode_located_general<'a>(input: &'a [u8], limits: &Limits) -> Result<Decoded<'a>> {
    decode_with(input, limits, false, |message, cred_data| Decoded {
        message,
        cred_data,
    })
}

/// The whole decode: what [`decode_header`] and [`DecodedHeader::into_body`] do one after the
/// other, in one frame (a message is about 700 bytes: this saves moving it through a
/// `DecodedHeader`).
#[inline(always)]
fn decode_with<'a, T>(
    input: &'a [u8],
    limits: &Limits,
    shortcuts: bool,
    done: impl FnOnce(SyncMl<'a>, Option<CredSpan>) -> T,
) -> Result<T> {
    check_size(input, limits)?;
    let mut d = Decoder::new(input, limits);
    d.shortcuts = shortcuts;
    d.document_header()?;
    d.root()?;
    // Read in place: a `SyncHdr` is about 650 bytes, and each move of it is a copy.
    let mut message = SyncMl {
        version: SyncMlVersion::V1_2,
        hdr: empty_hdr(),
        body: SyncBody {
            commands: Vec::new(),
            is_final: false,
        },
    };
    let cred_data = d.first_header(&mut message.hdr)?;
    message.version = d.version(&message.hdr);
    message.body = d.rest_of_root()?;
    d.epilog()?;
    Ok(done(message, cred_data))
}

/// Decodes only the document header, the root and the `SyncHdr`, and stops right after the
/// header's `END` without looking at the body: the verifier's cheap identity scan before the
/// MAC check. `SyncHdr` must be the root's first child.
///
/// # Errors
///
/// As [`decode`], for the part of the input read.
pub fn decode_header<'a>(input: &'a [u8], limits: &Limits) -> Result<DecodedHeader<'a>> {
    check_size(input, limits)?;
    let mut d = Decoder::new(input, limits);
    d.document_header()?;
    d.root()?;
    let mut hdr = empty_hdr();
    let cred_data = d.first_header(&mut hdr)?;
    Ok(DecodedHeader {
        version: d.version(&hdr),
        hdr,
        cred_data,
        resume: Resume(d),
    })
}

/// Whether `input` starts like a WBXML SyncML document (a WBXML 1.1-1.3 version byte followed by
/// a SyncML 1.1/1.2 or "unknown" public identifier), as opposed to XML. A cheap check on the
/// first bytes, for choosing a codec; it does not mean the input decodes.
pub fn looks_like_wbxml(input: &[u8]) -> bool {
    match input {
        [1..=3, 0x01, ..] | [1..=3, 0x00, ..] => true,
        [1..=3, 0x9F, 0x53, ..] => true, // 0x0FD3
        [1..=3, 0xA4, 0x01, ..] => true, // 0x1201
        _ => false,
    }
}

/// A token read from the body.
enum Ev<'a> {
    /// A tag (its element pushed on the stack).
    Start(Tag),
    /// The current element's end (explicit `END`, or the implicit end of a tag without content).
    End,
    /// A piece of content.
    Piece(Piece<'a>),
}

#[derive(Clone, Copy)]
struct Tag {
    el: El,
    at: usize,
}

/// A piece of text content: where it starts (its token) and what it is.
#[derive(Clone, Copy)]
struct Piece<'a> {
    at: usize,
    kind: PieceKind,
    bytes: &'a [u8],
    /// For `Entity`: the character.
    ch: char,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PieceKind {
    StrI,
    StrT,
    Entity,
    Opaque,
}

/// The context of a child: data-sync commands are "unsupported" where commands are expected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Commands,
    Other,
}

/// Text being collected: borrowed while it is one piece, owned once it is joined.
enum Acc<'a> {
    Empty,
    Borrowed(&'a str),
    Owned(String),
}

impl<'a> Acc<'a> {
    fn push(&mut self, s: &'a str) {
        match self {
            Acc::Empty => *self = Acc::Borrowed(s),
            Acc::Borrowed(b) if s.is_empty() => *self = Acc::Borrowed(b),
            Acc::Borrowed(b) => {
                let mut o = String::with_capacity(b.len() + s.len());
                o.push_str(b);
                o.push_str(s);
                *self = Acc::Owned(o);
            }
            Acc::Owned(o) => o.push_str(s),
        }
    }

    fn push_char(&mut self, c: char) {
        match self {
            Acc::Empty => *self = Acc::Owned(String::from(c)),
            Acc::Borrowed(b) => {
                let mut o = String::with_capacity(b.len() + 4);
                o.push_str(b);
                o.push(c);
                *self = Acc::Owned(o);
            }
            Acc::Owned(o) => o.push(c),
        }
    }

    fn len(&self) -> usize {
        match self {
            Acc::Empty => 0,
            Acc::Borrowed(b) => b.len(),
            Acc::Owned(o) => o.len(),
        }
    }

    fn into_cow(self) -> Cow<'a, str> {
        match self {
            Acc::Empty => Cow::Borrowed(""),
            Acc::Borrowed(b) => Cow::Borrowed(b),
            Acc::Owned(o) => Cow::Owned(o),
        }
    }

    fn into_trimmed(self) -> Cow<'a, str> {
        match self {
            Acc::Empty => Cow::Borrowed(""),
            Acc::Borrowed(b) => Cow::Borrowed(trim_ws(b)),
            Acc::Owned(o) => {
                let t = trim_ws(&o);
                if t.len() == o.len() {
                    Cow::Owned(o)
                } else {
                    Cow::Owned(t.to_owned())
                }
            }
        }
    }
}

/// The content of a text element: the joined text and the shape of its pieces.
struct Content<'a> {
    acc: Acc<'a>,
    /// Pieces that are strings (`STR_I`, `STR_T`, `ENTITY`).
    strings: usize,
    /// `OPAQUE` pieces.
    opaques: usize,
    /// Whether the first `OPAQUE` was empty.
    first_opaque_empty: bool,
    /// The first piece.
    first: Option<Piece<'a>>,
}

impl Content<'_> {
    fn pieces(&self) -> usize {
        self.strings + self.opaques
    }
}

/// Reads a single-occurrence child once.
macro_rules! once {
    ($self:ident, $slot:expr, $tag:expr, $value:expr) => {{
        if $slot.is_some() {
            return Err($self.err_in_parent(ErrorKind::DuplicateElement, $tag.at));
        }
        $slot = Some($value);
    }};
}

/// Reads a single-occurrence child once, straight into its slot: `$fill` reads the element into
/// the `$init` value put there (a `Meta` or a `Cred` is a few hundred bytes, not moved around).
macro_rules! once_into {
    ($self:ident, $slot:expr, $tag:expr, $init:expr, $fill:ident) => {{
        if $slot.is_some() {
            return Err($self.err_in_parent(ErrorKind::DuplicateElement, $tag.at));
        }
        $self.$fill($slot.insert($init))?
    }};
}

/// Reads a single-occurrence child once, in place: `$read` stores it, `$seen` says it was read.
macro_rules! once_seen {
    ($self:ident, $seen:ident, $tag:expr, $read:expr) => {{
        if $seen {
            return Err($self.err_in_parent(ErrorKind::DuplicateElement, $tag.at));
        }
        $read;
        $seen = true;
    }};
}

/// Reads an empty flag element once.
macro_rules! flag {
    ($self:ident, $flag:expr, $tag:expr) => {{
        if $flag {
            return Err($self.err_in_parent(ErrorKind::DuplicateElement, $tag.at));
        }
        $self.empty()?;
        $flag = true;
    }};
}

#[derive(Clone)]
struct Decoder<'a> {
    input: &'a [u8],
    /// The next byte to read.
    pos: usize,
    /// The current tag code page.
    page: u8,
    /// The string table.
    strtbl: &'a [u8],
    /// The version named by the public identifier (`None`: "unknown", decided by `VerDTD`).
    id_version: Option<SyncMlVersion>,
    /// The open elements, innermost last (`depth` of them are open; the one above was the last
    /// closed).
    stack: [El; Limits::MAX_DEPTH],
    depth: usize,
    /// The innermost element had no content: the next event is its end.
    pending_end: bool,
    /// Whether the shortcuts for the usual shapes are taken (always, but for the differential
    /// law that holds them to the general token loop).
    shortcuts: bool,
    elements: usize,
    max_depth: usize,
    max_elements: usize,
    max_text: usize,
    max_string_table: usize,
    /// A stretch of the input known to be UTF-8, `input[text_at..text_at + text.len()]`: the
    /// strings inside it are sliced from it instead of validated one by one ([`Self::utf8`]).
    text: &'a str,
    text_at: usize,
}

/// The size limit, checked before anything is read.
fn check_size(input: &[u8], limits: &Limits) -> Result<()> {
    if input.len() > limits.max_size || u32::try_from(input.len()).is_err() {
        return Err(Error::new(
            ErrorKind::LimitExceeded(Limit::Size),
            0,
            "/".into(),
        ));
    }
    Ok(())
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `input`, whose size [`check_size`] has accepted.
    fn new(input: &'a [u8], limits: &Limits) -> Self {
        Self {
            input,
            pos: 0,
            page: tok::PAGE_SYNCML,
            strtbl: &[],
            id_version: None,
            stack: [El::SyncML; Limits::MAX_DEPTH],
            depth: 0,
            pending_end: false,
            shortcuts: true,
            elements: 0,
            max_depth: limits.depth(),
            max_elements: limits.max_elements,
            max_text: limits.max_text,
            max_string_table: limits.max_string_table,
            text: "",
            text_at: 0,
        }
    }

    // ---------------------------------------------------------------------------------------
    // Errors

    fn path(&self) -> Box<str> {
        if self.depth == 0 {
            return "/".into();
        }
        let mut p = String::new();
        for el in &self.stack[..self.depth] {
            p.push('/');
            p.push_str(el.name());
        }
        p.into_boxed_str()
    }

    fn err_at(&self, kind: ErrorKind, offset: usize) -> Error {
        Error::new(kind, offset, self.path())
    }

    /// An error about an element that has just been closed: its path still names it.
    fn err_closed(&self, kind: ErrorKind, offset: usize, el: El) -> Error {
        let mut p = self.path().into_string();
        if p == "/" {
            p.clear();
        }
        p.push('/');
        p.push_str(el.name());
        Error::new(kind, offset, p.into_boxed_str())
    }

    fn eof(&self) -> Error {
        self.err_at(ErrorKind::UnexpectedEof, self.input.len())
    }

    // ---------------------------------------------------------------------------------------
    // Bytes and numbers

    fn byte(&mut self) -> Result<u8> {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof()),
        }
    }

    /// An mb_u_int32: big-endian base 128, continuation bit 0x80, at most 32 bits, no leading
    /// zero group.
    fn mb_u_int32(&mut self) -> Result<u32> {
        let start = self.pos;
        let mut v: u64 = 0;
        for i in 0..5 {
            let b = self.byte()?;
            if i == 0 && b == 0x80 {
                return Err(self.err_at(ErrorKind::OverlongInteger, start));
            }
            v = (v << 7) | u64::from(b & 0x7F);
            if b & 0x80 == 0 {
                return u32::try_from(v)
                    .map_err(|_| self.err_at(ErrorKind::IntegerOverflow, start));
            }
        }
        Err(self.err_at(ErrorKind::IntegerOverflow, start))
    }

    /// The string at `index` in the string table: up to its NUL, or to the end of the table.
    fn table_str(&self, index: u32, at: usize) -> Result<&'a [u8]> {
        let tbl = self.strtbl;
        let i = index as usize;
        if i >= tbl.len() {
            return Err(self.err_at(ErrorKind::StringTableIndex, at));
        }
        let rest = &tbl[i..];
        Ok(match memchr::memchr(0, rest) {
            Some(n) => &rest[..n],
            None => rest,
        })
    }

    /// `input[start..end]` as text: exactly what `core::str::from_utf8` gives for it (the same
    /// `&str`, or `None` where it fails), but for the usual short strings without a call of its
    /// own. A slice of valid UTF-8 that starts and ends on character boundaries is valid UTF-8,
    /// and `str::get` checks both boundaries; so a string inside the validated stretch is sliced
    /// from it, and any other string validates a new stretch of [`TEXT_STRETCH`] bytes (or
    /// the string, if longer) from its start, or, if that fails too, is validated alone.
    #[inline(always)]
    fn utf8(&mut self, start: usize, end: usize) -> Option<&'a str> {
        if let Some(i) = start.checked_sub(self.text_at)
            && let Some(s) = self.text.get(i..end - self.text_at)
        {
            return Some(s);
        }
        self.utf8_stretch(start, end)
    }

    /// [`Self::utf8`] past the validated stretch: validates the next one.
    #[inline(never)]
    fn utf8_stretch(&mut self, start: usize, end: usize) -> Option<&'a str> {
        let stop = end
            .max(start.saturating_add(TEXT_STRETCH))
            .min(self.input.len());
        let stretch = self.input.get(start..stop)?;
        // simdutf8: the same answer as `core::str::from_utf8`, with SIMD where the CPU has it.
        let text = match simdutf8::compat::from_utf8(stretch) {
            Ok(text) => text,
            // The valid prefix, validated again (the only way to it without `unsafe`).
            Err(e) => core::str::from_utf8(&stretch[..e.valid_up_to()]).ok()?,
        };
        self.text = text;
        self.text_at = start;
        match text.get(..end - start) {
            Some(s) => Some(s),
            None => core::str::from_utf8(self.input.get(start..end)?).ok(),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Document header

    /// `version publicid charset strtbl`.
    fn document_header(&mut self) -> Result<()> {
        let version = self.byte()?;
        if !(1..=3).contains(&version) {
            return Err(self.err_at(ErrorKind::UnsupportedVersion(version), 0));
        }
        let id_at = self.pos;
        let public_id = self.mb_u_int32()?;
        let index = if public_id == 0 {
            Some(self.mb_u_int32()?)
        } else {
            None
        };
        let charset_at = self.pos;
        let charset = self.mb_u_int32()?;
        if charset != tok::UTF_8 {
            return Err(self.err_at(ErrorKind::UnsupportedCharset(charset), charset_at));
        }
        let len_at = self.pos;
        let len = self.mb_u_int32()? as usize;
        if len > self.max_string_table {
            return Err(self.err_at(ErrorKind::LimitExceeded(Limit::StringTable), len_at));
        }
        let end = self.pos.checked_add(len).filter(|&e| e <= self.input.len());
        let Some(end) = end else {
            return Err(self.eof());
        };
        self.strtbl = &self.input[self.pos..end];
        self.pos = end;
        self.id_version = match (public_id, index) {
            (_, Some(i)) => match self.table_str(i, id_at)? {
                tok::FPI_SYNCML_1_1 => Some(SyncMlVersion::V1_1),
                tok::FPI_SYNCML_1_2 => Some(SyncMlVersion::V1_2),
                _ => return Err(self.err_at(ErrorKind::UnsupportedPublicId, id_at)),
            },
            (tok::PUBLIC_ID_UNKNOWN, None) => None,
            (tok::PUBLIC_ID_SYNCML_1_1, None) => Some(SyncMlVersion::V1_1),
            (tok::PUBLIC_ID_SYNCML_1_2, None) => Some(SyncMlVersion::V1_2),
            _ => return Err(self.err_at(ErrorKind::UnsupportedPublicId, id_at)),
        };
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Tokens

    fn next(&mut self) -> Result<Ev<'a>> {
        if self.pending_end {
            self.pending_end = false;
            self.depth -= 1;
            return Ok(Ev::End);
        }
        loop {
            let at = self.pos;
            let t = self.byte()?;
            match t {
                tok::SWITCH_PAGE => {
                    let page = self.byte()?;
                    if page != tok::PAGE_SYNCML && page != tok::PAGE_METINF {
                        return Err(self.err_at(ErrorKind::UnknownCodePage(page), at));
                    }
                    self.page = page;
                }
                tok::END => {
                    if self.depth == 0 {
                        return Err(self.err_at(ErrorKind::UnbalancedEnd, at));
                    }
                    self.depth -= 1;
                    return Ok(Ev::End);
                }
                tok::ENTITY => {
                    let code = self.mb_u_int32()?;
                    let ch =
                        char::from_u32(code).ok_or_else(|| self.err_at(ErrorKind::Entity, at))?;
                    return Ok(Ev::Piece(Piece {
                        at,
                        kind: PieceKind::Entity,
                        bytes: &[],
                        ch,
                    }));
                }
                tok::STR_I => {
                    let rest = &self.input[self.pos..];
                    let Some(n) = find_nul(rest) else {
                        return Err(self.eof());
                    };
                    let bytes = &rest[..n];
                    self.pos += n + 1;
                    return Ok(Ev::Piece(Piece {
                        at,
                        kind: PieceKind::StrI,
                        bytes,
                        ch: '\0',
                    }));
                }
                tok::STR_T => {
                    let index = self.mb_u_int32()?;
                    let bytes = self.table_str(index, at)?;
                    return Ok(Ev::Piece(Piece {
                        at,
                        kind: PieceKind::StrT,
                        bytes,
                        ch: '\0',
                    }));
                }
                tok::OPAQUE => {
                    let len = self.mb_u_int32()? as usize;
                    let end = self.pos.checked_add(len).filter(|&e| e <= self.input.len());
                    let Some(end) = end else {
                        return Err(self.eof());
                    };
                    let bytes = &self.input[self.pos..end];
                    self.pos = end;
                    return Ok(Ev::Piece(Piece {
                        at,
                        kind: PieceKind::Opaque,
                        bytes,
                        ch: '\0',
                    }));
                }
                tok::LITERAL | 0x44 | 0x84 | 0xC4 => {
                    return Err(self
                        .err_at(ErrorKind::UnknownElement, at)
                        .with_detail("literal tag"));
                }
                tok::EXT_I_0..=0x42 | tok::PI | tok::EXT_T_0..=0x82 | tok::EXT_0..=0xC2 => {
                    return Err(self.err_at(ErrorKind::UnsupportedToken(t), at));
                }
                _ => {
                    if t & tok::HAS_ATTRIBUTES != 0 {
                        return Err(self.err_at(ErrorKind::Attribute, at));
                    }
                    let Some(el) = El::from_token(self.page, t & 0x3F) else {
                        return Err(self.err_at(ErrorKind::UnknownElement, at));
                    };
                    self.elements += 1;
                    if self.elements > self.max_elements {
                        return Err(self.err_at(ErrorKind::LimitExceeded(Limit::Elements), at));
                    }
                    if self.depth >= self.max_depth {
                        return Err(self.err_at(ErrorKind::LimitExceeded(Limit::Depth), at));
                    }
                    self.open(el);
                    self.pending_end = t & tok::HAS_CONTENT == 0;
                    return Ok(Ev::Start(Tag { el, at }));
                }
            }
        }
    }

    /// Puts `el` on the stack of open elements (`depth` is below the depth limit, hence below
    /// [`Limits::MAX_DEPTH`]).
    #[inline(always)]
    fn open(&mut self, el: El) {
        if let Some(slot) = self.stack.get_mut(self.depth) {
            *slot = el;
        }
        self.depth += 1;
    }

    /// An error about the element whose tag was just read (it is on the stack): reported in its
    /// parent, at its tag.
    fn err_in_parent(&self, kind: ErrorKind, at: usize) -> Error {
        let path = match self.path().rsplit_once('/') {
            Some(("", _)) | None => "/".into(),
            Some((parent, _)) => parent.into(),
        };
        Error::new(kind, at, path)
    }

    fn unexpected(&self, tag: &Tag, ctx: Ctx) -> Error {
        let path = match self.path().rsplit_once('/') {
            Some(("", _)) | None => "/".into(),
            Some((parent, _)) => parent.into(),
        };
        if ctx == Ctx::Commands
            && let Some(name) = ds_command(tag.el)
        {
            return Error::new(ErrorKind::UnsupportedCommand(name), tag.at, path);
        }
        Error::new(ErrorKind::MisplacedElement, tag.at, path)
    }

    fn required<T>(&self, v: Option<T>, name: &'static str) -> Result<T> {
        v.ok_or_else(|| self.missing(name))
    }

    /// [`Self::required`] for a child read in place: whether it was read.
    fn present(&self, seen: bool, name: &'static str) -> Result<()> {
        if seen {
            Ok(())
        } else {
            Err(self.missing(name))
        }
    }

    /// A required child is missing from the element just closed (its `END` was the last byte
    /// read, or its tag had no content).
    fn missing(&self, name: &'static str) -> Error {
        let el = self.stack.get(self.depth).copied().unwrap_or(El::SyncML);
        self.err_closed(
            ErrorKind::MissingElement(name),
            self.pos.saturating_sub(1),
            el,
        )
    }

    // ---------------------------------------------------------------------------------------
    // Structure

    /// The root: `SyncML`.
    fn root(&mut self) -> Result<()> {
        match self.next()? {
            Ev::Start(tag) if tag.el == El::SyncML => Ok(()),
            Ev::Start(tag) => Err(self.unexpected(&tag, Ctx::Other)),
            Ev::End => Err(self.err_at(ErrorKind::UnbalancedEnd, self.pos - 1)),
            Ev::Piece(p) => Err(self.err_at(ErrorKind::UnexpectedText, p.at)),
        }
    }

    /// The version: from the public identifier, or from `VerDTD` when it is "unknown".
    fn version(&self, hdr: &SyncHdr<'_>) -> SyncMlVersion {
        match self.id_version {
            Some(v) => v,
            None if hdr.ver_dtd == "1.1" => SyncMlVersion::V1_1,
            None => SyncMlVersion::V1_2,
        }
    }

    /// The root's first child, which must be `SyncHdr`, read into `hdr` (from [`empty_hdr`]).
    #[inline(always)]
    fn first_header(&mut self, hdr: &mut SyncHdr<'a>) -> Result<Option<CredSpan>> {
        match self.child(Ctx::Other)? {
            Some(tag) if tag.el == El::SyncHdr => self.sync_hdr_into(hdr),
            Some(tag) if tag.el == El::SyncBody => Err(self
                .err_in_parent(ErrorKind::MissingElement("SyncHdr"), tag.at)
                .with_detail("SyncBody before SyncHdr")),
            Some(tag) => Err(self.unexpected(&tag, Ctx::Other)),
            None => Err(self.missing("SyncHdr")),
        }
    }

    /// After `SyncHdr`: `SyncBody` and the root's end.
    fn rest_of_root(&mut self) -> Result<SyncBody<'a>> {
        let mut body = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::SyncBody => once!(self, body, tag, self.sync_body()?),
                El::SyncHdr => return Err(self.err_in_parent(ErrorKind::DuplicateElement, tag.at)),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        self.required(body, "SyncBody")
    }

    /// After the root: nothing.
    fn epilog(&mut self) -> Result<()> {
        if self.pos < self.input.len() {
            return Err(self.err_at(ErrorKind::TrailingContent, self.pos));
        }
        Ok(())
    }

    /// The next child element (on the SyncML page); `None` at the current element's end.
    /// White-space strings between children are skipped.
    #[inline(always)]
    fn child(&mut self, ctx: Ctx) -> Result<Option<Tag>> {
        if self.shortcuts
            && let Some(next) = self.quick_child(tok::PAGE_SYNCML)
        {
            return Ok(next);
        }
        self.child_general(ctx)
    }

    /// [`Self::child`] through the general token loop.
    #[inline(never)]
    fn child_general(&mut self, ctx: Ctx) -> Result<Option<Tag>> {
        loop {
            match self.next()? {
                Ev::Start(tag) if !tag.el.is_metinf() => return Ok(Some(tag)),
                Ev::Start(tag) => return Err(self.unexpected(&tag, ctx)),
                Ev::End => return Ok(None),
                Ev::Piece(p) if is_space_piece(&p) => {}
                Ev::Piece(p) => return Err(self.err_at(ErrorKind::UnexpectedText, p.at)),
            }
        }
    }

    /// The next child of a MetInf container (`Meta`, `Anchor`, `Mem`): a MetInf-page element.
    #[inline(always)]
    fn metinf_child(&mut self) -> Result<Option<Tag>> {
        if self.shortcuts
            && let Some(next) = self.quick_child(tok::PAGE_METINF)
        {
            return Ok(next);
        }
        self.metinf_child_general()
    }

    /// [`Self::metinf_child`] through the general token loop.
    #[inline(never)]
    fn metinf_child_general(&mut self) -> Result<Option<Tag>> {
        loop {
            match self.next()? {
                Ev::Start(tag) if tag.el.is_metinf() => return Ok(Some(tag)),
                Ev::Start(tag) => return Err(self.unexpected(&tag, Ctx::Other)),
                Ev::End => return Ok(None),
                Ev::Piece(p) if is_space_piece(&p) => {}
                Ev::Piece(p) => return Err(self.err_at(ErrorKind::UnexpectedText, p.at)),
            }
        }
    }

    /// The shortcut of [`Self::child`] and [`Self::metinf_child`]: what nearly every message
    /// has between elements, read without the general token loop. The end of the current
    /// element (implicit, or an `END`), or a tag of `page` without attributes, optionally after
    /// a `SWITCH_PAGE` to `page`, within the limits: the same result as the loop. `None` for
    /// anything else, having consumed at most that `SWITCH_PAGE` (which the loop reads the same
    /// way), so that the loop takes over from there.
    #[inline(always)]
    fn quick_child(&mut self, page: u8) -> Option<Option<Tag>> {
        if self.pending_end {
            self.pending_end = false;
            self.depth -= 1;
            return Some(None);
        }
        let mut at = self.pos;
        let mut t = *self.input.get(at)?;
        if t == tok::SWITCH_PAGE {
            if *self.input.get(at + 1)? != page {
                return None;
            }
            self.page = page;
            at += 2;
            self.pos = at;
            t = *self.input.get(at)?;
        }
        if t == tok::END {
            if self.depth == 0 {
                return None;
            }
            self.pos = at + 1;
            self.depth -= 1;
            return Some(None);
        }
        if self.page != page || t & tok::HAS_ATTRIBUTES != 0 {
            return None;
        }
        let el = El::from_token(page, t & 0x3F)?;
        if self.elements >= self.max_elements || self.depth >= self.max_depth {
            return None;
        }
        self.elements += 1;
        self.open(el);
        self.pending_end = t & tok::HAS_CONTENT == 0;
        self.pos = at + 1;
        Some(Some(Tag { el, at }))
    }

    /// The shortcut of a text element's content: one `STR_I` and the element's `END`, read in
    /// one go with the same result (or the same error) as the general loop of
    /// [`Self::content`]: the `STR_I`'s offset and its text. `None` (nothing consumed) for any
    /// other shape.
    #[inline(always)]
    fn quick_text(&mut self) -> Option<Result<(usize, &'a str)>> {
        if !self.shortcuts || self.pending_end {
            return None;
        }
        let at = self.pos;
        let rest = self.input.get(at..)?;
        let [tok::STR_I, rest @ ..] = rest else {
            return None;
        };
        let n = find_nul(rest)?;
        if rest.get(n + 1) != Some(&tok::END) {
            return None;
        }
        let Some(text) = self.utf8(at + 1, at + 1 + n) else {
            return Some(Err(self.err_at(ErrorKind::Encoding, at)));
        };
        if text.len() > self.max_text {
            return Some(Err(
                self.err_at(ErrorKind::LimitExceeded(Limit::TextLength), at)
            ));
        }
        self.pos = at + n + 3;
        self.depth -= 1;
        Some(Ok((at, text)))
    }

    /// The shortcut of an `Item/Data` carried as one `OPAQUE` (with a length of one or two
    /// bytes) and the element's `END`: its text, with the same result (or the same error) as
    /// the general loop of [`Self::content`]. `None` (nothing consumed) for any other shape.
    #[inline]
    fn quick_opaque(&mut self) -> Option<Result<&'a str>> {
        if !self.shortcuts || self.pending_end {
            return None;
        }
        let at = self.pos;
        let (len, start) = match *self.input.get(at..)? {
            [tok::OPAQUE, b0 @ 0..=0x7F, ..] => (usize::from(b0), at + 2),
            [tok::OPAQUE, b0 @ 0x81..=0xFF, b1 @ 0..=0x7F, ..] => {
                (usize::from(b0 & 0x7F) << 7 | usize::from(b1), at + 3)
            }
            _ => return None,
        };
        let end = start + len;
        if self.input.get(end) != Some(&tok::END) {
            return None;
        }
        let Some(text) = self.utf8(start, end) else {
            return Some(Err(self.err_at(ErrorKind::Encoding, at)));
        };
        if text.len() > self.max_text {
            return Some(Err(
                self.err_at(ErrorKind::LimitExceeded(Limit::TextLength), at)
            ));
        }
        self.pos = end + 1;
        self.depth -= 1;
        Some(Ok(text))
    }

    /// Text-only content up to the current element's end; every piece must be UTF-8 text.
    #[inline(never)]
    fn content(&mut self) -> Result<Content<'a>> {
        let mut c = Content {
            acc: Acc::Empty,
            strings: 0,
            opaques: 0,
            first_opaque_empty: false,
            first: None,
        };
        match self.quick_text() {
            Some(Ok((at, text))) => {
                c.acc = Acc::Borrowed(text);
                c.strings = 1;
                c.first = Some(Piece {
                    at,
                    kind: PieceKind::StrI,
                    bytes: text.as_bytes(),
                    ch: '\0',
                });
                return Ok(c);
            }
            Some(Err(e)) => return Err(e),
            None => {}
        }
        loop {
            let p = match self.next()? {
                Ev::Piece(p) => p,
                Ev::End => return Ok(c),
                Ev::Start(tag) => return Err(self.unexpected(&tag, Ctx::Other)),
            };
            if c.first.is_none() {
                c.first = Some(p);
            }
            match p.kind {
                PieceKind::Entity => {
                    c.strings += 1;
                    c.acc.push_char(p.ch);
                }
                kind => {
                    if kind == PieceKind::Opaque {
                        if c.opaques == 0 {
                            c.first_opaque_empty = p.bytes.is_empty();
                        }
                        c.opaques += 1;
                    } else {
                        c.strings += 1;
                    }
                    let s = core::str::from_utf8(p.bytes)
                        .map_err(|_| self.err_at(ErrorKind::Encoding, p.at))?;
                    c.acc.push(s);
                }
            }
            if c.acc.len() > self.max_text {
                return Err(self.err_at(ErrorKind::LimitExceeded(Limit::TextLength), p.at));
            }
        }
    }

    /// A token element's text, trimmed of surrounding XML white space.
    #[inline(always)]
    fn token(&mut self) -> Result<Cow<'a, str>> {
        if self.pending_end && self.shortcuts {
            // No content: the general loop's result too.
            self.pending_end = false;
            self.depth -= 1;
            return Ok(Cow::Borrowed(""));
        }
        match self.quick_text() {
            Some(Ok((_, text))) => Ok(Cow::Borrowed(trim_ws(text))),
            Some(Err(e)) => Err(e),
            None => self.content().map(|c| c.acc.into_trimmed()),
        }
    }

    /// A token element's text parsed as `T`.
    fn parse<T: FromStr<Err = ValueError>>(&mut self, tag: &Tag) -> Result<T> {
        let t = self.token()?;
        t.parse()
            .map_err(|e| self.err_closed(ErrorKind::InvalidValue(e), tag.at, tag.el))
    }

    fn count(&mut self, tag: &Tag) -> Result<u64> {
        let t = self.token()?;
        parse_count(&t).map_err(|e| self.err_closed(ErrorKind::InvalidValue(e), tag.at, tag.el))
    }

    /// An `EMPTY` element: no content, or white-space strings only.
    fn empty(&mut self) -> Result<()> {
        loop {
            match self.next()? {
                Ev::End => return Ok(()),
                Ev::Piece(p) if is_space_piece(&p) => {}
                Ev::Start(tag) => return Err(self.unexpected(&tag, Ctx::Other)),
                Ev::Piece(p) => return Err(self.err_at(ErrorKind::UnexpectedText, p.at)),
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Header

    /// `SyncHdr` into `hdr` (from [`empty_hdr`]: its required fields hold placeholders until
    /// they are read), with the `Cred/Data` span.
    fn sync_hdr_into(&mut self, hdr: &mut SyncHdr<'a>) -> Result<Option<CredSpan>> {
        // Which of the required children have been read.
        let mut ver_dtd = false;
        let mut ver_proto = false;
        let mut session_id = false;
        let mut msg_id = false;
        let mut target = false;
        let mut source = false;
        let mut span = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::VerDTD => once_seen!(self, ver_dtd, tag, hdr.ver_dtd = self.token()?),
                El::VerProto => once_seen!(self, ver_proto, tag, hdr.ver_proto = self.token()?),
                El::SessionID => once_seen!(self, session_id, tag, {
                    let t = self.token()?;
                    hdr.session_id = SessionId::new(t)
                        .map_err(|e| self.err_closed(ErrorKind::InvalidValue(e), tag.at, tag.el))?;
                }),
                El::MsgID => once_seen!(self, msg_id, tag, hdr.msg_id = self.parse(&tag)?),
                El::Target => once_seen!(self, target, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    hdr.target = Target { loc_uri, loc_name };
                }),
                El::Source => once_seen!(self, source, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    hdr.source = Source { loc_uri, loc_name };
                }),
                El::RespURI => once!(self, hdr.resp_uri, tag, self.token()?),
                El::NoResp => flag!(self, hdr.no_resp, tag),
                El::Cred => span = Some(once_into!(self, hdr.cred, tag, empty_cred(), cred_into)),
                El::Meta => once_into!(self, hdr.meta, tag, Meta::default(), meta_into),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        self.present(ver_dtd, "VerDTD")?;
        self.present(ver_proto, "VerProto")?;
        self.present(session_id, "SessionID")?;
        self.present(msg_id, "MsgID")?;
        self.present(target, "Target")?;
        self.present(source, "Source")?;
        Ok(span)
    }

    /// `Target`/`Source`: `(LocURI, LocName?)`.
    fn loc(&mut self) -> Result<(Cow<'a, str>, Option<Cow<'a, str>>)> {
        let mut loc_uri = None;
        let mut loc_name = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::LocURI => once!(self, loc_uri, tag, self.token()?),
                El::LocName => once!(self, loc_name, tag, self.token()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok((self.required(loc_uri, "LocURI")?, loc_name))
    }

    /// `SourceParent`/`TargetParent`: `(LocURI)`.
    fn parent_loc(&mut self) -> Result<Cow<'a, str>> {
        let mut loc_uri = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::LocURI => once!(self, loc_uri, tag, self.token()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        self.required(loc_uri, "LocURI")
    }

    /// A `Cred` element (for a command's `Cred`, which is boxed).
    fn boxed_cred(&mut self) -> Result<Box<Cred<'a>>> {
        let mut c = Box::new(empty_cred());
        let _span = self.cred_into(&mut c)?;
        Ok(c)
    }

    /// A `Meta` element, boxed.
    fn boxed_meta(&mut self) -> Result<Box<Meta<'a>>> {
        let mut m = Box::<Meta<'a>>::default();
        self.meta_into(&mut m)?;
        Ok(m)
    }

    /// `Cred (Meta?, Data)` into `cred` (empty), with the MAC span of the `Data`: the one
    /// locator.
    fn cred_into(&mut self, cred: &mut Cred<'a>) -> Result<CredSpan> {
        let mut data = None;
        let mut span = Err(CredDataForm::NoContent);
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::Meta => once_into!(self, cred.meta, tag, Meta::default(), meta_into),
                El::Data => once!(self, data, tag, {
                    let c = self.content()?;
                    span = cred_span(&c, self.input);
                    c.acc.into_cow()
                }),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        cred.data = self.required(data, "Data")?;
        Ok(span)
    }

    fn chal(&mut self) -> Result<Chal<'a>> {
        let mut meta = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::Meta => once_into!(self, meta, tag, Meta::default(), meta_into),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Chal {
            meta: self.required(meta, "Meta")?,
        })
    }

    // ---------------------------------------------------------------------------------------
    // MetInf

    fn meta_into(&mut self, m: &mut Meta<'a>) -> Result<()> {
        while let Some(tag) = self.metinf_child()? {
            match tag.el {
                El::FieldLevel => flag!(self, m.field_level, tag),
                El::Format => once!(self, m.format, tag, Format::from_token(self.token()?)),
                El::Type => once!(self, m.ty, tag, self.token()?),
                El::Mark => once!(self, m.mark, tag, Mark::from_token(self.token()?)),
                El::Size => once!(self, m.size, tag, self.count(&tag)?),
                El::Anchor => once!(self, m.anchor, tag, Box::new(self.anchor()?)),
                El::Version => once!(self, m.version, tag, self.token()?),
                El::NextNonce => once!(self, m.next_nonce, tag, self.next_nonce()?),
                El::MaxMsgSize => once!(self, m.max_msg_size, tag, self.count(&tag)?),
                El::MaxObjSize => once!(self, m.max_obj_size, tag, self.count(&tag)?),
                El::EMI => {
                    let t = self.token()?;
                    m.emi.push(t);
                }
                El::Mem => once!(self, m.mem, tag, Box::new(self.mem()?)),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(())
    }

    /// `NextNonce`: text as it is, or one `OPAQUE` holding the nonce bytes, given back as the
    /// base64 text the XML form carries.
    fn next_nonce(&mut self) -> Result<Cow<'a, str>> {
        let mut only: Option<&'a [u8]> = None;
        let mut pieces = 0usize;
        let save = self.clone();
        loop {
            match self.next()? {
                Ev::Piece(p) => {
                    pieces += 1;
                    if p.kind == PieceKind::Opaque {
                        only = Some(p.bytes);
                    }
                }
                Ev::End => break,
                Ev::Start(tag) => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        match only {
            Some(bytes) if pieces == 1 => {
                if bytes.len() > self.max_text / 4 * 3 {
                    return Err(self.err_at(ErrorKind::LimitExceeded(Limit::TextLength), save.pos));
                }
                Ok(Cow::Owned(
                    base64::engine::general_purpose::STANDARD.encode(bytes),
                ))
            }
            _ => {
                *self = save;
                self.token()
            }
        }
    }

    /// `Item/Data`, also when it is binary. [`Self::item_data`] reads it as text; only if that
    /// fails because a piece is not UTF-8 is the content read again, by
    /// [`Self::binary_item_data`] (the text path is not changed by it).
    fn item_data_or_binary(&mut self) -> Result<ItemData<'a>> {
        // Reading text content changes no more than these (it opens no element).
        let (pos, page, depth, pending_end) = (self.pos, self.page, self.depth, self.pending_end);
        match self.item_data() {
            Err(e) if *e.kind() == ErrorKind::Encoding => {
                (self.pos, self.page, self.depth, self.pending_end) =
                    (pos, page, depth, pending_end);
                self.binary_item_data(e)
            }
            other => other,
        }
    }

    /// Binary `Item/Data`: one or more `OPAQUE` pieces, the first not empty (an empty first
    /// `OPAQUE` marks [`Carriage::Xml`]), nothing else, whose bytes joined are not UTF-8 text
    /// (text is read as text, and strings must each be UTF-8 on their own). The value is the
    /// base64 of the bytes, [`Carriage::Binary`]. Any other content is refused with
    /// `not_text`, the error the text path gave.
    #[cold]
    #[inline(never)]
    fn binary_item_data(&mut self, not_text: Error) -> Result<ItemData<'a>> {
        let mut bytes: Vec<u8> = Vec::new();
        let mut first_empty = None;
        loop {
            match self.next()? {
                Ev::Piece(p) if p.kind == PieceKind::Opaque => {
                    first_empty.get_or_insert(p.bytes.is_empty());
                    bytes.extend_from_slice(p.bytes);
                    if bytes.len().div_ceil(3).saturating_mul(4) > self.max_text {
                        return Err(self.err_at(ErrorKind::LimitExceeded(Limit::TextLength), p.at));
                    }
                }
                Ev::Piece(_) => return Err(not_text),
                Ev::End => break,
                Ev::Start(tag) => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        if first_empty != Some(false) || core::str::from_utf8(&bytes).is_ok() {
            return Err(not_text);
        }
        Ok(ItemData {
            value: Cow::Owned(base64::engine::general_purpose::STANDARD.encode(&bytes)),
            carriage: Carriage::Binary,
        })
    }

    fn anchor(&mut self) -> Result<Anchor<'a>> {
        let mut last = None;
        let mut next = None;
        while let Some(tag) = self.metinf_child()? {
            match tag.el {
                El::Last => once!(self, last, tag, self.token()?),
                El::Next => once!(self, next, tag, self.token()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Anchor {
            last,
            next: self.required(next, "Next")?,
        })
    }

    fn mem(&mut self) -> Result<Mem<'a>> {
        let mut shared_mem = false;
        let mut free_mem = None;
        let mut free_id = None;
        while let Some(tag) = self.metinf_child()? {
            match tag.el {
                El::SharedMem => flag!(self, shared_mem, tag),
                El::FreeMem => once!(self, free_mem, tag, self.token()?),
                El::FreeID => once!(self, free_id, tag, self.token()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Mem {
            shared_mem,
            free_mem: self.required(free_mem, "FreeMem")?,
            free_id: self.required(free_id, "FreeID")?,
        })
    }

    // ---------------------------------------------------------------------------------------
    // Body and commands

    fn sync_body(&mut self) -> Result<SyncBody<'a>> {
        let mut commands = Vec::new();
        let mut is_final = false;
        while let Some(tag) = self.child(Ctx::Commands)? {
            if tag.el == El::Final {
                flag!(self, is_final, tag);
                continue;
            }
            if is_final {
                return Err(self
                    .err_in_parent(ErrorKind::MisplacedElement, tag.at)
                    .with_detail("command after Final"));
            }
            if commands.is_empty() {
                commands.reserve_exact(1);
            }
            if !self.command_into(&tag, true, &mut commands)? {
                return Err(self.unexpected(&tag, Ctx::Commands));
            }
            if commands.len() == 1 {
                commands.reserve_exact(more_commands(
                    self.pos - tag.at,
                    self.input.len() - self.pos,
                ));
            }
        }
        Ok(SyncBody { commands, is_final })
    }

    /// A command element (its tag already read), pushed onto `commands` (not returned: a
    /// `Command` is 128 bytes, and each move of it is a copy); `false` if `tag` names no
    /// command allowed here. `Results` and `Status` are allowed only at body level.
    fn command_into(
        &mut self,
        tag: &Tag,
        body_level: bool,
        commands: &mut Vec<Command<'a>>,
    ) -> Result<bool> {
        commands.push(match tag.el {
            El::Alert => Command::Alert(self.alert()?),
            El::Add => Command::Add(self.item_command()?),
            El::Replace => Command::Replace(self.item_command()?),
            El::Copy => Command::Copy(self.item_command()?),
            El::Delete => Command::Delete(self.delete()?),
            El::Exec => Command::Exec(self.exec()?),
            El::Get => Command::Get(self.get()?),
            El::Atomic => Command::Atomic(self.container()?),
            El::Sequence => Command::Sequence(self.container()?),
            El::Status if body_level => Command::Status(self.status()?),
            El::Results if body_level => Command::Results(self.results()?),
            _ => return Ok(false),
        });
        Ok(true)
    }

    fn alert(&mut self) -> Result<Alert<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut cred = None;
        let mut data = None;
        let mut correlator = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Cred => once!(self, cred, tag, self.boxed_cred()?),
                El::Data => once!(self, data, tag, self.parse::<AlertCode>(&tag)?),
                El::Correlator => once!(self, correlator, tag, self.token()?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Alert {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            cred,
            data,
            correlator,
            items,
        })
    }

    fn item_command(&mut self) -> Result<ItemCommand<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut cred = None;
        let mut meta = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Cred => once!(self, cred, tag, self.boxed_cred()?),
                El::Meta => once!(self, meta, tag, self.boxed_meta()?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(ItemCommand {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            cred,
            meta,
            items,
        })
    }

    fn delete(&mut self) -> Result<Delete<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut archive = false;
        let mut sft_del = false;
        let mut cred = None;
        let mut meta = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Archive => flag!(self, archive, tag),
                El::SftDel => flag!(self, sft_del, tag),
                El::Cred => once!(self, cred, tag, self.boxed_cred()?),
                El::Meta => once!(self, meta, tag, self.boxed_meta()?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Delete {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            archive,
            sft_del,
            cred,
            meta,
            items,
        })
    }

    fn exec(&mut self) -> Result<Exec<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut cred = None;
        let mut meta = None;
        let mut correlator = None;
        let mut item = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Cred => once!(self, cred, tag, self.boxed_cred()?),
                El::Meta => once!(self, meta, tag, self.boxed_meta()?),
                El::Correlator => once!(self, correlator, tag, self.token()?),
                El::Item => once!(self, item, tag, Box::new(self.item()?)),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Exec {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            cred,
            meta,
            correlator,
            item: self.required(item, "Item")?,
        })
    }

    fn get(&mut self) -> Result<Get<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut lang = None;
        let mut cred = None;
        let mut meta = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Lang => once!(self, lang, tag, self.token()?),
                El::Cred => once!(self, cred, tag, self.boxed_cred()?),
                El::Meta => once!(self, meta, tag, self.boxed_meta()?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Get {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            lang,
            cred,
            meta,
            items,
        })
    }

    fn container(&mut self) -> Result<Container<'a>> {
        let mut cmd_id = None;
        let mut no_resp = false;
        let mut meta = None;
        let mut commands = Vec::new();
        while let Some(tag) = self.child(Ctx::Commands)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Meta => once!(self, meta, tag, self.boxed_meta()?),
                _ => {
                    if !self.command_into(&tag, false, &mut commands)? {
                        return Err(self.unexpected(&tag, Ctx::Commands));
                    }
                }
            }
        }
        Ok(Container {
            cmd_id: self.required(cmd_id, "CmdID")?,
            no_resp,
            meta,
            commands,
        })
    }

    fn results(&mut self) -> Result<Results<'a>> {
        let mut cmd_id = None;
        let mut msg_ref = None;
        let mut cmd_ref = None;
        let mut meta = None;
        let mut target_ref = None;
        let mut source_ref = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::MsgRef => once!(self, msg_ref, tag, self.parse::<MsgRef>(&tag)?),
                El::CmdRef => once!(self, cmd_ref, tag, self.parse::<CmdRef>(&tag)?),
                El::Meta => once!(self, meta, tag, self.boxed_meta()?),
                El::TargetRef => once!(self, target_ref, tag, self.token()?),
                El::SourceRef => once!(self, source_ref, tag, self.token()?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Results {
            cmd_id: self.required(cmd_id, "CmdID")?,
            msg_ref,
            cmd_ref: self.required(cmd_ref, "CmdRef")?,
            meta,
            target_ref,
            source_ref,
            items,
        })
    }

    fn status(&mut self) -> Result<Status<'a>> {
        let mut cmd_id = None;
        let mut msg_ref = None;
        let mut cmd_ref = None;
        let mut cmd = None;
        let mut target_ref = Vec::new();
        let mut source_ref = Vec::new();
        let mut cred = None;
        let mut chal = None;
        let mut data = None;
        let mut items = Vec::new();
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::CmdID => once!(self, cmd_id, tag, self.parse::<CmdId>(&tag)?),
                El::MsgRef => once!(self, msg_ref, tag, self.parse::<MsgRef>(&tag)?),
                El::CmdRef => once!(self, cmd_ref, tag, self.parse::<CmdRef>(&tag)?),
                El::Cmd => once!(self, cmd, tag, self.token()?),
                El::TargetRef => {
                    let t = self.token()?;
                    target_ref.push(t);
                }
                El::SourceRef => {
                    let t = self.token()?;
                    source_ref.push(t);
                }
                El::Cred => once!(self, cred, tag, self.boxed_cred()?),
                El::Chal => once!(self, chal, tag, Box::new(self.chal()?)),
                El::Data => once!(self, data, tag, self.parse::<StatusCode>(&tag)?),
                El::Item => self.push_item(&mut items)?,
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Status {
            cmd_id: self.required(cmd_id, "CmdID")?,
            msg_ref: self.required(msg_ref, "MsgRef")?,
            cmd_ref: self.required(cmd_ref, "CmdRef")?,
            cmd: self.required(cmd, "Cmd")?,
            target_ref,
            source_ref,
            cred,
            chal,
            data: self.required(data, "Data")?,
            items,
        })
    }

    // ---------------------------------------------------------------------------------------
    // Item

    fn item(&mut self) -> Result<Item<'a>> {
        let mut item = Item::default();
        self.item_into(&mut item)?;
        Ok(item)
    }

    fn push_item(&mut self, items: &mut Vec<Item<'a>>) -> Result<()> {
        // Most commands carry one item: room for exactly one at first (an `Item` is 400 bytes;
        // `Vec`'s first growth would make room for four). `resize_with` builds the new item in
        // its place, where `push` copied it there.
        if items.capacity() == 0 {
            items.reserve_exact(1);
        }
        items.resize_with(items.len() + 1, Item::default);
        match items.last_mut() {
            Some(item) => self.item_into(item),
            None => Ok(()),
        }
    }

    fn item_into(&mut self, item: &mut Item<'a>) -> Result<()> {
        let mut seen_data = false;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::Target => once!(self, item.target, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    Target { loc_uri, loc_name }
                }),
                El::Source => once!(self, item.source, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    Source { loc_uri, loc_name }
                }),
                El::SourceParent => once!(self, item.source_parent, tag, self.parent_loc()?),
                El::TargetParent => once!(self, item.target_parent, tag, self.parent_loc()?),
                El::Meta => {
                    if item.meta.is_some() {
                        return Err(self.err_in_parent(ErrorKind::DuplicateElement, tag.at));
                    }
                    self.meta_into(item.meta.insert(Meta::default()))?;
                }
                El::Data => {
                    if seen_data {
                        return Err(self.err_in_parent(ErrorKind::DuplicateElement, tag.at));
                    }
                    seen_data = true;
                    item.data = Some(self.item_data_or_binary()?);
                }
                El::MoreData => flag!(self, item.more_data, tag),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(())
    }

    /// `Item/Data`: its carriage follows from the shape of its pieces (see the crate docs).
    fn item_data(&mut self) -> Result<ItemData<'a>> {
        match self.quick_opaque() {
            Some(Ok(text)) => {
                return Ok(ItemData {
                    value: Cow::Borrowed(text),
                    carriage: Carriage::Cdata,
                });
            }
            Some(Err(e)) => return Err(e),
            None => {}
        }
        let c = self.content()?;
        let carriage = match (c.strings, c.opaques) {
            (_, 0) => Carriage::Escaped,
            (0, n) if n >= 2 && c.first_opaque_empty => Carriage::Xml,
            (0, _) => Carriage::Cdata,
            _ => Carriage::Mixed,
        };
        Ok(ItemData {
            value: c.acc.into_cow(),
            carriage,
        })
    }
}

/// The in-message MAC rule for WBXML: `SyncHdr/Cred/Data` must be exactly one `STR_I`; the span
/// is its string bytes (after the `0x03` token, before the `0x00` terminator).
fn cred_span(c: &Content<'_>, input: &[u8]) -> CredSpan {
    let Some(first) = c.first else {
        return Err(CredDataForm::NoContent);
    };
    if c.pieces() > 1 {
        return Err(CredDataForm::Pieces);
    }
    match first.kind {
        PieceKind::StrI => {
            let start = first.at + 1;
            debug_assert_eq!(
                input.get(start..start + first.bytes.len()),
                Some(first.bytes)
            );
            Ok(start..start + first.bytes.len())
        }
        PieceKind::StrT => Err(CredDataForm::StringTable),
        PieceKind::Opaque => Err(CredDataForm::Opaque),
        PieceKind::Entity => Err(CredDataForm::Entity),
    }
}

/// Room for how many more commands, once the first, of `first` bytes, has been read and `rest`
/// bytes of input are left: a message of N reports carries N commands of about the same size,
/// so as many more as the rest would hold at the first one's size, which saves growing the list
/// (and copying it) about log2(N) times. At most one per 64 bytes of the rest: the list, 128
/// bytes a command, never takes more than twice the input's size whatever the first command.
fn more_commands(first: usize, rest: usize) -> usize {
    rest / first.max(64)
}

/// A `SyncHdr` to read into: placeholders where it has required fields.
fn empty_hdr<'a>() -> SyncHdr<'a> {
    SyncHdr {
        ver_dtd: Cow::Borrowed(""),
        ver_proto: Cow::Borrowed(""),
        session_id: SessionId::SESSIONLESS,
        msg_id: MsgId::MIN,
        target: Target {
            loc_uri: Cow::Borrowed(""),
            loc_name: None,
        },
        source: Source {
            loc_uri: Cow::Borrowed(""),
            loc_name: None,
        },
        resp_uri: None,
        no_resp: false,
        cred: None,
        meta: None,
    }
}

/// A `Cred` to read into.
fn empty_cred<'a>() -> Cred<'a> {
    Cred {
        meta: None,
        data: Cow::Borrowed(""),
    }
}

/// How much of the input [`Decoder::utf8`] validates at a time: a header and a report or two
/// (the header scan validates no more than this past the header's first string).
const TEXT_STRETCH: usize = 1024;

/// Where the first NUL is. memchr's SSE2 searcher where there is one (every x86_64 CPU): it is
/// inlined here, which its run-time dispatch to AVX2 is not, and the strings of a message are
/// short (-7% instructions per decode against `memchr::memchr`; its portable word-at-a-time
/// searcher costs more than either); `memchr::memchr` elsewhere.
#[inline]
fn find_nul(b: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(0) {
            return one.find(b);
        }
    }
    memchr::memchr(0, b)
}

fn ds_command(el: El) -> Option<&'static str> {
    match el {
        El::Sync | El::Map | El::Put | El::Search | El::Move => Some(el.name()),
        _ => None,
    }
}

/// Whether a piece is a string of XML white space only (skipped between elements).
fn is_space_piece(p: &Piece<'_>) -> bool {
    matches!(p.kind, PieceKind::StrI | PieceKind::StrT) && p.bytes.iter().all(|&b| is_xml_ws(b))
}

fn is_xml_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn trim_ws(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| !is_xml_ws(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|&c| !is_xml_ws(c))
        .map_or(start, |i| i + 1);
    // invariant: XML white space is ASCII, so both ends are on character boundaries.
    s.get(start..end).unwrap_or("")
}
