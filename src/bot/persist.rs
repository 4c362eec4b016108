//! Saving a built [`Bot`] to a directory and opening it again without re-indexing.
//!
//! A generation of the index directory (see the layout in `index::store`) holds:
//!
//! | file | what | format |
//! |---|---|---|
//! | `manifest.json` | format version, knowledge-base hash, embedder, checksums | JSON |
//! | `kb.json` | the knowledge base (entries, lexicon, triggers, options, warnings) | JSON |
//! | `corpus.bin` | analyzed variants and vocabulary statistics | postcard |
//! | `embedder.bin` | the built-in embedder (absent with a custom embedder) | postcard |
//! | `model.json` | the confidence model | JSON |
//! | `vectors.f32` | one embedding per variant | little-endian f32 |
//! | `hnsw.hnsw.{graph,data}` | the HNSW graph, when one was built | hnsw_rs dump |
//! | `lexical/` | the tantivy index | tantivy |

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Bot;
use super::build::model_base;
use crate::embed::{Embedder, NgramEmbedder};
use crate::error::{Error, Result};
use crate::index::store::{self, FORMAT_VERSION, Manifest, native_endian};
use crate::index::{Corpus, LexicalIndex, VectorIndex};
use crate::knowledge::{KnowledgeBase, StoredOwned};
use crate::model::ConfidenceModel;
use crate::policy::Policy;
use crate::safe_fs::read_regular;
use crate::text::Analyzer;

const KB_FILE: &str = "kb.json";
const CORPUS_FILE: &str = "corpus.bin";
const EMBEDDER_FILE: &str = "embedder.bin";
const MODEL_FILE: &str = "model.json";
const LEXICAL_DIR: &str = "lexical";

/// Whether a saved index can serve a knowledge base as it is now.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IndexStatus {
    /// There is no index in the directory.
    Missing,
    /// The index was built from exactly this knowledge base.
    UpToDate(Box<Manifest>),
    /// The index cannot be used for this knowledge base: why, in words.
    Stale(String),
}

impl Bot {
    /// Saves the whole index (knowledge base, lexical and vector indexes, embedder,
    /// confidence model) to `dir`, creating it if needed.
    ///
    /// The new index is written beside the current one and swapped in atomically, so a
    /// crash or a full disk during `save` leaves the previous index usable. Processes that
    /// have the previous index open keep working.
    ///
    /// ```
    /// use wenda::{Bot, Entry, KnowledgeBase};
    /// let kb = KnowledgeBase::from_entries(vec![
    ///     Entry::new("report", "车险怎么报案", "拨打客服热线报案。").with_similar(["撞车了找谁报案"]),
    ///     Entry::new("refund", "怎么退保", "在App申请退保。").with_similar(["退保流程"]),
    /// ])?;
    /// let dir = std::env::temp_dir().join(format!("wenda-doc-{}", std::process::id()));
    /// let built = Bot::build(kb)?;
    /// let manifest = built.save(&dir)?;
    /// assert_eq!(manifest.entries, 2);
    ///
    /// let opened = Bot::open(&dir)?;
    /// let (a, b) = (opened.ask("撞车了怎么报案"), built.ask("撞车了怎么报案"));
    /// assert_eq!((a.decision, a.confidence), (b.decision, b.confidence));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), wenda::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] when the directory cannot be written; [`Error::Index`] when an index
    /// cannot be encoded.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<Manifest> {
        let dir = dir.as_ref();
        let (variants, dimension) = self.vectors.shape();
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            wenda_version: env!("CARGO_PKG_VERSION").to_string(),
            kb_hash: hash_hex(self.kb.content_hash()),
            entries: self.kb.len(),
            variants,
            embedder: self.embedder.id(),
            builtin_embedder: self.builtin_embedder.is_some(),
            dimension,
            hnsw: self.vectors.is_hnsw(),
            endian: native_endian().to_string(),
            built_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            files: Default::default(),
        };
        let generation = store::write_generation(dir, manifest, |gen_dir| {
            write_json(&gen_dir.join(KB_FILE), &self.kb.to_stored())?;
            write_json(&gen_dir.join(MODEL_FILE), &self.model)?;
            write_postcard(&gen_dir.join(CORPUS_FILE), &self.corpus)?;
            if let Some(embedder) = &self.builtin_embedder {
                write_postcard(&gen_dir.join(EMBEDDER_FILE), embedder.as_ref())?;
            }
            self.vectors.save(gen_dir)?;
            let lexical = gen_dir.join(LEXICAL_DIR);
            std::fs::create_dir(&lexical).map_err(|e| Error::io(&lexical, e))?;
            self.lexical.save(&lexical)
        })?;
        store::open_current(dir)
            .map(|(_, m)| m)
            .map_err(|e| Error::Index(format!("{}: {e}", generation.display())))
    }

    /// Opens an index saved by [`Bot::save`] (or `wenda build`) without re-indexing. The
    /// index must have been built with the built-in embedder or with the model the
    /// knowledge base's `[embedder]` names (loaded again, and refused when its files have
    /// changed); see [`Bot::open_with_embedder`] for an embedder given in code.
    ///
    /// # Errors
    /// [`Error::Index`] when there is no index or when a file is damaged (every file's
    /// checksum is verified); [`Error::StaleIndex`] when it was written by another format
    /// version or on a machine of another byte order; [`Error::EmbedderMismatch`] when it
    /// was built with a custom embedder or another model than `[embedder]` names now;
    /// [`Error::BadEmbedder`] when that model cannot be loaded; [`Error::Io`] when a file
    /// cannot be read.
    pub fn open(dir: impl AsRef<Path>) -> Result<Bot> {
        open(dir.as_ref(), None)
    }

    /// Opens a saved index that was built with a custom embedder, which must be the same
    /// (same [`Embedder::id`] and dimension).
    ///
    /// # Errors
    /// As [`Bot::open`]; [`Error::EmbedderMismatch`] when the embedder does not match the
    /// index.
    pub fn open_with_embedder(dir: impl AsRef<Path>, embedder: Arc<dyn Embedder>) -> Result<Bot> {
        open(dir.as_ref(), Some(embedder))
    }

    /// The manifest of the index saved in `dir`, without opening it.
    ///
    /// # Errors
    /// As [`Bot::open`], except that file checksums are not verified.
    pub fn saved_manifest(dir: impl AsRef<Path>) -> Result<Manifest> {
        store::peek_manifest(dir.as_ref())
    }

    /// Whether the index saved in `dir` was built from `kb` as it is now (by content hash)
    /// by a compatible wenda.
    pub fn index_status(dir: impl AsRef<Path>, kb: &KnowledgeBase) -> IndexStatus {
        let dir = dir.as_ref();
        if !store::exists(dir) {
            return IndexStatus::Missing;
        }
        match store::peek_manifest(dir) {
            Err(e) => IndexStatus::Stale(e.to_string()),
            Ok(m) if m.kb_hash != hash_hex(kb.content_hash()) => IndexStatus::Stale(
                "the knowledge base has changed since the index was built".to_string(),
            ),
            Ok(m) if m.wenda_version != env!("CARGO_PKG_VERSION") => IndexStatus::Stale(format!(
                "the index was built by wenda {}, this is wenda {}",
                m.wenda_version,
                env!("CARGO_PKG_VERSION")
            )),
            Ok(m) if !m.builtin_embedder && !kb.config().embedder.is_pretrained() => {
                IndexStatus::Stale(format!(
                    "the index was built with the custom embedder {}",
                    m.embedder
                ))
            }
            Ok(m) => IndexStatus::UpToDate(Box::new(m)),
        }
    }
}

/// The files an index of `manifest`'s kind cannot be opened without; each must be listed
/// (with its checksum) in the manifest.
fn required_files(manifest: &Manifest) -> Vec<&'static str> {
    let mut files = vec![KB_FILE, CORPUS_FILE, MODEL_FILE, VectorIndex::MATRIX_FILE];
    if manifest.builtin_embedder {
        files.push(EMBEDDER_FILE);
    }
    if manifest.hnsw {
        files.extend(VectorIndex::GRAPH_FILES);
    }
    files
}

fn open(dir: &Path, custom: Option<Arc<dyn Embedder>>) -> Result<Bot> {
    let (generation, manifest) = store::open_current(dir)?;
    let lexical_listed = manifest
        .files
        .keys()
        .any(|f| f.starts_with(&format!("{LEXICAL_DIR}/")));
    let unlisted = required_files(&manifest)
        .into_iter()
        .find(|f| !manifest.files.contains_key(*f))
        .or((!lexical_listed).then_some(LEXICAL_DIR));
    if let Some(file) = unlisted {
        return Err(damaged(
            &generation.join(file),
            "the manifest does not list this file of the index",
        ));
    }
    // The cheap checks first, so that a damaged index is refused before jieba's
    // dictionary is loaded.
    let lexical_dir = generation.join(LEXICAL_DIR);
    std::panic::catch_unwind(|| LexicalIndex::check(&lexical_dir))
        .map_err(|_| damaged(&lexical_dir, "the lexical index is malformed"))??;
    let stored: StoredOwned = read_json(&generation.join(KB_FILE))?;
    let kb = KnowledgeBase::from_stored(stored);
    let config = kb.config().clone();
    // Independent loads: the vector index (with the HNSW graph, the slowest), and the
    // corpus with the model; jieba's dictionary once they have passed their checks.
    let (vectors, decoded) = rayon::join(
        || VectorIndex::load(&generation, manifest.hnsw, manifest.dimension),
        || -> Result<_> {
            let corpus: Corpus = read_postcard(&generation.join(CORPUS_FILE))?;
            corpus
                .check(kb.len())
                .map_err(|why| damaged(&generation.join(CORPUS_FILE), &why))?;
            let model: ConfidenceModel = read_json(&generation.join(MODEL_FILE))?;
            if !model.is_well_formed() {
                return Err(damaged(
                    &generation.join(MODEL_FILE),
                    "the confidence model's weights do not fit this version of wenda",
                ));
            }
            Ok((corpus, model))
        },
    );
    let (corpus, model) = decoded?;
    let vectors = vectors?;
    if vectors.shape().0 != corpus.variants.len() {
        return Err(damaged(&generation, "the vector and variant counts differ"));
    }
    let (embedder, builtin_embedder): (Arc<dyn Embedder>, _) = match custom {
        Some(e) => (same_embedder(e, &manifest, dir)?, None),
        None if manifest.builtin_embedder => {
            let path = generation.join(EMBEDDER_FILE);
            let e: NgramEmbedder = read_postcard(&path)?;
            if !e.is_consistent() || e.dimension() != manifest.dimension {
                return Err(damaged(&path, "the embedder's tables are inconsistent"));
            }
            let e = Arc::new(e);
            (e.clone() as Arc<dyn Embedder>, Some(e))
        }
        None if kb.config().embedder.is_pretrained() => {
            // The model `[embedder]` names, which must be the one the index was built with
            // (its id carries a hash of the model's files).
            let e = crate::embed::load(&kb.config().embedder, &model_base(&kb))?
                .ok_or_else(|| Error::Config("[embedder] names no model".into()))?;
            (same_embedder(e, &manifest, dir)?, None)
        }
        None => {
            return Err(Error::EmbedderMismatch {
                dir: dir.to_path_buf(),
                expected: manifest.embedder,
                expected_dimension: manifest.dimension,
                got: None,
            });
        }
    };
    let analyzer = Analyzer::new(kb.lexicon());
    // tantivy panics on some damaged files (a fast field's column); that is an error here.
    let lexical = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        LexicalIndex::open(&analyzer, &lexical_dir)
    }))
    .map_err(|_| damaged(&lexical_dir, "the lexical index is malformed"))??;
    if lexical.documents() != corpus.variants.len()
        || lexical
            .max_variant()
            .is_some_and(|v| v as usize >= corpus.variants.len())
    {
        return Err(damaged(
            &lexical_dir,
            "the lexical index's documents do not match the variants",
        ));
    }
    spot_check_vectors(&kb, &analyzer, embedder.as_ref(), &vectors)
        .map_err(|why| damaged(&generation.join("vectors.f32"), &why))?;
    let policy = Policy::new(&config, kb.triggers(), kb.smalltalk())?;
    Ok(Bot {
        kb,
        analyzer,
        corpus,
        lexical,
        embedder,
        builtin_embedder,
        vectors,
        model,
        policy,
    })
}

/// Variants whose stored vector is compared with a fresh embedding at open.
const SPOT_CHECKS: usize = 16;

/// Embeds a few variants, spread over the index, again and compares them with the stored
/// vectors: a damaged `vectors.f32` or embedder whose checksums were rewritten to match
/// (a writer bug, tampering) is refused instead of giving other confidences. Embedding
/// is deterministic, so the stored and fresh vectors agree to rounding.
fn spot_check_vectors(
    kb: &KnowledgeBase,
    analyzer: &Analyzer,
    embedder: &dyn Embedder,
    vectors: &VectorIndex,
) -> std::result::Result<(), String> {
    let total = vectors.shape().0;
    let step = total.div_ceil(SPOT_CHECKS).max(1);
    let variants = kb.entries().iter().flat_map(|e| e.variants());
    for (v, text) in variants.enumerate().step_by(step) {
        let fresh = embedder.embed(&analyzer.analyze(text));
        let norm: f32 = fresh.iter().map(|x| x * x).sum::<f32>().sqrt();
        let variant = u32::try_from(v).map_err(|_| "too many variants".to_string())?;
        let cosine = vectors.cosine(variant, &fresh);
        // Vectors are unit length, or zero for a question of unknown units only.
        let expected = if norm > 0.5 { 1.0 } else { 0.0 };
        if !cosine.is_finite() || (cosine - expected).abs() > 1e-3 {
            return Err(format!(
                "the stored vector of question variant {v} (\"{text}\") does not match its \
                 embedding (cosine {cosine:.4}): the vectors or the embedder are damaged"
            ));
        }
    }
    Ok(())
}

fn hash_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// `embedder` when it is the one the index was built with (id and dimension), else
/// [`Error::EmbedderMismatch`].
fn same_embedder(
    embedder: Arc<dyn Embedder>,
    manifest: &Manifest,
    dir: &Path,
) -> Result<Arc<dyn Embedder>> {
    if embedder.id() != manifest.embedder || embedder.dimension() != manifest.dimension {
        return Err(Error::EmbedderMismatch {
            dir: dir.to_path_buf(),
            expected: manifest.embedder.clone(),
            expected_dimension: manifest.dimension,
            got: Some((embedder.id(), embedder.dimension())),
        });
    }
    Ok(embedder)
}

fn damaged(path: &Path, why: &str) -> Error {
    Error::Index(format!(
        "{}: {why}; rebuild the index with `wenda build`",
        path.display()
    ))
}

fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| Error::Index(format!("cannot encode {}: {e}", path.display())))?;
    store::write_synced(path, &bytes)
}

fn write_postcard<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let bytes = postcard::to_stdvec(value)
        .map_err(|e| Error::Index(format!("cannot encode {}: {e}", path.display())))?;
    store::write_synced(path, &bytes)
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = read_regular(path, u64::MAX).map_err(|e| Error::io(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| damaged(path, &e.to_string()))
}

fn read_postcard<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = read_regular(path, u64::MAX).map_err(|e| Error::io(path, e))?;
    postcard::from_bytes(&bytes).map_err(|e| damaged(path, &e.to_string()))
}
