//! The command line itself: help on every subcommand, usage errors.

use crate::support::{parts, run};

const SUBCOMMANDS: [&str; 7] = ["emit", "send", "verify", "lint", "inspect", "serve", "demo"];

#[test]
fn every_subcommand_has_help() {
    let (code, out, _) = parts(&run(&["--help"]));
    assert_eq!(code, 0);
    for sub in SUBCOMMANDS {
        assert!(out.contains(sub), "top-level help lists {sub}: {out}");
        let (code, out, err) = parts(&run(&[sub, "--help"]));
        assert_eq!(code, 0, "{sub} --help: {err}");
        assert!(out.contains(&format!("Usage: omadm {sub}")), "{sub}: {out}");
    }
}

#[test]
fn usage_errors_exit_2_with_one_message() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["verify"],
        &["emit", "--devices", "d.toml"],
        &[
            "serve",
            "--listen",
            "not-an-address",
            "--devices",
            "d.toml",
            "--db",
            "x",
        ],
        &[
            "send",
            "--devices",
            "d",
            "--reports",
            "r",
            "--url",
            "http://x",
            "--repeat",
            "many",
            "--device",
            "a",
        ],
    ] {
        let (code, out, err) = parts(&run(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn version() {
    let (code, out, _) = parts(&run(&["--version"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("omadm "), "{out}");
}
