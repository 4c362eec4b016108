//! The rules a conversation adds to a message's own decision (steps 8–12 of the
//! [policy](super)): picks, rejections, misses in a row, the customer's tier, and what a
//! handed-over conversation no longer answers.
//!
//! Pure functions of data: the conversation keeps the state (open suggestions, the last
//! answer, the count of misses) and asks these rules what a turn becomes.

use crate::config::{ClarifyOptions, TierPolicy};
use crate::priority::Priority;
use crate::reply::{Decision, HandoffReason, Suggestion};

/// Step 8: the customer picked `chosen` among the open suggestions: answer it.
pub(crate) fn answer_pick(chosen: &Suggestion, answer: String, category: String) -> Decision {
    Decision::Answer {
        entry_id: chosen.entry_id.clone(),
        question: chosen.question.clone(),
        answer,
        category,
    }
}

/// Step 9: the customer rejected the previous answer or suggestions ("不是这个"): offer the
/// next `alternatives` (those with at least `clarify.min_confidence`, at most
/// `clarify.max_suggestions`), or, when none is left, hand over with `repeated_failure`.
pub(crate) fn after_rejection(
    alternatives: &[Suggestion],
    clarify: &ClarifyOptions,
    tier: &TierPolicy,
) -> Decision {
    let next: Vec<Suggestion> = alternatives
        .iter()
        .filter(|a| a.confidence >= clarify.min_confidence)
        .take(clarify.max_suggestions)
        .cloned()
        .collect();
    if next.is_empty() {
        Decision::Handoff {
            reason: HandoffReason::RepeatedFailure,
            priority: Priority::Normal.max(tier.min_priority),
            detail: Some("the customer rejected the reply and no other candidate is left".into()),
        }
    } else {
        Decision::Clarify { suggestions: next }
    }
}

/// Whether a decision leaves the customer's question unanswered (a `clarify` or a
/// `low_confidence` handoff).
pub(crate) fn is_miss(d: &Decision) -> bool {
    matches!(
        d,
        Decision::Clarify { .. }
            | Decision::Handoff {
                reason: HandoffReason::LowConfidence,
                ..
            }
    )
}

/// Steps 10 and 11 on the turn's `decision`, with `misses` unanswered turns in a row
/// before it; returns the count after it.
///
/// * A miss ([`is_miss`], or a rejection: `rejected`) counts one more; at the tier's
///   `max_misses` the turn becomes a `repeated_failure` handoff. An answer starts the count
///   again; small talk and empty messages leave it as it is.
/// * A handoff is at least the tier's `min_priority`.
/// * A handoff other than `low_confidence` calls an agent, so counting starts again.
pub(crate) fn count_misses(
    decision: &mut Decision,
    rejected: bool,
    misses: u32,
    tier: &TierPolicy,
) -> u32 {
    let mut misses = misses;
    if rejected || is_miss(decision) {
        misses += 1;
        if misses >= tier.max_misses {
            *decision = Decision::Handoff {
                reason: HandoffReason::RepeatedFailure,
                priority: Priority::Normal,
                detail: Some(format!("{misses} unanswered turn(s) in a row")),
            };
        }
    } else if matches!(decision, Decision::Answer { .. }) {
        misses = 0;
    }
    if let Decision::Handoff {
        priority, reason, ..
    } = decision
    {
        *priority = (*priority).max(tier.min_priority);
        if *reason != HandoffReason::LowConfidence {
            misses = 0;
        }
    }
    misses
}

/// Step 12: in a conversation already handed over to a person (with `reason` and
/// `priority`), a rejection ("不是这个") or a pick ("2", "第二个") refers to suggestions the
/// conversation no longer has: it is not answered from the FAQ but stays with the agent,
/// as a handoff with the conversation's reason and priority. Other messages (`None`) are
/// read as usual.
pub(crate) fn after_handoff(
    reason: HandoffReason,
    priority: Priority,
    rejection_or_pick: bool,
) -> Option<Decision> {
    rejection_or_pick.then(|| Decision::Handoff {
        reason,
        priority,
        detail: Some("the conversation is already handed over to an agent".into()),
    })
}

/// A handoff because wenda could not search (`detail`: the error).
pub(crate) fn internal_error(detail: String) -> Decision {
    Decision::Handoff {
        reason: HandoffReason::InternalError,
        priority: Priority::Normal,
        detail: Some(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Thresholds;

    fn tier(max_misses: u32, min_priority: Priority) -> TierPolicy {
        TierPolicy {
            thresholds: Thresholds::default(),
            max_misses,
            min_priority,
        }
    }

    fn sug(id: &str, confidence: f64) -> Suggestion {
        Suggestion {
            entry_id: id.into(),
            question: format!("{id}?"),
            confidence,
        }
    }

    #[test]
    fn misses_in_a_row_become_a_repeated_failure() {
        let t = tier(2, Priority::Low);
        let mut d = Decision::Clarify {
            suggestions: vec![sug("a", 0.4)],
        };
        assert_eq!(count_misses(&mut d, false, 0, &t), 1);
        assert_eq!(d.kind(), "clarify");
        // The second miss hands over, and the handoff resets nothing (it is a failure).
        let n = count_misses(&mut d, false, 1, &t);
        assert!(matches!(
            d,
            Decision::Handoff {
                reason: HandoffReason::RepeatedFailure,
                ..
            }
        ));
        assert_eq!(n, 0, "an agent is called: counting starts again");
    }

    #[test]
    fn answers_reset_and_small_talk_keeps_the_count() {
        let t = tier(3, Priority::Low);
        let mut answer = answer_pick(&sug("a", 0.9), "ans".into(), "cat".into());
        assert_eq!(count_misses(&mut answer, false, 2, &t), 0);
        let mut chat = Decision::SmallTalk {
            intent: "greeting".into(),
            reply: "您好".into(),
        };
        assert_eq!(count_misses(&mut chat, false, 2, &t), 2);
        // A rejection counts even though its decision (a clarify) would too.
        let mut next = after_rejection(&[sug("b", 0.3)], &ClarifyOptions::default(), &t);
        assert_eq!(count_misses(&mut next, true, 0, &t), 1);
    }

    #[test]
    fn low_confidence_handoffs_keep_counting_and_tiers_raise_priority() {
        let t = tier(5, Priority::High);
        let mut low = Decision::Handoff {
            reason: HandoffReason::LowConfidence,
            priority: Priority::Normal,
            detail: None,
        };
        assert_eq!(count_misses(&mut low, false, 1, &t), 2);
        assert!(matches!(
            low,
            Decision::Handoff {
                priority: Priority::High,
                ..
            }
        ));
    }

    #[test]
    fn after_a_handoff_rejections_and_picks_stay_with_the_agent() {
        let d = after_handoff(HandoffReason::AskedForHuman, Priority::High, true);
        assert!(matches!(
            d,
            Some(Decision::Handoff {
                reason: HandoffReason::AskedForHuman,
                priority: Priority::High,
                ..
            })
        ));
        assert_eq!(
            after_handoff(HandoffReason::AskedForHuman, Priority::High, false),
            None
        );
    }

    #[test]
    fn rejections_offer_what_is_left_or_hand_over() {
        let t = tier(2, Priority::Normal);
        let opts = ClarifyOptions::default();
        let left = [
            sug("a", 0.5),
            sug("b", 0.01),
            sug("c", 0.2),
            sug("d", 0.1),
            sug("e", 0.1),
        ];
        match after_rejection(&left, &opts, &t) {
            Decision::Clarify { suggestions } => {
                let ids: Vec<_> = suggestions.iter().map(|s| s.entry_id.as_str()).collect();
                assert_eq!(ids, ["a", "c", "d"], "min confidence, then at most 3");
            }
            other => panic!("expected clarify, got {other:?}"),
        }
        let high = tier(2, Priority::High);
        assert!(matches!(
            after_rejection(&[sug("b", 0.01)], &opts, &high),
            Decision::Handoff {
                reason: HandoffReason::RepeatedFailure,
                priority: Priority::High,
                ..
            }
        ));
    }
}
