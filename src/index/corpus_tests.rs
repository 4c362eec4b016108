//! Unit tests of the corpus: vocabulary tables, holdouts, n-gram units and centroids.
//!
//! Analyses are written by hand (no jieba), so that every term and unit is known exactly.

use super::*;

/// An analysis whose precise and search terms are `terms` and whose canonical text is
/// the terms joined by spaces (as [`crate::text::Analyzer`] makes it).
fn a(terms: &[&str]) -> Analysis {
    let terms: Vec<String> = terms.iter().map(|t| t.to_string()).collect();
    Analysis {
        normalized: terms.concat(),
        canonical: terms.join(" "),
        search_terms: terms.clone(),
        terms,
    }
}

/// Three entries:
/// * 0: `交 话费` (variant 0), `充值 话费` (variant 1);
/// * 1: `查 话费` (variant 2), `话费 账单` (variant 3), `账单 明细` (variant 4);
/// * 2: `国际 漫游` (variant 5).
fn corpus() -> Corpus {
    Corpus::build(&[
        vec![a(&["交", "话费"]), a(&["充值", "话费"])],
        vec![
            a(&["查", "话费"]),
            a(&["话费", "账单"]),
            a(&["账单", "明细"]),
        ],
        vec![a(&["国际", "漫游"])],
    ])
}

fn close(x: f32, y: f32) -> bool {
    (x - y).abs() < 1e-5
}

#[test]
fn entries_tile_the_variants_in_order() {
    let c = corpus();
    assert_eq!(c.entry_variants, vec![0..2, 2..5, 5..6]);
    let entries: Vec<u32> = c.variants.iter().map(|v| v.entry).collect();
    assert_eq!(entries, [0, 0, 1, 1, 1, 2]);
    assert_eq!(c.check(3), Ok(()));
    assert!(c.check(2).is_err(), "a corpus of 3 entries is not one of 2");
    assert!(c.check(4).is_err());
}

#[test]
fn idf_counts_entries_not_variants() {
    let c = corpus();
    let n = 3.0f32;
    // 话费: in entries 0 and 1 (four variants); 账单: entry 1 only (two variants);
    // 漫游: entry 2 only.
    assert!(close(c.term_idf("话费").unwrap(), (1.0 + n / 2.0).ln()));
    assert!(close(c.term_idf("账单").unwrap(), (1.0 + n / 1.0).ln()));
    assert!(close(c.term_idf("漫游").unwrap(), (1.0 + n).ln()));
    assert_eq!(c.term_idf("股票"), None, "a word no question has");
    // A term of a single entry has the highest idf a known term can have.
    assert!(close(c.max_idf(), c.term_idf("漫游").unwrap()));
    assert!(c.term_idf("话费").unwrap() < c.max_idf());
}

#[test]
fn variants_hold_sorted_term_ids_and_their_idf_mass() {
    let c = Corpus::build(&[vec![a(&["话费", "交", "话费"])], vec![a(&["话费", "账单"])]]);
    for v in &c.variants {
        assert!(v.terms.windows(2).all(|w| w[0] < w[1]), "{:?}", v.terms);
    }
    // The repeated word counts once.
    assert_eq!(c.variants[0].terms.len(), 2);
    let mass = c.term_idf("话费").unwrap() + c.term_idf("交").unwrap();
    assert!(close(c.variants[0].term_mass, mass));
    // Unit-length tf-idf n-gram vectors.
    for v in &c.variants {
        assert!(close(v.grams.norm(), 1.0));
        assert!(v.grams.0.windows(2).all(|w| w[0].0 < w[1].0));
    }
}

#[test]
fn units_are_characters_or_ascii_runs_and_capped_for_edit_similarity() {
    let long: String = "话".repeat(EDIT_UNITS + 36);
    let c = Corpus::build(&[vec![a(&["app", "登录"]), a(&[&long])]]);
    // `app` is one unit; 登 and 录 one each.
    assert_eq!(c.variants[0].len, 3);
    assert_eq!(c.variants[0].units.len(), 3);
    let q = c.query(&a(&["app", "登录"]), Holdout::None);
    assert_eq!(
        q.units, c.variants[0].units,
        "the same text, the same unit ids"
    );
    assert_eq!(q.len, 3);
    // A long question: every unit counts in `len`, only the first EDIT_UNITS are kept.
    assert_eq!(c.variants[1].len, EDIT_UNITS + 36);
    assert_eq!(c.variants[1].units.len(), EDIT_UNITS);
    let q = c.query(&a(&[&long]), Holdout::None);
    assert_eq!((q.len, q.units.len()), (EDIT_UNITS + 36, EDIT_UNITS));
}

#[test]
fn unknown_units_get_ids_of_their_own() {
    let c = corpus();
    let q = c.query(&a(&["股票", "话费", "股"]), Holdout::None);
    // Units: 股 票 话 费 股. 股 and 票 are unknown: fresh ids from the top, the same unit
    // twice the same id; 话 and 费 are the corpus's own ids.
    assert_eq!(q.units.len(), 5);
    assert_eq!(q.units[0], u32::MAX);
    assert_eq!(q.units[1], u32::MAX - 1);
    assert_eq!(q.units[4], q.units[0]);
    let own = c.query(&a(&["话费"]), Holdout::None);
    assert_eq!(&q.units[2..4], &own.units[..]);
    assert!(own.units.iter().all(|&u| u < u32::MAX - 1000));
}

#[test]
fn a_query_splits_its_mass_into_known_and_unknown_terms() {
    let c = corpus();
    let q = c.query(&a(&["话费", "股票", "话费"]), Holdout::None);
    let idf = c.term_idf("话费").unwrap();
    assert_eq!(q.known.len(), 1, "distinct known terms: {:?}", q.known);
    assert!(close(q.known[0].1, idf));
    assert!(close(q.mass, idf + c.max_idf()));
    assert!(close(q.unknown_share, c.max_idf() / (idf + c.max_idf())));
    // Everything known; nothing at all.
    let q = c.query(&a(&["话费", "账单"]), Holdout::None);
    assert_eq!(q.unknown_share, 0.0);
    assert!(q.known.windows(2).all(|w| w[0].0 < w[1].0));
    let empty = c.query(&a(&[]), Holdout::None);
    assert_eq!((empty.mass, empty.unknown_share), (0.0, 1.0));
    assert!(empty.grams.0.is_empty() && empty.units.is_empty());
}

#[test]
fn the_query_vector_is_unit_length_counting_unknown_grams() {
    let c = corpus();
    // Known text: unit length.
    let q = c.query(&a(&["交", "话费"]), Holdout::None);
    assert!(close(q.grams.norm(), 1.0));
    // The same text as a stored variant has the same vector.
    assert!(close(q.grams.dot(&c.variants[0].grams), 1.0));
    // Unknown n-grams are left out of the vector but count towards its length.
    let q = c.query(&a(&["交", "话费", "股票"]), Holdout::None);
    assert!(q.grams.norm() < 0.99, "{}", q.grams.norm());
    assert!(q.grams.norm() > 0.0);
}

#[test]
fn holding_out_a_variant_hides_the_words_only_it_has() {
    let c = corpus();
    // 充值 is only in variant 1; 话费 is in four variants.
    let asked = a(&["充值", "话费"]);
    let free = c.query(&asked, Holdout::None);
    assert_eq!(free.known.len(), 2);
    assert_eq!(free.unknown_share, 0.0);
    let held = c.query(&asked, Holdout::Variant(1));
    assert_eq!(held.known.len(), 1, "充值 is unknown without variant 1");
    assert!(held.unknown_share > 0.0);
    assert!(close(held.known[0].1, c.term_idf("话费").unwrap()));
    // Its n-grams 充, 值, 充值, 值话 are gone from the vector too.
    assert!(held.grams.0.len() < free.grams.0.len());
    // Holding out another variant changes nothing.
    let other = c.query(&asked, Holdout::Variant(5));
    assert_eq!(other.known, free.known);
    assert_eq!(other.grams, free.grams);
}

#[test]
fn holding_out_an_entry_hides_the_words_only_it_has() {
    let c = corpus();
    let asked = a(&["话费", "账单", "明细"]);
    let free = c.query(&asked, Holdout::None);
    assert_eq!(free.unknown_share, 0.0);
    // Without entry 1, 账单 and 明细 are unknown; 话费 is still in entry 0.
    let held = c.query(&asked, Holdout::Entry(1));
    let known: Vec<u32> = held.known.iter().map(|k| k.0).collect();
    assert_eq!(known.len(), 1);
    assert!(close(held.known[0].1, c.term_idf("话费").unwrap()));
    assert!(close(
        held.mass,
        c.term_idf("话费").unwrap() + 2.0 * c.max_idf()
    ));
    // Without entry 2, nothing of this question is missing.
    let other = c.query(&asked, Holdout::Entry(2));
    assert_eq!(other.known, free.known);
    assert_eq!(other.unknown_share, 0.0);
    // An entry's own only word is unknown with the entry held out.
    let q = c.query(&a(&["漫游"]), Holdout::Entry(2));
    assert!(q.known.is_empty());
    assert_eq!(q.unknown_share, 1.0);
}

#[test]
fn holdout_excludes_what_it_names() {
    assert!(!Holdout::None.excludes(0, 0));
    assert!(Holdout::Variant(3).excludes(3, 1));
    assert!(!Holdout::Variant(3).excludes(4, 1));
    assert!(Holdout::Entry(1).excludes(9, 1));
    assert!(!Holdout::Entry(1).excludes(9, 2));
}

#[test]
fn centroids_leave_out_held_out_variants() {
    let c = corpus();
    for e in 0..3 {
        let full = c.centroid(e, Holdout::None);
        assert!(matches!(full, std::borrow::Cow::Borrowed(_)));
        assert!(close(full.norm(), 1.0));
        // A holdout elsewhere keeps the stored centroid.
        let elsewhere = c.centroid(e, Holdout::Entry((e + 1) % 3));
        assert!(matches!(elsewhere, std::borrow::Cow::Borrowed(_)));
    }
    // Entry 0 without variant 1 is variant 0 alone.
    let held = c.centroid(0, Holdout::Variant(1));
    assert!(matches!(held, std::borrow::Cow::Owned(_)));
    assert_eq!(held.0.len(), c.variants[0].grams.0.len());
    assert!(close(held.dot(&c.variants[0].grams), 1.0));
    // Variant 1 shares only 话, 费 and 话费 with it: closer to the full centroid than to
    // the one without it.
    let shared = c.variants[0].grams.dot(&c.variants[1].grams);
    assert!(shared > 0.0 && shared < 1.0);
    assert!(close(held.dot(&c.variants[1].grams), shared));
    assert!(c.centroid(0, Holdout::None).dot(&c.variants[1].grams) > shared);
    // The centroid of the remaining variants of entry 1 is their unit-length sum.
    let held = c.centroid(1, Holdout::Variant(3));
    let sum = SparseVec::from_pairs(
        [2usize, 4]
            .iter()
            .flat_map(|&v| c.variants[v].grams.0.iter().copied())
            .collect(),
    )
    .normalized();
    assert_eq!(held.0.len(), sum.0.len());
    assert!(close(held.dot(&sum), 1.0));
    // A whole entry held out has no centroid.
    assert!(c.centroid(2, Holdout::Entry(2)).0.is_empty());
}

#[test]
fn a_corpus_survives_serialization() {
    let c = corpus();
    let bytes = postcard::to_stdvec(&c).unwrap();
    let back: Corpus = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(back.check(3), Ok(()));
    let asked = a(&["充值", "话费", "股票"]);
    for h in [Holdout::None, Holdout::Variant(1), Holdout::Entry(0)] {
        let (x, y) = (c.query(&asked, h), back.query(&asked, h));
        assert_eq!(x.known, y.known);
        assert_eq!(x.grams, y.grams);
        assert_eq!((x.mass, x.unknown_share), (y.mass, y.unknown_share));
        assert_eq!(x.units, y.units);
    }
}
