//! Options from `wenda.toml`, with documented defaults.
//!
//! Every section and key is optional; a key left out keeps its default. Unknown keys are
//! reported as errors (a misspelt threshold must not be silently ignored).
//!
//! ```toml
//! [thresholds]
//! answer = 0.6     # confidence ≥ this: answer on its own
//! clarify = 0.25   # confidence ≥ this (and < answer): offer "did you mean" choices
//! unknown_words = 0.5 # a question with at least this share of its words (idf-weighted)
//!                  # unknown to the knowledge base is never answered, only clarified
//!
//! [clarify]
//! max_suggestions = 3    # at most this many suggestions (1–10)
//! min_confidence = 0.05  # a suggestion needs at least this confidence
//!
//! [retrieval]
//! lexical_candidates = 50  # question variants fetched from the BM25 index
//! vector_candidates = 30   # question variants fetched from the vector index
//! vector_weight = 1.0      # the vector channel's say in the fusion (BM25: 1); lower it
//!                          # when the vectors find the right entry less often than BM25
//! max_entries = 20         # FAQ entries scored per question
//! vector_search = "auto"   # "exact" below 20,000 variants, "hnsw" from there; or force one
//! hnsw_ef = 64             # HNSW search breadth; higher is slower and more exact
//! hnsw_parallel_build = false # true: insert HNSW points from all cores (faster build,
//!                          # but the graph, and so which candidates are found, varies)
//!
//! [embedding]
//! dimension = 128          # width of the built-in embedder's vectors (16–1024)
//!
//! [embedder]
//! kind = "builtin"         # "builtin": the n-gram embedder trained on the KB itself;
//!                          # "bert": a BERT-family sentence encoder (bge-*-zh, text2vec,
//!                          # m3e; cargo feature `bert`); "static": a model2vec-style
//!                          # static embedding table (cargo feature `static`)
//! # path = "models/bge-small-zh-v1.5"  # the model's folder (Hugging Face layout),
//!                          # relative to the knowledge directory; needed by bert, static
//! # pooling = "cls"        # bert only: "cls" or "mean"; default: as the folder's
//!                          # 1_Pooling/config.json says, mean without one
//! max_tokens = 128         # bert only: longer questions are cut to this many tokens
//! batch_size = 32          # bert only: questions encoded together while building
//!
//! [calibration]
//! mode = "auto"            # "auto": fit the confidence model on the KB's own similar
//!                          # questions when there are enough; "builtin": shipped weights
//! min_examples = 40        # held-out questions needed before "auto" fits
//! made_up = ["typo", "homophone", "near_shape", "filler", "synonym", "key_phrase", "reorder"]
//!                          # kinds of made-up rephrasings to calibrate on where real
//!                          # similar questions are few (see `ProbeKind`); [] for none
//! # model = "model.json"   # a saved model (`wenda calibrate`), relative to the knowledge
//!                          # directory; when set, used instead of fitting at build
//!
//! [conversation]
//! max_misses = 2           # unanswered turns in a row before handoff `repeated_failure`
//! follow_up_max_chars = 10 # a message this short right after an answer is also read in
//!                          # the context of the answered question
//!
//! [channels]
//! sms_max_chars = 70       # derived SMS answers are cut (at a sentence end) to this length
//!
//! [hot]                    # the welcome list of `GET /hot`
//! entries = []             # entry ids, in order; empty: the most answered entries of the query log
//! limit = 10               # most entries listed
//!
//! [tiers.vip]              # customer tiers (any name); every key is optional
//! answer = 0.7             # answer threshold for this tier (default: [thresholds] answer)
//! clarify = 0.4            # clarify threshold for this tier (default: [thresholds] clarify)
//! max_misses = 1           # default: [conversation] max_misses
//! min_priority = "high"    # handoffs of this tier are at least this urgent (low, normal, high)
//! ```
//!
//! Confidences are estimated probabilities that the top answer is right, so thresholds are
//! probabilities and mean the same on every knowledge base.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::priority::Priority;

/// All options. `Config::default()` is the documented default of every key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Config {
    /// Decision thresholds.
    pub thresholds: Thresholds,
    /// "Did you mean" options.
    pub clarify: ClarifyOptions,
    /// How many candidates are fetched and scored.
    pub retrieval: RetrievalOptions,
    /// The built-in embedder.
    pub embedding: EmbeddingOptions,
    /// Which embedder: the built-in one (default) or a pretrained model from a folder.
    /// Left out of the serialized form when it is the default, so that knowledge bases
    /// without a model keep their content hash.
    #[serde(skip_serializing_if = "EmbedderOptions::is_default")]
    pub embedder: EmbedderOptions,
    /// How the confidence model is obtained.
    pub calibration: CalibrationOptions,
    /// Conversations: misses before handoff, follow-ups.
    pub conversation: ConversationOptions,
    /// Rendering answers for channels.
    pub channels: ChannelOptions,
    /// Customer tiers by name (`[tiers.vip]`): policy changes for some customers.
    pub tiers: BTreeMap<String, Tier>,
    /// The welcome list of hot questions (`GET /hot`).
    pub hot: HotOptions,
}

/// The hot questions a frontend shows on its welcome screen (`[hot]`, `GET /hot`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HotOptions {
    /// A curated list of entry ids, shown in this order. Default empty: the entries
    /// answered most often (counted from the query log the service was started with, and
    /// from its answers since).
    pub entries: Vec<String>,
    /// Most entries listed. Default 10.
    pub limit: usize,
}

impl Default for HotOptions {
    fn default() -> Self {
        HotOptions {
            entries: Vec::new(),
            limit: 10,
        }
    }
}

/// Options of [`Conversation`](crate::Conversation)s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationOptions {
    /// Unanswered turns in a row (clarify, low-confidence handoff, "不是这个") after which
    /// the conversation is handed over with `repeated_failure`. Default 2.
    pub max_misses: u32,
    /// A message of at most this many characters (after normalization), sent right after
    /// an answer, is also read in the context of the answered question; the reading with
    /// the higher confidence wins. 0 switches follow-ups off. Default 10.
    pub follow_up_max_chars: usize,
}

impl Default for ConversationOptions {
    fn default() -> Self {
        ConversationOptions {
            max_misses: 2,
            follow_up_max_chars: 10,
        }
    }
}

/// Options for rendering answers on channels without their own answer text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelOptions {
    /// Longest derived SMS answer, in characters (cut at a sentence end). Default 70, one
    /// Chinese SMS.
    pub sms_max_chars: usize,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        ChannelOptions { sms_max_chars: 70 }
    }
}

/// Policy changes for one customer tier (`[tiers.NAME]`). A key left out keeps the
/// general setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Tier {
    /// Answer threshold for this tier.
    pub answer: Option<f64>,
    /// Clarify threshold for this tier (raise it to reach a person sooner).
    pub clarify: Option<f64>,
    /// Unanswered turns in a row before handoff.
    pub max_misses: Option<u32>,
    /// Handoffs of this tier get at least this priority.
    pub min_priority: Option<Priority>,
}

/// The policy for one customer: thresholds, misses and minimum priority, with a tier's
/// changes applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TierPolicy {
    /// Thresholds in force.
    pub thresholds: Thresholds,
    /// Unanswered turns in a row before handoff.
    pub max_misses: u32,
    /// Least priority of a handoff.
    pub min_priority: Priority,
}

/// Confidence thresholds, in probability units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// Answer when the top confidence is at least this. Default 0.6.
    pub answer: f64,
    /// Offer suggestions when the top confidence is at least this (and below `answer`);
    /// below it, hand off with `low_confidence`. Default 0.25.
    pub clarify: f64,
    /// Never answer (clarify at most) a question when at least this share of its words,
    /// weighted by how distinctive they are (idf), occurs nowhere in the knowledge base:
    /// one shared word is no answer to a question about something else
    /// (`你们营业厅几点关门` to an insurer). 1 turns the rule off. Default 0.5.
    pub unknown_words: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            answer: 0.6,
            clarify: 0.25,
            unknown_words: 0.5,
        }
    }
}

/// Options for `clarify` replies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClarifyOptions {
    /// Most suggestions offered. Default 3.
    pub max_suggestions: usize,
    /// Least confidence a suggestion needs. Default 0.05.
    pub min_confidence: f64,
}

impl Default for ClarifyOptions {
    fn default() -> Self {
        ClarifyOptions {
            max_suggestions: 3,
            min_confidence: 0.05,
        }
    }
}

/// Which vector search to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VectorSearch {
    /// `exact` below [`AUTO_HNSW_MIN_VARIANTS`] question variants, `hnsw` from there on.
    /// Default.
    #[default]
    Auto,
    /// Approximate search in an HNSW graph (hnsw_rs): time grows slowly with the number of
    /// variants, at a small loss of recall.
    Hnsw,
    /// Exact brute-force cosine over every vector: exact, and faster than walking a graph
    /// while the knowledge base is small (a few thousand variants take tens of µs).
    Exact,
}

/// Number of question variants from which `vector_search = "auto"` uses HNSW.
pub const AUTO_HNSW_MIN_VARIANTS: usize = 20_000;

impl VectorSearch {
    /// The method used for a knowledge base of `variants` question variants.
    pub fn resolve(self, variants: usize) -> VectorSearch {
        match self {
            VectorSearch::Auto if variants >= AUTO_HNSW_MIN_VARIANTS => VectorSearch::Hnsw,
            VectorSearch::Auto => VectorSearch::Exact,
            other => other,
        }
    }
}

/// Candidate retrieval sizes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetrievalOptions {
    /// Question variants fetched from the BM25 index. Default 50.
    pub lexical_candidates: usize,
    /// Question variants fetched from the vector index. Default 30.
    pub vector_candidates: usize,
    /// Weight of the vector channel when the two channels' entries are fused by
    /// reciprocal rank (BM25's weight is 1), from 0 to 10. Default 1. Lower it when the
    /// vectors find the right entry less often than BM25 (`examples/recall_channels.rs`
    /// measures both): on BQ's short colloquial questions with the built-in embedder
    /// (recall@20 0.58 against BM25's 0.66), 0.5 kept vector-only entries from pushing
    /// BM25's out of the scored ones (the right entry among them for 66.2% of questions
    /// instead of 64.8%, MRR@10 0.374 instead of 0.372, top-1 unchanged). Left out of the
    /// serialized form when 1, so that knowledge bases without it keep their content hash.
    #[serde(skip_serializing_if = "is_one")]
    pub vector_weight: f64,
    /// FAQ entries scored per question (the best by first-stage score). Default 20.
    pub max_entries: usize,
    /// Vector search method. Default `auto`.
    pub vector_search: VectorSearch,
    /// HNSW search breadth (`ef`); at least `vector_candidates` is used. Default 64.
    pub hnsw_ef: usize,
    /// Insert HNSW points from all cores. Default `false`: hnsw_rs builds a reproducible
    /// graph only when inserting serially (fixed level seed), so by default the same
    /// knowledge base gives the same graph, candidates and confidences, bit for bit. A
    /// parallel build is up to as many times faster as there are cores, but which
    /// candidates a search finds then varies between builds (3 of 143 questions got
    /// other confidences after a rebuild), although each is re-scored exactly.
    pub hnsw_parallel_build: bool,
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

impl Default for RetrievalOptions {
    fn default() -> Self {
        RetrievalOptions {
            lexical_candidates: 50,
            vector_candidates: 30,
            vector_weight: 1.0,
            max_entries: 20,
            vector_search: VectorSearch::Auto,
            hnsw_ef: 64,
            hnsw_parallel_build: false,
        }
    }
}

/// Built-in embedder options.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbeddingOptions {
    /// Vector width. Default 128.
    pub dimension: usize,
}

impl Default for EmbeddingOptions {
    fn default() -> Self {
        EmbeddingOptions { dimension: 128 }
    }
}

/// Which kind of embedder `[embedder]` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EmbedderKind {
    /// The n-gram paraphrase embedder trained on the knowledge base at build
    /// (`[embedding]` sets its width); needs no model. Default.
    #[default]
    Builtin,
    /// A BERT-family sentence encoder in a Hugging Face folder (`config.json`,
    /// `model.safetensors`, `tokenizer.json`, optionally `1_Pooling/config.json`), run on
    /// the CPU. Needs the cargo feature `bert`.
    Bert,
    /// A model2vec-style static embedding table (`tokenizer.json` and one matrix in
    /// `model.safetensors`): the mean of the question's token rows. Needs the cargo
    /// feature `static`.
    Static,
}

/// How a BERT encoder's token vectors become one sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The vector of the first (`[CLS]`) token (bge models).
    Cls,
    /// The mean of the token vectors, padding excluded (text2vec, m3e).
    Mean,
}

/// `[embedder]`: the embedder of the vector index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbedderOptions {
    /// Default `builtin`.
    pub kind: EmbedderKind,
    /// The model's folder, relative to the knowledge directory (or absolute). Needed by
    /// `bert` and `static`; nothing is ever downloaded. Default: none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<std::path::PathBuf>,
    /// `bert` only: overrides the pooling of the folder's `1_Pooling/config.json`
    /// (without one, mean pooling is used). Default: as the folder says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pooling: Option<Pooling>,
    /// `bert` only: questions longer than this many tokens (special tokens included)
    /// are cut; the cost of a question grows with its length. Default 128 (2–8192).
    pub max_tokens: usize,
    /// `bert` only: questions encoded in one batch while building. Default 32 (1–1024).
    pub batch_size: usize,
}

impl Default for EmbedderOptions {
    fn default() -> Self {
        EmbedderOptions {
            kind: EmbedderKind::Builtin,
            path: None,
            pooling: None,
            max_tokens: 128,
            batch_size: 32,
        }
    }
}

impl EmbedderOptions {
    /// Whether these are the defaults (the built-in embedder).
    pub fn is_default(&self) -> bool {
        *self == EmbedderOptions::default()
    }

    /// Whether a pretrained model is used (kind `bert` or `static`).
    pub fn is_pretrained(&self) -> bool {
        self.kind != EmbedderKind::Builtin
    }
}

/// Where the confidence model's weights come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationMode {
    /// Fit on the knowledge base itself (held-out similar questions and held-out entries)
    /// when it has at least `min_examples` held-out questions; otherwise use the built-in
    /// weights. Default.
    #[default]
    Auto,
    /// Always use the built-in weights shipped with wenda.
    Builtin,
}

/// A kind of made-up rephrasing that self-calibration asks where the knowledge base has
/// few real similar questions: the ways customers' wording drifts from the FAQ's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    /// A character dropped, two neighbours swapped, one typed twice or a stray one.
    Typo,
    /// A character replaced by one with the same pinyin (an input-method slip).
    Homophone,
    /// A character replaced by one that looks alike (形近字).
    NearShape,
    /// 请问, 我想问一下, 啊, 呢… added, or removed where the question has them.
    Filler,
    /// A word replaced by another word of its group in `synonyms.txt`.
    Synonym,
    /// Only the one or two most distinctive words of the question.
    KeyPhrase,
    /// Clauses (or the two halves of a one-clause question) swapped.
    Reorder,
}

impl ProbeKind {
    /// Every kind, in the order of [`ProbeKind::name`]s in reports.
    pub const ALL: [ProbeKind; 7] = [
        ProbeKind::Typo,
        ProbeKind::Homophone,
        ProbeKind::NearShape,
        ProbeKind::Filler,
        ProbeKind::Synonym,
        ProbeKind::KeyPhrase,
        ProbeKind::Reorder,
    ];

    /// The kind's name, as in `wenda.toml` and the model's origin.
    pub const fn name(self) -> &'static str {
        match self {
            ProbeKind::Typo => "typo",
            ProbeKind::Homophone => "homophone",
            ProbeKind::NearShape => "near_shape",
            ProbeKind::Filler => "filler",
            ProbeKind::Synonym => "synonym",
            ProbeKind::KeyPhrase => "key_phrase",
            ProbeKind::Reorder => "reorder",
        }
    }
}

/// Calibration options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalibrationOptions {
    /// Default `auto`.
    pub mode: CalibrationMode,
    /// Held-out questions (real and made up) needed for `auto` to fit. Default 40.
    pub min_examples: usize,
    /// Kinds of made-up rephrasings of the entries' own questions to calibrate on where
    /// real similar questions are few. Default: every [`ProbeKind`]; `[]` calibrates on
    /// real similar questions only.
    pub made_up: Vec<ProbeKind>,
    /// A confidence model saved by `wenda calibrate` (or
    /// [`ConfidenceModel::save`](crate::model::ConfidenceModel::save)), relative to the
    /// knowledge directory. When set, the bot uses it instead of fitting one at build, and
    /// `mode` is ignored. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<std::path::PathBuf>,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        CalibrationOptions {
            mode: CalibrationMode::Auto,
            min_examples: 40,
            made_up: ProbeKind::ALL.to_vec(),
            model: None,
        }
    }
}

impl Config {
    /// The policy for a customer of `tier` (the general one when `tier` is `None` or not
    /// configured).
    pub fn tier_policy(&self, tier: Option<&str>) -> TierPolicy {
        let t = tier.and_then(|name| self.tiers.get(name));
        TierPolicy {
            thresholds: Thresholds {
                answer: t.and_then(|t| t.answer).unwrap_or(self.thresholds.answer),
                clarify: t.and_then(|t| t.clarify).unwrap_or(self.thresholds.clarify),
                unknown_words: self.thresholds.unknown_words,
            },
            max_misses: t
                .and_then(|t| t.max_misses)
                .unwrap_or(self.conversation.max_misses),
            min_priority: t.and_then(|t| t.min_priority).unwrap_or(Priority::Low),
        }
    }

    /// Checks ranges and ordering; returns one message per problem (empty when valid).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let t = &self.thresholds;
        for (name, v) in [
            ("answer", t.answer),
            ("clarify", t.clarify),
            ("unknown_words", t.unknown_words),
        ] {
            if !(0.0..=1.0).contains(&v) {
                out.push(format!(
                    "[thresholds] {name} = {v} is not a probability (use a number from 0 to 1)"
                ));
            }
        }
        if t.clarify > t.answer {
            out.push(format!(
                "[thresholds] clarify ({}) must not be above answer ({})",
                t.clarify, t.answer
            ));
        }
        let c = &self.clarify;
        if !(1..=10).contains(&c.max_suggestions) {
            out.push(format!(
                "[clarify] max_suggestions = {} must be from 1 to 10",
                c.max_suggestions
            ));
        }
        if !(0.0..=1.0).contains(&c.min_confidence) {
            out.push(format!(
                "[clarify] min_confidence = {} is not a probability",
                c.min_confidence
            ));
        }
        let r = &self.retrieval;
        for (name, v) in [
            ("lexical_candidates", r.lexical_candidates),
            ("vector_candidates", r.vector_candidates),
            ("max_entries", r.max_entries),
            ("hnsw_ef", r.hnsw_ef),
        ] {
            if !(1..=10_000).contains(&v) {
                out.push(format!("[retrieval] {name} = {v} must be from 1 to 10000"));
            }
        }
        let w = r.vector_weight;
        if !(0.0..=10.0).contains(&w) {
            out.push(format!(
                "[retrieval] vector_weight = {w} must be from 0 to 10"
            ));
        }
        if !(1..=20).contains(&self.conversation.max_misses) {
            out.push(format!(
                "[conversation] max_misses = {} must be from 1 to 20",
                self.conversation.max_misses
            ));
        }
        if self.conversation.follow_up_max_chars > 100 {
            out.push(format!(
                "[conversation] follow_up_max_chars = {} must be from 0 (off) to 100",
                self.conversation.follow_up_max_chars
            ));
        }
        if !(10..=1000).contains(&self.channels.sms_max_chars) {
            out.push(format!(
                "[channels] sms_max_chars = {} must be from 10 to 1000",
                self.channels.sms_max_chars
            ));
        }
        for (name, tier) in &self.tiers {
            if name.trim().is_empty() {
                out.push("[tiers] a tier needs a name, as in [tiers.vip]".to_string());
            }
            for (key, v) in [("answer", tier.answer), ("clarify", tier.clarify)] {
                if let Some(v) = v
                    && !(0.0..=1.0).contains(&v)
                {
                    out.push(format!(
                        "[tiers.{name}] {key} = {v} is not a probability (use a number from 0 to 1)"
                    ));
                }
            }
            let p = self.tier_policy(Some(name)).thresholds;
            if p.clarify > p.answer {
                out.push(format!(
                    "[tiers.{name}] clarify ({}) must not be above answer ({}) (a key left out of the tier takes its value from [thresholds])",
                    p.clarify, p.answer
                ));
            }
            if let Some(m) = tier.max_misses
                && !(1..=20).contains(&m)
            {
                out.push(format!(
                    "[tiers.{name}] max_misses = {m} must be from 1 to 20"
                ));
            }
        }
        if !(16..=1024).contains(&self.embedding.dimension) {
            out.push(format!(
                "[embedding] dimension = {} must be from 16 to 1024",
                self.embedding.dimension
            ));
        }
        let e = &self.embedder;
        match (e.kind, &e.path) {
            (EmbedderKind::Builtin, Some(p)) => out.push(format!(
                "[embedder] path = {:?} needs kind = \"bert\" or \"static\" (kind is \"builtin\", which uses no model)",
                p.display().to_string()
            )),
            (EmbedderKind::Bert | EmbedderKind::Static, None) => out.push(
                "[embedder] kind = \"bert\" or \"static\" needs path = \"the model's folder\"".to_string(),
            ),
            _ => {}
        }
        if e.pooling.is_some() && e.kind != EmbedderKind::Bert {
            out.push("[embedder] pooling applies only to kind = \"bert\"".to_string());
        }
        if !(2..=8192).contains(&e.max_tokens) {
            out.push(format!(
                "[embedder] max_tokens = {} must be from 2 to 8192",
                e.max_tokens
            ));
        }
        if !(1..=1024).contains(&e.batch_size) {
            out.push(format!(
                "[embedder] batch_size = {} must be from 1 to 1024",
                e.batch_size
            ));
        }
        out
    }

    /// `Ok` when [`problems`](Self::problems) is empty, else an [`Error::Config`].
    pub fn validate(&self) -> Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Config(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert!(Config::default().problems().is_empty());
    }

    #[test]
    fn tiers_override_and_validate() {
        let mut c = Config::default();
        c.tiers.insert(
            "vip".into(),
            Tier {
                clarify: Some(0.5),
                max_misses: Some(1),
                min_priority: Some(Priority::High),
                ..Tier::default()
            },
        );
        let p = c.tier_policy(Some("vip"));
        assert_eq!(p.thresholds.clarify, 0.5);
        assert_eq!(p.thresholds.answer, 0.6);
        assert_eq!(p.max_misses, 1);
        assert_eq!(p.min_priority, Priority::High);
        assert_eq!(c.tier_policy(Some("gold")), c.tier_policy(None));
        assert!(c.problems().is_empty());
        c.tiers.get_mut("vip").unwrap().clarify = Some(0.9);
        c.tiers.get_mut("vip").unwrap().max_misses = Some(0);
        let p = c.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("[tiers.vip] clarify"), "{p:?}");
    }

    #[test]
    fn embedder_options_are_checked() {
        let mut c = Config::default();
        c.embedder.kind = EmbedderKind::Bert;
        assert!(c.problems()[0].contains("needs path"), "{:?}", c.problems());
        c.embedder.path = Some("models/bge".into());
        assert!(c.problems().is_empty());
        c.embedder.kind = EmbedderKind::Builtin;
        c.embedder.pooling = Some(Pooling::Cls);
        c.embedder.batch_size = 0;
        let p = c.problems();
        assert_eq!(p.len(), 3, "{p:?}");
        // The default is left out of the serialized options (and so of the content hash).
        let text = serde_json::to_string(&Config::default()).unwrap();
        assert!(!text.contains("embedder"), "{text}");
    }

    #[test]
    fn out_of_order_thresholds() {
        let mut c = Config::default();
        c.thresholds.clarify = 1.5;
        c.thresholds.answer = 0.5;
        let p = c.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(c.validate().is_err());
    }
}
