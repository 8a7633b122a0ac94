//! The WBXML vocabulary of SyncML DM: the global tokens, the public identifiers, and the tag
//! tokens of code page 0 (SyncML) and code page 1 (MetInf), as one element enum.

/// `SWITCH_PAGE`: the next byte is the new tag code page.
pub(crate) const SWITCH_PAGE: u8 = 0x00;
/// `END`: closes the innermost element.
pub(crate) const END: u8 = 0x01;
/// `ENTITY`: an mb_u_int32 character code.
pub(crate) const ENTITY: u8 = 0x02;
/// `STR_I`: an inline string, NUL-terminated.
pub(crate) const STR_I: u8 = 0x03;
/// `LITERAL`: a tag named by the string table (and its content/attribute variants).
pub(crate) const LITERAL: u8 = 0x04;
/// `EXT_I_0..2`.
pub(crate) const EXT_I_0: u8 = 0x40;
/// `PI`: a processing instruction.
pub(crate) const PI: u8 = 0x43;
/// `EXT_T_0..2`.
pub(crate) const EXT_T_0: u8 = 0x80;
/// `STR_T`: a string-table reference.
pub(crate) const STR_T: u8 = 0x83;
/// `EXT_0..2`.
pub(crate) const EXT_0: u8 = 0xC0;
/// `OPAQUE`: an mb_u_int32 length and that many bytes.
pub(crate) const OPAQUE: u8 = 0xC3;

/// The tag flag: the element has content (and an `END`).
pub(crate) const HAS_CONTENT: u8 = 0x40;
/// The tag flag: the element has attributes.
pub(crate) const HAS_ATTRIBUTES: u8 = 0x80;

/// The IANA MIBenum of UTF-8, the only charset accepted.
pub(crate) const UTF_8: u32 = 106;

/// Public identifier: unknown (the document type comes from elsewhere).
pub(crate) const PUBLIC_ID_UNKNOWN: u32 = 0x01;
/// Public identifier of `-//SYNCML//DTD SyncML 1.1//EN`.
pub(crate) const PUBLIC_ID_SYNCML_1_1: u32 = 0x0FD3;
/// Public identifier of `-//SYNCML//DTD SyncML 1.2//EN`.
pub(crate) const PUBLIC_ID_SYNCML_1_2: u32 = 0x1201;
/// The formal public identifier of SyncML 1.1.
pub(crate) const FPI_SYNCML_1_1: &[u8] = b"-//SYNCML//DTD SyncML 1.1//EN";
/// The formal public identifier of SyncML 1.2.
pub(crate) const FPI_SYNCML_1_2: &[u8] = b"-//SYNCML//DTD SyncML 1.2//EN";

/// The code page of the SyncML elements.
pub(crate) const PAGE_SYNCML: u8 = 0;
/// The code page of the MetInf elements.
pub(crate) const PAGE_METINF: u8 = 1;

macro_rules! elements {
    (
        syncml { $($s:ident = $st:literal,)* }
        metinf { $($m:ident = $mt:literal,)* }
    ) => {
        /// An element of the SyncML (page 0) or MetInf (page 1) code page.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(clippy::upper_case_acronyms)]
        pub(crate) enum El {
            $($s,)*
            $($m,)*
        }

        impl El {
            /// The element for a tag identity (the token without its flags) on a code page.
            #[inline]
            pub(crate) fn from_token(page: u8, id: u8) -> Option<El> {
                const fn table(page: u8) -> [Option<El>; 64] {
                    let mut t = [None; 64];
                    $(if page == PAGE_SYNCML { t[$st] = Some(El::$s); })*
                    $(if page == PAGE_METINF { t[$mt] = Some(El::$m); })*
                    t
                }
                const SYNCML: [Option<El>; 64] = table(PAGE_SYNCML);
                const METINF: [Option<El>; 64] = table(PAGE_METINF);
                let t = match page {
                    PAGE_SYNCML => &SYNCML,
                    PAGE_METINF => &METINF,
                    _ => return None,
                };
                t.get(usize::from(id)).copied().flatten()
            }

            /// The code page and the tag identity.
            #[inline]
            pub(crate) const fn token(self) -> (u8, u8) {
                match self {
                    $(El::$s => (PAGE_SYNCML, $st),)*
                    $(El::$m => (PAGE_METINF, $mt),)*
                }
            }

            /// The XML local name.
            pub(crate) const fn name(self) -> &'static str {
                match self {
                    $(El::$s => stringify!($s),)*
                    $(El::$m => stringify!($m),)*
                }
            }
        }
    };
}

elements! {
    syncml {
        Add = 0x05, Alert = 0x06, Archive = 0x07, Atomic = 0x08, Chal = 0x09, Cmd = 0x0A,
        CmdID = 0x0B, CmdRef = 0x0C, Copy = 0x0D, Cred = 0x0E, Data = 0x0F, Delete = 0x10,
        Exec = 0x11, Final = 0x12, Get = 0x13, Item = 0x14, Lang = 0x15, LocName = 0x16,
        LocURI = 0x17, Map = 0x18, MapItem = 0x19, Meta = 0x1A, MsgID = 0x1B, MsgRef = 0x1C,
        NoResp = 0x1D, NoResults = 0x1E, Put = 0x1F, Replace = 0x20, RespURI = 0x21,
        Results = 0x22, Search = 0x23, Sequence = 0x24, SessionID = 0x25, SftDel = 0x26,
        Source = 0x27, SourceRef = 0x28, Status = 0x29, Sync = 0x2A, SyncBody = 0x2B,
        SyncHdr = 0x2C, SyncML = 0x2D, Target = 0x2E, TargetRef = 0x2F, VerDTD = 0x31,
        VerProto = 0x32, NumberOfChanges = 0x33, MoreData = 0x34, Field = 0x35, Filter = 0x36,
        Record = 0x37, FilterType = 0x38, SourceParent = 0x39, TargetParent = 0x3A, Move = 0x3B,
        Correlator = 0x3C,
    }
    metinf {
        Anchor = 0x05, EMI = 0x06, Format = 0x07, FreeID = 0x08, FreeMem = 0x09, Last = 0x0A,
        Mark = 0x0B, MaxMsgSize = 0x0C, Mem = 0x0D, MetInf = 0x0E, Next = 0x0F,
        NextNonce = 0x10, SharedMem = 0x11, Size = 0x12, Type = 0x13, Version = 0x14,
        MaxObjSize = 0x15, FieldLevel = 0x16,
    }
}

impl El {
    /// Whether the element is on the MetInf code page (the MetInf variants come last).
    #[inline]
    pub(crate) const fn is_metinf(self) -> bool {
        self as u8 >= El::Anchor as u8
    }
}
