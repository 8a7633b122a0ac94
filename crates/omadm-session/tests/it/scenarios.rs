//! Named scenarios: one session each, checked message by message.

use omadm_session::{
    AuthPin, ClientEvent, EndReason, MemoryTree, NodeValue, ServerConfig, ServerEvent,
    ServerSession, SessionError, Transport, Tree,
    discovery::{DiscoveryTarget, NODE_PATH},
};
use omadm_syncml::Command;

use crate::support::*;

#[test]
fn md5_session_with_three_gets_rotates_the_nonce() {
    let store = Store::new(AuthPin::Md5, nonce(1));
    let mut server = server();
    let tickets: Vec<_> = ["./DevDetail/SwV", "./DevDetail/FwV", "./DevDetail/HwV"]
        .into_iter()
        .map(|u| server.queue(get(u)).unwrap())
        .collect();
    let mut client = client(AuthPin::Md5, nonce(1));
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    // Pkg1, Pkg3 from the client; Pkg2, Pkg4 from the server.
    assert_eq!((log.client_msgs.len(), log.server_msgs.len()), (2, 2));
    assert_eq!(header_status(&log.server_msgs[0]), (212, None));
    let (code, next) = header_status(&log.server_msgs[1]);
    assert_eq!(code, 200);
    let end = log.server_end().unwrap();
    assert_eq!(end.reason, EndReason::Completed);
    let issued = end.next_nonce.unwrap();
    assert_eq!(next.as_deref(), Some(issued.to_base64().as_str()));
    assert_eq!(client.next_nonce(), Some(&issued));
    assert_eq!(log.client_end().unwrap().next_nonce, Some(issued));
    assert!(log.server_authenticated());
    let results: Vec<_> = log
        .server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Results { ticket, items } => Some((*ticket, items[0].data.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        results,
        vec![
            (tickets[0], Some("1.0.7".into())),
            (tickets[1], Some("fw-22".into())),
            (tickets[2], Some("rev-b".into())),
        ]
    );
    assert!(log.server_events.iter().any(|e| matches!(e, ServerEvent::DevInfo(n) if n.iter().any(|n| n.uri == "./DevInfo/DevId" && n.data.as_deref() == Some(DEVICE)))));
    assert_eq!(
        log.server_events
            .iter()
            .filter(|e| matches!(e, ServerEvent::Status { code, .. } if code.get() == 200))
            .count(),
        3
    );
}

#[test]
fn stale_nonce_is_challenged_once_then_accepted() {
    let store = Store::new(AuthPin::Md5, nonce(2));
    let mut server = server();
    let mut client = client(AuthPin::Md5, nonce(9));
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    let (code, chal) = header_status(&log.server_msgs[0]);
    assert_eq!(code, 401);
    assert!(chal.is_some());
    assert_eq!(header_status(&log.server_msgs[1]).0, 212);
    assert!(matches!(
        log.client_events[0],
        ClientEvent::Challenged { .. }
    ));
    let end = log.server_end().unwrap();
    assert_eq!(end.reason, EndReason::Completed);
    // The challenge's nonce is not the session's closing nonce.
    assert_ne!(end.next_nonce.unwrap().to_base64(), chal.unwrap());
    assert_eq!(client.next_nonce(), end.next_nonce.as_ref());
}

#[test]
fn wrong_password_fails_twice_and_ends_without_a_nonce() {
    let mut store = Store::new(AuthPin::Md5, nonce(1));
    store.password = "something else".into();
    let mut server = server();
    let mut client = client(AuthPin::Md5, nonce(1));
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    assert_eq!(log.server_msgs.len(), 2);
    assert_eq!(header_status(&log.server_msgs[0]).0, 401);
    let (code, chal) = header_status(&log.server_msgs[1]);
    assert_eq!((code, chal), (401, None));
    let end = log.server_end().unwrap();
    assert_eq!(
        (end.reason, end.authenticated, end.next_nonce),
        (EndReason::AuthenticationFailed, false, None)
    );
    assert_eq!(
        log.client_end().unwrap().reason,
        EndReason::AuthenticationFailed
    );
    assert!(client.next_nonce().is_none());
    assert!(!log.server_authenticated());
    // Every command of the refused message got the same 401.
    let refused = decode(&log.server_msgs[0]);
    assert!(
        refused
            .body
            .commands
            .iter()
            .all(|c| matches!(c, Command::Status(s) if s.data.get() == 401))
    );
    assert_eq!(refused.body.commands.len(), 3);
}

#[test]
fn hmac_session_sends_200_and_a_new_nonce_on_every_message() {
    for pin in [
        AuthPin::HMAC_SHA256,
        AuthPin::Hmac {
            algorithm: omadm_session::Algorithm::Md5,
            construction: omadm_session::Construction::Digest,
        },
        AuthPin::Hmac {
            algorithm: omadm_session::Algorithm::Sha256,
            construction: omadm_session::Construction::Rfc2104,
        },
    ] {
        let store = Store::new(pin, nonce(3));
        let mut server = server();
        server.queue(get("./DevDetail/SwV")).unwrap();
        let mut client = client(pin, nonce(3));
        let log = run(&mut server, &mut client, &store, &mut Counter::default());
        assert!(log.errors.is_empty(), "{pin:?}: {:?}", log.errors);
        assert!(log.client_msgs.iter().all(|m| m.hmac.is_some()));
        let nonces: Vec<_> = log
            .server_msgs
            .iter()
            .map(|m| {
                let (code, n) = header_status(m);
                assert_eq!(code, 200);
                n.unwrap()
            })
            .collect();
        assert_eq!(nonces.len(), 2);
        assert_ne!(nonces[0], nonces[1]);
        let end = log.server_end().unwrap();
        assert_eq!(end.next_nonce.unwrap().to_base64(), nonces[1]);
        assert_eq!(client.next_nonce(), end.next_nonce.as_ref());
    }
}

#[test]
fn missing_credentials_get_407_with_a_chal() {
    // The client's package 1 with its Cred removed.
    let mut client = client(AuthPin::Md5, nonce(1));
    let pkg1 = client.poll_transmit().unwrap().body;
    let text = String::from_utf8(pkg1).unwrap();
    let start = text.find("<Cred>").unwrap();
    let end = text.find("</Cred>").unwrap() + "</Cred>".len();
    let no_cred = format!("{}{}", &text[..start], &text[end..]);
    let mut server = server();
    let store = Store::new(AuthPin::Md5, nonce(1));
    deliver(
        &mut server,
        &store,
        no_cred.as_bytes(),
        None,
        &mut Counter::default(),
    )
    .unwrap();
    let reply = server.poll_transmit().unwrap().body;
    let (code, chal) = header_status(&reply);
    assert_eq!(code, 407);
    assert!(chal.is_some());
    let msg = decode(&reply);
    let Command::Status(s) = &msg.body.commands[0] else {
        panic!()
    };
    let meta = &s.chal.as_ref().unwrap().meta;
    assert_eq!(meta.ty.as_deref(), Some("syncml:auth-md5"));
    assert_eq!(meta.format, Some(omadm_syncml::Format::B64));
}

#[test]
fn small_max_msg_size_splits_the_server_package() {
    let store = Store::new(AuthPin::Md5, nonce(1));
    let mut t = tree();
    let mut tickets = Vec::new();
    for i in 0..12 {
        let uri = format!("./Vendor/Node{i:02}/Some/Fairly/Long/Path/To/A/Leaf/Value");
        t.set(&uri, NodeValue::chr(format!("value {i}")));
    }
    let mut cfg = client_config(AuthPin::Md5, nonce(1));
    cfg.max_msg_size = 1024;
    cfg.server_max_msg_size = 1500;
    let mut client = omadm_session::ClientSession::new(cfg, t).unwrap();
    let mut server_cfg = ServerConfig::new(SERVER);
    server_cfg.max_msg_size = 1500;
    let mut server = ServerSession::new(server_cfg);
    for i in 0..12 {
        let uri = format!("./Vendor/Node{i:02}/Some/Fairly/Long/Path/To/A/Leaf/Value");
        tickets.push(server.queue(get(&uri)).unwrap());
    }
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    assert!(log.server_msgs.len() > 3, "{}", log.server_msgs.len());
    for m in &log.server_msgs {
        assert!(m.len() <= 1024, "{}", m.len());
    }
    for m in &log.client_msgs {
        assert!(m.body.len() <= 1500, "{}", m.body.len());
    }
    // The client's results did not fit one message either.
    assert!(log.client_msgs.len() > 3);
    // Every non-final server message is answered by an Alert 1222.
    assert!(
        log.client_msgs
            .iter()
            .any(|m| String::from_utf8_lossy(&m.body).contains("<Data>1222</Data>"))
    );
    let got: Vec<_> = log
        .server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Results { ticket, .. } => Some(*ticket),
            _ => None,
        })
        .collect();
    assert_eq!(got, tickets);
    assert_eq!(log.server_end().unwrap().reason, EndReason::Completed);
    assert!(client.next_nonce().is_some());
}

/// The Statuses (command name, code) of the server's reply to `body`.
fn reply_statuses(server: &mut ServerSession, store: &Store, body: &str) -> Vec<(String, u16)> {
    deliver(
        server,
        store,
        body.as_bytes(),
        None,
        &mut Counter::default(),
    )
    .unwrap();
    let reply = server.poll_transmit().unwrap().body;
    decode(&reply)
        .body
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Status(s) => Some((s.cmd.to_string(), s.data.get())),
            _ => None,
        })
        .collect()
}

#[test]
fn more_data_is_refused_with_406_unless_large_objects_are_allowed() {
    let mut client = client(AuthPin::Md5, nonce(1));
    let text = String::from_utf8(client.poll_transmit().unwrap().body).unwrap();
    // Package 1 whose DevId item is the first chunk of a Large Object: no Final yet.
    let chunked = text
        .replacen("</Data></Item>", "</Data><MoreData/></Item>", 1)
        .replace("<Final/>", "");
    assert_ne!(chunked, text);
    let store = Store::new(AuthPin::Md5, nonce(1));

    let codes = reply_statuses(&mut server(), &store, &chunked);
    assert!(codes.contains(&("Replace".to_owned(), 406)), "{codes:?}");

    let mut cfg = ServerConfig::new(SERVER);
    cfg.large_objects = Some(4096);
    let mut server = ServerSession::new(cfg);
    let codes = reply_statuses(&mut server, &store, &chunked);
    assert!(codes.contains(&("Replace".to_owned(), 213)), "{codes:?}");
    // The last chunk, in the next message of package 1.
    let head = &text[..text.find("<Cred>").unwrap()];
    let tail = format!(
        "{}</SyncHdr><SyncBody><Replace><CmdID>1</CmdID><Item><Source><LocURI>./DevInfo/DevId\
         </LocURI></Source><Data>-tail</Data></Item></Replace><Final/></SyncBody></SyncML>",
        head.replace("<MsgID>1</MsgID>", "<MsgID>2</MsgID>")
    );
    let codes = reply_statuses(&mut server, &store, &tail);
    assert!(codes.contains(&("Replace".to_owned(), 200)), "{codes:?}");
    let devid = std::iter::from_fn(|| server.poll_event()).find_map(|e| match e {
        ServerEvent::DevInfo(nodes) if nodes.len() == 1 => nodes[0].data.clone(),
        _ => None,
    });
    assert_eq!(devid, Some(format!("{DEVICE}-tail")));
}

#[test]
fn oversize_client_message_gets_413() {
    let mut client = client(AuthPin::Md5, nonce(1));
    let body = client.poll_transmit().unwrap().body;
    let mut cfg = ServerConfig::new(SERVER);
    cfg.max_msg_size = body.len() - 1;
    let mut server = ServerSession::new(cfg);
    let store = Store::new(AuthPin::Md5, nonce(1));
    deliver(&mut server, &store, &body, None, &mut Counter::default()).unwrap();
    let reply = server.poll_transmit().unwrap().body;
    assert_eq!(header_status(&reply).0, 413);
    assert!(server.is_ended());
}

#[test]
fn discovery_reads_the_node_and_enables_through_the_placeholder() {
    let store = Store::new(AuthPin::Md5, nonce(1));
    let mut server = server();
    let target = DiscoveryTarget::new(
        "./Vendor/Reporting",
        vec![
            (
                "./Vendor/Reporting/ServerURL".to_owned(),
                NodeValue::chr("https://dm.example.net/sr"),
            ),
            (
                "./Vendor/Reporting/Enabled".to_owned(),
                NodeValue::leaf("bool", "true"),
            ),
        ],
    );
    server.start_discovery(Some(target)).unwrap();
    let mut t = tree();
    t.set("./Vendor/Reporting/ServerURL", NodeValue::chr(""));
    t.set(
        "./Vendor/Reporting/Enabled",
        NodeValue::leaf("bool", "false"),
    );
    let mut client =
        omadm_session::ClientSession::new(client_config(AuthPin::Md5, nonce(1)), t).unwrap();
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    let answer = discovery_answer(&log);
    assert_eq!(answer.supported, Some(true));
    assert_eq!(answer.placeholder, Some(true));
    let enabling = answer.enabling.unwrap();
    assert!(log.server_events.iter().any(|e| matches!(e, ServerEvent::Status { ticket, code, .. } if *ticket == enabling && code.get() == 200)));
    let tree = client.tree();
    assert_eq!(
        tree.value("./Vendor/Reporting/ServerURL").unwrap().data,
        "https://dm.example.net/sr"
    );
    assert_eq!(
        tree.value("./Vendor/Reporting/Enabled").unwrap().data,
        "true"
    );
    assert_eq!(NODE_PATH, omadm_emitter::discovery::NODE_PATH);
    assert_eq!(log.server_end().unwrap().reason, EndReason::Completed);
}

#[test]
fn discovery_of_a_device_without_the_node() {
    let store = Store::new(AuthPin::Md5, nonce(1));
    let mut server = server();
    server.start_discovery(None).unwrap();
    let mut client =
        omadm_session::ClientSession::new(client_config(AuthPin::Md5, nonce(1)), MemoryTree::new())
            .unwrap();
    let log = run(&mut server, &mut client, &store, &mut Counter::default());
    let answer = discovery_answer(&log);
    assert_eq!(
        (
            answer.supported,
            answer.status.map(|s| s.get()),
            answer.placeholder,
            answer.enabling
        ),
        (None, Some(404), None, None)
    );
}

#[test]
fn sessionless_and_out_of_sequence_messages_are_refused() {
    let mut client = client(AuthPin::Md5, nonce(1));
    let body = String::from_utf8(client.poll_transmit().unwrap().body).unwrap();
    let store = Store::new(AuthPin::Md5, nonce(1));
    let mut server = server();
    server.queue(get("./DevDetail/SwV")).unwrap();
    let sessionless = body.replace("<SessionID>4711</SessionID>", "<SessionID>0</SessionID>");
    assert_eq!(
        deliver(
            &mut server,
            &store,
            sessionless.as_bytes(),
            None,
            &mut Counter::default()
        ),
        Err(SessionError::Sessionless)
    );
    deliver(
        &mut server,
        &store,
        body.as_bytes(),
        None,
        &mut Counter::default(),
    )
    .unwrap();
    // The same message again: MsgID 1 is not the next one.
    assert_eq!(
        deliver(
            &mut server,
            &store,
            body.as_bytes(),
            None,
            &mut Counter::default()
        ),
        Err(SessionError::UnexpectedMsgId {
            expected: 2,
            got: 1
        })
    );
    let other = body
        .replace("<SessionID>4711</SessionID>", "<SessionID>4712</SessionID>")
        .replace("<MsgID>1</MsgID>", "<MsgID>2</MsgID>");
    assert_eq!(
        deliver(
            &mut server,
            &store,
            other.as_bytes(),
            None,
            &mut Counter::default()
        ),
        Err(SessionError::WrongSession)
    );
    assert!(matches!(
        deliver(
            &mut server,
            &store,
            b"<SyncML",
            None,
            &mut Counter::default()
        ),
        Err(SessionError::Malformed(_))
    ));
}

#[test]
fn queue_refuses_results_status_and_client_alerts() {
    let mut server = server();
    let alert = |code| {
        Command::Alert(omadm_syncml::Alert {
            cmd_id: omadm_syncml::CmdId::MIN,
            no_resp: false,
            cred: None,
            data: Some(omadm_syncml::AlertCode::new(code).unwrap()),
            correlator: None,
            items: vec![],
        })
    };
    assert!(server.queue(alert(1101)).is_ok());
    assert_eq!(
        server.queue(alert(1201)),
        Err(omadm_session::ConfigError::CommandNotQueueable)
    );
}

#[test]
fn atomic_rolls_back_in_the_memory_tree() {
    let mut t = tree();
    assert!(t.begin_atomic());
    t.replace("./DevDetail/SwV", NodeValue::chr("2.0")).unwrap();
    assert_eq!(
        t.add("./DevDetail/SwV", NodeValue::chr("x"))
            .unwrap_err()
            .get(),
        418
    );
    t.end_atomic(false);
    assert_eq!(t.value("./DevDetail/SwV").unwrap().data, "1.0.7");
    assert_eq!(
        t.get("./DevDetail").unwrap().data,
        "FwV/HwV/LrgObj/SessionlessRpt/SwV"
    );
    assert_eq!(t.delete("./DevDetail").map_err(|c| c.get()), Ok(()));
    assert_eq!(t.get("./DevDetail/SwV").unwrap_err().get(), 404);
}

#[test]
fn a_message_while_the_secret_is_pending_is_refused() {
    let mut client = client(AuthPin::Md5, nonce(1));
    let body = client.poll_transmit().unwrap().body;
    let mut server = server();
    let p = server
        .handle_message(&body, &Transport::NONE, at(1), &mut Counter::default())
        .unwrap();
    assert!(
        matches!(p, omadm_session::Progress::NeedSecret(ref r) if r.username == USER && r.device_id == DEVICE)
    );
    assert_eq!(
        server.handle_message(&body, &Transport::NONE, at(1), &mut Counter::default()),
        Err(SessionError::SecretPending)
    );
    // Unknown user: challenged like a wrong credential.
    server.supply_secret(None, &mut Counter::default()).unwrap();
    assert_eq!(header_status(&server.poll_transmit().unwrap().body).0, 401);
}

fn discovery_answer(log: &Log) -> omadm_session::discovery::DiscoveryAnswer {
    log.server_events
        .iter()
        .find_map(|e| match e {
            ServerEvent::Discovery(a) => Some(a.clone()),
            _ => None,
        })
        .unwrap()
}

#[test]
fn a_whole_session_over_wbxml() {
    for pin in [AuthPin::Md5, AuthPin::HMAC_SHA256] {
        let store = Store::new(pin, nonce(1));
        let mut cfg = ServerConfig::new(SERVER);
        cfg.encoding = omadm_session::Encoding::Wbxml;
        let mut server = ServerSession::new(cfg);
        server.queue(get("./DevDetail/SwV")).unwrap();
        let mut cc = client_config(pin, nonce(1));
        cc.encoding = omadm_session::Encoding::Wbxml;
        let mut client = omadm_session::ClientSession::new(cc, tree()).unwrap();
        let log = run(&mut server, &mut client, &store, &mut Counter::default());
        assert!(log.errors.is_empty(), "{:?}", log.errors);
        // WBXML: the SyncML 1.2 public id, not XML text.
        assert!(
            log.server_msgs
                .iter()
                .all(|m| m.starts_with(&[0x02, 0xA4, 0x01]))
        );
        assert!(log.server_events.iter().any(|e| matches!(e, ServerEvent::Results { items, .. } if items[0].data.as_deref() == Some("1.0.7"))));
        let end = log.server_end().unwrap();
        assert_eq!(end.reason, EndReason::Completed);
        assert_eq!(client.next_nonce(), end.next_nonce.as_ref());
    }
    assert_eq!(
        omadm_session::Encoding::from_media_type("application/vnd.syncml.dm+wbxml"),
        Some(omadm_session::Encoding::Wbxml)
    );
}
