//! What `ask` returns: the decision, the confidence, and the evidence behind them.
//!
//! Serialized with serde, the JSON is stable (fields are only ever added):
//!
//! ```json
//! {
//!   "id": "r-dpjbmaceahne-1a",
//!   "query": "车撞了怎么报案",
//!   "decision": {"type": "answer", "entry_id": "claim-report", "question": "…", "answer": "…", "category": "…"},
//!   "confidence": 0.93,
//!   "candidates": [{"entry_id": "claim-report", "question": "…", "matched": "…", "category": "…",
//!                   "score": 4.1, "confidence": 0.93, "features": {"bm25": 1.0, "…": 0.0}}],
//!   "elapsed_us": 412,
//!   "text": "…",
//!   "status": "open"
//! }
//! ```
//!
//! `decision.type` is `answer`, `clarify` (with `suggestions`), `handoff` (with `reason`,
//! `priority` and, for a trigger word or an error, `detail`) or `small_talk` (with
//! `intent` and `reply`: a greeting, thanks, a goodbye… answered from `smalltalk.toml`).
//! A `handoff` reply also carries `handoff`, the [`Handoff`] package for the agent; a reply
//! in a conversation that was read differently from its words carries `context`.
//! `text` is what to show or say to the customer for the requested channel: the answer,
//! the small-talk reply, the numbered "您是不是想问：" list of a `clarify` (one line on
//! `sms`, spoken on `voice`) or the handoff line. `status` is `open`, or `handed_off` in every reply of a conversation from its first
//! `handoff` on ([`ConversationStatus`]).

use serde::{Deserialize, Serialize};

use crate::model::Features;
pub use crate::priority::Priority;

mod handoff;
pub(crate) use handoff::attach_handoff;
pub use handoff::{Customer, Handoff, Turn};

/// Why a conversation goes to a human.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// No entry is likely enough to be right.
    LowConfidence,
    /// The customer asked for a person (`转人工`).
    AskedForHuman,
    /// A complaint threatening the regulator, the media or the courts.
    Sensitive,
    /// Nothing to answer: empty, whitespace, punctuation or emoji only.
    EmptyQuery,
    /// Several unanswered turns in a row in one conversation.
    RepeatedFailure,
    /// wenda could not search (the error is in `detail`); a person should take over
    /// rather than the customer waiting for a robot.
    InternalError,
}

impl HandoffReason {
    /// The reason as written in JSON (`low_confidence`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffReason::LowConfidence => "low_confidence",
            HandoffReason::AskedForHuman => "asked_for_human",
            HandoffReason::Sensitive => "sensitive",
            HandoffReason::EmptyQuery => "empty_query",
            HandoffReason::RepeatedFailure => "repeated_failure",
            HandoffReason::InternalError => "internal_error",
        }
    }
}

/// A "did you mean" choice.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The entry's id.
    pub entry_id: String,
    /// The entry's standard question, to show to the customer.
    pub question: String,
    /// Estimated probability that this entry is what the customer meant.
    pub confidence: f64,
}

/// What to do with the customer's message.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Decision {
    /// Show this answer.
    Answer {
        /// The entry's id.
        entry_id: String,
        /// The entry's standard question.
        question: String,
        /// The answer, for the requested channel.
        answer: String,
        /// The entry's category.
        category: String,
    },
    /// Ask which of these the customer meant.
    Clarify {
        /// Up to `clarify.max_suggestions` choices, most likely first.
        suggestions: Vec<Suggestion>,
    },
    /// A greeting, thanks, goodbye or other small talk, answered from the knowledge base's
    /// `smalltalk.toml` rather than the FAQ.
    SmallTalk {
        /// The small-talk intent's id (`greeting`, `thanks`, …).
        intent: String,
        /// The reply, for the requested channel.
        reply: String,
    },
    /// Route to a human agent.
    Handoff {
        /// Why.
        reason: HandoffReason,
        /// How urgently.
        priority: Priority,
        /// What fired: the trigger word for `asked_for_human` and `sensitive`, the error
        /// for `internal_error`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
}

impl Decision {
    /// `answer`, `clarify` or `handoff`.
    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Answer { .. } => "answer",
            Decision::Clarify { .. } => "clarify",
            Decision::Handoff { .. } => "handoff",
            Decision::SmallTalk { .. } => "small_talk",
        }
    }
}

/// A scored candidate entry, with the evidence for its score.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The entry's id.
    pub entry_id: String,
    /// The entry's standard question.
    pub question: String,
    /// The entry's question variant that matched best.
    pub matched: String,
    /// The entry's category.
    pub category: String,
    /// Ranking score (log-odds scale; higher is better).
    pub score: f64,
    /// Estimated probability that this entry is the right answer.
    pub confidence: f64,
    /// The features the score was computed from.
    pub features: Features,
}

impl Candidate {
    /// This candidate as a "did you mean" choice.
    pub(crate) fn to_suggestion(&self) -> Suggestion {
        Suggestion {
            entry_id: self.entry_id.clone(),
            question: self.question.clone(),
            confidence: self.confidence,
        }
    }
}

/// How a message in a conversation was read when not on its own words alone.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// `picked_suggestion` ("2", "第二个" or a suggestion's text after a clarify),
    /// `next_candidate` ("不是这个" after an answer or a clarify) or `follow_up` (a short
    /// message read together with the previously answered question).
    pub kind: ContextKind,
    /// The text that was matched (for `follow_up`), or the entry picked.
    pub read_as: String,
}

/// See [`Context::kind`].
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextKind {
    /// The customer picked one of the suggestions of the previous clarify.
    PickedSuggestion,
    /// The customer rejected the previous answer or suggestions.
    NextCandidate,
    /// A short follow-up read in the context of the previous answer.
    FollowUp,
}

/// Where the conversation stands after a reply (`status` in the JSON).
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// The robot is answering.
    #[default]
    Open,
    /// The conversation has been handed over to a person: this reply or an earlier one was
    /// a `handoff`. It stays so for the rest of the conversation; rejections and picks are
    /// then not answered from the FAQ (they are for the agent).
    HandedOff,
}

/// The reply to one message.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// Unique id of this reply, to send [feedback](crate::Service::feedback) about it.
    #[serde(default)]
    pub id: String,
    /// The message as received.
    pub query: String,
    /// What to do.
    pub decision: Decision,
    /// Estimated probability that the top candidate is the right answer (0 when there is
    /// none). The answer threshold applies to this number.
    pub confidence: f64,
    /// The best candidates, best first (at most 5), whatever the decision.
    pub candidates: Vec<Candidate>,
    /// Time taken, in microseconds.
    pub elapsed_us: u64,
    /// For a `handoff`: what the agent needs (reason, priority, transcript, best guesses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<Handoff>,
    /// In a conversation: how the message was read when not on its own words alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// What to show or say to the customer, for the requested channel: the answer, the
    /// small-talk reply, the "您是不是想问" list of a `clarify` or the handoff line (see
    /// `policy`'s channel forms: SMS on one line, voice spoken).
    #[serde(default)]
    pub text: String,
    /// `open`, or `handed_off` once the conversation has been handed over to a person
    /// (a single message's `handoff` reply is `handed_off` too).
    #[serde(default)]
    pub status: ConversationStatus,
    /// When the message was longer than `wenda::MAX_MESSAGE_CHARS` (10,000) characters: its
    /// length as received, in characters (`query` and matching used only its start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_from: Option<usize>,
}

impl Reply {
    /// The answered entry's id, when the decision is `answer`.
    pub fn answer_id(&self) -> Option<&str> {
        match &self.decision {
            Decision::Answer { entry_id, .. } => Some(entry_id),
            _ => None,
        }
    }

    /// The handoff reason, when the decision is `handoff`.
    pub fn handoff_reason(&self) -> Option<HandoffReason> {
        match &self.decision {
            Decision::Handoff { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The top candidate's entry id, whatever the decision.
    pub fn top_id(&self) -> Option<&str> {
        self.candidates.first().map(|c| c.entry_id.as_str())
    }
}
