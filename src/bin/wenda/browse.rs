//! `wenda browse [CATEGORY]`: the category tree with counts, then a category's entries.

use std::process::ExitCode;

use wenda::knowledge::browse::{category_tree, entries_under};
use wenda::{Error, KnowledgeBase};

use super::kb::KbArg;

/// The category tree with entry counts; with a category, also its entries.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A category path (`车险/报案与理赔`): show it, what is under it, and its entries.
    pub category: Option<String>,
    #[command(flatten)]
    pub kb: KbArg,
    /// Print the tree (and entries) as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let kb = KnowledgeBase::load_without_model(&args.kb.kb)?;
    let tree = category_tree(&kb, args.category.as_deref());
    if tree.is_empty() {
        let name = args.category.unwrap_or_default();
        return Err(Error::InvalidRequest(format!(
            "no category \"{name}\" (run `wenda browse` for the list)"
        )));
    }
    let entries = args
        .category
        .as_deref()
        .map(|c| entries_under(&kb, c))
        .unwrap_or_default();
    if args.json {
        let entries: Vec<serde_json::Value> = entries
            .iter()
            .map(
                |e| serde_json::json!({"id": e.id, "question": e.question, "category": e.category}),
            )
            .collect();
        outln!(
            "{}",
            serde_json::json!({ "categories": tree, "entries": entries })
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for n in &tree {
        outln!("{}{}  ({})", "  ".repeat(n.depth), n.name, n.entries)?;
    }
    if !entries.is_empty() {
        outln!()?;
        for e in entries {
            outln!("[{}] {}  {}", e.id, e.category, e.question)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
