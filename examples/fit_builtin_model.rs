//! Maintenance: fit the confidence model on the sample knowledge base and print it as the
//! Rust literal of `ConfidenceModel::builtin()` (`src/rank/model.rs`).
//!
//! The built-in weights are what a knowledge base gets when it has too few similar
//! questions to calibrate on itself. Re-run after large changes to the sample knowledge
//! base or to the ranking features:
//!
//! ```text
//! cargo run --release --example fit_builtin_model
//! ```

use wenda::{Bot, KnowledgeBase};

fn main() -> Result<(), wenda::Error> {
    // Fit afresh, not the saved model the sample knowledge base names.
    let kb = KnowledgeBase::load_without_model(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
    let bot = Bot::build(kb)?;
    let m = bot.model();
    let list = |w: &[f64]| {
        w.iter()
            .map(|x| format!("{x:.4}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("// fitted on the sample knowledge base: {:?}", m.origin);
    println!("ranker: vec![{}],", list(&m.ranker));
    println!("calibrator: vec![{}],", list(&m.calibrator));
    Ok(())
}
