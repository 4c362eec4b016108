//! `wenda serve`: the HTTP service (see `wenda::http` for the endpoints).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use wenda::http::{
    ApiKeys, ConnectionLimits, HttpOptions, RateLimit, router, serve_with, shutdown_signal,
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
    #[command(flatten)]
    pub kb: KbArg,
    /// Serve this saved index (from `wenda build --out DIR`) instead of a knowledge base;
    /// a reload opens the index's newest generation. Replicas can share one index.
    /// Without it, the knowledge base's index (KB/.wenda-index) is reused when it matches
    /// and rebuilt when it does not, at start and on reload.
    #[arg(long, value_name = "DIR", conflicts_with = "kb")]
    pub index: Option<PathBuf>,
    /// Append the query log (questions, decisions, confidences, feedback; personal data
    /// masked) to this JSON Lines file.
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
    if let Some(log) = &args.log {
        check_log_path(&args.kb, log)?;
    }
    let (mut builder, source) = match &args.index {
        Some(dir) => {
            let first = Bot::open(dir)?;
            let dir = dir.clone();
            let label = format!("index {}", dir.display());
            (
                Service::builder(first).reload_with(move || Bot::open(&dir)),
                label,
            )
        }
        None => {
            let kb = args.kb.clone();
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
    if let Some(path) = &args.log {
        // `GET /hot` starts from the answers already in the log (when there is one).
        if path.is_file() {
            builder = builder.hot_from_log(path)?;
        }
        builder = builder.log(Arc::new(JsonlLog::open(path)?));
    }
    let service = Arc::new(builder.build());
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
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| Error::io(args.addr.to_string(), e))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::io(args.addr.to_string(), e))?;
        errln!(
            "wenda serve: {} entries from {} on http://{local} (POST /ask, /feedback, /reload; GET /health, /stats, /conversations/ID). Ctrl-C to stop; SIGHUP reloads.",
            service.status().entries,
            source
        );
        reload_on_hangup(Arc::clone(&service));
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
        serve_with(listener, router(Arc::clone(&service), options), limits, stop)
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
