//! Running external tools: the repository root, `cargo`, echoing and checking commands, and
//! installing the cargo subcommands CI needs when they are missing.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Why an xtask command failed; the message names what to look at.
#[derive(Debug)]
pub(crate) struct Error(String);

impl Error {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for Error {}

/// The repository root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// `cargo`, the same binary that runs us when there is one (so `cargo +toolchain xtask` sticks).
pub(crate) fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(program);
    cmd.current_dir(root());
    cmd
}

/// Echoes `cmd`, runs it with stdin closed and output passed through, and fails unless it exits 0.
pub(crate) fn run(cmd: &mut Command) -> Result<(), Error> {
    let line = show(cmd);
    println!("$ {line}");
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| Error::new(format!("could not start `{line}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("`{line}` failed ({status})")))
    }
}

/// Like [`run`], but also hands every line the command writes to stdout to `on_line` (the lines
/// are still printed, as they come).
pub(crate) fn run_tee(cmd: &mut Command, mut on_line: impl FnMut(&str)) -> Result<(), Error> {
    let line = show(cmd);
    println!("$ {line}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("could not start `{line}`: {e}")))?;
    if let Some(stdout) = child.stdout.take() {
        let mut reader = BufReader::new(stdout);
        let mut out = std::io::stdout();
        let mut buf = Vec::new();
        // Stops only at end of output (or a broken pipe), so the child never blocks on us.
        while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            // Best effort: losing our own echo must not stop the command.
            let _ = out.write_all(&buf);
            on_line(&String::from_utf8_lossy(&buf));
            buf.clear();
        }
    }
    let status = child
        .wait()
        .map_err(|e| Error::new(format!("could not wait for `{line}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("`{line}` failed ({status})")))
    }
}

/// Runs `cmd` quietly and returns its stdout, or `None` if it could not start or exited non-zero.
pub(crate) fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Makes sure `cargo <subcommand>` works, installing `krate` with `cargo install --locked` if not.
pub(crate) fn ensure_cargo_subcommand(subcommand: &str, krate: &str) -> Result<(), Error> {
    if let Some(version) = output(cargo().args([subcommand, "--version"])) {
        println!("xtask: using {}", version.trim());
        return Ok(());
    }
    println!(
        "xtask: `cargo {subcommand}` is missing; installing {krate} (this takes a while once)"
    );
    let start = Instant::now();
    run(cargo().args(["install", "--locked", krate]))?;
    println!(
        "xtask: installed {krate} in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Makes sure the program `binary` is on `PATH`, installing the Debian package that provides it
/// with `apt-get` when it is missing, and says which it did (CI runs as root with the package
/// registry reachable; elsewhere the install fails and says why).
pub(crate) fn ensure_apt_package(binary: &str, package: &str) -> Result<(), Error> {
    if on_path(binary) {
        println!("xtask: using {binary} (Debian package {package})");
        return Ok(());
    }
    println!("xtask: `{binary}` is missing; installing the Debian package {package} with apt-get");
    let start = Instant::now();
    apt_install(package)?;
    if !on_path(binary) {
        return Err(Error::new(format!(
            "{package} is installed but `{binary}` is still not on PATH"
        )));
    }
    println!(
        "xtask: installed {package} in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `apt-get update`, then `apt-get install -y --no-install-recommends package`.
pub(crate) fn apt_install(package: &str) -> Result<(), Error> {
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .map_err(|e| Error::new(format!("{e}: install the Debian package {package}")))
}

/// Whether an executable file named `binary` is in a directory of `PATH`.
fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(binary).is_file()))
}

/// The command as a shell-like line, with the environment variables we set in front.
fn show(cmd: &Command) -> String {
    let mut words: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    let program = Path::new(cmd.get_program());
    let program = program.file_name().unwrap_or(program.as_os_str());
    words.push(program.to_string_lossy().into_owned());
    words.extend(cmd.get_args().map(quote));
    words.join(" ")
}

fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
        format!("'{}'", s.replace('\'', r"'\''"))
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_puts_set_variables_first_and_quotes_spaces() {
        let mut cmd = Command::new("/usr/bin/cargo");
        cmd.env("RUSTDOCFLAGS", "-Dwarnings")
            .args(["doc", "a b", ""]);
        assert_eq!(show(&cmd), "RUSTDOCFLAGS=-Dwarnings cargo doc 'a b' ''");
    }

    #[test]
    fn root_holds_the_workspace_manifest() {
        assert!(root().join("Cargo.toml").is_file());
        assert!(root().join("xtask").is_dir());
    }
}
