//! Sentence embeddings for the vector index.
//!
//! [`Embedder`] turns an analyzed question into a vector; questions that mean the same
//! should get vectors with a high cosine. The built-in [`NgramEmbedder`] is trained on the
//! knowledge base itself and needs no download; a deployment can plug in a pretrained
//! sentence-embedding model (loaded from a local directory; wenda never fetches anything)
//! by naming it in `[embedder]` of `wenda.toml` (see [`load`]): a BERT-family encoder
//! ([`BertEmbedder`], cargo feature `bert`) or a static embedding table
//! ([`StaticEmbedder`], cargo feature `static`); or by implementing the trait and passing
//! it to [`BotBuilder::embedder`](crate::BotBuilder::embedder).

#[cfg(feature = "bert")]
mod bert;
#[cfg(feature = "static")]
mod model_dir;
mod ngram;
#[cfg(feature = "static")]
pub mod random_model;
#[cfg(feature = "static")]
mod static_table;

#[cfg(feature = "bert")]
pub use bert::BertEmbedder;
pub use ngram::NgramEmbedder;
#[cfg(feature = "static")]
pub use static_table::StaticEmbedder;

use std::path::Path;
use std::sync::Arc;

use crate::config::{EmbedderKind, EmbedderOptions};
use crate::error::{Error, Result};
use crate::text::Analysis;

/// Maps a question to a vector.
pub trait Embedder: Send + Sync {
    /// A stable identifier of the model and its settings (stored with built indexes, so a
    /// different embedder is never mixed with old vectors).
    fn id(&self) -> String;

    /// Length of every vector returned by [`embed`](Self::embed).
    fn dimension(&self) -> usize;

    /// The vector of one question: unit length, or all zeros when the embedder knows
    /// nothing about the text.
    fn embed(&self, text: &Analysis) -> Vec<f32>;

    /// The vectors of several questions, in order. Encoders that run faster on batches
    /// (a BERT model) override it; the default embeds one question at a time.
    fn embed_batch(&self, texts: &[&Analysis]) -> Vec<Vec<f32>> {
        texts.iter().map(|t| self.embed(t)).collect()
    }
}

/// The pretrained embedder `[embedder]` names, its `path` resolved against `base` (the
/// knowledge directory); `None` for the built-in one (trained at build).
///
/// # Errors
/// [`Error::Config`] when the kind needs a cargo feature this build of wenda lacks or has
/// no path; [`Error::BadEmbedder`] naming the model file that is missing, damaged or does
/// not fit.
pub fn load(options: &EmbedderOptions, base: &Path) -> Result<Option<Arc<dyn Embedder>>> {
    let path = match (&options.kind, &options.path) {
        (EmbedderKind::Builtin, _) => return Ok(None),
        (_, None) => {
            return Err(Error::Config(
                "[embedder] kind = \"bert\" or \"static\" needs path = \"the model's folder\""
                    .into(),
            ));
        }
        (_, Some(p)) => base.join(p),
    };
    match options.kind {
        EmbedderKind::Builtin => Ok(None),
        EmbedderKind::Bert => load_bert(&path, options),
        EmbedderKind::Static => load_static(&path),
    }
}

#[cfg(feature = "bert")]
fn load_bert(path: &Path, options: &EmbedderOptions) -> Result<Option<Arc<dyn Embedder>>> {
    Ok(Some(Arc::new(BertEmbedder::load(path, options)?)))
}

#[cfg(not(feature = "bert"))]
fn load_bert(_: &Path, _: &EmbedderOptions) -> Result<Option<Arc<dyn Embedder>>> {
    Err(missing_feature("bert"))
}

#[cfg(feature = "static")]
fn load_static(path: &Path) -> Result<Option<Arc<dyn Embedder>>> {
    Ok(Some(Arc::new(StaticEmbedder::load(path)?)))
}

#[cfg(not(feature = "static"))]
fn load_static(_: &Path) -> Result<Option<Arc<dyn Embedder>>> {
    Err(missing_feature("static"))
}

#[cfg(not(all(feature = "bert", feature = "static")))]
fn missing_feature(kind: &str) -> Error {
    Error::Config(format!(
        "[embedder] kind = \"{kind}\" needs wenda built with the cargo feature `{kind}` (cargo install wenda --features {kind}); this build has only the built-in embedder"
    ))
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub(crate) fn normalize_in_place(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}
