//! Summaries of measurements, shared by evaluation and benchmarks so that both report a
//! percentile the same way.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The `q`-quantile (0..=1) of `sorted` (ascending) by nearest rank: the smallest value
/// with at least a share `q` of the values at or below it. `None` when there are none.
pub fn percentile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Latency percentiles, in whole microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    #[serde(default)]
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Mean.
    #[serde(default)]
    pub mean: u64,
    /// Slowest.
    #[serde(default)]
    pub max: u64,
}

impl Latency {
    /// Percentiles of `samples` (nearest rank); all zero when there are
    /// none. Sorts `samples`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wenda::bench::Latency;
    /// let mut d: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
    /// let l = Latency::of(&mut d);
    /// assert_eq!((l.p50, l.p90, l.p99, l.max), (50, 90, 99, 100));
    /// ```
    pub fn of(samples: &mut [Duration]) -> Latency {
        samples.sort_unstable();
        let us = |d: Duration| d.as_micros().min(u64::MAX as u128) as u64;
        let at = |q: f64| percentile(samples, q).map_or(0, us);
        let total: u128 = samples.iter().map(|d| d.as_micros()).sum();
        Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            mean: total
                .checked_div(samples.len() as u128)
                .map_or(0, |m| m.min(u64::MAX as u128) as u64),
            max: samples.last().copied().map_or(0, us),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut d: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let l = Latency::of(&mut d);
        assert_eq!((l.p50, l.p90, l.p99, l.max), (50, 90, 99, 100));
        assert_eq!(l.mean, 50);
        assert_eq!(Latency::of(&mut []), Latency::default());
        let mut one = [Duration::from_micros(7)];
        assert_eq!(Latency::of(&mut one).p99, 7);
        assert_eq!(percentile(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(percentile::<u8>(&[], 0.5), None);
    }
}
