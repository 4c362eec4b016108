//! The package an agent gets with a handoff: who the customer is, the transcript, and the
//! robot's best guesses.

use serde::{Deserialize, Serialize};

use super::{Candidate, ConversationStatus, Decision, HandoffReason, Reply, Suggestion};
use crate::ids::now_ms;
use crate::knowledge::Channel;
use crate::priority::Priority;

/// Who the robot is talking to. Every field is optional.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    /// The frontend's id for the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A tier configured in `wenda.toml` (`[tiers.vip]`); an unknown tier gets the general
    /// policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// The channel replies are rendered for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

/// One exchange of a transcript.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    /// Milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// The reply's id.
    pub reply_id: String,
    /// What the customer wrote.
    pub customer: String,
    /// What the robot replied (the text shown, [`Reply::text`]).
    pub bot: String,
    /// `answer`, `clarify`, `handoff` or `small_talk`.
    pub decision: String,
    /// The answered entry, for an `answer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
    /// The reply's confidence.
    pub confidence: f64,
}

/// What an agent needs to pick a conversation up: sent with every `handoff` reply.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    /// Why (as in the decision).
    pub reason: HandoffReason,
    /// How urgently (as in the decision, after the customer's tier).
    pub priority: Priority,
    /// What fired, as in the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Who, when known.
    #[serde(default)]
    pub customer: Customer,
    /// The conversation so far, oldest first, this message last.
    pub transcript: Vec<Turn>,
    /// The robot's best guesses, most likely first (entries an agent may want to send).
    pub best_guesses: Vec<Suggestion>,
}

/// Fills `reply.handoff` when the decision is a handoff: the transcript (this turn alone
/// when `transcript` is empty) and the best guesses (the reply's candidates, else
/// `fallback`); a handoff's `status` is `handed_off`.
pub(crate) fn attach_handoff(
    reply: &mut Reply,
    customer: &Customer,
    mut transcript: Vec<Turn>,
    fallback: &[Suggestion],
) {
    let Decision::Handoff {
        reason,
        priority,
        detail,
    } = &reply.decision
    else {
        reply.handoff = None;
        return;
    };
    reply.status = ConversationStatus::HandedOff;
    if transcript.is_empty() {
        transcript.push(Turn {
            ts_ms: now_ms(),
            reply_id: reply.id.clone(),
            customer: reply.query.clone(),
            bot: reply.text.clone(),
            decision: "handoff".into(),
            entry_id: None,
            confidence: reply.confidence,
        });
    }
    let mut best_guesses: Vec<Suggestion> = reply
        .candidates
        .iter()
        .take(3)
        .map(Candidate::to_suggestion)
        .collect();
    if best_guesses.is_empty() {
        best_guesses = fallback.iter().take(3).cloned().collect();
    }
    reply.handoff = Some(Handoff {
        reason: *reason,
        priority: *priority,
        detail: detail.clone(),
        customer: customer.clone(),
        transcript,
        best_guesses,
    });
}
