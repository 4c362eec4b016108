//! Cross-entry checks: ids, empty fields, conflicting questions.

use std::collections::HashMap;

use super::entry::Entry;
use crate::error::Problem;
use crate::text::normalize;

/// Most ids listed in one summarizing warning.
const LIST_IDS: usize = 5;

/// Checks every entry and the relations between entries; appends one problem per finding.
///
/// Errors: empty id, question or answer (or an empty similar question); a question with
/// nothing to match once normalized (only punctuation or emoji); the same id twice.
///
/// Warnings: the same question text (after normalization) in two entries, whether as
/// standard or similar question (the ranking then decides between them, which a curator
/// should settle); a question repeated inside one entry; entries without similar questions
/// (one summarizing warning). Conflicts are warnings rather than errors because real FAQ
/// exports contain them and must still load; `wenda check --strict` fails on them.
pub(crate) fn validate_entries(entries: &[Entry], problems: &mut Vec<Problem>) {
    let at = |e: &Entry, p: Problem| {
        let p = p.at_line(e.source.line);
        if e.id.is_empty() {
            p
        } else {
            p.for_entry(e.id.clone())
        }
    };
    let mut ids: HashMap<&str, &Entry> = HashMap::new();
    // normalized question → (entry index, is the standard question)
    let mut questions: HashMap<String, (usize, bool)> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let file = &e.source.file;
        if e.id.is_empty() {
            problems.push(at(e, Problem::error(file, "id is missing or empty")));
        } else if let Some(first) = ids.get(e.id.as_str()) {
            problems.push(at(
                e,
                Problem::error(
                    file,
                    format!("duplicate id; it is first used at {}", location(first)),
                ),
            ));
        } else {
            ids.insert(&e.id, e);
        }
        if e.question.trim().is_empty() {
            problems.push(at(e, Problem::error(file, "question is missing or empty")));
        }
        if e.answer.trim().is_empty() {
            problems.push(at(e, Problem::error(file, "answer is missing or empty")));
        }
        for (c, text) in &e.channels {
            if text.trim().is_empty() {
                problems.push(at(
                    e,
                    Problem::error(file, format!("the {c} answer is empty")),
                ));
            }
        }
        let mut own: HashMap<String, ()> = HashMap::new();
        for (k, variant) in e.variants().enumerate() {
            let is_standard = k == 0;
            let key = normalize(variant);
            if key.is_empty() {
                let msg = match (is_standard, variant.trim().is_empty()) {
                    // An empty standard question is reported above.
                    (true, true) => None,
                    (true, false) => Some(format!(
                        "question \"{variant}\" has nothing to match (only punctuation or symbols)"
                    )),
                    (false, true) => Some(format!("similar question #{k} is empty")),
                    (false, false) => Some(format!(
                        "similar question #{k} \"{variant}\" has nothing to match (only punctuation or symbols)"
                    )),
                };
                if let Some(msg) = msg {
                    problems.push(at(e, Problem::error(file, msg)));
                }
                continue;
            }
            if own.insert(key.clone(), ()).is_some() {
                problems.push(at(
                    e,
                    Problem::warning(
                        file,
                        format!("question \"{variant}\" is listed twice in this entry"),
                    ),
                ));
                continue;
            }
            match questions.get(&key) {
                None => {
                    questions.insert(key, (i, is_standard));
                }
                Some(&(j, other_standard)) => {
                    let other = &entries[j];
                    let here = if is_standard { "standard" } else { "similar" };
                    let there = if other_standard {
                        "the standard question"
                    } else {
                        "a similar question"
                    };
                    let msg = format!(
                        "\"{variant}\" ({here} question here) is also {there} of entry \"{}\" at {}; one question cannot lead to two answers",
                        other.id,
                        location(other)
                    );
                    problems.push(at(e, Problem::warning(file, msg)));
                }
            }
        }
    }
    let lonely: Vec<&str> = entries
        .iter()
        .filter(|e| e.similar.is_empty() && !e.id.is_empty())
        .map(|e| e.id.as_str())
        .collect();
    if !lonely.is_empty() {
        let file = entries
            .iter()
            .find(|e| e.similar.is_empty())
            .map(|e| e.source.file.clone())
            .unwrap_or_default();
        let shown: Vec<&str> = lonely.iter().take(LIST_IDS).copied().collect();
        let more = lonely.len().saturating_sub(LIST_IDS);
        problems.push(Problem::warning(
            file,
            format!(
                "{} entr{} no similar questions ({}{}); add 3 or more ways customers ask, so matching and calibration can learn from them",
                lonely.len(),
                if lonely.len() == 1 { "y has" } else { "ies have" },
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
        ));
    }
}

fn location(e: &Entry) -> String {
    match e.source.line {
        Some(l) => format!("{}:{l}", e.source.file.display()),
        None => e.source.file.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Severity;
    use crate::knowledge::entry::Source;

    fn entry(id: &str, q: &str, similar: &[&str], a: &str, line: usize) -> Entry {
        let mut e = Entry::new(id, q, a).with_similar(similar.iter().copied());
        e.source = Source {
            file: "f.toml".into(),
            line: Some(line),
        };
        e
    }

    #[test]
    fn finds_every_problem() {
        let entries = vec![
            entry("a", "怎么退保", &["退保流程", "退保流程！"], "答", 1),
            entry("a", "怎么报案", &["怎么退保？"], "", 10),
            entry("", "", &[""], "x", 20),
            entry("d", "保费多少", &["退保流程"], "y", 30),
            entry("e", "保单查询", &[], "z", 40),
            entry("f", "？？", &["！"], "z", 50),
        ];
        let mut p = Vec::new();
        validate_entries(&entries, &mut p);
        let find = |needle: &str| {
            p.iter()
                .find(|x| x.message.contains(needle))
                .unwrap_or_else(|| panic!("no problem mentioning {needle:?} in {p:#?}"))
        };
        assert_eq!(find("duplicate id").line, Some(10));
        assert_eq!(find("listed twice").severity, Severity::Warning);
        assert_eq!(find("answer is missing").entry.as_deref(), Some("a"));
        assert_eq!(find("id is missing").line, Some(20));
        assert_eq!(find("question is missing").line, Some(20));
        assert_eq!(find("similar question #1 is empty").line, Some(20));
        assert_eq!(
            find("\"？？\" has nothing to match").entry.as_deref(),
            Some("f")
        );
        assert_eq!(find("#1 \"！\" has nothing to match").line, Some(50));
        let conflict = find("\"怎么退保？\"");
        assert_eq!(conflict.severity, Severity::Warning);
        assert!(conflict.message.contains("f.toml:1"));
        let shared = find("\"退保流程\" (similar question here)");
        assert_eq!(shared.severity, Severity::Warning);
        assert!(find("no similar questions").message.contains("(e)"));
    }
}
