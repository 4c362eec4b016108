//! A terminal chat frontend: the customer types, wenda replies, and every handoff lands in
//! an agent queue ordered by priority, with what the agent needs to pick it up.
//!
//! ```sh
//! cargo run --release --example agent_queue            # type messages; Ctrl-D ends
//! printf '理赔\n2\n不是这个\n都不是\n/as vip\n今天天气怎么样\n/queue\n' | cargo run --release --example agent_queue
//! ```
//!
//! Lines starting with `/`: `/as TIER` starts a conversation as a customer of that tier
//! (`vip` in the sample knowledge base), `/new` a conversation as a regular customer,
//! `/queue` shows the agent queue.

use std::collections::BinaryHeap;
use std::io::BufRead;

use wenda::{Bot, Customer, Decision, Handoff, KnowledgeBase, Priority};

/// One waiting conversation; the queue pops the most urgent, then the longest waiting.
struct Waiting {
    priority: Priority,
    seq: std::cmp::Reverse<u64>,
    handoff: Handoff,
}

impl PartialEq for Waiting {
    fn eq(&self, o: &Self) -> bool {
        (self.priority, self.seq) == (o.priority, o.seq)
    }
}
impl Eq for Waiting {}
impl PartialOrd for Waiting {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Waiting {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.priority, self.seq).cmp(&(o.priority, o.seq))
    }
}

fn show_ticket(h: &Handoff) {
    println!(
        "    ┌ agent ticket: {} · priority {} · customer {} {}",
        h.reason.as_str(),
        h.priority.as_str(),
        h.customer.id.as_deref().unwrap_or("(anonymous)"),
        h.customer
            .tier
            .as_deref()
            .map(|t| format!("[{t}]"))
            .unwrap_or_default()
    );
    for t in &h.transcript {
        println!("    │ 客户：{}", t.customer);
        println!(
            "    │ 机器人（{}）：{}",
            t.decision,
            t.bot.replace('\n', " ")
        );
    }
    for g in &h.best_guesses {
        println!(
            "    │ best guess {:.2}: {} [{}]",
            g.confidence, g.question, g.entry_id
        );
    }
    println!("    └");
}

fn main() -> Result<(), wenda::Error> {
    let kb = KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
    let bot = Bot::build(kb)?;
    let mut queue = BinaryHeap::new();
    let mut seq = 0u64;
    let mut customers = 1u32;
    let customer = |n: u32, tier: Option<&str>| Customer {
        id: Some(format!("customer-{n}")),
        tier: tier.map(str::to_string),
        ..Customer::default()
    };
    let mut chat = bot.conversation_with(customer(customers, None));
    println!("安和财险在线客服 — type a message (/as vip, /new, /queue; Ctrl-D ends)");
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| wenda::Error::io("<stdin>", e))?;
        let line = line.trim();
        if let Some(tier) = line.strip_prefix("/as ") {
            customers += 1;
            chat = bot.conversation_with(customer(customers, Some(tier.trim())));
            println!("--- customer-{customers} ({}) ---", tier.trim());
            continue;
        }
        match line {
            "/new" => {
                customers += 1;
                chat = bot.conversation_with(customer(customers, None));
                println!("--- customer-{customers} ---");
                continue;
            }
            "/queue" => {
                println!("agent queue ({} waiting), most urgent first:", queue.len());
                let mut sorted: Vec<&Waiting> = queue.iter().collect();
                sorted.sort_by(|a, b| b.cmp(a));
                for w in sorted {
                    show_ticket(&w.handoff);
                }
                continue;
            }
            _ => {}
        }
        println!("客户：{line}");
        let reply = chat.ask(line);
        println!("机器人：{}", reply.text);
        if let (Decision::Handoff { priority, .. }, Some(handoff)) =
            (&reply.decision, reply.handoff)
        {
            seq += 1;
            queue.push(Waiting {
                priority: *priority,
                seq: std::cmp::Reverse(seq),
                handoff,
            });
            let ahead = queue.iter().filter(|w| w.priority > *priority).count();
            println!(
                "    → queued for an agent ({} waiting, {ahead} more urgent)",
                queue.len()
            );
            // The agent takes over: the customer's next message starts a new conversation.
            customers += 1;
            chat = bot.conversation_with(customer(customers, None));
        }
    }
    Ok(())
}
