//! `wenda feedback` and `wenda hot`: reports over the query log.

use std::path::PathBuf;
use std::process::ExitCode;

use wenda::Error;
use wenda::logbook::{LogRead, feedback_report, hot_report, parse_since, read_log};

/// `--log` and `--since`, shared by the log reports.
#[derive(clap::Args, Debug)]
pub struct LogArgs {
    /// The query log (JSON Lines written by `serve --log` / `chat --log`).
    #[arg(long, value_name = "FILE")]
    pub log: PathBuf,
    /// Only events from then on: a duration back from now (30m, 24h, 7d) or a date (2025-01-31).
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    pub since: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reads the log, saying on standard error how many bad lines were skipped.
pub fn read(args: &LogArgs) -> Result<LogRead, Error> {
    let read = read_log(&args.log, args.since)?;
    if read.bad_lines > 0 {
        let (line, why) = read.bad_examples.first().cloned().unwrap_or_default();
        errln!(
            "wenda: {}: skipped {} line(s) that are not log events (first at line {line}: {why})",
            args.log.display(),
            read.bad_lines
        );
    }
    Ok(read)
}

/// Per entry: helpful and not-helpful counts, and comments.
#[derive(clap::Args, Debug)]
pub struct FeedbackArgs {
    #[command(flatten)]
    pub log: LogArgs,
}

pub fn feedback(args: FeedbackArgs) -> Result<ExitCode, Error> {
    let read = read(&args.log)?;
    let report = feedback_report(&read.events);
    if args.log.json {
        outln!(
            "{}",
            serde_json::json!({"entries": report.entries, "unmatched": report.unmatched, "bad_lines": read.bad_lines})
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{:<32} {:>7} {:>11}  comments",
        "entry",
        "helpful",
        "not helpful"
    )?;
    for e in &report.entries {
        outln!(
            "{:<32} {:>7} {:>11}  {}",
            e.entry_id,
            e.helpful,
            e.not_helpful,
            e.comments.join(" | ")
        )?;
    }
    if report.unmatched > 0 {
        outln!(
            "{} feedback event(s) on replies the log does not hold",
            report.unmatched
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The most answered entries and the most asked questions.
#[derive(clap::Args, Debug)]
pub struct HotArgs {
    #[command(flatten)]
    pub log: LogArgs,
    /// At most this many of each.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
}

pub fn hot(args: HotArgs) -> Result<ExitCode, Error> {
    let read = read(&args.log)?;
    let report = hot_report(&read.events, args.limit);
    if args.log.json {
        let mut v = serde_json::to_value(&report).unwrap_or_default();
        v["bad_lines"] = read.bad_lines.into();
        outln!("{v}")?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{} replies", report.replies)?;
    outln!("\nmost answered entries:")?;
    for c in &report.entries {
        outln!("{:>6}  {}", c.count, c.key)?;
    }
    outln!("\nmost asked questions:")?;
    for c in &report.questions {
        outln!("{:>6}  {}", c.count, c.key)?;
    }
    Ok(ExitCode::SUCCESS)
}
