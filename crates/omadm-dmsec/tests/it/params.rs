//! The parameter-list parser and formatter, one case per line through `check`.

use omadm_dmsec::{Algorithm, Mac, MacParams, ParamsErrorKind, Username};

const SHA_MAC: &str = "ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA=";
const MD5_MAC: &str = "aSBvnDHzBa7JhdjeEEUR2g==";

/// What a parse should give: the canonical form it formats back to, or an error kind and offset.
enum Expect<'a> {
    Canonical(&'a str),
    Error(ParamsErrorKind, usize),
}
use Expect::{Canonical, Error};

#[track_caller]
fn check(input: &str, expect: Expect<'_>) {
    match (MacParams::parse(input), expect) {
        (Ok(params), Canonical(want)) => {
            assert_eq!(params.to_string(), want, "input {input:?}");
            assert_eq!(params.len(), want.len());
            assert_eq!(
                MacParams::parse(want).unwrap(),
                params,
                "canonical form reparses"
            );
        }
        (Err(e), Error(kind, offset)) => {
            assert_eq!(
                (e.kind(), e.offset()),
                (kind, offset),
                "input {input:?}: {e}"
            );
        }
        (got, _) => panic!("input {input:?}: unexpected {got:?}"),
    }
}

fn canonical_sha(user: &str) -> String {
    format!("algorithm=SHA256, username=\"{user}\", mac={SHA_MAC}")
}

#[test]
fn accepted_forms() {
    let alice = canonical_sha("alice");
    let alice = alice.as_str();
    check(alice, Canonical(alice));
    // any order, any spacing, bare or quoted values, case-insensitive names and tokens
    check(
        &format!("mac={SHA_MAC},username=\"alice\",algorithm=SHA256"),
        Canonical(alice),
    );
    check(
        &format!("  username = alice ,\tmac = \"{SHA_MAC}\" , algorithm = sha256  "),
        Canonical(alice),
    );
    check(
        &format!("ALGORITHM=Sha-256, UserName=\"alice\", MAC={SHA_MAC}"),
        Canonical(alice),
    );
    check(
        &format!("algorithm=HMAC-SHA256, username=\"alice\", mac={SHA_MAC}"),
        Canonical(alice),
    );
    check(
        &format!("algorithm=\"SHA256\",\r\n username=\"alice\",\r\n mac={SHA_MAC}"),
        Canonical(alice),
    );
    // algorithm absent means MD5 (DM 1.2 grammar)
    let md5 = format!("algorithm=MD5, username=\"alice\", mac={MD5_MAC}");
    check(
        &format!("username=\"alice\", mac={MD5_MAC}"),
        Canonical(&md5),
    );
    check(
        &format!("algorithm=hmac-md5, username=\"alice\", mac={MD5_MAC}"),
        Canonical(&md5),
    );
    // quoted-string escapes; the formatter escapes `"` and `\` again
    check(
        &format!(r#"algorithm=SHA256, username="a\"b\\c\d", mac={SHA_MAC}"#),
        Canonical(&format!(
            r#"algorithm=SHA256, username="a\"b\\cd", mac={SHA_MAC}"#
        )),
    );
    // non-ASCII usernames are fine
    check(&canonical_sha("jörg"), Canonical(&canonical_sha("jörg")));
    check(
        &canonical_sha("a,b=c d"),
        Canonical(&canonical_sha("a,b=c d")),
    );
}

#[test]
fn rejected_forms() {
    use ParamsErrorKind::*;
    let long = format!(
        "{}{}",
        canonical_sha("alice"),
        " ".repeat(MacParams::MAX_LEN)
    );
    check(&long, Error(TooLong, MacParams::MAX_LEN));
    check(
        &format!("algorithm=SHA256, username=\"a<b\", mac={SHA_MAC}"),
        Error(Markup, 29),
    );
    check(
        &format!("algorithm=SHA256, username=\"a&amp;\", mac={SHA_MAC}"),
        Error(Markup, 29),
    );
    check("", Error(Syntax, 0));
    check("   ", Error(Syntax, 3));
    check(
        &format!("username=alice,, mac={SHA_MAC}"),
        Error(Syntax, 15),
    );
    check(
        &format!("username=alice, mac={SHA_MAC},"),
        Error(Syntax, 65),
    );
    check(&format!("username alice, mac={SHA_MAC}"), Error(Syntax, 9));
    check(&format!("username=, mac={SHA_MAC}"), Error(Syntax, 9));
    check(
        &format!("username=\"alice, mac={SHA_MAC}"),
        Error(Syntax, 65),
    );
    check(
        &format!("username=\"alice\"x, mac={SHA_MAC}"),
        Error(Syntax, 16),
    );
    check(&format!("username=alice mac={SHA_MAC}"), Error(Syntax, 15));
    check(
        &format!("username=alice, mac={SHA_MAC}, realm=x"),
        Error(UnknownParam, 66),
    );
    check(
        &format!("username=alice, username=bob, mac={SHA_MAC}"),
        Error(Duplicate, 16),
    );
    check(
        &format!("username=alice, mac={SHA_MAC}, mac={SHA_MAC}"),
        Error(Duplicate, 66),
    );
    check(
        &format!("algorithm=MD5, algorithm=MD5, username=a, mac={MD5_MAC}"),
        Error(Duplicate, 15),
    );
    check(&format!("mac={SHA_MAC}"), Error(MissingUsername, 48));
    check("algorithm=SHA256, username=alice", Error(MissingMac, 32));
    check(
        &format!("algorithm=SHA1, username=alice, mac={SHA_MAC}"),
        Error(UnknownAlgorithm, 10),
    );
    check(
        &format!("algorithm=SHA-512, username=alice, mac={SHA_MAC}"),
        Error(UnknownAlgorithm, 10),
    );
    check(
        "algorithm=SHA256, username=alice, mac=not*base64",
        Error(MacBase64, 38),
    );
    // unpadded and non-canonical base64 are refused
    check(
        &format!(
            "algorithm=SHA256, username=alice, mac={}",
            SHA_MAC.trim_end_matches('=')
        ),
        Error(MacBase64, 38),
    );
    check(
        "algorithm=MD5, username=alice, mac=aSBvnDHzBa7JhdjeEEUR2h==",
        Error(MacBase64, 35),
    );
    // a MAC of the wrong length for the algorithm (including the MD5 default)
    check(
        &format!("algorithm=SHA256, username=alice, mac={MD5_MAC}"),
        Error(MacLength, 38),
    );
    check(
        &format!("username=alice, mac={SHA_MAC}"),
        Error(MacLength, 20),
    );
    check(
        "algorithm=MD5, username=alice, mac=AAAA",
        Error(MacLength, 35),
    );
    // usernames: empty, too long, control characters, `>`
    check(
        &format!("username=\"\", mac={SHA_MAC}, algorithm=SHA256"),
        Error(Username, 9),
    );
    let user = "u".repeat(omadm_dmsec::Username::MAX_LEN + 1);
    check(
        &format!("username={user}, mac={SHA_MAC}, algorithm=SHA256"),
        Error(Username, 9),
    );
    check(
        &format!("username=\"a\tb\", mac={SHA_MAC}, algorithm=SHA256"),
        Error(Username, 9),
    );
    check(
        &format!("username=\"a\\\u{7f}\", mac={SHA_MAC}, algorithm=SHA256"),
        Error(Username, 9),
    );
    check(
        &format!("username=\"a]]>\", mac={SHA_MAC}, algorithm=SHA256"),
        Error(Username, 9),
    );
}

#[test]
fn username_rules() {
    assert!(Username::new("alice").is_ok());
    assert!(Username::new("u".repeat(Username::MAX_LEN)).is_ok());
    for (bad, at) in [
        ("", 0),
        ("a\nb", 1),
        ("a<b", 1),
        ("é>", 2),
        ("&", 0),
        ("x\u{85}", 1),
    ] {
        let e = Username::new(bad).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (ParamsErrorKind::Username, at),
            "{bad:?}"
        );
    }
    let e = Username::new("u".repeat(Username::MAX_LEN + 1)).unwrap_err();
    assert_eq!(e.kind(), ParamsErrorKind::Username);
}

#[test]
fn encoded_len_matches_the_formatted_length() {
    for name in [
        "a",
        "alice",
        "dev1",
        "x\"y",
        "\\\\",
        "jörg",
        &"q".repeat(Username::MAX_LEN),
        &"\"".repeat(Username::MAX_LEN),
    ] {
        let username = Username::new(name).unwrap();
        for algorithm in Algorithm::ALL {
            let mac = Mac::new(algorithm, &vec![0xA5; algorithm.output_len()]).unwrap();
            let params = MacParams::new(username.clone(), mac);
            let text = params.to_string();
            assert_eq!(
                MacParams::encoded_len(algorithm, &username),
                text.len(),
                "{text}"
            );
            assert!(text.len() <= MacParams::MAX_LEN);
            assert_eq!(MacParams::parse(&text).unwrap(), params);
        }
    }
    // The figures the emitter relies on.
    let alice = Username::new("alice").unwrap();
    assert_eq!(MacParams::encoded_len(Algorithm::Sha256, &alice), 84);
    assert_eq!(MacParams::encoded_len(Algorithm::Md5, &alice), 61);
}
