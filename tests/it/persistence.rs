//! Saving and opening indexes: same answers, staleness, damage, crashed builds.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wenda::config::VectorSearch;
use wenda::embed::Embedder;
use wenda::text::Analysis;
use wenda::{Bot, Error, IndexOrigin, IndexStatus, KnowledgeBase};

use super::common::{GOOD_TOML, kb_dir, sample_bot};

const QUESTIONS: &[&str] = &[
    "车险怎么报案",
    "車撞了怎麼報案",
    "退保要扣多少手续费",
    "我想买个手机",
    "转人工，我要退保",
    "今天天气怎么样",
    "",
];

/// The generation directory `CURRENT` points at.
fn generation(dir: &Path) -> PathBuf {
    let name = fs::read_to_string(dir.join("CURRENT")).unwrap();
    dir.join(name.trim())
}

fn assert_same_replies(a: &Bot, b: &Bot, questions: &[&str]) {
    for q in questions {
        let (x, y) = (a.ask(q), b.ask(q));
        assert_eq!(x.decision, y.decision, "{q:?}");
        assert_eq!(x.confidence, y.confidence, "{q:?}");
        let ids = |r: &wenda::Reply| -> Vec<String> {
            r.candidates.iter().map(|c| c.entry_id.clone()).collect()
        };
        assert_eq!(ids(&x), ids(&y), "{q:?}");
    }
}

#[test]
fn a_saved_sample_index_answers_exactly_like_the_built_bot() {
    let dir = tempfile::tempdir().unwrap();
    let built = sample_bot();
    let manifest = built.save(dir.path()).unwrap();
    assert_eq!(manifest.entries, built.knowledge().len());
    assert!(manifest.builtin_embedder);
    let opened = Bot::open(dir.path()).unwrap();
    assert_eq!(opened.model(), built.model());
    assert_eq!(opened.config(), built.config());
    assert_eq!(opened.knowledge().entries(), built.knowledge().entries());
    let samples = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-queries.jsonl"),
    )
    .unwrap();
    let queries: Vec<String> = samples
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["query"].as_str().map(str::to_string))
        .collect();
    let mut all: Vec<&str> = QUESTIONS.to_vec();
    all.extend(queries.iter().map(String::as_str));
    assert_same_replies(built, &opened, &all);
    // An opened bot saves again, to another place, with the same content.
    let again = tempfile::tempdir().unwrap();
    let second = opened.save(again.path()).unwrap();
    assert_eq!(second.kb_hash, manifest.kb_hash);
    assert_eq!(second.files, manifest.files);
}

#[test]
fn an_hnsw_index_round_trips() {
    let kb = KnowledgeBase::load(kb_dir(&[("faq.toml", GOOD_TOML)]).path()).unwrap();
    let mut config = kb.config().clone();
    config.retrieval.vector_search = VectorSearch::Hnsw;
    let kb = kb.with_config(config).unwrap();
    let built = Bot::build(kb).unwrap();
    assert!(built.uses_hnsw());
    let dir = tempfile::tempdir().unwrap();
    assert!(built.save(dir.path()).unwrap().hnsw);
    let opened = Bot::open(dir.path()).unwrap();
    assert!(opened.uses_hnsw());
    assert_same_replies(
        &built,
        &opened,
        &["撞车了怎么报案", "退保流程", "怎么买股票"],
    );
}

#[test]
fn the_index_follows_the_knowledge_base() {
    let kb_files = kb_dir(&[("faq.toml", GOOD_TOML)]);
    let index = tempfile::tempdir().unwrap();
    let load = || KnowledgeBase::load(kb_files.path()).unwrap();
    assert_eq!(
        Bot::index_status(index.path(), &load()),
        IndexStatus::Missing
    );

    let (_, origin) = Bot::builder(load()).build_or_open(index.path()).unwrap();
    assert!(matches!(origin, IndexOrigin::Built { .. }), "{origin:?}");
    assert!(matches!(
        Bot::index_status(index.path(), &load()),
        IndexStatus::UpToDate(_)
    ));
    let (bot, origin) = Bot::builder(load()).build_or_open(index.path()).unwrap();
    assert_eq!(origin, IndexOrigin::Opened);
    assert_eq!(bot.ask("车撞了怎么报案").top_id(), Some("report"));

    // A curator edits an answer: the index is stale, and the next start rebuilds it.
    fs::write(
        kb_files.path().join("faq.toml"),
        GOOD_TOML.replace("请拨打客服热线报案。", "请在App里报案。"),
    )
    .unwrap();
    match Bot::index_status(index.path(), &load()) {
        IndexStatus::Stale(why) => assert!(why.contains("changed"), "{why}"),
        other => panic!("expected stale, got {other:?}"),
    }
    let (bot, origin) = Bot::builder(load()).build_or_open(index.path()).unwrap();
    match origin {
        IndexOrigin::Built { reason } => assert!(reason.contains("changed"), "{reason}"),
        other => panic!("expected a rebuild, got {other:?}"),
    }
    match bot.ask("车撞了怎么报案").decision {
        wenda::Decision::Answer { answer, .. } => assert!(answer.contains("App"), "{answer}"),
        other => panic!("expected an answer, got {other:?}"),
    }
}

#[test]
fn damaged_and_foreign_indexes_are_refused_with_a_reason() {
    let kb = KnowledgeBase::load(kb_dir(&[("faq.toml", GOOD_TOML)]).path()).unwrap();
    let mut config = kb.config().clone();
    config.retrieval.vector_search = VectorSearch::Hnsw;
    let bot = Bot::build(kb.with_config(config).unwrap()).unwrap();
    let err = |dir: &Path| Bot::open(dir).map(|_| ()).unwrap_err().to_string();

    for file in [
        "corpus.bin",
        "embedder.bin",
        "hnsw.hnsw.graph",
        "vectors.f32",
        "kb.json",
    ] {
        let dir = tempfile::tempdir().unwrap();
        bot.save(dir.path()).unwrap();
        let path = generation(dir.path()).join(file);
        let mut bytes = fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x5a;
        bytes.truncate(bytes.len() - 3);
        fs::write(&path, bytes).unwrap();
        let e = err(dir.path());
        assert!(e.contains("damaged") && e.contains(file), "{file}: {e}");
    }

    let dir = tempfile::tempdir().unwrap();
    bot.save(dir.path()).unwrap();
    let manifest = generation(dir.path()).join("manifest.json");
    let text = fs::read_to_string(&manifest).unwrap();
    fs::write(
        &manifest,
        text.replace("\"format_version\": 1", "\"format_version\": 999"),
    )
    .unwrap();
    let e = err(dir.path());
    assert!(e.contains("format 999") && e.contains("wenda build"), "{e}");
    assert!(
        matches!(Bot::open(dir.path()), Err(Error::StaleIndex { .. })),
        "an index of another format is stale, not damaged"
    );
    fs::remove_file(dir.path().join("CURRENT")).unwrap();
    assert!(err(dir.path()).contains("no index"));
    let empty = tempfile::tempdir().unwrap();
    assert!(err(empty.path()).contains("no index"));
}

#[test]
fn a_crashed_build_leaves_the_previous_index_usable() {
    let kb = KnowledgeBase::load(kb_dir(&[("faq.toml", GOOD_TOML)]).path()).unwrap();
    let bot = Bot::build(kb).unwrap();
    let dir = tempfile::tempdir().unwrap();
    bot.save(dir.path()).unwrap();
    // What a build killed half-way leaves behind: a partial generation and pointer.
    let partial = dir.path().join("tmp-9999999999000000000-1");
    fs::create_dir(&partial).unwrap();
    fs::write(partial.join("corpus.bin"), b"half").unwrap();
    fs::write(dir.path().join("CURRENT.9999999999000000000-1"), b"gen-x").unwrap();
    let opened = Bot::open(dir.path()).unwrap();
    assert_same_replies(&bot, &opened, &["车撞了怎么报案"]);
    // A later build succeeds next to the debris.
    bot.save(dir.path()).unwrap();
    Bot::open(dir.path()).unwrap();
}

/// A deliberately simple embedder: character counts hashed into 32 buckets.
struct Buckets(usize);

impl Embedder for Buckets {
    fn id(&self) -> String {
        format!("test-buckets/{}", self.0)
    }
    fn dimension(&self) -> usize {
        self.0
    }
    fn embed(&self, text: &Analysis) -> Vec<f32> {
        let mut v = vec![0.0f32; self.0];
        for c in text.normalized.chars().filter(|c| !c.is_whitespace()) {
            v[c as usize % self.0] += 1.0;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

#[test]
fn an_index_built_with_a_custom_embedder_needs_that_embedder() {
    let kb = KnowledgeBase::load(kb_dir(&[("faq.toml", GOOD_TOML)]).path()).unwrap();
    let bot = Bot::builder(kb)
        .embedder(Arc::new(Buckets(32)))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(!bot.save(dir.path()).unwrap().builtin_embedder);
    let e = Bot::open(dir.path()).map(|_| ()).unwrap_err();
    assert!(
        matches!(&e, Error::EmbedderMismatch { expected, got: None, .. } if expected == "test-buckets/32"),
        "{e:?}"
    );
    assert!(e.to_string().contains("open_with_embedder"), "{e}");
    let e = Bot::open_with_embedder(dir.path(), Arc::new(Buckets(16)))
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(
            &e,
            Error::EmbedderMismatch {
                expected_dimension: 32,
                got: Some((_, 16)),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("test-buckets/32"), "{e}");
    let opened = Bot::open_with_embedder(dir.path(), Arc::new(Buckets(32))).unwrap();
    assert_same_replies(&bot, &opened, &["车撞了怎么报案", "退保流程"]);
}

/// An embedder whose vectors are shorter than the dimension it declares.
struct Liar;

impl Embedder for Liar {
    fn id(&self) -> String {
        "test-liar".into()
    }
    fn dimension(&self) -> usize {
        32
    }
    fn embed(&self, _: &Analysis) -> Vec<f32> {
        vec![1.0; 16]
    }
}

#[test]
fn an_embedder_of_the_wrong_dimension_is_refused() {
    let kb = KnowledgeBase::load(kb_dir(&[("faq.toml", GOOD_TOML)]).path()).unwrap();
    match Bot::builder(kb).embedder(Arc::new(Liar)).build() {
        Err(
            e @ Error::WrongDimension {
                expected: 32,
                got: 16,
                ..
            },
        ) => assert!(e.to_string().contains("test-liar"), "{e}"),
        other => panic!("expected WrongDimension, got {:?}", other.err()),
    }
}

#[test]
fn the_same_knowledge_base_by_another_path_keeps_its_hash() {
    let sample = super::common::sample_kb_path();
    let absolute = KnowledgeBase::load(&sample).unwrap();
    let relative_path = sample
        .strip_prefix(std::env::current_dir().unwrap())
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| sample.join("."));
    let relative = KnowledgeBase::load(&relative_path).unwrap();
    assert_eq!(absolute.content_hash(), relative.content_hash());
    let moved = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(&sample).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            fs::copy(&path, moved.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let copy = KnowledgeBase::load(moved.path()).unwrap();
    assert_eq!(copy.content_hash(), absolute.content_hash(), "a moved copy");
}

#[test]
fn an_hnsw_rebuild_with_default_options_is_bit_identical() {
    let kb_path = super::common::fixture_kb_path();
    let build = || {
        let kb = KnowledgeBase::load(&kb_path).unwrap();
        let mut config = kb.config().clone();
        assert!(!config.retrieval.hnsw_parallel_build, "serial by default");
        config.retrieval.vector_search = VectorSearch::Hnsw;
        Bot::build(kb.with_config(config).unwrap()).unwrap()
    };
    let (a, b) = (build(), build());
    assert!(a.uses_hnsw() && b.uses_hnsw());
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ma, mb) = (a.save(da.path()).unwrap(), b.save(db.path()).unwrap());
    // tantivy names its segments with random ids; everything else is byte-identical.
    let own = |m: &wenda::Manifest| -> Vec<(String, wenda::FileSum)> {
        m.files
            .iter()
            .filter(|(name, _)| !name.starts_with("lexical/"))
            .map(|(name, sum)| (name.clone(), sum.clone()))
            .collect()
    };
    assert_eq!(own(&ma), own(&mb), "the same files, byte for byte");
    assert!(ma.files.contains_key("hnsw.hnsw.graph"));
    let questions: Vec<String> = a
        .knowledge()
        .entries()
        .iter()
        .flat_map(|e| std::iter::once(e.question.clone()).chain(e.similar.iter().cloned()))
        .collect();
    for q in &questions {
        let (x, y) = (a.ask(q), b.ask(q));
        assert_eq!(x.confidence.to_bits(), y.confidence.to_bits(), "{q}");
        assert_eq!(x.decision, y.decision, "{q}");
    }
}
