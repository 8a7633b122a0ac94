//! Names and namespaces: opening an element (limits, the namespace declarations and other
//! attributes of its start tag, prefix resolution, name checks) and resolving references.

use std::borrow::Cow;

use omadm_syncml::SyncMlVersion;

use super::{Decoder, Result};
use crate::error::{ErrorKind, Limit};
use crate::names::{El, is_xml_char, is_xml_name, is_xml_ws};

/// A namespace as far as the decoder cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ns {
    None,
    SyncMl(SyncMlVersion),
    MetInf,
    Other,
}

/// The most attributes (namespace declarations included) on one element.
const MAX_ATTRIBUTES: usize = 64;
/// The most namespace prefix declarations in scope at once.
const MAX_BINDINGS: usize = 64;

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

/// An open element.
#[derive(Clone)]
pub(super) struct Frame<'a> {
    pub(super) qname: &'a [u8],
    /// The default namespace in effect inside this element.
    pub(super) default_ns: Ns,
    /// `prefixes.len()` before this element's declarations.
    pub(super) prefix_mark: usize,
}

#[derive(Clone)]
pub(super) struct Binding<'a> {
    pub(super) prefix: &'a [u8],
    pub(super) ns: Ns,
}

/// A start tag, resolved.
#[derive(Clone, Copy)]
pub(super) struct Tag {
    pub(super) el: El,
    pub(super) ns: Ns,
    /// The offset of `<` (inputs are at most `u32::MAX` bytes: see `Decoder::new`).
    offset: u32,
}

impl Tag {
    pub(super) fn at(&self) -> usize {
        self.offset as usize
    }
}

impl<'a> Decoder<'a> {
    /// Opens the element whose start tag holds `content` (the name, then the attributes), the
    /// name being its first `name_len` bytes.
    #[inline(always)]
    pub(super) fn start(&mut self, content: &'a [u8], name_len: usize, empty: bool) -> Result<Tag> {
        let (name, _) = split_tag(content, name_len);
        self.open(self.pos + 1, content, name_len, El::of(name), empty)
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
        // The content follows the tag's `<`.
        let offset = content_at - 1;
        let (qname, attrs) = split_tag(content, name_len);

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
            offset: tag_offset(offset),
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
            let name = &raw[name_start..i];
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
            let value_raw = &raw[i..i + vlen];
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

    pub(super) fn reference(&self, name: &str) -> Result<char> {
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

/// A start tag's content split into its name (the first `name_len` bytes) and its attributes.
#[inline(always)]
fn split_tag(content: &[u8], name_len: usize) -> (&[u8], &[u8]) {
    // invariant: the lexer's `name_len` is a prefix length of the content (it stops at the
    // first white space or the end, as quick-xml's does).
    #[allow(clippy::expect_used)]
    content
        .split_at_checked(name_len)
        .expect("invariant: the name is a prefix of the tag")
}

/// A tag's offset as stored in a [`Tag`].
#[inline(always)]
fn tag_offset(offset: usize) -> u32 {
    // invariant: inputs are at most `u32::MAX` bytes (`check_size` refuses longer ones before
    // anything is read), so every offset in one fits.
    #[allow(clippy::expect_used)]
    u32::try_from(offset).expect("invariant: offsets fit in u32")
}

/// The part of a qualified name after its prefix.
pub(super) fn local_part(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|&b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}
