//! End to end on the sample knowledge base (`knowledge/`): the behaviours curators and chat
//! frontends rely on.

use wenda::{AskOptions, Bot, Channel, Decision, HandoffReason, KnowledgeBase, Priority};

use super::common::{sample_bot, sample_kb_path};

#[test]
fn sample_kb_is_valid_and_large_enough() {
    let kb = KnowledgeBase::load(sample_kb_path()).expect("loads");
    assert!(kb.len() >= 80, "{} entries", kb.len());
    assert!(kb.categories().len() >= 6);
    assert!(kb.warnings().is_empty(), "{:#?}", kb.warnings());
    for e in kb.entries() {
        assert!(
            e.similar.len() >= 3,
            "entry {} has {} similar questions",
            e.id,
            e.similar.len()
        );
    }
    assert!(kb.entries().iter().any(|e| !e.channels.is_empty()));
    assert!(!kb.lexicon().dict.is_empty());
    assert!(!kb.lexicon().synonyms.is_empty());
}

/// Customer wordings that appear nowhere in the knowledge base, and the entry that answers
/// each.
const PARAPHRASES: &[(&str, &str)] = &[
    ("交强险和商业险有啥不一样", "buy-compulsory-vs-commercial"),
    ("退保要扣多少手续费", "surrender-refund-amount"),
    ("电子发票在哪里开", "invoice-electronic"),
    ("App密码忘了怎么办", "account-forgot-password"),
    ("理赔进度怎么查", "claim-progress"),
    ("家里水管爆了能赔吗", "home-pipe-burst"),
];

#[test]
fn paraphrases_are_answered_with_their_entry() {
    let bot = sample_bot();
    for &(question, want) in PARAPHRASES {
        assert!(
            bot.knowledge().entry(want).is_some(),
            "fixture names unknown entry {want}"
        );
        let r = bot.ask(question);
        assert_eq!(
            r.answer_id(),
            Some(want),
            "{question:?} → {:#?}",
            r.decision
        );
        assert!(r.confidence >= bot.config().thresholds.answer);
        let e = bot.knowledge().entry(want).unwrap();
        match &r.decision {
            Decision::Answer {
                answer, question, ..
            } => {
                assert_eq!(answer, &e.answer);
                assert_eq!(question, &e.question);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn traditional_and_full_width_forms_get_the_same_reply() {
    let bot = sample_bot();
    for (plain, variant) in [
        ("交强险和商业险有啥不一样", "交強險和商業險有啥不一樣"),
        ("退保要扣多少手续费", "退保要扣多少手續費"),
        ("App密码忘了怎么办", "ＡＰＰ密码忘了怎么办？"),
        ("电子发票在哪里开", "電子發票在哪裡開？"),
    ] {
        let a = bot.ask(plain);
        let b = bot.ask(variant);
        assert_eq!(a.decision, b.decision, "{plain:?} vs {variant:?}");
        assert_eq!(a.confidence, b.confidence, "{plain:?} vs {variant:?}");
    }
}

#[test]
fn asking_for_a_human_hands_off() {
    let bot = sample_bot();
    for q in ["转人工", "我要轉人工客服", "人工", "别让机器人回答，找客服"] {
        let r = bot.ask(q);
        match &r.decision {
            Decision::Handoff {
                reason,
                priority,
                detail,
            } => {
                assert_eq!(*reason, HandoffReason::AskedForHuman, "{q:?}");
                assert_eq!(*priority, Priority::Normal);
                assert!(detail.is_some());
            }
            other => panic!("{q:?} → {other:?}"),
        }
    }
}

#[test]
fn a_handoff_carries_best_guesses_for_the_rest_of_the_message() {
    let bot = sample_bot();
    let r = bot.ask("转人工");
    assert!(
        r.candidates.is_empty(),
        "nothing but the trigger: no guesses"
    );
    let r = bot.ask("转人工，我要退保");
    assert_eq!(r.handoff_reason(), Some(HandoffReason::AskedForHuman));
    assert_eq!(r.top_id(), Some("surrender-how"));
}

#[test]
fn threatening_the_regulator_is_sensitive_and_high_priority() {
    let bot = sample_bot();
    for q in [
        "你们再不赔钱我就去银保监会投诉",
        "拖了三个月不理赔，我要找媒体曝光你们",
        "我已经请了律师，准备起诉",
    ] {
        let r = bot.ask(q);
        match &r.decision {
            Decision::Handoff {
                reason, priority, ..
            } => {
                assert_eq!(*reason, HandoffReason::Sensitive, "{q:?}");
                assert_eq!(*priority, Priority::High, "{q:?}");
            }
            other => panic!("{q:?} → {other:?}"),
        }
    }
    // Asking how to complain is an ordinary question with an FAQ answer.
    assert_ne!(
        bot.ask("怎么投诉你们的服务").handoff_reason(),
        Some(HandoffReason::Sensitive)
    );
}

#[test]
fn telecom_and_consumer_escalations_go_to_a_person() {
    let bot = sample_bot();
    for q in ["你们再乱扣费我就去工信部投诉", "再不处理我打12300投诉你们"] {
        let r = bot.ask(q);
        assert_eq!(r.handoff_reason(), Some(HandoffReason::Sensitive), "{q:?}");
    }
}

#[test]
fn the_sample_triggers_file_spells_out_the_built_in_list() {
    let kb = KnowledgeBase::load(sample_kb_path()).expect("loads");
    assert_eq!(kb.triggers(), &wenda::Triggers::default());
}

#[test]
fn unrelated_questions_are_not_answered() {
    let bot = sample_bot();
    for q in [
        "今天天气怎么样",
        "明天会下雨吗",
        "股票怎么买",
        "上证指数今天涨了多少",
        "红烧肉怎么做",
        "哈哈",
        "asdfghjkl",
    ] {
        let r = bot.ask(q);
        assert_ne!(
            r.decision.kind(),
            "answer",
            "{q:?} was answered: {:#?}",
            r.decision
        );
        assert!(
            r.confidence < bot.config().thresholds.answer,
            "{q:?}: {}",
            r.confidence
        );
    }
}

#[test]
fn empty_and_blank_input_hand_off_with_empty_query() {
    let bot = sample_bot();
    for q in ["", "   ", "\t\n", "？？？", "😀😀", "　"] {
        let r = bot.ask(q);
        assert_eq!(r.handoff_reason(), Some(HandoffReason::EmptyQuery), "{q:?}");
        assert_eq!(r.confidence, 0.0);
        assert!(r.candidates.is_empty());
    }
}

#[test]
fn query_syntax_characters_are_plain_text() {
    let bot = sample_bot();
    for q in [
        "title:\"x\" AND (y OR z)",
        "退保:\"手续费\"(多少)^2 *",
        "+退保 -手续费 ~2 [1 TO 5] {a} \\ /",
        "NOT AND OR",
    ] {
        let r = bot.ask(q);
        assert_ne!(
            r.handoff_reason(),
            Some(HandoffReason::InternalError),
            "{q:?}: {:?}",
            r.decision
        );
        assert!((0.0..=1.0).contains(&r.confidence));
    }
    assert_eq!(
        bot.ask("退保:\"手续费\"(多少)").top_id(),
        Some("surrender-refund-amount")
    );
}

#[test]
fn channel_answers_are_used_when_the_entry_has_them() {
    let bot = sample_bot();
    let e = bot
        .knowledge()
        .entries()
        .iter()
        .find(|e| e.channels.contains_key(&Channel::Sms))
        .expect("the sample KB has an sms answer");
    let r = bot.ask_with(
        &e.question,
        AskOptions {
            channel: Some(Channel::Sms),
            ..AskOptions::default()
        },
    );
    match &r.decision {
        Decision::Answer {
            answer, entry_id, ..
        } => {
            assert_eq!(entry_id, &e.id);
            assert_eq!(answer, &e.channels[&Channel::Sms]);
        }
        other => panic!("{other:?}"),
    }
    // A channel the entry has no answer for falls back to the default answer.
    let r = bot.ask_with(
        &e.question,
        AskOptions {
            channel: Some(Channel::Web),
            ..AskOptions::default()
        },
    );
    if let Decision::Answer { answer, .. } = &r.decision {
        assert_eq!(answer, e.answer_for(Some(Channel::Web)));
    }
}

#[test]
fn standard_questions_answer_themselves() {
    let bot = sample_bot();
    let mut wrong = Vec::new();
    for e in bot.knowledge().entries() {
        let r = bot.ask(&e.question);
        if r.top_id() != Some(e.id.as_str()) {
            wrong.push((e.id.clone(), r.top_id().map(str::to_string)));
        }
    }
    assert!(
        wrong.is_empty(),
        "standard questions not ranked first: {wrong:?}"
    );
}

#[test]
fn replies_carry_evidence_and_serialize() {
    let bot = sample_bot();
    let r = bot.ask("退保要扣多少手续费");
    assert!(!r.candidates.is_empty() && r.candidates.len() <= 5);
    assert_eq!(r.confidence, r.candidates[0].confidence);
    for w in r.candidates.windows(2) {
        assert!(w[0].score >= w[1].score, "candidates sorted by score");
    }
    let json = serde_json::to_value(&r).expect("serializes");
    assert_eq!(json["decision"]["type"], "answer");
    assert!(json["candidates"][0]["features"]["gram_cosine"].is_number());
    assert!(json["elapsed_us"].is_u64());
    let back: wenda::Reply = serde_json::from_value(json).expect("round-trips");
    assert_eq!(back, r);
}

#[test]
fn same_knowledge_base_same_confidence_after_rebuild() {
    // The sample KB ships a saved model (knowledge/model.json); fit afresh and compare:
    // self-calibration is deterministic, and the shipped model must be today's fit.
    let kb = KnowledgeBase::load_without_model(sample_kb_path()).unwrap();
    let again = Bot::build(kb).unwrap();
    let bot = sample_bot();
    assert_eq!(bot.model().origin, again.model().origin);
    for (a, b) in bot
        .model()
        .ranker
        .iter()
        .chain(&bot.model().calibrator)
        .zip(again.model().ranker.iter().chain(&again.model().calibrator))
    {
        assert!(
            (a - b).abs() < 1e-6,
            "knowledge/model.json is stale: run `cargo run --release -- calibrate --kb knowledge --out knowledge/model.json`"
        );
    }
    for q in [
        "车险怎么报案",
        "退保要扣多少手续费",
        "我想买个手机",
        "股票怎么买",
    ] {
        let a = bot.ask(q);
        let b = again.ask(q);
        // Same decision and entries; confidences equal up to the last bits of a float.
        assert_eq!(a.decision.kind(), b.decision.kind(), "{q:?}");
        let ids = |r: &wenda::Reply| {
            r.candidates
                .iter()
                .map(|c| c.entry_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b), "{q:?}");
        assert!((a.confidence - b.confidence).abs() < 1e-6, "{q:?}");
    }
}

#[test]
fn hnsw_and_exact_vector_search_agree_on_the_sample_kb() {
    let kb = KnowledgeBase::load(sample_kb_path()).unwrap();
    let mut config = kb.config().clone();
    config.retrieval.vector_search = wenda::config::VectorSearch::Hnsw;
    let hnsw = Bot::builder(kb).config(config).build().unwrap();
    assert!(hnsw.uses_hnsw());
    assert!(
        !sample_bot().uses_hnsw(),
        "small KBs search vectors exactly by default"
    );
    for &(q, want) in PARAPHRASES {
        assert_eq!(hnsw.ask(q).top_id(), Some(want), "{q:?}");
    }
}

#[test]
fn very_long_messages_are_matched_on_their_start_and_triggers_seen_anywhere() {
    let bot = sample_bot();
    let long = format!("退保要扣多少手续费{}", "啊".repeat(20_000));
    let r = bot.ask(&long);
    assert_eq!(r.top_id(), Some("surrender-refund-amount"));
    assert_eq!(r.truncated_from, Some(20_009), "the reply says it was cut");
    let rant = format!("{}我要去银保监会投诉", "你们的服务太差了，".repeat(500));
    assert_eq!(
        bot.ask(&rant).handoff_reason(),
        Some(HandoffReason::Sensitive)
    );
}
