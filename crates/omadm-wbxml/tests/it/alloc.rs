//! Allocation budgets (counted per thread by the testkit's counting allocator, installed for this
//! binary in `main.rs`): encoding into a buffer with room allocates nothing; decoding allocates
//! at most 2 plus 1 per command for the sessionless fixtures (the command list and its one
//! growth, sized from the first command, and one item list per alert: 2 / 12 / 102 for 1 / 10 /
//! 100 alerts); the header scan allocates nothing (the element stack is an array).

use omadm_testkit::alloc::allocations;
use omadm_wbxml::{decode, decode_header, encode};

use crate::support::{fixture_wbxml, fixtures, limits};

#[test]
fn allocation_budget() {
    for alerts in [1u32, 10, 100] {
        let msg = fixtures::message(alerts);
        let mut bytes = Vec::new();
        encode(&msg, &mut bytes);
        let mut out = Vec::with_capacity(bytes.len());
        let (n, _) = allocations(|| encode(&msg, &mut out));
        assert_eq!(n, 0, "encode into a warm buffer allocates nothing");
        assert_eq!(out, bytes);

        let (n, m) = allocations(|| decode(&bytes, &limits()).unwrap());
        let budget = 2 + m.body.commands.len();
        assert!(
            n <= budget,
            "decode {alerts} alerts: {n} allocations > {budget}"
        );
        let (n, _) = allocations(|| decode_header(&bytes, &limits()).unwrap());
        assert_eq!(
            n, 0,
            "decode_header (the verifier's header scan) allocates nothing"
        );
    }
}

/// The command list is sized from the first command (as many more as the rest of the input
/// holds at its size), but never beyond one command per 64 bytes of the rest: a tiny first
/// command before a large one does not make the list hundreds of times the input's size.
#[test]
fn command_list_room_is_bounded_by_the_input() {
    use omadm_syncml::{Alert, AlertCode, CmdId, Command, Item, ItemData};

    let mut msg = fixtures::message(0);
    let tiny = Alert {
        cmd_id: CmdId::new(1).unwrap(),
        no_resp: false,
        cred: None,
        data: Some(AlertCode::SESSIONLESS_REPORT),
        correlator: None,
        items: Vec::new(),
    };
    let big_payload = "x".repeat(60_000);
    let big = Alert {
        cmd_id: CmdId::new(2).unwrap(),
        items: vec![Item {
            data: Some(ItemData::cdata(big_payload.as_str())),
            ..Item::default()
        }],
        ..tiny.clone()
    };
    msg.body.commands = vec![Command::Alert(tiny), Command::Alert(big)];
    let mut bytes = Vec::new();
    encode(&msg, &mut bytes);

    let m = decode(&bytes, &limits()).unwrap();
    assert_eq!(m, msg);
    let room = m.body.commands.capacity() * size_of::<Command<'_>>();
    assert!(
        room <= 2 * bytes.len() + size_of::<Command<'_>>(),
        "{} commands of room ({room} B) for a {} B message",
        m.body.commands.capacity(),
        bytes.len()
    );

    // The usual message: N like reports, room for exactly N (or one more).
    let bytes = fixture_wbxml(100);
    let m = decode(&bytes, &limits()).unwrap();
    assert!((100..=101).contains(&m.body.commands.capacity()));
}
