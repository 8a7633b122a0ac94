//! Configuration and emission errors, and the state the emitter keeps across them.

use omadm_emitter::{
    Algorithm, Carrier, ConfigError, Construction, EmitError, Emitter, MsgId, SecretDigest,
    StoredSecret, Username,
};

use crate::support::{Mode, TRANSPORT, chr_report, emit_verified, vector_account};

#[test]
fn no_reports() {
    let mut emitter = Emitter::new(vector_account(Mode::default())).unwrap();
    let mut buf = b"stale".to_vec();
    assert_eq!(emitter.emit_into(&[], &mut buf), Err(EmitError::NoReports));
    assert!(buf.is_empty());
    let emission = emitter.emit(&[]).unwrap();
    assert!(emission.messages.is_empty());
    assert_eq!(emission.next_msg_id.get(), 7);
}

#[test]
fn report_too_large_alone() {
    let mut account = vector_account(Mode::default());
    account.max_msg_size = 1024;
    let mut emitter = Emitter::new(account).unwrap();
    let small = chr_report("small");
    let big = chr_report(&"x".repeat(2000));
    let err = emitter
        .emit(&[small.clone(), small.clone(), big, small])
        .unwrap_err();
    let EmitError::ReportTooLarge { index, size, max } = err else {
        panic!("unexpected {err:?}")
    };
    assert_eq!((index, max), (2, 1024));
    assert!(
        size > 2000 + 700,
        "size {size} is the whole message with that report"
    );
    // All or nothing: no MsgID was used.
    assert_eq!(emitter.next_msg_id().get(), 7);
}

#[test]
fn report_too_large_size_is_exact() {
    // The size reported is the size the message would have: with MaxMsgSize set to it, the
    // same report fits exactly.
    let report = chr_report(&"y".repeat(500));
    let mut account = vector_account(Mode::default());
    account.max_msg_size = 600;
    let err = Emitter::new(account.clone())
        .unwrap()
        .emit(std::slice::from_ref(&report))
        .unwrap_err();
    let EmitError::ReportTooLarge { size, .. } = err else {
        panic!("unexpected {err:?}")
    };
    account.max_msg_size = size;
    let messages = emit_verified(&account, std::slice::from_ref(&report));
    assert_eq!(messages[0].body.len(), size);
    account.max_msg_size = size - 1;
    let err = Emitter::new(account).unwrap().emit(&[report]).unwrap_err();
    assert!(matches!(err, EmitError::ReportTooLarge { index: 0, .. }));
}

/// Regression (CI, stop 16): a report that fills a message with MsgID 999 exactly does not fit
/// in the next one, MsgID 1000, whose header is one byte longer. Emitted after another report,
/// it is too large for the message that would carry it, and the error's size is that message's.
#[test]
fn report_too_large_counts_the_msg_id_of_its_own_message() {
    let report = chr_report(&"y".repeat(400));
    let mut account = vector_account(Mode::default());
    account.next_msg_id = MsgId::new(999).unwrap();
    account.max_msg_size = 5000;
    let exact = emit_verified(&account, std::slice::from_ref(&report))[0]
        .body
        .len();
    account.max_msg_size = exact;
    // Alone at MsgID 999 it fits exactly.
    assert_eq!(
        emit_verified(&account, std::slice::from_ref(&report))[0]
            .body
            .len(),
        exact
    );
    // After a first message (MsgID 999), it would be in MsgID 1000: one byte over.
    let mut emitter = Emitter::new(account.clone()).unwrap();
    let err = emitter.emit(&[report.clone(), report.clone()]).unwrap_err();
    assert_eq!(
        err,
        EmitError::ReportTooLarge {
            index: 1,
            size: exact + 1,
            max: exact
        }
    );
    assert_eq!(emitter.next_msg_id().get(), 999, "no MsgID used");
    account.next_msg_id = MsgId::new(1000).unwrap();
    let alone = Emitter::new(account).unwrap().emit(&[report]).unwrap_err();
    assert_eq!(
        alone,
        EmitError::ReportTooLarge {
            index: 0,
            size: exact + 1,
            max: exact
        }
    );
}

#[test]
fn report_too_large_in_emit_into_leaves_no_trace() {
    let mut account = vector_account(Mode::default());
    account.max_msg_size = 800;
    let mut emitter = Emitter::new(account).unwrap();
    let mut buf = Vec::new();
    let err = emitter
        .emit_into(&[chr_report(&"z".repeat(900))], &mut buf)
        .unwrap_err();
    assert!(matches!(err, EmitError::ReportTooLarge { index: 0, .. }));
    assert!(buf.is_empty());
    assert_eq!(emitter.next_msg_id().get(), 7);
}

#[test]
fn max_msg_size_smaller_than_an_empty_message() {
    for mode in [
        Mode::default(),
        (Carrier::Header, Algorithm::Sha256, Construction::Digest),
        TRANSPORT,
    ] {
        let mut account = vector_account(mode);
        account.max_msg_size = 100;
        let err = Emitter::new(account.clone()).unwrap_err();
        let ConfigError::MaxMsgSizeTooSmall { min, max } = err else {
            panic!("unexpected {err:?}")
        };
        assert_eq!(max, 100);
        // At exactly the empty size the emitter can be built, but no report fits.
        account.max_msg_size = min;
        let mut emitter = Emitter::new(account.clone()).unwrap();
        let err = emitter.emit(&[chr_report("")]).unwrap_err();
        assert!(matches!(err, EmitError::ReportTooLarge { index: 0, .. }));
        account.max_msg_size = min - 1;
        assert!(Emitter::new(account).is_err());
    }
}

#[test]
fn the_empty_message_grows_with_the_msg_id_digits() {
    let min = |id: u32| {
        let mut account = vector_account(Mode::default());
        account.next_msg_id = MsgId::new(id).unwrap();
        account.max_msg_size = 100;
        match Emitter::new(account).unwrap_err() {
            ConfigError::MaxMsgSizeTooSmall { min, max: 100 } => min,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(min(10), min(9) + 1);
    assert_eq!(min(100), min(99) + 1);
    // At MsgID 7 the empty message is the vector message without its alerts.
    let vector = String::from_utf8(crate::support::vector("in-message.xml")).unwrap();
    let body_start = vector.find("<SyncBody>").unwrap() + "<SyncBody>".len();
    let body_end = vector.find("</SyncBody>").unwrap();
    assert_eq!(min(7), vector.len() - (body_end - body_start));
}

#[test]
fn msg_id_numbering_and_exhaustion() {
    let mut account = vector_account(Mode::default());
    account.next_msg_id = MsgId::new(u32::MAX - 2).unwrap();
    let mut emitter = Emitter::new(account).unwrap();
    let mut buf = Vec::new();
    let report = [chr_report("r")];
    assert_eq!(
        emitter.emit_into(&report, &mut buf).unwrap().msg_id.get(),
        u32::MAX - 2
    );
    assert_eq!(
        emitter.emit_into(&report, &mut buf).unwrap().msg_id.get(),
        u32::MAX - 1
    );
    assert_eq!(emitter.next_msg_id().get(), u32::MAX);
    // The last MsgID is never used: the persisted state stays a valid MsgID.
    assert_eq!(
        emitter.emit_into(&report, &mut buf),
        Err(EmitError::MsgIdExhausted)
    );
    assert!(buf.is_empty());
    assert_eq!(emitter.emit(&report), Err(EmitError::MsgIdExhausted));
    assert_eq!(emitter.next_msg_id().get(), u32::MAX);
}

#[test]
fn emit_is_all_or_nothing_across_exhaustion() {
    let mut account = vector_account(Mode::default());
    account.next_msg_id = MsgId::new(u32::MAX - 1).unwrap();
    account.max_msg_size = 1000;
    let mut emitter = Emitter::new(account).unwrap();
    let reports: Vec<_> = (0..10).map(|_| chr_report(&"w".repeat(200))).collect();
    assert_eq!(emitter.emit(&reports), Err(EmitError::MsgIdExhausted));
    assert_eq!(emitter.next_msg_id().get(), u32::MAX - 1);
}

#[test]
fn bad_addresses() {
    let mut account = vector_account(Mode::default());
    account.server_uri = String::new();
    assert_eq!(Emitter::new(account).unwrap_err(), ConfigError::ServerUri);
    let mut account = vector_account(Mode::default());
    account.device_id = "IMEI:1\n".to_owned();
    assert_eq!(Emitter::new(account).unwrap_err(), ConfigError::DeviceId);
    let mut account = vector_account(Mode::default());
    account.server_uri = "https://dm.example.net/?a=1&b=<2>".to_owned();
    // Markup in an address is escaped, not refused.
    emit_verified(&account, &[chr_report("x")]);
}

#[test]
fn digest_secrets() {
    let user = Username::new("alice").unwrap();
    let password = omadm_emitter::Secret::from("correct-horse-battery-staple");
    let sha = SecretDigest::compute(Algorithm::Sha256, user.as_str(), &password);
    let md5 = SecretDigest::compute(Algorithm::Md5, user.as_str(), &password);

    // A SHA-256 digest signs SHA-256 MACs in the message ...
    let mut account = vector_account(Mode::default());
    account.secret = StoredSecret::from(sha.clone());
    let with_digest = emit_verified(&account, &[chr_report("d")]);
    let with_password = emit_verified(&vector_account(Mode::default()), &[chr_report("d")]);
    assert_eq!(with_digest, with_password);

    // ... but cannot make the auth-md5 Cred of the header mode, nor an MD5 MAC.
    (account.carrier, account.algorithm, account.construction) =
        (Carrier::Header, Algorithm::Sha256, Construction::Digest);
    assert_eq!(
        Emitter::new(account.clone()).unwrap_err(),
        ConfigError::UnusableSecret
    );
    (account.carrier, account.algorithm, account.construction) = TRANSPORT;
    assert_eq!(
        Emitter::new(account.clone()).unwrap_err(),
        ConfigError::UnusableSecret
    );
    (account.carrier, account.algorithm, account.construction) =
        (Carrier::InMessage, Algorithm::Md5, Construction::Digest);
    assert_eq!(
        Emitter::new(account.clone()).unwrap_err(),
        ConfigError::UnusableSecret
    );

    // An MD5 digest serves the MD5 modes.
    account.secret = StoredSecret::from(md5);
    (account.carrier, account.algorithm, account.construction) = TRANSPORT;
    emit_verified(&account, &[chr_report("d")]);
    (account.carrier, account.algorithm, account.construction) =
        (Carrier::Header, Algorithm::Md5, Construction::Rfc2104);
    emit_verified(&account, &[chr_report("d")]);
}

#[test]
fn usernames_that_need_quoting() {
    // `"` and `\` are escaped in the parameter list; the verifier's parser reads them back.
    for name in [r#"ali"ce"#, r"back\slash", "spaced name", "ünï"] {
        let mut account = vector_account(Mode::default());
        account.username = Username::new(name).unwrap();
        emit_verified(&account, &[chr_report("q")]);
        (account.carrier, account.algorithm, account.construction) =
            (Carrier::Header, Algorithm::Sha256, Construction::Digest);
        emit_verified(&account, &[chr_report("q")]);
    }
}

#[test]
fn errors_display_lowercase() {
    let errors: Vec<Box<dyn std::error::Error>> = vec![
        Box::new(EmitError::NoReports),
        Box::new(EmitError::ReportTooLarge {
            index: 1,
            size: 2,
            max: 3,
        }),
        Box::new(EmitError::MsgIdExhausted),
        Box::new(ConfigError::UnusableSecret),
        Box::new(ConfigError::MaxMsgSizeTooSmall { min: 1, max: 0 }),
    ];
    for e in errors {
        let text = e.to_string();
        assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
        assert!(!text.ends_with('.'), "{text}");
    }
}

#[test]
fn debug_redacts_the_secret() {
    let account = vector_account(Mode::default());
    let text = format!("{account:?} {:?}", Emitter::new(account.clone()).unwrap());
    assert!(!text.contains("correct-horse"), "{text}");
}
