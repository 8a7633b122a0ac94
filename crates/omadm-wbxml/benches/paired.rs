//! The decode / SHA-256 ratio measured in pairs, for a machine whose neighbours slow integer code
//! down and leave SHA-256 (which runs on the CPU's SHA extensions) as it is: criterion measures
//! decode and its floor seconds apart, so a change of state between the two shows up as a change
//! of ratio. Here each round times a batch of decodes and then a batch of SHA-256 digests of the
//! same bytes, a few milliseconds apart; the ratio is taken per round, and the rounds' ratios are
//! summarised, beside the ratio of the fastest decode batch to the fastest SHA-256 batch (each
//! the least disturbed of its kind). Run with
//! `cargo bench -p omadm-wbxml --bench paired [-- ROUNDS]`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    missing_docs
)]

use std::hint::black_box;
use std::time::Instant;

use omadm_wbxml::{Limits, decode, encode};
use sha2::{Digest, Sha256};

#[path = "../../omadm-xml/tests/fixtures/messages.rs"]
#[allow(dead_code, unreachable_pub)]
mod fixtures;

/// Nanoseconds per call of `f`, over `iters` calls.
fn per_call(iters: usize, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn main() {
    // `cargo bench` passes `--bench`; a number is the count of rounds.
    let rounds = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(41)
        .max(1);
    let limits = Limits::default();
    println!("{rounds} rounds; per round a batch of decodes, then a batch of SHA-256 digests");
    for alerts in [1u32, 10, 100] {
        let mut bytes = Vec::new();
        encode(&fixtures::message(alerts), &mut bytes);
        let iters = (20_000 / alerts) as usize;
        let (mut dec, mut sha, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let d = per_call(iters, || {
                black_box(decode(black_box(&bytes), &limits).unwrap());
            });
            let s = per_call(iters, || {
                black_box(Sha256::digest(black_box(&bytes)));
            });
            dec.push(d);
            sha.push(s);
            ratio.push(d / s);
        }
        let (dec, sha, ratio) = (sorted(dec), sorted(sha), sorted(ratio));
        let (q1, med) = (rounds / 4, rounds / 2);
        println!(
            "{alerts:>3}-alert ({:>6} B): decode median {:>9.1} ns, fastest {:>9.1} | SHA-256 median \
             {:>9.1} ns, fastest {:>9.1} | fastest / fastest {:.3} | decode / SHA-256 per round: \
             first quartile {:.3}, median {:.3}",
            bytes.len(),
            dec[med],
            dec[0],
            sha[med],
            sha[0],
            dec[0] / sha[0],
            ratio[q1],
            ratio[med],
        );
    }
}
