//! Reads a WBXML message and prints its model (or the located error, exit code 1); with
//! `--from-xml IN OUT`, writes the WBXML encoding of an XML message (decoded with omadm-xml).
//!
//! `cargo run -p omadm-wbxml --example wbxml_inspect -- FILE`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, input, output] if flag == "--from-xml" => {
            let bytes = match std::fs::read(input) {
                Ok(b) => b,
                Err(e) => return fail(&format!("{input}: {e}")),
            };
            let m = match omadm_xml::decode(&bytes, &omadm_xml::Limits::default()) {
                Ok(m) => m,
                Err(e) => return fail(&format!("{input}: {e}")),
            };
            let mut out = Vec::new();
            omadm_wbxml::encode(&m, &mut out);
            match std::fs::write(output, out) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("{output}: {e}")),
            }
        }
        [input] => {
            let bytes = match std::fs::read(input) {
                Ok(b) => b,
                Err(e) => return fail(&format!("{input}: {e}")),
            };
            match omadm_wbxml::decode_located(&bytes, &omadm_wbxml::Limits::default()) {
                Ok(d) => {
                    println!("{:#?}", d.message);
                    println!("cred data span: {:?}", d.cred_data);
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("{input}: {e}")),
            }
        }
        _ => fail("usage: wbxml_inspect FILE | wbxml_inspect --from-xml IN.xml OUT.wbxml"),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(1)
}
