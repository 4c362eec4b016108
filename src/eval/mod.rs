//! Answer quality on labelled questions: what `wenda eval` reports.
//!
//! [`read_queries`] reads a labelled query file, [`evaluate`] asks every question and
//! measures the replies, and the metric functions ([`auroc`], [`ece`], [`mrr`],
//! [`recall_at`], [`automation_at_precision`]) can be used on their own.
//!
//! ```
//! use wenda::{Bot, KnowledgeBase, eval::{LabelledQuery, evaluate}};
//! let kb = KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
//! let bot = Bot::build(kb)?;
//! let queries = [
//!     LabelledQuery::new("车撞了怎么报案", Some("claim-report")),
//!     LabelledQuery::new("股票怎么买", None),
//! ];
//! let (report, details) = evaluate(&bot, &queries, &|_, _| {})?;
//! assert_eq!(report.queries.in_kb, 1);
//! assert!((0.0..=1.0).contains(&report.ranking.top1));
//! assert_eq!(details.len(), 2);
//! # Ok::<(), wenda::Error>(())
//! ```
//!
//! # The report (`wenda eval --json`)
//!
//! The JSON is stable: fields are only ever added, and `schema_version` changes if one is
//! ever removed or changes meaning.
//!
//! ```json
//! {
//!   "schema_version": 1,
//!   "knowledge": {"path": "knowledge", "entries": 112, "variants": 623},
//!   "queries": {"path": "examples/sample-queries.jsonl", "total": 137, "in_kb": 112, "out_of_kb": 25},
//!   "model": {"origin": {"kind": "self_calibrated", "in_kb": 399, "held_out_entries": 100, "off_topic": 100},
//!             "description": "self-calibrated on the knowledge base (…)", "file": "knowledge/model.json", "stale": false},
//!   "thresholds": {"answer": 0.6, "clarify": 0.25},
//!   "ranking": {"top1": 0.8, "mrr_at_10": 0.87, "recall_at_5": 0.98, "scored_recall": 1.0},
//!   "misses": {"total": 22, "not_scored": 0, "worded_closer_elsewhere": 9, "ranked_lower": 13},
//!   "confidence": {"auroc": 0.84, "ece": 0.05, "ece_bins": 10},
//!   "decisions": {"answer": 50, "clarify": 60, "handoff": 27},
//!   "answer_precision": 0.94,
//!   "out_of_kb_answered": 0.04,
//!   "automation": {"target_precision": 0.9, "rate": 0.4, "threshold": 0.61, "answered": 55, "precision": 0.91},
//!   "latency_us": {"p50": 190, "p90": 320, "p99": 430, "mean": 205, "max": 910}
//! }
//! ```
//!
//! - `ranking` is over in-KB queries (`expected` is an entry id): `top1` is the share whose
//!   top candidate is the expected entry, `mrr_at_10` the mean of 1/rank of the expected
//!   entry among the first 10 candidates (0 beyond), `recall_at_5` the share with the
//!   expected entry among the first 5, `scored_recall` the share with the expected entry
//!   among all the candidates the ranker scored (`retrieval.max_entries`). All 0 when
//!   there is no in-KB query.
//! - `misses` sorts the in-KB queries whose top candidate is another entry ([`Misses`]):
//!   `not_scored` (retrieval lost the expected entry), `worded_closer_elsewhere` (another
//!   entry's question is closer to the query than every question of the expected entry by
//!   characters, edits and words: add the wording to the expected entry as a similar
//!   question, or merge the two) and `ranked_lower` (the rest). `--details` names each
//!   query's `miss`.
//! - `confidence.auroc`: probability that an in-KB query gets a higher confidence than an
//!   out-of-KB one (ties count half); `null` when either kind is missing. `confidence.ece`:
//!   expected calibration error of the confidence against "the top candidate is the
//!   expected entry" over all queries (an out-of-KB query's top candidate is never right),
//!   in `ece_bins` equal-width bins.
//! - `decisions`: the decision mix over all queries, with the knowledge base's thresholds
//!   (trigger words such as 转人工 give handoffs too). `answer_precision`: share of
//!   `answer` decisions that gave the expected entry (`null` when nothing was answered).
//!   `out_of_kb_answered`: share of out-of-KB queries (`expected: null`) that got `answer`
//!   (`null` without such queries).
//! - `automation`: the largest share of all queries that could be answered automatically
//!   with at least `target_precision` of the answers right, the answer threshold that
//!   gives it (`null` when no threshold does), how many that answers and their precision.
//! - `model`: how the confidence model was obtained ([`ModelOrigin`]: `kind` is `builtin`,
//!   `self_calibrated` or `queries`), and the saved file it was read from, if any
//!   (`null` when fitted at build), and whether it was fitted on another version of the
//!   knowledge base (`stale`). `evaluate` refuses a model fitted on the very queries it is
//!   asked to score.
//! - `knowledge.path` and `queries.path` are `null` when not given.
//!
//! Per-query details (`wenda eval --details FILE`) are JSON Lines of [`Detail`].

mod metrics;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::queries::{
    LabelledQuery, MIN_FITTING_OUT_OF_KB, MIN_FITTING_QUERIES, fingerprint, fitting_warning,
    read_queries,
};
pub use crate::stats::Latency;
pub use metrics::{
    Automation, auroc, automation_at_precision, ece, mrr, recall_at, reciprocal_rank,
};

use crate::bot::{AskOptions, Bot};
use crate::error::{Error, Problem, Result};
use crate::knowledge::KnowledgeBase;
use crate::model::ModelOrigin;

/// Version of the report's JSON layout.
pub const SCHEMA_VERSION: u32 = 1;
/// Candidates looked at per query (MRR@10).
pub const MRR_DEPTH: usize = 10;
/// Depth of `recall_at_5`.
pub const RECALL_DEPTH: usize = 5;
/// Bins of the expected calibration error.
pub const ECE_BINS: usize = 10;
/// Precision target of the automation rate.
pub const AUTOMATION_PRECISION: f64 = 0.9;

/// Everything `wenda eval` reports. See the [module docs](self) for the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The knowledge base.
    pub knowledge: KnowledgeSummary,
    /// The queries.
    pub queries: QueriesSummary,
    /// The confidence model.
    pub model: ModelSummary,
    /// The decision thresholds in force.
    pub thresholds: crate::config::Thresholds,
    /// Ranking quality on in-KB queries.
    pub ranking: Ranking,
    /// Why in-KB queries were missed.
    #[serde(default)]
    pub misses: Misses,
    /// How much the confidence can be trusted.
    pub confidence: ConfidenceQuality,
    /// Decision mix: `answer`, `clarify`, `handoff` → count (all three always present).
    pub decisions: BTreeMap<String, usize>,
    /// Share of `answer` decisions that were right (`None` when nothing was answered).
    pub answer_precision: Option<f64>,
    /// Share of out-of-KB queries (`expected: null`) that got `answer` (`None` when there
    /// is no out-of-KB query): each one a confident reply to a question the knowledge base
    /// cannot answer.
    #[serde(default)]
    pub out_of_kb_answered: Option<f64>,
    /// Automation rate at [`AUTOMATION_PRECISION`].
    pub automation: Automation,
    /// `ask` latency.
    pub latency_us: Latency,
}

/// Size and place of the knowledge base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeSummary {
    /// Where it was loaded from, when known.
    pub path: Option<String>,
    /// Entries.
    pub entries: usize,
    /// Question variants.
    pub variants: usize,
}

/// Counts of the queries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueriesSummary {
    /// The queries file, when known.
    pub path: Option<String>,
    /// All queries.
    pub total: usize,
    /// Queries with an expected entry.
    pub in_kb: usize,
    /// Queries that should not be answered.
    pub out_of_kb: usize,
}

/// How the confidence model was obtained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// The model's origin.
    pub origin: ModelOrigin,
    /// The same in words.
    pub description: String,
    /// The saved model file it was read from (`calibration.model` or `wenda eval
    /// --model`); `None` when it was fitted or chosen at build.
    pub file: Option<String>,
    /// Whether the model was fitted on another version of the knowledge base (questions
    /// changed since; refit it with `wenda calibrate`).
    pub stale: bool,
}

/// Ranking quality on in-KB queries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// Share with the expected entry first.
    pub top1: f64,
    /// Mean reciprocal rank of the expected entry within the first [`MRR_DEPTH`].
    pub mrr_at_10: f64,
    /// Share with the expected entry within the first [`RECALL_DEPTH`].
    pub recall_at_5: f64,
    /// Share with the expected entry among every candidate the ranker scored
    /// (`retrieval.max_entries` of them): the most `top1` could be with this retrieval.
    #[serde(default)]
    pub scored_recall: f64,
}

/// Why in-KB queries were missed (their top candidate was another entry), so that a
/// curator knows what to do about each and a developer where the ranking loses them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misses {
    /// In-KB queries whose top candidate is not the expected entry.
    pub total: usize,
    /// The expected entry was not among the candidates the ranker scored: retrieval lost
    /// it (none of its questions shares enough words or characters with the query).
    pub not_scored: usize,
    /// Another entry's question is worded closer to the query than every question of the
    /// expected entry ([`Miss::WordedCloserElsewhere`]): only meaning could tell them
    /// apart. Add the query's wording to the expected entry, or merge the two entries.
    pub worded_closer_elsewhere: usize,
    /// The rest: the expected entry was scored and worded at least as close on some
    /// measure, yet ranked lower.
    pub ranked_lower: usize,
}

/// Why one in-KB query was missed (see [`Misses`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Miss {
    /// The expected entry was not among the scored candidates.
    NotScored,
    /// The top candidate's best question is closer to the query than every question of
    /// the expected entry by character n-grams (`gram_cosine`) and by edits
    /// (`edit_similarity`), and shares at least as much of its words (`term_recall`).
    WordedCloserElsewhere,
    /// Scored, not worded closer elsewhere, and still ranked lower.
    RankedLower,
}

impl Miss {
    /// Why `want` is not the top candidate of `candidates` (best first): `None` when it
    /// is, [`Miss::NotScored`] when it is not among them (or there is none at all).
    pub fn of(candidates: &[crate::reply::Candidate], want: &str) -> Option<Miss> {
        let Some(top) = candidates.first() else {
            return Some(Miss::NotScored);
        };
        if top.entry_id == want {
            return None;
        }
        let Some(expected) = candidates.iter().find(|c| c.entry_id == want) else {
            return Some(Miss::NotScored);
        };
        let (t, e) = (&top.features, &expected.features);
        let closer = t.gram_cosine > e.gram_cosine
            && t.edit_similarity > e.edit_similarity
            && t.term_recall >= e.term_recall;
        Some(if closer {
            Miss::WordedCloserElsewhere
        } else {
            Miss::RankedLower
        })
    }
}

/// Quality of the confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceQuality {
    /// AUROC of the confidence, in-KB vs out-of-KB queries (`None` without both kinds).
    pub auroc: Option<f64>,
    /// Expected calibration error against "the top candidate is right".
    pub ece: f64,
    /// Bins of the ECE.
    pub ece_bins: usize,
}

/// One query's outcome, for a curator reading the misses (`wenda eval --details`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// Line in the queries file (0 when made in code).
    pub line: usize,
    /// The question.
    pub query: String,
    /// The expected entry (`None`: should not be answered).
    pub expected: Option<String>,
    /// `answer`, `clarify` or `handoff`.
    pub decision: String,
    /// The handoff reason, for a handoff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_reason: Option<String>,
    /// The top candidate's confidence.
    pub confidence: f64,
    /// Whether the top candidate is the expected entry.
    pub top_right: bool,
    /// 0-based rank of the expected entry among the scored candidates (`None`: not
    /// found or out-of-KB).
    pub rank: Option<usize>,
    /// Why the query was missed: an in-KB query whose top candidate is another entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miss: Option<Miss>,
    /// Up to [`MRR_DEPTH`] candidates, best first.
    pub candidates: Vec<DetailCandidate>,
}

/// A candidate in a [`Detail`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetailCandidate {
    /// Entry id.
    pub entry_id: String,
    /// The entry's question variant that matched best.
    pub matched: String,
    /// Confidence.
    pub confidence: f64,
}

/// Every similar question of `kb` as a labelled query expecting its entry: the real
/// paraphrases to score a bot built without them on (see
/// [`KnowledgeBase::without_similar`]).
///
/// ```
/// use wenda::{Entry, KnowledgeBase, eval::similar_as_queries};
/// let kb = KnowledgeBase::from_entries(vec![
///     Entry::new("refund", "怎么退保", "在App里申请退保。").with_similar(["退保流程"]),
/// ])?;
/// let queries = similar_as_queries(&kb);
/// assert_eq!(queries.len(), 1);
/// assert_eq!(queries[0].expected.as_deref(), Some("refund"));
/// # Ok::<(), wenda::Error>(())
/// ```
pub fn similar_as_queries(kb: &KnowledgeBase) -> Vec<LabelledQuery> {
    kb.entries()
        .iter()
        .flat_map(|e| {
            e.similar
                .iter()
                .map(|s| LabelledQuery::new(s.as_str(), Some(e.id.as_str())))
        })
        .collect()
}

/// Asks every query and measures the replies. `progress(done, total)` is called as it goes.
///
/// # Errors
/// [`Error::Queries`] when an `expected` id is not in the knowledge base (every such line
/// is listed); [`Error::EvaluatedOnFittingQueries`] when the bot's confidence model was
/// fitted on these very queries (scoring it on them would overstate its quality).
pub fn evaluate(
    bot: &Bot,
    queries: &[LabelledQuery],
    progress: &dyn Fn(usize, usize),
) -> Result<(Report, Vec<Detail>)> {
    let kb = bot.knowledge();
    let unknown: Vec<Problem> = queries
        .iter()
        .filter_map(|q| {
            let id = q.expected.as_deref()?;
            kb.entry(id).is_none().then(|| {
                Problem::error(
                    "queries file",
                    format!("`expected` entry \"{id}\" is not in the knowledge base"),
                )
                .at_line(Some(q.line))
            })
        })
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Queries(unknown));
    }
    if let ModelOrigin::Queries {
        fingerprint: fitted,
        file,
        ..
    } = &bot.model().origin
        && *fitted == fingerprint(queries)
    {
        return Err(Error::EvaluatedOnFittingQueries { file: file.clone() });
    }

    // Every scored candidate, so that a miss can say whether the ranker saw the entry.
    let options = AskOptions {
        max_candidates: Some(bot.config().retrieval.max_entries.max(MRR_DEPTH)),
        ..AskOptions::default()
    };
    let mut misses = Misses::default();
    let mut ranks = Vec::new();
    let mut by_label = Vec::with_capacity(queries.len());
    let mut by_truth = Vec::with_capacity(queries.len());
    let mut decisions: BTreeMap<String, usize> = ["answer", "clarify", "handoff"]
        .iter()
        .map(|k| (k.to_string(), 0))
        .collect();
    let (mut answered, mut answered_right, mut answered_out) = (0usize, 0usize, 0usize);
    let mut latency = Vec::with_capacity(queries.len());
    let mut details = Vec::with_capacity(queries.len());
    progress(0, queries.len());
    for (i, q) in queries.iter().enumerate() {
        let reply = bot.ask_with(&q.query, options);
        latency.push(std::time::Duration::from_micros(reply.elapsed_us));
        *decisions
            .entry(reply.decision.kind().to_string())
            .or_default() += 1;
        let expected = q.expected.as_deref();
        let top_right = expected.is_some() && reply.top_id() == expected;
        by_label.push((reply.confidence, expected.is_some()));
        by_truth.push((reply.confidence, top_right));
        if let Some(id) = reply.answer_id() {
            answered += 1;
            answered_right += usize::from(Some(id) == expected);
            answered_out += usize::from(expected.is_none());
        }
        let rank =
            expected.and_then(|want| reply.candidates.iter().position(|c| c.entry_id == want));
        let miss = expected.and_then(|want| Miss::of(&reply.candidates, want));
        if expected.is_some() {
            ranks.push(rank);
        }
        if let Some(m) = miss {
            misses.total += 1;
            *match m {
                Miss::NotScored => &mut misses.not_scored,
                Miss::WordedCloserElsewhere => &mut misses.worded_closer_elsewhere,
                Miss::RankedLower => &mut misses.ranked_lower,
            } += 1;
        }
        details.push(Detail {
            line: q.line,
            query: q.query.clone(),
            expected: q.expected.clone(),
            decision: reply.decision.kind().to_string(),
            handoff_reason: reply.handoff_reason().map(|r| r.as_str().to_string()),
            confidence: reply.confidence,
            top_right,
            rank,
            miss,
            candidates: reply
                .candidates
                .iter()
                .take(MRR_DEPTH)
                .map(|c| DetailCandidate {
                    entry_id: c.entry_id.clone(),
                    matched: c.matched.clone(),
                    confidence: c.confidence,
                })
                .collect(),
        });
        if (i + 1) % 16 == 0 || i + 1 == queries.len() {
            progress(i + 1, queries.len());
        }
    }
    let in_kb = ranks.len();
    let report = Report {
        schema_version: SCHEMA_VERSION,
        knowledge: KnowledgeSummary {
            path: kb.path().map(|p| p.display().to_string()),
            entries: kb.len(),
            variants: kb.variant_count(),
        },
        queries: QueriesSummary {
            path: None,
            total: queries.len(),
            in_kb,
            out_of_kb: queries.len() - in_kb,
        },
        model: ModelSummary {
            origin: bot.model().origin.clone(),
            description: bot.model().describe(),
            file: kb
                .model()
                .filter(|m| *m == bot.model())
                .and(bot.config().calibration.model.as_ref())
                .map(|p| p.display().to_string()),
            stale: bot
                .model()
                .knowledge
                .as_ref()
                .is_some_and(|k| *k != kb.fingerprint()),
        },
        thresholds: bot.config().thresholds,
        ranking: Ranking {
            top1: recall_at(&ranks, 1),
            mrr_at_10: mrr(&ranks, MRR_DEPTH),
            recall_at_5: recall_at(&ranks, RECALL_DEPTH),
            scored_recall: recall_at(&ranks, usize::MAX),
        },
        misses,
        confidence: ConfidenceQuality {
            auroc: auroc(&by_label),
            ece: ece(&by_truth, ECE_BINS),
            ece_bins: ECE_BINS,
        },
        decisions,
        answer_precision: (answered > 0).then(|| answered_right as f64 / answered as f64),
        out_of_kb_answered: (queries.len() > in_kb)
            .then(|| answered_out as f64 / (queries.len() - in_kb) as f64),
        automation: automation_at_precision(&by_truth, AUTOMATION_PRECISION),
        latency_us: Latency::of(&mut latency),
    };
    Ok((report, details))
}
