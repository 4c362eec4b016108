//! Self-calibration: fit the confidence model on the knowledge base's own questions.
//!
//! Each similar question is asked with itself held out of every index (as if a customer
//! had typed it), and a share of entries is asked with the whole entry held out (a question
//! the knowledge base cannot answer). The ranker learns which features pick the right
//! entry; the calibrator learns how often the top entry is right at each score, margin and
//! share of unknown words. With the built-in embedder, held-out questions are embedded by an
//! embedder trained without them (5 folds), so the paraphrase half cannot remember them.
//!
//! Held-out entries only teach what an *in-domain* question without an answer looks like.
//! To also learn that an off-topic question (`今天天气怎么样` to an insurer) must not be
//! answered, a few off-topic questions are made up: the knowledge base's own questions with
//! their distinctive words swapped for general Chinese words the knowledge base does not
//! contain (from OpenCC's phrase list, shipped inside `hanconv`). They keep the shape of a
//! customer question and share its common words, but ask about something else.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::probes::{MadeUp, Perturber};
use super::{Bot, Scored};
use crate::embed::{Embedder, NgramEmbedder};
use crate::error::{Error, Problem, Result};
use crate::index::{Holdout, VariantId};
use crate::model::{ConfidenceModel, ModelOrigin};
use crate::queries::{LabelledQuery, fingerprint};
use crate::rank::fit::{Example, Kind, fit};
use crate::stable_hash::{Rng, fnv1a, splitmix64};
use crate::text::{Analysis, general_words};

/// Share of entries (in percent) held out whole, to learn "not in the knowledge base".
const OUT_OF_KB_PERCENT: u64 = 15;
/// Most held-out similar questions (bounds build time on very large knowledge bases).
const MAX_IN_KB: usize = 4000;
/// Questions asked with their entry held out, per held-out similar question: a prior of
/// one question in five that the knowledge base cannot answer.
const OUT_PER_IN: f64 = 0.25;
/// Off-topic questions made up per held-out similar question (see [`off_topic`]).
const OFF_TOPIC_PER_IN: f64 = 0.25;
/// Folds for re-training the built-in embedder without the held-out questions.
const FOLDS: u64 = 5;
/// In-KB questions (real and made up) that a small knowledge base is topped up to with
/// further rounds of made-up rephrasings.
const MIN_IN_KB: usize = 400;
/// Real held-out similar questions from which on made-up rephrasings are not needed: they
/// are easier than real paraphrases, so where real ones are plenty they would only make the
/// confidence optimistic.
const ENOUGH_REAL_IN_KB: usize = 300;
/// Most rounds of made-up rephrasings per entry.
const MAX_ROUNDS: usize = 8;

fn stable_hash(s: &str) -> u64 {
    splitmix64(fnv1a(s))
}

/// One planned held-out question.
#[derive(Debug, Clone, Copy)]
struct Probe {
    query: VariantId,
    holdout: Holdout,
    correct: Option<u32>,
    fold: u64,
}

/// The held-out probes, and which entries are held out whole.
fn plan(bot: &Bot) -> (Vec<Probe>, HashSet<u32>) {
    let kb = bot.knowledge();
    let ranges = &bot.corpus.entry_variants;
    let mut order: Vec<(u64, u32)> = kb
        .entries()
        .iter()
        .enumerate()
        .map(|(i, e)| (stable_hash(&e.id), i as u32))
        .collect();
    order.sort_unstable();
    let mut in_kb: Vec<(u32, Vec<VariantId>)> = Vec::new();
    let mut out_of_kb: Vec<(u32, Vec<VariantId>)> = Vec::new();
    for &(h, e) in &order {
        let r = ranges[e as usize].clone();
        if h % 100 < OUT_OF_KB_PERCENT {
            out_of_kb.push((e, r.collect()));
        } else if r.len() >= 2 {
            in_kb.push((e, r.collect()));
        }
    }
    let held_out: HashSet<u32> = out_of_kb.iter().map(|(e, _)| *e).collect();
    let mut probes = round_robin(&in_kb, MAX_IN_KB, |e, v| (Holdout::Variant(v), Some(e)));
    let out_cap = (probes.len() as f64 * OUT_PER_IN).ceil() as usize;
    probes.extend(round_robin(&out_of_kb, out_cap, |e, _| {
        (Holdout::Entry(e), None)
    }));
    let names = kb.entries();
    for p in &mut probes {
        let e = bot.corpus.variants[p.query as usize].entry;
        p.fold = stable_hash(&format!("{}#{}", names[e as usize].id, p.query)) % FOLDS;
    }
    (probes, held_out)
}

/// Up to `cap` probes taking the first variant of every entry, then the second, and so on,
/// so that a cap keeps every entry represented.
fn round_robin(
    groups: &[(u32, Vec<VariantId>)],
    cap: usize,
    make: impl Fn(u32, VariantId) -> (Holdout, Option<u32>),
) -> Vec<Probe> {
    let mut out = Vec::new();
    for k in 0.. {
        let mut any = false;
        for (e, variants) in groups {
            let Some(&v) = variants.get(k) else { continue };
            any = true;
            if out.len() == cap {
                return out;
            }
            let (holdout, correct) = make(*e, v);
            out.push(Probe {
                query: v,
                holdout,
                correct,
                fold: 0,
            });
        }
        if !any {
            break;
        }
    }
    out
}

/// Fits the model, or returns `None` when there are fewer than `min_examples` held-out
/// questions, real and made up together.
pub(crate) fn self_calibrate(
    bot: &Bot,
    analyses: &[Vec<Analysis>],
    builtin_embedder: bool,
    min_examples: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Option<ConfidenceModel>> {
    let (mut probes, held_out) = plan(bot);
    let real_in_kb = probes.iter().filter(|p| p.correct.is_some()).count();
    let flat: Vec<&Analysis> = analyses.iter().flatten().collect();
    let made_up = made_up_probes(bot, &probes, &held_out, &flat);
    let in_kb = real_in_kb + made_up.len();
    if in_kb < min_examples.max(1) {
        return Ok(None);
    }
    // With made-up questions in the mix, keep the prior share of unanswerable ones.
    let out_cap = (in_kb as f64 * OUT_PER_IN).ceil() as usize;
    let out_now = probes.len() - real_in_kb;
    if out_now < out_cap {
        let (extra, _) = plan_out_of_kb(bot, &held_out, out_cap, &probes);
        probes.extend(extra);
    }
    let total = probes.len() + made_up.len();
    let mut examples = Vec::with_capacity(total);
    let done = AtomicUsize::new(0);
    progress(0, total);
    for fold in 0..FOLDS {
        let fold_probes: Vec<&Probe> = probes.iter().filter(|p| p.fold == fold).collect();
        if fold_probes.is_empty() {
            continue;
        }
        let fold_embedder = if builtin_embedder {
            Some(train_without(bot, analyses, &fold_probes))
        } else {
            None
        };
        let embedder: &dyn Embedder = match &fold_embedder {
            Some(e) => e,
            None => bot.embedder.as_ref(),
        };
        // Probes are independent; rayon keeps their order, so the fit is reproducible.
        let fold_examples = fold_probes
            .par_iter()
            .map(|p| {
                let scored = bot.score(flat[p.query as usize], embedder, p.holdout)?;
                let kind = match p.correct {
                    Some(e) => Kind::InKb(e),
                    None => Kind::HeldOutEntry,
                };
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                if finished.is_multiple_of(100) {
                    progress(finished, total);
                }
                Ok(example(&scored, kind))
            })
            .collect::<Result<Vec<_>>>()?;
        examples.extend(fold_examples);
    }
    let analyzer = bot.analyzer();
    // Made-up rephrasings are asked of the whole knowledge base: their source question
    // stays in, as it would when a customer types it with a slip.
    let made_up_examples = made_up
        .par_iter()
        .map(|(entry, m)| {
            let scored = bot.score(
                &analyzer.analyze(&m.text),
                bot.embedder.as_ref(),
                Holdout::None,
            )?;
            Ok(example(&scored, Kind::MadeUp(*entry)))
        })
        .collect::<Result<Vec<_>>>()?;
    examples.extend(made_up_examples);
    let n_off_topic = (in_kb as f64 * OFF_TOPIC_PER_IN).ceil() as usize;
    // Frames for off-topic questions: the held-out similar questions, or where there are
    // none, the entries' own questions.
    let mut frames: Vec<VariantId> = probes
        .iter()
        .filter(|p| p.correct.is_some())
        .map(|p| p.query)
        .collect();
    if frames.is_empty() {
        let mut seen = HashSet::new();
        frames = made_up
            .iter()
            .filter(|(e, _)| seen.insert(*e))
            .map(|(e, _)| bot.corpus.entry_variants[*e as usize].start)
            .collect();
    }
    let off_topic_examples = off_topic(bot, &frames, &flat, n_off_topic)
        .par_iter()
        .map(|text| {
            let scored = bot.score(
                &analyzer.analyze(text),
                bot.embedder.as_ref(),
                Holdout::None,
            )?;
            Ok(example(&scored, Kind::OffTopic))
        })
        .collect::<Result<Vec<_>>>()?;
    examples.extend(off_topic_examples);
    progress(total, total);
    even_out_entries(&mut examples);
    let mut model = fit(&examples, None);
    if let ModelOrigin::SelfCalibrated {
        made_up: counts,
        entries_with_similar,
        ..
    } = &mut model.origin
    {
        for kind in &bot.config().calibration.made_up {
            counts.insert(kind.name().to_string(), 0);
        }
        for (_, m) in &made_up {
            *counts.entry(m.kind.name().to_string()).or_default() += 1;
        }
        let with: HashSet<u32> = probes.iter().filter_map(|p| p.correct).collect();
        *entries_with_similar = with.len();
    }
    Ok(Some(model))
}

/// More questions of held-out entries, up to `cap` out-of-KB probes in all: where
/// made-up rephrasings stand in for missing similar questions, the questions the knowledge
/// base cannot answer must keep their share. Returns them and how many there were before.
fn plan_out_of_kb(
    bot: &Bot,
    held_out: &HashSet<u32>,
    cap: usize,
    probes: &[Probe],
) -> (Vec<Probe>, usize) {
    let used: HashSet<VariantId> = probes
        .iter()
        .filter(|p| p.correct.is_none())
        .map(|p| p.query)
        .collect();
    let have = used.len();
    let names = bot.knowledge().entries();
    let mut entries: Vec<u32> = held_out.iter().copied().collect();
    entries.sort_unstable_by_key(|&e| (stable_hash(&names[e as usize].id), e));
    let mut out = Vec::new();
    for e in entries {
        for v in bot.corpus.entry_variants[e as usize].clone() {
            if have + out.len() >= cap {
                return (out, have);
            }
            if used.contains(&v) {
                continue;
            }
            out.push(Probe {
                query: v,
                holdout: Holdout::Entry(e),
                correct: None,
                fold: stable_hash(&format!("{}#{}", names[e as usize].id, v)) % FOLDS,
            });
        }
    }
    (out, have)
}

/// Made-up rephrasings of the entries' own questions (see [`super::probes`]), where real
/// held-out similar questions are fewer than [`ENOUGH_REAL_IN_KB`]: one for every entry
/// that is not held out and has no held-out similar question, and more (from
/// every entry, round after round) while the real and made-up questions together number
/// fewer than [`MIN_IN_KB`] (a small knowledge base). The kinds take turns; a kind that
/// cannot change a question gives way to the next. Deterministic.
fn made_up_probes(
    bot: &Bot,
    probes: &[Probe],
    held_out: &HashSet<u32>,
    flat: &[&Analysis],
) -> Vec<(u32, MadeUp)> {
    let kinds = &bot.config().calibration.made_up;
    if kinds.is_empty() {
        return Vec::new();
    }
    let kb = bot.knowledge();
    let real: HashSet<u32> = probes.iter().filter_map(|p| p.correct).collect();
    let real_count = probes.iter().filter(|p| p.correct.is_some()).count();
    let mut pool: Vec<char> = general_words(|_| false)
        .iter()
        .flat_map(|w| w.chars())
        .collect();
    for e in kb.entries() {
        for v in e.variants() {
            pool.extend(v.chars());
        }
    }
    let perturber = Perturber::new(kinds, pool, &kb.lexicon().synonyms);
    let kinds = perturber.kinds().to_vec();
    let max_idf = bot.corpus.max_idf();
    let mut sources: Vec<(u64, u32)> = (0..kb.len() as u32)
        .filter(|e| !held_out.contains(e))
        .map(|e| (stable_hash(&kb.entries()[e as usize].id), e))
        .collect();
    sources.sort_unstable();
    // Entries without real evidence first.
    sources.sort_by_key(|&(_, e)| real.contains(&e));
    if real_count >= ENOUGH_REAL_IN_KB {
        return Vec::new();
    }
    let without = sources.iter().filter(|(_, e)| !real.contains(e)).count();
    let wanted = without
        .max(MIN_IN_KB.saturating_sub(real_count))
        .min(MAX_IN_KB.saturating_sub(real_count));
    let mut rng = Rng::new(0x9e0b_e5ed);
    let mut out = Vec::with_capacity(wanted);
    for round in 0..MAX_ROUNDS {
        let before = out.len();
        for (i, &(_, e)) in sources.iter().enumerate() {
            if out.len() >= wanted {
                return out;
            }
            let range = bot.corpus.entry_variants[e as usize].clone();
            let n = range.len();
            if n == 0 {
                continue;
            }
            let v = range.start as usize + (round % n);
            let text = kb.entries()[e as usize]
                .variants()
                .nth(round % n)
                .unwrap_or_default();
            let terms: Vec<(String, f32)> = flat[v]
                .terms
                .iter()
                .map(|t| (t.clone(), bot.corpus.term_idf(t).unwrap_or(max_idf)))
                .collect();
            let start = i + round * 3;
            for k in 0..kinds.len() {
                let kind = kinds[(start + k) % kinds.len()];
                if let Some(m) = perturber.probe(text, &terms, kind, &mut rng) {
                    out.push((e, m));
                    break;
                }
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

/// General words (2–4 Chinese characters) that no question of the knowledge base contains.
fn foreign_words(bot: &Bot) -> Vec<&'static str> {
    general_words(|w| bot.corpus.term_idf(w).is_some())
}

/// `n` made-up off-topic questions: questions (`frames`) whose distinctive words (those found
/// in few entries) are replaced, in every other question by foreign words, in the others by
/// distinctive words of other entries' questions. The first kind teaches that unknown words
/// mean "not for us"; the second is a near miss in the knowledge base's own vocabulary
/// (`我想买个手机` to an insurer: every word known, yet no entry asks it). Deterministic.
fn off_topic(bot: &Bot, frames: &[VariantId], flat: &[&Analysis], n: usize) -> Vec<String> {
    let words = foreign_words(bot);
    if words.is_empty() || n == 0 {
        return Vec::new();
    }
    // A word is distinctive when at most about √(entries) entries share it.
    let threshold = bot.corpus.max_idf() * 0.5;
    let is_distinctive = |t: &str| bot.corpus.term_idf(t).is_none_or(|idf| idf >= threshold);
    // (entry, distinctive word) of every question, to borrow from.
    let mut own: Vec<(u32, &str)> = flat
        .iter()
        .enumerate()
        .flat_map(|(v, a)| {
            let entry = bot.corpus.variants[v].entry;
            a.terms
                .iter()
                .filter(|t| t.chars().count() >= 2 && is_distinctive(t))
                .map(move |t| (entry, t.as_str()))
        })
        .collect();
    own.sort_unstable();
    own.dedup();
    let mut out = Vec::with_capacity(n);
    let mut rng = Rng::new(0x0ff7_091c);
    for &query in frames {
        if out.len() == n {
            break;
        }
        let frame = flat[query as usize];
        let source = bot.corpus.variants[query as usize].entry;
        let distinctive: Vec<bool> = frame.terms.iter().map(|t| is_distinctive(t)).collect();
        let Some(must) = distinctive.iter().position(|&d| d) else {
            continue;
        };
        let borrow = out.len() % 2 == 1 && !own.is_empty();
        // Replace each distinctive word with probability 3/5 (at least one): an off-topic
        // question often shares a rare word with some entry, and must still not be answered.
        let mut replaced = 0;
        let mut text = String::new();
        for (i, (t, &d)) in frame.terms.iter().zip(&distinctive).enumerate() {
            let roll = rng.next_u64();
            if d && (i == must || roll % 5 < 3) {
                let pick = rng.next_u64();
                let word = if borrow {
                    let (entry, w) = own[(pick % own.len() as u64) as usize];
                    if entry == source { t.as_str() } else { w }
                } else {
                    words[(pick % words.len() as u64) as usize]
                };
                replaced += usize::from(word != t.as_str());
                text.push_str(word);
            } else {
                text.push_str(t);
            }
        }
        if replaced > 0 {
            out.push(text);
        }
    }
    out
}

/// Weighs in-KB examples so that every entry counts the same in total (an entry with many
/// similar questions would otherwise dominate, and such entries are the easy ones), keeping
/// the total weight equal to the number of in-KB examples.
fn even_out_entries(examples: &mut [Example]) {
    let mut per_entry: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
    for ex in examples.iter() {
        if let Kind::InKb(e) | Kind::MadeUp(e) = ex.kind {
            *per_entry.entry(e).or_default() += 1;
        }
    }
    let total: usize = per_entry.values().sum();
    if per_entry.is_empty() {
        return;
    }
    let mean = total as f64 / per_entry.len() as f64;
    for ex in examples.iter_mut() {
        if let Kind::InKb(e) | Kind::MadeUp(e) = ex.kind {
            ex.weight = mean / per_entry[&e] as f64;
        }
    }
}

/// Fits the model on labelled queries (`expected` ids already checked against the
/// knowledge base): each query is asked as is, and its expected entry (or, for a query that
/// should not be answered, none) is what the ranker and calibrator learn.
pub(crate) fn fit_on_queries(
    bot: &Bot,
    queries: &[LabelledQuery],
    file: &str,
    progress: &dyn Fn(usize, usize),
) -> Result<ConfidenceModel> {
    let kb = bot.knowledge();
    let index: std::collections::HashMap<&str, u32> = kb
        .entries()
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i as u32))
        .collect();
    let mut examples = Vec::with_capacity(queries.len());
    let (mut in_kb, mut out_of_kb) = (0, 0);
    progress(0, queries.len());
    for (i, q) in queries.iter().enumerate() {
        let analysis = bot.analyzer().analyze(&q.query);
        let scored = bot.score(&analysis, bot.embedder.as_ref(), Holdout::None)?;
        let kind = match q.expected.as_deref().and_then(|id| index.get(id)) {
            Some(&e) => {
                in_kb += 1;
                Kind::InKb(e)
            }
            None => {
                out_of_kb += 1;
                Kind::HeldOutEntry
            }
        };
        examples.push(example(&scored, kind));
        if (i + 1) % 64 == 0 {
            progress(i + 1, queries.len());
        }
    }
    progress(queries.len(), queries.len());
    let origin = ModelOrigin::Queries {
        file: file.to_string(),
        fingerprint: fingerprint(queries),
        in_kb,
        out_of_kb,
    };
    let mut model = fit(&examples, Some(origin));
    model.knowledge = Some(kb.fingerprint());
    Ok(model)
}

fn example(scored: &[Scored], kind: Kind) -> Example {
    Example {
        candidates: scored.iter().map(|s| (s.entry, s.features)).collect(),
        kind,
        weight: 1.0,
    }
}

/// The built-in embedder trained on the knowledge base minus the probes' held-out questions.
fn train_without(bot: &Bot, analyses: &[Vec<Analysis>], probes: &[&Probe]) -> NgramEmbedder {
    let mut left_out: HashSet<VariantId> = HashSet::new();
    for p in probes {
        match p.holdout {
            Holdout::None => {}
            Holdout::Variant(v) => {
                left_out.insert(v);
            }
            Holdout::Entry(e) => left_out.extend(bot.corpus.entry_variants[e as usize].clone()),
        }
    }
    let by_entry: Vec<Vec<&Analysis>> = analyses
        .iter()
        .zip(&bot.corpus.entry_variants)
        .map(|(variants, range)| {
            variants
                .iter()
                .zip(range.clone())
                .filter(|(_, v)| !left_out.contains(v))
                .map(|(a, _)| a)
                .collect()
        })
        .collect();
    NgramEmbedder::train(&by_entry, bot.embedder.dimension())
}

impl Bot {
    /// Fits a confidence model on labelled queries (for example real customer questions a
    /// curator has labelled), to use in place of the self-calibrated one:
    /// `Bot::builder(kb).model(model)`, or save it and name it in `wenda.toml`
    /// (`calibration.model`). `file` names the queries in the model's origin.
    ///
    /// ```
    /// use wenda::{Bot, KnowledgeBase, eval::LabelledQuery, rank::ModelOrigin};
    /// let kb = KnowledgeBase::load(concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge"))?;
    /// let bot = Bot::build(kb)?;
    /// let queries = [
    ///     LabelledQuery::new("车撞了怎么报案", Some("claim-report")),
    ///     LabelledQuery::new("退保怎么办理", Some("surrender-how")),
    ///     LabelledQuery::new("股票怎么买", None),
    /// ];
    /// let model = bot.fit_model(&queries, "mine.jsonl", &|_, _| {})?;
    /// assert!(matches!(model.origin, ModelOrigin::Queries { in_kb: 2, out_of_kb: 1, .. }));
    /// # Ok::<(), wenda::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Queries`](Error::Queries) when an `expected` id is not in the
    /// knowledge base or no query has one; an index error if searching fails.
    pub fn fit_model(
        &self,
        queries: &[LabelledQuery],
        file: &str,
        progress: &dyn Fn(usize, usize),
    ) -> Result<ConfidenceModel> {
        let kb = self.knowledge();
        let mut problems: Vec<Problem> = queries
            .iter()
            .filter_map(|q| {
                let id = q.expected.as_deref()?;
                kb.entry(id).is_none().then(|| {
                    Problem::error(
                        file,
                        format!("`expected` entry \"{id}\" is not in the knowledge base"),
                    )
                    .at_line(Some(q.line))
                })
            })
            .collect();
        if problems.is_empty() && queries.iter().all(|q| q.expected.is_none()) {
            problems.push(Problem::error(
                file,
                "no query has an expected entry, so there is nothing to learn the ranking from",
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Queries(problems));
        }
        fit_on_queries(self, queries, file, progress)
    }
}
