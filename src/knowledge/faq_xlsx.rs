//! FAQ entries in an Excel workbook (`.xlsx`), read with `calamine` (pure Rust).
//!
//! Every sheet whose first non-empty row names the columns of [`super::faq_table`] (the
//! header alias table: at least 标准问 and 答案) holds FAQ entries; other sheets (a
//! 说明 sheet, say) are skipped with a warning, and a workbook without any FAQ sheet is an
//! error. Problems name the workbook and sheet (`faq.xlsx:Sheet1`), the row, and the cell
//! (`C5`) as Excel shows them. Entries of a sheet without a 分类 column, or with empty
//! category cells and none above, go to the sheet's name (or the file's name for a
//! sheet named like `Sheet1`).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};

use super::entry::Entry;
use super::faq_table::{Row, column_letters, is_faq_header, parse_faq_table};
use crate::error::Problem;

/// How problems and entries name a sheet of a workbook: `faq.xlsx:Sheet1`.
pub(crate) fn sheet_path(file: &Path, sheet: &str) -> PathBuf {
    PathBuf::from(format!("{}:{sheet}", file.display()))
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn is_default_sheet_name(name: &str) -> bool {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    stem.len() < name.len() && matches!(stem.to_lowercase().as_str(), "sheet" | "工作表")
}

/// Parses the bytes of an `.xlsx` workbook.
pub(crate) fn parse_faq_xlsx(bytes: &[u8], file: &Path, problems: &mut Vec<Problem>) -> Vec<Entry> {
    let mut workbook = match Xlsx::new(Cursor::new(bytes)) {
        Ok(w) => w,
        Err(e) => {
            problems.push(Problem::error(
                file,
                format!("not a readable .xlsx workbook ({e}); save it from Excel or WPS as .xlsx"),
            ));
            return Vec::new();
        }
    };
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut entries = Vec::new();
    let mut faq_sheets = 0;
    for sheet in workbook.sheet_names() {
        let at = sheet_path(file, &sheet);
        let range = match workbook.worksheet_range(&sheet) {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::error(&at, format!("cannot read the sheet: {e}")));
                continue;
            }
        };
        let Some((first_row, first_col)) = range.start() else {
            continue; // an empty sheet
        };
        let pad = first_col as usize;
        let mut rows = Vec::new();
        for (i, cells) in range.rows().enumerate() {
            let number = first_row as usize + i + 1;
            let mut texts = vec![String::new(); pad];
            for (j, cell) in cells.iter().enumerate() {
                if let Data::Error(e) = cell {
                    problems.push(
                        Problem::warning(
                            &at,
                            format!(
                                "cell {}{number} holds the error value {e}; read as text",
                                column_letters(pad + j)
                            ),
                        )
                        .at_line(Some(number)),
                    );
                }
                texts.push(cell_text(cell));
            }
            rows.push(Row {
                number,
                cells: texts,
            });
        }
        let header = rows
            .iter()
            .find(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
        if !header.is_some_and(|h| is_faq_header(&h.cells)) {
            problems.push(Problem::warning(
                &at,
                "sheet skipped: its first row names no 标准问 and 答案 columns",
            ));
            continue;
        }
        faq_sheets += 1;
        let category = if is_default_sheet_name(&sheet) {
            stem.clone()
        } else {
            sheet.clone()
        };
        entries.extend(parse_faq_table(rows, &at, &category, problems));
    }
    if faq_sheets == 0 {
        problems.push(Problem::error(
            file,
            "no sheet with FAQ entries (a header row naming at least the columns 标准问 and 答案)",
        ));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    /// A workbook written here, never a binary fixture: a 说明 sheet, then `常见问题` whose
    /// table starts at B2, with an unknown column, a merged-looking category and an empty
    /// answer.
    fn workbook() -> Vec<u8> {
        let mut wb = Workbook::new();
        let notes = wb.add_worksheet();
        notes.set_name("说明").unwrap();
        notes.write_string(0, 0, "本表由客服部维护").unwrap();
        let sheet = wb.add_worksheet();
        sheet.set_name("常见问题").unwrap();
        let rows: &[&[&str]] = &[
            &["编号", "标准问", "相似问", "答案", "分类", "负责人"],
            &[
                "q1",
                "话费余额在哪里查",
                "余额怎么查\n查话费",
                "发送YE到10086。",
                "话费",
                "张三",
            ],
            &["q2", "怎么开发票", "发票去哪开", "在App开具。", "", "李四"],
            &["q3", "宽带坏了怎么办", "宽带断网", "", "宽带", ""],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet
                        .write_string(r as u32 + 1, c as u16 + 1, *cell)
                        .unwrap();
                }
            }
        }
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn sheets_rows_and_cells_as_excel_shows_them() {
        let mut p = Vec::new();
        let e = parse_faq_xlsx(&workbook(), Path::new("kb/faq.xlsx"), &mut p);
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].similar, vec!["余额怎么查", "查话费"]);
        assert_eq!(e[0].source.file, PathBuf::from("kb/faq.xlsx:常见问题"));
        assert_eq!(e[0].source.line, Some(3));
        assert_eq!(e[1].category, "话费", "filled down");
        let msgs: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert!(
            msgs.iter().any(|m| m == "kb/faq.xlsx:说明: warning: sheet skipped: its first row names no 标准问 and 答案 columns"),
            "{msgs:#?}"
        );
        assert!(
            msgs.iter().any(|m| m
                .starts_with("kb/faq.xlsx:常见问题:2: warning: cell G2: column `负责人` ignored")),
            "{msgs:#?}"
        );
        assert!(
            msgs.iter().any(|m| m.starts_with(
                "kb/faq.xlsx:常见问题:4: warning: cell F4: empty 分类, filled down from F3 (`话费`)"
            )),
            "{msgs:#?}"
        );
    }

    #[test]
    fn a_broken_or_empty_workbook_is_an_error_naming_the_file() {
        let mut p = Vec::new();
        assert!(parse_faq_xlsx(b"not a zip", Path::new("x.xlsx"), &mut p).is_empty());
        assert!(
            p[0].to_string()
                .starts_with("x.xlsx: error: not a readable .xlsx workbook")
        );

        let mut wb = Workbook::new();
        wb.add_worksheet();
        let bytes = wb.save_to_buffer().unwrap();
        let mut p = Vec::new();
        assert!(parse_faq_xlsx(&bytes, Path::new("y.xlsx"), &mut p).is_empty());
        assert!(
            p.iter()
                .any(|p| p.message.starts_with("no sheet with FAQ entries")),
            "{p:?}"
        );
    }

    #[test]
    fn default_sheet_names_give_the_file_name_as_category() {
        assert!(is_default_sheet_name("Sheet1"));
        assert!(is_default_sheet_name("工作表2"));
        assert!(!is_default_sheet_name("话费"));
        assert!(!is_default_sheet_name("Sheet"));
    }
}
