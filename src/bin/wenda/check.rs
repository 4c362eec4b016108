//! `wenda check`: validate the knowledge base.

use std::process::ExitCode;

use serde::Serialize;
use wenda::{Error, KnowledgeBase, NearDuplicate, Problem, Severity};

use super::kb::{KbArg, build_with, count_progress};

/// Validate the knowledge base and list every problem.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: KbArg,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Fail (exit 1) on warnings too (near-duplicates and conflicts are warnings).
    #[arg(long)]
    pub strict: bool,
    /// Skip the near-duplicate pass (which builds the bot and asks every question with
    /// itself held out).
    #[arg(long)]
    pub no_near_duplicates: bool,
    /// Least confidence with which one entry's question must be taken for another to be
    /// reported [default: the answer threshold].
    #[arg(long, value_name = "P")]
    pub min_confidence: Option<f64>,
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
    /// Confused pairs reported as notes (one direction, different answers).
    notes: usize,
    problems: &'a [Problem],
    near_duplicates: &'a [NearDuplicate],
}

/// The entries the engine confuses, with a progress bar.
fn near_duplicates(
    kb: &KnowledgeBase,
    min_confidence: Option<f64>,
) -> Result<Vec<NearDuplicate>, Error> {
    let bot = build_with(kb.clone(), |b| b)?;
    let bar = count_progress("near-dups");
    let found = bot.near_duplicates(min_confidence, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    Ok(found)
}

fn describe(d: &NearDuplicate) -> String {
    let other = if d.question_of == d.entry_id {
        &d.other_id
    } else {
        &d.entry_id
    };
    format!(
        "{}: entries {} and {} are confused ({}): \"{}\" (a question of {}) is answered with {} at {:.2}{}; {}",
        if d.is_warning() { "warning" } else { "note" },
        d.entry_id,
        d.other_id,
        d.kind().replace('_', "-"),
        d.question,
        d.question_of,
        other,
        d.confidence,
        if d.mutual {
            ", and the other way round too"
        } else {
            ""
        },
        if d.same_answer {
            "same answer: merge them (one entry, the questions as similar questions)"
        } else {
            "different answers: the customer gets whichever wins; merge them or make the questions distinct"
        }
    )
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
    let dups = match &kb {
        Some(kb) if !args.no_near_duplicates => near_duplicates(kb, args.min_confidence)?,
        _ => Vec::new(),
    };
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let serious = dups.iter().filter(|d| d.is_warning()).count();
    let notes = dups.len() - serious;
    let warnings = problems.len() - errors + serious;
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
        notes,
        problems: &problems,
        near_duplicates: &dups,
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
        for d in &dups {
            errln!("{}", describe(d));
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
            "{}: {errors} error(s), {warnings} warning(s){}",
            if ok { "ok" } else { "FAILED" },
            if notes > 0 {
                format!(", {notes} note(s)")
            } else {
                String::new()
            }
        )?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
