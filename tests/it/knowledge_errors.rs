//! Bad knowledge bases: every problem reported at once, located by file, line and entry.

use wenda::{Error, KnowledgeBase, Severity};

use super::common::{GOOD_TOML, kb_dir};

fn problems_of(dir: &std::path::Path) -> Vec<wenda::Problem> {
    match KnowledgeBase::load(dir) {
        Err(Error::Knowledge(p)) => p.all().to_vec(),
        Err(other) => panic!("expected knowledge problems, got {other}"),
        Ok(_) => panic!("expected the knowledge base to be rejected"),
    }
}

#[test]
fn a_broken_file_names_the_file_line_and_entry() {
    let broken = r#"category = "坏的"

[[faq]]
id = "ok-entry"
question = "保单怎么查"
similar = ["查保单"]
answer = "在App查。"

[[faq]]
id = "no-answer"
question = "发票怎么开"
similar = ["开发票"]
answer = "   "
"#;
    let dir = kb_dir(&[("good.toml", GOOD_TOML), ("broken.toml", broken)]);
    let problems = problems_of(dir.path());
    let p = problems
        .iter()
        .find(|p| p.severity == Severity::Error)
        .expect("an error");
    assert!(p.file.ends_with("broken.toml"), "{p}");
    assert_eq!(p.line, Some(9));
    assert_eq!(p.entry.as_deref(), Some("no-answer"));
    let shown = p.to_string();
    assert!(
        shown.contains("broken.toml:9") && shown.contains("no-answer") && shown.contains("answer"),
        "{shown}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let a = r#"category = "A"

[[faq]]
id = "dup"
question = "怎么退保"
similar = ["退保流程"]
answer = "答"

[[faq]]
id = "typo-key"
question = "怎么报案"
anwser = "答"
"#;
    let b = r#"[[faq]]
id = "dup"
question = ""
answer = "答"
[faq.channels]
fax = "传真"
"#;
    let c = "[[faq]\nid = \"x\"\n";
    let dir = kb_dir(&[
        ("a.toml", a),
        ("b.toml", b),
        ("sub/c.toml", c),
        ("dict.txt", "交强险 abc\n"),
        ("synonyms.txt", "理赔 赔付\n报案 赔付\n"),
        ("wenda.toml", "[thresholds]\nanswer = 0.2\nclarify = 0.5\n"),
        (
            "triggers.toml",
            "[asked_for_human]\nphrase = [\"转人工\"]\n",
        ),
    ]);
    let problems = problems_of(dir.path());
    let has = |file: &str, needle: &str| {
        problems
            .iter()
            .any(|p| p.file.ends_with(file) && p.to_string().contains(needle))
    };
    let listing: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    for (file, needle) in [
        ("b.toml", "duplicate id"),
        ("b.toml", "question is missing or empty"),
        ("b.toml", "fax"),
        ("a.toml", "anwser"),
        ("a.toml", "answer is missing or empty"),
        ("c.toml", "malformed TOML"),
        ("dict.txt", "abc"),
        ("synonyms.txt", "赔付"),
        ("wenda.toml", "clarify"),
        ("triggers.toml", "phrase"),
    ] {
        assert!(
            has(file, needle),
            "no problem in {file} mentioning {needle:?}:\n{}",
            listing.join("\n")
        );
    }
    let dup = problems
        .iter()
        .find(|p| p.message.contains("duplicate id"))
        .unwrap();
    assert_eq!(dup.entry.as_deref(), Some("dup"));
    assert!(dup.message.contains("a.toml:3"), "{dup}");
}

#[test]
fn invalid_options_in_wenda_toml_name_their_line() {
    let lines_of = |toml: &str| -> Vec<String> {
        let dir = kb_dir(&[("a.toml", GOOD_TOML), ("wenda.toml", toml)]);
        problems_of(dir.path())
            .iter()
            .map(|p| p.to_string())
            .collect()
    };
    let listing = lines_of(
        "# options\n[thresholds]\nanswer = 2.0\n\n[clarify]\nmax_suggestions = 0\n[retrieval]\nhnsw_ef = 0\nvector_weight = -1.0\n",
    );
    for (line, needle) in [
        (3, "[thresholds] answer = 2 is not a probability"),
        (6, "[clarify] max_suggestions = 0"),
        (8, "[retrieval] hnsw_ef = 0"),
        (9, "[retrieval] vector_weight = -1 must be from 0 to 10"),
    ] {
        assert!(
            listing
                .iter()
                .any(|p| p.contains(&format!("wenda.toml:{line}: error: {needle}"))),
            "no wenda.toml:{line} problem {needle:?}:\n{}",
            listing.join("\n")
        );
    }

    // Clarify above answer (left at its default): the line of clarify. A tier whose
    // answer falls below the clarify it inherits: the line of that answer.
    let listing = lines_of("[thresholds]\n\nclarify = 0.99\n\n[tiers.vip]\nmax_misses = 2\n");
    assert!(
        listing.iter().any(|p| p
            .contains("wenda.toml:3: error: [thresholds] clarify (0.99) must not be above answer")),
        "{listing:?}"
    );
    let listing = lines_of("[tiers.vip]\nmax_misses = 2\nanswer = 0.1\n");
    assert!(
        listing.iter().any(|p| p.contains(
            "wenda.toml:3: error: [tiers.vip] clarify (0.25) must not be above answer (0.1)"
        )),
        "{listing:?}"
    );
}

#[test]
fn jsonl_and_csv_files_load() {
    let jsonl = concat!(
        "{\"id\": \"g1\", \"question\": \"怎么还款\", \"similar\": [\"如何还钱\", \"还款方式\"], \"answer\": \"答案 g1\"}\n",
        "{\"id\": \"d1\", \"question\": \"利息多少\", \"similar\": [], \"answer\": \"答案 d1\"}\n",
    );
    let dir = kb_dir(&[("kb.jsonl", jsonl)]);
    let kb = KnowledgeBase::load(dir.path().join("kb.jsonl")).unwrap();
    assert_eq!(kb.len(), 2);
    assert_eq!(kb.variant_count(), 4);
    assert_eq!(
        kb.warnings().len(),
        1,
        "one entry without similar questions: {:?}",
        kb.warnings()
    );

    let csv = "id,标准问,相似问,答案,分类\nq1,怎么退保,\"退保流程|咋退保\",在App申请。,退保\n";
    let dir = kb_dir(&[("faq.csv", csv), ("stopwords.txt", "的\n")]);
    let kb = KnowledgeBase::load(dir.path()).unwrap();
    assert_eq!(kb.entry("q1").unwrap().similar, vec!["退保流程", "咋退保"]);
    assert_eq!(kb.lexicon().stopwords, vec!["的"]);
}

#[test]
fn bad_jsonl_lines_are_located() {
    let jsonl = "{\"id\": \"g1\", \"question\": \"q\", \"answer\": \"a\"}\n{oops\n{\"id\": \"g1\", \"question\": \"q2\", \"answer\": \"a\"}\n";
    let dir = kb_dir(&[("kb.jsonl", jsonl)]);
    let problems = problems_of(&dir.path().join("kb.jsonl"));
    assert!(
        problems
            .iter()
            .any(|p| p.line == Some(2) && p.message.contains("malformed JSON"))
    );
    assert!(
        problems
            .iter()
            .any(|p| p.line == Some(3) && p.message.contains("duplicate id"))
    );
}

#[test]
fn missing_and_unsupported_paths() {
    match KnowledgeBase::load("/nonexistent/wenda-kb") {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("wenda-kb")),
        other => panic!("{other:?}"),
    }
    let dir = kb_dir(&[("notes.md", "# nothing here")]);
    let problems = problems_of(dir.path());
    assert!(
        problems[0].message.contains("no FAQ files"),
        "{:?}",
        problems
    );
    let problems = problems_of(&dir.path().join("notes.md"));
    assert!(problems[0].message.contains("unsupported file type"));
}

#[test]
fn non_utf8_file_is_a_problem_not_a_panic() {
    let dir = kb_dir(&[("a.toml", GOOD_TOML)]);
    std::fs::write(dir.path().join("b.toml"), b"category = \"x\"\n\xff\xfe bad").unwrap();
    let problems = problems_of(dir.path());
    assert!(
        problems.iter().any(|p| p.file.ends_with("b.toml")
            && p.message.contains("UTF-8")
            && p.line == Some(2))
    );
}

#[test]
fn conflicting_questions_are_warnings() {
    let extra = r#"[[faq]]
id = "refund-2"
question = "退保流程是什么？"
similar = ["退保的步骤"]
answer = "另一个答案"
"#;
    let dir = kb_dir(&[("a.toml", GOOD_TOML), ("b.toml", extra)]);
    let kb = KnowledgeBase::load(dir.path()).expect("conflicts do not block loading");
    let w = kb
        .warnings()
        .iter()
        .find(|p| p.message.contains("退保流程是什么"))
        .expect("the conflict is reported");
    assert_eq!(w.entry.as_deref(), Some("refund-2"));
    assert!(w.message.contains("refund"), "{w}");
}

#[test]
fn invalid_config_in_code_is_rejected() {
    let dir = kb_dir(&[("a.toml", GOOD_TOML)]);
    let kb = KnowledgeBase::load(dir.path()).unwrap();
    let mut config = wenda::Config::default();
    config.thresholds.clarify = 2.0;
    assert!(matches!(
        kb.clone().with_config(config.clone()),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        wenda::Bot::builder(kb).config(config).build(),
        Err(Error::Config(_))
    ));
}

#[test]
fn an_empty_knowledge_base_is_rejected() {
    match KnowledgeBase::from_entries(Vec::new()) {
        Err(Error::Knowledge(p)) => assert!(p.to_string().contains("no FAQ entries")),
        other => panic!("{other:?}"),
    }
    let dir = kb_dir(&[("empty.toml", "category = \"空\"\n")]);
    let problems = problems_of(dir.path());
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("no FAQ entries")),
        "{problems:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_in_the_knowledge_base_is_a_named_problem_not_a_hang() {
    let dir = kb_dir(&[("a.toml", GOOD_TOML)]);
    let fifo = dir.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.csv")).expect("symlink");
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("dict.txt")).expect("symlink");
    let problems = problems_of(dir.path());
    let named = |file: &str, what: &str| {
        problems
            .iter()
            .any(|p| p.file.ends_with(file) && p.message.contains(what))
    };
    assert!(named("pipe.toml", "FIFO"), "{problems:?}");
    assert!(named("zero.csv", "a device"), "{problems:?}");
    assert!(named("dict.txt", "a device"), "{problems:?}");

    // The CLI says so too, and exits.
    let out = super::common::wenda()
        .args(["check", "--kb"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success() && text.contains("FIFO"), "{text}");
}
