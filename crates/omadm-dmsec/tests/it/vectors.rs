//! Known-answer vectors: `tests/vectors.txt` and the byte-exact files in `shared/spec/vectors/`.

use std::collections::BTreeMap;

use omadm_dmsec::{
    Algorithm, AuthError, Construction, Mac, MacKey, MacParams, Nonce, Secret, SecretDigest,
    StoredSecret, basic_credential, md5_credential, verify_basic, verify_md5,
};

type Record = BTreeMap<String, String>;

/// Parses the line format described at the top of `tests/vectors.txt`.
fn records() -> Vec<(String, Record)> {
    let text = include_str!("../vectors.txt");
    let mut out: Vec<(String, Record)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.to_owned(), Record::new()));
            continue;
        }
        let (key, value) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("vectors.txt line {}: expected `key = value`", n + 1));
        let (_, record) = out
            .last_mut()
            .unwrap_or_else(|| panic!("vectors.txt line {}: field before any [record]", n + 1));
        assert!(
            record.insert(key.to_owned(), value.to_owned()).is_none(),
            "vectors.txt line {}: duplicate key {key}",
            n + 1
        );
    }
    out
}

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn body(spec: &str) -> Vec<u8> {
    if let Some(text) = spec.strip_prefix("text:") {
        text.as_bytes().to_vec()
    } else if let Some(h) = spec.strip_prefix("hex:") {
        hex(h)
    } else if let Some(path) = spec.strip_prefix("file:") {
        let path = crate::shared_dir().join("spec/vectors").join(path);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    } else {
        panic!("unknown body form {spec}")
    }
}

fn b64_hash(algorithm: Algorithm, bytes: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let raw = match algorithm {
        Algorithm::Md5 => md5::Md5::digest(bytes).to_vec(),
        Algorithm::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
        _ => unreachable!(),
    };
    base64::engine::general_purpose::STANDARD.encode(raw)
}

fn field<'a>(name: &str, r: &'a Record, key: &str) -> &'a str {
    r.get(key).unwrap_or_else(|| panic!("[{name}] lacks {key}"))
}

/// Checks one record; returns which scheme it exercised.
fn check(name: &str, r: &Record) -> String {
    let scheme = field(name, r, "scheme");
    let expect = || field(name, r, "expect").to_owned();
    match scheme {
        "basic" => {
            let expect = expect();
            let (user, pass) = (field(name, r, "user"), Secret::from(field(name, r, "pass")));
            assert_eq!(basic_credential(user, &pass), expect, "[{name}]");
            let stored = StoredSecret::from(pass.clone());
            verify_basic(user, &stored, &expect).unwrap();
            for algorithm in Algorithm::ALL {
                let digest = StoredSecret::from(SecretDigest::compute(algorithm, user, &pass));
                verify_basic(user, &digest, &expect).unwrap();
            }
        }
        "md5" => {
            let expect = expect();
            let (user, pass) = (field(name, r, "user"), Secret::from(field(name, r, "pass")));
            let nonce = Nonce::from_base64(field(name, r, "nonce")).unwrap();
            let stored = StoredSecret::from(pass.clone());
            assert_eq!(
                md5_credential(user, &stored, &nonce).unwrap(),
                expect,
                "[{name}]"
            );
            verify_md5(user, &stored, &nonce, &expect).unwrap();
            let digest = StoredSecret::from(SecretDigest::compute(Algorithm::Md5, user, &pass));
            assert_eq!(
                md5_credential(user, &digest, &nonce).unwrap(),
                expect,
                "[{name}]"
            );
            verify_md5(user, &digest, &nonce, &expect).unwrap();
            let sha = StoredSecret::from(SecretDigest::compute(Algorithm::Sha256, user, &pass));
            assert_eq!(
                verify_md5(user, &sha, &nonce, &expect),
                Err(AuthError::UnusableSecret)
            );
        }
        "digest" => {
            let expect = expect();
            let algorithm: Algorithm = field(name, r, "algorithm").parse().unwrap();
            let pass = Secret::from(field(name, r, "pass"));
            let digest = SecretDigest::compute(algorithm, field(name, r, "user"), &pass);
            assert_eq!(digest.expose_base64(), expect, "[{name}]");
            let back = SecretDigest::from_base64(&expect).unwrap();
            assert_eq!(back.algorithm(), algorithm);
            assert_eq!(back.expose_base64(), expect);
        }
        "nonce" => {
            let nonce = Nonce::from_base64(field(name, r, "nonce")).unwrap();
            assert_eq!(
                nonce.as_bytes(),
                hex(field(name, r, "nonce_hex")),
                "[{name}]"
            );
            assert_eq!(nonce.to_base64(), field(name, r, "nonce"));
        }
        "mac" => check_mac(name, r, &expect()),
        other => panic!("[{name}] unknown scheme {other}"),
    }
    scheme.to_owned()
}

fn check_mac(name: &str, r: &Record, expect: &str) {
    let algorithm: Algorithm = field(name, r, "algorithm").parse().unwrap();
    let construction: Construction = r
        .get("construction")
        .map_or("digest", String::as_str)
        .parse()
        .unwrap();
    let user = field(name, r, "user");
    let pass = Secret::from(field(name, r, "pass"));
    let nonce = Nonce::from_base64(field(name, r, "nonce")).unwrap();
    let message = body(field(name, r, "body"));
    let excluded = r.get("exclude").map_or(0..0, |span| {
        let (a, b) = span.split_once("..").unwrap();
        a.parse().unwrap()..b.parse().unwrap()
    });
    let expected = Mac::from_base64(expect).unwrap();
    assert_eq!(expected.algorithm(), algorithm, "[{name}]");

    // The MAC input, built by copying, only to check the intermediate values.
    let input: Vec<u8> = [&message[..excluded.start], &message[excluded.end..]].concat();
    if let Some(want) = r.get("key_part") {
        let digest = SecretDigest::compute(algorithm, user, &pass);
        assert_eq!(digest.expose_base64(), want, "[{name}] key_part");
    }
    if let Some(want) = r.get("body_part") {
        assert_eq!(&b64_hash(algorithm, &input), want, "[{name}] body_part");
    }

    // Both secret forms give the same key.
    let forms = [
        StoredSecret::from(pass.clone()),
        StoredSecret::from(
            SecretDigest::from_base64(
                SecretDigest::compute(algorithm, user, &pass).expose_base64(),
            )
            .unwrap(),
        ),
    ];
    for secret in &forms {
        let key = MacKey::new(algorithm, construction, user, secret).unwrap();
        assert_eq!(
            key.mac_excluding(&nonce, &message, excluded.clone())
                .unwrap(),
            expected,
            "[{name}]"
        );
        assert_eq!(
            key.mac(&nonce, &input),
            expected,
            "[{name}] over the copied input"
        );
        assert_eq!(
            key.mac_excluding(&nonce, &message, excluded.clone())
                .unwrap()
                .to_base64(),
            expect
        );
        key.verify_excluding(&nonce, &message, excluded.clone(), &expected)
            .unwrap();
        key.verify(&nonce, &input, &expected).unwrap();
        // One flipped bit anywhere in the MAC input is rejected.
        let mut tampered = message.clone();
        let at = if excluded.start > 0 {
            excluded.start - 1
        } else {
            tampered.len() - 1
        };
        tampered[at] ^= 1;
        assert_eq!(
            key.verify_excluding(&nonce, &tampered, excluded.clone(), &expected),
            Err(AuthError::Rejected)
        );
    }

    if let Some(want) = r.get("params") {
        let params = MacParams::parse(want).unwrap();
        assert_eq!(params.mac(), &expected);
        assert_eq!(params.username().as_str(), user);
        assert_eq!(params.to_string(), *want, "[{name}] canonical form");
        assert_eq!(
            MacParams::encoded_len(algorithm, params.username()),
            want.len()
        );
        if !excluded.is_empty() {
            // In-message carrier: the excluded span is exactly the canonical parameter list.
            assert_eq!(
                &message[excluded.clone()],
                want.as_bytes(),
                "[{name}] Cred/Data span"
            );
        }
    }
}

#[test]
fn every_vector_in_the_file_passes() {
    let records = records();
    let mut seen = BTreeMap::<String, usize>::new();
    for (name, record) in &records {
        *seen.entry(check(name, record)).or_default() += 1;
    }
    // Guard against a silently empty or truncated file.
    assert!(records.len() >= 15, "only {} records", records.len());
    for scheme in ["basic", "md5", "digest", "mac", "nonce"] {
        assert!(seen.contains_key(scheme), "no {scheme} vector");
    }
}

#[test]
fn in_message_mac_input_file_is_the_message_without_the_span() {
    let dir = crate::shared_dir().join("spec/vectors");
    let message = std::fs::read(dir.join("in-message.xml")).unwrap();
    let input = std::fs::read(dir.join("in-message.mac-input.bin")).unwrap();
    assert_eq!(message.len(), 1096);
    assert_eq!(input.len(), 1012);
    assert_eq!([&message[..413], &message[497..]].concat(), input);
    // The span is the whole Cred Data content: `<Data>` ends before it, `</Data>` starts after.
    assert!(message[..413].ends_with(b"<Data>"));
    assert!(message[497..].starts_with(b"</Data></Cred>"));
}

#[test]
fn rfc2104_construction_is_real_hmac() {
    // Cross-check the pre-keyed HMAC against the hmac crate keyed the ordinary way.
    use hmac::{KeyInit as _, Mac as _};
    let pass = Secret::from("correct-horse-battery-staple");
    let nonce = Nonce::from_base64("jzocDlt9kqTG4fCz1aeeIQ==").unwrap();
    let body = b"<SyncML/>";
    for algorithm in Algorithm::ALL {
        let key_part = SecretDigest::compute(algorithm, "alice", &pass);
        let msg = [nonce.as_bytes(), b":", b64_hash(algorithm, body).as_bytes()].concat();
        let want = match algorithm {
            Algorithm::Md5 => {
                let mut m =
                    hmac::Hmac::<md5::Md5>::new_from_slice(key_part.expose_base64().as_bytes())
                        .unwrap();
                m.update(&msg);
                m.finalize().into_bytes().to_vec()
            }
            _ => {
                let mut m =
                    hmac::Hmac::<sha2::Sha256>::new_from_slice(key_part.expose_base64().as_bytes())
                        .unwrap();
                m.update(&msg);
                m.finalize().into_bytes().to_vec()
            }
        };
        let key = MacKey::new(
            algorithm,
            Construction::Rfc2104,
            "alice",
            &pass.clone().into(),
        )
        .unwrap();
        assert_eq!(key.mac(&nonce, body).as_bytes(), &want[..]);
    }
}

#[test]
fn span_outside_the_message_is_an_error_not_a_panic() {
    let key = MacKey::new(
        Algorithm::Sha256,
        Construction::Digest,
        "u",
        &Secret::from("p").into(),
    )
    .unwrap();
    let nonce = Nonce::new(b"n").unwrap();
    let mac = key.mac(&nonce, b"abc");
    #[allow(clippy::reversed_empty_ranges)]
    for span in [4..4, 2..5, 2..1, usize::MAX..usize::MAX] {
        assert_eq!(
            key.mac_excluding(&nonce, b"abc", span.clone()),
            Err(AuthError::SpanOutOfBounds)
        );
        assert_eq!(
            key.verify_excluding(&nonce, b"abc", span, &mac),
            Err(AuthError::SpanOutOfBounds)
        );
    }
    assert_eq!(key.mac_excluding(&nonce, b"abc", 3..3).unwrap(), mac);
    assert_eq!(key.mac_excluding(&nonce, b"abc", 0..0).unwrap(), mac);
}
