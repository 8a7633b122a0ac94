//! Fuzzing through `cargo fuzz`: the CI smoke run of every target and a long run of one.
//!
//! libFuzzer needs nightly-only rustc flags (`-Zsanitizer=...`); `RUSTC_BOOTSTRAP=1` lets the
//! stable toolchain accept them, so every `cargo fuzz` we start gets it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ci::Outcome;
use crate::cmd::{self, Error, cargo, run};

/// Seconds `cargo xtask fuzz TARGET` runs when not told.
pub(crate) const DEFAULT_SECONDS: u64 = 600;

/// Seconds one input may take before libFuzzer reports a hang in the smoke run.
const SMOKE_INPUT_TIMEOUT: u64 = 10;

/// What `cargo xtask fuzz` was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) target: String,
    /// 0 runs until stopped.
    pub(crate) seconds: u64,
    /// Passed to libFuzzer after ours.
    pub(crate) libfuzzer_args: Vec<String>,
}

/// The CI step: build every target once, then run each for `seconds` from its committed seeds
/// without writing into `fuzz/corpus/` (new inputs go to a scratch directory that is removed).
pub(crate) fn smoke(seconds: u64) -> Result<Outcome, Error> {
    cmd::ensure_cargo_subcommand("fuzz", "cargo-fuzz")?;
    let targets = list()?;
    if targets.is_empty() {
        println!("xtask: fuzz/Cargo.toml declares no fuzz targets yet; nothing to run");
        return Ok(Outcome::Note("no fuzz targets yet".to_owned()));
    }
    let lock = fuzz_dir().join("Cargo.lock");
    let lock_before = std::fs::read(&lock).ok();
    run(&mut cargo_fuzz("build"))?;
    if std::fs::read(&lock).ok() != lock_before {
        println!(
            "xtask: warning: fuzz/Cargo.lock was out of date and cargo has updated it; commit it \
             (see fuzz/README.md)"
        );
    }
    for target in &targets {
        let seeds = corpus_dir(target)?;
        let scratch =
            std::env::temp_dir().join(format!("omadm-fuzz-{target}-{}", std::process::id()));
        std::fs::create_dir_all(&scratch)
            .map_err(|e| Error::new(format!("cannot create {}: {e}", scratch.display())))?;
        // libFuzzer writes new inputs into the first corpus directory and only reads the rest.
        let result = run(cargo_fuzz("run")
            .arg(target)
            .arg(&scratch)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-timeout={SMOKE_INPUT_TIMEOUT}")));
        // Best effort: a leftover scratch directory in the temp dir harms nothing.
        let _ = std::fs::remove_dir_all(&scratch);
        result.map_err(|e| {
            Error::new(format!(
                "fuzz target `{target}`: {e}; a crashing input is saved under fuzz/artifacts/{target}/"
            ))
        })?;
    }
    Ok(Outcome::Note(format!(
        "{} target(s) x {seconds} s",
        targets.len()
    )))
}

/// `cargo xtask fuzz TARGET`: one target, for longer, keeping new inputs in its corpus.
pub(crate) fn run_one(opts: &Options) -> Result<(), Error> {
    cmd::ensure_cargo_subcommand("fuzz", "cargo-fuzz")?;
    let targets = list()?;
    if !targets.contains(&opts.target) {
        return Err(Error::new(format!(
            "no fuzz target `{}` (targets: {})",
            opts.target,
            if targets.is_empty() {
                "none yet".to_owned()
            } else {
                targets.join(", ")
            }
        )));
    }
    let corpus = corpus_dir(&opts.target)?;
    run(cargo_fuzz("run")
        .arg(&opts.target)
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={}", opts.seconds))
        .args(&opts.libfuzzer_args))
}

/// The `.rs` files under `fuzz/fuzz_targets/`, sorted (for the format check).
pub(crate) fn target_sources() -> Vec<PathBuf> {
    let dir = fuzz_dir().join("fuzz_targets");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    files
}

/// Whether `fuzz/Cargo.toml` declares any `[[bin]]`; without one cargo cannot even read it.
pub(crate) fn has_targets_in_manifest() -> bool {
    std::fs::read_to_string(fuzz_dir().join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.lines().any(|line| line.trim() == "[[bin]]"))
}

/// The targets `cargo fuzz list` reports.
fn list() -> Result<Vec<String>, Error> {
    if !has_targets_in_manifest() {
        return Ok(Vec::new());
    }
    let out = cmd::output(&mut cargo_fuzz("list"))
        .ok_or_else(|| Error::new("`cargo fuzz list` failed; run it in fuzz/ to see why"))?;
    Ok(out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn cargo_fuzz(subcommand: &str) -> Command {
    let mut cmd = cargo();
    cmd.env("RUSTC_BOOTSTRAP", "1").args(["fuzz", subcommand]);
    cmd
}

fn fuzz_dir() -> PathBuf {
    cmd::root().join("fuzz")
}

/// `fuzz/corpus/TARGET/`, created if missing (committed seeds are named `seed-*`).
fn corpus_dir(target: &str) -> Result<PathBuf, Error> {
    let dir = fuzz_dir().join("corpus").join(target);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    let seeds = count_seeds(&dir);
    println!(
        "xtask: {target}: {seeds} committed seed(s) in {}",
        dir.display()
    );
    Ok(dir)
}

fn count_seeds(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("seed-"))
        .count()
}
