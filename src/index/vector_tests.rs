//! More unit tests of the vector index: exact search against a brute-force oracle, HNSW
//! recall on a few thousand vectors, edge cases and the distance.

use super::tests::unit_rows;
use super::*;

/// The `k` best rows for `q` by a plain loop: cosine in f64, best first, ties by id.
fn oracle(
    m: &Array2<f32>,
    q: &[f32],
    k: usize,
    skip: impl Fn(VariantId) -> bool,
) -> Vec<(VariantId, f64)> {
    let mut all: Vec<(VariantId, f64)> = m
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let s: f64 = row
                .iter()
                .zip(q)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            (i as VariantId, s)
        })
        .filter(|(i, _)| !skip(*i))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

#[test]
fn exact_search_matches_a_brute_force_oracle() {
    let m = unit_rows(400, 24, 11);
    let idx = VectorIndex::build(m.clone(), VectorSearch::Exact, false, &|_| {});
    assert!(!idx.is_hnsw());
    assert_eq!(idx.shape(), (400, 24));
    let queries = unit_rows(25, 24, 99);
    let skip = |v: VariantId| v % 7 == 3;
    for q in queries.rows() {
        let q = q.to_vec();
        for k in [1, 10, 50] {
            let got = idx.search(&q, k, 64, None);
            let want = oracle(&m, &q, k, |_| false);
            assert_eq!(got.len(), k);
            for (g, w) in got.iter().zip(&want) {
                assert!((f64::from(g.1) - w.1).abs() < 1e-5, "{g:?} vs {w:?}");
            }
            // Same ids, unless two scores are within float noise of each other.
            let got_ids: Vec<VariantId> = got.iter().map(|h| h.0).collect();
            let want_ids: Vec<VariantId> = want.iter().map(|h| h.0).collect();
            if got_ids != want_ids {
                for (g, w) in got.iter().zip(&want) {
                    assert!(g.0 == w.0 || (f64::from(g.1) - w.1).abs() < 1e-6);
                }
            }
            let filtered = idx.search(&q, k, 64, Some(&skip));
            let want = oracle(&m, &q, k, skip);
            assert!(filtered.iter().all(|h| !skip(h.0)));
            assert_eq!(filtered.len(), want.len());
            for (g, w) in filtered.iter().zip(&want) {
                assert!((f64::from(g.1) - w.1).abs() < 1e-5, "{g:?} vs {w:?}");
            }
        }
    }
}

#[test]
fn exact_search_edge_cases() {
    let m = unit_rows(12, 8, 5);
    let idx = VectorIndex::build(m.clone(), VectorSearch::Exact, false, &|_| {});
    let q = m.row(2).to_vec();
    // More wanted than there are: all of them, best first, itself at the top.
    let all = idx.search(&q, 100, 64, None);
    assert_eq!(all.len(), 12);
    assert_eq!(all[0].0, 2);
    assert!(all.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(idx.search(&q, 0, 64, None).is_empty());
    assert!(idx.search(&[0.0; 8], 3, 64, None).is_empty());
    assert!(idx.search(&q, 3, 64, Some(&|_| true)).is_empty());
    // Exact search breaks ties by id.
    let same = Array2::from_shape_fn((4, 2), |(_, j)| if j == 0 { 1.0 } else { 0.0 });
    let tied = VectorIndex::build(same, VectorSearch::Exact, false, &|_| {});
    let hits = tied.search(&[1.0, 0.0], 3, 64, None);
    assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [0, 1, 2]);
    // An empty index finds nothing.
    let empty = VectorIndex::build(Array2::zeros((0, 8)), VectorSearch::Exact, false, &|_| {});
    assert!(empty.search(&q, 3, 64, None).is_empty());
}

#[test]
fn auto_picks_exact_for_a_small_index() {
    let m = unit_rows(50, 8, 1);
    let idx = VectorIndex::build(m, VectorSearch::Auto, false, &|_| {});
    assert!(!idx.is_hnsw());
}

#[test]
fn hnsw_recall_against_exact_on_a_few_thousand_vectors() {
    let (n, d, k) = (2000, 16, 10);
    let m = unit_rows(n, d, 2024);
    let inserted = std::sync::atomic::AtomicUsize::new(0);
    let approx = VectorIndex::build(m.clone(), VectorSearch::Hnsw, true, &|c| {
        inserted.fetch_add(c, std::sync::atomic::Ordering::Relaxed);
    });
    assert!(approx.is_hnsw());
    assert_eq!(inserted.into_inner(), n, "every non-zero row is inserted");
    let exact = VectorIndex::build(m, VectorSearch::Exact, false, &|_| {});
    // Queries that are not in the index: random directions.
    let queries = unit_rows(60, d, 7);
    let (mut found, mut filtered_found) = (0usize, 0usize);
    let skip = |v: VariantId| v.is_multiple_of(2);
    for q in queries.rows() {
        let q = q.to_vec();
        let want: Vec<VariantId> = exact.search(&q, k, 64, None).iter().map(|h| h.0).collect();
        let got = approx.search(&q, k, 16, None);
        assert!(got.len() <= k);
        // Scores are cosines, consistent with the exact ones.
        for h in &got {
            assert!((h.1 - exact.cosine(h.0, &q)).abs() < 1e-4, "{h:?}");
        }
        found += got.iter().filter(|h| want.contains(&h.0)).count();
        let want: Vec<VariantId> = exact
            .search(&q, k, 64, Some(&skip))
            .iter()
            .map(|h| h.0)
            .collect();
        let got = approx.search(&q, k, 16, Some(&skip));
        assert!(got.iter().all(|h| !skip(h.0)));
        filtered_found += got.iter().filter(|h| want.contains(&h.0)).count();
    }
    let total = (queries.nrows() * k) as f64;
    let recall = found as f64 / total;
    let filtered = filtered_found as f64 / total;
    assert!(recall >= 0.9, "HNSW recall@{k} is {recall}");
    assert!(
        filtered >= 0.85,
        "HNSW recall@{k} with a filter is {filtered}"
    );
}

#[test]
fn zero_rows_are_left_out_of_the_graph() {
    let mut m = unit_rows(30, 8, 4);
    m.row_mut(5).fill(0.0);
    let inserted = std::sync::atomic::AtomicUsize::new(0);
    let idx = VectorIndex::build(m.clone(), VectorSearch::Hnsw, false, &|c| {
        inserted.fetch_add(c, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(inserted.into_inner(), 29);
    let q = m.row(6).to_vec();
    let hits = idx.search(&q, 30, 64, None);
    assert!(!hits.iter().any(|h| h.0 == 5), "{hits:?}");
    assert_eq!(hits[0].0, 6);
    assert_eq!(idx.cosine(5, &q), 0.0);
}

#[test]
fn dot_and_distance() {
    for len in [0usize, 1, 7, 8, 9, 31, 128, 131] {
        let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4, "{len}");
    }
    let x = [0.6f32, 0.8];
    assert!(UnitCosine.eval(&x, &x).abs() < 1e-6);
    assert!((UnitCosine.eval(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-6);
    assert!((UnitCosine.eval(&[1.0, 0.0], &[-1.0, 0.0]) - 2.0).abs() < 1e-6);
    // Rounding just past 1 does not make a negative distance.
    assert_eq!(UnitCosine.eval(&[1.000_001, 0.0], &[1.0, 0.0]), 0.0);
}
