//! The strategies keep their promises: valid models (no CR, non-empty Mixed data, trimmed
//! tokens, unique CmdIDs), valid reports, conforming sessionless messages.

use std::collections::HashSet;

use proptest::prelude::*;
use proptest::strategy::ValueTree;

use omadm_syncml::sessionless::{check, reports};
use omadm_syncml::{Carriage, Command, Item, SyncMl};
use omadm_testkit::strategies::{
    arb_report_parts, arb_sessionless_case, arb_sync_ml, arb_token_text,
};

fn items<'m>(commands: &'m [Command<'m>], out: &mut Vec<&'m Item<'m>>) {
    for c in commands {
        match c {
            Command::Add(c) | Command::Copy(c) | Command::Replace(c) => out.extend(&c.items),
            Command::Alert(c) => out.extend(&c.items),
            Command::Delete(c) => out.extend(&c.items),
            Command::Exec(c) => out.push(&c.item),
            Command::Get(c) => out.extend(&c.items),
            Command::Results(c) => out.extend(&c.items),
            Command::Status(c) => out.extend(&c.items),
            Command::Atomic(c) | Command::Sequence(c) => items(&c.commands, out),
        }
    }
}

fn cmd_ids(commands: &[Command<'_>], out: &mut Vec<u32>) {
    for c in commands {
        out.push(c.cmd_id().get());
        if let Command::Atomic(c) | Command::Sequence(c) = c {
            cmd_ids(&c.commands, out);
        }
    }
}

fn depth(commands: &[Command<'_>]) -> usize {
    commands
        .iter()
        .map(|c| match c {
            Command::Atomic(c) | Command::Sequence(c) => 1 + depth(&c.commands),
            _ => 1,
        })
        .max()
        .unwrap_or(0)
}

proptest! {
    #[test]
    fn sync_ml_is_valid(m in arb_sync_ml()) {
        let debug = format!("{:?}", m);
        prop_assert!(!debug.contains("\\r"));
        let mut all = Vec::new();
        items(&m.body.commands, &mut all);
        for item in all {
            if let Some(d) = &item.data
                && d.carriage == Carriage::Mixed
            {
                prop_assert!(!d.value.is_empty());
            }
        }
        let mut ids = Vec::new();
        cmd_ids(&m.body.commands, &mut ids);
        let unique: HashSet<_> = ids.iter().collect();
        prop_assert_eq!(unique.len(), ids.len());
        prop_assert!(depth(&m.body.commands) <= 3);
        prop_assert!((1..=4).contains(&m.body.commands.len()));
        prop_assert_eq!(&*m.hdr.ver_dtd, m.version.ver_dtd());
    }

    #[test]
    fn tokens_have_no_surrounding_xml_space(t in arb_token_text(8)) {
        prop_assert_eq!(t.trim_matches([' ', '\t', '\n', '\r']), &*t);
    }

    #[test]
    fn report_parts_build(p in arb_report_parts()) {
        prop_assert!(p.build().is_ok(), "{:?} refused: {:?}", p, p.build());
    }

    #[test]
    fn sessionless_case_conforms((m, rs) in arb_sessionless_case()) {
        let found = check(&m);
        prop_assert!(found.is_empty(), "{:?}", found);
        let got = reports(&m).unwrap();
        prop_assert_eq!(got, rs);
    }
}

#[test]
fn a_sync_ml_is_cheap_to_generate() {
    // Generating 64 messages must not take long; a smoke check that sizes stay modest.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arb_sync_ml();
    for _ in 0..64 {
        let m: SyncMl<'static> = strategy.new_tree(&mut runner).unwrap().current();
        assert!(format!("{m:?}").len() < 200_000);
    }
}
