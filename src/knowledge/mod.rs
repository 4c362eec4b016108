//! The knowledge base: FAQ entries plus the files that tune matching.
//!
//! # On disk
//!
//! A knowledge directory holds:
//!
//! | file | what |
//! |---|---|
//! | `*.toml` (any name, any sub-folder) | FAQ entries of one category (see below) |
//! | `*.jsonl`, `*.csv` | FAQ entries in JSON Lines or spreadsheet form |
//! | `dict.txt` | jieba user dictionary: `word [frequency] [tag]` per line |
//! | `synonyms.txt` | one synonym group per line, first word canonical |
//! | `stopwords.txt` | words ignored for matching |
//! | `triggers.toml` | handoff words ([`Triggers`]) |
//! | `smalltalk.toml` | greetings, thanks, goodbyes… and their replies ([`SmallTalk`]) |
//! | `wenda.toml` | thresholds and options ([`crate::Config`]) |
//!
//! A category file:
//!
//! ```toml
//! category = "车险/理赔"
//!
//! [[faq]]
//! id = "claim-report"                      # stable, unique across the KB
//! question = "车险出险后怎么报案？"          # the standard question
//! similar = ["车撞了怎么报案", "出了交通事故怎么通知保险公司"]
//! answer = "请在出险后48小时内拨打客服电话报案……"
//! [faq.channels]                           # optional: web, wechat, app, sms, voice
//! sms = "出险后48小时内致电客服报案。"
//! ```
//!
//! A JSONL line: `{"id": "…", "question": "…", "similar": ["…"], "answer": "…", "category": "…"}`.
//!
//! Loading never panics: every problem of every file is collected and reported together,
//! each with file, line, entry id and cause (see [`crate::Problem`]).

pub mod browse;
mod entry;
pub mod export;
mod faq_csv;
mod faq_jsonl;
mod faq_table;
mod faq_toml;
mod faq_xlsx;
pub mod init;
mod lexicon_files;
mod load;
mod raw;
pub mod search;
mod settings;
mod smalltalk;
mod toml_util;
mod triggers;
mod validate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use entry::{Channel, Entry, Source};
pub(crate) use smalltalk::small_talk_key;
pub use smalltalk::{SmallTalk, SmallTalkIntent};
pub use triggers::{TriggerSet, Triggers};

use crate::config::Config;
use crate::error::{Error, Problem, Problems, Result, Severity};
use crate::model::ConfidenceModel;
use crate::text::Lexicon;

/// A validated knowledge base.
///
/// ```
/// use wenda::{Entry, KnowledgeBase};
/// let kb = KnowledgeBase::from_entries(vec![
///     Entry::new("refund", "怎么退保", "在App里申请退保。").with_similar(["退保流程", "我要退保"]),
/// ])?;
/// assert_eq!(kb.len(), 1);
/// assert_eq!(kb.variant_count(), 3);
/// # Ok::<(), wenda::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    path: Option<PathBuf>,
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    lexicon: Lexicon,
    triggers: Triggers,
    smalltalk: SmallTalk,
    config: Config,
    model: Option<ConfidenceModel>,
    warnings: Vec<Problem>,
}

impl KnowledgeBase {
    fn empty() -> Self {
        KnowledgeBase {
            path: None,
            entries: Vec::new(),
            by_id: HashMap::new(),
            lexicon: Lexicon::default(),
            triggers: Triggers::default(),
            smalltalk: SmallTalk::default(),
            config: Config::default(),
            model: None,
            warnings: Vec::new(),
        }
    }

    /// Loads and validates a knowledge directory or a single `.toml`, `.jsonl` or `.csv`
    /// FAQ file.
    ///
    /// # Errors
    /// [`Error::Knowledge`] listing every problem (with warnings) when any problem is an
    /// error; [`Error::Io`] when `path` cannot be read at all.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let (kb, problems) = load::read(path.as_ref(), true)?;
        kb.finish(problems)
    }

    /// Loads like [`load`](Self::load), but without the saved confidence model that
    /// `wenda.toml` may name (`calibration.model`), and with that option cleared: for
    /// fitting a new model when the saved one is stale or unreadable.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn load_without_model(path: impl AsRef<Path>) -> Result<Self> {
        let (kb, problems) = load::read(path.as_ref(), false)?;
        kb.finish(problems)
    }

    /// Builds a knowledge base from entries made in code (default lexicon, triggers and
    /// config), validating them like a loaded one.
    pub fn from_entries(entries: Vec<Entry>) -> Result<Self> {
        let mut kb = KnowledgeBase::empty();
        kb.entries = entries
            .into_iter()
            .map(|mut e| {
                if e.source.file.as_os_str().is_empty() {
                    e.source.file = PathBuf::from("<memory>");
                }
                e
            })
            .collect();
        kb.finish(Vec::new())
    }

    /// The same knowledge base with every entry's `similar` list emptied and no saved
    /// confidence model (a model is fitted to the questions it was built on): what a bot has
    /// to go on when an FAQ export has one question per entry. Used to measure how well
    /// self-calibration on made-up rephrasings describes the removed real ones
    /// (`examples/probe_gap.rs`).
    ///
    /// ```
    /// use wenda::{Entry, KnowledgeBase};
    /// let kb = KnowledgeBase::from_entries(vec![
    ///     Entry::new("refund", "怎么退保", "在App里申请退保。").with_similar(["退保流程"]),
    /// ])?;
    /// let one = kb.without_similar();
    /// assert_eq!((kb.variant_count(), one.variant_count()), (2, 1));
    /// assert!(one.model().is_none() && one.config().calibration.model.is_none());
    /// # Ok::<(), wenda::Error>(())
    /// ```
    pub fn without_similar(&self) -> Self {
        let mut kb = self.clone();
        for e in &mut kb.entries {
            e.similar.clear();
        }
        kb.model = None;
        // Warnings about the saved model's file go with the model.
        if let Some(path) = kb.config.calibration.model.take() {
            kb.warnings.retain(|w| w.file != path);
        }
        kb
    }

    /// Replaces the lexicon (user dictionary, synonyms, stopwords).
    pub fn with_lexicon(mut self, lexicon: Lexicon) -> Self {
        self.lexicon = lexicon;
        self
    }

    /// Replaces the handoff triggers.
    pub fn with_triggers(mut self, triggers: Triggers) -> Self {
        self.triggers = triggers;
        self
    }

    /// Replaces the small-talk intents and rejection phrases.
    pub fn with_smalltalk(mut self, smalltalk: SmallTalk) -> Self {
        self.smalltalk = smalltalk;
        self
    }

    /// Replaces the options.
    ///
    /// # Errors
    /// [`Error::Config`] when the options are invalid.
    pub fn with_config(mut self, config: Config) -> Result<Self> {
        config.validate()?;
        self.config = config;
        Ok(self)
    }

    fn finish(mut self, mut problems: Vec<Problem>) -> Result<Self> {
        validate::validate_entries(&self.entries, &mut problems);
        if self.entries.is_empty() && !problems.iter().any(|p| p.severity == Severity::Error) {
            let place = self
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from("<memory>"));
            problems.push(Problem::error(
                place,
                "the knowledge base has no FAQ entries",
            ));
        }
        for id in &self.config.hot.entries {
            if !self.entries.iter().any(|e| &e.id == id) {
                let place = self
                    .path
                    .as_ref()
                    .map(|p| {
                        if p.is_dir() {
                            p.join("wenda.toml")
                        } else {
                            p.clone()
                        }
                    })
                    .unwrap_or_else(|| PathBuf::from("wenda.toml"));
                problems.push(Problem::warning(
                    place,
                    format!("[hot] entries: \"{id}\" is not an entry id; `GET /hot` leaves it out"),
                ));
            }
        }
        if let Some(m) = &self.model
            && let Some(fitted) = &m.knowledge
            && *fitted != self.fingerprint()
            && let Some(path) = &self.config.calibration.model
        {
            problems.push(Problem::warning(
                path,
                "the confidence model was fitted on another version of the knowledge base (questions were added, changed or removed since); it still works, but refit it with `wenda calibrate` so confidences stay calibrated",
            ));
        }
        let problems = Problems::new(problems);
        if problems.has_errors() {
            return Err(Error::Knowledge(problems));
        }
        self.warnings = problems.all().to_vec();
        self.by_id = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        Ok(self)
    }

    /// Where the knowledge base was loaded from (`None` when built in code).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// All entries, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this id.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// The position of entry `id` in [`entries`](Self::entries).
    pub(crate) fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of question variants (standard + similar) over all entries.
    pub fn variant_count(&self) -> usize {
        self.entries.iter().map(|e| 1 + e.similar.len()).sum()
    }

    /// The distinct categories, sorted.
    pub fn categories(&self) -> Vec<&str> {
        let mut c: Vec<&str> = self.entries.iter().map(|e| e.category.as_str()).collect();
        c.sort_unstable();
        c.dedup();
        c
    }

    /// User dictionary, synonyms and stopwords.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Handoff triggers.
    pub fn triggers(&self) -> &Triggers {
        &self.triggers
    }

    /// Small talk (`smalltalk.toml`; the built-in list when there is none).
    pub fn smalltalk(&self) -> &SmallTalk {
        &self.smalltalk
    }

    /// Options from `wenda.toml` (defaults when there is none).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A fingerprint of the entries' ids and questions (not answers): it changes when what
    /// can be matched changes, so a saved confidence model can tell it is stale.
    pub fn fingerprint(&self) -> String {
        let mut h = 0x5745_4e44_4121u64;
        for e in &self.entries {
            h = crate::stable_hash::splitmix64(h ^ crate::stable_hash::fnv1a(&e.id));
            for v in e.variants() {
                h = crate::stable_hash::splitmix64(h ^ crate::stable_hash::fnv1a(v));
            }
        }
        format!("{h:016x}")
    }

    /// The confidence model named by `calibration.model` in `wenda.toml`, loaded with the
    /// knowledge base (`None` when there is none).
    pub fn model(&self) -> Option<&ConfidenceModel> {
        self.model.as_ref()
    }

    /// The confidence model file `path` names, relative to the knowledge directory: the
    /// one loaded with the knowledge base when `path` is the `calibration.model` of its
    /// `wenda.toml`, else the file read now (for options set in code).
    ///
    /// # Errors
    /// As [`ConfidenceModel::load`].
    pub(crate) fn named_model(&self, path: &Path) -> Result<ConfidenceModel> {
        if self.config.calibration.model.as_deref() == Some(path)
            && let Some(m) = &self.model
        {
            return Ok(m.clone());
        }
        let dir = self.path().filter(|p| p.is_dir()).unwrap_or(Path::new(""));
        load::read_model(dir, path)
    }

    /// Warnings found while loading (the knowledge base is usable, but worth a look).
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// A warning when entries have no similar question (`wenda check` shows it): where
    /// real paraphrases are few, self-calibration fits on made-up rephrasings of the
    /// entries' own questions, which are easier than customers' real ones, so its
    /// confidence is held back. `None` when every entry has a similar question.
    ///
    /// ```
    /// use wenda::KnowledgeBase;
    /// let kb = KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
    /// assert!(kb.calibration_warning().is_none());
    /// # Ok::<(), wenda::Error>(())
    /// ```
    pub fn calibration_warning(&self) -> Option<Problem> {
        let without: Vec<&str> = self
            .entries
            .iter()
            .filter(|e| e.similar.is_empty())
            .map(|e| e.id.as_str())
            .collect();
        if without.is_empty() {
            return None;
        }
        let examples = without
            .iter()
            .take(5)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let file = self.path().map_or_else(
            || std::path::PathBuf::from("knowledge base"),
            |p| p.to_path_buf(),
        );
        Some(Problem::warning(
            file,
            format!(
                "{} of {} entries have no similar question (e.g. {examples}{}): self-calibration makes up rephrasings of their own questions instead, which are easier than customers' real ones, so confidence is held back and fewer questions are answered; add the ways customers really ask as `similar`",
                without.len(),
                self.entries.len(),
                if without.len() > 5 { ", …" } else { "" }
            ),
        ))
    }

    /// A hash of everything that shapes answers: entries, lexicon, triggers, small talk,
    /// options and the saved confidence model they name
    /// (not where the files are: a moved knowledge base keeps its hash). Two loads of
    /// unchanged files give the same hash on every machine; a saved index records it to
    /// tell whether it is still up to date.
    pub fn content_hash(&self) -> u64 {
        // The saved model's file is resolved against the knowledge directory when loaded;
        // its content is hashed, its location is not.
        let mut config = self.config.clone();
        config.calibration.model = None;
        let content = Content {
            entries: &self.entries,
            lexicon: &self.lexicon,
            triggers: &self.triggers,
            smalltalk: &self.smalltalk,
            config: &config,
            model: self.model.as_ref(),
        };
        // Serializing plain data to a Vec cannot fail; an empty hash input would only make
        // an index look stale, never current.
        let bytes = postcard::to_stdvec(&content).unwrap_or_default();
        crate::stable_hash::fnv1a_bytes(&bytes)
    }

    /// The knowledge base as saved with an index.
    pub(crate) fn to_stored(&self) -> Stored<'_> {
        Stored {
            path: self.path.as_deref(),
            sources: self.entries.iter().map(|e| &e.source).collect(),
            content: Content {
                entries: &self.entries,
                lexicon: &self.lexicon,
                triggers: &self.triggers,
                smalltalk: &self.smalltalk,
                config: &self.config,
                model: self.model.as_ref(),
            },
            warnings: &self.warnings,
        }
    }

    /// A knowledge base read back from a saved index (already validated when it was saved).
    pub(crate) fn from_stored(stored: StoredOwned) -> Self {
        let StoredOwned {
            path,
            sources,
            mut content,
            warnings,
        } = stored;
        for (entry, source) in content.entries.iter_mut().zip(sources) {
            entry.source = source;
        }
        let mut kb = KnowledgeBase {
            path,
            entries: content.entries,
            by_id: HashMap::new(),
            lexicon: content.lexicon,
            triggers: content.triggers,
            smalltalk: content.smalltalk,
            config: content.config,
            model: content.model,
            warnings,
        };
        kb.by_id = kb
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id.clone(), i))
            .collect();
        kb
    }
}

/// What shapes answers, borrowed for hashing and saving.
#[derive(serde::Serialize)]
struct Content<'a> {
    entries: &'a [Entry],
    lexicon: &'a Lexicon,
    triggers: &'a Triggers,
    smalltalk: &'a SmallTalk,
    config: &'a Config,
    /// The saved confidence model `wenda.toml` names, if any.
    model: Option<&'a ConfidenceModel>,
}

/// [`Content`], owned, as read back.
#[derive(serde::Deserialize)]
pub(crate) struct ContentOwned {
    entries: Vec<Entry>,
    lexicon: Lexicon,
    triggers: Triggers,
    smalltalk: SmallTalk,
    config: Config,
    model: Option<ConfidenceModel>,
}

/// A knowledge base as saved with an index.
#[derive(serde::Serialize)]
pub(crate) struct Stored<'a> {
    path: Option<&'a Path>,
    /// Entries do not serialize their source; it is kept here, in entry order.
    sources: Vec<&'a Source>,
    content: Content<'a>,
    warnings: &'a [Problem],
}

/// [`Stored`], owned, as read back.
#[derive(serde::Deserialize)]
pub(crate) struct StoredOwned {
    path: Option<PathBuf>,
    sources: Vec<Source>,
    content: ContentOwned,
    warnings: Vec<Problem>,
}
