//! Plug a different sentence embedder into wenda.
//!
//! A deployment with a pretrained sentence-embedding model (loaded from a local directory;
//! wenda never downloads anything) implements [`wenda::embed::Embedder`] and passes it to the
//! builder. This example uses a deliberately simple embedder (hashed character bigrams) to
//! show the mechanics.
//!
//! ```text
//! cargo run --release --example custom_embedder
//! ```

use std::sync::Arc;

use wenda::embed::Embedder;
use wenda::text::Analysis;
use wenda::{Bot, KnowledgeBase};

/// Hashes each character bigram of the normalized text into one of `dim` buckets.
struct BigramHash {
    dim: usize,
}

impl Embedder for BigramHash {
    fn id(&self) -> String {
        format!("example-bigram-hash/{}", self.dim)
    }

    fn dimension(&self) -> usize {
        self.dim
    }

    fn embed(&self, text: &Analysis) -> Vec<f32> {
        let chars: Vec<char> = text
            .normalized
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let mut v = vec![0.0f32; self.dim];
        for pair in chars.windows(2) {
            let h = (pair[0] as u64)
                .wrapping_mul(31)
                .wrapping_add(pair[1] as u64);
            v[(h % self.dim as u64) as usize] += 1.0;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

fn main() -> Result<(), wenda::Error> {
    let kb = KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
    let bot = Bot::builder(kb)
        .embedder(Arc::new(BigramHash { dim: 256 }))
        .build()?;
    println!("embedder: {}", bot.embedder().id());
    let reply = bot.ask("理赔进度怎么查");
    println!(
        "{} → {} ({:.2})",
        reply.query,
        reply.top_id().unwrap_or("-"),
        reply.confidence
    );
    Ok(())
}
