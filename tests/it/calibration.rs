//! Self-calibration on a knowledge base with one question per entry: the ranker and the
//! calibrator are fitted on made-up rephrasings alone, and must still rank real ones.

use wenda::config::ProbeKind;
use wenda::eval::{LabelledQuery, evaluate, similar_as_queries};
use wenda::rank::ModelOrigin;
use wenda::{Bot, KnowledgeBase};

use crate::common::sample_kb_path;

/// The sample knowledge base with every similar list emptied and its saved model dropped,
/// calibrating on `kinds`; and its removed similar questions as labelled queries.
fn one_question_form(kinds: Vec<ProbeKind>) -> (KnowledgeBase, Vec<LabelledQuery>) {
    let kb = KnowledgeBase::load_without_model(sample_kb_path()).expect("sample KB loads");
    let queries = similar_as_queries(&kb);
    let one = kb.without_similar();
    let mut config = one.config().clone();
    config.calibration.made_up = kinds;
    let one = one.with_config(config).expect("options are valid");
    (one, queries)
}

#[test]
fn a_ranker_fitted_on_made_up_rephrasings_alone_still_ranks_real_ones() {
    // Without homophones, the made-up questions were nearly separable and the undamped
    // Newton fit ran away: every weight negative, then only length_ratio left, and 5% of
    // the real similar questions ranked first (half of them with every kind).
    let kinds: Vec<ProbeKind> = ProbeKind::ALL
        .into_iter()
        .filter(|&k| k != ProbeKind::Homophone)
        .collect();
    let (kb, queries) = one_question_form(kinds);
    let bot = Bot::build(kb).expect("builds");
    match &bot.model().origin {
        ModelOrigin::SelfCalibrated {
            in_kb,
            made_up,
            entries_with_similar,
            ..
        } => {
            assert_eq!(*entries_with_similar, 0);
            assert_eq!(*in_kb, 0, "no real similar question is left to hold out");
            assert!(made_up.values().sum::<usize>() >= 300, "{made_up:?}");
            assert!(
                made_up.get("homophone").is_none_or(|n| *n == 0),
                "{made_up:?}"
            );
        }
        other => panic!("expected a self-calibrated model, got {other:?}"),
    }
    let weights = &bot.model().ranker;
    assert!(
        weights.iter().filter(|w| **w > 0.0).count() >= 4,
        "{weights:?}"
    );
    let (report, _) = evaluate(&bot, &queries, &|_, _| {}).expect("evaluates");
    assert!(queries.len() > 400);
    assert!(report.ranking.top1 > 0.4, "top-1 {}", report.ranking.top1);
}
