//! Secrecy properties: redacted `Debug`, secret-free errors, secret forms, names.

use omadm_dmsec::{
    Algorithm, AuthError, AuthType, Carrier, Construction, DecodeError, HMAC_HEADER, Mac, MacKey,
    Nonce, Secret, SecretDigest, StoredSecret, basic_credential, md5_credential, verify_basic,
};

const PASSWORD: &str = "hunter2-very-secret";

#[test]
fn debug_never_shows_a_secret() {
    let secret = Secret::from(PASSWORD);
    let digest = SecretDigest::compute(Algorithm::Sha256, "alice", &secret);
    let key = MacKey::new(
        Algorithm::Sha256,
        Construction::Rfc2104,
        "alice",
        &secret.clone().into(),
    )
    .unwrap();
    let stored = StoredSecret::from(secret.clone());
    let shown = format!(
        "{secret:?} {digest:?} {key:?} {stored:?} {:?}",
        StoredSecret::from(digest.clone())
    );
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(!shown.contains(digest.expose_base64()), "{shown}");
    assert!(shown.contains("[redacted]"));
    assert_eq!(format!("{secret:?}"), "[redacted]");
}

#[test]
fn errors_say_nothing_about_the_credential() {
    let texts: Vec<String> = [
        AuthError::Rejected,
        AuthError::UnusableSecret,
        AuthError::SpanOutOfBounds,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    for text in &texts {
        assert!(!text.contains(PASSWORD));
        assert!(!text.ends_with('.'));
        assert_eq!(text.to_lowercase(), *text);
    }
    // Wrong user, wrong password, wrong encoding: the same error.
    let stored = StoredSecret::from(Secret::from(PASSWORD));
    let wrong_user = basic_credential("bob", &Secret::from(PASSWORD));
    let wrong_pass = basic_credential("alice", &Secret::from("nope"));
    for data in [wrong_user.as_str(), wrong_pass.as_str(), "%%%", ""] {
        assert_eq!(
            verify_basic("alice", &stored, data),
            Err(AuthError::Rejected)
        );
    }
}

#[test]
fn a_digest_serves_its_own_hash_only() {
    let secret = Secret::from(PASSWORD);
    let sha = StoredSecret::from(SecretDigest::compute(Algorithm::Sha256, "alice", &secret));
    let md5 = StoredSecret::from(SecretDigest::compute(Algorithm::Md5, "alice", &secret));
    let nonce = Nonce::new(b"n").unwrap();
    assert_eq!(
        md5_credential("alice", &sha, &nonce),
        Err(AuthError::UnusableSecret)
    );
    assert!(md5_credential("alice", &md5, &nonce).is_ok());
    for c in Construction::ALL {
        assert_eq!(
            MacKey::new(Algorithm::Md5, c, "alice", &sha).unwrap_err(),
            AuthError::UnusableSecret
        );
        assert_eq!(
            MacKey::new(Algorithm::Sha256, c, "alice", &md5).unwrap_err(),
            AuthError::UnusableSecret
        );
        assert!(MacKey::new(Algorithm::Sha256, c, "alice", &sha).is_ok());
    }
    assert_eq!(
        sha.digest_for(Algorithm::Md5, "alice").unwrap_err(),
        AuthError::UnusableSecret
    );
}

#[test]
fn a_mac_of_the_other_algorithm_is_rejected() {
    let nonce = Nonce::new(b"n").unwrap();
    let secret = StoredSecret::from(Secret::from(PASSWORD));
    let sha = MacKey::new(Algorithm::Sha256, Construction::Digest, "a", &secret).unwrap();
    let md5 = MacKey::new(Algorithm::Md5, Construction::Digest, "a", &secret).unwrap();
    let mac = md5.mac(&nonce, b"body");
    assert_eq!(sha.verify(&nonce, b"body", &mac), Err(AuthError::Rejected));
    // An MD5 MAC whose bytes equal the front of a SHA-256 MAC is still a different MAC.
    let full = sha.mac(&nonce, b"body");
    let front = Mac::new(Algorithm::Md5, &full.as_bytes()[..16]).unwrap();
    assert_ne!(front, full);
}

#[test]
fn value_types_decode_strictly() {
    assert_eq!(Nonce::new(b"").unwrap_err(), DecodeError::Length);
    assert_eq!(Nonce::new(&[0; 65]).unwrap_err(), DecodeError::Length);
    assert!(Nonce::new(&[0; 64]).is_ok());
    assert_eq!(Nonce::from_base64("").unwrap_err(), DecodeError::Length);
    assert_eq!(
        Nonce::from_base64("Tm9uY2U").unwrap_err(),
        DecodeError::Base64
    );
    assert_eq!(
        Nonce::from_base64(" Tm9uY2U=").unwrap_err(),
        DecodeError::Base64
    );
    assert_eq!(
        Nonce::from_base64(&"A".repeat(200)).unwrap_err(),
        DecodeError::Base64
    );
    assert_eq!(
        Nonce::from_base64(&"AAAA".repeat(22)).unwrap_err(),
        DecodeError::Length
    );
    assert_eq!(Mac::from_base64("AAAA").unwrap_err(), DecodeError::Length);
    assert_eq!(
        Mac::from_base64("aSBvnDHzBa7JhdjeEEUR2g").unwrap_err(),
        DecodeError::Base64
    );
    assert_eq!(
        Mac::new(Algorithm::Sha256, &[0; 16]).unwrap_err(),
        DecodeError::Length
    );
    assert_eq!(
        SecretDigest::from_base64("AAAA").unwrap_err(),
        DecodeError::Length
    );
    assert_eq!(
        SecretDigest::from_base64("*").unwrap_err(),
        DecodeError::Base64
    );
}

/// Issue 10: `Mac::write_base64` into a short buffer is an error that names the length needed
/// (it used to panic), and the buffer is left untouched.
#[test]
fn issue_10_write_base64_short_buffer_is_an_error() {
    for algorithm in Algorithm::ALL {
        let mac = Mac::new(algorithm, &vec![0xA5; algorithm.output_len()]).unwrap();
        let mut exact = vec![0u8; algorithm.base64_len()];
        assert_eq!(mac.write_base64(&mut exact), Ok(algorithm.base64_len()));
        assert_eq!(exact, mac.to_base64().as_bytes());
        for len in [0, 1, algorithm.base64_len() - 1] {
            let mut short = vec![b'#'; len];
            let err = mac.write_base64(&mut short).unwrap_err();
            assert_eq!(err.needed(), algorithm.base64_len());
            assert!(short.iter().all(|&b| b == b'#'));
            assert!(
                err.to_string()
                    .contains(&algorithm.base64_len().to_string())
            );
        }
    }
}

/// Issue 10: one carrier type for the emitter, the verifier and the tool, named once here.
#[test]
fn issue_10_carrier_names_and_cred_types() {
    for c in Carrier::ALL {
        assert_eq!(c.as_str().parse::<Carrier>().unwrap(), c);
        assert_eq!(c.to_string(), c.as_str());
    }
    assert_eq!(Carrier::default(), Carrier::InMessage);
    assert_eq!("HEADER".parse::<Carrier>().unwrap(), Carrier::Header);
    for bad in ["", "cred", "in message", "x-syncml-hmac"] {
        assert_eq!(
            bad.parse::<Carrier>().unwrap_err(),
            DecodeError::UnknownName
        );
    }
    assert_eq!(Carrier::InMessage.cred_type(), AuthType::Mac);
    assert_eq!(Carrier::Header.cred_type(), AuthType::Md5);
    assert_eq!(Carrier::Transport.cred_type(), AuthType::Md5);
    assert!(Carrier::InMessage.has_mac() && Carrier::Header.has_mac());
    assert!(!Carrier::Transport.has_mac());
    assert_eq!(HMAC_HEADER, "x-syncml-hmac");
}

#[test]
fn names_round_trip() {
    for a in Algorithm::ALL {
        assert_eq!(a.as_str().parse::<Algorithm>().unwrap(), a);
        assert_eq!(
            a.base64_len(),
            Mac::new(a, &vec![0; a.output_len()])
                .unwrap()
                .to_base64()
                .len()
        );
    }
    for (token, a) in [
        ("md5", Algorithm::Md5),
        ("Sha-256", Algorithm::Sha256),
        ("hmac-sha256", Algorithm::Sha256),
        ("HMAC-MD5", Algorithm::Md5),
    ] {
        assert_eq!(token.parse::<Algorithm>().unwrap(), a);
    }
    for bad in ["", "SHA1", "SHA-512", " MD5", "HMAC-SHA-256"] {
        assert_eq!(
            bad.parse::<Algorithm>().unwrap_err(),
            DecodeError::UnknownName
        );
    }
    assert_eq!(Algorithm::default(), Algorithm::Sha256);
    assert_eq!(Construction::default(), Construction::Digest);
    for c in Construction::ALL {
        assert_eq!(c.as_str().parse::<Construction>().unwrap(), c);
    }
    for t in AuthType::ALL {
        assert_eq!(t.as_str().parse::<AuthType>().unwrap(), t);
        assert_eq!(t.to_string(), t.as_str());
    }
    assert_eq!(
        "syncml:auth-mac".parse::<AuthType>().unwrap(),
        AuthType::Mac
    );
    assert_eq!(
        "syncml:auth-MAC".parse::<AuthType>().unwrap().as_str(),
        "syncml:auth-MAC"
    );
    assert_eq!(
        "syncml:auth-X509".parse::<AuthType>().unwrap_err(),
        DecodeError::UnknownName
    );
    assert!(
        !AuthType::Basic.needs_nonce()
            && AuthType::Md5.needs_nonce()
            && AuthType::Mac.needs_nonce()
    );
}

#[test]
fn errors_are_send_sync_static() {
    fn check<E: std::error::Error + Send + Sync + 'static>() {}
    check::<AuthError>();
    check::<DecodeError>();
    check::<omadm_dmsec::ParamsError>();
}
