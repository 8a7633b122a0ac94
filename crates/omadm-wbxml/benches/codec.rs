//! Criterion benchmarks of the WBXML codec on the 1-, 10- and 100-alert sessionless messages
//! (the XML codec's fixtures, WBXML-encoded), beside SHA-256 of the same bytes in the same run;
//! and the libwbxml peer: `benches/peers/libwbxml_conv.c` (`wbxml_conv_wbxml2xml_run` in a loop
//! over the same bytes), built and run when libwbxml's headers are installed (`libwbxml2-dev`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use omadm_wbxml::{Limits, Options, decode, decode_header, encode, encode_with};
use sha2::{Digest, Sha256};

#[path = "../../omadm-xml/tests/fixtures/messages.rs"]
#[allow(dead_code, unreachable_pub)]
mod fixtures;

fn wbxml(alerts: u32) -> Vec<u8> {
    let mut out = Vec::new();
    encode(&fixtures::message(alerts), &mut out);
    out
}

fn codec(c: &mut Criterion) {
    let limits = Limits::default();
    for alerts in [1u32, 10, 100] {
        let msg = fixtures::message(alerts);
        let bytes = wbxml(alerts);
        let mut group = c.benchmark_group(format!("wbxml {alerts}-alert ({} B)", bytes.len()));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("sha256", |b| b.iter(|| Sha256::digest(black_box(&bytes))));
        group.bench_function("decode", |b| {
            b.iter(|| decode(black_box(&bytes), &limits).unwrap())
        });
        group.bench_function("decode_header", |b| {
            b.iter(|| decode_header(black_box(&bytes), &limits).unwrap())
        });
        group.bench_function("decode_header + into_body", |b| {
            b.iter(|| {
                decode_header(black_box(&bytes), &limits)
                    .unwrap()
                    .into_body()
                    .unwrap()
            })
        });
        let mut out = Vec::with_capacity(bytes.len());
        group.bench_function("encode", |b| {
            b.iter(|| {
                out.clear();
                encode(black_box(&msg), &mut out);
            })
        });
        let table = Options::default().with_string_table(true);
        group.bench_function("encode (string table)", |b| {
            b.iter(|| {
                out.clear();
                encode_with(black_box(&msg), &table, &mut out);
            })
        });
        group.finish();
    }
    peer();
}

/// Builds and runs the libwbxml peer on the same messages, or says why not.
fn peer() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("omadm-wbxml-peer");
    std::fs::create_dir_all(&dir).unwrap();
    let Some(flags) = pkg_config(&["--cflags", "--libs", "libwbxml2"]) else {
        println!("libwbxml peer not run: install libwbxml2-dev (apt-get install -y libwbxml2-dev)");
        return;
    };
    let exe = dir.join("libwbxml_conv");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peers/libwbxml_conv.c");
    let built = Command::new("cc")
        .args(["-O2", src, "-o"])
        .arg(&exe)
        .args(flags.split_whitespace())
        .status();
    if !matches!(built, Ok(s) if s.success()) {
        println!("libwbxml peer not run: `cc` could not build {src}");
        return;
    }
    for alerts in [1u32, 10, 100] {
        let file = dir.join(format!("sessionless-{alerts}.wbxml"));
        std::fs::write(&file, wbxml(alerts)).unwrap();
        let iterations = (2000 / alerts).to_string();
        match Command::new(&exe).arg(&file).arg(iterations).output() {
            Ok(out) if out.status.success() => {
                print!("{alerts}-alert: {}", String::from_utf8_lossy(&out.stdout));
            }
            Ok(out) => println!(
                "libwbxml peer failed on {alerts}-alert: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => println!("libwbxml peer failed: {e}"),
        }
    }
}

fn pkg_config(args: &[&str]) -> Option<String> {
    let out = Command::new("pkg-config").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

criterion_group!(benches, codec);
criterion_main!(benches);
