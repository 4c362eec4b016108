//! Where a service keeps conversation states between messages.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::ConversationState;

/// Conversation states by conversation id. The service loads a state, runs one message
/// through it and saves it back. [`MemoryStore`] is the in-process default; a deployment
/// with several replicas implements this over a shared store (Redis, a database) — the
/// state is serde-serializable.
///
/// Two messages of one conversation handled at the same time both start from the same
/// state and the later save wins; chat frontends send one message at a time per customer.
pub trait ConversationStore: Send + Sync {
    /// The state of conversation `id`, if there is one.
    fn load(&self, id: &str) -> std::io::Result<Option<ConversationState>>;
    /// Saves the state of conversation `id`.
    fn save(&self, id: &str, state: &ConversationState) -> std::io::Result<()>;
    /// Number of conversations held, when the store knows it cheaply.
    fn count(&self) -> Option<usize> {
        None
    }
}

/// Conversation states in memory, forgotten after `idle` without a message (default 30
/// minutes) and capped at `capacity` conversations (default 100,000; the longest idle
/// go first).
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<HashMap<String, (ConversationState, Instant)>>,
    idle: Duration,
    capacity: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(Duration::from_secs(30 * 60), 100_000)
    }
}

impl MemoryStore {
    /// A store forgetting conversations idle for `idle`, holding at most `capacity`.
    pub fn new(idle: Duration, capacity: usize) -> Self {
        MemoryStore {
            inner: Mutex::new(HashMap::new()),
            idle,
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (ConversationState, Instant)>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ConversationStore for MemoryStore {
    fn load(&self, id: &str) -> std::io::Result<Option<ConversationState>> {
        let map = self.lock();
        Ok(map
            .get(id)
            .filter(|(_, at)| at.elapsed() < self.idle)
            .map(|(s, _)| s.clone()))
    }

    fn save(&self, id: &str, state: &ConversationState) -> std::io::Result<()> {
        let mut map = self.lock();
        let now = Instant::now();
        if !map.contains_key(id) && map.len() >= self.capacity {
            map.retain(|_, (_, at)| now.duration_since(*at) < self.idle);
            if map.len() >= self.capacity {
                // Still full: drop the longest idle tenth.
                let mut ages: Vec<(Instant, String)> =
                    map.iter().map(|(k, (_, at))| (*at, k.clone())).collect();
                ages.sort();
                for (_, k) in ages.into_iter().take(self.capacity.div_ceil(10)) {
                    map.remove(&k);
                }
            }
        }
        map.insert(id.to_string(), (state.clone(), now));
        Ok(())
    }

    fn count(&self) -> Option<usize> {
        Some(self.lock().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_and_idle() {
        let store = MemoryStore::new(Duration::from_secs(60), 10);
        for i in 0..25 {
            store
                .save(&format!("c{i}"), &ConversationState::default())
                .unwrap();
        }
        assert!(store.count().unwrap() <= 10);
        assert!(store.load("c24").unwrap().is_some());
        let gone = MemoryStore::new(Duration::ZERO, 10);
        gone.save("a", &ConversationState::default()).unwrap();
        assert!(gone.load("a").unwrap().is_none());
    }
}
