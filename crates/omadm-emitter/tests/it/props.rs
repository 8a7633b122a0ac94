//! The emitter's laws, for arbitrary report lists, MaxMsgSize values, mode modes and
//! starting MsgIDs: every message fits, conforms, verifies under its carrier and decodes back to
//! the input in order; the packing is the greedy one; MsgIDs are consecutive.

use std::borrow::Cow;

use proptest::prelude::*;

use omadm_emitter::{
    Algorithm, Carrier, ConfigError, Construction, EmitError, Emitter, MsgId, SessionlessReport,
};
use omadm_syncml::{CmdId, Command, Format, Mark};

use crate::support::{Mode, TRANSPORT, owned, vector_account, verify};

/// XML characters only (what a report may carry).
fn xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

fn arb_data() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[ -~]{0,120}",
        4 => any::<String>().prop_map(|s| s.chars().filter(|&c| xml_char(c)).collect()),
        4 => "(\\]\\]>|<!\\[CDATA\\[|\\]|>|<|&|[a-z]|\r|\n){0,40}",
        1 => (0usize..2500).prop_map(|n| "d".repeat(n)),
    ]
}

fn arb_type() -> impl Strategy<Value = String> {
    prop_oneof![
        "urn:[a-z]{1,8}:[a-z0-9.:]{1,30}",
        "Reversed-Domain-Name: ?[a-z]{1,8}(\\.[a-z0-9]{1,8}){1,3}",
        "Content-Type: ?[a-z]{1,8}/[a-z0-9+.-]{1,12}",
        "[a-z]{1,8}(\\.[a-z0-9_-]{1,8}){1,4}",
    ]
}

/// This file's reports (long data, CDATA-like runs, any Unicode) mixed with the testkit's
/// (source URIs that need escaping, every Type form).
fn arb_report() -> impl Strategy<Value = SessionlessReport<'static>> {
    prop_oneof![arb_local_report(), omadm_testkit::strategies::arb_report()]
}

prop_compose! {
    fn arb_local_report()(
        source in proptest::option::of("\\./[A-Za-z]{1,8}(/[A-Za-z0-9]{1,8}){0,3}"),
        ty in arb_type(),
        format in 0..Format::KNOWN.len(),
        mark in proptest::option::of(0..Mark::LEVELS.len()),
        data in arb_data(),
    ) -> SessionlessReport<'static> {
        SessionlessReport::new(
            source.map(Cow::Owned),
            ty,
            Format::KNOWN[format].clone(),
            mark.map(|m| Mark::LEVELS[m].clone()),
            data,
        )
        .unwrap()
    }
}

fn arb_integrity() -> impl Strategy<Value = Mode> {
    let algorithm = prop_oneof![Just(Algorithm::Sha256), Just(Algorithm::Md5)];
    let construction = prop_oneof![Just(Construction::Digest), Just(Construction::Rfc2104)];
    prop_oneof![
        3 => (algorithm.clone(), construction.clone()).prop_map(|(algorithm, construction)| {
            (Carrier::InMessage, algorithm, construction)
        }),
        2 => (algorithm, construction).prop_map(|(algorithm, construction)| {
            (Carrier::Header, algorithm, construction)
        }),
        1 => Just(TRANSPORT),
    ]
}

fn arb_msg_id() -> impl Strategy<Value = u32> {
    prop_oneof![1u32..120, 990u32..1010, (u32::MAX - 60)..(u32::MAX - 40)]
}

proptest! {
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn emitted_messages_obey_the_laws(
        reports in proptest::collection::vec(arb_report(), 0..24),
        max in 500usize..5000,
        mode in arb_integrity(),
        first in arb_msg_id(),
        include_final in any::<bool>(),
    ) {
        let mut account = vector_account(mode);
        account.max_msg_size = max;
        account.next_msg_id = MsgId::new(first).unwrap();
        account.include_final = include_final;

        let mut emitter = match Emitter::new(account.clone()) {
            Ok(emitter) => emitter.with_self_check(true),
            Err(ConfigError::MaxMsgSizeTooSmall { min, max: m }) => {
                prop_assert!(min > m);
                return Ok(());
            }
            Err(other) => panic!("unexpected {other:?}"),
        };

        let emission = match emitter.emit(&reports) {
            Ok(emission) => emission,
            Err(EmitError::ReportTooLarge { index, size, max: m }) => {
                prop_assert_eq!(m, max);
                prop_assert!(size > max);
                prop_assert_eq!(emitter.next_msg_id().get(), first, "no MsgID used");
                // The reports before it emit, and that report does not fit alone in the message
                // that would have carried it: the one with the MsgID after theirs (a MsgID one
                // digit longer can be what tips it over).
                let before = Emitter::new(account.clone()).unwrap().emit(&reports[..index]).unwrap();
                let mut at = account.clone();
                at.next_msg_id = before.next_msg_id;
                let alone = Emitter::new(at).unwrap().emit(&reports[index..=index]);
                let is_too_large =
                    matches!(alone, Err(EmitError::ReportTooLarge { index: 0, size: s, .. }) if s == size);
                prop_assert!(is_too_large);
                return Ok(());
            }
            Err(other) => panic!("unexpected {other:?}"),
        };

        // MsgIDs are consecutive from the account's, and the state to persist follows them.
        let n = u32::try_from(emission.messages.len()).unwrap();
        for (i, message) in (0u32..).zip(&emission.messages) {
            prop_assert_eq!(message.msg_id.get(), first + i);
        }
        prop_assert_eq!(emission.next_msg_id.get(), first + n);
        prop_assert_eq!(emitter.next_msg_id().get(), first + n);
        prop_assert_eq!(reports.is_empty(), emission.messages.is_empty());

        // Each message fits, conforms, verifies and carries its share of the reports, in order.
        let mut decoded = Vec::new();
        let mut at = 0;
        for message in &emission.messages {
            prop_assert!(message.body.len() <= max);
            prop_assert!(message.reports >= 1);
            let header = message.headers.first().map(|(_, v)| v.as_str());
            let got = verify(&account, &message.body, header);
            prop_assert_eq!(got.len(), message.reports);
            at += message.reports;
            decoded.extend(got);
        }
        prop_assert_eq!(at, reports.len());
        prop_assert_eq!(decoded, owned(&reports));

        // Greedy: no message could have taken the next report too. The size of the message with
        // one more alert is measured with the encoder on the decoded message (whose Cred Data
        // already holds a parameter list of the final length).
        let limits = omadm_xml::Limits::default();
        let mut next = 0;
        for (i, message) in emission.messages.iter().enumerate() {
            let decoded = omadm_xml::decode(&message.body, &limits).unwrap();
            let mut reencoded = Vec::new();
            omadm_xml::encode(&decoded, &mut reencoded);
            prop_assert_eq!(&reencoded, &message.body, "the bytes are the encoder's");
            next += message.reports;
            if i + 1 < emission.messages.len() {
                let mut bigger = decoded;
                let cmd_id = CmdId::new(u32::try_from(message.reports + 1).unwrap()).unwrap();
                bigger.body.commands.push(Command::Alert(reports[next].to_alert(cmd_id)));
                let mut with_next = Vec::new();
                omadm_xml::encode(&bigger, &mut with_next);
                prop_assert!(with_next.len() > max, "message {} could hold one more report", i);
            }
        }

        // The zero-allocation path writes the same bytes.
        let mut again = Emitter::new(account).unwrap();
        let mut buf = Vec::new();
        let mut rest = &reports[..];
        let mut k = 0;
        while !rest.is_empty() {
            let written = again.emit_into(rest, &mut buf).unwrap();
            let message = &emission.messages[k];
            prop_assert_eq!(&buf, &message.body);
            prop_assert_eq!(written.reports, message.reports);
            prop_assert_eq!(written.msg_id, message.msg_id);
            let header = written.hmac_header.map(|h| h.value().to_owned());
            prop_assert_eq!(header, message.headers.first().map(|(_, v)| v.clone()));
            rest = &rest[written.reports..];
            k += 1;
        }
    }
}
