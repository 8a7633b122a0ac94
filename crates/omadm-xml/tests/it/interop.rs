//! The interop corpus (`../shared/corpus/interop/`, real messages published by others; see its
//! SOURCES.md): every file has its expected outcome in [`TABLE`]. Well-formed DM messages decode,
//! agree with the header scan and round-trip; malformed ones and data-sync-only ones fail with
//! the named kind. Every row that departs from that rule (and every non-XML file) says why.

use omadm_syncml::ValueError;
use omadm_xml::{DsCommand, ErrorKind, Limits, decode, decode_header, decode_located, encode};

use crate::support::shared;

enum Expect {
    /// Decodes, agrees with `decode_header`, and round-trips.
    Decodes,
    /// Fails with this kind.
    Fails(ErrorKind),
}

use Expect::{Decodes, Fails};

const MISSING_HDR: ErrorKind = ErrorKind::MissingElement("SyncHdr");
const BAD_SESSION_ID: ErrorKind = ErrorKind::InvalidValue(ValueError::SessionId);

/// `(file, expected outcome, reason)`. The reason is empty where the outcome is the rule's:
/// a well-formed DM message decodes; a malformed one fails with the kind its defect names; a
/// data-sync message fails with `UnsupportedCommand`.
const TABLE: &[(&str, Expect, &str)] = &[
    (
        "MANIFEST.json",
        Fails(ErrorKind::UnexpectedText),
        "corpus metadata (JSON), not a message",
    ),
    (
        "SOURCES.md",
        Fails(ErrorKind::UnexpectedText),
        "corpus metadata (Markdown), not a message",
    ),
    (
        "aosp-dm11-get.wbxml",
        Fails(ErrorKind::Syntax),
        "binary WBXML, not XML: control byte at offset 0",
    ),
    (
        "aosp-dm11-replace.wbxml",
        Fails(ErrorKind::Syntax),
        "binary WBXML, not XML: control byte at offset 0",
    ),
    ("aosp-dm12-add-cred-basic-datatypes.xml", Decodes, ""),
    (
        "aosp-dm12-add.wbxml",
        Fails(ErrorKind::Syntax),
        "binary WBXML, not XML: control byte at offset 0",
    ),
    ("aosp-dm12-alert-1100-display.xml", Decodes, ""),
    (
        "aosp-dm12-alert-1101-confirm.xml",
        Fails(ErrorKind::Syntax),
        "",
    ),
    ("aosp-dm12-alert-1101-in-atomic.xml", Decodes, ""),
    (
        "aosp-dm12-alert-1102-textinput.xml",
        Fails(ErrorKind::Syntax),
        "",
    ),
    (
        "aosp-dm12-alert-1104-multichoice.xml",
        Fails(ErrorKind::Syntax),
        "",
    ),
    ("aosp-dm12-client-results-generated.xml", Decodes, ""),
    (
        "aosp-dm12-delete.wbxml",
        Fails(ErrorKind::Syntax),
        "binary WBXML, not XML: control byte at offset 0",
    ),
    ("aosp-dm12-exec.xml", Decodes, ""),
    (
        "aosp-dm12-get-cred-basic.wbxml",
        Fails(ErrorKind::Syntax),
        "binary WBXML, not XML: control byte at offset 0",
    ),
    (
        "aosp-dm12-replace.wbxml",
        Fails(ErrorKind::Syntax),
        "binary WBXML, not XML: control byte at offset 0",
    ),
    (
        "buteo-basic-transport.wbxml",
        Fails(ErrorKind::Syntax),
        "binary WBXML, not XML: control byte at offset 0",
    ),
    (
        "buteo-basic-transport.xml",
        Fails(BAD_SESSION_ID),
        "well-formed, but <SessionID/> is empty and the model needs 1 to 32 characters",
    ),
    (
        "buteo-ds-alert-cdata-data.xml",
        Fails(ErrorKind::UnsupportedCommand(DsCommand::Sync)),
        "",
    ),
    (
        "buteo-ds-init-cred-basic-devinf.xml",
        Fails(ErrorKind::UnsupportedCommand(DsCommand::Put)),
        "",
    ),
    (
        "buteo-ds-init-cred-basic.xml",
        Decodes,
        "a data-sync init message, but its body holds only Alerts and a Status, which DM shares",
    ),
    (
        "buteo-ds-init-cred-md5.xml",
        Decodes,
        "a data-sync init message, but its body holds only Alerts, which DM shares",
    ),
    (
        "buteo-ds-resp-chal-md5-nextnonce.xml",
        Fails(ErrorKind::UnsupportedCommand(DsCommand::Sync)),
        "",
    ),
    (
        "buteo-ds-san-pkg0.bin",
        Fails(ErrorKind::Syntax),
        "binary DS server-alerted notification, not XML: control byte at offset 0",
    ),
    (
        "buteo-fragment-alert-cdata.xml",
        Fails(ErrorKind::MisplacedElement),
        "fragment: the root is <Alert>, not <SyncML>",
    ),
    (
        "buteo-fragment-synchdr-maxmsgsize.xml",
        Fails(ErrorKind::MisplacedElement),
        "fragment: the root is <SyncHdr>, not <SyncML>",
    ),
    (
        "buteo-malformed-1-decl-only.xml",
        Fails(ErrorKind::UnexpectedEof),
        "",
    ),
    ("buteo-malformed-2-empty-syncml.xml", Fails(MISSING_HDR), ""),
    (
        "buteo-malformed-3-no-body.xml",
        Fails(ErrorKind::MissingElement("VerDTD")),
        "its empty SyncHdr lacks VerDTD before the missing SyncBody is noticed",
    ),
    ("buteo-malformed-4-no-header.xml", Fails(MISSING_HDR), ""),
    (
        "buteo-malformed-5-two-headers.xml",
        Fails(ErrorKind::MissingElement("VerDTD")),
        "its first (empty) SyncHdr lacks VerDTD before the second one is reached",
    ),
    (
        "buteo-malformed-6-two-bodies.xml",
        Fails(ErrorKind::MissingElement("VerDTD")),
        "its empty SyncHdr lacks VerDTD before the second SyncBody is reached",
    ),
    (
        "fleet-poc-remarshal-alert-1226-xmlns-empty.xml",
        Fails(ErrorKind::MisplacedElement),
        "fragment: the root is <Alert>, not <SyncML>",
    ),
    (
        "fleet-poc-server-status-response.xml",
        Fails(ErrorKind::Syntax),
        "",
    ),
    ("fleet-poc-win-checkin-1201.wire.xml", Decodes, ""),
    ("fleet-poc-win-checkin-1201.xml", Decodes, ""),
    ("fleet-poc-win-unenroll-1226.wire.xml", Decodes, ""),
    ("fleet-poc-win-unenroll-1226.xml", Decodes, ""),
    (
        "libwbxml-dm11-012-sessionid0-add.xml",
        Fails(ErrorKind::InvalidValue(ValueError::MsgId)),
        "well-formed, but MsgID 0 is not a positive integer (XSD positiveInteger)",
    ),
    (
        "libwbxml-fuzz-crash-sigabrt-syncml.wbxml",
        Fails(ErrorKind::Syntax),
        "malformed binary WBXML, not XML: control byte",
    ),
    (
        "libwbxml-fuzz-crash-sigsegv-1.wbxml",
        Fails(ErrorKind::Syntax),
        "malformed binary WBXML, not XML: control byte",
    ),
    (
        "libwbxml-fuzz-crash-sigsegv-2.wbxml",
        Fails(ErrorKind::Syntax),
        "malformed binary WBXML, not XML: control byte",
    ),
    (
        "libwbxml-syncml11-001-status.xml",
        Decodes,
        "a data-sync 1.1 message, but its body holds only a Status, which DM shares (DOCTYPE, no namespace)",
    ),
    (
        "libwbxml-syncml11-003-cred-basic-maxmsgsize.xml",
        Fails(ErrorKind::UnsupportedCommand(DsCommand::Put)),
        "",
    ),
    (
        "libwbxml-syncml11-013-nohdr-vcard.xml",
        Fails(MISSING_HDR),
        "",
    ),
    (
        "libwbxml-syncml11-014-nohdr-cdata.xml",
        Fails(MISSING_HDR),
        "",
    ),
    (
        "libwbxml-syncml12-with-ddf.xml",
        Fails(ErrorKind::UnsupportedCommand(DsCommand::Sync)),
        "",
    ),
    ("mattrax-windows-checkin-cred-md5.xml", Decodes, ""),
    (
        "msdocs-fragment-alert-1224-loginstatus.xml",
        Fails(ErrorKind::MisplacedElement),
        "fragment: the root is <Alert>, not <SyncML>",
    ),
    (
        "msdocs-fragment-alert-1224-mark-informational.xml",
        Fails(ErrorKind::MisplacedElement),
        "fragment: the root is <Alert>, not <SyncML>",
    ),
    (
        "msdocs-fragment-alert-1226-unenroll.xml",
        Fails(ErrorKind::MisplacedElement),
        "fragment: the root is <Alert>, not <SyncML>",
    ),
    (
        "msdocs-unenroll-1226-first-package-broken.xml",
        Fails(ErrorKind::Syntax),
        "",
    ),
    ("omaspec-chal-basic-407.xml", Fails(ErrorKind::Syntax), ""),
    ("omaspec-cred-basic.xml", Fails(ErrorKind::Syntax), ""),
    ("omaspec-cred-md5-kat.xml", Fails(ErrorKind::Syntax), ""),
    (
        "omaspec-cred-md5-maxmsgsize-emdash.xml",
        Fails(ErrorKind::UnexpectedEof),
        "malformed: the em-dash comment opener '<!-—' starts a comment that never closes",
    ),
    (
        "omaspec-fragment-generic-alert-1226-mark.xml",
        Fails(ErrorKind::MisplacedElement),
        "fragment (root <Alert>), refused before its malformed comment is reached",
    ),
    ("omaspec-pkg1-client-init-cred-basic.xml", Decodes, ""),
    ("omaspec-pkg2-server-sequence-alert-1101.xml", Decodes, ""),
    (
        "omaspec-x-syncml-hmac-header.txt",
        Fails(ErrorKind::UnexpectedText),
        "an HTTP header line, not XML",
    ),
];

#[test]
fn every_file_has_its_expected_outcome() {
    let dir = shared().join("corpus/interop");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let listed: Vec<String> = TABLE.iter().map(|(f, _, _)| (*f).to_owned()).collect();
    assert_eq!(
        listed, on_disk,
        "the table must list every corpus file, sorted"
    );

    let mut failures = Vec::new();
    for (file, expect, _) in TABLE {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        match (expect, decode_located(&bytes, &Limits::default())) {
            (Decodes, Ok(d)) => {
                let h = decode_header(&bytes, &Limits::default()).unwrap();
                assert_eq!(h.hdr, d.message.hdr, "{file}: header scan");
                assert_eq!(h.cred_data, d.cred_data, "{file}: header scan span");
                let mut out = Vec::new();
                encode(&d.message, &mut out);
                let again = decode(&out, &Limits::default())
                    .unwrap_or_else(|e| panic!("{file}: re-encoded message does not decode: {e}"));
                assert_eq!(again, d.message, "{file}: round trip");
            }
            (Fails(kind), Err(e)) if e.kind() == kind => {}
            (Decodes, Err(e)) => failures.push(format!("{file}: expected to decode, got {e}")),
            (Fails(kind), Err(e)) => failures.push(format!("{file}: expected {kind:?}, got {e}")),
            (Fails(kind), Ok(_)) => failures.push(format!("{file}: expected {kind:?}, decoded")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn outcome_counts() {
    let decodes = TABLE
        .iter()
        .filter(|(_, e, _)| matches!(e, Decodes))
        .count();
    let exceptions = TABLE.iter().filter(|(_, _, r)| !r.is_empty()).count();
    assert_eq!(TABLE.len(), 60);
    assert_eq!(decodes, 15);
    assert_eq!(exceptions, 30);
}

#[test]
fn interop_aosp_five_digit_session_id() {
    let bytes =
        std::fs::read(shared().join("corpus/interop/aosp-dm12-add-cred-basic-datatypes.xml"))
            .unwrap();
    let m = decode(&bytes, &Limits::DEFAULT).unwrap();
    assert_eq!(m.hdr.session_id.as_str(), "18629");
}

#[test]
fn cred_md5_span_in_a_real_windows_message() {
    // The span locator on a peer's bytes: Cred Data of the (well-formed) Mattrax capture.
    let bytes = std::fs::read(shared().join("corpus/interop/mattrax-windows-checkin-cred-md5.xml"))
        .unwrap();
    let h = decode_header(&bytes, &Limits::default()).unwrap();
    let span = h.cred_data.unwrap();
    assert_eq!(&bytes[span], b"EVEkoFZcVgPM+ESnu9IC0g==");
    assert_eq!(h.hdr.cred.unwrap().scheme(), Some("syncml:auth-md5"));
}

/// A Windows MDM check-in answers the server's header with `<MsgRef>0</MsgRef>`: the model reads
/// `MsgRef` leniently (any 32-bit number) and keeps it as sent.
#[test]
fn interop_windows_status_msg_ref_zero() {
    let bytes = std::fs::read(shared().join("corpus/interop/mattrax-windows-checkin-cred-md5.xml"))
        .unwrap();
    let m = decode(&bytes, &Limits::DEFAULT).unwrap();
    let status = m
        .body
        .commands
        .iter()
        .find_map(|c| match c {
            omadm_syncml::Command::Status(s) => Some(s),
            _ => None,
        })
        .unwrap();
    assert_eq!(status.msg_ref.get(), 0);
}
