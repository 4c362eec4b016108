//! Synthetic knowledge bases and questions, for measuring speed and memory at sizes no
//! real knowledge base at hand reaches (a large insurer's FAQ with all its similar
//! questions: 100,000 question variants).
//!
//! A synthetic knowledge base recombines fragments of a real one, so question lengths,
//! paraphrase groups and word statistics stay realistic: every synthetic entry copies the
//! paraphrase group of a source entry and swaps the group's three most shared words for
//! random words from OpenCC's phrase list (shipped inside `hanconv`), which makes it a new
//! topic. The same source, size and seed always give the same knowledge base.
//!
//! ```
//! use wenda::{Entry, KnowledgeBase, synthetic};
//! let source = KnowledgeBase::from_entries(vec![
//!     Entry::new("a", "信用卡怎么还款", "在App还款。").with_similar(["信用卡还款方式", "怎么还信用卡"]),
//!     Entry::new("b", "怎么修改手机号", "在设置里修改。").with_similar(["手机号换了怎么改"]),
//! ])?;
//! let kb = synthetic::knowledge_base(&source, 300, 7)?;
//! assert!(kb.variant_count() >= 300);
//! let queries = synthetic::questions(&kb, 50, 7);
//! assert_eq!(queries.len(), 50);
//! assert!(queries.iter().any(|q| q.expected.is_none()));
//! # Ok::<(), wenda::Error>(())
//! ```

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::knowledge::{Entry, KnowledgeBase};
use crate::queries::LabelledQuery;
use crate::stable_hash::Rng;
use crate::text::{Analyzer, Lexicon, general_words};

/// Share of [`questions`] that ask about something the knowledge base does not hold.
pub const OUT_OF_KB_SHARE: f64 = 0.2;

/// Words of 2–4 Chinese characters from OpenCC's phrase list that `used` does not hold,
/// sorted and distinct.
fn fresh_words(used: &HashSet<String>) -> Vec<&'static str> {
    general_words(|w| used.contains(w))
}

/// Topic words swapped per synthetic entry.
const SWAPPED_WORDS: usize = 3;

/// A source entry's paraphrase group and the words its questions share most.
struct Template {
    variants: Vec<String>,
    /// Most shared first; the first one is the topic word.
    words: Vec<String>,
    answer: String,
    category: String,
}

fn templates(source: &KnowledgeBase, analyzer: &Analyzer) -> Vec<Template> {
    source
        .entries()
        .iter()
        .map(|e| {
            let variants: Vec<String> = e.variants().map(str::to_string).collect();
            let mut counts: HashMap<String, usize> = HashMap::new();
            for v in &variants {
                let terms: HashSet<String> = analyzer.analyze(v).terms.into_iter().collect();
                for t in terms {
                    if t.chars().count() >= 2 && v.contains(t.as_str()) {
                        *counts.entry(t).or_default() += 1;
                    }
                }
            }
            // The most shared words; ties go to the longer, then the smaller word.
            let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
            ranked.sort_by(|a, b| {
                (b.1, b.0.chars().count())
                    .cmp(&(a.1, a.0.chars().count()))
                    .then(a.0.cmp(&b.0))
            });
            Template {
                variants,
                words: ranked
                    .into_iter()
                    .take(SWAPPED_WORDS)
                    .map(|(w, _)| w)
                    .collect(),
                answer: e.answer.clone(),
                category: e.category.clone(),
            }
        })
        .collect()
}

/// `text` with each of `words` replaced by the word at the same place in `by`; when the
/// first (topic) word is absent, its replacement is put in front.
fn swap(text: &str, words: &[String], by: &[&str]) -> String {
    let mut out = text.to_string();
    for (i, (w, b)) in words.iter().zip(by).enumerate() {
        if out.contains(w.as_str()) {
            out = out.replace(w.as_str(), b);
        } else if i == 0 {
            out = format!("{b}{out}");
        }
    }
    if words.is_empty()
        && let Some(b) = by.first()
    {
        out = format!("{b}{out}");
    }
    out
}

/// A knowledge base of at least `variants` question variants recombined from `source`
/// (see the module docs), with `source`'s lexicon, triggers, small talk and options (but
/// not its saved confidence model: the synthetic knowledge base is calibrated on itself).
///
/// # Errors
/// [`Error::Knowledge`](crate::Error::Knowledge) if the generated entries do not validate
/// (for example when `source` has no entries).
pub fn knowledge_base(source: &KnowledgeBase, variants: usize, seed: u64) -> Result<KnowledgeBase> {
    let analyzer = Analyzer::new(source.lexicon());
    let templates = templates(source, &analyzer);
    let used: HashSet<String> = templates.iter().flat_map(|t| t.words.clone()).collect();
    let words = fresh_words(&used);
    let mut rng = Rng::new(seed ^ 0x5717_7e71_c0de);
    let mut entries = Vec::new();
    let mut made = 0;
    while made < variants && !templates.is_empty() && !words.is_empty() {
        let t = &templates[rng.below(templates.len())];
        let by: Vec<&str> = (0..SWAPPED_WORDS)
            .map(|_| words[rng.below(words.len())])
            .collect();
        let mut questions = t.variants.iter().map(|v| swap(v, &t.words, &by));
        let Some(question) = questions.next() else {
            continue;
        };
        made += t.variants.len();
        let id = format!("syn-{:06}", entries.len());
        let mut entry = Entry::new(id, question, t.answer.clone()).with_similar(questions);
        entry.category = t.category.clone();
        entries.push(entry);
    }
    let kb = KnowledgeBase::from_entries(entries)?
        .with_lexicon(source.lexicon().clone())
        .with_triggers(source.triggers().clone())
        .with_smalltalk(source.smalltalk().clone());
    // A saved confidence model belongs to the source; the synthetic KB fits its own.
    let mut config = source.config().clone();
    config.calibration.model = None;
    kb.with_config(config)
}

/// `n` questions about `kb`: about 80% are variants of its entries with a small change (a
/// character dropped, or a word swapped with its neighbour, as customers type), labelled
/// with their entry; the rest ([`OUT_OF_KB_SHARE`]) are built the same way but about a
/// topic word the knowledge base does not contain, labelled `None`.
pub fn questions(kb: &KnowledgeBase, n: usize, seed: u64) -> Vec<LabelledQuery> {
    let analyzer = Analyzer::new(&Lexicon::default());
    let templates = templates(kb, &analyzer);
    let mut used: HashSet<String> = HashSet::new();
    for e in kb.entries() {
        for v in e.variants() {
            used.extend(analyzer.analyze(v).terms);
        }
    }
    let words = fresh_words(&used);
    let mut rng = Rng::new(seed ^ 0x9e57_1045);
    let mut out = Vec::with_capacity(n);
    if templates.is_empty() {
        return out;
    }
    for _ in 0..n {
        let e = rng.below(templates.len());
        let t = &templates[e];
        let v = &t.variants[rng.below(t.variants.len())];
        let out_of_kb =
            !words.is_empty() && (rng.next_u64() % 1000) < (OUT_OF_KB_SHARE * 1000.0) as u64;
        let (text, expected) = if out_of_kb {
            let by = [words[rng.below(words.len())]];
            (swap(v, &t.words[..t.words.len().min(1)], &by), None)
        } else {
            (v.clone(), Some(kb.entries()[e].id.clone()))
        };
        out.push(LabelledQuery::new(
            perturb(&text, &mut rng),
            expected.as_deref(),
        ));
    }
    out
}

/// Drops one character (not the first) or swaps two neighbouring characters, or leaves the
/// text alone, with equal odds.
fn perturb(text: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if chars.len() < 4 {
        return text.to_string();
    }
    match rng.below(3) {
        0 => {
            let at = 1 + rng.below(chars.len() - 1);
            chars.remove(at);
        }
        1 => {
            let at = 1 + rng.below(chars.len() - 2);
            chars.swap(at, at + 1);
        }
        _ => {}
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Result<KnowledgeBase> {
        KnowledgeBase::from_entries(vec![
            Entry::new("a", "信用卡怎么还款", "在App还款。")
                .with_similar(["信用卡还款方式", "怎么还信用卡"]),
            Entry::new("b", "怎么修改手机号", "在设置里修改。")
                .with_similar(["手机号换了怎么改", "更换手机号码"]),
        ])
    }

    #[test]
    fn reproducible_and_sized() -> Result<()> {
        let src = source()?;
        let a = knowledge_base(&src, 500, 1)?;
        let b = knowledge_base(&src, 500, 1)?;
        let c = knowledge_base(&src, 500, 2)?;
        assert!(a.variant_count() >= 500 && a.variant_count() < 510);
        assert_eq!(a.entries(), b.entries());
        assert_ne!(a.entries(), c.entries());
        let q = questions(&a, 200, 3);
        assert_eq!(q, questions(&a, 200, 3));
        let out = q.iter().filter(|q| q.expected.is_none()).count();
        assert!((20..=60).contains(&out), "{out} of 200 out of the KB");
        for x in q.iter().filter_map(|q| q.expected.as_deref()) {
            assert!(a.entry(x).is_some());
        }
        Ok(())
    }
}
