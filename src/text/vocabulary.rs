//! General Chinese vocabulary, for making up questions that a knowledge base cannot answer.

/// General Chinese words (2–4 characters, from OpenCC's phrase list inside `hanconv`) for
/// which `known` is false, sorted and distinct: vocabulary to make up questions with.
pub(crate) fn general_words(known: impl Fn(&str) -> bool) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = hanconv::RawDictionary::STPhrases
        .iter()
        .map(|(simplified, _)| simplified)
        .filter(|w| {
            let n = w.chars().count();
            (2..=4).contains(&n)
                && w.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                && !known(w)
        })
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}
