//! The element vocabularies the decoder tells apart: SyncML RepPro element names and MetInf
//! element names (to say "misplaced" rather than "unknown"), and XML's own character classes.

/// Whether `local` names an element of the SyncML representation protocol (DM or DS).
pub(crate) fn is_syncml(local: &[u8]) -> bool {
    matches!(
        local,
        b"Add"
            | b"Alert"
            | b"Archive"
            | b"Atomic"
            | b"Chal"
            | b"Cmd"
            | b"CmdID"
            | b"CmdRef"
            | b"Copy"
            | b"Correlator"
            | b"Cred"
            | b"Data"
            | b"Delete"
            | b"Exec"
            | b"Field"
            | b"Filter"
            | b"FilterType"
            | b"Final"
            | b"Get"
            | b"Item"
            | b"Lang"
            | b"LocName"
            | b"LocURI"
            | b"Map"
            | b"MapItem"
            | b"Meta"
            | b"MoreData"
            | b"Move"
            | b"MsgID"
            | b"MsgRef"
            | b"NoResp"
            | b"NoResults"
            | b"NumberOfChanges"
            | b"Put"
            | b"Record"
            | b"Replace"
            | b"RespURI"
            | b"Results"
            | b"Search"
            | b"Sequence"
            | b"SessionID"
            | b"SftDel"
            | b"Source"
            | b"SourceParent"
            | b"SourceRef"
            | b"Status"
            | b"Sync"
            | b"SyncBody"
            | b"SyncHdr"
            | b"SyncML"
            | b"Target"
            | b"TargetParent"
            | b"TargetRef"
            | b"VerDTD"
            | b"VerProto"
    )
}

/// Whether `local` names an element of the MetInf DTD (`syncml:metinf`).
pub(crate) fn is_metinf(local: &[u8]) -> bool {
    matches!(
        local,
        b"Anchor"
            | b"EMI"
            | b"FieldLevel"
            | b"Format"
            | b"FreeID"
            | b"FreeMem"
            | b"Last"
            | b"Mark"
            | b"MaxMsgSize"
            | b"MaxObjSize"
            | b"Mem"
            | b"MetInf"
            | b"Next"
            | b"NextNonce"
            | b"SharedMem"
            | b"Size"
            | b"Type"
            | b"Version"
    )
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
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
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
    // A branch-free pass over fixed chunks (vectorises), then a precise look only at a suspect
    // chunk: C0 controls are rare and 0xEF only starts U+F000..U+FFFF.
    const CHUNK: usize = 64;
    for (i, chunk) in input.chunks(CHUNK).enumerate() {
        let suspect = chunk.iter().fold(false, |acc, &b| {
            acc | ((b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')) | (b == 0xEF)
        });
        if suspect {
            let base = i * CHUNK;
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
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_are_disjoint() {
        for n in [
            "Type", "Format", "Mark", "Anchor", "Next", "Version", "Size",
        ] {
            assert!(is_metinf(n.as_bytes()) && !is_syncml(n.as_bytes()), "{n}");
        }
        for n in ["Meta", "Data", "LocURI", "SyncML"] {
            assert!(is_syncml(n.as_bytes()) && !is_metinf(n.as_bytes()), "{n}");
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
