//! The PostgreSQL server binaries the `omadm-cli` multi-node tests start a throw-away cluster
//! with: found, or installed from Debian's `postgresql-15` when running as root, or a clear
//! failure naming the package. Nothing is started here: the tests start and stop their own.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Error};

/// The Debian package with `initdb`, `pg_ctl` and `postgres` (and the `postgres` system user).
const PACKAGE: &str = "postgresql-15";

/// Makes sure the tests will find the server binaries (or `OMADM_TEST_POSTGRES` names a running
/// server), installing the package with apt-get when root and it is missing.
pub(crate) fn ensure() -> Result<(), Error> {
    if std::env::var_os("OMADM_TEST_POSTGRES").is_some_and(|v| !v.is_empty()) {
        println!("xtask: PostgreSQL tests use OMADM_TEST_POSTGRES");
        return Ok(());
    }
    if let Some(dir) = find() {
        println!("xtask: PostgreSQL server binaries in {}", dir.display());
        return Ok(());
    }
    let root = cmd::output(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    if !root {
        return Err(Error::new(format!(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install {PACKAGE} \
             (Debian package {PACKAGE}), or set OMADM_TEST_POSTGRES to a server's URL"
        )));
    }
    println!("xtask: PostgreSQL server binaries missing; installing {PACKAGE} with apt-get");
    cmd::apt_install(PACKAGE)?;
    match find() {
        Some(dir) => {
            println!("xtask: PostgreSQL server binaries in {}", dir.display());
            Ok(())
        }
        None => Err(Error::new(format!(
            "{PACKAGE} installed but initdb, pg_ctl and postgres are still not found"
        ))),
    }
}

/// A directory with `initdb`: `OMADM_PG_BIN` if set (the tests then look there first), else
/// `initdb` on `PATH`, else Debian's `/usr/lib/postgresql/15/bin`. The tests search the same
/// places (and any other `/usr/lib/postgresql/*/bin`).
fn find() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OMADM_PG_BIN") {
        return Some(dir.into());
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file()));
    on_path.or_else(|| {
        let debian = Path::new("/usr/lib/postgresql/15/bin");
        debian.join("initdb").is_file().then(|| debian.to_owned())
    })
}
