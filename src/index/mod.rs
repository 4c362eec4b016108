//! The indexes: lexical (tantivy BM25), vector (hnsw_rs), and the in-memory corpus used to
//! re-score candidates exactly.

mod corpus;
mod hnsw_check;
mod lexical;
mod sparse;
pub(crate) mod store;
mod vector;

pub(crate) use corpus::{Corpus, Holdout, QueryTerms, VariantId};
pub(crate) use lexical::LexicalIndex;
pub use store::{FileSum, Manifest};
pub(crate) use vector::VectorIndex;
