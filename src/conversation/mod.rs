//! Conversations: per-customer state across messages.
//!
//! A chat frontend keeps one [`Conversation`] (or one [`ConversationState`] in a
//! [`ConversationStore`]) per customer and sends every message through it. On top of
//! [`Bot::ask`], a conversation:
//!
//! * after a `clarify`, reads `1`, `第二个`, `第2个`, `最后一个` or a suggestion's text as a
//!   pick and answers that entry (context `picked_suggestion`);
//! * reads "不是这个", "没用", "都不是" (the `reject` list of `smalltalk.toml`) after an
//!   answer or a clarify as a rejection: the next candidates are offered (context
//!   `next_candidate`), or, when none is left, the conversation is handed over with
//!   `repeated_failure`;
//! * counts unanswered turns in a row (`clarify`, a `low_confidence` handoff, a rejection);
//!   at `conversation.max_misses` (default 2; per tier in `[tiers.NAME]`) the turn becomes a
//!   `repeated_failure` handoff;
//! * reads a short message right after an answer ("那费用呢？", "怎么办理") also together
//!   with the answered question, leaving out the answered entry itself (a follow-up asks
//!   something new about the same topic); the reading with the higher confidence wins
//!   (context `follow_up`);
//! * applies the customer's tier: its thresholds, misses and least handoff priority;
//! * keeps the transcript, and attaches it with the robot's best guesses to every
//!   `handoff` as a [`Handoff`](crate::reply::Handoff) package for the agent;
//! * from the first `handoff` on, says `status: handed_off` in every reply, and does not
//!   answer a rejection or a pick by number from the FAQ (it is for the agent: the reply
//!   is a `handoff` again, with the conversation's reason and priority).
//!
//! Small talk and empty messages neither count as misses nor end a follow-up context.
//!
//! ```
//! use wenda::{Bot, KnowledgeBase, conversation::Customer};
//! let bot = Bot::build(KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?)?;
//! let mut chat = bot.conversation_with(Customer { tier: Some("vip".into()), ..Customer::default() });
//! assert_eq!(chat.ask("你好").decision.kind(), "small_talk");
//! let reply = chat.ask("转人工");
//! let handoff = reply.handoff.expect("a handoff carries its package");
//! assert_eq!(handoff.transcript.len(), 2);
//! # Ok::<(), wenda::Error>(())
//! ```

mod pick;
#[cfg(feature = "redis")]
mod redis_store;
mod store;

use serde::{Deserialize, Serialize};

#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use store::{ConversationStore, MemoryStore};

/// Defined with the handoff package that carries them (also at the crate root).
pub use crate::reply::{Customer, Turn};

use crate::bot::{Bot, REPLY_CANDIDATES, cut_message};
use crate::config::TierPolicy;
use crate::ids::{now_ms, reply_id};
use crate::knowledge::{Channel, small_talk_key};
use crate::policy::{self, turn};
use crate::reply::{
    Candidate, Context, ContextKind, ConversationStatus, Decision, HandoffReason, Priority, Reply,
    Suggestion, attach_handoff,
};
use crate::text::normalize;

/// Turns kept in a conversation's transcript (the oldest are dropped beyond this).
pub const MAX_TRANSCRIPT: usize = 50;

/// A conversation's state, apart from the bot: serializable, so a service can keep it in
/// a [`ConversationStore`] (in memory, or a shared store for several replicas) and apply
/// it to whichever bot is current after a reload (entries are referred to by id).
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConversationState {
    customer: Customer,
    transcript: Vec<Turn>,
    misses: u32,
    /// The suggestions of the last `clarify`, while it is open.
    shown: Vec<Suggestion>,
    /// The last answered entry, for follow-ups and rejections.
    answered: Option<Suggestion>,
    /// Candidates of the last retrieval not yet shown or rejected.
    alternatives: Vec<Suggestion>,
    /// The first handoff's reason and priority, once the conversation is handed over.
    handed_off: Option<HandedOff>,
}

/// A conversation's handoff, kept for the rest of the conversation.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct HandedOff {
    reason: HandoffReason,
    priority: Priority,
}

impl ConversationState {
    /// A fresh conversation with `customer`.
    pub fn new(customer: Customer) -> Self {
        ConversationState {
            customer,
            ..Default::default()
        }
    }

    /// The customer.
    pub fn customer(&self) -> &Customer {
        &self.customer
    }

    /// Replaces the customer's metadata, clearing what `customer` leaves out.
    pub fn set_customer(&mut self, customer: Customer) {
        self.customer = customer;
    }

    /// Changes what `customer` says (for example the channel, mid-conversation) and keeps
    /// the rest: a message that leaves out the customer's id, tier or channel keeps the
    /// ones sent before.
    pub fn update_customer(&mut self, customer: &Customer) {
        let Customer { id, tier, channel } = customer;
        if id.is_some() {
            self.customer.id.clone_from(id);
        }
        if tier.is_some() {
            self.customer.tier.clone_from(tier);
        }
        if channel.is_some() {
            self.customer.channel = *channel;
        }
    }

    /// Whether the conversation has been handed over to a person (every reply from the
    /// first `handoff` on has `status: handed_off`).
    pub fn is_handed_off(&self) -> bool {
        self.handed_off.is_some()
    }

    /// Bytes of text the state holds (messages, replies, suggestions): about its memory.
    pub fn text_bytes(&self) -> usize {
        let turns: usize = self
            .transcript
            .iter()
            .map(|t| {
                64 + t.reply_id.len()
                    + t.customer.len()
                    + t.bot.len()
                    + t.decision.len()
                    + t.entry_id.as_ref().map_or(0, String::len)
            })
            .sum();
        let suggestions: usize = self
            .shown
            .iter()
            .chain(&self.alternatives)
            .chain(&self.answered)
            .map(|s| 32 + s.entry_id.len() + s.question.len())
            .sum();
        let customer = self.customer.id.as_ref().map_or(0, String::len)
            + self.customer.tier.as_ref().map_or(0, String::len);
        256 + customer + turns + suggestions
    }

    /// The transcript, oldest first (at most [`MAX_TRANSCRIPT`] turns).
    pub fn transcript(&self) -> &[Turn] {
        &self.transcript
    }

    /// Unanswered turns in a row.
    pub fn misses(&self) -> u32 {
        self.misses
    }

    /// Replies to `message` with `bot`, updating the state.
    pub fn ask(&mut self, bot: &Bot, message: &str) -> Reply {
        let start = std::time::Instant::now();
        // A long message is cut before it is read or kept in the transcript.
        let (message, truncated_from) = cut_message(message);
        let policy = bot.config().tier_policy(self.customer.tier.as_deref());
        let channel = self.customer.channel;
        let mut rejected_turn = false;
        let mut with_agent = false;
        let mut reply = if let Some(r) = self.pick(bot, message, channel) {
            r
        } else if (!self.shown.is_empty() || self.answered.is_some()) && bot.is_rejection(message) {
            rejected_turn = true;
            self.reject(bot, message, &policy)
        } else if let Some(d) = self.handed_off.and_then(|h| {
            let refers_back = bot.is_rejection(message) || pick::looks_like_pick(message);
            turn::after_handoff(h.reason, h.priority, refers_back)
        }) {
            with_agent = true;
            bare_reply(message, d)
        } else {
            self.fresh(bot, message, &policy)
        };

        // Misses in a row, and the tier's least priority.
        if !with_agent {
            self.misses =
                turn::count_misses(&mut reply.decision, rejected_turn, self.misses, &policy);
        }

        reply.text = policy::customer_text(&reply.decision, channel);

        // What the next message may refer to.
        match &reply.decision {
            Decision::Answer {
                entry_id, question, ..
            } => {
                self.shown.clear();
                self.answered = Some(Suggestion {
                    entry_id: entry_id.clone(),
                    question: question.clone(),
                    confidence: reply.confidence,
                });
                self.alternatives.retain(|a| a.entry_id != *entry_id);
            }
            Decision::Clarify { suggestions } => {
                self.shown = suggestions.clone();
                self.answered = None;
                self.alternatives
                    .retain(|a| suggestions.iter().all(|s| s.entry_id != a.entry_id));
            }
            Decision::SmallTalk { .. } => {}
            Decision::Handoff {
                reason, priority, ..
            } => {
                self.shown.clear();
                self.answered = None;
                self.handed_off.get_or_insert(HandedOff {
                    reason: *reason,
                    priority: *priority,
                });
            }
        }

        self.transcript.push(Turn {
            ts_ms: now_ms(),
            reply_id: reply.id.clone(),
            customer: message.to_string(),
            bot: reply.text.clone(),
            decision: reply.decision.kind().to_string(),
            entry_id: reply.answer_id().map(str::to_string),
            confidence: reply.confidence,
        });
        if self.transcript.len() > MAX_TRANSCRIPT {
            let extra = self.transcript.len() - MAX_TRANSCRIPT;
            self.transcript.drain(..extra);
        }
        let transcript = self.transcript.clone();
        attach_handoff(&mut reply, &self.customer, transcript, &self.alternatives);
        if self.handed_off.is_some() {
            reply.status = ConversationStatus::HandedOff;
        }
        reply.elapsed_us = start.elapsed().as_micros().min(u64::MAX as u128) as u64;
        reply.truncated_from = truncated_from;
        reply
    }

    /// A pick among the open suggestions, answered.
    fn pick(&mut self, bot: &Bot, message: &str, channel: Option<Channel>) -> Option<Reply> {
        let i = pick::picked(message, &self.shown)?;
        let chosen = self.shown[i].clone();
        let (answer, category) = bot.render_entry(&chosen.entry_id, channel)?;
        let mut reply = bare_reply(message, turn::answer_pick(&chosen, answer, category));
        reply.confidence = chosen.confidence;
        reply.context = Some(Context {
            kind: ContextKind::PickedSuggestion,
            read_as: chosen.question.clone(),
        });
        // The other suggestions stay available for a later "不是这个".
        let others: Vec<Suggestion> = self
            .shown
            .iter()
            .filter(|s| s.entry_id != chosen.entry_id)
            .cloned()
            .collect();
        self.alternatives.splice(0..0, others);
        Some(reply)
    }

    /// "不是这个": the next candidates, or a handoff when none is left.
    fn reject(&mut self, bot: &Bot, message: &str, policy: &TierPolicy) -> Reply {
        let decision = turn::after_rejection(&self.alternatives, &bot.config().clarify, policy);
        let mut reply = bare_reply(message, decision);
        if let Decision::Clarify { suggestions } = &reply.decision {
            reply.confidence = suggestions.first().map_or(0.0, |s| s.confidence);
        }
        let rejected = self
            .answered
            .as_ref()
            .map(|a| a.question.clone())
            .unwrap_or_else(|| {
                self.shown
                    .iter()
                    .map(|s| s.question.as_str())
                    .collect::<Vec<_>>()
                    .join(" / ")
            });
        reply.context = Some(Context {
            kind: ContextKind::NextCandidate,
            read_as: rejected,
        });
        reply
    }

    /// A new question, possibly a follow-up of the last answer.
    fn fresh(&mut self, bot: &Bot, message: &str, policy: &TierPolicy) -> Reply {
        let channel = self.customer.channel;
        let t = &policy.thresholds;
        let raw = bot.reply_to(message, channel, t);
        let from_words_alone = !matches!(
            raw.decision,
            Decision::Answer { .. }
                | Decision::Clarify { .. }
                | Decision::Handoff {
                    reason: HandoffReason::LowConfidence,
                    ..
                }
        );
        if matches!(raw.decision, Decision::SmallTalk { .. })
            || matches!(
                raw.decision,
                Decision::Handoff {
                    reason: HandoffReason::EmptyQuery,
                    ..
                }
            )
        {
            return raw; // keep the context for the next message
        }
        let follow_up = self.answered.take().filter(|_| {
            let max = bot.config().conversation.follow_up_max_chars;
            !from_words_alone && small_talk_key(message).chars().count() <= max
        });
        let own_words = topic_words(bot, message);
        let mut reply = raw;
        if let Some(prev) = follow_up {
            // Two readings: the answered question's topic words with the message, and the
            // whole answered question with the message; the answered entry itself is left
            // out (a follow-up asks something new about the same topic).
            let topic = topic_words(bot, &prev.question);
            let mut readings = vec![format!("{} {}", prev.question, message)];
            if !topic.is_empty() {
                readings.insert(0, format!("{topic} {message}"));
            }
            for read_as in readings {
                let contextual = bot.reply_excluding(
                    &read_as,
                    channel,
                    t,
                    Some(&prev.entry_id),
                    REPLY_CANDIDATES,
                );
                let candidates = contextual.candidates;
                let confidence = candidates.first().map(|c| c.confidence).unwrap_or(0.0);
                // The message's own words must be in the entry's questions too: context
                // narrows down what the words mean, it does not replace them.
                let supported = candidates
                    .first()
                    .is_some_and(|top| words_in_entry(bot, &own_words, &top.entry_id));
                if supported && confidence > reply.confidence {
                    reply.decision = bot.decide(&candidates, t, channel);
                    reply.confidence = confidence;
                    reply.candidates = candidates;
                    reply.context = Some(Context {
                        kind: ContextKind::FollowUp,
                        read_as,
                    });
                }
            }
        }
        if !from_words_alone {
            self.alternatives = reply
                .candidates
                .iter()
                .map(Candidate::to_suggestion)
                .collect();
        }
        reply
    }
}

/// Question words that say how something is asked, not what about.
const QUESTION_WORDS: &[&str] = &[
    "怎么",
    "怎样",
    "怎么样",
    "如何",
    "什么",
    "多少",
    "哪些",
    "哪里",
    "哪个",
    "哪",
    "几",
    "能",
    "能否",
    "可以",
    "可不可以",
    "是否",
    "吗",
    "呢",
    "为什么",
    "要",
    "需要",
    "有",
    "是",
];

/// The words of a question that name its topic: its terms without question words.
fn topic_words(bot: &Bot, question: &str) -> String {
    bot.analyzer()
        .analyze(question)
        .terms
        .iter()
        .filter(|t| !QUESTION_WORDS.contains(&t.as_str()))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether one of `words` (space-separated) occurs in a question of entry `id`, or
/// `words` is empty (a message of question words only, such as "怎么办").
fn words_in_entry(bot: &Bot, words: &str, id: &str) -> bool {
    let Some(entry) = bot.knowledge().entry(id) else {
        return false;
    };
    if words.is_empty() {
        return true;
    }
    let questions: Vec<String> = entry
        .variants()
        .map(|v| normalize(v).replace(' ', ""))
        .collect();
    words
        .split(' ')
        .any(|w| questions.iter().any(|q| q.contains(w)))
}

/// A reply to `message` with `decision` and nothing else yet.
fn bare_reply(message: &str, decision: Decision) -> Reply {
    Reply {
        id: reply_id(),
        query: message.to_string(),
        decision,
        confidence: 0.0,
        candidates: Vec::new(),
        elapsed_us: 0,
        handoff: None,
        context: None,
        text: String::new(),
        status: ConversationStatus::Open,
        truncated_from: None,
    }
}

impl Bot {
    /// A conversation with an anonymous customer: state across messages (picking a
    /// suggestion, "不是这个", misses in a row, follow-ups). See [`Conversation`].
    pub fn conversation(&self) -> Conversation<'_> {
        Conversation::new(self, Customer::default())
    }

    /// A conversation with a known customer (id, tier, channel).
    pub fn conversation_with(&self, customer: Customer) -> Conversation<'_> {
        Conversation::new(self, customer)
    }
}

/// A conversation with one customer over a borrowed [`Bot`]: see the [module
/// docs](self).
#[derive(Debug)]
pub struct Conversation<'a> {
    bot: &'a Bot,
    state: ConversationState,
}

impl<'a> Conversation<'a> {
    /// A new conversation with `customer`.
    pub fn new(bot: &'a Bot, customer: Customer) -> Self {
        Conversation {
            bot,
            state: ConversationState::new(customer),
        }
    }

    /// Resumes a conversation from its state.
    pub fn resume(bot: &'a Bot, state: ConversationState) -> Self {
        Conversation { bot, state }
    }

    /// Replies to the customer's next message.
    pub fn ask(&mut self, message: &str) -> Reply {
        self.state.ask(self.bot, message)
    }

    /// The state (customer, transcript, misses).
    pub fn state(&self) -> &ConversationState {
        &self.state
    }

    /// The transcript so far.
    pub fn transcript(&self) -> &[Turn] {
        self.state.transcript()
    }

    /// Ends the conversation, returning its state.
    pub fn into_state(self) -> ConversationState {
        self.state
    }
}
#[cfg(test)]
#[path = "turn_tests.rs"]
mod turn_tests;
