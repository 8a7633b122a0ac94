//! Which store a `--db` value names: a `postgres://` (or `postgresql://`) URL is PostgreSQL,
//! anything else a SQLite file.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{PgStore, ReportStore, SqliteStore, StoreError};

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// A SQLite database file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Location {
    /// Reads a `--db` value.
    pub(crate) fn parse(db: &Path) -> Self {
        match db.to_str() {
            Some(url) if is_postgres_url(url) => Self::Postgres(url.to_owned()),
            _ => Self::Sqlite(db.to_owned()),
        }
    }
}

impl fmt::Display for Location {
    /// The file, or the URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

/// Opens the store for writing, applying missing migrations; a PostgreSQL store must be opened
/// inside the runtime that then runs the server.
pub(crate) async fn open(location: &Location) -> Result<Box<dyn ReportStore>, StoreError> {
    Ok(match location {
        Location::Sqlite(path) => Box::new(SqliteStore::open(path)?),
        Location::Postgres(url) => Box::new(PgStore::connect(url, true).await?),
    })
}

/// Applies the migrations the database lacks; returns the schema versions before and after.
pub(crate) async fn migrate(location: &Location) -> Result<(i64, i64), StoreError> {
    match location {
        Location::Sqlite(path) => SqliteStore::migrate(path),
        Location::Postgres(url) => {
            let (before, after) = PgStore::migrate(url).await?;
            Ok((i64::from(before), i64::from(after)))
        }
    }
}

fn is_postgres_url(s: &str) -> bool {
    ["postgres://", "postgresql://"]
        .iter()
        .any(|scheme| s.len() >= scheme.len() && s[..scheme.len()].eq_ignore_ascii_case(scheme))
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_postgres_and_anything_else_a_file() {
        assert_eq!(
            Location::parse(Path::new("postgres://u@h/db")),
            Location::Postgres("postgres://u@h/db".to_owned())
        );
        assert_eq!(
            Location::parse(Path::new("PostgreSQL://h/db")),
            Location::Postgres("PostgreSQL://h/db".to_owned())
        );
        assert_eq!(
            Location::parse(Path::new("reports.db")),
            Location::Sqlite(PathBuf::from("reports.db"))
        );
        assert_eq!(
            Location::parse(Path::new("./postgres:/x")),
            Location::Sqlite(PathBuf::from("./postgres:/x"))
        );
    }

    #[test]
    fn the_password_is_never_shown() {
        let shown = Location::Postgres("postgres://u:hunter2@h:5432/db?x=1".to_owned()).to_string();
        assert_eq!(shown, "postgres://u:***@h:5432/db?x=1");
        let plain = Location::Postgres("postgres://u@h/db".to_owned()).to_string();
        assert_eq!(plain, "postgres://u@h/db");
    }
}
