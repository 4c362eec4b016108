//! `wenda gaps`: what customers asked that the knowledge base lacks, from the query log.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use wenda::Error;
use wenda::gaps::{Cluster, GapOptions, GapReport, Proposal, find_gaps};

use super::kb::{self, IndexedKbArg};
use super::logreport::{LogArgs, read};

/// The unanswered, rejected and unhelpful questions of the log, clustered, each cluster
/// with a proposal: similar questions of an entry, or a new entry. Nothing is changed.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: IndexedKbArg,
    #[command(flatten)]
    pub log: LogArgs,
    /// Print the clusters as CSV (one row per question).
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Also write every question as labelled queries (JSON Lines for `eval` / `calibrate`):
    /// `expected` is the proposed entry, or empty for a new entry (fill it in).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Least cosine between a question and a cluster for it to join (0–1; higher: more,
    /// purer clusters).
    #[arg(long, default_value_t = GapOptions::default().similarity)]
    pub similarity: f64,
    /// Least mean confidence to propose adding a cluster to an entry (a probability:
    /// lower proposes more, and more of them wrong).
    #[arg(long, value_name = "P", default_value_t = GapOptions::default().min_confidence)]
    pub min_confidence: f64,
    /// Clusters shown in the table (all in --json, --csv and --out).
    #[arg(long, default_value_t = 30)]
    pub limit: usize,
}

fn proposal_text(c: &Cluster) -> String {
    match &c.proposal {
        Proposal::AddToEntry {
            entry_id,
            question,
            confidence,
        } => format!("add to {entry_id} 「{question}」 ({confidence:.2})"),
        Proposal::NewEntry => match &c.nearest {
            Some((id, conf)) => format!("new entry (nearest {id}, {conf:.2})"),
            None => "new entry".to_string(),
        },
    }
}

fn write_labelled(path: &PathBuf, report: &GapReport) -> Result<(), Error> {
    let mut text = Vec::new();
    let mut n = 0;
    for (i, c) in report.clusters.iter().enumerate() {
        let (expected, action) = match &c.proposal {
            Proposal::AddToEntry { entry_id, .. } => (entry_id.as_str(), "add_to_entry"),
            Proposal::NewEntry => ("", "new_entry"),
        };
        for q in &c.questions {
            let line = serde_json::json!({"query": q, "expected": expected, "cluster": i + 1, "proposal": action});
            let _infallible = writeln!(text, "{line}");
            n += 1;
        }
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))?;
    errln!(
        "wenda: wrote {n} question(s) to {}; fill in the empty `expected` ids (or null), then use it with `eval --queries` / `calibrate --queries`",
        path.display()
    );
    Ok(())
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    for (name, v) in [
        ("--similarity", args.similarity),
        ("--min-confidence", args.min_confidence),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::Config(format!("{name} {v} must be between 0 and 1")));
        }
    }
    let events = read(&args.log)?.events;
    let bot = kb::bot(&args.kb)?;
    let options = GapOptions {
        similarity: args.similarity,
        min_confidence: args.min_confidence,
        ..GapOptions::default()
    };
    let bar = kb::count_progress("gaps");
    let progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let report = find_gaps(&bot, &events, &options, &progress);
    bar.finish_and_clear();
    if let Some(path) = &args.out {
        write_labelled(path, &report)?;
    }
    if args.log.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "cluster",
            "cluster_count",
            "proposal",
            "entry_id",
            "confidence",
            "question",
        ];
        let mut rows: Vec<Vec<String>> = Vec::new();
        for (i, c) in report.clusters.iter().enumerate() {
            let (action, id, conf) = match &c.proposal {
                Proposal::AddToEntry {
                    entry_id,
                    confidence,
                    ..
                } => ("add_to_entry", entry_id.clone(), format!("{confidence:.4}")),
                Proposal::NewEntry => ("new_entry", String::new(), String::new()),
            };
            for q in &c.questions {
                rows.push(vec![
                    (i + 1).to_string(),
                    c.count.to_string(),
                    action.to_string(),
                    id.clone(),
                    conf.clone(),
                    q.clone(),
                ]);
            }
        }
        let written = w
            .write_record(header)
            .and_then(|()| rows.iter().try_for_each(|r| w.write_record(r)));
        let bytes = written
            .map_err(|e| Error::io("<stdout>", std::io::Error::other(e)))
            .and_then(|()| {
                w.into_inner()
                    .map_err(|e| Error::io("<stdout>", std::io::Error::other(e.to_string())))
            })?;
        out!("{}", String::from_utf8_lossy(&bytes))?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{} replies, {} gap(s) in {} distinct question(s), {} cluster(s)",
        report.replies,
        report.gap_events,
        report.questions,
        report.clusters.len()
    )?;
    if report.clusters.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    outln!("\n{:>3} {:>6}  {:<44}  examples", "#", "count", "proposal")?;
    for (i, c) in report.clusters.iter().take(args.limit).enumerate() {
        outln!(
            "{:>3} {:>6}  {:<44}  {}",
            i + 1,
            c.count,
            proposal_text(c),
            c.examples.join(" | ")
        )?;
    }
    if report.clusters.len() > args.limit {
        outln!(
            "… {} more cluster(s) (--limit, --json, --csv or --out for all)",
            report.clusters.len() - args.limit
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
