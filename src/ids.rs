//! Unique ids for replies and conversations, made locally (no network, no coordination).
//!
//! An id is `<prefix>-<process tag>-<counter>`: the process tag (12 hex digits) is hashed
//! once per process from the clock, the process id and the standard library's random
//! hasher keys, so replicas of a service do not collide; the counter makes ids unique
//! within the process. `r-3f9a1c02b7d4-1a` is a reply id, `c-3f9a1c02b7d4-1b` a
//! conversation id.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static PROCESS_TAG: LazyLock<u64> = LazyLock::new(|| {
    let mut h = RandomState::new().build_hasher();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(now);
    h.write_u32(std::process::id());
    h.finish() & 0xffff_ffff_ffff
});

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn next(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{:012x}-{n:x}", *PROCESS_TAG)
}

/// A new reply id.
pub(crate) fn reply_id() -> String {
    next("r")
}

/// A new conversation id.
pub fn conversation_id() -> String {
    next("c")
}

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis().min(u64::MAX as u128) as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_threads() {
        let ids: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..1000).map(|_| reply_id()).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 4000);
        assert!(ids[0].starts_with("r-"));
        assert!(conversation_id().starts_with("c-"));
    }
}
