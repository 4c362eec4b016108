//! The plain-text vocabulary files: `dict.txt`, `synonyms.txt`, `stopwords.txt`.
//!
//! All three skip blank lines and lines starting with `#`.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Problem;
use crate::text::{DictWord, normalize};

fn content_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim().trim_start_matches('\u{feff}')))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

/// `dict.txt`: `word [frequency] [tag]` per line. A word without a frequency gets one just
/// high enough to be kept whole (unlike jieba's own loader, where it would have no effect).
pub(crate) fn parse_dict(text: &str, file: &Path, problems: &mut Vec<Problem>) -> Vec<DictWord> {
    let mut out = Vec::new();
    for (line, content) in content_lines(text) {
        let fields: Vec<&str> = content.split_whitespace().collect();
        let located = |msg: String| Problem::error(file, msg).at_line(Some(line));
        if fields.len() > 3 {
            problems.push(located(format!(
                "expected `word [frequency] [tag]`, found {} fields in `{content}`",
                fields.len()
            )));
            continue;
        }
        let freq = match fields.get(1) {
            None => None,
            Some(f) => match f.parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    problems.push(located(format!(
                        "frequency `{f}` of `{}` is not a positive whole number",
                        fields[0]
                    )));
                    continue;
                }
            },
        };
        out.push(DictWord {
            word: fields[0].to_string(),
            freq,
            tag: fields.get(2).map(|t| t.to_string()),
        });
    }
    out
}

/// `synonyms.txt`: one group per line, words separated by spaces (or `,` `，` `、`), the
/// first word canonical. A word may belong to one group only.
pub(crate) fn parse_synonyms(
    text: &str,
    file: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<Vec<String>> {
    let mut groups = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (line, content) in content_lines(text) {
        let words: Vec<String> = content
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、'))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        if words.len() < 2 {
            problems.push(
                Problem::warning(
                    file,
                    format!("synonym group `{content}` has only one word; it has no effect"),
                )
                .at_line(Some(line)),
            );
        }
        let mut keep = Vec::new();
        for w in words {
            let key = normalize(&w).replace(' ', "");
            match seen.get(&key) {
                Some(&first) if first == line => {}
                Some(&first) => problems.push(
                    Problem::error(
                        file,
                        format!("`{w}` is already in the synonym group on line {first}; a word may belong to one group only"),
                    )
                    .at_line(Some(line)),
                ),
                None => {
                    seen.insert(key, line);
                    keep.push(w);
                }
            }
        }
        if !keep.is_empty() {
            groups.push(keep);
        }
    }
    groups
}

/// `stopwords.txt`: words dropped before matching, one or more per line.
pub(crate) fn parse_stopwords(text: &str) -> Vec<String> {
    content_lines(text)
        .flat_map(|(_, l)| l.split_whitespace())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dict_lines() {
        let mut p = Vec::new();
        let d = parse_dict(
            "# domain words\n交强险 2000 n\n三者险\n坏词 abc\n太 多 的 字段\n",
            Path::new("dict.txt"),
            &mut p,
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].freq, Some(2000));
        assert_eq!(d[1].freq, None);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].line, Some(4));
        assert_eq!(p[1].line, Some(5));
    }

    #[test]
    fn synonym_groups_and_conflicts() {
        let mut p = Vec::new();
        let g = parse_synonyms(
            "理赔 赔付，索赔\n孤单\n报案 赔付\n",
            Path::new("synonyms.txt"),
            &mut p,
        );
        assert_eq!(g[0], vec!["理赔", "赔付", "索赔"]);
        assert_eq!(g[2], vec!["报案"]);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p.iter()
                .any(|x| x.line == Some(3) && x.message.contains("line 1"))
        );
    }

    #[test]
    fn stopwords() {
        assert_eq!(
            parse_stopwords("的\n# c\n了 吗\n\n"),
            vec!["的", "了", "吗"]
        );
    }
}
