//! The confidence model: a ranker that orders candidate entries, and a calibrator that turns
//! the ranking into the probability that an entry is the right answer.
//!
//! Both are logistic models over a handful of readable inputs, so a curator can see why a
//! confidence is what it is, and a confidence can never exceed 1.

use serde::{Deserialize, Serialize};

use super::features::{Features, RANK_FEATURES};

/// Inputs of the calibrator, in weight order.
pub const CALIBRATION_INPUTS: [&str; 8] = [
    "score",
    "margin",
    "unknown_share",
    "gram_cosine",
    "term_recall",
    "cosine",
    "centroid_cosine",
    "term_precision",
];

/// Largest margin (in score units) the calibrator sees; beyond it a lead is a lead.
pub(crate) const MARGIN_CAP: f64 = 5.0;

/// How the weights were obtained.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelOrigin {
    /// The weights shipped with wenda (fitted on the sample knowledge base).
    Builtin,
    /// Fitted on this knowledge base by asking its own questions with them held out.
    SelfCalibrated {
        /// Held-out similar questions whose entry stayed in the index.
        in_kb: usize,
        /// Questions asked with their whole entry held out (should not be answered).
        held_out_entries: usize,
        /// Made-up off-topic questions (should not be answered).
        off_topic: usize,
    },
}

/// Weights of the ranker and the calibrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceModel {
    /// Ranker weights for [`Features::RANKING_NAMES`], then the bias.
    pub ranker: Vec<f64>,
    /// Calibrator weights for [`CALIBRATION_INPUTS`], then the bias.
    pub calibrator: Vec<f64>,
    /// Where the weights came from.
    pub origin: ModelOrigin,
}

/// Logistic function.
pub(crate) fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Dot product of `w` (with a trailing bias) and `x`.
pub(crate) fn linear(w: &[f64], x: &[f64]) -> f64 {
    let bias = w.last().copied().unwrap_or(0.0);
    w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + bias
}

/// The calibrator's inputs for a candidate with ranking score `score`, `margin` over the
/// best other candidate.
pub(crate) fn calibration_inputs(score: f64, margin: f64, f: &Features) -> [f64; 8] {
    [
        score,
        margin.clamp(-MARGIN_CAP, MARGIN_CAP),
        f.unknown_share,
        f.gram_cosine,
        f.term_recall,
        f.cosine,
        f.centroid_cosine,
        f.term_precision,
    ]
}

impl ConfidenceModel {
    /// The weights shipped with wenda, fitted on the sample knowledge base (`knowledge/`)
    /// by self-calibration (`cargo run --release --example fit_builtin_model` prints them).
    /// Used when a knowledge base has too few similar questions to fit its own, or with
    /// `calibration.mode = "builtin"`.
    pub fn builtin() -> Self {
        ConfidenceModel {
            ranker: vec![
                1.9240, 3.2444, 2.3016, 4.6420, 0.4916, 0.0113, 0.3003, -0.3606, -3.1885,
            ],
            calibrator: vec![
                0.0000, 0.3627, -0.7060, 0.0000, 0.0000, 0.0000, 4.7068, 0.0000, -1.9301,
            ],
            origin: ModelOrigin::Builtin,
        }
    }

    /// Ranking score (log-odds) of a candidate.
    pub fn score(&self, f: &Features) -> f64 {
        linear(&self.ranker, &f.ranking_values())
    }

    /// Probability that a candidate with this score and margin is the right answer.
    pub fn confidence(&self, score: f64, margin: f64, f: &Features) -> f64 {
        sigmoid(linear(
            &self.calibrator,
            &calibration_inputs(score, margin, f),
        ))
    }

    /// Whether the weight vectors have the lengths this version of wenda expects.
    pub fn is_well_formed(&self) -> bool {
        self.ranker.len() == RANK_FEATURES + 1
            && self.calibrator.len() == CALIBRATION_INPUTS.len() + 1
            && self
                .ranker
                .iter()
                .chain(&self.calibrator)
                .all(|w| w.is_finite())
    }
}
