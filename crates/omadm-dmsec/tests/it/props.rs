//! Laws (proptest): produce-then-verify, tamper-then-reject, format-then-parse, parsers that
//! agree with independent oracles.

use proptest::prelude::*;

use omadm_dmsec::{
    Algorithm, AuthError, Construction, Mac, MacKey, MacParams, Nonce, ParamsErrorKind, Secret,
    SecretDigest, StoredSecret, Username, basic_credential, md5_credential, verify_basic,
    verify_md5,
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
            let n = mac.write_base64(&mut out).unwrap();
            prop_assert_eq!(n, algorithm.base64_len());
            let text = mac.to_base64();
            prop_assert_eq!(&out[..n], text.as_bytes());
            prop_assert!(out[n..].iter().all(|&b| b == b'#'));
            // Issue 10: a short buffer is an error naming the length needed, not a panic, and
            // the buffer is left as it was.
            let mut short = vec![b'#'; n - 1];
            let err = mac.write_base64(&mut short).unwrap_err();
            prop_assert_eq!(err.needed(), n);
            prop_assert!(short.iter().all(|&b| b == b'#'));
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

    /// Arbitrary text: a list that parses formats back to itself; a refusal points inside the
    /// input, at the first `<` or `&` when there is one, and at the cap when the input exceeds it.
    #[test]
    fn params_parser_refusals_point_into_the_input(input in prop_oneof![
        "\\PC{0,600}",
        "(algorithm|username|mac|x|=|,|\"|\\\\| |\t|SHA256|MD5|alice|[A-Za-z0-9+/]{4}|==|é|<|&){0,40}",
    ]) {
        match MacParams::parse(&input) {
            Ok(params) => prop_assert_eq!(MacParams::parse(&params.to_string()).unwrap(), params),
            Err(e) => {
                prop_assert!(e.offset() <= input.len(), "{:?}: {:?}", input, e);
                if input.len() > MacParams::MAX_LEN {
                    prop_assert_eq!(e.kind(), ParamsErrorKind::TooLong);
                } else if let Some(at) = input.find(['<', '&']) {
                    prop_assert_eq!((e.kind(), e.offset()), (ParamsErrorKind::Markup, at));
                }
            }
        }
    }

    /// Every spelling the grammar allows (any order, whitespace around `=` and `,`, any case of
    /// the names and algorithm tokens, the aliases, quoted or bare values, escapes, `algorithm`
    /// left out for MD5) parses to the same list.
    #[test]
    fn params_parser_reads_every_spelling_of_a_list(
        (params, text) in spelled_params(),
    ) {
        prop_assert_eq!(MacParams::parse(&text), Ok(params), "{}", text);
    }

    /// Base64 values and tokens agree with independent oracles: a nonce, MAC or secret digest
    /// decodes exactly when the text is canonical padded standard base64 of an allowed length
    /// (and then re-encodes to the same text); the algorithm, construction and auth-type parsers
    /// accept exactly their tokens (algorithm aliases included), ignoring ASCII case.
    #[test]
    fn values_agree_with_oracles(input in prop_oneof![
        "\\PC{0,140}",
        "[A-Za-z0-9+/]{2,64}={0,2}",
        "([A-Za-z0-9+/]{4}){0,16}([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?",
        "(md5|MD5|Sha256|SHA-256|hmac-sha256|HMAC-MD5|digest|rfc2104|RFC2104|syncml:auth-md5|syncml:auth-MAC|syncml:auth-basic|x)",
    ]) {
        let decoded = oracle_b64(&input);
        let nonce = Nonce::from_base64(&input);
        prop_assert_eq!(
            nonce.is_ok(),
            decoded.as_ref().is_some_and(|d| (Nonce::MIN_LEN..=Nonce::MAX_LEN).contains(&d.len())),
            "nonce {:?}", input
        );
        if let Ok(nonce) = nonce {
            prop_assert_eq!(nonce.to_base64(), input.clone());
        }
        let mac = Mac::from_base64(&input);
        prop_assert_eq!(mac.is_ok(), decoded.as_ref().is_some_and(|d| d.len() == 16 || d.len() == 32), "mac {:?}", input);
        if let Ok(mac) = mac {
            prop_assert_eq!(mac.to_base64(), input.clone());
        }
        if let Ok(digest) = SecretDigest::from_base64(&input) {
            prop_assert!(decoded.is_some(), "digest {:?}", input);
            prop_assert_eq!(digest.expose_base64(), input.as_str());
        }
        let algorithm = input.parse::<Algorithm>();
        let alias = ["MD5", "HMAC-MD5", "SHA256", "SHA-256", "HMAC-SHA256"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&input));
        prop_assert_eq!(algorithm.is_ok(), alias, "algorithm {:?}", input);
        if let Ok(a) = algorithm {
            prop_assert_eq!(a.as_str().parse::<Algorithm>(), Ok(a));
        }
        for c in Construction::ALL {
            let expect = c.as_str().eq_ignore_ascii_case(&input);
            prop_assert_eq!(input.parse::<Construction>() == Ok(c), expect, "{:?}", input);
        }
        for t in omadm_dmsec::AuthType::ALL {
            let expect = t.as_str().eq_ignore_ascii_case(&input);
            prop_assert_eq!(input.parse::<omadm_dmsec::AuthType>() == Ok(t), expect, "{:?}", input);
        }
    }

    #[test]
    fn nonce_base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 1..=64)) {
        let nonce = Nonce::new(&bytes).unwrap();
        prop_assert_eq!(Nonce::from_base64(&nonce.to_base64()).unwrap(), nonce);
    }

    #[test]
    fn verifiers_accept_exactly_the_right_credential(data in "\\PC{0,200}", nonce in nonce()) {
        let secret = StoredSecret::from(Secret::new("pw"));
        prop_assert_eq!(verify_basic("u", &secret, &data).is_ok(), data == basic_credential("u", &Secret::new("pw")));
        prop_assert!(verify_md5("u", &secret, &nonce, &data).is_err() || data == md5_credential("u", &secret, &nonce).unwrap());
    }
}

/// A valid parameter list and one of its many spellings.
fn spelled_params() -> impl Strategy<Value = (MacParams, String)> {
    let ws = || prop::sample::select(vec!["", "", " ", "  ", "\t", "\r\n", " \n\t"]);
    let user = prop_oneof![
        username(),
        "[A-Za-z0-9._@-]{1,20}".prop_map(|s| Username::new(s).unwrap())
    ];
    (
        user,
        algorithm(),
        prop::collection::vec(any::<u8>(), 32),
        Just(()).prop_perturb(|(), mut rng| {
            use proptest::prelude::RngCore as _;
            rng.next_u64()
        }),
        prop::collection::vec(ws(), 6),
        prop::sample::select(vec![
            [0usize, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ]),
    )
        .prop_map(|(user, algorithm, mac, bits, ws, order)| {
            let mac = Mac::new(algorithm, &mac[..algorithm.output_len()]).unwrap();
            let bit = |i: u32| bits >> i & 1 == 1;
            let case = |name: &str, shift: u32| -> String {
                name.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if bits >> ((shift + i as u32) % 64) & 1 == 1 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect()
            };
            let quote = |v: &str| {
                let mut q = String::from("\"");
                for c in v.chars() {
                    if c == '"' || c == '\\' {
                        q.push('\\');
                    }
                    q.push(c);
                }
                q.push('"');
                q
            };
            let tokens: &[&str] = match algorithm {
                Algorithm::Md5 => &["MD5", "HMAC-MD5"],
                _ => &["SHA256", "SHA-256", "HMAC-SHA256"],
            };
            let token = case(
                &tokens[(bits >> 40) as usize % tokens.len()].to_ascii_lowercase(),
                41,
            );
            let bare_user = user
                .as_str()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
            let user_value = if bare_user && bit(0) {
                user.as_str().to_owned()
            } else {
                quote(user.as_str())
            };
            let mac_value = if bit(1) {
                quote(&mac.to_base64())
            } else {
                mac.to_base64()
            };
            let alg_value = if bit(2) { quote(&token) } else { token };
            let mut pairs = [
                Some(format!(
                    "{}{}={}{}",
                    case("algorithm", 3),
                    ws[0],
                    ws[1],
                    alg_value
                )),
                Some(format!(
                    "{}{}={}{}",
                    case("username", 13),
                    ws[2],
                    ws[3],
                    user_value
                )),
                Some(format!(
                    "{}{}={}{}",
                    case("mac", 23),
                    ws[0],
                    ws[3],
                    mac_value
                )),
            ];
            // An absent algorithm means MD5.
            if matches!(algorithm, Algorithm::Md5) && bit(30) {
                pairs[0] = None;
            }
            let sep = format!("{},{}", ws[4], ws[5]);
            let text = order
                .iter()
                .filter_map(|&i| pairs[i].clone())
                .collect::<Vec<_>>()
                .join(&sep);
            (MacParams::new(user, mac), text)
        })
}

/// The bytes `text` encodes if it is canonical padded standard base64 (RFC 4648: groups of four
/// alphabet characters, one or two `=` closing the last group, unused low bits zero), else
/// `None`. Written here independently of the crate.
fn oracle_b64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let body = text
        .strip_suffix("==")
        .or_else(|| text.strip_suffix('='))
        .unwrap_or(text);
    let mut bits = Vec::new();
    for c in body.chars() {
        let v = ALPHABET.find(c)?;
        bits.extend((0..6).rev().map(|i| v >> i & 1 == 1));
    }
    // The bits past the last whole byte must be zero (else two texts would mean one value).
    if bits[bits.len() / 8 * 8..].iter().any(|&b| b) {
        return None;
    }
    Some(
        bits.chunks_exact(8)
            .map(|b| b.iter().fold(0u8, |n, &x| n << 1 | u8::from(x)))
            .collect(),
    )
}
