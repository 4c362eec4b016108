//! A first measurement of answer quality on a labelled query file, until `wenda eval` lands.
//!
//! ```text
//! cargo run --release --example evaluate -- KB QUERIES
//! cargo run --release --example evaluate -- knowledge examples/sample-queries.jsonl
//! ```
//!
//! `QUERIES` is JSON Lines of `{"query": "…", "expected": "<entry id>" | null}` (`null`: the
//! question should not be answered). Prints top-1 accuracy, MRR over the 5 candidates a
//! reply carries, recall@5 (in-KB queries), AUROC of the confidence between in-KB and
//! out-of-KB queries, expected calibration error (10 bins) of the confidence against "the top
//! candidate is right", the decision mix, the precision of `answer` decisions, and `ask`
//! latency.

use std::collections::BTreeMap;
use std::time::Instant;

use wenda::{Bot, KnowledgeBase};

#[derive(serde::Deserialize)]
struct Query {
    query: String,
    expected: Option<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kb_path, queries_path] = args.as_slice() else {
        return Err("usage: evaluate KB QUERIES".into());
    };
    let start = Instant::now();
    let bot = Bot::build(KnowledgeBase::load(kb_path)?)?;
    let build = start.elapsed();
    let text = std::fs::read_to_string(queries_path)?;
    let queries: Vec<Query> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;

    let (mut in_kb, mut top1, mut rr, mut r5) = (0usize, 0usize, 0.0f64, 0usize);
    let mut by_label: Vec<(f64, bool)> = Vec::new(); // (confidence, query is in the KB)
    let mut by_truth: Vec<(f64, bool)> = Vec::new(); // (confidence, top candidate is right)
    let mut decisions: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut answered, mut answered_right) = (0usize, 0usize);
    let mut latency = Vec::new();
    for q in &queries {
        let r = bot.ask(&q.query);
        latency.push(r.elapsed_us);
        *decisions.entry(r.decision.kind()).or_default() += 1;
        let right = q.expected.is_some() && r.top_id() == q.expected.as_deref();
        by_label.push((r.confidence, q.expected.is_some()));
        by_truth.push((r.confidence, right));
        if r.answer_id().is_some() {
            answered += 1;
            answered_right += usize::from(right);
        }
        if let Some(want) = &q.expected {
            in_kb += 1;
            if let Some(pos) = r.candidates.iter().position(|c| &c.entry_id == want) {
                top1 += usize::from(pos == 0);
                r5 += usize::from(pos < 5);
                rr += 1.0 / (pos + 1) as f64;
            }
        }
    }
    latency.sort_unstable();
    let pct = |p: f64| latency[((latency.len() - 1) as f64 * p).round() as usize];
    let share = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    println!(
        "knowledge base   {kb_path} ({} entries, {} variants)",
        bot.knowledge().len(),
        bot.knowledge().variant_count()
    );
    println!(
        "queries          {queries_path} ({} in KB, {} out)",
        in_kb,
        queries.len() - in_kb
    );
    println!("confidence model {:?}", bot.model().origin);
    println!("top-1            {:.3}", share(top1, in_kb));
    println!("MRR@5            {:.3}", rr / in_kb.max(1) as f64);
    println!("recall@5         {:.3}", share(r5, in_kb));
    println!("AUROC in-vs-out  {:.3}", auroc(&by_label));
    println!("ECE (10 bins)    {:.3}", ece(&by_truth));
    println!("decisions        {decisions:?}");
    println!(
        "answer precision {:.3} ({answered_right}/{answered})",
        share(answered_right, answered)
    );
    println!("build            {:.2} s", build.as_secs_f64());
    println!("ask latency      p50 {} µs, p99 {} µs", pct(0.5), pct(0.99));
    Ok(())
}

/// Probability that a random positive scores above a random negative (ties count half).
fn auroc(scored: &[(f64, bool)]) -> f64 {
    let pos: Vec<f64> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
    let neg: Vec<f64> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let mut wins = 0.0;
    for p in &pos {
        for n in &neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()).max(1) as f64
}

/// Expected calibration error over 10 equal-width confidence bins.
fn ece(scored: &[(f64, bool)]) -> f64 {
    let mut bins = [(0.0f64, 0.0f64, 0usize); 10];
    for &(c, ok) in scored {
        let b = ((c * 10.0) as usize).min(9);
        bins[b].0 += c;
        bins[b].1 += f64::from(u8::from(ok));
        bins[b].2 += 1;
    }
    bins.iter()
        .filter(|b| b.2 > 0)
        .map(|&(c, o, n)| n as f64 / scored.len() as f64 * ((c - o) / n as f64).abs())
        .sum()
}
