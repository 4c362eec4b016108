//! Text processing: normalization, segmentation, character n-grams.
//!
//! The steps are separate so they can be used and tested on their own:
//! [`normalize`] → [`Segmenter`] (jieba + user dictionary + synonyms + stopwords) →
//! [`units`] / [`grams`]. [`Analyzer`] runs them all and returns an [`Analysis`], the form
//! in which every question, stored or asked, reaches the indexes and the ranker.

mod ngram;
mod normalize;
mod segment;
mod vocabulary;

use std::sync::Arc;

pub use ngram::{grams, units};
pub use normalize::{is_blank, normalize};
pub use segment::{DictWord, Lexicon, Segmenter};
pub(crate) use vocabulary::general_words;

/// A question after every text step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// [`normalize`]d text.
    pub normalized: String,
    /// Precise-mode terms (synonyms mapped to canonical words, stopwords dropped).
    pub terms: Vec<String>,
    /// Search-mode terms (also the sub-words of long words), for the lexical index.
    pub search_terms: Vec<String>,
    /// The terms joined by spaces: the text as the matcher sees it.
    pub canonical: String,
}

impl Analysis {
    /// Character units of the canonical text (see [`units`]).
    pub fn units(&self) -> Vec<&str> {
        units(&self.canonical)
    }

    /// Character unigrams and bigrams of the canonical text (see [`grams`]).
    pub fn grams(&self) -> Vec<String> {
        grams(&self.units())
    }
}

/// Runs the whole text pipeline. Cheap to clone (the dictionary is shared).
///
/// ```
/// use wenda::text::{Analyzer, Lexicon};
/// let analyzer = Analyzer::new(&Lexicon {
///     synonyms: vec![vec!["退保".into(), "解除保险合同".into()]],
///     stopwords: vec!["的".into(), "我".into()],
///     ..Lexicon::default()
/// });
/// let a = analyzer.analyze("我想解除保險合同");
/// assert_eq!(a.normalized, "我想解除保险合同");
/// assert!(a.terms.contains(&"退保".to_string()));
/// assert!(!a.terms.contains(&"我".to_string()));
/// ```
#[derive(Debug, Clone)]
pub struct Analyzer {
    segmenter: Arc<Segmenter>,
}

impl Analyzer {
    /// Builds the analyzer for a lexicon (loads jieba's dictionary: ~0.2 s, ~35 MB).
    pub fn new(lexicon: &Lexicon) -> Self {
        Analyzer {
            segmenter: Arc::new(Segmenter::new(lexicon)),
        }
    }

    /// The segmenter inside.
    pub fn segmenter(&self) -> &Segmenter {
        &self.segmenter
    }

    /// Normalizes and segments `text`.
    pub fn analyze(&self, text: &str) -> Analysis {
        let normalized = normalize(text);
        let terms = self.segmenter.terms(&normalized);
        let search_terms = self.segmenter.search_terms(&normalized);
        let canonical = terms.join(" ");
        Analysis {
            normalized,
            terms,
            search_terms,
            canonical,
        }
    }
}
