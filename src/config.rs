//! Options from `wenda.toml`, with documented defaults.
//!
//! Every section and key is optional; a key left out keeps its default. Unknown keys are
//! reported as errors (a misspelt threshold must not be silently ignored).
//!
//! ```toml
//! [thresholds]
//! answer = 0.6     # confidence ≥ this: answer on its own
//! clarify = 0.25   # confidence ≥ this (and < answer): offer "did you mean" choices
//!
//! [clarify]
//! max_suggestions = 3    # at most this many suggestions (1–10)
//! min_confidence = 0.05  # a suggestion needs at least this confidence
//!
//! [retrieval]
//! lexical_candidates = 50  # question variants fetched from the BM25 index
//! vector_candidates = 30   # question variants fetched from the vector index
//! max_entries = 20         # FAQ entries scored per question
//! vector_search = "auto"   # "exact" below 20,000 variants, "hnsw" from there; or force one
//! hnsw_ef = 64             # HNSW search breadth; higher is slower and more exact
//!
//! [embedding]
//! dimension = 128          # width of the built-in embedder's vectors (16–1024)
//!
//! [calibration]
//! mode = "auto"            # "auto": fit the confidence model on the KB's own similar
//!                          # questions when there are enough; "builtin": shipped weights
//! min_examples = 40        # held-out questions needed before "auto" fits
//! # model = "model.json"   # a saved model (`wenda calibrate`), relative to the knowledge
//!                          # directory; when set, used instead of fitting at build
//! ```
//!
//! Confidences are estimated probabilities that the top answer is right, so thresholds are
//! probabilities and mean the same on every knowledge base.

use serde::{Deserialize, Serialize};

/// All options. `Config::default()` is the documented default of every key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Config {
    /// Decision thresholds.
    pub thresholds: Thresholds,
    /// "Did you mean" options.
    pub clarify: ClarifyOptions,
    /// How many candidates are fetched and scored.
    pub retrieval: RetrievalOptions,
    /// The built-in embedder.
    pub embedding: EmbeddingOptions,
    /// How the confidence model is obtained.
    pub calibration: CalibrationOptions,
}

/// Confidence thresholds, in probability units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// Answer when the top confidence is at least this. Default 0.6.
    pub answer: f64,
    /// Offer suggestions when the top confidence is at least this (and below `answer`);
    /// below it, hand off with `low_confidence`. Default 0.25.
    pub clarify: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            answer: 0.6,
            clarify: 0.25,
        }
    }
}

/// Options for `clarify` replies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClarifyOptions {
    /// Most suggestions offered. Default 3.
    pub max_suggestions: usize,
    /// Least confidence a suggestion needs. Default 0.05.
    pub min_confidence: f64,
}

impl Default for ClarifyOptions {
    fn default() -> Self {
        ClarifyOptions {
            max_suggestions: 3,
            min_confidence: 0.05,
        }
    }
}

/// Which vector search to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VectorSearch {
    /// `exact` below [`AUTO_HNSW_MIN_VARIANTS`] question variants, `hnsw` from there on.
    /// Default.
    #[default]
    Auto,
    /// Approximate search in an HNSW graph (hnsw_rs): time grows slowly with the number of
    /// variants, at a small loss of recall.
    Hnsw,
    /// Exact brute-force cosine over every vector: exact, and faster than walking a graph
    /// while the knowledge base is small (a few thousand variants take tens of µs).
    Exact,
}

/// Number of question variants from which `vector_search = "auto"` uses HNSW.
pub const AUTO_HNSW_MIN_VARIANTS: usize = 20_000;

impl VectorSearch {
    /// The method used for a knowledge base of `variants` question variants.
    pub fn resolve(self, variants: usize) -> VectorSearch {
        match self {
            VectorSearch::Auto if variants >= AUTO_HNSW_MIN_VARIANTS => VectorSearch::Hnsw,
            VectorSearch::Auto => VectorSearch::Exact,
            other => other,
        }
    }
}

/// Candidate retrieval sizes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetrievalOptions {
    /// Question variants fetched from the BM25 index. Default 50.
    pub lexical_candidates: usize,
    /// Question variants fetched from the vector index. Default 30.
    pub vector_candidates: usize,
    /// FAQ entries scored per question (the best by first-stage score). Default 20.
    pub max_entries: usize,
    /// Vector search method. Default `auto`.
    pub vector_search: VectorSearch,
    /// HNSW search breadth (`ef`); at least `vector_candidates` is used. Default 64.
    pub hnsw_ef: usize,
}

impl Default for RetrievalOptions {
    fn default() -> Self {
        RetrievalOptions {
            lexical_candidates: 50,
            vector_candidates: 30,
            max_entries: 20,
            vector_search: VectorSearch::Auto,
            hnsw_ef: 64,
        }
    }
}

/// Built-in embedder options.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmbeddingOptions {
    /// Vector width. Default 128.
    pub dimension: usize,
}

impl Default for EmbeddingOptions {
    fn default() -> Self {
        EmbeddingOptions { dimension: 128 }
    }
}

/// Where the confidence model's weights come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CalibrationMode {
    /// Fit on the knowledge base itself (held-out similar questions and held-out entries)
    /// when it has at least `min_examples` held-out questions; otherwise use the built-in
    /// weights. Default.
    #[default]
    Auto,
    /// Always use the built-in weights shipped with wenda.
    Builtin,
}

/// Calibration options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalibrationOptions {
    /// Default `auto`.
    pub mode: CalibrationMode,
    /// Held-out questions needed for `auto` to fit. Default 40.
    pub min_examples: usize,
    /// A confidence model saved by `wenda calibrate` (or
    /// [`ConfidenceModel::save`](crate::rank::ConfidenceModel::save)), relative to the
    /// knowledge directory. When set, the bot uses it instead of fitting one at build, and
    /// `mode` is ignored. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<std::path::PathBuf>,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        CalibrationOptions {
            mode: CalibrationMode::Auto,
            min_examples: 40,
            model: None,
        }
    }
}

impl Config {
    /// Checks ranges and ordering; returns one message per problem (empty when valid).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let t = &self.thresholds;
        for (name, v) in [("answer", t.answer), ("clarify", t.clarify)] {
            if !(0.0..=1.0).contains(&v) {
                out.push(format!(
                    "[thresholds] {name} = {v} is not a probability (use a number from 0 to 1)"
                ));
            }
        }
        if t.clarify > t.answer {
            out.push(format!(
                "[thresholds] clarify ({}) must not be above answer ({})",
                t.clarify, t.answer
            ));
        }
        let c = &self.clarify;
        if !(1..=10).contains(&c.max_suggestions) {
            out.push(format!(
                "[clarify] max_suggestions = {} must be from 1 to 10",
                c.max_suggestions
            ));
        }
        if !(0.0..=1.0).contains(&c.min_confidence) {
            out.push(format!(
                "[clarify] min_confidence = {} is not a probability",
                c.min_confidence
            ));
        }
        let r = &self.retrieval;
        for (name, v) in [
            ("lexical_candidates", r.lexical_candidates),
            ("vector_candidates", r.vector_candidates),
            ("max_entries", r.max_entries),
            ("hnsw_ef", r.hnsw_ef),
        ] {
            if !(1..=10_000).contains(&v) {
                out.push(format!("[retrieval] {name} = {v} must be from 1 to 10000"));
            }
        }
        if !(16..=1024).contains(&self.embedding.dimension) {
            out.push(format!(
                "[embedding] dimension = {} must be from 16 to 1024",
                self.embedding.dimension
            ));
        }
        out
    }

    /// `Ok` when [`problems`](Self::problems) is empty, else an [`Error::Config`](crate::Error::Config).
    pub fn validate(&self) -> crate::Result<()> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(crate::Error::Config(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert!(Config::default().problems().is_empty());
    }

    #[test]
    fn out_of_order_thresholds() {
        let mut c = Config::default();
        c.thresholds.clarify = 1.5;
        c.thresholds.answer = 0.5;
        let p = c.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(c.validate().is_err());
    }
}
