//! The registry's nonce times on both stores: kept by a re-import of the same nonce, set by a
//! rotation, and written by [`StoreTx::set_nonce`] inside the store's own transaction (rolled
//! back with it); and the migration of a schema-2 database, whose nonces get no invented time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::pg_harness::Postgres;
use super::{Change, Entry, Registry};
use crate::store::{self, Location};

fn entry(username: &str, nonce: &str, issued_ms: i64) -> Entry {
    Entry {
        username: username.to_owned(),
        device_id: format!("IMEI:{username}"),
        secret_digest: "R97sly7ZBZJBy453p8EcsTXjWZs9+cyuHXyPGRtKXlU=".to_owned(),
        nonce: nonce.to_owned(),
        nonce_issued_ms: Some(issued_ms),
        algorithm: "SHA256".to_owned(),
        construction: "digest".to_owned(),
        carrier: "in-message".to_owned(),
        disabled: false,
        version: 0,
    }
}

const N1: &str = "AAECAwQFBgcICQoLDA0ODw==";
const N2: &str = "EBESExQVFhcYGRobHB0eHw==";
const N3: &str = "ICEiIyQlJicoKSorLC0uLw==";

fn nonce_times(location: &Location) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let registry = rt.block_on(Registry::open(location)).unwrap();
    let get = |u: &str| rt.block_on(registry.get(u)).unwrap().unwrap();

    rt.block_on(registry.upsert(&[entry("dev", N1, 1_000)]))
        .unwrap();
    assert_eq!(get("dev").nonce_issued_ms, Some(1_000));
    // The same nonce imported again keeps its time; a new one takes the import's.
    rt.block_on(registry.upsert(&[entry("dev", N1, 5_000)]))
        .unwrap();
    assert_eq!(get("dev").nonce_issued_ms, Some(1_000));
    rt.block_on(registry.upsert(&[entry("dev", N2, 6_000)]))
        .unwrap();
    assert_eq!(
        (get("dev").nonce, get("dev").nonce_issued_ms),
        (N2.to_owned(), Some(6_000))
    );
    let change = Change::Nonce {
        nonce: N1.to_owned(),
        issued_ms: 7_000,
    };
    assert!(rt.block_on(registry.change("dev", change)).unwrap());
    assert_eq!(
        (get("dev").nonce, get("dev").nonce_issued_ms),
        (N1.to_owned(), Some(7_000))
    );

    // Inside the store's transaction, with the anti-replay state: all or nothing. (The store
    // runs on a blocking thread of the runtime in the server: here, in its context.)
    let _context = rt.enter();
    let mut store = rt.block_on(store::open(location)).unwrap();
    let before = get("dev").version;
    {
        let mut tx = store.begin().unwrap();
        tx.lock(&["dev"]).unwrap();
        tx.save_replay_state("dev", b"window").unwrap();
        assert!(tx.set_nonce("dev", N3, 8_000).unwrap());
        assert!(!tx.set_nonce("nobody", N3, 8_000).unwrap(), "no such row");
        // Dropped: rolled back.
    }
    assert_eq!(
        (get("dev").nonce, get("dev").version),
        (N1.to_owned(), before)
    );
    let mut tx = store.begin().unwrap();
    tx.lock(&["dev"]).unwrap();
    let state = tx.replay_state("dev").unwrap();
    assert_eq!(state, None, "the rolled-back state is gone");
    tx.save_replay_state("dev", b"window").unwrap();
    assert!(tx.set_nonce("dev", N3, 8_000).unwrap());
    tx.commit().unwrap();
    let after = get("dev");
    assert_eq!(
        (after.nonce.as_str(), after.nonce_issued_ms),
        (N3, Some(8_000))
    );
    assert!(after.version > before, "every node's cache sees the change");
    assert_eq!(
        rt.block_on(registry.changes_since(before)).unwrap().len(),
        1
    );
    let mut tx = store.begin().unwrap();
    assert_eq!(
        tx.replay_state("dev").unwrap().as_deref(),
        Some(&b"window"[..])
    );
    drop(tx);
    drop(store);
}

#[test]
fn nonce_times_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    nonce_times(&Location::Sqlite(dir.path().join("r.sqlite")));
}

#[test]
fn nonce_times_on_postgres_and_its_migration_from_schema_2() {
    let pg = Postgres::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // A database as schema 2 left it, with a device.
    rt.block_on(async {
        let pool = crate::store::postgres::pool(&pg.url).unwrap();
        let mut client = crate::store::postgres::get(&pool).await.unwrap();
        crate::store::postgres::schema::migrate_to(&mut client, 2)
            .await
            .unwrap();
        client
            .execute(
                "INSERT INTO devices (username, device_id, secret_digest, nonce, algorithm, \
                 construction, carrier, version) VALUES ('old', 'IMEI:old', 'x', $1, \
                 'SHA256', 'digest', 'in-message', 1)",
                &[&N1],
            )
            .await
            .unwrap();
    });
    let location = Location::Postgres(pg.url.clone());
    let (before, after) = rt.block_on(store::migrate(&location)).unwrap();
    // Through migration 3 (nonce times) to 4 (DM sessions).
    assert_eq!((before, after), (2, 4));
    let registry = rt.block_on(Registry::open(&location)).unwrap();
    let old = rt.block_on(registry.get("old")).unwrap().unwrap();
    assert_eq!((old.nonce.as_str(), old.nonce_issued_ms), (N1, None));
    drop(registry);
    drop(rt);
    nonce_times(&location);
}

#[test]
fn a_schema_2_sqlite_file_migrates_without_inventing_times() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE devices (username TEXT PRIMARY KEY, device_id TEXT NOT NULL, \
             secret_digest TEXT NOT NULL, nonce TEXT NOT NULL, algorithm TEXT NOT NULL, \
             construction TEXT NOT NULL, carrier TEXT NOT NULL, \
             disabled INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL) WITHOUT ROWID;
             INSERT INTO devices VALUES ('old', 'IMEI:old', 'x', 'AAECAwQFBgcICQoLDA0ODw==', \
             'SHA256', 'digest', 'in-message', 0, 1);
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let location = Location::Sqlite(path.clone());
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Schema 4 (DM sessions) follows schema 3.
    assert_eq!(rt.block_on(store::migrate(&location)).unwrap(), (2, 4));
    let registry = rt.block_on(Registry::open(&location)).unwrap();
    let old = rt.block_on(registry.get("old")).unwrap().unwrap();
    assert_eq!((old.nonce.as_str(), old.nonce_issued_ms), (N1, None));
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 4);
}
