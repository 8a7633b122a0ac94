//! `cargo xtask ci`: the checks CI runs, in order, failing fast, with a table of wall times.

use std::hash::{DefaultHasher, Hasher as _};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cmd::{self, Error, cargo};
use crate::{fuzz, meta, tidy};

/// Seconds each fuzz target runs in the CI smoke step.
pub(crate) const SMOKE_SECONDS: u64 = 15;

/// What to do when the fuzz workspace's lock file no longer matches the library manifests.
const FUZZ_LOCK_HINT: &str = "if cargo says fuzz/Cargo.lock needs to be updated, refresh it from \
     the workspace lock and commit it: cp Cargo.lock fuzz/Cargo.lock && \
     cargo metadata --manifest-path fuzz/Cargo.toml --format-version 1 >/dev/null";

/// Proptest cases per property when the caller has not chosen.
const PROPTEST_CASES: &str = "64";

/// What `cargo xtask ci` was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) skip: Vec<Step>,
    pub(crate) fuzz_seconds: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            skip: Vec::new(),
            fuzz_seconds: SMOKE_SECONDS,
        }
    }
}

/// One CI step, in the order CI runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Fmt,
    Tidy,
    Clippy,
    Test,
    Doc,
    Features,
    Package,
    Deny,
    Fuzz,
}

impl Step {
    const ALL: [Step; 9] = [
        Step::Fmt,
        Step::Tidy,
        Step::Clippy,
        Step::Test,
        Step::Doc,
        Step::Features,
        Step::Package,
        Step::Deny,
        Step::Fuzz,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Fmt => "fmt",
            Step::Tidy => "tidy",
            Step::Clippy => "clippy",
            Step::Test => "test",
            Step::Doc => "doc",
            Step::Features => "features",
            Step::Package => "package",
            Step::Deny => "deny",
            Step::Fuzz => "fuzz",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }

    pub(crate) fn names() -> String {
        Step::ALL.map(Step::name).join(", ")
    }

    fn run(self, opts: &Options) -> Result<Outcome, Error> {
        match self {
            Step::Fmt => fmt(),
            Step::Tidy => tidy::run(),
            Step::Clippy => {
                cmd::run(
                    cargo()
                        .args(["clippy", "--workspace", "--all-targets", "--locked"])
                        .args(["--", "-D", "warnings"]),
                )?;
                Ok(Outcome::Ok)
            }
            Step::Test => {
                // The omadm-cli multi-node tests start their own PostgreSQL from these.
                crate::postgres::ensure()?;
                // omadm-wbxml's interop tests run libwbxml's tools (they fail without them).
                cmd::ensure_apt_package("wbxml2xml", "libwbxml2-utils")?;
                // The status page test runs headless Chromium (it fails without it).
                cmd::ensure_apt_package("chromium", "chromium")?;
                let mut cmd = cargo();
                cmd.args(["test", "--workspace", "--locked"]);
                if std::env::var_os("PROPTEST_CASES").is_none() {
                    cmd.env("PROPTEST_CASES", PROPTEST_CASES);
                }
                let mut totals = TestTotals::default();
                match cmd::run_tee(&mut cmd, |line| totals.add(line)) {
                    Ok(()) => Ok(Outcome::Note(totals.to_string())),
                    Err(e) => Err(Error::new(format!("{e}; so far {totals}"))),
                }
            }
            Step::Doc => {
                cmd::run(cargo().env("RUSTDOCFLAGS", "-Dwarnings").args([
                    "doc",
                    "--workspace",
                    "--no-deps",
                    "--locked",
                ]))?;
                Ok(Outcome::Ok)
            }
            Step::Features => features(),
            Step::Package => package(),
            Step::Deny => deny(),
            Step::Fuzz => fuzz::smoke(opts.fuzz_seconds),
        }
    }
}

/// How a step ended when it did not fail.
#[derive(Debug)]
pub(crate) enum Outcome {
    Ok,
    /// It succeeded; the text says what it did (or why there was nothing to do).
    Note(String),
}

/// Runs every step not skipped, stopping at the first failure, and prints the time table.
pub(crate) fn run(opts: &Options) -> Result<(), Error> {
    let start = Instant::now();
    let mut rows: Vec<(Step, String, Duration)> = Vec::new();
    let mut failure = None;
    for step in Step::ALL {
        if opts.skip.contains(&step) {
            rows.push((step, "skipped".to_owned(), Duration::ZERO));
            continue;
        }
        println!("\n==> xtask ci: {}", step.name());
        let t = Instant::now();
        let result = step.run(opts);
        let took = t.elapsed();
        match result {
            Ok(Outcome::Ok) => rows.push((step, "ok".to_owned(), took)),
            Ok(Outcome::Note(note)) => rows.push((step, format!("ok ({note})"), took)),
            Err(e) => {
                rows.push((step, "FAILED".to_owned(), took));
                failure = Some((step, e));
                break;
            }
        }
    }
    print_table(&rows, start.elapsed());
    match failure {
        None => Ok(()),
        Some((step, e)) => Err(Error::new(format!("ci step `{}` failed: {e}", step.name()))),
    }
}

fn fmt() -> Result<Outcome, Error> {
    cmd::run(cargo().args(["fmt", "--all", "--check"]))?;
    // The fuzz crate is its own workspace (excluded from ours): check its sources too.
    let targets = fuzz::target_sources();
    if !targets.is_empty() {
        let mut cmd = std::process::Command::new("rustfmt");
        cmd.current_dir(cmd::root())
            .args(["--check", "--edition", "2024"])
            .args(&targets);
        if !std::io::stdout().is_terminal() {
            // rustfmt colours its diff even into a pipe; CI logs want plain text.
            cmd.args(["--color", "never"]);
        }
        cmd::run(&mut cmd)?;
    }
    Ok(Outcome::Ok)
}

/// Each published crate alone (so no other member's feature requests are unified in) with its
/// default features off, then with each of its features alone; a warning fails the step.
fn features() -> Result<Outcome, Error> {
    let mut runs = 0;
    for m in meta::workspace()?.iter().filter(|m| m.published) {
        let sets = std::iter::once(None).chain(m.features.iter().map(|f| Some(f.as_str())));
        // `cargo rustc` passes its extra arguments to one target at a time.
        let lib = m.has_lib.then(|| vec!["--lib".to_owned()]);
        let bins = m.bins.iter().map(|b| vec!["--bin".to_owned(), b.clone()]);
        let targets: Vec<Vec<String>> = lib.into_iter().chain(bins).collect();
        for (set, target) in sets.flat_map(|s| targets.iter().map(move |t| (s, t))) {
            let mut cmd = cargo();
            // `cargo rustc --profile check` is `cargo check` that passes `-D warnings` to the
            // crate itself only: the dependencies keep the artifacts the other steps built.
            cmd.args([
                "rustc",
                "--profile",
                "check",
                "--locked",
                "--package",
                &m.name,
                "--no-default-features",
            ]);
            if let Some(feature) = set {
                cmd.args(["--features", feature]);
            }
            cmd.args(target).args(["--", "-D", "warnings"]);
            cmd::run(&mut cmd)?;
            runs += 1;
        }
    }
    Ok(Outcome::Note(format!("{runs} crate/feature/target checks")))
}

/// The files every published crate must ship.
const PACKAGED: [&str; 5] = [
    "Cargo.toml",
    "README.md",
    "CHANGELOG.md",
    "LICENSE-MIT",
    "LICENSE-APACHE",
];

/// `cargo package` of every published crate in one run: cargo orders them by dependency and
/// verifies each against the ones packaged before it (a local overlay registry), so crates
/// whose workspace dependencies are not on crates.io yet still build from their `.crate` files.
/// First checks that each package lists the files in [`PACKAGED`].
///
/// The run uses its own target directory, named by a hash of everything packaged: cargo
/// extracts the overlay registry's crates into `$CARGO_HOME/registry/src/<hash of the registry
/// path>/` once and reuses that copy while the name and version stay the same, so a second run
/// in the same directory would verify the *first* run's sources.
fn package() -> Result<Outcome, Error> {
    let members = meta::workspace()?;
    let published: Vec<&meta::Member> = members.iter().filter(|m| m.published).collect();
    let mut hasher = DefaultHasher::new();
    for file in ["Cargo.toml", "Cargo.lock"] {
        hash_file(&mut hasher, &cmd::root().join(file));
    }
    for m in &published {
        let name = m.name.as_str();
        let mut list = cargo();
        let args = [
            "package",
            "--list",
            "--locked",
            "--allow-dirty",
            "--package",
        ];
        list.args(args).arg(name);
        let files = cmd::output(&mut list)
            .ok_or_else(|| Error::new(format!("`cargo package --list --package {name}` failed")))?;
        let missing: Vec<&str> = PACKAGED
            .into_iter()
            .filter(|f| !files.lines().any(|l| l.trim() == *f))
            .collect();
        if !missing.is_empty() {
            return Err(Error::new(format!(
                "{name}: the package lacks {missing:?} (see `include` in its Cargo.toml)"
            )));
        }
        for f in files.lines() {
            hasher.write(f.as_bytes());
            hash_file(&mut hasher, &m.dir.join(f.trim()));
        }
    }
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| cmd::root().join("target"), PathBuf::from)
        .join("package-verify");
    let dir = base.join(format!("{:016x}", hasher.finish()));
    // The directories of earlier contents are of no further use.
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            if entry.path() != dir {
                // Best effort: a leftover directory only costs disk space.
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let mut cmd = cargo();
    cmd.args(["package", "--locked", "--target-dir"]).arg(&dir);
    // CI packages its clean clone as committed; a local run packages the work tree as it is.
    if std::env::var_os("CI").is_none() {
        cmd.arg("--allow-dirty");
    }
    for m in &published {
        cmd.args(["--package", &m.name]);
    }
    cmd::run(&mut cmd)?;
    Ok(Outcome::Note(format!(
        "{} crates packaged and verified",
        published.len()
    )))
}

/// Feeds a file's bytes to `hasher` (nothing if it cannot be read: `cargo package --list` also
/// names files cargo generates, such as `Cargo.toml.orig`).
fn hash_file(hasher: &mut DefaultHasher, path: &Path) {
    if let Ok(bytes) = std::fs::read(path) {
        hasher.write(&bytes);
    }
}

fn deny() -> Result<Outcome, Error> {
    cmd::ensure_cargo_subcommand("deny", "cargo-deny")?;
    const CHECKS: [&str; 4] = ["check", "bans", "licenses", "sources"];
    // The NCSA exception in deny.toml is for libfuzzer-sys, which only the fuzz workspace has.
    cmd::run(
        cargo()
            .args(["deny", "--locked"])
            .args(CHECKS)
            .arg("--allow=license-exception-not-encountered"),
    )?;
    if fuzz::has_targets_in_manifest() {
        // The fuzz crate is its own workspace: its dependencies (libFuzzer) are checked too.
        cmd::run(
            cargo()
                .args(["deny", "--locked", "--manifest-path", "fuzz/Cargo.toml"])
                .args(["--config", "deny.toml"])
                .args(CHECKS),
        )
        .map_err(|e| Error::new(format!("{e}\n{FUZZ_LOCK_HINT}")))?;
    }
    Ok(Outcome::Ok)
}

/// The sum of the `test result:` lines the test harness prints, one per test binary.
#[derive(Debug, Default, PartialEq, Eq)]
struct TestTotals {
    binaries: u64,
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestTotals {
    /// Adds `line` if it is a summary such as
    /// `test result: ok. 9 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s`.
    fn add(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        let Some((_verdict, counts)) = rest.split_once(". ") else {
            return;
        };
        self.binaries += 1;
        for item in counts.split("; ") {
            let Some((n, what)) = item.split_once(' ') else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

impl std::fmt::Display for TestTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} ignored; {} runs",
            self.passed, self.failed, self.ignored, self.binaries
        )
    }
}

fn print_table(rows: &[(Step, String, Duration)], total: Duration) {
    println!("\nxtask ci: wall time per step");
    println!("  {:<8} {:<40} {:>9}", "step", "result", "time");
    for (step, result, took) in rows {
        let time = if result == "skipped" {
            "-".to_owned()
        } else {
            secs(*took)
        };
        println!("  {:<8} {:<40} {:>9}", step.name(), result, time);
    }
    println!("  {:<8} {:<40} {:>9}", "total", "", secs(total));
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_totals_sum_the_summary_lines() {
        let mut t = TestTotals::default();
        for line in [
            "running 9 tests",
            "test result: ok. 9 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s",
            "test x ... ok",
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s\n",
            "   Doc-tests omadm_xml",
            "test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
        ] {
            t.add(line);
        }
        let expect = TestTotals {
            binaries: 3,
            passed: 12,
            failed: 2,
            ignored: 1,
        };
        assert_eq!(t, expect);
        assert_eq!(t.to_string(), "12 passed, 2 failed, 1 ignored; 3 runs");
    }

    #[test]
    fn step_names_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::from_name(step.name()), Some(step));
        }
        assert_eq!(
            Step::names(),
            "fmt, tidy, clippy, test, doc, features, package, deny, fuzz"
        );
    }
}
