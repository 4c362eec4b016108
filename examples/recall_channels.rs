//! Recall by retrieval channel: for the in-KB questions of a labelled query file, the share
//! whose expected entry each channel (BM25, vectors) finds among its first 20 and 50
//! entries, the same for either channel (their union) and for their fusion, and the share
//! found among the entries ranking scores with the knowledge base's own options
//! (`retrieval.max_entries`, `retrieval.vector_weight`).
//!
//! ```text
//! cargo run --release --example recall_channels -- KB QUERIES [DEPTH_VARIANTS]
//! ```
//!
//! For the @20/@50 figures each channel is searched `DEPTH_VARIANTS` variants deep
//! (default 300) and the fusion is not cut.

use std::collections::BTreeMap;

use wenda::eval::read_queries;
use wenda::{Bot, KnowledgeBase};

const DEPTHS: [usize; 2] = [20, 50];

/// Whether `want` is among the first `k` of `list`.
fn within(list: &[String], want: &str, k: usize) -> bool {
    list.iter().take(k).any(|id| id == want)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: recall_channels KB QUERIES [DEPTH_VARIANTS]";
    let (kb, queries) = (args.next().ok_or(usage)?, args.next().ok_or(usage)?);
    let depth: usize = args.next().map(|d| d.parse()).transpose()?.unwrap_or(300);
    let bot = Bot::build(KnowledgeBase::load(&kb)?)?;
    let own = bot.config().retrieval;
    // Each channel searched deep, fused without a cut.
    let mut deep = own;
    deep.lexical_candidates = depth;
    deep.vector_candidates = depth;
    deep.max_entries = usize::MAX;
    // name → hits at each depth
    let mut hits: BTreeMap<String, [usize; 2]> = BTreeMap::new();
    let mut count = |name: &str, found: &dyn Fn(usize) -> bool| {
        let slot = hits.entry(name.to_string()).or_default();
        for (k, depth) in DEPTHS.iter().enumerate() {
            slot[k] += usize::from(found(*depth));
        }
    };
    let (mut n, mut scored) = (0usize, 0usize);
    for q in read_queries(&queries)? {
        let Some(want) = q.expected.as_deref() else {
            continue;
        };
        n += 1;
        let all = bot.retrieval_trace(&q.query, &deep)?;
        for (name, list) in &all.channels {
            count(name, &|k| within(list, want, k));
        }
        count("(either channel)", &|k| {
            all.channels.iter().any(|(_, l)| within(l, want, k))
        });
        count("(fused)", &|k| within(&all.fused, want, k));
        let candidates = bot.retrieval_trace(&q.query, &own)?.fused;
        scored += usize::from(within(&candidates, want, usize::MAX));
    }
    let share = |x: usize| if n == 0 { 0.0 } else { x as f64 / n as f64 };
    println!("{n} in-KB questions; channels searched {depth} variants deep");
    println!("channel\trecall@20\trecall@50");
    for (name, h) in &hits {
        println!("{name}\t{:.4}\t{:.4}", share(h[0]), share(h[1]));
    }
    println!(
        "scored candidates (max_entries = {}, vector_weight = {}): {:.4}",
        own.max_entries,
        own.vector_weight,
        share(scored)
    );
    Ok(())
}
