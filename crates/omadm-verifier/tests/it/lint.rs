//! The lint: every finding at once, with the spec's conformance ids.

use omadm_syncml::sessionless::Rule;
use omadm_verifier::{IgnoreReason, TransportMeta, Verifier};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::agree::lint_agrees_with_start;
use crate::{report_alert, sign, template, vector};

fn names(body: &[u8], transport: &TransportMeta<'_>) -> Vec<String> {
    Verifier::new(16 * 1024)
        .lint(body, transport)
        .iter()
        .map(|f| match &f.reason {
            IgnoreReason::NotSessionless(v) => format!("not-sessionless:{}", v.rule.as_str()),
            other => other.as_str().to_owned(),
        })
        .collect()
}

#[test]
fn the_vectors_are_clean() {
    assert!(names(&vector("in-message.xml"), &TransportMeta::new()).is_empty());
    let header =
        r#"algorithm=SHA256, username="alice", mac=8QMpmw7imKu/4FkmZd2aWMlL/f6VnuhbewR9j6k0dSw="#;
    assert!(
        names(
            &vector("header-carrier.xml"),
            &TransportMeta::new().with_hmac_header(header)
        )
        .is_empty()
    );
    // The MAC is not checked: a forged MAC lints clean.
    let forged = String::from_utf8(vector("in-message.xml"))
        .unwrap()
        .replace("mac=ylB0", "mac=ylB1");
    assert!(names(forged.as_bytes(), &TransportMeta::new()).is_empty());
}

#[test]
fn every_finding_is_reported() {
    let body = template(
        1,
        &format!(
            "{}<Alert><CmdID>1</CmdID><Data>1226</Data><Item><Data>x</Data></Item><Item/></Alert>",
            report_alert(1, "1")
        ),
    )
    .replace("<SessionID>0<", "<SessionID>9<")
    .replace("@CRED@", "algorithm=FOO, username=\"bob\", mac=AAAA");
    let found = names(body.as_bytes(), &TransportMeta::new().with_hmac_header("x"));
    assert_eq!(
        found,
        [
            "both-carriers",
            "bad-mac-params",
            "not-sessionless:session-id",
            "not-sessionless:alert-code",
            "not-sessionless:item-count",
            "not-sessionless:item-meta",
            "not-sessionless:data-cdata",
            "not-sessionless:item-meta",
            "not-sessionless:data-cdata",
            "not-sessionless:cmd-id-unique",
        ]
    );
}

#[test]
fn identity_is_checked_without_the_secret() {
    let mac = format!("{}=", "A".repeat(43));
    let body = template(1, &report_alert(1, "1")).replace(
        "@CRED@",
        &format!("algorithm=SHA256, username=\"bob\", mac={mac}"),
    );
    assert_eq!(
        names(body.as_bytes(), &TransportMeta::new()),
        ["identity-mismatch"]
    );
}

/// The findings for a message with no Cred (DM-SR-C-006-M) whose alert is a Generic Alert 1226
/// (DM-SR-C-002-M).
fn lint_without_cred_with_generic_alert() -> Vec<omadm_verifier::Finding> {
    let body = template(1, &report_alert(1, "1").replace(">1230<", ">1226<"));
    let cred_start = body.find("<Cred>").unwrap();
    let cred_end = body.find("</Cred>").unwrap() + "</Cred>".len();
    let body = format!("{}{}", &body[..cred_start], &body[cred_end..]);
    Verifier::new(16 * 1024).lint(body.as_bytes(), &TransportMeta::new())
}

#[test]
fn conformance_ids_are_named() {
    let found = lint_without_cred_with_generic_alert();
    let ids: Vec<_> = found.iter().map(|f| f.reason.conformance_id()).collect();
    assert_eq!(ids, [Some("DM-SR-C-006-M"), Some("DM-SR-C-002-M")]);
    assert!(
        found[1].to_string().contains("DM-SR-C-002-M"),
        "{}",
        found[1]
    );
    assert!(matches!(
        &found[1].reason,
        IgnoreReason::NotSessionless(v) if v.rule == Rule::AlertCode
    ));
}

/// Issue 10: a finding prints its conformance id once (the reason's text carries it; the
/// finding used to repeat it in brackets).
#[test]
fn issue_10_a_finding_names_its_conformance_id_once() {
    let found = lint_without_cred_with_generic_alert();
    assert_eq!(found.len(), 2);
    for finding in &found {
        let id = finding.reason.conformance_id().unwrap();
        let text = finding.to_string();
        assert_eq!(text.matches(id).count(), 1, "{text}");
        assert!(text.starts_with(finding.reason.as_str()), "{text}");
    }
}

#[test]
fn oversize_and_malformed() {
    let mut big = vector("in-message.xml");
    big.extend(std::iter::repeat_n(b' ', 20 * 1024));
    // Oversize is reported, and the message is still examined.
    assert_eq!(names(&big, &TransportMeta::new()), ["too-large"]);
    assert_eq!(names(b"<SyncML", &TransportMeta::new()), ["malformed"]);
}

/// Signed messages (the two spec vectors, and templates with one to three reports), each with
/// one random edit: a byte deleted, a markup snippet inserted, a byte flipped, a truncation.
fn edited_message() -> impl Strategy<Value = Vec<u8>> {
    let base = prop_oneof![
        Just(vector("in-message.xml")),
        Just(vector("header-carrier.xml")),
        (1u32..=3).prop_map(|n| {
            let body: String = (1..=n).map(|i| report_alert(i, "42")).collect();
            sign(&template(n, &body))
        }),
    ];
    let snippet = prop::sample::select(vec![
        "<",
        ">",
        "&",
        "&amp;",
        "<Cred/>",
        "</SyncHdr>",
        "<Data>",
        "</Data>",
        "<![CDATA[",
        "]]>",
        "<!--x-->",
        " ",
        "\"",
        "=",
        ",",
        "<Final/>",
        "<SessionID>1</SessionID>",
        "mac=",
    ]);
    (base, 0u8..5, any::<Index>(), snippet).prop_map(|(mut body, edit, at, snippet)| {
        let i = at.index(body.len());
        match edit {
            0 => drop(body.remove(i)),
            1 => drop(body.splice(i..i, snippet.bytes())),
            2 => body[i] ^= 1 << (i % 8),
            3 => body.truncate(i),
            _ => {}
        }
        body
    })
}

proptest! {
    /// What `start` refuses, `lint` reports (see `agree.rs` for the exact relation), for every
    /// transport: none, an `x-syncml-hmac` header (valid or not), an authenticated peer; and for
    /// a size limit both above and below the message.
    #[test]
    fn lint_agrees_with_start_on_edited_messages(
        body in edited_message(),
        header in prop::option::of(prop_oneof![
            Just(r#"algorithm=SHA256, username="alice", mac=8QMpmw7imKu/4FkmZd2aWMlL/f6VnuhbewR9j6k0dSw="#.to_owned()),
            "[a-z=, \"]{0,20}",
        ]),
        peer_authenticated in any::<bool>(),
        max in prop_oneof![Just(16 * 1024), 100usize..2000],
    ) {
        let mut transport = TransportMeta::new().with_peer_authenticated(peer_authenticated);
        if let Some(h) = &header {
            transport = transport.with_hmac_header(h);
        }
        let verifier = Verifier::new(max);
        let findings = verifier.lint(&body, &transport);
        let started = verifier.start(&body, &transport);
        lint_agrees_with_start(&findings, started.as_ref().err().map(|e| e.reason()));
    }
}
