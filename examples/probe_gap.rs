//! Measures how far made-up rephrasings stand from real ones: the difficulty gap that
//! issue 11 asks to report.
//!
//! The knowledge base is turned into its one-question-per-entry form (every `similar` list
//! emptied, the lexicon, triggers, small talk and options kept, a saved model dropped), so
//! self-calibration has only made-up rephrasings to fit on. The real similar questions that
//! were removed are then asked as customer questions, and the printed figures say how well
//! the confidence fitted on made-up questions describes real ones: top-1, mean confidence
//! against the share right (their difference is the gap: positive = over-confident), ECE
//! and AUROC of right against wrong top answers.
//!
//! ```text
//! cargo run --release --example probe_gap -- KB [--ablate]
//! ```
//!
//! `KB` is a knowledge directory or a `.toml`, `.jsonl`, `.csv` or `.xlsx` file. With
//! `--ablate` the measurement is repeated with each kind of made-up rephrasing left out,
//! and with each kind alone. Nothing is written.

use wenda::config::{Config, ProbeKind};
use wenda::eval::{auroc, ece, evaluate, similar_as_queries};
use wenda::{Bot, KnowledgeBase};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ablate = args.iter().any(|a| a == "--ablate");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        return Err("usage: probe_gap KB [--ablate]".into());
    };
    let kb = KnowledgeBase::load_without_model(path)?;
    let queries = similar_as_queries(&kb);
    if queries.is_empty() {
        return Err(format!(
            "{path} has no similar questions: there is nothing real to measure against"
        )
        .into());
    }
    println!(
        "{path}: {} entries, {} real similar questions asked of the one-question form",
        kb.len(),
        queries.len()
    );
    println!(
        "{:<26} {:>6} {:>9} {:>8} {:>7} {:>6} {:>6}",
        "made-up kinds", "top1", "mean conf", "right", "gap", "ECE", "AUROC"
    );
    let mut runs: Vec<(String, Vec<ProbeKind>)> = vec![("all".into(), ProbeKind::ALL.to_vec())];
    if ablate {
        for k in ProbeKind::ALL {
            let without = ProbeKind::ALL.iter().copied().filter(|&x| x != k).collect();
            runs.push((format!("all but {}", k.name()), without));
        }
        for k in ProbeKind::ALL {
            runs.push((format!("{} only", k.name()), vec![k]));
        }
    }
    for (label, kinds) in runs {
        let bot = Bot::build(one_question_form(&kb, kinds)?)?;
        let (report, details) = evaluate(&bot, &queries, &|_, _| {})?;
        let scored: Vec<(f64, bool)> = details
            .iter()
            .map(|d| (d.confidence, d.top_right))
            .collect();
        let n = scored.len().max(1) as f64;
        let mean = scored.iter().map(|s| s.0).sum::<f64>() / n;
        let right = scored.iter().filter(|s| s.1).count() as f64 / n;
        println!(
            "{:<26} {:>6.3} {:>9.3} {:>8.3} {:>+7.3} {:>6.3} {:>6}",
            label,
            report.ranking.top1,
            mean,
            right,
            mean - right,
            ece(&scored, 10),
            auroc(&scored).map_or("-".into(), |a| format!("{a:.3}"))
        );
    }
    Ok(())
}

/// `kb` with every similar list emptied, calibrating on `kinds` of made-up rephrasings.
fn one_question_form(
    kb: &KnowledgeBase,
    kinds: Vec<ProbeKind>,
) -> Result<KnowledgeBase, wenda::Error> {
    let one = kb.without_similar();
    let mut config: Config = one.config().clone();
    config.calibration.made_up = kinds;
    one.with_config(config)
}
