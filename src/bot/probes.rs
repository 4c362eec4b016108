//! Made-up probes: an entry's own question rephrased the ways customers really rephrase,
//! for self-calibration where the knowledge base has few real similar questions.
//!
//! Each kind ([`ProbeKind`]) is one way a customer's wording drifts from the FAQ's:
//!
//! | kind | what changes | example (from 信用卡怎么还款) |
//! |---|---|---|
//! | `typo` | a character dropped, two swapped, or one typed twice | 信用卡怎还款 |
//! | `homophone` | a character replaced by one read the same (pinyin input slips) | 信用卡怎么还宽 |
//! | `near_shape` | a character replaced by one that looks alike (handwriting, OCR) | 信用卡怎么还欺 |
//! | `filler` | 请问, 我想问一下, 啊, 呢… added, or removed where the question has them | 请问信用卡怎么还款呢 |
//! | `synonym` | a word swapped for another of its group in `synonyms.txt` | (with 还款 还钱) 信用卡怎么还钱 |
//! | `key_phrase` | only the one or two most distinctive words | 信用卡 还款 |
//! | `reorder` | clauses (or, in one clause, its two halves) swapped | 怎么还款信用卡 |
//!
//! A probe applies its kind and, every other time, one more enabled kind on top, so that
//! made-up questions are not all one edit away from their source. Generation is seeded
//! ([`Rng`]): the same knowledge base gives the same probes on every machine.

use std::collections::{BTreeMap, HashMap};

use pinyin::ToPinyin;

use crate::config::ProbeKind;
use crate::stable_hash::Rng;

/// Fillers customers put before a question.
const PREFIXES: [&str; 6] = [
    "请问",
    "我想问一下",
    "你好，",
    "问一下",
    "我想知道",
    "麻烦问下",
];
/// Particles and marks customers put after a question.
const SUFFIXES: [&str; 6] = ["啊", "呢", "吗", "呀", "？", "啊？"];
/// Groups of characters that look alike and are commonly confused (classic 形近字).
const NEAR_SHAPES: [&str; 40] = [
    "己已巳",
    "未末",
    "人入",
    "日曰",
    "大太犬",
    "土士",
    "折析拆",
    "候侯",
    "拔拨",
    "贷货",
    "免兔",
    "乌鸟",
    "戊戌戍",
    "今令",
    "玉王主",
    "刀力",
    "干千于",
    "天夭",
    "午牛",
    "甲申由",
    "目自",
    "问间",
    "历厉",
    "准淮",
    "冶治",
    "辨辩",
    "即既",
    "侍待",
    "栽裁载",
    "密蜜",
    "码玛",
    "很狠",
    "钱线",
    "卡卞",
    "另号",
    "帐账",
    "借惜",
    "环还",
    "提堤",
    "冲仲",
];
/// Clause separators (after normalization, full-width marks are half-width).
const CLAUSE_MARKS: [char; 8] = [',', '，', ';', '；', '。', '、', '!', '?'];

/// What the generator knows about the knowledge base.
pub(crate) struct Perturber<'a> {
    kinds: Vec<ProbeKind>,
    /// Characters read the same (plain pinyin), among the characters the pool offers.
    homophones: HashMap<char, Vec<char>>,
    /// Character → the other characters of its near-shape group.
    shapes: HashMap<char, Vec<char>>,
    /// Synonym groups of the lexicon.
    synonyms: &'a [Vec<String>],
    /// Characters to insert as an extra keystroke.
    pool: Vec<char>,
}

/// One made-up question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MadeUp {
    pub text: String,
    pub kind: ProbeKind,
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

impl<'a> Perturber<'a> {
    /// A generator of the enabled `kinds`, drawing homophones from `pool` (the characters
    /// the knowledge base and general vocabulary use: what an input method would offer).
    pub fn new(
        kinds: &[ProbeKind],
        pool: impl IntoIterator<Item = char>,
        synonyms: &'a [Vec<String>],
    ) -> Self {
        let mut pool: Vec<char> = pool.into_iter().filter(|&c| is_han(c)).collect();
        pool.sort_unstable();
        pool.dedup();
        let mut by_sound: BTreeMap<&'static str, Vec<char>> = BTreeMap::new();
        for &c in &pool {
            if let Some(p) = c.to_pinyin() {
                by_sound.entry(p.plain()).or_default().push(c);
            }
        }
        let mut homophones = HashMap::new();
        for chars in by_sound.values().filter(|g| g.len() > 1) {
            for &c in chars {
                homophones.insert(c, chars.iter().copied().filter(|&o| o != c).collect());
            }
        }
        let mut shapes = HashMap::new();
        for group in NEAR_SHAPES {
            let chars: Vec<char> = group.chars().collect();
            for &c in &chars {
                shapes.insert(c, chars.iter().copied().filter(|&o| o != c).collect());
            }
        }
        let mut kinds = kinds.to_vec();
        kinds.sort_unstable();
        kinds.dedup();
        Perturber {
            kinds,
            homophones,
            shapes,
            synonyms,
            pool,
        }
    }

    /// The enabled kinds.
    pub fn kinds(&self) -> &[ProbeKind] {
        &self.kinds
    }

    /// A made-up rephrasing of `text` of kind `kind`, or `None` when that kind cannot
    /// change it (no synonym in the question, a single word, …). `terms` are the question's
    /// words with how distinctive each is (idf), in order. Every other probe (by `rng`)
    /// gets a second, different enabled kind applied on top.
    pub fn probe(
        &self,
        text: &str,
        terms: &[(String, f32)],
        kind: ProbeKind,
        rng: &mut Rng,
    ) -> Option<MadeUp> {
        let first = self.apply(text, terms, kind, rng)?;
        let mut out = first.clone();
        if rng.below(2) == 1 {
            let others: Vec<ProbeKind> = self
                .kinds
                .iter()
                .copied()
                .filter(|&k| k != kind && k != ProbeKind::KeyPhrase)
                .collect();
            if !others.is_empty() {
                let second = others[rng.below(others.len())];
                if let Some(t) = self.apply(&first, &[], second, rng) {
                    out = t;
                }
            }
        }
        (out != text && out.chars().any(is_han)).then_some(MadeUp { text: out, kind })
    }

    fn apply(
        &self,
        text: &str,
        terms: &[(String, f32)],
        kind: ProbeKind,
        rng: &mut Rng,
    ) -> Option<String> {
        let chars: Vec<char> = text.chars().collect();
        let han: Vec<usize> = (0..chars.len()).filter(|&i| is_han(chars[i])).collect();
        let out = match kind {
            ProbeKind::Typo => typo(&chars, &han, &self.pool, rng)?,
            ProbeKind::Homophone => replace_one(&chars, &han, &self.homophones, rng)?,
            ProbeKind::NearShape => replace_one(&chars, &han, &self.shapes, rng)?,
            ProbeKind::Filler => filler(text, rng),
            ProbeKind::Synonym => self.synonym(text, rng)?,
            ProbeKind::KeyPhrase => key_phrase(terms)?,
            ProbeKind::Reorder => reorder(&chars, terms, text)?,
        };
        (out != text && !out.is_empty()).then_some(out)
    }

    fn synonym(&self, text: &str, rng: &mut Rng) -> Option<String> {
        let mut found: Vec<(&str, &[String])> = Vec::new();
        for group in self.synonyms {
            for w in group {
                if !w.is_empty() && text.contains(w.as_str()) {
                    found.push((w.as_str(), group.as_slice()));
                }
            }
        }
        if found.is_empty() {
            return None;
        }
        let (word, group) = found[rng.below(found.len())];
        let others: Vec<&String> = group.iter().filter(|o| o.as_str() != word).collect();
        let pick = others.get(rng.below(others.len()))?;
        Some(text.replacen(word, pick, 1))
    }
}

/// One or two keystroke slips: a character dropped, two neighbours swapped, one typed
/// twice or a stray one typed in.
fn typo(chars: &[char], han: &[usize], pool: &[char], rng: &mut Rng) -> Option<String> {
    if han.len() < 3 {
        return None;
    }
    let mut chars = chars.to_vec();
    let edits = 1 + rng.below(2);
    for _ in 0..edits {
        let han: Vec<usize> = (0..chars.len()).filter(|&i| is_han(chars[i])).collect();
        if han.len() < 3 {
            break;
        }
        let i = han[rng.below(han.len())];
        match rng.below(4) {
            0 => {
                chars.remove(i);
            }
            1 if i + 1 < chars.len() => chars.swap(i, i + 1),
            2 => chars.insert(i, chars[i]),
            _ => {
                if let Some(&c) = pool.get(rng.below(pool.len())) {
                    chars.insert(i, c);
                }
            }
        }
    }
    Some(chars.into_iter().collect())
}

/// One (sometimes two) characters replaced from `table`.
fn replace_one(
    chars: &[char],
    han: &[usize],
    table: &HashMap<char, Vec<char>>,
    rng: &mut Rng,
) -> Option<String> {
    let options: Vec<usize> = han
        .iter()
        .copied()
        .filter(|i| table.contains_key(&chars[*i]))
        .collect();
    if options.is_empty() {
        return None;
    }
    let mut chars = chars.to_vec();
    let n = if options.len() > 3 {
        1 + rng.below(2)
    } else {
        1
    };
    for _ in 0..n {
        let i = options[rng.below(options.len())];
        let alternatives = table.get(&chars[i])?;
        if let Some(&c) = alternatives.get(rng.below(alternatives.len())) {
            chars[i] = c;
        }
    }
    Some(chars.into_iter().collect())
}

/// Fillers removed where the question has them, otherwise added before or after.
fn filler(text: &str, rng: &mut Rng) -> String {
    let trimmed = text.trim_end_matches(['?', '？', '!', '！', '。', '.']);
    for p in PREFIXES {
        if let Some(rest) = trimmed.strip_prefix(p.trim_end_matches('，'))
            && rest.chars().any(is_han)
        {
            return rest.trim_start_matches([',', '，']).to_string();
        }
    }
    for s in ["啊", "呢", "呀", "吗"] {
        if let Some(rest) = trimmed.strip_suffix(s)
            && rest.chars().count() >= 2
            && rng.below(2) == 0
        {
            return rest.to_string();
        }
    }
    match rng.below(3) {
        0 => format!("{}{text}", PREFIXES[rng.below(PREFIXES.len())]),
        1 => format!("{trimmed}{}", SUFFIXES[rng.below(SUFFIXES.len())]),
        _ => format!(
            "{}{trimmed}{}",
            PREFIXES[rng.below(PREFIXES.len())],
            SUFFIXES[rng.below(SUFFIXES.len())]
        ),
    }
}

/// The one or two most distinctive words (highest idf), in their order in the question.
fn key_phrase(terms: &[(String, f32)]) -> Option<String> {
    let content: Vec<(usize, &(String, f32))> = terms
        .iter()
        .enumerate()
        .filter(|(_, (t, _))| t.chars().any(is_han))
        .collect();
    if content.len() < 3 {
        return None;
    }
    let mut by_idf = content.clone();
    by_idf.sort_by(|a, b| b.1.1.total_cmp(&a.1.1).then(a.0.cmp(&b.0)));
    let keep = if content.len() >= 5 { 2 } else { 1 };
    let mut chosen: Vec<usize> = by_idf.iter().take(keep).map(|(i, _)| *i).collect();
    chosen.sort_unstable();
    Some(
        chosen
            .iter()
            .map(|&i| terms[i].0.as_str())
            .collect::<Vec<_>>()
            .join(""),
    )
}

/// Clauses swapped; a question of one clause has its halves (at a word boundary) swapped.
fn reorder(chars: &[char], terms: &[(String, f32)], text: &str) -> Option<String> {
    let clauses: Vec<String> = text
        .split(|c| CLAUSE_MARKS.contains(&c))
        .map(str::trim)
        .filter(|c| c.chars().any(is_han))
        .map(str::to_string)
        .collect();
    if clauses.len() >= 2 {
        let mut rotated = clauses[1..].to_vec();
        rotated.push(clauses[0].clone());
        return Some(rotated.join("，"));
    }
    // One clause: cut before the middle word, when the words are found in order.
    if terms.len() < 2 {
        return None;
    }
    let middle = &terms[terms.len() / 2].0;
    let s: String = chars.iter().collect();
    let cut = s.find(middle.as_str()).filter(|&c| c > 0)?;
    let (a, b) = s.split_at(cut);
    Some(format!("{b}{a}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(ws: &[(&str, f32)]) -> Vec<(String, f32)> {
        ws.iter().map(|(w, i)| (w.to_string(), *i)).collect()
    }

    fn perturber(synonyms: &[Vec<String>]) -> Perturber<'_> {
        Perturber::new(
            &ProbeKind::ALL,
            "信用卡怎么还款宽款欢环换".chars(),
            synonyms,
        )
    }

    #[test]
    fn each_kind_changes_the_question_its_way() {
        let syn = vec![vec!["还款".to_string(), "还钱".to_string()]];
        let p = perturber(&syn);
        let t = terms(&[("信用卡", 5.0), ("怎么", 1.0), ("还款", 4.0)]);
        let q = "信用卡怎么还款";
        for seed in 0..20 {
            let mut rng = Rng::new(seed);
            let s = p.apply(q, &t, ProbeKind::Synonym, &mut rng).unwrap();
            assert_eq!(s, "信用卡怎么还钱");
            let k = p.apply(q, &t, ProbeKind::KeyPhrase, &mut rng).unwrap();
            assert_eq!(k, "信用卡");
            let r = p.apply(q, &t, ProbeKind::Reorder, &mut rng).unwrap();
            assert_eq!(r, "怎么还款信用卡");
            let h = p.apply(q, &t, ProbeKind::Homophone, &mut rng).unwrap();
            assert_eq!(h.chars().count(), q.chars().count());
            assert_ne!(h, q);
            let typo = p.apply(q, &t, ProbeKind::Typo, &mut rng).unwrap();
            assert_ne!(typo, q);
            let f = p.apply(q, &t, ProbeKind::Filler, &mut rng).unwrap();
            assert!(f.contains("信用卡怎么还款"), "{f}");
        }
        let mut rng = Rng::new(1);
        assert_eq!(
            p.apply("请问信用卡怎么还款？", &t, ProbeKind::Filler, &mut rng)
                .as_deref(),
            Some("信用卡怎么还款")
        );
        assert_eq!(
            p.apply("你是谁，我在哪", &[], ProbeKind::Reorder, &mut rng)
                .as_deref(),
            Some("我在哪，你是谁")
        );
    }

    #[test]
    fn kinds_that_cannot_apply_give_none_and_generation_is_seeded() {
        let p = perturber(&[]);
        let mut rng = Rng::new(3);
        assert!(p.apply("好", &[], ProbeKind::Synonym, &mut rng).is_none());
        assert!(p.apply("好", &[], ProbeKind::KeyPhrase, &mut rng).is_none());
        assert!(p.apply("ok", &[], ProbeKind::NearShape, &mut rng).is_none());
        let t = terms(&[("信用卡", 5.0), ("怎么", 1.0), ("还款", 4.0)]);
        let run = |seed| {
            let mut rng = Rng::new(seed);
            ProbeKind::ALL
                .iter()
                .map(|&k| p.probe("信用卡怎么还款", &t, k, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
    }
}
