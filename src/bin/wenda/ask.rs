//! `wenda ask "问题"`.

use std::process::ExitCode;

use wenda::{AskOptions, Channel, Error};

use super::kb::{IndexedKbArg, bot, parse_channel};
use super::render;

/// Answer one question.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The customer's question.
    pub question: String,
    #[command(flatten)]
    pub kb: IndexedKbArg,
    /// Print the reply as JSON (the stable format documented in the README).
    #[arg(long)]
    pub json: bool,
    /// Also show every candidate with the features behind its confidence.
    #[arg(long)]
    pub explain: bool,
    /// Render the answer for this channel: web, wechat, app, sms, voice.
    #[arg(long, value_parser = parse_channel)]
    pub channel: Option<Channel>,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let bot = bot(&args.kb)?;
    let reply = bot.ask_with(
        &args.question,
        AskOptions {
            channel: args.channel,
            ..AskOptions::default()
        },
    );
    if args.json {
        outln!("{}", render::json_pretty(&reply))?;
    } else {
        out!("{}", render::reply(&reply))?;
        if args.explain {
            out!("{}", render::explain(&bot, &reply))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
