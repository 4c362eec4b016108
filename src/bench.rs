//! Speed and memory measurements: what `wenda bench` reports.
//!
//! [`run`] builds a bot, saves it, opens the saved index (the way a service starts), asks
//! every question on one thread and then on several, and compares the vector index with
//! exact brute-force search on the same vectors. Latencies are wall-clock times of
//! [`Bot::ask`] on a warmed-up bot; quote medians and ratios measured in the same run.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::bot::{Bot, BuildStage};
use crate::error::Result;
use crate::knowledge::KnowledgeBase;
use crate::queries::LabelledQuery;
pub use crate::stats::Latency;

/// Options of [`run`].
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Threads for the throughput run. Default 2.
    pub threads: usize,
    /// Questions asked per timed pass at least (the question list is repeated). Default 2,000.
    pub min_asks: usize,
    /// Neighbours compared between HNSW and exact search. Default 10.
    pub k: usize,
    /// Where the index is saved and opened from; default: a fresh directory under the
    /// system's temporary directory, removed afterwards.
    pub index_dir: Option<PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            threads: 2,
            min_asks: 2000,
            k: 10,
            index_dir: None,
        }
    }
}

/// HNSW against exact search on the same vectors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VectorComparison {
    /// Neighbours compared.
    pub k: usize,
    /// HNSW search breadth used.
    pub ef: usize,
    /// Share of the exact top-k that HNSW also returns (mean over questions).
    pub recall: f64,
    /// HNSW search latency.
    pub hnsw: Latency,
    /// Exact search latency.
    pub exact: Latency,
    /// Exact p50 divided by HNSW p50 (above 1: HNSW is faster).
    pub speedup: f64,
}

/// Compares the HNSW graph with exact brute-force cosine search over the same vectors:
/// for each question, the share of the exact `k` nearest variants that HNSW also
/// returns (at the configured `hnsw_ef`), and the time each search takes. `None` when
/// the bot searches exactly (no graph), when `k` is 0, or when no question has a
/// vector.
fn compare_vector_search(bot: &Bot, questions: &[&str], k: usize) -> Option<VectorComparison> {
    if !bot.uses_hnsw() || k == 0 {
        return None;
    }
    let ef = bot.config().retrieval.hnsw_ef.max(k);
    let (mut hnsw, mut exact) = (Vec::new(), Vec::new());
    let mut recall = 0.0;
    for q in questions {
        let v = bot.embedder().embed(&bot.analyzer().analyze(q));
        if v.iter().all(|&x| x == 0.0) {
            continue;
        }
        let t = Instant::now();
        let approx = bot.vectors().search(&v, k, ef, None);
        hnsw.push(t.elapsed());
        let t = Instant::now();
        let truth = bot.vectors().exact(&v, k, None);
        exact.push(t.elapsed());
        let found = truth
            .iter()
            .filter(|(id, _)| approx.iter().any(|(a, _)| a == id))
            .count();
        recall += found as f64 / truth.len().max(1) as f64;
    }
    if hnsw.is_empty() {
        return None;
    }
    let n = hnsw.len() as f64;
    let (hnsw, exact) = (Latency::of(&mut hnsw), Latency::of(&mut exact));
    Some(VectorComparison {
        k,
        ef,
        recall: recall / n,
        speedup: exact.p50 as f64 / (hnsw.p50 as f64).max(1e-9),
        hnsw,
        exact,
    })
}

/// Everything `wenda bench` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// FAQ entries.
    pub entries: usize,
    /// Question variants.
    pub variants: usize,
    /// `hnsw` or `exact`.
    pub vector_search: String,
    /// Distinct questions asked (each pass repeats them up to `asks`).
    pub questions: usize,
    /// Questions asked per timed pass.
    pub asks: usize,
    /// The build, when the bench built the index (not with [`run_saved`]).
    pub build: Option<BuildReport>,
    /// Opening the saved index, seconds.
    pub open_s: f64,
    /// Size of the saved index, bytes.
    pub index_bytes: u64,
    /// [`Embedder::id`](crate::embed::Embedder::id) of the embedder measured.
    pub embedder: String,
    /// Embedding one question (analysis done), on one thread: the embedder's share of
    /// `latency_us`.
    pub embed_us: Latency,
    /// `ask` latency on one thread.
    pub latency_us: Latency,
    /// Questions per second on one thread.
    pub qps_1_thread: f64,
    /// Threads of the throughput run.
    pub threads: usize,
    /// Questions per second with `threads` threads.
    pub qps_n_threads: f64,
    /// `qps_n_threads / qps_1_thread`.
    pub thread_scaling: f64,
    /// Share of in-KB questions whose top candidate is the expected entry (a check that the
    /// measured work is the real work).
    pub top1: Option<f64>,
    /// HNSW against exact search, when the bot has an HNSW graph.
    pub vector: Option<VectorComparison>,
    /// Peak resident memory once the index is open, bytes (Linux).
    pub peak_rss_open: Option<u64>,
    /// Peak resident memory while serving from the opened index, bytes (Linux; the build's
    /// peak is reset first where the kernel allows it, otherwise this includes it).
    pub peak_rss_serve: Option<u64>,
}

/// The questions [`run_saved`] asks.
#[derive(Debug, Clone, Copy)]
pub enum Questions<'a> {
    /// These.
    Given(&'a [LabelledQuery]),
    /// Generated from the saved knowledge base once it is open (see
    /// [`synthetic::questions`](crate::synthetic::questions)).
    Generated {
        /// How many.
        count: usize,
        /// Seed of the generator.
        seed: u64,
    },
}

/// How the index was built, when [`run`] built it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildReport {
    /// Building the bot (analysis, indexes, embedding, calibration), seconds.
    pub build_s: f64,
    /// Seconds spent in each build step, in order (`analyze`, `lexical index`, `embed`,
    /// `vector index`, `calibrate`).
    pub stages: Vec<(String, f64)>,
    /// Seconds of the `embed` step per 1,000 question variants built.
    pub embed_per_1000_variants_s: Option<f64>,
    /// Saving the index, seconds.
    pub save_s: f64,
    /// Peak resident memory of the process up to the end of the build, bytes (Linux).
    pub peak_rss: Option<u64>,
}

/// Builds, saves, opens and measures (see the module docs). `progress` receives a line per
/// phase.
///
/// Memory freed after the build usually stays with the process, so `peak_rss_serve` then
/// overstates what serving needs; [`run_saved`] in a fresh process measures it alone.
///
/// # Errors
/// When the bot cannot be built, saved or opened.
pub fn run(
    kb: KnowledgeBase,
    questions: &[LabelledQuery],
    options: &BenchOptions,
    progress: &dyn Fn(&str),
) -> Result<BenchReport> {
    progress("building");
    let variants = kb.variant_count();
    let started = Instant::now();
    let stages: Arc<Mutex<Vec<(BuildStage, Instant)>>> = Arc::default();
    let record = stages.clone();
    let built = Bot::builder(kb)
        .on_progress(move |p| {
            if let Ok(mut s) = record.lock()
                && s.last().is_none_or(|(stage, _)| *stage != p.stage)
            {
                s.push((p.stage, Instant::now()));
            }
        })
        .build()?;
    let finished = Instant::now();
    let build_s = (finished - started).as_secs_f64();
    let (dir, temporary) = match &options.index_dir {
        Some(d) => (d.clone(), false),
        None => (scratch_dir(), true),
    };
    progress("saving");
    let started = Instant::now();
    let saved = built.save(&dir);
    let stages = stage_times(&stages, finished);
    let embed_per_1000_variants_s = stages
        .iter()
        .find(|(s, _)| s == BuildStage::Embed.label())
        .map(|(_, t)| t * 1000.0 / variants.max(1) as f64);
    let build = BuildReport {
        build_s,
        stages,
        embed_per_1000_variants_s,
        save_s: started.elapsed().as_secs_f64(),
        peak_rss: peak_rss(),
    };
    drop(built);
    reset_peak_rss();
    let result =
        saved.and_then(|_| run_saved(&dir, Questions::Given(questions), options, progress));
    if temporary {
        let _ignored = std::fs::remove_dir_all(&dir);
    }
    let mut report = result?;
    report.build = Some(build);
    Ok(report)
}

/// Opens the index saved in `dir` and measures it (everything [`run`] does but the build).
///
/// # Errors
/// When the index cannot be opened.
pub fn run_saved(
    dir: &Path,
    questions: Questions<'_>,
    options: &BenchOptions,
    progress: &dyn Fn(&str),
) -> Result<BenchReport> {
    progress("opening");
    let manifest = Bot::saved_manifest(dir)?;
    let started = Instant::now();
    let bot = Bot::open(dir)?;
    let open_s = started.elapsed().as_secs_f64();
    let peak_rss_open = peak_rss();
    let generated;
    let questions = match questions {
        Questions::Given(q) => q,
        Questions::Generated { count, seed } => {
            progress("generating questions");
            generated = crate::synthetic::questions(bot.knowledge(), count, seed);
            &generated[..]
        }
    };
    let texts: Vec<&str> = questions.iter().map(|q| q.query.as_str()).collect();
    let asks = options.min_asks.max(texts.len());
    progress("asking (warm-up)");
    let mut right = 0usize;
    let mut labelled = 0usize;
    for q in questions {
        let reply = bot.ask(&q.query);
        if let Some(want) = &q.expected {
            labelled += 1;
            right += usize::from(reply.top_id() == Some(want.as_str()));
        }
    }
    progress("asking on one thread");
    let mut samples = Vec::with_capacity(asks);
    let started = Instant::now();
    for i in 0..asks {
        if let Some(q) = texts.get(i % texts.len().max(1)) {
            let t = Instant::now();
            std::hint::black_box(bot.ask(q));
            samples.push(t.elapsed());
        }
    }
    let one = started.elapsed();
    progress("embedding on one thread");
    let analyses: Vec<_> = texts.iter().map(|q| bot.analyzer().analyze(q)).collect();
    let mut embed_samples = Vec::with_capacity(analyses.len());
    for a in &analyses {
        let t = Instant::now();
        std::hint::black_box(bot.embedder().embed(a));
        embed_samples.push(t.elapsed());
    }
    let threads = options.threads.max(1);
    progress("asking on several threads");
    let many = throughput(&bot, &texts, asks, threads);
    progress("comparing vector search with exact search");
    let vector = compare_vector_search(&bot, &texts, options.k);
    let qps = |n: usize, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    let (qps_1, qps_n) = (qps(samples.len(), one), qps(asks, many));
    Ok(BenchReport {
        entries: manifest.entries,
        variants: manifest.variants,
        vector_search: if bot.uses_hnsw() { "hnsw" } else { "exact" }.to_string(),
        questions: texts.len(),
        asks,
        build: None,
        open_s,
        index_bytes: manifest.files.values().map(|f| f.bytes).sum(),
        embedder: bot.embedder().id(),
        embed_us: Latency::of(&mut embed_samples),
        latency_us: Latency::of(&mut samples),
        qps_1_thread: qps_1,
        threads,
        qps_n_threads: qps_n,
        thread_scaling: qps_n / qps_1.max(1e-9),
        top1: (labelled > 0).then(|| right as f64 / labelled as f64),
        vector,
        peak_rss_open,
        peak_rss_serve: peak_rss(),
    })
}

/// Wall time for `threads` threads to ask `asks` questions between them.
fn throughput(bot: &Bot, texts: &[&str], asks: usize, threads: usize) -> Duration {
    if texts.is_empty() {
        return Duration::ZERO;
    }
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let mut i = t;
                while i < asks {
                    std::hint::black_box(bot.ask(texts[i % texts.len()]));
                    i += threads;
                }
            });
        }
    });
    started.elapsed()
}

/// Seconds from each stage's first report to the next stage's (the last one to `end`).
fn stage_times(stages: &Mutex<Vec<(BuildStage, Instant)>>, end: Instant) -> Vec<(String, f64)> {
    let Ok(s) = stages.lock() else {
        return Vec::new();
    };
    s.iter()
        .enumerate()
        .map(|(i, (stage, start))| {
            let next = s.get(i + 1).map_or(end, |(_, t)| *t);
            (stage.label().to_string(), (next - *start).as_secs_f64())
        })
        .collect()
}

fn scratch_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("wenda-bench-{}-{nanos}", std::process::id()))
}

/// Peak resident memory of this process so far, in bytes (`VmHWM`; Linux only).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak resident memory to the current one (Linux ≥ 4.0; otherwise nothing).
fn reset_peak_rss() {
    let _ignored = std::fs::write("/proc/self/clear_refs", "5");
}
