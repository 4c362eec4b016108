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

/// What each retrieval channel found for one question: entries in the channel's rank
/// order, each at its best variant, with that variant's score.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Channels {
    /// BM25 over words and character bigrams.
    pub lexical: Vec<(u32, f32)>,
    /// Cosine of the embeddings.
    pub vector: Vec<(u32, f32)>,
}

impl Channels {
    /// Each channel's name and entries.
    pub fn named(&self) -> [(&'static str, &[(u32, f32)]); 2] {
        [("bm25", &self.lexical), ("vector", &self.vector)]
    }

    /// Every entry either channel found, fused by weighted reciprocal rank: Σ w / (60 +
    /// rank) over the channels, w = 1 for BM25 and `options.vector_weight` for the vectors;
    /// best first (ties by entry order), at most `options.max_entries` of them.
    pub fn fuse(&self, options: &RetrievalOptions) -> Vec<Found> {
        // entry → (fused score, best BM25)
        let mut fused: HashMap<u32, (f64, f32)> = HashMap::new();
        for (list, weight, is_lexical) in [
            (&self.lexical, 1.0, true),
            (&self.vector, options.vector_weight, false),
        ] {
            for (rank, &(entry, score)) in list.iter().enumerate() {
                let slot = fused.entry(entry).or_insert((0.0, 0.0));
                slot.0 += weight / (RRF_K + (rank + 1) as f64);
                if is_lexical {
                    slot.1 = slot.1.max(score);
                }
            }
        }
        let top_bm25 = self.lexical.first().map(|h| h.1).unwrap_or(0.0);
        let mut ranked: Vec<(u32, f64, f32)> =
            fused.into_iter().map(|(e, (s, b))| (e, s, b)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(options.max_entries);
        ranked
            .into_iter()
            .map(|(entry, _, bm25)| Found {
                entry,
                bm25: if top_bm25 > 0.0 {
                    (bm25 / top_bm25) as f64
                } else {
                    0.0
                },
            })
            .collect()
    }
}

/// The entries of a variant list in rank order, each once, at its best (first) variant.
fn by_entry(corpus: &Corpus, list: &[(VariantId, f32)]) -> Vec<(u32, f32)> {
    let mut seen = HashSet::new();
    list.iter()
        .filter_map(|&(v, score)| {
            let entry = corpus.variants.get(v as usize)?.entry;
            seen.insert(entry).then_some((entry, score))
        })
        .collect()
}

impl Indexes<'_> {
    /// At most `options.max_entries` entries for a question (`analysis`, embedded as
    /// `vector`), as if `holdout` were not in the indexes: each index's variants in rank
    /// order, an entry counted at its best variant, fused by weighted reciprocal rank
    /// ([`Channels::fuse`], the vectors weighing `options.vector_weight`).
    pub fn retrieve(
        &self,
        analysis: &Analysis,
        vector: &[f32],
        holdout: Holdout,
        options: &RetrievalOptions,
    ) -> Result<Vec<Found>> {
        Ok(self
            .channels(analysis, vector, holdout, options)?
            .fuse(options))
    }

    /// What each channel finds for a question, as if `holdout` were not in the indexes.
    pub fn channels(
        &self,
        analysis: &Analysis,
        vector: &[f32],
        holdout: Holdout,
        options: &RetrievalOptions,
    ) -> Result<Channels> {
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
        Ok(Channels {
            lexical: by_entry(corpus, &lexical),
            vector: by_entry(corpus, &semantic),
        })
    }
}
