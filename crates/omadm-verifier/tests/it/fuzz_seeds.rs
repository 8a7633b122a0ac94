//! The committed seeds of the `verify` fuzz target (`fuzz/corpus/verify/seed-*`), made by our own
//! code: `cargo test -p omadm-verifier --test it -- --ignored regenerate_fuzz_seeds` rewrites
//! them. The layout is the target's: flags byte, header length and header (flag bit 0), body.

use std::path::PathBuf;

use omadm_dmsec::{Algorithm, Construction, Nonce, Secret, Username};
use omadm_emitter::{Account, Carrier, Emitter, HMAC_HEADER, SessionlessReport};
use omadm_syncml::{Format, Mark};

use crate::{DEVICE, NONCE_B64, PASSWORD, SERVER, USER, report_alert, sign, template};

/// How an account signs: its carrier, hash and construction.
type Mode = (Carrier, Algorithm, Construction);

fn emit(mode: Mode, n: usize) -> (Vec<u8>, Option<String>) {
    let mut account = Account::new(
        SERVER,
        DEVICE,
        Username::new(USER).unwrap(),
        Secret::from(PASSWORD),
        Nonce::from_base64(NONCE_B64).unwrap(),
        16 * 1024,
    );
    (account.carrier, account.algorithm, account.construction) = mode;
    let reports: Vec<SessionlessReport<'_>> = (0..n)
        .map(|i| {
            SessionlessReport::new(
                Some(format!("./Ext/R{i}").into()),
                "urn:oma:mo:battery:1.0",
                Format::Chr,
                Some(Mark::Warning),
                format!("level={i} <&> ]]> done"),
            )
            .unwrap()
        })
        .collect();
    let mut out = Emitter::new(account)
        .unwrap()
        .emit(&reports)
        .unwrap()
        .messages
        .remove(0);
    let header = out
        .headers
        .iter()
        .find(|(name, _)| *name == HMAC_HEADER)
        .map(|(_, v)| v.clone());
    (std::mem::take(&mut out.body), header)
}

fn seed(flags: u8, header: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = vec![flags | u8::from(header.is_some())];
    if let Some(h) = header {
        out.push(u8::try_from(h.len()).unwrap());
        out.extend_from_slice(h.as_bytes());
    }
    out.extend_from_slice(body);
    out
}

#[test]
#[ignore = "writes fuzz/corpus/verify/seed-*; run by hand"]
fn regenerate_fuzz_seeds() {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/corpus/verify"
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let sha = omadm_dmsec::Algorithm::Sha256;
    let digest = omadm_dmsec::Construction::Digest;
    let (in_message, _) = emit(Mode::default(), 1);
    let (three, _) = emit(Mode::default(), 3);
    let (header_body, header) = emit((Carrier::Header, sha, digest), 2);
    let (transport, _) = emit(
        (Carrier::Transport, Algorithm::Sha256, Construction::Digest),
        1,
    );
    let doctype = sign(&template(3, &report_alert(1, "1")).replacen(
        "<?xml version=\"1.0\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE SyncML [<!ENTITY e \"x\">]>",
        1,
    ));
    let violation =
        sign(&template(4, &report_alert(1, "1")).replace("<SessionID>0<", "<SessionID>1<"));
    for (name, bytes) in [
        ("seed-in-message", seed(0, None, &in_message)),
        ("seed-in-message-3-reports", seed(0, None, &three)),
        (
            "seed-header-carrier",
            seed(0, header.as_deref(), &header_body),
        ),
        ("seed-transport", seed(6, None, &transport)),
        ("seed-doctype", seed(0, None, &doctype)),
        ("seed-session-id-1", seed(0, None, &violation)),
    ] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
