//! The analyzed form of every question variant, kept in memory for exact re-scoring of
//! candidates: term sets, tf-idf character n-gram vectors and character units.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::sparse::SparseVec;
use crate::text::{Analysis, grams};

/// Character units kept for edit similarity.
pub(crate) const EDIT_UNITS: usize = 64;

/// Identifies a variant: its position in [`Corpus::variants`].
pub(crate) type VariantId = u32;

/// One question variant, analyzed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Variant {
    /// Index of the entry it belongs to.
    pub entry: u32,
    /// The first [`EDIT_UNITS`] character units of the canonical text (for edit
    /// similarity, which is quadratic in length), as n-gram ids (every unit is also a
    /// unigram; compact, and cheap to save and load).
    pub units: Vec<u32>,
    /// Number of character units.
    pub len: usize,
    /// Sorted distinct ids of its search-mode terms (words and their dictionary sub-words).
    pub terms: Vec<u32>,
    /// Sum of the idf of its terms.
    pub term_mass: f32,
    /// Unit-length tf-idf vector over character unigrams and bigrams.
    pub grams: SparseVec,
}

/// Variants to leave out while scoring, to ask the knowledge base's own questions as if
/// they were new (self-calibration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holdout {
    /// Nothing left out.
    None,
    /// One variant left out.
    Variant(VariantId),
    /// A whole entry left out.
    Entry(u32),
}

impl Holdout {
    /// Whether `v` (of entry `entry`) is left out.
    pub fn excludes(&self, v: VariantId, entry: u32) -> bool {
        match *self {
            Holdout::None => false,
            Holdout::Variant(x) => x == v,
            Holdout::Entry(e) => e == entry,
        }
    }
}

/// A question as the corpus sees it.
#[derive(Debug, Clone)]
pub(crate) struct QueryTerms {
    /// Distinct known term ids with their idf.
    pub known: Vec<(u32, f32)>,
    /// Sum of the idf of all distinct terms, unknown ones counted at the highest idf.
    pub mass: f32,
    /// Share of `mass` from terms the knowledge base does not contain.
    pub unknown_share: f32,
    /// Unit-length tf-idf n-gram vector (unknown n-grams count towards the length).
    pub grams: SparseVec,
    /// The first [`EDIT_UNITS`] character units, as n-gram ids; a unit the knowledge base
    /// does not contain gets an id of its own above every n-gram id.
    pub units: Vec<u32>,
    /// Number of character units.
    pub len: usize,
}

/// Every variant plus the vocabulary statistics.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Corpus {
    pub variants: Vec<Variant>,
    /// For each entry, the range of its variants in `variants`.
    pub entry_variants: Vec<std::ops::Range<u32>>,
    /// For each entry, the unit-length sum of its variants' n-gram vectors.
    centroids: Vec<SparseVec>,
    #[serde(serialize_with = "crate::serde_sorted::serialize")]
    term_ids: HashMap<String, u32>,
    term_idf: Vec<f32>,
    term_variant_df: Vec<u32>,
    #[serde(serialize_with = "crate::serde_sorted::serialize")]
    gram_ids: HashMap<String, u32>,
    gram_idf: Vec<f32>,
    gram_variant_df: Vec<u32>,
    unknown_idf: f32,
}

/// Unit-length sum of the n-gram vectors of the variants whose position `keep` accepts.
fn centroid(variants: &[Variant], keep: impl Fn(usize) -> bool) -> SparseVec {
    let pairs = variants
        .iter()
        .enumerate()
        .filter(|(k, _)| keep(*k))
        .flat_map(|(_, v)| v.grams.0.iter().copied())
        .collect();
    SparseVec::from_pairs(pairs).normalized()
}

/// A variant between the two passes of [`Corpus::build`].
struct RawVariant {
    entry: u32,
    units: Vec<u32>,
    len: usize,
    terms: Vec<u32>,
    gram_counts: Vec<(u32, usize)>,
}

fn idf(entries: usize, df: usize) -> f32 {
    (1.0 + entries as f32 / df.max(1) as f32).ln()
}

fn tf_weight(count: usize) -> f32 {
    1.0 + (count as f32).ln()
}

impl Corpus {
    /// Builds the corpus from analyzed variants grouped by entry (`analyses[e]` holds the
    /// variants of entry `e`, standard question first).
    pub fn build(analyses: &[Vec<Analysis>]) -> Self {
        let n_entries = analyses.len();
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        let mut gram_ids: HashMap<String, u32> = HashMap::new();
        let mut term_entry_df: Vec<u32> = Vec::new();
        let mut gram_entry_df: Vec<u32> = Vec::new();
        let mut term_variant_df: Vec<u32> = Vec::new();
        let mut gram_variant_df: Vec<u32> = Vec::new();
        // Pass 1: vocabulary and document frequencies.
        let mut raw: Vec<RawVariant> = Vec::new();
        let mut entry_variants = Vec::with_capacity(n_entries);
        for (e, variants) in analyses.iter().enumerate() {
            let start = raw.len() as u32;
            let mut seen_terms = std::collections::HashSet::new();
            let mut seen_grams = std::collections::HashSet::new();
            for a in variants {
                let mut terms: Vec<u32> = a
                    .search_terms
                    .iter()
                    .map(|t| intern(&mut term_ids, &mut term_entry_df, &mut term_variant_df, t))
                    .collect();
                terms.sort_unstable();
                terms.dedup();
                for &t in &terms {
                    term_variant_df[t as usize] += 1;
                    if seen_terms.insert(t) {
                        term_entry_df[t as usize] += 1;
                    }
                }
                let units = a.units();
                let mut counts: HashMap<u32, usize> = HashMap::new();
                for g in grams(&units) {
                    let id = intern(&mut gram_ids, &mut gram_entry_df, &mut gram_variant_df, &g);
                    *counts.entry(id).or_default() += 1;
                }
                let mut counts: Vec<(u32, usize)> = counts.into_iter().collect();
                counts.sort_unstable();
                for &(g, _) in &counts {
                    gram_variant_df[g as usize] += 1;
                    if seen_grams.insert(g) {
                        gram_entry_df[g as usize] += 1;
                    }
                }
                // Every unit is a unigram, interned just above.
                let unit_ids = units
                    .iter()
                    .take(EDIT_UNITS)
                    .filter_map(|u| gram_ids.get(*u).copied())
                    .collect();
                raw.push(RawVariant {
                    entry: e as u32,
                    len: units.len(),
                    units: unit_ids,
                    terms,
                    gram_counts: counts,
                });
            }
            entry_variants.push(start..raw.len() as u32);
        }
        let term_idf: Vec<f32> = term_entry_df
            .iter()
            .map(|&df| idf(n_entries, df as usize))
            .collect();
        let gram_idf: Vec<f32> = gram_entry_df
            .iter()
            .map(|&df| idf(n_entries, df as usize))
            .collect();
        // Pass 2: weights.
        let variants: Vec<Variant> = raw
            .into_iter()
            .map(|r| {
                let RawVariant {
                    entry,
                    units,
                    len,
                    terms,
                    gram_counts,
                } = r;
                let term_mass = terms.iter().map(|&t| term_idf[t as usize]).sum();
                let grams = SparseVec::from_pairs(
                    gram_counts
                        .into_iter()
                        .map(|(g, c)| (g, tf_weight(c) * gram_idf[g as usize]))
                        .collect(),
                )
                .normalized();
                Variant {
                    entry,
                    units,
                    len,
                    terms,
                    term_mass,
                    grams,
                }
            })
            .collect();
        let centroids = entry_variants
            .iter()
            .map(|r| centroid(&variants[r.start as usize..r.end as usize], |_| true))
            .collect();
        Corpus {
            variants,
            entry_variants,
            centroids,
            term_ids,
            term_idf,
            term_variant_df,
            gram_ids,
            gram_idf,
            gram_variant_df,
            unknown_idf: idf(n_entries, 1),
        }
    }

    /// Checks the invariants searches rely on (for a corpus read back from disk), given
    /// the number of entries it should cover.
    pub fn check(&self, entries: usize) -> Result<(), String> {
        let n = self.variants.len();
        if self.entry_variants.len() != entries || self.centroids.len() != entries {
            return Err(format!(
                "{} entry ranges and {} centroids for {entries} entries",
                self.entry_variants.len(),
                self.centroids.len()
            ));
        }
        let mut next = 0u32;
        for r in &self.entry_variants {
            if r.start != next || r.end < r.start || r.end as usize > n {
                return Err("entry variant ranges do not tile the variants".into());
            }
            next = r.end;
        }
        if next as usize != n {
            return Err("entry variant ranges do not cover every variant".into());
        }
        let (terms, grams) = (self.term_idf.len(), self.gram_idf.len());
        if self.term_variant_df.len() != terms || self.gram_variant_df.len() != grams {
            return Err("vocabulary tables differ in length".into());
        }
        if self.term_ids.values().any(|&t| t as usize >= terms)
            || self.gram_ids.values().any(|&g| g as usize >= grams)
        {
            return Err("a vocabulary id is out of range".into());
        }
        let bad_variant = self.variants.iter().any(|v| {
            v.entry as usize >= entries
                || v.terms.iter().any(|&t| t as usize >= terms)
                || v.units.iter().any(|&u| u as usize >= grams)
                || v.grams.0.iter().any(|&(g, _)| g as usize >= grams)
        });
        let bad_centroid = self
            .centroids
            .iter()
            .any(|c| c.0.iter().any(|&(g, _)| g as usize >= grams));
        if bad_variant || bad_centroid {
            return Err("a variant refers to an unknown entry, term or n-gram".into());
        }
        Ok(())
    }

    /// The unit-length n-gram centroid of entry `e`'s variants, leaving out those the
    /// holdout excludes.
    pub fn centroid(&self, e: u32, holdout: Holdout) -> std::borrow::Cow<'_, SparseVec> {
        let r = &self.entry_variants[e as usize];
        let variants = &self.variants[r.start as usize..r.end as usize];
        if r.clone().any(|v| holdout.excludes(v, e)) {
            std::borrow::Cow::Owned(centroid(variants, |k| {
                !holdout.excludes(r.start + k as u32, e)
            }))
        } else {
            std::borrow::Cow::Borrowed(&self.centroids[e as usize])
        }
    }

    /// Idf of a (search-mode) term, `None` when no question in the knowledge base has it.
    pub fn term_idf(&self, term: &str) -> Option<f32> {
        self.term_ids
            .get(term)
            .map(|&id| self.term_idf[id as usize])
    }

    /// Idf of a term found in a single entry: the highest a known term can have.
    pub fn max_idf(&self) -> f32 {
        self.unknown_idf
    }

    /// Looks a question up in the vocabulary. Under a holdout, words and n-grams found only
    /// in the left-out variants count as unknown.
    pub fn query(&self, a: &Analysis, holdout: Holdout) -> QueryTerms {
        let excluded: &[Variant] = match holdout {
            Holdout::None => &[],
            Holdout::Variant(v) => std::slice::from_ref(&self.variants[v as usize]),
            Holdout::Entry(e) => {
                let r = &self.entry_variants[e as usize];
                &self.variants[r.start as usize..r.end as usize]
            }
        };
        let mut terms: Vec<&str> = a.search_terms.iter().map(String::as_str).collect();
        terms.sort_unstable();
        terms.dedup();
        let mut known = Vec::new();
        let mut mass = 0.0;
        let mut unknown_mass = 0.0;
        for t in terms {
            let id = self.term_ids.get(t).copied().filter(|&id| {
                let left_out = excluded
                    .iter()
                    .filter(|v| v.terms.binary_search(&id).is_ok())
                    .count();
                self.term_variant_df[id as usize] as usize > left_out
            });
            match id {
                Some(id) => {
                    let w = self.term_idf[id as usize];
                    known.push((id, w));
                    mass += w;
                }
                None => {
                    mass += self.unknown_idf;
                    unknown_mass += self.unknown_idf;
                }
            }
        }
        let units: Vec<&str> = a.units();
        let mut all_grams = grams(&units);
        all_grams.sort_unstable();
        // (gram, count) in sorted order, so that float sums are reproducible.
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for g in &all_grams {
            match counts.last_mut() {
                Some((last, c)) if *last == g.as_str() => *c += 1,
                _ => counts.push((g.as_str(), 1)),
            }
        }
        let mut pairs = Vec::new();
        let mut norm2 = 0.0;
        for (g, c) in counts {
            let id = self.gram_ids.get(g).copied().filter(|&id| {
                let left_out = excluded
                    .iter()
                    .filter(|v| v.grams.0.binary_search_by_key(&id, |p| p.0).is_ok())
                    .count();
                self.gram_variant_df[id as usize] as usize > left_out
            });
            let w = tf_weight(c)
                * id.map(|id| self.gram_idf[id as usize])
                    .unwrap_or(self.unknown_idf);
            norm2 += w * w;
            if let Some(id) = id {
                pairs.push((id, w));
            }
        }
        let norm = norm2.sqrt();
        let mut grams = SparseVec::from_pairs(pairs);
        if norm > 0.0 {
            for p in &mut grams.0 {
                p.1 /= norm;
            }
        }
        known.sort_unstable_by_key(|p| p.0);
        // Units the corpus lacks get fresh ids (the same unit twice, the same id).
        let mut unknown: Vec<&str> = Vec::new();
        let unit_ids = units
            .iter()
            .take(EDIT_UNITS)
            .map(|u| match self.gram_ids.get(*u) {
                Some(&id) => id,
                None => {
                    let k = unknown.iter().position(|x| x == u).unwrap_or_else(|| {
                        unknown.push(u);
                        unknown.len() - 1
                    });
                    u32::MAX - k as u32
                }
            })
            .collect();
        QueryTerms {
            known,
            mass,
            unknown_share: if mass > 0.0 { unknown_mass / mass } else { 1.0 },
            grams,
            len: units.len(),
            units: unit_ids,
        }
    }
}

fn intern(ids: &mut HashMap<String, u32>, df: &mut Vec<u32>, vdf: &mut Vec<u32>, key: &str) -> u32 {
    if let Some(&id) = ids.get(key) {
        return id;
    }
    let id = df.len() as u32;
    ids.insert(key.to_string(), id);
    df.push(0);
    vdf.push(0);
    id
}
#[cfg(test)]
#[path = "corpus_tests.rs"]
mod tests;
