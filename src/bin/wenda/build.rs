//! `wenda build`: build the index and save it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use wenda::{Bot, Error};

use super::kb::{KbArg, build_progress, default_index_dir, load};

/// Build the index of the knowledge base and save it, replacing the old one atomically.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: KbArg,
    /// Where to save the index [default: KB/.wenda-index for a directory, .wenda-index/FILE
    /// beside a file]; `ask`, `chat` and `serve` look there.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the saved index's manifest as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let out = args.out.unwrap_or_else(|| default_index_dir(&args.kb.kb));
    let kb = load(&args.kb)?;
    let (bar, update) = build_progress();
    if args.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    let built = Bot::builder(kb).on_progress(update).build();
    bar.finish_and_clear();
    let bot = built?;
    let build_time = started.elapsed();
    let started = Instant::now();
    let manifest = bot.save(&out)?;
    let save_time = started.elapsed();
    if args.json {
        // The manifest, and the confidence model with the evidence it was fitted on.
        let mut value = serde_json::to_value(&manifest).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "model".into(),
                serde_json::json!({
                    "origin": bot.model().origin,
                    "description": bot.model().describe(),
                }),
            );
        }
        outln!(
            "{}",
            serde_json::to_string_pretty(&value)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let bytes: u64 = manifest.files.values().map(|f| f.bytes).sum();
    outln!(
        "saved {}: {} entries, {} question variants, embedder {}, vector search {}",
        out.display(),
        manifest.entries,
        manifest.variants,
        manifest.embedder,
        if manifest.hnsw { "hnsw" } else { "exact" }
    )?;
    outln!("confidence model: {}", bot.model().describe())?;
    outln!(
        "build {:.2} s, save {:.2} s, {:.1} MB in {} files",
        build_time.as_secs_f64(),
        save_time.as_secs_f64(),
        bytes as f64 / 1e6,
        manifest.files.len()
    )?;
    Ok(ExitCode::SUCCESS)
}
