//! [`Bot`]: the whole pipeline, from a customer's message to a [`Reply`].

mod build;
mod calibrate;
mod confusion;
mod persist;
mod probes;
mod trace;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

pub use build::{BotBuilder, BuildStage, IndexOrigin, Progress};
pub use confusion::NearDuplicate;
pub use persist::IndexStatus;
#[doc(hidden)]
pub use trace::RetrievalTrace;

use crate::channel;
use crate::config::{Config, Thresholds};
use crate::embed::{Embedder, NgramEmbedder};
use crate::error::Result;
use crate::ids::reply_id;
use crate::index::{Corpus, Holdout, LexicalIndex, VariantId, VectorIndex};
use crate::knowledge::{Channel, Entry, KnowledgeBase};
use crate::model::{ConfidenceModel, Features};
use crate::policy::{Policy, customer_text, turn, without_trigger};
use crate::rank::{QueryView, entry_features, fit::score_candidates};
use crate::reply::{Candidate, ConversationStatus, Customer, Decision, Reply, attach_handoff};
use crate::retrieve::{Found, Indexes};
use crate::text::{Analysis, Analyzer, normalize};

/// Candidates carried in a reply.
pub(crate) const REPLY_CANDIDATES: usize = 5;
/// Characters of a message used for matching; a longer message is matched on its start
/// (trigger words are still looked for in all of it). Customer questions are short; the
/// cap bounds the cost of a pasted essay.
pub const MAX_QUERY_CHARS: usize = 300;

/// Characters of a message read at all (10,000): a longer message is cut here before
/// anything else (normalising, the trigger search, the reply's `query`, a conversation's
/// transcript, the log), and the reply says so in [`Reply::truncated_from`]. This bounds
/// the time and memory one message can cost: a 10 MB paste is read as its first 10,000
/// characters.
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// `message` cut to [`MAX_MESSAGE_CHARS`], and its length in characters when it was cut.
pub fn cut_message(message: &str) -> (&str, Option<usize>) {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        // Counting the rest is linear and allocation-free.
        Some((cut, _)) => (&message[..cut], Some(message.chars().count())),
        None => (message, None),
    }
}

fn elapsed_us(start: Instant) -> u64 {
    start.elapsed().as_micros().min(u64::MAX as u128) as u64
}

/// Options for one question.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AskOptions {
    /// Render the answer for this channel (the entry's channel answer when it has one).
    pub channel: Option<Channel>,
    /// Candidates the reply carries (default 5; at most `retrieval.max_entries`, and
    /// fewer when retrieval found fewer). `wenda eval` asks for 10 to measure MRR@10.
    pub max_candidates: Option<usize>,
}

/// A candidate entry before the confidence model: features and best variant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scored {
    pub entry: u32,
    pub variant: VariantId,
    pub features: Features,
}

/// An FAQ robot over one knowledge base: build it once, then [`ask`](Bot::ask) from any
/// number of threads.
///
/// ```
/// use wenda::{Bot, Entry, KnowledgeBase};
/// let kb = KnowledgeBase::from_entries(vec![
///     Entry::new("report", "车险出险后怎么报案", "请拨打客服热线报案。")
///         .with_similar(["车撞了怎么报案", "出了事故找谁报案", "理赔报案电话多少"]),
///     Entry::new("refund", "怎么退保", "在App的保单详情页申请退保。")
///         .with_similar(["退保流程", "我不想保了怎么退", "退保去哪里办"]),
/// ])?;
/// let bot = Bot::build(kb)?;
/// let reply = bot.ask("撞车了怎么报案");
/// assert_eq!(reply.top_id(), Some("report"));
/// assert!((0.0..=1.0).contains(&reply.confidence));
/// # Ok::<(), wenda::Error>(())
/// ```
pub struct Bot {
    kb: KnowledgeBase,
    analyzer: Analyzer,
    corpus: Corpus,
    lexical: LexicalIndex,
    embedder: Arc<dyn Embedder>,
    /// The embedder again when it is the built-in one (saved with the index).
    builtin_embedder: Option<Arc<NgramEmbedder>>,
    vectors: VectorIndex,
    model: ConfidenceModel,
    policy: Policy,
}

impl std::fmt::Debug for Bot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bot")
            .field("entries", &self.kb.len())
            .field("variants", &self.corpus.variants.len())
            .field("embedder", &self.embedder.id())
            .field("model", &self.model.origin)
            .finish_non_exhaustive()
    }
}

impl Bot {
    /// Builds a bot with the knowledge base's own options (`wenda.toml`) and the built-in
    /// embedder. See [`Bot::builder`] for more control.
    pub fn build(kb: KnowledgeBase) -> Result<Bot> {
        BotBuilder::new(kb).build()
    }

    /// A builder, to set options, an embedder, a confidence model or a progress callback.
    pub fn builder(kb: KnowledgeBase) -> BotBuilder {
        BotBuilder::new(kb)
    }

    /// The knowledge base.
    pub fn knowledge(&self) -> &KnowledgeBase {
        &self.kb
    }

    /// The options in force.
    pub fn config(&self) -> &Config {
        self.policy.config()
    }

    /// The confidence model in use.
    pub fn model(&self) -> &ConfidenceModel {
        &self.model
    }

    /// The embedder in use.
    pub fn embedder(&self) -> &dyn Embedder {
        self.embedder.as_ref()
    }

    /// Whether vector searches walk an HNSW graph (`false`: exact search over every vector;
    /// see [`VectorSearch`](crate::config::VectorSearch)).
    pub fn uses_hnsw(&self) -> bool {
        self.vectors.is_hnsw()
    }

    /// The vector index (for comparing its search with exact search).
    pub(crate) fn vectors(&self) -> &VectorIndex {
        &self.vectors
    }

    /// The text pipeline in use.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Answers one message with the default channel.
    pub fn ask(&self, question: &str) -> Reply {
        self.ask_with(question, AskOptions::default())
    }

    /// Answers one message. Never panics and never fails: if searching fails, the reply is a
    /// handoff with reason `internal_error`. A `handoff` reply carries its
    /// [`Handoff`](crate::reply::Handoff) package (this one message as the transcript); use a
    /// [`conversation`](Bot::conversation) to keep state across messages.
    pub fn ask_with(&self, question: &str, options: AskOptions) -> Reply {
        let start = Instant::now();
        let mut reply = self.reply_excluding(
            question,
            options.channel,
            &self.config().thresholds,
            None,
            options.max_candidates.unwrap_or(REPLY_CANDIDATES),
        );
        let customer = Customer {
            channel: options.channel,
            ..Default::default()
        };
        attach_handoff(&mut reply, &customer, Vec::new(), &[]);
        reply.elapsed_us = elapsed_us(start);
        reply
    }

    /// The answer of entry `id` for `channel`, with its category.
    pub(crate) fn render_entry(
        &self,
        id: &str,
        channel: Option<Channel>,
    ) -> Option<(String, String)> {
        self.kb.entry(id).map(|e| {
            (
                channel::render(e, channel, &self.config().channels),
                e.category.clone(),
            )
        })
    }

    /// Whether the whole message rejects the previous answer ("不是这个").
    pub(crate) fn is_rejection(&self, message: &str) -> bool {
        self.policy.is_rejection(message)
    }

    /// Decides on ranked candidates with thresholds `t` (steps 5–7 of the policy).
    pub(crate) fn decide(
        &self,
        candidates: &[Candidate],
        t: &Thresholds,
        channel: Option<Channel>,
    ) -> Decision {
        self.policy
            .after_ranking(candidates, t, |id| self.render_entry(id, channel))
    }

    /// The reply to one message with thresholds `t`, without a handoff package.
    pub(crate) fn reply_to(
        &self,
        question: &str,
        channel: Option<Channel>,
        t: &Thresholds,
    ) -> Reply {
        self.reply_excluding(question, channel, t, None, REPLY_CANDIDATES)
    }

    /// [`reply_to`](Self::reply_to) as if entry `exclude` were not in the knowledge base
    /// (for a follow-up, which asks something other than the entry just answered), with up
    /// to `max_candidates` candidates.
    pub(crate) fn reply_excluding(
        &self,
        question: &str,
        channel: Option<Channel>,
        t: &Thresholds,
        exclude: Option<&str>,
        max_candidates: usize,
    ) -> Reply {
        let holdout = exclude
            .and_then(|id| self.kb.index_of(id))
            .map(|i| Holdout::Entry(i as u32))
            .unwrap_or(Holdout::None);
        let start = Instant::now();
        let (question, truncated_from) = cut_message(question);
        let head = question
            .char_indices()
            .nth(MAX_QUERY_CHARS)
            .map(|(cut, _)| &question[..cut]);
        let analysis = self.analyzer.analyze(head.unwrap_or(question));
        let whole: Cow<'_, str> = match head {
            Some(_) => Cow::Owned(normalize(question)),
            None => Cow::Borrowed(&analysis.normalized),
        };
        let (decision, candidates) = match self.policy.before_retrieval(&whole) {
            Some(mut decision) => {
                // Still rank what the customer asked besides the trigger words, so that an
                // agent sees the robot's best guesses ("转人工，我要退保" → 退保 entries).
                let rest = match &mut decision {
                    Decision::Handoff {
                        detail: Some(trigger),
                        ..
                    } => without_trigger(&analysis.normalized, trigger),
                    Decision::SmallTalk { reply, .. } => {
                        if let Some(c) = channel {
                            *reply = channel::derive(reply, c, &self.config().channels);
                        }
                        String::new()
                    }
                    _ => String::new(),
                };
                let candidates = if rest.is_empty() {
                    Vec::new()
                } else {
                    self.candidates(&self.analyzer.analyze(&rest), holdout)
                        .unwrap_or_default()
                };
                (decision, candidates)
            }
            None => match self.candidates(&analysis, holdout) {
                Ok(candidates) => (self.decide(&candidates, t, channel), candidates),
                Err(e) => (turn::internal_error(e.to_string()), Vec::new()),
            },
        };
        let confidence = candidates.first().map(|c| c.confidence).unwrap_or(0.0);
        let mut candidates = candidates;
        candidates.truncate(max_candidates);
        Reply {
            id: reply_id(),
            query: question.to_string(),
            text: customer_text(&decision, channel),
            decision,
            confidence,
            candidates,
            elapsed_us: elapsed_us(start),
            handoff: None,
            context: None,
            status: ConversationStatus::Open,
            truncated_from,
        }
    }

    /// Ranked candidates with confidences, best first.
    fn candidates(&self, analysis: &Analysis, holdout: Holdout) -> Result<Vec<Candidate>> {
        let scored = self.score(analysis, self.embedder.as_ref(), holdout)?;
        let pairs: Vec<(u32, Features)> = scored.iter().map(|s| (s.entry, s.features)).collect();
        let best_variant: HashMap<u32, VariantId> =
            scored.iter().map(|s| (s.entry, s.variant)).collect();
        Ok(score_candidates(&self.model, &pairs)
            .into_iter()
            .map(|(e, score, margin, f)| {
                let entry = &self.kb.entries()[e as usize];
                let v = best_variant.get(&e).copied().unwrap_or(0);
                Candidate {
                    entry_id: entry.id.clone(),
                    question: entry.question.clone(),
                    matched: self.variant_text(entry, e, v).to_string(),
                    category: entry.category.clone(),
                    score,
                    confidence: self.model.confidence(score, margin, &f),
                    features: f,
                }
            })
            .collect())
    }

    fn variant_text<'a>(&self, entry: &'a Entry, e: u32, v: VariantId) -> &'a str {
        let start = self.corpus.entry_variants[e as usize].start;
        entry
            .variants()
            .nth(v.saturating_sub(start) as usize)
            .unwrap_or(&entry.question)
    }

    /// The indexes retrieval searches.
    fn indexes(&self) -> Indexes<'_> {
        Indexes {
            corpus: &self.corpus,
            lexical: &self.lexical,
            vectors: &self.vectors,
        }
    }

    /// Retrieval from both indexes ([`crate::retrieve`]), then features for the best entries.
    /// The question is embedded by `embedder` (self-calibration passes one trained without
    /// the held-out questions) and looked up as if `holdout` were not in the indexes.
    pub(crate) fn score(
        &self,
        analysis: &Analysis,
        embedder: &dyn Embedder,
        holdout: Holdout,
    ) -> Result<Vec<Scored>> {
        let terms = &self.corpus.query(analysis, holdout);
        let vector = &embedder.embed(analysis)[..];
        let found =
            self.indexes()
                .retrieve(analysis, vector, holdout, &self.policy.config().retrieval)?;
        let view = QueryView {
            terms,
            vector,
            holdout,
        };
        Ok(found
            .into_iter()
            .filter_map(|Found { entry, bm25 }| {
                entry_features(&self.corpus, &self.vectors, &view, entry, bm25).map(
                    |(features, variant)| Scored {
                        entry,
                        variant,
                        features,
                    },
                )
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Bot>();
    }
}
