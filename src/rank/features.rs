//! Ranking features: how well one FAQ entry matches one question, as numbers a curator can
//! read and a small model can weigh.

use serde::{Deserialize, Serialize};

use crate::index::{Corpus, Holdout, QueryTerms, VariantId, VectorIndex};

/// The features of one candidate entry for one question. Every value is in [0, 1]; for
/// per-variant features the entry's best variant counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// BM25 of the entry's best variant divided by the best BM25 of any variant for this
    /// question (0 when the lexical index did not return the entry).
    pub bm25: f64,
    /// Cosine of the question's and the variant's embeddings.
    pub cosine: f64,
    /// Cosine of tf-idf weighted character unigram + bigram vectors.
    pub gram_cosine: f64,
    /// Character n-gram cosine against the average of all the entry's variants (how well
    /// the question fits the entry's whole paraphrase group).
    pub centroid_cosine: f64,
    /// Share of the question's words (idf-weighted) found in the variant.
    pub term_recall: f64,
    /// Share of the variant's words (idf-weighted) found in the question.
    pub term_precision: f64,
    /// 1 − edit distance / longer length, over character units.
    pub edit_similarity: f64,
    /// Shorter length / longer length, in character units.
    pub length_ratio: f64,
    /// Share of the question's words (idf-weighted) that occur nowhere in the knowledge
    /// base. The same for every candidate of a question.
    pub unknown_share: f64,
    /// Character n-gram cosine of the entry's second-best variant (0 for an entry with one
    /// question): an entry whose several paraphrases match is likelier than one phrasing.
    #[serde(default)]
    pub support: f64,
}

/// Number of features used by the ranker (all but `unknown_share`).
pub(crate) const RANK_FEATURES: usize = 9;

impl Features {
    /// Names of the features in [`Features::ranking_values`] order.
    pub const RANKING_NAMES: [&'static str; RANK_FEATURES] = [
        "bm25",
        "cosine",
        "gram_cosine",
        "centroid_cosine",
        "term_recall",
        "term_precision",
        "edit_similarity",
        "length_ratio",
        "support",
    ];

    /// The values the ranker weighs, in [`Features::RANKING_NAMES`] order.
    pub fn ranking_values(&self) -> [f64; RANK_FEATURES] {
        [
            self.bm25,
            self.cosine,
            self.gram_cosine,
            self.centroid_cosine,
            self.term_recall,
            self.term_precision,
            self.edit_similarity,
            self.length_ratio,
            self.support,
        ]
    }
}

/// The question, looked up once, for scoring many entries.
pub(crate) struct QueryView<'a> {
    pub terms: &'a QueryTerms,
    pub vector: &'a [f32],
    pub holdout: Holdout,
}

/// Features of entry `entry` for the question, and the variant that matched best (`None`
/// when every variant of the entry is held out).
pub(crate) fn entry_features(
    corpus: &Corpus,
    vectors: &VectorIndex,
    q: &QueryView<'_>,
    entry: u32,
    bm25: f64,
) -> Option<(Features, VariantId)> {
    let range = corpus.entry_variants.get(entry as usize)?.clone();
    let mut f = Features {
        bm25,
        unknown_share: q.terms.unknown_share as f64,
        ..Features::default()
    };
    let mut best: Option<(f64, VariantId)> = None;
    let mut second_gram = 0.0f64;
    for v in range {
        let variant = &corpus.variants[v as usize];
        if q.holdout.excludes(v, variant.entry) {
            continue;
        }
        let common: f32 = intersect_mass(&q.terms.known, &variant.terms);
        let recall = if q.terms.mass > 0.0 {
            common / q.terms.mass
        } else {
            0.0
        } as f64;
        let precision = if variant.term_mass > 0.0 {
            common / variant.term_mass
        } else {
            0.0
        } as f64;
        let gram = q.terms.grams.dot(&variant.grams) as f64;
        let (lq, lv) = (q.terms.len, variant.len);
        let longer = lq.max(lv);
        // Over the first EDIT_UNITS units of each side (edit distance is quadratic).
        let edit = match q.terms.units.len().max(variant.units.len()) {
            0 => 0.0,
            n => {
                1.0 - strsim::generic_levenshtein(&q.terms.units, &variant.units) as f64 / n as f64
            }
        };
        let length = if longer == 0 {
            0.0
        } else {
            lq.min(lv) as f64 / longer as f64
        };
        let cosine = vectors.cosine(v, q.vector).max(0.0) as f64;
        f.term_recall = f.term_recall.max(recall);
        f.term_precision = f.term_precision.max(precision);
        if gram > f.gram_cosine {
            second_gram = f.gram_cosine;
            f.gram_cosine = gram;
        } else {
            second_gram = second_gram.max(gram);
        }
        f.edit_similarity = f.edit_similarity.max(edit);
        f.length_ratio = f.length_ratio.max(length);
        f.cosine = f.cosine.max(cosine);
        let overall = gram + edit + recall + precision;
        if best.is_none_or(|(s, _)| overall > s) {
            best = Some((overall, v));
        }
    }
    let (_, best_variant) = best?;
    f.support = second_gram;
    f.centroid_cosine = q.terms.grams.dot(&corpus.centroid(entry, q.holdout)) as f64;
    for x in [
        &mut f.cosine,
        &mut f.gram_cosine,
        &mut f.centroid_cosine,
        &mut f.term_recall,
        &mut f.term_precision,
        &mut f.support,
    ] {
        *x = x.clamp(0.0, 1.0);
    }
    Some((f, best_variant))
}

/// Sum of idf over the known query terms that the sorted id list `terms` contains.
fn intersect_mass(query: &[(u32, f32)], terms: &[u32]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < query.len() && j < terms.len() {
        match query[i].0.cmp(&terms[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += query[i].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}
