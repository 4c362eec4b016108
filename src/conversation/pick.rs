//! Reading a reply to "您是不是想问…": which suggestion the customer picked.

use crate::knowledge::small_talk_key;
use crate::reply::Suggestion;

/// The number a Chinese or Arabic numeral stands for (1–99), for ordinals.
fn numeral(text: &str) -> Option<usize> {
    if let Ok(n) = text.parse::<usize>() {
        return Some(n);
    }
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .or(if c == '两' { Some(2) } else { None })
    };
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => digit(*d),
        ['十', d] => digit(*d).map(|d| 10 + d),
        [t, '十'] => digit(*t).map(|t| t * 10),
        [t, '十', d] => Some(digit(*t)? * 10 + digit(*d)?),
        _ => None,
    }
}

/// The 0-based suggestion index of an ordinal reply: `1`, `2.`, `第二个`, `第2个`, `选3`,
/// `二`, `最后一个`. `None` when the message is not an ordinal or is out of range.
fn ordinal(key: &str, count: usize) -> Option<usize> {
    if matches!(key, "最后一个" | "最后那个" | "最后一条" | "最后") {
        return count.checked_sub(1);
    }
    let mut s = key;
    for prefix in ["我选", "选择", "选", "要", "是"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest;
            break;
        }
    }
    s = s.strip_prefix('第').unwrap_or(s);
    for suffix in ["个问题", "个", "条", "项", "种", "号", "题", "."] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest;
            break;
        }
    }
    let n = numeral(s)?;
    (1..=count).contains(&n).then(|| n - 1)
}

/// Whether the message reads as a pick by number (`2`, `第二个`, `最后一个`), whatever
/// suggestions are open.
pub(crate) fn looks_like_pick(message: &str) -> bool {
    ordinal(&small_talk_key(message), 99).is_some()
}

/// Which of `suggestions` the message picks: by ordinal, or by (nearly) repeating the
/// suggested question's text.
pub(crate) fn picked(message: &str, suggestions: &[Suggestion]) -> Option<usize> {
    let key = small_talk_key(message);
    if key.is_empty() {
        return None;
    }
    if let Some(i) = ordinal(&key, suggestions.len()) {
        return Some(i);
    }
    let keys: Vec<String> = suggestions
        .iter()
        .map(|s| small_talk_key(&s.question))
        .collect();
    if let Some(i) = keys.iter().position(|k| *k == key) {
        return Some(i);
    }
    // A long enough piece of exactly one suggestion ("报案" is too short to decide).
    let containing: Vec<usize> = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| key.chars().count() >= 4 && k.contains(key.as_str()))
        .map(|(i, _)| i)
        .collect();
    match containing.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sugs() -> Vec<Suggestion> {
        [
            "车险出险后怎么报案？",
            "理赔需要哪些材料？",
            "理赔进度怎么查？",
        ]
        .iter()
        .enumerate()
        .map(|(i, q)| Suggestion {
            entry_id: format!("e{i}"),
            question: q.to_string(),
            confidence: 0.3,
        })
        .collect()
    }

    #[test]
    fn ordinals_and_texts() {
        let s = sugs();
        let rows = [
            ("1", Some(0)),
            ("2.", Some(1)),
            ("３", Some(2)),
            ("第二个", Some(1)),
            ("第2个", Some(1)),
            ("第三条", Some(2)),
            ("选1", Some(0)),
            ("我选第二个", Some(1)),
            ("二", Some(1)),
            ("最后一个", Some(2)),
            ("4", None),
            ("第十个", None),
            ("理赔需要哪些材料", Some(1)),
            ("理赔进度怎么查？", Some(2)),
            ("理赔进度", Some(2)),
            ("理赔", None),
            ("今天天气", None),
            ("", None),
        ];
        for (text, want) in rows {
            assert_eq!(picked(text, &s), want, "{text:?}");
        }
    }
}
