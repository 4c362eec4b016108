//! Chooses HNSW parameters on a saved index's own vectors: for each (M, ef_construction),
//! the build time (all cores) and, for each search `ef`, recall@10 against exact search and
//! the median search time.
//!
//! ```text
//! cargo run --release -- bench --synthetic 100000 --save /tmp/idx100k
//! cargo run --release --example hnsw_params -- /tmp/idx100k/gen-*/vectors.f32
//! ```

use std::time::Instant;

use hnsw_rs::prelude::{Distance, Hnsw};
use rayon::prelude::*;

#[derive(Clone, Copy, Default)]
struct UnitCosine;

impl Distance<f32> for UnitCosine {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>()).max(0.0)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: hnsw_params VECTORS_F32")?;
    let bytes = std::fs::read(&path)?;
    let rd =
        |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8])) as usize;
    let (rows, cols) = (rd(8), rd(16));
    let data: Vec<f32> = bytes[24..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let row = |i: usize| &data[i * cols..(i + 1) * cols];
    // Queries: a stored vector nudged towards another one, renormalized.
    let queries: Vec<Vec<f32>> = (0..300)
        .map(|i| {
            let (a, b) = (row((i * 7919) % rows), row((i * 104_729 + 13) % rows));
            let mut q: Vec<f32> = a.iter().zip(b).map(|(x, y)| 0.8 * x + 0.2 * y).collect();
            let n = q.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
            q.iter_mut().for_each(|x| *x /= n);
            q
        })
        .collect();
    let exact: Vec<Vec<usize>> = queries
        .iter()
        .map(|q| {
            let mut s: Vec<(usize, f32)> = (0..rows)
                .map(|i| (i, row(i).iter().zip(q).map(|(x, y)| x * y).sum()))
                .collect();
            s.sort_by(|a, b| b.1.total_cmp(&a.1));
            s.into_iter().take(10).map(|p| p.0).collect()
        })
        .collect();
    println!("{rows} vectors of {cols}; 300 queries");
    println!("M\tef_c\tbuild_s\tef\trecall@10\tp50_us");
    for (m, ef_c) in [(16, 200), (32, 100), (24, 150)] {
        let t = Instant::now();
        let hnsw = Hnsw::new(m, rows, 16, ef_c, UnitCosine);
        let points: Vec<(&[f32], usize)> = (0..rows).map(|i| (row(i), i)).collect();
        points.par_iter().for_each(|&p| hnsw.insert_slice(p));
        let build = t.elapsed().as_secs_f64();
        for ef in [64, 96, 128] {
            let mut found = 0;
            let mut times = Vec::new();
            for (q, want) in queries.iter().zip(&exact) {
                let t = Instant::now();
                let got = hnsw.search(q, 10, ef);
                times.push(t.elapsed().as_secs_f64() * 1e6);
                found += got.iter().filter(|n| want.contains(&n.d_id)).count();
            }
            times.sort_by(f64::total_cmp);
            println!(
                "{m}\t{ef_c}\t{build:.1}\t{ef}\t{:.4}\t{:.0}",
                found as f64 / (10 * queries.len()) as f64,
                times[times.len() / 2]
            );
        }
    }
    Ok(())
}
