//! Printing replies for people (text) and programs (JSON).

use std::fmt::Write;

use wenda::{Bot, ContextKind, Decision, Reply, rank::ModelOrigin};

/// Pretty JSON of a reply.
pub fn json_pretty(reply: &Reply) -> String {
    serde_json::to_string_pretty(reply).unwrap_or_default()
}

/// One-line JSON of a reply.
pub fn json_line(reply: &Reply) -> String {
    serde_json::to_string(reply).unwrap_or_default()
}

/// A reply as a curator reads it.
pub fn reply(r: &Reply) -> String {
    let mut s = String::new();
    match &r.decision {
        Decision::Answer {
            entry_id,
            question,
            answer,
            category,
        } => {
            let _ = writeln!(
                s,
                "answer  confidence {:.2}  [{entry_id}] {category}",
                r.confidence
            );
            let _ = writeln!(s, "问：{question}");
            let _ = writeln!(s, "答：{answer}");
        }
        Decision::Clarify { suggestions } => {
            let _ = writeln!(s, "clarify  confidence {:.2}  您是不是想问：", r.confidence);
            for (i, sug) in suggestions.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "  {}. {}  [{}] {:.2}",
                    i + 1,
                    sug.question,
                    sug.entry_id,
                    sug.confidence
                );
            }
        }
        Decision::SmallTalk { intent, reply } => {
            let _ = writeln!(s, "small_talk  [{intent}]");
            let _ = writeln!(s, "答：{reply}");
        }
        Decision::Handoff {
            reason,
            priority,
            detail,
        } => {
            let _ = write!(
                s,
                "handoff  reason {}  priority {}  confidence {:.2}",
                reason.as_str(),
                priority.as_str(),
                r.confidence
            );
            if let Some(d) = detail {
                let _ = write!(s, "  ({d})");
            }
            let _ = writeln!(s);
            match &r.handoff {
                Some(h) => {
                    for g in &h.best_guesses {
                        let _ = writeln!(
                            s,
                            "  best guess: {}  [{}] {:.2}",
                            g.question, g.entry_id, g.confidence
                        );
                    }
                    if h.transcript.len() > 1 {
                        let _ = writeln!(
                            s,
                            "  to the agent: {} turns of transcript{}",
                            h.transcript.len(),
                            h.customer
                                .tier
                                .as_ref()
                                .map(|t| format!(", customer tier {t}"))
                                .unwrap_or_default()
                        );
                    }
                }
                None => {
                    if let Some(top) = r.candidates.first() {
                        let _ = writeln!(
                            s,
                            "  best guess: {}  [{}] {:.2}",
                            top.question, top.entry_id, top.confidence
                        );
                    }
                }
            }
        }
    }
    if let Some(c) = &r.context {
        let kind = match c.kind {
            ContextKind::PickedSuggestion => "picked suggestion",
            ContextKind::NextCandidate => "rejected",
            ContextKind::FollowUp => "follow-up, read as",
        };
        let _ = writeln!(s, "  ({kind}: {})", c.read_as);
    }
    s
}

/// The candidates table behind a reply, for `--explain`.
pub fn explain(bot: &Bot, r: &Reply) -> String {
    let mut s = String::new();
    let origin = match &bot.model().origin {
        ModelOrigin::Builtin | ModelOrigin::SelfCalibrated { .. } => bot.model().describe(),
        other => format!("{other:?}"),
    };
    let a = bot.analyzer().analyze(&r.query);
    let _ = writeln!(
        s,
        "\nnormalized: {}\nterms: {}\nsearch terms: {}",
        a.normalized,
        a.terms.join(" / "),
        a.search_terms.join(" / ")
    );
    let t = &bot.config().thresholds;
    let _ = writeln!(
        s,
        "confidence model: {origin}; thresholds: answer ≥ {:.2}, clarify ≥ {:.2}; vector search: {}; {} µs",
        t.answer,
        t.clarify,
        if bot.uses_hnsw() { "hnsw" } else { "exact" },
        r.elapsed_us
    );
    if r.candidates.is_empty() {
        let _ = writeln!(s, "no candidates");
        return s;
    }
    let _ = writeln!(
        s,
        "{:>2} {:<24} {:>5} {:>6} | {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} {:>4} | matched",
        "#",
        "entry",
        "conf",
        "score",
        "bm25",
        "cos",
        "gram",
        "cent",
        "rec",
        "prec",
        "edit",
        "len",
        "unk"
    );
    for (i, c) in r.candidates.iter().enumerate() {
        let f = &c.features;
        let _ = writeln!(
            s,
            "{:>2} {:<24} {:>5.2} {:>6.2} | {:>4.2} {:>4.2} {:>4.2} {:>4.2} {:>4.2} {:>4.2} {:>4.2} {:>4.2} {:>4.2} | {}",
            i + 1,
            truncate(&c.entry_id, 24),
            c.confidence,
            c.score,
            f.bm25,
            f.cosine,
            f.gram_cosine,
            f.centroid_cosine,
            f.term_recall,
            f.term_precision,
            f.edit_similarity,
            f.length_ratio,
            f.unknown_share,
            c.matched
        );
    }
    let _ = writeln!(
        s,
        "features: bm25 = BM25 relative to the best hit; cos = embedding cosine; gram = character n-gram cosine; \
         cent = n-gram cosine to the entry's whole paraphrase group; rec/prec = share of the question's / the \
         variant's words matched; edit = edit similarity; len = length ratio; unk = share of words unknown to the KB"
    );
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
