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
/// A [`Service`](https://docs.rs/wenda/latest/wenda/struct.Service.html) serialises the messages of one conversation
/// within its process and runs each turn through [`update`](Self::update); a store shared
/// by several replicas ([`RedisStore`](super::RedisStore)) makes `update` atomic across
/// processes (compare-and-set on a version, the turn rerun on the newer state when another
/// replica saved first), so no turn is lost.
pub trait ConversationStore: Send + Sync {
    /// The state of conversation `id`, if there is one.
    fn load(&self, id: &str) -> std::io::Result<Option<ConversationState>>;
    /// Saves the state of conversation `id`.
    fn save(&self, id: &str, state: &ConversationState) -> std::io::Result<()>;
    /// One turn of conversation `id`: loads its state (a fresh one when there is none),
    /// runs `turn` on it and saves the result. `turn` may run more than once — a store
    /// shared between processes reruns it on the newer state when another writer saved
    /// `id` in between — so it must only change the state it is given (and remember its
    /// last result). The default loads and saves: atomic only when the caller serialises
    /// the turns of `id`, as a `Service` does within its process.
    fn update(
        &self,
        id: &str,
        turn: &mut dyn FnMut(&mut ConversationState),
    ) -> std::io::Result<()> {
        let mut state = self.load(id)?.unwrap_or_default();
        turn(&mut state);
        self.save(id, &state)
    }
    /// Number of conversations held, when the store knows it cheaply.
    fn count(&self) -> Option<usize> {
        None
    }
    /// Whether the store can be reached now (for a health check). In-process stores
    /// always can.
    fn check(&self) -> std::io::Result<()> {
        Ok(())
    }
    /// The caller conversation `id` was given to, when the store keeps owners (a shared
    /// store does, so that every replica accepts a conversation another one issued).
    /// `None`: unknown, or the store keeps no owners (the HTTP layer's own table decides).
    fn owner(&self, id: &str) -> std::io::Result<Option<String>> {
        let _ = id;
        Ok(None)
    }
    /// Records that conversation `id` was given to `owner` (kept as long as the
    /// conversation); a no-op for stores that keep no owners.
    fn set_owner(&self, id: &str, owner: &str) -> std::io::Result<()> {
        let _ = (id, owner);
        Ok(())
    }
}

/// Default cap on the text of all conversations a [`MemoryStore`] holds (256 MiB).
pub const MAX_STORE_BYTES: usize = 256 << 20;

/// Conversation states in memory, forgotten after `idle` without a message (default 30
/// minutes) and capped at `capacity` conversations (default 100,000) and at
/// [`MAX_STORE_BYTES`] of their text (transcripts, suggestions) in all: the longest idle
/// go first.
#[derive(Debug)]
pub struct MemoryStore {
    inner: Mutex<Held>,
    idle: Duration,
    capacity: usize,
    max_bytes: usize,
}

/// The states, when each was saved and its size; and the sizes' sum.
#[derive(Debug, Default)]
struct Held {
    states: HashMap<String, (ConversationState, Instant, usize)>,
    bytes: usize,
}

impl Held {
    fn remove(&mut self, id: &str) {
        if let Some((_, _, size)) = self.states.remove(id) {
            self.bytes -= size;
        }
    }
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
            inner: Mutex::new(Held::default()),
            idle,
            capacity: capacity.max(1),
            max_bytes: MAX_STORE_BYTES,
        }
    }

    /// Caps the text held in all conversations at `max_bytes` (default
    /// [`MAX_STORE_BYTES`]).
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes.max(1);
        self
    }

    /// Bytes of text held in all conversations (approximately their memory).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ConversationStore for MemoryStore {
    fn load(&self, id: &str) -> std::io::Result<Option<ConversationState>> {
        let held = self.lock();
        Ok(held
            .states
            .get(id)
            .filter(|(_, at, _)| at.elapsed() < self.idle)
            .map(|(s, _, _)| s.clone()))
    }

    fn save(&self, id: &str, state: &ConversationState) -> std::io::Result<()> {
        let mut held = self.lock();
        let now = Instant::now();
        let size = id.len() + state.text_bytes();
        held.remove(id);
        let full = |h: &Held| h.states.len() >= self.capacity || h.bytes + size > self.max_bytes;
        if full(&held) {
            let idle = self.idle;
            let expired: Vec<String> = held
                .states
                .iter()
                .filter(|(_, (_, at, _))| now.duration_since(*at) >= idle)
                .map(|(k, _)| k.clone())
                .collect();
            for k in expired {
                held.remove(&k);
            }
            if full(&held) {
                // Still full: drop the longest idle, a tenth at least, until it fits.
                let mut ages: Vec<(Instant, String)> = held
                    .states
                    .iter()
                    .map(|(k, (_, at, _))| (*at, k.clone()))
                    .collect();
                ages.sort();
                let tenth = self.capacity.div_ceil(10);
                for (n, (_, k)) in ages.into_iter().enumerate() {
                    if n >= tenth && !full(&held) {
                        break;
                    }
                    held.remove(&k);
                }
            }
        }
        held.bytes += size;
        held.states
            .insert(id.to_string(), (state.clone(), now, size));
        Ok(())
    }

    fn count(&self) -> Option<usize> {
        Some(self.lock().states.len())
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

    #[test]
    fn the_text_held_is_capped() {
        let state = ConversationState::new(crate::reply::Customer {
            id: Some("x".repeat(10_000)),
            ..Default::default()
        });
        let size = state.text_bytes();
        let store = MemoryStore::new(Duration::from_secs(60), 1000).with_max_bytes(size * 5);
        for i in 0..40 {
            store.save(&format!("c{i}"), &state).unwrap();
            assert!(store.bytes() <= size * 5 + 8, "{}", store.bytes());
        }
        assert!(store.load("c39").unwrap().is_some());
        assert!(store.count().unwrap() <= 5);
    }
}
