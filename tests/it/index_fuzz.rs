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

/// Each row's components rotated by one: every vector keeps its length, so only a fresh
/// embedding can tell; the manifest is rewritten to match.
#[test]
fn vectors_edited_to_keep_their_length_are_refused() {
    let kb = KnowledgeBase::load(kb_dir(&[("faq.toml", GOOD_TOML)]).path()).expect("loads");
    let bot = Bot::build(kb).expect("builds");
    let dir = tempfile::tempdir().expect("temp dir");
    bot.save(dir.path()).expect("saves");
    Bot::open(dir.path()).expect("the pristine index opens");

    let generation = support::generation(dir.path());
    let path = generation.join("vectors.f32");
    let mut bytes = std::fs::read(&path).expect("vectors");
    let word = |b: &[u8], at: usize| {
        u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes")) as usize
    };
    // The header: 8 bytes of magic, then rows and columns.
    let (rows, cols) = (word(&bytes, 8), word(&bytes, 16));
    assert!(rows > 0 && cols > 1);
    for r in 0..rows {
        let row = &mut bytes[24 + r * cols * 4..24 + (r + 1) * cols * 4];
        row.rotate_left(4);
    }
    std::fs::write(&path, &bytes).expect("writes");
    let manifest_path = generation.join("manifest.json");
    let mut manifest: wenda::Manifest =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("JSON");
    manifest
        .files
        .insert("vectors.f32".into(), support::crc(&bytes));
    std::fs::write(
        &manifest_path,
        serde_json::to_vec(&manifest).expect("serializes"),
    )
    .expect("writes");

    let Err(err) = Bot::open(dir.path()) else {
        panic!("the edited vectors are refused");
    };
    let text = err.to_string();
    assert!(text.contains("vectors.f32"), "{text}");
    assert!(text.contains("does not match its embedding"), "{text}");
}
