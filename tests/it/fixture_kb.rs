//! The tests' own knowledge base (`tests/fixtures/mini-kb`) is valid, realistic and
//! self-calibrating, so that the tests built on it test what they say.

use wenda::rank::ModelOrigin;

use super::common::{fixture_bot, fixture_kb_path, succeed, wenda};

#[test]
fn the_fixture_kb_checks_clean() {
    let out = succeed(
        wenda()
            .args(["check", "--strict", "--kb"])
            .arg(fixture_kb_path()),
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("ok: 0 error(s), 0 warning(s)"), "{said}");
}

#[test]
fn the_fixture_kb_is_small_but_complete_and_calibrates_itself() {
    let bot = fixture_bot();
    let kb = bot.knowledge();
    assert!((12..=20).contains(&kb.len()), "{} entries", kb.len());
    assert_eq!(kb.categories().len(), 3, "{:?}", kb.categories());
    for e in kb.entries() {
        assert!(e.similar.len() >= 3, "{}: {:?}", e.id, e.similar);
    }
    assert!(kb.warnings().is_empty(), "{:?}", kb.warnings());
    // Every file of the format is there and read.
    let lexicon = kb.lexicon();
    assert!(!lexicon.dict.is_empty());
    assert!(!lexicon.synonyms.is_empty());
    assert!(!lexicon.stopwords.is_empty());
    assert!(kb.config().tiers.contains_key("vip"));
    // No saved model: the confidence model is fitted on the entries at build.
    assert!(kb.model().is_none());
    assert!(
        matches!(bot.model().origin, ModelOrigin::SelfCalibrated { .. }),
        "{:?}",
        bot.model().origin
    );
    // Its own standard questions are answered with their entry.
    for e in kb.entries() {
        assert_eq!(
            bot.ask(&e.question).answer_id(),
            Some(e.id.as_str()),
            "{}",
            e.question
        );
    }
}
