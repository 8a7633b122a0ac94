//! `omadm convert`: XML <-> WBXML, strict both ways (typed error, exit 2, on bad input).

use crate::support::{bin, parts, shared};

fn corpus(name: &str) -> String {
    shared()
        .join("corpus/interop")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn convert_round_trips_a_corpus_message_both_ways() {
    let xml = bin()
        .args(["convert", &corpus("aosp-dm12-add.wbxml")])
        .output()
        .unwrap();
    assert_eq!(parts(&xml).0, 0, "{}", parts(&xml).2);
    assert!(xml.stdout.starts_with(b"<?xml"));
    let dir = std::env::temp_dir().join(format!("omadm-convert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xml_file = dir.join("m.xml");
    std::fs::write(&xml_file, &xml.stdout).unwrap();
    let wbxml_file = dir.join("m.wbxml");
    let out = bin()
        .args([
            "convert",
            &xml_file.display().to_string(),
            "--to",
            "wbxml",
            "-o",
        ])
        .arg(&wbxml_file)
        .output()
        .unwrap();
    assert_eq!(parts(&out).0, 0, "{}", parts(&out).2);
    let back = std::fs::read(&wbxml_file).unwrap();
    let original = std::fs::read(corpus("aosp-dm12-add.wbxml")).unwrap();
    let limits = omadm_wbxml::Limits::default();
    assert_eq!(
        omadm_wbxml::decode(&back, &limits).unwrap(),
        omadm_wbxml::decode(&original, &limits).unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn convert_refuses_bad_input_with_exit_2() {
    for name in [
        "libwbxml-fuzz-crash-sigsegv-2.wbxml",
        "libwbxml-fuzz-crash-sigabrt-syncml.wbxml",
        "buteo-malformed-1-decl-only.xml",
    ] {
        let (code, stdout, stderr) =
            parts(&bin().args(["convert", &corpus(name)]).output().unwrap());
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains("not a SyncML DM"), "{name}: {stderr}");
    }
}
