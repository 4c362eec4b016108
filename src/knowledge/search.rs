//! Keyword search over questions and answers (`wenda search`, `GET /search`): what a
//! curator or a help-centre search box needs, not the engine's matching.
//!
//! The score is BM25 (k1 = 1.2, b = 0.75) over each entry's text cut by the knowledge
//! base's own analyzer (search-mode terms: synonyms, dictionary, traditional and
//! full-width forms apply), where a term in the standard or a similar question counts
//! twice and a term in the answer once. Hits say where the words were found.

use std::collections::HashMap;

use serde::Serialize;

use super::KnowledgeBase;
use crate::text::Analyzer;

/// One entry found by [`search`].
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The entry's id.
    pub entry_id: String,
    /// Its standard question.
    pub question: String,
    /// Its category.
    pub category: String,
    /// The BM25 score (higher is better; comparable within one search only).
    pub score: f64,
    /// Where the words were found: `question`, `similar`, `answer`.
    pub matched_in: Vec<&'static str>,
}

const K1: f64 = 1.2;
const B: f64 = 0.75;
const QUESTION_WEIGHT: f64 = 2.0;

/// The entries of `kb` that contain any term of `query`, best first, at most `limit`.
pub fn search(
    kb: &KnowledgeBase,
    analyzer: &Analyzer,
    query: &str,
    limit: usize,
) -> Vec<SearchHit> {
    let mut terms = analyzer.analyze(query).search_terms;
    terms.sort();
    terms.dedup();
    if terms.is_empty() {
        return Vec::new();
    }
    // Per entry: weighted term counts and a length, and which fields matched.
    struct Doc {
        tf: HashMap<usize, f64>,
        len: f64,
        fields: [bool; 3],
    }
    let index: HashMap<&str, usize> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let docs: Vec<Doc> = kb
        .entries()
        .iter()
        .map(|e| {
            let mut doc = Doc {
                tf: HashMap::new(),
                len: 0.0,
                fields: [false; 3],
            };
            let mut add = |text: &str, field: usize, weight: f64| {
                for t in analyzer.analyze(text).search_terms {
                    doc.len += weight;
                    if let Some(&i) = index.get(t.as_str()) {
                        *doc.tf.entry(i).or_default() += weight;
                        doc.fields[field] = true;
                    }
                }
            };
            add(&e.question, 0, QUESTION_WEIGHT);
            for s in &e.similar {
                add(s, 1, QUESTION_WEIGHT);
            }
            add(&e.answer, 2, 1.0);
            doc
        })
        .collect();
    let n = docs.len().max(1) as f64;
    let avg_len = (docs.iter().map(|d| d.len).sum::<f64>() / n).max(1.0);
    let idf: Vec<f64> = (0..terms.len())
        .map(|i| {
            let df = docs.iter().filter(|d| d.tf.contains_key(&i)).count() as f64;
            ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
        })
        .collect();
    let mut hits: Vec<SearchHit> = kb
        .entries()
        .iter()
        .zip(&docs)
        .filter(|(_, d)| !d.tf.is_empty())
        .map(|(e, d)| {
            let score =
                d.tf.iter()
                    .map(|(&i, &tf)| {
                        idf[i] * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * d.len / avg_len))
                    })
                    .sum();
            SearchHit {
                entry_id: e.id.clone(),
                question: e.question.clone(),
                category: e.category.clone(),
                score,
                matched_in: ["question", "similar", "answer"]
                    .into_iter()
                    .zip(d.fields)
                    .filter(|(_, m)| *m)
                    .map(|(f, _)| f)
                    .collect(),
            }
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.entry_id.cmp(&b.entry_id))
    });
    hits.truncate(limit);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Entry;

    #[test]
    fn questions_outrank_answers_and_fields_are_named() {
        let e = |id: &str, q: &str, a: &str| Entry {
            id: id.into(),
            question: q.into(),
            similar: vec![],
            answer: a.into(),
            category: "测试".into(),
            channels: Default::default(),
            source: Default::default(),
        };
        let kb = KnowledgeBase::from_entries(vec![
            e("a", "怎么开发票", "在App的订单页开具电子发票。"),
            e("b", "怎么退款", "退款后发票作废，请重新开具发票。"),
            e("c", "怎么改密码", "在设置里修改。"),
        ])
        .unwrap();
        let analyzer = Analyzer::new(kb.lexicon());
        let hits = search(&kb, &analyzer, "發票", 10);
        let ids: Vec<&str> = hits.iter().map(|h| h.entry_id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b"]);
        assert_eq!(hits[0].matched_in, vec!["question", "answer"]);
        assert_eq!(hits[1].matched_in, vec!["answer"]);
        assert!(search(&kb, &analyzer, "", 10).is_empty());
        assert!(search(&kb, &analyzer, "天气", 10).is_empty());
    }
}
