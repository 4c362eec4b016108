//! Options shared by the subcommands: where the knowledge base is, and building the bot.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use wenda::{Bot, BotBuilder, Channel, Error, KnowledgeBase};

/// `--kb`: a knowledge directory or one FAQ file.
#[derive(clap::Args, Debug, Clone)]
pub struct KbArg {
    /// Knowledge directory, or a .toml, .jsonl or .csv FAQ file.
    #[arg(long, value_name = "DIR|FILE", default_value = "knowledge")]
    pub kb: PathBuf,
}

/// `--channel`.
pub fn parse_channel(s: &str) -> Result<Channel, String> {
    s.parse()
}

/// Loads and validates the knowledge base.
pub fn load(arg: &KbArg) -> Result<KnowledgeBase, Error> {
    KnowledgeBase::load(&arg.kb)
}

/// Loads the knowledge base and builds the bot, with a progress bar on a terminal.
pub fn build(arg: &KbArg) -> Result<Bot, Error> {
    build_with(load(arg)?, |b| b)
}

/// Builds the bot after `customize` has set builder options, with a progress bar on a
/// terminal.
pub fn build_with(
    kb: KnowledgeBase,
    customize: impl FnOnce(BotBuilder) -> BotBuilder,
) -> Result<Bot, Error> {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} building index: {msg} {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let progress = bar.clone();
    let bot = customize(Bot::builder(kb))
        .on_progress(move |p| {
            progress.set_message(p.stage.label());
            progress.set_length(p.total as u64);
            progress.set_position(p.done as u64);
        })
        .build();
    bar.finish_and_clear();
    bot
}

/// Names what a missing file was for, so that the message does not point at `--kb`.
pub fn missing_as(what: &str) -> impl FnOnce(Error) -> Error + '_ {
    move |e| match e {
        Error::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            Error::Config(format!("{} does not exist ({what})", path.display()))
        }
        other => other,
    }
}

/// Prints an error for a person and picks the exit status.
pub fn report_error(e: &Error) -> ExitCode {
    match e {
        Error::Knowledge(problems) => {
            for p in problems.all() {
                eprintln!("{p}");
            }
            let errors = problems.errors().count();
            let warnings = problems.len() - errors;
            eprintln!(
                "the knowledge base has {errors} error(s) and {warnings} warning(s); fix the errors and run `wenda check` again"
            );
            ExitCode::from(1)
        }
        Error::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "error: {} does not exist (use --kb to point at a knowledge directory or a .toml, .jsonl or .csv FAQ file)",
                path.display()
            );
            ExitCode::from(2)
        }
        other => {
            eprintln!("error: {other}");
            ExitCode::from(2)
        }
    }
}
