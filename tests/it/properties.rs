//! Property tests: no input panics, confidences stay probabilities.

use proptest::prelude::*;
use wenda::KnowledgeBase;

use super::common::{kb_dir, sample_bot};

fn messy_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("车险".to_string()),
        Just("報案".to_string()),
        Just("ＡＰＰ".to_string()),
        Just("转人工".to_string()),
        Just("😀".to_string()),
        Just("\u{0}\u{7f}\u{200b}".to_string()),
        Just("AND ( ) : \" * ^".to_string()),
        Just("ﾃｽﾄ".to_string()),
        Just("\u{202e}".to_string()),
        "\\PC{0,8}",
        "[a-z0-9 ]{0,6}",
    ];
    prop::collection::vec(pieces, 0..6).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ask_never_panics_and_confidence_is_a_probability(q in messy_text()) {
        let r = sample_bot().ask(&q);
        prop_assert!((0.0..=1.0).contains(&r.confidence));
        prop_assert!(r.candidates.len() <= 5);
        for c in &r.candidates {
            prop_assert!((0.0..=1.0).contains(&c.confidence));
        }
    }

    #[test]
    fn normalize_is_idempotent(q in messy_text()) {
        let once = wenda::text::normalize(&q);
        prop_assert_eq!(wenda::text::normalize(&once), once);
    }

    #[test]
    fn loading_arbitrary_toml_never_panics(body in "\\PC{0,200}") {
        let dir = kb_dir(&[("a.toml", &body)]);
        let _ = KnowledgeBase::load(dir.path());
    }

    #[test]
    fn loading_arbitrary_jsonl_never_panics(lines in prop::collection::vec("\\PC{0,60}", 0..5)) {
        let text = lines.join("\n");
        let dir = kb_dir(&[("kb.jsonl", &text)]);
        let _ = KnowledgeBase::load(dir.path().join("kb.jsonl"));
    }
}
