//! Character units and character n-grams.
//!
//! Segmentation can hide a word (`农业银行` cut as one word hides `农业`), and typos break
//! words (`微粒货` for `微粒贷`). Character n-grams see through both. A *unit* is one CJK
//! character, or one run of ASCII letters and digits (`app`, `12378`), so that `app` is
//! matched as a word and not as three letters.

/// Splits normalized text into units: each non-ASCII alphanumeric character on its own,
/// each run of ASCII letters/digits as one unit. Spaces separate and are dropped.
///
/// ```
/// assert_eq!(wenda::text::units("app登录 12378"), vec!["app", "登", "录", "12378"]);
/// ```
pub fn units(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut run_start: Option<usize> = None;
    for (i, ch) in text.char_indices() {
        if ch.is_ascii_alphanumeric() {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = run_start.take() {
            out.push(&text[start..i]);
        }
        if !ch.is_whitespace() {
            out.push(&text[i..i + ch.len_utf8()]);
        }
    }
    if let Some(start) = run_start {
        out.push(&text[start..]);
    }
    out
}

/// The unigrams and bigrams of a unit sequence, in order of appearance (with repeats).
///
/// ```
/// let u = wenda::text::units("退保费");
/// assert_eq!(wenda::text::grams(&u), vec!["退", "保", "费", "退保", "保费"]);
/// ```
pub fn grams(units: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = units.iter().map(|u| (*u).to_string()).collect();
    out.extend(units.windows(2).map(|w| format!("{}{}", w[0], w[1])));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_mixed_scripts() {
        assert_eq!(units(""), Vec::<&str>::new());
        assert_eq!(units("4s店"), vec!["4s", "店"]);
        assert_eq!(units("ncd系数 0 8"), vec!["ncd", "系", "数", "0", "8"]);
        assert_eq!(units("é的"), vec!["é", "的"]);
    }

    #[test]
    fn grams_of_one_unit() {
        assert_eq!(grams(&["app"]), vec!["app"]);
        assert!(grams(&[]).is_empty());
    }
}
