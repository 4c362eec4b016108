//! From confidence and trigger words to a [`Decision`].
//!
//! In order:
//! 1. nothing to match (empty, whitespace, punctuation or emoji only) → `handoff`
//!    `empty_query`, low priority;
//! 2. a `sensitive` trigger → `handoff` `sensitive`, high priority;
//! 3. an `asked_for_human` trigger → `handoff` `asked_for_human`, normal priority;
//! 4. the whole message is small talk (`smalltalk.toml`: 你好, 谢谢, 你是机器人吗…) →
//!    `small_talk` with the intent's reply;
//! 5. top confidence ≥ `thresholds.answer` → `answer`, unless at least
//!    `thresholds.unknown_words` of the question's words (idf-weighted) occur nowhere in the
//!    knowledge base (then at most a clarify);
//! 6. top confidence ≥ `thresholds.clarify` → `clarify` with up to
//!    `clarify.max_suggestions` entries whose confidence is at least
//!    `clarify.min_confidence`, most confident first;
//! 7. otherwise → `handoff` `low_confidence`, normal priority.
//!
//! In a conversation ([`turn`]), on top of that:
//! 8. a pick among the open suggestions ("2", "第二个", a suggestion's text) → `answer`
//!    that entry;
//! 9. a rejection ("不是这个") after an answer or a clarify → `clarify` with the next
//!    candidates, or `handoff` `repeated_failure` when none is left;
//! 10. the tier's `max_misses` unanswered turns in a row → `handoff` `repeated_failure`;
//! 11. every handoff is at least the tier's `min_priority`;
//! 12. once handed over (`status: handed_off`), a rejection or a pick by number is not
//!     answered from the FAQ: `handoff` again, with the conversation's reason and priority.
//!
//! A search that fails → `handoff` `internal_error` ([`turn::internal_error`]).

use std::collections::{HashMap, HashSet};

use aho_corasick::AhoCorasick;

mod text;
pub(crate) mod turn;

pub(crate) use text::customer_text;

use crate::config::{Config, Thresholds};
use crate::error::{Error, Result};
use crate::knowledge::{SmallTalk, TriggerSet, Triggers, small_talk_key};
use crate::reply::{Candidate, Decision, HandoffReason, Priority, Suggestion};
use crate::text::normalize;

/// Normalized text without spaces: what triggers are matched against.
fn compact(text: &str) -> String {
    normalize(text).replace(' ', "")
}

struct CompiledSet {
    phrases: Option<AhoCorasick>,
    phrase_texts: Vec<String>,
    all_of: Vec<Vec<String>>,
    exact: HashSet<String>,
}

impl CompiledSet {
    fn new(set: &TriggerSet) -> Result<Self> {
        let phrase_texts: Vec<String> = set
            .phrases
            .iter()
            .map(|p| compact(p))
            .filter(|p| !p.is_empty())
            .collect();
        let phrases = if phrase_texts.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::new(&phrase_texts)
                    .map_err(|e| Error::Config(format!("trigger phrases: {e}")))?,
            )
        };
        Ok(CompiledSet {
            phrases,
            phrase_texts,
            all_of: set
                .all_of
                .iter()
                .map(|g| {
                    g.iter()
                        .map(|w| compact(w))
                        .filter(|w| !w.is_empty())
                        .collect()
                })
                .filter(|g: &Vec<String>| !g.is_empty())
                .collect(),
            exact: set
                .exact
                .iter()
                .map(|w| compact(w))
                .filter(|w| !w.is_empty())
                .collect(),
        })
    }

    /// The trigger that fires on `text` (compact form), if any.
    fn find(&self, text: &str) -> Option<String> {
        if self.exact.contains(text) {
            return Some(text.to_string());
        }
        if let Some(ac) = &self.phrases {
            // Overlapping matches, so that a digit phrase inside a longer number (`315` in
            // `13150`) does not hide a real match later in the message.
            for m in ac.find_overlapping_iter(text) {
                let Some(phrase) = self.phrase_texts.get(m.pattern().as_usize()) else {
                    continue;
                };
                if phrase.bytes().all(|b| b.is_ascii_digit()) {
                    let before = text[..m.start()].chars().next_back();
                    let after = text[m.end()..].chars().next();
                    if before.is_some_and(|c| c.is_ascii_digit())
                        || after.is_some_and(|c| c.is_ascii_digit())
                    {
                        continue;
                    }
                }
                return Some(phrase.clone());
            }
        }
        self.all_of
            .iter()
            .find(|g| g.iter().all(|w| text.contains(w.as_str())))
            .map(|g| g.join("+"))
    }
}

/// Normalized text with the words of a trigger taken out: `detail` as [`Policy`] reports
/// it (`转人工`, or `投诉+监管` for an `all_of` group, see [`CompiledSet::find`]).
pub(crate) fn without_trigger(normalized: &str, trigger: &str) -> String {
    let mut rest = normalized.replace(' ', "");
    for word in trigger.split('+').filter(|w| !w.is_empty()) {
        rest = rest.replace(word, " ");
    }
    rest.trim().to_string()
}

/// Thresholds and triggers, ready to decide.
pub(crate) struct Policy {
    config: Config,
    sensitive: CompiledSet,
    asked_for_human: CompiledSet,
    /// Small-talk key → (intent id, reply).
    small_talk: HashMap<String, (String, String)>,
    /// Rejection keys ("不是这个").
    rejections: HashSet<String>,
}

impl Policy {
    pub fn new(config: &Config, triggers: &Triggers, small_talk: &SmallTalk) -> Result<Self> {
        let mut phrases = HashMap::new();
        for intent in &small_talk.intents {
            for phrase in &intent.phrases {
                let key = small_talk_key(phrase);
                if !key.is_empty() {
                    phrases
                        .entry(key)
                        .or_insert_with(|| (intent.id.clone(), intent.reply.clone()));
                }
            }
        }
        Ok(Policy {
            config: config.clone(),
            sensitive: CompiledSet::new(&triggers.sensitive)?,
            asked_for_human: CompiledSet::new(&triggers.asked_for_human)?,
            small_talk: phrases,
            rejections: small_talk
                .reject
                .iter()
                .map(|r| small_talk_key(r))
                .filter(|r| !r.is_empty())
                .collect(),
        })
    }

    /// Whether the whole message rejects the previous answer ("不是这个", "没用").
    pub fn is_rejection(&self, message: &str) -> bool {
        self.rejections.contains(&small_talk_key(message))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A decision from the words alone (steps 1–4), before any retrieval.
    pub fn before_retrieval(&self, normalized: &str) -> Option<Decision> {
        let text = normalized.replace(' ', "");
        if text.is_empty() {
            return Some(Decision::Handoff {
                reason: HandoffReason::EmptyQuery,
                priority: Priority::Low,
                detail: None,
            });
        }
        if let Some(t) = self.sensitive.find(&text) {
            return Some(Decision::Handoff {
                reason: HandoffReason::Sensitive,
                priority: Priority::High,
                detail: Some(t),
            });
        }
        if let Some(t) = self.asked_for_human.find(&text) {
            return Some(Decision::Handoff {
                reason: HandoffReason::AskedForHuman,
                priority: Priority::Normal,
                detail: Some(t),
            });
        }
        self.small_talk
            .get(&small_talk_key(&text))
            .map(|(intent, reply)| Decision::SmallTalk {
                intent: intent.clone(),
                reply: reply.clone(),
            })
    }

    /// Steps 5–7 on ranked candidates (best first), with thresholds `t`. `answer` renders
    /// the answer text of an entry id.
    pub fn after_ranking(
        &self,
        candidates: &[Candidate],
        t: &Thresholds,
        answer: impl Fn(&str) -> Option<(String, String)>,
    ) -> Decision {
        let top = candidates.first();
        let confidence = top.map(|c| c.confidence).unwrap_or(0.0);
        // Most of the question's words are unknown to the knowledge base: whatever one
        // shared word matched, it asks about something else (at most a clarify).
        let mostly_unknown = top.is_some_and(|c| c.features.unknown_share >= t.unknown_words);
        if let Some(c) = top.filter(|_| confidence >= t.answer && !mostly_unknown)
            && let Some((text, category)) = answer(&c.entry_id)
        {
            return Decision::Answer {
                entry_id: c.entry_id.clone(),
                question: c.question.clone(),
                answer: text,
                category,
            };
        }
        if confidence >= t.clarify {
            let opts = &self.config.clarify;
            // Listed most confident first (the ranking order can differ a little, since
            // the calibrator weighs more than the ranking score).
            let mut ranked: Vec<&Candidate> = candidates
                .iter()
                .filter(|c| c.confidence >= opts.min_confidence)
                .collect();
            ranked.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
            let suggestions: Vec<Suggestion> = ranked
                .into_iter()
                .take(opts.max_suggestions)
                .map(|c| Suggestion {
                    entry_id: c.entry_id.clone(),
                    question: c.question.clone(),
                    confidence: c.confidence,
                })
                .collect();
            if !suggestions.is_empty() {
                return Decision::Clarify { suggestions };
            }
        }
        Decision::Handoff {
            reason: HandoffReason::LowConfidence,
            priority: Priority::Normal,
            detail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Features;

    fn policy() -> Policy {
        Policy::new(
            &Config::default(),
            &Triggers::default(),
            &SmallTalk::default(),
        )
        .unwrap()
    }

    fn reason(d: Option<Decision>) -> Option<HandoffReason> {
        match d {
            Some(Decision::Handoff { reason, .. }) => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn triggers_table() {
        let p = policy();
        let rows = [
            ("", Some(HandoffReason::EmptyQuery)),
            ("转人工", Some(HandoffReason::AskedForHuman)),
            ("我要轉人工！！", Some(HandoffReason::AskedForHuman)),
            ("人工", Some(HandoffReason::AskedForHuman)),
            ("维修的人工费怎么算", None),
            (
                "再不赔我就去银保监会投诉你们",
                Some(HandoffReason::Sensitive),
            ),
            ("我要找律师起诉你们", Some(HandoffReason::Sensitive)),
            ("投诉到监管那里去", Some(HandoffReason::Sensitive)),
            ("怎么投诉", None),
            ("车险怎么报案", None),
            // Across industries: telecom, consumer, government hotlines, media, courts.
            (
                "你们再乱扣费我就去工信部投诉",
                Some(HandoffReason::Sensitive),
            ),
            ("再不处理我打12300投诉你们", Some(HandoffReason::Sensitive)),
            ("不退款我就打12315", Some(HandoffReason::Sensitive)),
            ("我要打12345市长热线", Some(HandoffReason::Sensitive)),
            ("我去通管局申诉", Some(HandoffReason::Sensitive)),
            ("去金融监管总局投诉你们", Some(HandoffReason::Sensitive)),
            ("我要找媒体曝光", Some(HandoffReason::Sensitive)),
            ("我要去消协", Some(HandoffReason::Sensitive)),
            ("等着上315吧", Some(HandoffReason::Sensitive)),
            // Ordinary questions that only share a word or a digit run.
            ("媒体账号怎么注册", None),
            ("自媒体合作怎么联系", None),
            ("怎么投诉快递员", None),
            ("投诉进度在哪里查", None),
            ("密码可以设成123456吗", None),
            ("订单号13150这个到哪了", None),
            ("你好", None),
        ];
        for (text, want) in rows {
            assert_eq!(
                reason(p.before_retrieval(&normalize(text))),
                want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn small_talk_is_whole_message_only() {
        let p = policy();
        let intent = |text: &str| match p.before_retrieval(&normalize(text)) {
            Some(Decision::SmallTalk { intent, .. }) => Some(intent),
            _ => None,
        };
        assert_eq!(intent("你好").as_deref(), Some("greeting"));
        assert_eq!(intent("您好呀！").as_deref(), Some("greeting"));
        assert_eq!(intent("謝謝").as_deref(), Some("thanks"));
        assert_eq!(intent("你是机器人吗？").as_deref(), Some("bot_identity"));
        assert_eq!(intent("你好，车险怎么报案"), None);
        assert_eq!(intent("转人工"), None);
        assert!(p.is_rejection("不是这个！"));
        assert!(p.is_rejection("没用"));
        assert!(!p.is_rejection("没用过怎么退"));
    }

    #[test]
    fn trigger_words_are_taken_out() {
        assert_eq!(without_trigger("转人工", "转人工"), "");
        assert_eq!(without_trigger("转人工 我要退保", "转人工"), "我要退保");
        assert_eq!(without_trigger("投诉到监管那里", "投诉+监管"), "到 那里");
    }

    fn cand(id: &str, confidence: f64) -> Candidate {
        Candidate {
            entry_id: id.into(),
            question: format!("{id}?"),
            matched: String::new(),
            category: String::new(),
            score: 0.0,
            confidence,
            features: Features::default(),
        }
    }

    #[test]
    fn thresholds() {
        let p = policy();
        let answer = |_: &str| Some(("ans".to_string(), "cat".to_string()));
        let t = &Config::default().thresholds;
        let d = p.after_ranking(&[cand("a", 0.9), cand("b", 0.1)], t, answer);
        assert_eq!(d.kind(), "answer");
        let d = p.after_ranking(
            &[
                cand("a", 0.4),
                cand("b", 0.3),
                cand("c", 0.2),
                cand("d", 0.1),
                cand("e", 0.01),
            ],
            t,
            answer,
        );
        match d {
            Decision::Clarify { suggestions } => {
                let ids: Vec<_> = suggestions.iter().map(|s| s.entry_id.as_str()).collect();
                assert_eq!(ids, ["a", "b", "c"]);
            }
            other => panic!("expected clarify, got {other:?}"),
        }
        let d = p.after_ranking(&[cand("a", 0.1)], t, answer);
        assert_eq!(d.kind(), "handoff");
        assert_eq!(p.after_ranking(&[], t, answer).kind(), "handoff");
    }

    #[test]
    fn suggestions_are_listed_most_confident_first() {
        let p = policy();
        let answer = |_: &str| Some(("ans".to_string(), "cat".to_string()));
        let t = &Config::default().thresholds;
        let d = p.after_ranking(
            &[cand("a", 0.28), cand("b", 0.41), cand("c", 0.33)],
            t,
            answer,
        );
        let Decision::Clarify { suggestions } = d else {
            panic!("expected clarify, got {d:?}");
        };
        let ids: Vec<_> = suggestions.iter().map(|s| s.entry_id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "a"]);
    }

    #[test]
    fn a_question_of_mostly_unknown_words_is_not_answered() {
        let p = policy();
        let answer = |_: &str| Some(("ans".to_string(), "cat".to_string()));
        let t = &Config::default().thresholds;
        let mut c = cand("a", 0.9);
        c.features.unknown_share = 0.6;
        assert_eq!(p.after_ranking(&[c.clone()], t, answer).kind(), "clarify");
        c.features.unknown_share = 0.2;
        assert_eq!(p.after_ranking(&[c], t, answer).kind(), "answer");
    }
}
