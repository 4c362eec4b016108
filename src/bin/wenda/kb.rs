//! Options shared by the subcommands: where the knowledge base is, and building the bot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use wenda::{Bot, BotBuilder, Channel, Error, IndexOrigin, KnowledgeBase, Progress};

/// `--kb`: a knowledge directory or one FAQ file.
#[derive(clap::Args, Debug, Clone)]
pub struct KbArg {
    /// Knowledge directory, or a .toml, .jsonl, .csv or .xlsx FAQ file.
    #[arg(long, value_name = "DIR|FILE", default_value = "knowledge")]
    pub kb: PathBuf,
}

/// `--kb` plus `--index`: where the saved index of the knowledge base lives.
#[derive(clap::Args, Debug, Clone)]
pub struct IndexedKbArg {
    #[command(flatten)]
    pub kb: KbArg,
    /// Saved index to reuse, or to (re)build and save when it does not match the knowledge
    /// base [default: KB/.wenda-index for a directory, .wenda-index/FILE beside a file].
    #[arg(long, value_name = "DIR")]
    pub index: Option<PathBuf>,
}

impl IndexedKbArg {
    /// The index directory: `--index`, or the default beside the knowledge base.
    pub fn index_dir(&self) -> PathBuf {
        self.index
            .clone()
            .unwrap_or_else(|| default_index_dir(&self.kb.kb))
    }
}

/// Where `wenda build` saves, and `ask`/`chat` look for, a knowledge base's index.
pub fn default_index_dir(kb: &Path) -> PathBuf {
    if kb.is_dir() {
        return kb.join(".wenda-index");
    }
    let name = kb.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    let parent = kb.parent().unwrap_or(Path::new(""));
    parent.join(".wenda-index").join(name)
}

/// A progress bar on standard error for a build (hidden when it is not a terminal).
pub fn build_progress() -> (ProgressBar, impl Fn(Progress) + Send + Sync + 'static) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<13} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let progress = bar.clone();
    let update = move |p: Progress| {
        progress.set_message(p.stage.label());
        progress.set_length(p.total as u64);
        progress.set_position(p.done as u64);
    };
    (bar, update)
}

/// A progress bar on standard error for `done / total` work (hidden when it is not a
/// terminal).
pub fn count_progress(label: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {label:<13} [{{bar:30}}] {{pos}}/{{len}} ({{elapsed}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// Loads the knowledge base and opens its saved index, or builds (and saves) it when the
/// index is missing or out of date, saying so on standard error.
pub fn bot(arg: &IndexedKbArg) -> Result<Bot, Error> {
    let kb = load(&arg.kb)?;
    let dir = arg.index_dir();
    let (bar, update) = build_progress();
    let result = Bot::builder(kb).on_progress(update).build_or_open(&dir);
    bar.finish_and_clear();
    let (bot, origin) = result?;
    match origin {
        IndexOrigin::Opened => {}
        IndexOrigin::Built { reason } => {
            errln!(
                "wenda: {reason}; built and saved the index in {}",
                dir.display()
            );
        }
        IndexOrigin::BuiltUnsaved { reason, error } => {
            errln!("wenda: {reason}; built the index, but could not save it: {error}");
        }
        other => errln!("wenda: {other:?}"),
    }
    Ok(bot)
}

/// `--channel`.
pub fn parse_channel(s: &str) -> Result<Channel, String> {
    s.parse()
}

/// Refuses a query-log path inside the knowledge directory: the log is JSON Lines and
/// would be read back as FAQ entries on the next load or reload.
pub fn check_log_path(kb: &KbArg, log: &std::path::Path) -> Result<(), Error> {
    let dir = std::fs::canonicalize(&kb.kb).unwrap_or_else(|_| kb.kb.clone());
    let parent = log
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    if dir.is_dir() && parent.starts_with(&dir) {
        return Err(Error::Config(format!(
            "--log {} is inside the knowledge directory {}; it would be read as FAQ entries. Put the log elsewhere",
            log.display(),
            kb.kb.display()
        )));
    }
    Ok(())
}

/// Loads and validates the knowledge base.
pub fn load(arg: &KbArg) -> Result<KnowledgeBase, Error> {
    KnowledgeBase::load(&arg.kb)
}

/// Builds the bot after `customize` has set builder options (nothing saved), with a
/// progress bar on a terminal.
pub fn build_with(
    kb: KnowledgeBase,
    customize: impl FnOnce(BotBuilder) -> BotBuilder,
) -> Result<Bot, Error> {
    let (bar, update) = build_progress();
    let bot = customize(Bot::builder(kb)).on_progress(update).build();
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
                errln!("{p}");
            }
            let errors = problems.errors().count();
            let warnings = problems.len() - errors;
            errln!(
                "the knowledge base has {errors} error(s) and {warnings} warning(s); fix the errors and run `wenda check` again"
            );
            ExitCode::from(1)
        }
        // Curator-fixable, like the problems above (a loaded knowledge base reports no
        // entries as a problem; this is the same, from a knowledge base made in code).
        Error::EmptyKnowledgeBase => {
            errln!("error: {e}; add FAQ entries and run `wenda check` again");
            ExitCode::from(1)
        }
        Error::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
            errln!(
                "error: {} does not exist (use --kb to point at a knowledge directory or a .toml, .jsonl or .csv FAQ file)",
                path.display()
            );
            ExitCode::from(2)
        }
        other => {
            errln!("error: {other}");
            ExitCode::from(2)
        }
    }
}
