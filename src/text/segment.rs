//! Word segmentation with jieba-rs, the knowledge base's user dictionary, synonyms and
//! stopwords.

use std::collections::{HashMap, HashSet};

use jieba_rs::Jieba;

use super::normalize;

/// One line of the user dictionary (`dict.txt`): a word jieba must keep whole.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DictWord {
    /// The word, as the curator wrote it (it is normalized before use).
    pub word: String,
    /// Frequency weight; `None` lets jieba pick one just high enough to keep the word whole.
    pub freq: Option<usize>,
    /// Part-of-speech tag (optional, informational).
    pub tag: Option<String>,
}

/// The domain vocabulary a [`Segmenter`] is built from: the knowledge base's `dict.txt`,
/// `synonyms.txt` and `stopwords.txt`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lexicon {
    /// Words to add to jieba's dictionary.
    pub dict: Vec<DictWord>,
    /// Synonym groups; the first word of each group is the canonical form.
    pub synonyms: Vec<Vec<String>>,
    /// Words dropped before matching.
    pub stopwords: Vec<String>,
}

/// Segments normalized text into matching terms.
///
/// Holds one jieba dictionary (about 35 MB); share it behind an `Arc`, never clone it per
/// use. It is `Send + Sync`.
pub struct Segmenter {
    jieba: Jieba,
    canonical: HashMap<String, String>,
    stopwords: HashSet<String>,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter")
            .field("synonyms", &self.canonical.len())
            .field("stopwords", &self.stopwords.len())
            .finish_non_exhaustive()
    }
}

impl Segmenter {
    /// Builds a segmenter: jieba's default dictionary plus the lexicon's words and every
    /// synonym (so that multi-character synonyms are cut whole and can be mapped).
    ///
    /// All words are [normalized](normalize) first, so traditional or full-width entries in
    /// the lexicon work as expected.
    pub fn new(lexicon: &Lexicon) -> Self {
        let mut jieba = Jieba::new();
        for w in &lexicon.dict {
            let word = compact(&w.word);
            if !word.is_empty() {
                jieba.add_word(&word, w.freq, w.tag.as_deref());
            }
        }
        let mut canonical = HashMap::new();
        for group in &lexicon.synonyms {
            let mut words = group.iter().map(|w| compact(w)).filter(|w| !w.is_empty());
            let Some(head) = words.next() else { continue };
            for word in std::iter::once(head.clone()).chain(words) {
                if !jieba.has_word(&word) && word.chars().count() > 1 {
                    jieba.add_word(&word, None, None);
                }
                canonical.entry(word).or_insert_with(|| head.clone());
            }
        }
        let stopwords = lexicon
            .stopwords
            .iter()
            .map(|w| compact(w))
            .filter(|w| !w.is_empty())
            .collect();
        Segmenter {
            jieba,
            canonical,
            stopwords,
        }
    }

    /// Precise-mode terms of normalized text: each word once per occurrence, synonyms
    /// replaced by their canonical word, stopwords and spaces dropped.
    pub fn terms(&self, normalized: &str) -> Vec<String> {
        self.map_tokens(
            self.jieba
                .cut(normalized, false)
                .into_iter()
                .map(|t| t.word),
        )
    }

    /// Search-mode terms: like [`terms`](Self::terms) plus the dictionary sub-words of long
    /// words (`农业银行` also yields `农业`, `银行`), so a sub-word stays findable.
    pub fn search_terms(&self, normalized: &str) -> Vec<String> {
        self.map_tokens(
            self.jieba
                .cut_for_search(normalized, false)
                .into_iter()
                .map(|t| t.word),
        )
    }

    /// The canonical form of a (normalized) word: its synonym group's head, or itself.
    pub fn canonical<'a>(&'a self, word: &'a str) -> &'a str {
        self.canonical.get(word).map(String::as_str).unwrap_or(word)
    }

    fn map_tokens<'a>(&self, tokens: impl Iterator<Item = &'a str>) -> Vec<String> {
        tokens
            .filter(|w| !w.trim().is_empty())
            .map(|w| self.canonical(w))
            .filter(|w| !self.stopwords.contains(*w))
            .map(str::to_string)
            .collect()
    }
}

/// Normalized form of a dictionary word, with inner spaces removed.
fn compact(word: &str) -> String {
    normalize(word).replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        Lexicon {
            dict: vec![
                DictWord {
                    word: "三者险".into(),
                    freq: Some(2000),
                    tag: Some("n".into()),
                },
                DictWord {
                    word: "运费险".into(),
                    freq: None,
                    tag: None,
                },
            ],
            synonyms: vec![
                vec!["理赔".into(), "赔付".into(), "理陪".into()],
                vec!["三者险".into(), "第三者责任险".into()],
            ],
            stopwords: vec!["的".into(), "吗".into(), "请问".into()],
        }
    }

    #[test]
    fn user_words_synonyms_stopwords() {
        let s = Segmenter::new(&lexicon());
        let t = s.terms("请问第三者责任险的赔付标准");
        assert!(t.contains(&"三者险".to_string()), "{t:?}");
        assert!(t.contains(&"理赔".to_string()), "{t:?}");
        assert!(!t.iter().any(|w| w == "的" || w == "请问"), "{t:?}");
        let t = s.terms("退货运费险");
        assert!(t.contains(&"运费险".to_string()), "{t:?}");
    }

    #[test]
    fn search_mode_keeps_sub_words() {
        let s = Segmenter::new(&Lexicon::default());
        let t = s.search_terms("中国农业银行");
        assert!(t.contains(&"农业".to_string()), "{t:?}");
        assert!(t.contains(&"银行".to_string()), "{t:?}");
    }

    #[test]
    fn spaces_dropped() {
        let s = Segmenter::new(&Lexicon::default());
        assert!(s.terms("app 登录").iter().all(|w| !w.trim().is_empty()));
        assert!(s.terms("").is_empty());
    }
}
