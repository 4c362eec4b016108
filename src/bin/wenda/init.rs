//! `wenda init DIR`: start a new knowledge directory from commented templates.

use std::path::PathBuf;
use std::process::ExitCode;

use wenda::Error;
use wenda::knowledge::init::init_dir;

/// Start a new knowledge directory with a commented template of every file.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The directory to create (or an empty one).
    pub dir: PathBuf,
    /// Print the files written as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let written = init_dir(&args.dir)?;
    let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    if args.json {
        outln!("{}", serde_json::json!({ "written": names }))?;
    } else {
        for n in &names {
            outln!("wrote {n}")?;
        }
        outln!(
            "next: put your FAQ in {dir} (.toml, .csv, .xlsx or .jsonl), then `wenda check --kb {dir}`",
            dir = args.dir.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
