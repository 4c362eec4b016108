//! Load the sample knowledge base, build a bot, and ask it a few things.
//!
//! ```text
//! cargo run --release --example quickstart
//! ```

use wenda::{Bot, Decision, KnowledgeBase};

fn main() -> Result<(), wenda::Error> {
    // # Load and validate the knowledge base
    let kb = KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
    println!(
        "{} entries, {} question variants",
        kb.len(),
        kb.variant_count()
    );

    // # Build: index every question variant and fit the confidence model
    let bot = Bot::build(kb)?;

    // # Ask, and act on the decision as a chat frontend would
    for question in [
        "車撞了怎麼報案",
        "退保要扣多少手续费",
        "股票怎么买",
        "转人工",
        "你好",
    ] {
        let reply = bot.ask(question);
        match &reply.decision {
            Decision::Answer { answer, .. } => {
                println!("{question} → answer ({:.2}): {answer}", reply.confidence)
            }
            Decision::Clarify { suggestions } => {
                let options: Vec<&str> = suggestions.iter().map(|s| s.question.as_str()).collect();
                println!("{question} → 您是不是想问：{}", options.join(" / "));
            }
            Decision::SmallTalk { reply, .. } => println!("{question} → {reply}"),
            Decision::Handoff {
                reason, priority, ..
            } => println!(
                "{question} → hand over to an agent ({}, priority {})",
                reason.as_str(),
                priority.as_str()
            ),
        }
    }
    Ok(())
}
