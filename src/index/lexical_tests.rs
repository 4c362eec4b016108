//! Unit tests of the lexical index: ranking, skipping with over-fetch, sub-words, syntax
//! characters and the save/open round trip.

use std::sync::OnceLock;

use super::*;
use crate::text::{DictWord, Lexicon};

/// One analyzer for every test here (loading jieba's dictionary costs ~0.2 s).
fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| {
        Analyzer::new(&Lexicon {
            dict: ["星河通信", "国际漫游", "流量包", "话费"]
                .iter()
                .map(|w| DictWord {
                    word: w.to_string(),
                    freq: Some(2000),
                    tag: None,
                })
                .collect(),
            synonyms: vec![vec!["交费".into(), "缴费".into(), "充值".into()]],
            stopwords: vec!["的".into(), "吗".into(), "了".into()],
        })
    })
}

/// Question variants; variant `i` is `VARIANTS[i]`.
const VARIANTS: &[&str] = &[
    "怎么交话费",           // 0
    "话费充值有哪些方式",   // 1
    "怎么查询话费账单",     // 2
    "国际漫游怎么收费",     // 3
    "出国漫游怎么开通",     // 4
    "流量包多少钱",         // 5
    "宽带连不上网怎么办",   // 6
    "星河通信营业厅在哪里", // 7
    "手机卡丢了怎么办",     // 8
    "怎么注销手机号",       // 9
];

fn analyses() -> Vec<Analysis> {
    VARIANTS.iter().map(|v| analyzer().analyze(v)).collect()
}

fn index() -> LexicalIndex {
    LexicalIndex::build(analyzer(), analyses().iter()).unwrap()
}

fn search(index: &LexicalIndex, q: &str, limit: usize) -> Vec<(VariantId, f32)> {
    index
        .search(&analyzer().analyze(q), limit, &|_| false, 0)
        .unwrap()
}

fn ids(hits: &[(VariantId, f32)]) -> Vec<VariantId> {
    hits.iter().map(|h| h.0).collect()
}

#[test]
fn the_closest_variant_ranks_first() {
    let idx = index();
    for (q, want) in [
        ("话费怎么交", 0),
        ("查话费账单", 2),
        ("国际漫游的收费标准", 3),
        ("出国了漫游要开通吗", 4),
        ("宽带上不了网", 6),
        ("手机卡丢了", 8),
        ("注销手机号", 9),
    ] {
        let hits = search(&idx, q, 5);
        assert_eq!(hits.first().map(|h| h.0), Some(want), "{q}: {hits:?}");
    }
}

#[test]
fn hits_are_best_first_within_the_limit() {
    let idx = index();
    let hits = search(&idx, "怎么办", 3);
    assert_eq!(hits.len(), 3, "{hits:?}");
    assert!(hits.windows(2).all(|w| w[0].1 >= w[1].1), "{hits:?}");
    assert!(hits.iter().all(|h| h.1 > 0.0));
    let all = search(&idx, "怎么办", 50);
    assert!(all.len() <= VARIANTS.len());
    assert_eq!(
        &ids(&all)[..3],
        &ids(&hits)[..],
        "a smaller limit is a prefix"
    );
    // Nothing to look for, or nothing wanted.
    assert!(search(&idx, "", 5).is_empty());
    assert!(search(&idx, "话费", 0).is_empty());
    assert!(
        search(&idx, "股票基金", 5).is_empty(),
        "no shared word or bigram"
    );
}

#[test]
fn synonyms_meet_in_the_index() {
    let idx = index();
    // 缴费 is indexed and searched as its canonical word 交费: variant 1 (充值) is found.
    let hits = search(&idx, "缴费", 5);
    assert!(ids(&hits).contains(&1), "{hits:?}");
}

#[test]
fn skipped_variants_are_passed_over_and_fetched_past() {
    let idx = index();
    let a = analyzer().analyze("国际漫游怎么收费");
    let free = idx.search(&a, 3, &|_| false, 0).unwrap();
    assert_eq!(free[0].0, 3);
    // Skipping the best hit: the rest move up, and the limit is still filled when
    // `max_skipped` says one may be skipped.
    let skip = |v: VariantId| v == 3;
    let held = idx.search(&a, 3, &skip, 1).unwrap();
    assert!(!ids(&held).contains(&3), "{held:?}");
    assert_eq!(held.len(), 3);
    assert_eq!(&ids(&held)[..2], &ids(&free)[1..], "{held:?} vs {free:?}");
    assert_eq!(held[0].1, free[1].1, "scores are not changed by skipping");
    // Without the over-fetch, the skipped hit takes a place of the limit.
    let short = idx.search(&a, 3, &skip, 0).unwrap();
    assert_eq!(ids(&short), &ids(&free)[1..]);
    let one = idx.search(&a, 1, &skip, 0).unwrap();
    assert!(one.is_empty(), "the only hit fetched was skipped: {one:?}");
    assert_eq!(ids(&idx.search(&a, 1, &skip, 1).unwrap()), [free[1].0]);
    // Skipping everything finds nothing.
    assert!(
        idx.search(&a, 5, &|_| true, VARIANTS.len())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_part_of_a_longer_word_still_finds_it() {
    let idx = index();
    // 国际漫游 and 星河通信 are dictionary words, so the precise cut keeps them whole;
    // search mode adds their sub-words, and the bigrams see inside them as well.
    let stored = analyzer().analyze(VARIANTS[3]);
    assert!(stored.terms.contains(&"国际漫游".to_string()), "{stored:?}");
    let words = FieldKind::Words.tokens(&stored);
    assert!(words.contains(&"国际".to_string()), "{words:?}");
    assert!(words.contains(&"漫游".to_string()), "{words:?}");
    for (q, want) in [("国际", 3), ("星河", 7), ("通信营业厅", 7)] {
        let hits = search(&idx, q, 3);
        assert_eq!(hits.first().map(|h| h.0), Some(want), "{q}: {hits:?}");
    }
    // 漫游 alone is in two variants, the one with the longer word among them.
    let hits = ids(&search(&idx, "漫游", 5));
    assert!(hits.contains(&3) && hits.contains(&4), "{hits:?}");
}

#[test]
fn grams_are_bigrams_or_the_single_unit() {
    let a = analyzer().analyze("流量包多少钱");
    let grams = FieldKind::Grams.tokens(&a);
    assert_eq!(grams.len(), a.units().len() - 1);
    assert!(grams.iter().all(|g| g.chars().count() == 2), "{grams:?}");
    assert_eq!(FieldKind::Grams.tokens(&analyzer().analyze("卡")), ["卡"]);
    assert!(FieldKind::Grams.tokens(&analyzer().analyze("")).is_empty());
    let tokens = FieldKind::Words.tantivy_tokens(&a);
    let positions: Vec<usize> = tokens.iter().map(|t| t.position).collect();
    assert_eq!(positions, (0..tokens.len()).collect::<Vec<_>>());
}

#[test]
fn query_syntax_is_plain_text() {
    let idx = index();
    for q in [
        "话费 AND (账单 OR :*)",
        "\"怎么交话费\"",
        "^2 ~ -宽带",
        "field:话费",
    ] {
        let hits = idx.search(&analyzer().analyze(q), 5, &|_| false, 0);
        let hits = hits.unwrap_or_else(|e| panic!("{q}: {e}"));
        assert!(!hits.is_empty(), "{q}");
    }
}

#[test]
fn a_saved_index_opens_with_the_same_hits() {
    let built = index();
    let dir = tempfile::tempdir().unwrap();
    built.save(dir.path()).unwrap();
    let opened = LexicalIndex::open(analyzer(), dir.path()).unwrap();
    let skip = |v: VariantId| v == 0;
    for q in ["怎么交话费", "漫游", "手机怎么办", "星河", "宽带"] {
        let a = analyzer().analyze(q);
        assert_eq!(
            built.search(&a, 10, &|_| false, 0).unwrap(),
            opened.search(&a, 10, &|_| false, 0).unwrap(),
            "{q}"
        );
        assert_eq!(
            built.search(&a, 3, &skip, 1).unwrap(),
            opened.search(&a, 3, &skip, 1).unwrap(),
            "{q}"
        );
    }
    // An opened (memory-mapped) index saves again, by copying its files.
    let again = tempfile::tempdir().unwrap();
    opened.save(again.path()).unwrap();
    let reopened = LexicalIndex::open(analyzer(), again.path()).unwrap();
    let a = analyzer().analyze("国际漫游怎么收费");
    assert_eq!(
        reopened.search(&a, 10, &|_| false, 0).unwrap(),
        built.search(&a, 10, &|_| false, 0).unwrap()
    );
    // A directory without an index is an error, not a panic.
    let empty = tempfile::tempdir().unwrap();
    assert!(LexicalIndex::open(analyzer(), empty.path()).is_err());
}
