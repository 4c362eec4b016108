//! Building a [`Bot`]: analyze every question, index, embed, calibrate.

use std::sync::Arc;

use ndarray::Array2;

use super::Bot;
use super::calibrate::self_calibrate;
use crate::config::{CalibrationMode, Config};
use crate::embed::{Embedder, NgramEmbedder};
use crate::error::{Error, Result};
use crate::index::{Corpus, LexicalIndex, VectorIndex};
use crate::knowledge::KnowledgeBase;
use crate::policy::Policy;
use crate::rank::ConfidenceModel;
use crate::text::{Analysis, Analyzer};

/// A step of the build, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildStage {
    /// Normalizing and segmenting every question variant.
    Analyze,
    /// Writing the BM25 index.
    LexicalIndex,
    /// Embedding every question variant.
    Embed,
    /// Building the vector index.
    VectorIndex,
    /// Asking held-out questions to fit the confidence model.
    Calibrate,
}

impl BuildStage {
    /// A short label for progress displays.
    pub fn label(self) -> &'static str {
        match self {
            BuildStage::Analyze => "analyze",
            BuildStage::LexicalIndex => "lexical index",
            BuildStage::Embed => "embed",
            BuildStage::VectorIndex => "vector index",
            BuildStage::Calibrate => "calibrate",
        }
    }
}

/// Progress of a build: `done` of `total` items of `stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The current step.
    pub stage: BuildStage,
    /// Items finished in this step.
    pub done: usize,
    /// Items in this step.
    pub total: usize,
}

type ProgressFn = Box<dyn Fn(Progress) + Send + Sync>;

/// Builds a [`Bot`] with non-default parts.
///
/// ```
/// use wenda::{Bot, Config, Entry, KnowledgeBase};
/// let kb = KnowledgeBase::from_entries(vec![Entry::new("a", "怎么退保", "在App申请。")])?;
/// let mut config = Config::default();
/// config.thresholds.answer = 0.8;
/// let bot = Bot::builder(kb).config(config).on_progress(|p| eprintln!("{:?}", p.stage)).build()?;
/// assert_eq!(bot.config().thresholds.answer, 0.8);
/// # Ok::<(), wenda::Error>(())
/// ```
pub struct BotBuilder {
    kb: KnowledgeBase,
    config: Option<Config>,
    embedder: Option<Arc<dyn Embedder>>,
    model: Option<ConfidenceModel>,
    progress: Option<ProgressFn>,
}

impl BotBuilder {
    /// A builder with the knowledge base's options.
    pub fn new(kb: KnowledgeBase) -> Self {
        BotBuilder {
            kb,
            config: None,
            embedder: None,
            model: None,
            progress: None,
        }
    }

    /// Uses these options instead of the knowledge base's `wenda.toml`.
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Uses this embedder instead of training the built-in [`NgramEmbedder`].
    pub fn embedder(mut self, embedder: Arc<dyn Embedder>) -> Self {
        self.embedder = Some(embedder);
        self
    }

    /// Uses this confidence model instead of fitting one (or the built-in one).
    pub fn model(mut self, model: ConfidenceModel) -> Self {
        self.model = Some(model);
        self
    }

    /// Calls `f` as the build progresses (from the building thread).
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Builds the bot.
    ///
    /// # Errors
    /// [`Error::Config`] for invalid options or a mismatched embedder or model;
    /// [`Error::Index`] if an index cannot be built.
    pub fn build(self) -> Result<Bot> {
        let BotBuilder {
            kb,
            config,
            embedder,
            model,
            progress,
        } = self;
        let report = |stage, done, total| {
            if let Some(f) = &progress {
                f(Progress { stage, done, total });
            }
        };
        let config = config.unwrap_or_else(|| kb.config().clone());
        config.validate()?;
        if kb.is_empty() {
            return Err(Error::Config("the knowledge base has no entries".into()));
        }
        let model = match model {
            Some(m) => Some(m),
            None => configured_model(&kb, &config)?,
        };
        let analyzer = Analyzer::new(kb.lexicon());
        let total = kb.variant_count();
        report(BuildStage::Analyze, 0, total);
        let analyses: Vec<Vec<Analysis>> = kb
            .entries()
            .iter()
            .map(|e| e.variants().map(|v| analyzer.analyze(v)).collect())
            .collect();
        report(BuildStage::Analyze, total, total);
        let corpus = Corpus::build(&analyses);

        report(BuildStage::LexicalIndex, 0, total);
        let lexical =
            LexicalIndex::build(&analyzer, kb.entries().iter().flat_map(|e| e.variants()))?;
        report(BuildStage::LexicalIndex, total, total);

        let builtin_embedder = embedder.is_none();
        let embedder: Arc<dyn Embedder> = match embedder {
            Some(e) => e,
            None => Arc::new(NgramEmbedder::train(&analyses, config.embedding.dimension)),
        };
        let dim = embedder.dimension();
        report(BuildStage::Embed, 0, total);
        let mut matrix = Array2::<f32>::zeros((total, dim));
        for (i, a) in analyses.iter().flatten().enumerate() {
            let v = embedder.embed(a);
            if v.len() != dim {
                return Err(Error::Config(format!(
                    "embedder {} returned a vector of {} values, but says its dimension is {dim}",
                    embedder.id(),
                    v.len()
                )));
            }
            matrix.row_mut(i).assign(&ndarray::ArrayView1::from(&v[..]));
        }
        report(BuildStage::Embed, total, total);
        report(BuildStage::VectorIndex, 0, total);
        let vectors = VectorIndex::build(matrix, config.retrieval.vector_search);
        report(BuildStage::VectorIndex, total, total);

        let policy = Policy::new(&config, kb.triggers())?;
        let mut bot = Bot {
            kb,
            analyzer,
            corpus,
            lexical,
            embedder,
            vectors,
            model: model.clone().unwrap_or_else(ConfidenceModel::builtin),
            policy,
        };
        match model {
            Some(m) if !m.is_well_formed() => {
                return Err(Error::Config(
                    "the confidence model's weights do not fit this version of wenda".into(),
                ));
            }
            Some(_) => {}
            None if config.calibration.mode == CalibrationMode::Auto => {
                let fitted = self_calibrate(
                    &bot,
                    &analyses,
                    builtin_embedder,
                    config.calibration.min_examples,
                    &|done, total| report(BuildStage::Calibrate, done, total),
                )?;
                if let Some(mut m) = fitted {
                    m.knowledge = Some(bot.kb.fingerprint());
                    bot.model = m;
                }
            }
            None => {}
        }
        Ok(bot)
    }
}

/// The model named by `calibration.model`: the one loaded with the knowledge base, or, for
/// options set in code, the file they name (relative to the knowledge directory).
fn configured_model(kb: &KnowledgeBase, config: &Config) -> Result<Option<ConfidenceModel>> {
    let Some(path) = &config.calibration.model else {
        return Ok(None);
    };
    if kb.config().calibration.model.as_ref() == Some(path)
        && let Some(m) = kb.model()
    {
        return Ok(Some(m.clone()));
    }
    let dir = kb
        .path()
        .filter(|p| p.is_dir())
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    ConfidenceModel::load(dir.join(path)).map(Some)
}
