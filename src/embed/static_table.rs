//! A model2vec-style static embedding table: a tokenizer and one matrix with a row per
//! token; a question's vector is the mean of its tokens' rows, normalised.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};
use tokenizers::Tokenizer;

use super::model_dir::{ModelDir, TOKENIZER_FILE, WEIGHTS_FILE, token_ids};
use super::{Embedder, normalize_in_place};
use crate::error::Result;
use crate::text::Analysis;

/// The tensor a model2vec folder keeps its table in (when the file has several).
const TABLE_TENSOR: &str = "embeddings";

/// A static embedding table loaded from a folder (`[embedder] kind = "static"`).
///
/// ```no_run
/// use wenda::embed::{Embedder, StaticEmbedder};
/// let e = StaticEmbedder::load("models/potion-base-zh")?;
/// println!("{} dimensions", e.dimension());
/// # Ok::<(), wenda::Error>(())
/// ```
pub struct StaticEmbedder {
    tokenizer: Tokenizer,
    /// `rows × dimension`, row-major.
    table: Vec<f32>,
    rows: usize,
    dimension: usize,
    id: String,
}

impl std::fmt::Debug for StaticEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticEmbedder")
            .field("id", &self.id)
            .finish()
    }
}

impl StaticEmbedder {
    /// Loads the folder `dir`: `tokenizer.json` and `model.safetensors` holding one 2-D
    /// matrix (or several tensors, one of them named `embeddings`) of `f32`, `f16`, `bf16`
    /// or `f64` values with at least as many rows as the tokenizer has tokens.
    ///
    /// # Errors
    /// [`Error::BadEmbedder`](crate::Error::BadEmbedder) naming the file that is missing,
    /// damaged or does not fit.
    pub fn load(dir: impl AsRef<Path>) -> Result<StaticEmbedder> {
        let mut folder = ModelDir::open(dir.as_ref())?;
        let tokenizer = folder.tokenizer()?;
        let bytes = folder.read(
            WEIGHTS_FILE,
            "the embedding table (model.safetensors, as saved by model2vec)",
        )?;
        let (table, rows, dimension) = read_table(&folder, &bytes)?;
        let vocab = tokenizer.get_vocab_size(true);
        if vocab > rows {
            return Err(folder.error(
                WEIGHTS_FILE,
                format!(
                    "has {rows} rows, but {TOKENIZER_FILE} has {vocab} tokens; the two files are not of one model"
                ),
            ));
        }
        let id = format!("static:{}:{dimension}:{}", folder.name(), folder.hash());
        Ok(StaticEmbedder {
            tokenizer,
            table,
            rows,
            dimension,
            id,
        })
    }
}

/// The table in `bytes` as `f32` values, its rows and its columns.
fn read_table(folder: &ModelDir, bytes: &[u8]) -> Result<(Vec<f32>, usize, usize)> {
    let bad = |why: String| folder.error(WEIGHTS_FILE, why);
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| bad(format!("is not a safetensors file: {e}")))?;
    let names = st.names();
    let name = match names.as_slice() {
        [] => return Err(bad("holds no tensor".into())),
        [one] => one.to_string(),
        _ if names.contains(&TABLE_TENSOR) => TABLE_TENSOR.to_string(),
        _ => {
            return Err(bad(format!(
                "holds {} tensors and none is named \"{TABLE_TENSOR}\"; a static model has one embedding matrix",
                names.len()
            )));
        }
    };
    let view = st
        .tensor(&name)
        .map_err(|e| bad(format!("tensor {name:?} cannot be read: {e}")))?;
    let (rows, cols) = match view.shape() {
        [r, c] if *r > 0 && *c > 0 => (*r, *c),
        shape => {
            return Err(bad(format!(
                "tensor {name:?} has shape {shape:?}; an embedding table is a non-empty matrix (tokens × dimensions)"
            )));
        }
    };
    let data = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|b| {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                f64::from_le_bytes(a) as f32
            })
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        other => {
            return Err(bad(format!(
                "tensor {name:?} holds {other:?} values; an embedding table holds floating-point numbers (F32, F16, BF16, F64)"
            )));
        }
    };
    if values.len() != rows * cols {
        return Err(bad(format!(
            "tensor {name:?} has {} values, not the {rows} × {cols} of its shape",
            values.len()
        )));
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(bad(format!(
            "tensor {name:?} holds values that are not finite numbers"
        )));
    }
    Ok((values, rows, cols))
}

impl Embedder for StaticEmbedder {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed(&self, text: &Analysis) -> Vec<f32> {
        let mut v = vec![0.0f32; self.dimension];
        let ids = token_ids(&self.tokenizer, &text.normalized, false).unwrap_or_default();
        let mut n = 0usize;
        for id in ids
            .into_iter()
            .map(|i| i as usize)
            .filter(|&i| i < self.rows)
        {
            let row = &self.table[id * self.dimension..(id + 1) * self.dimension];
            v.iter_mut().zip(row).for_each(|(a, b)| *a += b);
            n += 1;
        }
        if n > 0 {
            normalize_in_place(&mut v);
        }
        v
    }
}
