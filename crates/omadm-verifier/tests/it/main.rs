//! Integration tests of omadm-verifier: the spec vectors, hostile inputs, anti-replay, the lint,
//! and the laws against omadm-emitter. Shared helpers live here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The `lint`/`start` relation, shared with the `verify` fuzz target.
#[path = "../common/agree.rs"]
mod agree;
mod fuzz_seeds;
mod hostile;
mod laws;
mod lint;
mod replay;
mod vectors;
mod wbxml;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use omadm_dmsec::{MacKey, MacParams, Nonce, Secret, StoredSecret, Username};
use omadm_verifier::{
    DeviceSecret, IgnoreReason, Policy, ReplayState, TransportMeta, Verdict, Verifier,
};

pub(crate) const USER: &str = "alice";
pub(crate) const PASSWORD: &str = "correct-horse-battery-staple";
pub(crate) const DEVICE: &str = "IMEI:356938035643809";
pub(crate) const NONCE_B64: &str = "jzocDlt9kqTG4fCz1aeeIQ==";
pub(crate) const SERVER: &str = "https://dm.example.net/sessionless";

pub(crate) fn vectors_dir() -> PathBuf {
    omadm_testkit::spec_vectors_dir()
}

pub(crate) fn vector(name: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(name)).unwrap()
}

pub(crate) fn nonce() -> Nonce {
    Nonce::from_base64(NONCE_B64).unwrap()
}

pub(crate) fn stored() -> StoredSecret {
    StoredSecret::Password(Secret::from(PASSWORD))
}

pub(crate) fn device(policy: Policy) -> DeviceSecret {
    DeviceSecret::new(
        Username::new(USER).unwrap(),
        DEVICE,
        &stored(),
        nonce(),
        policy,
    )
    .unwrap()
}

pub(crate) fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// `start` then `finish`, with a fresh replay state.
pub(crate) fn verify<'a>(
    verifier: &Verifier,
    body: &'a [u8],
    transport: &TransportMeta<'_>,
    secret: &DeviceSecret,
) -> Verdict<'a> {
    verify_with(verifier, body, transport, secret, &mut ReplayState::new())
}

pub(crate) fn verify_with<'a>(
    verifier: &Verifier,
    body: &'a [u8],
    transport: &TransportMeta<'_>,
    secret: &DeviceSecret,
    replay: &mut ReplayState,
) -> Verdict<'a> {
    match verifier.start(body, transport) {
        Ok(pending) => pending.finish(secret, replay, at(1_700_000_000)),
        Err(ignored) => Verdict::Ignored(ignored),
    }
}

/// The reason's short name, or `"accepted"`.
pub(crate) fn outcome(verdict: &Verdict<'_>) -> &'static str {
    verdict
        .ignore_reason()
        .map_or("accepted", IgnoreReason::as_str)
}

/// A message in the spec vectors' shape (in-message carrier) with `@CRED@` where the parameter
/// list goes (see [`sign`]); tests change header fields with `str::replace` before signing.
pub(crate) fn template(msg_id: u32, body: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0"?><SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD>"#,
            r#"<VerProto>DM/1.3</VerProto><SessionID>0</SessionID><MsgID>{msg_id}</MsgID>"#,
            r#"<Target><LocURI>{server}</LocURI></Target><Source><LocURI>{device}</LocURI>"#,
            r#"<LocName>{user}</LocName></Source><Cred><Meta><Format xmlns="syncml:metinf">chr</Format>"#,
            r#"<Type xmlns="syncml:metinf">syncml:auth-MAC</Type></Meta><Data>@CRED@</Data></Cred>"#,
            r#"</SyncHdr><SyncBody>{body}</SyncBody></SyncML>"#
        ),
        msg_id = msg_id,
        server = SERVER,
        device = DEVICE,
        user = USER,
        body = body
    )
}

/// One conforming Sessionless Report Alert.
pub(crate) fn report_alert(cmd_id: u32, data: &str) -> String {
    format!(
        concat!(
            r#"<Alert><CmdID>{}</CmdID><Data>1230</Data><Item><Source><LocURI>./Ext/Battery</LocURI></Source>"#,
            r#"<Meta><Format xmlns="syncml:metinf">int</Format><Type xmlns="syncml:metinf">urn:oma:mo:battery:1.0</Type>"#,
            r#"</Meta><Data><![CDATA[{}]]></Data></Item></Alert>"#
        ),
        cmd_id, data
    )
}

/// Signs a template (in-message carrier, default policy): the MAC covers everything but the
/// `@CRED@` marker, which is replaced by the parameter list.
pub(crate) fn sign(template: &str) -> Vec<u8> {
    sign_as(template, USER, &Policy::default())
}

pub(crate) fn sign_as(template: &str, username: &str, policy: &Policy) -> Vec<u8> {
    let (before, after) = template.split_once("@CRED@").expect("template has @CRED@");
    let key = MacKey::new(
        policy.algorithm(),
        policy.construction(),
        username,
        &stored(),
    )
    .unwrap();
    let mac = key.mac_parts(&nonce(), &[before.as_bytes(), after.as_bytes()]);
    let params = MacParams::new(Username::new(username).unwrap(), mac).to_string();
    [before.as_bytes(), params.as_bytes(), after.as_bytes()].concat()
}

// ---------------------------------------------------------------------------------------------
// A per-thread allocation counter: shows that a code path allocates nothing (and so, since every
// decoder call allocates, never reaches the decoder).

#[global_allocator]
static GLOBAL: omadm_testkit::alloc::CountingAlloc = omadm_testkit::alloc::CountingAlloc;

/// How many allocations `f` made on this thread, after its result.
pub(crate) fn allocations<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let (n, out) = omadm_testkit::alloc::allocations(f);
    (out, n)
}

/// The `x-syncml-hmac` value for `body` (header carrier, default policy).
pub(crate) fn header_for(body: &[u8]) -> String {
    let key = MacKey::new(
        omadm_dmsec::Algorithm::Sha256,
        omadm_dmsec::Construction::Digest,
        USER,
        &stored(),
    )
    .unwrap();
    MacParams::new(Username::new(USER).unwrap(), key.mac(&nonce(), body)).to_string()
}
