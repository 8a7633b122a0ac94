//! The validated newtypes: what they accept, how they print, what they refuse.

use core::str::FromStr;

use proptest::prelude::*;

use omadm_syncml::__private::parse_count;
use omadm_syncml::{
    AlertCode, CmdId, CmdRef, Format, Mark, MsgId, MsgRef, SessionId, StatusCode, ValueError,
};

/// Parses `input` as `T` and compares its Display with `expect` (`None`: refused with `err`).
fn check<T>(input: &str, expect: Result<&str, ValueError>)
where
    T: FromStr<Err = ValueError> + core::fmt::Display,
{
    let got = input.parse::<T>().map(|v| v.to_string());
    assert_eq!(got.as_deref().map_err(|e| *e), expect, "{input:?}");
}

#[test]
fn msg_id() {
    check::<MsgId>("1", Ok("1"));
    check::<MsgId>("4294967295", Ok("4294967295"));
    check::<MsgId>("007", Ok("7"));
    for bad in [
        "0",
        "",
        " 1",
        "1 ",
        "-1",
        "+1",
        "4294967296",
        "1.0",
        "x",
        "١",
    ] {
        check::<MsgId>(bad, Err(ValueError::MsgId));
    }
    assert_eq!(MsgId::new(0), Err(ValueError::MsgId));
    assert_eq!(MsgId::MIN.get(), 1);
    assert_eq!(MsgId::new(u32::MAX).unwrap().next(), None);
    assert_eq!(MsgId::MIN.next().map(MsgId::get), Some(2));
}

#[test]
fn cmd_id() {
    check::<CmdId>("1001", Ok("1001"));
    for bad in ["0", "", "99999999999999999999", "1e3", "0x10"] {
        check::<CmdId>(bad, Err(ValueError::CmdId));
    }
    assert_eq!(u32::from(CmdId::try_from(5).unwrap()), 5);
    assert_eq!(CmdId::try_from(0), Err(ValueError::CmdId));
}

#[test]
fn msg_ref() {
    // Read leniently: `0` is allowed (a Windows MDM check-in sends it).
    check::<MsgRef>("0", Ok("0"));
    check::<MsgRef>("4294967295", Ok("4294967295"));
    for bad in ["", "-1", "4294967296", " 0", "x"] {
        check::<MsgRef>(bad, Err(ValueError::MsgRef));
    }
}

#[test]
fn cmd_ref() {
    check::<CmdRef>("0", Ok("0"));
    check::<CmdRef>("4294967295", Ok("4294967295"));
    for bad in ["", "-1", "4294967296", " 0"] {
        check::<CmdRef>(bad, Err(ValueError::CmdRef));
    }
    assert_eq!(CmdRef::SYNC_HDR.get(), 0);
    assert_eq!(CmdRef::to(CmdId::new(3).unwrap()).get(), 3);
}

#[test]
fn alert_code() {
    check::<AlertCode>("1230", Ok("1230"));
    check::<AlertCode>("0", Ok("0"));
    check::<AlertCode>("9999", Ok("9999"));
    for bad in ["10000", "", "12 30", "-1230"] {
        check::<AlertCode>(bad, Err(ValueError::AlertCode));
    }
    assert_eq!(AlertCode::SESSIONLESS_REPORT.get(), 1230);
    assert_eq!(AlertCode::new(10_000), Err(ValueError::AlertCode));
}

#[test]
fn status_code() {
    check::<StatusCode>("200", Ok("200"));
    check::<StatusCode>("100", Ok("100"));
    check::<StatusCode>("999", Ok("999"));
    for bad in ["99", "1000", "", "2OO"] {
        check::<StatusCode>(bad, Err(ValueError::StatusCode));
    }
    assert_eq!(StatusCode::new(42), Err(ValueError::StatusCode));
}

#[test]
fn interop_long_session_ids() {
    // AOSP's DM test server sends a 5-digit SessionID, data-sync servers 10-digit ones.
    for id in ["18629", "1234567890"] {
        let s = SessionId::new(id).unwrap();
        assert_eq!(s.as_str(), id);
        assert!(!s.is_sessionless());
    }
}

#[test]
fn session_id() {
    for good in ["0", "1", "abcd", "日本語x", &"日".repeat(32)] {
        assert_eq!(SessionId::new(good).unwrap().as_str(), good);
    }
    for bad in [
        "",
        &"7".repeat(33),
        " 0",
        "0 ",
        "a b",
        "<",
        "&",
        "\u{0}",
        "\t",
    ] {
        assert_eq!(SessionId::new(bad), Err(ValueError::SessionId), "{bad:?}");
    }
    assert!(SessionId::SESSIONLESS.is_sessionless());
    assert!(!SessionId::new("00").unwrap().is_sessionless());
    assert_eq!(SessionId::new("7").unwrap().to_string(), "7");
}

#[test]
fn count() {
    assert_eq!(parse_count("0"), Ok(0));
    assert_eq!(parse_count("18446744073709551615"), Ok(u64::MAX));
    for bad in ["", "18446744073709551616", "-1", "1k", " 1"] {
        assert_eq!(parse_count(bad), Err(ValueError::Count), "{bad:?}");
    }
}

#[test]
fn format_tokens() {
    for f in Format::KNOWN {
        assert_eq!(Format::parse_known(f.as_str()), Ok(f.clone()));
        assert_eq!(Format::from_token(f.as_str()), f);
        assert_eq!(f.to_string(), f.as_str());
        assert!(f.is_known());
    }
    let other = Format::from_token("text/plain");
    assert_eq!(other, Format::Other("text/plain".into()));
    assert!(!other.is_known());
    for bad in ["XML", "", " xml", "base64"] {
        assert_eq!(Format::parse_known(bad), Err(ValueError::Format), "{bad:?}");
    }
}

#[test]
fn mark_tokens() {
    for m in Mark::LEVELS {
        assert_eq!(Mark::parse_level(m.as_str()), Ok(m.clone()));
        assert_eq!(Mark::from_token(m.as_str()), m);
        assert!(m.is_level());
    }
    assert_eq!(Mark::from_token("major"), Mark::Other("major".into()));
    for bad in ["major", "Critical", "", "draft"] {
        assert_eq!(Mark::parse_level(bad), Err(ValueError::Mark), "{bad:?}");
    }
}

#[test]
fn value_errors_display_lowercase() {
    for e in [
        ValueError::MsgId,
        ValueError::MsgRef,
        ValueError::CmdId,
        ValueError::CmdRef,
        ValueError::SessionId,
        ValueError::AlertCode,
        ValueError::StatusCode,
        ValueError::Count,
        ValueError::Format,
        ValueError::Mark,
    ] {
        let text = e.to_string();
        assert!(text.starts_with("invalid "), "{text}");
        assert!(!text.ends_with('.'), "{text}");
    }
}

proptest! {
    #[test]
    fn msg_id_display_parse_round_trip(n in 1u32..) {
        let id = MsgId::new(n).unwrap();
        prop_assert_eq!(id.to_string().parse::<MsgId>(), Ok(id));
    }

    #[test]
    fn cmd_id_display_parse_round_trip(n in 1u32..) {
        let id = CmdId::new(n).unwrap();
        prop_assert_eq!(id.to_string().parse::<CmdId>(), Ok(id));
    }

    #[test]
    fn cmd_ref_display_parse_round_trip(n in any::<u32>()) {
        prop_assert_eq!(CmdRef::from(n).to_string().parse::<CmdRef>(), Ok(CmdRef::from(n)));
    }

    #[test]
    fn alert_code_display_parse_round_trip(n in 0u16..=9999) {
        let code = AlertCode::new(n).unwrap();
        prop_assert_eq!(code.to_string().parse::<AlertCode>(), Ok(code));
    }

    #[test]
    fn status_code_display_parse_round_trip(n in 100u16..=999) {
        let code = StatusCode::new(n).unwrap();
        prop_assert_eq!(code.to_string().parse::<StatusCode>(), Ok(code));
    }

    #[test]
    fn session_id_display_new_round_trip(id in omadm_testkit::strategies::arb_session_id()) {
        prop_assert_eq!(SessionId::new(id.to_string()), Ok(id));
    }

    /// Every numeric parser agrees with an independent oracle: `Ok(v)` exactly when the text is
    /// 1 to 20 ASCII digits whose value lies in the type's range, and then `v` is that value;
    /// `SessionID` is `Ok` exactly for 1 to 32 characters without whitespace, control
    /// characters, `<` or `&`, and keeps the text as given.
    #[test]
    fn id_parsers_agree_with_an_oracle(s in id_text()) {
        prop_assert_eq!(s.parse::<MsgId>().map(u32::from).ok(), oracle(&s, 1, u32::MAX.into()).map(|v| v as u32));
        prop_assert_eq!(s.parse::<MsgRef>().map(u32::from).ok(), oracle(&s, 0, u32::MAX.into()).map(|v| v as u32));
        prop_assert_eq!(s.parse::<CmdId>().map(u32::from).ok(), oracle(&s, 1, u32::MAX.into()).map(|v| v as u32));
        prop_assert_eq!(s.parse::<CmdRef>().map(u32::from).ok(), oracle(&s, 0, u32::MAX.into()).map(|v| v as u32));
        prop_assert_eq!(s.parse::<AlertCode>().map(u16::from).ok(), oracle(&s, 0, 9999).map(|v| v as u16));
        prop_assert_eq!(s.parse::<StatusCode>().map(u16::from).ok(), oracle(&s, 100, 999).map(|v| v as u16));
        prop_assert_eq!(parse_count(&s).ok(), oracle(&s, 0, u64::MAX.into()).map(|v| v as u64));
        let n = s.chars().count();
        let clean = !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '&');
        match SessionId::new(s.as_str()) {
            Ok(id) => {
                prop_assert!((1..=32).contains(&n) && clean, "{:?} accepted", s);
                prop_assert_eq!(id.as_str(), s.as_str());
            }
            Err(e) => {
                prop_assert!(!((1..=32).contains(&n) && clean), "{:?} refused", s);
                prop_assert_eq!(e, ValueError::SessionId);
            }
        }
    }
}

/// Texts near the numeric grammar (digit runs of every length around the 20-digit cap, signs,
/// spaces, leading zeros, non-ASCII digits) and arbitrary text.
fn id_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,22}",
        "0{0,20}[1-9][0-9]{0,4}",
        "[ +-]?[0-9]{1,10}[ .]?",
        "[0-9١]{1,4}",
        "(?s).{0,40}",
    ]
}

/// The decimal value of `s` when it is 1 to 20 ASCII digits and the value is in `min..=max`.
fn oracle(s: &str, min: u128, max: u128) -> Option<u128> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v = s.bytes().fold(0u128, |v, b| v * 10 + u128::from(b - b'0'));
    (min..=max).contains(&v).then_some(v)
}
