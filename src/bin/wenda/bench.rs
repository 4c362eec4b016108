//! `wenda bench`: latency, throughput, build and open time, memory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde::Serialize;
use wenda::Error;
use wenda::bench::{BenchOptions, BenchReport, Latency, Questions};
use wenda::config::VectorSearch;
use wenda::eval::read_queries;
use wenda::synthetic;

use super::kb::{KbArg, load, missing_as};

/// Measure speed and memory: build, save and open the index, then ask questions on one
/// thread and on several.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub kb: KbArg,
    /// Labelled questions, JSON Lines of {"query": "…", "expected": "id" | null}
    /// [default: 1,000 questions generated from the knowledge base's own variants].
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Instead of the knowledge base itself, use a synthetic one of this many question
    /// variants recombined from it (reproducible with --seed).
    #[arg(long, value_name = "VARIANTS")]
    pub synthetic: Option<usize>,
    /// Seed of the synthetic knowledge base and generated questions.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Threads of the throughput run.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Questions asked per timed pass at least (the list is repeated).
    #[arg(long, default_value_t = 2000)]
    pub asks: usize,
    /// Override the vector search method: auto, hnsw or exact.
    #[arg(long, value_parser = parse_vector_search)]
    pub vector_search: Option<VectorSearch>,
    /// Measure this saved index (from `wenda build`) instead of building one: opening and
    /// serving memory are then measured alone. Questions default to ones generated from
    /// the index's knowledge base.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["synthetic", "vector_search"])]
    pub index: Option<PathBuf>,
    /// Keep the index the bench builds in this directory (default: a temporary one).
    #[arg(long, value_name = "DIR", conflicts_with = "index")]
    pub save: Option<PathBuf>,
    /// Measure with a BERT encoder of this shape, with random weights generated now (the
    /// cost of a real model of the shape, not its quality): `bge-small-zh` (bge-small-zh-v1.5:
    /// hidden 512, 4 layers, 8 heads, vocabulary 21,128). Needs the cargo feature `bert`.
    #[arg(long, value_name = "SHAPE", value_parser = ["bge-small-zh"], conflicts_with = "index")]
    pub random_encoder: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_vector_search(s: &str) -> Result<VectorSearch, String> {
    match s {
        "auto" => Ok(VectorSearch::Auto),
        "hnsw" => Ok(VectorSearch::Hnsw),
        "exact" => Ok(VectorSearch::Exact),
        other => Err(format!("{other:?} is not one of auto, hnsw, exact")),
    }
}

/// The JSON output: where the data came from, and the measurements.
#[derive(Serialize)]
struct Output<'a> {
    kb: String,
    synthetic_variants: Option<usize>,
    seed: u64,
    queries: String,
    #[serde(flatten)]
    report: &'a BenchReport,
}

pub fn run(args: Args) -> Result<ExitCode, Error> {
    let options = BenchOptions {
        threads: args.threads,
        min_asks: args.asks,
        index_dir: args.save.clone(),
        ..BenchOptions::default()
    };
    let progress = |phase: &str| errln!("bench: {phase}");
    if let Some(dir) = &args.index {
        let given = match &args.queries {
            Some(path) => Some(read_queries(path).map_err(missing_as("--queries"))?),
            None => None,
        };
        let (questions, label) = match (&given, &args.queries) {
            (Some(q), Some(path)) => (Questions::Given(q), path.display().to_string()),
            _ => (
                Questions::Generated {
                    count: 1000,
                    seed: args.seed,
                },
                format!("1000 generated (seed {})", args.seed),
            ),
        };
        let report = wenda::bench::run_saved(dir, questions, &options, &progress)?;
        return output(&args, dir.display().to_string(), &label, &report);
    }
    let source = load(&args.kb)?;
    let mut kb = match args.synthetic {
        Some(n) => {
            let started = Instant::now();
            let kb = synthetic::knowledge_base(&source, n, args.seed)?;
            errln!(
                "generated {} entries, {} variants in {:.1} s",
                kb.len(),
                kb.variant_count(),
                started.elapsed().as_secs_f64()
            );
            kb
        }
        None => source,
    };
    if let Some(method) = args.vector_search {
        let mut config = kb.config().clone();
        config.retrieval.vector_search = method;
        kb = kb.with_config(config)?;
    }
    let encoder_dir = match &args.random_encoder {
        Some(_) => {
            let dir =
                std::env::temp_dir().join(format!("wenda-random-encoder-{}", std::process::id()));
            kb = with_random_encoder(kb, &dir, args.seed)?;
            Some(dir)
        }
        None => None,
    };
    let (questions, queries_label) = match &args.queries {
        Some(path) => (
            read_queries(path).map_err(missing_as("--queries"))?,
            path.display().to_string(),
        ),
        None => (
            synthetic::questions(&kb, 1000, args.seed),
            format!("1000 generated (seed {})", args.seed),
        ),
    };
    let report = wenda::bench::run(kb, &questions, &options, &progress);
    if let Some(dir) = encoder_dir {
        let _ignored = std::fs::remove_dir_all(dir);
    }
    let report = report?;
    let kb = match args.synthetic {
        Some(n) => format!(
            "synthetic {n} variants from {} (seed {})",
            args.kb.kb.display(),
            args.seed
        ),
        None => args.kb.kb.display().to_string(),
    };
    output(&args, kb, &queries_label, &report)
}

/// `kb` set to embed with a BERT encoder of bge-small-zh-v1.5's shape, random weights
/// written into `dir`.
#[cfg(feature = "bert")]
fn with_random_encoder(
    kb: wenda::KnowledgeBase,
    dir: &std::path::Path,
    seed: u64,
) -> Result<wenda::KnowledgeBase, Error> {
    use wenda::embed::random_model::{BertShape, write_bert};
    errln!("bench: writing a random encoder of bge-small-zh-v1.5's shape");
    write_bert(dir, &BertShape::BGE_SMALL_ZH, seed, Some("cls"))?;
    let mut config = kb.config().clone();
    config.embedder.kind = wenda::config::EmbedderKind::Bert;
    config.embedder.path = Some(dir.to_path_buf());
    kb.with_config(config)
}

#[cfg(not(feature = "bert"))]
fn with_random_encoder(
    _: wenda::KnowledgeBase,
    _: &std::path::Path,
    _: u64,
) -> Result<wenda::KnowledgeBase, Error> {
    Err(Error::Config(
        "--random-encoder needs wenda built with the cargo feature `bert`".into(),
    ))
}

fn output(args: &Args, kb: String, queries: &str, report: &BenchReport) -> Result<ExitCode, Error> {
    if args.json {
        let out = Output {
            kb,
            synthetic_variants: args.synthetic,
            seed: args.seed,
            queries: queries.to_string(),
            report,
        };
        match serde_json::to_string_pretty(&out) {
            Ok(s) => outln!("{s}")?,
            Err(e) => return Err(Error::Index(format!("cannot encode the report: {e}"))),
        }
    } else {
        print_table(&kb, queries, report)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(kb: &str, queries: &str, r: &BenchReport) -> Result<(), Error> {
    let mb = |b: Option<u64>| {
        b.map_or("n/a".to_string(), |b| {
            format!("{:.0} MiB", b as f64 / 1048576.0)
        })
    };
    let lat = |l: &Latency| {
        format!(
            "p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
            l.p50, l.p90, l.p99, l.max
        )
    };
    let mut rows: Vec<(&str, String)> = vec![
        ("knowledge base", kb.to_string()),
        (
            "size",
            format!(
                "{} entries, {} variants, vector search {}",
                r.entries, r.variants, r.vector_search
            ),
        ),
        (
            "questions",
            format!("{queries}: {} distinct, {} per pass", r.questions, r.asks),
        ),
    ];
    if let Some(b) = &r.build {
        let stages: Vec<String> = b
            .stages
            .iter()
            .map(|(s, t)| format!("{s} {t:.1}"))
            .collect();
        rows.push((
            "build",
            format!("{:.2} s ({})", b.build_s, stages.join(", ")),
        ));
        if let Some(e) = b.embed_per_1000_variants_s {
            rows.push(("embed (build)", format!("{e:.3} s per 1,000 variants")));
        }
        rows.push(("save", format!("{:.2} s", b.save_s)));
        rows.push(("peak memory", format!("{} building", mb(b.peak_rss))));
    }
    rows.extend([
        (
            "open",
            format!(
                "{:.3} s ({:.1} MB on disk, {} once open)",
                r.open_s,
                r.index_bytes as f64 / 1e6,
                mb(r.peak_rss_open)
            ),
        ),
        ("embedder", r.embedder.clone()),
        ("embed, 1 thread", lat(&r.embed_us)),
        ("ask, 1 thread", lat(&r.latency_us)),
        (
            "throughput",
            format!(
                "{:.0} q/s on 1 thread, {:.0} q/s on {} threads ({:.2}×)",
                r.qps_1_thread, r.qps_n_threads, r.threads, r.thread_scaling
            ),
        ),
        (
            "top-1 (in-KB)",
            r.top1.map_or("n/a".into(), |t| format!("{t:.3}")),
        ),
        ("peak memory", format!("{} serving", mb(r.peak_rss_serve))),
    ]);
    for (k, v) in rows {
        outln!("{k:<16} {v}")?;
    }
    match &r.vector {
        Some(v) => outln!(
            "{:<16} recall@{} {:.3} at ef {}; p50 hnsw {:.0} µs vs exact {:.0} µs ({:.1}×)",
            "hnsw vs exact",
            v.k,
            v.recall,
            v.ef,
            v.hnsw.p50,
            v.exact.p50,
            v.speedup
        ),
        None => outln!(
            "{:<16} exact search only (use --vector-search hnsw to compare)",
            "hnsw vs exact"
        ),
    }
}
