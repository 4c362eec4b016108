//! Shared fixtures: the bots of the sample knowledge base and of the tests' own small
//! knowledge base (each built once per test binary), and temporary knowledge directories.
//!
//! Tests whose subject is a mechanism (conversations, HTTP, CLI plumbing, concurrency) use
//! the fixture knowledge base `tests/fixtures/mini-kb/`, so that a curator's edit of
//! `knowledge/` cannot break them; `sample_kb.rs` and the tests about the shipped sample use
//! the sample.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use wenda::{Bot, KnowledgeBase};

/// The repository's `knowledge/` directory.
pub fn sample_kb_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// The bot over the sample knowledge base, built once and shared by every test.
pub fn sample_bot() -> &'static Bot {
    sample_bot_arc()
}

/// [`sample_bot`] as an `Arc`, for services.
pub fn sample_bot_arc() -> &'static Arc<Bot> {
    static BOT: OnceLock<Arc<Bot>> = OnceLock::new();
    BOT.get_or_init(|| {
        let kb = KnowledgeBase::load(sample_kb_path()).expect("the sample knowledge base loads");
        Arc::new(Bot::build(kb).expect("the sample bot builds"))
    })
}

/// The tests' own knowledge base, `tests/fixtures/mini-kb/` (星河通信, a telecom desk: 17
/// entries in 3 categories, self-calibrated). Commands that save an index next to the
/// knowledge base (`wenda ask`, `wenda chat` without `--index`) must be given `--index` to a
/// temporary directory, so that nothing is written into the repository.
pub fn fixture_kb_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini-kb")
}

/// The bot over the fixture knowledge base, built once and shared by every test.
pub fn fixture_bot() -> &'static Bot {
    fixture_bot_arc()
}

/// [`fixture_bot`] as an `Arc`, for services.
pub fn fixture_bot_arc() -> &'static Arc<Bot> {
    static BOT: OnceLock<Arc<Bot>> = OnceLock::new();
    BOT.get_or_init(|| {
        let kb = KnowledgeBase::load(fixture_kb_path()).expect("the fixture knowledge base loads");
        Arc::new(Bot::build(kb).expect("the fixture bot builds"))
    })
}

/// A temporary knowledge directory holding `files` (name, content).
pub fn kb_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, content) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create sub-directory");
        }
        std::fs::write(path, content).expect("write fixture");
    }
    dir
}

/// A small valid category file.
pub const GOOD_TOML: &str = r#"category = "测试"

[[faq]]
id = "refund"
question = "怎么退保？"
similar = ["退保流程是什么", "我不想保了怎么退", "退保去哪里办"]
answer = "在App的保单详情页申请退保。"

[[faq]]
id = "report"
question = "车险出险后怎么报案？"
similar = ["车撞了怎么报案", "出了事故找谁报案", "理赔报案电话多少"]
answer = "请拨打客服热线报案。"
"#;

/// The `wenda` binary, ready for arguments.
pub fn wenda() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_wenda"))
}

/// Runs `command` and returns its output, failing the test with its standard error when
/// it does not succeed.
pub fn succeed(command: &mut std::process::Command) -> std::process::Output {
    let out = command.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
