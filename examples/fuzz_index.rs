//! The long run of the damaged-index fuzz test: `cargo run --release --example fuzz_index
//! -- [CASES] [SEED]` (default 10,000 cases) mutates a small saved HNSW index of
//! `tests/fixtures/mini-kb` (manifest rewritten to match each time) and reports how many
//! opened, how many were refused and every panic. Exit status 1 when anything panicked.

use wenda::config::VectorSearch;
use wenda::{Bot, KnowledgeBase};

#[path = "../tests/support/index_fuzz.rs"]
mod index_fuzz;

fn main() -> Result<std::process::ExitCode, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cases: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let seed: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1);
    let kb = KnowledgeBase::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mini-kb"
    ))?;
    let mut config = kb.config().clone();
    config.retrieval.vector_search = VectorSearch::Hnsw;
    let bot = Bot::build(kb.with_config(config)?)?;
    let dir = tempfile::tempdir()?;
    bot.save(dir.path())?;
    // Panics are counted, not printed.
    std::panic::set_hook(Box::new(|_| {}));
    let started = std::time::Instant::now();
    let out = index_fuzz::run(
        dir.path(),
        cases,
        seed,
        &["流量不够用怎么办", "怎么改套餐", "你好"],
    );
    println!(
        "{} cases in {:.1} s: {} opened, {} refused, {} panics",
        out.cases,
        started.elapsed().as_secs_f64(),
        out.opened,
        out.refused,
        out.panics.len()
    );
    for p in &out.panics {
        println!("panic: {p}");
    }
    Ok(if out.panics.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
