//! Retrieval through the public API: what each channel finds (`Bot::retrieval_trace`), how
//! the channels are fused, and the `vector_weight` option.

use wenda::config::RetrievalOptions;
use wenda::{AskOptions, Bot, Config, Entry, KnowledgeBase};

/// A small FAQ of loan questions, several sharing words with the others.
fn loan_entries() -> Vec<Entry> {
    let rows: [(&str, &str, &[&str]); 8] = [
        (
            "limit",
            "我的借款额度是多少",
            &["额度在哪里看", "能借多少钱"],
        ),
        (
            "raise",
            "怎么提高借款额度",
            &["额度能不能提升", "想要更高的额度"],
        ),
        (
            "repay",
            "怎么提前还款",
            &["可以提前还清吗", "提前还钱要手续费吗"],
        ),
        ("date", "每月几号还款", &["还款日是哪天", "什么时候扣款"]),
        (
            "fail",
            "借款失败是什么原因",
            &["为什么借不到钱", "借钱被拒了"],
        ),
        (
            "card",
            "怎么更换还款银行卡",
            &["换一张卡还款", "还款账户怎么改"],
        ),
        ("rate", "借款的利息怎么算", &["日利率是多少", "利息高不高"]),
        (
            "late",
            "逾期还款有什么后果",
            &["晚还几天会怎样", "逾期上征信吗"],
        ),
    ];
    rows.iter()
        .map(|(id, q, similar)| {
            Entry::new(*id, *q, format!("答案 {id}")).with_similar(similar.iter().copied())
        })
        .collect()
}

fn bot_with(retrieval: RetrievalOptions) -> Bot {
    let config = Config {
        retrieval,
        ..Config::default()
    };
    let kb = KnowledgeBase::from_entries(loan_entries())
        .and_then(|kb| kb.with_config(config))
        .expect("a valid knowledge base");
    Bot::build(kb).expect("the bot builds")
}

#[test]
fn the_trace_names_each_channel_and_the_entries_ranking_scores() {
    let options = RetrievalOptions {
        max_entries: 4,
        ..RetrievalOptions::default()
    };
    let bot = bot_with(options);
    for question in ["提前还款收手续费吗", "额度怎么提高", "借款为什么失败了"]
    {
        let trace = bot.retrieval_trace(question, &options).expect("retrieval");
        let names: Vec<&str> = trace.channels.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["bm25", "vector"]);
        assert!(trace.fused.len() <= 4, "{question}: {:?}", trace.fused);
        // Every fused entry comes from a channel, and each channel lists an entry once.
        for id in &trace.fused {
            assert!(trace.channels.iter().any(|(_, l)| l.contains(id)), "{id}");
        }
        for (name, list) in &trace.channels {
            let mut unique = list.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                list.len(),
                "{name} repeats an entry: {list:?}"
            );
        }
        // The fused entries are exactly the candidates `ask` ranks.
        let reply = bot.ask_with(
            question,
            AskOptions {
                max_candidates: Some(4),
                ..AskOptions::default()
            },
        );
        let mut asked: Vec<&str> = reply
            .candidates
            .iter()
            .map(|c| c.entry_id.as_str())
            .collect();
        let mut fused: Vec<&str> = trace.fused.iter().map(String::as_str).collect();
        asked.sort();
        fused.sort();
        assert_eq!(asked, fused, "{question}");
    }
}

#[test]
fn the_vector_weight_sets_each_channels_say_in_the_fusion() {
    let bot = bot_with(RetrievalOptions::default());
    let question = "我想提前把钱还清";
    let with = |vector_weight: f64, max_entries: usize| {
        let options = RetrievalOptions {
            vector_weight,
            max_entries,
            ..RetrievalOptions::default()
        };
        bot.retrieval_trace(question, &options).expect("retrieval")
    };
    let trace = with(0.0, 100);
    let bm25 = &trace.channels[0].1;
    let vector = &trace.channels[1].1;
    assert!(!bm25.is_empty() && !vector.is_empty());
    // Weight 0: BM25's order, then the entries only the vectors found.
    assert_eq!(&trace.fused[..bm25.len()], &bm25[..]);
    // A weight far above BM25's: the vectors' best entry comes first.
    assert_eq!(with(10.0, 100).fused[0], vector[0]);
    // The default is an equal say, and the knowledge base's option is what `ask` uses.
    assert_eq!(RetrievalOptions::default().vector_weight, 1.0);
    let default = bot
        .retrieval_trace(question, &bot.config().retrieval)
        .expect("retrieval");
    assert_eq!(default.fused, with(1.0, 20).fused);
}
