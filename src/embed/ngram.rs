//! The built-in embedder, [`NgramEmbedder`].

use std::borrow::Borrow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Embedder, normalize_in_place};
use crate::stable_hash::{Rng, fnv1a};
use crate::text::{Analysis, grams};

const WORD_PREFIX: &str = "w:";
/// Share of the vector given to the paraphrase half.
const PARAPHRASE_SHARE: f32 = 0.5;

/// Where a feature's paraphrase-half vector comes from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Paraphrase {
    /// Found in the questions of one entry only: that entry's direction.
    Entry(u32),
    /// Row of the dense table.
    Row(u32),
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Feature {
    idf: f32,
    paraphrase: Paraphrase,
}

/// The built-in embedder: character n-grams and words, weighted by tf-idf, projected to a
/// dense vector in two halves.
///
/// * **Lexical half.** A random ±1 projection of the tf-idf vector (each feature's signs
///   come from a hash of the feature, so unseen words also get a stable direction and pull
///   the cosine down). Its cosine approximates the tf-idf cosine.
/// * **Paraphrase half, learned from the knowledge base.** Every entry gets a random
///   direction; a feature's vector is the average direction of the entries whose questions
///   contain it, weighted by how many of the entry's paraphrases contain it. Two questions
///   that share no word but whose words occur in the same paraphrase groups (`多久` /
///   `多长时间` in the questions of one entry) end up close.
///
/// Deterministic: the same knowledge base gives the same vectors. Serializable, so that a
/// saved index carries the embedder it was built with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NgramEmbedder {
    dimension: usize,
    lexical_dims: usize,
    #[serde(serialize_with = "crate::serde_sorted::serialize")]
    features: HashMap<String, Feature>,
    table: Vec<f32>,
    unknown_idf: f32,
}

/// Adds `scale` × (a ±1 vector determined by `seed`) to `out`.
fn add_signs(out: &mut [f32], seed: u64, scale: f32) {
    let mut rng = Rng::new(seed);
    for chunk in out.chunks_mut(64) {
        let state = rng.next_u64();
        for (i, x) in chunk.iter_mut().enumerate() {
            if (state >> i) & 1 == 1 {
                *x += scale;
            } else {
                *x -= scale;
            }
        }
    }
}

fn entry_seed(entry: u32) -> u64 {
    0x5eed_0000_0000_0000 ^ entry as u64
}

/// Features of a question with their counts.
fn features(a: &Analysis) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for g in grams(&a.units()) {
        *counts.entry(g).or_default() += 1;
    }
    for t in &a.search_terms {
        *counts.entry(format!("{WORD_PREFIX}{t}")).or_default() += 1;
    }
    counts
}

impl NgramEmbedder {
    /// Trains on the knowledge base's questions, grouped by entry (`by_entry[e]` holds the
    /// analyzed variants of entry `e`; an entry may have none).
    ///
    /// `dimension` is the vector width (at least 16).
    pub fn train<A: Borrow<Analysis>>(by_entry: &[Vec<A>], dimension: usize) -> Self {
        let dimension = dimension.max(16);
        let paraphrase_dims =
            ((dimension as f32 * PARAPHRASE_SHARE) as usize).clamp(8, dimension - 8);
        let lexical_dims = dimension - paraphrase_dims;
        let n_variants: usize = by_entry.iter().map(Vec::len).sum();
        // feature → (variant df, [(entry, share of the entry's variants containing it)])
        let mut stats: HashMap<String, (usize, Vec<(u32, f32)>)> = HashMap::new();
        for (e, variants) in by_entry.iter().enumerate() {
            let mut in_entry: HashMap<String, usize> = HashMap::new();
            for a in variants {
                for f in features(a.borrow()).into_keys() {
                    *in_entry.entry(f).or_default() += 1;
                }
            }
            let n = variants.len().max(1) as f32;
            let mut sorted: Vec<(String, usize)> = in_entry.into_iter().collect();
            sorted.sort_unstable();
            for (f, count) in sorted {
                let s = stats.entry(f).or_default();
                s.0 += count;
                s.1.push((e as u32, count as f32 / n));
            }
        }
        let idf = |df: usize| (1.0 + n_variants as f32 / df.max(1) as f32).ln();
        let mut names: Vec<String> = stats.keys().cloned().collect();
        names.sort_unstable();
        let mut features = HashMap::with_capacity(names.len());
        let mut table = Vec::new();
        let mut row = vec![0.0f32; paraphrase_dims];
        for name in names {
            let Some((df, entries)) = stats.remove(&name) else {
                continue;
            };
            let paraphrase = if let [(e, _)] = entries.as_slice() {
                Paraphrase::Entry(*e)
            } else {
                row.iter_mut().for_each(|x| *x = 0.0);
                for &(e, share) in &entries {
                    add_signs(&mut row, entry_seed(e), share);
                }
                normalize_in_place(&mut row);
                let id = (table.len() / paraphrase_dims) as u32;
                table.extend_from_slice(&row);
                Paraphrase::Row(id)
            };
            features.insert(
                name,
                Feature {
                    idf: idf(df),
                    paraphrase,
                },
            );
        }
        NgramEmbedder {
            dimension,
            lexical_dims,
            features,
            table,
            unknown_idf: idf(1),
        }
    }

    /// Whether the tables agree with each other (for an embedder read back from disk).
    pub(crate) fn is_consistent(&self) -> bool {
        let pd = self.dimension.saturating_sub(self.lexical_dims);
        let rows = self.table.len().checked_div(pd).unwrap_or(0);
        self.dimension >= 16
            && self.lexical_dims >= 8
            && pd >= 8
            && self.table.len().is_multiple_of(pd)
            && self.features.values().all(|f| match f.paraphrase {
                Paraphrase::Entry(_) => true,
                Paraphrase::Row(r) => (r as usize) < rows,
            })
    }

    fn paraphrase_dims(&self) -> usize {
        self.dimension - self.lexical_dims
    }
}

impl Embedder for NgramEmbedder {
    fn id(&self) -> String {
        format!("ngram-paraphrase-v1/{}", self.dimension)
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed(&self, text: &Analysis) -> Vec<f32> {
        let pd = self.paraphrase_dims();
        let mut lexical = vec![0.0f32; self.lexical_dims];
        let mut paraphrase = vec![0.0f32; pd];
        let unit = 1.0 / (pd as f32).sqrt();
        let mut counts: Vec<(String, usize)> = features(text).into_iter().collect();
        counts.sort_unstable();
        for (name, count) in counts {
            let known = self.features.get(&name);
            let idf = known.map(|f| f.idf).unwrap_or(self.unknown_idf);
            let w = (1.0 + (count as f32).ln()) * idf;
            add_signs(&mut lexical, fnv1a(&name), w);
            match known.map(|f| f.paraphrase) {
                Some(Paraphrase::Entry(e)) => add_signs(&mut paraphrase, entry_seed(e), w * unit),
                Some(Paraphrase::Row(r)) => {
                    let start = r as usize * pd;
                    for (x, t) in paraphrase.iter_mut().zip(&self.table[start..start + pd]) {
                        *x += w * t;
                    }
                }
                None => {}
            }
        }
        normalize_in_place(&mut lexical);
        normalize_in_place(&mut paraphrase);
        let half = std::f32::consts::FRAC_1_SQRT_2;
        let mut out: Vec<f32> = lexical
            .into_iter()
            .chain(paraphrase)
            .map(|x| x * half)
            .collect();
        normalize_in_place(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{Analyzer, Lexicon};

    fn cos(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn paraphrase_groups_pull_questions_together() {
        let an = Analyzer::new(&Lexicon::default());
        let kb: Vec<Vec<Analysis>> = [
            vec!["审核要多久", "审核需要多长时间", "多久能审核完"],
            vec!["怎么修改手机号", "更换绑定的手机号码"],
            vec!["利息怎么算", "利率是多少"],
        ]
        .iter()
        .map(|g| g.iter().map(|q| an.analyze(q)).collect())
        .collect();
        let e = NgramEmbedder::train(&kb, 64);
        let v = |q: &str| e.embed(&an.analyze(q));
        let q = v("审核多长时间");
        assert!(cos(&q, &v("审核要多久")) > cos(&q, &v("怎么修改手机号")));
        assert!((cos(&q, &q) - 1.0).abs() < 1e-5);
        assert_eq!(e.dimension(), 64);
        assert_eq!(q.len(), 64);
        // deterministic
        let e2 = NgramEmbedder::train(&kb, 64);
        assert_eq!(e2.embed(&an.analyze("审核多长时间")), q);
        // empty text: zero vector
        assert!(e.embed(&an.analyze("")).iter().all(|&x| x == 0.0));
    }
}
