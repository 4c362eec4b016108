//! FAQ category files in TOML (`knowledge/*.toml`).

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::entry::{Entry, Source};
use super::raw::RawEntry;
use super::toml_util::{find_key_line, parse};
use crate::error::{Problem, line_of};

#[derive(Deserialize)]
struct FaqFile {
    category: Option<String>,
    #[serde(default)]
    faq: Vec<Spanned<RawEntry>>,
}

/// Parses one category file. Entries that could be read are returned even when the file
/// also has problems.
pub(crate) fn parse_faq_toml(text: &str, file: &Path, problems: &mut Vec<Problem>) -> Vec<Entry> {
    let (doc, unknown): (FaqFile, _) = match parse(text, file) {
        Ok(parsed) => parsed,
        Err(p) => {
            problems.push(p);
            return Vec::new();
        }
    };
    let default_category = doc.category.clone().unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let lines: Vec<usize> = doc
        .faq
        .iter()
        .map(|e| line_of(text, e.span().start))
        .collect();
    let entries: Vec<Entry> = doc
        .faq
        .into_iter()
        .zip(&lines)
        .map(|(raw, &line)| {
            let source = Source {
                file: file.to_path_buf(),
                line: Some(line),
            };
            raw.into_inner()
                .into_entry(source, &default_category, problems)
        })
        .collect();
    for u in unknown {
        let (line, entry) = match u.index {
            Some(i) => {
                let start = lines.get(i).copied().unwrap_or(1);
                (
                    find_key_line(text, &u.key, start).or(Some(start)),
                    entries.get(i).map(|e| e.id.clone()),
                )
            }
            None => (find_key_line(text, &u.key, 1), None),
        };
        let mut p = Problem::error(
            file,
            format!(
                "unknown key `{}` (allowed: category, and in [[faq]]: id, question, similar, answer, category, channels)",
                u.dotted
            ),
        )
        .at_line(line);
        if let Some(id) = entry.filter(|id| !id.is_empty()) {
            p = p.for_entry(id);
        }
        problems.push(p);
    }
    if entries.is_empty() {
        problems.push(Problem::warning(file, "no [[faq]] entries in this file"));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_with_lines_and_channels() {
        let text = r#"category = "车险/理赔"

[[faq]]
id = "claim-report"
question = "车险出险后怎么报案？"
similar = ["车撞了怎么报案"]
answer = "请拨打客服电话报案。"
[faq.channels]
sms = "致电客服报案。"

[[faq]]
id = "b"
question = "q"
answer = "a"
"#;
        let mut problems = Vec::new();
        let entries = parse_faq_toml(text, Path::new("claims.toml"), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].category, "车险/理赔");
        assert_eq!(entries[0].source.line, Some(3));
        assert_eq!(entries[1].source.line, Some(11));
        assert_eq!(
            entries[0].answer_for(Some(crate::knowledge::Channel::Sms)),
            "致电客服报案。"
        );
    }

    #[test]
    fn unknown_keys_and_channels_are_located() {
        let text = "[[faq]]\nid = \"a\"\nquestion = \"q\"\nanswer = \"x\"\n\n[[faq]]\nid = \"b\"\nquestion = \"q2\"\nanwser = \"x\"\n[faq.channels]\nfax = \"f\"\n";
        let mut problems = Vec::new();
        let entries = parse_faq_toml(text, Path::new("x.toml"), &mut problems);
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].category, "x",
            "category defaults to the file stem"
        );
        let unknown = problems
            .iter()
            .find(|p| p.message.contains("anwser"))
            .expect("unknown key reported");
        assert_eq!(unknown.line, Some(9));
        assert_eq!(unknown.entry.as_deref(), Some("b"));
        let channel = problems
            .iter()
            .find(|p| p.message.contains("fax"))
            .expect("unknown channel reported");
        assert_eq!(channel.entry.as_deref(), Some("b"));
    }

    #[test]
    fn malformed_file_is_one_problem() {
        let mut problems = Vec::new();
        let entries = parse_faq_toml("[[faq]\nid = ", Path::new("bad.toml"), &mut problems);
        assert!(entries.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(1));
    }
}
