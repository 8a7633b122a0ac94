//! `SessionlessReport`: the rules `new` enforces, the Item it makes, and reading it back.

use std::borrow::Cow;

use proptest::prelude::*;

use omadm_syncml::sessionless::{
    MAX_DATA_LEN, MAX_SOURCE_URI_LEN, MAX_TYPE_LEN, ReportError, Rule, SessionlessReport,
};
use omadm_syncml::{AlertCode, Carriage, CmdId, Format, Item, ItemData, Mark, Meta, Source};
use omadm_testkit::strategies::{arb_report, arb_report_parts};

fn with_type(ty: &str) -> Result<(), ReportError> {
    SessionlessReport::new(None, ty, Format::Chr, None, "x").map(drop)
}

fn with_source(uri: &str) -> Result<(), ReportError> {
    SessionlessReport::new(Some(uri.into()), "com.example.x", Format::Chr, None, "x").map(drop)
}

fn with_data(data: &str) -> Result<(), ReportError> {
    SessionlessReport::new(None, "com.example.x", Format::Chr, None, data).map(drop)
}

#[test]
fn type_grammar_accepts() {
    for ty in [
        "urn:oma:mo:samplealert1:1.0",
        "urn:oma:at:diagmon:1.0:OperationComplete",
        "URN:OMA:AT:x:1",
        "urn:x-vendor:a/b?c=d",
        "urn:oma:mo:é",
        "Reversed-Domain-Name: org.openmobilealliance.dm.samplealert",
        "Reversed-Domain-Name:com.microsoft.mdm.win32csp_install",
        "Reversed-Domain-Name: x",
        "Content-Type: application/samplealert",
        "Content-Type:application/json",
        "Content-Type: application/json; charset=utf-8",
        "org.openmobilealliance.dm.firmwareupdate.downloadandupdate",
        "com.example",
        "a.b",
        "x-y_z.0-9",
    ] {
        assert_eq!(with_type(ty), Ok(()), "{ty:?}");
    }
    let longest = format!("com.{}", "a".repeat(MAX_TYPE_LEN - 4));
    assert_eq!(with_type(&longest), Ok(()));
}

#[test]
fn type_grammar_refuses() {
    use ReportError::*;
    for (ty, err) in [
        ("", TypeEmpty),
        (" com.example", TypeWhitespace),
        ("com.example ", TypeWhitespace),
        ("com.example\n", TypeWhitespace),
        ("\u{a0}com.example", TypeWhitespace),
        ("com", TypeSyntax),
        ("com..example", TypeSyntax),
        (".com.example", TypeSyntax),
        ("com.example.", TypeSyntax),
        ("com.exa mple", TypeSyntax),
        ("com.exämple", TypeSyntax),
        ("text/plain", TypeSyntax),
        ("urn:", TypeSyntax),
        ("urn:oma", TypeSyntax),
        ("urn:oma:", TypeSyntax),
        ("urn::x", TypeSyntax),
        ("urn:-oma:x", TypeSyntax),
        ("urn:oma:a b", TypeSyntax),
        ("urn:oma:a\u{0}", TypeSyntax),
        ("urn:oma:a\u{7}b", TypeSyntax),
        ("Reversed-Domain-Name:", TypeSyntax),
        ("Reversed-Domain-Name: ", TypeWhitespace),
        ("Reversed-Domain-Name:  com.example", TypeSyntax),
        ("Reversed-Domain-Name: com.example x", TypeSyntax),
        ("reversed-domain-name: com.example", TypeSyntax),
        ("Content-Type:", TypeSyntax),
        ("Content-Type:  text/plain", TypeSyntax),
        ("Content-Type:\ttext/plain", TypeSyntax),
        ("content-type: text/plain", TypeSyntax),
        ("Content-Type: a\tb", TypeSyntax),
        ("x-oma-application:foo", TypeSyntax),
    ] {
        assert_eq!(with_type(ty), Err(err), "{ty:?}");
    }
    let too_long = format!("com.{}", "a".repeat(MAX_TYPE_LEN - 3));
    assert_eq!(with_type(&too_long), Err(TypeTooLong));
}

#[test]
fn source_uri_rules() {
    use ReportError::*;
    for uri in ["./MOA/ExtA", "x", "./a b/c", "./Ext&<\"]]>", "./日本"] {
        assert_eq!(with_source(uri), Ok(()), "{uri:?}");
    }
    for (uri, err) in [
        ("", SourceUriEmpty),
        (" ./a", SourceUriWhitespace),
        ("./a\n", SourceUriWhitespace),
        ("./a\tb", SourceUriChar),
        ("./a\u{0}", SourceUriChar),
        ("./a\u{7f}", SourceUriChar),
        ("./a\u{ffff}", SourceUriChar),
    ] {
        assert_eq!(with_source(uri), Err(err), "{uri:?}");
    }
    assert_eq!(with_source(&"a".repeat(MAX_SOURCE_URI_LEN)), Ok(()));
    assert_eq!(
        with_source(&"a".repeat(MAX_SOURCE_URI_LEN + 1)),
        Err(SourceUriTooLong)
    );
}

#[test]
fn data_rules() {
    for data in [
        "",
        " ",
        "]]>",
        "<a>&amp;</a>",
        "line\nline\ttab\r\n",
        "é日本😀\u{10ffff}\u{fffd}\u{e000}",
    ] {
        assert_eq!(with_data(data), Ok(()), "{data:?}");
    }
    for data in [
        "\0",
        "a\u{1}",
        "\u{b}",
        "\u{c}",
        "\u{1f}",
        "\u{fffe}",
        "x\u{ffff}",
    ] {
        assert_eq!(with_data(data), Err(ReportError::DataChar), "{data:?}");
    }
    assert_eq!(with_data(&"a".repeat(MAX_DATA_LEN)), Ok(()));
    assert_eq!(
        with_data(&"a".repeat(MAX_DATA_LEN + 1)),
        Err(ReportError::DataTooLong)
    );
}

#[test]
fn format_and_mark_rules() {
    let new = |format, mark| SessionlessReport::new(None, "a.b", format, mark, "").map(drop);
    for f in Format::KNOWN {
        assert_eq!(new(f, None), Ok(()));
    }
    for m in Mark::LEVELS {
        assert_eq!(new(Format::Chr, Some(m)), Ok(()));
    }
    assert_eq!(
        new(Format::from_token("text"), None),
        Err(ReportError::Format)
    );
    assert_eq!(
        new(Format::Chr, Some(Mark::from_token("major"))),
        Err(ReportError::Mark)
    );
}

#[test]
fn errors_name_their_rule() {
    use ReportError::*;
    for (e, rule) in [
        (SourceUriEmpty, Rule::SourceUri),
        (SourceUriTooLong, Rule::SourceUri),
        (SourceUriWhitespace, Rule::SourceUri),
        (SourceUriChar, Rule::SourceUri),
        (TypeEmpty, Rule::TypeValue),
        (TypeTooLong, Rule::TypeValue),
        (TypeWhitespace, Rule::TypeValue),
        (TypeSyntax, Rule::TypeValue),
        (Format, Rule::FormatValue),
        (Mark, Rule::MarkValue),
        (DataTooLong, Rule::DataValue),
        (DataChar, Rule::DataValue),
    ] {
        assert_eq!(e.rule(), rule);
        let text = e.to_string();
        assert!(
            text.starts_with(char::is_lowercase) && !text.ends_with('.'),
            "{text}"
        );
    }
}

#[test]
fn accessors() {
    let r = SessionlessReport::new(
        Some("./MOA/ExtA".into()),
        "urn:oma:mo:samplealert1:1.0",
        Format::Xml,
        Some(Mark::Critical),
        "<x/>",
    )
    .unwrap();
    assert_eq!(r.source_uri(), Some("./MOA/ExtA"));
    assert_eq!(r.alert_type(), "urn:oma:mo:samplealert1:1.0");
    assert_eq!(r.format(), &Format::Xml);
    assert_eq!(r.mark(), Some(&Mark::Critical));
    assert_eq!(r.effective_mark(), &Mark::Critical);
    assert_eq!(r.data(), "<x/>");
    let plain = SessionlessReport::new(None, "a.b", Format::Chr, None, "").unwrap();
    assert_eq!(plain.mark(), None);
    assert_eq!(plain.effective_mark(), &Mark::Informational);
    assert_eq!(plain.source_uri(), None);
}

#[test]
fn to_item_is_the_1230_item() {
    let r = SessionlessReport::new(
        Some("./MOA/ExtA".into()),
        "urn:oma:mo:samplealert1:1.0",
        Format::Xml,
        Some(Mark::Informational),
        "<!-- data -->",
    )
    .unwrap();
    let expect = Item {
        source: Some(Source {
            loc_uri: "./MOA/ExtA".into(),
            loc_name: None,
        }),
        meta: Some(Meta {
            format: Some(Format::Xml),
            ty: Some("urn:oma:mo:samplealert1:1.0".into()),
            mark: Some(Mark::Informational),
            ..Meta::default()
        }),
        data: Some(ItemData::cdata("<!-- data -->")),
        ..Item::default()
    };
    assert_eq!(r.to_item(), expect);
    let alert = r.to_alert(CmdId::new(1001).unwrap());
    assert_eq!(alert.data, Some(AlertCode::SESSIONLESS_REPORT));
    assert_eq!(alert.items, vec![expect]);
    assert!(!alert.no_resp && alert.cred.is_none() && alert.correlator.is_none());
}

#[test]
fn from_alert_borrows() {
    let r = SessionlessReport::new(None, "a.b", Format::Chr, None, "payload").unwrap();
    let alert = r.to_alert(CmdId::MIN);
    let back = SessionlessReport::from_alert(&alert).unwrap();
    assert_eq!(back.clone().into_owned(), back);
    let data_ptr = match &alert.items[0].data {
        Some(d) => d.value.as_ptr(),
        None => unreachable!(),
    };
    assert_eq!(back.data().as_ptr(), data_ptr, "the data was copied");
}

#[test]
fn from_alert_names_the_first_broken_rule() {
    let r = SessionlessReport::new(None, "a.b", Format::Chr, None, "x").unwrap();
    let mut alert = r.to_alert(CmdId::new(7).unwrap()).into_owned();
    alert.items[0].data.as_mut().unwrap().carriage = Carriage::Escaped;
    let v = SessionlessReport::from_alert(&alert).unwrap_err();
    assert_eq!(v.rule, Rule::DataCdata);
    assert_eq!(v.location.path, "Alert/Item/Data");
    assert_eq!(v.location.cmd_id, CmdId::new(7).ok());
    assert_eq!(v.location.command, None);

    alert.data = Some(AlertCode::GENERIC_ALERT);
    let v = SessionlessReport::from_alert(&alert).unwrap_err();
    assert_eq!(
        (v.rule, v.location.path.as_str()),
        (Rule::AlertCode, "Alert/Data")
    );

    alert.data = Some(AlertCode::SESSIONLESS_REPORT);
    alert.items.clear();
    let v = SessionlessReport::from_alert(&alert).unwrap_err();
    assert_eq!(
        (v.rule, v.location.path.as_str()),
        (Rule::ItemCount, "Alert")
    );
}

#[test]
fn try_from_alert_moves_without_copying() {
    let text = String::from("payload");
    let ptr = text.as_ptr();
    let r = SessionlessReport::new(None, "a.b", Format::Chr, None, Cow::Owned(text)).unwrap();
    let alert = r.to_alert(CmdId::MIN).into_owned();
    let ptr = match &alert.items[0].data {
        Some(d) => {
            assert_ne!(d.value.as_ptr(), ptr);
            d.value.as_ptr()
        }
        None => unreachable!(),
    };
    let moved = SessionlessReport::try_from(alert).unwrap();
    assert_eq!(moved.data().as_ptr(), ptr, "the data was copied");
    assert_eq!(moved, r);

    let mut bad = r.to_alert(CmdId::new(3).unwrap()).into_owned();
    bad.no_resp = true;
    let v = SessionlessReport::try_from(bad).unwrap_err();
    assert_eq!(
        (v.rule, v.location.path.as_str()),
        (Rule::AlertNoResp, "Alert/NoResp")
    );
}

#[test]
fn into_owned_detaches() {
    let data = String::from("abc");
    let owned: SessionlessReport<'static> = {
        let r = SessionlessReport::new(None, "a.b", Format::Chr, None, Cow::Borrowed(&*data));
        r.unwrap().into_owned()
    };
    drop(data);
    assert_eq!(owned.data(), "abc");
}

proptest! {
    #[test]
    fn new_accepts_what_the_strategy_generates(p in arb_report_parts()) {
        let built = p.build();
        prop_assert!(built.is_ok(), "{:?}: {:?}", p, built);
    }

    #[test]
    fn from_alert_of_to_item_is_the_identity(r in arb_report(), id in 1u32..) {
        let alert = r.to_alert(CmdId::new(id).unwrap());
        prop_assert_eq!(SessionlessReport::from_alert(&alert), Ok(r.clone()));
        prop_assert_eq!(SessionlessReport::try_from(alert.clone()), Ok(r.clone()));
        let item = r.to_item();
        prop_assert_eq!(item.data.as_ref().map(|d| d.carriage), Some(Carriage::Cdata));
    }

    /// `new` on arbitrary and near-valid texts: its verdict is the first failing field check (the
    /// source URI, then the Type, then the data, each judged alone); the data check agrees with
    /// an independent oracle (at most `MAX_DATA_LEN` bytes of XML 1.0 characters); a report it
    /// builds holds exactly the texts given and reads back from its alert unchanged.
    #[test]
    fn new_is_the_first_failing_field_check(
        uri in proptest::option::of(prop_oneof![
            "(?s).{0,12}",
            "\\./[A-Za-z0-9/]{1,12}",
            "[ \t]?\\./Ext[ \t]?",
        ]),
        ty in prop_oneof![
            "(?s).{0,24}",
            "(urn|URN):[a-z0-9-]{1,6}:[a-z0-9:.]{0,12}",
            "[a-z]{1,6}(\\.[a-z_-]{1,6}){0,3}",
            "(Reversed-Domain-Name|Content-Type): ?[a-z/.;= ]{0,12}",
        ],
        data in prop_oneof!["(?s).{0,24}", "\\PC{0,24}"],
        id in 1u32..,
    ) {
        let expected = uri
            .as_deref()
            .map_or(Ok(()), with_source)
            .and_then(|()| with_type(&ty))
            .and_then(|()| with_data(&data));
        let data_ok = data.len() <= MAX_DATA_LEN && data.chars().all(is_xml_char);
        prop_assert_eq!(with_data(&data).is_ok(), data_ok, "data {:?}", data);
        let built = SessionlessReport::new(uri.clone().map(Cow::Owned), ty.clone(), Format::Chr, None, data.clone());
        prop_assert_eq!(built.as_ref().map(drop).map_err(|e| *e), expected);
        if let Ok(r) = built {
            prop_assert_eq!(r.source_uri(), uri.as_deref());
            prop_assert_eq!(r.alert_type(), ty.as_str());
            prop_assert_eq!(r.data(), data.as_str());
            let alert = r.to_alert(CmdId::new(id).unwrap());
            prop_assert_eq!(SessionlessReport::from_alert(&alert), Ok(r.clone()));
        }
    }
}

/// XML 1.0's `Char` production.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
