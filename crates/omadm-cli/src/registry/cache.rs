//! The bounded cache of registry devices that every `omadm serve` node verifies from.
//!
//! At most `capacity` usernames are held, each with what the node needs to verify its messages
//! (or the fact that the registry refuses or lacks it) and the registry version of the row it
//! came from. A lookup is a read lock and one hash probe; it sets the entry's CLOCK bit (only
//! when clear, so hot entries cost no write). A miss is answered from the database by the
//! caller (`ServerSide`), which puts the row back with [`Cache::insert_loaded`]; when the cache
//! is full, the CLOCK hand evicts the first entry not used since the hand last passed it.
//!
//! Invalidation is the registry's change log: the follower (`registry::follow`) reads the rows
//! written after the newest version it applied, every [`super::POLL`], and replaces the cached
//! ones ([`Cache::apply`]); rows that are not cached are skipped. A row loaded by a miss is only
//! cached when no poll applied a version newer than the snapshot it was read at: otherwise a
//! change that the poll skipped (the username was not cached yet) could hide behind it.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// A bounded map from username to `V`, with CLOCK eviction and the registry version applied.
#[derive(Debug)]
pub(crate) struct Cache<V> {
    inner: RwLock<Inner<V>>,
    capacity: usize,
    evictions: AtomicU64,
}

#[derive(Debug)]
struct Inner<V> {
    map: HashMap<Arc<str>, Slot<V>>,
    /// Every key once, in CLOCK order (`ring.len() == map.len()`).
    ring: Vec<Arc<str>>,
    hand: usize,
    /// The newest registry version the follower has applied.
    applied: i64,
}

#[derive(Debug)]
struct Slot<V> {
    value: V,
    /// The version of the row `value` came from (0: no row).
    version: i64,
    referenced: AtomicBool,
}

impl<V: Clone> Cache<V> {
    /// An empty cache of at most `capacity` entries (at least one), at registry version
    /// `applied`.
    pub(crate) fn new(capacity: usize, applied: i64) -> Self {
        let capacity = capacity.max(1);
        Self {
            inner: RwLock::new(Inner {
                map: HashMap::with_capacity(capacity.min(1 << 16)),
                ring: Vec::with_capacity(capacity.min(1 << 16)),
                hand: 0,
                applied,
            }),
            capacity,
            evictions: AtomicU64::new(0),
        }
    }

    /// The cached value of `key`, marked as used.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        Arc<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let inner = self.read();
        let slot = inner.map.get(key)?;
        if !slot.referenced.load(Ordering::Relaxed) {
            slot.referenced.store(true, Ordering::Relaxed);
        }
        Some(slot.value.clone())
    }

    /// The newest registry version applied.
    #[cfg(test)]
    pub(crate) fn applied(&self) -> i64 {
        self.read().applied
    }

    /// Caches `value` of `key`, read from row `version` in a snapshot of the registry at
    /// version `snapshot`; `Some(evicted)` says whether another entry made room. Refused
    /// (`None`) when the follower has since applied a newer version: a change to `key` in
    /// between was skipped (it was not cached) and would be lost.
    pub(crate) fn insert_loaded(
        &self,
        key: &str,
        value: V,
        version: i64,
        snapshot: i64,
    ) -> Option<bool> {
        let mut inner = self.write();
        if inner.applied > snapshot {
            return None;
        }
        if let Some(slot) = inner.map.get_mut(key) {
            if version >= slot.version {
                slot.value = value;
                slot.version = version;
            }
            return Some(false);
        }
        Some(self.insert_new(&mut inner, key, value, version))
    }

    /// Replaces the value of a cached `key`, keeping the row version it came from (a change
    /// made here ahead of the registry row that records it, which replaces it when the follower
    /// applies it); `false` when `key` is not cached.
    pub(crate) fn replace(&self, key: &str, value: V) -> bool {
        let mut inner = self.write();
        match inner.map.get_mut(key) {
            Some(slot) => {
                slot.value = value;
                true
            }
            None => false,
        }
    }

    /// Applies the registry rows written after the last applied version (`rows`: key, row
    /// version, and the value built only for cached keys), then records `newest` as applied.
    pub(crate) fn apply<'r, R: 'r>(
        &self,
        rows: impl IntoIterator<Item = &'r R>,
        key_version: impl Fn(&R) -> (&str, i64),
        value: impl Fn(&R) -> V,
        newest: i64,
    ) -> usize {
        let mut inner = self.write();
        let mut replaced = 0;
        for row in rows {
            let (key, version) = key_version(row);
            if let Some(slot) = inner.map.get_mut(key)
                && version > slot.version
            {
                slot.value = value(row);
                slot.version = version;
                replaced += 1;
            }
        }
        inner.applied = inner.applied.max(newest);
        replaced
    }

    /// Fills an empty cache at start (`rows` read at registry version `snapshot`), up to the
    /// capacity.
    pub(crate) fn preload(&self, rows: impl IntoIterator<Item = (String, V, i64)>, snapshot: i64) {
        let mut inner = self.write();
        for (key, value, version) in rows {
            if inner.map.len() >= self.capacity {
                break;
            }
            if !inner.map.contains_key(key.as_str()) {
                let _ = self.insert_new(&mut inner, &key, value, version);
            }
        }
        inner.applied = inner.applied.max(snapshot);
    }

    /// How many entries are held.
    pub(crate) fn len(&self) -> usize {
        self.read().map.len()
    }

    /// The most entries held.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries evicted since start.
    #[cfg(test)]
    pub(crate) fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Whether an entry was evicted to make room.
    fn insert_new(&self, inner: &mut Inner<V>, key: &str, value: V, version: i64) -> bool {
        let key: Arc<str> = Arc::from(key);
        let slot = Slot {
            value,
            version,
            referenced: AtomicBool::new(false),
        };
        if inner.ring.len() < self.capacity {
            inner.ring.push(Arc::clone(&key));
            inner.map.insert(key, slot);
            return false;
        }
        // CLOCK: clear the bits of used entries until one is found that was not used since the
        // hand last passed it (at most one full turn: the bits cleared on the way).
        loop {
            let hand = inner.hand;
            inner.hand = (hand + 1) % inner.ring.len();
            let used = inner
                .map
                .get(&inner.ring[hand])
                .is_some_and(|s| s.referenced.swap(false, Ordering::Relaxed));
            if used {
                continue;
            }
            let old = std::mem::replace(&mut inner.ring[hand], Arc::clone(&key));
            inner.map.remove(&old);
            inner.map.insert(key, slot);
            self.evictions.fetch_add(1, Ordering::Relaxed);
            return true;
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner<V>> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner<V>> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn holds_at_most_its_capacity_and_evicts_the_unused_first() {
        let cache = Cache::new(3, 0);
        for (i, k) in ["a", "b", "c"].iter().enumerate() {
            assert_eq!(cache.insert_loaded(k, i, 1, 0), Some(false));
        }
        // a and c used since; b is the first the hand finds unused.
        assert_eq!(cache.get("a"), Some(0));
        assert_eq!(cache.get("c"), Some(2));
        assert_eq!(cache.insert_loaded("d", 3, 1, 0), Some(true));
        assert_eq!((cache.len(), cache.evictions()), (3, 1));
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("d"), Some(3));
        // Many more keys than room: never above the capacity.
        for i in 0..100 {
            assert_eq!(cache.insert_loaded(&format!("k{i}"), i, 1, 0), Some(true));
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.evictions(), 101);
    }

    #[test]
    fn changes_replace_cached_rows_only_and_never_with_older_ones() {
        let cache = Cache::new(10, 5);
        assert_eq!(cache.insert_loaded("a", "a@5", 5, 5), Some(false));
        let rows = [("a", 7, "a@7"), ("b", 7, "b@7"), ("a", 6, "a@6")];
        let n = cache.apply(&rows, |r| (r.0, r.1), |r| r.2, 7);
        assert_eq!(n, 1);
        assert_eq!(cache.get("a"), Some("a@7"));
        assert_eq!(cache.get("b"), None, "not cached: skipped");
        assert_eq!(cache.applied(), 7);
        // Replaced ahead of its row (a session's nonce): the row, when applied, wins again.
        assert!(cache.replace("a", "a@session"));
        assert!(!cache.replace("b", "b@session"), "not cached");
        let rows = [("a", 8, "a@8")];
        cache.apply(&rows, |r| (r.0, r.1), |r| r.2, 8);
        assert_eq!(cache.get("a"), Some("a@8"));
    }

    #[test]
    fn a_row_read_before_a_newer_poll_is_not_cached() {
        let cache = Cache::new(10, 3);
        // A miss reads "b" at snapshot 3; meanwhile "b" changes (version 4) and the poll
        // applies 4, skipping "b" (not cached). Caching the old row would keep it forever.
        let rows = [("b", 4, "b@4")];
        cache.apply(&rows, |r| (r.0, r.1), |r| r.2, 4);
        assert_eq!(cache.insert_loaded("b", "b@3", 3, 3), None);
        assert_eq!(cache.get("b"), None);
        // Read again, at snapshot 4: cached.
        assert_eq!(cache.insert_loaded("b", "b@4", 4, 4), Some(false));
        assert_eq!(cache.get("b"), Some("b@4"));
    }

    #[test]
    fn preload_stops_at_the_capacity() {
        let cache = Cache::new(2, 0);
        cache.preload((0..5).map(|i| (format!("k{i}"), i, i64::from(i))), 9);
        assert_eq!((cache.len(), cache.applied(), cache.evictions()), (2, 9, 0));
    }
}
