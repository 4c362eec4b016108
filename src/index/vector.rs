//! The vector index: nearest question variants by cosine of their embeddings.
//!
//! Vectors are kept in an `ndarray` matrix (one unit-length row per variant) for exact
//! re-scoring and exact search; an HNSW graph (hnsw_rs) answers approximate searches in
//! time that grows slowly with the number of variants. The graph is built by serial
//! insertion, which hnsw_rs makes reproducible (fixed level seed since 0.3.5).

use std::path::Path;

use hnsw_rs::hnswio::HnswIo;
use hnsw_rs::prelude::{AnnT, Distance, Hnsw, Neighbour};
use ndarray::{Array2, ArrayView1};
use rayon::prelude::*;

use super::corpus::VariantId;
use super::hnsw_check::{Expected, check_dump};
use super::store::write_synced;
use crate::config::VectorSearch;
use crate::error::{Error, Result};
use crate::safe_fs::read_regular;

/// File of the vector matrix in a saved index.
const MATRIX_FILE: &str = "vectors.f32";
/// Base name of hnsw_rs's two files (`hnsw.hnsw.graph`, `hnsw.hnsw.data`).
const GRAPH_BASENAME: &str = "hnsw";
/// First bytes of [`MATRIX_FILE`].
const MATRIX_MAGIC: &[u8; 8] = b"WENDAVEC";

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

type Graph<'a> = Hnsw<'a, f32, UnitCosine>;

self_cell::self_cell!(
    /// An HNSW graph read back from disk. hnsw_rs ties a loaded graph's lifetime to its
    /// loader (hnswlib-rs issue #19), so the two are kept together.
    struct LoadedGraph {
        owner: HnswIo,
        #[not_covariant]
        dependent: Graph,
    }
);

/// The HNSW graph, built here or loaded from a saved index.
enum HnswGraph {
    Built(Graph<'static>),
    Loaded(LoadedGraph),
}

impl HnswGraph {
    fn with<R>(&self, f: impl FnOnce(&Graph<'_>) -> R) -> R {
        match self {
            HnswGraph::Built(g) => f(g),
            HnswGraph::Loaded(g) => g.with_dependent(|_, g| f(g)),
        }
    }
}

/// Nearest-neighbour search over variant embeddings.
pub(crate) struct VectorIndex {
    vectors: Array2<f32>,
    hnsw: Option<HnswGraph>,
}

impl VectorIndex {
    /// Indexes the rows of `vectors` (row `i` is variant `i`; rows should be unit length or
    /// zero). An HNSW graph is built when `method` resolves to [`VectorSearch::Hnsw`].
    ///
    /// With `parallel`, points are inserted from rayon's threads: faster, but the graph then
    /// depends on thread timing (hnsw_rs inserts serially in a reproducible order only).
    /// Searches re-score every candidate exactly, so only which candidates are found can vary.
    /// `inserted(n)` is called as graph points are inserted.
    pub fn build(
        vectors: Array2<f32>,
        method: VectorSearch,
        parallel: bool,
        inserted: &(dyn Fn(usize) + Sync),
    ) -> Self {
        let hnsw = match method.resolve(vectors.nrows()) {
            VectorSearch::Exact | VectorSearch::Auto => None,
            VectorSearch::Hnsw => {
                let n = vectors.nrows().max(1);
                let hnsw = Hnsw::new(MAX_CONNECTIONS, n, MAX_LAYERS, EF_CONSTRUCTION, UnitCosine);
                // A zero vector has no direction; such a variant can only be found lexically.
                let points: Vec<(&[f32], usize)> = vectors
                    .rows()
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, row)| {
                        let slice = row.to_slice()?;
                        slice.iter().any(|&x| x != 0.0).then_some((slice, i))
                    })
                    .collect();
                let insert = |&p: &(&[f32], usize)| {
                    hnsw.insert_slice(p);
                    inserted(1);
                };
                if parallel {
                    points.par_iter().for_each(insert);
                } else {
                    points.iter().for_each(insert);
                }
                Some(HnswGraph::Built(hnsw))
            }
        };
        VectorIndex { vectors, hnsw }
    }

    /// File of the vector matrix in a saved index.
    pub const MATRIX_FILE: &'static str = MATRIX_FILE;
    /// hnsw_rs's two files in a saved index, when a graph was built.
    pub const GRAPH_FILES: [&'static str; 2] = ["hnsw.hnsw.graph", "hnsw.hnsw.data"];

    /// Number of vectors and their width.
    pub fn shape(&self) -> (usize, usize) {
        (self.vectors.nrows(), self.vectors.ncols())
    }

    /// Writes the vectors (and the graph, if any) into `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let (rows, cols) = self.shape();
        let mut bytes = Vec::with_capacity(24 + rows * cols * 4);
        bytes.extend_from_slice(MATRIX_MAGIC);
        bytes.extend_from_slice(&(rows as u64).to_le_bytes());
        bytes.extend_from_slice(&(cols as u64).to_le_bytes());
        for x in self.vectors.iter() {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        write_synced(&dir.join(MATRIX_FILE), &bytes)?;
        if let Some(graph) = &self.hnsw {
            let name = graph
                .with(|g| g.file_dump(dir, GRAPH_BASENAME))
                .map_err(|e| Error::Index(format!("cannot write the HNSW graph: {e}")))?;
            if name != GRAPH_BASENAME {
                return Err(Error::Index(format!(
                    "{}: the HNSW graph was written as {name:?} instead of {GRAPH_BASENAME:?}",
                    dir.display()
                )));
            }
        }
        Ok(())
    }

    /// Reads what [`save`](Self::save) wrote; `hnsw` says whether a graph was saved.
    /// Files are expected to have passed the manifest's checksums already.
    pub fn load(dir: &Path, hnsw: bool, dimension: usize) -> Result<Self> {
        let path = dir.join(MATRIX_FILE);
        let bytes = read_regular(&path, u64::MAX).map_err(|e| Error::io(&path, e))?;
        let damaged = |what: &str| Error::Index(format!("{}: {what}", path.display()));
        let header = bytes
            .get(..24)
            .filter(|h| h.starts_with(MATRIX_MAGIC))
            .ok_or_else(|| damaged("not a wenda vector file"))?;
        let read_u64 = |at: usize| {
            header
                .get(at..at + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes)
                .unwrap_or(0) as usize
        };
        let (rows, cols) = (read_u64(8), read_u64(16));
        if cols != dimension {
            return Err(damaged(&format!(
                "vectors of width {cols}, but the manifest says {dimension}"
            )));
        }
        let body = &bytes[24..];
        if rows.checked_mul(cols).and_then(|n| n.checked_mul(4)) != Some(body.len()) {
            return Err(damaged("the file length does not match its header"));
        }
        let values: Vec<f32> = body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        // Every row is unit length, or zero (a variant with no embedding).
        if let Some(row) = values.chunks(cols.max(1)).position(|row| {
            let norm: f32 = row.iter().map(|x| x * x).sum();
            !(norm.is_finite() && (norm == 0.0 || (norm - 1.0).abs() < 1e-3))
        }) {
            return Err(damaged(&format!("vector {row} is not of unit length")));
        }
        let vectors =
            Array2::from_shape_vec((rows, cols), values).map_err(|e| damaged(&e.to_string()))?;
        let hnsw = if hnsw {
            let nonzero = vectors
                .rows()
                .into_iter()
                .filter(|r| r.iter().any(|&x| x != 0.0))
                .count();
            Some(HnswGraph::Loaded(load_graph(dir, rows, nonzero, cols)?))
        } else {
            None
        };
        Ok(VectorIndex { vectors, hnsw })
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
            Some(graph) => {
                let hits: Vec<Neighbour> = graph.with(|hnsw| match skip {
                    Some(skip) => {
                        let filter = |id: &usize| !skip(*id as VariantId);
                        hnsw.search_filter(q, k, ef.max(k), Some(&filter))
                    }
                    None => hnsw.search(q, k, ef.max(k)),
                });
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

/// Loads hnsw_rs's dump. hnsw_rs asserts and unwraps on malformed files; the manifest's
/// checksums keep damaged files away from it, and a panic that still happens is turned
/// into an error here.
fn load_graph(dir: &Path, rows: usize, points: usize, dimension: usize) -> Result<LoadedGraph> {
    let mut files = Vec::new();
    for name in VectorIndex::GRAPH_FILES {
        let file = dir.join(name);
        match read_regular(&file, u64::MAX) {
            Ok(bytes) => files.push(bytes),
            Err(e) => {
                return Err(Error::Index(format!(
                    "{}: cannot read the HNSW graph file ({e}); rebuild the index",
                    file.display()
                )));
            }
        }
    }
    // hnsw_rs trusts every size in its files (a flipped byte made it allocate 369 GB and
    // abort): nothing reaches it that does not fit the files' lengths and this index.
    let expected = Expected {
        rows,
        dimension,
        max_connections: MAX_CONNECTIONS,
        distance: std::any::type_name::<UnitCosine>(),
    };
    check_dump(&files[0], &files[1], &expected).map_err(|why| {
        Error::Index(format!(
            "{}: the HNSW graph files are damaged ({why}); rebuild the index",
            dir.display()
        ))
    })?;
    if points == 0 {
        return Err(Error::Index(format!(
            "{}: an HNSW graph for vectors that are all zero; rebuild the index",
            dir.display()
        )));
    }
    let io = HnswIo::new(dir, GRAPH_BASENAME);
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        LoadedGraph::try_new(io, |io| io.load_hnsw_with_dist(UnitCosine))
    }));
    match loaded {
        Ok(Ok(graph)) => Ok(graph),
        Ok(Err(e)) => Err(Error::Index(format!(
            "{}: cannot read the HNSW graph: {e}",
            dir.display()
        ))),
        Err(_) => Err(Error::Index(format!(
            "{}: the HNSW graph files are malformed; rebuild the index",
            dir.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` random unit-length rows of width `d`, reproducible from `seed`.
    pub(super) fn unit_rows(n: usize, d: usize, seed: u64) -> Array2<f32> {
        let mut rng = crate::stable_hash::Rng::new(seed);
        let mut m = Array2::from_shape_fn((n, d), |_| {
            (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5
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
        let exact = VectorIndex::build(m.clone(), VectorSearch::Exact, false, &|_| {});
        let approx = VectorIndex::build(m.clone(), VectorSearch::Hnsw, false, &|_| {});
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
            let idx = VectorIndex::build(m.clone(), method, false, &|_| {});
            let q: Vec<f32> = m.row(4).to_vec();
            let hits = idx.search(&q, 5, 32, Some(&|v| v == 4));
            assert!(!hits.iter().any(|h| h.0 == 4));
            assert!(idx.search(&[0.0; 8], 5, 32, None).is_empty());
            assert!((idx.cosine(4, &q) - 1.0).abs() < 1e-5);
        }
    }
}

#[cfg(test)]
mod persist_tests {
    use super::*;

    #[test]
    fn save_and_load_give_the_same_searches() -> Result<()> {
        let m = Array2::from_shape_fn((300, 16), |(i, j)| {
            (((i * 31 + j * 17) % 23) as f32 - 11.0) / 11.0
        });
        let mut m = m;
        for mut row in m.rows_mut() {
            let norm = row.dot(&row).sqrt();
            row.mapv_inplace(|x| x / norm);
        }
        for method in [VectorSearch::Exact, VectorSearch::Hnsw] {
            let built = VectorIndex::build(m.clone(), method, false, &|_| {});
            let dir = tempfile::tempdir().map_err(|e| Error::io("tmp", e))?;
            built.save(dir.path())?;
            let loaded = VectorIndex::load(dir.path(), built.is_hnsw(), 16)?;
            assert_eq!(loaded.shape(), (300, 16));
            assert_eq!(loaded.is_hnsw(), method == VectorSearch::Hnsw);
            for qi in [0usize, 17, 299] {
                let q = m.row(qi).to_vec();
                assert_eq!(
                    built.search(&q, 10, 64, None),
                    loaded.search(&q, 10, 64, None)
                );
            }
            assert!(VectorIndex::load(dir.path(), built.is_hnsw(), 8).is_err());
            std::fs::write(dir.path().join(MATRIX_FILE), b"WENDAVEC short")
                .map_err(|e| Error::io("tmp", e))?;
            assert!(VectorIndex::load(dir.path(), false, 16).is_err());
        }
        Ok(())
    }
}
#[cfg(test)]
#[path = "vector_tests.rs"]
mod more_tests;
