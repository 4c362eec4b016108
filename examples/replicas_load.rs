//! A bounded load run on loopback: two `wenda` replicas (HTTP routers over the sample
//! knowledge base, each on its own port and runtime) with their conversations in memory —
//! each conversation stays on the replica that started it, as behind a sticky load
//! balancer — and then the same two replicas sharing one Redis, every conversation's
//! turns hopping from one replica to the other. Prints requests, errors, throughput and
//! latency percentiles of both.
//!
//! ```sh
//! cargo run --release --example replicas_load                 # 2,000 requests a run
//! cargo run --release --example replicas_load -- 10000 8      # requests, client threads
//! ```
//!
//! It starts its own `redis-server` (a free loopback port, a temporary directory), so
//! `redis-server` must be installed (`apt-get install redis-server`).

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wenda::bench::Latency;
use wenda::conversation::{ConversationStore, MemoryStore, RedisStore};
use wenda::http::{HttpOptions, router, serve};
use wenda::{Bot, KnowledgeBase, Service};

/// Turns of each conversation.
const TURNS: usize = 4;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let clients: usize = args.next().map_or(Ok(4), |a| a.parse())?;
    let kb_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge");
    let queries_file = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample-queries.jsonl");
    let messages: Vec<String> = std::fs::read_to_string(queries_file)?
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["query"].as_str().map(String::from))
        .collect();
    let bot = Arc::new(Bot::build(KnowledgeBase::load(kb_dir)?)?);

    // Memory: each replica its own store; conversations stay where they started.
    let memory: [Arc<dyn ConversationStore>; 2] = [
        Arc::new(MemoryStore::default()),
        Arc::new(MemoryStore::default()),
    ];
    let report = run(
        "memory, sticky",
        &bot,
        memory,
        &messages,
        requests,
        clients,
        false,
    )?;
    println!("{report}");

    // Redis: both replicas share it; turns hop between them.
    let redis = RedisServer::start()?;
    let store = || -> Result<Arc<dyn ConversationStore>, wenda::Error> {
        Ok(Arc::new(RedisStore::open(
            &redis.url(),
            Duration::from_secs(600),
        )?))
    };
    let shared = [store()?, store()?];
    let report = run(
        "redis, hopping",
        &bot,
        shared,
        &messages,
        requests,
        clients,
        true,
    )?;
    println!("{report}");
    Ok(())
}

/// Two replicas over `stores`, `requests` asked by `clients` threads in conversations of
/// [`TURNS`] turns; with `hop`, turn `t` of a conversation goes to replica `t % 2`.
fn run(
    label: &str,
    bot: &Arc<Bot>,
    stores: [Arc<dyn ConversationStore>; 2],
    messages: &[String],
    requests: usize,
    clients: usize,
    hop: bool,
) -> Result<String, Box<dyn std::error::Error>> {
    let replicas: Vec<Replica> = stores
        .into_iter()
        .map(|store| Replica::start(Service::builder(Arc::clone(bot)).store(store).build()))
        .collect::<Result<_, _>>()?;
    let urls: Vec<String> = replicas
        .iter()
        .map(|r| format!("http://{}/ask", r.addr))
        .collect();
    let next = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                s.spawn(|| {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    let mut samples = Vec::new();
                    loop {
                        let n = next.fetch_add(TURNS, Ordering::Relaxed);
                        if n >= requests {
                            return samples;
                        }
                        let conversation = n / TURNS;
                        let first = conversation % 2;
                        let mut id: Option<String> = None;
                        for t in 0..TURNS.min(requests - n) {
                            let replica = if hop { (first + t) % 2 } else { first };
                            let message = &messages[(n + t) % messages.len()];
                            let body =
                                serde_json::json!({"message": message, "conversation_id": id});
                            let began = Instant::now();
                            let answer = agent
                                .post(&urls[replica])
                                .header("Content-Type", "application/json")
                                .send(body.to_string());
                            samples.push(began.elapsed());
                            let reply = answer.ok().and_then(|mut r| {
                                let text = r.body_mut().read_to_string().ok()?;
                                (r.status() == 200)
                                    .then(|| serde_json::from_str::<serde_json::Value>(&text).ok())
                                    .flatten()
                            });
                            match reply
                                .and_then(|r| r["conversation_id"].as_str().map(String::from))
                            {
                                Some(c) => id = Some(c),
                                None => {
                                    errors.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    let elapsed = start.elapsed();
    let done = latencies.len();
    let latency = Latency::of(&mut latencies);
    let answered: Vec<u64> = replicas
        .iter()
        .map(|r| r.service.status().replies)
        .collect();
    let failures: u64 = replicas
        .iter()
        .map(|r| r.service.status().store_failures)
        .sum();
    Ok(format!(
        "{label:>15}: {done} requests ({clients} clients, {TURNS} turns a conversation), {} errors, \
         {failures} store failures, {:.0} req/s, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
         replies per replica {answered:?}",
        errors.load(Ordering::Relaxed),
        done as f64 / elapsed.as_secs_f64(),
        latency.p50 as f64 / 1000.0,
        latency.p90 as f64 / 1000.0,
        latency.p99 as f64 / 1000.0,
        latency.max as f64 / 1000.0,
    ))
}

/// A replica: a service behind its router on a loopback port, on a runtime of its own.
struct Replica {
    addr: SocketAddr,
    service: Arc<Service>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Replica {
    fn start(service: Service) -> std::io::Result<Replica> {
        let service = Arc::new(service);
        let options = HttpOptions {
            rate_limit: None,
            max_conversations_per_client: 1_000_000,
            ..HttpOptions::default()
        };
        let app = router(Arc::clone(&service), options);
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build();
            if let Ok(rt) = runtime {
                rt.block_on(async move {
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        let _ = serve(listener, app, async {
                            stopped.await.ok();
                        })
                        .await;
                    }
                });
            }
        });
        Ok(Replica {
            addr,
            service,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            s.send(()).ok();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A `redis-server` of the run's own, stopped when dropped.
struct RedisServer {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    fn start() -> Result<RedisServer, Box<dyn std::error::Error>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = tempfile::tempdir()?;
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("redis-server could not be started (is it installed?): {e}"))?;
        let server = RedisServer {
            child,
            port,
            _dir: dir,
        };
        let store = RedisStore::open(&server.url(), Duration::from_secs(60))?;
        for _ in 0..500 {
            if store.check().is_ok() {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("redis-server did not answer PING".into())
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
