//! `Bot` is shared across threads.

use std::sync::Arc;

use wenda::Bot;

use super::common::fixture_bot;

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Bot>();
    assert_send_sync::<wenda::KnowledgeBase>();
    assert_send_sync::<wenda::Reply>();
};

#[test]
fn many_threads_ask_at_once_and_agree_with_one_thread() {
    let bot = fixture_bot();
    let questions = [
        "怎么交话费",
        "国际漫游怎么收费",
        "转人工",
        "今天天气怎么样",
        "",
        "電話費發票在哪裡開",
        "我的手机卡丢了去哪补",
        "流量不够用了怎么办",
    ];
    let expected: Vec<_> = questions.iter().map(|q| bot.ask(q)).collect();
    let expected = Arc::new(expected);
    std::thread::scope(|s| {
        for t in 0..4 {
            let expected = Arc::clone(&expected);
            s.spawn(move || {
                for round in 0..10 {
                    for (i, q) in questions.iter().enumerate() {
                        let r = bot.ask(q);
                        assert_eq!(
                            r.decision, expected[i].decision,
                            "thread {t} round {round} {q:?}"
                        );
                        assert_eq!(r.confidence, expected[i].confidence);
                    }
                }
            });
        }
    });
}

#[test]
fn twenty_concurrent_turns_of_one_conversation_are_all_kept() {
    let service =
        wenda::Service::builder(std::sync::Arc::clone(super::common::fixture_bot_arc())).build();
    let customer = wenda::Customer::default();
    std::thread::scope(|s| {
        for i in 0..20 {
            let (service, customer) = (&service, &customer);
            s.spawn(move || {
                service.ask(
                    Some("c-same"),
                    &format!("第{i}个问题：流量怎么查"),
                    customer,
                )
            });
        }
    });
    let state = service
        .conversation("c-same")
        .expect("the store answers")
        .expect("the conversation is held");
    assert_eq!(state.transcript().len(), 20);
}
