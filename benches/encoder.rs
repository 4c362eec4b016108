//! Cost of a BERT sentence encoder of bge-small-zh-v1.5's shape (vocabulary 21,128, hidden
//! 512, 4 layers, 8 heads, feed-forward 2,048) on the CPU: one question, and a batch of 64
//! question variants as `build` embeds them. The weights are random, generated at bench
//! time (nothing is downloaded or committed): the cost is a real model's, the vectors are
//! meaningless. A static table of the same vocabulary and width is measured beside it.
//!
//! ```text
//! cargo bench --features bert --bench encoder
//! ```

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use wenda::config::EmbedderOptions;
use wenda::embed::random_model::{BertShape, write_bert, write_static};
use wenda::embed::{BertEmbedder, Embedder, StaticEmbedder};
use wenda::text::Analysis;

const QUESTIONS: &[&str] = &[
    "信用卡怎么还款",
    "我的贷款为什么还没有到账",
    "提前还款要不要手续费",
    "微粒贷的额度怎么提高",
    "借款可以分几期还",
    "为什么我的申请没有通过审核呢",
    "逾期一天会影响征信吗",
    "怎么查看我的还款计划",
];

fn analysis(text: &str) -> Analysis {
    Analysis {
        normalized: text.to_string(),
        terms: Vec::new(),
        search_terms: Vec::new(),
        canonical: String::new(),
    }
}

fn encoder(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bert_dir = dir.path().join("bge-small-zh-shape");
    write_bert(&bert_dir, &BertShape::BGE_SMALL_ZH, 7, Some("cls")).expect("the model is written");
    let bert = BertEmbedder::load(&bert_dir, &EmbedderOptions::default()).expect("the model loads");
    let static_dir = dir.path().join("static");
    write_static(&static_dir, BertShape::BGE_SMALL_ZH.vocab, 512, 7, &[])
        .expect("the table is written");
    let table = StaticEmbedder::load(&static_dir).expect("the table loads");
    let questions: Vec<Analysis> = QUESTIONS.iter().map(|q| analysis(q)).collect();
    let batch: Vec<&Analysis> = questions.iter().cycle().take(64).collect();

    let mut group = c.benchmark_group("encoder");
    group.sample_size(20);
    group.bench_function("bge_small_zh_shape/question", |b| {
        let mut i = 0;
        b.iter(|| {
            let v = bert.embed(black_box(&questions[i % questions.len()]));
            assert_eq!(v.len(), 512);
            i += 1;
        })
    });
    group.bench_function("bge_small_zh_shape/batch_of_64_variants", |b| {
        b.iter(|| {
            let v = bert.embed_batch(black_box(&batch));
            assert_eq!(v.len(), 64);
        })
    });
    group.bench_function("static_512/question", |b| {
        let mut i = 0;
        b.iter(|| {
            let v = table.embed(black_box(&questions[i % questions.len()]));
            assert_eq!(v.len(), 512);
            i += 1;
        })
    });
    group.finish();
}

criterion_group!(benches, encoder);
criterion_main!(benches);
