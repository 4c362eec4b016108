//! FAQ entries as JSON Lines: one `{"id","question","similar","answer","category"}` object
//! per line (the format of the evaluation sets). Blank lines are skipped.

use std::path::Path;

use super::entry::{Entry, Source};
use super::raw::RawEntry;
use crate::error::Problem;

/// Parses a JSONL FAQ file; every bad line is reported, good lines are kept.
pub(crate) fn parse_faq_jsonl(
    text: &str,
    file: &Path,
    default_category: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Entry> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        let mut unknown = Vec::new();
        let mut de = serde_json::Deserializer::from_str(line);
        let parsed: Result<RawEntry, _> =
            serde_ignored::deserialize(&mut de, |path| unknown.push(path.to_string()))
                .and_then(|raw| de.end().map(|()| raw));
        match parsed {
            Ok(raw) => {
                let source = Source {
                    file: file.to_path_buf(),
                    line: Some(line_no),
                };
                let entry = raw.into_entry(source, default_category, problems);
                for key in unknown {
                    let mut p = Problem::error(
                        file,
                        format!(
                            "unknown key `{key}` (allowed: id, question, similar, answer, category, channels)"
                        ),
                    )
                    .at_line(Some(line_no));
                    if !entry.id.is_empty() {
                        p = p.for_entry(entry.id.clone());
                    }
                    problems.push(p);
                }
                entries.push(entry);
            }
            Err(e) => problems
                .push(Problem::error(file, format!("malformed JSON: {e}")).at_line(Some(line_no))),
        }
    }
    if entries.is_empty() && problems.is_empty() {
        problems.push(Problem::warning(file, "no entries in this file"));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_lines() {
        let text = concat!(
            "{\"id\": \"g1\", \"question\": \"怎么还款\", \"similar\": [\"如何还钱\"], \"answer\": \"答案\"}\n",
            "\n",
            "{\"id\": \"g2\", \"question\": \"q\", \"answer\": \"a\", \"extra\": 1}\n",
            "{not json}\n",
            "{\"id\": \"g3\", \"question\": \"q3\", \"answer\": \"a\"} trailing\n",
        );
        let mut problems = Vec::new();
        let entries = parse_faq_jsonl(text, Path::new("kb.jsonl"), "", &mut problems);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].similar, vec!["如何还钱"]);
        assert_eq!(entries[1].source.line, Some(3));
        let lines: Vec<_> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![Some(3), Some(4), Some(5)], "{problems:?}");
        assert_eq!(problems[0].entry.as_deref(), Some("g2"));
    }
}
