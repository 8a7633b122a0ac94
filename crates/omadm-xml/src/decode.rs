//! The decoder: a borrowing pull parser on quick-xml's `Reader` with its own small namespace
//! bookkeeping, mapping SyncML DM XML onto the `omadm-syncml` model without a DOM.

use core::fmt;
use core::str::FromStr;

use std::borrow::Cow;
use std::ops::Range;

use omadm_syncml::{
    Alert, AlertCode, Anchor, Carriage, Chal, CmdId, CmdRef, Command, Container, Cred, Delete,
    Exec, Format, Get, Item, ItemCommand, ItemData, Mark, Mem, Meta, MsgId, MsgRef, Results,
    SessionId, Source, Status, StatusCode, SyncBody, SyncHdr, SyncMl, SyncMlVersion, Target,
    ValueError, parse_count,
};
use quick_xml::Reader;
use quick_xml::events::{BytesDecl, BytesStart, Event};

use crate::error::{DsCommand, Error, ErrorKind, Limit};
use crate::limits::Limits;
use crate::names::{El, all_ws, first_non_xml_char, is_xml_char, is_xml_name, is_xml_ws, trim_ws};

type Result<T> = core::result::Result<T, Error>;

/// A decoded message and where its `SyncHdr/Cred/Data` content lies in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decoded<'a> {
    /// The message.
    pub message: SyncMl<'a>,
    /// The exact byte span, in the input, of the `SyncHdr/Cred/Data` content: from the byte after
    /// the `>` of `<Data>` to the `<` of `</Data>`, untrimmed and not unescaped (empty, at the end
    /// of the tag, for `<Data/>`). `None` when the header has no `Cred`.
    pub cred_data: Option<Range<usize>>,
}

/// A decoded `SyncHdr` (the body was not read) and where its `Cred/Data` content lies; it keeps
/// the input, the limits and where the scan stopped, so that [`DecodedHeader::into_body`] can
/// finish the decode without reading the header again.
///
/// Two values are equal when they hold the same header and span, scanned from equal inputs
/// (compared by value) with equal limits.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodedHeader<'a> {
    /// The SyncML version of the root.
    pub version: SyncMlVersion,
    /// The header.
    pub hdr: SyncHdr<'a>,
    /// The `SyncHdr/Cred/Data` content span, found exactly as [`decode_located`] finds it.
    pub cred_data: Option<Range<usize>>,
    /// Where the scan stopped, for [`DecodedHeader::into_body`].
    resume: Resume<'a>,
}

/// The decoder's state right after `</SyncHdr>`: [`DecodedHeader::into_body`] continues from it.
#[derive(Clone)]
struct Resume<'a>(Decoder<'a>);

impl fmt::Debug for Resume<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resume")
            .field("after", &self.0.after())
            .finish_non_exhaustive()
    }
}

/// By value: the same input bytes, the same limits and the same stopping place (the decoder is
/// deterministic, so everything else it holds then follows).
impl PartialEq for Resume<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.input == other.0.input
            && self.0.limits == other.0.limits
            && self.0.after() == other.0.after()
    }
}

impl Eq for Resume<'_> {}

/// Decodes a SyncML DM message (XML, UTF-8). Text borrows from `input` where it needs no
/// unescaping or joining.
///
/// # Errors
///
/// Any input that is not a well-formed SyncML DM message within `limits`; see [`ErrorKind`].
pub fn decode<'a>(input: &'a [u8], limits: &Limits) -> Result<SyncMl<'a>> {
    decode_located(input, limits).map(|d| d.message)
}

/// Decodes a message like [`decode`] and also reports the byte span of the `SyncHdr/Cred/Data`
/// content, which the MAC layer excludes from the bytes it authenticates.
///
/// # Errors
///
/// As [`decode`].
pub fn decode_located<'a>(input: &'a [u8], limits: &Limits) -> Result<Decoded<'a>> {
    decode_with(Decoder::new(input, limits)?, input)
}

/// [`decode_located`] with every byte read through quick-xml's events: the fast path for
/// text-only elements is off. Not part of the API (only with the private `__test-hooks`
/// feature): it exists so that the crate's tests and the fuzzer can check that the fast path
/// changes nothing (the same message, span or error for any input).
#[cfg(feature = "__test-hooks")]
pub fn decode_located_events_only<'a>(input: &'a [u8], limits: &Limits) -> Result<Decoded<'a>> {
    let mut d = Decoder::new(input, limits)?;
    d.fast = false;
    decode_with(d, input)
}

fn decode_with<'a>(mut d: Decoder<'a>, input: &'a [u8]) -> Result<Decoded<'a>> {
    if let Some(at) = first_non_xml_char(input) {
        return Err(non_xml_char(at));
    }
    d.prolog()?;
    let (hdr, cred_data) = d.first_header()?;
    let version = d.version(&hdr);
    let body = d.rest_of_root()?;
    d.epilog()?;
    Ok(Decoded {
        message: SyncMl { version, hdr, body },
        cred_data,
    })
}

/// Decodes only the prologue, the root and the `SyncHdr`, and stops right after `</SyncHdr>`
/// without looking at the body: the verifier's cheap identity scan before the MAC check. The
/// header and the span are found exactly as [`decode_located`] finds them. `SyncHdr` must be the
/// root's first child.
///
/// # Errors
///
/// As [`decode`], for the part of the input read.
pub fn decode_header<'a>(input: &'a [u8], limits: &Limits) -> Result<DecodedHeader<'a>> {
    let mut d = Decoder::new(input, limits)?;
    d.prolog()?;
    let (hdr, cred_data) = d.first_header()?;
    // Only the bytes read so far are checked: the body is never looked at.
    // invariant: the header scan stops inside its input (positions never pass its end).
    #[allow(clippy::expect_used)]
    let read = input
        .get(..d.after())
        .expect("invariant: the header scan stops inside its input");
    if let Some(at) = first_non_xml_char(read) {
        return Err(non_xml_char(at));
    }
    Ok(DecodedHeader {
        version: d.version(&hdr),
        hdr,
        cred_data,
        resume: Resume(d),
    })
}

impl<'a> DecodedHeader<'a> {
    /// Finishes what [`decode_header`] started: reads the body and the rest of the document
    /// from where the header scan stopped, on the same input and with the same limits, without
    /// reading the header again, and returns exactly what [`decode_located`] returns for that
    /// input and those limits (the same message, or the same error). Element counts carry over
    /// from the header scan.
    ///
    /// ```
    /// # use omadm_xml::{Limits, decode_header, decode_located};
    /// let input = br#"<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID><MsgID>1</MsgID><Target><LocURI>s</LocURI></Target><Source><LocURI>d</LocURI></Source></SyncHdr><SyncBody><Final/></SyncBody></SyncML>"#;
    /// let head = decode_header(input, &Limits::DEFAULT)?;
    /// // ... check the header (e.g. a MAC over the raw bytes) ...
    /// let whole = head.into_body()?;
    /// assert_eq!(whole, decode_located(input, &Limits::DEFAULT)?);
    /// # Ok::<(), omadm_xml::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`decode`], for the part of the input after `</SyncHdr>`.
    pub fn into_body(self) -> Result<Decoded<'a>> {
        let DecodedHeader {
            version,
            hdr,
            cred_data,
            resume: Resume(mut d),
        } = self;
        // The header scan checked the bytes before this point.
        let from = d.after();
        // invariant: the header scan stops inside its input (positions never pass its end).
        #[allow(clippy::expect_used)]
        let rest = d
            .input
            .get(from..)
            .expect("invariant: the header scan stops inside its input");
        if let Some(at) = first_non_xml_char(rest) {
            return Err(non_xml_char(from + at));
        }
        let body = d.rest_of_root()?;
        d.epilog()?;
        Ok(Decoded {
            message: SyncMl { version, hdr, body },
            cred_data,
        })
    }
}

/// A namespace as far as the decoder cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ns {
    None,
    SyncMl(SyncMlVersion),
    MetInf,
    Other,
}

/// The most attributes (namespace declarations included) on one element.
pub(crate) const MAX_ATTRIBUTES: usize = 64;
/// The most namespace prefix declarations in scope at once.
pub(crate) const MAX_BINDINGS: usize = 64;

const XML_NS: &[u8] = b"http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &[u8] = b"http://www.w3.org/2000/xmlns/";

fn classify(uri: &[u8]) -> Ns {
    match uri {
        b"" => Ns::None,
        b"syncml:metinf" => Ns::MetInf,
        b"SYNCML:SYNCML1.2" => Ns::SyncMl(SyncMlVersion::V1_2),
        b"SYNCML:SYNCML1.1" => Ns::SyncMl(SyncMlVersion::V1_1),
        _ => Ns::Other,
    }
}

/// The size limit, checked before anything is read.
fn check_size(input: &[u8], limits: &Limits) -> Result<()> {
    // Offsets travel as `u32` inside the decoder.
    let max_size = limits.max_size.min(u32::MAX as usize);
    if input.len() > max_size {
        return Err(Error::new(
            ErrorKind::LimitExceeded(Limit::Size),
            max_size,
            "/".into(),
        ));
    }
    Ok(())
}

fn non_xml_char(at: usize) -> Error {
    Error::new(ErrorKind::Syntax, at, "/".into()).with_detail("character not allowed in xml")
}

/// An open element.
#[derive(Clone)]
struct Frame<'a> {
    qname: &'a [u8],
    /// The default namespace in effect inside this element.
    default_ns: Ns,
    /// `prefixes.len()` before this element's declarations.
    prefix_mark: usize,
}

#[derive(Clone)]
struct Binding<'a> {
    prefix: &'a [u8],
    ns: Ns,
}

/// A start tag, resolved.
#[derive(Clone, Copy)]
struct Tag {
    el: El,
    ns: Ns,
    /// The offset of `<` (inputs are at most `u32::MAX` bytes: see `Decoder::new`).
    offset: u32,
}

impl Tag {
    fn at(&self) -> usize {
        self.offset as usize
    }
}

/// One piece of content. Kept small (it travels in registers): the text of `Text` and `CData`
/// is in [`Decoder::piece`].
enum Ev {
    Start(Tag),
    End,
    /// Character data without references (never empty).
    Text,
    /// A resolved character or predefined entity reference.
    Char(char),
    CData,
}

/// Where a child element was met, to name the right error for an unexpected one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// `SyncBody`, `Atomic`, `Sequence`: data-sync commands are "unsupported", not "misplaced".
    Commands,
    Other,
}

/// Text being collected: borrowed while it is one piece, owned once it is joined or unescaped.
enum Acc<'a> {
    Empty,
    Borrowed(&'a str),
    Owned(String),
}

impl<'a> Acc<'a> {
    #[inline]
    fn push(&mut self, s: &'a str) {
        match self {
            Acc::Empty => *self = Acc::Borrowed(s),
            Acc::Borrowed(b) => {
                let mut o = String::with_capacity(b.len() + s.len());
                o.push_str(b);
                o.push_str(s);
                *self = Acc::Owned(o);
            }
            Acc::Owned(o) => o.push_str(s),
        }
    }

    #[inline]
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

    #[inline]
    fn len(&self) -> usize {
        match self {
            Acc::Empty => 0,
            Acc::Borrowed(b) => b.len(),
            Acc::Owned(o) => o.len(),
        }
    }

    #[inline]
    fn into_cow(self) -> Cow<'a, str> {
        match self {
            Acc::Empty => Cow::Borrowed(""),
            Acc::Borrowed(b) => Cow::Borrowed(b),
            Acc::Owned(o) => Cow::Owned(o),
        }
    }

    #[inline]
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

/// Rejects a second occurrence of a single child.
macro_rules! once {
    ($self:ident, $slot:expr, $tag:expr, $value:expr) => {{
        if $slot.is_some() {
            return Err($self.err_here(ErrorKind::DuplicateElement, $tag.at()));
        }
        $slot = Some($value);
    }};
}

/// Reads an empty flag element once.
macro_rules! flag {
    ($self:ident, $flag:expr, $tag:expr) => {{
        if $flag {
            return Err($self.err_here(ErrorKind::DuplicateElement, $tag.at()));
        }
        $self.empty()?;
        $flag = true;
    }};
}

#[derive(Clone)]
struct Decoder<'a> {
    qx: Reader<&'a [u8]>,
    input: &'a [u8],
    /// The limits it was made with (`max_*` below are the enforced values).
    limits: Limits,
    /// Length of a leading UTF-8 BOM (quick-xml skips it and counts positions after it).
    bom: usize,
    /// Bytes consumed by [`Decoder::fast_event`] behind quick-xml's back: its positions lag
    /// the real ones by this much. Kept, not derived from the length of quick-xml's input:
    /// on an unclosed tag quick-xml advances its position to the end but not its input.
    skipped: usize,
    /// Whether the fast paths may run (off only to test them against the event path).
    fast: bool,
    /// Whether quick-xml is in its text state (its last event was anything but `Text`), with
    /// its input at the start of content: the only state in which the fast paths may consume
    /// bytes behind its back, and the state they leave it in.
    qx_text: bool,
    max_depth: usize,
    max_elements: usize,
    max_text: usize,
    elements: usize,
    stack: Vec<Frame<'a>>,
    prefixes: Vec<Binding<'a>>,
    /// The last start tag was an empty-element tag: the next event is its end.
    pending_end: bool,
    /// The qualified name of the element the last `End` closed.
    last_closed: &'a [u8],
    /// The offset where the last event began.
    pos: usize,
    /// The content of the last `Text` or `CData` event.
    piece: &'a str,
    /// The root's namespace: every SyncML element must be in it.
    doc_ns: Ns,
    /// Elements at this depth and deeper are foreign (an `Item/Data` fragment): any attributes.
    foreign_from: usize,
    /// Prefix bindings below this index are out of scope (inside an `Item/Data` fragment).
    prefix_floor: usize,
}

impl<'a> Decoder<'a> {
    fn new(input: &'a [u8], limits: &Limits) -> Result<Self> {
        check_size(input, limits)?;
        let mut qx = Reader::from_reader(input);
        let cfg = qx.config_mut();
        cfg.check_comments = true;
        // End names are checked here (`Decoder::end`), against the decoder's own stack: the fast
        // path skips end tags that quick-xml never sees, so its stack of open names runs ahead.
        cfg.check_end_names = false;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
        cfg.allow_dangling_amp = false;
        cfg.allow_unmatched_ends = true;
        let bom = if input.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        Ok(Self {
            qx,
            input,
            limits: *limits,
            bom,
            skipped: 0,
            fast: true,
            qx_text: false,
            max_depth: limits.depth(),
            max_elements: limits.max_elements,
            max_text: limits.max_text,
            elements: 0,
            stack: Vec::with_capacity(12),
            prefixes: Vec::new(),
            pending_end: false,
            last_closed: b"",
            pos: 0,
            piece: "",
            doc_ns: Ns::None,
            foreign_from: usize::MAX,
            prefix_floor: 0,
        })
    }

    // ---------------------------------------------------------------------------------------
    // Errors

    #[cold]
    #[inline(never)]
    fn path(&self, extra: Option<&[u8]>) -> Box<str> {
        let mut p = String::new();
        for f in &self.stack {
            p.push('/');
            p.push_str(&String::from_utf8_lossy(local_part(f.qname)));
        }
        if let Some(e) = extra {
            p.push('/');
            p.push_str(&String::from_utf8_lossy(local_part(e)));
        }
        if p.is_empty() {
            p.push('/');
        }
        p.into_boxed_str()
    }

    /// An error inside the current element (the path names every open element).
    #[cold]
    #[inline(never)]
    fn err_here(&self, kind: ErrorKind, offset: usize) -> Error {
        Error::new(kind, offset, self.path(None))
    }

    /// An error about the element just closed (its value, or a missing child).
    #[cold]
    #[inline(never)]
    fn err_closed(&self, kind: ErrorKind, offset: usize) -> Error {
        Error::new(kind, offset, self.path(Some(self.last_closed)))
    }

    #[cold]
    #[inline(never)]
    fn syntax(&self, offset: usize, detail: &'static str) -> Error {
        self.err_here(ErrorKind::Syntax, offset).with_detail(detail)
    }

    #[cold]
    #[inline(never)]
    fn qx_error(&self, e: &quick_xml::Error) -> Error {
        use quick_xml::errors::{IllFormedError, SyntaxError};
        let offset = usize::try_from(self.qx.error_position())
            .unwrap_or(usize::MAX)
            .saturating_add(self.bom)
            .saturating_add(self.skipped);
        let (kind, detail) = match e {
            quick_xml::Error::Syntax(s) => match s {
                SyntaxError::InvalidBangMarkup => (ErrorKind::Syntax, "invalid <! markup"),
                SyntaxError::UnclosedPI => {
                    (ErrorKind::UnexpectedEof, "unclosed processing instruction")
                }
                SyntaxError::UnclosedXmlDecl => {
                    (ErrorKind::UnexpectedEof, "unclosed xml declaration")
                }
                SyntaxError::UnclosedComment => (ErrorKind::UnexpectedEof, "unclosed comment"),
                SyntaxError::UnclosedDoctype => (ErrorKind::UnexpectedEof, "unclosed doctype"),
                SyntaxError::UnclosedCData => (ErrorKind::UnexpectedEof, "unclosed cdata section"),
                SyntaxError::UnclosedTag => (ErrorKind::UnexpectedEof, "unclosed tag"),
                SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue => {
                    (ErrorKind::UnexpectedEof, "unclosed attribute value")
                }
            },
            quick_xml::Error::IllFormed(i) => match i {
                IllFormedError::MismatchedEndTag { .. } => {
                    (ErrorKind::Syntax, "mismatched end tag")
                }
                IllFormedError::UnmatchedEndTag(_) => {
                    (ErrorKind::Syntax, "end tag without start tag")
                }
                IllFormedError::DoubleHyphenInComment => (ErrorKind::Syntax, "'--' in a comment"),
                IllFormedError::UnclosedReference => {
                    (ErrorKind::Syntax, "'&' that starts no reference")
                }
                IllFormedError::MissingDoctypeName => {
                    (ErrorKind::Doctype, "doctype without a name")
                }
                IllFormedError::MissingDeclVersion(_) | IllFormedError::UnknownVersion => {
                    (ErrorKind::Syntax, "bad xml declaration version")
                }
                _ => (ErrorKind::Syntax, "ill-formed xml"),
            },
            quick_xml::Error::Encoding(_) => {
                // quick-xml reports neither the event nor the byte (its error position is not
                // updated for these): every byte before the event being read is valid UTF-8, so
                // the first invalid one from the event's start is the one.
                let from = self.pos.min(self.input.len());
                let exact = match core::str::from_utf8(&self.input[from..]) {
                    Ok(_) => offset,
                    Err(u) => from + u.valid_up_to(),
                };
                return Error::new(ErrorKind::Encoding, exact, self.path(None))
                    .with_detail("invalid utf-8 sequence");
            }
            quick_xml::Error::Escape(_) => (ErrorKind::Entity, "bad reference"),
            _ => (ErrorKind::Syntax, "ill-formed xml"),
        };
        Error::new(kind, offset, self.path(None)).with_detail(detail)
    }

    /// The error for a child element that the current element does not allow.
    #[cold]
    #[inline(never)]
    fn unexpected(&self, tag: &Tag, ctx: Ctx) -> Error {
        let kind = if tag.ns == self.doc_ns {
            match DsCommand::from_el(tag.el) {
                Some(ds) if ctx == Ctx::Commands => ErrorKind::UnsupportedCommand(ds),
                _ if tag.el != El::Other => ErrorKind::MisplacedElement,
                _ => ErrorKind::UnknownElement,
            }
        } else if tag.ns == Ns::MetInf {
            if tag.el.is_metinf() {
                ErrorKind::MisplacedElement
            } else {
                ErrorKind::UnknownElement
            }
        } else {
            ErrorKind::Namespace
        };
        self.err_here(kind, tag.at())
    }

    #[inline]
    fn required<T>(&self, v: Option<T>, name: &'static str) -> Result<T> {
        match v {
            Some(v) => Ok(v),
            None => Err(self.missing(name)),
        }
    }

    #[cold]
    #[inline(never)]
    fn missing(&self, name: &'static str) -> Error {
        self.err_closed(ErrorKind::MissingElement(name), self.pos)
    }

    // ---------------------------------------------------------------------------------------
    // Events

    /// The offset of `s`, which must lie within the input, and `s` with the input's lifetime.
    fn locate(&self, s: &[u8]) -> Option<(usize, &'a [u8])> {
        let at = (s.as_ptr() as usize).checked_sub(self.input.as_ptr() as usize)?;
        Some((at, self.input.get(at..at.checked_add(s.len())?)?))
    }

    #[inline]
    fn borrowed(&self, c: Cow<'a, str>) -> Result<&'a str> {
        match c {
            Cow::Borrowed(s) => Ok(s),
            Cow::Owned(_) => Err(self.syntax(self.pos, "internal: unborrowed text")),
        }
    }

    /// The position right after the last event.
    #[inline]
    fn after(&self) -> usize {
        usize::try_from(self.qx.buffer_position())
            .unwrap_or(usize::MAX)
            .saturating_add(self.bom)
            .saturating_add(self.skipped)
    }

    #[inline(always)]
    fn read(&mut self) -> Result<Event<'a>> {
        self.pos = self.after();
        let event = self.qx.read_event().map_err(|e| self.qx_error(&e));
        self.qx_text = !matches!(event, Ok(Event::Text(_)));
        event
    }

    /// The next piece of content inside the current element. Comments and processing
    /// instructions are skipped; the end of input inside an element is an error.
    fn next(&mut self) -> Result<Ev> {
        if self.pending_end {
            self.pending_end = false;
            self.pos = self.after();
            self.pop();
            return Ok(Ev::End);
        }
        if let Some(ev) = self.fast_event() {
            return ev;
        }
        loop {
            self.pos = self.after();
            self.qx_text = true;
            // Matched in place: moving quick-xml's `Result<Event>` around costs more than the
            // match itself.
            match self.qx.read_event() {
                Err(e) => return Err(self.qx_error(&e)),
                Ok(Event::Start(e)) => return self.start(&e, false).map(Ev::Start),
                Ok(Event::Empty(e)) => return self.start(&e, true).map(Ev::Start),
                Ok(Event::End(e)) => {
                    self.end(e.name().as_ref().as_bytes())?;
                    return Ok(Ev::End);
                }
                Ok(Event::Text(t)) => {
                    self.qx_text = false;
                    let s = self.borrowed(t.into_inner())?;
                    if s.is_empty() {
                        continue;
                    }
                    if has_cdata_end(s.as_bytes()) {
                        return Err(self.syntax(self.pos, "']]>' in text"));
                    }
                    self.piece = s;
                    return Ok(Ev::Text);
                }
                Ok(Event::CData(c)) => {
                    self.piece = self.borrowed(c.into_inner())?;
                    return Ok(Ev::CData);
                }
                Ok(Event::GeneralRef(r)) => return self.reference(&r).map(Ev::Char),
                Ok(Event::Comment(_)) => {}
                Ok(Event::PI(pi)) => self.check_pi(pi.target())?,
                Ok(Event::Decl(_)) => {
                    return Err(self.syntax(self.pos, "xml declaration not at the start"));
                }
                Ok(Event::DocType(_)) => {
                    return Err(self
                        .err_here(ErrorKind::Doctype, self.pos)
                        .with_detail("doctype inside an element"));
                }
                Ok(Event::Eof) => return Err(self.err_here(ErrorKind::UnexpectedEof, self.pos)),
            }
        }
    }

    fn check_pi(&self, target: &str) -> Result<()> {
        if target.eq_ignore_ascii_case("xml") || !is_xml_name(target.as_bytes()) {
            return Err(self.syntax(self.pos, "bad processing instruction target"));
        }
        Ok(())
    }

    /// Closes the current element with an end tag named `name`.
    #[inline]
    fn end(&mut self, name: &[u8]) -> Result<()> {
        match self.stack.last() {
            Some(f) if f.qname == name => {
                self.pop();
                Ok(())
            }
            Some(_) => Err(self.syntax(self.pos, "mismatched end tag")),
            None => Err(self.syntax(self.pos, "end tag without start tag")),
        }
    }

    /// The fast path: the next piece of content when it has one of the shapes nearly every
    /// message is made of, read straight from the input instead of through quick-xml's events:
    /// character data up to `<` (no reference), a CDATA section, an end tag `</X>` that closes
    /// the current element, and a start tag of a known SyncML or MetInf name without attributes
    /// or with one of the two default-namespace declarations every message repeats. It returns
    /// exactly what the event path would return for the same bytes, and leaves the decoder as
    /// the event path would; for any other shape, or anything the event path would reject or
    /// report, it returns `None` having consumed nothing, and the event path reads it.
    ///
    /// It runs only while quick-xml is in its text state, and it leaves quick-xml in that state,
    /// its input advanced past what was read and its positions behind by `skipped`. quick-xml's
    /// own stack of open names goes stale, which is why the decoder checks end names itself.
    #[inline(always)]
    fn fast_event(&mut self) -> Option<Result<Ev>> {
        if !(self.fast && self.qx_text) {
            return None;
        }
        let rest: &'a [u8] = self.qx.get_ref();
        let at = self.after();
        if *rest.first()? != b'<' {
            // Character data, up to markup.
            let end = memchr::memchr2(b'<', b'&', rest)?;
            let text = &rest[..end];
            if rest[end] != b'<' || has_cdata_end(text) {
                return None;
            }
            let text = core::str::from_utf8(text).ok()?;
            self.advance(at, end);
            self.piece = text;
            return Some(Ok(Ev::Text));
        }
        match *rest.get(1)? {
            b'/' => {
                let qname = self.stack.last()?.qname;
                let tail = rest[2..].strip_prefix(qname)?;
                if tail.first() != Some(&b'>') {
                    return None;
                }
                self.advance(at, 2 + qname.len() + 1);
                self.pop();
                Some(Ok(Ev::End))
            }
            b'!' => {
                let section = rest.strip_prefix(b"<![CDATA[")?;
                let close = find_cdata_end(section)?;
                let text = core::str::from_utf8(&section[..close]).ok()?;
                self.advance(at, 9 + close + 3);
                self.piece = text;
                Some(Ok(Ev::CData))
            }
            _ => {
                let close = memchr::memchr(b'>', rest)?;
                let (content, empty) = match &rest[1..close] {
                    [c @ .., b'/'] => (c, true),
                    c => (c, false),
                };
                let name_len = content
                    .iter()
                    .position(|&b| b == b' ')
                    .unwrap_or(content.len());
                let attrs = &content[name_len..];
                let el = El::of(&content[..name_len]);
                // A known name is a valid XML name without a prefix; quotes, `<`, white space
                // other than the one space, and `/` can only be in the other names.
                if el == El::Other || !(attrs.is_empty() || common_declaration(attrs).is_some()) {
                    return None;
                }
                self.advance(at, close + 1);
                Some(
                    self.open(at + 1, content, name_len, el, empty)
                        .map(Ev::Start),
                )
            }
        }
    }

    /// Consumes `len` bytes at `at` (the current position) behind quick-xml's back.
    #[inline(always)]
    fn advance(&mut self, at: usize, len: usize) {
        let rest: &'a [u8] = self.qx.get_ref();
        *self.qx.get_mut() = rest.get(len..).unwrap_or_default();
        self.skipped += len;
        self.pos = at;
    }

    #[inline]
    fn pop(&mut self) {
        if let Some(f) = self.stack.pop() {
            self.prefixes.truncate(f.prefix_mark);
            self.last_closed = f.qname;
        }
    }

    /// Opens an element: limits, namespace declarations, attributes, name resolution.
    #[inline(always)]
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<Tag> {
        let (content_at, content) = self
            .locate(e.as_bytes())
            .ok_or_else(|| self.syntax(self.pos, "internal: tag outside input"))?;
        let name_len = e.name().as_ref().len();
        let el = El::of(content.get(..name_len).unwrap_or(content));
        self.open(content_at, content, name_len, el, empty)
    }

    /// Opens the element whose start tag holds `content` (the name, then the attributes) at
    /// `content_at`, the name being its first `name_len` bytes and `el` that name looked up
    /// whole (`El::Other` for a prefixed name).
    #[inline(always)]
    fn open(
        &mut self,
        content_at: usize,
        content: &'a [u8],
        name_len: usize,
        el: El,
        empty: bool,
    ) -> Result<Tag> {
        let offset = content_at.saturating_sub(1);
        let qname = content.get(..name_len).unwrap_or(content);
        let attrs = content.get(name_len..).unwrap_or(b"");

        let parent_default = self.stack.last().map_or(Ns::None, |f| f.default_ns);
        self.stack.push(Frame {
            qname,
            default_ns: parent_default,
            prefix_mark: self.prefixes.len(),
        });
        self.pending_end = empty;
        self.elements += 1;
        if self.elements > self.max_elements {
            return Err(self.err_here(ErrorKind::LimitExceeded(Limit::Elements), offset));
        }
        if self.stack.len() > self.max_depth {
            return Err(self.err_here(ErrorKind::LimitExceeded(Limit::Depth), offset));
        }
        let foreign = self.stack.len() >= self.foreign_from;
        if !attrs.is_empty() {
            let attrs_at = content_at + name_len;
            let declared = match common_declaration(attrs) {
                Some(ns) => Some(ns),
                None => self.attributes(attrs, attrs_at, foreign)?,
            };
            if let Some(default) = declared
                && let Some(f) = self.stack.last_mut()
            {
                f.default_ns = default;
            }
        }
        // A known name has no prefix: it was looked up first; split only other names.
        let mut el = el;
        let (prefix, local) = match el {
            El::Other => match qname.iter().position(|&b| b == b':') {
                Some(i) => (Some(&qname[..i]), &qname[i + 1..]),
                None => (None, qname),
            },
            _ => (None, qname),
        };
        let ns = match prefix {
            None => self.stack.last().map_or(Ns::None, |f| f.default_ns),
            Some(p) => {
                el = El::of(local);
                self.resolve(p, offset)?
            }
        };
        // Known names are valid by construction; check the others.
        if el == El::Other || foreign {
            if !is_xml_name(qname) {
                return Err(self.syntax(offset, "bad element name"));
            }
            if local.is_empty() || local.contains(&b':') {
                return Err(self
                    .err_here(ErrorKind::Namespace, offset)
                    .with_detail("bad qualified name"));
            }
        }
        Ok(Tag {
            el,
            ns,
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
        })
    }

    fn resolve(&self, prefix: &[u8], offset: usize) -> Result<Ns> {
        if prefix == b"xml" {
            return Ok(Ns::Other);
        }
        if prefix.is_empty() || prefix == b"xmlns" {
            return Err(self
                .err_here(ErrorKind::Namespace, offset)
                .with_detail("bad prefix"));
        }
        // Inside an `Item/Data` fragment only the fragment's own declarations count, so that the
        // fragment stays meaningful (and re-encodable) on its own.
        self.prefixes
            .get(self.prefix_floor..)
            .unwrap_or(&[])
            .iter()
            .rev()
            .find(|b| b.prefix == prefix)
            .map(|b| b.ns)
            .ok_or_else(|| {
                let detail = if self.prefix_floor > 0 {
                    "prefix not declared inside the item data fragment"
                } else {
                    "undeclared prefix"
                };
                self.err_here(ErrorKind::Namespace, offset)
                    .with_detail(detail)
            })
    }

    /// Parses a start tag's attributes: namespace declarations everywhere, other attributes
    /// only in foreign content. Returns the default-namespace declaration, if any.
    fn attributes(&mut self, raw: &'a [u8], base: usize, foreign: bool) -> Result<Option<Ns>> {
        let b = raw;
        let len = b.len();
        let mut i = 0;
        let mut default = None;
        let mut foreign_names: Vec<&'a [u8]> = Vec::new();
        let mark = self.stack.last().map_or(0, |f| f.prefix_mark);
        let mut count = 0usize;
        loop {
            let ws = i;
            while i < len && is_xml_ws(b[i]) {
                i += 1;
            }
            if i == len {
                break;
            }
            let at = base + i;
            // Bounded so that the duplicate checks and prefix look-ups stay cheap.
            count += 1;
            if count > MAX_ATTRIBUTES {
                return Err(self.err_here(ErrorKind::LimitExceeded(Limit::Attributes), at));
            }
            if i == ws {
                return Err(self.syntax(at, "no white space before attribute"));
            }
            let name_start = i;
            while i < len && b[i] != b'=' && !is_xml_ws(b[i]) {
                i += 1;
            }
            let name = raw.get(name_start..i).unwrap_or(b"");
            while i < len && is_xml_ws(b[i]) {
                i += 1;
            }
            if i == len || b[i] != b'=' {
                return Err(self
                    .err_here(ErrorKind::Attribute, at)
                    .with_detail("attribute without value"));
            }
            i += 1;
            while i < len && is_xml_ws(b[i]) {
                i += 1;
            }
            let quote = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => return Err(self.syntax(at, "unquoted attribute value")),
            };
            i += 1;
            let Some(vlen) = b[i..].iter().position(|&c| c == quote) else {
                return Err(self.syntax(at, "unclosed attribute value"));
            };
            let value_raw = raw.get(i..i + vlen).unwrap_or(b"");
            i += vlen + 1;
            if !is_xml_name(name) {
                return Err(self.syntax(at, "bad attribute name"));
            }
            let value = self.attr_value(value_raw, at)?;
            if name == b"xmlns" {
                if default.is_some() {
                    return Err(self
                        .err_here(ErrorKind::Attribute, at)
                        .with_detail("repeated attribute"));
                }
                if *value == *XML_NS || *value == *XMLNS_NS {
                    return Err(self
                        .err_here(ErrorKind::Namespace, at)
                        .with_detail("reserved namespace"));
                }
                default = Some(classify(&value));
            } else if let Some(prefix) = name.strip_prefix(b"xmlns:") {
                if prefix.is_empty() || prefix.contains(&b':') || prefix == b"xmlns" {
                    return Err(self
                        .err_here(ErrorKind::Namespace, at)
                        .with_detail("bad prefix"));
                }
                if prefix == b"xml" {
                    if *value != *XML_NS {
                        return Err(self
                            .err_here(ErrorKind::Namespace, at)
                            .with_detail("bad prefix"));
                    }
                    continue;
                }
                if value.is_empty() || *value == *XML_NS || *value == *XMLNS_NS {
                    return Err(self
                        .err_here(ErrorKind::Namespace, at)
                        .with_detail("bad prefix declaration"));
                }
                if self.prefixes[mark.min(self.prefixes.len())..]
                    .iter()
                    .any(|p| p.prefix == prefix)
                {
                    return Err(self
                        .err_here(ErrorKind::Attribute, at)
                        .with_detail("repeated attribute"));
                }
                if self.prefixes.len() >= MAX_BINDINGS {
                    return Err(self.err_here(ErrorKind::LimitExceeded(Limit::Attributes), at));
                }
                self.prefixes.push(Binding {
                    prefix,
                    ns: classify(&value),
                });
            } else if foreign {
                if foreign_names.contains(&name) {
                    return Err(self
                        .err_here(ErrorKind::Attribute, at)
                        .with_detail("repeated attribute"));
                }
                foreign_names.push(name);
            } else {
                return Err(self.err_here(ErrorKind::Attribute, at));
            }
        }
        // A prefixed foreign attribute needs its prefix bound (declarations on the same element
        // count, whatever their order).
        for name in foreign_names {
            if let Some(i) = name.iter().position(|&b| b == b':') {
                let prefix = &name[..i];
                if prefix != b"xml" {
                    self.resolve(prefix, base)?;
                }
            }
        }
        Ok(default)
    }

    /// An attribute value with its references resolved.
    fn attr_value(&self, raw: &'a [u8], at: usize) -> Result<Cow<'a, [u8]>> {
        if raw.contains(&b'<') {
            return Err(self.syntax(at, "'<' in attribute value"));
        }
        if !raw.contains(&b'&') {
            return Ok(Cow::Borrowed(raw));
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(amp) = rest.iter().position(|&b| b == b'&') {
            out.extend_from_slice(&rest[..amp]);
            let after = &rest[amp + 1..];
            let Some(semi) = after.iter().position(|&b| b == b';') else {
                return Err(self.syntax(at, "'&' that starts no reference"));
            };
            let name = core::str::from_utf8(&after[..semi])
                .map_err(|_| self.err_here(ErrorKind::Entity, at))?;
            let c = self.resolve_reference(name, at)?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            rest = &after[semi + 1..];
        }
        out.extend_from_slice(rest);
        Ok(Cow::Owned(out))
    }

    fn reference(&self, name: &str) -> Result<char> {
        self.resolve_reference(name, self.pos)
    }

    /// A predefined entity or a character reference; anything else is refused, never expanded.
    fn resolve_reference(&self, name: &str, at: usize) -> Result<char> {
        let c = if let Some(num) = name.strip_prefix('#') {
            let (digits, radix) = match num.strip_prefix('x') {
                Some(hex) => (hex, 16),
                None => (num, 10),
            };
            let ok = !digits.is_empty()
                && digits.len() <= 8
                && digits.bytes().all(|b| (b as char).is_digit(radix));
            if ok {
                u32::from_str_radix(digits, radix)
                    .ok()
                    .and_then(char::from_u32)
                    .filter(|c| is_xml_char(*c))
            } else {
                None
            }
        } else {
            match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "apos" => Some('\''),
                "quot" => Some('"'),
                _ => None,
            }
        };
        c.ok_or_else(|| self.err_here(ErrorKind::Entity, at))
    }

    // ---------------------------------------------------------------------------------------
    // Document level

    /// Reads up to and including the root start tag.
    fn prolog(&mut self) -> Result<()> {
        let mut seen_doctype = false;
        loop {
            let first = self.after() == self.bom;
            match self.read()? {
                Event::Decl(d) => {
                    if !first {
                        return Err(self.syntax(self.pos, "xml declaration not at the start"));
                    }
                    self.declaration(&d)?;
                }
                Event::DocType(t) => {
                    let upper = self
                        .input
                        .get(self.pos..)
                        .is_some_and(|s| s.starts_with(b"<!DOCTYPE"));
                    if seen_doctype || !upper {
                        return Err(self.err_here(ErrorKind::Doctype, self.pos));
                    }
                    if has_internal_subset(&t) {
                        return Err(self
                            .err_here(ErrorKind::Doctype, self.pos)
                            .with_detail("internal subset"));
                    }
                    seen_doctype = true;
                }
                Event::Text(t) => {
                    if !all_ws(&t) {
                        return Err(self.err_here(ErrorKind::UnexpectedText, self.pos));
                    }
                }
                Event::Comment(_) => {}
                Event::PI(pi) => self.check_pi(pi.target())?,
                Event::CData(_) => return Err(self.err_here(ErrorKind::UnexpectedText, self.pos)),
                Event::GeneralRef(r) => {
                    self.reference(&r)?;
                    return Err(self.err_here(ErrorKind::UnexpectedText, self.pos));
                }
                Event::Start(e) => return self.root(&e, false),
                Event::Empty(e) => return self.root(&e, true),
                Event::End(_) => return Err(self.syntax(self.pos, "end tag without start tag")),
                Event::Eof => {
                    return Err(self
                        .err_here(ErrorKind::UnexpectedEof, self.pos)
                        .with_detail("no root element"));
                }
            }
        }
    }

    /// Checks the XML declaration (`xml` then the pseudo-attributes `version`, `encoding`?,
    /// `standalone`?, in that order): version 1.x, encoding UTF-8 if given.
    fn declaration(&self, d: &BytesDecl<'_>) -> Result<()> {
        let content = d.as_bytes();
        if content == b"xml version=\"1.0\"" {
            return Ok(());
        }
        let bad = || self.syntax(self.pos, "bad xml declaration");
        let mut rest = content.strip_prefix(b"xml").ok_or_else(bad)?;
        let mut seen = 0;
        loop {
            let trimmed = trim_start_ws(rest);
            if trimmed.is_empty() {
                break;
            }
            if trimmed.len() == rest.len() {
                return Err(bad());
            }
            let eq = trimmed.iter().position(|&b| b == b'=').ok_or_else(bad)?;
            let name = trim_end_ws(&trimmed[..eq]);
            let after = trim_start_ws(&trimmed[eq + 1..]);
            let quote = *after.first().ok_or_else(bad)?;
            if quote != b'"' && quote != b'\'' {
                return Err(bad());
            }
            let len = after[1..]
                .iter()
                .position(|&b| b == quote)
                .ok_or_else(bad)?;
            let value = &after[1..1 + len];
            rest = &after[len + 2..];
            let order = match name {
                b"version" => 1,
                b"encoding" => 2,
                b"standalone" => 3,
                _ => return Err(bad()),
            };
            if order <= seen || (seen == 0 && order != 1) {
                return Err(bad());
            }
            seen = order;
            match order {
                1 if value.len() >= 3
                    && value.starts_with(b"1.")
                    && value[2..].iter().all(u8::is_ascii_digit) => {}
                2 if value.eq_ignore_ascii_case(b"utf-8") => {}
                2 => {
                    return Err(self
                        .err_here(ErrorKind::Encoding, self.pos)
                        .with_detail("declared encoding is not utf-8"));
                }
                3 if value == b"yes" || value == b"no" => {}
                _ => return Err(bad()),
            }
        }
        if seen == 0 {
            return Err(self.syntax(self.pos, "xml declaration without version"));
        }
        Ok(())
    }

    fn root(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<()> {
        let tag = self.start(e, empty)?;
        match tag.ns {
            Ns::SyncMl(_) | Ns::None => {}
            Ns::MetInf | Ns::Other => {
                return Err(self
                    .err_here(ErrorKind::Namespace, tag.at())
                    .with_detail("root not in a syncml namespace"));
            }
        }
        self.doc_ns = tag.ns;
        if tag.el != El::SyncML {
            return Err(self.unexpected(&tag, Ctx::Other));
        }
        Ok(())
    }

    /// The version: from the root namespace, or from `VerDTD` when the root has none.
    fn version(&self, hdr: &SyncHdr<'_>) -> SyncMlVersion {
        match self.doc_ns {
            Ns::SyncMl(v) => v,
            _ if hdr.ver_dtd == "1.1" => SyncMlVersion::V1_1,
            _ => SyncMlVersion::V1_2,
        }
    }

    /// The root's first child, which must be `SyncHdr`.
    fn first_header(&mut self) -> Result<(SyncHdr<'a>, Option<Range<usize>>)> {
        match self.child(Ctx::Other)? {
            Some(tag) if tag.el == El::SyncHdr => self.sync_hdr(),
            Some(tag) if tag.el == El::SyncBody => Err(self
                .err_here(ErrorKind::MissingElement("SyncHdr"), tag.at())
                .with_detail("SyncBody before SyncHdr")),
            Some(tag) => Err(self.unexpected(&tag, Ctx::Other)),
            None => Err(self.err_closed(ErrorKind::MissingElement("SyncHdr"), self.pos)),
        }
    }

    /// After `SyncHdr`: `SyncBody` and the root's end.
    fn rest_of_root(&mut self) -> Result<SyncBody<'a>> {
        let mut body = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::SyncBody => once!(self, body, tag, self.sync_body()?),
                El::SyncHdr => return Err(self.err_here(ErrorKind::DuplicateElement, tag.at())),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        self.required(body, "SyncBody")
    }

    /// After the root: only white space, comments and processing instructions.
    fn epilog(&mut self) -> Result<()> {
        loop {
            match self.read()? {
                Event::Eof => return Ok(()),
                Event::Text(t) if all_ws(&t) => {}
                Event::Comment(_) => {}
                Event::PI(pi) => self.check_pi(pi.target())?,
                Event::End(_) => return Err(self.syntax(self.pos, "end tag without start tag")),
                _ => return Err(self.err_here(ErrorKind::TrailingContent, self.pos)),
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Content helpers

    /// The next child element of the current element, in the document's SyncML namespace;
    /// `None` at the current element's end. White space between children is skipped.
    fn child(&mut self, ctx: Ctx) -> Result<Option<Tag>> {
        loop {
            match self.next()? {
                Ev::Start(tag) => {
                    if tag.ns == self.doc_ns {
                        return Ok(Some(tag));
                    }
                    return Err(self.unexpected(&tag, ctx));
                }
                Ev::End => return Ok(None),
                Ev::Text if all_ws(self.piece) => {}
                Ev::Text | Ev::Char(_) | Ev::CData => {
                    return Err(self.err_here(ErrorKind::UnexpectedText, self.pos));
                }
            }
        }
    }

    /// The next child of a MetInf container (`Meta`, `Anchor`, `Mem`): a MetInf element, also
    /// accepted without its namespace (in the document's namespace) as real peers write it.
    fn metinf_child(&mut self) -> Result<Option<Tag>> {
        loop {
            match self.next()? {
                Ev::Start(tag) => {
                    let lenient = tag.ns == self.doc_ns || tag.ns == Ns::None;
                    if tag.ns == Ns::MetInf || (lenient && tag.el.is_metinf()) {
                        return Ok(Some(tag));
                    }
                    return Err(self.unexpected(&tag, Ctx::Other));
                }
                Ev::End => return Ok(None),
                Ev::Text if all_ws(self.piece) => {}
                Ev::Text | Ev::Char(_) | Ev::CData => {
                    return Err(self.err_here(ErrorKind::UnexpectedText, self.pos));
                }
            }
        }
    }

    /// Text-only content up to the current element's end.
    fn text(&mut self) -> Result<Acc<'a>> {
        let mut acc = Acc::Empty;
        loop {
            match self.next()? {
                Ev::Text | Ev::CData => acc.push(self.piece),
                Ev::Char(c) => acc.push_char(c),
                Ev::End => return Ok(acc),
                Ev::Start(tag) => return Err(self.unexpected(&tag, Ctx::Other)),
            }
            if acc.len() > self.max_text {
                return Err(self.err_here(ErrorKind::LimitExceeded(Limit::TextLength), self.pos));
            }
        }
    }

    /// A token element's text, trimmed of surrounding XML white space.
    fn token(&mut self) -> Result<Cow<'a, str>> {
        self.text().map(Acc::into_trimmed)
    }

    /// A token element's text parsed as `T`.
    fn parse<T: FromStr<Err = ValueError>>(&mut self, tag: &Tag) -> Result<T> {
        let t = self.token()?;
        t.parse()
            .map_err(|e| self.err_closed(ErrorKind::InvalidValue(e), tag.at()))
    }

    fn count(&mut self, tag: &Tag) -> Result<u64> {
        let t = self.token()?;
        parse_count(&t).map_err(|e| self.err_closed(ErrorKind::InvalidValue(e), tag.at()))
    }

    /// An `EMPTY` element: white space and comments only.
    fn empty(&mut self) -> Result<()> {
        loop {
            match self.next()? {
                Ev::End => return Ok(()),
                Ev::Text if all_ws(self.piece) => {}
                Ev::Start(tag) => return Err(self.unexpected(&tag, Ctx::Other)),
                Ev::Text | Ev::Char(_) | Ev::CData => {
                    return Err(self.err_here(ErrorKind::UnexpectedText, self.pos));
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Header

    fn sync_hdr(&mut self) -> Result<(SyncHdr<'a>, Option<Range<usize>>)> {
        let mut ver_dtd = None;
        let mut ver_proto = None;
        let mut session_id = None;
        let mut msg_id = None;
        let mut target = None;
        let mut source = None;
        let mut resp_uri = None;
        let mut no_resp = false;
        let mut cred = None;
        let mut span = None;
        let mut meta = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::VerDTD => once!(self, ver_dtd, tag, self.token()?),
                El::VerProto => once!(self, ver_proto, tag, self.token()?),
                El::SessionID => once!(self, session_id, tag, {
                    let t = self.token()?;
                    SessionId::new(t)
                        .map_err(|e| self.err_closed(ErrorKind::InvalidValue(e), tag.at()))?
                }),
                El::MsgID => once!(self, msg_id, tag, self.parse::<MsgId>(&tag)?),
                El::Target => once!(self, target, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    Target { loc_uri, loc_name }
                }),
                El::Source => once!(self, source, tag, {
                    let (loc_uri, loc_name) = self.loc()?;
                    Source { loc_uri, loc_name }
                }),
                El::RespURI => once!(self, resp_uri, tag, self.token()?),
                El::NoResp => flag!(self, no_resp, tag),
                El::Cred => once!(self, cred, tag, {
                    let (c, s) = self.cred()?;
                    span = Some(s);
                    c
                }),
                El::Meta => once!(self, meta, tag, self.meta()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        let hdr = SyncHdr {
            ver_dtd: self.required(ver_dtd, "VerDTD")?,
            ver_proto: self.required(ver_proto, "VerProto")?,
            session_id: self.required(session_id, "SessionID")?,
            msg_id: self.required(msg_id, "MsgID")?,
            target: self.required(target, "Target")?,
            source: self.required(source, "Source")?,
            resp_uri,
            no_resp,
            cred,
            meta,
        };
        Ok((hdr, span))
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

    /// `Cred (Meta?, Data)`, with the raw span of the `Data` content.
    fn cred(&mut self) -> Result<(Cred<'a>, Range<usize>)> {
        let mut meta = None;
        let mut data = None;
        let mut span = 0..0;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::Meta => once!(self, meta, tag, self.meta()?),
                El::Data => once!(self, data, tag, {
                    let start = self.after();
                    let text = self.text()?.into_cow();
                    span = start..self.pos.max(start);
                    text
                }),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        let data = self.required(data, "Data")?;
        Ok((Cred { meta, data }, span))
    }

    fn chal(&mut self) -> Result<Chal<'a>> {
        let mut meta = None;
        while let Some(tag) = self.child(Ctx::Other)? {
            match tag.el {
                El::Meta => once!(self, meta, tag, self.meta()?),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(Chal {
            meta: self.required(meta, "Meta")?,
        })
    }

    // ---------------------------------------------------------------------------------------
    // MetInf

    fn meta(&mut self) -> Result<Meta<'a>> {
        let mut m = Meta::default();
        self.meta_into(&mut m)?;
        Ok(m)
    }

    /// Reads a `Meta` into `m` (in place: a `Meta` is large).
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
                El::NextNonce => once!(self, m.next_nonce, tag, self.token()?),
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
                    .err_here(ErrorKind::MisplacedElement, tag.at())
                    .with_detail("command after Final"));
            }
            match self.command(&tag, true)? {
                Some(c) => commands.push(c),
                None => return Err(self.unexpected(&tag, Ctx::Commands)),
            }
        }
        Ok(SyncBody { commands, is_final })
    }

    /// A command element (its start tag already read); `None` if `tag` names no command allowed
    /// here. `Results` and `Status` are allowed only at body level.
    fn command(&mut self, tag: &Tag, body_level: bool) -> Result<Option<Command<'a>>> {
        Ok(Some(match tag.el {
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
            _ => return Ok(None),
        }))
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
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
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
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
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
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
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
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
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
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
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
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
                _ => match self.command(&tag, false)? {
                    Some(c) => commands.push(c),
                    None => return Err(self.unexpected(&tag, Ctx::Commands)),
                },
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
                El::Meta => once!(self, meta, tag, Box::new(self.meta()?)),
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
                El::Cred => once!(self, cred, tag, Box::new(self.cred()?.0)),
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

    /// Reads an `Item` straight into the end of `items` (an `Item` is large).
    fn push_item(&mut self, items: &mut Vec<Item<'a>>) -> Result<()> {
        items.push(Item::default());
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
                        return Err(self.err_here(ErrorKind::DuplicateElement, tag.at()));
                    }
                    self.meta_into(item.meta.insert(Meta::default()))?;
                }
                El::Data => {
                    if seen_data {
                        return Err(self.err_here(ErrorKind::DuplicateElement, tag.at()));
                    }
                    seen_data = true;
                    item.data = Some(self.item_data()?);
                }
                El::MoreData => flag!(self, item.more_data, tag),
                _ => return Err(self.unexpected(&tag, Ctx::Other)),
            }
        }
        Ok(())
    }

    /// `Item/Data`: character data (escaped, CDATA or both, never trimmed) or an XML fragment.
    fn item_data(&mut self) -> Result<ItemData<'a>> {
        let content_start = self.after();
        let mut acc = Acc::Empty;
        let mut cdata = false;
        let mut other = false;
        let saved = (self.foreign_from, self.prefix_floor);
        self.foreign_from = self.stack.len() + 1;
        self.prefix_floor = self.prefixes.len();
        loop {
            match self.next()? {
                Ev::Text => {
                    acc.push(self.piece);
                    other = true;
                }
                Ev::Char(c) => {
                    acc.push_char(c);
                    other = true;
                }
                Ev::CData => {
                    acc.push(self.piece);
                    cdata = true;
                }
                Ev::Start(_) => {
                    let value = self.fragment(content_start)?;
                    (self.foreign_from, self.prefix_floor) = saved;
                    return Ok(ItemData {
                        value: Cow::Borrowed(value),
                        carriage: Carriage::Xml,
                    });
                }
                Ev::End => break,
            }
            if acc.len() > self.max_text {
                return Err(self.err_here(ErrorKind::LimitExceeded(Limit::TextLength), self.pos));
            }
        }
        (self.foreign_from, self.prefix_floor) = saved;
        let carriage = match (cdata, other) {
            (false, _) => Carriage::Escaped,
            (true, true) => Carriage::Mixed,
            (true, false) => Carriage::Cdata,
        };
        Ok(ItemData {
            value: acc.into_cow(),
            carriage,
        })
    }

    /// The rest of an `Item/Data` that holds elements (the first child's start tag was just
    /// read): checked as it is read, kept as the raw fragment between the `Data` tags.
    fn fragment(&mut self, content_start: usize) -> Result<&'a str> {
        let mut level = 1usize;
        loop {
            match self.next()? {
                Ev::Start(_) => level += 1,
                Ev::End if level == 0 => break,
                Ev::End => level -= 1,
                Ev::Text | Ev::Char(_) | Ev::CData => {}
            }
            if self.pos.saturating_sub(content_start) > self.max_text {
                return Err(self.err_here(ErrorKind::LimitExceeded(Limit::TextLength), self.pos));
            }
        }
        let end = self.pos;
        self.input
            .get(content_start..end)
            .and_then(|b| core::str::from_utf8(b).ok())
            .ok_or_else(|| self.syntax(end, "internal: fragment outside input"))
    }
}

fn trim_start_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| is_xml_ws(c)).count();
    &b[n..]
}

fn trim_end_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().rev().take_while(|&&c| is_xml_ws(c)).count();
    &b[..b.len() - n]
}

/// Whether text holds `]]>`, which character data may not.
#[inline]
fn has_cdata_end(b: &[u8]) -> bool {
    find_cdata_end(b).is_some()
}

/// Where the first `]]>` in `b` starts: the end of a CDATA section's content.
#[inline]
fn find_cdata_end(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + memchr::memchr(b'>', b.get(from..)?)?;
        if at >= 2 && b[at - 2] == b']' && b[at - 1] == b']' {
            return Some(at - 2);
        }
        from = at + 1;
    }
}

/// The default-namespace declaration that every DM message repeats on its root and its MetInf
/// elements, as the whole attribute text of a start tag; `None` for any other text (which
/// [`Decoder::attributes`] then parses).
#[inline]
fn common_declaration(attrs: &[u8]) -> Option<Ns> {
    match attrs {
        b" xmlns=\"syncml:metinf\"" => Some(Ns::MetInf),
        b" xmlns=\"SYNCML:SYNCML1.2\"" => Some(Ns::SyncMl(SyncMlVersion::V1_2)),
        _ => None,
    }
}

/// The part of a qualified name after its prefix.
fn local_part(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

/// Whether a DOCTYPE's content (after `<!DOCTYPE`) has an internal subset: a `[` outside the
/// quoted public and system literals.
fn has_internal_subset(content: &str) -> bool {
    let mut quote = None;
    for b in content.bytes() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'[' => return true,
            None => {}
        }
    }
    false
}
