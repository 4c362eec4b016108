//! Ranking: features per candidate entry, and the confidence model over them.

mod features;
pub(crate) mod fit;
mod model;

pub use features::Features;
pub(crate) use features::{QueryView, entry_features};
pub use model::{CALIBRATION_INPUTS, ConfidenceModel, ModelOrigin};
