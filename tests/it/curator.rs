//! The curator's toolkit from the command line: init, spreadsheets in and out, search,
//! browse, and reports over the query log.

use super::common::{succeed, wenda};

#[test]
fn init_starts_a_directory_that_checks_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new-kb");
    let out = succeed(wenda().arg("init").arg(&dir));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("wenda.toml") && text.contains("faq.csv"),
        "{text}"
    );
    let out = succeed(wenda().args(["check", "--strict", "--kb"]).arg(&dir));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 0 error(s), 0 warning(s)"));
    // A second init refuses (exit 2) and names the existing file.
    let out = wenda().arg("init").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exist"));
}

#[test]
fn export_then_load_gives_the_same_entries_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let kb = super::common::fixture_kb_path();
    let original = wenda::KnowledgeBase::load(&kb).unwrap();
    for format in ["xlsx", "csv", "jsonl", "toml"] {
        let out = tmp.path().join(format!("faq.{format}"));
        succeed(
            wenda()
                .args(["export", "--format", format, "--kb"])
                .arg(&kb)
                .arg("--out")
                .arg(&out),
        );
        let back = wenda::KnowledgeBase::load(&out).unwrap_or_else(|e| panic!("{format}: {e}"));
        let key = |k: &wenda::KnowledgeBase| {
            k.entries()
                .iter()
                .map(|e| {
                    (
                        e.id.clone(),
                        e.question.clone(),
                        e.similar.clone(),
                        e.answer.clone(),
                        e.category.clone(),
                        e.channels.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&original), key(&back), "{format}");
    }
    // xlsx in a folder loads too.
    let dir = tmp.path().join("kb");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(tmp.path().join("faq.xlsx"), dir.join("faq.xlsx")).unwrap();
    let out = succeed(wenda().args(["check", "--kb"]).arg(&dir));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{} entries", original.len())));
}

#[test]
fn gbk_csv_with_extra_columns_loads_with_warnings_naming_the_cells() {
    let text = "序号,编号,标准问,相似问,答案,分类,更新时间\r\n1,q1,话费余额在哪里查？,余额怎么查|查话费,发送YE到10086。,话费,2024-01-01\r\n2,q2,怎么开发票,发票去哪开,在App开具。,,2024-01-02\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("faq.csv");
    std::fs::write(&file, &gbk).unwrap();
    let out = succeed(wenda().args(["check", "--json", "--kb"]).arg(&file));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entries"], 2);
    let messages: Vec<String> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{}:{}", p["line"], p["message"].as_str().unwrap_or("")))
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("1:cell A1: column `序号` ignored")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("1:cell G1: column `更新时间` ignored")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("3:cell F3: empty 分类, filled down from F2")),
        "{messages:#?}"
    );
}

#[test]
fn search_and_browse_the_fixture_kb() {
    let kb = super::common::fixture_kb_path();
    let out = succeed(wenda().args(["search", "--json", "发票", "--kb"]).arg(&kb));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hits"][0]["entry_id"], "invoice-electronic", "{v}");
    let out = succeed(wenda().args(["search", "发票", "--kb"]).arg(&kb));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[invoice-electronic]"));

    let out = succeed(wenda().args(["browse", "--kb"]).arg(&kb));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("账单与缴费  (6)"), "{text}");
    let out = succeed(wenda().args(["browse", "账单与缴费", "--kb"]).arg(&kb));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[invoice-electronic]"));
    let out = wenda()
        .args(["browse", "没有", "--kb"])
        .arg(&kb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn feedback_and_hot_read_a_log_with_a_bad_line() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("q.jsonl");
    std::fs::write(
        &log,
        concat!(
            r#"{"event":"reply","ts_ms":1000,"reply_id":"r1","question":"话费怎么查","decision":"answer","entry_id":"bill","confidence":0.9,"top":[]}"#,
            "\n{broken\n",
            r#"{"event":"feedback","ts_ms":2000,"reply_id":"r1","helpful":false,"comment":"不对"}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = succeed(wenda().args(["feedback", "--json", "--log"]).arg(&log));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entries"][0]["entry_id"], "bill");
    assert_eq!(v["entries"][0]["not_helpful"], 1);
    assert_eq!(v["bad_lines"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped 1 line(s)"));

    let out = succeed(wenda().args(["hot", "--log"]).arg(&log));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1  bill") && text.contains("1  话费怎么查"),
        "{text}"
    );
    let out = succeed(
        wenda()
            .args(["hot", "--json", "--since", "2000-01-01", "--log"])
            .arg(&log),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["replies"], 0);

    let out = wenda()
        .args(["hot", "--log"])
        .arg(tmp.path().join("none.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("none.jsonl"));
}
