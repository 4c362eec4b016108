//! Conversation states in Redis, shared by the replicas of a service (feature `redis`).
//!
//! Each conversation is one Redis hash, `PREFIX + id`, with three fields: `v`, the
//! state's version (a counter, absent before the first save), `s`, the state as JSON, and
//! `o`, the caller it was given to (see [`ConversationStore::owner`]). The key expires
//! after `idle` without a save (Redis `PEXPIRE`, renewed at every turn), so Redis forgets
//! idle conversations itself.
//!
//! **The rule that loses no turn:** a turn reads `v` and `s`, answers, and writes the new
//! state with a Lua script that checks `v` is still what it read and then increments it
//! (compare-and-set, atomic in Redis). When another replica wrote in between, the script
//! changes nothing, and the turn is run again on the newer state — up to
//! [`MAX_ATTEMPTS`] times. Turns of one conversation are thus applied one after the
//! other whichever replicas answer them; a customer's message answered twice in a
//! conflict is answered from the newer state, and only that reply is returned.

use std::sync::Mutex;
use std::time::Duration;

use super::ConversationState;
use super::store::ConversationStore;

/// Times one turn is tried before it fails with a conflict.
pub const MAX_ATTEMPTS: usize = 64;

/// The default key prefix.
const PREFIX: &str = "wenda:conv:";

/// Connections kept open for reuse.
const POOL: usize = 16;

/// Compare-and-set: writes the state and increments the version only when the version is
/// still the one read (`0` for a conversation without one); renews the expiry.
const CAS: &str = r"
local v = redis.call('HGET', KEYS[1], 'v')
if not v then v = '0' end
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tostring(tonumber(v) + 1), 's', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
";

/// Conversation states in Redis: see the [module docs](self) for the layout and the
/// compare-and-set rule.
///
/// ```no_run
/// use std::{sync::Arc, time::Duration};
/// use wenda::{Bot, KnowledgeBase, Service, conversation::RedisStore};
/// let store = RedisStore::open("redis://127.0.0.1:6379/0", Duration::from_secs(1800))?;
/// let bot = Bot::build(KnowledgeBase::load("knowledge")?)?;
/// let service = Service::builder(bot).store(Arc::new(store)).build();
/// # drop(service);
/// # Ok::<(), wenda::Error>(())
/// ```
pub struct RedisStore {
    client: redis::Client,
    shown: String,
    prefix: String,
    idle: Duration,
    timeout: Duration,
    pool: Mutex<Vec<redis::Connection>>,
    cas: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.shown)
            .field("prefix", &self.prefix)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store at `url` (`redis://HOST:PORT/DB`, or `redis://:PASSWORD@HOST:PORT/DB`)
    /// forgetting conversations idle for `idle`. Does not connect yet: a Redis that is
    /// down is reported by the first turn and by [`check`](ConversationStore::check).
    ///
    /// # Errors
    /// [`Error::Config`](crate::Error::Config) when `url` is not a Redis URL.
    pub fn open(url: &str, idle: Duration) -> crate::error::Result<Self> {
        let shown = without_password(url);
        let client = redis::Client::open(url).map_err(|e| {
            crate::error::Error::Config(format!(
                "{shown} is not a Redis URL (redis://HOST:PORT/DB): {e}"
            ))
        })?;
        Ok(RedisStore {
            client,
            shown,
            prefix: PREFIX.to_string(),
            idle: idle.max(Duration::from_millis(1)),
            timeout: Duration::from_secs(2),
            pool: Mutex::new(Vec::new()),
            cas: redis::Script::new(CAS),
        })
    }

    /// Keys start with `prefix` (default `wenda:conv:`): services of several knowledge
    /// bases sharing one Redis keep their conversations apart by prefix.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Limit of connecting, and of each read and write (default 2 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The URL, without its password.
    pub fn url(&self) -> &str {
        &self.shown
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    fn ttl_ms(&self) -> u64 {
        self.idle.as_millis().clamp(1, u64::MAX as u128) as u64
    }

    /// Runs `f` on a pooled connection (a new one when none is free). When a command
    /// fails, every pooled connection is dropped (a Redis that went away broke them all),
    /// so the next call reconnects; an `idempotent` command (a read) that failed on a
    /// pooled connection is tried once more on a new one, for a Redis restarted while
    /// its connections sat idle.
    fn with<T>(
        &self,
        idempotent: bool,
        f: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> std::io::Result<T> {
        let pooled = self.pool().pop();
        let was_pooled = pooled.is_some();
        let mut con = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let mut result = f(&mut con);
        if result.is_err() {
            self.pool().clear();
            if idempotent && was_pooled {
                con = self.connect()?;
                result = f(&mut con);
            }
        }
        match result {
            Ok(v) => {
                let mut pool = self.pool();
                if pool.len() < POOL {
                    pool.push(con);
                }
                Ok(v)
            }
            Err(e) => Err(self.io_error(&e)),
        }
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Vec<redis::Connection>> {
        self.pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn connect(&self) -> std::io::Result<redis::Connection> {
        let con = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| self.io_error(&e))?;
        con.set_read_timeout(Some(self.timeout))
            .and_then(|()| con.set_write_timeout(Some(self.timeout)))
            .map_err(|e| self.io_error(&e))?;
        Ok(con)
    }

    fn io_error(&self, e: &redis::RedisError) -> std::io::Error {
        std::io::Error::other(format!("Redis at {}: {e}", self.shown))
    }

    /// The version and state of `id` (version 0 and no state when it has none).
    fn read(&self, id: &str) -> std::io::Result<(String, Option<ConversationState>)> {
        let key = self.key(id);
        let (version, json): (Option<String>, Option<Vec<u8>>) = self.with(true, |c| {
            redis::cmd("HMGET").arg(&key).arg("v").arg("s").query(c)
        })?;
        let state = match json {
            Some(bytes) => Some(serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "Redis at {}: the state of conversation {key} is not a wenda conversation: {e}",
                        self.shown
                    ),
                )
            })?),
            None => None,
        };
        Ok((version.unwrap_or_else(|| "0".into()), state))
    }

    fn json(state: &ConversationState) -> std::io::Result<Vec<u8>> {
        serde_json::to_vec(state).map_err(std::io::Error::other)
    }
}

/// `url` with the password replaced by `***`.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl ConversationStore for RedisStore {
    fn load(&self, id: &str) -> std::io::Result<Option<ConversationState>> {
        Ok(self.read(id)?.1)
    }

    /// Saves unconditionally (a new version); turns go through [`update`](Self::update).
    fn save(&self, id: &str, state: &ConversationState) -> std::io::Result<()> {
        let key = self.key(id);
        let json = Self::json(state)?;
        let ttl = self.ttl_ms();
        self.with(false, |c| {
            redis::pipe()
                .atomic()
                .cmd("HINCRBY")
                .arg(&key)
                .arg("v")
                .arg(1)
                .ignore()
                .cmd("HSET")
                .arg(&key)
                .arg("s")
                .arg(&json)
                .ignore()
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(ttl)
                .ignore()
                .query::<()>(c)
        })
    }

    fn update(
        &self,
        id: &str,
        turn: &mut dyn FnMut(&mut ConversationState),
    ) -> std::io::Result<()> {
        let key = self.key(id);
        let ttl = self.ttl_ms();
        for attempt in 0..MAX_ATTEMPTS {
            let (version, state) = self.read(id)?;
            let mut state = state.unwrap_or_default();
            turn(&mut state);
            let json = Self::json(&state)?;
            let written: i64 = self.with(false, |c| {
                self.cas
                    .key(&key)
                    .arg(&version)
                    .arg(&json)
                    .arg(ttl)
                    .invoke(c)
            })?;
            if written == 1 {
                return Ok(());
            }
            // Another replica saved first: wait a little, longer each time, and rerun the
            // turn on its state.
            std::thread::sleep(Duration::from_millis((attempt as u64).min(20)));
        }
        Err(std::io::Error::other(format!(
            "Redis at {}: conversation {id} was written by others {MAX_ATTEMPTS} times while \
             this turn was answered; the turn was not saved",
            self.shown
        )))
    }

    fn check(&self) -> std::io::Result<()> {
        self.with(true, |c| redis::cmd("PING").query::<String>(c))
            .map(drop)
    }

    fn owner(&self, id: &str) -> std::io::Result<Option<String>> {
        let key = self.key(id);
        self.with(true, |c| redis::cmd("HGET").arg(&key).arg("o").query(c))
    }

    fn set_owner(&self, id: &str, owner: &str) -> std::io::Result<()> {
        let key = self.key(id);
        let ttl = self.ttl_ms();
        self.with(true, |c| {
            redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(&key)
                .arg("o")
                .arg(owner)
                .ignore()
                .cmd("PEXPIRE")
                .arg(&key)
                .arg(ttl)
                .ignore()
                .query::<()>(c)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            without_password("redis://:s3cret@10.0.0.1:6379/0"),
            "redis://***@10.0.0.1:6379/0"
        );
        assert_eq!(
            without_password("redis://127.0.0.1:6379/2"),
            "redis://127.0.0.1:6379/2"
        );
        let e = RedisStore::open("http://x", Duration::from_secs(1))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("not a Redis URL"), "{e}");
    }
}
