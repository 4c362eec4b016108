//! Writing a knowledge base's FAQ entries out as a spreadsheet, CSV, JSON Lines or TOML
//! (`wenda export`). Every format loads back into the same entries (id, questions, answer,
//! category, channel answers); only where each entry came from changes.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::entry::{Channel, Entry};
use crate::error::{Error, Result};

/// A format [`export`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// An Excel workbook, one sheet `FAQ` with the columns of a CSV export.
    Xlsx,
    /// CSV in UTF-8 with a byte-order mark (so that Excel shows the Chinese text), header
    /// `id,标准问,相似问,答案,分类,web,微信,app,短信,语音`; similar questions one per line
    /// in their cell.
    Csv,
    /// JSON Lines, one entry per line.
    Jsonl,
    /// One TOML file of `[[faq]]` tables, each with its category.
    Toml,
}

impl ExportFormat {
    /// The usual file extension (`xlsx`, `csv`, `jsonl`, `toml`).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Toml => "toml",
        }
    }
}

impl FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "xlsx" => ExportFormat::Xlsx,
            "csv" => ExportFormat::Csv,
            "jsonl" => ExportFormat::Jsonl,
            "toml" => ExportFormat::Toml,
            other => return Err(format!("unknown format `{other}` (xlsx, csv, jsonl, toml)")),
        })
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Spreadsheet headers of the channel columns, in [`Channel::ALL`] order.
const CHANNEL_HEADERS: [&str; 5] = ["web", "微信", "app", "短信", "语音"];

fn table(entries: &[Entry]) -> Vec<Vec<String>> {
    let mut rows = vec![
        ["id", "标准问", "相似问", "答案", "分类"]
            .iter()
            .chain(CHANNEL_HEADERS.iter())
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    ];
    for e in entries {
        let mut row = vec![
            e.id.clone(),
            e.question.clone(),
            e.similar.join("\n"),
            e.answer.clone(),
            e.category.clone(),
        ];
        for c in Channel::ALL {
            row.push(e.channels.get(&c).cloned().unwrap_or_default());
        }
        rows.push(row);
    }
    rows
}

#[derive(Serialize)]
struct Exported<'a> {
    id: &'a str,
    question: &'a str,
    similar: &'a [String],
    answer: &'a str,
    category: &'a str,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    channels: std::collections::BTreeMap<&'static str, &'a str>,
}

fn exported(e: &Entry) -> Exported<'_> {
    Exported {
        id: &e.id,
        question: &e.question,
        similar: &e.similar,
        answer: &e.answer,
        category: &e.category,
        channels: e
            .channels
            .iter()
            .map(|(c, t)| (c.as_str(), t.as_str()))
            .collect(),
    }
}

fn other(e: impl fmt::Display) -> Error {
    Error::io("<export>", std::io::Error::other(e.to_string()))
}

/// The bytes of `entries` in `format`.
pub fn export(entries: &[Entry], format: ExportFormat) -> Result<Vec<u8>> {
    match format {
        ExportFormat::Csv => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                for row in table(entries) {
                    w.write_record(&row).map_err(other)?;
                }
                w.flush().map_err(|e| Error::io("<export>", e))?;
            }
            Ok(out)
        }
        ExportFormat::Xlsx => {
            use rust_xlsxwriter::{Format, Workbook};
            let mut wb = Workbook::new();
            let sheet = wb.add_worksheet();
            sheet.set_name("FAQ").map_err(other)?;
            let bold = Format::new().set_bold();
            let wrap = Format::new().set_text_wrap();
            for (c, width) in [12.0, 30.0, 36.0, 60.0, 16.0].into_iter().enumerate() {
                sheet.set_column_width(c as u16, width).map_err(other)?;
            }
            for (r, row) in table(entries).iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    if cell.is_empty() {
                        continue;
                    }
                    let format = if r == 0 { &bold } else { &wrap };
                    sheet
                        .write_string_with_format(r as u32, c as u16, cell, format)
                        .map_err(other)?;
                }
            }
            sheet.set_freeze_panes(1, 0).map_err(other)?;
            wb.save_to_buffer().map_err(other)
        }
        ExportFormat::Jsonl => {
            let mut out = Vec::new();
            for e in entries {
                serde_json::to_writer(&mut out, &exported(e)).map_err(other)?;
                out.push(b'\n');
            }
            Ok(out)
        }
        ExportFormat::Toml => {
            #[derive(Serialize)]
            struct File<'a> {
                faq: Vec<Exported<'a>>,
            }
            let file = File {
                faq: entries.iter().map(exported).collect(),
            };
            let body = toml::to_string(&file).map_err(other)?;
            Ok(format!("# FAQ entries exported by wenda export\n\n{body}").into_bytes())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::KnowledgeBase;

    fn same(a: &[Entry], b: &[Entry]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(
                (
                    &x.id,
                    &x.question,
                    &x.similar,
                    &x.answer,
                    &x.category,
                    &x.channels
                ),
                (
                    &y.id,
                    &y.question,
                    &y.similar,
                    &y.answer,
                    &y.category,
                    &y.channels
                ),
            );
        }
    }

    #[test]
    fn every_format_round_trips_the_fixture_kb() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini-kb");
        let kb = KnowledgeBase::load(&dir).unwrap();
        assert!(kb.entries().iter().any(|e| !e.channels.is_empty()));
        let tmp = tempfile::tempdir().unwrap();
        for format in [
            ExportFormat::Xlsx,
            ExportFormat::Csv,
            ExportFormat::Jsonl,
            ExportFormat::Toml,
        ] {
            let bytes = export(kb.entries(), format).unwrap();
            let path = tmp.path().join(format!("faq.{format}"));
            std::fs::write(&path, bytes).unwrap();
            let back = KnowledgeBase::load(&path).unwrap_or_else(|e| panic!("{format}: {e}"));
            same(kb.entries(), back.entries());
            let problems: Vec<String> = back.warnings().iter().map(|p| p.to_string()).collect();
            let before: Vec<String> = kb.warnings().iter().map(|p| p.message.clone()).collect();
            for p in &problems {
                assert!(
                    before.iter().any(|b| p.ends_with(b.as_str())),
                    "{format}: a new warning: {p}"
                );
            }
        }
    }
}
