//! FAQ entries exported from a spreadsheet as CSV.
//!
//! Columns are those of [`super::faq_table`] (the header alias table). The text may be
//! UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or GBK /
//! GB18030, what Chinese Excel saves "CSV" as by default: the encoding is detected.
//! Rows are numbered as a spreadsheet shows them: a quoted cell spanning several lines
//! is one row, and CRLF line ends count once.

use std::path::Path;

use encoding_rs::{Encoding, GB18030, UTF_8};

use super::entry::Entry;
use super::faq_table::{Row, parse_faq_table};
use crate::error::Problem;

/// Decodes the bytes of a CSV file: a byte-order mark decides; otherwise UTF-8 when the
/// bytes are valid UTF-8, else GB18030 (a superset of GBK and GB2312). Returns the text and
/// the encoding's name, or `None` when the bytes are neither.
pub(crate) fn decode_csv(bytes: &[u8]) -> Option<(String, &'static str)> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return (!had_errors).then(|| (text.into_owned(), encoding.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some((text.to_string(), UTF_8.name()));
    }
    GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| (text.into_owned(), GB18030.name()))
}

/// Byte offsets at which each spreadsheet row starts: after every line end outside quotes.
fn row_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut quoted = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'\r' if !quoted => {
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                starts.push(i + 1);
            }
            b'\n' if !quoted => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

/// Parses a CSV FAQ file (already decoded).
pub(crate) fn parse_faq_csv(
    text: &str,
    file: &Path,
    default_category: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Entry> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let starts = row_starts(text);
    let bytes = text.as_bytes();
    let row_of = |byte: u64| -> usize {
        // The csv crate may place a record after CRLF at the `\n`: a record never starts
        // with a line end, so skip them.
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX);
        while matches!(bytes.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        match starts.binary_search(&byte) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let number = r.position().map_or(rows.len() + 1, |p| row_of(p.byte()));
                rows.push(Row {
                    number,
                    cells: r.iter().map(str::to_string).collect(),
                });
            }
            Err(e) => {
                let row = e.position().map(|p| row_of(p.byte()));
                problems.push(Problem::error(file, format!("malformed CSV: {e}")).at_line(row));
            }
        }
    }
    parse_faq_table(rows, file, default_category, problems)
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
        assert!(
            problems.iter().any(
                |p| p.message.contains("备注") && p.severity == crate::error::Severity::Warning
            )
        );
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

    #[test]
    fn rows_are_spreadsheet_rows_with_crlf_and_multi_line_cells() {
        let text = "id,标准问,相似问,答案\r\na,问一,\"甲\r\n乙\r\n丙\",答一\r\n\r\nb,问二,,\r\n";
        let mut problems = Vec::new();
        let e = parse_faq_csv(text, Path::new("c.csv"), "", &mut problems);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].source.line, Some(2));
        assert_eq!(e[0].similar, vec!["甲", "乙", "丙"]);
        // Row 3 is empty, as a spreadsheet shows it; b is row 4.
        assert_eq!(e[1].source.line, Some(4));
    }

    #[test]
    fn gbk_utf16_and_bom_are_detected() {
        let text = "标准问,答案\n怎么退保,在App申请\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(decode_csv(&gbk), Some((text.to_string(), "gb18030")));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_csv(&bom), Some((text.to_string(), "UTF-8")));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode_csv(&utf16), Some((text.to_string(), "UTF-16LE")));
        assert_eq!(decode_csv(&[0x81, 0x20, 0xFF]), None);
    }
}
