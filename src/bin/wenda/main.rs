//! `wenda`: the command-line tool for knowledge curators.
//!
//! Exit status: 0 on success (also when the reader of standard output goes away, as with
//! `| head`), 1 when the knowledge base has errors a curator must fix (or no entries),
//! 2 for any other failure (unreadable files, bad options or option files such as a
//! stale `--model` or an unusable `--index`, internal errors).

// First, so that its macros are in scope in the other modules.
#[macro_use]
mod out;

mod ask;
mod bench;
mod browse;
mod build;
mod calibrate;
mod chat;
mod check;
mod eval;
mod export;
mod gaps;
mod init;
mod kb;
mod logreport;
mod render;
mod search;
#[cfg(feature = "serve")]
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// wenda (问答): answers customer questions from an FAQ knowledge base, with a calibrated
/// confidence, and hands over to a human when it should not answer.
#[derive(Parser)]
#[command(name = "wenda", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer one question.
    Ask(ask::Args),
    /// Measure latency, throughput, build and open time, and memory.
    Bench(bench::Args),
    /// Build the index and save it, so that later commands start without re-indexing.
    Build(build::Args),
    /// Validate the knowledge base and list every problem.
    Check(check::Args),
    /// Hold a conversation: messages read line by line from standard input.
    Chat(chat::Args),
    /// Serve JSON over HTTP (ask, feedback, reload, health).
    #[cfg(feature = "serve")]
    Serve(serve::Args),
    /// Measure answer quality on a file of labelled questions.
    Eval(eval::Args),
    /// Fit the confidence model and save it.
    Calibrate(calibrate::Args),
    /// Per entry: helpful / not helpful counts and comments, from the query log.
    Feedback(logreport::FeedbackArgs),
    /// The most answered entries and most asked questions, from the query log.
    Hot(logreport::HotArgs),
    /// What customers asked that the FAQ lacks, from the query log: clusters with proposals.
    Gaps(gaps::Args),
    /// Keyword search over questions and answers, ranked.
    Search(search::Args),
    /// The category tree with counts; with a category, its entries.
    Browse(browse::Args),
    /// Write the FAQ entries as xlsx, csv, jsonl or toml.
    Export(export::Args),
    /// Start a new knowledge directory with a commented template of every file.
    Init(init::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ask(args) => ask::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Build(args) => build::run(args),
        Command::Check(args) => check::run(args),
        Command::Chat(args) => chat::run(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Init(args) => init::run(args),
        Command::Export(args) => export::run(args),
        Command::Search(args) => search::run(args),
        Command::Feedback(args) => logreport::feedback(args),
        Command::Hot(args) => logreport::hot(args),
        Command::Gaps(args) => gaps::run(args),
        Command::Browse(args) => browse::run(args),
    };
    match result.and_then(|code| out::flush().map(|()| code)) {
        Ok(code) => code,
        // The reader went away (`| head`): it has what it wanted.
        Err(e) if out::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => kb::report_error(&e),
    }
}
