//! Sparse vectors: sorted `(id, weight)` pairs.

/// A sparse vector with ids in increasing order and no repeats.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SparseVec(pub Vec<(u32, f32)>);

impl SparseVec {
    /// Builds from unsorted `(id, weight)` pairs, summing repeats.
    pub fn from_pairs(mut pairs: Vec<(u32, f32)>) -> Self {
        pairs.sort_unstable_by_key(|p| p.0);
        let mut out: Vec<(u32, f32)> = Vec::with_capacity(pairs.len());
        for (id, w) in pairs {
            match out.last_mut() {
                Some(last) if last.0 == id => last.1 += w,
                _ => out.push((id, w)),
            }
        }
        SparseVec(out)
    }

    /// Euclidean norm.
    pub fn norm(&self) -> f32 {
        self.0.iter().map(|p| p.1 * p.1).sum::<f32>().sqrt()
    }

    /// Scales to unit length (a zero vector stays zero).
    pub fn normalized(mut self) -> Self {
        let n = self.norm();
        if n > 0.0 {
            for p in &mut self.0 {
                p.1 /= n;
            }
        }
        self
    }

    /// Dot product by merging the two id lists.
    pub fn dot(&self, other: &SparseVec) -> f32 {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j, mut sum) = (0, 0, 0.0);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    sum += a[i].1 * b[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_norm() {
        let a = SparseVec::from_pairs(vec![(3, 1.0), (1, 2.0), (3, 1.0)]);
        assert_eq!(a.0, vec![(1, 2.0), (3, 2.0)]);
        let b = SparseVec::from_pairs(vec![(3, 1.0), (5, 1.0)]);
        assert_eq!(a.dot(&b), 2.0);
        assert!((a.clone().normalized().norm() - 1.0).abs() < 1e-6);
        assert_eq!(SparseVec::default().normalized().norm(), 0.0);
    }
}
