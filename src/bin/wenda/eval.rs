//! `wenda eval --queries FILE`: answer quality on labelled questions.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use wenda::eval::{Report, evaluate, read_queries};
use wenda::rank::ConfidenceModel;
use wenda::{Error, KnowledgeBase};

use super::kb::{KbArg, build_with, missing_as};

/// Measure answer quality on a file of labelled questions.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: KbArg,
    /// JSON Lines of {"query": "…", "expected": "<entry id>" | null}.
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,
    /// Print the report as JSON (the stable format documented in `wenda::eval`).
    #[arg(long)]
    pub json: bool,
    /// Write one JSON line per query (decision, confidence, rank, candidates) to FILE.
    #[arg(long, value_name = "FILE")]
    pub details: Option<PathBuf>,
    /// Use this saved confidence model (from `wenda calibrate`) instead of the knowledge
    /// base's own.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let queries = read_queries(&args.queries).map_err(missing_as(
        "--queries: a JSON Lines file of labelled questions",
    ))?;
    let kb = KnowledgeBase::load(&args.kb.kb)?;
    let model = args
        .model
        .as_ref()
        .map(ConfidenceModel::load)
        .transpose()
        .map_err(missing_as(
            "--model: a model file written by `wenda calibrate`",
        ))?;
    let bot = build_with(kb, |b| match model {
        Some(m) => b.model(m),
        None => b,
    })?;
    let bar = ProgressBar::new(queries.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} queries {elapsed} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let result = evaluate(&bot, &queries, &move |done, _| {
        progress.set_position(done as u64)
    });
    bar.finish_and_clear();
    let (mut report, details) = result?;
    report.knowledge.path = Some(args.kb.kb.display().to_string());
    report.queries.path = Some(args.queries.display().to_string());
    if let Some(file) = &args.model {
        report.model.file = Some(file.display().to_string());
    }
    if let Some(path) = &args.details {
        let mut out = String::new();
        for d in &details {
            out.push_str(&serde_json::to_string(d).unwrap_or_default());
            out.push('\n');
        }
        std::fs::write(path, out)
            .map_err(|e| Error::io(path, e))
            .map_err(missing_as("--details: its folder must exist"))?;
    }
    let mut stdout = std::io::stdout().lock();
    let text = if args.json {
        serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
    } else {
        human(&report)
    };
    stdout
        .write_all(text.as_bytes())
        .map_err(super::out::stdout_error)?;
    Ok(ExitCode::SUCCESS)
}

fn human(r: &Report) -> String {
    let opt = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.3}"));
    let a = &r.automation;
    let mut s = String::new();
    let mut line = |k: &str, v: String| s.push_str(&format!("{k:<24}{v}\n"));
    line(
        "knowledge base",
        format!(
            "{} ({} entries, {} question variants)",
            r.knowledge.path.as_deref().unwrap_or("-"),
            r.knowledge.entries,
            r.knowledge.variants
        ),
    );
    line(
        "queries",
        format!(
            "{} ({} in the KB, {} not)",
            r.queries.path.as_deref().unwrap_or("-"),
            r.queries.in_kb,
            r.queries.out_of_kb
        ),
    );
    line(
        "confidence model",
        match (&r.model.file, r.model.stale) {
            (Some(f), false) => format!("{} (read from {f})", r.model.description),
            (Some(f), true) => format!(
                "{} (read from {f}; STALE: fitted on another version of the knowledge base, run `wenda calibrate`)",
                r.model.description
            ),
            (None, _) => r.model.description.clone(),
        },
    );
    line("top-1", format!("{:.3}", r.ranking.top1));
    line("MRR@10", format!("{:.3}", r.ranking.mrr_at_10));
    line("recall@5", format!("{:.3}", r.ranking.recall_at_5));
    line(
        "expected entry scored",
        format!("{:.3} of in-KB queries", r.ranking.scored_recall),
    );
    let m = &r.misses;
    line(
        "misses",
        format!(
            "{} in-KB queries: {} not scored, {} worded closer to another entry, {} ranked lower",
            m.total, m.not_scored, m.worded_closer_elsewhere, m.ranked_lower
        ),
    );
    line("AUROC in-vs-out", opt(r.confidence.auroc));
    line(
        "ECE",
        format!("{:.3} ({} bins)", r.confidence.ece, r.confidence.ece_bins),
    );
    line(
        "decisions",
        r.decisions
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    line(
        "answer precision",
        format!(
            "{} at answer threshold {}",
            opt(r.answer_precision),
            r.thresholds.answer
        ),
    );
    line("out-of-KB queries answered", opt(r.out_of_kb_answered));
    line(
        &format!("automation @{:.0}%", a.target_precision * 100.0),
        match a.threshold {
            Some(t) => format!(
                "{:.3} of all queries ({} answered, precision {}) at threshold {t:.3}",
                a.rate,
                a.answered,
                opt(a.precision)
            ),
            None => "0 (no threshold reaches the precision)".to_string(),
        },
    );
    line(
        "ask latency",
        format!("p50 {} µs, p99 {} µs", r.latency_us.p50, r.latency_us.p99),
    );
    s
}
