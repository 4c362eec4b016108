//! The quality metrics of `wenda eval`, as plain functions over plain numbers, so that each
//! can be checked by hand.

use serde::{Deserialize, Serialize};

/// Reciprocal rank of the right entry at 0-based position `rank`, counting only the first
/// `k` positions (0 when it is not among them or was not found).
///
/// ```
/// use wenda::eval::reciprocal_rank;
/// assert_eq!(reciprocal_rank(Some(0), 10), 1.0);
/// assert_eq!(reciprocal_rank(Some(3), 10), 0.25);
/// assert_eq!(reciprocal_rank(Some(10), 10), 0.0);
/// assert_eq!(reciprocal_rank(None, 10), 0.0);
/// ```
pub fn reciprocal_rank(rank: Option<usize>, k: usize) -> f64 {
    match rank {
        Some(r) if r < k => 1.0 / (r + 1) as f64,
        _ => 0.0,
    }
}

/// Mean reciprocal rank at `k` over 0-based ranks of the right entry (`None`: not found).
/// 0 for an empty list.
pub fn mrr(ranks: &[Option<usize>], k: usize) -> f64 {
    mean(ranks.iter().map(|&r| reciprocal_rank(r, k)), ranks.len())
}

/// Share of ranks below `k` (the right entry among the first `k` candidates); top-1
/// accuracy is `recall_at(ranks, 1)`. 0 for an empty list.
pub fn recall_at(ranks: &[Option<usize>], k: usize) -> f64 {
    mean(
        ranks
            .iter()
            .map(|r| if r.is_some_and(|r| r < k) { 1.0 } else { 0.0 }),
        ranks.len(),
    )
}

fn mean(values: impl Iterator<Item = f64>, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        values.sum::<f64>() / n as f64
    }
}

/// Area under the ROC curve: the probability that a random positive (`true`) scores above
/// a random negative, ties counting one half. `None` when either side is empty.
/// O(n log n) (rank-sum form).
pub fn auroc(scored: &[(f64, bool)]) -> Option<f64> {
    let positives = scored.iter().filter(|s| s.1).count();
    let negatives = scored.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank * sorted[i..j].iter().filter(|s| s.1).count() as f64;
        i = j;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Expected calibration error over `bins` equal-width bins of confidence: the average, each
/// bin weighted by its share of the items, of |mean confidence − share right| in the bin.
/// A confidence of exactly 1 falls in the last bin. 0 for an empty list.
pub fn ece(scored: &[(f64, bool)], bins: usize) -> f64 {
    let bins = bins.max(1);
    let mut sums = vec![(0.0f64, 0.0f64, 0usize); bins];
    for &(c, right) in scored {
        let b = ((c.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        sums[b].0 += c;
        sums[b].1 += if right { 1.0 } else { 0.0 };
        sums[b].2 += 1;
    }
    let n = scored.len().max(1) as f64;
    sums.iter()
        .filter(|b| b.2 > 0)
        .map(|&(c, r, k)| k as f64 / n * ((c - r) / k as f64).abs())
        .sum()
}

/// The most a robot could answer on its own at a precision target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Automation {
    /// The precision asked for (e.g. 0.9).
    pub target_precision: f64,
    /// Share of all queries answered (0 when no threshold reaches the target).
    pub rate: f64,
    /// The answer threshold that gives it: answer when confidence ≥ threshold (`None` when
    /// no threshold reaches the target).
    pub threshold: Option<f64>,
    /// Queries answered at that threshold.
    pub answered: usize,
    /// Precision of those answers (`None` when nothing is answered).
    pub precision: Option<f64>,
}

/// The automation rate at `target` precision: over every threshold `t` (each distinct
/// confidence), answering the queries with confidence ≥ `t`, the largest share of all
/// queries answered with at least `target` of the answers right, and the highest threshold
/// that gives that share. `scored` is `(confidence, the top answer is right)` for every
/// query, out-of-KB queries included (their top answer is never right).
pub fn automation_at_precision(scored: &[(f64, bool)], target: f64) -> Automation {
    let mut sorted: Vec<(f64, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = Automation {
        target_precision: target,
        rate: 0.0,
        threshold: None,
        answered: 0,
        precision: None,
    };
    let (mut answered, mut right) = (0usize, 0usize);
    let mut i = 0;
    while i < sorted.len() {
        // Take every query at this confidence: a threshold cannot split ties.
        let t = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == t {
            answered += 1;
            right += usize::from(sorted[i].1);
            i += 1;
        }
        let precision = right as f64 / answered as f64;
        if precision >= target && answered > best.answered {
            best.answered = answered;
            best.threshold = Some(t);
            best.precision = Some(precision);
            best.rate = answered as f64 / sorted.len() as f64;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn mrr_and_recall_by_hand() {
        // ranks 0, 1, 4, none, 12 → 1 + 1/2 + 1/5 + 0 + 0 over 5 (12 is beyond k = 10)
        let ranks = [Some(0), Some(1), Some(4), None, Some(12)];
        assert!(close(mrr(&ranks, 10), (1.0 + 0.5 + 0.2) / 5.0));
        assert!(close(mrr(&ranks, 13), (1.0 + 0.5 + 0.2 + 1.0 / 13.0) / 5.0));
        assert!(close(recall_at(&ranks, 1), 0.2));
        assert!(close(recall_at(&ranks, 5), 0.6));
        assert!(close(recall_at(&ranks, 4), 0.4));
        assert_eq!(mrr(&[], 10), 0.0);
        assert_eq!(recall_at(&[], 5), 0.0);
    }

    #[test]
    fn auroc_by_hand_with_ties() {
        // positives 0.9, 0.5; negatives 0.5, 0.1.
        // pairs: (0.9>0.5) 1, (0.9>0.1) 1, (0.5=0.5) ½, (0.5>0.1) 1 → 3.5 / 4
        let s = [(0.9, true), (0.5, true), (0.5, false), (0.1, false)];
        assert!(close(auroc(&s).unwrap(), 0.875));
        // perfect, reversed, all tied
        assert_eq!(auroc(&[(0.9, true), (0.1, false)]), Some(1.0));
        assert_eq!(auroc(&[(0.1, true), (0.9, false)]), Some(0.0));
        assert_eq!(auroc(&[(0.4, true), (0.4, false), (0.4, true)]), Some(0.5));
        // one side missing
        assert_eq!(auroc(&[(0.4, true)]), None);
        assert_eq!(auroc(&[]), None);
    }

    #[test]
    fn auroc_matches_pair_counting() {
        let mut rng = crate::stable_hash::Rng::new(7);
        let mut s = Vec::new();
        for _ in 0..300 {
            let state = rng.next_u64();
            let c = (state % 20) as f64 / 20.0; // many ties
            s.push((c, state.is_multiple_of(3)));
        }
        let (mut wins, mut pairs) = (0.0, 0.0);
        for p in s.iter().filter(|x| x.1) {
            for n in s.iter().filter(|x| !x.1) {
                pairs += 1.0;
                wins += if p.0 > n.0 {
                    1.0
                } else if p.0 == n.0 {
                    0.5
                } else {
                    0.0
                };
            }
        }
        assert!((auroc(&s).unwrap() - wins / pairs).abs() < 1e-9);
    }

    #[test]
    fn ece_by_hand() {
        // bin [0.9, 1]: 0.95 and 1.0, one right → |0.975 − 0.5| × 2/4
        // bin [0.2, 0.3): 0.25, 0.25, none right → |0.25 − 0| × 2/4
        let s = [(0.95, true), (1.0, false), (0.25, false), (0.25, false)];
        assert!(close(ece(&s, 10), 0.475 * 0.5 + 0.25 * 0.5));
        // perfectly calibrated: confidence 0.5, half right
        assert!(close(ece(&[(0.5, true), (0.5, false)], 10), 0.0));
        assert_eq!(ece(&[], 10), 0.0);
    }

    #[test]
    fn automation_by_hand() {
        // sorted: 0.9 R, 0.8 R, 0.7 W, 0.6 R, 0.5 R, 0.4 W, 0.3 W  (7 queries)
        // t=0.9: 1/1; 0.8: 2/2; 0.7: 2/3 = .67; 0.6: 3/4 = .75; 0.5: 4/5 = .8; ...
        let s = [
            (0.7, false),
            (0.9, true),
            (0.5, true),
            (0.8, true),
            (0.6, true),
            (0.4, false),
            (0.3, false),
        ];
        let a = automation_at_precision(&s, 0.9);
        assert_eq!(a.threshold, Some(0.8));
        assert_eq!(a.answered, 2);
        assert!(close(a.rate, 2.0 / 7.0));
        assert_eq!(a.precision, Some(1.0));
        let a = automation_at_precision(&s, 0.8);
        assert_eq!(a.threshold, Some(0.5));
        assert_eq!(a.answered, 5);
        assert!(close(a.precision.unwrap(), 0.8));
    }

    #[test]
    fn automation_ties_and_nothing_reachable() {
        // A tie at the top with one wrong answer: precision 1/2 → nothing reaches 0.9.
        let s = [(0.9, true), (0.9, false), (0.2, true)];
        let a = automation_at_precision(&s, 0.9);
        assert_eq!(a.threshold, None);
        assert_eq!(a.rate, 0.0);
        assert_eq!(a.answered, 0);
        assert_eq!(a.precision, None);
        assert_eq!(automation_at_precision(&[], 0.9).threshold, None);
    }
}
