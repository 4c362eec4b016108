//! Building a [`Bot`]: analyze every question, index, embed, calibrate.

use std::sync::Arc;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array2;
use rayon::prelude::*;

use super::calibrate::self_calibrate;
use super::{Bot, IndexStatus};
use crate::config::{CalibrationMode, Config};
use crate::embed::{Embedder, NgramEmbedder};
use crate::error::{Error, Result};
use crate::index::{Corpus, LexicalIndex, VectorIndex};
use crate::knowledge::KnowledgeBase;
use crate::model::ConfidenceModel;
use crate::policy::Policy;
use crate::text::{Analysis, Analyzer};

/// Question variants given to [`Embedder::embed_batch`] at once while building.
const EMBED_BATCH: usize = 64;

/// The folder a relative `[embedder] path` starts from: the knowledge directory (the
/// folder of a single-file knowledge base), or the working directory for one made in
/// code.
pub(super) fn model_base(kb: &KnowledgeBase) -> std::path::PathBuf {
    match kb.path() {
        Some(p) if p.is_dir() => p.to_path_buf(),
        Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => std::path::PathBuf::new(),
    }
}

/// What [`BotBuilder::build_or_open`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IndexOrigin {
    /// The saved index matched the knowledge base and was opened.
    Opened,
    /// The bot was built (`reason`: why the saved index could not be used) and saved.
    Built {
        /// Why the saved index was not used.
        reason: String,
    },
    /// The bot was built, but saving it failed; it works, but the next start rebuilds.
    BuiltUnsaved {
        /// Why the saved index was not used.
        reason: String,
        /// Why saving failed.
        error: String,
    },
}

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

/// Counts items finished by parallel workers and reports progress about every 1%.
struct Ticker<'a> {
    stage: BuildStage,
    total: usize,
    step: usize,
    done: AtomicUsize,
    report: &'a (dyn Fn(BuildStage, usize, usize) + Sync),
}

impl<'a> Ticker<'a> {
    fn new(
        stage: BuildStage,
        total: usize,
        report: &'a (dyn Fn(BuildStage, usize, usize) + Sync),
    ) -> Self {
        report(stage, 0, total);
        Ticker {
            stage,
            total,
            step: (total / 100).max(1),
            done: AtomicUsize::new(0),
            report,
        }
    }

    fn add(&self, n: usize) {
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        if (before + n) / self.step != before / self.step {
            (self.report)(self.stage, (before + n).min(self.total), self.total);
        }
    }

    fn finish(self) {
        (self.report)(self.stage, self.total, self.total);
    }
}

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

    /// Calls `f` as the build progresses, about every 1% of a step. Steps that run in
    /// parallel call it from their worker threads.
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Opens the index saved in `dir` when it was built from this knowledge base as it is
    /// now; otherwise builds the bot and saves it there (replacing the old index). Says
    /// which happened, and why a rebuild was needed.
    ///
    /// A failure to save does not fail the call: the bot is returned with
    /// [`IndexOrigin::BuiltUnsaved`]. With a custom configuration or model a saved index is
    /// never reused, since the manifest cannot tell whether it matches them.
    ///
    /// # Errors
    /// As [`build`](Self::build); opening errors (a damaged index) lead to a rebuild.
    pub fn build_or_open(self, dir: impl AsRef<Path>) -> Result<(Bot, IndexOrigin)> {
        let dir = dir.as_ref();
        let custom = self.config.is_some() || self.model.is_some();
        let status = if custom {
            IndexStatus::Stale("options or a model were given in code".into())
        } else {
            Bot::index_status(dir, &self.kb)
        };
        let reason = match status {
            IndexStatus::UpToDate(_) => {
                let opened = match &self.embedder {
                    Some(e) => Bot::open_with_embedder(dir, e.clone()),
                    None => Bot::open(dir),
                };
                match opened {
                    Ok(bot) => return Ok((bot, IndexOrigin::Opened)),
                    Err(e) => format!("the saved index cannot be opened ({e})"),
                }
            }
            IndexStatus::Missing => "there is no saved index yet".to_string(),
            IndexStatus::Stale(why) => why,
        };
        let bot = self.build()?;
        let origin = match bot.save(dir) {
            Ok(_) => IndexOrigin::Built { reason },
            Err(e) => IndexOrigin::BuiltUnsaved {
                reason,
                error: e.to_string(),
            },
        };
        Ok((bot, origin))
    }

    /// Builds the bot.
    ///
    /// # Errors
    /// [`Error::Config`] for invalid options; [`Error::EmptyKnowledgeBase`] when there is
    /// nothing to index; [`Error::WrongDimension`] when the embedder's vectors do not have
    /// its dimension; [`Error::BadModel`] when the model's weights do not fit;
    /// [`Error::Index`] if an index cannot be built.
    pub fn build(self) -> Result<Bot> {
        let BotBuilder {
            kb,
            config,
            embedder,
            model,
            progress,
        } = self;
        let report = |stage: BuildStage, done: usize, total: usize| {
            if let Some(f) = &progress {
                f(Progress { stage, done, total });
            }
        };
        let config = config.unwrap_or_else(|| kb.config().clone());
        config.validate()?;
        if kb.is_empty() {
            return Err(Error::EmptyKnowledgeBase);
        }
        let model = match model {
            Some(m) => Some(m),
            None => match &config.calibration.model {
                Some(path) => Some(kb.named_model(path)?),
                None => None,
            },
        };
        let analyzer = Analyzer::new(kb.lexicon());
        let total = kb.variant_count();
        let ticker = |stage| Ticker::new(stage, total, &report);

        // Segmenting is the costly part of analysis; entries are independent.
        let tick = ticker(BuildStage::Analyze);
        let analyses: Vec<Vec<Analysis>> = kb
            .entries()
            .par_iter()
            .map(|e| {
                let a: Vec<Analysis> = e.variants().map(|v| analyzer.analyze(v)).collect();
                tick.add(a.len());
                a
            })
            .collect();
        tick.finish();
        let corpus = Corpus::build(&analyses);

        report(BuildStage::LexicalIndex, 0, total);
        let lexical = LexicalIndex::build(&analyzer, analyses.iter().flatten())?;
        report(BuildStage::LexicalIndex, total, total);

        let embedder = match embedder {
            Some(e) => Some(e),
            None => crate::embed::load(&config.embedder, &model_base(&kb))?,
        };
        let builtin = match embedder {
            Some(_) => None,
            None => Some(Arc::new(NgramEmbedder::train(
                &analyses,
                config.embedding.dimension,
            ))),
        };
        let embedder: Arc<dyn Embedder> = match (embedder, &builtin) {
            (Some(e), _) => e,
            (None, Some(b)) => b.clone(),
            (None, None) => return Err(Error::Config("no embedder".into())),
        };
        let dim = embedder.dimension();
        let tick = ticker(BuildStage::Embed);
        let flat: Vec<&Analysis> = analyses.iter().flatten().collect();
        // In batches (an encoder runs faster on several questions at once), the batches
        // in parallel.
        let rows: Vec<Vec<f32>> = flat
            .par_chunks(EMBED_BATCH)
            .flat_map_iter(|batch| {
                let v = embedder.embed_batch(batch);
                tick.add(batch.len());
                v
            })
            .collect();
        if rows.len() != flat.len() {
            return Err(Error::WrongDimension {
                embedder: format!("{} (vectors per batch)", embedder.id()),
                expected: flat.len(),
                got: rows.len(),
            });
        }
        tick.finish();
        let mut matrix = Array2::<f32>::zeros((total, dim));
        for (i, v) in rows.iter().enumerate() {
            if v.len() != dim {
                return Err(Error::WrongDimension {
                    embedder: embedder.id(),
                    expected: dim,
                    got: v.len(),
                });
            }
            matrix.row_mut(i).assign(&ndarray::ArrayView1::from(&v[..]));
        }
        drop(rows);
        let tick = ticker(BuildStage::VectorIndex);
        let vectors = VectorIndex::build(
            matrix,
            config.retrieval.vector_search,
            config.retrieval.hnsw_parallel_build,
            &|n| tick.add(n),
        );
        tick.finish();

        let policy = Policy::new(&config, kb.triggers(), kb.smalltalk())?;
        let mut bot = Bot {
            kb,
            analyzer,
            corpus,
            lexical,
            embedder,
            builtin_embedder: builtin.clone(),
            vectors,
            model: model.clone().unwrap_or_else(ConfidenceModel::builtin),
            policy,
        };
        match model {
            Some(m) if !m.is_well_formed() => {
                return Err(Error::BadModel {
                    file: None,
                    reason: "has weights that do not fit this version of wenda".into(),
                });
            }
            Some(_) => {}
            None if config.calibration.mode == CalibrationMode::Auto => {
                let fitted = self_calibrate(
                    &bot,
                    &analyses,
                    builtin.is_some(),
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
