//! A per-container cache of records read from the table, each trusted for a fixed time: what a
//! warm Lambda container keeps between invocations so the hot path does not read the same record
//! on every request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Records by key, each trusted for `ttl` after it was read; at most `capacity` of them.
#[derive(Clone, Debug)]
pub struct TtlCache<K, V> {
    entries: Arc<Mutex<HashMap<K, (V, Instant)>>>,
    ttl: Duration,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// An empty cache.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            entries: Arc::default(),
            ttl,
            capacity,
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<K, (V, Instant)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The record under `key`, when it was read less than `ttl` ago.
    pub fn get(&self, key: &K) -> Option<V> {
        self.entries()
            .get(key)
            .filter(|(_, read_at)| read_at.elapsed() < self.ttl)
            .map(|(value, _)| value.clone())
    }

    /// Keeps `value`, read just now. When full, expired records go first, then all of them.
    pub fn insert(&self, key: K, value: V) {
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            let ttl = self.ttl;
            entries.retain(|_, (_, read_at)| read_at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Forgets `key` (its record is known to have changed).
    pub fn remove(&self, key: &K) {
        self.entries().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_trusted_for_its_time_only() {
        let cache = TtlCache::new(Duration::from_millis(30), 10);
        cache.insert("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(cache.get(&"a"), None, "expired");
        cache.insert("a", 2);
        cache.remove(&"a");
        assert_eq!(cache.get(&"a"), None, "forgotten");
    }

    #[test]
    fn a_full_cache_stays_within_its_capacity() {
        let cache = TtlCache::new(Duration::from_secs(60), 3);
        for n in 0..10 {
            cache.insert(n, n);
            assert!(cache.entries().len() <= 3);
        }
        assert_eq!(cache.get(&9), Some(9), "the newest is kept");
    }
}
