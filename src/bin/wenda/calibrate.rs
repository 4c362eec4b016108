//! `wenda calibrate --out FILE`: fit the confidence model and save it.

use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use wenda::eval::read_queries;
use wenda::rank::ModelOrigin;
use wenda::{Error, KnowledgeBase};

use super::kb::{KbArg, build_with, missing_as};

/// Fit the confidence model (on the knowledge base itself, or on labelled queries) and save
/// it; name the file in wenda.toml (`[calibration] model = "…"`) to use it.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: KbArg,
    /// Fit on these labelled queries (JSON Lines of {"query", "expected": id | null})
    /// instead of the knowledge base's own held-out similar questions.
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Where to write the model (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let queries = args
        .queries
        .as_ref()
        .map(read_queries)
        .transpose()
        .map_err(missing_as(
            "--queries: a JSON Lines file of labelled questions",
        ))?;
    // Fit afresh: ignore (and do not even read) a model the knowledge base already names,
    // which may be stale or unreadable.
    let kb = KnowledgeBase::load_without_model(&args.kb.kb)?;
    let mut config = kb.config().clone();
    if queries.is_some() {
        config.calibration.mode = wenda::config::CalibrationMode::Builtin;
    } else {
        config.calibration.mode = wenda::config::CalibrationMode::Auto;
    }
    let bot = build_with(kb, |b| b.config(config))?;
    let model = match (&queries, &args.queries) {
        (Some(queries), Some(path)) => {
            if let Some(w) = wenda::eval::fitting_warning(queries) {
                errln!("warning: {}: {w}", path.display());
            }
            let bar = ProgressBar::new(queries.len() as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} queries")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let progress = bar.clone();
            let model = bot.fit_model(queries, &path.display().to_string(), &move |d, _| {
                progress.set_position(d as u64)
            });
            bar.finish_and_clear();
            model?
        }
        _ => {
            let model = bot.model().clone();
            if model.origin == ModelOrigin::Builtin {
                return Err(Error::Config(format!(
                    "{} has too few similar questions to fit a model on (at least {} are needed, see [calibration] min_examples); the built-in weights are used without a model file",
                    args.kb.kb.display(),
                    bot.config().calibration.min_examples
                )));
            }
            model
        }
    };
    model
        .save(&args.out)
        .map_err(missing_as("--out: its folder must exist"))?;
    outln!("wrote {}: {}", args.out.display(), model.describe())?;
    Ok(ExitCode::SUCCESS)
}
