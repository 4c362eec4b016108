//! A long-running service around a [`Bot`]: conversations by id, the query log, feedback,
//! and hot reload.
//!
//! Questions are answered by the current bot, held in an [`ArcSwap`]: each question takes
//! its own `Arc` of the bot, so a reload never blocks or fails a question in flight — it
//! finishes on the bot it started with. [`Service::reload`] *produces a new bot first*
//! (from the reload source: the knowledge directory, or any closure) and only then swaps
//! it in; a knowledge base that fails validation is refused and the old bot keeps
//! serving. Reloads run one at a time. The turns of one conversation are serialised
//! (load, ask, save under a per-conversation lock), so concurrent messages of one
//! conversation are all kept.
//!
//! ```
//! use wenda::{Bot, KnowledgeBase, Service, conversation::Customer};
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");
//! let service = Service::builder(Bot::build(KnowledgeBase::load(dir)?)?)
//!     .reload_from_kb(dir)
//!     .build();
//! let reply = service.ask(Some("c-42"), "车险怎么报案", &Customer::default());
//! service.feedback(&reply.id, true, None)?;
//! service.reload()?;                           // rebuilds from `dir`, then swaps
//! assert_eq!(service.status().generation, 2);
//! # Ok::<(), wenda::Error>(())
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::bot::Bot;
use crate::conversation::{ConversationState, ConversationStore, MemoryStore};
use crate::error::{Error, Result};
use crate::ids::now_ms;
use crate::knowledge::KnowledgeBase;
use crate::querylog::{LogEvent, QueryLog, Recorder};
use crate::reply::{Customer, Reply};

type Source = Arc<dyn Fn() -> Result<Bot> + Send + Sync>;

/// Default time limit of one reload (10 minutes); see [`ServiceBuilder::reload_timeout`].
pub const RELOAD_TIMEOUT: Duration = Duration::from_secs(600);

/// Longest reply id accepted by [`Service::feedback`].
const MAX_REPLY_ID: usize = 128;

/// Reply ids remembered for feedback (the oldest are forgotten beyond this).
pub const FEEDBACK_REPLIES: usize = 100_000;

/// The replies given lately, and whether each has had its feedback.
#[derive(Debug, Default)]
struct ReplyBook {
    order: std::collections::VecDeque<String>,
    feedback_given: std::collections::HashMap<String, bool>,
}

impl ReplyBook {
    fn given(&mut self, id: &str) {
        if self.feedback_given.insert(id.to_string(), false).is_none() {
            self.order.push_back(id.to_string());
        }
        while self.order.len() > FEEDBACK_REPLIES {
            if let Some(old) = self.order.pop_front() {
                self.feedback_given.remove(&old);
            }
        }
    }
}

/// Locks that serialise the turns of one conversation (by a hash of its id), so that two
/// messages of one conversation arriving together do not both load the same state and
/// lose one turn when they save. A fixed number of stripes: memory does not grow with the
/// number of conversations, and conversations sharing a stripe only wait for each other.
const TURN_LOCKS: usize = 256;

/// Builds a [`Service`].
pub struct ServiceBuilder {
    bot: Arc<Bot>,
    source: Option<Source>,
    store: Option<Arc<dyn ConversationStore>>,
    log: Option<Arc<dyn QueryLog>>,
    reload_timeout: Duration,
    hot: HotCounts,
}

impl ServiceBuilder {
    /// Reloads rebuild the bot from this knowledge directory (or file).
    pub fn reload_from_kb(self, path: impl Into<std::path::PathBuf>) -> Self {
        let path = path.into();
        self.reload_with(move || Bot::build(KnowledgeBase::load(&path)?))
    }

    /// Reloads call `source` to produce the new bot (for example one that opens an index
    /// built elsewhere).
    pub fn reload_with(mut self, source: impl Fn() -> Result<Bot> + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// A reload that has not produced its bot after `limit` fails (the old bot keeps
    /// serving and the next reload may start); default [`RELOAD_TIMEOUT`].
    pub fn reload_timeout(mut self, limit: Duration) -> Self {
        self.reload_timeout = limit;
        self
    }

    /// Keeps conversation states here instead of a [`MemoryStore`].
    pub fn store(mut self, store: Arc<dyn ConversationStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Writes the query log here (no log by default).
    pub fn log(mut self, log: Arc<dyn QueryLog>) -> Self {
        self.log = Some(log);
        self
    }

    /// Starts the counts of [`Service::hot`] from the replies of a query log already
    /// written (a log that cannot be read is an error; bad lines are skipped).
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::BadLog`] when the log cannot be read.
    pub fn hot_from_log(self, path: impl AsRef<std::path::Path>) -> Result<Self> {
        let read = crate::logbook::read_log(path.as_ref(), None)?;
        {
            let mut counts = self.hot.lock();
            for e in &read.events {
                if let LogEvent::Reply {
                    entry_id: Some(id), ..
                } = e
                {
                    *counts.entry(id.clone()).or_default() += 1;
                }
            }
        }
        Ok(self)
    }

    /// The service.
    pub fn build(self) -> Service {
        let entries = self.bot.knowledge().len();
        Service {
            bot: ArcSwap::new(self.bot),
            source: self.source,
            reload_timeout: self.reload_timeout,
            reloading: Mutex::new(()),
            turn_locks: (0..TURN_LOCKS).map(|_| Mutex::new(())).collect(),
            store: self
                .store
                .unwrap_or_else(|| Arc::new(MemoryStore::default())),
            recorder: Recorder::new(self.log),
            generation: AtomicU64::new(1),
            loaded_at_ms: AtomicU64::new(now_ms()),
            entries: AtomicU64::new(entries as u64),
            replies: AtomicU64::new(0),
            store_failures: AtomicU64::new(0),
            book: Mutex::new(ReplyBook::default()),
            hot: self.hot,
        }
    }
}

/// What a successful reload did.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReloadReport {
    /// The new generation (1 is the bot the service started with).
    pub generation: u64,
    /// FAQ entries in the new knowledge base.
    pub entries: usize,
    /// Warnings of the new knowledge base (it loaded nonetheless).
    pub warnings: usize,
    /// Time to build the new bot, in milliseconds.
    pub build_ms: u64,
}

/// The state of a service, for health checks.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// Bots swapped in so far, counting the first.
    pub generation: u64,
    /// When the current bot was swapped in (ms since the Unix epoch).
    pub loaded_at_ms: u64,
    /// FAQ entries of the current bot.
    pub entries: usize,
    /// Replies given.
    pub replies: u64,
    /// Conversations held (when the store can tell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversations: Option<usize>,
    /// Whether a query log is configured.
    pub log_enabled: bool,
    /// Log events written.
    pub log_written: u64,
    /// Log events that could not be written (answers were given regardless).
    pub log_failures: u64,
    /// The last log write error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_last_error: Option<String>,
    /// Conversation store reads or writes that failed (those messages were refused by
    /// [`Service::try_ask`], or answered without their conversation's state by
    /// [`Service::ask`]).
    pub store_failures: u64,
}

/// A bot behind an atomic pointer, with conversations, a query log and hot reload. `Send +
/// Sync`: share it (`Arc<Service>`) between threads or async tasks.
pub struct Service {
    bot: ArcSwap<Bot>,
    source: Option<Source>,
    reload_timeout: Duration,
    reloading: Mutex<()>,
    turn_locks: Box<[Mutex<()>]>,
    store: Arc<dyn ConversationStore>,
    recorder: Recorder,
    generation: AtomicU64,
    loaded_at_ms: AtomicU64,
    entries: AtomicU64,
    replies: AtomicU64,
    store_failures: AtomicU64,
    book: Mutex<ReplyBook>,
    hot: HotCounts,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Service {
    /// A builder over `bot` (a `Bot` or an `Arc<Bot>`), the first generation.
    pub fn builder(bot: impl Into<Arc<Bot>>) -> ServiceBuilder {
        ServiceBuilder {
            bot: bot.into(),
            source: None,
            store: None,
            log: None,
            reload_timeout: RELOAD_TIMEOUT,
            hot: HotCounts::default(),
        }
    }

    /// The current bot (hold it for as long as you like; a reload does not affect it).
    pub fn bot(&self) -> Arc<Bot> {
        self.bot.load_full()
    }

    /// Replies to `message` in conversation `conversation_id` (a fresh conversation when
    /// the id is new; stateless when `None`), for `customer`: the fields of `customer` that
    /// are set replace the conversation's, the others keep what was sent before. Logged;
    /// never fails: when the conversation store fails, the message is answered without
    /// its conversation's state (counted in [`Status::store_failures`]). A frontend that
    /// would rather tell the customer to wait uses [`try_ask`](Self::try_ask).
    pub fn ask(&self, conversation_id: Option<&str>, message: &str, customer: &Customer) -> Reply {
        match self.try_ask(conversation_id, message, customer) {
            Ok(reply) => reply,
            Err(_) => {
                let bot = self.bot.load_full();
                let mut state = ConversationState::new(customer.clone());
                let reply = state.ask(&bot, message);
                self.given(&reply, conversation_id, customer);
                reply
            }
        }
    }

    /// Like [`ask`](Self::ask), but a conversation store that fails is an error instead
    /// of an answer without the conversation's state.
    ///
    /// Each turn of a conversation runs through [`ConversationStore::update`] under the
    /// conversation's lock in this service; a store shared by replicas makes the update
    /// atomic across them, so turns answered at once by several replicas are all kept.
    ///
    /// # Errors
    /// [`Error::StoreUnavailable`] when the conversation store cannot be reached or
    /// failed (nothing was saved; the message may be sent again).
    pub fn try_ask(
        &self,
        conversation_id: Option<&str>,
        message: &str,
        customer: &Customer,
    ) -> Result<Reply> {
        let bot = self.bot.load_full();
        let Some(id) = conversation_id else {
            let mut state = ConversationState::new(customer.clone());
            let reply = state.ask(&bot, message);
            self.given(&reply, None, customer);
            return Ok(reply);
        };
        // One turn of a conversation at a time in this service: load, ask and save under
        // the conversation's lock (the store makes it atomic across processes).
        let _turn = self.turn_lock(id);
        let mut answered: Option<(Reply, Customer)> = None;
        let updated = self.store.update(id, &mut |state| {
            state.update_customer(customer);
            let reply = state.ask(&bot, message);
            answered = Some((reply, state.customer().clone()));
        });
        match (updated, answered) {
            (Ok(()), Some((reply, customer))) => {
                self.given(&reply, Some(id), &customer);
                Ok(reply)
            }
            (Ok(()), None) => Err(self.store_error(std::io::Error::other(
                "the store saved the conversation without running its turn",
            ))),
            (Err(e), _) => Err(self.store_error(e)),
        }
    }

    /// Counts a store failure and makes it an [`Error::StoreUnavailable`].
    fn store_error(&self, e: std::io::Error) -> Error {
        self.store_failures.fetch_add(1, Ordering::Relaxed);
        Error::StoreUnavailable(format!(
            "{e}; the message was not answered (send it again when the store is back)"
        ))
    }

    /// Whether the conversation store can be reached (for a health check).
    ///
    /// # Errors
    /// [`Error::StoreUnavailable`] when it cannot.
    pub fn check_store(&self) -> Result<()> {
        self.store
            .check()
            .map_err(|e| Error::StoreUnavailable(e.to_string()))
    }

    /// The caller conversation `id` was given to, when the store keeps owners (a shared
    /// store does; see [`ConversationStore::owner`]).
    ///
    /// # Errors
    /// [`Error::StoreUnavailable`] when the store cannot be reached.
    pub fn conversation_owner(&self, id: &str) -> Result<Option<String>> {
        self.store
            .owner(id)
            .map_err(|e| Error::StoreUnavailable(e.to_string()))
    }

    /// Records in the store that conversation `id` was given to `owner`, so that every
    /// replica sharing the store accepts it from that caller.
    ///
    /// # Errors
    /// [`Error::StoreUnavailable`] when the store cannot be reached.
    pub fn give_conversation(&self, id: &str, owner: &str) -> Result<()> {
        self.store
            .set_owner(id, owner)
            .map_err(|e| self.store_error(e))
    }

    /// Counts, remembers for feedback and logs a reply given.
    fn given(&self, reply: &Reply, conversation_id: Option<&str>, customer: &Customer) {
        self.replies.fetch_add(1, Ordering::Relaxed);
        self.book
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .given(&reply.id);
        self.recorder
            .record(&LogEvent::reply(reply, conversation_id, customer));
        self.hot.count(reply);
    }

    fn turn_lock(&self, id: &str) -> std::sync::MutexGuard<'_, ()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(id);
        // TURN_LOCKS stripes, so the index is always in range.
        let stripe = (hash % TURN_LOCKS as u64) as usize;
        self.turn_locks[stripe]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state of conversation `id` (transcript, customer), if it is held.
    ///
    /// # Errors
    /// [`Error::StoreUnavailable`] when the store cannot be reached.
    pub fn conversation(&self, id: &str) -> Result<Option<ConversationState>> {
        self.store
            .load(id)
            .map_err(|e| Error::StoreUnavailable(e.to_string()))
    }

    /// Records whether reply `reply_id` helped, with an optional comment (masked before
    /// it is written).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `reply_id` is empty, longer than 128 characters or has
    /// characters other than ASCII letters, digits, `-` and `_`; [`Error::NotFound`] when
    /// this service did not give that reply (or gave it more than [`FEEDBACK_REPLIES`]
    /// replies ago); [`Error::AlreadyRecorded`] when the reply already has feedback (it is
    /// accepted once per reply).
    pub fn feedback(&self, reply_id: &str, helpful: bool, comment: Option<&str>) -> Result<()> {
        let valid = !reply_id.is_empty()
            && reply_id.len() <= MAX_REPLY_ID
            && reply_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(Error::InvalidRequest(format!(
                "\"{}\" is not a reply id (use the `id` of a reply)",
                reply_id.chars().take(40).collect::<String>()
            )));
        }
        {
            let mut book = self
                .book
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match book.feedback_given.get_mut(reply_id) {
                None => {
                    return Err(Error::NotFound(format!(
                        "no reply \"{reply_id}\" (feedback is for the `id` of a reply this service gave)"
                    )));
                }
                Some(true) => {
                    return Err(Error::AlreadyRecorded(format!(
                        "reply \"{reply_id}\" already has feedback (it is accepted once per reply)"
                    )));
                }
                Some(given) => *given = true,
            }
        }
        self.recorder
            .record(&LogEvent::feedback(reply_id, helpful, comment));
        Ok(())
    }

    /// Rebuilds the bot from the reload source and swaps it in. Questions keep being
    /// answered by the old bot meanwhile, and by it alone if this fails.
    ///
    /// # Errors
    /// [`Error::Knowledge`] (the old bot keeps serving) when the new knowledge base has
    /// errors; [`Error::Config`] when the service has no reload source; [`Error::Busy`]
    /// when a reload is already running, or when this one did not finish within its time
    /// limit ([`ServiceBuilder::reload_timeout`]: the build is abandoned — it finishes in
    /// the background and its bot is dropped — and the lock is freed); [`Error::Index`]
    /// when the source panicked; any error of the source.
    pub fn reload(&self) -> Result<ReloadReport> {
        let Some(source) = &self.source else {
            return Err(Error::Config(
                "this service has no reload source (see ServiceBuilder::reload_from_kb)".into(),
            ));
        };
        let _guard = self.reloading.try_lock().map_err(|_| {
            Error::Busy("a reload is already running; try again when it has finished".into())
        })?;
        let start = Instant::now();
        let (tx, rx) = std::sync::mpsc::channel();
        let source = Arc::clone(source);
        std::thread::Builder::new()
            .name("wenda-reload".into())
            .spawn(move || {
                let _ignored = tx.send(source());
            })
            .map_err(|e| Error::io("<reload thread>", e))?;
        match rx.recv_timeout(self.reload_timeout) {
            Ok(bot) => Ok(self.swap_in(bot?, start)),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Error::Busy(format!(
                "the reload did not finish within {} s and was abandoned; the previous \
                 knowledge base keeps serving",
                self.reload_timeout.as_secs_f64()
            ))),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(Error::Index(
                "the reload failed: building the new bot panicked; the previous knowledge \
                 base keeps serving"
                    .into(),
            )),
        }
    }

    /// Swaps in a bot made elsewhere.
    pub fn swap(&self, bot: Bot) -> ReloadReport {
        let _guard = self
            .reloading
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.swap_in(bot, Instant::now())
    }

    fn swap_in(&self, bot: Bot, start: Instant) -> ReloadReport {
        let entries = bot.knowledge().len();
        let warnings = bot.knowledge().warnings().len();
        self.bot.store(Arc::new(bot));
        self.entries.store(entries as u64, Ordering::Relaxed);
        self.loaded_at_ms.store(now_ms(), Ordering::Relaxed);
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        ReloadReport {
            generation,
            entries,
            warnings,
            build_ms: start.elapsed().as_millis().min(u64::MAX as u128) as u64,
        }
    }

    /// Counters for a health check.
    pub fn status(&self) -> Status {
        Status {
            generation: self.generation.load(Ordering::Relaxed),
            loaded_at_ms: self.loaded_at_ms.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed) as usize,
            replies: self.replies.load(Ordering::Relaxed),
            conversations: self.store.count(),
            log_enabled: self.recorder.is_enabled(),
            log_written: self.recorder.written(),
            log_failures: self.recorder.failures(),
            log_last_error: self.recorder.last_error(),
            store_failures: self.store_failures.load(Ordering::Relaxed),
        }
    }
}

/// An entry as a category listing shows it.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntrySummary {
    /// The entry's id.
    pub id: String,
    /// Its standard question.
    pub question: String,
    /// Its category.
    pub category: String,
}

/// A category with what is below it.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryListing {
    /// The category's path.
    pub path: String,
    /// The category and the categories under it, with counts.
    pub categories: Vec<crate::knowledge::browse::CategoryNode>,
    /// The entries of the category and of those under it.
    pub entries: Vec<EntrySummary>,
}

/// Browsing and keyword search over the current knowledge base: what a help centre or a
/// curator's frontend shows besides answers.
impl Service {
    /// The category tree of the current knowledge base, with counts.
    pub fn categories(&self) -> Vec<crate::knowledge::browse::CategoryNode> {
        crate::knowledge::browse::category_tree(self.bot().knowledge(), None)
    }

    /// Category `path` with its sub-categories and entries; `None` when there is no such
    /// category.
    pub fn category(&self, path: &str) -> Option<CategoryListing> {
        let bot = self.bot();
        let kb = bot.knowledge();
        let categories = crate::knowledge::browse::category_tree(kb, Some(path));
        let first = categories.first()?;
        Some(CategoryListing {
            path: first.path.clone(),
            entries: crate::knowledge::browse::entries_under(kb, path)
                .into_iter()
                .map(|e| EntrySummary {
                    id: e.id.clone(),
                    question: e.question.clone(),
                    category: e.category.clone(),
                })
                .collect(),
            categories,
        })
    }

    /// Keyword search over questions and answers (see [`crate::knowledge::search`]).
    pub fn search(&self, query: &str, limit: usize) -> Vec<crate::knowledge::search::SearchHit> {
        let bot = self.bot();
        crate::knowledge::search::search(bot.knowledge(), bot.analyzer(), query, limit)
    }
}

/// Answers per entry, for [`Service::hot`].
#[derive(Debug, Default)]
struct HotCounts(Mutex<std::collections::HashMap<String, u64>>);

impl HotCounts {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, u64>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn count(&self, reply: &Reply) {
        if let crate::reply::Decision::Answer { entry_id, .. } = &reply.decision {
            *self.lock().entry(entry_id.clone()).or_default() += 1;
        }
    }
}

/// An entry of the welcome list ([`Service::hot`], `GET /hot`).
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HotEntry {
    /// The entry's id.
    pub entry_id: String,
    /// Its standard question, to show.
    pub question: String,
    /// Its category.
    pub category: String,
    /// Times it was answered; `None` for a curated list (`[hot] entries`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<u64>,
}

/// The hot questions: what a frontend's welcome screen offers.
impl Service {
    /// The curated list of `wenda.toml` (`[hot] entries`, unknown ids left out) or, when
    /// there is none, the entries answered most often (from the log given to
    /// [`ServiceBuilder::hot_from_log`] and the answers since), at most `[hot] limit`.
    ///
    /// ```
    /// use wenda::{Bot, KnowledgeBase, Service, conversation::Customer};
    /// let kb = KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
    /// let service = Service::builder(Bot::build(kb)?).build();
    /// service.ask(None, "车撞了怎么报案", &Customer::default());
    /// assert_eq!(service.hot()[0].entry_id, "claim-report");
    /// # Ok::<(), wenda::Error>(())
    /// ```
    pub fn hot(&self) -> Vec<HotEntry> {
        let bot = self.bot();
        let kb = bot.knowledge();
        let options = &kb.config().hot;
        let make = |id: &str, answered: Option<u64>| {
            kb.entry(id).map(|e| HotEntry {
                entry_id: e.id.clone(),
                question: e.question.clone(),
                category: e.category.clone(),
                answered,
            })
        };
        if !options.entries.is_empty() {
            return options
                .entries
                .iter()
                .filter_map(|id| make(id, None))
                .take(options.limit)
                .collect();
        }
        let mut counts: Vec<(String, u64)> = self
            .hot
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts
            .iter()
            .filter_map(|(id, n)| make(id, Some(*n)))
            .take(options.limit)
            .collect()
    }
}
