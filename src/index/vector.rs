//! The vector index: nearest question variants by cosine of their embeddings.
//!
//! Vectors are kept in an `ndarray` matrix (one unit-length row per variant) for exact
//! re-scoring and exact search; an HNSW graph (hnsw_rs) answers approximate searches in
//! time that grows slowly with the number of variants. The graph is built by serial
//! insertion, which hnsw_rs makes reproducible (fixed level seed since 0.3.5).

use hnsw_rs::prelude::{Distance, Hnsw};
use ndarray::{Array2, ArrayView1};

use super::corpus::VariantId;
use crate::config::VectorSearch;

/// HNSW: links per node (`M`).
const MAX_CONNECTIONS: usize = 16;
/// HNSW: graph layers (hnsw_rs caps it at 16).
const MAX_LAYERS: usize = 16;
/// HNSW: search breadth while building.
const EF_CONSTRUCTION: usize = 200;

/// Cosine distance for unit-length vectors: `1 − a·b`, clamped at 0.
///
/// hnsw_rs's `DistCosine` recomputes both norms in f64 on every call, and its `DistDot`
/// asserts on f32 rounding just past 1; every vector here is already unit length, so a
/// plain f32 dot product (which the compiler vectorizes) is exact enough and several times
/// faster.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct UnitCosine;

impl Distance<f32> for UnitCosine {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - dot(a, b)).max(0.0)
    }
}

/// Dot product with eight independent accumulators, so that it vectorizes.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    acc.iter().sum::<f32>() + tail
}

/// Nearest-neighbour search over variant embeddings.
pub(crate) struct VectorIndex {
    vectors: Array2<f32>,
    hnsw: Option<Hnsw<'static, f32, UnitCosine>>,
}

impl VectorIndex {
    /// Indexes the rows of `vectors` (row `i` is variant `i`; rows should be unit length or
    /// zero). An HNSW graph is built when `method` resolves to [`VectorSearch::Hnsw`].
    pub fn build(vectors: Array2<f32>, method: VectorSearch) -> Self {
        let hnsw = match method.resolve(vectors.nrows()) {
            VectorSearch::Exact | VectorSearch::Auto => None,
            VectorSearch::Hnsw => {
                let n = vectors.nrows().max(1);
                let hnsw = Hnsw::new(MAX_CONNECTIONS, n, MAX_LAYERS, EF_CONSTRUCTION, UnitCosine);
                for (i, row) in vectors.rows().into_iter().enumerate() {
                    // A zero vector has no direction; such a variant can only be found
                    // lexically.
                    if row.iter().any(|&x| x != 0.0)
                        && let Some(slice) = row.as_slice()
                    {
                        hnsw.insert_slice((slice, i));
                    }
                }
                Some(hnsw)
            }
        };
        VectorIndex { vectors, hnsw }
    }

    /// Whether searches walk an HNSW graph (rather than scanning every vector).
    pub fn is_hnsw(&self) -> bool {
        self.hnsw.is_some()
    }

    /// Cosine between variant `v` and the unit-length vector `q`.
    pub fn cosine(&self, v: VariantId, q: &[f32]) -> f32 {
        match self.vectors.row(v as usize).as_slice() {
            Some(row) => dot(row, q),
            None => self.vectors.row(v as usize).dot(&ArrayView1::from(q)),
        }
    }

    /// The `k` variants nearest to `q` by cosine, best first, passing over those for which
    /// `skip` is true.
    pub fn search(
        &self,
        q: &[f32],
        k: usize,
        ef: usize,
        skip: Option<&(dyn Fn(VariantId) -> bool + Sync)>,
    ) -> Vec<(VariantId, f32)> {
        if k == 0 || self.vectors.nrows() == 0 || q.iter().all(|&x| x == 0.0) {
            return Vec::new();
        }
        match &self.hnsw {
            Some(hnsw) => {
                let hits = match skip {
                    Some(skip) => {
                        let filter = |id: &usize| !skip(*id as VariantId);
                        hnsw.search_filter(q, k, ef.max(k), Some(&filter))
                    }
                    None => hnsw.search(q, k, ef.max(k)),
                };
                hits.into_iter()
                    .map(|n| (n.d_id as VariantId, 1.0 - n.distance))
                    .collect()
            }
            None => self.exact(q, k, skip),
        }
    }

    /// Exact search: cosine against every row.
    pub fn exact(
        &self,
        q: &[f32],
        k: usize,
        skip: Option<&(dyn Fn(VariantId) -> bool + Sync)>,
    ) -> Vec<(VariantId, f32)> {
        let scores = self.vectors.dot(&ArrayView1::from(q));
        let mut hits: Vec<(VariantId, f32)> = scores
            .iter()
            .enumerate()
            .map(|(i, &s)| (i as VariantId, s))
            .filter(|&(i, _)| skip.is_none_or(|skip| !skip(i)))
            .collect();
        let k = k.min(hits.len());
        if k == 0 {
            return Vec::new();
        }
        hits.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits.truncate(k);
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit_rows(n: usize, d: usize, seed: u64) -> Array2<f32> {
        let mut state = seed;
        let mut m = Array2::from_shape_fn((n, d), |_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        });
        for mut row in m.rows_mut() {
            let norm = row.dot(&row).sqrt();
            row.mapv_inplace(|x| x / norm);
        }
        m
    }

    #[test]
    fn hnsw_agrees_with_exact_search() {
        let m = unit_rows(500, 32, 7);
        let exact = VectorIndex::build(m.clone(), VectorSearch::Exact);
        let approx = VectorIndex::build(m.clone(), VectorSearch::Hnsw);
        let mut found = 0;
        for qi in 0..50 {
            let q: Vec<f32> = m.row(qi * 7).to_vec();
            let want: Vec<VariantId> = exact.search(&q, 10, 64, None).iter().map(|h| h.0).collect();
            assert_eq!(
                want[0],
                (qi * 7) as VariantId,
                "a vector is its own nearest neighbour"
            );
            let got = approx.search(&q, 10, 64, None);
            found += got.iter().filter(|h| want.contains(&h.0)).count();
        }
        let recall = found as f64 / 500.0;
        assert!(
            recall >= 0.95,
            "HNSW recall@10 against exact search is {recall}"
        );
    }

    #[test]
    fn skip_and_zero_vectors() {
        let m = unit_rows(20, 8, 3);
        for method in [VectorSearch::Exact, VectorSearch::Hnsw] {
            let idx = VectorIndex::build(m.clone(), method);
            let q: Vec<f32> = m.row(4).to_vec();
            let hits = idx.search(&q, 5, 32, Some(&|v| v == 4));
            assert!(!hits.iter().any(|h| h.0 == 4));
            assert!(idx.search(&[0.0; 8], 5, 32, None).is_empty());
            assert!((idx.cosine(4, &q) - 1.0).abs() < 1e-5);
        }
    }
}
