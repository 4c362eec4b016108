//! Checking the approximate vector search against exact search on the bot's own vectors.

use std::time::Instant;

use super::Bot;
use crate::bench::{Latency, VectorComparison};

impl Bot {
    /// Compares the HNSW graph with exact brute-force cosine search over the same vectors:
    /// for each question, the share of the exact `k` nearest variants that HNSW also
    /// returns (at the configured `hnsw_ef`), and the time each search takes. `None` when
    /// the bot searches exactly (no graph), when `k` is 0, or when no question has a
    /// vector.
    pub fn compare_vector_search(&self, questions: &[&str], k: usize) -> Option<VectorComparison> {
        if !self.vectors.is_hnsw() || k == 0 {
            return None;
        }
        let ef = self.config().retrieval.hnsw_ef.max(k);
        let (mut hnsw, mut exact) = (Vec::new(), Vec::new());
        let mut recall = 0.0;
        for q in questions {
            let v = self.embedder.embed(&self.analyzer.analyze(q));
            if v.iter().all(|&x| x == 0.0) {
                continue;
            }
            let t = Instant::now();
            let approx = self.vectors.search(&v, k, ef, None);
            hnsw.push(t.elapsed());
            let t = Instant::now();
            let truth = self.vectors.exact(&v, k, None);
            exact.push(t.elapsed());
            let found = truth
                .iter()
                .filter(|(id, _)| approx.iter().any(|(a, _)| a == id))
                .count();
            recall += found as f64 / truth.len().max(1) as f64;
        }
        if hnsw.is_empty() {
            return None;
        }
        let n = hnsw.len() as f64;
        let (hnsw, exact) = (Latency::of(&mut hnsw), Latency::of(&mut exact));
        Some(VectorComparison {
            k,
            ef,
            recall: recall / n,
            speedup: exact.p50 / hnsw.p50.max(1e-9),
            hnsw,
            exact,
        })
    }
}
