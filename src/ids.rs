//! Unique ids for replies and conversations, made locally (no network, no coordination).
//!
//! An id is `<prefix>-<process tag>-<counter>`: the process tag (48 bits) is hashed once
//! per process from the clock, the process id and the standard library's random hasher
//! keys, so replicas of a service do not collide; the counter (hex) makes ids unique
//! within the process. `r-dpjbmaceahne-1a` is a reply id.
//!
//! A conversation id is different: it is a capability (whoever holds it may continue the
//! conversation), so it is 128 random bits from the operating system's generator
//! (`getrandom`), `c-` and 32 letters, unguessable.
//!
//! Random bits are spelled with the letters `a`–`p` (one per 4 bits), never digits: ids
//! are written to the query log through the personal-data masker, and a hex spelling is
//! all digits often enough (a 12-digit run, or 11 digits starting with 1) that the masker
//! would take an id for a phone or card number and the log could no longer join a
//! reply to its feedback or a conversation's turns.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static PROCESS_TAG: LazyLock<u128> = LazyLock::new(|| {
    let mut h = RandomState::new().build_hasher();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(now);
    h.write_u32(std::process::id());
    u128::from(h.finish() & 0xffff_ffff_ffff)
});

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn next(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n:x}", letters(*PROCESS_TAG, 12))
}

/// The low `count` nibbles of `bits`, most significant first, as letters `a`–`p`.
fn letters(bits: u128, count: u32) -> String {
    (0..count)
        .rev()
        .map(|i| char::from(b'a' + ((bits >> (4 * i)) & 0xf) as u8))
        .collect()
}

/// A new reply id.
pub(crate) fn reply_id() -> String {
    next("r")
}

/// A new conversation id: `c-` and 128 random bits in hex.
pub fn conversation_id() -> String {
    let mut bits = [0u8; 16];
    if getrandom::fill(&mut bits).is_err() {
        // No system generator (never seen on the supported platforms): the standard
        // library's randomly keyed hasher, fed the clock and a counter, twice.
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(now_ms());
        let a = h.finish();
        h.write_u128(*PROCESS_TAG);
        bits = (u128::from(a) << 64 | u128::from(h.finish())).to_be_bytes();
    }
    format!("c-{}", letters(u128::from_be_bytes(bits), 32))
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
        let c = conversation_id();
        assert!(c.starts_with("c-") && c.len() == 34, "{c}");
        assert_ne!(c, conversation_id());
    }

    #[test]
    fn ids_are_spelled_in_letters_never_digits() {
        // Tags whose hex spelling is all digits, or a mobile number, were masked in the log
        // (`tests/it/masking.rs` checks ids against the masker).
        for bits in [0x1381_2345_6789_u128, 0x1234_5678_9012, 0, u128::MAX] {
            let tag = letters(bits, 12);
            assert!(tag.bytes().all(|b| (b'a'..=b'p').contains(&b)), "{tag}");
        }
        assert_eq!(letters(0x0123_4567_89ab_cdef, 16), "abcdefghijklmnop");
        let c = conversation_id();
        assert!(c[2..].bytes().all(|b| (b'a'..=b'p').contains(&b)), "{c}");
        let r = reply_id();
        let tag = r.split('-').nth(1).unwrap_or_default();
        assert!(
            tag.len() == 12 && tag.bytes().all(|b| (b'a'..=b'p').contains(&b)),
            "{r}"
        );
    }
}
