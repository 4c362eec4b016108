//! Conversation scenarios end to end on the tests' own knowledge base (`tests/fixtures/mini-kb`).

use wenda::{ContextKind, Customer, Decision, HandoffReason, Priority};

use super::common::fixture_bot;

fn clarify_ids(d: &Decision) -> Vec<String> {
    match d {
        Decision::Clarify { suggestions } => {
            suggestions.iter().map(|s| s.entry_id.clone()).collect()
        }
        other => panic!("expected clarify, got {other:?}"),
    }
}

#[test]
fn clarify_then_pick_by_number_ordinal_or_text() {
    let bot = fixture_bot();
    for (pick, index) in [("2", 1), ("第二个", 1), ("第1个", 0), ("1", 0)] {
        let mut chat = bot.conversation();
        let r = chat.ask("费用怎么算");
        let ids = clarify_ids(&r.decision);
        assert!(ids.len() > index, "{ids:?}");
        let r = chat.ask(pick);
        assert_eq!(r.answer_id(), Some(ids[index].as_str()), "{pick}");
        assert_eq!(
            r.context.as_ref().map(|c| c.kind),
            Some(ContextKind::PickedSuggestion)
        );
        assert_eq!(chat.state().misses(), 0);
    }
    // By the suggestion's text.
    let mut chat = bot.conversation();
    let r = chat.ask("费用怎么算");
    let Decision::Clarify { suggestions } = &r.decision else {
        panic!("{r:?}")
    };
    let last = suggestions.last().expect("suggestions").clone();
    let r = chat.ask(&last.question);
    assert_eq!(r.answer_id(), Some(last.entry_id.as_str()));
}

#[test]
fn rejecting_an_answer_offers_the_next_candidates_then_hands_over() {
    let bot = fixture_bot();
    let mut chat = bot.conversation();
    // A short question answered with room for doubt: the next candidates are plausible.
    let first = chat.ask("发票");
    assert_eq!(first.answer_id(), Some("invoice-electronic"));
    let r = chat.ask("不是这个");
    assert_eq!(
        r.context.as_ref().map(|c| c.kind),
        Some(ContextKind::NextCandidate)
    );
    let ids = clarify_ids(&r.decision);
    assert!(!ids.contains(&"invoice-electronic".to_string()), "{ids:?}");
    assert_eq!(chat.state().misses(), 1);
    // Rejecting again is the second miss in a row.
    let r = chat.ask("都不是");
    assert_eq!(r.handoff_reason(), Some(HandoffReason::RepeatedFailure));
    let h = r.handoff.expect("handoff package");
    assert_eq!(h.transcript.len(), 3);
    assert_eq!(h.transcript[0].customer, "发票");
    assert_eq!(
        h.transcript[0].entry_id.as_deref(),
        Some("invoice-electronic")
    );
    assert!(!h.best_guesses.is_empty());

    // Rejecting a confident answer whose runners-up are implausible goes to a person at once.
    let mut chat = bot.conversation();
    assert_eq!(chat.ask("套餐").answer_id(), Some("plan-change"));
    let r = chat.ask("不是这个");
    assert_eq!(r.handoff_reason(), Some(HandoffReason::RepeatedFailure));
}

#[test]
fn two_misses_in_a_row_hand_over() {
    let bot = fixture_bot();
    let mut chat = bot.conversation();
    let r1 = chat.ask("今天天气怎么样");
    assert!(
        matches!(
            r1.decision,
            Decision::Clarify { .. }
                | Decision::Handoff {
                    reason: HandoffReason::LowConfidence,
                    ..
                }
        ),
        "{:?}",
        r1.decision
    );
    let r2 = chat.ask("我想问个事");
    assert_eq!(
        r2.handoff_reason(),
        Some(HandoffReason::RepeatedFailure),
        "{:?}",
        r2.decision
    );
    let h = r2.handoff.expect("package");
    assert_eq!(h.transcript.len(), 2);
    assert_eq!(h.transcript[1].customer, "我想问个事");
    // An answer in between resets the count.
    let mut chat = bot.conversation();
    chat.ask("今天天气怎么样");
    assert_eq!(chat.ask("怎么交话费").answer_id(), Some("bill-pay"));
    assert_ne!(
        chat.ask("我想问个事").handoff_reason(),
        Some(HandoffReason::RepeatedFailure)
    );
}

#[test]
fn asking_for_a_person_hands_over_with_the_transcript_and_guesses() {
    let bot = fixture_bot();
    let mut chat = bot.conversation_with(Customer {
        id: Some("u-1001".into()),
        ..Customer::default()
    });
    chat.ask("你好");
    chat.ask("手机号怎么注销");
    let r = chat.ask("转人工，我要注销手机号");
    assert_eq!(r.handoff_reason(), Some(HandoffReason::AskedForHuman));
    let h = r.handoff.expect("package");
    assert_eq!(h.priority, Priority::Normal);
    assert_eq!(h.customer.id.as_deref(), Some("u-1001"));
    let said: Vec<_> = h.transcript.iter().map(|t| t.customer.as_str()).collect();
    assert_eq!(said, ["你好", "手机号怎么注销", "转人工，我要注销手机号"]);
    assert_eq!(h.best_guesses[0].entry_id, "account-close");
}

#[test]
fn a_complaint_to_the_regulator_is_high_priority() {
    let bot = fixture_bot();
    let mut chat = bot.conversation();
    let r = chat.ask("你们再乱扣费我就去工信部投诉");
    assert_eq!(r.handoff_reason(), Some(HandoffReason::Sensitive));
    assert_eq!(r.handoff.expect("package").priority, Priority::High);
    // Asking how to complain is an FAQ question, not a handoff.
    let r = bot.conversation().ask("怎么投诉");
    assert_ne!(r.decision.kind(), "handoff", "{:?}", r.decision);
}

#[test]
fn a_short_follow_up_is_read_with_the_previous_topic() {
    let bot = fixture_bot();
    let mut chat = bot.conversation();
    assert_eq!(
        chat.ask("出国漫游怎么开通").answer_id(),
        Some("roaming-open")
    );
    let r = chat.ask("那费用呢？");
    assert_eq!(
        r.context.as_ref().map(|c| c.kind),
        Some(ContextKind::FollowUp)
    );
    assert_eq!(r.top_id(), Some("roaming-fee"));
    // The same words without the context are read on their own.
    let alone = bot.conversation().ask("那费用呢？");
    assert!(alone.context.is_none());
    assert!(alone.confidence < r.confidence);

    let mut chat = bot.conversation();
    assert_eq!(
        chat.ask("怎么开话费发票").answer_id(),
        Some("invoice-electronic")
    );
    let r = chat.ask("多久能收到");
    assert_eq!(r.top_id(), Some("invoice-not-received"), "{:?}", r.decision);
}

#[test]
fn vip_customers_reach_a_person_sooner_and_first() {
    let bot = fixture_bot();
    let vip = Customer {
        tier: Some("vip".into()),
        ..Customer::default()
    };
    // Where a regular customer gets suggestions, a VIP (clarify threshold 0.4, one miss)
    // goes to a person at once, at high priority.
    let question = "费用怎么算";
    let regular = bot.conversation().ask(question);
    assert_eq!(regular.decision.kind(), "clarify", "{:?}", regular.decision);
    assert_ne!(
        regular.handoff_reason(),
        Some(HandoffReason::RepeatedFailure)
    );
    let r = bot.conversation_with(vip.clone()).ask(question);
    assert_eq!(r.decision.kind(), "handoff", "{:?}", r.decision);
    let h = r.handoff.expect("package");
    assert_eq!(h.priority, Priority::High);
    assert_eq!(h.customer.tier.as_deref(), Some("vip"));
    // Answers are unchanged.
    let mut chat = bot.conversation_with(vip);
    assert_eq!(chat.ask("怎么交话费").answer_id(), Some("bill-pay"));
    assert_eq!(
        chat.ask("转人工").handoff.expect("p").priority,
        Priority::High
    );
}

#[test]
fn small_talk_gets_a_friendly_reply_not_an_faq_answer() {
    let bot = fixture_bot();
    let mut chat = bot.conversation();
    for (text, intent) in [
        ("你好", "greeting"),
        ("谢谢！", "thanks"),
        ("你是机器人吗", "bot_identity"),
        ("再见", "goodbye"),
    ] {
        let r = chat.ask(text);
        match &r.decision {
            Decision::SmallTalk { intent: got, reply } => {
                assert_eq!(got, intent);
                assert!(!reply.is_empty());
            }
            other => panic!("{text}: {other:?}"),
        }
        assert!(r.handoff.is_none());
    }
    assert_eq!(chat.state().misses(), 0);
    // A greeting before a question does not hide the question.
    assert_eq!(bot.ask("你好，怎么交话费").answer_id(), Some("bill-pay"));
}

#[test]
fn every_channel_gets_the_same_content() {
    let bot = fixture_bot();
    let options = &bot.config().channels;
    for (question, id) in [
        ("话费发票去哪里开", "invoice-electronic"),
        ("国际漫游怎么收费", "roaming-fee"),
    ] {
        let entry = bot.knowledge().entry(id).expect("entry");
        for channel in wenda::Channel::ALL {
            let mut chat = bot.conversation_with(Customer {
                channel: Some(channel),
                ..Customer::default()
            });
            let r = chat.ask(question);
            assert_eq!(r.answer_id(), Some(id), "{channel}");
            let Decision::Answer { answer, .. } = &r.decision else {
                unreachable!()
            };
            assert_eq!(
                answer,
                &wenda::channel::render(entry, Some(channel), options)
            );
            match (channel, entry.channels.get(&channel)) {
                (_, Some(own)) => assert_eq!(answer, own),
                (wenda::Channel::Sms, None) => {
                    assert!(answer.chars().count() <= options.sms_max_chars, "{answer}");
                    let head: String = answer.chars().take(20).collect();
                    assert!(entry.answer.starts_with(&head), "{answer}");
                }
                (wenda::Channel::Voice, None) => {
                    assert!(
                        !answer.contains("http") && !answer.contains('*'),
                        "{answer}"
                    )
                }
                (_, None) => assert_eq!(answer, &entry.answer),
            }
        }
    }
}

#[test]
fn state_survives_serialization() {
    let bot = fixture_bot();
    let mut chat = bot.conversation();
    let r = chat.ask("费用怎么算");
    let ids = clarify_ids(&r.decision);
    let json = serde_json::to_string(chat.state()).expect("serializes");
    let state: wenda::ConversationState = serde_json::from_str(&json).expect("deserializes");
    let mut resumed = wenda::Conversation::resume(bot, state);
    assert_eq!(resumed.ask("1").answer_id(), Some(ids[0].as_str()));
}

#[test]
fn a_ten_megabyte_message_is_cut_and_says_so() {
    let bot = super::common::fixture_bot();
    let long = format!("流量怎么查{}", "啊".repeat(10 << 20));
    let reply = bot.ask(&long);
    assert_eq!(reply.truncated_from, Some(long.chars().count()));
    assert_eq!(reply.query.chars().count(), wenda::MAX_MESSAGE_CHARS);
    let mut chat = bot.conversation();
    let reply = chat.ask(&long);
    assert_eq!(reply.truncated_from, Some(long.chars().count()));
    assert!(
        chat.transcript()
            .iter()
            .all(|t| t.customer.chars().count() <= wenda::MAX_MESSAGE_CHARS)
    );
    assert_eq!(bot.ask("流量怎么查").truncated_from, None);
}
