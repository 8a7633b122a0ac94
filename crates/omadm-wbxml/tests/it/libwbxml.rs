//! libwbxml agrees, both ways, on every corpus message: Debian's `wbxml2xml` reads our WBXML of
//! every XML corpus message that `omadm-xml` decodes back to the same model, `xml2wbxml`'s WBXML
//! of those messages (with and without its string table) decodes with us to the same model, and
//! `wbxml2xml` reads the corpus WBXML files we decode to what we decode. The tools come from the
//! Debian package `libwbxml2-utils` (`cargo xtask ci` installs it); without them these tests
//! fail, naming the package, and never skip.

use std::io::Write as _;
use std::process::{Command as Process, Stdio};

use omadm_syncml::{Carriage, Command, Item, SyncMl};
use omadm_wbxml::{decode, encode};

use crate::interop::xml_messages;
use crate::support::{corpus_dir, limits, read};

/// The package that provides the tools.
const PACKAGE: &str = "libwbxml2-utils";

/// Runs a libwbxml tool on `input` (stdin to stdout) and returns its output.
fn run(tool: &str, args: &[&str], input: &[u8]) -> Result<Vec<u8>, String> {
    let mut child = Process::new(tool)
        .args(args)
        .args(["-o", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run `{tool}` ({e}): install the Debian package {PACKAGE} (apt-get install -y {PACKAGE}, or run `cargo xtask ci`, which installs it)")
        });
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "{tool} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The model with every `Item/Data` carriage set to `Escaped` (values kept). WBXML has no CDATA:
/// libwbxml writes some text `Data` as `OPAQUE` (the `Data` of `Add`/`Replace` items, vCard types)
/// and renders every `OPAQUE` back as a CDATA section, so the carriage is libwbxml's choice, not
/// the message's; every value must agree.
fn uncarried(mut m: SyncMl<'_>) -> SyncMl<'_> {
    fn items(items: &mut [Item<'_>]) {
        for it in items {
            if let Some(d) = &mut it.data {
                d.carriage = Carriage::Escaped;
            }
        }
    }
    fn commands(cs: &mut [Command<'_>]) {
        for c in cs {
            match c {
                Command::Add(c) | Command::Copy(c) | Command::Replace(c) => items(&mut c.items),
                Command::Alert(c) => items(&mut c.items),
                Command::Atomic(c) | Command::Sequence(c) => commands(&mut c.commands),
                Command::Delete(c) => items(&mut c.items),
                Command::Exec(c) => items(core::slice::from_mut(&mut *c.item)),
                Command::Get(c) => items(&mut c.items),
                Command::Results(c) => items(&mut c.items),
                Command::Status(c) => items(&mut c.items),
            }
        }
    }
    commands(&mut m.body.commands);
    m
}

fn xml_decode(bytes: &[u8]) -> Result<SyncMl<'_>, omadm_xml::Error> {
    omadm_xml::decode(bytes, &omadm_xml::Limits::default())
}

/// The XML corpus messages that `omadm-xml` decodes.
fn decodable_xml() -> Vec<(String, Vec<u8>)> {
    let v: Vec<_> = xml_messages()
        .into_iter()
        .filter(|(_, b)| xml_decode(b).is_ok())
        .collect();
    assert!(v.len() >= 15, "only {} XML corpus messages decode", v.len());
    v
}

#[test]
fn wbxml2xml_reads_our_wbxml_to_the_same_model() {
    for (name, bytes) in decodable_xml() {
        let model = xml_decode(&bytes).unwrap();
        let mut wbxml = Vec::new();
        encode(&model, &mut wbxml);
        let xml =
            run("wbxml2xml", &["-m", "0", "-k"], &wbxml).unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = xml_decode(&xml)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", String::from_utf8_lossy(&xml)));
        assert_eq!(uncarried(back), uncarried(model), "{name}");
    }
}

#[test]
fn we_read_xml2wbxml_output_to_the_same_model() {
    for (name, bytes) in decodable_xml() {
        let mut model = xml_decode(&bytes).unwrap();
        if !root_has_namespace(&bytes) {
            // No namespace to go by: libwbxml writes the public id of the DOCTYPE, or without
            // one SyncML 1.2's, whatever VerDTD says (omadm-xml reads VerDTD for such a root).
            let doctype_1_1 =
                String::from_utf8_lossy(&bytes).contains("-//SYNCML//DTD SyncML 1.1//EN");
            model.version = if doctype_1_1 {
                omadm_syncml::SyncMlVersion::V1_1
            } else {
                omadm_syncml::SyncMlVersion::V1_2
            };
        }
        for args in [
            &["-k", "-v", "1.3"][..],
            &["-k", "-n", "-v", "1.2"][..],
            &["-k", "-v", "1.1"][..],
        ] {
            let wbxml = run("xml2wbxml", args, &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            let back = decode(&wbxml, &limits()).unwrap_or_else(|e| panic!("{name} {args:?}: {e}"));
            assert_eq!(uncarried(back), uncarried(model.clone()), "{name} {args:?}");
        }
    }
}

/// Whether the XML root start tag declares a namespace.
fn root_has_namespace(xml: &[u8]) -> bool {
    let text = String::from_utf8_lossy(xml);
    let at = text.find("<SyncML").unwrap();
    let end = at + text[at..].find('>').unwrap();
    text[at..end].contains("xmlns")
}

#[test]
fn wbxml2xml_reads_the_corpus_wbxml_to_what_we_read() {
    let mut checked = 0;
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".wbxml") {
            continue;
        }
        let bytes = read(&name);
        let Ok(ours) = decode(&bytes, &limits()) else {
            continue; // The fuzz-crash files: libwbxml itself crashes on two of them.
        };
        let xml =
            run("wbxml2xml", &["-m", "0", "-k"], &bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let theirs = xml_decode(&xml).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(uncarried(theirs), uncarried(ours), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 6);
}
