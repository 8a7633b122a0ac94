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

        /// The known names by [`slot`] of their [`key`] (a perfect hash: a unit test checks that
        /// no two names share a slot).
        const TABLE: [El; 256] = {
            let mut t = [El::Other; 256];
            $(t[slot(key(stringify!($s).as_bytes()))] = El::$s;)*
            $(t[slot(key(stringify!($m).as_bytes()))] = El::$m;)*
            t
        };

        impl El {
            /// Every known element.
            #[cfg(test)]
            pub(crate) const ALL: &'static [El] = &[$(El::$s,)* $(El::$m,)*];

            /// The element with this local name: one table look-up and one comparison.
            #[inline]
            pub(crate) fn of(local: &[u8]) -> El {
                let el = TABLE[slot(key(local))];
                if el != El::Other && eq_same_len(el.name().as_bytes(), local) {
                    el
                } else {
                    El::Other
                }
            }

            /// The local name.
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

/// Compares two byte strings already known to have the same length, without a library call for
/// the short names this crate compares.
#[inline]
fn eq_same_len(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let w8 = |s: &[u8], i: usize| {
        s.get(i..i + 8)
            .and_then(|w| w.try_into().ok())
            .map(u64::from_ne_bytes)
    };
    let w4 = |s: &[u8], i: usize| {
        s.get(i..i + 4)
            .and_then(|w| w.try_into().ok())
            .map(u32::from_ne_bytes)
    };
    if (8..=16).contains(&n) {
        w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8)
    } else if (4..8).contains(&n) {
        w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4)
    } else {
        a == b
    }
}

/// The multiplier that makes [`slot`] collision-free over the known names (found by search).
const HASH_MUL: u32 = 0xf8c2_c889;

/// The table slot of a key.
const fn slot(key: u32) -> usize {
    (key.wrapping_mul(HASH_MUL) >> 24) as usize
}

/// A cheap lookup key for a name: its length and three of its bytes. The known names have
/// distinct keys (a unit test checks); a candidate is always confirmed by a full comparison.
const fn key(n: &[u8]) -> u32 {
    let len = n.len();
    if len == 0 || len > 255 {
        return 0;
    }
    ((len as u32) << 24) | ((n[0] as u32) << 16) | ((n[len / 2] as u32) << 8) | (n[len - 1] as u32)
}

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
    fn vocabularies_are_disjoint_and_keys_unique() {
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
        for (i, a) in El::ALL.iter().enumerate() {
            assert_eq!(El::of(a.name().as_bytes()), *a);
            assert_eq!(
                TABLE[slot(key(a.name().as_bytes()))],
                *a,
                "slot collision for {a:?}"
            );
            for b in &El::ALL[i + 1..] {
                assert_ne!(
                    key(a.name().as_bytes()),
                    key(b.name().as_bytes()),
                    "{a:?} {b:?}"
                );
            }
        }
        for other in ["", "Syncml", "Alerts", "Sizf", "x", "SyncMLSyncMLSyncML"] {
            assert_eq!(El::of(other.as_bytes()), El::Other, "{other}");
        }
    }

    #[test]
    fn short_comparisons() {
        for (a, b, eq) in [
            (&b"abc"[..], &b"abc"[..], true),
            (b"abd", b"abc", false),
            (b"abcd", b"abcd", true),
            (b"abcde", b"abxde", false),
            (b"abcdefgh", b"abcdefgh", true),
            (b"abcdefghijk", b"abcdefghijx", false),
            (b"abcdefghijk", b"xbcdefghijk", false),
            (b"abcdefghijklmnopq", b"abcdefghijklmnopq", true),
            (b"abcdefghijklmnopq", b"abcdefghiXklmnopq", false),
            (b"ab", b"abc", false),
        ] {
            assert_eq!(eq_same_len(a, b), eq, "{a:?} {b:?}");
        }
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
