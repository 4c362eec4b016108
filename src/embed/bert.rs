//! A BERT-family sentence encoder (bge-*-zh, text2vec-base-chinese, m3e) loaded from a
//! folder in the Hugging Face layout and run on the CPU with candle.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use serde::Deserialize;
use tokenizers::Tokenizer;

use super::model_dir::{ModelDir, TOKENIZER_FILE, WEIGHTS_FILE, token_ids};
use super::{Embedder, normalize_in_place};
use crate::config::{EmbedderOptions, Pooling};
use crate::error::Result;
use crate::text::Analysis;

/// The model's architecture and sizes.
const CONFIG_FILE: &str = "config.json";
/// sentence-transformers' pooling settings.
const POOLING_FILE: &str = "1_Pooling/config.json";
/// sentence-transformers' list of modules (a Dense layer after pooling is not supported).
const MODULES_FILE: &str = "modules.json";

/// Sizes beyond these are refused as a damaged `config.json` (no BERT is that large).
const MAX_HIDDEN: usize = 16_384;
const MAX_LAYERS: usize = 128;
const MAX_VOCAB: usize = 2_000_000;

/// A BERT encoder from a folder (`[embedder] kind = "bert"`).
///
/// ```no_run
/// use wenda::config::EmbedderOptions;
/// use wenda::embed::{BertEmbedder, Embedder};
/// let e = BertEmbedder::load("models/bge-small-zh-v1.5", &EmbedderOptions::default())?;
/// assert_eq!(e.dimension(), 512);
/// # Ok::<(), wenda::Error>(())
/// ```
pub struct BertEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    pooling: Pooling,
    dimension: usize,
    vocab: usize,
    max_tokens: usize,
    batch_size: usize,
    id: String,
}

impl std::fmt::Debug for BertEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BertEmbedder")
            .field("id", &self.id)
            .finish()
    }
}

/// The keys of `1_Pooling/config.json` that matter here.
#[derive(Deserialize)]
struct PoolingFile {
    word_embedding_dimension: Option<usize>,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
}

/// One module of `modules.json`.
#[derive(Deserialize)]
struct Module {
    #[serde(default, rename = "type")]
    kind: String,
}

impl BertEmbedder {
    /// Loads the folder `dir`: `config.json` (a BERT configuration), `model.safetensors`,
    /// `tokenizer.json` and, when present, `1_Pooling/config.json` (CLS or mean pooling;
    /// mean without the file). `options` gives the pooling override, `max_tokens` and
    /// `batch_size`.
    ///
    /// # Errors
    /// [`Error::BadEmbedder`](crate::Error::BadEmbedder) naming the file that is missing,
    /// damaged or does not fit the others (a tensor of another shape, a tokenizer with
    /// more tokens than the model, a pooling dimension other than the hidden size).
    pub fn load(dir: impl AsRef<Path>, options: &EmbedderOptions) -> Result<BertEmbedder> {
        let mut folder = ModelDir::open(dir.as_ref())?;
        let config: BertConfig = folder
            .read_json(CONFIG_FILE, "a BERT configuration (config.json)")?
            .ok_or_else(|| {
                folder.error(
                    CONFIG_FILE,
                    "is missing; a BERT folder needs config.json, model.safetensors and tokenizer.json",
                )
            })?;
        check_config(&folder, &config)?;
        let pooling = read_pooling(&mut folder, config.hidden_size)?;
        let pooling = options.pooling.unwrap_or(pooling);
        let tokenizer = folder.tokenizer()?;
        let vocab = tokenizer.get_vocab_size(true);
        if vocab > config.vocab_size {
            return Err(folder.error(
                TOKENIZER_FILE,
                format!(
                    "has {vocab} tokens, but {CONFIG_FILE} says the model has vocab_size {}; the files are not of one model",
                    config.vocab_size
                ),
            ));
        }
        let weights = folder.read(
            WEIGHTS_FILE,
            "the model's weights (model.safetensors; convert a pytorch_model.bin with Hugging Face's safetensors tools)",
        )?;
        let model = load_weights(&folder, weights, &config)?;
        let pooling_name = match pooling {
            Pooling::Cls => "cls",
            Pooling::Mean => "mean",
        };
        let max_tokens = options.max_tokens.clamp(2, config.max_position_embeddings);
        let id = format!(
            "bert:{}:{}:{pooling_name}:{max_tokens}:{}",
            folder.name(),
            config.hidden_size,
            folder.hash()
        );
        let embedder = BertEmbedder {
            model,
            tokenizer,
            pooling,
            dimension: config.hidden_size,
            vocab: config.vocab_size,
            max_tokens,
            batch_size: options.batch_size.max(1),
            id,
        };
        // A model that loads but cannot run is refused now, not at the first question.
        embedder
            .encode(&[vec![0, 0]])
            .map_err(|e| folder.error(WEIGHTS_FILE, format!("cannot be run: {e}")))?;
        Ok(embedder)
    }

    /// The pooling in use.
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// The ids of `text`, cut to `max_tokens` (the last token, `[SEP]`, is kept).
    fn ids(&self, text: &str) -> Option<Vec<u32>> {
        if text.trim().is_empty() {
            return None;
        }
        let mut ids = token_ids(&self.tokenizer, text, true)?;
        if ids.is_empty() {
            return None;
        }
        if ids.len() > self.max_tokens {
            let last = ids[ids.len() - 1];
            ids.truncate(self.max_tokens - 1);
            ids.push(last);
        }
        let top = (self.vocab - 1) as u32;
        ids.iter_mut().for_each(|i| *i = (*i).min(top));
        Some(ids)
    }

    /// The normalised vectors of a batch of token id lists (padded to the longest).
    fn encode(&self, batch: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let len = batch.iter().map(Vec::len).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(batch.len() * len);
        let mut mask = Vec::with_capacity(batch.len() * len);
        for seq in batch {
            ids.extend(seq.iter().copied());
            ids.extend(std::iter::repeat_n(0u32, len - seq.len()));
            mask.extend(std::iter::repeat_n(1u32, seq.len()));
            mask.extend(std::iter::repeat_n(0u32, len - seq.len()));
        }
        let device = Device::Cpu;
        let ids = Tensor::from_vec(ids, (batch.len(), len), &device)?;
        let mask = Tensor::from_vec(mask, (batch.len(), len), &device)?;
        let types = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        let pooled = match self.pooling {
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => {
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let sum = hidden.broadcast_mul(&m)?.sum(1)?;
                let count = m.sum(1)?.clamp(1e-9f32, f32::MAX)?;
                sum.broadcast_div(&count)?
            }
        };
        let mut rows: Vec<Vec<f32>> = pooled.to_dtype(DType::F32)?.to_vec2()?;
        for r in &mut rows {
            if r.iter().any(|x| !x.is_finite()) {
                r.iter_mut().for_each(|x| *x = 0.0);
            }
            normalize_in_place(r);
        }
        Ok(rows)
    }
}

fn check_config(folder: &ModelDir, c: &BertConfig) -> Result<()> {
    let bad = |why: String| Err(folder.error(CONFIG_FILE, why));
    if let Some(t) = &c.model_type
        && t != "bert"
    {
        return bad(format!(
            "says model_type {t:?}; kind = \"bert\" runs BERT models (bge-*-zh, text2vec-base-chinese, m3e)"
        ));
    }
    let sizes = [
        ("hidden_size", c.hidden_size, MAX_HIDDEN),
        ("num_attention_heads", c.num_attention_heads, MAX_HIDDEN),
        ("num_hidden_layers", c.num_hidden_layers, MAX_LAYERS),
        ("intermediate_size", c.intermediate_size, 8 * MAX_HIDDEN),
        ("vocab_size", c.vocab_size, MAX_VOCAB),
        (
            "max_position_embeddings",
            c.max_position_embeddings,
            1 << 16,
        ),
        ("type_vocab_size", c.type_vocab_size, 1 << 10),
    ];
    for (key, v, max) in sizes {
        if v == 0 || v > max {
            return bad(format!("{key} = {v} must be from 1 to {max}"));
        }
    }
    if c.max_position_embeddings < 2 {
        return bad("max_position_embeddings must be at least 2".into());
    }
    if !c.hidden_size.is_multiple_of(c.num_attention_heads) {
        return bad(format!(
            "hidden_size {} is not a multiple of num_attention_heads {}",
            c.hidden_size, c.num_attention_heads
        ));
    }
    if !(c.layer_norm_eps.is_finite() && c.layer_norm_eps > 0.0) {
        return bad(format!(
            "layer_norm_eps {} must be a small positive number",
            c.layer_norm_eps
        ));
    }
    Ok(())
}

/// The pooling the folder asks for (mean when it has no pooling config); an error naming
/// the file for pooling modes other than CLS and mean, or a dimension other than
/// `hidden`.
fn read_pooling(folder: &mut ModelDir, hidden: usize) -> Result<Pooling> {
    let modules: Option<Vec<Module>> =
        folder.read_json(MODULES_FILE, "a sentence-transformers module list")?;
    if let Some(m) = modules.iter().flatten().find(|m| m.kind.contains("Dense")) {
        return Err(folder.error(
            MODULES_FILE,
            format!(
                "lists a {} layer after pooling, which wenda does not run; use a model without one",
                m.kind
            ),
        ));
    }
    let Some(p) =
        folder.read_json::<PoolingFile>(POOLING_FILE, "a sentence-transformers pooling config")?
    else {
        return Ok(Pooling::Mean);
    };
    if let Some(d) = p.word_embedding_dimension
        && d != hidden
    {
        return Err(folder.error(
            POOLING_FILE,
            format!(
                "says word_embedding_dimension {d}, but {CONFIG_FILE} has hidden_size {hidden}"
            ),
        ));
    }
    match (
        p.pooling_mode_cls_token,
        p.pooling_mode_mean_tokens,
        p.pooling_mode_max_tokens || p.pooling_mode_mean_sqrt_len_tokens,
    ) {
        (true, false, false) => Ok(Pooling::Cls),
        (false, true, false) => Ok(Pooling::Mean),
        _ => Err(folder.error(
            POOLING_FILE,
            "must switch on exactly one of pooling_mode_cls_token and pooling_mode_mean_tokens (max and sqrt-length pooling are not supported); or set [embedder] pooling",
        )),
    }
}

fn load_weights(folder: &ModelDir, weights: Vec<u8>, config: &BertConfig) -> Result<BertModel> {
    let bad = |e: candle_core::Error| folder.error(WEIGHTS_FILE, first_line(&e));
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu).map_err(
            |e| {
                folder.error(
                    WEIGHTS_FILE,
                    format!("is not a safetensors file: {}", first_line(&e)),
                )
            },
        )?;
        BertModel::load(vb, config).map_err(bad)
    }));
    loaded.map_err(|_| folder.error(WEIGHTS_FILE, "is malformed"))?
}

/// candle's message without its backtrace.
fn first_line(e: &candle_core::Error) -> String {
    let s = e.to_string();
    let line = s.lines().next().unwrap_or("").trim();
    format!("does not fit {CONFIG_FILE}: {line}")
}

impl Embedder for BertEmbedder {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed(&self, text: &Analysis) -> Vec<f32> {
        self.embed_batch(&[text]).pop().unwrap_or_default()
    }

    fn embed_batch(&self, texts: &[&Analysis]) -> Vec<Vec<f32>> {
        let zero = vec![0.0f32; self.dimension];
        let mut out = vec![zero.clone(); texts.len()];
        let mut seqs: Vec<(usize, Vec<u32>)> = texts
            .iter()
            .enumerate()
            .filter_map(|(i, t)| self.ids(&t.normalized).map(|ids| (i, ids)))
            .collect();
        // Similar lengths together: less padding.
        seqs.sort_by_key(|(i, ids)| (ids.len(), *i));
        for chunk in seqs.chunks(self.batch_size) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|(_, ids)| ids.clone()).collect();
            // A failure here would be a bug (the model ran when loaded); the questions
            // then get no vector rather than a panic.
            let Ok(rows) = self.encode(&batch) else {
                continue;
            };
            for ((i, _), row) in chunk.iter().zip(rows) {
                if row.len() == self.dimension {
                    out[*i] = row;
                }
            }
        }
        out
    }
}
