//! The lexical index: tantivy BM25 over every question variant.
//!
//! Two text fields, both cut by wenda's own analyzer (registered on the index as
//! tokenizers, so indexing and querying use exactly the same text pipeline):
//! * `words`: jieba search-mode terms (synonyms mapped, stopwords dropped), so sub-words of
//!   long words stay findable;
//! * `grams`: character bigrams, robust to typos and segmentation errors.
//!
//! Customer text never reaches tantivy's query parser: queries are built term by term, so
//! `:` `"` `(` `AND` in a question are plain characters.

use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::directory::{Directory, MmapDirectory, RamDirectory};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexSettings, ReloadPolicy, Searcher, TantivyDocument, Term};

use super::corpus::VariantId;
use crate::error::{Error, Result};
use crate::text::{Analysis, Analyzer, grams as ngrams};

const WORDS_TOKENIZER: &str = "wenda_words";
const GRAMS_TOKENIZER: &str = "wenda_grams";
/// Memory for the single indexing thread (tantivy's minimum is 15 MB).
const WRITER_MEMORY: usize = 50_000_000;

/// Which tokens a field holds.
#[derive(Clone, Copy, Debug)]
enum FieldKind {
    Words,
    Grams,
}

impl FieldKind {
    fn tokens(self, a: &Analysis) -> Vec<String> {
        match self {
            FieldKind::Words => a.search_terms.clone(),
            FieldKind::Grams => {
                let units = a.units();
                if units.len() == 1 {
                    ngrams(&units)
                } else {
                    units
                        .windows(2)
                        .map(|w| format!("{}{}", w[0], w[1]))
                        .collect()
                }
            }
        }
    }

    /// [`tokens`](Self::tokens) in tantivy's form, numbered by position.
    fn tantivy_tokens(self, a: &Analysis) -> Vec<Token> {
        self.tokens(a)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect()
    }
}

/// A tantivy tokenizer running wenda's analyzer. Cloning shares the dictionary.
#[derive(Clone)]
struct WendaTokenizer {
    analyzer: Analyzer,
    kind: FieldKind,
}

struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for WendaTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = self.kind.tantivy_tokens(&self.analyzer.analyze(text));
        VecTokenStream { tokens, next: 0 }
    }
}

/// Where the index's files live.
enum Storage {
    /// Built in memory (saved by copying the files out).
    Ram(RamDirectory),
    /// Opened from a saved index (memory-mapped).
    Disk(PathBuf),
}

/// Tokens as tantivy stores them, from an already analyzed question.
fn pre_tokenized(a: &Analysis, kind: FieldKind) -> PreTokenizedString {
    PreTokenizedString {
        text: a.normalized.clone(),
        tokens: kind.tantivy_tokens(a),
    }
}

/// BM25 index over question variants.
pub(crate) struct LexicalIndex {
    storage: Storage,
    searcher: Searcher,
    _reader: IndexReader,
    words: Field,
    grams: Field,
    /// For each segment, doc id → variant id.
    doc_variants: Vec<Vec<VariantId>>,
}

impl LexicalIndex {
    /// Indexes analyzed variants (variant `i` is `analyses[i]`) in memory. The tokens come
    /// from the analyses, so no text is segmented twice.
    pub fn build<'a>(
        analyzer: &Analyzer,
        analyses: impl Iterator<Item = &'a Analysis>,
    ) -> Result<Self> {
        let mut schema = Schema::builder();
        let text_options = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let variant = schema.add_u64_field("variant", INDEXED | STORED | FAST);
        let words = schema.add_text_field("words", text_options(WORDS_TOKENIZER));
        let grams = schema.add_text_field("grams", text_options(GRAMS_TOKENIZER));
        let ram = RamDirectory::create();
        let index = Index::create(ram.clone(), schema.build(), IndexSettings::default())?;
        register_tokenizers(&index, analyzer);
        // One writer thread: documents keep their order, builds are reproducible.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_MEMORY)?;
        for (i, a) in analyses.enumerate() {
            let mut doc = TantivyDocument::new();
            doc.add_u64(variant, i as u64);
            doc.add_pre_tokenized_text(words, pre_tokenized(a, FieldKind::Words));
            doc.add_pre_tokenized_text(grams, pre_tokenized(a, FieldKind::Grams));
            writer.add_document(doc)?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        Self::from_index(&index, Storage::Ram(ram))
    }

    /// Opens an index saved by [`save`](Self::save) in `dir` (memory-mapped).
    pub fn open(analyzer: &Analyzer, dir: &Path) -> Result<Self> {
        let mmap = MmapDirectory::open(dir)
            .map_err(|e| Error::Index(format!("{}: {e}", dir.display())))?;
        let index = Index::open(mmap)?;
        Self::check_files(&index, dir)?;
        register_tokenizers(&index, analyzer);
        Self::from_index(&index, Storage::Disk(dir.to_path_buf()))
    }

    /// Checks the lexical index in `dir` without opening it for searching: tantivy's own
    /// checksum of every file (a damaged posting or fast-field file makes tantivy panic on
    /// a search, not on opening).
    pub fn check(dir: &Path) -> Result<()> {
        let mmap = MmapDirectory::open(dir)
            .map_err(|e| Error::Index(format!("{}: {e}", dir.display())))?;
        let index = Index::open(mmap)?;
        Self::check_files(&index, dir)
    }

    fn check_files(index: &Index, dir: &Path) -> Result<()> {
        let damaged = index.validate_checksum()?;
        match damaged.iter().next() {
            None => Ok(()),
            Some(file) => Err(Error::Index(format!(
                "{}: the lexical index file {} is damaged",
                dir.display(),
                file.display()
            ))),
        }
    }

    /// Writes the index's files into `dir` (which must exist).
    pub fn save(&self, dir: &Path) -> Result<()> {
        match &self.storage {
            Storage::Ram(ram) => {
                let dest = MmapDirectory::open(dir)
                    .map_err(|e| Error::Index(format!("{}: {e}", dir.display())))?;
                ram.persist(&dest)?;
                dest.sync_directory().map_err(|e| Error::io(dir, e))
            }
            Storage::Disk(from) => copy_files(from, dir),
        }
    }

    fn from_index(index: &Index, storage: Storage) -> Result<Self> {
        let schema = index.schema();
        let field = |name: &str| {
            schema
                .get_field(name)
                .map_err(|e| Error::Index(format!("the lexical index has no {name} field: {e}")))
        };
        let (words, grams) = (field("words")?, field("grams")?);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let searcher = reader.searcher();
        let mut doc_variants = Vec::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("variant")?;
            let ids = (0..segment.max_doc())
                .map(|d| {
                    column
                        .first(d)
                        .map(|v| v as VariantId)
                        .ok_or_else(|| Error::Index(format!("document {d} has no variant id")))
                })
                .collect::<Result<Vec<_>>>()?;
            doc_variants.push(ids);
        }
        Ok(LexicalIndex {
            storage,
            searcher,
            _reader: reader,
            words,
            grams,
            doc_variants,
        })
    }

    /// Number of documents (one per variant).
    pub fn documents(&self) -> usize {
        self.doc_variants.iter().map(Vec::len).sum()
    }

    /// The largest variant id of a document, if there are any.
    pub fn max_variant(&self) -> Option<VariantId> {
        self.doc_variants.iter().flatten().copied().max()
    }

    /// The `limit` best variants for an analyzed question, with their BM25 scores, best
    /// first. Variants for which `skip` is true are passed over; `max_skipped` says how
    /// many that can be at most, so that enough hits are fetched.
    pub fn search(
        &self,
        a: &Analysis,
        limit: usize,
        skip: &dyn Fn(VariantId) -> bool,
        max_skipped: usize,
    ) -> Result<Vec<(VariantId, f32)>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, kind) in [
            (self.words, FieldKind::Words),
            (self.grams, FieldKind::Grams),
        ] {
            let mut tokens = kind.tokens(a);
            tokens.sort_unstable();
            tokens.dedup();
            for t in tokens {
                let term = Term::from_field_text(field, &t);
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                ));
            }
        }
        if clauses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        let fetch = limit + max_skipped;
        let hits = self
            .searcher
            .search(&query, &TopDocs::with_limit(fetch).order_by_score())?;
        let mut out = Vec::with_capacity(limit);
        for (score, addr) in hits {
            let variant = self
                .doc_variants
                .get(addr.segment_ord as usize)
                .and_then(|s| s.get(addr.doc_id as usize))
                .copied()
                .ok_or_else(|| Error::Index("a search hit has no variant id".into()))?;
            if !skip(variant) {
                out.push((variant, score));
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}

/// Copies the files of a saved index (tantivy's lock files excepted).
fn copy_files(from: &Path, to: &Path) -> Result<()> {
    let entries = std::fs::read_dir(from).map_err(|e| Error::io(from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".lock") {
            continue;
        }
        let target = to.join(&name);
        std::fs::copy(entry.path(), &target).map_err(|e| Error::io(&target, e))?;
    }
    Ok(())
}

fn register_tokenizers(index: &Index, analyzer: &Analyzer) {
    for (name, kind) in [
        (WORDS_TOKENIZER, FieldKind::Words),
        (GRAMS_TOKENIZER, FieldKind::Grams),
    ] {
        index.tokenizers().register(
            name,
            TextAnalyzer::from(WendaTokenizer {
                analyzer: analyzer.clone(),
                kind,
            }),
        );
    }
}
#[cfg(test)]
#[path = "lexical_tests.rs"]
mod tests;
