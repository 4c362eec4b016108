//! Retrieval: candidate question variants from both indexes (BM25 and vectors), fused per
//! FAQ entry by reciprocal rank, best entries first. What comes out is scored by
//! [`rank`](crate::rank).

use std::collections::{HashMap, HashSet};

use crate::config::RetrievalOptions;
use crate::error::Result;
use crate::index::{Corpus, Holdout, LexicalIndex, VariantId, VectorIndex};
use crate::text::Analysis;

/// Constant of reciprocal-rank fusion: 1 / (K + rank).
const RRF_K: f64 = 60.0;

/// An entry found by retrieval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Found {
    /// The entry's index in the knowledge base.
    pub entry: u32,
    /// The BM25 of the entry's best variant over the best BM25 of any variant (0 when the
    /// lexical index did not return the entry).
    pub bm25: f64,
}

/// The indexes retrieval searches.
pub(crate) struct Indexes<'a> {
    pub corpus: &'a Corpus,
    pub lexical: &'a LexicalIndex,
    pub vectors: &'a VectorIndex,
}

impl Indexes<'_> {
    /// At most `options.max_entries` entries for a question (`analysis`, embedded as
    /// `vector`), as if `holdout` were not in the indexes: each index's variants in rank
    /// order, an entry counted at its best variant, fused as Σ 1 / (60 + rank); ties by
    /// entry order.
    pub fn retrieve(
        &self,
        analysis: &Analysis,
        vector: &[f32],
        holdout: Holdout,
        options: &RetrievalOptions,
    ) -> Result<Vec<Found>> {
        let corpus = self.corpus;
        let skip = |v: VariantId| {
            corpus
                .variants
                .get(v as usize)
                .is_none_or(|x| holdout.excludes(v, x.entry))
        };
        let max_skipped = match holdout {
            Holdout::None => 0,
            Holdout::Variant(_) => 1,
            Holdout::Entry(e) => corpus.entry_variants[e as usize].len(),
        };
        let lexical =
            self.lexical
                .search(analysis, options.lexical_candidates, &skip, max_skipped)?;
        let vector_skip: Option<&(dyn Fn(VariantId) -> bool + Sync)> = match holdout {
            Holdout::None => None,
            _ => Some(&skip),
        };
        let semantic = self.vectors.search(
            vector,
            options.vector_candidates,
            options.hnsw_ef,
            vector_skip,
        );
        // entry → (fused score, best BM25)
        let mut fused: HashMap<u32, (f64, f32)> = HashMap::new();
        for (list, is_lexical) in [(&lexical, true), (&semantic, false)] {
            let mut seen = HashSet::new();
            for (v, score) in list.iter() {
                let entry = corpus.variants[*v as usize].entry;
                if !seen.insert(entry) {
                    continue;
                }
                let slot = fused.entry(entry).or_insert((0.0, 0.0));
                slot.0 += 1.0 / (RRF_K + seen.len() as f64);
                if is_lexical {
                    slot.1 = slot.1.max(*score);
                }
            }
        }
        let top_bm25 = lexical.first().map(|h| h.1).unwrap_or(0.0);
        let mut ranked: Vec<(u32, f64, f32)> =
            fused.into_iter().map(|(e, (s, b))| (e, s, b)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(options.max_entries);
        Ok(ranked
            .into_iter()
            .map(|(entry, _, bm25)| Found {
                entry,
                bm25: if top_bm25 > 0.0 {
                    (bm25 / top_bm25) as f64
                } else {
                    0.0
                },
            })
            .collect())
    }
}
