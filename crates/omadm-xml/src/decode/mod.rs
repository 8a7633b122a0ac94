//! The decoder: a borrowing pull parser mapping SyncML DM XML onto the `omadm-syncml` model
//! without a DOM. Its layers, one module each: this one (the API, the decoder's state, errors and
//! the content of one element: children, text, tokens), [`lexer`] (the tokens, the only code that
//! touches quick-xml), [`ns`] (names, namespaces, attributes and references of a start tag),
//! [`prolog`] (everything outside the root element) and [`grammar`] (one function per SyncML
//! element, in the order of `encode.rs`).

use core::fmt;
use core::str::FromStr;

use std::borrow::Cow;
use std::ops::Range;

use omadm_syncml::__private::parse_count;
use omadm_syncml::{SyncHdr, SyncMl, SyncMlVersion, ValueError};

use self::lexer::{LexError, Lexer, Token};
use self::ns::{Binding, Frame, Ns, Tag, local_part};
use crate::error::{DsCommand, Error, ErrorKind, Limit};
use crate::limits::Limits;
use crate::names::{El, all_ws, first_non_xml_char, has_cdata_end, is_xml_name, trim_ws};

mod grammar;
mod lexer;
mod ns;
mod prolog;

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

/// [`decode_located`] with every byte read through quick-xml's events: the lexer's own scan of
/// text, references, tags and CDATA sections is off. Not part of the API (only with the private `__test-hooks`
/// feature): it exists so that the crate's tests and the fuzzer can check that the fast path
/// changes nothing (the same message, span or error for any input).
#[cfg(feature = "__test-hooks")]
pub fn decode_located_events_only<'a>(input: &'a [u8], limits: &Limits) -> Result<Decoded<'a>> {
    check_size(input, limits)?;
    decode_with(
        Decoder::with_lexer(input, limits, Lexer::events_only(input)),
        input,
    )
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

#[derive(Clone)]
struct Decoder<'a> {
    lex: Lexer<'a>,
    input: &'a [u8],
    /// The limits it was made with (`max_*` below are the enforced values).
    limits: Limits,
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
    /// The offset where the last token began.
    pos: usize,
    /// The content of the last `Text` or `CData` token.
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
        Ok(Self::with_lexer(input, limits, Lexer::new(input)))
    }

    /// A decoder on `lex` (the input's size already checked).
    fn with_lexer(input: &'a [u8], limits: &Limits, lex: Lexer<'a>) -> Self {
        Self {
            lex,
            input,
            limits: *limits,
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
        }
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

    /// A lexical error, in the current element.
    #[cold]
    #[inline(never)]
    fn lex_error(&self, e: LexError) -> Error {
        Error::new(e.kind, e.offset, self.path(None)).with_detail(e.detail)
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
    // Content

    /// The position right after the last token.
    #[inline]
    fn after(&self) -> usize {
        self.lex.after()
    }

    /// The next token, its start in [`Decoder::pos`].
    #[inline(always)]
    fn token_raw(&mut self) -> Result<Token<'a>> {
        let open = self.stack.last().map_or(&b""[..], |f| f.qname);
        let token = self.lex.next(open).map_err(|e| self.lex_error(e));
        self.pos = self.lex.start();
        token
    }

    /// The next piece of content inside the current element. Comments and processing
    /// instructions are skipped; the end of input inside an element is an error.
    #[inline(always)]
    fn next(&mut self) -> Result<Ev> {
        if self.pending_end {
            self.pending_end = false;
            self.pos = self.after();
            self.pop();
            return Ok(Ev::End);
        }
        loop {
            match self.token_raw()? {
                Token::Start {
                    content,
                    name_len,
                    empty,
                } => return self.start(content, name_len, empty).map(Ev::Start),
                Token::Close => {
                    self.pop();
                    return Ok(Ev::End);
                }
                Token::End(name) => {
                    self.end(name)?;
                    return Ok(Ev::End);
                }
                Token::Text(s) => {
                    if has_cdata_end(s.as_bytes()) {
                        return Err(self.syntax(self.pos, "']]>' in text"));
                    }
                    self.piece = s;
                    return Ok(Ev::Text);
                }
                Token::CData(s) => {
                    self.piece = s;
                    return Ok(Ev::CData);
                }
                Token::Ref(name) => return self.reference(name).map(Ev::Char),
                Token::Comment => {}
                Token::Pi(target) => self.check_pi(target)?,
                Token::Decl(_) => {
                    return Err(self.syntax(self.pos, "xml declaration not at the start"));
                }
                Token::DocType(_) => {
                    return Err(self
                        .err_here(ErrorKind::Doctype, self.pos)
                        .with_detail("doctype inside an element"));
                }
                Token::Eof => return Err(self.err_here(ErrorKind::UnexpectedEof, self.pos)),
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

    #[inline]
    fn pop(&mut self) {
        if let Some(f) = self.stack.pop() {
            self.prefixes.truncate(f.prefix_mark);
            self.last_closed = f.qname;
        }
    }

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
}
