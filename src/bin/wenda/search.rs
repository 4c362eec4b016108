//! `wenda search "词"`: keyword search over questions and answers.

use std::process::ExitCode;

use wenda::knowledge::search::search;
use wenda::text::Analyzer;
use wenda::{Error, KnowledgeBase};

use super::kb::KbArg;

/// Keyword search over questions and answers, ranked (BM25; questions count twice).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The words to look for.
    pub query: String,
    #[command(flatten)]
    pub kb: KbArg,
    /// At most this many hits.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print the hits as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let kb = KnowledgeBase::load_without_model(&args.kb.kb)?;
    let analyzer = Analyzer::new(kb.lexicon());
    let hits = search(&kb, &analyzer, &args.query, args.limit);
    if args.json {
        outln!(
            "{}",
            serde_json::json!({ "query": args.query, "hits": hits })
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        outln!("no entry contains {:?}", args.query)?;
    }
    for h in &hits {
        outln!(
            "{:>6.2}  [{}] {}  {}  (in {})",
            h.score,
            h.entry_id,
            h.category,
            h.question,
            h.matched_in.join(", ")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
