//! `wenda chat`: one reply per line of standard input.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use wenda::{AskOptions, Channel, Error};

use super::kb::{KbArg, build, parse_channel};
use super::render;

/// Answer questions read line by line from standard input (Ctrl-D ends).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: KbArg,
    /// Print one JSON reply per line (JSON Lines) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Render answers for this channel: web, wechat, app, sms, voice.
    #[arg(long, value_parser = parse_channel)]
    pub channel: Option<Channel>,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let bot = build(&args.kb)?;
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let options = AskOptions {
        channel: args.channel,
        ..AskOptions::default()
    };
    let mut out = std::io::stdout().lock();
    let prompt = || {
        if interactive {
            eprint!("> ");
            let _ = std::io::stderr().flush();
        }
    };
    if interactive {
        eprintln!(
            "wenda chat: {} entries loaded. Type a question; Ctrl-D to quit.",
            bot.knowledge().len()
        );
    }
    prompt();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| Error::io("<stdin>", e))?;
        let reply = bot.ask_with(&line, options);
        let text = if args.json {
            format!("{}\n", render::json_line(&reply))
        } else {
            render::reply(&reply)
        };
        if out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            // The reader went away (for example `| head`): stop quietly.
            return Ok(ExitCode::SUCCESS);
        }
        prompt();
    }
    Ok(ExitCode::SUCCESS)
}
