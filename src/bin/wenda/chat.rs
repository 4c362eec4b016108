//! `wenda chat`: a conversation, one message per line of standard input.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use wenda::querylog::{JsonlLog, LogEvent, QueryLog, Recorder};
use wenda::{Channel, Customer, Error};

use super::kb::{IndexedKbArg, bot, check_log_path, parse_channel};
use super::out::stdout_error;
use super::render;

/// Hold a conversation: messages read line by line from standard input (Ctrl-D ends).
/// A line `/new` starts a new conversation. A line that is not valid UTF-8 is reported
/// (on standard error, and with `--json` as a line `{"error": …, "line": n}`) and skipped.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: IndexedKbArg,
    /// Print one JSON reply per line (JSON Lines) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Render answers for this channel: web, wechat, app, sms, voice.
    #[arg(long, value_parser = parse_channel)]
    pub channel: Option<Channel>,
    /// The customer's tier, as configured in wenda.toml (`[tiers.vip]`).
    #[arg(long)]
    pub tier: Option<String>,
    /// The customer's id (carried into handoffs and the log).
    #[arg(long)]
    pub customer: Option<String>,
    /// Append the query log (personal data masked) to this JSON Lines file.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    if let Some(log) = &args.log {
        check_log_path(&args.kb.kb, log)?;
    }
    let bot = bot(&args.kb)?;
    let log: Option<Arc<dyn QueryLog>> = match &args.log {
        Some(p) => Some(Arc::new(JsonlLog::open(p)?)),
        None => None,
    };
    let recorder = Recorder::new(log);
    let customer = Customer {
        id: args.customer.clone(),
        tier: args.tier.clone(),
        channel: args.channel,
    };
    if let Some(t) = &args.tier
        && !bot.config().tiers.contains_key(t)
    {
        errln!("warning: tier \"{t}\" is not configured in wenda.toml; the general policy applies");
    }
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut out = std::io::stdout().lock();
    let prompt = || {
        if interactive {
            err!("> ");
        }
    };
    if interactive {
        errln!(
            "wenda chat: {} entries loaded. Type a message; /new starts a new conversation; Ctrl-D to quit.",
            bot.knowledge().len()
        );
    }
    let mut conversation_id = wenda::conversation_id();
    let mut chat = bot.conversation_with(customer.clone());
    prompt();
    let mut input = stdin.lock();
    let mut raw = Vec::new();
    let mut number = 0u64;
    loop {
        raw.clear();
        let read = input
            .read_until(b'\n', &mut raw)
            .map_err(|e| Error::io("<stdin>", e))?;
        if read == 0 {
            break;
        }
        number += 1;
        if raw.last() == Some(&b'\n') {
            raw.pop();
            if raw.last() == Some(&b'\r') {
                raw.pop();
            }
        }
        // A line that is not UTF-8 is reported and skipped; the conversation goes on.
        let line = match std::str::from_utf8(&raw) {
            Ok(line) => line.to_string(),
            Err(e) => {
                let problem = format!(
                    "line {number} is not valid UTF-8 (at byte {}); skipped",
                    e.valid_up_to()
                );
                errln!("warning: {problem}");
                if args.json {
                    let value = serde_json::json!({ "error": problem, "line": number });
                    writeln!(out, "{value}")
                        .and_then(|()| out.flush())
                        .map_err(stdout_error)?;
                }
                prompt();
                continue;
            }
        };
        if line.trim() == "/new" {
            conversation_id = wenda::conversation_id();
            chat = bot.conversation_with(customer.clone());
            if !args.json {
                writeln!(out, "--- new conversation ---").map_err(stdout_error)?;
            }
            prompt();
            continue;
        }
        let reply = chat.ask(&line);
        recorder.record(&LogEvent::reply(&reply, Some(&conversation_id), &customer));
        let text = if args.json {
            format!("{}\n", render::json_line(&reply))
        } else if interactive {
            format!("{}\n", render::reply(&reply))
        } else {
            // Piped: echo the message so that the output reads as a transcript.
            format!("> {line}\n{}\n", render::reply(&reply))
        };
        // A reader gone away (for example `| head`) ends the chat quietly, in `main`.
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(stdout_error)?;
        prompt();
    }
    if recorder.failures() > 0 {
        errln!(
            "warning: {} log event(s) could not be written: {}",
            recorder.failures(),
            recorder.last_error().unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
