//! The confidence model: a ranker that orders candidate entries, and a calibrator that turns
//! the ranking into the probability that an entry is the right answer; the features both
//! weigh, by name; and the model file.
//!
//! Plain data and arithmetic: computing features from the indexes and fitting the weights
//! are [`rank`](crate::rank)'s work. A knowledge base names its saved model file, so the
//! model sits below the knowledge layer.
//!
//! Both are logistic models over a handful of readable inputs, so a curator can see why a
//! confidence is what it is, and a confidence can never exceed 1.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod features;

pub use features::{CALIBRATION_INPUTS, CalibrationInput, Features, RankFeature};
pub(crate) use features::{MARGIN_CAP, RANK_FEATURES, calibration_inputs};

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
        /// Made-up rephrasings of entries' own questions (see
        /// [`ProbeKind`](crate::config::ProbeKind)), by kind name: the evidence used where
        /// real similar questions are few. Empty in model files of earlier versions.
        #[serde(default)]
        made_up: std::collections::BTreeMap<String, usize>,
        /// Entries with a held-out similar question (real evidence of paraphrasing).
        #[serde(default)]
        entries_with_similar: usize,
    },
    /// Fitted on a file of labelled queries (`wenda calibrate --queries`).
    Queries {
        /// The file, as given.
        file: String,
        /// [`crate::eval::fingerprint`] of its queries, so that `eval` can refuse to score
        /// the model on them.
        fingerprint: String,
        /// Queries with an expected entry.
        in_kb: usize,
        /// Queries that should not be answered.
        out_of_kb: usize,
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
    /// [`KnowledgeBase::fingerprint`](crate::KnowledgeBase::fingerprint) of the knowledge
    /// base the model was fitted on (`None` for the built-in weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<String>,
}

/// Version of the model file layout written by [`ConfidenceModel::save`].
pub const MODEL_FORMAT: u32 = 1;

/// A saved model: the weights plus what they were fitted for.
#[derive(Serialize, Deserialize)]
struct ModelFile {
    format: u32,
    wenda_version: String,
    ranking_features: Vec<String>,
    calibration_inputs: Vec<String>,
    #[serde(flatten)]
    model: ConfidenceModel,
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

impl ConfidenceModel {
    /// The weights shipped with wenda, fitted on the sample knowledge base (`knowledge/`)
    /// by self-calibration (`cargo run --release --example fit_builtin_model` prints them).
    /// Used when a knowledge base has too few similar questions to fit its own, or with
    /// `calibration.mode = "builtin"`.
    pub fn builtin() -> Self {
        use CalibrationInput as C;
        use RankFeature as R;
        let ranker = R::ALL.map(|r| match r {
            R::Bm25 | R::TermPrecision => 0.0,
            R::Cosine => 1.9244,
            R::GramCosine => 2.1827,
            R::CentroidCosine => 7.9145,
            R::TermRecall => 1.9019,
            R::EditSimilarity => 0.6221,
            R::LengthRatio => -1.1670,
            R::Support => 3.7372,
        });
        let calibrator = C::ALL.map(|c| match c {
            C::Margin => 0.5988,
            C::UnknownShare => -0.0943,
            C::CentroidCosine => 1.3885,
            C::Score | C::GramCosine | C::TermRecall | C::Cosine | C::TermPrecision => 0.0,
        });
        ConfidenceModel {
            // Weights in `ALL` order, then the bias.
            ranker: ranker.into_iter().chain([0.0]).collect(),
            calibrator: calibrator.into_iter().chain([-0.6891]).collect(),
            origin: ModelOrigin::Builtin,
            knowledge: None,
        }
    }

    /// How the model was obtained, in words.
    pub fn describe(&self) -> String {
        match &self.origin {
            ModelOrigin::Builtin => {
                "built-in weights (fitted on wenda's sample knowledge base)".to_string()
            }
            ModelOrigin::SelfCalibrated {
                in_kb,
                held_out_entries,
                off_topic,
                made_up,
                entries_with_similar,
            } => {
                let total: usize = made_up.values().sum();
                let kinds: Vec<String> = made_up
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect();
                let made = if total == 0 {
                    String::new()
                } else {
                    format!(
                        ", {total} made-up rephrasings of the entries' own questions ({})",
                        kinds.join(", ")
                    )
                };
                format!(
                    "self-calibrated on the knowledge base ({in_kb} held-out similar questions of {entries_with_similar} entries{made}, {held_out_entries} questions of held-out entries, {off_topic} made-up off-topic questions)"
                )
            }
            ModelOrigin::Queries {
                file,
                in_kb,
                out_of_kb,
                ..
            } => format!(
                "fitted on labelled queries from {file} ({in_kb} in the knowledge base, {out_of_kb} not)"
            ),
        }
    }

    /// The model as JSON, with its format version and the feature names it was fitted
    /// for (what [`ConfidenceModel::save`] writes).
    pub fn to_json(&self) -> String {
        let file = ModelFile {
            format: MODEL_FORMAT,
            wenda_version: env!("CARGO_PKG_VERSION").to_string(),
            ranking_features: Features::RANKING_NAMES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            calibration_inputs: CALIBRATION_INPUTS.iter().map(|s| s.to_string()).collect(),
            model: self.clone(),
        };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }

    /// Reads a model from [`to_json`](Self::to_json) output. `source` names it in errors.
    ///
    /// # Errors
    /// [`Error::BadModel`] when the text is not a model file, is of
    /// another format, or was fitted for other features than this version of wenda
    /// computes (refit it with `wenda calibrate`).
    pub fn from_json(text: &str, source: &str) -> Result<Self> {
        let refit = "fit it again with `wenda calibrate`";
        let bad = |reason: String| Error::BadModel {
            file: Some(source.to_string()),
            reason,
        };
        let file: ModelFile = serde_json::from_str(text)
            .map_err(|e| bad(format!("is not a wenda confidence model: {e}")))?;
        if file.format != MODEL_FORMAT {
            return Err(bad(format!(
                "is a model file of format {} but this wenda reads format {MODEL_FORMAT}; {refit}",
                file.format
            )));
        }
        if file.ranking_features != Features::RANKING_NAMES
            || file.calibration_inputs != CALIBRATION_INPUTS
            || !file.model.is_well_formed()
        {
            return Err(bad(format!(
                "was fitted by wenda {} for other ranking features than this version computes; {refit}",
                file.wenda_version
            )));
        }
        Ok(file.model)
    }

    /// Writes the model to `path` as JSON (see [`to_json`](Self::to_json)).
    ///
    /// ```
    /// use wenda::rank::ConfidenceModel;
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("model.json");
    /// ConfidenceModel::builtin().save(&path)?;
    /// assert_eq!(ConfidenceModel::load(&path)?, ConfidenceModel::builtin());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) when the file cannot be written.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let mut text = self.to_json();
        text.push('\n');
        std::fs::write(path, text).map_err(|e| Error::io(path, e))
    }

    /// Reads a model written by [`save`](Self::save).
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) when the file cannot be read; see
    /// [`from_json`](Self::from_json).
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_json(&text, &path.display().to_string())
    }

    /// Ranking score (log-odds) of a candidate.
    pub fn score(&self, f: &Features) -> f64 {
        linear(&self.ranker, &f.ranking_values())
    }

    /// Probability that a candidate with this score and margin is the right answer. The
    /// margin is the candidate's score minus the log-sum-exp of the other candidates'
    /// scores for the same question (a lead over all of them).
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
