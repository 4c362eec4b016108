//! Near-duplicates and conflicts (`wenda check`): entries whose questions the engine takes
//! for each other.
//!
//! Every question variant is asked with itself held out of the indexes, as a customer
//! would type it; when the top candidate is *another* entry at high confidence, the two
//! entries are confused. Pairs with the same answer are near-duplicates (merge them);
//! pairs with different answers are conflicts (the customer gets whichever wins).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use super::Bot;
use crate::index::Holdout;
use crate::text::normalize;

/// Two entries the engine confuses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearDuplicate {
    /// One entry (the smaller id).
    pub entry_id: String,
    /// The other entry.
    pub other_id: String,
    /// A question of one of them that the engine answered with the other, as asked.
    pub question: String,
    /// The entry that question belongs to (`entry_id` or `other_id`).
    pub question_of: String,
    /// The highest confidence with which a question of one was taken for the other.
    pub confidence: f64,
    /// Whether each entry's questions were taken for the other (both directions).
    pub mutual: bool,
    /// Whether the two answers are the same (after normalising): a near-duplicate to
    /// merge; otherwise a conflict.
    pub same_answer: bool,
}

impl NearDuplicate {
    /// `near_duplicate` (same answer) or `conflict` (different answers).
    pub fn kind(&self) -> &'static str {
        if self.same_answer {
            "near_duplicate"
        } else {
            "conflict"
        }
    }

    /// Whether `wenda check` counts the pair as a warning: the engine takes each entry's
    /// questions for the other (`mutual`), or the two answers are the same. A single
    /// held-out question of one entry won by the other, with different answers, is a
    /// note: one borderline phrasing in a KB of hundreds is normal and the curator
    /// should not have to silence it to pass `--strict`.
    pub fn is_warning(&self) -> bool {
        self.mutual || self.same_answer
    }
}

impl Bot {
    /// Entries whose questions the engine confuses with each other: every question variant
    /// is asked with itself held out, and a pair is reported when the top candidate is the
    /// other entry with at least `min_confidence` (`None`: the answer threshold, where the
    /// robot would answer with the wrong entry). Sorted by confidence, highest first.
    /// `progress(done, total)` is called as variants are asked.
    ///
    /// ```
    /// use wenda::{Bot, Entry, KnowledgeBase};
    /// let kb = KnowledgeBase::from_entries(vec![
    ///     Entry::new("balance", "话费余额怎么查", "发送 YE 到 10086。")
    ///         .with_similar(["怎么查话费余额", "查询话费余额"]),
    ///     Entry::new("balance-2", "话费余额在哪里查？", "在营业厅App首页查看。"),
    ///     Entry::new("refund", "怎么退订流量包", "在App的已订业务中退订。")
    ///         .with_similar(["流量包怎么退订", "不想要流量包了"]),
    /// ])?;
    /// let bot = Bot::build(kb)?;
    /// let found = bot.near_duplicates(Some(0.3), &|_, _| {});
    /// assert_eq!((found[0].entry_id.as_str(), found[0].other_id.as_str()), ("balance", "balance-2"));
    /// assert_eq!(found[0].kind(), "conflict");
    /// # Ok::<(), wenda::Error>(())
    /// ```
    pub fn near_duplicates(
        &self,
        min_confidence: Option<f64>,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Vec<NearDuplicate> {
        let min = min_confidence.unwrap_or(self.config().thresholds.answer);
        let entries = self.kb.entries();
        let probes: Vec<(u32, u32, &str)> = entries
            .iter()
            .enumerate()
            .flat_map(|(e, entry)| {
                let start = self.corpus.entry_variants[e].start;
                entry
                    .variants()
                    .enumerate()
                    .map(move |(k, text)| (e as u32, start + k as u32, text))
            })
            .collect();
        let total = probes.len();
        let done = AtomicUsize::new(0);
        progress(0, total);
        let hits: Vec<(u32, String, f64, &str)> = probes
            .par_iter()
            .filter_map(|&(e, v, text)| {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_multiple_of(64) || n == total {
                    progress(n, total);
                }
                let analysis = self.analyzer.analyze(text);
                let top = self
                    .candidates(&analysis, Holdout::Variant(v))
                    .ok()?
                    .into_iter()
                    .next()?;
                (top.entry_id != entries[e as usize].id && top.confidence >= min).then_some((
                    e,
                    top.entry_id,
                    top.confidence,
                    text,
                ))
            })
            .collect();
        // (smaller id, larger id) → the pair so far, and which directions were seen.
        let mut pairs: BTreeMap<(String, String), (NearDuplicate, [bool; 2])> = BTreeMap::new();
        for (e, other, confidence, text) in hits {
            let own = &entries[e as usize];
            let Some(other_entry) = self.kb.entry(&other) else {
                continue;
            };
            let forward = own.id < other;
            let key = if forward {
                (own.id.clone(), other.clone())
            } else {
                (other.clone(), own.id.clone())
            };
            let same_answer = normalize(own.answer.trim()) == normalize(other_entry.answer.trim());
            let (pair, seen) = pairs.entry(key.clone()).or_insert_with(|| {
                (
                    NearDuplicate {
                        entry_id: key.0.clone(),
                        other_id: key.1.clone(),
                        question: text.to_string(),
                        question_of: own.id.clone(),
                        confidence,
                        mutual: false,
                        same_answer,
                    },
                    [false; 2],
                )
            });
            seen[usize::from(!forward)] = true;
            if confidence > pair.confidence {
                pair.confidence = confidence;
                pair.question = text.to_string();
                pair.question_of = own.id.clone();
            }
        }
        let mut out: Vec<NearDuplicate> = pairs
            .into_values()
            .map(|(mut p, seen)| {
                p.mutual = seen[0] && seen[1];
                p
            })
            .collect();
        out.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then_with(|| a.entry_id.cmp(&b.entry_id))
                .then_with(|| a.other_id.cmp(&b.other_id))
        });
        out
    }
}
