//! The lexer, the one module that touches quick-xml: it cuts the input into tokens and knows
//! nothing of SyncML, namespaces or nesting.
//!
//! Character data, references, start and end tags and CDATA sections are cut by its own scan
//! (the decoder already owns names, attributes and references). Comments, processing
//! instructions, the XML declaration and the document type declaration, and any tag or section
//! the scan does not find whole and valid UTF-8, go to quick-xml's `Reader`, which reports the
//! errors. The scan advances quick-xml's input past what it took through the documented
//! [`Reader::stream`] (`BufRead::consume`), so quick-xml's position is always the lexer's, and
//! it hands quick-xml nothing but markup: every `read_event` starts at a `<` with nothing
//! pending, so quick-xml never returns character data to it and its state between calls is the
//! one after a markup event.
//!
//! [`Lexer::events_only`] reads every byte through quick-xml's events instead (a test hook):
//! the decoder's tests and the `xml_decode` fuzz target hold the two readings equal.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::errors::{IllFormedError, SyntaxError};
use quick_xml::events::Event;

use crate::error::ErrorKind;
use crate::names::{find_cdata_end, is_xml_ws};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One token. `Start`, `End` and `Text` are the hot ones; the others are rare in DM messages.
pub(super) enum Token<'a> {
    /// A start tag (`empty`: an empty-element tag): `content` is what lies between `<` and `>`
    /// (or `/>`), the name then the attributes; the name is its first `name_len` bytes (up to
    /// the first white space).
    Start {
        content: &'a [u8],
        name_len: usize,
        empty: bool,
    },
    /// An end tag's name (trailing white space removed).
    End(&'a [u8]),
    /// The end tag of the innermost open element (the `open` name given to [`Lexer::next`]).
    Close,
    /// Character data up to markup, a reference or the end (never empty).
    Text(&'a str),
    /// The name of a reference `&name;` (not resolved).
    Ref(&'a str),
    /// A CDATA section's content.
    CData(&'a str),
    Comment,
    /// A processing instruction, by target.
    Pi(&'a str),
    /// The XML declaration, its content between `<?` and `?>`.
    Decl(&'a [u8]),
    /// A document type declaration, its content after `<!DOCTYPE`.
    DocType(&'a str),
    Eof,
}

/// A lexical error; the decoder adds the element path.
pub(super) struct LexError {
    pub(super) kind: ErrorKind,
    pub(super) offset: usize,
    pub(super) detail: &'static str,
}

#[derive(Clone)]
pub(super) struct Lexer<'a> {
    qx: Reader<&'a [u8]>,
    input: &'a [u8],
    /// Whether the own scan runs (off only in [`Lexer::events_only`]).
    scan: bool,
    /// The input offset of quick-xml's position 0: the BOM that quick-xml skips without
    /// counting it when it reads from the start ([`Lexer::events_only`]); 0 when the lexer
    /// consumed the BOM itself.
    origin: usize,
    /// Where the last token began.
    start: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(input: &'a [u8]) -> Self {
        let mut lexer = Self::with_reader(input, true);
        // The BOM is consumed here, so that quick-xml, which looks for one where it first
        // reads, only ever starts reading at a `<`.
        if input.starts_with(BOM) {
            lexer.qx.stream().consume(BOM.len());
        }
        lexer
    }

    /// A lexer that reads every byte through quick-xml's events (a test hook).
    #[cfg(feature = "__test-hooks")]
    pub(super) fn events_only(input: &'a [u8]) -> Self {
        let mut lexer = Self::with_reader(input, false);
        if input.starts_with(BOM) {
            lexer.origin = BOM.len();
        }
        lexer
    }

    fn with_reader(input: &'a [u8], scan: bool) -> Self {
        let mut qx = Reader::from_reader(input);
        let cfg = qx.config_mut();
        cfg.check_comments = true;
        // The decoder checks end names against its own stack: quick-xml never sees the tags
        // the scan takes, so it keeps no stack of open names.
        cfg.check_end_names = false;
        cfg.allow_unmatched_ends = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
        cfg.allow_dangling_amp = false;
        Self {
            qx,
            input,
            scan,
            origin: 0,
            start: 0,
        }
    }

    /// Where the last token began.
    #[inline]
    pub(super) fn start(&self) -> usize {
        self.start
    }

    /// The offset right after the last token.
    #[inline]
    pub(super) fn after(&self) -> usize {
        // invariant: quick-xml counts bytes of an input that is at most `u32::MAX` bytes long
        // (`Decoder::new` checks), so its position fits in a `usize`.
        #[allow(clippy::expect_used)]
        let at = usize::try_from(self.qx.buffer_position()).expect("invariant: position fits");
        at + self.origin
    }

    /// The next token. `open` is the name of the innermost open element (empty outside the
    /// root): its end tag `</open>` is taken by a comparison instead of a scan.
    #[inline(always)]
    pub(super) fn next(&mut self, open: &'a [u8]) -> Result<Token<'a>, LexError> {
        if !self.scan {
            return self.event();
        }
        let at = self.after();
        self.start = at;
        // invariant: the position never passes the input's end (quick-xml's and the scan's
        // reads stay inside the slice).
        #[allow(clippy::expect_used)]
        let rest = self.input.get(at..).expect("invariant: inside the input");
        let (token, len) = match rest.first() {
            None => return Ok(Token::Eof),
            Some(b'<') => match markup(rest, open) {
                Some(taken) => taken,
                None => return self.event(),
            },
            Some(b'&') => reference(at, rest)?,
            Some(_) => text(at, rest)?,
        };
        self.qx.stream().consume(len);
        Ok(token)
    }

    /// The next token read through quick-xml (all markup the scan does not take, and every
    /// byte in events-only mode).
    #[inline(never)]
    fn event(&mut self) -> Result<Token<'a>, LexError> {
        loop {
            self.start = self.after();
            let token = match self.qx.read_event() {
                Err(e) => return Err(self.qx_error(&e)),
                Ok(Event::Start(e)) => Token::Start {
                    content: self.borrow(e.as_bytes()),
                    name_len: e.name().as_ref().len(),
                    empty: false,
                },
                Ok(Event::Empty(e)) => Token::Start {
                    content: self.borrow(e.as_bytes()),
                    name_len: e.name().as_ref().len(),
                    empty: true,
                },
                Ok(Event::End(e)) => Token::End(self.borrow(e.name().as_ref().as_bytes())),
                Ok(Event::Text(t)) => {
                    let text = borrowed(t.into_inner());
                    if text.is_empty() {
                        continue;
                    }
                    Token::Text(text)
                }
                Ok(Event::CData(c)) => Token::CData(borrowed(c.into_inner())),
                Ok(Event::GeneralRef(r)) => Token::Ref(self.borrow_str(&r)),
                Ok(Event::Comment(_)) => Token::Comment,
                Ok(Event::PI(pi)) => Token::Pi(self.borrow_str(pi.target())),
                Ok(Event::Decl(d)) => Token::Decl(self.borrow(d.as_bytes())),
                Ok(Event::DocType(t)) => Token::DocType(borrowed(t.into_inner())),
                Ok(Event::Eof) => Token::Eof,
            };
            return Ok(token);
        }
    }

    /// `s`, which quick-xml borrowed from the input, with the input's lifetime.
    fn borrow(&self, s: &[u8]) -> &'a [u8] {
        let at = (s.as_ptr() as usize).wrapping_sub(self.input.as_ptr() as usize);
        // invariant: a `Reader` on a slice returns events that borrow that slice.
        #[allow(clippy::expect_used)]
        self.input
            .get(at..at.wrapping_add(s.len()))
            .expect("invariant: events borrow the input")
    }

    fn borrow_str(&self, s: &str) -> &'a str {
        let b = self.borrow(s.as_bytes());
        // invariant: the same bytes as `s`, which is a `str`.
        #[allow(clippy::expect_used)]
        core::str::from_utf8(b).expect("invariant: the bytes of a str")
    }

    #[cold]
    #[inline(never)]
    fn qx_error(&self, e: &quick_xml::Error) -> LexError {
        // invariant: as for `after`.
        #[allow(clippy::expect_used)]
        let offset = usize::try_from(self.qx.error_position()).expect("invariant: position fits")
            + self.origin;
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
                // updated for these): every byte before the token being read is valid UTF-8,
                // so the first invalid one from the token's start is the one.
                let from = self.start.min(self.input.len());
                let exact = match core::str::from_utf8(&self.input[from..]) {
                    Ok(_) => offset,
                    Err(u) => from + u.valid_up_to(),
                };
                return encoding(exact);
            }
            quick_xml::Error::Escape(_) => (ErrorKind::Entity, "bad reference"),
            _ => (ErrorKind::Syntax, "ill-formed xml"),
        };
        LexError {
            kind,
            offset,
            detail,
        }
    }
}

/// A borrowed event text (a `Reader` on a slice never copies).
fn borrowed(c: Cow<'_, str>) -> &str {
    let s = match c {
        Cow::Borrowed(s) => Some(s),
        Cow::Owned(_) => None,
    };
    // invariant: a `Reader` on a slice returns borrowed text (it never unescapes).
    #[allow(clippy::expect_used)]
    s.expect("invariant: events borrow the input")
}

fn encoding(offset: usize) -> LexError {
    LexError {
        kind: ErrorKind::Encoding,
        offset,
        detail: "invalid utf-8 sequence",
    }
}

/// Character data at `at`: up to markup, a reference or the end.
#[inline(always)]
fn text(at: usize, rest: &[u8]) -> Result<(Token<'_>, usize), LexError> {
    let end = memchr::memchr2(b'<', b'&', rest).unwrap_or(rest.len());
    match core::str::from_utf8(&rest[..end]) {
        Ok(s) => Ok((Token::Text(s), end)),
        Err(e) => Err(encoding(at + e.valid_up_to())),
    }
}

/// A reference `&name;` at `at` (the name not checked here); what quick-xml reports for a `&`
/// that starts none: invalid UTF-8 before the next `&`, `<` or the end, else an unclosed
/// reference.
#[inline]
fn reference(at: usize, rest: &[u8]) -> Result<(Token<'_>, usize), LexError> {
    let tail = &rest[1..];
    let stop = memchr::memchr3(b';', b'&', b'<', tail);
    let name = &tail[..stop.unwrap_or(tail.len())];
    let name = core::str::from_utf8(name).map_err(|e| encoding(at + 1 + e.valid_up_to()))?;
    match stop {
        Some(semi) if tail[semi] == b';' => Ok((Token::Ref(name), semi + 2)),
        _ => Err(LexError {
            kind: ErrorKind::Syntax,
            offset: at,
            detail: "'&' that starts no reference",
        }),
    }
}

/// A start or end tag or a CDATA section at the start of `rest` (which begins with `<`), when
/// it is there whole and valid UTF-8, with its length; `None` for anything else, which
/// quick-xml then reads (and reports). `</open>` is the end tag of the innermost open element,
/// whose name (checked when its start tag was read) holds no quote, white space or `>` and is
/// valid UTF-8: the bytes compared are exactly the tag a scan would find.
#[inline(always)]
fn markup<'a>(rest: &'a [u8], open: &'a [u8]) -> Option<(Token<'a>, usize)> {
    match *rest.get(1)? {
        b'!' => {
            let section = rest.strip_prefix(b"<![CDATA[")?;
            let close = find_cdata_end(section)?;
            let text = core::str::from_utf8(&section[..close]).ok()?;
            Some((Token::CData(text), 9 + close + 3))
        }
        b'?' => None,
        b'/' => {
            if !open.is_empty()
                && let Some(tail) = rest[2..].strip_prefix(open)
                && tail.first() == Some(&b'>')
            {
                return Some((Token::Close, 2 + open.len() + 1));
            }
            let close = tag_end(rest)?;
            let content = &rest[2..close];
            let name_end = content
                .iter()
                .rposition(|&b| !is_xml_ws(b))
                .map_or(content.len(), |i| i + 1);
            Some((Token::End(&content[..name_end]), close + 1))
        }
        _ => {
            let close = tag_end(rest)?;
            let (content, empty) = match &rest[1..close] {
                [c @ .., b'/'] => (c, true),
                c => (c, false),
            };
            let name_len = content
                .iter()
                .position(|&b| is_xml_ws(b))
                .unwrap_or(content.len());
            Some((
                Token::Start {
                    content,
                    name_len,
                    empty,
                },
                close + 1,
            ))
        }
    }
}

/// Where the tag at the start of `b` ends: its first `>` outside a quoted attribute value (the
/// boundary quick-xml's reader uses too), when the tag is valid UTF-8.
///
/// The first `>` is found by memchr, and one branch-free pass over the bytes before it says
/// whether it is outside quotes (no `'` and an even number of `"`) and whether they are ASCII;
/// a tag with other quoting takes the quote-aware loop.
#[inline(always)]
fn tag_end(b: &[u8]) -> Option<usize> {
    let gt = memchr::memchr(b'>', b)?;
    let head = &b[..gt];
    let (mut double, mut single, mut high) = (0u32, 0u8, 0u8);
    for &c in head {
        double += u32::from(c == b'"');
        single |= u8::from(c == b'\'');
        high |= c;
    }
    if single != 0 || double % 2 != 0 {
        return quoted_tag_end(b);
    }
    if high >= 0x80 {
        core::str::from_utf8(head).ok()?;
    }
    Some(gt)
}

/// [`tag_end`] for a tag whose first `>` may be inside quotes: a plain loop.
#[inline(never)]
fn quoted_tag_end(b: &[u8]) -> Option<usize> {
    let mut quote = 0u8;
    for (i, &c) in b.iter().enumerate() {
        if quote == 0 {
            match c {
                b'>' => {
                    core::str::from_utf8(&b[..i]).ok()?;
                    return Some(i);
                }
                b'"' | b'\'' => quote = c,
                _ => {}
            }
        } else if c == quote {
            quote = 0;
        }
    }
    None
}
