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

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};

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
        let analysis = self.analyzer.analyze(text);
        let tokens = self
            .kind
            .tokens(&analysis)
            .into_iter()
            .enumerate()
            .map(|(position, text)| Token {
                offset_from: 0,
                offset_to: 0,
                position,
                text,
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

/// BM25 index over question variants.
pub(crate) struct LexicalIndex {
    searcher: Searcher,
    _reader: IndexReader,
    words: Field,
    grams: Field,
    /// For each segment, doc id → variant id.
    doc_variants: Vec<Vec<VariantId>>,
}

impl LexicalIndex {
    /// Indexes `texts` (variant `i` is `texts[i]`) in memory.
    pub fn build<'a>(analyzer: &Analyzer, texts: impl Iterator<Item = &'a str>) -> Result<Self> {
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
        let index = Index::create_in_ram(schema.build());
        register_tokenizers(&index, analyzer);
        // One writer thread: documents keep their order, builds are reproducible.
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_MEMORY)?;
        for (i, text) in texts.enumerate() {
            let mut doc = TantivyDocument::new();
            doc.add_u64(variant, i as u64);
            doc.add_text(words, text);
            doc.add_text(grams, text);
            writer.add_document(doc)?;
        }
        writer.commit()?;
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
            searcher,
            _reader: reader,
            words,
            grams,
            doc_variants,
        })
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
