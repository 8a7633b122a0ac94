//! The interop corpus (`../shared/corpus/interop`, real messages published by others) drives
//! the engines. Every file goes into a fresh server engine: no panic, and a reply, when there is
//! one, follows the failed-authentication rule of DM Protocol 1.2 §2.4 (the unknown peer is
//! challenged: 401 or 407 with a `Chal`, and only Status commands, one per command received,
//! each with the header's code). The session messages have their exact outcome in [`TABLE`].
//! The server's package 2 of the OMA example also drives the client engine.

use omadm_session::{
    AuthPin, ClientEvent, ClientSession, MemoryTree, NodeValue, Progress, ServerSession,
    SessionError, Transport,
};
use omadm_syncml::Command;

use crate::support::*;

/// What the server engine did with a file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// Refused without a reply: the error, by name.
    Refused(&'static str),
    /// Replied: the SyncHdr status, whether it carried a Chal with a NextNonce, and the number
    /// of command Statuses (all with the header's code).
    Challenged { code: u16, statuses: usize },
}

use Outcome::{Challenged, Refused};

/// `(file, outcome, why)` for the session messages of the corpus.
const TABLE: &[(&str, Outcome, &str)] = &[
    (
        "omaspec-pkg1-client-init-cred-basic.xml",
        Challenged {
            code: 401,
            statuses: 2,
        },
        "OMA package 1: auth-basic Cred (no LocName) is not the pinned scheme: 401 + Chal for Alert 1200 and Replace DevInfo",
    ),
    (
        "omaspec-pkg2-server-sequence-alert-1101.xml",
        Challenged {
            code: 401,
            statuses: 1,
        },
        "a server package sent to a server: its server Cred is refused; Statuses get none, the Sequence one",
    ),
    (
        "fleet-poc-win-checkin-1201.wire.xml",
        Challenged {
            code: 407,
            statuses: 3,
        },
        "Windows check-in without Cred (TLS client certificate): 407 + Chal for Alert 1201, Alert 1224, Replace",
    ),
    (
        "fleet-poc-win-checkin-1201.xml",
        Challenged {
            code: 407,
            statuses: 3,
        },
        "the same, pretty-printed",
    ),
    (
        "fleet-poc-win-unenroll-1226.wire.xml",
        Challenged {
            code: 407,
            statuses: 4,
        },
        "Windows unenroll package 1 without Cred (Alerts 1201, 1224, 1226, Replace): 407 + Chal",
    ),
    (
        "fleet-poc-win-unenroll-1226.xml",
        Challenged {
            code: 407,
            statuses: 4,
        },
        "the same, pretty-printed",
    ),
    (
        "mattrax-windows-checkin-cred-md5.xml",
        Challenged {
            code: 401,
            statuses: 3,
        },
        "auth-md5 Cred of a user this server does not know: 401 + Chal (the client's own Status is not answered)",
    ),
    (
        "aosp-dm12-client-results-generated.xml",
        Challenged {
            code: 407,
            statuses: 1,
        },
        "AOSP client Status + Results, no credentials: 407 for the Results",
    ),
    (
        "buteo-ds-init-cred-md5.xml",
        Challenged {
            code: 401,
            statuses: 2,
        },
        "a data-sync init with auth-md5 Cred of an unknown user",
    ),
    (
        "buteo-ds-resp-chal-md5-nextnonce.xml",
        Refused("Malformed"),
        "a data-sync reply: the Chal with NextNonce rides beside a Sync command, which DM does not have",
    ),
    (
        "libwbxml-dm11-012-sessionid0-add.xml",
        Refused("Malformed"),
        "MsgID 0 is not a positive integer",
    ),
];

fn outcome(bytes: &[u8]) -> Outcome {
    let mut server = ServerSession::new(omadm_session::ServerConfig::new(SERVER));
    let mut nonces = Counter::default();
    let done = match server.handle_message(bytes, &Transport::NONE, at(1), &mut nonces) {
        Ok(Progress::Done) => Ok(()),
        // The corpus users are unknown to this server.
        Ok(Progress::NeedSecret(_)) => server.supply_secret(None, &mut nonces),
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        return Refused(match e {
            SessionError::Malformed(_) => "Malformed",
            SessionError::Sessionless => "Sessionless",
            _ => "Other",
        });
    }
    let reply = server.poll_transmit().expect("a reply");
    assert!(server.poll_transmit().is_none());
    let msg = decode(&reply.body);
    let mut statuses = msg.body.commands.iter().map(|c| match c {
        Command::Status(s) => s,
        other => panic!(
            "a failed-auth reply holds only Status, not {}",
            other.name()
        ),
    });
    let header = statuses.next().unwrap();
    assert_eq!(header.cmd_ref.get(), 0);
    assert!(
        header
            .chal
            .as_ref()
            .is_some_and(|c| c.meta.next_nonce.is_some())
    );
    let code = header.data.get();
    let rest: Vec<_> = statuses.collect();
    assert!(rest.iter().all(|s| s.data.get() == code));
    assert!(msg.body.is_final);
    Challenged {
        code,
        statuses: rest.len(),
    }
}

#[test]
fn every_corpus_file_drives_the_server_engine() {
    let dir = omadm_testkit::corpus_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (the corpus is ../shared beside the repository)",
                dir.display()
            )
        })
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 58, "{}", files.len());
    let mut seen = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let got = outcome(&bytes);
        if let Some((_, want, why)) = TABLE.iter().find(|(f, ..)| *f == name) {
            assert_eq!(&got, want, "{name}: {why}");
            seen += 1;
        } else if let Challenged { code, .. } = got {
            assert!(code == 401 || code == 407, "{name}: {code}");
        }
    }
    assert_eq!(
        seen,
        TABLE.len(),
        "a table row names a file not in the corpus"
    );
}

/// The OMA example's package 2 (Status 212, then a Sequence of Alert 1101 and a Replace) into a
/// client that sent package 1 of session `1`.
#[test]
fn oma_package_2_drives_the_client_engine() {
    let bytes = std::fs::read(
        omadm_testkit::corpus_dir().join("omaspec-pkg2-server-sequence-alert-1101.xml"),
    )
    .unwrap();
    let mut cfg = client_config(AuthPin::Md5, nonce(1));
    cfg.session_id = "1".into();
    let mut tree = MemoryTree::new();
    tree.set("./Vendor/placeholder", NodeValue::interior());
    let mut client = ClientSession::new(cfg, tree).unwrap();
    let _pkg1 = client.poll_transmit().unwrap();
    client.handle_message(&bytes).unwrap();
    assert!(client.is_authenticated());
    let events: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
    assert_eq!(events[0], ClientEvent::Authenticated);
    let pkg3 = client.poll_transmit().unwrap();
    let msg = decode(&pkg3.body);
    let answered: Vec<_> = msg
        .body
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Status(s) => Some((s.cmd.to_string(), s.cmd_ref.get(), s.data.get())),
            _ => None,
        })
        .collect();
    // SyncHdr 200; the Alert 1101 confirmed (200); the Replace of a node this tree lacks 404;
    // the Sequence itself 200.
    let names: Vec<_> = answered.iter().map(|(n, _, c)| (n.as_str(), *c)).collect();
    assert_eq!(names[0], ("SyncHdr", 200));
    assert!(names.contains(&("Alert", 200)), "{answered:?}");
    assert!(names.contains(&("Replace", 404)), "{answered:?}");
    assert!(names.contains(&("Sequence", 200)), "{answered:?}");
}
