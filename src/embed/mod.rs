//! Sentence embeddings for the vector index.
//!
//! [`Embedder`] turns an analyzed question into a vector; questions that mean the same
//! should get vectors with a high cosine. The built-in [`NgramEmbedder`] is trained on the
//! knowledge base itself and needs no download; a deployment can plug in a pretrained
//! sentence-embedding model (loaded from a local directory; wenda never fetches anything)
//! by implementing the trait and passing it to [`BotBuilder::embedder`](crate::BotBuilder::embedder).

mod ngram;

pub use ngram::NgramEmbedder;

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
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub(crate) fn normalize_in_place(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}
