//! Shared test support: the vector account and reports, and an independent verifier of emitted
//! messages (decode, profile check, identity, MAC or credential recomputed with omadm-dmsec).

use std::borrow::Cow;
use std::path::PathBuf;

use omadm_dmsec::{AuthType, MacKey, MacParams, verify_md5};
use omadm_emitter::{
    Account, Algorithm, Carrier, Construction, Emitter, HMAC_HEADER, MsgId, Nonce, Outgoing,
    Secret, SessionlessReport, Username,
};
use omadm_syncml::sessionless;
use omadm_syncml::{Encoding, Format, Mark};

/// `../shared` beside the repository root, where the spec and its vector files live.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

/// A file of `../shared/spec/vectors/`.
pub fn vector(name: &str) -> Vec<u8> {
    let path = shared_dir().join("spec/vectors").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// How an account signs: its carrier, hash and construction (`Mode::default()`: in-message,
/// SHA-256, digest).
pub type Mode = (Carrier, Algorithm, Construction);

/// The transport carrier (no MAC; the hash and construction are unused).
pub const TRANSPORT: Mode = (Carrier::Transport, Algorithm::Sha256, Construction::Digest);

/// The common inputs of `../shared/spec/vectors/README.md`, with MsgID 7.
pub fn vector_account(mode: Mode) -> Account {
    let mut account = Account::new(
        "https://dm.example.net/sessionless",
        "IMEI:356938035643809",
        Username::new("alice").unwrap(),
        Secret::from("correct-horse-battery-staple"),
        Nonce::from_base64("jzocDlt9kqTG4fCz1aeeIQ==").unwrap(),
        16 * 1024,
    );
    account.next_msg_id = MsgId::new(7).unwrap();
    (account.carrier, account.algorithm, account.construction) = mode;
    account
}

/// The two reports of `in-message.xml`.
pub fn vector_reports() -> Vec<SessionlessReport<'static>> {
    vec![
        SessionlessReport::new(
            Some(Cow::Borrowed("./Ext/Battery")),
            "urn:oma:mo:battery:1.0",
            Format::Int,
            Some(Mark::Warning),
            "12",
        )
        .unwrap(),
        SessionlessReport::new(
            None,
            "Reversed-Domain-Name:com.example.thermal",
            Format::Chr,
            None,
            "t=81C; zone=<cpu> & ]]> done",
        )
        .unwrap(),
    ]
}

/// A one-report list with the given data and Format `chr`.
pub fn chr_report(data: &str) -> SessionlessReport<'static> {
    SessionlessReport::new(None, "com.example.test", Format::Chr, None, data.to_owned()).unwrap()
}

/// Emits `reports` for `account` and checks every message with [`verify`]; returns the
/// messages.
pub fn emit_verified(account: &Account, reports: &[SessionlessReport<'_>]) -> Vec<Outgoing> {
    let mut emitter = Emitter::new(account.clone()).unwrap().with_self_check(true);
    let emission = emitter.emit(reports).unwrap();
    let mut decoded = Vec::new();
    for out in &emission.messages {
        assert_eq!(out.content_type, account.encoding.media_type());
        let header = out.headers.iter().find(|(n, _)| *n == HMAC_HEADER);
        decoded.extend(verify(account, &out.body, header.map(|(_, v)| v.as_str())));
    }
    assert_eq!(
        decoded,
        owned(reports),
        "the messages carry exactly the input reports, in order"
    );
    emission.messages
}

/// Checks one emitted message the way a server would, independently of the emitter: it decodes,
/// passes the sessionless profile, names the account's identity, fits MaxMsgSize, and its MAC
/// (recomputed with omadm-dmsec from the bytes) or credential verifies. Returns its reports.
pub fn verify(
    account: &Account,
    body: &[u8],
    hmac_header: Option<&str>,
) -> Vec<SessionlessReport<'static>> {
    assert!(
        body.len() <= account.max_msg_size,
        "{} > {}",
        body.len(),
        account.max_msg_size
    );
    // The codec of the account's encoding; the Cred Data span by its rule (XML: the content of
    // `<Data>`; WBXML: the bytes of its one STR_I).
    let (message, cred_data) = match account.encoding {
        Encoding::Xml => {
            let d = omadm_xml::decode_located(body, &omadm_xml::Limits::default()).unwrap();
            (d.message, d.cred_data)
        }
        Encoding::Wbxml => {
            let d = omadm_wbxml::decode_located(body, &omadm_wbxml::Limits::default()).unwrap();
            let span = d.cred_data.map(|s| s.expect("the Cred Data is one STR_I"));
            (d.message, span)
        }
    };
    let msg = &message;
    assert_eq!(sessionless::check(msg), vec![]);
    let hdr = &msg.hdr;
    assert!(hdr.session_id.is_sessionless());
    assert_eq!(hdr.ver_proto, "DM/1.3");
    assert_eq!(hdr.target.loc_uri, account.server_uri);
    assert_eq!(hdr.source.loc_uri, account.device_id);
    assert_eq!(
        hdr.source.loc_name.as_deref(),
        Some(account.username.as_str())
    );
    let cred = hdr.cred.as_ref().expect("a Cred in the header");
    let user = account.username.as_str();
    let nonce = &account.last_nonce;

    match (account.carrier, account.algorithm, account.construction) {
        (Carrier::InMessage, algorithm, construction) => {
            assert_eq!(hmac_header, None);
            assert_eq!(cred.scheme(), Some(AuthType::Mac.as_str()));
            assert_eq!(cred.meta.as_ref().unwrap().format, Some(Format::Chr));
            let span = cred_data.clone().expect("a Cred Data span");
            let text = std::str::from_utf8(&body[span.clone()]).unwrap();
            assert_eq!(text, cred.data, "the Cred Data is written verbatim");
            let params = MacParams::parse(text).unwrap();
            assert_eq!(params.to_string(), text, "the parameter list is canonical");
            assert_eq!(params.username(), &account.username);
            assert_eq!(params.algorithm(), algorithm);
            let key = MacKey::new(algorithm, construction, user, &account.secret).unwrap();
            key.verify_excluding(nonce, body, span, params.mac())
                .unwrap();
        }
        (Carrier::Header, algorithm, construction) => {
            assert_eq!(cred.scheme(), Some(AuthType::Md5.as_str()));
            assert_eq!(cred.meta.as_ref().unwrap().format, Some(Format::B64));
            verify_md5(user, &account.secret, nonce, &cred.data).unwrap();
            let text = hmac_header.expect("an x-syncml-hmac header");
            let params = MacParams::parse(text).unwrap();
            assert_eq!(params.to_string(), text, "the parameter list is canonical");
            assert_eq!(params.username(), &account.username);
            assert_eq!(params.algorithm(), algorithm);
            let key = MacKey::new(algorithm, construction, user, &account.secret).unwrap();
            key.verify(nonce, body, params.mac()).unwrap();
        }
        (Carrier::Transport, _, _) => {
            assert_eq!(hmac_header, None);
            assert_eq!(cred.scheme(), Some(AuthType::Md5.as_str()));
            verify_md5(user, &account.secret, nonce, &cred.data).unwrap();
        }
    }
    assert_eq!(msg.body.is_final, account.include_final);

    sessionless::reports(msg)
        .unwrap()
        .into_iter()
        .map(SessionlessReport::into_owned)
        .collect()
}

/// Detached copies of `reports`.
pub fn owned(reports: &[SessionlessReport<'_>]) -> Vec<SessionlessReport<'static>> {
    reports
        .iter()
        .cloned()
        .map(SessionlessReport::into_owned)
        .collect()
}
