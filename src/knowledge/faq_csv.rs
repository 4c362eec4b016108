//! FAQ entries exported from a spreadsheet as CSV.
//!
//! The first row names the columns; Chinese or English headers are accepted:
//!
//! | column | headers |
//! |---|---|
//! | id (recommended) | `id`, `编号`, `ID` |
//! | standard question (required) | `标准问`, `question` |
//! | similar questions | `相似问`, `similar` — several in one cell, one per line or separated by `|` or `；` |
//! | answer (required) | `答案`, `answer` |
//! | category | `分类`, `category` |
//! | channel answers | `web`, `wechat`/`微信`, `app`, `sms`/`短信`, `voice`/`语音` |
//!
//! Without an id column, ids are made from row numbers (`row-12`); they change when rows
//! move, so a warning says so.

use std::collections::BTreeMap;
use std::path::Path;

use super::entry::{Entry, Source};
use super::raw::RawEntry;
use crate::error::Problem;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Id,
    Question,
    Similar,
    Answer,
    Category,
    Channel(&'static str),
}

fn column_of(header: &str) -> Option<Column> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    Some(match h.as_str() {
        "id" | "编号" => Column::Id,
        "标准问" | "标准问题" | "question" => Column::Question,
        "相似问" | "相似问题" | "similar" => Column::Similar,
        "答案" | "回答" | "answer" => Column::Answer,
        "分类" | "类别" | "category" => Column::Category,
        "web" | "网页" => Column::Channel("web"),
        "wechat" | "微信" => Column::Channel("wechat"),
        "app" => Column::Channel("app"),
        "sms" | "短信" => Column::Channel("sms"),
        "voice" | "语音" => Column::Channel("voice"),
        _ => return None,
    })
}

/// Parses a CSV FAQ file.
pub(crate) fn parse_faq_csv(
    text: &str,
    file: &Path,
    default_category: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Entry> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            problems
                .push(Problem::error(file, format!("malformed CSV header: {e}")).at_line(Some(1)));
            return Vec::new();
        }
    };
    let mut columns = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        match column_of(h) {
            Some(c) => columns.push((i, c)),
            None => problems.push(
                Problem::error(
                    file,
                    format!(
                        "unknown column `{h}` (expected 标准问, 相似问, 答案, 分类, id, or a channel: web, 微信, app, 短信, 语音)"
                    ),
                )
                .at_line(Some(1)),
            ),
        }
    }
    let has = |c: Column| columns.iter().any(|&(_, x)| x == c);
    for (c, name) in [(Column::Question, "标准问"), (Column::Answer, "答案")] {
        if !has(c) {
            problems
                .push(Problem::error(file, format!("missing column `{name}`")).at_line(Some(1)));
        }
    }
    if !has(Column::Question) || !has(Column::Answer) {
        return Vec::new();
    }
    if !has(Column::Id) {
        problems.push(Problem::warning(
            file,
            "no `id` column: ids are made from row numbers and change when rows move; add an id column",
        ));
    }
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                problems.push(Problem::error(file, format!("malformed CSV: {e}")).at_line(line));
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let mut raw = RawEntry::default();
        let mut channels = BTreeMap::new();
        for &(i, c) in &columns {
            let cell = record.get(i).unwrap_or("").trim().to_string();
            match c {
                Column::Id => raw.id = Some(cell),
                Column::Question => raw.question = Some(cell),
                Column::Similar => raw.similar = Some(split_similar(&cell)),
                Column::Answer => raw.answer = Some(cell),
                Column::Category if !cell.is_empty() => raw.category = Some(cell),
                Column::Category => {}
                Column::Channel(name) if !cell.is_empty() => {
                    channels.insert(name.to_string(), cell);
                }
                Column::Channel(_) => {}
            }
        }
        if raw.id.as_deref().is_none_or(str::is_empty) && !has(Column::Id) {
            raw.id = Some(format!("row-{}", line.unwrap_or(entries.len() + 2)));
        }
        raw.channels = Some(channels);
        let source = Source {
            file: file.to_path_buf(),
            line,
        };
        entries.push(raw.into_entry(source, default_category, problems));
    }
    entries
}

fn split_similar(cell: &str) -> Vec<String> {
    cell.split(['\n', '|', '｜', '；', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_headers_and_multi_similar_cells() {
        let text = "编号,标准问,相似问,答案,分类,短信\nq1,怎么退保,\"退保流程\n咋退保|退保怎么弄\",请在App申请退保。,退保,App申请退保\n";
        let mut problems = Vec::new();
        let e = parse_faq_csv(text, Path::new("faq.csv"), "", &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].id, "q1");
        assert_eq!(e[0].similar, vec!["退保流程", "咋退保", "退保怎么弄"]);
        assert_eq!(e[0].category, "退保");
        assert_eq!(e[0].source.line, Some(2));
        assert_eq!(
            e[0].answer_for(Some(crate::knowledge::Channel::Sms)),
            "App申请退保"
        );
    }

    #[test]
    fn missing_columns_and_generated_ids() {
        let mut problems = Vec::new();
        let e = parse_faq_csv(
            "标准问,备注\n怎么退保,x\n",
            Path::new("a.csv"),
            "",
            &mut problems,
        );
        assert!(e.is_empty());
        assert!(problems.iter().any(|p| p.message.contains("备注")));
        assert!(problems.iter().any(|p| p.message.contains("答案")));

        let mut problems = Vec::new();
        let e = parse_faq_csv(
            "question,answer\nq,a\n",
            Path::new("b.csv"),
            "",
            &mut problems,
        );
        assert_eq!(e[0].id, "row-2");
        assert_eq!(problems.len(), 1, "one warning about generated ids");
    }
}
