//! `wenda export`: write the knowledge base's entries as xlsx, csv, jsonl or toml.

use std::path::PathBuf;
use std::process::ExitCode;

use wenda::knowledge::export::{ExportFormat, export};
use wenda::{Error, KnowledgeBase};

use super::kb::KbArg;

/// Write the FAQ entries as a spreadsheet, CSV, JSON Lines or TOML (loads back the same).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: KbArg,
    /// xlsx, csv, jsonl or toml.
    #[arg(long, value_name = "FORMAT")]
    pub format: ExportFormat,
    /// The file to write [default: standard output; required for xlsx].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print a summary of what was written as JSON (with --out).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let kb = KnowledgeBase::load(&args.kb.kb)?;
    let bytes = export(kb.entries(), args.format)?;
    match &args.out {
        Some(out) => {
            if let Some(dir) = kb.path().filter(|p| p.is_dir())
                && out
                    .canonicalize()
                    .ok()
                    .or_else(|| std::path::absolute(out).ok())
                    .is_some_and(|o| dir.canonicalize().is_ok_and(|d| o.starts_with(d)))
            {
                errln!(
                    "wenda: note: {} is inside the knowledge directory: it will be loaded as FAQ entries too (duplicate ids)",
                    out.display()
                );
            }
            std::fs::write(out, &bytes).map_err(|e| Error::io(out, e))?;
            if args.json {
                outln!(
                    "{}",
                    serde_json::json!({"out": out.display().to_string(), "format": args.format.to_string(), "entries": kb.len(), "bytes": bytes.len()})
                )?;
            } else {
                outln!(
                    "wrote {} entries to {} ({})",
                    kb.len(),
                    out.display(),
                    args.format
                )?;
            }
        }
        None if args.format == ExportFormat::Xlsx => {
            return Err(Error::Config(
                "--format xlsx needs --out FILE (a workbook is not text)".to_string(),
            ));
        }
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .lock()
                .write_all(&bytes)
                .map_err(super::out::stdout_error)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
