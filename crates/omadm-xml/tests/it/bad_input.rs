//! One test per bad-input class: each asserts the error kind (and, where it matters, the offset
//! and path). A new case is one `check(input, kind)` line.

use omadm_syncml::ValueError;
use omadm_xml::{DsCommand, ErrorKind, Limit, Limits, decode, decode_header};

use crate::support::{check, decode_err, sessionless};

const HDR: &str = "<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.3</VerProto><SessionID>0</SessionID>\
<MsgID>1</MsgID><Target><LocURI>t</LocURI></Target><Source><LocURI>s</LocURI></Source></SyncHdr>";

/// A message with this header and body content.
fn msg_with(hdr: &str, body: &str) -> String {
    format!("<SyncML xmlns=\"SYNCML:SYNCML1.2\">{hdr}<SyncBody>{body}</SyncBody></SyncML>")
}

fn body(content: &str) -> String {
    msg_with(HDR, content)
}

#[test]
fn a_good_minimal_message_decodes() {
    decode(body("").as_bytes(), &Limits::default()).unwrap();
    decode(body("<Final/>").as_bytes(), &Limits::default()).unwrap();
}

#[test]
fn malformed_xml() {
    check(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncHdr></SyncML>",
        ErrorKind::Syntax,
    );
    check(
        &body("<Alert><CmdID>1</CmdID><Data>1 & 2</Data></Alert>"),
        ErrorKind::Syntax,
    );
    check(&body("<!-- a -- b -->"), ErrorKind::Syntax);
    check(
        &body("<Alert><CmdID>1</CmdID><Item><Data>a]]>b</Data></Item></Alert>"),
        ErrorKind::Syntax,
    );
    check(
        &body("<Alert><CmdID>1</CmdID><Item><Data>\u{1}</Data></Item></Alert>"),
        ErrorKind::Syntax,
    );
    check(
        &body("<Alert x=1><CmdID>1</CmdID></Alert>"),
        ErrorKind::Syntax,
    );
    check(
        &format!(" <?xml version=\"1.0\"?>{}", body("")),
        ErrorKind::Syntax,
    );
    check(
        &format!("{}<?xml version=\"1.0\"?>", body("")),
        ErrorKind::TrailingContent,
    );
    check(
        &format!("<?XML version=\"1.0\"?>{}", body("")),
        ErrorKind::Syntax,
    );
}

#[test]
fn truncated_input() {
    let full = body("<Alert><CmdID>1</CmdID><Data>1230</Data></Alert>");
    for cut in [10, 40, 100, full.len() - 3, full.len() - 1] {
        let e = decode_err(&full.as_bytes()[..cut]);
        assert!(
            matches!(e.kind(), ErrorKind::UnexpectedEof),
            "cut at {cut}: {e}"
        );
    }
    check("", ErrorKind::UnexpectedEof);
    check("<?xml version=\"1.0\"?>", ErrorKind::UnexpectedEof);
}

#[test]
fn wrong_namespace() {
    check(
        &body("").replace("SYNCML:SYNCML1.2", "SYNCML:SYNCML1.3"),
        ErrorKind::Namespace,
    );
    check(
        &body("").replace("SYNCML:SYNCML1.2", "syncml:syncml1.2"),
        ErrorKind::Namespace,
    );
    check("<SyncML xmlns=\"syncml:metinf\"/>", ErrorKind::Namespace);
    check(
        &body("<Alert xmlns=\"urn:other\"><CmdID>1</CmdID></Alert>"),
        ErrorKind::Namespace,
    );
    check(
        &body("<p:Alert><CmdID>1</CmdID></p:Alert>"),
        ErrorKind::Namespace,
    );
    check(
        &body("<Alert xmlns=\"\"><CmdID>1</CmdID></Alert>"),
        ErrorKind::Namespace,
    );
    // MetInf in the wrong namespace inside Meta.
    check(
        &body(
            "<Alert><CmdID>1</CmdID><Item><Meta><Type xmlns=\"urn:x\">t</Type></Meta></Item></Alert>",
        ),
        ErrorKind::Namespace,
    );
}

#[test]
fn no_namespace_is_read_as_syncml() {
    let text = body("").replace(" xmlns=\"SYNCML:SYNCML1.2\"", "");
    let m = decode(text.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(m.version, omadm_syncml::SyncMlVersion::V1_2);
    let v11 = text.replace("<VerDTD>1.2</VerDTD>", "<VerDTD>1.1</VerDTD>");
    let m = decode(v11.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(m.version, omadm_syncml::SyncMlVersion::V1_1);
    // But then every SyncML element must be without a namespace too.
    check(
        &text.replace("<SyncBody>", "<SyncBody xmlns=\"SYNCML:SYNCML1.2\">"),
        ErrorKind::Namespace,
    );
}

#[test]
fn prefixed_and_scoped_namespaces() {
    let text = "<s:SyncML xmlns:s=\"SYNCML:SYNCML1.1\" xmlns:m=\"syncml:metinf\"><s:SyncHdr><s:VerDTD>1.1</s:VerDTD>\
<s:VerProto>DM/1.1</s:VerProto><s:SessionID>1</s:SessionID><s:MsgID>1</s:MsgID><s:Target><s:LocURI>t</s:LocURI>\
</s:Target><s:Source><s:LocURI>s</s:LocURI></s:Source><s:Meta><m:MaxMsgSize>5000</m:MaxMsgSize>\
<MaxObjSize xmlns=\"syncml:metinf\">9</MaxObjSize></s:Meta></s:SyncHdr><s:SyncBody><s:Final/></s:SyncBody></s:SyncML>";
    let m = decode(text.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(m.version, omadm_syncml::SyncMlVersion::V1_1);
    let meta = m.hdr.meta.unwrap();
    assert_eq!(meta.max_msg_size, Some(5000));
    assert_eq!(meta.max_obj_size, Some(9));
    assert!(m.body.is_final);
    // A metinf prefix bound on Meta.
    let text = body(
        "<Alert><CmdID>1</CmdID><Item><Meta xmlns:m=\"syncml:metinf\"><m:Type>t</m:Type>\
<m:Format>chr</m:Format></Meta></Item></Alert>",
    );
    decode(text.as_bytes(), &Limits::default()).unwrap();
    // The binding ends with its element.
    let text = body(
        "<Alert><CmdID>1</CmdID><Item><Meta xmlns:m=\"syncml:metinf\"><m:Type>t</m:Type></Meta>\
<Data><m:x/></Data></Item></Alert>",
    );
    check(&text, ErrorKind::Namespace);
}

#[test]
fn metinf_without_namespace_inside_meta_is_accepted() {
    let text = body(
        "<Alert><CmdID>1</CmdID><Item><Meta><Type>t</Type><Format>chr</Format><Mark>minor</Mark></Meta></Item></Alert>",
    );
    let m = decode(text.as_bytes(), &Limits::default()).unwrap();
    let omadm_syncml::Command::Alert(a) = &m.body.commands[0] else {
        panic!()
    };
    assert_eq!(a.items[0].meta.as_ref().unwrap().ty.as_deref(), Some("t"));
}

#[test]
fn encoding_other_than_utf8() {
    check(
        &format!(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>{}",
            body("")
        ),
        ErrorKind::Encoding,
    );
    check(
        &format!("<?xml version=\"1.0\" encoding=\"UTF-16\"?>{}", body("")),
        ErrorKind::Encoding,
    );
    decode(
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>{}", body("")).as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    decode(
        format!(
            "\u{feff}<?xml version='1.0' encoding='UTF-8' standalone='yes'?>{}",
            body("")
        )
        .as_bytes(),
        &Limits::default(),
    )
    .unwrap();
}

#[test]
fn invalid_utf8() {
    let mut bytes =
        body("<Alert><CmdID>1</CmdID><Item><Data>xx</Data></Item></Alert>").into_bytes();
    let at = bytes.windows(2).position(|w| w == b"xx").unwrap();
    bytes[at] = 0xFF;
    let e = decode_err(&bytes);
    assert_eq!(*e.kind(), ErrorKind::Encoding, "{e}");
    assert_eq!(e.offset(), at);
    // In the header too, and for the header scan.
    let mut bytes = body("").into_bytes();
    bytes[70] = 0xC3;
    assert_eq!(*decode_err(&bytes).kind(), ErrorKind::Encoding);
    assert_eq!(
        *decode_header(&bytes, &Limits::default())
            .unwrap_err()
            .kind(),
        ErrorKind::Encoding
    );
}

#[test]
fn doctype_with_internal_subset_xxe() {
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE SyncML [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        body("<Alert><CmdID>1</CmdID><Item><Data>&xxe;</Data></Item></Alert>")
    );
    check(&xxe, ErrorKind::Doctype);
}

#[test]
fn billion_laughs_fails_fast() {
    let mut lol = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        lol.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&{prev};").repeat(10)
        ));
    }
    lol.push_str("]>");
    lol.push_str(&body(
        "<Alert><CmdID>1</CmdID><Item><Data>&lol9;</Data></Item></Alert>",
    ));
    let e = decode_err(lol.as_bytes());
    assert_eq!(*e.kind(), ErrorKind::Doctype);
    assert_eq!(e.offset(), "<?xml version=\"1.0\"?>".len());
}

#[test]
fn doctype_without_subset_is_accepted_once() {
    let dt = "<!DOCTYPE SyncML PUBLIC \"-//SYNCML//DTD SyncML 1.2//EN\" \"http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd\">";
    decode(
        format!("<?xml version=\"1.0\"?>{dt}{}", body("")).as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    check(&format!("{dt}{dt}{}", body("")), ErrorKind::Doctype);
    check(
        &format!("<!doctype SyncML>{}", body("")),
        ErrorKind::Doctype,
    );
}

#[test]
fn undefined_entity() {
    check(
        &body("<Alert><CmdID>1</CmdID><Item><Data>&nbsp;</Data></Item></Alert>"),
        ErrorKind::Entity,
    );
    check(
        &body("<Alert><CmdID>1</CmdID><Correlator>&#0;</Correlator></Alert>"),
        ErrorKind::Entity,
    );
    check(
        &body("<Alert><CmdID>1</CmdID><Correlator>&#xD800;</Correlator></Alert>"),
        ErrorKind::Entity,
    );
    check(
        &body("<Alert><CmdID>1</CmdID><Correlator>&#x1;</Correlator></Alert>"),
        ErrorKind::Entity,
    );
    check(
        &body("").replace("<SyncBody>", "<SyncBody xmlns:a=\"&foo;\">"),
        ErrorKind::Entity,
    );
    // The predefined five and character references are fine.
    let text = body(
        "<Alert><CmdID>1</CmdID><Correlator>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;</Correlator></Alert>",
    );
    let m = decode(text.as_bytes(), &Limits::default()).unwrap();
    let omadm_syncml::Command::Alert(a) = &m.body.commands[0] else {
        panic!()
    };
    assert_eq!(a.correlator.as_deref(), Some("<>&'\"AB"));
}

#[test]
fn too_deep() {
    let deep = body(&("<Atomic><CmdID>1</CmdID>".repeat(30) + &"</Atomic>".repeat(30)));
    let e = decode_err(deep.as_bytes());
    assert_eq!(*e.kind(), ErrorKind::LimitExceeded(Limit::Depth), "{e}");
    let shallow = Limits::default().with_max_depth(3);
    let e = decode(body("").as_bytes(), &shallow).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::LimitExceeded(Limit::Depth));
    assert_eq!(e.path(), "/SyncML/SyncHdr/Target/LocURI");
    // An enormous configured depth is capped, not trusted.
    let nested = "<Atomic><CmdID>1</CmdID>".repeat(300) + &"</Atomic>".repeat(300);
    let e = decode(
        body(&nested).as_bytes(),
        &Limits::default().with_max_depth(usize::MAX),
    )
    .unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::LimitExceeded(Limit::Depth));
}

#[test]
fn too_many_elements() {
    let many = body(&"<Alert><CmdID>1</CmdID></Alert>".repeat(100));
    let e = decode(many.as_bytes(), &Limits::default().with_max_elements(50)).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::LimitExceeded(Limit::Elements));
    // SyncML, SyncHdr and its 8 descendants, SyncBody, and 2 per Alert.
    decode(many.as_bytes(), &Limits::default().with_max_elements(211)).unwrap();
    let e = decode(many.as_bytes(), &Limits::default().with_max_elements(210)).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::LimitExceeded(Limit::Elements));
}

#[test]
fn text_too_long() {
    let long = body(&format!(
        "<Alert><CmdID>1</CmdID><Item><Data><![CDATA[{}]]></Data></Item></Alert>",
        "x".repeat(1000)
    ));
    let small = Limits::default().with_max_text(999);
    assert_eq!(
        *decode(long.as_bytes(), &small).unwrap_err().kind(),
        ErrorKind::LimitExceeded(Limit::TextLength)
    );
    decode(long.as_bytes(), &Limits::default().with_max_text(1000)).unwrap();
    // Joined pieces count, and so do XML fragments.
    let pieces = body(&format!(
        "<Alert><CmdID>1</CmdID><Correlator>{}</Correlator></Alert>",
        "ab&amp;".repeat(400)
    ));
    assert_eq!(
        *decode(pieces.as_bytes(), &small).unwrap_err().kind(),
        ErrorKind::LimitExceeded(Limit::TextLength)
    );
    let frag = body(&format!(
        "<Alert><CmdID>1</CmdID><Item><Data><x>{}</x></Data></Item></Alert>",
        "<y/>".repeat(300)
    ));
    assert_eq!(
        *decode(frag.as_bytes(), &small).unwrap_err().kind(),
        ErrorKind::LimitExceeded(Limit::TextLength)
    );
}

#[test]
fn too_many_attributes() {
    let attrs: String = (0..65).map(|i| format!(" a{i}=\"\"")).collect();
    let text = body(&format!(
        "<Alert><CmdID>1</CmdID><Item><Data><x{attrs}/></Data></Item></Alert>"
    ));
    check(&text, ErrorKind::LimitExceeded(Limit::Attributes));
    let ok: String = (0..64).map(|i| format!(" a{i}=\"\"")).collect();
    decode(
        body(&format!(
            "<Alert><CmdID>1</CmdID><Item><Data><x{ok}/></Data></Item></Alert>"
        ))
        .as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    let decls: String = (0..65).map(|i| format!(" xmlns:p{i}=\"u\"")).collect();
    check(
        &body("").replace("<SyncBody>", &format!("<SyncBody{decls}>")),
        ErrorKind::LimitExceeded(Limit::Attributes),
    );
}

#[test]
fn too_large() {
    let text = body("");
    let e = decode(
        text.as_bytes(),
        &Limits::default().with_max_size(text.len() - 1),
    )
    .unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::LimitExceeded(Limit::Size));
    assert_eq!(e.offset(), text.len() - 1);
    decode(
        text.as_bytes(),
        &Limits::default().with_max_size(text.len()),
    )
    .unwrap();
    let e = decode_header(text.as_bytes(), &Limits::default().with_max_size(10)).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::LimitExceeded(Limit::Size));
}

#[test]
fn bad_numbers() {
    let e = decode_err(
        body("")
            .replace("<MsgID>1</MsgID>", "<MsgID>abc</MsgID>")
            .as_bytes(),
    );
    assert_eq!(*e.kind(), ErrorKind::InvalidValue(ValueError::MsgId));
    assert_eq!(e.path(), "/SyncML/SyncHdr/MsgID");
    assert_eq!(e.offset(), body("").find("<MsgID>").unwrap());
    check(
        &body("<Alert><CmdID>0</CmdID></Alert>"),
        ErrorKind::InvalidValue(ValueError::CmdId),
    );
    check(
        &body("<Alert><CmdID>-1</CmdID></Alert>"),
        ErrorKind::InvalidValue(ValueError::CmdId),
    );
    check(
        &body("<Alert><CmdID>4294967296</CmdID></Alert>"),
        ErrorKind::InvalidValue(ValueError::CmdId),
    );
    check(
        &body("<Alert><CmdID>1</CmdID><Data>12345</Data></Alert>"),
        ErrorKind::InvalidValue(ValueError::AlertCode),
    );
    check(
        &body("").replace(
            "<SessionID>0</SessionID>",
            &format!("<SessionID>{}</SessionID>", "7".repeat(33)),
        ),
        ErrorKind::InvalidValue(ValueError::SessionId),
    );
    check(
        &body(
            "<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd><Data>99</Data></Status>",
        ),
        ErrorKind::InvalidValue(ValueError::StatusCode),
    );
    check(
        &body(
            "<Alert><CmdID>1</CmdID><Item><Meta><Size xmlns=\"syncml:metinf\">1k</Size></Meta></Item></Alert>",
        ),
        ErrorKind::InvalidValue(ValueError::Count),
    );
    // Surrounding white space is trimmed before parsing.
    decode(
        body("<Alert><CmdID>\n 1 \t</CmdID></Alert>").as_bytes(),
        &Limits::default(),
    )
    .unwrap();
}

#[test]
fn two_sync_hdr() {
    let text = msg_with(&format!("{HDR}{HDR}"), "");
    let e = decode_err(text.as_bytes());
    assert_eq!(*e.kind(), ErrorKind::DuplicateElement);
    assert_eq!(e.path(), "/SyncML/SyncHdr");
    assert_eq!(e.offset(), text.rfind("<SyncHdr>").unwrap());
    check(
        &body("").replace("</SyncML>", "<SyncBody/></SyncML>"),
        ErrorKind::DuplicateElement,
    );
    check(
        &body("").replace("<MsgID>1</MsgID>", "<MsgID>1</MsgID><MsgID>2</MsgID>"),
        ErrorKind::DuplicateElement,
    );
    check(&body("<Final/><Final/>"), ErrorKind::DuplicateElement);
}

#[test]
fn missing_sync_body() {
    let text = format!("<SyncML xmlns=\"SYNCML:SYNCML1.2\">{HDR}</SyncML>");
    let e = decode_err(text.as_bytes());
    assert_eq!(*e.kind(), ErrorKind::MissingElement("SyncBody"));
    assert_eq!(e.path(), "/SyncML");
    // The header scan does not need the body.
    decode_header(text.as_bytes(), &Limits::default()).unwrap();
    check(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"><SyncBody/></SyncML>",
        ErrorKind::MissingElement("SyncHdr"),
    );
    check(
        "<SyncML xmlns=\"SYNCML:SYNCML1.2\"/>",
        ErrorKind::MissingElement("SyncHdr"),
    );
    let e = decode_err(body("").replace("<MsgID>1</MsgID>", "").as_bytes());
    assert_eq!(*e.kind(), ErrorKind::MissingElement("MsgID"));
    assert_eq!(e.path(), "/SyncML/SyncHdr");
    check(&body("<Alert></Alert>"), ErrorKind::MissingElement("CmdID"));
    check(
        &body("<Exec><CmdID>1</CmdID></Exec>"),
        ErrorKind::MissingElement("Item"),
    );
    check(
        &msg_with(
            &HDR.replace("</SyncHdr>", "<Cred><Meta/></Cred></SyncHdr>"),
            "",
        ),
        ErrorKind::MissingElement("Data"),
    );
}

#[test]
fn unknown_element() {
    let e = decode_err(body("").replace("<MsgID>", "<Foo/><MsgID>").as_bytes());
    assert_eq!(*e.kind(), ErrorKind::UnknownElement);
    assert_eq!(e.path(), "/SyncML/SyncHdr/Foo");
    check(&body("<Frobnicate/>"), ErrorKind::UnknownElement);
    check("<Foo/>", ErrorKind::UnknownElement);
    check(
        &body(
            "<Alert><CmdID>1</CmdID><Item><Meta><Bogus xmlns=\"syncml:metinf\"/></Meta></Item></Alert>",
        ),
        ErrorKind::UnknownElement,
    );
}

#[test]
fn misplaced_element() {
    check(
        &body("").replace("<MsgID>", "<CmdID>1</CmdID><MsgID>"),
        ErrorKind::MisplacedElement,
    );
    check(
        &body("<Alert><CmdID>1</CmdID><LocURI>x</LocURI></Alert>"),
        ErrorKind::MisplacedElement,
    );
    check(
        &body("<Atomic><CmdID>1</CmdID><Status/></Atomic>"),
        ErrorKind::MisplacedElement,
    );
    check(
        &body("<Final/><Alert><CmdID>1</CmdID></Alert>"),
        ErrorKind::MisplacedElement,
    );
    // MetInf elements outside Meta, with or without their namespace.
    check(
        &HDR.replace(
            "</SyncHdr>",
            "<MaxMsgSize xmlns=\"syncml:metinf\">1</MaxMsgSize></SyncHdr>",
        )
        .pipe(|h| msg_with(&h, "")),
        ErrorKind::MisplacedElement,
    );
    check(
        &HDR.replace("</SyncHdr>", "<MaxMsgSize>1</MaxMsgSize></SyncHdr>")
            .pipe(|h| msg_with(&h, "")),
        ErrorKind::MisplacedElement,
    );
    // An element inside a text-only element.
    check(
        &body("").replace("<LocURI>t</LocURI>", "<LocURI><LocName/>t</LocURI>"),
        ErrorKind::MisplacedElement,
    );
    check(
        &body("").replace("<LocURI>t</LocURI>", "<LocURI><b/>t</LocURI>"),
        ErrorKind::UnknownElement,
    );
    // A fragment root.
    check(
        "<Alert xmlns=\"SYNCML:SYNCML1.2\"><CmdID>1</CmdID></Alert>",
        ErrorKind::MisplacedElement,
    );
}

#[test]
fn data_sync_commands_are_unsupported() {
    for (name, ds) in [
        ("Sync", DsCommand::Sync),
        ("Map", DsCommand::Map),
        ("Put", DsCommand::Put),
        ("Search", DsCommand::Search),
        ("Move", DsCommand::Move),
    ] {
        let text = body(&format!("<{name}><CmdID>1</CmdID></{name}>"));
        let e = decode_err(text.as_bytes());
        assert_eq!(*e.kind(), ErrorKind::UnsupportedCommand(ds), "{e}");
        assert_eq!(e.path(), format!("/SyncML/SyncBody/{name}"));
        assert!(e.to_string().contains(name), "{e}");
        let nested = body(&format!("<Atomic><CmdID>1</CmdID><{name}/></Atomic>"));
        assert_eq!(
            *decode_err(nested.as_bytes()).kind(),
            ErrorKind::UnsupportedCommand(ds)
        );
    }
}

#[test]
fn attributes_are_refused() {
    check(
        &body("<Alert id=\"1\"><CmdID>1</CmdID></Alert>"),
        ErrorKind::Attribute,
    );
    check(
        &body("").replace(
            "<SyncBody>",
            "<SyncBody xmlns=\"SYNCML:SYNCML1.2\" xmlns=\"SYNCML:SYNCML1.2\">",
        ),
        ErrorKind::Attribute,
    );
    // Namespace declarations are fine, and foreign content may carry attributes.
    decode(body("<Alert><CmdID>1</CmdID><Item><Data><x:a xmlns:x=\"urn:x\" b=\"&amp;\" c='d' x:e='f'/></Data></Item></Alert>").as_bytes(), &Limits::default()).unwrap();
    check(
        &body("<Alert><CmdID>1</CmdID><Item><Data><a b=\"1\" b=\"2\"/></Data></Item></Alert>"),
        ErrorKind::Attribute,
    );
}

#[test]
fn item_data_fragments_must_declare_their_own_prefixes() {
    // Declared outside the fragment (on an ancestor, or on Data itself): refused, so that the
    // raw fragment means the same thing wherever it is re-encoded.
    check(
        &body("<Alert xmlns:x=\"urn:x\"><CmdID>1</CmdID><Item><Data><x:a/></Data></Item></Alert>"),
        ErrorKind::Namespace,
    );
    check(
        &body("<Alert><CmdID>1</CmdID><Item><Data xmlns:x=\"urn:x\"><x:a/></Data></Item></Alert>"),
        ErrorKind::Namespace,
    );
    check(
        &body("<Alert><CmdID>1</CmdID><Item><Data><a x:b=\"1\"/></Data></Item></Alert>"),
        ErrorKind::Namespace,
    );
    // Declared inside: fine, in any attribute order; the default namespace may come from outside.
    decode(body("<Alert><CmdID>1</CmdID><Item><Data><a x:b=\"1\" xmlns:x=\"u\"><x:c/></a><d xml:lang=\"en\"/></Data></Item></Alert>").as_bytes(), &Limits::default()).unwrap();
}

#[test]
fn unexpected_text() {
    check(&body("junk"), ErrorKind::UnexpectedText);
    check(&body("<![CDATA[ ]]>"), ErrorKind::UnexpectedText);
    check(&format!("junk{}", body("")), ErrorKind::UnexpectedText);
    check(
        &body("")
            .replace("<NoResp/>", "")
            .replace("</Source>", "</Source><NoResp>x</NoResp>"),
        ErrorKind::UnexpectedText,
    );
}

#[test]
fn trailing_content() {
    check(
        &format!("{}<SyncML/>", body("")),
        ErrorKind::TrailingContent,
    );
    check(&format!("{}junk", body("")), ErrorKind::TrailingContent);
    decode(
        format!("{}\n<!-- done --><?pi x?>\n", body("")).as_bytes(),
        &Limits::default(),
    )
    .unwrap();
}

#[test]
fn errors_display_lowercase_one_line_with_offset_and_path() {
    let e = decode_err(body("<Sync/>").as_bytes());
    let s = e.to_string();
    assert!(!s.contains('\n'));
    assert!(s.starts_with(|c: char| c.is_lowercase()), "{s}");
    assert!(
        s.contains(&format!("at byte {}", e.offset())) && s.contains(e.path()),
        "{s}"
    );
}

#[test]
fn decode_header_agrees_with_decode() {
    let m = sessionless(3);
    let mut out = Vec::new();
    let enc = omadm_xml::encode(&m, &mut out);
    let h = decode_header(&out, &Limits::default()).unwrap();
    assert_eq!(h.hdr, m.hdr);
    assert_eq!(h.cred_data, enc.cred_data);
    // It never reads the body: garbage there does not matter to it.
    let cut = out.windows(10).position(|w| w == b"<SyncBody>").unwrap() + 10;
    let mut broken = out[..cut].to_vec();
    broken.extend_from_slice(b"\x01\xFF<<<");
    assert_eq!(
        decode_header(&broken, &Limits::default()).unwrap().hdr,
        m.hdr
    );
    // SyncHdr must come first.
    check(
        &body("")
            .replace(HDR, "")
            .replace("</SyncML>", &format!("{HDR}</SyncML>")),
        ErrorKind::MissingElement("SyncHdr"),
    );
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl Pipe for String {}

/// An invalid value names its `ValueError` once: in the `Display` line, with no `source()`
/// that would print it a second time in an error chain.
#[test]
fn invalid_value_error_prints_its_cause_once() {
    let bad = msg_with(&HDR.replace("<MsgID>1</MsgID>", "<MsgID>abc</MsgID>"), "");
    let e = decode(bad.as_bytes(), &Limits::default()).unwrap_err();
    assert_eq!(*e.kind(), ErrorKind::InvalidValue(ValueError::MsgId));
    let mut chain = e.to_string();
    let mut source = core::error::Error::source(&e);
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    assert_eq!(
        chain.matches(&ValueError::MsgId.to_string()).count(),
        1,
        "{chain}"
    );
}
