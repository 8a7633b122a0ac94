//! The element vocabularies the decoder tells apart: SyncML RepPro element names and MetInf
//! element names (to say "misplaced" rather than "unknown"), and XML's own character classes.

/// The elements of SyncML RepPro (DM and DS) and of the MetInf DTD, by local name, so that the
/// decoder compares a name once per element and then matches on a small enum.
macro_rules! elements {
    (syncml: $($s:ident)*; metinf: $($m:ident)*;) => {
        #[allow(clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum El {
            $($s,)*
            $($m,)*
            /// Any other name.
            Other,
        }

        impl El {
            /// Every known element.
            #[cfg(test)]
            pub(crate) const ALL: &'static [El] = &[$(El::$s,)* $(El::$m,)*];

            /// The element with this local name: a `match` on the name, which rustc compiles
            /// to a switch on the length and a few comparisons.
            #[inline]
            pub(crate) fn of(local: &[u8]) -> El {
                // Every known name is ASCII and at most `MAX_NAME` bytes long.
                if local.len() > MAX_NAME {
                    return El::Other;
                }
                let Ok(name) = core::str::from_utf8(local) else {
                    return El::Other;
                };
                match name {
                    $(stringify!($s) => El::$s,)*
                    $(stringify!($m) => El::$m,)*
                    _ => El::Other,
                }
            }

            /// The local name.
            #[cfg(test)]
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(El::$s => stringify!($s),)*
                    $(El::$m => stringify!($m),)*
                    El::Other => "",
                }
            }

            /// Whether this is an element of SyncML RepPro (DM or DS).
            #[cfg(test)]
            pub(crate) fn is_syncml(self) -> bool {
                matches!(self, $(El::$s)|*)
            }

            /// Whether this is an element of the MetInf DTD.
            pub(crate) fn is_metinf(self) -> bool {
                matches!(self, $(El::$m)|*)
            }
        }
    };
}

/// The length of the longest known name (`NumberOfChanges`; a unit test checks).
const MAX_NAME: usize = 15;

elements! {
    syncml: Add Alert Archive Atomic Chal Cmd CmdID CmdRef Copy Correlator Cred Data Delete Exec Field Filter FilterType Final Get Item Lang LocName LocURI Map MapItem Meta MoreData Move MsgID MsgRef NoResp NoResults NumberOfChanges Put Record Replace RespURI Results Search Sequence SessionID SftDel Source SourceParent SourceRef Status Sync SyncBody SyncHdr SyncML Target TargetParent TargetRef VerDTD VerProto;
    metinf: Anchor EMI FieldLevel Format FreeID FreeMem Last Mark MaxMsgSize MaxObjSize Mem MetInf Next NextNonce SharedMem Size Type Version;
}

/// XML white space (`S`): space, TAB, CR, LF.
#[inline]
pub(crate) fn is_xml_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Whether the whole text is XML white space.
#[inline]
pub(crate) fn all_ws(s: &str) -> bool {
    s.as_bytes().iter().all(|&b| is_xml_ws(b))
}

/// Trims XML white space (only space, TAB, CR, LF) from both ends.
#[inline]
pub(crate) fn trim_ws(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if !is_xml_ws(f) && !is_xml_ws(l) => s,
        _ => s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n')),
    }
}

/// Whether `c` is an XML 1.0 `Char`.
#[inline]
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `name` can be an XML name (`Name`, approximated: ASCII characters are checked exactly,
/// non-ASCII characters are accepted).
pub(crate) fn is_xml_name(b: &[u8]) -> bool {
    let Some(&first) = b.first() else {
        return false;
    };
    if first.is_ascii() && !(first.is_ascii_alphabetic() || first == b'_' || first == b':') {
        return false;
    }
    b.iter().all(|&c| {
        !c.is_ascii() || c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'-' | b'.')
    })
}

/// Where the first `]]>` in `b` starts: the end of a CDATA section's content, and what character
/// data may not hold. One scanner for the decoder and the encoder: memchr finds each `>` (rare
/// in DM text), then the two bytes before it are compared. (`memchr::memmem::find` builds a
/// searcher per call: +5-7% of the decode's instructions, docs/PERFORMANCE.md.)
#[inline]
pub(crate) fn find_cdata_end(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + memchr::memchr(b'>', b.get(from..)?)?;
        if at >= 2 && b[at - 2] == b']' && b[at - 1] == b']' {
            return Some(at - 2);
        }
        from = at + 1;
    }
}

/// Whether text holds `]]>`, which character data may not.
#[inline]
pub(crate) fn has_cdata_end(b: &[u8]) -> bool {
    find_cdata_end(b).is_some()
}

/// The offset of the first byte that cannot appear in an XML 1.0 document made of valid UTF-8:
/// a C0 control other than TAB, LF, CR, or the first byte of U+FFFE / U+FFFF.
pub(crate) fn first_non_xml_char(input: &[u8]) -> Option<usize> {
    // A branch-free pass over fixed-size chunks (it vectorises), then a precise look only at a
    // suspect chunk: C0 controls other than white space are rare, and 0xEF only starts
    // U+F000..U+FFFF.
    const CHUNK: usize = 32;
    let mut chunks = input.chunks_exact(CHUNK);
    for (i, chunk) in chunks.by_ref().enumerate() {
        if let Ok(c) = <&[u8; CHUNK]>::try_from(chunk)
            && suspect(c)
            && let Some(at) = precise(input, i * CHUNK, chunk)
        {
            return Some(at);
        }
    }
    let rest = chunks.remainder();
    precise(input, input.len() - rest.len(), rest)
}

#[inline]
fn suspect(c: &[u8; 32]) -> bool {
    let mut acc = 0u8;
    for &b in c {
        let control =
            u8::from(b < 0x20) & u8::from(b != b'\t') & u8::from(b != b'\n') & u8::from(b != b'\r');
        acc |= control | u8::from(b == 0xEF);
    }
    acc != 0
}

fn precise(input: &[u8], base: usize, chunk: &[u8]) -> Option<usize> {
    for (j, &b) in chunk.iter().enumerate() {
        let at = base + j;
        if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
            return Some(at);
        }
        if b == 0xEF
            && input.get(at + 1) == Some(&0xBF)
            && matches!(input.get(at + 2), Some(0xBE | 0xBF))
        {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_are_disjoint_and_names_found() {
        for n in [
            "Type", "Format", "Mark", "Anchor", "Next", "Version", "Size",
        ] {
            let e = El::of(n.as_bytes());
            assert!(e.is_metinf() && !e.is_syncml(), "{n}");
        }
        for n in ["Meta", "Data", "LocURI", "SyncML"] {
            let e = El::of(n.as_bytes());
            assert!(e.is_syncml() && !e.is_metinf(), "{n}");
        }
        for a in El::ALL {
            assert_eq!(El::of(a.name().as_bytes()), *a);
            assert!(a.name().is_ascii() && a.name().len() <= MAX_NAME, "{a:?}");
        }
        assert_eq!(El::ALL.iter().map(|a| a.name().len()).max(), Some(MAX_NAME));
        for other in [
            "",
            "Syncml",
            "Alerts",
            "Sizf",
            "x",
            "SyncMLSyncMLSyncML",
            "Other",
        ] {
            assert_eq!(El::of(other.as_bytes()), El::Other, "{other}");
        }
        assert_eq!(El::of(b"Size\xFF"), El::Other);
    }

    #[test]
    fn non_xml_chars_are_found() {
        assert_eq!(first_non_xml_char(b"abc\t\r\n"), None);
        assert_eq!(first_non_xml_char(b"ab\x01c"), Some(2));
        assert_eq!(first_non_xml_char("x\u{FFFE}".as_bytes()), Some(1));
        assert_eq!(first_non_xml_char("x\u{FFFD}\u{F000}".as_bytes()), None);
        let mut long = vec![b'a'; 200];
        long[130] = 0;
        assert_eq!(first_non_xml_char(&long), Some(130));
    }

    #[test]
    fn names() {
        assert!(is_xml_name(b"a:b-c.d_e1"));
        assert!(is_xml_name("é".as_bytes()));
        assert!(!is_xml_name(b"1a"));
        assert!(!is_xml_name(b"a\"b"));
        assert!(!is_xml_name(b""));
    }
}
