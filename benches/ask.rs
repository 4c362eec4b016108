//! Latency of the text pipeline, of `ask` (sample knowledge base, bq-dev when present, and a
//! synthetic knowledge base of 100,000 question variants), of building and of opening a
//! saved index.
//!
//! ```text
//! cargo bench --bench ask                  # everything
//! cargo bench --bench ask -- ask/          # only ask latencies
//! WENDA_BENCH_VARIANTS=20000 cargo bench --bench ask   # a smaller synthetic KB
//! ```
//!
//! bq-dev is read from `../shared/data/bq-dev` (or `WENDA_BQ_DEV`); it is not part of the
//! repository, so its benches are skipped when it is absent. The synthetic knowledge base
//! is generated from the sample one with a fixed seed (see `wenda::synthetic`).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use wenda::eval::read_queries;
use wenda::synthetic;
use wenda::{Bot, KnowledgeBase};

const QUESTIONS: &[&str] = &[
    "车险怎么报案",
    "車撞了怎麼報案",
    "退保要扣多少手续费",
    "ＡＰＰ登录不了怎么办",
    "交强险和商业险有啥不一样",
    "今天天气怎么样",
    "转人工",
    "家里水管爆了楼下被泡了能赔吗",
];
const SEED: u64 = 7;

fn sample_kb() -> KnowledgeBase {
    KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))
        .expect("the sample knowledge base loads")
}

fn bq_dev() -> Option<PathBuf> {
    let dir = std::env::var_os("WENDA_BQ_DEV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bq-dev"));
    dir.join("kb.jsonl").is_file().then_some(dir)
}

fn synthetic_variants() -> usize {
    std::env::var("WENDA_BENCH_VARIANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

/// Asks every question once per iteration and checks the replies are replies.
fn ask_all(bot: &Bot, questions: &[&str]) {
    for q in questions {
        let r = bot.ask(black_box(q));
        assert!((0.0..=1.0).contains(&r.confidence));
    }
}

fn bench_text(c: &mut Criterion) {
    let kb = sample_kb();
    let analyzer = wenda::text::Analyzer::new(kb.lexicon());
    c.bench_function("text/normalize", |b| {
        b.iter(|| {
            for q in QUESTIONS {
                black_box(wenda::text::normalize(black_box(q)));
            }
        })
    });
    c.bench_function("text/analyze (normalize + jieba + synonyms)", |b| {
        b.iter(|| {
            for q in QUESTIONS {
                let a = analyzer.analyze(black_box(q));
                assert!(!a.normalized.is_empty());
            }
        })
    });
}

fn bench_ask(c: &mut Criterion) {
    let mut group = c.benchmark_group("ask");
    let bot = Bot::build(sample_kb()).expect("builds");
    group.bench_function("sample-kb (8 questions)", |b| {
        b.iter(|| ask_all(&bot, QUESTIONS))
    });
    drop(bot);
    if let Some(dir) = bq_dev() {
        let bot = Bot::build(KnowledgeBase::load(dir.join("kb.jsonl")).expect("bq-dev loads"))
            .expect("builds");
        let queries = read_queries(dir.join("queries.jsonl")).expect("bq-dev queries load");
        let texts: Vec<&str> = queries.iter().take(64).map(|q| q.query.as_str()).collect();
        group.bench_function("bq-dev (64 questions)", |b| {
            b.iter(|| ask_all(&bot, &texts))
        });
    } else {
        eprintln!("bq-dev not found: skipping ask/bq-dev (set WENDA_BQ_DEV)");
    }
    let n = synthetic_variants();
    let kb = synthetic::knowledge_base(&sample_kb(), n, SEED).expect("generates");
    let queries = synthetic::questions(&kb, 64, SEED);
    let texts: Vec<&str> = queries.iter().map(|q| q.query.as_str()).collect();
    let bot = Bot::build(kb).expect("builds");
    group.bench_function(
        BenchmarkId::new("synthetic (64 questions)", format!("{n} variants")),
        |b| b.iter(|| ask_all(&bot, &texts)),
    );
    group.finish();
}

fn bench_build_and_open(c: &mut Criterion) {
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function("build sample-kb (index + calibrate)", |b| {
        b.iter(|| Bot::build(sample_kb()).expect("builds"))
    });
    let dir = std::env::temp_dir().join(format!("wenda-bench-open-{}", std::process::id()));
    Bot::build(sample_kb())
        .expect("builds")
        .save(&dir)
        .expect("saves");
    group.bench_function("open sample-kb", |b| {
        b.iter(|| Bot::open(&dir).expect("opens"))
    });
    let n = synthetic_variants();
    let big = dir.with_extension("synthetic");
    Bot::build(synthetic::knowledge_base(&sample_kb(), n, SEED).expect("generates"))
        .expect("builds")
        .save(&big)
        .expect("saves");
    group.bench_function(
        BenchmarkId::new("open synthetic", format!("{n} variants")),
        |b| b.iter(|| Bot::open(&big).expect("opens")),
    );
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&big);
}

criterion_group!(benches, bench_text, bench_ask, bench_build_and_open);
criterion_main!(benches);
