//! Ranking features: how well one FAQ entry matches one question, as numbers a curator can
//! read and a small model can weigh.

use serde::{Deserialize, Serialize};

/// The features of one candidate entry for one question. Every value is in [0, 1]; for
/// per-variant features the entry's best variant counts.
#[cfg_attr(feature = "serve", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Features {
    /// BM25 of the entry's best variant divided by the best BM25 of any variant for this
    /// question (0 when the lexical index did not return the entry).
    pub bm25: f64,
    /// Cosine of the question's and the variant's embeddings.
    pub cosine: f64,
    /// Cosine of tf-idf weighted character unigram + bigram vectors.
    pub gram_cosine: f64,
    /// Character n-gram cosine against the average of all the entry's variants (how well
    /// the question fits the entry's whole paraphrase group).
    pub centroid_cosine: f64,
    /// Share of the question's words (idf-weighted) found in the variant.
    pub term_recall: f64,
    /// Share of the variant's words (idf-weighted) found in the question.
    pub term_precision: f64,
    /// 1 − edit distance / longer length, over character units.
    pub edit_similarity: f64,
    /// Shorter length / longer length, in character units.
    pub length_ratio: f64,
    /// Share of the question's words (idf-weighted) that occur nowhere in the knowledge
    /// base. The same for every candidate of a question.
    pub unknown_share: f64,
    /// Character n-gram cosine of the entry's second-best variant (0 for an entry with one
    /// question): an entry whose several paraphrases match is likelier than one phrasing.
    #[serde(default)]
    pub support: f64,
}

/// A feature the ranker weighs, by name: the one list that the features, the fit and the
/// model file use (in this order, which is the weights' order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RankFeature {
    /// [`Features::bm25`].
    Bm25,
    /// [`Features::cosine`].
    Cosine,
    /// [`Features::gram_cosine`].
    GramCosine,
    /// [`Features::centroid_cosine`].
    CentroidCosine,
    /// [`Features::term_recall`].
    TermRecall,
    /// [`Features::term_precision`].
    TermPrecision,
    /// [`Features::edit_similarity`].
    EditSimilarity,
    /// [`Features::length_ratio`].
    LengthRatio,
    /// [`Features::support`].
    Support,
}

/// Number of features used by the ranker (all but `unknown_share`).
pub(crate) const RANK_FEATURES: usize = RankFeature::ALL.len();

impl RankFeature {
    /// Every ranking feature, in weight order.
    pub const ALL: [RankFeature; 9] = [
        RankFeature::Bm25,
        RankFeature::Cosine,
        RankFeature::GramCosine,
        RankFeature::CentroidCosine,
        RankFeature::TermRecall,
        RankFeature::TermPrecision,
        RankFeature::EditSimilarity,
        RankFeature::LengthRatio,
        RankFeature::Support,
    ];

    /// The feature's name, as in [`Features`]' JSON and the model file.
    pub const fn name(self) -> &'static str {
        match self {
            RankFeature::Bm25 => "bm25",
            RankFeature::Cosine => "cosine",
            RankFeature::GramCosine => "gram_cosine",
            RankFeature::CentroidCosine => "centroid_cosine",
            RankFeature::TermRecall => "term_recall",
            RankFeature::TermPrecision => "term_precision",
            RankFeature::EditSimilarity => "edit_similarity",
            RankFeature::LengthRatio => "length_ratio",
            RankFeature::Support => "support",
        }
    }

    /// The feature's value in `f`.
    pub fn of(self, f: &Features) -> f64 {
        match self {
            RankFeature::Bm25 => f.bm25,
            RankFeature::Cosine => f.cosine,
            RankFeature::GramCosine => f.gram_cosine,
            RankFeature::CentroidCosine => f.centroid_cosine,
            RankFeature::TermRecall => f.term_recall,
            RankFeature::TermPrecision => f.term_precision,
            RankFeature::EditSimilarity => f.edit_similarity,
            RankFeature::LengthRatio => f.length_ratio,
            RankFeature::Support => f.support,
        }
    }
}

/// An input of the calibrator, by name (in weight order, see [`CalibrationInput::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalibrationInput {
    /// The candidate's ranking score.
    Score,
    /// Its lead over the other candidates (score minus their log-sum-exp), capped.
    Margin,
    /// [`Features::unknown_share`].
    UnknownShare,
    /// [`Features::gram_cosine`].
    GramCosine,
    /// [`Features::term_recall`].
    TermRecall,
    /// [`Features::cosine`].
    Cosine,
    /// [`Features::centroid_cosine`].
    CentroidCosine,
    /// [`Features::term_precision`].
    TermPrecision,
}

/// Largest margin (in score units) the calibrator sees; beyond it a lead is a lead.
pub(crate) const MARGIN_CAP: f64 = 5.0;

impl CalibrationInput {
    /// Every calibrator input, in weight order.
    pub const ALL: [CalibrationInput; 8] = [
        CalibrationInput::Score,
        CalibrationInput::Margin,
        CalibrationInput::UnknownShare,
        CalibrationInput::GramCosine,
        CalibrationInput::TermRecall,
        CalibrationInput::Cosine,
        CalibrationInput::CentroidCosine,
        CalibrationInput::TermPrecision,
    ];

    /// The input's name, as in the model file.
    pub const fn name(self) -> &'static str {
        match self {
            CalibrationInput::Score => "score",
            CalibrationInput::Margin => "margin",
            CalibrationInput::UnknownShare => "unknown_share",
            CalibrationInput::GramCosine => "gram_cosine",
            CalibrationInput::TermRecall => "term_recall",
            CalibrationInput::Cosine => "cosine",
            CalibrationInput::CentroidCosine => "centroid_cosine",
            CalibrationInput::TermPrecision => "term_precision",
        }
    }

    /// The input's value for a candidate with ranking score `score`, `margin` over the
    /// other candidates, and features `f`.
    pub fn of(self, score: f64, margin: f64, f: &Features) -> f64 {
        match self {
            CalibrationInput::Score => score,
            CalibrationInput::Margin => margin.clamp(-MARGIN_CAP, MARGIN_CAP),
            CalibrationInput::UnknownShare => f.unknown_share,
            CalibrationInput::GramCosine => f.gram_cosine,
            CalibrationInput::TermRecall => f.term_recall,
            CalibrationInput::Cosine => f.cosine,
            CalibrationInput::CentroidCosine => f.centroid_cosine,
            CalibrationInput::TermPrecision => f.term_precision,
        }
    }
}

/// Names of the calibrator's inputs, in weight order.
pub const CALIBRATION_INPUTS: [&str; CalibrationInput::ALL.len()] = {
    let mut names = [""; CalibrationInput::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = CalibrationInput::ALL[i].name();
        i += 1;
    }
    names
};

/// The calibrator's inputs for a candidate, in weight order.
pub(crate) fn calibration_inputs(
    score: f64,
    margin: f64,
    f: &Features,
) -> [f64; CalibrationInput::ALL.len()] {
    CalibrationInput::ALL.map(|c| c.of(score, margin, f))
}

impl Features {
    /// Names of the features in [`Features::ranking_values`] order.
    pub const RANKING_NAMES: [&'static str; RANK_FEATURES] = {
        let mut names = [""; RANK_FEATURES];
        let mut i = 0;
        while i < RANK_FEATURES {
            names[i] = RankFeature::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The values the ranker weighs, in [`RankFeature::ALL`] order.
    pub fn ranking_values(&self) -> [f64; RANK_FEATURES] {
        RankFeature::ALL.map(|r| r.of(self))
    }
}
