//! What customers asked that the knowledge base lacks (`wenda gaps`): the questions of a
//! query log that went unanswered or were answered badly, grouped into clusters by the
//! engine's own similarity, each with a proposal for the curator.
//!
//! A question is a *gap* when its reply was
//! - a `handoff` for low confidence (or for repeated misses),
//! - a `clarify` (the robot was not sure enough to answer),
//! - rejected by the customer's next message in the conversation ("不是这个"), or
//! - rated not helpful in a feedback event.
//!
//! The distinct questions are embedded with the bot's own embedder and grouped greedily,
//! most asked first: a question joins the cluster whose centroid is closest when the
//! cosine reaches [`GapOptions::similarity`], and starts a new cluster otherwise. Each
//! question is asked again of the current bot (so an entry added since the log was written
//! counts); a cluster whose questions mostly go to one entry, with a mean confidence of at
//! least [`GapOptions::min_confidence`], is proposed as similar questions of that entry,
//! and any other cluster as a new entry. Nothing is changed: the curator decides, and
//! [`GapReport::labelled`] gives the questions in the labelled query format of
//! `wenda eval` / `wenda calibrate`, with the proposed entry (or an empty `expected` to
//! fill in).
//!
//! ```
//! use wenda::{Bot, Entry, KnowledgeBase};
//! use wenda::gaps::{GapOptions, Proposal, find_gaps};
//! use wenda::querylog::LogEvent;
//!
//! let kb = KnowledgeBase::from_entries(vec![
//!     Entry::new("report", "车险出险后怎么报案", "请拨打客服热线报案。")
//!         .with_similar(["车撞了怎么报案", "出了事故找谁报案"]),
//!     Entry::new("refund", "怎么退保", "在App的保单详情页申请退保。")
//!         .with_similar(["退保流程", "我不想保了怎么退"]),
//! ])?;
//! let bot = Bot::build(kb)?;
//! // A log as `serve --log` writes it (here made in code).
//! let events: Vec<LogEvent> = ["发票怎么开", "发票怎么开", "怎么开发票"]
//!     .iter()
//!     .map(|q| LogEvent::reply(&bot.ask(q), None, &Default::default()))
//!     .collect();
//! let report = find_gaps(&bot, &events, &GapOptions::default(), &|_, _| {});
//! assert_eq!(report.gap_events, 3);
//! assert_eq!(report.clusters[0].count, 2 + usize::from(report.clusters.len() == 1));
//! assert_eq!(report.clusters[0].proposal, Proposal::NewEntry);
//! # Ok::<(), wenda::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use crate::bot::{AskOptions, Bot};
use crate::queries::LabelledQuery;
use crate::querylog::LogEvent;
use crate::reply::HandoffReason;

/// Why a question counts as a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// Handed over because no entry was likely enough (or after several misses in a row).
    LowConfidence,
    /// Suggestions were offered instead of an answer.
    Clarify,
    /// The customer's next message rejected the answer or the suggestions.
    Rejected,
    /// The customer rated the reply not helpful.
    NotHelpful,
}

impl GapReason {
    /// The reason as written in JSON (`low_confidence`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::LowConfidence => "low_confidence",
            GapReason::Clarify => "clarify",
            GapReason::Rejected => "rejected",
            GapReason::NotHelpful => "not_helpful",
        }
    }
}

/// Options of [`find_gaps`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GapOptions {
    /// Least cosine (of the bot's embeddings) between a question and a cluster's centroid
    /// for the question to join the cluster. Default 0.6: higher gives more, smaller and
    /// purer clusters.
    pub similarity: f64,
    /// Least mean confidence of a cluster's questions in their common top entry for the
    /// cluster to be proposed as similar questions of that entry. Default 0.5: confidences
    /// are calibrated probabilities, so a proposal is more likely right than wrong (on
    /// lcqmc-dev, 61% of proposed questions were right at 0.5, 46% at 0.25).
    pub min_confidence: f64,
    /// Example phrasings kept per cluster (the most asked). Default 5.
    pub examples: usize,
}

impl Default for GapOptions {
    fn default() -> Self {
        GapOptions {
            similarity: 0.6,
            min_confidence: 0.5,
            examples: 5,
        }
    }
}

/// One gap question as read from the log: its text and how often it was a gap, per reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GapQuestion {
    /// The question (masked as logged; what the message was read as, in context).
    pub question: String,
    /// Times it was a gap, per reason.
    pub reasons: BTreeMap<GapReason, usize>,
    /// Entries the customer rejected or rated unhelpful for this question: never proposed.
    pub rejected: Vec<String>,
}

impl GapQuestion {
    /// Times it was a gap.
    pub fn count(&self) -> usize {
        self.reasons.values().sum()
    }
}

/// What the curator could do about a cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Proposal {
    /// Add the questions as similar questions of an existing entry.
    AddToEntry {
        /// The entry.
        entry_id: String,
        /// Its standard question.
        question: String,
        /// Mean confidence of the cluster's questions in it.
        confidence: f64,
    },
    /// No entry fits: write a new one.
    NewEntry,
}

/// A group of gap questions that the engine finds alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Times its questions were gaps.
    pub count: usize,
    /// Times per reason.
    pub reasons: BTreeMap<GapReason, usize>,
    /// The most asked phrasings (at most [`GapOptions::examples`]).
    pub examples: Vec<String>,
    /// Every distinct question, most asked first.
    pub questions: Vec<String>,
    /// The proposal.
    pub proposal: Proposal,
    /// The entry most of its questions go to and their mean confidence in it, also when
    /// that is too low to propose (a hint for a new entry's neighbour).
    pub nearest: Option<(String, f64)>,
}

/// The gaps of a query log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GapReport {
    /// Reply events read.
    pub replies: usize,
    /// Gap events (a question can be a gap for several reasons at once).
    pub gap_events: usize,
    /// Distinct gap questions.
    pub questions: usize,
    /// Clusters, largest first.
    pub clusters: Vec<Cluster>,
}

impl GapReport {
    /// Every question of every cluster in the labelled query format
    /// ([`read_queries`](crate::eval::read_queries)): `expected` is the proposed entry, or
    /// empty for a new entry — which `eval` refuses until the curator fills in the new
    /// entry's id (or `null` for a question that should not be answered).
    pub fn labelled(&self) -> Vec<LabelledQuery> {
        self.clusters
            .iter()
            .flat_map(|c| {
                let expected = match &c.proposal {
                    Proposal::AddToEntry { entry_id, .. } => entry_id.clone(),
                    Proposal::NewEntry => String::new(),
                };
                c.questions
                    .iter()
                    .map(move |q| LabelledQuery::new(q.clone(), Some(expected.as_str())))
            })
            .collect()
    }
}

/// The gap questions of a log, most frequent first (ties by text).
pub fn gap_questions(bot: &Bot, events: &[LogEvent]) -> Vec<GapQuestion> {
    let mut per: HashMap<String, GapQuestion> = HashMap::new();
    // reply id → (question, entry it answered or suggested first)
    let mut by_reply: HashMap<&str, (String, Option<&str>)> = HashMap::new();
    // conversation id → the last substantive reply's question and entry
    let mut last_in: HashMap<&str, (String, Option<&str>)> = HashMap::new();
    let add = |per: &mut HashMap<String, GapQuestion>,
               q: &str,
               reason: GapReason,
               rejected: Option<&str>| {
        let q = q.trim();
        if q.is_empty() {
            return;
        }
        let g = per.entry(q.to_string()).or_insert_with(|| GapQuestion {
            question: q.to_string(),
            ..Default::default()
        });
        *g.reasons.entry(reason).or_default() += 1;
        if let Some(id) = rejected
            && !g.rejected.iter().any(|r| r == id)
        {
            g.rejected.push(id.to_string());
        }
    };
    for event in events {
        match event {
            LogEvent::Reply {
                reply_id,
                conversation_id,
                question,
                read_as,
                decision,
                entry_id,
                reason,
                top,
                ..
            } => {
                let text = read_as.as_deref().unwrap_or(question).to_string();
                let shown = entry_id
                    .as_deref()
                    .or(top.first().map(|c| c.entry_id.as_str()));
                let rejection = bot.is_rejection(question);
                if rejection
                    && let Some(conv) = conversation_id.as_deref()
                    && let Some((prev, prev_entry)) = last_in.remove(conv)
                {
                    add(&mut per, &prev, GapReason::Rejected, prev_entry);
                }
                if decision == "small_talk" || rejection {
                    continue;
                }
                match (decision.as_str(), reason) {
                    ("clarify", _) => add(&mut per, &text, GapReason::Clarify, None),
                    (
                        "handoff",
                        Some(HandoffReason::LowConfidence | HandoffReason::RepeatedFailure),
                    ) => add(&mut per, &text, GapReason::LowConfidence, None),
                    _ => {}
                }
                by_reply.insert(reply_id, (text.clone(), shown));
                if let Some(conv) = conversation_id.as_deref() {
                    last_in.insert(conv, (text, shown));
                }
            }
            LogEvent::Feedback {
                reply_id, helpful, ..
            } => {
                if !helpful && let Some((q, shown)) = by_reply.get(reply_id.as_str()) {
                    add(&mut per, q, GapReason::NotHelpful, *shown);
                }
            }
        }
    }
    let mut out: Vec<GapQuestion> = per.into_values().collect();
    out.sort_by(|a, b| {
        b.count()
            .cmp(&a.count())
            .then_with(|| a.question.cmp(&b.question))
    });
    out
}

/// A gap question's embedding, and the entry it goes to now with its confidence.
type Looked = (Vec<f32>, Option<(String, f64)>);

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

fn norm(v: &[f32]) -> f64 {
    dot(v, v).sqrt()
}

/// The bot's answer to a gap question now: top entry (other than the rejected ones) and
/// its confidence.
fn best_now(bot: &Bot, g: &GapQuestion) -> Option<(String, f64)> {
    let reply = bot.ask_with(
        &g.question,
        AskOptions {
            max_candidates: Some(g.rejected.len() + 1),
            ..AskOptions::default()
        },
    );
    reply
        .candidates
        .iter()
        .find(|c| !g.rejected.contains(&c.entry_id))
        .map(|c| (c.entry_id.clone(), c.confidence))
}

/// Finds the gaps of a log (see the module documentation). `progress(done, total)` is
/// called as questions are embedded and asked again.
pub fn find_gaps(
    bot: &Bot,
    events: &[LogEvent],
    options: &GapOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> GapReport {
    let questions = gap_questions(bot, events);
    let replies = events
        .iter()
        .filter(|e| matches!(e, LogEvent::Reply { .. }))
        .count();
    let total = questions.len();
    let done = AtomicUsize::new(0);
    progress(0, total);
    let looked: Vec<Looked> = questions
        .par_iter()
        .map(|g| {
            let vector = bot.embedder().embed(&bot.analyzer().analyze(&g.question));
            let best = best_now(bot, g);
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(32) || n == total {
                progress(n, total);
            }
            (vector, best)
        })
        .collect();

    // Greedy clustering, most asked first, on the centroid's cosine.
    let mut sums: Vec<Vec<f32>> = Vec::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, (v, _)) in looked.iter().enumerate() {
        let best = sums
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let n = norm(s);
                (c, if n > 0.0 { dot(v, s) / n } else { 0.0 })
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((c, sim)) if sim >= options.similarity && norm(v) > 0.0 => {
                sums[c].iter_mut().zip(v).for_each(|(s, x)| *s += x);
                members[c].push(i);
            }
            _ => {
                sums.push(v.clone());
                members.push(vec![i]);
            }
        }
    }

    let min_confidence = options.min_confidence;
    let mut clusters: Vec<Cluster> = members
        .iter()
        .map(|m| {
            cluster(
                bot,
                &questions,
                &looked,
                m,
                min_confidence,
                options.examples,
            )
        })
        .collect();
    clusters.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.questions.cmp(&b.questions))
    });
    GapReport {
        replies,
        gap_events: questions.iter().map(GapQuestion::count).sum(),
        questions: questions.len(),
        clusters,
    }
}

fn cluster(
    bot: &Bot,
    questions: &[GapQuestion],
    looked: &[Looked],
    members: &[usize],
    min_confidence: f64,
    examples: usize,
) -> Cluster {
    let mut reasons: BTreeMap<GapReason, usize> = BTreeMap::new();
    // entry → (weight, sum of confidence × weight)
    let mut votes: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    let mut count = 0;
    for &i in members {
        let g = &questions[i];
        let w = g.count();
        count += w;
        for (r, n) in &g.reasons {
            *reasons.entry(*r).or_default() += n;
        }
        if let Some((id, c)) = &looked[i].1 {
            let v = votes.entry(id).or_default();
            v.0 += w;
            v.1 += c * w as f64;
        }
    }
    let nearest = votes
        .iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(a.1.1.total_cmp(&b.1.1)))
        .map(|(id, (w, s))| (id.to_string(), *w, s / *w as f64));
    let proposal = match &nearest {
        Some((id, w, confidence)) if 2 * w > count && *confidence >= min_confidence => {
            Proposal::AddToEntry {
                entry_id: id.clone(),
                question: bot
                    .knowledge()
                    .entry(id)
                    .map(|e| e.question.clone())
                    .unwrap_or_default(),
                confidence: *confidence,
            }
        }
        _ => Proposal::NewEntry,
    };
    let questions: Vec<String> = members
        .iter()
        .map(|&i| questions[i].question.clone())
        .collect();
    Cluster {
        count,
        reasons,
        examples: questions.iter().take(examples).cloned().collect(),
        questions,
        proposal,
        nearest: nearest.map(|(id, _, c)| (id, c)),
    }
}
