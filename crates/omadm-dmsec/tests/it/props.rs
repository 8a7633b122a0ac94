//! Laws (proptest): produce-then-verify, tamper-then-reject, format-then-parse, no panics.

use proptest::prelude::*;

use omadm_dmsec::{
    Algorithm, AuthError, Construction, Mac, MacKey, MacParams, Nonce, Secret, SecretDigest,
    StoredSecret, Username, basic_credential, md5_credential, verify_basic, verify_md5,
};

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(Algorithm::ALL.to_vec())
}

fn construction() -> impl Strategy<Value = Construction> {
    prop::sample::select(Construction::ALL.to_vec())
}

fn nonce() -> impl Strategy<Value = Nonce> {
    prop::collection::vec(any::<u8>(), Nonce::MIN_LEN..=Nonce::MAX_LEN)
        .prop_map(|b| Nonce::new(&b).unwrap())
}

fn secret() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..48)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..1500)
}

fn username() -> impl Strategy<Value = Username> {
    "[^\\p{Cc}<>&]{1,40}".prop_filter_map("too long", |s| Username::new(s).ok())
}

/// Both secret forms for (algorithm, user, secret).
fn forms(algorithm: Algorithm, user: &str, secret: &[u8]) -> [StoredSecret; 2] {
    let password = Secret::new(secret);
    [
        StoredSecret::from(SecretDigest::compute(algorithm, user, &password)),
        StoredSecret::from(password),
    ]
}

/// One field of a MAC computation to change.
#[derive(Clone, Copy, Debug)]
enum Change {
    Body,
    User,
    Secret,
    Nonce,
    Algorithm,
    Construction,
}

fn change() -> impl Strategy<Value = Change> {
    prop::sample::select(vec![
        Change::Body,
        Change::User,
        Change::Secret,
        Change::Nonce,
        Change::Algorithm,
        Change::Construction,
    ])
}

fn other_algorithm(a: Algorithm) -> Algorithm {
    if a == Algorithm::Md5 {
        Algorithm::Sha256
    } else {
        Algorithm::Md5
    }
}

fn other_construction(c: Construction) -> Construction {
    if c == Construction::Digest {
        Construction::Rfc2104
    } else {
        Construction::Digest
    }
}

proptest! {
    #[test]
    fn mac_produced_then_verified(
        algorithm in algorithm(), construction in construction(), user in "\\PC{0,20}",
        secret in secret(), nonce in nonce(), body in body(),
    ) {
        for form in forms(algorithm, &user, &secret) {
            let key = MacKey::new(algorithm, construction, &user, &form).unwrap();
            let mac = key.mac(&nonce, &body);
            prop_assert_eq!(mac.algorithm(), algorithm);
            prop_assert_eq!(key.verify(&nonce, &body, &mac), Ok(()));
            prop_assert_eq!(Mac::from_base64(&mac.to_base64()).unwrap(), mac);
            let mut out = [b'#'; 50];
            let n = mac.write_base64(&mut out);
            prop_assert_eq!(n, algorithm.base64_len());
            let text = mac.to_base64();
            prop_assert_eq!(&out[..n], text.as_bytes());
            prop_assert!(out[n..].iter().all(|&b| b == b'#'));
        }
    }

    #[test]
    fn any_change_makes_the_mac_fail(
        algorithm in algorithm(), construction in construction(), user in "[a-z]{1,12}",
        secret in secret(), nonce in nonce(), body in body(), change in change(), flip in any::<prop::sample::Index>(),
    ) {
        let key = MacKey::new(algorithm, construction, &user, &Secret::new(secret.clone()).into()).unwrap();
        let mac = key.mac(&nonce, &body);

        let (mut a, mut c, mut u, mut s, mut n, mut b) =
            (algorithm, construction, user.clone(), secret.clone(), nonce.as_bytes().to_vec(), body.clone());
        match change {
            Change::Body if b.is_empty() => b.push(0),
            Change::Body => { let i = flip.index(b.len()); b[i] ^= 1 << (i % 8); }
            Change::User => u.push('x'),
            Change::Secret if s.is_empty() => s.push(0),
            Change::Secret => { let i = flip.index(s.len()); s[i] ^= 0x80; }
            Change::Nonce => { let i = flip.index(n.len()); n[i] ^= 0x01; }
            Change::Algorithm => a = other_algorithm(a),
            Change::Construction => c = other_construction(c),
        }
        let changed = MacKey::new(a, c, &u, &Secret::new(s).into()).unwrap();
        let n = Nonce::new(&n).unwrap();
        // The original MAC no longer verifies under the changed inputs …
        prop_assert_eq!(changed.verify(&n, &b, &mac), Err(AuthError::Rejected));
        // … and the changed inputs' MAC does not verify under the original ones.
        prop_assert_eq!(key.verify(&nonce, &body, &changed.mac(&n, &b)), Err(AuthError::Rejected));
    }

    #[test]
    fn excluded_span_is_ignored_and_the_rest_is_covered(
        algorithm in algorithm(), construction in construction(), nonce in nonce(),
        body in prop::collection::vec(any::<u8>(), 1..600), a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(),
    ) {
        let key = MacKey::new(algorithm, construction, "dev", &Secret::new("pw").into()).unwrap();
        let (x, y) = (a.index(body.len() + 1), b.index(body.len() + 1));
        let span = x.min(y)..x.max(y);
        let mac = key.mac_excluding(&nonce, &body, span.clone()).unwrap();
        // Same as hashing the copied remainder.
        let rest = [&body[..span.start], &body[span.end..]].concat();
        prop_assert_eq!(key.mac(&nonce, &rest), mac);
        // Flipping a byte inside the span changes nothing; outside it, the MAC fails.
        let i = at.index(body.len());
        let mut tampered = body.clone();
        tampered[i] ^= 0xFF;
        let verdict = key.verify_excluding(&nonce, &tampered, span.clone(), &mac);
        if span.contains(&i) {
            prop_assert_eq!(verdict, Ok(()));
        } else {
            prop_assert_eq!(verdict, Err(AuthError::Rejected));
        }
    }

    #[test]
    fn md5_produced_then_verified_and_tampering_fails(
        user in "[a-zA-Z0-9]{1,12}", secret in secret(), nonce in nonce(), change in 0u8..3,
    ) {
        let [digest, password] = forms(Algorithm::Md5, &user, &secret);
        let cred = md5_credential(&user, &password, &nonce).unwrap();
        prop_assert_eq!(&md5_credential(&user, &digest, &nonce).unwrap(), &cred);
        prop_assert_eq!(verify_md5(&user, &password, &nonce, &cred), Ok(()));
        prop_assert_eq!(verify_md5(&user, &digest, &nonce, &cred), Ok(()));
        let (mut u, mut s, mut n) = (user.clone(), secret.clone(), nonce.as_bytes().to_vec());
        match change {
            0 => u.push('x'),
            1 => s.push(b'x'),
            _ => n[0] ^= 1,
        }
        let n = Nonce::new(&n).unwrap();
        for form in forms(Algorithm::Md5, &u, &s) {
            prop_assert_eq!(verify_md5(&u, &form, &n, &cred), Err(AuthError::Rejected));
        }
    }

    #[test]
    fn basic_produced_then_verified_and_tampering_fails(
        user in "[a-zA-Z0-9]{1,12}", secret in secret(), algorithm in algorithm(), change_user in any::<bool>(),
    ) {
        let cred = basic_credential(&user, &Secret::new(secret.clone()));
        for form in forms(algorithm, &user, &secret) {
            prop_assert_eq!(verify_basic(&user, &form, &cred), Ok(()));
        }
        let (mut u, mut s) = (user.clone(), secret.clone());
        if change_user { u.push('x') } else { s.push(b'x') }
        for form in forms(algorithm, &u, &s) {
            prop_assert_eq!(verify_basic(&u, &form, &cred), Err(AuthError::Rejected));
        }
    }

    #[test]
    fn params_format_then_parse_is_the_identity(
        username in username(), algorithm in algorithm(), mac in prop::collection::vec(any::<u8>(), 32),
    ) {
        let mac = Mac::new(algorithm, &mac[..algorithm.output_len()]).unwrap();
        let params = MacParams::new(username.clone(), mac);
        let text = params.to_string();
        prop_assert_eq!(text.len(), MacParams::encoded_len(algorithm, &username));
        prop_assert_eq!(MacParams::parse(&text).unwrap(), params);
    }

    #[test]
    fn params_parser_never_panics(input in "\\PC{0,600}") {
        if let Ok(params) = MacParams::parse(&input) {
            prop_assert_eq!(MacParams::parse(&params.to_string()).unwrap(), params);
        }
    }

    #[test]
    fn params_parser_never_panics_near_the_grammar(
        input in "(algorithm|username|mac|x|=|,|\"|\\\\| |\t|SHA256|MD5|alice|[A-Za-z0-9+/]{4}|==|é){0,40}",
    ) {
        if let Ok(params) = MacParams::parse(&input) {
            prop_assert_eq!(MacParams::parse(&params.to_string()).unwrap(), params);
        }
    }

    #[test]
    fn values_never_panic_and_round_trip(input in "\\PC{0,140}") {
        if let Ok(nonce) = Nonce::from_base64(&input) {
            prop_assert_eq!(nonce.to_base64(), input.clone());
        }
        if let Ok(mac) = Mac::from_base64(&input) {
            prop_assert_eq!(mac.to_base64(), input.clone());
        }
        if let Ok(digest) = SecretDigest::from_base64(&input) {
            prop_assert_eq!(digest.expose_base64(), input.as_str());
        }
        let _ = input.parse::<Algorithm>();
        let _ = input.parse::<Construction>();
        let _ = input.parse::<omadm_dmsec::AuthType>();
    }

    #[test]
    fn nonce_base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 1..=64)) {
        let nonce = Nonce::new(&bytes).unwrap();
        prop_assert_eq!(Nonce::from_base64(&nonce.to_base64()).unwrap(), nonce);
    }

    #[test]
    fn verifiers_never_panic_on_arbitrary_credentials(data in "\\PC{0,200}", nonce in nonce()) {
        let secret = StoredSecret::from(Secret::new("pw"));
        prop_assert_eq!(verify_basic("u", &secret, &data).is_ok(), data == basic_credential("u", &Secret::new("pw")));
        prop_assert!(verify_md5("u", &secret, &nonce, &data).is_err() || data == md5_credential("u", &secret, &nonce).unwrap());
    }
}
