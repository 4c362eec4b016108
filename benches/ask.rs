//! Latency of the text pipeline and of `ask` on the sample knowledge base.
//!
//! ```text
//! cargo bench --bench ask
//! ```

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
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

fn sample_kb() -> KnowledgeBase {
    KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))
        .expect("the sample knowledge base loads")
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
    let bot = Bot::build(sample_kb()).expect("builds");
    c.bench_function("ask/sample-kb (8 questions)", |b| {
        b.iter(|| {
            for q in QUESTIONS {
                let r = bot.ask(black_box(q));
                assert!((0.0..=1.0).contains(&r.confidence));
            }
        })
    });
}

fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("sample-kb (index + calibrate)", |b| {
        b.iter(|| Bot::build(sample_kb()).expect("builds"))
    });
    group.finish();
}

criterion_group!(benches, bench_text, bench_ask, bench_build);
criterion_main!(benches);
