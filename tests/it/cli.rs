//! The `wenda` binary, run as a curator would.

use std::io::Write;
use std::process::Stdio;

use super::common::{GOOD_TOML, fixture_kb_path, kb_dir, sample_kb_path, succeed, wenda};

#[test]
fn ask_json_on_the_fixture_kb() {
    // `--index` to a temporary directory: `ask` saves its index there, not in the repository.
    let index = tempfile::tempdir().unwrap();
    let out = succeed(
        wenda()
            .args(["ask", "--json", "--kb"])
            .arg(fixture_kb_path())
            .arg("--index")
            .arg(index.path())
            .arg("电话费的发票去哪里开"),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["decision"]["type"], "answer");
    assert_eq!(v["decision"]["entry_id"], "invoice-electronic");
    assert!(v["confidence"].as_f64().unwrap() > 0.5);
}

#[test]
fn check_ok_and_check_broken() {
    let out = succeed(wenda().args(["check", "--kb"]).arg(sample_kb_path()));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: 0 error(s)"));

    let broken = "[[faq]]\nid = \"x\"\nquestion = \"q\"\nanswer = \"\"\n";
    let dir = kb_dir(&[("a.toml", GOOD_TOML), ("broken.toml", broken)]);
    let out = wenda()
        .args(["check", "--kb"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.toml:1") && err.contains("\"x\""),
        "{err}"
    );

    let out = wenda()
        .args(["check", "--json", "--kb"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let problems = v["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["entry"] == "x" && p["severity"] == "error" && p["line"] == 1),
        "{problems:?}"
    );

    // ask on a broken KB: clear message, non-zero exit
    let out = wenda()
        .args(["ask", "--kb"])
        .arg(dir.path())
        .arg("q")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.toml"));
}

#[test]
fn missing_kb_is_a_clear_error() {
    let out = wenda()
        .args(["ask", "--kb", "/nonexistent/kb", "q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/kb") && err.contains("--kb"),
        "{err}"
    );
}

#[test]
fn chat_answers_each_piped_line() {
    let dir = kb_dir(&[("a.toml", GOOD_TOML)]);
    let mut child = wenda()
        .args(["chat", "--json", "--kb"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("怎么退保\n转人工\n\n車撞了怎麼報案\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replies: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(replies.len(), 4);
    assert_eq!(replies[0]["candidates"][0]["entry_id"], "refund");
    assert_eq!(replies[1]["decision"]["reason"], "asked_for_human");
    assert_eq!(replies[2]["decision"]["reason"], "empty_query");
    assert_eq!(replies[3]["candidates"][0]["entry_id"], "report");
    assert!(out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn bad_channel_is_a_usage_error() {
    let out = wenda()
        .args(["ask", "--channel", "fax", "q"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fax"));
}

#[test]
fn build_saves_an_index_that_ask_reuses_until_the_kb_changes() {
    let kb = kb_dir(&[("faq.toml", GOOD_TOML)]);
    let index = tempfile::tempdir().unwrap();
    let out = succeed(
        wenda()
            .args(["build", "--kb"])
            .arg(kb.path())
            .arg("--out")
            .arg(index.path()),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 entries"));
    let ask = || {
        wenda()
            .args(["ask", "--kb"])
            .arg(kb.path())
            .arg("--index")
            .arg(index.path())
            .arg("车撞了怎么报案")
            .output()
            .unwrap()
    };
    let reused = ask();
    assert!(reused.status.success());
    assert!(String::from_utf8_lossy(&reused.stdout).contains("report"));
    assert!(
        reused.stderr.is_empty(),
        "a matching index is reused silently: {}",
        String::from_utf8_lossy(&reused.stderr)
    );
    std::fs::write(
        kb.path().join("faq.toml"),
        GOOD_TOML.replace("请拨打客服热线报案。", "请在App里报案。"),
    )
    .unwrap();
    let rebuilt = ask();
    assert!(rebuilt.status.success());
    let said = String::from_utf8_lossy(&rebuilt.stderr);
    assert!(said.contains("changed") && said.contains("built"), "{said}");
    assert!(String::from_utf8_lossy(&rebuilt.stdout).contains("App"));
}

#[test]
fn bench_reports_latency_and_build_as_json() {
    let kb = kb_dir(&[("faq.toml", GOOD_TOML)]);
    let out = succeed(
        wenda()
            .args(["bench", "--json", "--asks", "30", "--threads", "2", "--kb"])
            .arg(kb.path()),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(v["entries"], 2);
    assert_eq!(
        v["asks"], 1000,
        "the 1,000 generated questions are all asked"
    );
    let p50 = v["latency_us"]["p50"].as_f64().unwrap();
    assert!(p50 > 0.0 && p50 <= v["latency_us"]["p99"].as_f64().unwrap());
    assert!(v["qps_1_thread"].as_f64().unwrap() > 0.0);
    assert!(v["build"]["build_s"].as_f64().unwrap() > 0.0);
    assert!(!v["build"]["stages"].as_array().unwrap().is_empty());
    assert!(v["open_s"].as_f64().unwrap() > 0.0);
    assert!(v["index_bytes"].as_u64().unwrap() > 0);
    let bad = wenda()
        .args(["bench", "--queries", "/nonexistent/q.jsonl", "--kb"])
        .arg(kb.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// Runs the binary with its standard output piped to a reader that takes `keep` bytes and
/// then goes away (as `| head -c` does), and returns the status and standard error.
fn with_closed_stdout(
    command: &mut std::process::Command,
    stdin: Option<&str>,
    keep: usize,
) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        let mut input = child.stdin.take().unwrap();
        let text = text.to_string();
        // Fed from a thread: the child may stop reading once its output is gone.
        std::thread::spawn(move || input.write_all(text.as_bytes()));
    }
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0u8; keep];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    // Far more output than a pipe buffers, so that writing really hits the closed pipe:
    // thousands of warnings (a similar question listed twice).
    let many: String = (0..3000)
        .map(|i| {
            format!(
                "[[faq]]\nid = \"e{i}\"\nquestion = \"第{i}个问题\"\nsimilar = [\"问法{i}\", \"问法{i}\"]\nanswer = \"答{i}\"\n\n"
            )
        })
        .collect();
    let kb = kb_dir(&[("many.toml", &many)]);
    // (The near-duplicate pass would build a bot of 3,000 entries: not what is tested here.)
    let (status, err) = with_closed_stdout(
        wenda()
            .args(["check", "--json", "--no-near-duplicates", "--kb"])
            .arg(kb.path()),
        None,
        100,
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0), "{err}");

    let small = kb_dir(&[("faq.toml", GOOD_TOML)]);
    let lines = "车撞了怎么报案\n".repeat(2000);
    let (status, err) = with_closed_stdout(
        wenda().args(["chat", "--json", "--kb"]).arg(small.path()),
        Some(&lines),
        100,
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0), "{err}");
}

#[test]
fn every_command_exits_quietly_when_its_output_is_gone() {
    let kb = kb_dir(&[("faq.toml", GOOD_TOML)]);
    let work = tempfile::tempdir().unwrap();
    let queries = work.path().join("q.jsonl");
    std::fs::write(
        &queries,
        "{\"query\": \"我想退保\", \"expected\": \"refund\"}\n{\"query\": \"股票怎么买\", \"expected\": null}\n",
    )
    .unwrap();
    let index = work.path().join("index");
    let model = work.path().join("model.json");
    let kb_path = kb.path().to_str().unwrap();
    let q = queries.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["ask", "--json", "--kb", kb_path, "车撞了怎么报案"],
        vec!["ask", "--explain", "--kb", kb_path, "车撞了怎么报案"],
        vec!["check", "--kb", kb_path],
        vec!["eval", "--json", "--kb", kb_path, "--queries", q],
        vec!["eval", "--kb", kb_path, "--queries", q],
        vec!["build", "--kb", kb_path, "--out", index.to_str().unwrap()],
        vec![
            "calibrate",
            "--kb",
            kb_path,
            "--queries",
            q,
            "--out",
            model.to_str().unwrap(),
        ],
        vec!["bench", "--asks", "20", "--threads", "1", "--kb", kb_path],
    ];
    for args in commands {
        // The reader is gone before the first byte is written.
        let mut child = wenda()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn serve_refuses_unnamed_or_repeated_knowledge_bases_and_unknown_stores() {
    let kb = super::common::fixture_kb_path();
    let kb = kb.to_string_lossy();
    let cases: [(Vec<String>, &str); 3] = [
        (
            vec!["--kb".into(), kb.to_string(), "--kb".into(), kb.to_string()],
            "name each one",
        ),
        (
            vec![
                "--kb".into(),
                format!("a={kb}"),
                "--kb".into(),
                format!("a={kb}"),
            ],
            "given twice",
        ),
        (
            vec![
                "--kb".into(),
                format!("a={kb}"),
                "--kb".into(),
                "b/c".into(),
            ],
            "name each one",
        ),
    ];
    for (args, said) in cases {
        let out = wenda()
            .arg("serve")
            .args(&args)
            .output()
            .expect("wenda runs");
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{args:?}: {err}");
    }
}
