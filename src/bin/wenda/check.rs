//! `wenda check`: validate the knowledge base.

use std::process::ExitCode;

use serde::Serialize;
use wenda::{Error, KnowledgeBase, Problem, Severity};

use super::kb::KbArg;

/// Validate the knowledge base and list every problem.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: KbArg,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Serialize)]
struct Summary<'a> {
    ok: bool,
    path: String,
    entries: usize,
    variants: usize,
    categories: Vec<&'a str>,
    dictionary_words: usize,
    synonym_groups: usize,
    stopwords: usize,
    /// Similar questions (the real evidence self-calibration holds out).
    similar_questions: usize,
    /// Entries without a similar question (calibrated on made-up rephrasings).
    entries_without_similar: usize,
    errors: usize,
    warnings: usize,
    problems: &'a [Problem],
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let (kb, problems): (Option<KnowledgeBase>, Vec<Problem>) =
        match KnowledgeBase::load(&args.kb.kb) {
            Ok(kb) => {
                let mut warnings = kb.warnings().to_vec();
                warnings.extend(kb.calibration_warning());
                (Some(kb), warnings)
            }
            Err(Error::Knowledge(p)) => (None, p.all().to_vec()),
            Err(e) => return Err(e),
        };
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    let ok = errors == 0 && !(args.strict && warnings > 0);
    let summary = Summary {
        ok,
        path: args.kb.kb.display().to_string(),
        entries: kb.as_ref().map_or(0, |k| k.len()),
        variants: kb.as_ref().map_or(0, |k| k.variant_count()),
        categories: kb.as_ref().map_or_else(Vec::new, |k| k.categories()),
        dictionary_words: kb.as_ref().map_or(0, |k| k.lexicon().dict.len()),
        synonym_groups: kb.as_ref().map_or(0, |k| k.lexicon().synonyms.len()),
        stopwords: kb.as_ref().map_or(0, |k| k.lexicon().stopwords.len()),
        similar_questions: kb.as_ref().map_or(0, |k| k.variant_count() - k.len()),
        entries_without_similar: kb.as_ref().map_or(0, |k| {
            k.entries().iter().filter(|e| e.similar.is_empty()).count()
        }),
        errors,
        warnings,
        problems: &problems,
    };
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        )?;
    } else {
        for p in &problems {
            errln!("{p}");
        }
        if kb.is_some() {
            outln!(
                "{}: {} entries, {} question variants, {} categor{}; {} dictionary words, {} synonym groups, {} stopwords",
                summary.path,
                summary.entries,
                summary.variants,
                summary.categories.len(),
                if summary.categories.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
                summary.dictionary_words,
                summary.synonym_groups,
                summary.stopwords
            )?;
            outln!(
                "calibration evidence: {} similar questions; {} entries without any",
                summary.similar_questions,
                summary.entries_without_similar
            )?;
        }
        outln!(
            "{}: {errors} error(s), {warnings} warning(s)",
            if ok { "ok" } else { "FAILED" }
        )?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
