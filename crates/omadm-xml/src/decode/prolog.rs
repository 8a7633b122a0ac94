//! Everything outside the root element: the XML declaration, the document type declaration,
//! comments, processing instructions and white space before the root, the root's start tag, and
//! what may follow the root.

use omadm_syncml::{SyncHdr, SyncMlVersion};

use super::lexer::Token;
use super::ns::Ns;
use super::{Ctx, Decoder, Result};
use crate::error::ErrorKind;
use crate::names::{El, all_ws, is_xml_ws};

impl<'a> Decoder<'a> {
    /// Reads up to and including the root start tag.
    pub(super) fn prolog(&mut self) -> Result<()> {
        let bom = if self.input.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let mut seen_doctype = false;
        loop {
            let first = self.after() == bom;
            match self.token_raw()? {
                Token::Decl(content) => {
                    if !first {
                        return Err(self.syntax(self.pos, "xml declaration not at the start"));
                    }
                    self.declaration(content)?;
                }
                Token::DocType(t) => {
                    let upper = self
                        .input
                        .get(self.pos..)
                        .is_some_and(|s| s.starts_with(b"<!DOCTYPE"));
                    if seen_doctype || !upper {
                        return Err(self.err_here(ErrorKind::Doctype, self.pos));
                    }
                    if has_internal_subset(t) {
                        return Err(self
                            .err_here(ErrorKind::Doctype, self.pos)
                            .with_detail("internal subset"));
                    }
                    seen_doctype = true;
                }
                Token::Text(t) => {
                    if !all_ws(t) {
                        return Err(self.err_here(ErrorKind::UnexpectedText, self.pos));
                    }
                }
                Token::Comment => {}
                Token::Pi(target) => self.check_pi(target)?,
                Token::CData(_) => return Err(self.err_here(ErrorKind::UnexpectedText, self.pos)),
                Token::Ref(name) => {
                    self.reference(name)?;
                    return Err(self.err_here(ErrorKind::UnexpectedText, self.pos));
                }
                Token::Start {
                    content,
                    name_len,
                    empty,
                } => return self.root(content, name_len, empty),
                Token::End(_) | Token::Close => {
                    return Err(self.syntax(self.pos, "end tag without start tag"));
                }
                Token::Eof => {
                    return Err(self
                        .err_here(ErrorKind::UnexpectedEof, self.pos)
                        .with_detail("no root element"));
                }
            }
        }
    }

    /// Checks the XML declaration (`xml` then the pseudo-attributes `version`, `encoding`?,
    /// `standalone`?, in that order): version 1.x, encoding UTF-8 if given.
    fn declaration(&self, content: &[u8]) -> Result<()> {
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

    fn root(&mut self, content: &'a [u8], name_len: usize, empty: bool) -> Result<()> {
        let tag = self.start(content, name_len, empty)?;
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
    pub(super) fn version(&self, hdr: &SyncHdr<'_>) -> SyncMlVersion {
        match self.doc_ns {
            Ns::SyncMl(v) => v,
            _ if hdr.ver_dtd == "1.1" => SyncMlVersion::V1_1,
            _ => SyncMlVersion::V1_2,
        }
    }

    /// After the root: only white space, comments and processing instructions.
    pub(super) fn epilog(&mut self) -> Result<()> {
        loop {
            match self.token_raw()? {
                Token::Eof => return Ok(()),
                Token::Text(t) if all_ws(t) => {}
                Token::Comment => {}
                Token::Pi(target) => self.check_pi(target)?,
                Token::End(_) | Token::Close => {
                    return Err(self.syntax(self.pos, "end tag without start tag"));
                }
                _ => return Err(self.err_here(ErrorKind::TrailingContent, self.pos)),
            }
        }
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
