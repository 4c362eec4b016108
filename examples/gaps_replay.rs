//! Measures `wenda gaps` on a labelled data set: removes a seeded share of the knowledge
//! base's entries, replays every labelled query through the engine into a query log, runs
//! the gap finder on the log and scores its clusters against the labels.
//!
//! ```text
//! cargo run --release --example gaps_replay -- KB.jsonl QUERIES.jsonl SCRATCH_DIR \
//!     [--percent 10] [--seed 13] [--similarity 0.6] [--min-confidence P] [--with-removed-questions]
//! ```
//!
//! `--with-removed-questions` also replays the removed entries' own questions (standard
//! and similar) as customer questions, so that a removed entry is asked in several
//! phrasings, as a real gap is. The reduced knowledge base and the log are written to
//! SCRATCH_DIR (never inside the repository).
//!
//! Printed: cluster purity (share of gap questions whose cluster's majority label is their
//! own; an out-of-KB query is its own label), removed entries that come back as exactly one
//! "new entry" cluster, and how often a proposed "add to X" is right (X = the query's
//! expected entry).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use wenda::gaps::{GapOptions, Proposal, find_gaps};
use wenda::logbook::read_log;
use wenda::mask::mask_pii;
use wenda::querylog::{JsonlLog, LogEvent, QueryLog};
use wenda::{Bot, KnowledgeBase};

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash(seed: u64, s: &str) -> u64 {
    s.bytes()
        .fold(splitmix(seed), |h, b| splitmix(h ^ u64::from(b)))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let positional: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with("--")
                && (*i == 0
                    || !matches!(
                        args[i - 1].as_str(),
                        "--percent" | "--seed" | "--similarity" | "--min-confidence"
                    ))
        })
        .map(|(_, a)| a)
        .collect();
    let [kb_path, queries_path, scratch] = positional.as_slice() else {
        return Err("usage: gaps_replay KB.jsonl QUERIES.jsonl SCRATCH_DIR [--percent P] [--seed S] [--similarity X] [--with-removed-questions]".into());
    };
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let percent: u64 = flag("--percent").map_or(Ok(10), |v| v.parse())?;
    let seed: u64 = flag("--seed").map_or(Ok(13), |v| v.parse())?;
    let similarity: f64 =
        flag("--similarity").map_or(Ok(GapOptions::default().similarity), |v| v.parse())?;
    let min_confidence: f64 =
        flag("--min-confidence").map_or(Ok(GapOptions::default().min_confidence), |v| v.parse())?;
    let with_removed = args.iter().any(|a| a == "--with-removed-questions");
    let scratch = PathBuf::from(scratch);
    std::fs::create_dir_all(&scratch)?;

    // The seeded choice of removed entries: the `percent` % with the smallest hash.
    let text = std::fs::read_to_string(kb_path)?;
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let id_of = |v: &serde_json::Value| v["id"].as_str().unwrap_or_default().to_string();
    let mut order: Vec<(u64, String)> = lines
        .iter()
        .map(|v| (hash(seed, &id_of(v)), id_of(v)))
        .collect();
    order.sort();
    let n_removed = (lines.len() as u64 * percent / 100) as usize;
    let removed: HashSet<String> = order
        .iter()
        .take(n_removed)
        .map(|(_, id)| id.clone())
        .collect();
    let mut kept = String::new();
    let mut removed_questions: Vec<(String, String)> = Vec::new();
    for v in &lines {
        if removed.contains(&id_of(v)) {
            let id = id_of(v);
            for q in
                std::iter::once(&v["question"]).chain(v["similar"].as_array().into_iter().flatten())
            {
                if let Some(q) = q.as_str() {
                    removed_questions.push((q.to_string(), id.clone()));
                }
            }
        } else {
            kept.push_str(&v.to_string());
            kept.push('\n');
        }
    }
    let kb_out = scratch.join("kb.jsonl");
    std::fs::write(&kb_out, kept)?;
    eprintln!(
        "removed {} of {} entries (seed {seed}); building…",
        removed.len(),
        lines.len()
    );
    let bot = Bot::build(KnowledgeBase::load(&kb_out)?)?;

    // Replay into a log.
    let mut queries: Vec<(String, Option<String>)> = wenda::eval::read_queries(queries_path)?
        .into_iter()
        .map(|q| (q.query, q.expected))
        .collect();
    if with_removed {
        queries.extend(removed_questions.into_iter().map(|(q, id)| (q, Some(id))));
    }
    let log_path = scratch.join("log.jsonl");
    let _ = std::fs::remove_file(&log_path);
    let log = Arc::new(JsonlLog::open(&log_path)?);
    for (q, _) in &queries {
        log.append(&LogEvent::reply(&bot.ask(q), None, &Default::default()))?;
    }
    eprintln!(
        "replayed {} queries into {}",
        queries.len(),
        log_path.display()
    );

    let events = read_log(&log_path, None)?.events;
    let options = GapOptions {
        similarity,
        min_confidence,
        ..GapOptions::default()
    };
    let report = find_gaps(&bot, &events, &options, &|_, _| {});

    // Labels of the (masked) question texts: the expected entry, or the query itself when
    // the knowledge base was never meant to answer it.
    let mut label: HashMap<String, String> = HashMap::new();
    for (q, expected) in &queries {
        let key = mask_pii(q).trim().to_string();
        let l = expected.clone().unwrap_or_else(|| format!("∅{q}"));
        label.entry(key).or_insert(l);
    }
    let label_of = |q: &str| label.get(q).cloned().unwrap_or_else(|| format!("?{q}"));

    let (mut pure, mut total) = (0usize, 0usize);
    let (mut add_questions, mut add_right) = (0usize, 0usize);
    let (mut add_clusters, mut add_clusters_right) = (0usize, 0usize);
    let mut clusters_of_removed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in report.clusters.iter().enumerate() {
        let labels: Vec<String> = c.questions.iter().map(|q| label_of(q)).collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for l in &labels {
            *counts.entry(l).or_default() += 1;
        }
        pure += counts.values().max().copied().unwrap_or(0);
        total += labels.len();
        for l in &labels {
            if removed.contains(l) {
                clusters_of_removed.entry(l.clone()).or_default().push(i);
            }
        }
        if let Proposal::AddToEntry { entry_id, .. } = &c.proposal {
            add_clusters += 1;
            let right = labels.iter().filter(|l| *l == entry_id).count();
            add_questions += labels.len();
            add_right += right;
            if 2 * right > labels.len() {
                add_clusters_right += 1;
            }
        }
    }
    let removed_asked: HashSet<&String> = queries
        .iter()
        .filter_map(|(_, e)| e.as_ref().filter(|e| removed.contains(*e)))
        .collect();
    let mut one_new = 0;
    let mut one_new_pure = 0;
    for (id, cs) in &clusters_of_removed {
        let mut cs = cs.clone();
        cs.dedup();
        if let [c] = cs.as_slice() {
            let cluster = &report.clusters[*c];
            // Every asked phrasing of the entry is in this one cluster.
            let asked: usize = queries
                .iter()
                .filter(|(q, e)| e.as_deref() == Some(id) && label.contains_key(mask_pii(q).trim()))
                .map(|(q, _)| mask_pii(q).trim().to_string())
                .collect::<HashSet<_>>()
                .len();
            let here = cluster
                .questions
                .iter()
                .filter(|q| label_of(q) == *id)
                .count();
            if cluster.proposal == Proposal::NewEntry && here == asked {
                one_new += 1;
                if here == cluster.questions.len() {
                    one_new_pure += 1;
                }
            }
        }
    }
    let singletons = report
        .clusters
        .iter()
        .filter(|c| c.questions.len() == 1)
        .count();
    println!(
        "{}",
        serde_json::json!({
            "entries": lines.len(),
            "removed": removed.len(),
            "removed_asked": removed_asked.len(),
            "removed_in_gaps": clusters_of_removed.len(),
            "removed_one_new_entry_cluster": one_new,
            "removed_one_pure_new_entry_cluster": one_new_pure,
            "queries": queries.len(),
            "gap_questions": report.questions,
            "clusters": report.clusters.len(),
            "singleton_clusters": singletons,
            "purity": pure as f64 / total.max(1) as f64,
            "add_to_clusters": add_clusters,
            "add_to_clusters_majority_right": add_clusters_right,
            "add_to_questions": add_questions,
            "add_to_questions_right": add_right,
            "add_to_precision": add_right as f64 / add_questions.max(1) as f64,
            "new_entry_clusters": report.clusters.iter().filter(|c| c.proposal == Proposal::NewEntry).count(),
            "similarity": similarity,
            "min_confidence": min_confidence,
        })
    );
    Ok(())
}
