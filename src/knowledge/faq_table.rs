//! FAQ entries from a table of cells (a CSV file or a spreadsheet sheet): header aliases,
//! unknown columns, category fill-down, row and column numbers as a spreadsheet shows them.
//!
//! The first non-empty row names the columns. Headers are compared after trimming and case
//! folding; these are accepted (the **header alias table**):
//!
//! | column | headers |
//! |---|---|
//! | id (recommended) | `id`, `编号`, `问题编号`, `faq_id` |
//! | standard question (required) | `标准问`, `标准问题`, `问题`, `主问题`, `question` |
//! | similar questions | `相似问`, `相似问题`, `相似问法`, `扩展问`, `扩展问题`, `similar`, and numbered columns `相似问1`, `相似问2`, … — several in one cell, one per line or separated by `|`, `｜`, `；` or `;` |
//! | answer (required) | `答案`, `回答`, `标准答案`, `回复`, `answer` |
//! | category | `分类`, `类别`, `类目`, `目录`, `业务分类`, `category` |
//! | channel answers | `web`/`网页`, `wechat`/`微信`, `app`, `sms`/`短信`, `voice`/`语音` |
//!
//! Any other column (`序号`, `更新时间`, `负责人`, …) is ignored with a warning naming it.
//! An empty category cell takes the category of the row above (what merged cells export
//! as), with a warning; without any category above, the entry goes to the file's name.
//! Without an id column, ids are made from row numbers (`row-12`); they change when rows
//! move, so a warning says so.

use std::collections::BTreeMap;
use std::path::Path;

use super::entry::{Entry, Source};
use super::raw::RawEntry;
use crate::error::Problem;

/// One row of a table: its number as a spreadsheet shows it (1-based) and its cells.
pub(crate) struct Row {
    /// 1-based row number.
    pub number: usize,
    /// Cell texts, from column A on.
    pub cells: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Id,
    Question,
    Similar,
    Answer,
    Category,
    Channel(&'static str),
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::Question => "标准问",
            Column::Similar => "相似问",
            Column::Answer => "答案",
            Column::Category => "分类",
            Column::Channel(c) => c,
        }
    }
}

fn column_of(header: &str) -> Option<Column> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    Some(match h.as_str() {
        "id" | "编号" | "问题编号" | "faq_id" => Column::Id,
        "标准问" | "标准问题" | "问题" | "主问题" | "question" => Column::Question,
        "相似问" | "相似问题" | "相似问法" | "扩展问" | "扩展问题" | "similar" => {
            Column::Similar
        }
        "答案" | "回答" | "标准答案" | "回复" | "answer" => Column::Answer,
        "分类" | "类别" | "类目" | "目录" | "业务分类" | "category" => Column::Category,
        "web" | "网页" => Column::Channel("web"),
        "wechat" | "微信" => Column::Channel("wechat"),
        "app" => Column::Channel("app"),
        "sms" | "短信" => Column::Channel("sms"),
        "voice" | "语音" => Column::Channel("voice"),
        other => {
            // Numbered similar-question columns: 相似问1, 相似问2, similar_3 …
            let stem = other.trim_end_matches(|c: char| c.is_ascii_digit());
            let stem = stem.trim_end_matches(['_', '-', ' ']);
            if stem.len() < other.len()
                && matches!(stem, "相似问" | "相似问题" | "扩展问" | "similar")
            {
                Column::Similar
            } else {
                return None;
            }
        }
    })
}

/// Whether a header row names at least the required columns (standard question, answer).
pub(crate) fn is_faq_header(cells: &[String]) -> bool {
    let cols: Vec<Column> = cells.iter().filter_map(|h| column_of(h)).collect();
    cols.contains(&Column::Question) && cols.contains(&Column::Answer)
}

/// The spreadsheet letters of a 0-based column index: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub(crate) fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

/// Builds entries from `rows`. `file` is what problems and entries name (for a sheet,
/// `faq.xlsx:Sheet1`); `default_category` is the category of rows without one.
pub(crate) fn parse_faq_table(
    rows: Vec<Row>,
    file: &Path,
    default_category: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Entry> {
    let mut rows = rows
        .into_iter()
        .filter(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
    let Some(header) = rows.next() else {
        problems.push(Problem::error(
            file,
            "no header row (expected columns 标准问, 相似问, 答案, 分类, id)",
        ));
        return Vec::new();
    };
    let header_row = header.number;
    let mut columns: Vec<(usize, Column)> = Vec::new();
    for (i, h) in header.cells.iter().enumerate() {
        let cell = format!("{}{header_row}", column_letters(i));
        if h.trim().is_empty() {
            continue;
        }
        match column_of(h) {
            Some(c) if c != Column::Similar && columns.iter().any(|&(_, x)| x == c) => {
                problems.push(
                    Problem::warning(
                        file,
                        format!(
                            "cell {cell}: column `{}` is a second `{}` column; ignored",
                            h.trim(),
                            c.name()
                        ),
                    )
                    .at_line(Some(header_row)),
                );
            }
            Some(c) => columns.push((i, c)),
            None => problems.push(
                Problem::warning(
                    file,
                    format!(
                        "cell {cell}: column `{}` ignored (not one of 标准问, 相似问, 答案, 分类, id, or a channel: web, 微信, app, 短信, 语音; see the header alias table)",
                        h.trim()
                    ),
                )
                .at_line(Some(header_row)),
            ),
        }
    }
    let has = |c: Column| columns.iter().any(|&(_, x)| x == c);
    for (c, name) in [(Column::Question, "标准问"), (Column::Answer, "答案")] {
        if !has(c) {
            problems.push(
                Problem::error(
                    file,
                    format!("missing column `{name}` in header row {header_row}"),
                )
                .at_line(Some(header_row)),
            );
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
    let category_col = columns
        .iter()
        .find(|&&(_, c)| c == Column::Category)
        .map(|&(i, _)| i);
    let mut last_category: Option<(String, usize)> = None;
    // Runs of filled-down cells, reported once per run: (from row, to row, category, source row).
    let mut filled: Vec<(usize, usize, String, usize)> = Vec::new();
    let mut entries = Vec::new();
    for row in rows {
        let mut raw = RawEntry::default();
        let mut similar = Vec::new();
        let mut channels = BTreeMap::new();
        for &(i, c) in &columns {
            let cell = row.cells.get(i).map_or("", |s| s.trim()).to_string();
            match c {
                Column::Id => raw.id = Some(cell),
                Column::Question => raw.question = Some(cell),
                Column::Similar => similar.extend(split_similar(&cell)),
                Column::Answer => raw.answer = Some(cell),
                Column::Category if !cell.is_empty() => {
                    last_category = Some((cell.clone(), row.number));
                    raw.category = Some(cell);
                }
                Column::Category => {}
                Column::Channel(name) if !cell.is_empty() => {
                    channels.insert(name.to_string(), cell);
                }
                Column::Channel(_) => {}
            }
        }
        if let (Some(col), None) = (category_col, &raw.category) {
            match &last_category {
                Some((category, from)) => {
                    raw.category = Some(category.clone());
                    match filled.last_mut() {
                        Some(run) if run.2 == *category && run.1 + 1 == row.number => {
                            run.1 = row.number;
                        }
                        _ => filled.push((row.number, row.number, category.clone(), *from)),
                    }
                }
                None => problems.push(
                    Problem::warning(
                        file,
                        format!(
                            "cell {}{}: empty 分类 and none above: the entry goes to category `{default_category}`",
                            column_letters(col),
                            row.number
                        ),
                    )
                    .at_line(Some(row.number)),
                ),
            }
        }
        if raw.id.as_deref().is_none_or(str::is_empty) && !has(Column::Id) {
            raw.id = Some(format!("row-{}", row.number));
        }
        raw.similar = Some(similar);
        raw.channels = Some(channels);
        let source = Source {
            file: file.to_path_buf(),
            line: Some(row.number),
        };
        entries.push(raw.into_entry(source, default_category, problems));
    }
    if let Some(col) = category_col {
        let letters = column_letters(col);
        for (from, to, category, source) in filled {
            let cells = if from == to {
                format!("cell {letters}{from}")
            } else {
                format!("cells {letters}{from}:{letters}{to}")
            };
            problems.push(
                Problem::warning(
                    file,
                    format!(
                        "{cells}: empty 分类, filled down from {letters}{source} (`{category}`), as merged cells are; write the category in every row to silence this"
                    ),
                )
                .at_line(Some(from)),
            );
        }
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

    fn rows(table: &[&[&str]]) -> Vec<Row> {
        table
            .iter()
            .enumerate()
            .map(|(i, cells)| Row {
                number: i + 1,
                cells: cells.iter().map(|s| s.to_string()).collect(),
            })
            .collect()
    }

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(2), "C");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn unknown_columns_are_warnings_and_numbered_similar_columns_add_up() {
        let mut p = Vec::new();
        let e = parse_faq_table(
            rows(&[
                &[
                    "序号",
                    "编号",
                    "问题",
                    "相似问1",
                    "相似问2",
                    "标准答案",
                    "负责人",
                ],
                &[
                    "1",
                    "q1",
                    "怎么退保",
                    "退保流程",
                    "咋退保",
                    "在App申请。",
                    "张三",
                ],
            ]),
            Path::new("faq.csv"),
            "faq",
            &mut p,
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].similar, vec!["退保流程", "咋退保"]);
        assert_eq!(e[0].answer, "在App申请。");
        let msgs: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert_eq!(p.len(), 2, "{msgs:?}");
        assert!(msgs[0].starts_with("faq.csv:1: warning: cell A1: column `序号` ignored"));
        assert!(msgs[1].contains("cell G1: column `负责人` ignored"));
    }

    #[test]
    fn empty_categories_fill_down_with_one_warning_per_run() {
        let mut p = Vec::new();
        let e = parse_faq_table(
            rows(&[
                &["id", "标准问", "答案", "分类"],
                &["a", "问一", "答一", ""],
                &["b", "问二", "答二", "退保"],
                &["c", "问三", "答三", ""],
                &["d", "问四", "答四", ""],
                &["e", "问五", "答五", "理赔"],
            ]),
            Path::new("faq.csv"),
            "faq",
            &mut p,
        );
        let cats: Vec<&str> = e.iter().map(|e| e.category.as_str()).collect();
        assert_eq!(cats, vec!["faq", "退保", "退保", "退保", "理赔"]);
        let msgs: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].contains("cell D2: empty 分类 and none above"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].starts_with(
                "faq.csv:4: warning: cells D4:D5: empty 分类, filled down from D3 (`退保`)"
            ),
            "{msgs:?}"
        );
    }
}
