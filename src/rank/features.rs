//! Ranking features computed from the indexes: how well one FAQ entry matches one
//! question.

use crate::index::{Corpus, Holdout, QueryTerms, VariantId, VectorIndex};
use crate::model::Features;

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
