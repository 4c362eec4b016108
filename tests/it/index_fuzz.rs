//! Two hundred damaged copies of a small saved HNSW index, each with a manifest that
//! matches it: `Bot::open` returns `Ok` or `Err`, never panics or aborts (the full run,
//! 10,000+ cases, is `cargo run --release --example fuzz_index`).

use wenda::config::VectorSearch;
use wenda::{Bot, KnowledgeBase};

use super::common::{GOOD_TOML, kb_dir};

#[path = "../support/index_fuzz.rs"]
mod support;

#[test]
fn damaged_indexes_with_matching_manifests_never_panic() {
    let kb = KnowledgeBase::load(kb_dir(&[("faq.toml", GOOD_TOML)]).path()).expect("loads");
    let mut config = kb.config().clone();
    config.retrieval.vector_search = VectorSearch::Hnsw;
    let bot = Bot::build(kb.with_config(config).expect("config")).expect("builds");
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(bot.save(dir.path()).expect("saves").hnsw);
    let out = support::run(dir.path(), 200, 16, &["撞车了怎么报案", "退保"]);
    assert!(out.panics.is_empty(), "{:#?}", out.panics);
    assert_eq!(out.cases, 200);
    assert!(out.refused > 0, "{out:?}");
}
