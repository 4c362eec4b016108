//! `wenda serve`: the HTTP service (see `wenda::http` for the endpoints).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use wenda::http::{
    ApiKeys, ConnectionLimits, DEFAULT_KB, HttpOptions, RateLimit, serve_with, shutdown_signal,
};
use wenda::querylog::JsonlLog;
use wenda::{Bot, Error, KnowledgeBase, Service};

use super::kb::{IndexedKbArg, KbArg, bot, check_log_path, default_index_dir};

/// Serve JSON over HTTP: POST /ask, POST /feedback, POST /reload, GET /health.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Knowledge directory, or a .toml, .jsonl, .csv or .xlsx FAQ file. Repeat it as
    /// `--kb NAME=DIR` to serve several knowledge bases, each at /kbs/NAME/ask (and
    /// /kbs/NAME/feedback, /reload, /health) with its own index, reload, log and
    /// conversations; the first is also served at /ask. [default: knowledge]
    #[arg(long = "kb", value_name = "[NAME=]DIR|FILE")]
    pub kbs: Vec<String>,
    /// Serve this saved index (from `wenda build --out DIR`) instead of a knowledge base;
    /// a reload opens the index's newest generation. Replicas can share one index.
    /// Repeat it as `--index NAME=DIR` for several. Without it, the knowledge base's
    /// index (KB/.wenda-index) is reused when it matches and rebuilt when it does not, at
    /// start and on reload.
    #[arg(long = "index", value_name = "[NAME=]DIR", conflicts_with = "kbs")]
    pub indexes: Vec<String>,
    /// Where conversations are kept: `memory` (this process; the default) or a Redis URL,
    /// `redis://HOST:PORT/DB`, shared by every replica given the same URL (turns are
    /// written with compare-and-set, so replicas answering one conversation at once lose
    /// nothing; Redis expires conversations idle for 30 minutes).
    #[arg(
        long,
        value_name = "memory|redis://HOST:PORT/DB",
        default_value = "memory"
    )]
    pub conversations: String,
    /// Append the query log (questions, decisions, confidences, feedback; personal data
    /// masked) to this JSON Lines file; with several knowledge bases, one file each,
    /// named with the knowledge base's name before the extension (queries.bank.jsonl).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub max_body: usize,
    /// Read the API keys from this file: one `ROLE:NAME:KEY` a line, ROLE `ask` (ask,
    /// feedback) or `admin` (also reload, conversations, stats). Without keys only
    /// loopback addresses are served.
    #[arg(long, value_name = "FILE")]
    pub keys_file: Option<PathBuf>,
    /// Read the API keys (same form, separated by spaces or lines) from this environment
    /// variable.
    #[arg(long, value_name = "VAR")]
    pub keys_env: Option<String>,
    /// Longest message of POST /ask, in characters (longer: 422 message_too_long).
    #[arg(long, default_value_t = 2000)]
    pub max_message: usize,
    /// Live conversations per API key (one more: 429 too_many_conversations).
    #[arg(long, default_value_t = 10_000)]
    pub max_conversations: usize,
    /// Requests per second per API key, also the burst allowed (more: 429 rate_limited);
    /// 0 switches the limit off.
    #[arg(long, default_value_t = 20)]
    pub rate: u32,
    /// Seconds a client may take to send a request's headers (then the connection is
    /// closed).
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a client may take to send a request's body (then 408 body_timeout).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub body_timeout: u64,
    /// Seconds a connection may stay open with nothing sent (then it is closed).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub idle_timeout: u64,
    /// Connections open at once; more wait in the listen backlog.
    #[arg(long, default_value_t = 10_000)]
    pub max_connections: usize,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// After SIGTERM or Ctrl-C, how long requests in flight may take before the process exits.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let sources = sources(&args)?;
    let several = sources.len() > 1;
    let mut services: Vec<(String, Arc<Service>)> = Vec::new();
    let mut labels = Vec::new();
    for (name, source) in sources {
        let log = args.log.as_ref().map(|log| {
            if several {
                log_for(log, &name)
            } else {
                log.clone()
            }
        });
        let (mut builder, label) = match source {
            Source::Index(dir) => {
                let first = Bot::open(&dir)?;
                let label = format!("index {}", dir.display());
                (
                    Service::builder(first).reload_with(move || Bot::open(&dir)),
                    label,
                )
            }
            Source::Kb(path) => {
                let kb = KbArg { kb: path };
                if let Some(log) = &log {
                    check_log_path(&kb, log)?;
                }
                let first = bot(&IndexedKbArg {
                    kb: kb.clone(),
                    index: None,
                })?;
                let index = default_index_dir(&kb.kb);
                let label = kb.kb.display().to_string();
                let reload = move || {
                    let kb = KnowledgeBase::load(&kb.kb)?;
                    Bot::builder(kb).build_or_open(&index).map(|(bot, _)| bot)
                };
                (Service::builder(first).reload_with(reload), label)
            }
        };
        if let Some(path) = &log {
            // `GET /hot` starts from the answers already in the log (when there is one).
            if path.is_file() {
                builder = builder.hot_from_log(path)?;
            }
            builder = builder.log(Arc::new(JsonlLog::open(path)?));
        }
        builder = with_store(builder, &args.conversations, &name)?;
        let service = Arc::new(builder.build());
        labels.push(if several {
            format!("{name}: {} entries from {label}", service.status().entries)
        } else {
            format!("{} entries from {label}", service.status().entries)
        });
        services.push((name, service));
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|e| Error::io("<tokio runtime>", e))?;
    let mut text = String::new();
    if let Some(path) = &args.keys_file {
        text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    }
    if let Some(var) = &args.keys_env {
        let value = std::env::var(var).map_err(|_| {
            Error::Config(format!(
                "--keys-env {var}: the environment variable is not set"
            ))
        })?;
        text.push('\n');
        text.push_str(&value);
    }
    let keys = ApiKeys::parse(&text)
        .map_err(|e| Error::Config(format!("API keys (--keys-file / --keys-env): {e}")))?;
    if keys.is_empty() {
        if !args.addr.ip().is_loopback() {
            return Err(Error::Config(format!(
                "refusing to serve {} without API keys: give --keys-file or --keys-env, or listen on a loopback address",
                args.addr
            )));
        }
        errln!(
            "wenda serve: WARNING: NO API KEYS CONFIGURED: every endpoint, /reload and every conversation's transcript included, is open to anyone on this machine (loopback only). Give --keys-file or --keys-env."
        );
    } else {
        errln!("wenda serve: {} API key(s) loaded", keys.len());
    }
    let options = HttpOptions {
        max_body_bytes: args.max_body,
        max_message_chars: args.max_message,
        max_conversations_per_client: args.max_conversations,
        rate_limit: (args.rate > 0).then(|| RateLimit {
            burst: args.rate,
            refill: std::time::Duration::from_secs(1) / args.rate,
        }),
        keys,
        ..HttpOptions::default()
    };
    let app = wenda::http::router_with_kbs(services.clone(), options)?;
    let Some((_, service)) = services.first().cloned() else {
        return Err(Error::Config("no knowledge base to serve".into()));
    };
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| Error::io(args.addr.to_string(), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io(args.addr.to_string(), e))?;
        errln!(
            "wenda serve: {} on http://{local} (POST /ask, /feedback, /reload; GET /health, /stats, /conversations/ID{}). Ctrl-C to stop; SIGHUP reloads.",
            labels.join("; "),
            if several { "; /kbs/NAME/…" } else { "" }
        );
        for (_, s) in &services {
            reload_on_hangup(Arc::clone(s));
        }
        let stop = async {
            shutdown_signal().await;
            // Requests in flight get a grace period to finish; one that hangs (a reload
            // still within its time limit) cannot keep the process alive after SIGTERM.
            std::thread::spawn(|| {
                std::thread::sleep(SHUTDOWN_GRACE);
                errln!(
                    "wenda serve: requests still running {} s after the stop signal; exiting",
                    SHUTDOWN_GRACE.as_secs()
                );
                std::process::exit(0);
            });
        };
        let limits = ConnectionLimits {
            header_timeout: Duration::from_secs(args.header_timeout.max(1)),
            body_timeout: Duration::from_secs(args.body_timeout.max(1)),
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
            max_connections: args.max_connections.max(1),
            max_body_bytes: args.max_body,
        };
        serve_with(listener, app, limits, stop)
            .await
            .map_err(|e| Error::io(local.to_string(), e))?;
        errln!("wenda serve: stopped after {} replies", service.status().replies);
        Ok(ExitCode::SUCCESS)
    })
}

/// SIGHUP rebuilds from the knowledge base, like POST /reload.
fn reload_on_hangup(service: Arc<Service>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            let s = Arc::clone(&service);
            match tokio::task::spawn_blocking(move || s.reload()).await {
                Ok(Ok(r)) => errln!(
                    "wenda serve: reloaded generation {} ({} entries, {} ms)",
                    r.generation,
                    r.entries,
                    r.build_ms
                ),
                Ok(Err(e)) => errln!(
                    "wenda serve: reload refused, still serving the previous knowledge base: {e}"
                ),
                Err(e) => errln!("wenda serve: reload failed: {e}"),
            }
        }
    });
    #[cfg(not(unix))]
    drop(service);
}

/// Where a knowledge base served comes from.
enum Source {
    Kb(PathBuf),
    Index(PathBuf),
}

/// The knowledge bases to serve, by name (`default` for one given without a name).
fn sources(args: &Args) -> Result<Vec<(String, Source)>, Error> {
    let (given, index) = if args.indexes.is_empty() {
        (args.kbs.clone(), false)
    } else {
        (args.indexes.clone(), true)
    };
    let given = if given.is_empty() {
        vec!["knowledge".to_string()]
    } else {
        given
    };
    let several = given.len() > 1;
    let mut out: Vec<(String, Source)> = Vec::new();
    for text in given {
        let (name, path) = split_name(&text);
        let name = match name {
            Some(n) => n.to_string(),
            None if several => {
                return Err(Error::Config(format!(
                    "--{} {text}: with several knowledge bases, name each one (NAME=DIR)",
                    if index { "index" } else { "kb" }
                )));
            }
            None => DEFAULT_KB.to_string(),
        };
        if out.iter().any(|(n, _)| *n == name) {
            return Err(Error::Config(format!(
                "the knowledge base name \"{name}\" is given twice"
            )));
        }
        let path = PathBuf::from(path);
        out.push((
            name,
            if index {
                Source::Index(path)
            } else {
                Source::Kb(path)
            },
        ));
    }
    Ok(out)
}

/// `NAME=PATH` → (NAME, PATH) when the part before `=` is a name (letters, digits, `-`,
/// `_`); otherwise the whole text is the path.
fn split_name(text: &str) -> (Option<&str>, &str) {
    match text.split_once('=') {
        Some((name, path))
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')) =>
        {
            (Some(name), path)
        }
        _ => (None, text),
    }
}

/// The log file of knowledge base `name` when several are served: `queries.jsonl` →
/// `queries.NAME.jsonl`.
fn log_for(log: &std::path::Path, name: &str) -> PathBuf {
    let stem = log
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = match log.extension() {
        Some(ext) => format!("{stem}.{name}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{name}"),
    };
    log.with_file_name(file)
}

/// Conversations in memory, or in Redis (keys `wenda:NAME:conv:ID`).
fn with_store(
    builder: wenda::ServiceBuilder,
    conversations: &str,
    name: &str,
) -> Result<wenda::ServiceBuilder, Error> {
    if conversations == "memory" {
        return Ok(builder);
    }
    if conversations.starts_with("redis://") || conversations.starts_with("rediss://") {
        let store = wenda::conversation::RedisStore::open(
            conversations,
            std::time::Duration::from_secs(30 * 60),
        )?
        .with_prefix(format!("wenda:{name}:conv:"));
        return Ok(builder.store(Arc::new(store)));
    }
    Err(Error::Config(format!(
        "--conversations {}: use `memory` or a Redis URL, redis://HOST:PORT/DB",
        conversations.chars().take(80).collect::<String>()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_logs() {
        assert_eq!(split_name("bank=kb/bank"), (Some("bank"), "kb/bank"));
        assert_eq!(split_name("./a=b"), (None, "./a=b"));
        assert_eq!(split_name("knowledge"), (None, "knowledge"));
        assert_eq!(
            log_for(std::path::Path::new("/var/log/q.jsonl"), "bank"),
            PathBuf::from("/var/log/q.bank.jsonl")
        );
    }
}
