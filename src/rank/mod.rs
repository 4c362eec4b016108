//! Ranking: features of candidate entries computed from the indexes, and fitting the
//! confidence model ([`ConfidenceModel`]) on held-out questions.

mod features;
pub(crate) mod fit;

pub use crate::model::{
    CALIBRATION_INPUTS, CalibrationInput, ConfidenceModel, Features, ModelOrigin, RankFeature,
};
pub(crate) use features::{QueryView, entry_features};
